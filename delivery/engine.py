"""The delivery engine: what the bot says on its own, queued in SQLite and sent until Telegram takes it.

The database is the truth. Every message the bot sends on its own (a protocol reminder, a poll to a site, a
notice to the team) is a row of ``reminders``, queued in the transaction of what it tells. The JobQueue only wakes
the bot at the earliest due time (its misfire grace time is lifted, so a late wake still runs); at start
everything that fell due while the bot was down is sent at once, marked late. A row is marked sent only after
Telegram accepted the message: a 429 waits its retry_after, a network error backs off, a permanent error (chat
gone, bot removed) is recorded and admins are told. Reminders the team must act on are posted again after 2
working days until someone does.

The engine knows no step: each step declares its message kinds and timed work (``delivery.kinds``), the
composition root collects them into ``Services.deliveries``. The protocol's reminders follow each candidate's
state (``sync``), as ``domain.reminders.plan`` wants them.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from telegram import InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from delivery.kinds import MessageKind
from delivery.markup import esc, keyboard
from delivery.services import Services
from domain.dates import PARIS, format_date, format_datetime, format_short
from domain.messages import split_html
from domain.pipeline import Status
from domain.reminders import (
    MAX_REPOSTS,
    PROTOCOL_KINDS,
    REPOST_AFTER_WORKING_DAYS,
    CandidateState,
    follow_up_plan,
    label,
    needs_answer,
    next_monday,
    plan,
)
from storage import candidates, privacy, reminders, visits
from storage.reminders import Reminder

log = logging.getLogger(__name__)

WAKE_JOB = "rappels"
POKE_JOB = "rappels-maintenant"  # a wake of its own, which a dispatch's rescheduling of WAKE_JOB leaves alone
LATE_AFTER = timedelta(minutes=15)
QUIET = timedelta(days=3650)  # an open reminder nobody will be nagged about again (digest and /rappels still list it)
BACKOFF_MAX = timedelta(hours=1)
HOOK_RETRY = timedelta(minutes=1)  # timed work that failed (a poll to close, an e-mail to send) is tried again then




def next_night(last_run: str | None, at: time, now: datetime) -> str:
    """When nightly work runs next (UTC): at ``at`` in Paris the night after its last run, or now if it never ran."""
    if last_run is None:
        return _utc(now)
    day = datetime.fromisoformat(last_run).astimezone(PARIS).date() + timedelta(days=1)
    return _utc(datetime.combine(day, at).replace(tzinfo=PARIS))


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


# --- waking up and sending ------------------------------------------------------------------------------

async def _wake(context: ContextTypes.DEFAULT_TYPE) -> None:
    await dispatch_due(context.application)


async def next_wake(services: Services) -> str | None:
    """The earliest time anything timed is due: a reminder, or a hook's work."""
    times = [await reminders.next_due_at(services.db)] + [await hook.next_due(services) for hook in services.deliveries.hooks]
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
    for catch_up in services.deliveries.at_start:
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
        for hook in services.deliveries.hooks:
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
        declared = services.deliveries.kinds.get(reminder.kind)
        await ((declared.refused if declared else None) or _tell_admins)(app, reminder, str(err))
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
    declared = services.deliveries.kinds.get(reminder.kind)
    also = declared.sent(reminder, message.message_id, _utc(now)) if declared and declared.sent else []
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

async def render(services: Services, r: Reminder, now: datetime):
    """The message's text and buttons as they should read now; None when it no longer applies (its candidate is
    gone, or its kind is unknown)."""
    if r.candidate_id and await candidates.get(services.db, r.candidate_id) is None:
        return None
    kind = services.deliveries.kinds.get(r.kind) or ENGINE_KINDS.get(r.kind)
    return await kind.render(services, r, now) if kind else None


def with_notes(services: Services, r: Reminder, now: datetime, text: str, buttons) -> tuple:
    """A protocol reminder as it goes out: said to be a relance, late, or taken on by someone, above its text."""
    original = _parse(r.original_due_at)
    notes = []
    if r.reposts or (r.state == "awaiting"):
        notes.append("🔁 <i>Relance : personne n'a encore répondu à ce rappel.</i>")
    elif now - original > LATE_AFTER:
        notes.append(f"⏰ <i>En retard — prévu le {format_datetime(original)}.</i>")
    if r.assigned_to:
        notes.append(f"🙋 <i>Pris en charge par {esc(services.team.name(r.assigned_to))}.</i>")
    return "\n".join([*notes, text]), keyboard(buttons)


def done_label(services: Services, kind: str, default: str) -> str:
    """The « ✅ » label a step gave its kind's button, else ``default``."""
    declared = services.deliveries.kinds.get(kind)
    return (declared.done_label if declared else None) or default


async def _render_digest(services: Services, r: Reminder, now: datetime):
    return await _digest(services, now), None


async def _render_notice(services: Services, r: Reminder, now: datetime):
    """A notice written when it was queued (nothing in it can change)."""
    return r.text, None


# the engine's own kinds: the weekly digest, and the notices of ``tell``
ENGINE_KINDS = {kind.name: kind for kind in (MessageKind("digest", _render_digest), MessageKind("avis", _render_notice))}


async def _digest(services: Services, now: datetime) -> str:
    week_end = now + timedelta(days=7)
    open_ones, _ = await reminders.open_ones(services.db, limit=500)
    coming, late = [], []
    for r in open_ones:
        if r.kind == "digest":
            continue
        due = _parse(r.original_due_at)
        entry = await line(services, r)
        # late: due, or sent and still unanswered, for more than a quarter of an hour (not what falls due with the digest)
        since = _parse(r.sent_at) if r.state == "awaiting" and r.sent_at else due
        if now - since > LATE_AFTER:
            late.append(f"• {entry} — prévu le {format_short(due)}")
        elif due < week_end:
            coming.append(f"• {format_short(due)} — {entry}")
    lines = [f"🗓 <b>Point de la semaine — {format_date(now)}</b>", ""]
    lines += ["<b>Cette semaine</b>", *(coming or ["Rien de prévu."]), "", "<b>En retard ou sans réponse</b>",
              *(late or ["Rien en retard. 👍"])]
    for section in services.deliveries.digest_sections:
        lines += ["", *await section(services, now)]
    return "\n".join(lines)


async def line(services: Services, r: Reminder) -> str:
    """A reminder in one line, for the digest and /rappels."""
    if r.kind == "libre":
        text = f"Rappel : {esc(r.text)}"
    else:
        candidate = await candidates.get(services.db, r.candidate_id) if r.candidate_id else None
        text = label(r.kind) + (f" : {esc(candidate.full_name)} (n° {candidate.id})" if candidate else "")
    if r.assigned_to:
        text += f" — 🙋 {esc(services.team.name(r.assigned_to))}"
    return text


