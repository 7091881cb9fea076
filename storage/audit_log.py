"""The audit log: who saw, changed, exported or was refused what, when, from which chat."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True)
class Entry:
    at: str
    user_id: int | None
    chat_id: int | None
    action: str
    candidate_id: int | None
    detail: str


def record_statement(*, at: str, user_id: int | None, chat_id: int | None, action: str,
                     candidate_id: int | None = None, detail: str = "") -> tuple[str, tuple]:
    """The statement that writes one audit entry (also run in the transaction of what it records)."""
    return ("INSERT INTO audit (at, user_id, chat_id, action, candidate_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (at, user_id, chat_id, action, candidate_id, detail[:500]))


async def record(db: Database, *, at: str, user_id: int | None, chat_id: int | None, action: str,
                 candidate_id: int | None = None, detail: str = "") -> None:
    await db.execute(*record_statement(at=at, user_id=user_id, chat_id=chat_id, action=action,
                                       candidate_id=candidate_id, detail=detail))


async def entries(db: Database, *, candidate_id: int | None = None, user_id: int | None = None,
                  limit: int = 30) -> list[Entry]:
    where, params = [], []
    if candidate_id is not None:
        where.append("candidate_id = ?")
        params.append(candidate_id)
    if user_id is not None:
        where.append("user_id = ?")
        params.append(user_id)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = await db.fetchall(f"SELECT at, user_id, chat_id, action, candidate_id, detail FROM audit {clause} "
                             f"ORDER BY id DESC LIMIT ?", (*params, limit))
    return [Entry(**dict(r)) for r in rows]
