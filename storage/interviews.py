"""The interview's answers and interviewers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.db import Database


@dataclass(frozen=True)
class Interview:
    candidate_id: int
    started_at: str
    started_by: int | None
    cls_id: int | None
    cpts_id: int | None
    confirmed_at: str | None


@dataclass(frozen=True)
class Answer:
    question: str
    value: Any  # None when skipped
    skipped: bool
    answered_by: int
    answered_at: str


async def open_interview(db: Database, candidate_id: int, *, by: int, role: str, at: str) -> Interview:
    """The candidate's interview, created on first use; the starter is its interviewer for their role."""
    column = {"cls": "cls_id", "cpts": "cpts_id"}.get(role)
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT OR IGNORE INTO interviews (candidate_id, started_at, started_by) VALUES (?, ?, ?)",
            (candidate_id, at, by),
        )
        if column:
            await conn.execute(f"UPDATE interviews SET {column} = COALESCE({column}, ?) WHERE candidate_id = ?",
                               (by, candidate_id))
    return await get(db, candidate_id)


async def get(db: Database, candidate_id: int) -> Interview | None:
    row = await db.fetchone("SELECT * FROM interviews WHERE candidate_id = ?", (candidate_id,))
    return Interview(**dict(row)) if row else None


async def answers(db: Database, candidate_id: int) -> list[Answer]:
    rows = await db.fetchall(
        "SELECT question, value, skipped, answered_by, answered_at FROM interview_answers WHERE candidate_id = ?",
        (candidate_id,),
    )
    return [Answer(r["question"], json.loads(r["value"]) if r["value"] is not None else None, bool(r["skipped"]),
                   r["answered_by"], r["answered_at"]) for r in rows]


async def save_answer(db: Database, candidate_id: int, question: str, value: Any, *, by: int, role: str, at: str) -> None:
    """Write one answer (None: skipped) at once; the first member of each role to answer is its interviewer."""
    column = {"cls": "cls_id", "cpts": "cpts_id"}.get(role)
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO interview_answers (candidate_id, question, value, skipped, answered_by, answered_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (candidate_id, question) DO UPDATE SET value = excluded.value, "
            "skipped = excluded.skipped, answered_by = excluded.answered_by, answered_at = excluded.answered_at",
            (candidate_id, question, json.dumps(value, ensure_ascii=False) if value is not None else None,
             int(value is None), by, at),
        )
        if column:
            await conn.execute(f"UPDATE interviews SET {column} = COALESCE({column}, ?) WHERE candidate_id = ?",
                               (by, candidate_id))


async def confirm(db: Database, candidate_id: int, *, at: str) -> None:
    await db.execute("UPDATE interviews SET confirmed_at = ? WHERE candidate_id = ?", (at, candidate_id))
