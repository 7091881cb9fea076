"""Availability polls and the visit day they lead to. Telegram-free.

Slots come from the availabilities given at the interview (working days only, unless the team adds another on
purpose). The best slot has the most sites answering yes, then "si besoin", then comes first. The itinerary keeps
the communes of one EPCI together, gives each site a window (1 h 15 by default) with travel margins between
communes, never overlaps two windows, and ends with the debrief back at the CPTS the same evening (18 h, or
later if the visits end later).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from icalendar import Calendar, Event

from domain.dates import PARIS, WEEKDAYS, Availability
from domain.schedule import WorkingHours, is_working_day
from domain.territory import EPCI_LABELS

PARTS = {"journee": ("journée", time(9, 0)), "matin": ("matin", time(9, 0)), "apres-midi": ("après-midi", time(14, 0))}
PART_ORDER = {"journee": 0, "matin": 1, "apres-midi": 2}
ANSWERS = {"oui": "✅ Oui", "si_besoin": "🟡 Si besoin", "non": "❌ Non"}
MAX_SLOTS = 10
DEADLINE_WORKING_DAYS = 5


@dataclass(frozen=True)
class Slot:
    id: int
    day: date
    part: str

    @property
    def label(self) -> str:
        return slot_label(self.day, self.part)


SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def slot_label(day: date, part: str) -> str:
    """'mar. 5 janv. (matin)'."""
    return f"{WEEKDAYS[day.weekday()][:3]}. {day.day} {SHORT_MONTHS[day.month - 1]} ({PARTS[part][0]})"


def part_of(text: str | None) -> str:
    return {"matin": "matin", "après-midi": "apres-midi"}.get(text or "", "journee")


def slots_from(availability: Availability, today: date, *, limit: int = MAX_SLOTS) -> list[tuple[date, str]]:
    """Candidate slots from the interview's availabilities: days to come, working days only."""
    slots = [(day, part_of(part)) for day, part in availability.days if day > today and is_working_day(day)]
    return slots[:limit]


def next_working_days(today: date, count: int = MAX_SLOTS) -> list[tuple[date, str]]:
    """When the interview gave no dates: the next working days, whole days."""
    out, day = [], today
    while len(out) < count:
        day += timedelta(days=1)
        if is_working_day(day):
            out.append((day, "journee"))
    return out


def default_deadline(now: datetime, hours: WorkingHours) -> datetime:
    return hours.add_working_days(now, DEADLINE_WORKING_DAYS).replace(hour=18, minute=0)


@dataclass(frozen=True)
class SlotTally:
    slot: Slot
    yes: list[str]
    maybe: list[str]
    no: list[str]
    silent: list[str]


def tally(slots: list[Slot], sites: Mapping[int, str], answers: Mapping[tuple[int, int], str]) -> list[SlotTally]:
    """Per slot: which sites said yes, if need be, no, and which have not answered. ``answers``: (slot, site)."""
    out = []
    for slot in slots:
        groups: dict[str, list[str]] = {"oui": [], "si_besoin": [], "non": [], "": []}
        for site_id, name in sites.items():
            groups[answers.get((slot.id, site_id), "")].append(name)
        out.append(SlotTally(slot, groups["oui"], groups["si_besoin"], groups["non"], groups[""]))
    return out


def best_slot(tallies: list[SlotTally]) -> SlotTally | None:
    """Most yes, then most "si besoin", then the earliest; None when nobody can on any slot."""
    usable = [t for t in tallies if t.yes or t.maybe]
    if not usable:
        return None
    return min(usable, key=lambda t: (-len(t.yes), -len(t.maybe), t.slot.day, PART_ORDER[t.slot.part]))


@dataclass(frozen=True)
class StopSite:
    id: int
    name: str
    commune: str
    epci: str


@dataclass(frozen=True)
class Stop:
    site: StopSite | None  # None: the debrief back at the CPTS
    starts: datetime
    ends: datetime

    @property
    def title(self) -> str:
        return f"Visite — {self.site.name}" if self.site else "Débriefing du soir (temps 2) — CPTS du Grand Lons"


@dataclass(frozen=True)
class Timing:
    per_site: timedelta = timedelta(minutes=75)
    same_commune: timedelta = timedelta(minutes=10)
    same_epci: timedelta = timedelta(minutes=20)
    other_epci: timedelta = timedelta(minutes=40)
    back_to_cpts: timedelta = timedelta(minutes=30)
    debrief: timedelta = timedelta(minutes=30)
    debrief_from: time = time(18, 0)  # the same evening, when the debrief's reminder opens it in the group
    lunch_from: time = time(12, 30)
    lunch_until: time = time(13, 45)


def order_sites(sites: Iterable[StopSite]) -> list[StopSite]:
    """Communes of one EPCI together (the EPCI with most sites first), then by commune and name."""
    sites = list(sites)
    per_epci: dict[str, int] = {}
    for s in sites:
        per_epci[s.epci] = per_epci.get(s.epci, 0) + 1
    return sorted(sites, key=lambda s: (-per_epci[s.epci], s.epci, s.commune, s.name))


def itinerary(day: date, part: str, sites: Iterable[StopSite], timing: Timing = Timing()) -> list[Stop]:
    """The visit day's plan: one window per site, travel margins between, lunch kept free, then the debrief."""
    moment = datetime.combine(day, PARTS[part][1]).replace(tzinfo=PARIS)
    lunch_from = datetime.combine(day, timing.lunch_from).replace(tzinfo=PARIS)
    lunch_until = datetime.combine(day, timing.lunch_until).replace(tzinfo=PARIS)
    stops: list[Stop] = []
    previous: StopSite | None = None
    for site in order_sites(sites):
        if previous is not None:
            moment += (timing.same_commune if site.commune == previous.commune
                       else timing.same_epci if site.epci == previous.epci else timing.other_epci)
        if moment < lunch_until and moment + timing.per_site > lunch_from and part == "journee":
            moment = max(moment, lunch_until)
        stops.append(Stop(site, moment, moment + timing.per_site))
        moment += timing.per_site
        previous = site
    evening = datetime.combine(day, timing.debrief_from).replace(tzinfo=PARIS)
    debrief_at = max(moment + timing.back_to_cpts, evening)
    stops.append(Stop(None, debrief_at, debrief_at + timing.debrief))
    return stops


def ics(stops: list[Stop], *, candidate_id: int, what: str) -> bytes:
    """The day as an iCalendar file: one event per visit and the debrief, in Europe/Paris."""
    calendar = Calendar()
    calendar.add("prodid", "-//CLS du Pays Lédonien - CPTS du Grand Lons//Accompagnement à l'installation//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-timezone", "Europe/Paris")
    for stop in stops:
        event = Event()
        event.add("uid", f"visite-{candidate_id}-{stop.site.id if stop.site else 'debriefing'}@installation-jura")
        event.add("summary", stop.title)
        event.add("dtstart", stop.starts)
        event.add("dtend", stop.ends)
        event.add("dtstamp", stop.starts)
        if stop.site:
            event.add("location", f"{stop.site.name}, {stop.site.commune}")
            event.add("description", f"Visite d'un·e {what} ({EPCI_LABELS.get(stop.site.epci, stop.site.epci)}).")
        else:
            event.add("location", "CPTS du Grand Lons, Lons-le-Saunier")
            event.add("description", "Débriefing du soir avec le candidat : ressenti, attentes, besoins.")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
