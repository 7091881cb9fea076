"""Visits (step D), their debriefs, and the 3/6/12-month follow-ups (step E)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.db import Database


@dataclass(frozen=True)
class Visit:
    candidate_id: int
    day: str
    sites: list[str]


@dataclass(frozen=True)
class FollowUp:
    candidate_id: int
    months: int
    due_day: str
    done_at: str | None
    done_by: int | None
    outcome: str | None
    note: str | None


def plan_visit_statement(candidate_id: int, *, day: str, sites: list[str], by: int, at: str) -> tuple[str, tuple]:
    """The statement that sets a candidate's visit day (also run in a poll's confirmation: see polls.plan_day)."""
    return ("INSERT INTO visits (candidate_id, day, sites, created_by, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (candidate_id) DO UPDATE SET day = excluded.day, sites = excluded.sites",
            (candidate_id, day, json.dumps(sites, ensure_ascii=False), by, at))


async def plan_visit(db: Database, candidate_id: int, *, day: str, sites: list[str], by: int, at: str) -> None:
    await db.execute(*plan_visit_statement(candidate_id, day=day, sites=sites, by=by, at=at))


async def visit(db: Database, candidate_id: int) -> Visit | None:
    row = await db.fetchone("SELECT candidate_id, day, sites FROM visits WHERE candidate_id = ?", (candidate_id,))
    return Visit(row["candidate_id"], row["day"], json.loads(row["sites"])) if row else None


async def save_debrief(db: Database, candidate_id: int, stage: str, answers: dict[str, Any], *, by: int, at: str) -> None:
    await db.execute(
        "INSERT INTO debriefs (candidate_id, stage, answers, done_by, done_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (candidate_id, stage) DO UPDATE SET answers = excluded.answers, done_by = excluded.done_by, "
        "done_at = excluded.done_at",
        (candidate_id, stage, json.dumps(answers, ensure_ascii=False), by, at),
    )


async def debrief(db: Database, candidate_id: int, stage: str) -> dict[str, Any] | None:
    row = await db.fetchone("SELECT answers FROM debriefs WHERE candidate_id = ? AND stage = ?", (candidate_id, stage))
    return json.loads(row["answers"]) if row else None


async def ensure_follow_ups(db: Database, candidate_id: int, due_days: dict[int, str]) -> None:
    async with db.transaction() as conn:
        for months, day in due_days.items():
            await conn.execute("INSERT OR IGNORE INTO follow_ups (candidate_id, months, due_day) VALUES (?, ?, ?)",
                               (candidate_id, months, day))


async def follow_ups(db: Database, candidate_id: int) -> list[FollowUp]:
    rows = await db.fetchall("SELECT * FROM follow_ups WHERE candidate_id = ? ORDER BY months", (candidate_id,))
    return [FollowUp(**dict(r)) for r in rows]


async def record_follow_up(db: Database, candidate_id: int, months: int, *, outcome: str, note: str | None,
                           by: int, at: str) -> None:
    await db.execute(
        "UPDATE follow_ups SET done_at = ?, done_by = ?, outcome = ?, note = ? WHERE candidate_id = ? AND months = ?",
        (at, by, outcome, note, candidate_id, months),
    )
