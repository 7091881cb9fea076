"""Working days and hours: when the team should be disturbed. Telegram-free.

A reminder computed by the protocol (not typed for an exact time by a user) that falls on a Saturday, a Sunday,
a French public holiday or outside working hours moves to the next working morning; one typed for a day off moves
to the next working morning too (an exact hour on a working day is kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from domain.dates import PARIS


@lru_cache(maxsize=16)
def _french_holidays(year: int) -> holidays.HolidayBase:
    return holidays.France(years=year, language="fr")


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def day_off(day: date) -> str | None:
    """Why ``day`` is not a working day, as one says it ("un samedi", "un jour férié (Noël)"); None on a working day."""
    if day.weekday() >= 5:
        return ("un samedi", "un dimanche")[day.weekday() - 5]
    name = _french_holidays(day.year).get(day)
    return f"un jour férié ({name})" if name else None


def next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class WorkingHours:
    morning: time = time(9, 0)  # when moved reminders are sent
    start: time = time(8, 0)
    end: time = time(19, 0)

    def at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment).replace(tzinfo=PARIS)

    def adjust(self, when: datetime, *, exact: bool = False) -> datetime:
        """The moment a reminder is actually sent: unchanged when exact, else within working hours."""
        if exact:
            return when
        local = when.astimezone(PARIS)
        day, clock = local.date(), local.time()
        if is_working_day(day) and self.start <= clock < self.end:
            return local
        if is_working_day(day) and clock < self.start:
            return self.at(day, self.morning)
        return self.at(next_working_day(day), self.morning)

    def add_working_days(self, when: datetime, days: int) -> datetime:
        """``days`` working days later, at the same time of day (kept within working hours)."""
        local = when.astimezone(PARIS)
        day = local.date()
        for _ in range(days):
            day = next_working_day(day)
        return self.adjust(datetime.combine(day, local.time()).replace(tzinfo=PARIS))

