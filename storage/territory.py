"""Communes, EPCI and élus."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.sites import SITES_CACHE


@dataclass(frozen=True)
class Commune:
    id: int
    name: str
    name_key: str
    insee: str | None
    epci: str


@dataclass(frozen=True)
class Elu:
    id: int
    name: str
    mandate: str
    commune_id: int | None
    epci: str | None
    phone: str | None
    email: str | None
    receives: str


async def count_communes(db: Database) -> int:
    return (await db.fetchone("SELECT COUNT(*) FROM communes"))[0]


async def add_commune(db: Database, name: str, key: str, epci: str, insee: str | None = None) -> int:
    commune_id = await db.execute("INSERT INTO communes (name, name_key, insee, epci) VALUES (?, ?, ?, ?)",
                                  (name, key, insee, epci))
    db.forget(SITES_CACHE)  # sites carry their commune's name and EPCI
    return commune_id


async def upsert_communes(db: Database, rows: list[tuple[str, str, str | None, str]]) -> None:
    """(name, name_key, insee, epci) rows, all in one transaction; an existing name is updated."""
    async with db.transaction() as conn:
        for name, key, insee, epci in rows:
            await conn.execute(
                "INSERT INTO communes (name, name_key, insee, epci) VALUES (?, ?, ?, ?) ON CONFLICT (name_key) "
                "DO UPDATE SET name = excluded.name, insee = COALESCE(excluded.insee, insee), epci = excluded.epci",
                (name, key, insee, epci))
    db.forget(SITES_CACHE)  # sites carry their commune's name and EPCI


async def commune_by_key(db: Database, key: str) -> Commune | None:
    row = await db.fetchone("SELECT * FROM communes WHERE name_key = ?", (key,))
    return Commune(**dict(row)) if row else None


async def commune(db: Database, commune_id: int) -> Commune | None:
    row = await db.fetchone("SELECT * FROM communes WHERE id = ?", (commune_id,))
    return Commune(**dict(row)) if row else None


async def communes(db: Database, epci: str | None = None) -> list[Commune]:
    if epci:
        rows = await db.fetchall("SELECT * FROM communes WHERE epci = ? ORDER BY name_key", (epci,))
    else:
        rows = await db.fetchall("SELECT * FROM communes ORDER BY epci, name_key")
    return [Commune(**dict(r)) for r in rows]


async def add_elu(db: Database, *, name: str, mandate: str, commune_id: int | None, epci: str | None,
                  phone: str | None, email: str | None, by: int, at: str) -> int:
    return await db.execute(
        "INSERT INTO elus (name, mandate, commune_id, epci, phone, email, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (name, mandate, commune_id, epci, phone, email, by, at))


async def elu(db: Database, elu_id: int) -> Elu | None:
    row = await db.fetchone("SELECT id, name, mandate, commune_id, epci, phone, email, receives FROM elus WHERE id = ?",
                            (elu_id,))
    return Elu(**dict(row)) if row else None


ELU_COLUMNS = ("name", "mandate", "commune_id", "epci", "phone", "email")


async def update_elu(db: Database, elu_id: int, changes: dict[str, str | int | None]) -> None:
    unknown = set(changes) - set(ELU_COLUMNS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    await db.execute(f"UPDATE elus SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?", (*changes.values(), elu_id))


async def remove_elu(db: Database, elu_id: int) -> bool:
    """An élu no longer in office: gone, with the Telegram accounts bound to them and their unused invitations
    (the notices already sent stay). False if there was no such élu."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM outsiders WHERE kind = 'elu' AND target_id = ?", (elu_id,))
        await conn.execute("DELETE FROM invitations WHERE kind = 'elu' AND target_id = ? AND used_by IS NULL", (elu_id,))
        cur = await conn.execute("DELETE FROM elus WHERE id = ?", (elu_id,))
        return cur.rowcount > 0


async def elus(db: Database) -> list[Elu]:
    rows = await db.fetchall("SELECT id, name, mandate, commune_id, epci, phone, email, receives FROM elus ORDER BY name")
    return [Elu(**dict(r)) for r in rows]


async def elus_for(db: Database, commune_ids: list[int], epcis: list[str]) -> list[Elu]:
    """The élus of these communes, and those of their EPCI."""
    if not commune_ids and not epcis:
        return []
    rows = await db.fetchall(
        f"SELECT id, name, mandate, commune_id, epci, phone, email, receives FROM elus "
        f"WHERE commune_id IN ({','.join('?' * len(commune_ids)) or 'NULL'}) "
        f"OR epci IN ({','.join('?' * len(epcis)) or 'NULL'}) ORDER BY name",
        (*commune_ids, *epcis))
    return [Elu(**dict(r)) for r in rows]
