"""The bot's idea of now: real time in production, a clock moved by hand in the sandbox and the tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.dates import PARIS


class Clock:
    def now(self) -> datetime:
        return datetime.now(PARIS)

    def utc_iso(self) -> str:
        return self.now().astimezone(UTC).isoformat(timespec="seconds")


class FakeClock(Clock):
    """Starts at a given instant and moves only when told to."""

    def __init__(self, start: datetime):
        self._now = start.astimezone(PARIS)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(PARIS)

    def advance(self, delta: timedelta) -> None:
        self._now = (self._now.astimezone(UTC) + delta).astimezone(PARIS)
