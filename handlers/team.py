"""The team: who is in it, and admins adding or removing members from the chat."""

from __future__ import annotations

import functools

from telegram import Update

from domain.team import ROLES
from handlers.common import esc, reply, typed_id
from handlers.context import BotContext
from storage import members
from storage.members import Member

ROLE_LABELS = {"cls": "chargée de mission CLS", "cpts": "CPTS", "admin": "administration"}


def admin_only(callback):
    """Let only admins through; everyone else is told why."""

    @functools.wraps(callback)
    async def wrapper(update: Update, context: BotContext) -> None:
        if not context.actor or not context.actor.is_admin:
            await reply(update, context, "Cette commande est réservée aux administrateurs.")
            return
        await callback(update, context)

    return wrapper


async def refresh_team(context_or_app) -> None:
    """Reload the active members into memory after a change."""
    services = context_or_app.bot_data["services"]
    services.team.members = {m.user_id: m for m in await members.active(services.db)}


async def list_members(update: Update, context: BotContext) -> None:
    """Show the team with roles."""
    lines = ["👥 <b>L'équipe</b>"]
    for m in context.services.team.members.values():
        admin = " · administrateur" if m.is_admin else ""
        lines.append(f"• {esc(m.name)} — {ROLE_LABELS[m.role]}{admin} (<code>{m.user_id}</code>)")
    await reply(update, context, "\n".join(lines))


@admin_only
async def add_member(update: Update, context: BotContext) -> None:
    """/membre_ajouter ID rôle Nom: add someone to the team."""
    args = context.args or []
    if len(args) < 3 or typed_id(args[0]) is None or args[1].lower() not in ROLES:
        await reply(update, context, "Usage : /membre_ajouter ID rôle Nom — rôle cls, cpts ou admin.\n"
                                     "Exemple : /membre_ajouter 123456789 cpts Anne Vidal\n"
                                     "(la personne obtient son ID en tapant /moi)")
        return
    role = args[1].lower()
    member = Member(typed_id(args[0]), role, " ".join(args[2:])[:80], role == "admin")
    await members.upsert(context.db, member, context.actor.user_id)
    await refresh_team(context)
    await reply(update, context, f"✅ {esc(member.name)} fait maintenant partie de l'équipe ({ROLE_LABELS[role]}).")


@admin_only
async def remove_member(update: Update, context: BotContext) -> None:
    """/membre_retirer ID: remove someone from the team."""
    args = context.args or []
    user_id = typed_id(args[0]) if len(args) == 1 else None
    if user_id is None:
        await reply(update, context, "Usage : /membre_retirer ID (voir /membres).")
        return
    if user_id == context.actor.user_id:
        await reply(update, context, "Vous ne pouvez pas vous retirer vous-même : demandez à un autre administrateur.")
        return
    name = context.services.team.name(user_id)
    if not await members.deactivate(context.db, user_id):
        await reply(update, context, f"Personne avec l'ID {user_id} dans l'équipe (voir /membres).")
        return
    await refresh_team(context)
    await reply(update, context, f"✅ {esc(name)} ne fait plus partie de l'équipe.")
