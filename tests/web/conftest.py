"""A real SMTP server on loopback (aiosmtpd) and the bot with its web server, for the personal links' tests."""

from __future__ import annotations

import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller

from sandbox.sandbox import Sandbox, sandbox_settings
from tests.conftest import MONDAY


class Mailbox:
    """What the SMTP server received; addresses in ``refuse`` get a 550, ``busy`` e-mails a 451 first."""

    def __init__(self) -> None:
        self.received: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self.busy = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        if address in self.refuse:
            return "550 5.1.1 Adresse inconnue"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.busy:
            self.busy -= 1
            return "451 4.3.0 Réessayez plus tard"
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.received if m["To"] == address]


def text_of(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


def link_in(mail) -> str:
    return re.search(r"http://127\.0\.0\.1:\d+/r/[A-Za-z0-9_-]+", text_of(mail)).group(0)


@pytest.fixture
def mailbox():
    box = Mailbox()
    with socket.socket() as probe:  # aiosmtpd's controller needs its port before it starts
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
async def web(tmp_path, mailbox):
    """The bot with its pages on a loopback port and its e-mails going to the loopback SMTP server."""
    settings = sandbox_settings(tmp_path / "bot.sqlite3").model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": mailbox.port, "smtp_security": "aucune",
        "smtp_from": "CPTS du Grand Lons <installation@cpts-grandlons.fr>"})
    sandbox = Sandbox(tmp_path / "bot.sqlite3", start=MONDAY, settings=settings, web=True)
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
