"""Step E: the phone follow-ups at 3, 6 and 12 months, and what each call found."""

from __future__ import annotations

from datetime import date

from telegram import Update

from bot.context import BotContext
from bot.dates import format_date
from bot.forms import Form, Kind, Option, Question
from bot.pipeline import Status, check_transition
from bot.reminders import label
from handlers import candidates as step_a
from handlers import reminders as engine
from handlers.common import esc, send
from handlers.dialog import AnswerSet, Flow, begin, register
from storage import candidates, reminders, visits
from storage.dialogs import Dialog

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


async def _header(context: BotContext, dialog: Dialog) -> str:
    candidate = await candidates.get(context.db, dialog.data["candidate"])
    return f"📞 <b>{label('suivi_' + str(dialog.data['months']))} — {esc(candidate.full_name)} (n° {candidate.id})</b>"


async def _done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    cid, months = dialog.data["candidate"], dialog.data["months"]
    candidate = await candidates.get(context.db, cid)
    reminder = await reminders.get(context.db, dialog.data["reminder"])
    if candidate is None or reminder is None or reminder.state not in reminders.OPEN:
        await send(context, dialog.chat_id, "Ce suivi a déjà été enregistré entre-temps : rien n'a été changé.")
        return
    values = answers.values
    outcome = values["outcome"]
    await visits.record_follow_up(context.db, cid, months, outcome=outcome, note=values.get("note"),
                                  by=context.actor.user_id, at=context.now_iso())
    await engine.close_reminder(context, reminder.id)
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
    await engine.after_change(context, cid)
    closing = " Les suivis restants sont clos." if outcome in ("installe", "abandon") else ""
    await step_a.send_card(context, dialog.chat_id, cid, intro=f"✅ Suivi enregistré.{closing}")


register(Flow(name="suivi", form=lambda d: OUTCOME_FORM, complete=_done, header=_header))


async def _from_reminder(update: Update, context: BotContext, reminder) -> None:
    await update.callback_query.answer()
    months = int(reminder.kind.split("_")[1])
    await begin(update, context, "suivi", data={"candidate": reminder.candidate_id, "months": months,
                                                  "reminder": reminder.id})


engine.ACTIONS["suivi"] = _from_reminder
