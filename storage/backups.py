"""Online backups of the SQLite database (the sqlite3 backup API: safe while the bot runs), their rotation
(7 daily, 4 weekly), and restoring one."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Connection

PREFIX = "installation-"


def backup_path(directory: Path, now: datetime, label: str = "") -> Path:
    return directory / f"{PREFIX}{now:%Y-%m-%d-%H%M%S}{label}.sqlite3"


async def backup(conn: Connection, directory: Path, now: datetime, label: str = "") -> Path:
    """Copy the live database to a new file in ``directory`` without stopping the bot."""
    directory.mkdir(parents=True, exist_ok=True)
    target_path = backup_path(directory, now, label)
    partial = target_path.with_suffix(".partiel")
    target = sqlite3.connect(partial, check_same_thread=False)
    try:
        await conn.backup(target)
    finally:
        target.close()
    partial.replace(target_path)  # only a complete copy ever bears the final name
    return target_path


def _day_of(path: Path) -> date | None:
    try:
        return date.fromisoformat(path.name[len(PREFIX):len(PREFIX) + 10])
    except ValueError:
        return None


def rotate(directory: Path, *, keep_daily: int = 7, keep_weekly: int = 4) -> list[Path]:
    """Keep the newest backup of each of the last ``keep_daily`` days, and of each of the ``keep_weekly`` weeks
    before them; delete the others. Returns what was deleted."""
    backups = sorted((p for p in directory.glob(f"{PREFIX}*.sqlite3") if _day_of(p)), key=lambda p: p.name, reverse=True)
    kept_days: list[date] = []
    kept_weeks: list[tuple[int, int]] = []
    deleted = []
    for path in backups:
        day = _day_of(path)
        week = day.isocalendar()[:2]
        if day in kept_days or week in kept_weeks:
            path.unlink()
            deleted.append(path)
        elif len(kept_days) < keep_daily:
            kept_days.append(day)
        elif len(kept_weeks) < keep_weekly and week not in [d.isocalendar()[:2] for d in kept_days]:
            kept_weeks.append(week)
        else:
            path.unlink()
            deleted.append(path)
    return deleted


def check_file(path: Path) -> str | None:
    """None if ``path`` is a sound database of this bot, else what is wrong (in French)."""
    if not path.is_file():
        return f"le fichier {path} n'existe pas"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"ce n'est pas une base SQLite lisible ({exc})"
    if result != "ok":
        return f"la base est abîmée ({result})"
    if "candidates" not in tables:
        return "ce n'est pas une base de ce bot (pas de table des candidats)"
    return None


def restore(source: Path, database: Path, now: datetime) -> Path | None:
    """Put ``source`` in place of ``database`` (the bot must be stopped); the current one is kept aside.
    Returns where the previous database was kept."""
    kept = None
    if database.exists():
        kept = database.with_name(f"{database.name}.avant-restauration-{now:%Y%m%d-%H%M%S}")
        shutil.copy2(database, kept)
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, database)
    return kept
