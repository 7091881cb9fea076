"""What the engine and every handler share: the settings, the database, the clock, the team, and what the steps
declared to the engine (``Deliveries``)."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from delivery.clock import Clock
from delivery.kinds import Deliveries
from storage.db import Database
from storage.members import Member

if TYPE_CHECKING:  # the settings are read on top (bot.config) and handed down
    from bot.config import Settings


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
    deliveries: Deliveries = field(default_factory=Deliveries)  # the message kinds and timed work the steps declared
    version: str = ""  # the bot's, for /etat
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
