"""Everything the reporting table, the indicators and the summaries read, in a few queries (no query per row)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from storage.db import Database


@dataclass
class Dataset:
    candidates: list[dict[str, Any]] = field(default_factory=list)
    # candidate -> interview answers, or their JSON text (decoded row by row: 10,000 decoded at once weigh 50 MB)
    answers: dict[int, dict[str, Any] | str] = field(default_factory=dict)
    croisements: dict[int, dict[str, Any]] = field(default_factory=dict)  # candidate -> croisement
    proposals: list[dict[str, Any]] = field(default_factory=list)  # croisement_sites rows
    polls: list[dict[str, Any]] = field(default_factory=list)
    poll_sites: list[dict[str, Any]] = field(default_factory=list)  # invited, with whether they answered
    visits: dict[int, dict[str, Any]] = field(default_factory=dict)  # candidate -> visit (day, sites)
    stops: list[dict[str, Any]] = field(default_factory=list)
    debriefs: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    sites: dict[int, dict[str, Any]] = field(default_factory=dict)
    commune_epci: dict[str, str] = field(default_factory=dict)  # commune name key -> EPCI

    def answers_of(self, candidate_id: int) -> dict[str, Any]:
        value = self.answers.get(candidate_id, {})
        return json.loads(value) if isinstance(value, str) else value


async def dataset(db: Database, *, with_answers: bool = True) -> Dataset:
    """Everything at once; the interview answers (the bulk of it) only when asked for (see ``answers``)."""
    data = Dataset()
    data.candidates = [dict(r) for r in await db.fetchall("SELECT * FROM candidates ORDER BY id")]
    if with_answers:
        data.answers = await answers(db, as_text=True)
    data.croisements = {r["candidate_id"]: dict(r) for r in await db.fetchall("SELECT * FROM croisements")}
    data.proposals = [dict(r) for r in await db.fetchall("SELECT candidate_id, site_id, chosen, at FROM croisement_sites")]
    data.polls = [dict(r) for r in await db.fetchall("SELECT * FROM polls WHERE opened_at IS NOT NULL")]
    data.poll_sites = [dict(r) for r in await db.fetchall(
        "SELECT ps.poll_id, ps.site_id, ps.invited, EXISTS (SELECT 1 FROM poll_answers a WHERE a.poll_id = ps.poll_id "
        "AND a.site_id = ps.site_id) AS answered FROM poll_sites ps WHERE ps.invited = 1")]
    data.visits = {r["candidate_id"]: {**dict(r), "sites": json.loads(r["sites"])}
                   for r in await db.fetchall("SELECT * FROM visits")}
    data.stops = [dict(r) for r in await db.fetchall("SELECT * FROM visit_stops WHERE cancelled = 0")]
    data.debriefs = [dict(r) for r in await db.fetchall("SELECT candidate_id, stage, done_at FROM debriefs")]
    data.follow_ups = [dict(r) for r in await db.fetchall("SELECT * FROM follow_ups")]
    data.sites = {r["id"]: dict(r) for r in await db.fetchall(
        "SELECT s.id, s.name, s.type, s.status, c.name AS commune, c.name_key, c.epci FROM sites s "
        "JOIN communes c ON c.id = s.commune_id")}
    data.commune_epci = {r["name_key"]: r["epci"] for r in await db.fetchall("SELECT name_key, epci FROM communes")}
    return data


async def answers(db: Database, candidate_ids: Iterable[int] | None = None, *, as_text: bool = False,
                  questions: Iterable[str] | None = None) -> dict[int, dict[str, Any] | str]:
    """Interview answers by candidate (all candidates, or those given; all questions, or those given), skipped
    questions left out; ``as_text``: each candidate's answers as one JSON text, for Dataset.answers_of to decode
    when it is needed."""
    # one JSON object per candidate, assembled by SQLite: one decode per candidate instead of one per answer
    select = ("SELECT candidate_id, '{' || group_concat(json_quote(question) || ':' || value, ',') || '}' AS answers "
              "FROM interview_answers WHERE skipped = 0 ")
    params: list[str] = []
    if questions is not None:
        select += "AND question IN (SELECT value FROM json_each(?)) "
        params.append(json.dumps(list(questions)))
    if candidate_ids is not None:
        select += "AND candidate_id IN (SELECT value FROM json_each(?)) "
        params.append(json.dumps(sorted(set(candidate_ids))))
    rows = await db.fetchall(select + "GROUP BY candidate_id", tuple(params))
    return {r[0]: r[1] for r in rows} if as_text else {r[0]: json.loads(r[1]) for r in rows}


# --- the reporting table's rows, kept once drawn (migration 0009) ----------------------------------------

async def report_changes(db: Database) -> int:
    """How many changes the kept rows have seen: read it before the data a row is drawn from."""
    return (await db.fetchone("SELECT n FROM report_changes"))[0]


async def kept_rows(db: Database, candidate_ids: Iterable[int], layout: str, *,
                    as_csv: bool = False) -> dict[int, tuple[str, str]]:
    """candidate -> (cells, or CSV line; widths) of the rows kept with this layout."""
    rows = await db.fetchall(f"SELECT candidate_id, {'csv' if as_csv else 'xlsx'}, widths FROM report_rows WHERE "
                             "format = ? AND candidate_id IN (SELECT value FROM json_each(?))",
                             (layout, json.dumps(sorted(set(candidate_ids)))))
    return {r[0]: (r[1], r[2]) for r in rows}


async def unkept_ids(db: Database, layout: str) -> set[int]:
    """The candidates whose row is not kept with this layout."""
    rows = await db.fetchall("SELECT id FROM candidates WHERE id NOT IN "
                             "(SELECT candidate_id FROM report_rows WHERE format = ?)", (layout,))
    return {r[0] for r in rows}


async def kept_ids(db: Database, candidate_ids: Iterable[int], layout: str) -> set[int]:
    rows = await db.fetchall("SELECT candidate_id FROM report_rows WHERE format = ? AND candidate_id "
                             "IN (SELECT value FROM json_each(?))", (layout, json.dumps(sorted(set(candidate_ids)))))
    return {r[0] for r in rows}


async def keep_rows(db: Database, rows: dict[int, tuple[str, str, str]], layout: str, seen: int) -> bool:
    """Keep rows drawn from data read after ``report_changes`` returned ``seen``; if anything changed since, keep
    nothing (a row could show data older than the change) and return False."""
    async with db.transaction() as conn:
        async with conn.execute("SELECT n FROM report_changes") as cur:
            if (await cur.fetchone())[0] != seen:
                return False
        await conn.executemany("INSERT OR REPLACE INTO report_rows (candidate_id, format, xlsx, csv, widths) "
                               "VALUES (?, ?, ?, ?, ?)", [(cid, layout, *row) for cid, row in rows.items()])
    return True


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
