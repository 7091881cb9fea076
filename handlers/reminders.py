"""Durable reminders: the engine that sends them, /rappel and /rappels, and their buttons.

The database is the truth. The JobQueue only wakes the bot at the earliest due time (its misfire grace time is
lifted, so a late wake still runs); at start everything that fell due while the bot was down is sent at once,
marked late. A row is marked sent only after Telegram accepted the message: a 429 waits its retry_after, a
network error backs off, a permanent error (chat gone, bot removed) is recorded and admins are told.
Reminders the team must act on are posted again after 2 working days until someone does.

Buttons: ``r:<reminder id>:<action>``, checked against the reminder's state and chat.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from bot.callbacks import read
from bot.candidates import profession_label
from bot.context import BotContext, Services
from bot.dates import (
    PARIS,
    DateParseError,
    ImpossibleDate,
    format_date,
    format_datetime,
    format_short,
    format_time,
    parse_moment,
)
from bot.forms import Form, Kind, Question, too_long
from bot.messages import fit_html, split_html
from bot.pipeline import Status
from bot.reminders import (
    MAX_REPOSTS,
    PROTOCOL_KINDS,
    REPOST_AFTER_WORKING_DAYS,
    CandidateState,
    extract_when,
    follow_up_plan,
    label,
    needs_answer,
    next_monday,
    plan,
)
from bot.schedule import day_off, next_working_day
from handlers.common import append_note, audit, edit_markup, esc, keyboard, reply, send
from handlers.dialog import AnswerSet, Flow, begin, register
from storage import candidates, privacy, reminders, visits
from storage.dialogs import Dialog
from storage.reminders import Reminder

log = logging.getLogger(__name__)

WAKE_JOB = "rappels"
POKE_JOB = "rappels-maintenant"  # a wake of its own, which a dispatch's rescheduling of WAKE_JOB leaves alone
LATE_AFTER = timedelta(minutes=15)
QUIET = timedelta(days=3650)  # an open reminder nobody will be nagged about again (digest and /rappels still list it)
BACKOFF_MAX = timedelta(hours=1)
HOOK_RETRY = timedelta(minutes=1)  # timed work that failed (a poll to close, an e-mail to send) is tried again then


@dataclass(frozen=True)
class Hook:
    """Other timed work the engine wakes up for (a poll's deadline, a coalesced edit): its next due time, and
    what to run when it has come."""

    next_due: Callable[[Services], Awaitable[str | None]]
    run: Callable[[Application, datetime], Awaitable[None]]


HOOKS: list[Hook] = []


def next_night(last_run: str | None, at: time, now: datetime) -> str:
    """When nightly work runs next (UTC): at ``at`` in Paris the night after its last run, or now if it never ran."""
    if last_run is None:
        return _utc(now)
    day = datetime.fromisoformat(last_run).astimezone(PARIS).date() + timedelta(days=1)
    return _utc(datetime.combine(day, at).replace(tzinfo=PARIS))
# more sections for the weekly digest (the weekly pulse of step F)
DIGEST_SECTIONS: list[Callable[[Services, datetime], Awaitable[list[str]]]] = []
# kind -> how a reminder of a kind owned by another step reads: (text, markup), or None when it no longer applies
RENDERERS: dict[str, Callable[[Services, Reminder, datetime], Awaitable[tuple | None]]] = {}
# What "✅" does for a kind of reminder, registered by the step that owns it (debriefs, follow-ups...)
ACTIONS: dict[str, Callable[[Update, BotContext, Reminder], Awaitable[None]]] = {}
ACTION_LABELS: dict[str, str] = {}
# what other steps make good at each start, for work a stop may have left half done (a poll's relances)
AT_START: list[Callable[[Application], Awaitable[None]]] = []
# kind -> what to keep of a message once sent (its id, for later edits), written with its "sent" state
SENT: dict[str, Callable[[Reminder, int, str], list[tuple[str, tuple]]]] = {}
# kind -> whom to tell when Telegram refuses a reminder for good (by default the admins, in private)
REFUSED: dict[str, Callable[[Application, Reminder, str], Awaitable[None]]] = {}


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(PARIS)


def services_of(app: Application) -> Services:
    return app.bot_data["services"]


# --- keeping a candidate's protocol reminders in step with its state ------------------------------------

async def candidate_state(services: Services, candidate) -> CandidateState:
    visit = await visits.visit(services.db, candidate.id)
    done = frozenset(f.months for f in await visits.follow_ups(services.db, candidate.id) if f.done_at)
    return CandidateState(
        status=Status(candidate.status),
        interview_at=_parse(candidate.interview_at) if candidate.interview_at else None,
        interview_done=date.fromisoformat(candidate.interview_done_at[:10]) if candidate.interview_done_at else None,
        visit_day=date.fromisoformat(visit.day) if visit else None,
        remote_debrief_at=_parse(candidate.remote_debrief_at) if candidate.remote_debrief_at else None,
        follow_ups_done=done,
    )


async def sync(app: Application, candidate_id: int) -> None:
    """Create, move or cancel the candidate's protocol reminders so that they match its state."""
    services = services_of(app)
    db = services.db
    candidate = await candidates.get(db, candidate_id)
    now = services.clock.now()
    existing = {r.key: r for r in await reminders.for_candidate(db, candidate_id) if r.kind in PROTOCOL_KINDS}
    wanted = {}
    if candidate is not None:
        for planned in plan(await candidate_state(services, candidate), services.settings.hours):
            wanted[planned.key(candidate_id)] = planned
    for key, planned in wanted.items():
        current = existing.get(key)
        if current is None and planned.due > now:
            await reminders.create(db, kind=planned.kind, key=key, candidate_id=candidate_id,
                                   chat_id=services.settings.team_chat_id, due_at=_utc(planned.due),
                                   exact=planned.exact, at=_utc(now))
        elif current is not None and current.state == "cancelled" and planned.due > now:
            await reminders.reschedule(db, current.id, due_at=_utc(planned.due), exact=planned.exact)
    for key, current in existing.items():
        if key not in wanted and current.state in reminders.OPEN:
            await reminders.close(db, current.id, state="cancelled", at=_utc(now), by=None)
    if candidate is not None and Status(candidate.status) in (Status.SUIVI, Status.EN_REFLEXION):
        # the follow-ups' own rows, for the outcomes and the indicators
        state = await candidate_state(services, candidate)
        await visits.ensure_follow_ups(db, candidate_id, {m: d.isoformat() for m, d in follow_up_plan(state).items()})
    schedule_wake(app, await next_wake(services))


async def after_change(context: BotContext, candidate_id: int) -> None:
    """Every handler that changes a candidate calls this: the audit log, then the candidate's reminders."""
    events, _ = await candidates.timeline(context.db, candidate_id, limit=1)
    await audit(context, "modification", candidate_id=candidate_id, detail=events[-1].detail if events else "")
    await sync(context.application, candidate_id)


# --- waking up and sending ------------------------------------------------------------------------------

async def _wake(context: ContextTypes.DEFAULT_TYPE) -> None:
    await dispatch_due(context.application)


async def next_wake(services: Services) -> str | None:
    """The earliest time anything timed is due: a reminder, or a hook's work."""
    times = [await reminders.next_due_at(services.db)] + [await hook.next_due(services) for hook in HOOKS]
    times = [t for t in times if t]
    return min(times, key=lambda t: datetime.fromisoformat(t)) if times else None


async def reschedule(app: Application) -> None:
    schedule_wake(app, await next_wake(services_of(app)))


def schedule_wake(app: Application, due_at: str | None, *, soonest: timedelta = timedelta(seconds=1)) -> None:
    """Ask the JobQueue to wake the bot at the next due time, ``soonest`` from now at the earliest (and never to
    skip a late wake)."""
    services = services_of(app)
    if not services.autoschedule or app.job_queue is None:
        return
    for job in app.job_queue.get_jobs_by_name(WAKE_JOB):
        job.schedule_removal()
    if due_at is None:
        return
    when = max(_parse(due_at), services.clock.now() + soonest)
    app.job_queue.run_once(_wake, when=when, name=WAKE_JOB, job_kwargs={"misfire_grace_time": None, "coalesce": True})


async def start_engine(app: Application) -> None:
    """At start: the candidates changed since the last start have their protocol reminders, the weekly digest
    exists, a safety wake runs every 5 minutes, and what is due goes out now."""
    services = services_of(app)
    await resync_changed(app)
    for catch_up in AT_START:
        await catch_up(app)
    await ensure_digest(services)
    if services.autoschedule and app.job_queue is not None:
        app.job_queue.run_repeating(_wake, interval=300, first=300, name="rappels-filet",
                                    job_kwargs={"misfire_grace_time": None, "coalesce": True})
    await dispatch_due(app)


LAST_START = "moteur:dernier_demarrage"


async def resync_changed(app: Application) -> None:
    """Each change commits first, then its reminders follow (``sync``): a bot stopped in between left them
    behind. Every candidate changed since the previous start is reconciled again (every one at the first start)."""
    services = services_of(app)
    since, started = await privacy.get_kv(services.db, LAST_START), services.clock.utc_iso()
    for candidate_id in await candidates.changed_since(services.db, since):
        await sync(app, candidate_id)
    await privacy.set_kv(services.db, LAST_START, started)  # only once done: stopped meanwhile, it starts over


async def ensure_digest(services: Services) -> None:
    monday = next_monday(services.clock.now(), services.settings.hours)
    key = f"digest:{monday.date().isoformat()}"
    if await reminders.by_key(services.db, key) is None:
        await reminders.create(services.db, kind="digest", key=key, chat_id=services.settings.team_chat_id,
                               due_at=_utc(services.settings.hours.adjust(monday)), at=services.clock.utc_iso())


async def dispatch_due(app: Application) -> int:
    """Send every reminder whose time has come; returns how many went out."""
    services = services_of(app)
    sent = 0
    soonest = timedelta(seconds=1)
    async with services.dispatch_lock:
        for hook in HOOKS:
            due = await hook.next_due(services)
            if due and datetime.fromisoformat(due) <= services.clock.now():
                try:
                    await hook.run(app, services.clock.now())
                except Exception:  # noqa: BLE001 - one failing hook must not stop the reminders
                    log.exception("timed work failed", extra={"hook": hook.run.__qualname__})
                    soonest = HOOK_RETRY  # it is still due: tried again in a while, not in a loop
        while True:
            now = services.clock.now()
            batch = await reminders.due(services.db, _utc(now))
            if not batch:
                break
            progressed = False
            for reminder in batch:
                outcome = await _deliver(app, services, reminder, now)
                sent += outcome == "sent"
                progressed |= outcome != "later"
            if not progressed:
                break  # everything left waits for a retry time
        schedule_wake(app, await next_wake(services), soonest=soonest)
    return sent


async def deliver_now(app: Application, *reminder_ids: int) -> None:
    """Send these reminders at once (notices queued with what they tell, in the same transaction); if Telegram
    fails or refuses one, it is retried or reported like any other."""
    services = services_of(app)
    if services.dispatch_lock.locked():
        # a dispatch is under way (a burst at Telegram's pace can take minutes): its next batch sends this one, or
        # the wake asked here if it was ending; waiting for it would hold this chat's next updates back
        if services.autoschedule and app.job_queue is not None:
            app.job_queue.run_once(_wake, when=timedelta(seconds=1), name=POKE_JOB,
                                   job_kwargs={"misfire_grace_time": None})
        return
    async with services.dispatch_lock:  # a wake may have sent one meanwhile: then nothing is left to do for it
        for reminder in await reminders.pending(services.db, reminder_ids) if reminder_ids else []:
            await _deliver(app, services, reminder, services.clock.now())
        schedule_wake(app, await next_wake(services))


async def tell(app: Application, chat_id: int, text: str) -> None:
    """A notice that must arrive (someone joined, a message could not reach someone): queued, sent at once, and
    retried by the engine if Telegram fails."""
    services = services_of(app)
    now = services.clock.utc_iso()
    await deliver_now(app, await reminders.create(services.db, kind="avis", chat_id=chat_id, text=text, due_at=now,
                                                  exact=True, at=now))


async def _deliver(app: Application, services: Services, reminder: Reminder, now: datetime) -> str:
    db = services.db
    try:
        rendered = await render(services, reminder, now)
    except Exception:  # noqa: BLE001 - one bad row must not stop the others
        log.exception("reminder could not be rendered", extra={"reminder_id": reminder.id})
        await reminders.mark_failed(db, reminder.id, at=_utc(now), error="rendu impossible")
        return "failed"
    if rendered is None:  # nothing left to remind (the candidate moved on)
        await reminders.close(db, reminder.id, state="cancelled", at=_utc(now), by=None)
        return "cancelled"
    text, markup, *extra = rendered
    files = extra[0] if extra else []  # (photo|document, file name, bytes): a summary's chart and workbook
    try:
        for kind, name, data in files:
            sender = app.bot.send_photo if kind == "photo" else app.bot.send_document
            await sender(reminder.chat_id, InputFile(data, filename=name))
        message = await send_plain(app, reminder.chat_id, text, markup)
    except RetryAfter as err:
        wait = err.retry_after if isinstance(err.retry_after, timedelta) else timedelta(seconds=err.retry_after)
        await reminders.retry_later(db, reminder.id, due_at=_utc(now + wait), error=str(err))
        return "later"
    except (Forbidden, BadRequest) as err:
        await reminders.mark_failed(db, reminder.id, at=_utc(now), error=str(err))
        await REFUSED.get(reminder.kind, _tell_admins)(app, reminder, str(err))
        return "failed"
    except (NetworkError, TelegramError) as err:  # timeouts, 5xx: try again later, never drop
        backoff = min(timedelta(seconds=30 * 2 ** min(reminder.attempts, 10)), BACKOFF_MAX)
        await reminders.retry_later(db, reminder.id, due_at=_utc(now + backoff), error=str(err))
        return "later"
    next_due = None
    if needs_answer(reminder.kind):
        reposts = reminder.reposts + (reminder.state == "awaiting")
        later = (services.settings.hours.add_working_days(now, REPOST_AFTER_WORKING_DAYS) if reposts < MAX_REPOSTS
                 else now + QUIET)
        next_due = _utc(later)
    also = SENT[reminder.kind](reminder, message.message_id, _utc(now)) if reminder.kind in SENT else []
    await reminders.mark_sent(db, reminder.id, at=_utc(now), message_id=message.message_id, next_due=next_due, also=also)
    if reminder.kind == "digest":
        await ensure_digest(services)
    return "sent"


async def send_plain(app: Application, chat_id: int, text: str, markup):
    parts = split_html(text)
    message = None
    for i, part in enumerate(parts):
        message = await app.bot.send_message(chat_id, part, reply_markup=markup if i == len(parts) - 1 else None)
    return message


async def _tell_admins(app: Application, reminder: Reminder, error: str) -> None:
    services = services_of(app)
    text = (f"⚠️ Un rappel n'a pas pu être envoyé ({esc(label(reminder.kind))}, prévu le "
            f"{format_datetime(_parse(reminder.original_due_at))}) : {esc(error)}. Voir /rappels.")
    for member in services.team.members.values():
        if member.is_admin:
            try:
                await app.bot.send_message(member.user_id, text)
            except TelegramError:
                log.warning("could not tell an admin about a failed reminder")


# --- what a reminder says ----------------------------------------------------------------------------

def _mention(member) -> str:
    return f'<a href="tg://user?id={member.user_id}">{esc(member.name)}</a>'


def _pair(services: Services) -> str:
    team = services.team
    cls = " ou ".join(_mention(m) for m in team.with_role("cls")) or "la chargée de mission CLS"
    cpts = " ou ".join(_mention(m) for m in team.with_role("cpts")) or "la CPTS"
    return f"{cls} (CLS) et {cpts} (CPTS)"


def _who(candidate) -> str:
    return f"{esc(candidate.full_name)} ({esc(profession_label(candidate).lower())}, n° {candidate.id})"


async def render(services: Services, r: Reminder, now: datetime):
    """The reminder's text and buttons as they should read now; None when it no longer applies."""
    candidate = await candidates.get(services.db, r.candidate_id) if r.candidate_id else None
    if r.candidate_id and candidate is None:
        return None
    cb = f"r:{r.id}:"
    buttons: list[list[tuple[str, str]]] = []
    kind = r.kind
    if kind in RENDERERS:
        return await RENDERERS[kind](services, r, now)
    if kind == "digest":
        return await _digest(services, now), None
    if kind == "libre":
        creator = services.team.name(r.created_by)
        text = f"🔔 <b>Rappel</b> : {esc(r.text)}" + (f"\n<i>Noté par {esc(creator)}</i>" if r.created_by else "")
        buttons = [[("✅ Fait", f"{cb}done"), ("⏰ Reporter", f"{cb}snooze"), ("🙋 Je m'en charge", f"{cb}mine")]]
    elif kind in ("entretien_veille", "entretien_1h"):
        at = _parse(candidate.interview_at)
        when = format_datetime(at) if kind == "entretien_veille" else f"à {format_time(at)}"
        text = f"📅 <b>{label(kind)}</b>, {when} : {_who(candidate)}.\n👥 {_pair(services)}"
    elif kind.startswith("croisement"):
        due = date.fromisoformat(candidate.croisement_due) if candidate.croisement_due else None
        done = date.fromisoformat(candidate.interview_done_at[:10])
        text = (f"🔎 <b>{label(kind)}</b> pour {_who(candidate)} : entretien le {format_date(done)}, "
                f"croisement à faire avant le {format_date(due) if due else '—'}.\n👥 {_pair(services)}")
        buttons = [[(ACTION_LABELS.get("croisement", "✅ Croisement fait"), f"{cb}done")],
                   [("⏰ Reporter", f"{cb}snooze"), ("🙋 Je m'en charge", f"{cb}mine")]]
    elif kind == "visites_veille":
        visit = await visits.visit(services.db, candidate.id)
        sites = ", ".join(visit.sites) if visit else "—"
        text = f"🚗 <b>Visites demain</b> pour {_who(candidate)} : {esc(sites)}.\n👥 {_pair(services)}"
    elif kind == "debrief_soir":
        text = (f"📝 <b>{label(kind)}</b> des visites de {_who(candidate)} : ressenti sur chaque lieu, attentes, "
                f"besoins, et rendez-vous du débriefing à distance.")
        buttons = [[("📝 Commencer le débriefing", f"{cb}done")], [("⏰ Reporter", f"{cb}snooze")]]
    elif kind in ("debrief_distance_veille", "debrief_distance_1h"):
        at = _parse(candidate.remote_debrief_at)
        when = format_datetime(at) if kind.endswith("veille") else f"à {format_time(at)}"
        cls = " ou ".join(_mention(m) for m in services.team.with_role("cls")) or "le CLS"
        text = f"📞 <b>{label(kind)}</b>, {when} : {_who(candidate)}, mené par {cls}."
    elif kind == "debrief_distance":
        text = f"📞 <b>{label(kind)}</b> avec {_who(candidate)} : saisissez les notes du débriefing."
        buttons = [[("📝 Saisir le débriefing", f"{cb}done")], [("⏰ Reporter", f"{cb}snooze"),
                                                                ("🙋 Je m'en charge", f"{cb}mine")]]
    elif kind.startswith("suivi_"):
        phone = f", {esc(candidate.phone)}" if candidate.phone else ""
        text = (f"📞 <b>{label(kind)}</b> de {_who(candidate)}{phone} : appel par le binôme CLS–CPTS.\n"
                f"👥 {_pair(services)}")
        buttons = [[("✅ Fait", f"{cb}done"), ("⏰ Reporter", f"{cb}snooze"), ("🙋 Je m'en charge", f"{cb}mine")]]
    else:
        return None
    original = _parse(r.original_due_at)
    notes = []
    if r.reposts or (r.state == "awaiting"):
        notes.append("🔁 <i>Relance : personne n'a encore répondu à ce rappel.</i>")
    elif now - original > LATE_AFTER:
        notes.append(f"⏰ <i>En retard — prévu le {format_datetime(original)}.</i>")
    if r.assigned_to:
        notes.append(f"🙋 <i>Pris en charge par {esc(services.team.name(r.assigned_to))}.</i>")
    return "\n".join([*notes, text]), keyboard(buttons)


async def _digest(services: Services, now: datetime) -> str:
    week_end = now + timedelta(days=7)
    open_ones, _ = await reminders.open_ones(services.db, limit=500)
    coming, late = [], []
    for r in open_ones:
        if r.kind == "digest":
            continue
        due = _parse(r.original_due_at)
        line = await _line(services, r)
        # late: due, or sent and still unanswered, for more than a quarter of an hour (not what falls due with the digest)
        since = _parse(r.sent_at) if r.state == "awaiting" and r.sent_at else due
        if now - since > LATE_AFTER:
            late.append(f"• {line} — prévu le {format_short(due)}")
        elif due < week_end:
            coming.append(f"• {format_short(due)} — {line}")
    lines = [f"🗓 <b>Point de la semaine — {format_date(now)}</b>", ""]
    lines += ["<b>Cette semaine</b>", *(coming or ["Rien de prévu."]), "", "<b>En retard ou sans réponse</b>",
              *(late or ["Rien en retard. 👍"])]
    for section in DIGEST_SECTIONS:
        lines += ["", *await section(services, now)]
    return "\n".join(lines)


async def _line(services: Services, r: Reminder) -> str:
    if r.kind == "libre":
        text = f"Rappel : {esc(r.text)}"
    else:
        candidate = await candidates.get(services.db, r.candidate_id) if r.candidate_id else None
        text = label(r.kind) + (f" : {esc(candidate.full_name)} (n° {candidate.id})" if candidate else "")
    if r.assigned_to:
        text += f" — 🙋 {esc(services.team.name(r.assigned_to))}"
    return text


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
    await reschedule(context.application)
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
                     f"{await _line(context.services, r)}{state}")
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
        await begin(update, context, "reporter", data={"reminder": reminder.id, "morning": morning})
        await query.answer()
        await edit_markup(query, None)
    elif action == "done":
        handler = ACTIONS.get(reminder.kind.split("_")[0]) or ACTIONS.get(reminder.kind)
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
        await reminders.set_due(context.db, reminder.id, _utc(context.now() + QUIET))


async def _snooze(context: BotContext, reminder: Reminder, when: datetime) -> None:
    await reminders.reschedule(context.db, reminder.id, due_at=_utc(when), exact=True)
    if reminder.candidate_id:
        await candidates.update(context.db, reminder.candidate_id, {}, by=context.actor.user_id,
                                at=context.now_iso(), kind="rappel",
                                detail=f"{label(reminder.kind)} : reporté au {format_datetime(when)}")
    await reschedule(context.application)




async def close_reminder(context: BotContext, reminder_id: int) -> None:
    await reminders.close(context.db, reminder_id, state="done", at=context.now_iso(), by=context.actor.user_id)


# --- ⏰ Reporter → a date typed in French ----------------------------------------------------------------

SNOOZE_FORM = Form("reporter", "Reporter un rappel", (
    Question("when", "Nouvelle date", "À quand <b>reporter</b> ce rappel ?", Kind.MOMENT, future=True,
             hint="Par exemple « jeudi 10h », « le 3 décembre », « dans 2 semaines »."),
))


async def _snooze_header(context: BotContext, dialog: Dialog) -> str:
    return "⏰ <b>Reporter un rappel</b>"


async def _snooze_done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    reminder = await reminders.get(context.db, dialog.data["reminder"])
    if reminder is None or reminder.state not in reminders.OPEN:
        await send(context, dialog.chat_id, "Ce rappel n'est plus d'actualité.")
        return
    when = datetime.fromisoformat(answers.values["when"])
    await _snooze(context, reminder, when)
    await send(context, dialog.chat_id, f"⏰ Rappel reporté au <b>{format_datetime(when)}</b>.")


SNOOZE_FLOW = register(Flow(
    name="reporter",
    # a day typed without a time means the configured morning hour of that day
    form=lambda d: Form("reporter", "Reporter", (
        replace(SNOOZE_FORM.questions[0], default_time=time.fromisoformat(d.data.get("morning", "09:00"))),)),
    complete=_snooze_done, header=_snooze_header, summary=False,
))
