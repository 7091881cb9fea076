"""Personal web links, their tokens (hashes only) and one-time form keys."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True)
class Link:
    id: int
    purpose: str
    poll_id: int | None
    site_id: int | None
    notice_id: int | None
    elu_id: int | None
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    revoked_by: int | None
    last_seen_at: str | None


async def ensure(db: Database, *, purpose: str, at: str, poll_id: int | None = None, site_id: int | None = None,
                 notice_id: int | None = None, elu_id: int | None = None, expires_at: str | None = None) -> Link:
    """The link of this site (or élu) for this purpose, made if it does not exist yet."""
    await db.execute("INSERT INTO web_links (purpose, poll_id, site_id, notice_id, elu_id, created_at, expires_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                     (purpose, poll_id, site_id, notice_id, elu_id, at, expires_at))
    row = await db.fetchone("SELECT * FROM web_links WHERE purpose = ? AND poll_id IS ? AND site_id IS ? AND "
                            "notice_id IS ? AND elu_id IS ? ORDER BY id LIMIT 1",
                            (purpose, poll_id, site_id, notice_id, elu_id))
    return Link(**dict(row))


async def add_token(db: Database, link_id: int, token_hash: str, *, at: str) -> None:
    await db.execute("INSERT INTO web_tokens (token_hash, link_id, created_at) VALUES (?, ?, ?)", (token_hash, link_id, at))


# read with the rest of a page (storage.polls.link_page)
BY_TOKEN = "SELECT l.* FROM web_tokens t JOIN web_links l ON l.id = t.link_id WHERE t.token_hash = ?"
FORM_USED = "SELECT 1 FROM web_forms WHERE form_hash = ? AND link_id = ?"


async def get(db: Database, link_id: int) -> Link | None:
    row = await db.fetchone("SELECT * FROM web_links WHERE id = ?", (link_id,))
    return Link(**dict(row)) if row else None


async def of_poll(db: Database, poll_id: int) -> list[Link]:
    return [Link(**dict(r)) for r in await db.fetchall("SELECT * FROM web_links WHERE poll_id = ? ORDER BY site_id",
                                                       (poll_id,))]


async def seen(db: Database, link_id: int, at: str) -> None:
    await db.write([("UPDATE web_links SET last_seen_at = ? WHERE id = ?", (at, link_id))])  # with others opened at once


def expire_with_poll_statement(poll_id: int, expires_at: str | None) -> tuple[str, tuple]:
    """The statement that makes a closed poll's links last until ``expires_at`` (run as the poll closes), or
    without end again (reopened)."""
    return "UPDATE web_links SET expires_at = ? WHERE poll_id = ? AND purpose = 'sondage'", (expires_at, poll_id)


async def revoke(db: Database, link_id: int, *, by: int, at: str) -> bool:
    async with db.transaction() as conn:
        cur = await conn.execute("UPDATE web_links SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
                                 (at, by, link_id))
        return cur.rowcount > 0


async def renew(db: Database, link_id: int) -> None:
    """Every token of the link stops opening it (a new one is minted next), and it is no longer revoked."""
    await db.write([("DELETE FROM web_tokens WHERE link_id = ?", (link_id,)),
                    ("UPDATE web_links SET revoked_at = NULL, revoked_by = NULL WHERE id = ?", (link_id,))])



def use_form_statement(link_id: int, form_hash: str, at: str) -> tuple[str, tuple]:
    """Keep a form key as used; it changes no row when it already was (see Database.write)."""
    return ("INSERT INTO web_forms (form_hash, link_id, created_at, used_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (form_hash, link_id, at, at))


async def use_form(db: Database, link_id: int, form_hash: str, *, at: str) -> bool:
    """Use up a one-time form key of a link; False if it was already used."""
    return await db.write([use_form_statement(link_id, form_hash, at)], unless_first_changes_nothing=True)
