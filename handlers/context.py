"""The callback context every handler receives: the services, what the steps declared, and who is speaking."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from telegram.ext import CallbackContext, ExtBot

from delivery.services import Services
from storage.db import Database
from storage.members import Member

if TYPE_CHECKING:
    from handlers.wiring import Wiring


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """The callback context, with the bot's services and the team member behind the update."""

    actor: Member | None = None
    outsider: list | None = None  # a practice site's contact or an élu (storage.sites.Outsider rows)
    where: int | None = None  # the chat the update came from, for the audit log

    @property
    def services(self) -> Services:
        return self.bot_data["services"]

    @property
    def wiring(self) -> Wiring:
        """What every step declared (forms, card buttons...), collected by the composition root."""
        return self.bot_data["wiring"]

    @property
    def db(self) -> Database:
        return self.services.db

    def now(self) -> datetime:
        return self.services.clock.now()

    def now_iso(self) -> str:
        return self.services.clock.utc_iso()

