"""Step B: the interview, led together by the CLS and CPTS interviewers, question by question.

The dialog is shared by the whole team in its chat, so both interviewers can answer in the group; each
answer is written to interview_answers with who gave it. Pausing closes the dialog only: /entretien N,
from any team member's chat, starts again at the first unanswered question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from telegram import Update

from delivery import engine
from delivery.kinds import MessageKind
from delivery.markup import pair, who
from delivery.services import Services
from domain.dates import PARIS, format_date, format_datetime, format_time
from domain.forms import Question
from domain.interview import INTERVIEW
from domain.pipeline import Status, check_transition, croisement_deadline, deadline_note
from domain.reminders import label
from handlers import dossiers
from handlers.common import after_change, audit, esc, send
from handlers.context import BotContext
from handlers.dialog import AnswerSet, Flow, ask, begin, keep_state, state_of
from handlers.wiring import CardButton, Provides
from storage import candidates, dialogs, interviews
from storage.dialogs import Dialog
from storage.reminders import Reminder

ROLE_NAMES = {"cls": "CLS", "cpts": "CPTS"}


@dataclass(frozen=True)
class Interview:
    """Who leads each role's questions: the member of that role who opened or first answered the interview."""

    interviewers: dict[str, int] = field(default_factory=dict)
OPEN_STATUSES = (Status.NOUVEAU, Status.ENTRETIEN_PLANIFIE)
REVIEWABLE = (*OPEN_STATUSES, Status.ENTRETIEN_FAIT)


async def _load(context: BotContext, dialog: Dialog) -> AnswerSet:
    found = AnswerSet()
    for a in await interviews.answers(context.db, dialog.subject_id):
        if a.skipped:
            found.skipped.add(a.question)
        else:
            found.values[a.question] = a.value
        found.by[a.question] = a.answered_by
        found.at[a.question] = a.answered_at
    return found


async def _save(context: BotContext, dialog: Dialog, question: Question, value, by: int) -> None:
    role = context.actor.role
    await interviews.save_answer(context.db, dialog.subject_id, question.key, value, by=by, role=role,
                                 at=context.now_iso())
    interview = state_of(dialog, Interview)
    if role not in interview.interviewers:  # who answers first for a role leads its questions
        interview.interviewers[role] = by
        keep_state(dialog, interview)


async def _header(context: BotContext, dialog: Dialog) -> str:
    candidate = await candidates.get(context.db, dialog.subject_id)
    return f"🗣 <b>Entretien — {esc(candidate.full_name)} (n° {candidate.id})</b>"


def _owner_note(context: BotContext, dialog: Dialog, question: Question) -> str:
    """Name the interviewer who leads this question: the one of that role in this interview, if known."""
    if question.owner is None:
        return ""
    team = context.services.team
    chosen = state_of(dialog, Interview).interviewers.get(question.owner)
    names = [team.name(chosen)] if team.get(chosen) else [m.name for m in team.with_role(question.owner)]
    return f"👤 Côté {ROLE_NAMES[question.owner]} : {esc(' ou '.join(names))}" if names else ""


async def _on_pause(context: BotContext, dialog: Dialog) -> str:
    candidate = await candidates.get(context.db, dialog.subject_id)
    answers = await _load(context, dialog)
    total = len(INTERVIEW.applicable(answers.values))
    answered = len([q for q in INTERVIEW.applicable(answers.values) if q.key in answers.done])
    return (f"⏸ Entretien de {esc(candidate.full_name)} (n° {candidate.id}) en pause : {answered} question(s) sur "
            f"{total} traitée(s), tout est enregistré. Reprenez avec /entretien {candidate.id}, ici ou ailleurs.")


def _interviewers(context: BotContext, interview, answers: AnswerSet) -> str:
    """Everyone who took part: the CLS and CPTS interviewers, then whoever else answered, in order of answering."""
    team = context.services.team
    ids = [interview.cls_id, interview.cpts_id] + [by for _, by in sorted((answers.at.get(k, ""), by)
                                                                          for k, by in answers.by.items())]
    names = list(dict.fromkeys(team.name(i) for i in ids if i and team.get(i)))
    return " et ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} et {names[-1]}"


async def _complete(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    candidate = await candidates.get(context.db, dialog.subject_id)
    status = Status(candidate.status)
    now_iso = context.now_iso()
    if status in OPEN_STATUSES:
        check_transition(status, Status.ENTRETIEN_FAIT)
        today = context.now().date()
        due = croisement_deadline(today)
        who = _interviewers(context, await interviews.get(context.db, candidate.id), answers)
        detail = "Entretien fait" + (f" avec {who}" if who else "")
        detail += f" ; croisement à faire avant le {format_date(due)}"
        await candidates.update(
            context.db, candidate.id, {"interview_done_at": today.isoformat(), "croisement_due": due.isoformat()},
            by=context.actor.user_id, at=now_iso, kind="entretien", detail=detail, status=Status.ENTRETIEN_FAIT,
        )
        await interviews.confirm(context.db, candidate.id, at=now_iso)
        await after_change(context, candidate.id)
        intro = (f"✅ Entretien enregistré. <b>Croisement des données à faire avant le {format_date(due)}</b> "
                 f"(10 jours){deadline_note(due)}.")
    else:
        await candidates.update(context.db, candidate.id, {}, by=context.actor.user_id, at=now_iso,
                                kind="entretien", detail="Réponses de l'entretien revues")
        intro = "✅ Réponses de l'entretien mises à jour."
    await dossiers.send_card(context, dialog.chat_id, candidate.id, intro=intro)


INTERVIEW_FLOW = Flow(
    name="entretien", form=lambda d: INTERVIEW, complete=_complete, header=_header, load=_load, save=_save,
    shared=True, skip_any=True, can_pause=True, question_note=_owner_note, on_pause=_on_pause,
)


async def open_interview(update: Update, context: BotContext, candidate) -> None:
    """Start, resume here, or move here the interview of a candidate."""
    chat_id = update.effective_chat.id
    if Status(candidate.status) not in REVIEWABLE:
        await send(context, chat_id, f"L'entretien de {esc(candidate.full_name)} est confirmé et le dossier est "
                                     f"passé à l'étape suivante : ses réponses se consultent dans l'export.")
        return
    await audit(context, "consultation", candidate_id=candidate.id, detail="entretien")
    existing = await dialogs.find_for_subject(context.db, "entretien", candidate.id)
    if existing is not None and existing.chat_id == chat_id:
        await ask(context, existing, intro="L'entretien est déjà en cours ici ; voici où vous en êtes.")
        return
    if existing is not None:
        await send(context, existing.chat_id, f"↪️ L'entretien de {esc(candidate.full_name)} (n° {candidate.id}) "
                                              f"continue dans une autre discussion, avec {esc(context.actor.name)}.")
    already = await interviews.get(context.db, candidate.id)
    interview = await interviews.open_interview(context.db, candidate.id, by=context.actor.user_id,
                                                role=context.actor.role, at=context.now_iso())
    done = len(await interviews.answers(context.db, candidate.id))
    if already is None:
        await candidates.update(context.db, candidate.id, {}, by=context.actor.user_id, at=context.now_iso(),
                                kind="entretien", detail="Entretien commencé")
        intro = ("🗣 Début de l'entretien. Les deux intervieweurs peuvent répondre (en répondant aux questions du "
                 "bot) ; chaque réponse est enregistrée aussitôt. ⏭ Passer, ⬅️ Retour et ⏸ Pause à tout moment.")
    elif Status(candidate.status) not in OPEN_STATUSES:
        intro = "L'entretien a déjà été confirmé : voici ses réponses, que vous pouvez corriger."
    else:
        intro = f"▶️ Reprise de l'entretien : {done} réponse(s) déjà enregistrée(s)."
    interviewers = {r: i for r, i in (("cls", interview.cls_id), ("cpts", interview.cpts_id)) if i}
    await begin(update, context, "entretien", subject_id=candidate.id, state=Interview(interviewers), intro=intro)


async def start_interview(update: Update, context: BotContext) -> None:
    """/entretien N: lead the interview of candidate N, or resume it at the first unanswered question."""
    candidate = await dossiers.numbered_candidate(update, context, "entretien")
    if candidate is None:
        return
    await open_interview(update, context, candidate)


async def _card_action(update: Update, context: BotContext, candidate) -> None:
    await update.callback_query.answer()
    await open_interview(update, context, candidate)


# --- the reminders of the interview: the day before, and an hour before ----------------------------------

async def _render_reminder(services: Services, r: Reminder, now: datetime):
    candidate = await candidates.get(services.db, r.candidate_id)
    at = datetime.fromisoformat(candidate.interview_at).astimezone(PARIS)
    when = format_datetime(at) if r.kind == "entretien_veille" else f"à {format_time(at)}"
    text = f"📅 <b>{label(r.kind)}</b>, {when} : {who(candidate)}.\n👥 {pair(services.team)}"
    return engine.with_notes(services, r, now, text, [])


def provides() -> Provides:
    """Step B: the interview's form, its card buttons, its reminders."""
    return Provides(
        flows=(INTERVIEW_FLOW,),
        card_buttons=(CardButton("🗣 Entretien", "ent", lambda c: Status(c.status) in OPEN_STATUSES),
                      CardButton("🗣 Revoir l'entretien", "ent", lambda c: Status(c.status) is Status.ENTRETIEN_FAIT)),
        card_actions={"ent": _card_action},
        kinds=tuple(MessageKind(kind, _render_reminder) for kind in ("entretien_veille", "entretien_1h")),
    )
