"""The team: who may see candidates, with which role."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, utc_now_iso


@dataclass(frozen=True)
class Member:
    user_id: int
    role: str  # cls | cpts | admin
    name: str
    is_admin: bool


def _member(row) -> Member:
    return Member(row["user_id"], row["role"], row["name"], bool(row["is_admin"]))


async def seed(db: Database, members: list[Member]) -> None:
    """Add the configured members; one an admin removed from the chat stays removed."""
    async with db.transaction() as conn:
        for m in members:
            await conn.execute(
                "INSERT INTO members (user_id, role, name, is_admin, added_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET is_admin = MAX(is_admin, excluded.is_admin)",
                (m.user_id, m.role, m.name, int(m.is_admin), utc_now_iso()),
            )


async def active(db: Database) -> list[Member]:
    rows = await db.fetchall("SELECT * FROM members WHERE active = 1 ORDER BY role, name")
    return [_member(r) for r in rows]


async def upsert(db: Database, member: Member, added_by: int) -> None:
    await db.execute(
        "INSERT INTO members (user_id, role, name, is_admin, active, added_by, added_at) VALUES (?, ?, ?, ?, 1, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET role = excluded.role, name = excluded.name, "
        "is_admin = excluded.is_admin, active = 1, added_by = excluded.added_by",
        (member.user_id, member.role, member.name, int(member.is_admin), added_by, utc_now_iso()),
    )


async def deactivate(db: Database, user_id: int) -> bool:
    async with db.transaction() as conn:
        cur = await conn.execute("UPDATE members SET active = 0 WHERE user_id = ? AND active = 1", (user_id,))
        return cur.rowcount > 0
