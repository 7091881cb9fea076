"""What every step shares: the access gate, help, errors, and sending safely."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from telegram import (
    ChatMemberUpdated,
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import ApplicationHandlerStop

from delivery import engine
from delivery.markup import BUTTON_LABEL, esc, keyboard  # noqa: F401 - the steps write through these
from domain import texts
from domain.callbacks import read
from domain.messages import fit_html, split_html
from handlers.context import BotContext
from storage import audit_log, candidates, error_log, reminders, sites, updates

ReplyMarkup = InlineKeyboardMarkup | ForceReply

# what a practice site's contact or an élu may use
OUTSIDER_COMMANDS = frozenset({"/start", "/aide", "/help", "/moi"})
OUTSIDER_BUTTONS = ("p:",)  # availability polls

log = logging.getLogger(__name__)





def typed_id(text: str) -> int | None:
    """A Telegram id as an admin types it (a group's starts with "-"), or None: ASCII digits only ("²" is a digit
    to Python, not one int() reads) and at most 15 of them (Telegram's ids have 13 at most; SQLite refuses huge
    integers)."""
    digits = text[1:] if text.startswith("-") else text
    return int(text) if digits.isascii() and digits.isdecimal() and len(digits) <= 15 else None



async def send(
    context: BotContext, chat_id: int, text: str, markup: ReplyMarkup | None = None, reply_to: int | None = None
) -> Message:
    """Send a message of any length: the parts go in order, the buttons on the last one."""
    parts = split_html(text)
    message = None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        message = await context.bot.send_message(
            chat_id, part, reply_markup=markup if last else None,
            reply_to_message_id=reply_to if i == 0 else None,
            allow_sending_without_reply=True,
        )
    return message


async def send_private(context: BotContext, user_id: int, name: str, text: str, markup=None) -> Message | None:
    """Write to someone in private; if they never started the bot, tell the team group instead of failing."""
    try:
        return await send(context, user_id, text, markup)
    except Forbidden:
        await engine.tell(context.application, context.services.settings.team_chat_id,
                          texts.PRIVATE_UNREACHABLE.format(name=esc(name)))
        return None


def card_button(data: str | None) -> tuple[int, str, int | None] | None:
    """``prefix:id:action[:n]`` read back from a pressed button (callback data can be forged): the id, the action
    and the number, or None when the data is not of that shape."""
    return read(data, None, int, str, int, optional=1)


async def pressed_card(query, fetch: Callable[[int], Awaitable[object | None]],
                       accept: Callable[[object], bool] = lambda item: True) -> tuple[object, str, int | None] | None:
    """The item a card's button stands for (``fetch`` reads it by id), the action and its number; None, after
    telling the user the button is no longer valid, for forged data, an item gone or one ``accept`` refuses."""
    pressed = card_button(query.data)
    item = await fetch(pressed[0]) if pressed else None
    if item is None or not accept(item):
        await query.answer("Ce bouton n'est plus valable.", show_alert=True)
        return None
    return item, pressed[1], pressed[2]


async def edit_markup(query, markup) -> None:
    """Change the buttons of the pressed message; an unchanged or too old message is left as it is."""
    try:
        await query.edit_message_reply_markup(markup)
    except BadRequest:
        pass


async def edit_text(query, text: str, markup=None) -> None:
    """Replace the pressed message's text and buttons (unchanged: nothing to do); a text too long for one message
    is cut, as an edited message cannot become two."""
    try:
        await query.edit_message_text(fit_html(text), reply_markup=markup)
    except BadRequest:
        pass


async def append_note(query, note: str, markup=None) -> None:
    """Add a line under the pressed message (who did what) and set its buttons, none by default."""
    await edit_text(query, f"{query.message.text_html}\n\n{note}", markup)  # cut by edit_text if too long


async def reply(update: Update, context: BotContext, text: str, markup: ReplyMarkup | None = None) -> Message:
    return await send(context, update.effective_chat.id, text, markup)


def is_team_chat(update: Update, context: BotContext) -> bool:
    chat = update.effective_chat
    return chat is not None and (
        chat.type == ChatType.PRIVATE or chat.id == context.services.settings.team_chat_id
    )


async def gate(update: Update, context: BotContext) -> None:
    """Runs before every handler: drops repeats, identifies the team member, turns away everyone else.

    Candidate data only ever goes to team members, in the team group or in their private chat.
    """
    began = time.perf_counter()
    await _admit(update, context)  # raises ApplicationHandlerStop for what goes no further
    context.services.handling[update.update_id] = began


async def _admit(update: Update, context: BotContext) -> None:
    if update.update_id and await updates.seen(context.db, update.update_id):
        log.info("duplicate update dropped", extra={"update_id": update.update_id})
        raise ApplicationHandlerStop
    if update.my_chat_member:
        return  # the bot itself was added or removed: see on_my_chat_member
    user = update.effective_user
    chat = update.effective_chat
    member = context.services.team.get(user.id if user else None)
    message = update.effective_message
    typed_text = update.message.text if update.message and update.message.text else ""
    command = typed_text.split()[0].split("@")[0] if typed_text.startswith("/") else ""
    if command == "/moi":
        return  # anyone may learn their own id, to be added to the team
    context.where = chat.id if chat else None
    if member is not None and chat is not None and is_team_chat(update, context):
        context.actor = member
        return
    private = chat is not None and chat.type == ChatType.PRIVATE
    if private and command == "/start" and len(typed_text.split()) > 1:
        return  # an invitation link: checked by the start handler
    roles = await sites.outsider_roles(context.db, user.id) if user and private else []
    if roles:
        # a practice site's contact or an élu: their own notices and polls, nothing of the team's
        context.outsider = roles
        data = update.callback_query.data if update.callback_query else ""
        # only a message they typed themselves (never the bot's message a button sits on)
        typed = update.message is not None and bool(update.message.text) and not command
        if command in OUTSIDER_COMMANDS or typed or (data and data.startswith(OUTSIDER_BUTTONS)):
            return  # typed text: only a poll comment is taken (handlers.polls)
        if update.callback_query:
            await update.callback_query.answer(texts.STRANGER_BUTTON, show_alert=True)
        elif message is not None:
            await message.reply_text(texts.OUTSIDER_REFUSED)
        log.info("outsider refused", extra={"user_id": user.id})
        await audit(context, "refus", detail=f"{'bouton' if update.callback_query else command or 'message'} "
                                             f"d'un contact extérieur", user_id=user.id)
        raise ApplicationHandlerStop
    if update.callback_query:
        await update.callback_query.answer(texts.STRANGER_BUTTON, show_alert=True)
    elif chat is not None and chat.type == ChatType.PRIVATE and message is not None:
        await message.reply_text(texts.STRANGER)
    log.info("update refused", extra={"user_id": user.id if user else None, "chat_id": chat.id if chat else None})
    if user is not None:
        what = "bouton" if update.callback_query else command or "message"
        where = "hors du groupe de l'équipe" if member is not None else "personne hors de l'équipe"
        await audit(context, "refus", detail=f"{what} ({where})", user_id=user.id)
    raise ApplicationHandlerStop


async def audit(context: BotContext, action: str, *, candidate_id: int | None = None, detail: str = "",
                user_id: int | None = None) -> None:
    """Record in the audit log who did what, on which candidate, from which chat."""
    who = user_id if user_id is not None else (context.actor.user_id if context.actor else None)
    log.info("audit", extra={"action": action, "candidate": candidate_id, "user": who,
                             "chat": getattr(context, "where", None)})
    await audit_log.record(context.db, at=context.now_iso(), user_id=who, chat_id=getattr(context, "where", None),
                           action=action, candidate_id=candidate_id, detail=detail)


async def after_change(context: BotContext, candidate_id: int) -> None:
    """Every handler that changes a candidate calls this: the audit log, then the candidate's reminders."""
    events, _ = await candidates.timeline(context.db, candidate_id, limit=1)
    await audit(context, "modification", candidate_id=candidate_id, detail=events[-1].detail if events else "")
    await engine.sync(context.application, candidate_id)


async def close_reminder(context: BotContext, reminder_id: int) -> None:
    """The reminder that opened what the member just finished (a debrief, a follow-up call) is done."""
    await reminders.close(context.db, reminder_id, state="done", at=context.now_iso(), by=context.actor.user_id)


async def mark_processed(update: Update, context: BotContext) -> None:
    """Runs after every handler: remember the update as handled, and log it (ids and kind only)."""
    if update.update_id:
        await updates.mark(context.db, update.update_id, context.now_iso())
    began = context.services.handling.pop(update.update_id, None)
    log.info("update handled", extra={
        "update_id": update.update_id, "kind": update_kind(update),
        "chat": update.effective_chat.id if update.effective_chat else None,
        "user": update.effective_user.id if update.effective_user else None,
        "ms": round(1000 * (time.perf_counter() - began), 1) if began else None})


def update_kind(update: Update) -> str:
    """What an update is, for the logs, without its content: a command's name, a button's prefix."""
    if update.callback_query:
        return f"bouton {(update.callback_query.data or '?').split(':', 1)[0]}"
    message = update.effective_message
    if message is not None and message.text:
        return f"commande {message.text.split()[0].split('@')[0]}" if message.text.startswith("/") else "texte"
    if message is not None and message.document:
        return "document"
    if update.my_chat_member:
        return "ajout ou retrait du bot"
    return "autre"


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """Leave, politely, any group that is not the team's."""
    change: ChatMemberUpdated = update.my_chat_member
    joined = change.new_chat_member.status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)
    if not joined or change.chat.type == ChatType.PRIVATE:
        return
    if change.chat.id != context.services.settings.team_chat_id:
        await context.bot.send_message(change.chat.id, texts.OTHER_GROUP)
        await context.bot.leave_chat(change.chat.id)


async def start(update: Update, context: BotContext) -> None:
    """Greet a team member, or a site contact or élu; with a payload, use an invitation link."""
    if context.args:
        await use_invitation(update, context, context.args[0])
        return
    if context.actor is not None:
        await reply(update, context, texts.WELCOME.format(name=esc(context.actor.name)) + texts.HELP)
    else:
        await reply(update, context, texts.OUTSIDER_HELP)


async def help_command(update: Update, context: BotContext) -> None:
    """List the commands by protocol step (a site contact or élu gets what concerns them)."""
    await reply(update, context, texts.HELP if context.actor is not None else texts.OUTSIDER_HELP)


async def use_invitation(update: Update, context: BotContext, token: str) -> None:
    """Bind whoever opened an invitation link to the practice site or élu record it was made for."""
    user = update.effective_user
    name = " ".join(filter(None, (user.first_name, user.last_name))) or str(user.id)
    if not token.replace("-", "").replace("_", "").isalnum() or len(token) > 64:
        await reply(update, context, texts.INVITATION_UNKNOWN)
        return
    outcome, target = await sites.use_invitation(context.db, token, user_id=user.id, name=name,
                                                     at=context.now_iso())
    if outcome != "ok":
        await reply(update, context, {"used": texts.INVITATION_USED, "expired": texts.INVITATION_EXPIRED}.get(
            outcome, texts.INVITATION_UNKNOWN))
        return
    kind, target_id = target
    for greet in context.wiring.welcomes.get(kind, ()):
        await greet(update, context, target_id, name)


async def whoami(update: Update, context: BotContext) -> None:
    """Tell anyone their own Telegram id and this chat's, for the configuration."""
    await reply(
        update, context,
        f"Votre identifiant Telegram : <code>{update.effective_user.id}</code>\n"
        f"Identifiant de cette discussion : <code>{update.effective_chat.id}</code>",
    )


async def unknown_command(update: Update, context: BotContext) -> None:
    """Answer a command the bot does not know."""
    command = update.effective_message.text.split()[0].split("@")[0]
    await reply(update, context, texts.UNKNOWN_COMMAND.format(command=esc(command)))


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with its context and tell the user in French, never with a traceback."""
    log.error("update failed", exc_info=context.error,
              extra={"update_id": getattr(update, "update_id", None)})
    if "services" in context.bot_data:
        context.services.errors.append((context.now(), type(context.error).__name__))
        try:  # kept for /etat after a restart
            await error_log.record(context.db, at=context.services.clock.utc_iso(), kind=type(context.error).__name__,
                                       update_kind=update_kind(update) if isinstance(update, Update) else "")
        except Exception:  # noqa: BLE001 - a failing database must not hide the error being reported
            log.exception("could not record the error")
    if not isinstance(update, Update) or update.effective_chat is None or update.effective_user is None:
        return
    # the error handler gets a context of its own: the gate's check is made again before answering
    if context.services.team.get(update.effective_user.id) is not None and is_team_chat(update, context):
        try:
            if update.callback_query:
                await update.callback_query.answer(texts.ERROR[:190], show_alert=True)
            else:
                await context.bot.send_message(update.effective_chat.id, texts.ERROR)
        except (BadRequest, Forbidden):
            pass
        except Exception:  # noqa: BLE001 - the error handler must not fail in turn
            log.exception("could not tell the user about the error")


async def unknown_button(update: Update, context: BotContext) -> None:
    """A button whose data no handler recognises (forged, or from an older version)."""
    await update.callback_query.answer(texts.STALE_BUTTON, show_alert=True)
