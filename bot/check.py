"""`python -m bot check`: is everything ready to run? A French report with what to fix; exit code 1 on a problem."""

from __future__ import annotations

import shutil
import sqlite3

from pydantic import ValidationError
from telegram import Bot, Update
from telegram.constants import ChatType
from telegram.error import Conflict, Forbidden, InvalidToken, NetworkError, TelegramError

from bot.config import Settings, explain, read_settings
from storage.db import latest_version

MIN_FREE_MB = 200


async def run_check(settings: Settings | None = None) -> tuple[bool, list[str]]:
    lines, ok = [], True

    def good(text: str) -> None:
        lines.append(f"✅ {text}")

    def bad(text: str) -> None:
        nonlocal ok
        ok = False
        lines.append(f"❌ {text}")

    if settings is None:
        try:
            settings = read_settings()
        except ValidationError as err:
            return False, [f"❌ {explain(err)}"]
    good("configuration lue (.env ou variables d'environnement)")

    path = settings.database_path
    if path.exists():
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
        if integrity == "ok":
            good(f"base {path} intègre")
        else:
            bad(f"base {path} abîmée ({integrity}) : remettez une sauvegarde (python -m bot restore FICHIER)")
        if version == latest_version():
            good(f"schéma à jour (version {version})")
        else:
            lines.append(f"ℹ️ schéma en version {version} : il sera mis à jour au démarrage (version {latest_version()}), "
                         f"après une sauvegarde automatique")
    else:
        lines.append(f"ℹ️ la base {path} sera créée au premier démarrage")
    free_mb = shutil.disk_usage(path.parent if path.parent.exists() else ".").free // 2**20
    (good if free_mb >= MIN_FREE_MB else bad)(f"espace disque libre : {free_mb} Mo" +
                                              ("" if free_mb >= MIN_FREE_MB else f" (il en faut au moins {MIN_FREE_MB})"))

    base = settings.bot_api_base_url.rstrip("/")
    bot = Bot(settings.bot_token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")
    try:
        async with bot:
            me = bot.bot
            good(f"jeton accepté : le bot s'appelle @{me.username}")
            if me.can_read_all_group_messages:
                good("mode confidentialité des groupes désactivé : le bot lit aussi les messages simples")
            else:
                lines.append("ℹ️ mode confidentialité des groupes actif : répondez aux questions du bot avec « Répondre » "
                             "(ou désactivez-le dans @BotFather → Bot Settings → Group Privacy, puis rajoutez le bot au groupe)")
            try:
                chat = await bot.get_chat(settings.team_chat_id)
                good(f"groupe de l'équipe joignable : « {chat.title} »")
            except (Forbidden, TelegramError):
                bad(f"groupe {settings.team_chat_id} injoignable : ajoutez le bot au groupe et vérifiez TEAM_CHAT_ID "
                    f"(tapez /moi dans le groupe)")
    except InvalidToken:
        bad("jeton refusé par Telegram : recopiez BOT_TOKEN depuis @BotFather")
    except NetworkError as err:
        bad(f"serveur Bot API injoignable ({settings.bot_api_base_url}) : {err}")
    return ok, lines


async def list_ids(token: str, base_url: str) -> tuple[bool, list[str]]:
    """Who wrote to the bot lately and in which chats, with their ids: what the configuration needs.

    Updates are only looked at, never confirmed: the bot still receives them when it starts."""
    base = base_url.rstrip("/")
    bot = Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")
    try:
        async with bot:
            updates = await bot.get_updates(timeout=0, allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        return False, ["❌ jeton refusé par Telegram : recopiez BOT_TOKEN depuis @BotFather"]
    except Conflict:
        return False, ["❌ le bot est en mode webhook : arrêtez-le, retirez WEBHOOK_URL, relancez-le une fois en long "
                       "polling, puis recommencez"]
    except NetworkError as err:
        return False, [f"❌ serveur Bot API injoignable ({base_url}) : {err}"]
    groups: dict[int, str] = {}
    people: dict[int, str] = {}
    for update in updates:
        chat = update.effective_chat
        if chat is not None and chat.type != ChatType.PRIVATE:
            groups[chat.id] = chat.title or str(chat.id)
        user = update.effective_user
        if user is not None and not user.is_bot:
            people[user.id] = user.full_name
    if not groups and not people:
        return True, ["Personne n'a encore écrit au bot. Ajoutez-le au groupe de l'équipe et écrivez-y /moi ; que "
                      "chaque membre lui écrive /start en privé ; puis relancez cette commande."]
    lines = ["Groupes (TEAM_CHAT_ID) :"] + [f"  {gid}  « {title} »" for gid, title in groups.items()]
    lines += ["Personnes (pour TEAM_MEMBERS, id:rôle:Nom) :"] + [f"  {uid}  {name}" for uid, name in people.items()]
    return True, lines
