"""Everything the reporting table, the indicators and the summaries read, in a few queries (no query per row)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from storage.db import Database


@dataclass
class Dataset:
    """What the reporting table shows (domain.exports), for all candidates or some of them."""
    candidates: list[Mapping[str, Any]] = field(default_factory=list)  # dicts, or rows read by column name
    # candidate -> interview answers, or their JSON text (decoded row by row: 10,000 decoded at once weigh 50 MB)
    answers: dict[int, dict[str, Any] | str] = field(default_factory=dict)
    croisements: dict[int, dict[str, Any]] = field(default_factory=dict)  # candidate -> croisement
    proposals: list[Mapping[str, Any]] = field(default_factory=list)  # croisement_sites rows
    visits: dict[int, dict[str, Any]] = field(default_factory=dict)  # candidate -> visit (day, sites)
    stops: list[Mapping[str, Any]] = field(default_factory=list)
    debriefs: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[Mapping[str, Any]] = field(default_factory=list)
    sites: dict[int, dict[str, Any]] = field(default_factory=dict)
    commune_epci: dict[str, str] = field(default_factory=dict)  # commune name key -> EPCI
    notes: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # candidate -> (when, text) of its notes

    def answers_of(self, candidate_id: int) -> dict[str, Any]:
        value = self.answers.get(candidate_id, {})
        return json.loads(value) if isinstance(value, str) else value


async def dataset(db: Database, candidate_ids: Iterable[int]) -> Dataset:
    """Everything the reporting table shows of these candidates (domain.exports)."""
    ids = sorted(set(candidate_ids))
    where, params = "WHERE candidate_id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)
    data = Dataset()
    data.candidates = [dict(r) for r in await db.fetchall(
        "SELECT * FROM candidates WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id", params)]
    data.answers = await answers(db, ids)
    data.croisements = {r["candidate_id"]: dict(r) for r in await db.fetchall(f"SELECT * FROM croisements {where}", params)}
    data.proposals = [dict(r) for r in await db.fetchall(
        f"SELECT candidate_id, site_id, chosen, at FROM croisement_sites {where}", params)]
    data.visits = {r["candidate_id"]: {**dict(r), "sites": json.loads(r["sites"])}
                   for r in await db.fetchall(f"SELECT candidate_id, day, sites FROM visits {where}", params)}
    data.stops = await db.fetchall(f"SELECT candidate_id, site_id, starts_at, ends_at FROM visit_stops {where} "
                                   "AND cancelled = 0", params)
    data.debriefs = [dict(r) for r in await db.fetchall(
        f"SELECT candidate_id, stage, done_at FROM debriefs {where}", params)]
    data.follow_ups = await db.fetchall(
        f"SELECT candidate_id, months, due_day, done_at, outcome, note FROM follow_ups {where} "
        "ORDER BY candidate_id, months", params)
    data.sites = await _sites(db)
    data.commune_epci = await _commune_epci(db)
    for r in await db.fetchall(f"SELECT candidate_id, at, detail FROM events {where} AND kind = 'note' ORDER BY at, id",
                               params):
        data.notes.setdefault(r["candidate_id"], []).append((r["at"], r["detail"]))
    return data


async def table_dataset(db: Database, *, bounds: dict[str, str] | None = None,
                        with_proposals: bool = False) -> Dataset:
    """What the table's filters choose its candidates by (domain.exports.selected): first contact, last change,
    status, profession, place of installation, and the sites; the croisement's proposals only to choose by EPCI.
    With a period's ``bounds`` (domain.indicators.Period.bounds), only the candidates first contacted or changed in it
    (domain.exports.selected chooses among them)."""
    where, params = "", {}
    if bounds is not None:
        where = f"WHERE {_which('first_contact')} IS NOT NULL OR {_which('updated_at')} IS NOT NULL"
        params = _bounds([bounds])
    # rows as SQLite gives them (read by column name like dicts): a third of the memory of dicts for 40,000 rows
    data = Dataset()
    data.candidates = await db.fetchall(
        "SELECT id, first_contact, updated_at, status, profession, installed_commune "
        f"FROM candidates {where} ORDER BY id", params)
    of_those = f"WHERE candidate_id IN (SELECT id FROM candidates {where})" if where else ""
    if with_proposals:
        data.proposals = await db.fetchall(f"SELECT candidate_id, site_id, chosen, at FROM croisement_sites {of_those}",
                                           params)
    data.sites = await _sites(db)
    data.commune_epci = await _commune_epci(db)
    return data


async def answers(db: Database, candidate_ids: Iterable[int] | None = None) -> dict[int, str]:
    """Interview answers by candidate (all candidates, or those given), skipped questions left out: each
    candidate's as one JSON text, for Dataset.answers_of to decode when it is needed."""
    # one JSON object per candidate, assembled by SQLite: one decode per candidate instead of one per answer
    select = ("SELECT candidate_id, '{' || group_concat(json_quote(question) || ':' || value, ',') || '}' AS answers "
              "FROM interview_answers WHERE skipped = 0 ")
    params: list[str] = []
    if candidate_ids is not None:
        select += "AND candidate_id IN (SELECT value FROM json_each(?)) "
        params.append(json.dumps(sorted(set(candidate_ids))))
    rows = await db.fetchall(select + "GROUP BY candidate_id", tuple(params))
    return {r[0]: r[1] for r in rows}


# --- the indicators of a period, filtered and counted by SQLite ------------------------------------------------
# A summary at 10,000 candidates spent a second turning every row into Python objects to count a few of them:
# SQLite now selects and counts what falls in the period, and domain.indicators applies the protocol's rules to that.

def _among(value: str, low: str, high: str, periods: int) -> str:
    """SQL: the index of the first period whose bounds ``low``/``high`` (parameters suffixed with the index) hold
    ``value``, NULL if none."""
    return ("CASE " + " ".join(f"WHEN {value} >= :{low}_{n} AND {value} < :{high}_{n} THEN {n}" for n in range(periods))
            + " END")


def _which(column: str, periods: int = 1) -> str:
    """SQL: the index of the period holding a stored date or UTC instant (its Paris day in the period, as
    domain.indicators.day_of reads it), NULL if none; several periods at once, for one pass over the rows for a summary
    and the period before. The stored text is compared with each period's bounds (``_bounds``), written the same
    way; a value of any other shape goes through paris_day."""
    return (f"(CASE WHEN {column} IS NULL OR {column} = '' THEN NULL "
            f"WHEN length({column}) = 10 THEN {_among(column, 'd0', 'd1', periods)} "
            f"WHEN length({column}) = 25 AND substr({column}, 20) = '+00:00' THEN {_among(column, 'i0', 'i1', periods)} "
            f"ELSE {_among(f'paris_day({column})', 'd0', 'd1', periods)} END)")


def _bounds(periods: list[dict[str, str]]) -> dict[str, str]:
    """The query parameters of these periods' bounds (domain.indicators.Period.bounds), numbered in order."""
    return {f"{key}_{n}": value for n, bounds in enumerate(periods) for key, value in bounds.items()}


def _day(column: str) -> str:
    """SQL for domain.indicators.day_of, as "YYYY-MM-DD" text (before 22:00 UTC an instant's day is Paris's)."""
    return (f"(CASE WHEN length({column}) = 10 THEN {column} WHEN length({column}) = 25 AND substr({column}, 20) = "
            f"'+00:00' AND substr({column}, 12, 2) < '22' THEN substr({column}, 1, 10) ELSE paris_day({column}) END)")


# An installation counts on its date, or on the day the status became "installé" when no date was given.
_INSTALLED = ("(CASE WHEN c.status = 'installe' THEN coalesce(" + _day("nullif(c.installed_on, '')") + ", "
              + _day("c.status_changed_at") + ") END)")


@dataclass
class PeriodFacts:
    """What the indicators of a period are made from (domain.indicators.compute)."""
    first_contacts: list[tuple[str, str, str, int]]  # (source, profession, status, candidates) first contacted
    interviews: int
    abandons: int  # candidates whose status became "abandon" in the period
    croisements: int
    croisements_on_time: int
    polls_sent: int
    sites_asked: int
    sites_answering: int
    debriefs: dict[str, int]  # stage -> debriefs done in the period
    proposals: list[tuple[int, int, int]]  # (site, times proposed, times contacted) by croisements of the period
    visits: list[dict[str, Any]]  # visit days in the period, up to today: sites (names), stops (site ids)
    follow_ups: list[dict[str, Any]]  # due in the period, up to today: months, due_day, done_at
    installed: list[dict[str, Any]]  # installed in the period: profession, commune, place
    # the candidates with a step after first contact in the period: whether each step (interview, croisement,
    # visits, installation) is in it, then the Julian day of each step, first contact included (None: not yet)
    steps: list[tuple]
    sites: dict[int, dict[str, Any]]
    commune_epci: dict[str, str]  # commune name key -> EPCI


async def period_facts(db: Database, periods: list[dict[str, str]], today: str) -> list[PeriodFacts]:
    """The facts of each period whose bounds are given (domain.indicators.Period.bounds; periods that do not overlap),
    ``today`` a "YYYY-MM-DD"; each table is read once for all of them."""
    n = len(periods)
    p = {**_bounds(periods), "today": today}
    sites, commune_epci = await _sites(db), await _commune_epci(db)
    facts = [PeriodFacts([], 0, 0, 0, 0, 0, 0, 0, {}, [], [], [], [], [], sites, commune_epci) for _ in periods]
    for w, *row in await db.fetchall(
            f"SELECT {_which('first_contact', n)} AS w, source, profession, status, count(*) FROM candidates "
            "WHERE w IS NOT NULL GROUP BY w, source, profession, status", p):
        facts[w].first_contacts.append(tuple(row))
    for w, count in await db.fetchall(f"SELECT {_which('interview_done_at', n)} AS w, count(*) FROM candidates "
                                      "WHERE w IS NOT NULL GROUP BY w", p):
        facts[w].interviews = count
    for w, count in await db.fetchall(f"SELECT {_which('status_changed_at', n)} AS w, count(*) FROM candidates "
                                      "WHERE status = 'abandon' AND w IS NOT NULL GROUP BY w", p):
        facts[w].abandons = count
    for w, count, on_time in await db.fetchall(
            f"SELECT {_which('done_at', n)} AS w, count(*), sum(on_time != 0) FROM croisements WHERE w IS NOT NULL "
            "GROUP BY w", p):
        facts[w].croisements, facts[w].croisements_on_time = count, on_time
    for w, polls, asked, answering in await db.fetchall(
            f"SELECT {_which('p.opened_at', n)} AS w, count(DISTINCT p.id), count(ps.site_id), coalesce(sum(EXISTS "
            "(SELECT 1 FROM poll_answers a WHERE a.poll_id = ps.poll_id AND a.site_id = ps.site_id)), 0) FROM polls p "
            "LEFT JOIN poll_sites ps ON ps.poll_id = p.id AND ps.invited = 1 WHERE w IS NOT NULL GROUP BY w", p):
        facts[w].polls_sent, facts[w].sites_asked, facts[w].sites_answering = polls, asked, answering
    for w, stage, count in await db.fetchall(
            f"SELECT {_which('done_at', n)} AS w, stage, count(*) FROM debriefs WHERE w IS NOT NULL GROUP BY w, stage", p):
        facts[w].debriefs[stage] = count
    for w, *row in await db.fetchall(
            f"SELECT {_which('at', n)} AS w, site_id, count(*), sum(chosen != 0) FROM croisement_sites "
            "WHERE w IS NOT NULL GROUP BY w, site_id", p):
        facts[w].proposals.append(tuple(row))
    for w, sites, stops in await db.fetchall(
            f"SELECT {_which('v.day', n)} AS w, v.sites, (SELECT json_group_array(s.site_id) FROM visit_stops s "
            f"WHERE s.candidate_id = v.candidate_id AND s.cancelled = 0) FROM visits v WHERE w IS NOT NULL "
            f"AND {_day('v.day')} <= :today", p):
        facts[w].visits.append({"sites": json.loads(sites), "stops": json.loads(stops)})
    for r in await db.fetchall(f"SELECT {_which('due_day', n)} AS w, months, due_day, done_at FROM follow_ups "
                               f"WHERE w IS NOT NULL AND {_day('due_day')} <= :today", p):
        facts[r["w"]].follow_ups.append({"months": r["months"], "due_day": r["due_day"], "done_at": r["done_at"]})
    for w, profession, place, commune in await db.fetchall(
            f"SELECT {_among(_INSTALLED, 'd0', 'd1', n)} AS w, c.profession, c.installed_place, c.installed_commune "
            "FROM candidates c WHERE w IS NOT NULL", p):
        facts[w].installed.append({"profession": profession, "installed_place": place, "installed_commune": commune})
    for row in await db.fetchall(
            f"SELECT {_which('c.interview_done_at', n)} AS w1, {_which('cr.done_at', n)} AS w2, "
            f"{_which('v.day', n)} AS w3, {_among(_INSTALLED, 'd0', 'd1', n)} AS w4, "
            f"julianday({_day('c.first_contact')}), julianday({_day('c.interview_done_at')}), "
            f"julianday({_day('cr.done_at')}), julianday({_day('v.day')}), julianday({_INSTALLED}) FROM candidates c "
            "LEFT JOIN croisements cr ON cr.candidate_id = c.id LEFT JOIN visits v ON v.candidate_id = c.id "
            "WHERE w1 IS NOT NULL OR w2 IS NOT NULL OR w3 IS NOT NULL OR w4 IS NOT NULL", p):
        ends, days = tuple(row[:4]), tuple(row[4:])
        for w in set(ends) - {None}:
            facts[w].steps.append(tuple(end == w for end in ends) + days)
    return facts


async def interview_texts(db: Database, bounds: dict[str, str], questions: Iterable[str],
                          flag: str) -> list[tuple[str, bool]]:
    """For each candidate interviewed in the period: the answers to these questions joined in one text, and whether
    the yes/no question ``flag`` was answered yes."""
    rows = await db.fetchall(
        "SELECT group_concat(CASE WHEN question != :flag THEN value ->> '$' END, ' '), "
        "max(question = :flag AND value = 'true') FROM interview_answers WHERE skipped = 0 "
        "AND (question = :flag OR question IN (SELECT value FROM json_each(:questions))) AND candidate_id IN "
        f"(SELECT id FROM candidates WHERE {_which('interview_done_at')} IS NOT NULL) GROUP BY candidate_id",
        {**_bounds([bounds]), "flag": flag, "questions": json.dumps(list(questions))})
    return [(r[0] or "", bool(r[1])) for r in rows]


async def _sites(db: Database) -> dict[int, dict[str, Any]]:
    return {r["id"]: dict(r) for r in await db.fetchall(
        "SELECT s.id, s.name, s.type, s.status, c.name AS commune, c.name_key, c.epci FROM sites s "
        "JOIN communes c ON c.id = s.commune_id")}


async def _commune_epci(db: Database) -> dict[str, str]:
    return {r["name_key"]: r["epci"] for r in await db.fetchall("SELECT name_key, epci FROM communes")}


# --- meetings -----------------------------------------------------------------------------------------

async def add_meeting(db: Database, kind: str, at: str, *, by: int | None, created_at: str, by_default: bool = False) -> int:
    return await db.execute("INSERT INTO meetings (kind, at, by_default, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
                            (kind, at, int(by_default), by, created_at))


async def meetings(db: Database, kind: str | None = None) -> list[dict[str, Any]]:
    if kind:
        return [dict(r) for r in await db.fetchall("SELECT * FROM meetings WHERE kind = ? ORDER BY at", (kind,))]
    return [dict(r) for r in await db.fetchall("SELECT * FROM meetings ORDER BY at")]


async def meeting(db: Database, meeting_id: int) -> dict[str, Any] | None:
    row = await db.fetchone("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
    return dict(row) if row else None


async def drop_default_meetings(db: Database, kind: str, after: str) -> None:
    """A meeting set by the team replaces the default ones planned on the cadence after it."""
    await db.execute("DELETE FROM meetings WHERE kind = ? AND by_default = 1 AND at >= ?", (kind, after))


async def recent_events(db: Database, since: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await db.fetchall("SELECT candidate_id, at, kind, detail FROM events WHERE at >= ?", (since,))]
