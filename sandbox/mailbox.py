"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives: the sandbox's mailbox, so that the
console shows every e-mail the bot sends, through the same SMTP path as in production."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from email.message import EmailMessage

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://[^\s/]+/r/[A-Za-z0-9_-]+")


class Mailbox:
    """What the SMTP server received; addresses in ``refuse`` get a 550, and the next ``busy`` e-mails a 451."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.refuse: set[str] = set()
        self.busy = 0
        self.port = 0
        self._controller: Controller | None = None
        self._shown = 0

    def start(self) -> Mailbox:
        with socket.socket() as probe:  # aiosmtpd's controller needs its port before it starts
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

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

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]

    def new(self) -> list[EmailMessage]:
        """The e-mails received since the last call."""
        fresh, self._shown = self.received[self._shown:], len(self.received)
        return fresh


def text_of(mail: EmailMessage) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


def link_in(mail: EmailMessage) -> str | None:
    found = LINK.search(text_of(mail))
    return found.group(0) if found else None
