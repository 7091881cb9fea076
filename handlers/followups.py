"""Step E: the phone follow-ups at 3, 6 and 12 months, and what each call found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from telegram import Update

from delivery import engine
from delivery.kinds import MessageKind
from delivery.markup import pair, who
from delivery.services import Services
from domain.dates import format_date
from domain.forms import Form, Kind, Option, Question
from domain.pipeline import FOLLOW_UP_MONTHS, Status, check_transition
from domain.reminders import label
from handlers import dossiers
from handlers.common import after_change, close_reminder, esc, send
from handlers.context import BotContext
from handlers.dialog import AnswerSet, Flow, begin, state_of
from handlers.wiring import Provides
from storage import candidates, reminders, visits
from storage.dialogs import Dialog
from storage.reminders import Reminder

OUTCOMES = (Option("recherche", "Toujours en recherche"), Option("installe", "Installé·e"),
            Option("reflexion", "En réflexion"), Option("abandon", "Abandon"))
_INSTALLED = lambda a: a.get("outcome") == "installe"  # noqa: E731

OUTCOME_FORM = Form("suivi", "Suivi", (
    Question("outcome", "Résultat de l'appel", "Où en est le candidat ?", Kind.CHOICE, OUTCOMES),
    Question("place", "Lieu d'installation", "<b>Où</b> s'installe-t-il ? (lieu d'exercice)", Kind.TEXT, when=_INSTALLED),
    Question("commune", "Commune", "Dans quelle <b>commune</b> ?", Kind.TEXT, when=_INSTALLED),
    Question("installed_on", "Date d'installation", "<b>Quand</b> (date d'installation) ?", Kind.DAY, when=_INSTALLED,
             prefer="future", hint="Par exemple « 1er mars », « 15/01/2027 »."),
    Question("note", "Note", "Une <b>note</b> sur cet appel ?", Kind.TEXT, optional=True),
))
# the status an outcome leads to, from where the candidate is
NEXT_STATUS = {"installe": Status.INSTALLE, "abandon": Status.ABANDON, "reflexion": Status.EN_REFLEXION,
               "recherche": Status.SUIVI}


@dataclass(frozen=True)
class FollowUpCall:
    """The call being written down: whose, at how many months, and the reminder it answers."""

    candidate: int
    months: int
    reminder: int


async def _header(context: BotContext, dialog: Dialog) -> str:
    call = state_of(dialog, FollowUpCall)
    candidate = await candidates.get(context.db, call.candidate)
    return f"📞 <b>{label(f'suivi_{call.months}')} — {esc(candidate.full_name)} (n° {candidate.id})</b>"


async def _done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    call = state_of(dialog, FollowUpCall)
    cid, months = call.candidate, call.months
    candidate = await candidates.get(context.db, cid)
    reminder = await reminders.get(context.db, call.reminder)
    if candidate is None or reminder is None or reminder.state not in reminders.OPEN:
        await send(context, dialog.chat_id, "Ce suivi a déjà été enregistré entre-temps : rien n'a été changé.")
        return
    values = answers.values
    outcome = values["outcome"]
    await visits.record_follow_up(context.db, cid, months, outcome=outcome, note=values.get("note"),
                                  by=context.actor.user_id, at=context.now_iso())
    await close_reminder(context, reminder.id)
    status, target = Status(candidate.status), NEXT_STATUS[outcome]
    changes = {}
    detail = f"{label('suivi_' + str(months))} : {OUTCOME_FORM.question('outcome').option_label(outcome).lower()}"
    if outcome == "installe":
        changes = {"installed_place": values["place"], "installed_commune": values["commune"],
                   "installed_on": values["installed_on"]}
        detail += f" — {values['place']} ({values['commune']}), le {format_date(date.fromisoformat(values['installed_on']))}"
    if values.get("note"):
        detail += f" ; {values['note']}"
    new_status = None
    if target is not status:
        check_transition(status, target)
        new_status = target
    await candidates.update(context.db, cid, changes, by=context.actor.user_id, at=context.now_iso(), kind="suivi",
                            detail=detail, status=new_status)
    await after_change(context, cid)
    closing = " Les suivis restants sont clos." if outcome in ("installe", "abandon") else ""
    await dossiers.send_card(context, dialog.chat_id, cid, intro=f"✅ Suivi enregistré.{closing}")


SUIVI_FLOW = Flow(name="suivi", form=lambda d: OUTCOME_FORM, complete=_done, header=_header)


def _call_made(months: int):
    """What « ✅ Fait » does on the reminder of the call at ``months`` months: ask what the call found."""
    async def from_reminder(update: Update, context: BotContext, reminder) -> None:
        await update.callback_query.answer()
        await begin(update, context, "suivi", state=FollowUpCall(reminder.candidate_id, months, reminder.id))
    return from_reminder


async def _render_call(services: Services, r: Reminder, now: datetime):
    candidate = await candidates.get(services.db, r.candidate_id)
    phone = f", {esc(candidate.phone)}" if candidate.phone else ""
    text = (f"📞 <b>{label(r.kind)}</b> de {who(candidate)}{phone} : appel par le binôme CLS–CPTS.\n"
            f"👥 {pair(services.team)}")
    cb = f"r:{r.id}:"
    return engine.with_notes(services, r, now, text, [[("✅ Fait", f"{cb}done"), ("⏰ Reporter", f"{cb}snooze"),
                                                       ("🙋 Je m'en charge", f"{cb}mine")]])


def provides() -> Provides:
    """Step E: the reminders of the calls at 3, 6 and 12 months, and the form of what each call found."""
    return Provides(flows=(SUIVI_FLOW,),
                    kinds=tuple(MessageKind(f"suivi_{m}", _render_call, done=_call_made(m)) for m in FOLLOW_UP_MONTHS))
