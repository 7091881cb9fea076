"""Free reminders (/rappel, /rappels) and the buttons every reminder carries: ✅ Fait, ⏰ Reporter, 🙋 Je m'en
charge. The engine that sends them is ``delivery.engine``.

Buttons: ``r:<reminder id>:<action>``, checked against the reminder's state and chat.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from delivery import engine
from delivery.kinds import MessageKind
from delivery.services import Services
from domain.callbacks import read
from domain.dates import (
    PARIS,
    DateParseError,
    ImpossibleDate,
    format_date,
    format_datetime,
    format_short,
    parse_moment,
)
from domain.forms import Form, Kind, Question, too_long
from domain.messages import fit_html
from domain.reminders import extract_when, label
from domain.schedule import day_off, next_working_day
from handlers.common import append_note, edit_markup, esc, keyboard, reply, send
from handlers.context import BotContext
from handlers.dialog import AnswerSet, Flow, begin, state_of
from handlers.wiring import Provides
from storage import candidates, reminders
from storage.dialogs import Dialog
from storage.reminders import Reminder


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(PARIS)


async def _render_free(services: Services, r: Reminder, now: datetime):
    """A reminder someone typed with /rappel."""
    cb = f"r:{r.id}:"
    creator = services.team.name(r.created_by)
    text = f"🔔 <b>Rappel</b> : {esc(r.text)}" + (f"\n<i>Noté par {esc(creator)}</i>" if r.created_by else "")
    buttons = [[("✅ Fait", f"{cb}done"), ("⏰ Reporter", f"{cb}snooze"), ("🙋 Je m'en charge", f"{cb}mine")]]
    return engine.with_notes(services, r, now, text, buttons)


# --- /rappel, /rappels --------------------------------------------------------------------------------

REMINDER_LENGTH = 1000  # characters, its date included: a reminder is a line, not a letter


async def new_reminder(update: Update, context: BotContext) -> None:
    """/rappel <texte avec une date>: a free reminder, sent to this chat at that time."""
    text = " ".join(context.args or []).strip()
    example = "Exemples : /rappel appeler la mairie de Conliège mardi 10h · /rappel relancer le Dr X dans 2 semaines"
    if not text:
        await reply(update, context, f"Que faut-il rappeler, et quand ?\n{example}")
        return
    refusal = too_long("un rappel", text, REMINDER_LENGTH)
    if refusal:
        await reply(update, context, f"❗ {esc(refusal)}")
        return
    now = context.now()
    try:
        what, moment = extract_when(text, now)
    except ImpossibleDate as err:
        await reply(update, context, f"❗ {esc(err)} Rien n'a été noté.\n{example}")
        return
    except DateParseError:
        try:  # a date and nothing to be reminded of
            parse_moment(text, now)
        except DateParseError:
            await reply(update, context, f"Je n'ai pas trouvé de date dans « {esc(text)} ».\n{example}")
        else:
            await reply(update, context, f"Que faut-il rappeler {esc(text)} ? Écrivez-le avant la date.\n{example}")
        return
    hours = context.services.settings.hours
    asked = moment.when if moment.has_time else hours.at(moment.day, hours.morning)
    if asked <= now:
        await reply(update, context, f"Le {format_datetime(asked)} est déjà passé : indiquez une date à venir.")
        return
    # an hour typed on a working day is kept; a day off moves to the next working morning, as the README says
    off = day_off(moment.day)
    when = hours.at(next_working_day(moment.day), hours.morning) if off else hours.adjust(asked, exact=moment.has_time)
    await reminders.create(context.db, kind="libre", chat_id=update.effective_chat.id, text=what,
                           due_at=_utc(when), exact=moment.has_time, created_by=context.actor.user_id,
                           at=context.now_iso())
    await engine.reschedule(context.application)
    if off:
        said = (f"le {format_date(moment.day)} est {esc(off)} : il partira le <b>{format_datetime(when)}</b>, "
                f"jour ouvré suivant")
    else:
        said = f"le <b>{format_datetime(when)}</b>"
    await reply(update, context, f"⏰ C'est noté : « {esc(what)} » {said}.")


async def list_reminders(update: Update, context: BotContext) -> None:
    """/rappels: what is pending, mine or everyone's."""
    mine = bool(context.args) and context.args[0].lower().startswith(("mes", "moi", "les miens"))
    await reply(update, context, *await _listing(context, mine))


async def _listing(context: BotContext, mine: bool):
    found, total = await reminders.open_ones(context.db, user_id=context.actor.user_id if mine else None)
    title = "🔔 <b>Rappels en attente</b> — " + ("les vôtres" if mine else "toute l'équipe")
    lines = [title]
    for r in found:
        if r.kind == "digest":
            continue
        state = " (sans réponse)" if r.state == "awaiting" else ""
        lines.append(f"• {format_short(_parse(r.due_at if r.state == 'pending' else r.original_due_at))} — "
                     f"{await engine.line(context.services, r)}{state}")
    if len(lines) == 1:
        lines.append("Aucun rappel en attente.")
    if total > len(found):
        lines.append(f"<i>… et {total - len(found)} autre(s).</i>")
    if context.actor.is_admin:
        failed = await reminders.failed(context.db)
        if failed:
            lines += ["", "⚠️ <b>Échecs d'envoi</b>"]
            lines += [f"• {esc(label(r.kind))} — {esc(r.last_error or '')}" for r in failed]
    lines.append("\nNouveau : /rappel appeler la mairie mardi 10h")
    markup = keyboard([[("👤 Les miens", "rl:mine"), ("👥 Tous", "rl:all")]])
    return "\n".join(lines), markup


async def on_list_button(update: Update, context: BotContext) -> None:
    """Switch /rappels between mine and all."""
    query = update.callback_query
    if query.data not in ("rl:mine", "rl:all"):
        await query.answer("Ce bouton n'est plus valable.", show_alert=True)
        return
    await query.answer()
    text, markup = await _listing(context, query.data == "rl:mine")
    try:
        await query.edit_message_text(fit_html(text), reply_markup=markup)
    except BadRequest:
        pass


# --- the buttons on a reminder ------------------------------------------------------------------------

async def on_button(update: Update, context: BotContext) -> None:
    """✅ Fait, ⏰ Reporter (demain, dans une semaine, une date), 🙋 Je m'en charge."""
    query = update.callback_query
    pressed = read(query.data, "r", int, str)
    reminder = await reminders.get(context.db, pressed[0]) if pressed else None
    if (reminder is None or reminder.state not in reminders.OPEN or query.message is None
            or query.message.chat_id != reminder.chat_id):
        await query.answer("Ce rappel n'est plus d'actualité.", show_alert=True)
        return
    action, who = pressed[1], context.actor
    cb = f"r:{reminder.id}:"
    now = context.now()
    if action == "mine":
        await reminders.assign(context.db, reminder.id, who.user_id)
        # taking it on is an answer: no repost to the group
        await _quiet(context, reminder)
        await query.answer("C'est noté, il est pour vous.")
        rows = [[b for b in row if b.callback_data != f"{cb}mine"] for row in query.message.reply_markup.inline_keyboard]
        await append_note(query, f"🙋 Pris en charge par {esc(who.name)}.", InlineKeyboardMarkup([r for r in rows if r]))
    elif action == "snooze":
        await query.answer()
        await edit_markup(query, keyboard([[("Demain", f"{cb}s1"), ("Dans une semaine", f"{cb}s7")],
                                            [("📅 Autre date", f"{cb}sd")]]))
    elif action in ("s1", "s7"):
        hours = context.services.settings.hours
        when = hours.adjust(hours.at(now.date() + timedelta(days=1 if action == "s1" else 7), hours.morning))
        await _snooze(context, reminder, when)
        await query.answer(f"Reporté au {format_datetime(when)}")
        await append_note(query, f"⏰ Reporté au {format_datetime(when)} par {esc(who.name)}.")
    elif action == "sd":
        morning = context.services.settings.reminder_morning.isoformat(timespec="minutes")
        await begin(update, context, "reporter", state=Snooze(reminder.id, morning))
        await query.answer()
        await edit_markup(query, None)
    elif action == "done":
        declared = context.services.deliveries.kinds.get(reminder.kind)
        handler = declared.done if declared else None
        if handler is not None:
            await handler(update, context, reminder)
            return
        await reminders.close(context.db, reminder.id, state="done", at=_utc(now), by=who.user_id)
        if reminder.candidate_id:
            await candidates.update(context.db, reminder.candidate_id, {}, by=who.user_id, at=_utc(now),
                                    kind="rappel", detail=f"{label(reminder.kind)} : fait")
        await query.answer("Fait ✅")
        await append_note(query, f"✅ Fait ({esc(who.name)}).")
    else:
        await query.answer("Ce bouton n'est plus valable.", show_alert=True)


async def _quiet(context: BotContext, reminder: Reminder) -> None:
    """Stop reposting a reminder someone took on: it stays open (in /rappels and the digest) until done."""
    if reminder.state == "awaiting":
        await reminders.set_due(context.db, reminder.id, _utc(context.now() + engine.QUIET))


async def _snooze(context: BotContext, reminder: Reminder, when: datetime) -> None:
    await reminders.reschedule(context.db, reminder.id, due_at=_utc(when), exact=True)
    if reminder.candidate_id:
        await candidates.update(context.db, reminder.candidate_id, {}, by=context.actor.user_id,
                                at=context.now_iso(), kind="rappel",
                                detail=f"{label(reminder.kind)} : reporté au {format_datetime(when)}")
    await engine.reschedule(context.application)






# --- ⏰ Reporter → a date typed in French ----------------------------------------------------------------

SNOOZE_FORM = Form("reporter", "Reporter un rappel", (
    Question("when", "Nouvelle date", "À quand <b>reporter</b> ce rappel ?", Kind.MOMENT, future=True,
             hint="Par exemple « jeudi 10h », « le 3 décembre », « dans 2 semaines »."),
))


async def _snooze_header(context: BotContext, dialog: Dialog) -> str:
    return "⏰ <b>Reporter un rappel</b>"


@dataclass(frozen=True)
class Snooze:
    """The reminder being moved, and the morning hour a day typed without a time means."""

    reminder: int
    morning: str = "09:00"


async def _snooze_done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    reminder = await reminders.get(context.db, state_of(dialog, Snooze).reminder)
    if reminder is None or reminder.state not in reminders.OPEN:
        await send(context, dialog.chat_id, "Ce rappel n'est plus d'actualité.")
        return
    when = datetime.fromisoformat(answers.values["when"])
    await _snooze(context, reminder, when)
    await send(context, dialog.chat_id, f"⏰ Rappel reporté au <b>{format_datetime(when)}</b>.")


SNOOZE_FLOW = Flow(
    name="reporter",
    # a day typed without a time means the configured morning hour of that day
    form=lambda d: Form("reporter", "Reporter", (
        replace(SNOOZE_FORM.questions[0], default_time=time.fromisoformat(state_of(d, Snooze).morning)),)),
    complete=_snooze_done, header=_snooze_header, summary=False,
)



def provides() -> Provides:
    """Free reminders, and the form that reports any reminder to a typed date."""
    return Provides(kinds=(MessageKind("libre", _render_free),), flows=(SNOOZE_FLOW,))
