"""What every handler reaches through its context: the settings, the database, the clock and the team."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Settings
from storage.db import Database
from storage.members import Member


@dataclass
class Team:
    """The active members, kept in memory and refreshed whenever an admin changes them."""

    members: dict[int, Member] = field(default_factory=dict)

    def get(self, user_id: int | None) -> Member | None:
        return self.members.get(user_id) if user_id is not None else None

    def name(self, user_id: int | None) -> str:
        member = self.get(user_id)
        return member.name if member else "?"

    def names(self) -> dict[int, str]:
        return {uid: m.name for uid, m in self.members.items()}

    def with_role(self, role: str) -> list[Member]:
        return [m for m in self.members.values() if m.role == role]


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    team: Team
    started_at: datetime
    # the JobQueue wakes the bot for reminders; the sandbox drives them with its own clock instead
    autoschedule: bool = True
    nightly_backups: bool = True  # the sandbox turns them off unless a test asks for them
    dispatch_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    errors: deque = field(default_factory=lambda: deque(maxlen=5))  # (when, what) of the last failures, for /etat
    handling: dict[int, float] = field(default_factory=dict)  # update id -> when its handling began (for the logs)
    # One lock per shared message that several chats change (a poll's tally, edited as sites answer in private):
    # chats are handled in parallel, and an edit rendered earlier must not land after one rendered later.
    message_locks: dict[object, asyncio.Lock] = field(default_factory=dict)

    def lock_for(self, key: object) -> asyncio.Lock:
        return self.message_locks.setdefault(key, asyncio.Lock())


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """The callback context, with the bot's services and the team member behind the update."""

    actor: Member | None = None
    outsider: list | None = None  # a practice site's contact or an élu (storage.sites.Outsider rows)
    where: int | None = None  # the chat the update came from, for the audit log

    @property
    def services(self) -> Services:
        return self.bot_data["services"]

    @property
    def db(self) -> Database:
        return self.services.db

    def now(self) -> datetime:
        return self.services.clock.now()

    def now_iso(self) -> str:
        return self.services.clock.utc_iso()


AppType = Application  # Application[ExtBot, BotContext, dict, dict, dict, JobQueue]
