"""The schema: migrations applied in order, once; settings every connection needs."""

import pytest

from storage import candidates
from storage.db import Database, connect, latest_version, migrate, schema_version


async def test_fresh_database_is_at_the_latest_version(tmp_path):
    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        assert await schema_version(db.conn) == latest_version()
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
        assert await migrate(db.conn) == []  # nothing left to apply
    finally:
        await db.close()


async def test_failed_transaction_leaves_nothing(tmp_path):
    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO candidates (first_name, last_name, profession, source, first_contact, consent, status, "
                    "status_changed_at, created_at, updated_at) VALUES ('A','B','autre','ars','2026-01-01',1,'nouveau','x','x','x')"
                )
                raise RuntimeError("interrupted")
        assert (await candidates.search(db))[1] == 0
    finally:
        await db.close()


async def test_sql_metacharacters_are_stored_as_text(tmp_path):
    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        name = "Robert'); DROP TABLE candidates;--"
        cid = await candidates.create(
            db, {"first_name": name, "last_name": "O'Brien", "profession": "autre", "source": "ars",
                 "first_contact": "2026-11-23", "consent": 1},
            status="nouveau", by=1, at="2026-11-23T08:00:00+00:00", detail="x")
        assert (await candidates.get(db, cid)).first_name == name
    finally:
        await db.close()


async def test_migration_is_all_or_nothing(tmp_path):
    conn = await connect(tmp_path / "b.sqlite3")
    try:
        await conn.execute("CREATE TABLE members (x INTEGER)")  # makes migration 1 fail half-way
        with pytest.raises(Exception):
            await migrate(conn)
        assert await schema_version(conn) == 0
        async with conn.execute("SELECT name FROM sqlite_master WHERE name = 'candidates'") as cur:
            assert await cur.fetchone() is None
    finally:
        await conn.close()
