"""Sending a poll: one transaction opens it and queues the group's tally, each contact's poll, the e-mails and the
team's note, which the reminder engine renders and retries."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from telegram import Update

from delivery import engine
from delivery.kinds import MessageKind
from delivery.services import Services
from handlers import mail
from handlers.common import esc, send
from handlers.context import BotContext
from handlers.polls.closing import plan_relances
from handlers.polls.live import post_draft
from handlers.polls.views import invitation_draft, site_poll_text, site_unreachable, tally_text, utc, what_is_asked
from storage import candidates, polls, reminders, sites, weblinks
from storage.polls import Poll


async def send_poll(update: Update, context: BotContext, poll: Poll) -> bool:
    """Open the poll, in one transaction with what tells of it, queued: the group's tally, each site contact's
    poll, the sites' e-mails and the team's note of who is reached how; all go at once and are retried. False if
    there was nothing to send, or it was sent already (two presses at once)."""
    app, db = context.application, context.db
    slots = await polls.slots(db, poll.id)
    invited = [await sites.get(db, ps.site_id) for ps in await polls.poll_sites(db, poll.id) if ps.invited]
    if not slots or not invited:
        await send(context, poll.chat_id, "Il faut au moins un créneau et un lieu interrogé pour envoyer le sondage.")
        await post_draft(context, poll)
        return False
    candidate = await candidates.get(db, poll.candidate_id)
    at, asked = context.now_iso(), await what_is_asked(db, candidate)
    sent = dataclasses.replace(poll, asked=asked, state="open")  # as the e-mails describe it
    keys = [f"sondage_tableau:{poll.id}"]
    tell = [reminders.create_statement(kind="sondage_tableau", key=keys[0], once=True, candidate_id=candidate.id,
                                       poll_id=poll.id, chat_id=poll.chat_id, due_at=at, exact=True, at=at)]
    for site in invited:
        for contact in await sites.contacts_of(db, "lieu", site.id):
            keys.append(f"sondage_lieu:{poll.id}:{site.id}:{contact.user_id}")
            tell.append(reminders.create_statement(kind="sondage_lieu", key=keys[-1], once=True, text=contact.name,
                                                   candidate_id=candidate.id, poll_id=poll.id, site_id=site.id,
                                                   chat_id=contact.user_id, due_at=at, exact=True, at=at))
        if site.contact_email and mail.mail_enabled(app):
            link = await mail.poll_link(app, poll, site.id)
            tell.append(mail.queue_statement(app, key=f"invitation:{poll.id}:{site.id}", kind="invitation",
                                             to=site.contact_email, draft=await invitation_draft(context.services, sent, site),
                                             link_id=link.id, poll_id=poll.id, site_id=site.id, chat_id=poll.chat_id))
    keys.append(f"sondage_envoye:{poll.id}")
    tell.append(reminders.create_statement(kind="sondage_envoye", key=keys[-1], once=True, candidate_id=candidate.id,
                                           poll_id=poll.id, chat_id=poll.chat_id, due_at=at, exact=True, at=at))
    if not await polls.open_poll(db, poll, at=at, asked=asked, by=context.actor.user_id,
                                 detail=f"Sondage de disponibilité envoyé à {len(invited)} lieu(x)", tell=tell):
        return False
    poll = await polls.get(db, poll.id)
    await plan_relances(app, poll)
    await engine.deliver_now(app, *await reminders.ids_of(db, keys))  # the e-mails go once the engine wakes
    await engine.reschedule(app)
    return True


async def _render_tally(services: Services, r, now: datetime):
    """The group's tally of a poll just sent, which the answers then edit in place."""
    poll = await polls.get(services.db, r.poll_id)
    return None if poll is None or poll.state in ("draft", "dropped") else await tally_text(services, poll)


def _tally_sent(r, message_id: int, at: str) -> list[tuple[str, tuple]]:
    return [polls.tally_message_statement(r.poll_id, message_id, at=at)]


async def _render_site_poll(services: Services, r, now: datetime):
    """A site contact's poll, with the buttons to answer; None once the poll is no longer open."""
    poll = await polls.get(services.db, r.poll_id)
    return None if poll is None or poll.state != "open" else await site_poll_text(services, poll, r.site_id)


def _site_poll_sent(r, message_id: int, at: str) -> list[tuple[str, tuple]]:
    return [polls.save_message_statement(r.poll_id, r.site_id, r.chat_id, message_id)]


async def _render_reached(services: Services, r, now: datetime):
    """The team's note of a poll just sent: the sites invited by e-mail; without SMTP, each site's text and
    personal link to send from the team's mailbox (a link minted as the note goes, so that none waits in the
    database); the sites left to call."""
    poll = await polls.get(services.db, r.poll_id)
    if poll is None or poll.state in ("draft", "dropped"):
        return None
    invited = [await sites.get(services.db, ps.site_id) for ps in await polls.poll_sites(services.db, poll.id) if ps.invited]
    on_telegram = {s.id for s in invited} & await sites.contact_targets(services.db, "lieu")
    linked, emailing = bool(services.settings.public_url), mail.sends_mail(services.settings)
    emailed = [s for s in invited if linked and emailing and s.contact_email]
    pasted = [s for s in invited if linked and not emailing and s.id not in on_telegram]
    by_hand = [s for s in invited if s.id not in on_telegram and s not in emailed and s not in pasted]
    lines = []
    if emailed:
        lines.append(f"✉️ Invitation envoyée par e-mail, avec un lien personnel, à : {esc(', '.join(s.name for s in emailed))}.")
    if pasted:
        blocks = []
        for site in pasted:
            link = await weblinks.ensure(services.db, purpose="sondage", poll_id=poll.id, site_id=site.id, at=utc(now))
            blocks.append(mail.ready_to_paste(site.name, site.contact_email or site.contact_phone,
                                              await invitation_draft(services, poll, site),
                                              await mail.mint_link_for(services, link.id)))
        lines.append("📋 Pas d'envoi d'e-mail configuré : envoyez ces messages depuis votre messagerie (chaque lien est "
                     "personnel à son lieu ; sa réponse arrivera ici comme les autres).\n\n" + "\n\n".join(blocks))
    if by_hand:
        lines.append("📞 Ces lieux ne sont pas sur Telegram : prenez leurs disponibilités par téléphone ou e-mail, puis "
                     "« ✍️ Saisir une réponse » :\n" + "\n".join(
                         f"• {esc(s.name)} — {esc(s.contact_phone or s.contact_email or 'pas de contact')}" for s in by_hand))
    return ("\n\n".join(lines), None) if lines else None


KINDS = (
    MessageKind("sondage_tableau", _render_tally, sent=_tally_sent),  # the group's tally, edited as sites answer
    MessageKind("sondage_lieu", _render_site_poll, sent=_site_poll_sent, refused=site_unreachable),
    MessageKind("sondage_envoye", _render_reached),  # whom the team must reach how
)
