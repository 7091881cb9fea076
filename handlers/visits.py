"""Step D: the visit day, the same-evening debrief (temps 2) and the remote debrief (temps 3).

The debriefs are guided exchanges shared by the team in the chat where they are opened: by the reminder sent
on the evening of the visits, by the remote-debrief reminder, by /debrief N or by the card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from telegram import Update

from delivery import engine
from delivery.kinds import MessageKind
from delivery.markup import mention, pair, who
from delivery.services import Services
from domain.candidates import to_utc_iso
from domain.dates import PARIS, DateParseError, format_date, format_datetime, format_time, parse_moment
from domain.forms import Form, Kind, Question, display
from domain.pipeline import Status, check_transition
from domain.reminders import label
from handlers import dossiers
from handlers.common import after_change, close_reminder, esc, reply, send
from handlers.context import BotContext
from handlers.dialog import AnswerSet, Flow, ask, begin, state_of
from handlers.wiring import CardButton, Provides
from storage import candidates, dialogs, reminders, visits
from storage.dialogs import Dialog
from storage.reminders import Reminder

EVENING = "Temps 2 — débriefing du soir"
REMOTE = "Temps 3 — débriefing à distance"

REMOTE_FORM = Form("debrief_distance", "Débriefing à distance", (
    Question("ressenti", "Ressenti", "<b>Ressenti</b> du candidat après réflexion ?", Kind.TEXT, section=REMOTE),
    Question("decision", "Décision, suite envisagée", "<b>Suite envisagée</b>, décision ?", Kind.TEXT, section=REMOTE),
    Question("besoins", "Besoins restants", "Des <b>besoins</b> restent-ils à couvrir ?", Kind.TEXT, section=REMOTE),
    Question("notes", "Notes", "<b>Notes</b> du débriefing ?", Kind.TEXT, section=REMOTE),
))


def evening_form(sites: list[str]) -> Form:
    """One question per site visited, then expectations, needs and the remote debrief's appointment."""
    per_site = tuple(
        Question(f"site_{i}", f"Ressenti — {site}", f"<b>Ressenti</b> du candidat sur « {esc(site)} » ?", Kind.TEXT,
                 section=EVENING)
        for i, site in enumerate(sites)
    )
    return Form("debrief_soir", "Débriefing du soir", per_site + (
        Question("attentes", "Attentes", "Ses <b>attentes</b> après ces visites ?", Kind.TEXT, section=EVENING),
        Question("besoins", "Besoins", "Ses <b>besoins</b> ?", Kind.TEXT, section=EVENING),
        Question("rdv_distance", "Débriefing à distance",
                 "<b>Rendez-vous du débriefing à distance</b> (temps 3, mené par le CLS) ?", Kind.MOMENT,
                 section=EVENING, future=True, confirm=True,
                 hint="Par exemple « jeudi 18h », « le 3 février à 12h30 »."),
    ))


async def _header(context: BotContext, dialog: Dialog) -> str:
    candidate = await candidates.get(context.db, dialog.subject_id)
    title = "Débriefing du soir" if dialog.form == "debrief_soir" else "Débriefing à distance"
    return f"📝 <b>{title} — {esc(candidate.full_name)} (n° {candidate.id})</b>"


async def _close_kind(context: BotContext, candidate_id: int, kinds: tuple[str, ...]) -> None:
    for r in await reminders.for_candidate(context.db, candidate_id):
        if r.kind in kinds and r.state in reminders.OPEN:
            await close_reminder(context, r.id)


@dataclass(frozen=True)
class EveningDebrief:
    """The sites visited that day, one question each in the evening debrief."""

    sites: list[str]


async def _evening_done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    candidate = await candidates.get(context.db, dialog.subject_id)
    form = evening_form(state_of(dialog, EveningDebrief).sites)
    readable = {q.label: display(q, answers.values.get(q.key)) for q in form.questions}
    await visits.save_debrief(context.db, candidate.id, "soir", readable, by=context.actor.user_id, at=context.now_iso())
    remote = answers.values.get("rdv_distance")
    changes = {"remote_debrief_at": to_utc_iso(remote)} if remote else {}
    status = Status(candidate.status)
    target = Status.VISITES_FAITES if status is Status.VISITES_PLANIFIEES else None
    detail = "Débriefing du soir fait" + (f" ; débriefing à distance le {display(form.question('rdv_distance'), remote)}"
                                          if remote else "")
    await candidates.update(context.db, candidate.id, changes, by=context.actor.user_id, at=context.now_iso(),
                            kind="debriefing", detail=detail, status=target)
    await _close_kind(context, candidate.id, ("debrief_soir",))
    await after_change(context, candidate.id)
    intro = "✅ Débriefing du soir enregistré." + (
        f" Débriefing à distance le <b>{display(form.question('rdv_distance'), remote)}</b> : rappels la veille et "
        f"une heure avant." if remote else " Fixez le débriefing à distance depuis la fiche (✏️ Corriger).")
    await dossiers.send_card(context, dialog.chat_id, candidate.id, intro=intro)


async def _remote_done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    candidate = await candidates.get(context.db, dialog.subject_id)
    readable = {q.label: display(q, answers.values.get(q.key)) for q in REMOTE_FORM.questions}
    await visits.save_debrief(context.db, candidate.id, "distance", readable, by=context.actor.user_id,
                              at=context.now_iso())
    status = Status(candidate.status)
    target = Status.SUIVI if status is Status.VISITES_FAITES else None
    await candidates.update(context.db, candidate.id, {}, by=context.actor.user_id, at=context.now_iso(),
                            kind="debriefing", detail="Débriefing à distance fait", status=target)
    await _close_kind(context, candidate.id, ("debrief_distance", "debrief_distance_veille", "debrief_distance_1h"))
    await after_change(context, candidate.id)
    await dossiers.send_card(context, dialog.chat_id, candidate.id,
                           intro="✅ Débriefing à distance enregistré. Place au suivi : appels à 3, 6 et 12 mois.")


DEBRIEF_SOIR_FLOW = Flow(name="debrief_soir", form=lambda d: evening_form(state_of(d, EveningDebrief).sites), complete=_evening_done,
              header=_header, shared=True, skip_any=True)
DEBRIEF_DISTANCE_FLOW = Flow(name="debrief_distance", form=lambda d: REMOTE_FORM, complete=_remote_done, header=_header,
              shared=True, skip_any=True)


async def open_debrief(update: Update, context: BotContext, candidate) -> None:
    """Open the debrief the candidate is at: the evening one after the visits, then the remote one."""
    status = Status(candidate.status)
    chat_id = update.effective_chat.id
    if status is Status.VISITES_PLANIFIEES:
        visit = await visits.visit(context.db, candidate.id)
        existing = await dialogs.find_for_subject(context.db, "debrief_soir", candidate.id)
        if existing and existing.chat_id == chat_id:
            await ask(context, existing, intro="Le débriefing est déjà ouvert ici ; voici où vous en êtes.")
            return
        await begin(update, context, "debrief_soir", subject_id=candidate.id,
                    state=EveningDebrief(list(visit.sites) if visit else []),
                    intro="📝 Débriefing du soir (30 min) : chaque réponse est enregistrée aussitôt.")
    elif status is Status.VISITES_FAITES:
        await begin(update, context, "debrief_distance", subject_id=candidate.id,
                    intro="📞 Débriefing à distance, mené par le CLS : chaque réponse est enregistrée aussitôt.")
    else:
        await send(context, chat_id, f"Pas de débriefing à faire pour {esc(candidate.full_name)} à l'étape "
                                     f"« {status.label} ».")


async def plan_visits(update: Update, context: BotContext) -> None:
    """/visites N <date> : <lieu>, <lieu>… — record the visit day (after the croisement)."""
    usage = ("Usage : /visites N date : lieu, lieu…\n"
             "Exemple : /visites 12 mardi 12 janvier : MSP de Conliège, Cabinet médical de Perrigny")
    args = context.args or []
    number = dossiers.candidate_number(args[:1])
    rest = " ".join(args[1:])
    if number is None or ":" not in rest:
        await reply(update, context, usage)
        return
    when_text, sites_text = rest.split(":", 1)
    sites = [s.strip() for s in re.split(r"[,;]", sites_text) if s.strip()]
    candidate = await candidates.get(context.db, number)
    if candidate is None:
        await reply(update, context, f"Aucun dossier n° {number}.")
        return
    try:
        day = parse_moment(when_text, context.now()).day
    except DateParseError as err:
        await reply(update, context, f"{esc(err)}\n{usage}")
        return
    if not sites:
        await reply(update, context, f"Indiquez au moins un lieu d'exercice après les deux-points.\n{usage}")
        return
    if day < context.now().date():
        await reply(update, context, f"Le {format_date(day)} est déjà passé : indiquez le jour des visites à venir.")
        return
    status = Status(candidate.status)
    if status not in (Status.CROISEMENT, Status.VISITES_PLANIFIEES):
        await reply(update, context, f"Le dossier n° {number} est à l'étape « {status.label} » : les visites se "
                                     f"planifient après le croisement des données.")
        return
    await visits.plan_visit(context.db, number, day=day.isoformat(), sites=sites, by=context.actor.user_id,
                            at=context.now_iso())
    target = Status.VISITES_PLANIFIEES if status is Status.CROISEMENT else None
    if target:
        check_transition(status, target)
    await candidates.update(context.db, number, {}, by=context.actor.user_id, at=context.now_iso(), kind="visites",
                            detail=f"Visites prévues le {format_date(day)} : {', '.join(sites)}", status=target)
    await after_change(context, number)
    await reply(update, context, f"🚗 Visites de {esc(candidate.full_name)} prévues le <b>{format_date(day)}</b> : "
                                 f"{esc(', '.join(sites))}.\nRappel la veille à 17 h ; le débriefing du soir "
                                 f"s'ouvrira ici à 18 h.")


async def debrief_command(update: Update, context: BotContext) -> None:
    """/debrief N: open the candidate's debrief now."""
    candidate = await dossiers.numbered_candidate(update, context, "debrief")
    if candidate is None:
        return
    await open_debrief(update, context, candidate)


async def _from_reminder(update: Update, context: BotContext, reminder) -> None:
    await update.callback_query.answer()
    candidate = await candidates.get(context.db, reminder.candidate_id)
    await open_debrief(update, context, candidate)


async def _from_card(update: Update, context: BotContext, candidate) -> None:
    await update.callback_query.answer()
    await open_debrief(update, context, candidate)


# --- the reminders of step D: the eve of the visits, the evening debrief, the remote debrief ---------------

async def _render_eve(services: Services, r: Reminder, now: datetime):
    candidate = await candidates.get(services.db, r.candidate_id)
    visit = await visits.visit(services.db, candidate.id)
    sites = ", ".join(visit.sites) if visit else "—"
    text = f"🚗 <b>Visites demain</b> pour {who(candidate)} : {esc(sites)}.\n👥 {pair(services.team)}"
    return engine.with_notes(services, r, now, text, [])


async def _render_evening(services: Services, r: Reminder, now: datetime):
    candidate = await candidates.get(services.db, r.candidate_id)
    text = (f"📝 <b>{label(r.kind)}</b> des visites de {who(candidate)} : ressenti sur chaque lieu, attentes, "
            f"besoins, et rendez-vous du débriefing à distance.")
    cb = f"r:{r.id}:"
    return engine.with_notes(services, r, now, text, [[("📝 Commencer le débriefing", f"{cb}done")],
                                                      [("⏰ Reporter", f"{cb}snooze")]])


async def _render_remote_soon(services: Services, r: Reminder, now: datetime):
    candidate = await candidates.get(services.db, r.candidate_id)
    at = datetime.fromisoformat(candidate.remote_debrief_at).astimezone(PARIS)
    when = format_datetime(at) if r.kind.endswith("veille") else f"à {format_time(at)}"
    cls = " ou ".join(mention(m) for m in services.team.with_role("cls")) or "le CLS"
    return engine.with_notes(services, r, now, f"📞 <b>{label(r.kind)}</b>, {when} : {who(candidate)}, mené par {cls}.",
                             [])


async def _render_remote(services: Services, r: Reminder, now: datetime):
    candidate = await candidates.get(services.db, r.candidate_id)
    text = f"📞 <b>{label(r.kind)}</b> avec {who(candidate)} : saisissez les notes du débriefing."
    cb = f"r:{r.id}:"
    return engine.with_notes(services, r, now, text, [[("📝 Saisir le débriefing", f"{cb}done")],
                                                      [("⏰ Reporter", f"{cb}snooze"), ("🙋 Je m'en charge", f"{cb}mine")]])


def provides() -> Provides:
    """Step D: the debriefs' forms, their card buttons, the reminders of the visits and debriefs."""
    return Provides(
        flows=(DEBRIEF_SOIR_FLOW, DEBRIEF_DISTANCE_FLOW),
        card_buttons=(CardButton("📝 Débriefing du soir", "deb", lambda c: c.status == Status.VISITES_PLANIFIEES),
                      CardButton("📞 Débriefing à distance", "deb", lambda c: c.status == Status.VISITES_FAITES)),
        card_actions={"deb": _from_card},
        kinds=(
            MessageKind("visites_veille", _render_eve),
            MessageKind("debrief_soir", _render_evening, done=_from_reminder),
            MessageKind("debrief_distance_veille", _render_remote_soon, done=_from_reminder),
            MessageKind("debrief_distance_1h", _render_remote_soon, done=_from_reminder),
            MessageKind("debrief_distance", _render_remote, done=_from_reminder),
        ),
    )

