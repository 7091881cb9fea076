"""A real SMTP server on loopback (aiosmtpd, sandbox.mailbox) and the bot with its web server, for the personal
links' tests."""

from __future__ import annotations

import pytest

from sandbox.mailbox import Mailbox, link_in, text_of  # noqa: F401 - the tests' helpers
from sandbox.sandbox import Sandbox
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
    sandbox = Sandbox(tmp_path / "bot.sqlite3", start=MONDAY, web=True, mailbox=mailbox)
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
