"""The poll's messages already in the chats, kept showing what is stored: the draft, the group's tally (one edit
per burst of answers) and each site contact's poll."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.error import BadRequest, TelegramError

from delivery import engine
from delivery.services import Services
from domain.messages import fit_html
from handlers.common import send
from handlers.context import BotContext
from handlers.polls.views import draft_text, local, site_poll_text, tally_text, utc
from storage import polls
from storage.polls import Poll

TALLY_EVERY = timedelta(seconds=3)  # coalesce bursts of answers into one edit of the tally
TALLY_RETRY = timedelta(minutes=1)  # an edit of the tally that Telegram failed is made again this much later

log = logging.getLogger(__name__)


async def post_draft(context: BotContext, poll: Poll, intro: str | None = None) -> None:
    text, markup = await draft_text(context.services, poll)
    message = await send(context, poll.chat_id, f"{intro}\n\n{text}" if intro else text, markup)
    await polls.update(context.db, poll.id, draft_message_id=message.message_id)


async def refresh(context: BotContext, poll: Poll, intro: str | None = None) -> None:
    """Show the poll again where the team follows it, after a change."""
    poll = await polls.get(context.db, poll.id)
    if poll.state == "draft":
        await post_draft(context, poll, intro)
    else:
        if intro:
            await send(context, poll.chat_id, intro)
        await post_tally(context.application, poll)


async def resend_to_sites(context: BotContext, poll: Poll) -> None:
    """After a slot was added or the deadline moved: each contact's message shows the new poll."""
    for ps in await polls.poll_sites(context.db, poll.id):
        if ps.invited:
            await update_site_messages(context.application, poll, ps.site_id)


async def update_site_messages(app, poll: Poll, site_id: int, *, besides: tuple[int, int] | None = None) -> None:
    """Every message of the poll the site's contacts received shows its answers, but ``besides`` (already edited)."""
    services = engine.services_of(app)
    others = [m for m in await polls.messages(services.db, poll.id, site_id) if m != besides]
    if not others:
        return
    text, markup = await site_poll_text(services, await polls.get(services.db, poll.id), site_id)
    for chat_id, message_id in others:
        try:
            await app.bot.edit_message_text(fit_html(text), chat_id=chat_id, message_id=message_id, reply_markup=markup)
        except BadRequest:
            pass  # unchanged


async def post_tally(app, poll: Poll) -> None:
    services = engine.services_of(app)
    text, markup = await tally_text(services, poll)
    message = await app.bot.send_message(poll.chat_id, text, reply_markup=markup)
    await polls.update(services.db, poll.id, tally_message_id=message.message_id, tally_edited_at=services.clock.utc_iso(),
                       tally_due_at=None)


async def touch_tally(app, poll: Poll) -> None:
    """Edit the tally now, or later if it was edited a moment ago: bursts of answers make one edit."""
    services = engine.services_of(app)
    async with services.lock_for(("tally", poll.id)):
        poll = await polls.get(services.db, poll.id)
        now = services.clock.now()
        last = local(poll.tally_edited_at) if poll.tally_edited_at else None
        if last is None or now - last >= TALLY_EVERY:
            await _edit_tally_now(app, poll)
            return
        due = utc(last + TALLY_EVERY)
        if poll.tally_due_at is not None and poll.tally_due_at <= due:
            return  # already due: that edit will show this answer too
        # (a later due is a web answer's, for a restart: see tally_due_after_crash)
        await polls.update(services.db, poll.id, tally_due_at=due)
    await engine.reschedule(app)


# a web answer's tally edit waits a quiet moment in memory (web.app.FollowUps); the answer's transaction also makes
# the tally due this much later, which a restart finds if the bot stopped meanwhile
TALLY_AFTER_CRASH = timedelta(minutes=1)


def tally_due_after_crash(services: Services) -> str:
    return utc(services.clock.now() + TALLY_AFTER_CRASH)


async def edit_tally(app, poll: Poll) -> None:
    """Edit the tally with the answers as they stand, one edit of it at a time."""
    services = engine.services_of(app)
    async with services.lock_for(("tally", poll.id)):
        await _edit_tally_now(app, await polls.get(services.db, poll.id))


async def _edit_tally_now(app, poll: Poll) -> None:
    services = engine.services_of(app)
    await polls.update(services.db, poll.id, tally_due_at=None, tally_edited_at=services.clock.utc_iso())
    if poll.tally_message_id is None:
        return
    text, markup = await tally_text(services, poll)  # read under the lock: nothing rendered later lands before
    try:
        await app.bot.edit_message_text(fit_html(text), chat_id=poll.chat_id, message_id=poll.tally_message_id,
                                        reply_markup=markup)
    except BadRequest:
        pass
    except TelegramError:  # Telegram failing: the edit is due again, and the engine's hook makes it
        log.warning("the tally could not be edited", extra={"poll_id": poll.id})
        await polls.update(services.db, poll.id, tally_due_at=utc(services.clock.now() + TALLY_RETRY))
        await engine.reschedule(app)
