"""Fixtures: a sandbox bot (real Application, fake Bot API) on a fresh SQLite file, its clock fixed."""

from datetime import datetime

import pytest

from domain.dates import PARIS
from sandbox.sandbox import Sandbox

# Monday 23 November 2026, 9:00 in Paris
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)


@pytest.fixture
async def sb(tmp_path):
    sandbox = Sandbox(tmp_path / "bot.sqlite3", start=MONDAY)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()
