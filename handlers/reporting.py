"""Step F: the reporting table (/export), meetings (/reunion, /reunions) and their summaries (/synthese, and
pushed to the team group for review some days before each meeting), and the weekly pulse in Monday's digest."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from telegram import InputFile, Update

from delivery import engine
from delivery.kinds import MessageKind
from delivery.services import Services
from domain.dates import PARIS, DateParseError, format_date, format_datetime, parse_moment
from domain.exports import (
    Filters,
    audience_workbook,
    candidates_csv,
    selected,
    workbook,
)
from domain.indicators import Indicators, Period, PeriodError, compute, parse_period
from domain.pipeline import Status
from domain.summaries import (
    MEETING_KINDS,
    NEED_TEXTS,
    SPOUSE_HELP,
    chart,
    covered_period,
    default_dates,
    kind_of,
    needs_expressed,
    summary,
)
from domain.territory import EPCI_LABELS, epci_key
from handlers.common import audit, esc, reply
from handlers.context import BotContext
from handlers.dossiers import parse_filters
from handlers.wiring import Provides
from storage import reminders, reporting, sites

T = TypeVar("T")
log = logging.getLogger(__name__)
SUMMARY_DAYS_BEFORE = 7
MEETING_TIME = (14, 0)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _local(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(PARIS)


# --- /export ----------------------------------------------------------------------------------------

def parse_export_args(args: list[str], today: date) -> tuple[bool, Filters, str | None]:
    """``csv``, a period, statuses, professions and EPCI, in any order; the first word understood as none."""
    words = [a for a in args if a.lower() != "csv"]
    as_csv = len(words) != len(args)
    period, rest = parse_period(" ".join(words), today)
    epcis = set()
    kept = []
    for word in rest.split():
        epci = epci_key(word)
        if epci and len(word) >= 4:
            epcis.add(epci)
        else:
            kept.append(word)
    statuses, professions, unknown = parse_filters(kept)
    return as_csv, Filters(period, frozenset(statuses), frozenset(professions), frozenset(epcis)), unknown


# A worker thread waiting for the event loop gives up after this long instead of waiting forever, should the loop
# stop while a table is being written (the thread would keep the process from exiting).
THREAD_WAIT = 300
# a table that takes longer than this to write is announced, so that nobody asks for it twice
PROGRESS_AFTER = 2.0


async def table_data(db, filters: Filters) -> reporting.Dataset:
    """Everything the reporting table shows of the candidates the filters select: enough of every candidate read
    first to choose them, then all of the chosen ones."""
    light = await reporting.table_dataset(db, bounds=filters.period.bounds() if filters.period else None,
                                          with_proposals=bool(filters.epcis))
    if filters.epcis:  # the EPCI a candidate wishes for is one of the answers: every candidate's are needed to choose
        light.answers = await reporting.answers(db)
    return await reporting.dataset(db, [c["id"] for c in selected(light, filters)])


async def indicators(db, periods: list[Period], today: date) -> list[Indicators]:
    """Each period's indicators: SQLite selects and counts what falls in them (one pass over each table for all, on
    the reports' own connection), domain.indicators applies the rules."""
    facts = await reporting.period_facts(await db.reader(), [p.bounds() for p in periods], today.isoformat())
    return await built(lambda: [compute(f, period) for f, period in zip(facts, periods, strict=True)])


async def period_indicators(db, period: Period, today: date) -> Indicators:
    """One period's indicators (see ``indicators``)."""
    (ind,) = await indicators(db, [period], today)
    return ind


async def _while_counting(counting: Awaitable[Indicators],
                          build: Callable[[Callable[[], Indicators]], Awaitable[bytes]]) -> bytes:
    """A workbook built while ``counting`` counts its indicators (on the reports' connection): ``build`` gets what
    returns them, which the workbook calls only when a sheet needs them."""
    counted = asyncio.ensure_future(counting)
    try:
        return await build(_when_ready(counted))
    finally:
        counted.cancel()  # already done, unless the table failed


async def _reporting_workbook(db, filters: Filters, counting: Awaitable[Indicators]) -> bytes:
    """The nominative reporting table (the team's /export): its rows are read and its Candidats sheet written while
    the indicators are counted; the workbook asks for them from its Lieux sheet on."""
    async def build(indicators: Callable[[], Indicators]) -> bytes:
        return await built(workbook, await table_data(db, filters), filters, indicators)
    return await _while_counting(counting, build)


async def _csv(db, filters: Filters) -> bytes:
    return await built(candidates_csv, await table_data(db, filters), filters)


async def _announced_if_slow(writing: Awaitable[T], update: Update, context: BotContext) -> T:
    """What ``writing`` returns; if it takes more than PROGRESS_AFTER seconds, the chat is told it is coming."""
    task = asyncio.ensure_future(writing)
    try:
        await asyncio.wait_for(asyncio.shield(task), PROGRESS_AFTER)
    except TimeoutError:
        await reply(update, context, "⏳ Le tableau est en cours de préparation, il arrive dans quelques secondes.")
    return await task


def _when_ready(task: asyncio.Future[T]) -> Callable[[], T]:
    """What a worker thread calls to wait for a task of the event loop."""
    loop = asyncio.get_running_loop()

    async def result() -> T:
        return await task

    return lambda: asyncio.run_coroutine_threadsafe(result(), loop).result(timeout=THREAD_WAIT)


async def built(build: Callable[..., T], *args) -> T:
    """A table, chart or count made in a worker thread: up to seconds of work at 10,000 candidates, during which the
    event loop keeps sending reminders and receiving updates."""
    return await asyncio.to_thread(build, *args)


async def export(update: Update, context: BotContext) -> None:
    """/export [csv] [période] [statut] [profession] [EPCI]: the reporting table, sent to the team member."""
    today = context.now().date()
    try:
        as_csv, filters, unknown = parse_export_args(context.args or [], today)
    except PeriodError as err:
        await reply(update, context, f"❗ {esc(err)} Rien n'a été exporté.")
        return
    if unknown:
        await reply(update, context, f"Je ne connais pas le filtre « {esc(unknown)} ». Exemples : /export, /export csv, "
                                     f"/export 2026, /export T1 2027 infirmier, /export du 1/01/2026 au 30/06/2026 ECLA")
        return
    period = filters.period or Period(date(today.year, 1, 1), today + timedelta(days=1))
    stamp = context.now().strftime("%Y-%m-%d")
    if as_csv:
        writing = _csv(context.db, filters)
        name = f"candidats-{stamp}.csv"
    else:
        writing = _reporting_workbook(context.db, filters, period_indicators(context.db, period, today))
        name = f"tableau-de-reporting-{stamp}.xlsx"
    payload = await _announced_if_slow(writing, update, context)
    described = []
    if filters.period:
        described.append(f"du {format_date(filters.period.start)} au {format_date(filters.period.end - timedelta(days=1))}")
    described += [Status(s).label for s in sorted(filters.statuses)] + sorted(filters.professions)
    described += [EPCI_LABELS[e] for e in sorted(filters.epcis)]
    caption = "📎 Tableau de reporting" + (f" ({', '.join(described)})" if described else "") + \
              ". Données personnelles : à ne pas diffuser hors de l'équipe."
    await context.bot.send_document(update.effective_chat.id, InputFile(payload, filename=name), caption=caption)
    await audit(context, "export", detail=f"{name}" + (f" ({', '.join(described)})" if described else ""))


# --- meetings ------------------------------------------------------------------------------------------

def _meeting_at(day: date, services: Services) -> datetime:
    return services.settings.hours.adjust(datetime(day.year, day.month, day.day, *MEETING_TIME, tzinfo=PARIS))


async def ensure_meetings(services: Services) -> None:
    """Each kind of meeting has a next one: the team's, or one planned on the protocol's cadence."""
    now = services.clock.now()
    for kind in MEETING_KINDS.values():
        upcoming = [m for m in await reporting.meetings(services.db, kind.key) if _local(m["at"]) > now]
        if not upcoming:
            day = default_dates(kind, now.date())[0]
            await reporting.add_meeting(services.db, kind.key, _utc(_meeting_at(day, services)), by=None,
                                        created_at=services.clock.utc_iso(), by_default=True)
    for m in await reporting.meetings(services.db):
        await _plan_push(services, m)


async def _plan_push(services: Services, meeting: dict) -> None:
    at = _local(meeting["at"])
    hours = services.settings.hours
    push = hours.adjust(hours.at(at.date() - timedelta(days=SUMMARY_DAYS_BEFORE), hours.morning))
    key = f"synthese:{meeting['id']}:{at.strftime('%Y%m%d%H%M')}"
    if push > services.clock.now() and await reminders.by_key(services.db, key) is None:
        await reminders.create(services.db, kind="synthese", key=key, chat_id=services.settings.team_chat_id,
                               text=str(meeting["id"]), due_at=_utc(push), at=services.clock.utc_iso())


async def add_meeting(update: Update, context: BotContext) -> None:
    """/reunion <type> <date>: set a meeting (copil, coordination, cdom, maires, cpam)."""
    args = context.args or []
    usage = ("Usage : /reunion type date — types : copil, coordination, cdom, maires, cpam.\n"
             "Exemple : /reunion copil 12 mars 2027 14h")
    kind = kind_of(args[0]) if args else None
    if kind is None or len(args) < 2:
        await reply(update, context, usage)
        return
    try:
        moment = parse_moment(" ".join(args[1:]), context.now())
    except DateParseError as err:
        await reply(update, context, f"{esc(err)}\n{usage}")
        return
    at = moment.when if moment.has_time else _meeting_at(moment.day, context.services)
    if at <= context.now():
        await reply(update, context, f"Le {format_datetime(at)} est déjà passé : indiquez la prochaine réunion.")
        return
    await reporting.drop_default_meetings(context.db, kind, context.now_iso())
    meeting_id = await reporting.add_meeting(context.db, kind, _utc(at), by=context.actor.user_id,
                                             created_at=context.now_iso())
    await _plan_push(context.services, await reporting.meeting(context.db, meeting_id))
    await engine.reschedule(context.application)
    hours = context.services.settings.hours
    push = hours.adjust(hours.at(at.date() - timedelta(days=SUMMARY_DAYS_BEFORE), hours.morning))
    await reply(update, context, f"📅 {MEETING_KINDS[kind].title} le <b>{format_datetime(at)}</b>. La synthèse sera "
                                 f"proposée ici le {format_date(push)} pour relecture.")


async def list_meetings(update: Update, context: BotContext) -> None:
    """/reunions: the next meeting of each kind, set by the team or planned on the protocol's cadence."""
    now = context.now()
    lines = ["📅 <b>Réunions</b> (synthèse proposée 7 jours avant)"]
    for kind in MEETING_KINDS.values():
        upcoming = [m for m in await reporting.meetings(context.db, kind.key) if _local(m["at"]) > now]
        if upcoming:
            m = upcoming[0]
            note = " — date par défaut selon la cadence du protocole" if m["by_default"] else ""
            lines.append(f"• {kind.title} : {format_datetime(_local(m['at']))}{note}")
        else:
            lines.append(f"• {kind.title} : non fixée")
    lines.append("\nFixer une date : /reunion copil 12 mars 2027 14h · une synthèse tout de suite : /synthese copil")
    await reply(update, context, "\n".join(lines))


# --- summaries ----------------------------------------------------------------------------------------

async def build_summary(services: Services, kind_key: str, *, meeting_day: date | None, period: Period | None):
    """(text, chart PNG, workbook) for a kind of meeting, over its period compared with the one before; the
    workbook holds only what the meeting's audience may see."""
    kind = MEETING_KINDS[kind_key]
    today = services.clock.now().date()
    day = meeting_day or today
    if period is None:
        past = [_local(m["at"]).date() for m in await reporting.meetings(services.db, kind_key)
                if _local(m["at"]).date() < day and not m["by_default"]]
        period = covered_period(kind, day, past[-1] if past else None)
        if meeting_day is None:  # asked for now: what was done today counts too
            period = Period(period.start, today + timedelta(days=1))
    title = f"{kind.title} — du {period.start:%d/%m/%Y} au {(period.end - timedelta(days=1)):%d/%m/%Y}"
    async with asyncio.TaskGroup() as tasks:
        # counted on the reports' connection while the interviews are read and the funders' table is written; the
        # chart is drawn once they are counted
        counting = tasks.create_task(indicators(services.db, [period, period.before()], today))
        booking = tasks.create_task(_audience_workbook(services.db, kind, period, _first(counting)))
        texts = await reporting.interview_texts(services.db, period.bounds(), NEED_TEXTS, SPOUSE_HELP)
        current, previous = await counting
        drawing = tasks.create_task(built(chart, current, previous, title))
        needs = await built(needs_expressed, texts)  # thousands of answers searched: not on the event loop
    names = {s.id: s.name for s in await sites.all_sites(services.db)}
    text = summary(kind, current, previous, meeting_day=meeting_day, needs=needs, site_names=names)
    return text, drawing.result(), booking.result()


async def _audience_workbook(db, kind, period: Period, counting: Awaitable[Indicators]) -> bytes:
    """The table that goes with a meeting's summary: what its audience may see (domain.exports.audience_workbook)."""
    filters = Filters(period=period)

    async def build(indicators: Callable[[], Indicators]) -> bytes:
        chosen = await reporting.table_dataset(db, bounds=period.bounds())
        data = await reporting.dataset(db, [c["id"] for c in selected(chosen, filters)])
        return await built(audience_workbook, data, filters, indicators, kind.audience)
    return await _while_counting(counting, build)


async def _first(counting: asyncio.Task[list[Indicators]]) -> Indicators:
    """The indicators of the first period ``counting`` counts: a summary's period, not the one before it (shielded:
    the table that waits for them does not cancel the count the summary itself needs)."""
    return (await asyncio.shield(counting))[0]


async def summary_command(update: Update, context: BotContext) -> None:
    """/synthese <type> [période]: a meeting's summary, now."""
    args = context.args or []
    kind = kind_of(args[0]) if args else None
    if kind is None:
        await reply(update, context, "Usage : /synthese type [période] — types : copil, coordination, cdom, maires, cpam.\n"
                                     "Exemples : /synthese copil · /synthese cpam T3 2026")
        return
    try:
        period, rest = parse_period(" ".join(args[1:]), context.now().date())
    except PeriodError as err:
        await reply(update, context, f"❗ {esc(err)}")
        return
    if rest:
        await reply(update, context, f"Je n'ai pas compris la période « {esc(rest)} ». Exemples : 2026, T3 2026, "
                                     f"12 derniers mois, du 1/01/2026 au 30/06/2026.")
        return
    text, png, book = await build_summary(context.services, kind, meeting_day=None, period=period)
    chat = update.effective_chat.id
    name = MEETING_KINDS[kind].file_name
    await context.bot.send_photo(chat, InputFile(png, filename=f"synthese-{name}.png"))
    await context.bot.send_document(chat, InputFile(book, filename=f"synthese-{name}.xlsx"))
    await reply(update, context, text)


async def _render_push(services: Services, r, now: datetime):
    meeting = await reporting.meeting(services.db, int(r.text))
    if meeting is None or _local(meeting["at"]) <= now:
        return None
    kind = MEETING_KINDS[meeting["kind"]]
    text, png, book = await build_summary(services, meeting["kind"], meeting_day=_local(meeting["at"]).date(), period=None)
    files = [("photo", f"synthese-{kind.file_name}.png", png), ("document", f"synthese-{kind.file_name}.xlsx", book)]
    intro = (f"📝 <b>À relire avant la réunion</b> ({kind.title}, {format_datetime(_local(meeting['at']))}) : "
             f"la synthèse, le graphique et le tableau ci-dessus.\n\n")
    return intro + text, None, files




# --- the weekly pulse -------------------------------------------------------------------------------------

async def weekly_pulse(services: Services, now: datetime) -> list[str]:
    """New candidates and steps done over the last 7 days, for Monday's digest."""
    await ensure_meetings(services)  # a meeting has passed since last week: the next one on the cadence
    since = _utc(now - timedelta(days=7))
    events = await reporting.recent_events(services.db, since)
    kinds = Counter(e["kind"] for e in events)
    labels = {"creation": "nouveau(x) candidat(s)", "entretien": "étape(s) d'entretien", "croisement": "croisement(s)",
              "sondage": "sondage(s) envoyé(s)", "visites": "étape(s) de visites", "debriefing": "débriefing(s)",
              "suivi": "suivi(s) fait(s)"}
    done = [f"{kinds[k]} {label}" for k, label in labels.items() if kinds[k]]
    return ["<b>Les 7 derniers jours</b>", ", ".join(done) + "." if done else "Aucune étape enregistrée."]


def provides() -> Provides:
    """Step F: a meeting's summary pushed a week before it, and the weekly pulse in the Monday digest."""
    return Provides(kinds=(MessageKind("synthese", _render_push),), digest_sections=(weekly_pulse,))

