"""`python -m bot` runs the bot (long polling, or a webhook when WEBHOOK_URL is set; with its web server for the
personal links when PUBLIC_URL is set); `python -m bot console` opens the sandbox."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from telegram import Update

from bot.app import build_application
from bot.config import load_settings
from bot.logs import setup_logging


def run_console(db: Path | None, start: str | None) -> int:
    """The sandbox in the terminal (imported only here: the bot itself never loads it)."""
    from sandbox import console

    setup_logging(os.environ.get("LOG_LEVEL", "ERROR"))
    db = db or Path(os.environ.get("DATABASE_PATH", "data/bac-a-sable.sqlite3"))
    try:
        return asyncio.run(console.run(db, console.parse_start(start)))
    except BrokenPipeError:
        # the reader went away (`… | head`): stop quietly, and keep Python from complaining again at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Bot d'accompagnement à l'installation")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="lancer le bot (par défaut)")
    sandbox = sub.add_parser("console", help="bac à sable dans le terminal, sans jeton ni réseau")
    sandbox.add_argument("--db", type=Path, default=None, help="fichier SQLite (défaut : DATABASE_PATH ou data/bac-a-sable.sqlite3)")
    sandbox.add_argument("--debut", default=None, help="heure de départ de l'horloge, ex. 2026-11-23T09:00")
    sub.add_parser("check", help="vérifier la configuration, la base, le jeton et le groupe")
    sub.add_parser("identifiants", help="les groupes et les personnes qui ont écrit au bot, avec leurs identifiants")
    restore = sub.add_parser("restore", help="remettre une sauvegarde en place (bot arrêté)")
    restore.add_argument("fichier", type=Path, help="la sauvegarde à remettre en place")
    restore.add_argument("--db", type=Path, default=None, help="la base à remplacer (défaut : DATABASE_PATH)")
    args = parser.parse_args(argv)

    if args.command == "restore":
        return restore_backup(args.fichier, args.db)
    if args.command == "check":
        from bot.check import run_check

        ok, lines = asyncio.run(run_check())
        print("\n".join(["Vérification du bot d'accompagnement à l'installation", *lines,
                         "Tout est prêt." if ok else "À corriger avant de lancer le bot."]))
        return 0 if ok else 1

    if args.command == "identifiants":
        return show_ids()
    if args.command == "console":
        return run_console(args.db, args.debut)

    settings = load_settings()
    setup_logging(settings.log_level, secrets=(settings.bot_token, settings.webhook_secret or "",
                                               settings.smtp_password or ""))
    if settings.serves_web:
        asyncio.run(serve_with_web(settings))
        return 0
    build_application(settings, freeze_loaded=True).run_polling(allowed_updates=Update.ALL_TYPES)  # also removes a webhook left
    return 0


async def serve_with_web(settings) -> None:
    """The bot and its web server in one event loop (PTB's custom-webhook pattern): the personal links' pages, and
    Telegram's posts in webhook mode (long polling otherwise). Stops on SIGINT or SIGTERM."""
    import signal

    from bot.app import shutdown, startup
    from web.server import WebServer

    app = build_application(settings, freeze_loaded=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    await startup(app)
    web = WebServer(app, settings)
    try:
        await web.start()
        await app.start()
        if settings.webhook_url:
            # an update without the secret token is refused (403) before reaching the bot
            await app.bot.set_webhook(settings.webhook_url, secret_token=settings.webhook_secret,
                                      allowed_updates=Update.ALL_TYPES)
        else:
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)  # also removes a webhook left
        await stop.wait()
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await web.stop()
        await app.shutdown()
        await shutdown(app)


def show_ids() -> int:
    """The ids to put in the configuration, read from what people sent the bot: only BOT_TOKEN is needed."""
    from dotenv import dotenv_values

    from bot.check import list_ids

    file = dotenv_values(os.environ.get("BOT_ENV_FILE", ".env"))
    token = os.environ.get("BOT_TOKEN") or file.get("BOT_TOKEN")
    if not token:
        print("BOT_TOKEN manquant : mettez le jeton donné par @BotFather dans .env (voir .env.example).", file=sys.stderr)
        return 2
    base = os.environ.get("BOT_API_BASE_URL") or file.get("BOT_API_BASE_URL") or "https://api.telegram.org"
    ok, lines = asyncio.run(list_ids(token, base))
    print("\n".join(lines))
    return 0 if ok else 1


def restore_backup(source: Path, database: Path | None) -> int:
    """Check a backup, keep the current database aside, put the backup in place and bring it up to date."""
    from datetime import datetime

    from storage import backups
    from storage.db import connect, migrate

    database = database or Path(os.environ.get("DATABASE_PATH", "data/installation.sqlite3"))
    problem = backups.check_file(source)
    if problem:
        print(f"Restauration impossible : {problem}. Rien n'a été changé.", file=sys.stderr)
        return 1
    kept = backups.restore(source, database, datetime.now())
    async def upgrade() -> list[int]:
        conn = await connect(database)
        try:
            return await migrate(conn)
        finally:
            await conn.close()
    applied = asyncio.run(upgrade())
    print(f"Sauvegarde {source} remise en place dans {database}.")
    if kept:
        print(f"L'ancienne base est conservée dans {kept}.")
    if applied:
        print(f"Mise à jour du schéma appliquée (versions {', '.join(map(str, applied))}).")
    print("Vous pouvez relancer le bot.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
