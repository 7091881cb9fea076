"""The sites' answers: a contact's buttons and comment on Telegram, the team entering the answer a site phoned
in, and an answer from the site's web link."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass

from telegram import Update
from telegram.error import BadRequest, TelegramError

from domain.callbacks import read
from domain.dates import normalise
from domain.forms import too_long
from domain.messages import fit_html
from domain.polls import ANSWERS
from handlers import dialog
from handlers.common import keyboard, send
from handlers.context import BotContext
from handlers.dialog import Wait, state_of
from handlers.polls.closing import relance_keys
from handlers.polls.day import CANCEL_STEPS, site_cancels
from handlers.polls.live import touch_tally, update_site_messages
from handlers.polls.views import ANSWER_CODES, site_poll_text
from storage import dialogs, polls, sites
from storage.polls import Poll

log = logging.getLogger(__name__)


async def sites_to_enter(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    await update.callback_query.answer()
    rows = []
    for ps in await polls.poll_sites(context.db, poll.id):
        if ps.invited:
            site = await sites.get(context.db, ps.site_id)
            rows.append([(f"✍️ {site.name}"[:40], f"q:{poll.id}:enter:{ps.site_id}")])
    await send(context, poll.chat_id, "Pour quel lieu saisir la réponse (prise par téléphone ou e-mail) ?", keyboard(rows))


async def enter_for(update: Update, context: BotContext, poll: Poll, site_id: int | None) -> None:
    if site_id not in {ps.site_id for ps in await polls.poll_sites(context.db, poll.id) if ps.invited}:
        await update.callback_query.answer("Ce lieu n'est pas interrogé.", show_alert=True)
        return
    await update.callback_query.answer()
    text, markup = await site_poll_text(context.services, poll, site_id, for_team=True)
    await send(context, poll.chat_id, text, markup)


async def on_site_button(update: Update, context: BotContext) -> None:
    """A site's answer, comment or cancellation — or a team member entering a site's answer."""
    query = update.callback_query
    # p:<poll>:<site>:<slot>:<o|s|n> an answer, p:<poll>:<site>:c a comment, p:<poll>:<site>:<x|X|k> "we can no
    # longer host the visit" asked, confirmed, or taken back
    answer = read(query.data, "p", int, int, int, ANSWER_CODES)
    other = None if answer else read(query.data, "p", int, int, {"c", *CANCEL_STEPS})
    pressed = answer or other
    poll = await polls.get(context.db, pressed[0]) if pressed else None
    site_id = pressed[1] if pressed else None
    invited = {ps.site_id: ps for ps in await polls.poll_sites(context.db, poll.id)} if poll else {}
    user_id = update.effective_user.id
    is_team = context.actor is not None
    is_contact = site_id is not None and any(c.user_id == user_id for c in await sites.contacts_of(context.db, "lieu", site_id))
    if poll is None or site_id not in invited or not invited[site_id].invited or not (is_team or is_contact):
        await query.answer("Ce bouton n'est pas valable pour vous.", show_alert=True)
        return
    if other and other[2] in CANCEL_STEPS:
        if not is_contact:  # the site says it, not the team for it
            await query.answer("Ce bouton n'est pas valable pour vous.", show_alert=True)
            return
        await site_cancels(update, context, poll, invited[site_id], other[2])
        return
    if poll.state != "open":
        await query.answer("Ce sondage est clos : vos réponses ne peuvent plus changer.", show_alert=True)
        return
    if other and other[2] == "c" and is_contact:
        await query.answer()
        await dialogs.start(context.db, chat_id=query.message.chat_id, user_id=user_id, form="commentaire",
                            subject_id=None, position="comment", data=asdict(PollComment(poll.id, site_id)),
                            at=context.now_iso())
        await send(context, query.message.chat_id, "💬 Écrivez votre commentaire pour l'équipe (en un message), "
                                                   "ou « annuler » :")
        return
    slot_rows = await polls.slots(context.db, poll.id)
    slot_ids = {s.id for s in slot_rows}
    if answer is None or answer[2] not in slot_ids:
        await query.answer("Ce bouton n'est plus valable.", show_alert=True)
        return
    _, _, slot_id, code = answer
    value = ANSWER_CODES[code]
    await polls.answer(context.db, poll.id, slot_id, site_id, value, by=user_id, by_team=is_team,
                       at=context.now_iso(), cancel_reminders=relance_keys(poll.id, site_id))  # it answered
    text, markup = await site_poll_text(context.services, poll, site_id, for_team=is_team, slot_rows=slot_rows)

    async def show() -> None:
        try:
            await query.edit_message_text(fit_html(text), reply_markup=markup)
        except BadRequest:
            pass  # unchanged
        except TelegramError:  # the answer is kept and acknowledged: the message shows it at the next press
            log.warning("a site's poll message could not be edited", extra={"poll_id": poll.id})

    # the press acknowledged and its message showing the answer, in one round trip to Telegram rather than two
    await asyncio.gather(query.answer(f"{ANSWERS[value]} — enregistré"), show())
    if not is_team:
        # the site's other contacts see it too
        await update_site_messages(context.application, poll, site_id,
                                    besides=(query.message.chat_id, query.message.message_id))
    await touch_tally(context.application, poll)


@dataclass(frozen=True)
class PollComment:
    """The poll and site a contact's awaited comment is for."""

    poll: int
    site: int


COMMENT_LENGTH = 1000  # characters: a few lines in the tally, which the whole team reads
COMMENT = Wait("commentaire", "commentaire sur le sondage", "💬 J'attends votre commentaire, en un message.",
                            "✖️ Commentaire abandonné : rien n'a été transmis.")


async def on_outsider_text(update: Update, context: BotContext) -> None:
    """A site contact's typed message: their comment on a poll, if they asked to write one."""
    message = update.message
    pending = await dialogs.find_for_message(context.db, message.chat_id, update.effective_user.id, None)
    if pending is not None and pending.form == COMMENT.name and normalise(message.text) in ("annuler", "/annuler"):
        await message.reply_text(await dialog.cancel(context, pending))
        return
    if pending is None or pending.form != COMMENT.name:
        await message.reply_text("Je n'attends pas de message de votre part : pour une demande de disponibilité, "
                                 "répondez avec les boutons du message ; pour toute autre question, contactez "
                                 "directement l'équipe du CLS ou de la CPTS.")
        return
    refusal = too_long("un commentaire", message.text, COMMENT_LENGTH)
    if refusal:  # the comment is still awaited
        await message.reply_text(f"❗ {refusal} (ou « annuler »)")
        return
    awaited = state_of(pending, PollComment)
    poll = await polls.get(context.db, awaited.poll)
    await dialogs.finish(context.db, pending.id)
    if poll is None or poll.state != "open":
        await message.reply_text("Ce sondage est clos : votre commentaire n'a pas été enregistré.")
        return
    await polls.set_comment(context.db, poll.id, awaited.site, message.text)
    await message.reply_text("💬 Merci, votre commentaire est transmis à l'équipe.")
    await touch_tally(context.application, poll)


async def answered_by_link(app, poll: Poll, site_id: int) -> None:
    """A site answered from its web link: its contacts on Telegram see the answers, the group's tally too."""
    await update_site_messages(app, poll, site_id)
    await touch_tally(app, poll)
