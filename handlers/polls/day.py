"""The visit day: the team confirms a slot (its plan and .ics, each site's confirmation, the élus' draft), and a
site that can no longer host the visit says so, or the team notes it for them."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from telegram import Update
from telegram.error import BadRequest

from delivery import engine
from delivery.kinds import MessageKind
from delivery.services import Services
from domain import emails
from domain.candidates import profession_label
from domain.dates import format_date, format_time
from domain.messages import fit_html
from domain.pipeline import Status, check_transition
from domain.polls import Slot, ics, itinerary, tally
from handlers import croisement, mail
from handlers.common import after_change, edit_markup, esc, keyboard
from handlers.context import BotContext
from handlers.polls.views import late_note, local, plan_lines, poll_state, site_unreachable, stop_site, utc
from storage import candidates, polls, reminders, sites, visits
from storage.polls import Poll, PollSite


async def day_plan(db, poll: Poll, slot_id: int | None):
    """The slot, and the day's itinerary through the sites that can host on it (yes, or if need be): None when
    none can; with every site's row."""
    slot_objs, _, site_rows, invited, answers = await poll_state(db, poll)
    slot = next((s for s in slot_objs if s.id == slot_id), None)
    plain = {k: v.answer for k, v in answers.items()}
    available = [site_rows[s] for s in invited if slot and plain.get((slot.id, s)) in ("oui", "si_besoin")]
    if not available:
        return slot, None, site_rows
    return slot, itinerary(slot.day, slot.part, [stop_site(s) for s in available]), site_rows


async def days_to_pick(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    query = update.callback_query
    await query.answer()
    plain = {k: v.answer for k, v in (await polls.answers(context.db, poll.id)).items()}
    _, _, _, invited, _ = await poll_state(context.db, poll)
    rows = [[(f"{t.slot.label} ✅{len(t.yes)} 🟡{len(t.maybe)}", f"q:{poll.id}:ok:{t.slot.id}")]
            for t in tally([Slot(s.id, s.day, s.part) for s in await polls.slots(context.db, poll.id)], invited, plain)
            if t.yes or t.maybe]
    await edit_markup(query, keyboard(rows) if rows else None)


async def confirm_day(update: Update, context: BotContext, poll: Poll, slot_id: int) -> None:
    """The team confirms a slot: the day is planned and, in the same transaction, the team's plan with its .ics,
    each site's confirmation (Telegram, e-mail) queued, sent at once and retried; then the élus' draft."""
    query = update.callback_query
    app, db = context.application, context.db
    slot, plan, site_rows = await day_plan(db, poll, slot_id)
    if plan is None:
        await query.answer("Aucun lieu n'est disponible sur ce créneau.", show_alert=True)
        return
    candidate = await candidates.get(db, poll.candidate_id)
    status = Status(candidate.status)
    if status is Status.CROISEMENT:
        check_transition(status, Status.VISITES_PLANIFIEES)
    at, what = context.now_iso(), profession_label(candidate).lower()
    visiting = [stop for stop in plan if stop.site]
    keys = [f"journee:{poll.id}:{at}"]
    tell = [reminders.create_statement(kind="journee", key=keys[0], once=True, candidate_id=candidate.id,
                                       poll_id=poll.id, chat_id=poll.chat_id, due_at=at, exact=True, at=at)]
    for stop in visiting:
        site = site_rows[stop.site.id]
        if site.contact_email and mail.mail_enabled(app):
            link = await mail.poll_link(app, poll, site.id)
            tell.append(mail.queue_statement(
                app, key=f"confirmation:{poll.id}:{site.id}:{slot.id}", kind="confirmation", to=site.contact_email,
                link_id=link.id, poll_id=poll.id, site_id=site.id, chat_id=poll.chat_id,
                draft=emails.visit_confirmation(site.name, format_date(slot.day), format_time(stop.starts),
                                                format_time(stop.ends), what,
                                                ics([stop], candidate_id=candidate.id, what=what))))
        for contact in await sites.contacts_of(db, "lieu", site.id):
            keys.append(f"visite_confirmee:{poll.id}:{site.id}:{contact.user_id}")
            tell.append(reminders.create_statement(kind="visite_confirmee", key=keys[-1], once=True, text=contact.name,
                                                   candidate_id=candidate.id, poll_id=poll.id, site_id=site.id,
                                                   chat_id=contact.user_id, due_at=at, exact=True, at=at))
    keys.append(f"elus_projet:{poll.id}:{at}")  # the élus' draft, last
    tell.append(reminders.create_statement(kind="elus_projet", key=keys[-1], once=True, candidate_id=candidate.id,
                                           poll_id=poll.id, chat_id=poll.chat_id, text=f"le {format_date(slot.day)}", due_at=at,
                                           exact=True, at=at, created_by=context.actor.user_id))
    names = [stop.site.name for stop in visiting]
    planned = await polls.plan_day(
        db, poll, slot.id, stops=[(stop.site.id, utc(stop.starts), utc(stop.ends)) for stop in visiting],
        day=slot.day.isoformat(), site_names=names, by=context.actor.user_id, at=at,
        detail=f"Visites confirmées le {format_date(slot.day)} : {', '.join(names)}",
        status=Status.VISITES_PLANIFIEES if status is Status.CROISEMENT else None, tell=tell)
    if not planned:
        await query.answer("La journée vient d'être confirmée.", show_alert=True)  # two members at once
        return
    await query.answer("Journée confirmée")
    await edit_markup(query, None)
    await after_change(context, candidate.id)
    await engine.deliver_now(app, *await reminders.ids_of(db, keys))  # the e-mails go once the engine wakes


async def _render_day(services: Services, r, now: datetime):
    """The team's plan of a confirmed day (after its .ics), and whom to tell by hand; None if no longer planned."""
    poll = await polls.get(services.db, r.poll_id)
    if poll is None or poll.state != "planned":
        return None
    slot, plan, site_rows = await day_plan(services.db, poll, poll.chosen_slot_id)
    if plan is None:
        return None
    candidate = await candidates.get(services.db, poll.candidate_id)
    lines = [f"🚗 <b>Journée de visites — {esc(candidate.full_name)}, {format_date(slot.day)}</b>", *plan_lines(plan)]
    on_telegram = await sites.contact_targets(services.db, "lieu")
    by_hand = [stop for stop in plan if stop.site and stop.site.id not in on_telegram
               and not (site_rows[stop.site.id].contact_email and mail.sends_mail(services.settings))]
    if by_hand:
        lines += ["", "📞 À prévenir par téléphone ou e-mail :", *(
            f"• {esc(stop.site.name)} : {format_time(stop.starts)}–{format_time(stop.ends)}" for stop in by_hand)]
    lines += ["", "📎 Le fichier ci-dessus ajoute la journée à vos agendas."]
    calendar = ics(plan, candidate_id=candidate.id, what=profession_label(candidate).lower())
    return ("\n".join(lines) + late_note(r, now, "Confirmée"), plan_keyboard(poll.id),
            [("document", f"visites-{slot.day.isoformat()}.ics", calendar)])


async def _render_site_confirmation(services: Services, r, now: datetime):
    """A site contact's confirmation of its visit, with the button to say it can no longer host it; None once
    it said so (or the day is no longer planned)."""
    poll = await polls.get(services.db, r.poll_id)
    stop = next((s for s in await polls.stops(services.db, poll.candidate_id) if s[0] == r.site_id), None) if poll else None
    if poll is None or poll.state != "planned" or stop is None or stop[3]:
        return None
    site, candidate = await sites.get(services.db, r.site_id), await candidates.get(services.db, poll.candidate_id)
    starts, ends = local(stop[1]), local(stop[2])
    return (f"✅ <b>Visite confirmée</b> à « {esc(site.name)} » le <b>{format_date(starts.date())}</b>, de "
            f"{format_time(starts)} à {format_time(ends)} : un·e {esc(profession_label(candidate).lower())} accompagné·e "
            f"par la CPTS du Grand Lons et le CLS du Pays Lédonien. Merci !", cannot_host_keyboard(poll.id, site.id))


async def _render_elus_draft(services: Services, r, now: datetime):
    """The élus' draft for a confirmed day (``r.text``: the period it names), drafted once however often sent."""
    poll = await polls.get(services.db, r.poll_id)
    if poll is None or poll.state != "planned":
        return None
    chosen = set(await hosting(services.db, poll))
    candidate = await candidates.get(services.db, poll.candidate_id)
    return await croisement.notice_draft(services, candidate, chosen, period=r.text, by=r.created_by,
                                     once=f"elus:projet:{r.id}")




# "we can no longer host the visit": asked (x), confirmed (X), taken back (k); it cancels the site's visit and alerts
# the team, so a press on a phone is confirmed first
CANCEL_STEPS = ("x", "X", "k")


def cannot_host_keyboard(poll_id: int, site_id: int, *, asked: bool = False):
    """Under a site's visit confirmation: the one button, or once pressed, its confirmation."""
    if not asked:
        return keyboard([[("🚫 Nous ne pouvons plus recevoir la visite", f"p:{poll_id}:{site_id}:x")]])
    return keyboard([[("🚫 Oui, nous ne pouvons plus la recevoir", f"p:{poll_id}:{site_id}:X")],
                     [("↩️ Non, nous la recevons", f"p:{poll_id}:{site_id}:k")]])


async def site_cancels(update: Update, context: BotContext, poll: Poll, invited: PollSite, step: str) -> None:
    """A site's press on "we can no longer host the visit": each step one edit of its message."""
    query = update.callback_query
    site_id = invited.site_id
    if poll.state != "planned":
        await query.answer("Aucune visite n'est prévue par ce sondage : rien à annuler.", show_alert=True)
        return
    if invited.cancelled:
        await query.answer("C'est déjà noté.", show_alert=True)
        return
    if step != "X":
        asked = step == "x"
        await asyncio.gather(
            query.answer("Confirmez avec le bouton ci-dessous : l'équipe sera prévenue." if asked
                         else "Très bien, la visite est maintenue."),
            edit_markup(query, cannot_host_keyboard(poll.id, site_id, asked=asked)))
        return
    alert = await note_cannot_host(context.application, poll, site_id, by=update.effective_user.id)
    if alert is None:
        await query.answer("C'est déjà noté.", show_alert=True)  # pressed twice at once
        return
    await query.answer("C'est noté, l'équipe est prévenue.")
    try:
        await query.edit_message_text(fit_html(f"{query.message.text_html}\n\n🚫 Vous avez indiqué ne plus pouvoir "
                                               "recevoir cette visite. L'équipe est prévenue, merci."), reply_markup=None)
    except BadRequest:
        pass
    await engine.deliver_now(context.application, alert)


async def note_cannot_host(app, poll: Poll, site_id: int, *, by: int, how: str = "") -> int | None:
    """A site says it can no longer host the confirmed visit (on Telegram or from its link): noted once, with the
    team's alert queued, which the caller sends once it has answered the site (``engine.deliver_now``) and the
    engine retries until Telegram takes it. The alert's id; None if the visit is not planned or it was already
    noted."""
    services = engine.services_of(app)
    if poll.state != "planned":
        return None
    site = await sites.get(services.db, site_id)
    return await polls.cancel_site(services.db, poll, site_id, by=by, at=services.clock.utc_iso(),
                                   detail=f"« {site.name} » ne peut plus recevoir la visite{how}", alert_text=how)


async def _render_cancelled_visit(services: Services, r, now: datetime):
    """The team's alert that a site can no longer host the visit (``r.text``: how it was said)."""
    poll, site = await polls.get(services.db, r.poll_id), await sites.get(services.db, r.site_id)
    candidate = await candidates.get(services.db, r.candidate_id)
    if poll is None or site is None or candidate is None:
        return None
    visit = await visits.visit(services.db, candidate.id)
    day = format_date(date.fromisoformat(visit.day)) if visit else "prévue"
    return (f"⚠️ <b>« {esc(site.name)} » ne peut plus recevoir la visite</b>{esc(r.text)} de {esc(candidate.full_name)} "
            f"(n° {candidate.id}) du {day}. Replanifiez si besoin : /sondage_cloner {poll.id} {candidate.id} pour un "
            f"nouveau sondage.{late_note(r, now, 'Signalé')}"), None


# the team notes for a site, under the day's plan, that it can no longer host the visit (it phoned, it wrote)

def plan_keyboard(poll_id: int):
    """Under the team's plan of a confirmed day: for a site that calls to say it can no longer host the visit."""
    return keyboard([[("🚫 Un lieu ne peut plus recevoir la visite", f"q:{poll_id}:gone")]])


async def hosting(db, poll: Poll) -> list[int]:
    """The sites still to visit on the confirmed day (not those that can no longer host it)."""
    return [site for site, _, _, cancelled in await polls.stops(db, poll.candidate_id) if not cancelled]


async def sites_gone(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    """Which site called: one button per site still to visit, in place of the plan's button."""
    query = update.callback_query
    rows = [[(f"🚫 {(await sites.get(context.db, site_id)).name}"[:40], f"q:{poll.id}:gone:{site_id}")]
            for site_id in await hosting(context.db, poll)]
    await asyncio.gather(query.answer("Quel lieu ne peut plus recevoir la visite ?"),
                         edit_markup(query, keyboard(rows + [[("⬅️ Retour", f"q:{poll.id}:plan")]])))


async def site_gone(update: Update, context: BotContext, poll: Poll, site_id: int | None) -> None:
    """The team is about to note for a site that it can no longer host: confirmed first, like the site's own."""
    query = update.callback_query
    if site_id not in await hosting(context.db, poll):
        await query.answer("C'est déjà noté, ou ce lieu n'est pas dans la journée.", show_alert=True)
        return
    name = (await sites.get(context.db, site_id)).name
    await asyncio.gather(query.answer(f"Confirmez pour « {name} » : la visite y sera annulée et l'équipe prévenue."[:190]),
                         edit_markup(query, keyboard([[(f"🚫 Oui, {name}"[:40], f"q:{poll.id}:goneok:{site_id}")],
                                                      [("↩️ Non, retour", f"q:{poll.id}:plan")]])))


async def site_gone_confirmed(update: Update, context: BotContext, poll: Poll, site_id: int | None) -> None:
    """A site told the team (by phone, by e-mail) it can no longer host: noted as if it said so itself."""
    query = update.callback_query
    alert = None
    if site_id in await hosting(context.db, poll):
        alert = await note_cannot_host(context.application, poll, site_id, by=context.actor.user_id,
                                       how=f" (signalé à l'équipe, noté par {context.actor.name})")
    if alert is None:
        await query.answer("C'est déjà noté, ou ce lieu n'est pas dans la journée.", show_alert=True)
        return
    await asyncio.gather(query.answer("C'est noté."), edit_markup(query, plan_keyboard(poll.id)))
    await engine.deliver_now(context.application, alert)


async def plan_back(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    await asyncio.gather(update.callback_query.answer(), edit_markup(update.callback_query, plan_keyboard(poll.id)))


KINDS = (
    MessageKind("journee", _render_day),  # the team's plan of the day, with its .ics
    MessageKind("visite_confirmee", _render_site_confirmation, refused=site_unreachable),
    MessageKind("elus_projet", _render_elus_draft),
    MessageKind("visite_annulee", _render_cancelled_visit),
)
