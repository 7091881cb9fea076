"""Opening the database and applying its migrations."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import unicodedata
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import partial
from importlib import resources
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
BUSY_TIMEOUT_MS = 5000  # how long a write waits for another process holding the lock (the team's sqlite3 shell)
CHECKPOINT_EVERY = 100  # commits on the writer between two copies of the WAL into the database


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


def fold(value: str | None) -> str:
    """SQL ``fold(value)``: lower case, without accents, for searches that care for neither (« Bénali », « benali »)."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Connection:
    """One SQLite connection and the thread it runs on, owned here with the standard library's sqlite3.

    The writer must run most of its work on its own thread (off the event loop), and a few small units of work on
    the loop's thread (see ``Database.write``): so the bot holds the sqlite3 connection itself rather than through a
    library that keeps it private. Every call made through ``run`` goes, in order, to the one thread of this
    connection; ``raw`` is the connection itself, for the callers that already hold the write lock on the loop."""

    def __init__(self, raw: sqlite3.Connection, name: str):
        self.raw = raw
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{name}")

    async def run(self, fn: Callable[..., T], *args) -> T:
        """``fn(*args)`` on this connection's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, partial(fn, *args))

    async def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        """Run one statement; the cursor tells ``rowcount`` and ``lastrowid`` (rows are read with
        ``execute_fetchall``)."""
        return await self.run(self.raw.execute, sql, params)

    async def execute_fetchall(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return await self.run(lambda: self.raw.execute(sql, params).fetchall())

    async def execute_insert(self, sql: str, params: tuple | dict = ()) -> int:
        """Run one statement; the last inserted rowid."""
        return await self.run(lambda: self.raw.execute(sql, params).lastrowid or 0)

    async def executemany(self, sql: str, rows: list[tuple]) -> None:
        await self.run(self.raw.executemany, sql, rows)

    async def executescript(self, script: str) -> None:
        await self.run(self.raw.executescript, script)

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    async def set_trace_callback(self, callback: Callable[[str], None] | None) -> None:
        await self.run(self.raw.set_trace_callback, callback)

    async def backup(self, target: sqlite3.Connection) -> None:
        await self.run(self.raw.backup, target)

    async def close(self) -> None:
        try:
            await self.run(self.raw.close)
        finally:
            self._thread.shutdown(wait=False)


async def connect(path: str | Path, *, name: str = "writer") -> Connection:
    """Open the database with the settings every connection needs (on the connection's own thread, where all its
    work runs)."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)

    def open_raw() -> sqlite3.Connection:
        # explicit transactions only; the loop's thread also uses the writer (see ``Database.write``)
        raw = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        raw.row_factory = sqlite3.Row
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("PRAGMA foreign_keys = ON")
        # the team's only record: every commit reaches the disk before the user is told it is saved
        raw.execute("PRAGMA synchronous = FULL")
        raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        raw.create_function("paris_day", 1, paris_day, deterministic=True)
        raw.create_function("fold", 1, fold, deterministic=True)
        return raw

    thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{name}")
    try:
        raw = await asyncio.get_running_loop().run_in_executor(thread, open_raw)
    finally:
        thread.shutdown(wait=False)
    return Connection(raw, name)


async def connect_reader(path: str | Path) -> aiosqlite.Connection:
    """A read-only connection beside the writer (aiosqlite runs its queries on a thread of its own)."""
    reader = await aiosqlite.connect(str(path), isolation_level=None, check_same_thread=False)
    reader.row_factory = sqlite3.Row
    for pragma in ("query_only = ON", "foreign_keys = ON", f"busy_timeout = {BUSY_TIMEOUT_MS}"):
        await reader.execute(f"PRAGMA {pragma}")
    await reader.create_function("paris_day", 1, paris_day, deterministic=True)
    await reader.create_function("fold", 1, fold, deterministic=True)
    return reader


async def schema_version(conn: Connection) -> int:
    return (await conn.execute_fetchall("PRAGMA user_version"))[0][0]


async def migrate(conn: Connection, *, target: int | None = None) -> list[int]:
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


# The connection whose transaction the running task holds, if any: its reads go through that transaction (they see
# its own writes), and nothing else may use the writer in the meantime.
_IN_TRANSACTION: ContextVar[bool] = ContextVar("in_transaction", default=False)

# Read-only connections beside the writer. Two, as there are two cores: a report's long read and the updates' quick
# reads run side by side, and none of them waits for a commit's fsync (bench/pace.py measures this against reading
# on the writer under its lock).
READERS = 2


class Database:
    """The database as the bot shares it between chats handled in parallel and scheduled jobs.

    Every unit of work is isolated from the others:
    - writes go through one writer connection, one transaction at a time (``write_lock``): a statement never lands
      inside another task's open transaction, nor is rolled back with it;
    - reads outside a transaction go to read-only connections (WAL readers), so they see only what was committed,
      never another task's transaction half done; with ``readers=0`` (and always for ``:memory:``, where a second
      connection would open another, empty, database) they take turns with the writes on the writer instead;
    - reads inside a transaction use the writer, in that transaction.
    Each connection runs its queries on a thread of its own, off the event loop; the small units of work of
    ``write`` and the indexed reads of ``read_quick`` run on the loop's thread instead, where they cost less than
    the trip to a thread would."""

    def __init__(self, conn: Connection, path: str, readers: list[aiosqlite.Connection] | None = None):
        self.conn = conn
        self.path = path
        self.write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers = list(readers or [])
        for reader in self._all_readers:
            self._readers.put_nowait(reader)
        # Results read often and changed rarely (the practice sites, read at every croisement and poll), kept until
        # a storage function that changes them forgets them: nothing else writes to the database.
        self._cache: dict[str, object] = {}
        self._versions: dict[str, int] = {}
        # writes waiting for the next commit (see ``write``), and the task committing them
        self._waiting_writes: list[tuple[list[tuple[str, tuple | dict]], bool, asyncio.Future]] = []
        self._committer: asyncio.Task | None = None
        self._commits = 0  # since the last checkpoint
        self._checkpointing: asyncio.Future | None = None
        # a read-only connection used on the event loop's own thread, for the few reads that must be quick (see
        # ``read_quick``); none beside an in-memory database or without readers
        self._quick: sqlite3.Connection | None = None
        if self._all_readers:
            self._quick = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._quick.row_factory = sqlite3.Row
            for pragma in ("query_only = ON", "foreign_keys = ON", "busy_timeout = 1000"):
                self._quick.execute(f"PRAGMA {pragma}")
            self._quick.create_function("paris_day", 1, paris_day, deterministic=True)
            self._quick.create_function("fold", 1, fold, deterministic=True)

    @classmethod
    async def open(cls, path: str | Path, *, backup_dir: Path | None = None, readers: int = READERS) -> Database:
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
        await conn.execute("PRAGMA wal_autocheckpoint = 0")  # see ``_checkpoint``
        opened = []
        if str(path) != ":memory:":
            for _ in range(readers):
                opened.append(await connect_reader(path))
        return cls(conn, str(path), opened)

    async def close(self) -> None:
        if self._checkpointing is not None:
            await self._checkpointing
        if self._quick is not None:
            self._quick.close()
        for reader in self._all_readers:
            await reader.close()
        await self.conn.close()

    async def trace(self, callback: Callable[[str], None] | None) -> None:
        """``callback(sql)`` for every statement any connection runs, its parameters written in (for the tests
        that read the query plans); None stops it. It is called on the connections' threads."""
        for conn in [self.conn, *self._all_readers]:
            await conn.set_trace_callback(callback)
        if self._quick is not None:
            self._quick.set_trace_callback(callback)

    async def reader(self) -> Database:
        """Where the long reads of reports go: every read outside a transaction already runs on a read-only
        connection, so this is the database itself (kept for the callers that name their intent)."""
        return self

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

    def transaction(self) -> _Transaction:
        return _Transaction(self)

    async def _read(self, sql: str, params: tuple | dict) -> list[sqlite3.Row]:
        # Each call is one trip to a connection's thread (execute, fetch and close together): at about 70 µs a trip
        # on a small server, a cursor's three trips per query were most of the time an update took.
        if _IN_TRANSACTION.get():
            return list(await self.conn.execute_fetchall(sql, params))
        if not self._all_readers:
            async with self.write_lock:
                return list(await self.conn.execute_fetchall(sql, params))
        reader = await self._readers.get()
        try:
            return list(await reader.execute_fetchall(sql, params))
        finally:
            self._readers.put_nowait(reader)

    async def read_quick(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(connection)`` run at once on the event loop's thread, for reads that only follow indexes (a
        personal link's page: its link, poll, site, slots and answers; tests/web/test_query_plans.py checks their
        plans) and take a fraction of a millisecond. Under fifty sites answering at once, a trip to a reader's
        thread cost each page ten times what its reads do: the trip waits for the loop, the loop for the thread.
        Nothing long may come here: while it runs, nothing else does. Inside a transaction (where it sees that
        transaction's writes), or without a second connection (``:memory:``), it runs on the writer's thread."""
        if self._quick is not None and not _IN_TRANSACTION.get():
            return fn(self._quick)
        if _IN_TRANSACTION.get():
            return await self.conn.run(fn, self.conn.raw)
        async with self.write_lock:
            return await self.conn.run(fn, self.conn.raw)

    async def fetchone(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        rows = await self._read(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return await self._read(sql, params)

    async def execute(self, sql: str, params: tuple | dict = ()) -> int:
        """Run one statement in its own transaction; returns the last inserted rowid."""
        if _IN_TRANSACTION.get():
            return await self.conn.execute_insert(sql, params)
        async with self.write_lock:
            rowid = await self.conn.execute_insert(sql, params)
            self._committed()
            return rowid

    async def write(self, statements: list[tuple[str, tuple | dict]], *, unless_first_changes_nothing: bool = False) -> bool:
        """Run ``statements`` as one unit of work, all or nothing, for the writes made on every button press or web
        answer; returns once it is on disk. With ``unless_first_changes_nothing``, nothing is written when the first
        statement changes no row (a one-time key already used, say), and False is returned. Inside a transaction
        they simply join it.

        Writes that arrive together (in the same turn of the event loop, or while the writer is busy) are
        committed together, each in a savepoint of its own (what one of them changes lands whole or not at all, as
        if they ran one after the other), in one commit on the loop's own thread (see ``_commit_group``): the
        disk's flush is paid once per group, not once per answer."""
        if _IN_TRANSACTION.get():
            for n, (sql, params) in enumerate(statements):
                cur = await self.conn.execute(sql, params)
                if n == 0 and unless_first_changes_nothing and cur.rowcount == 0:
                    return False
            return True
        done = asyncio.get_running_loop().create_future()
        self._waiting_writes.append((statements, unless_first_changes_nothing, done))
        if self._committer is None:
            self._committer = asyncio.ensure_future(self._commit_waiting())
        return await asyncio.shield(done)  # a caller that gives up does not undo a write already under way

    async def _commit_waiting(self) -> None:
        try:
            while self._waiting_writes:
                group, self._waiting_writes = self._waiting_writes, []
                try:
                    async with self.write_lock:
                        outcomes = await self._commit_group([(statements, unless) for statements, unless, _ in group])
                except Exception as exc:  # noqa: BLE001 - the commit itself failed: none of them was written
                    outcomes = [exc] * len(group)
                except BaseException:  # stopped (the bot's shutdown): nobody may wait for an answer that won't come
                    for _, _, done in group + self._waiting_writes:
                        if not done.done():
                            done.set_exception(RuntimeError("the database writer stopped while this write waited or ran"))
                    raise
                for (_, _, done), outcome in zip(group, outcomes, strict=True):
                    if done.done():
                        continue
                    if isinstance(outcome, Exception):
                        done.set_exception(outcome)
                    else:
                        done.set_result(outcome)
        finally:
            self._committer = None

    async def _commit_group(self, group: list[tuple[list[tuple[str, tuple | dict]], bool]]) -> list:
        """One transaction for ``group``, run on the event loop's thread: under fifty sites answering at once, each
        trip to the writer's thread waited for the loop, which was busy with the pages, and the loop for the thread,
        which needed Python's lock between two statements (14 ms a group where the statements take 0.6 ms). What
        runs here is SQLite's work in memory and the flush of the WAL at the commit (a third of a millisecond on
        the server's disk); what may wait longer stays on the thread: taking the write lock from another process
        (the team's sqlite3 shell, say) and copying the WAL into the database (``_checkpoint``)."""
        conn = self.conn.raw
        if _begin_at_once(conn):
            outcomes = _transaction(conn, group, begun=True)
        else:
            # the whole transaction on the connection's thread, where BEGIN waits as long as busy_timeout allows; a
            # shutdown meanwhile cannot leave it half open
            outcomes = await self.conn.run(partial(_transaction, conn, group, begun=False))
        self._committed()
        return outcomes

    def _committed(self) -> None:
        """Counts a commit on the writer; every ``CHECKPOINT_EVERY`` of them, the WAL is copied into the database
        off the loop (see ``_checkpoint``)."""
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY and self._checkpointing is None and self.path != ":memory:":
            self._commits = 0
            self._checkpointing = asyncio.ensure_future(self._checkpoint())

    async def _checkpoint(self) -> None:
        """SQLite's automatic checkpoint is off on the writer: run by a commit on the loop, it would stop everything
        for the 20 to 40 ms it takes to copy a thousand pages. Instead, a connection of its own copies the WAL into
        the database on a thread of its own; a passive checkpoint waits for no one and nobody waits for it."""
        try:
            await asyncio.to_thread(_checkpoint_file, self.path)
        except sqlite3.Error:
            log.warning("checkpoint failed", exc_info=True)  # the WAL keeps everything: the next one will do it
        finally:
            self._checkpointing = None

    async def backup(self, directory: Path, now: datetime, label: str = "") -> Path:
        """An online copy of what is committed: taken between two transactions, never inside one."""
        from storage.backups import backup

        async with self.write_lock:
            return await backup(self.conn, directory, now, label)


def _begin_at_once(conn: sqlite3.Connection) -> bool:
    """BEGIN IMMEDIATE if the write lock is free now; False (and nothing begun) if another process holds it."""
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return True


def _checkpoint_file(path: str) -> None:
    """(On a thread) copy what the WAL holds into the database, as far as readers allow."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        conn.close()


def _transaction(conn: sqlite3.Connection, group: list[tuple[list[tuple[str, tuple | dict]], bool]], *,
                 begun: bool) -> list:
    """``group``'s units of work (see ``_run_units``) and the commit, after BEGIN unless ``begun``; all undone if
    the commit fails."""
    if not begun:
        conn.execute("BEGIN IMMEDIATE")
    try:
        outcomes = _run_units(conn, group)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes


def _run_units(conn: sqlite3.Connection, group: list[tuple[list[tuple[str, tuple | dict]], bool]]) -> list:
    """Each unit of work of ``group`` in its savepoint, inside the open transaction: per unit, True, False (its
    first statement changed nothing: it was undone) or the exception that undid it."""
    outcomes: list = []
    for statements, unless_first_changes_nothing in group:
        conn.execute("SAVEPOINT unit")
        try:
            kept = True
            for n, (sql, params) in enumerate(statements):
                cur = conn.execute(sql, params)
                if n == 0 and unless_first_changes_nothing and cur.rowcount == 0:
                    kept = False
                    break
        except Exception as exc:  # noqa: BLE001 - this unit is undone, the others go on
            conn.execute("ROLLBACK TO unit")
            outcomes.append(exc)
        else:
            if not kept:
                conn.execute("ROLLBACK TO unit")
            outcomes.append(kept)
        conn.execute("RELEASE unit")
    return outcomes


class _Transaction:
    """`async with db.transaction() as conn:` groups statements so that they land together or not at all, isolated
    from every other task's reads and writes."""

    def __init__(self, db: Database):
        self.db = db
        self._token = None

    async def __aenter__(self) -> Connection:
        if _IN_TRANSACTION.get():
            raise RuntimeError("transactions do not nest: one unit of work is one transaction")
        await self.db.write_lock.acquire()
        try:
            await self.db.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.db.write_lock.release()
            raise
        self._token = _IN_TRANSACTION.set(True)
        return self.db.conn

    async def __aexit__(self, exc_type, exc, tb) -> None:
        _IN_TRANSACTION.reset(self._token)
        try:
            await self.db.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
            if exc_type is None:
                self.db._committed()
        finally:
            self.db.write_lock.release()
