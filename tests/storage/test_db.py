"""The schema: migrations applied in order, once; settings every connection needs."""

import asyncio
import sqlite3

import pytest

from storage import candidates
from storage.db import Database, MigrationError, connect, latest_version, migrate, schema_version


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
        with pytest.raises(MigrationError):
            await migrate(conn)
        assert await schema_version(conn) == 0
        assert await conn.execute_fetchall("SELECT name FROM sqlite_master WHERE name = 'candidates'") == []
    finally:
        await conn.close()


async def test_oldest_schema_migrates_to_the_newest_with_its_data_and_a_backup_first(tmp_path):
    path = tmp_path / "ancienne.sqlite3"
    conn = await connect(path)
    await migrate(conn, target=1)  # the very first schema
    await conn.execute(
        "INSERT INTO candidates (first_name, last_name, profession, source, first_contact, consent, status, "
        "status_changed_at, created_at, updated_at) VALUES ('Marie', 'Dupont', 'sage_femme', 'cpam', '2026-01-05', 1, "
        "'nouveau', '2026-01-05T09:00:00+00:00', '2026-01-05T09:00:00+00:00', '2026-01-05T09:00:00+00:00')")
    await conn.execute("INSERT INTO events (candidate_id, at, kind, detail) VALUES (1, '2026-01-05T09:00:00+00:00', "
                       "'creation', 'Dossier créé')")
    await conn.close()
    db = await Database.open(path)
    try:
        assert await schema_version(db.conn) == latest_version()
        stored = await candidates.get(db, 1)
        assert (stored.first_name, stored.profession, stored.source, stored.consent_share) == ("Marie", "sage_femme", "cpam", 0)
        assert (await candidates.timeline(db, 1))[0][0].detail == "Dossier créé"
    finally:
        await db.close()
    saved = list((tmp_path / "sauvegardes").glob("*-avant-migration-v1.sqlite3"))
    assert len(saved) == 1  # taken before the schema changed


async def test_a_failed_migration_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    from storage import db as db_module

    path = tmp_path / "b.sqlite3"
    conn = await connect(path)
    await migrate(conn, target=2)
    await conn.close()
    real = db_module.migrations()
    broken = [m if m[0] != 3 else (3, m[1], m[2] + "\nCREATE TABLE candidates (x);") for m in real]
    monkeypatch.setattr(db_module, "migrations", lambda: broken)
    with pytest.raises(db_module.MigrationError):
        await Database.open(path)
    conn = await connect(path)
    try:
        assert await schema_version(conn) == 2
        assert await conn.execute_fetchall("SELECT name FROM sqlite_master WHERE name = 'reminders'") == []
    finally:
        await conn.close()


async def test_the_sites_kept_in_memory_follow_every_change(tmp_path):
    import asyncio

    from domain.territory import name_key
    from storage import bulk, sites, territory

    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        await territory.upsert_communes(db, [("Conliège", name_key("Conliège"), None, "ecla")])
        commune = (await territory.communes(db))[0]
        [first] = await sites.create_many(db, [{"name": "MSP de Conliège", "type": "msp", "status": "en_fonctionnement",
                                                "commune_id": commune.id}], by=1, at="2026-11-23T08:00:00+00:00")
        assert [s.name for s in await sites.all_sites(db)] == ["MSP de Conliège"]
        await sites.update(db, first, {"name": "MSP du Revermont"}, at="2026-11-23T08:01:00+00:00")
        assert [s.name for s in await sites.all_sites(db)] == ["MSP du Revermont"]
        await territory.upsert_communes(db, [("Conliège", name_key("Conliège"), None, "bresse_haute_seille")])
        assert [s.epci for s in await sites.all_sites(db)] == ["bresse_haute_seille"]  # the joined commune changed
        await bulk.insert(db, "sites", [{"name": "Cabinet B", "type": "cabinet_medical", "status": "en_fonctionnement",
                                         "commune_id": commune.id, "created_at": "x", "updated_at": "x"}])
        assert [s.name for s in await sites.all_sites(db)] == ["Cabinet B", "MSP du Revermont"]

        # a read that overlaps a write is returned but not kept: it may predate the write
        started, release = asyncio.Event(), asyncio.Event()

        async def slow_load():
            started.set()
            await release.wait()
            return ["avant l'écriture"]

        reading = asyncio.create_task(db.remembered("essai", slow_load))
        await started.wait()
        db.forget("essai")
        release.set()
        assert await reading == ["avant l'écriture"]

        async def fresh():
            return ["après"]

        assert await db.remembered("essai", fresh) == ["après"]
    finally:
        await db.close()


async def test_reads_go_to_read_only_connections_that_see_only_what_is_committed(tmp_path):
    """Reads outside a transaction run on WAL readers: they never see another task's transaction half done."""
    import asyncio
    import sqlite3

    db = await Database.open(tmp_path / "a.sqlite3")
    insert = ("INSERT INTO candidates (first_name, last_name, profession, source, first_contact, consent, "
              "status, status_changed_at, created_at, updated_at) VALUES "
              "('A','B','autre','ars','2026-01-01',1,'nouveau','x','x','x')")
    count = "SELECT count(*) FROM candidates"
    try:
        assert await db.reader() is db
        inside, outside = asyncio.Event(), asyncio.Event()

        async def writer():
            async with db.transaction() as conn:
                await conn.execute(insert)
                assert (await db.fetchone(count))[0] == 1  # the transaction reads its own writes
                inside.set()
                await outside.wait()

        task = asyncio.create_task(writer())
        await inside.wait()
        assert (await db.fetchone(count))[0] == 0  # another task: not yet committed, not seen
        outside.set()
        await task
        assert (await db.fetchone(count))[0] == 1  # committed: seen
        assert (await db.fetchone("SELECT paris_day('2026-07-14T23:30:00+00:00')"))[0] == "2026-07-15"
        with pytest.raises(sqlite3.OperationalError):  # the readers cannot write
            await db._read("DELETE FROM candidates", ())
        with pytest.raises(RuntimeError):  # one unit of work is one transaction
            async with db.transaction():
                async with db.transaction():
                    pass
        assert (await db.fetchone(count))[0] == 1
    finally:
        await db.close()


@pytest.mark.parametrize("readers", [0, 2])
async def test_transactions_of_parallel_tasks_never_interleave(tmp_path, readers):
    """Many tasks each read-modify-write in their own transaction: none is lost, none sees a half-done other."""
    import asyncio

    db = await Database.open(tmp_path / "a.sqlite3", readers=readers)
    try:
        await db.execute("CREATE TABLE counter (n INTEGER)")
        await db.execute("INSERT INTO counter VALUES (0)")

        async def bump():
            async with db.transaction() as conn:
                n = (await db.fetchone("SELECT n FROM counter"))[0]
                await asyncio.sleep(0)  # let every other task run here
                await conn.execute("UPDATE counter SET n = ?", (n + 1,))

        async def peek():
            return (await db.fetchone("SELECT n FROM counter"))[0]

        results = await asyncio.gather(*(bump() for _ in range(50)), *(peek() for _ in range(50)))
        assert (await db.fetchone("SELECT n FROM counter"))[0] == 50
        assert all(0 <= n <= 50 for n in results[50:])
    finally:
        await db.close()


async def test_statements_written_together_land_together_or_not_at_all(tmp_path):
    """``write`` runs its statements as one transaction: a failing statement
    undoes the ones before it; inside a transaction they join it."""
    import sqlite3

    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        await db.execute("CREATE TABLE t (n INTEGER UNIQUE)")
        await db.write([("INSERT INTO t VALUES (?)", (1,)), ("INSERT INTO t VALUES (?)", (2,))])
        with pytest.raises(sqlite3.IntegrityError):
            await db.write([("INSERT INTO t VALUES (?)", (3,)), ("INSERT INTO t VALUES (?)", (1,))])
        assert [r[0] for r in await db.fetchall("SELECT n FROM t ORDER BY n")] == [1, 2]  # 3 went with the failure
        with pytest.raises(ValueError):
            async with db.transaction():
                await db.write([("INSERT INTO t VALUES (?)", (4,))])
                raise ValueError("the unit of work fails after the write")
        assert [r[0] for r in await db.fetchall("SELECT n FROM t ORDER BY n")] == [1, 2]
        await db.write([("INSERT INTO t VALUES (?)", (5,))])  # the writer is usable again
        assert (await db.fetchone("SELECT count(*) FROM t"))[0] == 3
    finally:
        await db.close()


async def test_writes_arriving_together_share_one_commit_and_stay_apart(tmp_path):
    """Fifty units of work at once: one commit for those that waited together, each still all or nothing (one that
    fails and one whose first statement changes nothing are undone whole; the others land)."""
    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        await db.execute("CREATE TABLE t (n INTEGER UNIQUE, unit INTEGER)")
        await db.execute("CREATE TABLE keys (k TEXT PRIMARY KEY)")
        await db.write([("INSERT INTO keys VALUES ('used')", ())])
        statements: list[str] = []
        await db.trace(statements.append)

        def unit(n: int) -> list[tuple[str, tuple]]:
            if n == 7:  # its second row collides with unit 6's first: it fails, and its first row goes with it
                return [("INSERT INTO t VALUES (?, ?)", (700, n)), ("INSERT INTO t VALUES (?, ?)", (600, n))]
            return [("INSERT INTO t VALUES (?, ?)", (n * 100, n)), ("INSERT INTO t VALUES (?, ?)", (n * 100 + 1, n))]

        outcomes = await asyncio.gather(
            *(db.write(unit(n)) for n in range(50) if n != 13),
            db.write([("INSERT INTO keys VALUES ('used') ON CONFLICT DO NOTHING", ()),
                      ("INSERT INTO t VALUES (?, ?)", (1300, 13))], unless_first_changes_nothing=True),
            return_exceptions=True)
        await db.trace(None)
        assert isinstance(outcomes[7], sqlite3.IntegrityError) and outcomes[-1] is False
        assert all(o is True for n, o in enumerate(outcomes[:-1]) if n != 7)
        units = [r[0] for r in await db.fetchall("SELECT DISTINCT unit FROM t ORDER BY unit")]
        assert units == [n for n in range(50) if n not in (7, 13)]
        assert (await db.fetchone("SELECT count(*) FROM t"))[0] == 2 * 48
        commits = sum(1 for s in statements if s.strip().upper() == "COMMIT")
        assert 1 <= commits <= 2, commits  # the first may go alone; the others waited for it and go together
        await db.write([("INSERT INTO t VALUES (?, ?)", (9999, 99))])  # the writer is usable again
    finally:
        await db.close()


async def test_a_write_waits_off_the_loop_for_another_process_holding_the_lock(tmp_path):
    """Units of work are committed on the loop's thread, but while another process (the team's sqlite3 shell)
    holds the write lock, the wait for it happens on the writer's thread: the bot goes on meanwhile, and the write
    lands once the lock is free."""
    path = tmp_path / "a.sqlite3"
    db = await Database.open(path)
    shell = sqlite3.connect(path, isolation_level=None)
    try:
        await db.execute("CREATE TABLE t (n INTEGER)")
        shell.execute("BEGIN IMMEDIATE")
        shell.execute("INSERT INTO t VALUES (1)")
        writing = asyncio.ensure_future(db.write([("INSERT INTO t VALUES (?)", (2,))]))
        ticks = 0
        for _ in range(20):  # the loop is free: these sleeps end on time while the write waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20 and not writing.done()
        shell.execute("COMMIT")
        assert await asyncio.wait_for(writing, 5) is True
        assert [r[0] for r in await db.fetchall("SELECT n FROM t ORDER BY n")] == [1, 2]
    finally:
        shell.close()
        await db.close()


async def test_the_wal_is_copied_into_the_database_off_the_loop_every_hundred_commits(tmp_path):
    """SQLite's own checkpoint would run inside a commit, on the loop; it is off on the writer, and the bot copies
    the WAL into the database itself, every ``CHECKPOINT_EVERY`` commits, from a thread."""
    import shutil

    from storage.db import CHECKPOINT_EVERY

    path = tmp_path / "a.sqlite3"
    db = await Database.open(path)

    def in_the_file_alone() -> int:
        """Rows found in the database file without its WAL: only what a checkpoint copied there."""
        shutil.copyfile(path, tmp_path / "alone.sqlite3")
        alone = sqlite3.connect(tmp_path / "alone.sqlite3")
        try:
            return alone.execute("SELECT count(*) FROM t").fetchone()[0]
        except sqlite3.OperationalError:  # not even the table yet
            return 0
        finally:
            alone.close()

    try:
        await db.execute("CREATE TABLE t (n INTEGER, data BLOB)")
        for n in range(CHECKPOINT_EVERY - 5):  # 13 pages each: SQLite's own checkpoint would have run at 1,000
            await db.write([("INSERT INTO t VALUES (?, randomblob(50000))", (n,))])
        assert in_the_file_alone() == 0  # no commit has checkpointed on its own
        for n in range(10):
            await db.write([("INSERT INTO t VALUES (?, randomblob(50000))", (n,))])
        if db._checkpointing is not None:
            await db._checkpointing
        assert in_the_file_alone() >= CHECKPOINT_EVERY - 5
    finally:
        await db.close()
