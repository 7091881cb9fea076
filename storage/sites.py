"""Practice sites (lieux d'exercice), the Telegram users bound to them or to élus, invitations, croisements."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from storage.db import Database

LIST_FIELDS = ("professions_present", "professions_sought", "modes")
EDITABLE = ("name", "type", "status", "commune_id", "professions_present", "professions_sought", "modes", "pluripro",
            "premises_available", "premises", "rent", "secretariat", "commune_involvement", "projet_sante",
            "dynamique", "contact_name", "contact_phone", "contact_email", "contact_telegram")


@dataclass(frozen=True)
class Site:
    id: int
    name: str
    type: str
    status: str
    commune_id: int
    professions_present: list[str]
    professions_sought: list[str]
    modes: list[str]
    pluripro: bool
    premises_available: bool
    premises: str | None
    rent: str | None
    secretariat: str | None
    commune_involvement: str | None
    projet_sante: str | None
    dynamique: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    contact_telegram: str | None
    created_by: int | None
    created_at: str
    updated_at: str
    commune: str = ""
    epci: str = ""


SITES_CACHE = "sites"  # the key of all_sites() in Database.cache; territory drops it too (communes are joined)
_COLUMNS = [f.name for f in fields(Site) if f.name not in ("commune", "epci")]
SELECT = ("SELECT s.*, c.name AS commune, c.epci AS epci FROM sites s JOIN communes c ON c.id = s.commune_id")


def site_of(row) -> Site:
    values = dict(row)
    for key in LIST_FIELDS:
        values[key] = json.loads(values[key])
    values["pluripro"] = bool(values["pluripro"])
    values["premises_available"] = bool(values["premises_available"])
    return Site(**values)


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (json.dumps(v, ensure_ascii=False) if k in LIST_FIELDS else int(v) if isinstance(v, bool) else v)
            for k, v in values.items() if k in EDITABLE}


async def create_many(db: Database, rows: list[dict[str, Any]], *, by: int, at: str) -> list[int]:
    """Insert sites together: all of them or none."""
    ids = []
    async with db.transaction() as conn:
        for values in rows:
            encoded = _encode(values)
            cur = await conn.execute(
                f"INSERT INTO sites ({', '.join(encoded)}, created_by, created_at, updated_at) "
                f"VALUES ({', '.join('?' * len(encoded))}, ?, ?, ?)", (*encoded.values(), by, at, at))
            ids.append(cur.lastrowid)
    db.forget(SITES_CACHE)
    return ids


async def get(db: Database, site_id: int) -> Site | None:
    row = await db.fetchone(f"{SELECT} WHERE s.id = ?", (site_id,))
    return site_of(row) if row else None


async def all_sites(db: Database) -> list[Site]:
    """Every site, by name (Site is frozen: the cached list is shared, never changed in place)."""
    async def load() -> list[Site]:
        return [site_of(r) for r in await db.fetchall(f"{SELECT} ORDER BY s.name")]

    return list(await db.remembered(SITES_CACHE, load))


async def update(db: Database, site_id: int, changes: dict[str, Any], *, at: str) -> None:
    encoded = _encode(changes)
    await db.execute(f"UPDATE sites SET {', '.join(f'{k} = ?' for k in encoded)}, updated_at = ? WHERE id = ?",
                     (*encoded.values(), at, site_id))
    db.forget(SITES_CACHE)


# --- people outside the team bound to a site or an élu record ---------------------------------------------

@dataclass(frozen=True)
class Outsider:
    user_id: int
    kind: str  # lieu | elu
    target_id: int
    name: str


async def outsider_roles(db: Database, user_id: int) -> list[Outsider]:
    rows = await db.fetchall("SELECT user_id, kind, target_id, name FROM outsiders WHERE user_id = ?", (user_id,))
    return [Outsider(**dict(r)) for r in rows]


async def contacts_of(db: Database, kind: str, target_id: int) -> list[Outsider]:
    rows = await db.fetchall("SELECT user_id, kind, target_id, name FROM outsiders WHERE kind = ? AND target_id = ?",
                             (kind, target_id))
    return [Outsider(**dict(r)) for r in rows]


async def contact_targets(db: Database, kind: str) -> set[int]:
    """The sites (kind "site") or élus ("elu") with at least one contact on Telegram."""
    return {r[0] for r in await db.fetchall("SELECT DISTINCT target_id FROM outsiders WHERE kind = ?", (kind,))}


async def create_invitation(db: Database, *, token: str, kind: str, target_id: int, by: int, at: str,
                            expires_at: str) -> None:
    await db.execute("INSERT INTO invitations (token, kind, target_id, created_by, created_at, expires_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (token, kind, target_id, by, at, expires_at))


async def use_invitation(db: Database, token: str, *, user_id: int, name: str, at: str) -> tuple[str, Any]:
    """("ok", (kind, target_id)), ("used", None), ("expired", None) or ("unknown", None), atomically."""
    async with db.transaction() as conn:
        rows = await conn.execute_fetchall("SELECT * FROM invitations WHERE token = ?", (token,))
        row = rows[0] if rows else None
        if row is None:
            return "unknown", None
        if row["used_at"] is not None:
            return "used", None
        if row["expires_at"] < at:
            return "expired", None
        await conn.execute("UPDATE invitations SET used_by = ?, used_at = ? WHERE token = ?", (user_id, at, token))
        await conn.execute("INSERT OR IGNORE INTO outsiders (user_id, kind, target_id, name, joined_at) "
                           "VALUES (?, ?, ?, ?, ?)", (user_id, row["kind"], row["target_id"], name, at))
        return "ok", (row["kind"], row["target_id"])


# --- croisements --------------------------------------------------------------------------------------

async def exposure(db: Database, since: str) -> dict[int, tuple[int, int]]:
    """How often each site was proposed and contacted since ``since``."""
    rows = await db.fetchall("SELECT site_id, COUNT(*) AS proposed, SUM(chosen) AS contacted FROM croisement_sites "
                             "WHERE at >= ? GROUP BY site_id", (since,))
    return {r["site_id"]: (r["proposed"], r["contacted"] or 0) for r in rows}


async def record_croisement(db: Database, candidate_id: int, *, proposed: list[tuple[int, int, int, str]],
                            chosen: set[int], on_time: bool, by: int, at: str,
                            also: list[tuple[str, tuple]] = ()) -> None:
    """The croisement with every site proposed (site, rank, score, section) and those chosen, together, with the
    statements ``also`` (the candidate's history, what tells of it)."""
    await db.write([
        ("INSERT OR REPLACE INTO croisements (candidate_id, done_at, on_time, done_by) VALUES (?, ?, ?, ?)",
         (candidate_id, at, int(on_time), by)),
        ("DELETE FROM croisement_sites WHERE candidate_id = ?", (candidate_id,)),
        *(("INSERT INTO croisement_sites (candidate_id, site_id, rank, score, section, chosen, at) "
           "VALUES (?, ?, ?, ?, ?, ?, ?)", (candidate_id, site_id, rank, score, section, int(site_id in chosen), at))
          for site_id, rank, score, section in proposed),
        *also,
    ])


async def croisement_of(db: Database, candidate_id: int):
    """The candidate's latest croisement (done_at, on_time, done_by), or None."""
    return await db.fetchone("SELECT done_at, on_time, done_by FROM croisements WHERE candidate_id = ?", (candidate_id,))


async def chosen_sites(db: Database, candidate_id: int) -> list[int]:
    rows = await db.fetchall("SELECT site_id FROM croisement_sites WHERE candidate_id = ? AND chosen = 1 ORDER BY rank",
                             (candidate_id,))
    return [r["site_id"] for r in rows]


async def create_notice(db: Database, candidate_id: int, text: str, *, by: int, at: str, period: str,
                        site_ids: list[int]) -> int:
    """A draft notice to the élus: the sites and period it is about, sent only once approved."""
    return await db.execute(
        "INSERT INTO elu_notices (candidate_id, text, period, site_ids, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (candidate_id, text, period, json.dumps(site_ids), by, at))


async def notice(db: Database, notice_id: int):
    return await db.fetchone("SELECT * FROM elu_notices WHERE id = ?", (notice_id,))


async def approve_notice(db: Database, notice_id: int, *, by: int, at: str) -> bool:
    async with db.transaction() as conn:
        cur = await conn.execute("UPDATE elu_notices SET approved_by = ?, sent_at = ? WHERE id = ? AND sent_at IS NULL",
                                 (by, at, notice_id))
        return cur.rowcount > 0
