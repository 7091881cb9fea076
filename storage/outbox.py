"""E-mails to send (the outbox): queued once, sent once, retried on a temporary failure."""

from __future__ import annotations

import json
from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True)
class Mail:
    id: int
    key: str
    kind: str
    to_addr: str
    subject: str
    body_text: str
    body_html: str
    attachments: str
    link_id: int | None
    poll_id: int | None
    site_id: int | None
    chat_id: int | None
    state: str
    due_at: str
    attempts: int
    last_error: str | None
    created_at: str
    sent_at: str | None

    def files(self) -> list[tuple[str, str, str]]:
        """(file name, MIME type, base64 content) of each attachment."""
        return [tuple(f) for f in json.loads(self.attachments)]


async def enqueue(db: Database, *, key: str, kind: str, to_addr: str, subject: str, body_text: str, body_html: str,
                  due_at: str, at: str, attachments: list[tuple[str, str, str]] = (), link_id: int | None = None,
                  poll_id: int | None = None, site_id: int | None = None, chat_id: int | None = None) -> bool:
    """Queue an e-mail; False if one with this key was already queued (it is not queued twice)."""
    async with db.transaction() as conn:
        cur = await conn.execute(*enqueue_statement(
            key=key, kind=kind, to_addr=to_addr, subject=subject, body_text=body_text, body_html=body_html,
            due_at=due_at, at=at, attachments=attachments, link_id=link_id, poll_id=poll_id, site_id=site_id,
            chat_id=chat_id))
        return cur.rowcount > 0


def enqueue_statement(*, key: str, kind: str, to_addr: str, subject: str, body_text: str, body_html: str, due_at: str,
                      at: str, attachments: list[tuple[str, str, str]] = (), link_id: int | None = None,
                      poll_id: int | None = None, site_id: int | None = None,
                      chat_id: int | None = None) -> tuple[str, tuple]:
    """The statement that queues an e-mail once per key (also run in the transaction of what it tells of)."""
    return ("INSERT INTO outbox (key, kind, to_addr, subject, body_text, body_html, attachments, link_id, poll_id, "
            "site_id, chat_id, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (key) DO NOTHING",
            (key, kind, to_addr, subject, body_text, body_html, json.dumps([list(a) for a in attachments]), link_id,
             poll_id, site_id, chat_id, due_at, at))


async def due(db: Database, now: str, limit: int = 50) -> list[Mail]:
    rows = await db.fetchall("SELECT * FROM outbox WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?",
                             (now, limit))
    return [Mail(**dict(r)) for r in rows]


async def next_due(db: Database) -> str | None:
    row = await db.fetchone("SELECT min(due_at) FROM outbox WHERE state = 'pending'")
    return row[0] if row else None


async def claim(db: Database, mail_id: int, at: str) -> bool:
    """Mark an e-mail as being sent (one sender at a time); False if another took it or it was cancelled."""
    async with db.transaction() as conn:
        cur = await conn.execute("UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ? "
                                 "AND state = 'pending'", (mail_id,))
        return cur.rowcount > 0


async def release_interrupted(db: Database) -> int:
    """At start: e-mails left "sending" by a crash are sent again (the server may or may not have taken them; a
    stable Message-ID lets the receiving side recognise a repeat)."""
    async with db.transaction() as conn:
        cur = await conn.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sending'")
        return cur.rowcount


async def mark_sent(db: Database, mail_id: int, at: str) -> None:
    await db.execute("UPDATE outbox SET state = 'sent', sent_at = ?, last_error = NULL WHERE id = ?", (at, mail_id))


async def retry_later(db: Database, mail_id: int, *, due_at: str, error: str) -> None:
    await db.execute("UPDATE outbox SET state = 'pending', due_at = ?, last_error = ? WHERE id = ?",
                     (due_at, error[:500], mail_id))


async def mark_failed(db: Database, mail_id: int, *, error: str, notice: tuple[str, tuple]) -> None:
    """Kept as failed, in one write with ``notice``, the statement that queues the team's notice of it."""
    await db.write([("UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?", (error[:500], mail_id)), notice])


def cancel_statement(*, kind: str, poll_id: int, site_id: int | None = None) -> tuple[str, tuple]:
    """The statement that cancels the pending e-mails of a kind for a poll (for one site) that no longer apply
    (run in the transaction of what made them useless: see polls.close and polls.answer_by_link)."""
    if site_id is None:
        return ("UPDATE outbox SET state = 'cancelled' WHERE state = 'pending' AND kind = ? AND poll_id = ?",
                (kind, poll_id))
    return ("UPDATE outbox SET state = 'cancelled' WHERE state = 'pending' AND kind = ? AND poll_id = ? AND site_id = ?",
            (kind, poll_id, site_id))


async def cancel_one(db: Database, mail_id: int) -> None:
    await db.execute("UPDATE outbox SET state = 'cancelled' WHERE id = ? AND state = 'pending'", (mail_id,))


async def get(db: Database, mail_id: int) -> Mail | None:
    row = await db.fetchone("SELECT * FROM outbox WHERE id = ?", (mail_id,))
    return Mail(**dict(row)) if row else None


async def all_mail(db: Database) -> list[Mail]:
    return [Mail(**dict(r)) for r in await db.fetchall("SELECT * FROM outbox ORDER BY id")]
