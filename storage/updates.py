"""Updates already handled: one Telegram delivers twice (after a restart, a retry) is handled once.

An update is marked only after its handlers ran: a crash in between makes it run again (at most one
duplicate) rather than be dropped.
"""

from __future__ import annotations

from storage.db import Database

KEEP = 10_000  # plenty to cover Telegram's redelivery window


async def seen(db: Database, update_id: int) -> bool:
    return await db.fetchone("SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,)) is not None


async def mark(db: Database, update_id: int, at: str) -> None:
    statements = [("INSERT OR IGNORE INTO processed_updates (update_id, at) VALUES (?, ?)", (update_id, at))]
    if update_id % 1000 == 0:
        statements.append(("DELETE FROM processed_updates WHERE update_id < ?", (update_id - KEEP,)))
    await db.write(statements)


async def last_id(db: Database) -> int:
    """The highest update id handled (0 for a new database)."""
    return (await db.fetchone("SELECT COALESCE(MAX(update_id), 0) FROM processed_updates"))[0]
