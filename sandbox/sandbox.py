"""The real Application on the fake Bot API, with a ready-made team and a clock moved by hand.

The console, the end-to-end tests and the benchmarks all drive the bot through this one class.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from telegram import Update
from telegram.ext import Application

from bot.app import build_application, shutdown, startup
from bot.config import Settings
from bot.pace import LoopTime, SkippedTime
from delivery.clock import FakeClock
from delivery.engine import dispatch_due, next_wake
from domain.dates import PARIS, normalise
from sandbox.fakeapi import FakeBotAPI, Sent
from storage import updates
from storage.db import READERS

TEAM_CHAT_ID = -1001000000001


@dataclass(frozen=True)
class Person:
    key: str
    user_id: int
    first_name: str
    role: str | None  # cls, cpts, admin; None for someone outside the team


TEAM = {
    "cls": Person("cls", 1001, "Claire", "cls"),
    "cpts1": Person("cpts1", 1002, "Paul", "cpts"),
    "cpts2": Person("cpts2", 1003, "Anne", "cpts"),
    "admin": Person("admin", 1004, "Alex", "admin"),
}
FULL_NAMES = {"cls": "Claire Martin", "cpts1": "Paul Roche", "cpts2": "Anne Vidal", "admin": "Alex Bernard"}


def sandbox_settings(db_path: str | Path) -> Settings:
    members = ";".join(f"{p.user_id}:{p.role}:{FULL_NAMES[p.key]}" for p in TEAM.values())
    return Settings(
        _env_file=None, bot_token="0000000000:SANDBOX-no-network", team_chat_id=TEAM_CHAT_ID,
        team_members=members, admin_ids=str(TEAM["cls"].user_id), database_path=Path(db_path),
    )


class Sandbox:
    """A bot on a SQLite file, a fake Telegram around it, and people to talk to it."""

    def __init__(self, db_path: str | Path, *, start: datetime | None = None, rate_limiter: bool = True,
                 privacy_mode: bool = True, settings: Settings | None = None, nightly_backups: bool = False,
                 serial: bool = False, readers: int = READERS, pace_clock: LoopTime | None = None,
                 web: bool = False, mailbox=None, freeze_loaded: bool = False):
        self.db_path = Path(db_path)
        self.clock = FakeClock(start or datetime.now(PARIS).replace(second=0, microsecond=0))
        # Telegram's limits are enforced by the fake and kept by the bot's limiter, both counting on pace_clock: by
        # default time skipped, so that a group's minute of waiting costs the tests nothing (bench/ uses real time)
        self.pace_clock = pace_clock or SkippedTime()
        self.api = FakeBotAPI(privacy_mode=privacy_mode, now=lambda: self.clock.now().timestamp(), limits=True,
                              pace_clock=self.pace_clock)
        self.settings = settings or sandbox_settings(self.db_path)
        # e-mails go to ``mailbox`` (sandbox.mailbox: a real SMTP server on loopback), when given
        self.mailbox = mailbox
        if mailbox is not None:
            self.settings = self.settings.model_copy(update={
                "smtp_host": "127.0.0.1", "smtp_port": mailbox.port, "smtp_security": "aucune",
                "smtp_from": "CPTS du Grand Lons <installation@cpts-grandlons.fr>"})
        # the personal links' pages, served on a loopback port of its own (the links the e-mails carry open them)
        self.web_socket = None
        self.web = None
        if web:
            from web.server import local_socket

            self.web_socket = local_socket()
            self.web_socket_port = port = self.web_socket.getsockname()[1]
            self.settings = self.settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
        self.rate_limiter = rate_limiter
        self.nightly_backups = nightly_backups
        self.serial, self.readers = serial, readers
        self.freeze_loaded = freeze_loaded  # for the benchmarks, as python -m bot does (bot.app.freeze_what_is_loaded)
        self.people: dict[str, Person] = dict(TEAM)
        for person in self.people.values():
            self.api.add_user(person.user_id, person.first_name)
        self.api.add_group(self.settings.team_chat_id, "Installation — équipe CLS/CPTS")
        self.app: Application | None = None
        self._seen = 0

    # --- life cycle --------------------------------------------------------------------------------------

    async def start(self) -> Sandbox:
        # the sandbox drives reminders with its own clock (advance), not with the JobQueue's real time
        self.app = build_application(self.settings, request=self.api.request(), clock=self.clock,
                                     rate_limiter=self.rate_limiter, pace_clock=self.pace_clock, autoschedule=False,
                                     nightly_backups=self.nightly_backups, serial=self.serial, readers=self.readers,
                                     freeze_loaded=self.freeze_loaded)
        await self.app.initialize()
        await startup(self.app)
        # a console opened again on its database (the default one is kept): new updates must not look handled
        self.api.updates_continue_after(await updates.last_id(self.db))
        await self.app.start()
        if self.web_socket is not None:
            from web.server import WebServer, local_socket

            if self.web_socket.fileno() == -1:  # closed by the server stopped at a restart: the same port again
                self.web_socket = local_socket(self.web_socket_port)
            self.web = WebServer(self.app, self.settings, sock=self.web_socket)
            try:
                await self.web.start()
            except BaseException:
                self.web = None
                await self.stop()
                raise
        return self

    async def stop(self) -> None:
        if self.web is not None:
            await self.web.stop()
            self.web = None
        if self.app is not None:
            await self.app.stop()
            await self.app.shutdown()
            await shutdown(self.app)
            self.app = None

    async def restart(self) -> None:
        """Stop the bot and start a new one on the same database; Telegram's side keeps its state."""
        await self.stop()
        await self.start()

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    @property
    def web_url(self) -> str:
        """Where the personal links' pages are served (``Sandbox(web=True)``)."""
        return self.settings.public_url

    @property
    def db(self):
        """The bot's open database (for tests to check what was stored)."""
        return self.app.bot_data["services"].db

    # --- people and chats ----------------------------------------------------------------------------------

    def person(self, name: str) -> Person:
        """A team member by key, or anyone else by name (a new Telegram user, outside the team)."""
        if name not in self.people:
            user_id = 5_000_000 + zlib.crc32(name.encode()) % 1_000_000
            self.people[name] = Person(name, user_id, name.capitalize(), None)
            self.api.add_user(user_id, name.capitalize())
        return self.people[name]

    def chat_id(self, who: str, chat: str | int) -> int:
        if isinstance(chat, int):
            return chat
        return self.settings.team_chat_id if chat == "equipe" else self.person(who).user_id

    # --- acting ------------------------------------------------------------------------------------------

    async def _process(self) -> list[Sent]:
        for data in self.api.take_updates():  # one after the other, through the bot's own update processor
            update = Update.de_json(data, self.app.bot)
            await self.app.update_processor.process_update(update, self.app.process_update(update))
        return self.new_output()

    def new_output(self) -> list[Sent]:
        fresh = self.api.log[self._seen:]
        self._seen = len(self.api.log)
        return fresh

    async def say(self, who: str, text: str, chat: str | int = "equipe", *, reply_to: int | None | str = "auto") -> list[Sent]:
        """``who`` types ``text`` in a chat. In a group, a plain answer is sent as a reply to the bot's latest
        message, as a user answering its question does (group privacy mode delivers nothing else)."""
        person = self.person(who)
        chat_id = self.chat_id(who, chat)
        if reply_to == "auto":
            bots = self.api.visible(chat_id)
            reply_to = bots[-1]["message_id"] if chat_id < 0 and not text.startswith("/") and bots else None
        self.api.user_message(person.user_id, chat_id, text, reply_to=reply_to)
        return await self._process()

    async def send_file(self, who: str, file_name: str, data: bytes, chat: str | int = "equipe", *,
                        caption: str | None = None, reply_to: int | None | str = "auto") -> list[Sent]:
        """``who`` sends a file, with a caption or as a reply to the bot's latest message."""
        chat_id = self.chat_id(who, chat)
        if reply_to == "auto":
            bots = self.api.visible(chat_id)
            reply_to = bots[-1]["message_id"] if bots and not caption else None
        self.api.user_document(self.person(who).user_id, chat_id, file_name, data, caption=caption, reply_to=reply_to)
        return await self._process()

    async def press(self, who: str, label: str, chat: str | int = "equipe", *, scroll_up: bool = False) -> list[Sent]:
        """``who`` presses the button whose label contains ``label`` on the latest message that has buttons (with
        ``scroll_up``, on the latest message that has such a button, as a user scrolls up to it)."""
        chat_id = self.chat_id(who, chat)
        message = self.api.last_with_buttons(chat_id)
        if message is None:
            raise LookupError(f"no message with buttons in chat {chat_id}")
        wanted = normalise(label)
        candidates = reversed(self.api.visible(chat_id)) if scroll_up else [message]
        for shown in candidates:
            for row in shown.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    if wanted in normalise(button["text"]):
                        return await self.press_data(who, button["callback_data"], chat, shown["message_id"])
        labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
        raise LookupError(f"no button {label!r} among {labels}")

    async def press_data(self, who: str, data: str, chat: str | int = "equipe", message_id: int | None = None) -> list[Sent]:
        """Press a button with any callback data, a forged one included."""
        chat_id = self.chat_id(who, chat)
        if message_id is None:
            message_id = self.api.visible(chat_id)[-1]["message_id"]
        self.api.user_press(self.person(who).user_id, chat_id, message_id, data)
        return await self._process()

    async def advance(self, delta: timedelta) -> list[Sent]:
        """Move the clock and let whatever falls due happen, each thing at its own time (never late)."""
        target = self.clock.now() + delta
        if self.web is not None:
            await self.web.settle()  # what the pages left to do happens now, as it would at once
        for _ in range(100_000):
            due = await next_wake(self.app.bot_data["services"])
            if due is None or datetime.fromisoformat(due) > target:
                break
            self.clock.set(max(self.clock.now(), datetime.fromisoformat(due)))
            await dispatch_due(self.app)
        self.clock.set(target)
        await dispatch_due(self.app)
        return self.new_output()

    # --- reading ----------------------------------------------------------------------------------------

    def last_text(self, chat: str | int = "equipe", who: str = "cls") -> str:
        messages = self.api.visible(self.chat_id(who, chat))
        return messages[-1]["text"] if messages else ""

    def texts(self, chat: str | int = "equipe", who: str = "cls") -> list[str]:
        return [m.get("text", m.get("caption", "")) for m in self.api.visible(self.chat_id(who, chat))]
