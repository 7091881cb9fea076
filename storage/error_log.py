"""The last failures of the bot, for /etat: kept across restarts, a hundred at most."""

from __future__ import annotations

from storage.db import Database

KEPT = 100


async def record(db: Database, *, at: str, kind: str, update_kind: str = "") -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO errors (at, kind, update_kind) VALUES (?, ?, ?)", (at, kind, update_kind))
        await conn.execute("DELETE FROM errors WHERE id <= (SELECT MAX(id) FROM errors) - ?", (KEPT,))


async def latest(db: Database, limit: int = 5) -> list[tuple[str, str, str]]:
    """(at, kind, update kind) of the last failures, newest first."""
    rows = await db.fetchall("SELECT at, kind, update_kind FROM errors ORDER BY id DESC LIMIT ?", (limit,))
    return [(r["at"], r["kind"], r["update_kind"]) for r in rows]
