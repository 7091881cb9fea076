"""Working days and hours, and what the protocol plans for a candidate in each state."""

from datetime import date, datetime

import pytest

from domain.dates import PARIS
from domain.pipeline import Status
from domain.reminders import CandidateState, next_monday, plan
from domain.schedule import WorkingHours, is_working_day, next_working_day, previous_working_day

HOURS = WorkingHours()


def at(y, m, d, h=9, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=PARIS)


@pytest.mark.parametrize("when,expected", [
    (at(2026, 12, 25), at(2026, 12, 28)),  # Christmas (a Friday) -> Monday
    (at(2026, 11, 29), at(2026, 11, 30)),  # Sunday -> Monday
    (at(2026, 11, 27, 20), at(2026, 11, 30)),  # Friday evening -> Monday morning
    (at(2026, 11, 24, 6), at(2026, 11, 24)),  # too early -> the same morning
    (at(2027, 5, 6, 10), at(2027, 5, 7)),  # Ascension Thursday -> Friday
    (at(2026, 11, 24, 15), at(2026, 11, 24, 15)),  # within working hours: unchanged
])
def test_adjust(when, expected):
    assert HOURS.adjust(when) == expected


def test_exact_times_are_kept():
    assert HOURS.adjust(at(2026, 12, 25, 11), exact=True) == at(2026, 12, 25, 11)


def test_working_days():
    assert not is_working_day(date(2027, 1, 1)) and not is_working_day(date(2026, 11, 28))
    assert next_working_day(date(2026, 12, 24)) == date(2026, 12, 28)
    assert previous_working_day(date(2026, 11, 30)) == date(2026, 11, 27)
    assert HOURS.add_working_days(at(2026, 11, 27, 10), 2) == at(2026, 12, 1, 10)


def test_next_monday():
    assert next_monday(at(2026, 11, 23, 8), HOURS) == at(2026, 11, 23)
    assert next_monday(at(2026, 11, 23, 9), HOURS) == at(2026, 11, 30)


def state(status, **kw):
    base = dict(interview_at=None, interview_done=None, visit_day=None, remote_debrief_at=None,
                follow_ups_done=frozenset())
    return CandidateState(status=status, **{**base, **kw})


def test_interview_reminders_the_working_day_before_at_17h():
    planned = {p.kind: p.due for p in plan(state(Status.ENTRETIEN_PLANIFIE, interview_at=at(2026, 11, 30, 14)), HOURS)}
    assert planned == {"entretien_veille": at(2026, 11, 27, 17), "entretien_1h": at(2026, 11, 30, 13)}


def test_croisement_reminders():
    planned = {p.kind: p.due for p in plan(state(Status.ENTRETIEN_FAIT, interview_done=date(2026, 11, 23)), HOURS)}
    assert planned == {"croisement_j7": at(2026, 11, 30), "croisement_j10": at(2026, 12, 3)}


def test_follow_ups_from_the_visits_or_the_interview_skipping_those_done():
    s = state(Status.SUIVI, interview_done=date(2026, 10, 1), visit_day=date(2026, 11, 5), follow_ups_done=frozenset({3}))
    assert {p.kind: p.due for p in plan(s, HOURS)} == {"suivi_6": at(2027, 5, 5), "suivi_12": at(2027, 11, 5)}
    s = state(Status.SUIVI, interview_done=date(2026, 10, 1))
    assert [p.due for p in plan(s, HOURS)][0] == at(2027, 1, 1 + 3)  # 1 January is a holiday: Monday 4th


def test_moved_appointment_gets_a_new_key():
    one = plan(state(Status.ENTRETIEN_PLANIFIE, interview_at=at(2026, 11, 30, 14)), HOURS)[1]
    two = plan(state(Status.ENTRETIEN_PLANIFIE, interview_at=at(2026, 11, 30, 15)), HOURS)[1]
    assert one.key(1) != two.key(1) and one.key(1).startswith("entretien_1h:1:")


def test_nothing_planned_once_closed():
    assert plan(state(Status.INSTALLE, interview_done=date(2026, 10, 1)), HOURS) == []
