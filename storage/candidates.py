"""Candidates (step A) and their timeline."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from storage.db import Database

# Columns a user may change; the only column names ever put into SQL text.
EDITABLE = (
    "first_name", "last_name", "profession", "specialty", "phone", "email", "source", "source_detail",
    "first_contact", "consent", "consent_date", "interview_at", "interview_done_at", "croisement_due",
    "remote_debrief_at", "installed_place", "installed_commune", "installed_on", "consent_share",
    "retention_until",
)


@dataclass(frozen=True)
class Candidate:
    id: int
    first_name: str
    last_name: str
    profession: str
    specialty: str | None
    phone: str | None
    email: str | None
    source: str
    source_detail: str | None
    first_contact: str
    consent: bool
    consent_date: str | None
    interview_at: str | None
    interview_done_at: str | None
    status: str
    status_changed_at: str
    created_by: int | None
    created_at: str
    updated_at: str
    croisement_due: str | None = None
    remote_debrief_at: str | None = None
    installed_place: str | None = None
    installed_commune: str | None = None
    installed_on: str | None = None
    consent_share: int = 0
    anonymised_at: str | None = None
    retention_warned_at: str | None = None
    retention_until: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class Event:
    at: str
    user_id: int | None
    kind: str
    detail: str


_COLUMNS = [f.name for f in fields(Candidate)]


def _candidate(row) -> Candidate:
    values = {name: row[name] for name in _COLUMNS}
    values["consent"] = bool(values["consent"])
    return Candidate(**values)


async def create(db: Database, values: dict[str, Any], *, status: str, by: int, at: str, detail: str) -> int:
    """Insert a candidate and its first timeline row together."""
    columns = [c for c in EDITABLE if c in values]
    async with db.transaction() as conn:
        cur = await conn.execute(
            f"INSERT INTO candidates ({', '.join(columns)}, status, status_changed_at, created_by, created_at, "
            f"updated_at) VALUES ({', '.join('?' for _ in columns)}, ?, ?, ?, ?, ?)",
            (*[values[c] for c in columns], status, at, by, at, at),
        )
        candidate_id = cur.lastrowid
        await conn.execute(
            "INSERT INTO events (candidate_id, at, user_id, kind, detail) VALUES (?, ?, ?, 'creation', ?)",
            (candidate_id, at, by, detail),
        )
    return candidate_id


async def get(db: Database, candidate_id: int) -> Candidate | None:
    row = await db.fetchone("SELECT * FROM candidates WHERE id = ?", (candidate_id,))
    return _candidate(row) if row else None


async def changed_since(db: Database, at: str | None) -> list[int]:
    """The candidates changed at or after ``at`` (all of them without it)."""
    if at is None:
        return [r[0] for r in await db.fetchall("SELECT id FROM candidates")]
    return [r[0] for r in await db.fetchall("SELECT id FROM candidates WHERE updated_at >= ?", (at,))]


async def search(
    db: Database, *, statuses: list[str] | None = None, professions: list[str] | None = None,
    words: list[str] | None = None, limit: int = 50
) -> tuple[list[Candidate], int]:
    """Candidates matching the filters, newest first, and how many match in all. Each of ``words`` (folded: lower
    case, no accents) must be part of the first name, name or e-mail, or of the phone number's digits."""
    where, params = [], []
    for word in words or []:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        digits = "".join(c for c in word if c.isdigit())
        clause = "fold(first_name || ' ' || last_name || ' ' || COALESCE(email, '')) LIKE ? ESCAPE '\\'"
        params.append(pattern)
        if digits and len(digits) == len(word.replace(" ", "").replace(".", "")):
            clause = f"({clause} OR replace(replace(COALESCE(phone, ''), ' ', ''), '.', '') LIKE ?)"
            params.append(f"%{digits}%")
        where.append(clause)
    if statuses:
        where.append(f"status IN ({', '.join('?' for _ in statuses)})")
        params += statuses
    if professions:
        where.append(f"profession IN ({', '.join('?' for _ in professions)})")
        params += professions
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    total = (await db.fetchone(f"SELECT COUNT(*) FROM candidates {clause}", params))[0]
    rows = await db.fetchall(f"SELECT * FROM candidates {clause} ORDER BY id DESC LIMIT ?", [*params, limit])
    return [_candidate(r) for r in rows], total


async def update(
    db: Database, candidate_id: int, changes: dict[str, Any], *, by: int, at: str, kind: str, detail: str,
    status: str | None = None,
) -> None:
    """Change fields (and the status) and record it in the timeline, in one transaction."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    sets = [f"{c} = ?" for c in changes] + ["updated_at = ?"]
    params: list[Any] = [*changes.values(), at]
    if status is not None:
        sets += ["status = ?", "status_changed_at = ?"]
        params += [status, at]
    async with db.transaction() as conn:
        await conn.execute(f"UPDATE candidates SET {', '.join(sets)} WHERE id = ?", (*params, candidate_id))
        await conn.execute(*event_statement(candidate_id, by=by, at=at, kind=kind, detail=detail))


def touch_statement(candidate_id: int, *, at: str, status: str | None = None) -> tuple[str, tuple]:
    """The statement that marks a candidate changed (and its new status), for writes made elsewhere in one
    transaction with its event (see ``event_statement``)."""
    if status is None:
        return "UPDATE candidates SET updated_at = ? WHERE id = ?", (at, candidate_id)
    return ("UPDATE candidates SET updated_at = ?, status = ?, status_changed_at = ? WHERE id = ?",
            (at, status, at, candidate_id))


def event_statement(candidate_id: int, *, by: int, at: str, kind: str, detail: str) -> tuple[str, tuple]:
    """The statement that writes one event of a candidate's timeline (also run in other writes' transactions)."""
    return ("INSERT INTO events (candidate_id, at, user_id, kind, detail) VALUES (?, ?, ?, ?, ?)",
            (candidate_id, at, by, kind, detail))


async def timeline(db: Database, candidate_id: int, limit: int = 15) -> tuple[list[Event], int]:
    """The latest events, oldest first, and how many there are in all."""
    total = (await db.fetchone("SELECT COUNT(*) FROM events WHERE candidate_id = ?", (candidate_id,)))[0]
    rows = await db.fetchall(
        "SELECT at, user_id, kind, detail FROM events WHERE candidate_id = ? ORDER BY at DESC, id DESC LIMIT ?",
        (candidate_id, limit),
    )
    return [Event(r["at"], r["user_id"], r["kind"], r["detail"]) for r in reversed(rows)], total
