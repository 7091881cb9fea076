"""Reminders to the sites that have not answered, and the poll's closing (at the deadline, or early), with the
team's notice of the best slot."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram import Update
from telegram.error import TelegramError

from delivery import engine
from delivery.kinds import Hook, MessageKind
from delivery.services import Services
from domain import emails
from domain.dates import format_datetime
from domain.polls import best_slot, itinerary, tally
from domain.weblinks import poll_link_expiry
from handlers import mail
from handlers.common import esc, keyboard
from handlers.context import BotContext
from handlers.polls.live import edit_tally, update_site_messages
from handlers.polls.views import late_note, local, plan_lines, poll_state, stop_site, utc
from storage import candidates, polls, reminders, sites
from storage.polls import Poll

log = logging.getLogger(__name__)


async def close_now(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    notice = await close_poll(context.application, poll, early_by=context.actor.name)
    await update.callback_query.answer("Sondage clos" if notice else "Ce sondage vient d'être clos.")
    if notice:
        await engine.deliver_now(context.application, notice)  # the calls to make go next, woken by the engine


RELANCES = ("sondage_mi", "sondage_veille")  # halfway to the deadline, the day before it


async def plan_relances(app, poll: Poll) -> None:
    """Halfway to the deadline and the day before it, one reminder per contact of each invited site that has not
    answered yet."""
    services = engine.services_of(app)
    opened = local(poll.opened_at) if poll.opened_at else services.clock.now()
    deadline = local(poll.deadline)
    moments = {"sondage_mi": services.settings.hours.adjust(opened + (deadline - opened) / 2),
               "sondage_veille": services.settings.hours.adjust(deadline - timedelta(days=1))}
    # the deadline moved: the reminders planned for the old one go
    await reminders.cancel_pending(services.db, relance_keys(poll.id), at=services.clock.utc_iso(),
                                   unless_suffix=f":{deadline.strftime('%Y%m%d%H%M')}")
    answered = {site for (_, site) in await polls.answers(services.db, poll.id)}
    for ps in await polls.poll_sites(services.db, poll.id):
        if not ps.invited or ps.site_id in answered:
            continue
        site = await sites.get(services.db, ps.site_id)
        if site.contact_email and mail.mail_enabled(app):
            link = await mail.poll_link(app, poll, site.id)
            for kind, when in moments.items():
                if services.clock.now() < when < deadline:
                    await mail.queue(app, key=f"relance:{kind}:{poll.id}:{site.id}:{poll.deadline[:16]}", kind="relance",
                                     to=site.contact_email, draft=emails.poll_relance(site.name, format_datetime(deadline)),
                                     due=when, link_id=link.id, poll_id=poll.id, site_id=site.id, chat_id=poll.chat_id)
        for contact in await sites.contacts_of(services.db, "lieu", ps.site_id):
            for kind, when in moments.items():
                key = f"{kind}:{poll.id}:{ps.site_id}:{contact.user_id}:{deadline.strftime('%Y%m%d%H%M')}"
                if when > services.clock.now() and when < deadline and await reminders.by_key(services.db, key) is None:
                    await reminders.create(services.db, kind=kind, key=key, candidate_id=poll.candidate_id,
                                           poll_id=poll.id, site_id=ps.site_id, chat_id=contact.user_id,
                                           due_at=utc(when), exact=True, at=services.clock.utc_iso())


def relance_keys(poll_id: int, site_id: int | None = None) -> list[str]:
    """How the keys of a poll's reminders to silent sites (of one site) begin, as ``plan_relances`` makes them."""
    middle = f"{poll_id}:{site_id}:" if site_id is not None else f"{poll_id}:"
    return [f"{kind}:{middle}" for kind in RELANCES]



async def _render_relance(services: Services, r, now: datetime):
    poll_id, site_id = r.poll_id, r.site_id
    poll = await polls.get(services.db, poll_id)
    answered = any(site == site_id for (_, site) in await polls.answers(services.db, poll_id)) if poll else True
    if poll is None or poll.state != "open" or answered:
        return None  # they answered, or the poll is over: nothing to remind
    site = await sites.get(services.db, site_id)
    return (f"⏰ Petit rappel : la CPTS du Grand Lons attend les disponibilités de « {esc(site.name)} » pour une "
            f"visite, avant le <b>{format_datetime(local(poll.deadline))}</b>. Répondez avec les boutons du sondage "
            f"ci-dessus. Merci !"), None


async def close_poll(app, poll: Poll, *, early_by: str | None = None) -> int | None:
    """Close the poll: the silent sites become calls to make and the team's notice (the best slot, a draft day) is
    queued with the closing itself, for the engine to send and retry; the sites' messages and the tally then show
    it. The notice's id, for the caller to send at once (the deadline's hook leaves it to the dispatch it runs in);
    None if the poll was no longer open."""
    services = engine.services_of(app)
    db = services.db
    now = services.clock.now()
    candidate = await candidates.get(db, poll.candidate_id)
    _, poll_sites, site_rows, invited, answers = await poll_state(db, poll)
    answered = {site for (_, site) in answers}
    calls = [(f"appeler:{poll.id}:{site_id}:{utc(now)}",
              f"appeler « {site_rows[site_id].name} » ({site_rows[site_id].contact_phone or site_rows[site_id].contact_email or 'pas de contact'}) : "
              f"pas de réponse au sondage pour les visites de {candidate.full_name} (n° {candidate.id})")
             for site_id in invited if site_id not in answered]
    notice = await polls.close(db, poll, at=utc(now), links_expire_at=utc(poll_link_expiry(now)),
                               relances=relance_keys(poll.id), calls=calls, how=early_by or "")
    if notice is None:
        return None
    poll = await polls.get(db, poll.id)
    try:  # shown on what was already sent; what matters is stored, and the notice goes whatever happens here
        for ps in poll_sites:
            if ps.invited:
                await update_site_messages(app, poll, ps.site_id)
        await edit_tally(app, poll)
    except TelegramError:
        log.warning("the closed poll's messages could not all be edited", extra={"poll_id": poll.id})
    return notice


async def _render_closed(services: Services, r, now: datetime):
    """The team's notice of a closed poll: who did not answer, the best slot and a draft day, with the buttons to
    confirm it, choose another slot or reopen (``r.text``: who closed it early, or empty at the deadline)."""
    poll = await polls.get(services.db, r.poll_id)
    if poll is None or poll.state != "closed" or poll.closed_at != r.created_at:
        return None  # reopened (or planned) meanwhile: this notice no longer applies
    candidate = await candidates.get(services.db, poll.candidate_id)
    slot_objs, _, site_rows, invited, answers = await poll_state(services.db, poll)
    answered = {site for (_, site) in answers}
    silent = [site_rows[s] for s in invited if s not in answered]
    plain = {k: v.answer for k, v in answers.items()}
    best = best_slot(tally(slot_objs, invited, plain))
    how = f"clos par {r.text}" if r.text else "clos à l'échéance"
    lines = [f"🔒 <b>Sondage {esc(how)} — {esc(candidate.full_name)} (n° {candidate.id})</b>"]
    if silent:
        lines.append(f"Sans réponse : {esc(', '.join(s.name for s in silent))} (un rappel « appeler » est créé pour chacun).")
    cb = f"q:{poll.id}:"
    if best is None:
        lines.append("Aucun créneau ne convient à un lieu. Ajoutez des créneaux (« ⏳ Rouvrir ») ou préparez un "
                     f"nouveau sondage (/sondage {candidate.id}).")
        markup = keyboard([[("⏳ Rouvrir et prolonger", f"{cb}reopen")]])
    else:
        available = [site_rows[s] for s in invited if plain.get((best.slot.id, s)) in ("oui", "si_besoin")]
        plan = itinerary(best.slot.day, best.slot.part, [stop_site(s) for s in available])
        lines += ["", f"Meilleur créneau : <b>{best.slot.label}</b> — ✅ {len(best.yes)} · 🟡 {len(best.maybe)} · ❌ {len(best.no)}",
                  "", "<b>Proposition de journée</b>", *(plan_lines(plan))]
        markup = keyboard([[(f"✅ Confirmer le {best.slot.label}"[:40], f"{cb}ok:{best.slot.id}")],
                           [("📅 Choisir un autre créneau", f"{cb}pick"), ("⏳ Rouvrir et prolonger", f"{cb}reopen")]])
    return "\n".join(lines) + late_note(r, now, "Clos"), markup


async def _deadline_hook_due(services: Services) -> str | None:
    return await polls.next_due(services.db)


async def _deadline_hook_run(app, now: datetime) -> None:
    services = engine.services_of(app)
    for poll in await polls.open_past_deadline(services.db, utc(now)):
        await close_poll(app, poll)
    for poll in await polls.tallies_due(services.db, utc(now)):
        await edit_tally(app, poll)


async def relances_of_open_polls(app) -> None:
    """At start: every open poll has its relances (sending one plans them after its transaction: a stop in
    between left them out); planning them again changes nothing that exists."""
    for poll in await polls.open_ones(engine.services_of(app).db):
        await plan_relances(app, poll)


DEADLINES = Hook(next_due=_deadline_hook_due, run=_deadline_hook_run)  # polls closing, tallies to edit


KINDS = (*(MessageKind(kind, _render_relance) for kind in RELANCES), MessageKind("sondage_clos", _render_closed))
