"""The indicators of the reporting table, over a period. Plain functions on plain data; Telegram-free.

A step counts in the period when it happened in it: a candidate when first contacted, an interview when held, a
croisement when recorded, a visit on its day, an installation on its date (or when the status became
"installé"), an abandon when the status became "abandon". A follow-up is due in the period when its day falls in
it and has come; it is on time when done at most 14 days after that day. storage.reporting.period_facts selects
and counts them; ``compute`` applies the rules.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from statistics import median
from typing import Any

from domain.dates import PARIS, format_date
from domain.territory import name_key

FOLLOW_UP_GRACE = timedelta(days=14)


@dataclass(frozen=True)
class Period:
    start: date  # included
    end: date  # excluded

    def __contains__(self, day: date | None) -> bool:
        return day is not None and self.start <= day < self.end

    def bounds(self) -> dict[str, str]:
        """The period's bounds written as storage writes dates and instants, for SQL to compare stored text with
        instead of converting every value (a value holds when its Paris day, ``day_of``, is in the period): days
        (d0, d1) and Paris midnights in UTC (i0, i1), each start included and end excluded."""
        return {"d0": self._days[0], "d1": self._days[1], "i0": self._instants[0], "i1": self._instants[1]}

    @functools.cached_property
    def _days(self) -> tuple[str, str]:
        return self.start.isoformat(), self.end.isoformat()

    @functools.cached_property
    def _instants(self) -> tuple[str, str]:
        """Paris midnight at the start and at the end, in UTC as storage writes instants."""
        return tuple(datetime.combine(day, time(), PARIS).astimezone(UTC).isoformat(timespec="seconds")
                     for day in (self.start, self.end))

    def before(self) -> Period:
        """The period of the same length just before this one, to compare with (whole months stay whole:
        the quarter before a quarter)."""
        from dateutil.relativedelta import relativedelta

        if self.start.day == 1 and self.end.day == 1:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
            return Period(self.start - relativedelta(months=months), self.start)
        return Period(self.start - (self.end - self.start), self.start)


def day_of(value: Any) -> date | None:
    """A stored date or UTC instant as a day in Paris."""
    if not value:
        return None
    if len(value) == 10:
        return date.fromisoformat(value)
    # Paris is UTC+1 or UTC+2: before 22:00 UTC the day is the same (the reports call this 300,000 times)
    if value[11:13] < "22" and value.endswith("+00:00"):
        return date.fromisoformat(value[:10])
    return datetime.fromisoformat(value).astimezone(PARIS).date()


@dataclass
class Indicators:
    period: Period
    new_candidates: int = 0
    by_source: Counter = field(default_factory=Counter)
    by_profession: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    interviews: int = 0
    croisements: int = 0
    croisements_on_time: int = 0
    polls_sent: int = 0
    sites_asked: int = 0
    sites_answering: int = 0
    visits: int = 0
    site_visits: int = 0
    debriefs: Counter = field(default_factory=Counter)  # soir / distance
    follow_ups_due: Counter = field(default_factory=Counter)  # months -> due
    follow_ups_on_time: Counter = field(default_factory=Counter)
    follow_ups_late: Counter = field(default_factory=Counter)
    installations: list[dict[str, str]] = field(default_factory=list)
    abandons: int = 0
    delays: dict[str, float | None] = field(default_factory=dict)  # median days between steps
    epci: dict[str, Counter] = field(default_factory=dict)  # EPCI -> proposed / contacted / visited / installations
    sites: dict[int, Counter] = field(default_factory=dict)  # site -> proposed / contacted / visited

    @property
    def pct_on_time(self) -> float | None:
        return round(100 * self.croisements_on_time / self.croisements) if self.croisements else None

    @property
    def funnel(self) -> list[tuple[str, int]]:
        return [("Candidats", self.new_candidates), ("Entretiens", self.interviews), ("Croisements", self.croisements),
                ("Visites", self.visits), ("Installations", len(self.installations))]


def compute(facts, period: Period) -> Indicators:
    """Every indicator for the period, from what storage.reporting.period_facts selected and counted for it (up to
    the day it was asked)."""
    ind = Indicators(period)
    for source, profession, status, count in facts.first_contacts:
        ind.new_candidates += count
        ind.by_source[source] += count
        ind.by_profession[profession] += count
        ind.by_status[status] += count
    ind.interviews, ind.abandons = facts.interviews, facts.abandons
    ind.croisements, ind.croisements_on_time = facts.croisements, facts.croisements_on_time
    ind.polls_sent, ind.sites_asked, ind.sites_answering = facts.polls_sent, facts.sites_asked, facts.sites_answering
    ind.debriefs.update(facts.debriefs)
    site_types = {s["name"]: s["type"] for s in facts.sites.values()}
    for c in facts.installed:
        commune = c["installed_commune"] or ""
        ind.installations.append({"profession": c["profession"], "commune": commune,
                                  "site_type": site_types.get(c["installed_place"], ""),
                                  "epci": facts.commune_epci.get(name_key(commune), "")})
    by_name = {s["name"]: sid for sid, s in facts.sites.items()}
    for visit in facts.visits:  # in the period, up to today
        ind.visits += 1
        site_ids = visit["stops"] or [by_name[n] for n in visit["sites"] if n in by_name]
        ind.site_visits += len(site_ids) or len(visit["sites"])
        for site_id in site_ids:
            ind.sites.setdefault(site_id, Counter())["visited"] += 1
    for f in facts.follow_ups:  # due in the period, up to today
        due, done = day_of(f["due_day"]), day_of(f["done_at"])
        ind.follow_ups_due[f["months"]] += 1
        if done is not None and done <= due + FOLLOW_UP_GRACE:
            ind.follow_ups_on_time[f["months"]] += 1
        elif done is not None:
            ind.follow_ups_late[f["months"]] += 1
    for site_id, proposed, contacted in facts.proposals:
        counter = ind.sites.setdefault(site_id, Counter())
        counter["proposed"] += proposed
        counter["contacted"] += contacted
    for site_id, counter in ind.sites.items():
        site = facts.sites.get(site_id)
        if site:
            ind.epci.setdefault(site["epci"], Counter()).update(counter)
    for inst in ind.installations:
        if inst["epci"]:
            ind.epci.setdefault(inst["epci"], Counter())["installations"] += 1
    ind.delays = _delays(facts.steps)
    return ind


def _delays(steps: list[tuple]) -> dict[str, float | None]:
    """Median days between steps, over the candidates whose later step falls in the period."""
    pairs: dict[str, list[int]] = {"contact → entretien": [], "entretien → croisement": [], "croisement → visites": [],
                                   "visites → installation": []}
    for row in steps:
        ends, days = row[:4], row[4:]
        for name, a, b, end in zip(pairs, days, days[1:], ends, strict=False):
            if end and a is not None and b is not None:
                pairs[name].append(round(b - a))
    return {name: (median(values) if values else None) for name, values in pairs.items()}


class PeriodError(ValueError):
    """A period whose dates cannot be (a date that does not exist, an end before the start); ``str(err)`` says
    why, in French."""


def parse_period(text: str, today: date) -> tuple[Period | None, str]:
    """A period said in French at the start of filters ("2026", "T1 2027", "mars 2026", "12 derniers mois",
    "du 1/01/2026 au 30/06/2026", "du 10 mars au 1er juin 2026", "depuis le 1er septembre"); returns it and the
    rest of the text (normalised), or raises PeriodError."""
    from dateutil.relativedelta import relativedelta

    from domain.dates import MONTHS, normalise

    now = datetime.combine(today, datetime.min.time()).replace(tzinfo=PARIS)
    # "du … au …" first: its dates may hold a month and a year ("du 10 mars 2026 au …") that the shapes below
    # would take for the whole period. Read on the text as typed, so that a refusal quotes it.
    m = re.search(r"\bdu\s+(.+?)\s+au\s+(.+)$", text, re.IGNORECASE)
    if m:
        start = _day(m.group(1), now, "Date de début")
        words = m.group(2).split()
        end, used = _longest_day(words, now)
        if start is not None and end is not None:
            if end < start:
                raise PeriodError(f"La période irait du {format_date(start)} au {format_date(end)} : la fin est avant "
                                  "le début. Inversez les deux dates.")
            return Period(start, end + timedelta(days=1)), normalise(text[:m.start()] + " " + " ".join(words[used:]))
    m = re.search(r"\bdepuis\s+(.+)$", text, re.IGNORECASE)
    if m:
        words = m.group(1).split()
        start, used = _longest_day(words, now)
        if start is not None:
            if start > today:
                raise PeriodError(f"« Depuis le {format_date(start)} » : cette date n'est pas encore arrivée.")
            return Period(start, today + timedelta(days=1)), normalise(text[:m.start()] + " " + " ".join(words[used:]))
    norm = normalise(text)
    months = "|".join(normalise(m) for m in MONTHS)
    m = re.search(r"\b(?:t|trimestre )([1-4]) (\d{4})\b|\b([1-4])(?:er|e|eme) trimestre (\d{4})\b", norm)
    if m:
        quarter, year = int(m.group(1) or m.group(3)), int(m.group(2) or m.group(4))
        start = date(year, 3 * quarter - 2, 1)
        return Period(start, start + relativedelta(months=3)), _rest(norm, m)
    m = re.search(rf"\b({months}) (\d{{4}})\b", norm)
    if m:
        start = date(int(m.group(2)), [normalise(x) for x in MONTHS].index(m.group(1)) + 1, 1)
        return Period(start, start + relativedelta(months=1)), _rest(norm, m)
    m = re.search(r"\b(\d+) (?:derniers )?mois\b", norm)
    if m:
        if int(m.group(1)) > 1200:
            raise PeriodError(f"« {m.group(0)} » : c'est plus que cent ans.")
        return Period(today - relativedelta(months=int(m.group(1))), today + timedelta(days=1)), _rest(norm, m)
    m = re.search(r"\b(20\d\d)\b", norm)
    if m:
        year = int(m.group(1))
        return Period(date(year, 1, 1), date(year + 1, 1, 1)), _rest(norm, m)
    return None, norm


def _day(text: str, now: datetime, which: str) -> date:
    from domain.dates import DateParseError, parse_day

    try:
        return parse_day(text, now)
    except DateParseError as err:
        reason = str(err)
        raise PeriodError(f"{which} : {reason[:1].lower()}{reason[1:]}") from None


def _longest_day(words: list[str], now: datetime) -> tuple[date | None, int]:
    """The date the longest run of ``words`` from the start says, and how many words it took; a date that cannot be
    ("31 février") is refused, never read as a shorter one ("31")."""
    from domain.dates import DateParseError, ImpossibleDate, parse_day

    for n in range(len(words), 0, -1):
        try:
            return parse_day(" ".join(words[:n]), now), n
        except ImpossibleDate as err:
            raise PeriodError(str(err)) from None
        except DateParseError:
            continue
    return None, 0


def _rest(text: str, match: re.Match) -> str:
    return (text[:match.start()] + " " + text[match.end():]).strip()
