"""A real SMTP server on loopback (aiosmtpd, sandbox.mailbox) and the bot with its web server, for the personal
links' tests."""

from __future__ import annotations

import pytest

from sandbox.mailbox import Mailbox, link_in, text_of  # noqa: F401 - the tests' helpers
from sandbox.sandbox import Sandbox, sandbox_settings
from tests.conftest import MONDAY


@pytest.fixture
def mailbox():
    box = Mailbox().start()
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture
async def web(tmp_path, mailbox):
    """The bot with its pages on a loopback port and its e-mails going to the loopback SMTP server."""
    settings = sandbox_settings(tmp_path / "bot.sqlite3").model_copy(update={"team_phone": "03 84 47 00 00"})
    sandbox = Sandbox(tmp_path / "bot.sqlite3", start=MONDAY, web=True, mailbox=mailbox, settings=settings)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


@pytest.fixture
async def web_no_mail(tmp_path):
    sandbox = Sandbox(tmp_path / "bot.sqlite3", start=MONDAY, web=True)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()
