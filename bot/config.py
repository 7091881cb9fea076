"""Configuration from the environment or a .env file (every key is documented in .env.example)."""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from datetime import time
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.schedule import WorkingHours
from domain.team import ROLES
from storage.members import Member

# How to fix each key, for the message printed when it is missing or malformed.
HOW_TO_FIX = {
    "BOT_TOKEN": "le jeton donné par @BotFather, par exemple 123456789:AAE…",
    "TEAM_CHAT_ID": "l'identifiant du groupe de l'équipe, un nombre négatif comme -1001234567890 "
                    "(tapez /moi dans le groupe pour le connaître)",
    "TEAM_MEMBERS": "la liste « id:rôle:Nom » séparée par des « ; », rôle cls, cpts ou admin, "
                    "par exemple 111111:cls:Claire Martin;222222:cpts:Paul Roche",
    "ADMIN_IDS": "des identifiants Telegram séparés par des virgules, par exemple 111111,444444",
    "TIMEZONE": "un fuseau horaire comme Europe/Paris",
    "DATABASE_PATH": "un chemin de fichier, par exemple data/installation.sqlite3",
    "BOT_API_BASE_URL": "l'adresse du serveur Bot API, par exemple https://api.telegram.org",
    "LOG_LEVEL": "DEBUG, INFO, WARNING ou ERROR",
    "REMINDER_MORNING": "une heure comme 09:00",
    "RETENTION_MONTHS": "un nombre de mois, par exemple 24",
    "BACKUP_DIR": "un dossier, par exemple data/sauvegardes",
    "WORKDAY_START": "une heure comme 08:00",
    "WORKDAY_END": "une heure comme 19:00",
    "WEBHOOK_URL": "l'adresse publique en https du bot derrière nginx ou Caddy, par exemple "
                   "https://bot.exemple.fr/telegram (laissez vide pour le mode par défaut, sans serveur web)",
    "WEBHOOK_SECRET": "une suite de 16 à 256 caractères parmi A-Z, a-z, 0-9, _ et - "
                      "(par exemple la sortie de : python3 -c \"import secrets; print(secrets.token_urlsafe(32))\")",
    "WEB_LISTEN": "l'adresse locale où le bot écoute, 127.0.0.1 derrière un serveur web sur la même machine",
    "WEB_PORT": "un port libre, par exemple 8080",
    "PUBLIC_URL": "l'adresse publique du bot, par exemple https://bot.exemple.fr (les liens envoyés par e-mail "
                  "commencent par elle)",
    "SMTP_HOST": "le serveur d'envoi des e-mails, par exemple smtp.exemple.fr",
    "SMTP_PORT": "un port, par exemple 587 (STARTTLS) ou 465 (TLS)",
    "SMTP_FROM": "l'adresse de l'équipe, par exemple « CPTS du Grand Lons <installation@cpts-grandlons.fr> »",
    "SMTP_SECURITY": "starttls, tls ou aucune",
}
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str = Field(min_length=10)
    team_chat_id: int
    team_members: Annotated[list[Member], NoDecode] = Field(min_length=1)
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    database_path: Path = Path("data/installation.sqlite3")
    timezone: str = "Europe/Paris"
    bot_api_base_url: str = "https://api.telegram.org"
    log_level: str = "INFO"
    retention_months: int = Field(default=24, ge=1)
    backup_dir: Path | None = None
    reminder_morning: time = time(9, 0)
    workday_start: time = time(8, 0)
    workday_end: time = time(19, 0)
    # webhook mode (optional): Telegram posts updates to WEBHOOK_URL, relayed by nginx or Caddy to the local port
    webhook_url: str | None = None
    webhook_secret: str | None = Field(default=None, validate_default=True)
    # the one local web server (the pages of the personal links, and Telegram's posts in webhook mode)
    web_listen: str = Field(default="127.0.0.1", validation_alias=AliasChoices("web_listen", "webhook_listen"))
    web_port: int = Field(default=8080, ge=1, le=65535, validation_alias=AliasChoices("web_port", "webhook_port"))
    # the reverse proxies whose X-Forwarded-For tells the visitor's address (nginx or Caddy on this machine:
    # 127.0.0.1; Caddy in compose.yaml: its container's network): nobody by default, so that no client can choose
    # the address the pages' limits count it under
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # the personal links' pages: served when PUBLIC_URL is set (the address the links begin with)
    public_url: str | None = None
    # the team's phone number, given on the personal links' pages to whoever has a question
    team_phone: str | None = None
    # e-mail (optional): without SMTP_HOST the team gets each e-mail's text in the group, to send it themselves
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str | None = Field(default=None, validate_default=True)
    smtp_security: str = "starttls"

    @field_validator("team_members", mode="before")
    @classmethod
    def _parse_members(cls, raw: object) -> object:
        if not isinstance(raw, str):
            return raw
        members = []
        for chunk in filter(None, (c.strip() for c in raw.split(";"))):
            parts = chunk.split(":", 2)
            if len(parts) != 3 or not parts[0].strip().lstrip("-").isdigit() or parts[1].strip() not in ROLES:
                raise ValueError(f"« {chunk} » n'est pas de la forme id:rôle:Nom")
            user_id, role, name = int(parts[0]), parts[1].strip(), parts[2].strip()
            members.append(Member(user_id, role, name or str(user_id), role == "admin"))
        return members

    @field_validator("bot_api_base_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        """The server's root only: the bot adds /bot<token>/<method> itself (a Bot API server of one's own, or the
        fake one of the tests, is given like https://api.telegram.org)."""
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"« {value} » n'est pas une adresse http:// ou https://")
        if re.search(r"/(bot|file)[^/]*$", parts.path) or parts.query or parts.fragment:
            raise ValueError(f"donnez la racine du serveur, sans /bot ni le jeton à la fin (le bot les ajoute) : "
                             f"« {parts.scheme}://{parts.netloc}{re.sub(r'/(bot|file)[^/]*$', '', parts.path)} »")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        if not value.startswith("https://") or not urlsplit(value).hostname:
            raise ValueError("Telegram n'envoie qu'à une adresse https://")
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not info.data.get("webhook_url"):
            return value or None
        if not value:
            raise ValueError("obligatoire avec WEBHOOK_URL (Telegram le joint à chaque envoi, le bot refuse le reste)")
        if not WEBHOOK_SECRET.fullmatch(value):
            raise ValueError("de 16 à 256 caractères parmi A-Z, a-z, 0-9, _ et -")
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        parts = urlsplit(value.strip())
        local = parts.hostname in ("localhost", "127.0.0.1")
        if not parts.hostname or not (parts.scheme == "https" or (local and parts.scheme == "http")):
            raise ValueError("une adresse https:// (http:// seulement pour localhost)")
        return value.strip().rstrip("/")

    @field_validator("smtp_host", "smtp_user", "smtp_password")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    @field_validator("smtp_from")
    @classmethod
    def _check_smtp_from(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = value.strip() if value and value.strip() else None
        if info.data.get("smtp_host") and (value is None or "@" not in value):
            raise ValueError("obligatoire avec SMTP_HOST : l'adresse d'où partent les e-mails")
        return value

    @field_validator("smtp_security")
    @classmethod
    def _check_security(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("starttls", "tls", "aucune"):
            raise ValueError("starttls, tls ou aucune")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, raw: object) -> object:
        if not isinstance(raw, str):
            return raw
        proxies = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"« {proxy} » n'est ni une adresse IP ni un réseau (ex. 127.0.0.1, 172.18.0.0/16)") from None
        return proxies

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_ids(cls, raw: object) -> object:
        if isinstance(raw, str):
            return [int(p) for p in raw.replace(";", ",").split(",") if p.strip()]
        return raw

    @field_validator("timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"fuseau horaire inconnu : {value}") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("niveau inconnu")
        return value.upper()

    @property
    def hours(self) -> WorkingHours:
        return WorkingHours(self.reminder_morning, self.workday_start, self.workday_end)

    @property
    def webhook_path(self) -> str:
        """The path Telegram posts to, which the local web server listens on too."""
        return urlsplit(self.webhook_url).path.strip("/") if self.webhook_url else ""

    @property
    def serves_web(self) -> bool:
        """Whether the bot runs its web server: for the personal links' pages, or Telegram's posts."""
        return bool(self.public_url or self.webhook_url)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def members(self) -> list[Member]:
        """The configured team, admins flagged."""
        admins = set(self.admin_ids)
        return [Member(m.user_id, m.role, m.name, m.is_admin or m.user_id in admins) for m in self.team_members]


def explain(error: ValidationError) -> str:
    """A French report naming each bad key and how to fix it."""
    lines = ["Configuration incorrecte (fichier .env ou variables d'environnement) :"]
    for item in error.errors():
        key = str(item["loc"][0]).upper() if item["loc"] else "?"
        problem = "manquant" if item["type"] == "missing" else item["msg"].removeprefix("Value error, ")
        lines.append(f"  - {key} : {problem}. Attendu : {HOW_TO_FIX.get(key, 'voir .env.example')}.")
    lines.append("Voir .env.example pour la liste des réglages.")
    return "\n".join(lines)


def read_settings(**overrides: object) -> Settings:
    """The settings from the environment and the configuration file: BOT_ENV_FILE if set (a server keeps it in
    /etc/installation-bot/env), else .env in the working directory. The environment wins over the file."""
    return Settings(_env_file=os.environ.get("BOT_ENV_FILE", ".env"), **overrides)


def load_settings(**overrides: object) -> Settings:
    """Read the settings, or stop with exit code 2 and a French message naming the key to fix."""
    try:
        return read_settings(**overrides)
    except ValidationError as err:
        print(explain(err), file=sys.stderr)
        raise SystemExit(2) from err
