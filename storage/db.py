"""Opening the database and applying its migrations."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from importlib import resources
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import aiosqlite

log = logging.getLogger(__name__)
T = TypeVar("T")


class MigrationError(RuntimeError):
    """A migration failed; the database was left as it was before it."""


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, SQL) for every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return migrations()[-1][0]


PARIS = ZoneInfo("Europe/Paris")


def paris_day(value: str | None) -> str | None:
    """SQL ``paris_day(value)``: the Paris day ("YYYY-MM-DD") of a stored date or instant. The queries that count
    by period compare text and only call this for values in another shape than storage writes."""
    if not value:
        return None
    if len(value) == 10:
        return value
    try:
        return datetime.fromisoformat(value).astimezone(PARIS).date().isoformat()
    except ValueError:  # not a date: in no period
        return None


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


async def connect(path: str | Path) -> aiosqlite.Connection:
    """Open the database with the settings every connection needs."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(str(path), isolation_level=None)  # explicit transactions only
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    # the team's only record: every commit reaches the disk before the user is told it is saved
    await conn.execute("PRAGMA synchronous = FULL")
    await conn.execute("PRAGMA busy_timeout = 5000")
    await conn.create_function("paris_day", 1, paris_day, deterministic=True)
    return conn


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        return (await cur.fetchone())[0]


async def migrate(conn: aiosqlite.Connection, *, target: int | None = None) -> list[int]:
    """Apply the pending migrations, each in its own transaction; returns the versions applied."""
    current = await schema_version(conn)
    applied = []
    for version, name, sql in migrations():
        if version <= current or (target is not None and version > target):
            continue
        try:
            await conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
        except Exception as exc:
            await conn.execute("ROLLBACK") if conn.in_transaction else None
            raise MigrationError(f"migration {name} failed: {exc}") from exc
        log.info("migration applied", extra={"migration": name})
        applied.append(version)
    return applied


class Database:
    """The connection the bot writes and reads with (and a read-only one for reports, ``reader``); aiosqlite runs
    their queries off the event loop."""

    def __init__(self, conn: aiosqlite.Connection, path: str):
        self.conn = conn
        self.path = path
        # One connection is shared by updates and scheduled jobs: writes take turns so that a statement
        # never lands inside another coroutine's open transaction (and is rolled back with it).
        self.write_lock = asyncio.Lock()
        # Results read often and changed rarely (the practice sites, read at every croisement and poll), kept until
        # a storage function that changes them forgets them: nothing else writes to the database.
        self._cache: dict[str, object] = {}
        self._versions: dict[str, int] = {}
        self._reader: Database | None = None
        self._reader_opening = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path, *, backup_dir: Path | None = None) -> "Database":
        """Open and migrate; an existing database is backed up first when a migration is pending."""
        conn = await connect(path)
        current = await schema_version(conn)
        if 0 < current < latest_version():
            from storage.backups import backup

            directory = backup_dir or Path(path).parent / "sauvegardes"
            saved = await backup(conn, directory, datetime.now(), f"-avant-migration-v{current}")
            log.info("backup before migration", extra={"path": str(saved)})
        try:
            await migrate(conn)
        except MigrationError:
            await conn.close()
            raise
        return cls(conn, str(path))

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()
        await self.conn.close()

    async def reader(self) -> "Database":
        """A second connection, read-only, for the long reads of reports (a summary's indicators take a few tenths
        of a second at 10,000 candidates): on their own thread, they neither wait behind the interviews' quick
        queries nor hold them up, and run while a table is being written. Opened on first use."""
        if self.path == ":memory:":  # a second connection would open another, empty, database
            return self
        async with self._reader_opening:
            if self._reader is None:
                conn = await connect(self.path)
                await conn.execute("PRAGMA query_only = ON")
                self._reader = Database(conn, self.path)
        return self._reader

    async def remembered(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        """``load()``'s result, kept until ``forget(key)``. A result read while a write was forgetting it is not
        kept: it may predate the write."""
        if key in self._cache:
            return self._cache[key]
        version = self._versions.get(key, 0)
        value = await load()
        if self._versions.get(key, 0) == version:
            self._cache[key] = value
        return value

    def forget(self, key: str) -> None:
        """Called after a write that changes what ``key`` holds."""
        self._versions[key] = self._versions.get(key, 0) + 1
        self._cache.pop(key, None)

    def transaction(self) -> "_Transaction":
        return _Transaction(self)

    # Each call is one trip to aiosqlite's thread (execute, fetch and close together): at about 70 µs a trip on a
    # small server, a cursor's three trips per query were most of the time an update took.
    async def fetchone(self, sql: str, params: tuple | dict = ()) -> aiosqlite.Row | None:
        rows = await self.conn.execute_fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[aiosqlite.Row]:
        return list(await self.conn.execute_fetchall(sql, params))

    async def execute(self, sql: str, params: tuple | dict = ()) -> int:
        """Run one statement in its own transaction; returns the last inserted rowid."""
        async with self.write_lock:
            row = await self.conn.execute_insert(sql, params)
            return row[0] if row else 0


class _Transaction:
    """`async with db.transaction():` groups statements so that they land together or not at all."""

    def __init__(self, db: Database):
        self.db = db

    async def __aenter__(self) -> aiosqlite.Connection:
        await self.db.write_lock.acquire()
        try:
            await self.db.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.db.write_lock.release()
            raise
        return self.db.conn

    async def __aexit__(self, exc_type, exc, tb) -> None:
        try:
            await self.db.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self.db.write_lock.release()
