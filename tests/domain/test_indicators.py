"""Indicators checked against a small fixture computed by hand, stored in SQLite: storage selects and counts what
falls in a period, domain.indicators applies the rules."""

import json
from datetime import UTC, date

import pytest

from domain.indicators import Indicators, Period, compute, parse_period
from handlers.elus import seed_communes
from storage import bulk
from storage.db import Database
from storage.reporting import Dataset, period_facts

TODAY = date(2026, 11, 23)
Q3 = Period(date(2026, 7, 1), date(2026, 10, 1))


def cand(id, first_contact, status, **kw):
    base = dict(id=id, first_name=f"P{id}", last_name=f"N{id}", profession="medecin_generaliste", specialty=None,
                phone=None, email=None, source="ars", source_detail=None, first_contact=first_contact, consent=1,
                consent_date=None, interview_at=None, interview_done_at=None, croisement_due=None, status=status,
                status_changed_at="2026-01-01T10:00:00+00:00", created_by=1, created_at="x", updated_at="2026-01-01",
                remote_debrief_at=None, installed_place=None, installed_commune=None, installed_on=None)
    return {**base, **kw}


# the poll sent for candidate 1: one site answered, the other did not
POLLS = [{"id": 1, "candidate_id": 1, "opened_at": "2026-07-21T09:00:00+00:00"}]
POLL_SITES = [{"poll_id": 1, "site_id": 10, "invited": 1, "answered": 1},
              {"poll_id": 1, "site_id": 11, "invited": 1, "answered": 0}]


def fixture() -> Dataset:
    data = Dataset()
    data.candidates = [
        # 1: contacted in Q3 (ARS), interviewed 10 days later, croisement on time, visits, installed in September
        cand(1, "2026-07-06", "installe", interview_done_at="2026-07-16", installed_on="2026-09-20",
             installed_place="MSP de Conliège", installed_commune="Conliège", status_changed_at="2026-09-21T08:00:00+00:00"),
        # 2: contacted in Q3 (CPAM, nurse), interviewed 20 days later, croisement late, abandoned in August
        cand(2, "2026-07-10", "abandon", source="cpam", profession="infirmier", interview_done_at="2026-07-30",
             status_changed_at="2026-08-31T10:00:00+00:00"),
        # 3: contacted before Q3, interviewed in Q3 (after 60 days), no croisement yet
        cand(3, "2026-05-02", "entretien_fait", interview_done_at="2026-07-01"),
        # 4: contacted after Q3: counts in nothing
        cand(4, "2026-10-05", "nouveau"),
    ]
    data.croisements = {1: {"candidate_id": 1, "done_at": "2026-07-20T09:00:00+00:00", "on_time": 1},
                        2: {"candidate_id": 2, "done_at": "2026-08-14T09:00:00+00:00", "on_time": 0}}
    data.sites = {10: {"id": 10, "name": "MSP de Conliège", "type": "msp", "status": "en_fonctionnement",
                       "commune": "Conliège", "name_key": "conliege", "epci": "ecla"},
                  11: {"id": 11, "name": "Cabinet de Bletterans", "type": "cabinet_medical", "status": "en_fonctionnement",
                       "commune": "Bletterans", "name_key": "bletterans", "epci": "bresse_haute_seille"}}
    data.commune_epci = {"conliege": "ecla", "bletterans": "bresse_haute_seille"}
    data.proposals = [
        {"candidate_id": 1, "site_id": 10, "chosen": 1, "at": "2026-07-20T09:00:00+00:00", "section": "criteres", "rank": 1, "score": 5},
        {"candidate_id": 1, "site_id": 11, "chosen": 0, "at": "2026-07-20T09:00:00+00:00", "section": "criteres", "rank": 2, "score": 2},
        {"candidate_id": 2, "site_id": 11, "chosen": 1, "at": "2026-08-14T09:00:00+00:00", "section": "criteres", "rank": 1, "score": 3},
    ]
    data.visits = {1: {"candidate_id": 1, "day": "2026-08-04", "sites": ["MSP de Conliège"]}}
    data.stops = [{"candidate_id": 1, "site_id": 10, "starts_at": "2026-08-04T07:00:00+00:00",
                   "ends_at": "2026-08-04T08:15:00+00:00", "cancelled": 0}]
    data.debriefs = [{"candidate_id": 1, "stage": "soir", "done_at": "2026-08-04T17:00:00+00:00"},
                     {"candidate_id": 1, "stage": "distance", "done_at": "2026-08-11T17:00:00+00:00"}]
    data.follow_ups = [
        {"candidate_id": 9, "months": 3, "due_day": "2026-07-15", "done_at": "2026-07-20T10:00:00+00:00", "outcome": "recherche", "note": None},
        {"candidate_id": 8, "months": 3, "due_day": "2026-08-01", "done_at": "2026-09-01T10:00:00+00:00", "outcome": "recherche", "note": None},
        {"candidate_id": 7, "months": 6, "due_day": "2026-09-10", "done_at": None, "outcome": None, "note": None},
        {"candidate_id": 6, "months": 12, "due_day": "2026-12-01", "done_at": None, "outcome": None, "note": None},
    ]
    return data


STAMP = "2026-01-01T10:00:00+00:00"


async def store(db: Database, data: Dataset) -> None:
    """The fixture in the database (with the candidates its follow-ups belong to, contacted long before)."""
    await seed_communes(db)
    communes = {r["name_key"]: r["id"] for r in await db.fetchall("SELECT id, name_key FROM communes")}
    await bulk.insert(db, "sites", [{"id": sid, "name": s["name"], "type": s["type"], "status": s["status"],
                                     "commune_id": communes[s["name_key"]], "created_at": STAMP, "updated_at": STAMP}
                                    for sid, s in data.sites.items()])
    others = sorted({f["candidate_id"] for f in data.follow_ups} - {c["id"] for c in data.candidates})
    await bulk.insert(db, "candidates", data.candidates + [cand(i, "2020-01-01", "nouveau") for i in others])
    await bulk.insert(db, "croisements", list(data.croisements.values()))
    await bulk.insert(db, "croisement_sites", data.proposals)
    await bulk.insert(db, "polls", [{**p, "deadline": STAMP, "created_at": STAMP, "chat_id": -1, "state": "open"}
                                    for p in POLLS])
    await bulk.insert(db, "poll_sites", [{k: ps[k] for k in ("poll_id", "site_id", "invited")} for ps in POLL_SITES])
    await bulk.insert(db, "poll_slots", [{"id": 1, "poll_id": 1, "day": "2026-08-04", "part": "journee"}])
    await bulk.insert(db, "poll_answers", [{"poll_id": ps["poll_id"], "slot_id": 1, "site_id": ps["site_id"], "answer": "oui",
                                            "by_user": 5, "at": STAMP} for ps in POLL_SITES if ps["answered"]])
    await bulk.insert(db, "visits", [{"candidate_id": v["candidate_id"], "day": v["day"], "sites": json.dumps(v["sites"]),
                                      "created_at": STAMP} for v in data.visits.values()])
    await bulk.insert(db, "visit_stops", data.stops)
    await bulk.insert(db, "debriefs", [{**d, "answers": "{}"} for d in data.debriefs])
    await bulk.insert(db, "follow_ups", data.follow_ups)


async def stored_indicators(data: Dataset, period: Period, tmp_path) -> Indicators:
    db = await Database.open(tmp_path / "indicateurs.sqlite3")
    try:
        await store(db, data)
        (facts,) = await period_facts(db, [period.bounds()], TODAY.isoformat())
        return compute(facts, period)
    finally:
        await db.close()


async def test_indicators_over_a_quarter(tmp_path):
    ind = await stored_indicators(fixture(), Q3, tmp_path)
    assert ind.new_candidates == 2
    assert dict(ind.by_source) == {"ars": 1, "cpam": 1}
    assert dict(ind.by_profession) == {"medecin_generaliste": 1, "infirmier": 1}
    assert dict(ind.by_status) == {"installe": 1, "abandon": 1}
    assert ind.interviews == 3
    assert (ind.croisements, ind.croisements_on_time, ind.pct_on_time) == (2, 1, 50)
    assert (ind.polls_sent, ind.sites_asked, ind.sites_answering) == (1, 2, 1)
    assert (ind.visits, ind.site_visits) == (1, 1)
    assert dict(ind.debriefs) == {"soir": 1, "distance": 1}
    assert dict(ind.follow_ups_due) == {3: 2, 6: 1}  # the 12-month one is not due in Q3
    assert dict(ind.follow_ups_on_time) == {3: 1} and dict(ind.follow_ups_late) == {3: 1}
    assert ind.installations == [{"profession": "medecin_generaliste", "commune": "Conliège", "site_type": "msp", "epci": "ecla"}]
    assert ind.abandons == 1
    # medians: contact→interview 10, 20 (candidate 3 interviewed after 60 days) → 20; interview→croisement 4, 15 → 9.5
    assert ind.delays == {"contact → entretien": 20, "entretien → croisement": 9.5, "croisement → visites": 15,
                          "visites → installation": 47}
    assert dict(ind.sites[10]) == {"proposed": 1, "contacted": 1, "visited": 1}
    assert dict(ind.sites[11]) == {"proposed": 2, "contacted": 1}
    assert dict(ind.epci["ecla"]) == {"proposed": 1, "contacted": 1, "visited": 1, "installations": 1}
    assert ind.funnel == [("Candidats", 2), ("Entretiens", 3), ("Croisements", 2), ("Visites", 1), ("Installations", 1)]


async def test_nothing_outside_the_period(tmp_path):
    ind = await stored_indicators(fixture(), Period(date(2025, 1, 1), date(2026, 1, 1)), tmp_path)
    assert ind.funnel == [("Candidats", 0), ("Entretiens", 0), ("Croisements", 0), ("Visites", 0), ("Installations", 0)]
    assert ind.pct_on_time is None and all(v is None for v in ind.delays.values())


async def test_a_period_and_the_one_before_counted_together_as_each_alone(tmp_path):
    db = await Database.open(tmp_path / "ensemble.sqlite3")
    try:
        await store(db, fixture())
        # n° 5: interviewed in June, croisement in July: a step in each quarter
        await bulk.insert(db, "candidates", [cand(5, "2026-05-20", "croisement", interview_done_at="2026-06-10")])
        await bulk.insert(db, "croisements", [{"candidate_id": 5, "done_at": "2026-07-03T08:00:00+00:00", "on_time": 0}])
        periods = [Q3, Q3.before(), Period(date(2026, 10, 1), date(2027, 1, 1))]  # the quarters before and after
        together = await period_facts(db, [p.bounds() for p in periods], TODAY.isoformat())
        for period, facts in zip(periods, together, strict=True):
            (alone,) = await period_facts(db, [period.bounds()], TODAY.isoformat())
            assert compute(facts, period) == compute(alone, period), period
        q3, q2 = compute(together[0], Q3), compute(together[1], Q3.before())
        assert q2.delays["contact → entretien"] == 21 and q2.delays["entretien → croisement"] is None
        assert q3.delays["entretien → croisement"] == 15  # 4, 15 and 23 days
    finally:
        await db.close()


def test_previous_period_has_the_same_length():
    assert Q3.before() == Period(date(2026, 4, 1), date(2026, 7, 1))


def test_periods_in_words():
    assert parse_period("T3 2026", TODAY) == (Q3, "")
    assert parse_period("2026 abandon", TODAY) == (Period(date(2026, 1, 1), date(2027, 1, 1)), "abandon")
    assert parse_period("infirmier", TODAY) == (None, "infirmier")
    # a period "du … au …" whose dates hold a month and a year is read whole, filters after it kept
    assert parse_period("du 10 mars 2026 au 1er juin 2026 infirmier", TODAY) == (
        Period(date(2026, 3, 10), date(2026, 6, 2)), "infirmier")
    assert parse_period("du 1/01/2026 au 30/06/2026 ECLA", TODAY) == (Period(date(2026, 1, 1), date(2026, 7, 1)), "ecla")


@pytest.mark.parametrize("typed, reason", [
    ("du 10 mars 2026 au 1 janvier 2026", "La période irait du mardi 10 mars 2026 au jeudi 1er janvier 2026 : la fin "
                                          "est avant le début."),
    ("du 31 Février 2026 au 10 mars 2026", "Date de début : la date « 31 Février 2026 » n'existe pas."),
    ("du 1er janvier 2026 au 32 mars 2026", "La date « 32 mars 2026 » n'existe pas."),
    ("depuis le 1er janvier 2030", "cette date n'est pas encore arrivée"),
    ("99999 mois", "c'est plus que cent ans"),
])
def test_a_period_that_cannot_be_is_refused_with_its_reason(typed, reason):
    from domain.indicators import PeriodError

    with pytest.raises(PeriodError) as refused:
        parse_period(typed, TODAY)
    assert reason in str(refused.value)


def test_day_of_agrees_with_the_full_conversion_every_hour_of_a_year_with_both_clock_changes():
    from datetime import datetime, timedelta

    from domain.dates import PARIS
    from domain.indicators import day_of

    instant = datetime(2026, 1, 1, tzinfo=UTC)
    while instant.year == 2026:
        stored = instant.isoformat()
        assert day_of(stored) == instant.astimezone(PARIS).date(), stored
        instant += timedelta(minutes=30)
    assert day_of("2026-03-28T23:30:00+00:00") == date(2026, 3, 29)  # winter: UTC+1
    assert day_of("2026-07-14T22:00:00+00:00") == date(2026, 7, 15)  # summer: UTC+2
    assert day_of("2026-07-14T21:59:59+00:00") == date(2026, 7, 14)
    assert day_of("2026-07-14T23:30:00+01:00") == date(2026, 7, 15)  # another offset: converted in full
    assert day_of("2026-07-14") == date(2026, 7, 14) and day_of(None) is None and day_of("") is None


async def test_sqlite_counts_in_each_period_exactly_the_values_whose_paris_day_it_contains(tmp_path):
    from datetime import datetime, timedelta, timezone

    from domain.indicators import day_of

    values, instant = [], datetime(2026, 3, 27, 20, tzinfo=UTC)
    while instant < datetime(2026, 3, 30, 2, tzinfo=UTC):  # across the spring clock change
        values += [instant.isoformat(), instant.date().isoformat(),
                   instant.astimezone(timezone(timedelta(hours=5))).isoformat(),  # another shape than storage writes
                   instant.isoformat(timespec="microseconds")]
        instant += timedelta(minutes=30)
    values.append("")
    periods = [Period(date(2026, 3, 29), date(2026, 3, 30)), Period(date(2026, 3, 28), date(2026, 3, 29))]
    db = await Database.open(tmp_path / "periodes.sqlite3")
    try:
        # every value twice: when interviewed, and when the status became "abandon"
        await bulk.insert(db, "candidates", [cand(i, "2026-01-01", "abandon", interview_done_at=v, status_changed_at=v)
                                             for i, v in enumerate(values, start=1)])
        together = await period_facts(db, [p.bounds() for p in periods], TODAY.isoformat())
        for period, facts in zip(periods, together, strict=True):
            (alone,) = await period_facts(db, [period.bounds()], TODAY.isoformat())
            held = sum(day_of(v) in period for v in values)
            assert facts.interviews == facts.abandons == alone.interviews == alone.abandons == held, period
            assert 40 < held < len(values) / 2
    finally:
        await db.close()
