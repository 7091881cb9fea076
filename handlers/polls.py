"""Availability polls instead of framadate, and the visit day they lead to (steps C–D).

The team prepares a poll from the croisement (slots from the interview's availabilities, the sites chosen, a
deadline), sends it; each site contact answers in private, one line per slot. One tally message in the team group
is edited in place, at most every few seconds however many answers arrive. Sites that have not answered are
reminded halfway and the day before the deadline; at the deadline the poll closes by itself and silent sites
become calls for the team. The best slot gives a draft itinerary; once the team confirms, sites get their time,
the team the day's plan and an .ics file, the élus a draft notice, and the candidate is "visites planifiées".

Callback data, never trusted:
  ``q:<poll>:<action>[:<n>]``             the team's buttons (draft, tally, results)
  ``p:<poll>:<site>:<slot>:<o|s|n>``      an answer for a site (its contact, or a team member entering it)
  ``p:<poll>:<site>:c`` / ``p:<poll>:<site>:x``   a comment; the site can no longer host the visit
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from telegram import Update
from telegram.error import BadRequest, TelegramError

from bot import emails, texts
from bot.callbacks import read
from bot.candidates import profession_label
from bot.context import BotContext, Services
from bot.dates import PARIS, format_date, format_datetime, format_time, normalise, parse_availability
from bot.forms import Form, InvalidAnswer, Kind, Question, availability_of, too_long
from bot.interview import INTERVIEW
from bot.messages import fit_html
from bot.pipeline import Status, check_transition
from bot.polls import (
    ANSWERS,
    Slot,
    StopSite,
    best_slot,
    default_deadline,
    ics,
    itinerary,
    next_working_days,
    part_of,
    slot_label,
    slots_from,
    tally,
)
from bot.weblinks import poll_link_expiry
from handlers import candidates as step_a
from handlers import croisement as step_c
from handlers import dialog as dialog_engine
from handlers import mail
from handlers import reminders as engine
from handlers.common import edit_markup, esc, keyboard, pressed_card, reply, send
from handlers.dialog import AnswerSet, Flow, Wait, begin, register, register_wait
from storage import candidates, dialogs, interviews, polls, reminders, sites, visits, weblinks
from storage.dialogs import Dialog
from storage.polls import Poll, PollSite

TALLY_EVERY = timedelta(seconds=3)  # coalesce bursts of answers into one edit of the tally
TALLY_RETRY = timedelta(minutes=1)  # an edit of the tally that Telegram failed is made again this much later
ANSWER_CODES = {"o": "oui", "s": "si_besoin", "n": "non"}

log = logging.getLogger(__name__)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _local(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(PARIS)


async def _answers_of(context: BotContext, candidate_id: int) -> dict:  # the interview's answers
    return {a.question: a.value for a in await interviews.answers(context.db, candidate_id) if not a.skipped}


async def what_is_asked(db, candidate) -> str:
    """The poll's description for sites: profession, kind of project, period; nothing personal."""
    answers = {a.question: a.value for a in await interviews.answers(db, candidate.id) if not a.skipped}
    bits = []
    if answers.get("exercice") in ("isole", "regroupe"):
        bits.append("exercice " + ("isolé" if answers["exercice"] == "isole" else "regroupé"))
    if answers.get("modes"):
        modes = INTERVIEW.question("modes")
        bits.append(", ".join(modes.option_label(m).lower() for m in answers["modes"]))
    if answers.get("calendrier"):
        bits.append("installation à " + INTERVIEW.question("calendrier").option_label(answers["calendrier"]).split(" (")[0].lower())
    details = f" ({', '.join(bits)})" if bits else ""
    return f"Un·e {profession_label(candidate).lower()}{details} souhaite visiter votre lieu d'exercice."


async def told_sites(db, poll: Poll) -> str:
    """What the sites were told: kept with the poll when it was sent."""
    if poll.asked is not None:
        return poll.asked

    async def asked() -> str:
        return await what_is_asked(db, await candidates.get(db, poll.candidate_id))
    # a poll sent before the text was kept: made again, once (a site's every press does not read the interview)
    return await db.remembered(f"sondage-demande:{poll.id}", asked)


# --- texts and keyboards ----------------------------------------------------------------------------------

async def _state(db, poll: Poll):
    slot_rows = await polls.slots(db, poll.id)
    slot_objs = [Slot(s.id, s.day, s.part) for s in slot_rows]
    poll_sites = await polls.sites(db, poll.id)
    site_rows = {s.id: s for s in await sites.all_sites(db)}
    invited = {ps.site_id: site_rows[ps.site_id].name for ps in poll_sites if ps.invited and ps.site_id in site_rows}
    answers = await polls.answers(db, poll.id)
    return slot_objs, poll_sites, site_rows, invited, answers


async def draft_text(services: Services, poll: Poll) -> tuple[str, object]:
    db = services.db
    candidate = await candidates.get(db, poll.candidate_id)
    slot_objs, poll_sites, site_rows, _, _ = await _state(db, poll)
    lines = [f"📅 <b>Sondage de disponibilité — {esc(candidate.full_name)} (n° {candidate.id})</b> · brouillon", "",
             f"Ce que liront les lieux : <i>{esc(await what_is_asked(db, candidate))}</i>", "",
             f"<b>Créneaux</b> ({len(slot_objs)})"]
    lines += [f"{i}. {s.label}" for i, s in enumerate(slot_objs, start=1)] or ["Aucun : ajoutez-en."]
    lines += ["", "<b>Lieux interrogés</b>"]
    for ps in poll_sites:
        site = site_rows[ps.site_id]
        if await sites.contacts_of(db, "lieu", site.id):
            reach = "sur Telegram" + (" et par e-mail" if site.contact_email and services.settings.smtp_host else "")
        elif site.contact_email and services.settings.public_url:
            reach = ("pas sur Telegram : lien personnel par e-mail" if services.settings.smtp_host
                     else "pas sur Telegram : lien personnel, texte à envoyer fourni")
        else:
            reach = "pas sur Telegram : réponse à saisir par l'équipe"
        lines.append(f"{'✅' if ps.invited else '▫️'} {esc(site.name)} ({reach})")
    lines += ["", f"Réponse attendue avant le <b>{format_datetime(_local(poll.deadline))}</b>"]
    cb = f"q:{poll.id}:"
    markup = keyboard([[("➕ Ajouter un créneau", f"{cb}add"), ("➖ Retirer un créneau", f"{cb}rm")],
                       [("🏥 Lieux", f"{cb}sites"), ("⏳ Échéance", f"{cb}dl")],
                       [("📤 Envoyer le sondage", f"{cb}send"), ("✖️ Abandonner", f"{cb}drop")]])
    return "\n".join(lines), markup


async def tally_text(services: Services, poll: Poll) -> tuple[str, object]:
    db = services.db
    candidate = await candidates.get(db, poll.candidate_id)
    slot_objs, poll_sites, site_rows, invited, answers = await _state(db, poll)
    plain = {k: v.answer for k, v in answers.items()}
    state = ("ouvert jusqu'au " + format_datetime(_local(poll.deadline))) if poll.state == "open" else "clos"
    lines = [f"📊 <b>Sondage — {esc(candidate.full_name)} (n° {candidate.id})</b> · {state}", ""]
    for t in tally(slot_objs, invited, plain):
        line = f"<b>{t.slot.label}</b> : ✅ {len(t.yes)} · 🟡 {len(t.maybe)} · ❌ {len(t.no)}"
        if t.silent:
            line += f" — sans réponse : {esc(', '.join(t.silent))}"
        lines.append(line)
    lines += ["", "<b>Réponses</b>"]
    team = services.team
    for site_id, name in invited.items():
        theirs = [a for (slot, site), a in answers.items() if site == site_id]
        if not theirs:
            lines.append(f"• {esc(name)} : pas encore")
            continue
        last = max(theirs, key=lambda a: a.at)
        if last.channel == "web":
            who = f"{last.by_name or 'sans nom'} (lien web)"
        elif last.by_team:
            who = f"saisi par {team.name(last.by_user)} (téléphone ou e-mail)"
        else:
            who = f"{await _contact_name(db, site_id, last.by_user)} (Telegram)"
        lines.append(f"• {esc(name)} : {esc(who)}, le {_local(last.at).strftime('%d/%m %H:%M')}")
    for ps in poll_sites:
        if ps.comment and ps.site_id in invited:
            lines.append(f"💬 {esc(invited[ps.site_id])} : « {esc(ps.comment)} »")
    cb = f"q:{poll.id}:"
    if poll.state == "open":
        markup = keyboard([[("🔒 Clore maintenant", f"{cb}close"), ("⏳ Prolonger", f"{cb}dl")],
                           [("➕ Ajouter un créneau", f"{cb}add"), ("✍️ Saisir une réponse", f"{cb}enter")]])
    else:
        markup = None
    return "\n".join(lines), markup


async def _contact_name(db, site_id: int, user_id: int) -> str:
    for contact in await sites.contacts_of(db, "lieu", site_id):
        if contact.user_id == user_id:
            return contact.name
    return "un contact du lieu"


async def site_poll_text(services: Services, poll: Poll, site_id: int, *, for_team: bool = False,
                         slot_rows: list | None = None) -> tuple[str, object]:
    """The poll as a site (or a team member entering its answer) sees it: one line per slot, current answers."""
    db = services.db
    description = await told_sites(db, poll)
    site = await sites.get(db, site_id)
    slot_objs = [Slot(s.id, s.day, s.part) for s in slot_rows or await polls.slots(db, poll.id)]
    answers = await polls.answers(db, poll.id)
    head = (f"✍️ <b>Réponse de « {esc(site.name)} » saisie par l'équipe</b> (prise par téléphone ou e-mail)"
            if for_team else f"📅 <b>Demande de disponibilité — {esc(site.name)}</b>")
    lines = [head, "", esc(description),
             "La CPTS du Grand Lons et le CLS du Pays Lédonien organisent les visites. Quels créneaux vous conviennent ?",
             f"Réponse attendue avant le <b>{format_datetime(_local(poll.deadline))}</b> ; vous pouvez changer vos "
             f"réponses jusque-là.", ""]
    rows = []
    for slot in slot_objs:
        current = answers.get((slot.id, site_id))
        lines.append(f"{slot.label} : {ANSWERS[current.answer] if current else '—'}")
        cb = f"p:{poll.id}:{site_id}:{slot.id}:"
        mark = lambda code: "● " if current and current.answer == ANSWER_CODES[code] else ""  # noqa: E731
        short = f"{slot.day.day}/{slot.day.month:02d}"
        rows.append([(f"{mark('o')}✅ {short}", f"{cb}o"), (f"{mark('s')}🟡 {short}", f"{cb}s"),
                     (f"{mark('n')}❌ {short}", f"{cb}n")])
    if not for_team:
        rows.append([("💬 Ajouter un commentaire", f"p:{poll.id}:{site_id}:c")])
    if poll.state != "open":
        lines += ["", "🔒 Ce sondage est clos. Merci !"]
        rows = []
    return "\n".join(lines), keyboard(rows)


# --- the team: /sondage N and the draft --------------------------------------------------------------------

async def start_poll(update: Update, context: BotContext) -> None:
    """/sondage N: prepare the availability poll of the sites chosen at the croisement."""
    candidate = await step_a.numbered_candidate(update, context, "sondage")
    if candidate is None:
        return
    await open_poll(update, context, candidate)


async def open_poll(update: Update, context: BotContext, candidate, *, cloned_from: Poll | None = None) -> None:
    chat_id = update.effective_chat.id
    status = Status(candidate.status)
    if status not in (Status.CROISEMENT, Status.VISITES_PLANIFIEES):
        await send(context, chat_id, f"Le sondage se prépare après le croisement des données : le dossier n° "
                                     f"{candidate.id} est à l'étape « {status.label} ».")
        return
    current = await polls.current_for(context.db, candidate.id)
    if current is not None and cloned_from is None:
        text, markup = await (draft_text if current.state == "draft" else tally_text)(context.services, current)
        await send(context, chat_id, "Un sondage est déjà en cours pour ce candidat :\n\n" + text, markup)
        return
    site_ids = ([ps.site_id for ps in await polls.sites(context.db, cloned_from.id) if ps.invited] if cloned_from
                else await sites.chosen_sites(context.db, candidate.id))
    if not site_ids:
        await send(context, chat_id, f"Aucun lieu n'a été retenu au croisement : faites d'abord /croisement {candidate.id}.")
        return
    today = context.now().date()
    availability = availability_of((await _answers_of(context, candidate.id)).get("disponibilites"))
    slots = slots_from(availability, today) or next_working_days(today)
    deadline = default_deadline(context.now(), context.services.settings.hours)
    poll_id = await polls.create(context.db, candidate_id=candidate.id, deadline=_utc(deadline), chat_id=chat_id,
                                 by=context.actor.user_id, at=context.now_iso(), slots=slots, site_ids=site_ids,
                                 cloned_from=cloned_from.id if cloned_from else None)
    await post_draft(context, await polls.get(context.db, poll_id))


async def post_draft(context: BotContext, poll: Poll, intro: str | None = None) -> None:
    text, markup = await draft_text(context.services, poll)
    message = await send(context, poll.chat_id, f"{intro}\n\n{text}" if intro else text, markup)
    await polls.update(context.db, poll.id, draft_message_id=message.message_id)


async def _refresh(context: BotContext, poll: Poll, intro: str | None = None) -> None:
    """Show the poll again where the team follows it, after a change."""
    poll = await polls.get(context.db, poll.id)
    if poll.state == "draft":
        await post_draft(context, poll, intro)
    else:
        if intro:
            await send(context, poll.chat_id, intro)
        await post_tally(context.application, poll)


async def on_team_button(update: Update, context: BotContext) -> None:
    """The team's buttons on a poll's draft, tally or results: ``q:<poll>:<action>[:<n>]``."""
    query = update.callback_query
    pressed = await pressed_card(query, lambda poll_id: polls.get(context.db, poll_id),
                                 lambda poll: poll.chat_id == query.message.chat_id)  # where the team follows it
    if pressed is None:
        return
    poll, action, arg = pressed
    step = TEAM_ACTIONS.get((action, arg is not None))
    if step is None or poll.state not in step.states:  # forged, or the poll has moved on since
        await query.answer("Ce bouton n'est plus valable.", show_alert=True)
        return
    await step.run(update, context, poll, arg)


@dataclass(frozen=True)
class TeamAction:
    states: frozenset[str]  # the poll states in which the button does something
    run: Callable[[Update, BotContext, Poll, int | None], Awaitable[None]]


async def _ask_slot(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    await update.callback_query.answer()
    await begin(update, context, "creneau", data={"poll": poll.id})


async def _ask_deadline(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    await update.callback_query.answer()
    await begin(update, context, "echeance", data={"poll": poll.id})


async def _slots_to_remove(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    query = update.callback_query
    await query.answer()
    rows = [[(slot_label(s.day, s.part), f"q:{poll.id}:rm:{s.id}")] for s in await polls.slots(context.db, poll.id)]
    await edit_markup(query, keyboard(rows + [[("⬅️ Retour", f"q:{poll.id}:back")]]))


async def _remove_slot(update: Update, context: BotContext, poll: Poll, slot_id: int | None) -> None:
    removed = await polls.remove_slot(context.db, poll.id, slot_id)
    await update.callback_query.answer("Créneau retiré" if removed else "Ce créneau n'existe plus.", show_alert=not removed)
    await _edit_draft(update.callback_query, context, poll)


async def _sites_to_invite(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    query = update.callback_query
    await query.answer()
    rows = []
    for ps in await polls.sites(context.db, poll.id):
        site = await sites.get(context.db, ps.site_id)
        rows.append([(f"{'✅' if ps.invited else '▫️'} {site.name}"[:40], f"q:{poll.id}:sites:{ps.site_id}")])
    await edit_markup(query, keyboard(rows + [[("⬅️ Retour", f"q:{poll.id}:back")]]))


async def _toggle_site(update: Update, context: BotContext, poll: Poll, site_id: int | None) -> None:
    query = update.callback_query
    current = {ps.site_id: ps for ps in await polls.sites(context.db, poll.id)}
    if site_id not in current:
        await query.answer("Ce lieu n'est pas dans le sondage.", show_alert=True)
        return
    await polls.set_invited(context.db, poll.id, site_id, not current[site_id].invited)
    await query.answer()
    await _edit_draft(query, context, poll)


async def _back_to_draft(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    await update.callback_query.answer()
    await _edit_draft(update.callback_query, context, poll)


async def _send(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    if await send_poll(update, context, poll):
        await update.callback_query.answer("Sondage envoyé")
        await edit_markup(update.callback_query, None)
    else:
        await update.callback_query.answer()


async def _drop(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    await polls.update(context.db, poll.id, state="dropped")
    await update.callback_query.answer("Sondage abandonné")
    await edit_markup(update.callback_query, None)


async def _close(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    notice = await close_poll(context.application, poll, early_by=context.actor.name)
    await update.callback_query.answer("Sondage clos" if notice else "Ce sondage vient d'être clos.")
    if notice:
        await engine.deliver_now(context.application, notice)  # the calls to make go next, woken by the engine


async def _sites_to_enter(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    await update.callback_query.answer()
    rows = []
    for ps in await polls.sites(context.db, poll.id):
        if ps.invited:
            site = await sites.get(context.db, ps.site_id)
            rows.append([(f"✍️ {site.name}"[:40], f"q:{poll.id}:enter:{ps.site_id}")])
    await send(context, poll.chat_id, "Pour quel lieu saisir la réponse (prise par téléphone ou e-mail) ?", keyboard(rows))


async def _enter_for(update: Update, context: BotContext, poll: Poll, site_id: int | None) -> None:
    if site_id not in {ps.site_id for ps in await polls.sites(context.db, poll.id) if ps.invited}:
        await update.callback_query.answer("Ce lieu n'est pas interrogé.", show_alert=True)
        return
    await update.callback_query.answer()
    text, markup = await site_poll_text(context.services, poll, site_id, for_team=True)
    await send(context, poll.chat_id, text, markup)


async def _confirm(update: Update, context: BotContext, poll: Poll, slot_id: int | None) -> None:
    await confirm_day(update, context, poll, slot_id)


async def _days_to_pick(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    query = update.callback_query
    await query.answer()
    plain = {k: v.answer for k, v in (await polls.answers(context.db, poll.id)).items()}
    _, _, _, invited, _ = await _state(context.db, poll)
    rows = [[(f"{t.slot.label} ✅{len(t.yes)} 🟡{len(t.maybe)}", f"q:{poll.id}:ok:{t.slot.id}")]
            for t in tally([Slot(s.id, s.day, s.part) for s in await polls.slots(context.db, poll.id)], invited, plain)
            if t.yes or t.maybe]
    await edit_markup(query, keyboard(rows) if rows else None)


def plan_keyboard(poll_id: int):
    """Under the team's plan of a confirmed day: for a site that calls to say it can no longer host the visit."""
    return keyboard([[("🚫 Un lieu ne peut plus recevoir la visite", f"q:{poll_id}:gone")]])


async def _hosting(db, poll: Poll) -> list[int]:
    """The sites still to visit on the confirmed day (not those that can no longer host it)."""
    return [site for site, _, _, cancelled in await polls.stops(db, poll.candidate_id) if not cancelled]


async def _sites_gone(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    """Which site called: one button per site still to visit, in place of the plan's button."""
    query = update.callback_query
    rows = [[(f"🚫 {(await sites.get(context.db, site_id)).name}"[:40], f"q:{poll.id}:gone:{site_id}")]
            for site_id in await _hosting(context.db, poll)]
    await asyncio.gather(query.answer("Quel lieu ne peut plus recevoir la visite ?"),
                         edit_markup(query, keyboard(rows + [[("⬅️ Retour", f"q:{poll.id}:plan")]])))


async def _site_gone(update: Update, context: BotContext, poll: Poll, site_id: int | None) -> None:
    """The team is about to note for a site that it can no longer host: confirmed first, like the site's own."""
    query = update.callback_query
    if site_id not in await _hosting(context.db, poll):
        await query.answer("C'est déjà noté, ou ce lieu n'est pas dans la journée.", show_alert=True)
        return
    name = (await sites.get(context.db, site_id)).name
    await asyncio.gather(query.answer(f"Confirmez pour « {name} » : la visite y sera annulée et l'équipe prévenue."[:190]),
                         edit_markup(query, keyboard([[(f"🚫 Oui, {name}"[:40], f"q:{poll.id}:goneok:{site_id}")],
                                                      [("↩️ Non, retour", f"q:{poll.id}:plan")]])))


async def _site_gone_confirmed(update: Update, context: BotContext, poll: Poll, site_id: int | None) -> None:
    """A site told the team (by phone, by e-mail) it can no longer host: noted as if it said so itself."""
    query = update.callback_query
    alert = None
    if site_id in await _hosting(context.db, poll):
        alert = await note_cannot_host(context.application, poll, site_id, by=context.actor.user_id,
                                       how=f" (signalé à l'équipe, noté par {context.actor.name})")
    if alert is None:
        await query.answer("C'est déjà noté, ou ce lieu n'est pas dans la journée.", show_alert=True)
        return
    await asyncio.gather(query.answer("C'est noté."), edit_markup(query, plan_keyboard(poll.id)))
    await engine.deliver_now(context.application, alert)


async def _plan_back(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    await asyncio.gather(update.callback_query.answer(), edit_markup(update.callback_query, plan_keyboard(poll.id)))


DRAFT, OPEN, CLOSED = frozenset({"draft"}), frozenset({"open"}), frozenset({"closed"})
PLANNED = frozenset({"planned"})
# (action, with a number?) -> what it does, and in which states of the poll
TEAM_ACTIONS: dict[tuple[str, bool], TeamAction] = {
    ("add", False): TeamAction(DRAFT | OPEN, _ask_slot),
    ("rm", False): TeamAction(DRAFT, _slots_to_remove),
    ("rm", True): TeamAction(DRAFT, _remove_slot),
    ("sites", False): TeamAction(DRAFT, _sites_to_invite),
    ("sites", True): TeamAction(DRAFT, _toggle_site),
    ("back", False): TeamAction(DRAFT, _back_to_draft),
    ("dl", False): TeamAction(DRAFT | OPEN, _ask_deadline),
    ("send", False): TeamAction(DRAFT, _send),
    ("drop", False): TeamAction(DRAFT, _drop),
    ("close", False): TeamAction(OPEN, _close),
    ("enter", False): TeamAction(OPEN, _sites_to_enter),
    ("enter", True): TeamAction(OPEN, _enter_for),
    ("ok", True): TeamAction(CLOSED, _confirm),
    ("pick", False): TeamAction(CLOSED, _days_to_pick),
    ("reopen", False): TeamAction(CLOSED, _ask_deadline),
    ("gone", False): TeamAction(PLANNED, _sites_gone),
    ("gone", True): TeamAction(PLANNED, _site_gone),
    ("goneok", True): TeamAction(PLANNED, _site_gone_confirmed),
    ("plan", False): TeamAction(PLANNED, _plan_back),
}


async def _edit_draft(query, context: BotContext, poll: Poll) -> None:
    text, markup = await draft_text(context.services, await polls.get(context.db, poll.id))
    try:
        await query.edit_message_text(fit_html(text), reply_markup=markup)
    except BadRequest:
        pass



# --- adding a slot, setting the deadline (guided exchanges) ---------------------------------------------------

SLOT_QUESTION = Question("slot", "Créneau", "Quel(s) <b>créneau(x)</b> ajouter ?", Kind.TEXT,
                         hint="Par exemple « mardi 12 janvier matin », « 15 et 16 janvier », « samedi 9 janvier ».")
DEADLINE_QUESTION = Question("deadline", "Échéance", "Nouvelle <b>échéance</b> du sondage ?", Kind.MOMENT, future=True,
                             default_time=time(18, 0), hint="Par exemple « vendredi 18h », « le 4 décembre ».")


async def _check_slot(context: BotContext, dialog: Dialog, question, value):
    found = parse_availability(value, context.now())
    if not found.days:
        raise InvalidAnswer(f"Je n'ai pas reconnu de date à venir dans « {value} ».")
    return [[d.isoformat(), part_of(p)] for d, p in found.days]


async def _slot_done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    poll = await polls.get(context.db, dialog.data["poll"])
    # a slot added by the team is kept even on a weekend or a holiday: it was chosen on purpose
    added = await polls.add_slots(context.db, poll.id, [(date.fromisoformat(d), p) for d, p in answers.values["slot"]])
    if poll.state == "open":
        await _resend_to_sites(context, poll)
    await _refresh(context, poll, f"➕ {added} créneau(x) ajouté(s) ; les réponses déjà données sont gardées.")


async def _deadline_done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    poll = await polls.get(context.db, dialog.data["poll"])
    when = datetime.fromisoformat(answers.values["deadline"])
    if poll.state == "closed":  # extended after closing: answers are kept, sites may answer again
        changed = await polls.reopen(context.db, poll.id, deadline=_utc(when))
    elif poll.state in ("draft", "open"):
        await polls.update(context.db, poll.id, deadline=_utc(when))
        changed = True
    else:
        changed = False
    if not changed:  # the day was confirmed (or the poll dropped) while the date was being typed
        await send(context, dialog.chat_id, "Ce sondage n'est plus ouvert (journée confirmée ou sondage abandonné) : "
                                            "l'échéance n'a pas été changée.")
        return
    poll = await polls.get(context.db, poll.id)
    if poll.state == "open":
        await _plan_relances(context.application, poll)
        await _resend_to_sites(context, poll)
    await engine.reschedule(context.application)
    await _refresh(context, poll, f"⏳ Échéance : {format_datetime(when)}.")


async def _header(context: BotContext, dialog: Dialog) -> str:
    return "📅 <b>Sondage de disponibilité</b>"


register(Flow(name="creneau", form=lambda d: Form("creneau", "Créneau", (SLOT_QUESTION,)), complete=_slot_done,
              header=_header, summary=False, check=_check_slot))
register(Flow(name="echeance", form=lambda d: Form("echeance", "Échéance", (DEADLINE_QUESTION,)),
              complete=_deadline_done, header=_header, summary=False))


# --- sending, answering, the tally ---------------------------------------------------------------------

async def send_poll(update: Update, context: BotContext, poll: Poll) -> bool:
    """Open the poll, in one transaction with what tells of it, queued: the group's tally, each site contact's
    poll, the sites' e-mails and the team's note of who is reached how; all go at once and are retried. False if
    there was nothing to send, or it was sent already (two presses at once)."""
    app, db = context.application, context.db
    slots = await polls.slots(db, poll.id)
    invited = [await sites.get(db, ps.site_id) for ps in await polls.sites(db, poll.id) if ps.invited]
    if not slots or not invited:
        await send(context, poll.chat_id, "Il faut au moins un créneau et un lieu interrogé pour envoyer le sondage.")
        await post_draft(context, poll)
        return False
    candidate = await candidates.get(db, poll.candidate_id)
    at, asked = context.now_iso(), await what_is_asked(db, candidate)
    sent = dataclasses.replace(poll, asked=asked, state="open")  # as the e-mails describe it
    keys = [f"sondage_tableau:{poll.id}"]
    tell = [reminders.create_statement(kind="sondage_tableau", key=keys[0], once=True, candidate_id=candidate.id,
                                       chat_id=poll.chat_id, due_at=at, exact=True, at=at)]
    for site in invited:
        for contact in await sites.contacts_of(db, "lieu", site.id):
            keys.append(f"sondage_lieu:{poll.id}:{site.id}:{contact.user_id}")
            tell.append(reminders.create_statement(kind="sondage_lieu", key=keys[-1], once=True, text=contact.name,
                                                   candidate_id=candidate.id, chat_id=contact.user_id, due_at=at,
                                                   exact=True, at=at))
        if site.contact_email and mail.mail_enabled(app):
            link = await mail.poll_link(app, poll, site.id)
            tell.append(mail.queue_statement(app, key=f"invitation:{poll.id}:{site.id}", kind="invitation",
                                             to=site.contact_email, draft=await invitation_draft(context.services, sent, site),
                                             link_id=link.id, poll_id=poll.id, site_id=site.id, chat_id=poll.chat_id))
    keys.append(f"sondage_envoye:{poll.id}")
    tell.append(reminders.create_statement(kind="sondage_envoye", key=keys[-1], once=True, candidate_id=candidate.id,
                                           chat_id=poll.chat_id, due_at=at, exact=True, at=at))
    if not await polls.open_poll(db, poll, at=at, asked=asked, by=context.actor.user_id,
                                 detail=f"Sondage de disponibilité envoyé à {len(invited)} lieu(x)", tell=tell):
        return False
    poll = await polls.get(db, poll.id)
    await _plan_relances(app, poll)
    await engine.deliver_now(app, *await reminders.ids_of(db, keys))  # the e-mails go once the engine wakes
    await engine.reschedule(app)
    return True


async def _render_tally(services: Services, r, now: datetime):
    """The group's tally of a poll just sent, which the answers then edit in place."""
    poll = await polls.get(services.db, int(r.key.split(":")[1]))
    return None if poll is None or poll.state in ("draft", "dropped") else await tally_text(services, poll)


def _tally_sent(r, message_id: int, at: str) -> list[tuple[str, tuple]]:
    return [polls.tally_message_statement(int(r.key.split(":")[1]), message_id, at=at)]


async def _render_site_poll(services: Services, r, now: datetime):
    """A site contact's poll, with the buttons to answer; None once the poll is no longer open."""
    _, poll_id, site_id, _ = r.key.split(":")
    poll = await polls.get(services.db, int(poll_id))
    return None if poll is None or poll.state != "open" else await site_poll_text(services, poll, int(site_id))


def _site_poll_sent(r, message_id: int, at: str) -> list[tuple[str, tuple]]:
    _, poll_id, site_id, _ = r.key.split(":")
    return [polls.save_message_statement(int(poll_id), int(site_id), r.chat_id, message_id)]


async def _render_reached(services: Services, r, now: datetime):
    """The team's note of a poll just sent: the sites invited by e-mail; without SMTP, each site's text and
    personal link to send from the team's mailbox (a link minted as the note goes, so that none waits in the
    database); the sites left to call."""
    poll = await polls.get(services.db, int(r.key.split(":")[1]))
    if poll is None or poll.state in ("draft", "dropped"):
        return None
    invited = [await sites.get(services.db, ps.site_id) for ps in await polls.sites(services.db, poll.id) if ps.invited]
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
            link = await weblinks.ensure(services.db, purpose="sondage", poll_id=poll.id, site_id=site.id, at=_utc(now))
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


engine.RENDERERS["sondage_tableau"] = _render_tally
engine.SENT["sondage_tableau"] = _tally_sent
engine.RENDERERS["sondage_lieu"] = _render_site_poll
engine.SENT["sondage_lieu"] = _site_poll_sent
engine.RENDERERS["sondage_envoye"] = _render_reached


async def invitation_draft(services: Services, poll: Poll, site) -> emails.Draft:
    """The e-mail inviting a site to answer the poll: what the sites were told, the slots, the deadline."""
    slots = [slot_label(r.day, r.part) for r in await polls.slots(services.db, poll.id)]
    description = await told_sites(services.db, poll)
    return emails.poll_invitation(site.name, description, slots, format_datetime(_local(poll.deadline)))


async def _resend_to_sites(context: BotContext, poll: Poll) -> None:
    """After a slot was added or the deadline moved: each contact's message shows the new poll."""
    for ps in await polls.sites(context.db, poll.id):
        if ps.invited:
            await _update_site_messages(context.application, poll, ps.site_id)


async def _update_site_messages(app, poll: Poll, site_id: int, *, besides: tuple[int, int] | None = None) -> None:
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


async def _touch_tally(app, poll: Poll) -> None:
    """Edit the tally now, or later if it was edited a moment ago: bursts of answers make one edit."""
    services = engine.services_of(app)
    async with services.lock_for(("tally", poll.id)):
        poll = await polls.get(services.db, poll.id)
        now = services.clock.now()
        last = _local(poll.tally_edited_at) if poll.tally_edited_at else None
        if last is None or now - last >= TALLY_EVERY:
            await _edit_tally_now(app, poll)
            return
        due = _utc(last + TALLY_EVERY)
        if poll.tally_due_at is not None and poll.tally_due_at <= due:
            return  # already due: that edit will show this answer too
        # (a later due is a web answer's, for a restart: see tally_due_after_crash)
        await polls.update(services.db, poll.id, tally_due_at=due)
    await engine.reschedule(app)


# a web answer's tally edit waits a quiet moment in memory (web.app.FollowUps); the answer's transaction also makes
# the tally due this much later, which a restart finds if the bot stopped meanwhile
TALLY_AFTER_CRASH = timedelta(minutes=1)


def tally_due_after_crash(services: Services) -> str:
    return _utc(services.clock.now() + TALLY_AFTER_CRASH)


async def _edit_tally(app, poll: Poll) -> None:
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
        await polls.update(services.db, poll.id, tally_due_at=_utc(services.clock.now() + TALLY_RETRY))
        await engine.reschedule(app)


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
    invited = {ps.site_id: ps for ps in await polls.sites(context.db, poll.id)} if poll else {}
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
        await _site_cancels(update, context, poll, invited[site_id], other[2])
        return
    if poll.state != "open":
        await query.answer("Ce sondage est clos : vos réponses ne peuvent plus changer.", show_alert=True)
        return
    if other and other[2] == "c" and is_contact:
        await query.answer()
        await dialogs.start(context.db, chat_id=query.message.chat_id, user_id=user_id, form="commentaire",
                            subject_id=None, position="comment", data={"poll": poll.id, "site": site_id},
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
        await _update_site_messages(context.application, poll, site_id,
                                    besides=(query.message.chat_id, query.message.message_id))
    await _touch_tally(context.application, poll)


COMMENT_LENGTH = 1000  # characters: a few lines in the tally, which the whole team reads
COMMENT = register_wait(Wait("commentaire", "commentaire sur le sondage", "💬 J'attends votre commentaire, en un message.",
                            "✖️ Commentaire abandonné : rien n'a été transmis."))


async def on_outsider_text(update: Update, context: BotContext) -> None:
    """A site contact's typed message: their comment on a poll, if they asked to write one."""
    message = update.message
    pending = await dialogs.find_for_message(context.db, message.chat_id, update.effective_user.id, None)
    if pending is not None and pending.form == COMMENT.name and normalise(message.text) in ("annuler", "/annuler"):
        await message.reply_text(await dialog_engine.cancel(context, pending))
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
    poll = await polls.get(context.db, pending.data["poll"])
    await dialogs.finish(context.db, pending.id)
    if poll is None or poll.state != "open":
        await message.reply_text("Ce sondage est clos : votre commentaire n'a pas été enregistré.")
        return
    await polls.set_comment(context.db, poll.id, pending.data["site"], message.text)
    await message.reply_text("💬 Merci, votre commentaire est transmis à l'équipe.")
    await _touch_tally(context.application, poll)


# --- reminders to silent sites, the deadline, the results ------------------------------------------------

RELANCES = ("sondage_mi", "sondage_veille")  # halfway to the deadline, the day before it


async def _plan_relances(app, poll: Poll) -> None:
    """Halfway to the deadline and the day before it, one reminder per contact of each invited site that has not
    answered yet."""
    services = engine.services_of(app)
    opened = _local(poll.opened_at) if poll.opened_at else services.clock.now()
    deadline = _local(poll.deadline)
    moments = {"sondage_mi": services.settings.hours.adjust(opened + (deadline - opened) / 2),
               "sondage_veille": services.settings.hours.adjust(deadline - timedelta(days=1))}
    # the deadline moved: the reminders planned for the old one go
    await reminders.cancel_pending(services.db, relance_keys(poll.id), at=services.clock.utc_iso(),
                                   unless_suffix=f":{deadline.strftime('%Y%m%d%H%M')}")
    answered = {site for (_, site) in await polls.answers(services.db, poll.id)}
    for ps in await polls.sites(services.db, poll.id):
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
                                           chat_id=contact.user_id, text=f"{poll.id}:{ps.site_id}", due_at=_utc(when),
                                           exact=True, at=services.clock.utc_iso())


def relance_keys(poll_id: int, site_id: int | None = None) -> list[str]:
    """How the keys of a poll's reminders to silent sites (of one site) begin, as ``_plan_relances`` makes them."""
    middle = f"{poll_id}:{site_id}:" if site_id is not None else f"{poll_id}:"
    return [f"{kind}:{middle}" for kind in RELANCES]



async def _render_relance(services: Services, r, now: datetime):
    poll_id, site_id = (int(x) for x in r.text.split(":"))
    poll = await polls.get(services.db, poll_id)
    answered = any(site == site_id for (_, site) in await polls.answers(services.db, poll_id)) if poll else True
    if poll is None or poll.state != "open" or answered:
        return None  # they answered, or the poll is over: nothing to remind
    site = await sites.get(services.db, site_id)
    return (f"⏰ Petit rappel : la CPTS du Grand Lons attend les disponibilités de « {esc(site.name)} » pour une "
            f"visite, avant le <b>{format_datetime(_local(poll.deadline))}</b>. Répondez avec les boutons du sondage "
            f"ci-dessus. Merci !"), None


for _kind in RELANCES:
    engine.RENDERERS[_kind] = _render_relance


async def close_poll(app, poll: Poll, *, early_by: str | None = None) -> int | None:
    """Close the poll: the silent sites become calls to make and the team's notice (the best slot, a draft day) is
    queued with the closing itself, for the engine to send and retry; the sites' messages and the tally then show
    it. The notice's id, for the caller to send at once (the deadline's hook leaves it to the dispatch it runs in);
    None if the poll was no longer open."""
    services = engine.services_of(app)
    db = services.db
    now = services.clock.now()
    candidate = await candidates.get(db, poll.candidate_id)
    _, poll_sites, site_rows, invited, answers = await _state(db, poll)
    answered = {site for (_, site) in answers}
    calls = [(f"appeler:{poll.id}:{site_id}:{_utc(now)}",
              f"appeler « {site_rows[site_id].name} » ({site_rows[site_id].contact_phone or site_rows[site_id].contact_email or 'pas de contact'}) : "
              f"pas de réponse au sondage pour les visites de {candidate.full_name} (n° {candidate.id})")
             for site_id in invited if site_id not in answered]
    notice = await polls.close(db, poll, at=_utc(now), links_expire_at=_utc(poll_link_expiry(now)),
                               relances=relance_keys(poll.id), calls=calls, how=early_by or "")
    if notice is None:
        return None
    poll = await polls.get(db, poll.id)
    try:  # shown on what was already sent; what matters is stored, and the notice goes whatever happens here
        for ps in poll_sites:
            if ps.invited:
                await _update_site_messages(app, poll, ps.site_id)
        await _edit_tally(app, poll)
    except TelegramError:
        log.warning("the closed poll's messages could not all be edited", extra={"poll_id": poll.id})
    return notice


async def _render_closed(services: Services, r, now: datetime):
    """The team's notice of a closed poll: who did not answer, the best slot and a draft day, with the buttons to
    confirm it, choose another slot or reopen (``r.text``: who closed it early, or empty at the deadline)."""
    poll = await polls.get(services.db, int(r.key.split(":")[1]))
    if poll is None or poll.state != "closed" or poll.closed_at != r.created_at:
        return None  # reopened (or planned) meanwhile: this notice no longer applies
    candidate = await candidates.get(services.db, poll.candidate_id)
    slot_objs, _, site_rows, invited, answers = await _state(services.db, poll)
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
        plan = itinerary(best.slot.day, best.slot.part, [_stop_site(s) for s in available])
        lines += ["", f"Meilleur créneau : <b>{best.slot.label}</b> — ✅ {len(best.yes)} · 🟡 {len(best.maybe)} · ❌ {len(best.no)}",
                  "", "<b>Proposition de journée</b>", *(_plan_lines(plan))]
        markup = keyboard([[(f"✅ Confirmer le {best.slot.label}"[:40], f"{cb}ok:{best.slot.id}")],
                           [("📅 Choisir un autre créneau", f"{cb}pick"), ("⏳ Rouvrir et prolonger", f"{cb}reopen")]])
    return "\n".join(lines) + _late(r, now, "Clos"), markup


def _late(r, now: datetime, what: str) -> str:
    """For a notice the engine sends late (Telegram was failing, or the bot stopped): when it happened."""
    said = _local(r.created_at)
    return f"\n<i>{what} le {format_datetime(said)}.</i>" if now - said > engine.LATE_AFTER else ""


engine.RENDERERS["sondage_clos"] = _render_closed


def _stop_site(site) -> StopSite:
    return StopSite(site.id, site.name, site.commune, site.epci)


def _plan_lines(plan) -> list[str]:
    return [f"• {format_time(s.starts)}–{format_time(s.ends)} : {esc(s.site.name + ' (' + s.site.commune + ')') if s.site else 'débriefing du soir à la CPTS (temps 2)'}"
            for s in plan]


async def _deadline_hook_due(services: Services) -> str | None:
    return await polls.next_due(services.db)


async def _deadline_hook_run(app, now: datetime) -> None:
    services = engine.services_of(app)
    for poll in await polls.open_past_deadline(services.db, _utc(now)):
        await close_poll(app, poll)
    for poll in await polls.tallies_due(services.db, _utc(now)):
        await _edit_tally(app, poll)


async def _relances_of_open_polls(app) -> None:
    """At start: every open poll has its relances (sending one plans them after its transaction: a stop in
    between left them out); planning them again changes nothing that exists."""
    for poll in await polls.open_ones(engine.services_of(app).db):
        await _plan_relances(app, poll)


engine.HOOKS.append(engine.Hook(next_due=_deadline_hook_due, run=_deadline_hook_run))
engine.AT_START.append(_relances_of_open_polls)
dialog_engine.OUTSIDER_TEXT.append(on_outsider_text)


# --- the visit day ------------------------------------------------------------------------------------------

async def day_plan(db, poll: Poll, slot_id: int | None):
    """The slot, and the day's itinerary through the sites that can host on it (yes, or if need be): None when
    none can; with every site's row."""
    slot_objs, _, site_rows, invited, answers = await _state(db, poll)
    slot = next((s for s in slot_objs if s.id == slot_id), None)
    plain = {k: v.answer for k, v in answers.items()}
    available = [site_rows[s] for s in invited if slot and plain.get((slot.id, s)) in ("oui", "si_besoin")]
    if not available:
        return slot, None, site_rows
    return slot, itinerary(slot.day, slot.part, [_stop_site(s) for s in available]), site_rows


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
                                       chat_id=poll.chat_id, due_at=at, exact=True, at=at)]
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
                                                   candidate_id=candidate.id, chat_id=contact.user_id, due_at=at,
                                                   exact=True, at=at))
    keys.append(f"elus_projet:{poll.id}:{at}")  # the élus' draft, last
    tell.append(reminders.create_statement(kind="elus_projet", key=keys[-1], once=True, candidate_id=candidate.id,
                                           chat_id=poll.chat_id, text=f"le {format_date(slot.day)}", due_at=at,
                                           exact=True, at=at, created_by=context.actor.user_id))
    names = [stop.site.name for stop in visiting]
    planned = await polls.plan_day(
        db, poll, slot.id, stops=[(stop.site.id, _utc(stop.starts), _utc(stop.ends)) for stop in visiting],
        day=slot.day.isoformat(), site_names=names, by=context.actor.user_id, at=at,
        detail=f"Visites confirmées le {format_date(slot.day)} : {', '.join(names)}",
        status=Status.VISITES_PLANIFIEES if status is Status.CROISEMENT else None, tell=tell)
    if not planned:
        await query.answer("La journée vient d'être confirmée.", show_alert=True)  # two members at once
        return
    await query.answer("Journée confirmée")
    await edit_markup(query, None)
    await engine.after_change(context, candidate.id)
    await engine.deliver_now(app, *await reminders.ids_of(db, keys))  # the e-mails go once the engine wakes


async def _render_day(services: Services, r, now: datetime):
    """The team's plan of a confirmed day (after its .ics), and whom to tell by hand; None if no longer planned."""
    poll = await polls.get(services.db, int(r.key.split(":")[1]))
    if poll is None or poll.state != "planned":
        return None
    slot, plan, site_rows = await day_plan(services.db, poll, poll.chosen_slot_id)
    if plan is None:
        return None
    candidate = await candidates.get(services.db, poll.candidate_id)
    lines = [f"🚗 <b>Journée de visites — {esc(candidate.full_name)}, {format_date(slot.day)}</b>", *_plan_lines(plan)]
    on_telegram = await sites.contact_targets(services.db, "lieu")
    by_hand = [stop for stop in plan if stop.site and stop.site.id not in on_telegram
               and not (site_rows[stop.site.id].contact_email and mail.sends_mail(services.settings))]
    if by_hand:
        lines += ["", "📞 À prévenir par téléphone ou e-mail :", *(
            f"• {esc(stop.site.name)} : {format_time(stop.starts)}–{format_time(stop.ends)}" for stop in by_hand)]
    lines += ["", "📎 Le fichier ci-dessus ajoute la journée à vos agendas."]
    calendar = ics(plan, candidate_id=candidate.id, what=profession_label(candidate).lower())
    return ("\n".join(lines) + _late(r, now, "Confirmée"), plan_keyboard(poll.id),
            [("document", f"visites-{slot.day.isoformat()}.ics", calendar)])


async def _render_site_confirmation(services: Services, r, now: datetime):
    """A site contact's confirmation of its visit, with the button to say it can no longer host it; None once
    it said so (or the day is no longer planned)."""
    _, poll_id, site_id, _ = r.key.split(":")
    poll = await polls.get(services.db, int(poll_id))
    stop = next((s for s in await polls.stops(services.db, poll.candidate_id) if s[0] == int(site_id)), None) if poll else None
    if poll is None or poll.state != "planned" or stop is None or stop[3]:
        return None
    site, candidate = await sites.get(services.db, int(site_id)), await candidates.get(services.db, poll.candidate_id)
    starts, ends = _local(stop[1]), _local(stop[2])
    return (f"✅ <b>Visite confirmée</b> à « {esc(site.name)} » le <b>{format_date(starts.date())}</b>, de "
            f"{format_time(starts)} à {format_time(ends)} : un·e {esc(profession_label(candidate).lower())} accompagné·e "
            f"par la CPTS du Grand Lons et le CLS du Pays Lédonien. Merci !", cannot_host_keyboard(poll.id, site.id))


async def _render_elus_draft(services: Services, r, now: datetime):
    """The élus' draft for a confirmed day (``r.text``: the period it names), drafted once however often sent."""
    poll = await polls.get(services.db, int(r.key.split(":")[1]))
    if poll is None or poll.state != "planned":
        return None
    chosen = set(await _hosting(services.db, poll))
    candidate = await candidates.get(services.db, poll.candidate_id)
    return await step_c.notice_draft(services, candidate, chosen, period=r.text, by=r.created_by,
                                     once=f"elus:projet:{r.id}")


async def _site_unreachable(app, r, error: str) -> None:
    """A site contact who blocked the bot (or never opened it) does not get its poll or its visit: the team calls."""
    await engine.tell(app, engine.services_of(app).settings.team_chat_id,
                      texts.PRIVATE_UNREACHABLE.format(name=esc(r.text)))


engine.RENDERERS["journee"] = _render_day
engine.RENDERERS["visite_confirmee"] = _render_site_confirmation
engine.RENDERERS["elus_projet"] = _render_elus_draft
engine.REFUSED["visite_confirmee"] = _site_unreachable
engine.REFUSED["sondage_lieu"] = _site_unreachable


# "we can no longer host the visit": asked (x), confirmed (X), taken back (k); it cancels the site's visit and alerts
# the team, so a press on a phone is confirmed first
CANCEL_STEPS = ("x", "X", "k")


def cannot_host_keyboard(poll_id: int, site_id: int, *, asked: bool = False):
    """Under a site's visit confirmation: the one button, or once pressed, its confirmation."""
    if not asked:
        return keyboard([[("🚫 Nous ne pouvons plus recevoir la visite", f"p:{poll_id}:{site_id}:x")]])
    return keyboard([[("🚫 Oui, nous ne pouvons plus la recevoir", f"p:{poll_id}:{site_id}:X")],
                     [("↩️ Non, nous la recevons", f"p:{poll_id}:{site_id}:k")]])


async def _site_cancels(update: Update, context: BotContext, poll: Poll, invited: PollSite, step: str) -> None:
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
    poll_id, site_id = (int(x) for x in r.key.split(":")[1:])
    poll, site = await polls.get(services.db, poll_id), await sites.get(services.db, site_id)
    candidate = await candidates.get(services.db, r.candidate_id)
    if poll is None or site is None or candidate is None:
        return None
    visit = await visits.visit(services.db, candidate.id)
    day = format_date(date.fromisoformat(visit.day)) if visit else "prévue"
    return (f"⚠️ <b>« {esc(site.name)} » ne peut plus recevoir la visite</b>{esc(r.text)} de {esc(candidate.full_name)} "
            f"(n° {candidate.id}) du {day}. Replanifiez si besoin : /sondage_cloner {poll.id} {candidate.id} pour un "
            f"nouveau sondage.{_late(r, now, 'Signalé')}"), None


engine.RENDERERS["visite_annulee"] = _render_cancelled_visit


async def answered_by_link(app, poll: Poll, site_id: int) -> None:
    """A site answered from its web link: its contacts on Telegram see the answers, the group's tally too."""
    await _update_site_messages(app, poll, site_id)
    await _touch_tally(app, poll)


async def clone_poll(update: Update, context: BotContext) -> None:
    """/sondage_cloner P N: a new poll for candidate N with the sites of poll P, slots from N's availability."""
    args = context.args or []
    source = await polls.get(context.db, int(args[0])) if len(args) == 2 and args[0].isdigit() else None
    candidate = await candidates.get(context.db, int(args[1])) if source and args[1].isdigit() else None
    if source is None or candidate is None:
        await reply(update, context, "Usage : /sondage_cloner P N — reprend les lieux du sondage P pour le candidat n° N.")
        return
    current = await polls.current_for(context.db, candidate.id)
    if current is not None and current.state in ("draft", "open"):
        await polls.update(context.db, current.id, state="dropped")
    await open_poll(update, context, candidate, cloned_from=source)


async def _from_card(update: Update, context: BotContext, candidate) -> None:
    await update.callback_query.answer()
    await open_poll(update, context, candidate)


step_a.CARD_EXTRA_BUTTONS.append(("📅 Sondage des lieux", "son", lambda c: c.status in (Status.CROISEMENT,
                                                                                       Status.VISITES_PLANIFIEES)))
step_a.CARD_ACTIONS["son"] = _from_card
