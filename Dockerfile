# Image du bot d'accompagnement à l'installation (voir docs/deploiement.md, « Avec Docker »).
#   docker build -t installation-bot .
#   docker run -d --name installation-bot --restart unless-stopped --env-file .env \
#     -v installation-bot-data:/data installation-bot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/installation.sqlite3 \
    BACKUP_DIR=/data/sauvegardes

# un utilisateur sans droits, propriétaire du seul dossier où le bot écrit
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin bot \
    && mkdir -p /data && chown bot:bot /data

WORKDIR /app
# the exact packages of requirements.lock (hashes checked), then the bot itself
COPY pyproject.toml README.md requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY bot ./bot
COPY delivery ./delivery
COPY domain ./domain
COPY handlers ./handlers
COPY storage ./storage
COPY sandbox ./sandbox
COPY web ./web
RUN pip install --no-deps .

USER bot
VOLUME ["/data"]
# le serveur web du bot (pages des liens personnels, webhook) : WEB_PORT, 8080 par défaut ; inutile sans
# PUBLIC_URL ni WEBHOOK_URL
EXPOSE 8080
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
