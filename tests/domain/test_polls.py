"""Poll slots, the best slot, and the visit day's itinerary."""

import random
from datetime import date, datetime

from icalendar import Calendar

from domain.dates import PARIS, Availability
from domain.polls import (
    Slot,
    StopSite,
    Timing,
    best_slot,
    ics,
    itinerary,
    next_working_days,
    slot_label,
    slots_from,
    tally,
)

TODAY = date(2026, 11, 23)


def test_slots_skip_weekends_holidays_and_the_past():
    availability = Availability(((date(2026, 11, 20), None), (date(2026, 12, 24), "matin"), (date(2026, 12, 25), None),
                                 (date(2026, 12, 26), None), (date(2026, 12, 28), "après-midi")))
    assert slots_from(availability, TODAY) == [(date(2026, 12, 24), "matin"), (date(2026, 12, 28), "apres-midi")]
    assert next_working_days(date(2026, 12, 23), 3) == [(date(2026, 12, 24), "journee"), (date(2026, 12, 28), "journee"),
                                                        (date(2026, 12, 29), "journee")]
    assert slot_label(date(2027, 3, 2), "matin") == "mar. 2 mars (matin)"


def test_best_slot_most_yes_then_if_need_be_then_earliest():
    slots = [Slot(1, date(2027, 1, 5), "journee"), Slot(2, date(2027, 1, 12), "journee"), Slot(3, date(2027, 1, 4), "journee")]
    sites = {10: "A", 11: "B", 12: "C"}
    answers = {(1, 10): "oui", (1, 11): "si_besoin", (2, 10): "oui", (2, 11): "oui", (3, 10): "oui", (3, 11): "oui",
               (3, 12): "non"}
    tallies = tally(slots, sites, answers)
    assert [(t.slot.id, t.yes, t.maybe, t.no, t.silent) for t in tallies][0] == (1, ["A"], ["B"], [], ["C"])
    assert best_slot(tallies).slot.id == 3  # as many yes as slot 2, but earlier
    assert best_slot(tally(slots, sites, {(1, 10): "non"})) is None


def sites_in(n, seed):
    rng = random.Random(seed)
    communes = [("Conliège", "ecla"), ("Perrigny", "ecla"), ("Bletterans", "bresse_haute_seille"),
                ("Saint-Amour", "porte_du_jura"), ("Orgelet", "terre_emeraude")]
    return [StopSite(i, f"Lieu {i}", *rng.choice(communes)) for i in range(n)]


def test_itinerary_keeps_epci_together_and_never_overlaps():
    timing = Timing()
    for seed in range(200):
        sites = sites_in(random.Random(seed).randint(1, 6), seed)
        day = date(2027, 1, 12)
        stops = itinerary(day, random.Random(seed).choice(["journee", "matin", "apres-midi"]), sites, timing)
        visits = stops[:-1]
        assert [s.site.id for s in visits] and stops[-1].site is None  # ends with the debrief
        for one, two in zip(stops, stops[1:], strict=False):
            assert one.ends <= two.starts  # never two places at once
            if one.site and two.site and one.site.commune != two.site.commune:
                assert two.starts - one.ends >= timing.same_epci  # travel time between communes
        seen = [s.site.epci for s in visits]
        assert all(seen.index(e) + seen.count(e) - 1 == len(seen) - 1 - seen[::-1].index(e) for e in set(seen))
        assert all(s.ends - s.starts == timing.per_site for s in visits)


def test_itinerary_times_and_lunch():
    sites = [StopSite(1, "MSP", "Conliège", "ecla"), StopSite(2, "Cabinet", "Perrigny", "ecla"),
             StopSite(3, "Centre", "Bletterans", "bresse_haute_seille")]
    stops = itinerary(date(2027, 1, 12), "journee", sites)
    times = [(s.starts.strftime("%H:%M"), s.ends.strftime("%H:%M")) for s in stops]
    # ECLA first (two sites), 20 min between its communes, 40 min to another EPCI, lunch kept free, debrief at 18 h
    assert times == [("09:00", "10:15"), ("10:35", "11:50"), ("13:45", "15:00"), ("18:00", "18:30")]


def test_ics_is_valid_and_in_paris_time():
    stops = itinerary(date(2027, 1, 12), "matin", [StopSite(1, "MSP de Conliège", "Conliège", "ecla")])
    calendar = Calendar.from_ical(ics(stops, candidate_id=7, what="médecin généraliste"))
    events = list(calendar.walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == ["Visite — MSP de Conliège",
                                                   "Débriefing du soir (temps 2) — CPTS du Grand Lons"]
    start = events[0]["dtstart"].dt
    assert start == datetime(2027, 1, 12, 9, 0, tzinfo=PARIS) and str(start.tzinfo) == "Europe/Paris"
    assert list(calendar.walk("VTIMEZONE"))  # the zone is described for calendars that need it
    assert str(events[0]["location"]) == "MSP de Conliège, Conliège"
