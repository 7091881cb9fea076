"""Reminders: every scheduled push is a row; a row is marked sent only once Telegram accepted the message."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database

OPEN = ("pending", "awaiting")


@dataclass(frozen=True)
class Reminder:
    id: int
    kind: str
    key: str | None
    candidate_id: int | None
    chat_id: int
    text: str
    due_at: str
    original_due_at: str
    exact: bool
    state: str
    attempts: int
    reposts: int
    last_error: str | None
    sent_at: str | None
    message_id: int | None
    assigned_to: int | None
    created_by: int | None
    created_at: str
    closed_at: str | None
    closed_by: int | None
    poll_id: int | None  # what a message about a poll is about: the poll, and the site when it concerns one
    site_id: int | None


def _reminder(row) -> Reminder:
    values = dict(row)
    values["exact"] = bool(values["exact"])
    return Reminder(**values)


def create_statement(*, kind: str, chat_id: int, due_at: str, at: str, key: str | None = None,
                     candidate_id: int | None = None, text: str = "", exact: bool = False,
                     created_by: int | None = None, once: bool = False, poll_id: int | None = None,
                     site_id: int | None = None) -> tuple[str, tuple]:
    """The statement that creates a reminder (also run in another write's transaction: see polls.cancel_site);
    with ``once``, nothing is created when a reminder with that key exists. The key only makes it unique: what
    the message is about has columns of its own (the candidate, the poll, the site)."""
    return (f"INSERT {'OR IGNORE ' if once else ''}INTO reminders (kind, key, candidate_id, chat_id, text, due_at, "
            "original_due_at, exact, created_by, created_at, poll_id, site_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, key, candidate_id, chat_id, text, due_at, due_at, int(exact), created_by, at, poll_id, site_id))


async def create(db: Database, *, kind: str, chat_id: int, due_at: str, at: str, key: str | None = None,
                 candidate_id: int | None = None, text: str = "", exact: bool = False,
                 created_by: int | None = None, poll_id: int | None = None, site_id: int | None = None) -> int:
    return await db.execute(*create_statement(kind=kind, chat_id=chat_id, due_at=due_at, at=at, key=key,
                                              candidate_id=candidate_id, text=text, exact=exact,
                                              created_by=created_by, poll_id=poll_id, site_id=site_id))


async def get(db: Database, reminder_id: int) -> Reminder | None:
    row = await db.fetchone("SELECT * FROM reminders WHERE id = ?", (reminder_id,))
    return _reminder(row) if row else None


async def by_key(db: Database, key: str) -> Reminder | None:
    row = await db.fetchone("SELECT * FROM reminders WHERE key = ?", (key,))
    return _reminder(row) if row else None


async def pending(db: Database, reminder_ids: tuple[int, ...]) -> list[Reminder]:
    """Those of these reminders still to send, in the order given."""
    rows = {r["id"]: _reminder(r) for r in await db.fetchall(
        f"SELECT * FROM reminders WHERE id IN ({', '.join('?' * len(reminder_ids))}) AND state = 'pending'",
        reminder_ids)}
    return [rows[i] for i in reminder_ids if i in rows]


async def ids_of(db: Database, keys: list[str]) -> list[int]:
    """The ids of the reminders with these keys, in the keys' order (those that exist)."""
    rows = {r["key"]: r["id"] for r in await db.fetchall(
        f"SELECT id, key FROM reminders WHERE key IN ({', '.join('?' * len(keys))})", tuple(keys))}
    return [rows[k] for k in keys if k in rows]


async def for_candidate(db: Database, candidate_id: int) -> list[Reminder]:
    rows = await db.fetchall("SELECT * FROM reminders WHERE candidate_id = ? ORDER BY due_at", (candidate_id,))
    return [_reminder(r) for r in rows]


async def due(db: Database, now: str, limit: int = 100) -> list[Reminder]:
    """Open reminders whose time has come: first sends, retries and reposts, oldest first."""
    rows = await db.fetchall(
        "SELECT * FROM reminders WHERE state IN ('pending', 'awaiting') AND due_at <= ? ORDER BY due_at, id LIMIT ?",
        (now, limit),
    )
    return [_reminder(r) for r in rows]


async def next_due_at(db: Database) -> str | None:
    row = await db.fetchone("SELECT MIN(due_at) FROM reminders WHERE state IN ('pending', 'awaiting')")
    return row[0] if row else None


async def open_ones(db: Database, *, user_id: int | None = None, limit: int = 50) -> tuple[list[Reminder], int]:
    """Open reminders, soonest first; with ``user_id``, only those they created or took on."""
    where = "state IN ('pending', 'awaiting')"
    params: list = []
    if user_id is not None:
        where += " AND (created_by = ? OR assigned_to = ?)"
        params += [user_id, user_id]
    total = (await db.fetchone(f"SELECT COUNT(*) FROM reminders WHERE {where}", params))[0]
    rows = await db.fetchall(f"SELECT * FROM reminders WHERE {where} ORDER BY due_at LIMIT ?", [*params, limit])
    return [_reminder(r) for r in rows], total


async def failed(db: Database, limit: int = 20) -> list[Reminder]:
    rows = await db.fetchall("SELECT * FROM reminders WHERE state = 'failed' ORDER BY closed_at DESC LIMIT ?", (limit,))
    return [_reminder(r) for r in rows]


async def mark_sent(db: Database, reminder_id: int, *, at: str, message_id: int, next_due: str | None,
                    also: list[tuple[str, tuple]] = ()) -> None:
    """Telegram accepted it: done if nothing is expected back, else awaiting an answer until ``next_due``; in one
    write with ``also`` (what keeps the message for later edits)."""
    if next_due is None:
        statement = ("UPDATE reminders SET state = 'sent', sent_at = ?, message_id = ?, attempts = attempts + 1, "
                     "last_error = NULL, closed_at = ? WHERE id = ?", (at, message_id, at, reminder_id))
    else:
        statement = ("UPDATE reminders SET state = 'awaiting', sent_at = ?, message_id = ?, attempts = attempts + 1, "
                     "last_error = NULL, due_at = ?, reposts = reposts + (state = 'awaiting') WHERE id = ?",
                     (at, message_id, next_due, reminder_id))
    await db.write([statement, *also])


async def retry_later(db: Database, reminder_id: int, *, due_at: str, error: str) -> None:
    await db.execute("UPDATE reminders SET due_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?",
                     (due_at, error[:500], reminder_id))


async def mark_failed(db: Database, reminder_id: int, *, at: str, error: str) -> None:
    await db.execute("UPDATE reminders SET state = 'failed', last_error = ?, closed_at = ?, attempts = attempts + 1 "
                     "WHERE id = ?", (error[:500], at, reminder_id))


async def close(db: Database, reminder_id: int, *, state: str, at: str, by: int | None) -> bool:
    """Close an open reminder (done or cancelled); False if it was no longer open."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE reminders SET state = ?, closed_at = ?, closed_by = ? WHERE id = ? AND state IN ('pending', 'awaiting')",
            (state, at, by, reminder_id))
        return cur.rowcount > 0


def cancel_pending_statement(key_prefixes: list[str], *, at: str,
                             unless_suffix: str | None = None) -> tuple[str, tuple]:
    """The statement that cancels the reminders not sent yet whose key starts with one of ``key_prefixes``, except
    those ending with ``unless_suffix`` (also run in another write's transaction: see polls.answer)."""
    # prefixes as ranges of the key's unique index, and "+state" to keep the planner off the state's index: a
    # poll button must not read every pending reminder
    ranges = " OR ".join("(key >= ? AND key < ?)" for _ in key_prefixes)
    sql = f"UPDATE reminders SET state = 'cancelled', closed_at = ? WHERE ({ranges}) AND +state = 'pending'"
    params = [at, *(bound for p in key_prefixes for bound in (p, p[:-1] + chr(ord(p[-1]) + 1)))]
    if unless_suffix is not None:
        sql += " AND substr(key, -?) != ?"
        params += [len(unless_suffix), unless_suffix]
    return sql, tuple(params)


async def cancel_pending(db: Database, key_prefixes: list[str], *, at: str, unless_suffix: str | None = None) -> None:
    await db.execute(*cancel_pending_statement(key_prefixes, at=at, unless_suffix=unless_suffix))


async def reschedule(db: Database, reminder_id: int, *, due_at: str, exact: bool) -> None:
    """Move a reminder to a new time; it is pending again and counts as on time then."""
    await db.execute(
        "UPDATE reminders SET due_at = ?, original_due_at = ?, exact = ?, state = 'pending', reposts = 0, "
        "closed_at = NULL, closed_by = NULL WHERE id = ?", (due_at, due_at, int(exact), reminder_id))


async def set_due(db: Database, reminder_id: int, due_at: str) -> None:
    await db.execute("UPDATE reminders SET due_at = ? WHERE id = ?", (due_at, reminder_id))


async def assign(db: Database, reminder_id: int, user_id: int) -> None:
    await db.execute("UPDATE reminders SET assigned_to = ? WHERE id = ?", (user_id, reminder_id))
