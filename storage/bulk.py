"""Loading many rows in one transaction (the benchmarks' synthetic data): one INSERT per table, executemany."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from storage.db import Database
from storage.sites import SITES_CACHE

# the tables a bulk load may fill, named here so that no caller's string reaches the SQL
TABLES = frozenset({
    "candidates", "events", "interviews", "interview_answers", "sites", "outsiders", "elus", "croisements",
    "croisement_sites", "visits", "visit_stops", "debriefs", "follow_ups", "reminders", "polls", "poll_slots",
    "poll_sites", "poll_answers", "audit",
})


async def insert(db: Database, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows that all have the same keys (the table's columns), together or not at all."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    if not rows:
        return
    columns = list(rows[0])
    if any(not c.isidentifier() for c in columns):
        raise ValueError(f"bad column name in {columns}")
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    async with db.transaction() as conn:
        await conn.executemany(sql, [tuple(row[c] for c in columns) for row in rows])
    db.forget(SITES_CACHE)


async def count(db: Database, table: str) -> int:
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    return (await db.fetchone(f"SELECT COUNT(*) FROM {table}"))[0]
