"""The protocol's statuses, transitions and deadlines."""

from datetime import date, datetime

import pytest

from domain.dates import PARIS
from domain.pipeline import (
    Status,
    TransitionError,
    allowed_moves,
    check_transition,
    croisement_deadline,
    follow_up_days,
    next_step,
)


def test_forward_path_is_allowed():
    path = [Status.NOUVEAU, Status.ENTRETIEN_PLANIFIE, Status.ENTRETIEN_FAIT, Status.CROISEMENT,
            Status.VISITES_PLANIFIEES, Status.VISITES_FAITES, Status.SUIVI, Status.INSTALLE]
    for a, b in zip(path, path[1:], strict=False):
        check_transition(a, b)


@pytest.mark.parametrize("a,b", [(Status.NOUVEAU, Status.INSTALLE), (Status.INSTALLE, Status.SUIVI),
                                 (Status.ENTRETIEN_PLANIFIE, Status.CROISEMENT), (Status.ABANDON, Status.INSTALLE)])
def test_skipping_steps_is_refused_in_french(a, b):
    with pytest.raises(TransitionError, match="ne peut pas passer"):
        check_transition(a, b)


def test_abandon_possible_from_every_open_status():
    for status in Status:
        if status not in (Status.INSTALLE, Status.ABANDON):
            assert Status.ABANDON in allowed_moves(status)
    assert allowed_moves(Status.INSTALLE) == []


def test_croisement_within_ten_days():
    assert croisement_deadline(date(2026, 11, 26)) == date(2026, 12, 6)


def test_follow_ups_at_three_six_twelve_months_with_month_ends():
    assert follow_up_days(date(2026, 11, 30)) == [date(2027, 2, 28), date(2027, 5, 30), date(2027, 11, 30)]


def test_next_step_flags_a_late_croisement():
    step = next_step(Status.ENTRETIEN_FAIT, interview_at=None, interview_done=date(2026, 11, 2), today=date(2026, 11, 23))
    assert step.late and step.due == date(2026, 11, 12) and "en retard" in step.text
    step = next_step(Status.ENTRETIEN_FAIT, interview_at=None, interview_done=date(2026, 11, 20), today=date(2026, 11, 23))
    assert not step.late and step.text == "croisement avant le lundi 30 novembre 2026"


def test_next_step_names_the_interview():
    at = datetime(2026, 11, 26, 14, 0, tzinfo=PARIS)
    step = next_step(Status.ENTRETIEN_PLANIFIE, interview_at=at, interview_done=None, today=date(2026, 11, 23))
    assert step.text == "entretien le jeudi 26 novembre 2026 à 14 h 00" and not step.late
