"""The protocol's pipeline: a candidate's statuses, the moves allowed between them, and its deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from dateutil.relativedelta import relativedelta

from domain.dates import PARIS, format_date, format_datetime
from domain.schedule import day_off, previous_working_day


class Status(StrEnum):
    NOUVEAU = "nouveau"
    ENTRETIEN_PLANIFIE = "entretien_planifie"
    ENTRETIEN_FAIT = "entretien_fait"
    CROISEMENT = "croisement"
    VISITES_PLANIFIEES = "visites_planifiees"
    VISITES_FAITES = "visites_faites"
    SUIVI = "suivi"
    INSTALLE = "installe"
    EN_REFLEXION = "en_reflexion"
    ABANDON = "abandon"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    Status.NOUVEAU: "nouveau",
    Status.ENTRETIEN_PLANIFIE: "entretien planifié",
    Status.ENTRETIEN_FAIT: "entretien fait",
    Status.CROISEMENT: "croisement",
    Status.VISITES_PLANIFIEES: "visites planifiées",
    Status.VISITES_FAITES: "visites faites",
    Status.SUIVI: "suivi",
    Status.INSTALLE: "installé",
    Status.EN_REFLEXION: "en réflexion",
    Status.ABANDON: "abandon",
}

FINAL = frozenset({Status.INSTALLE, Status.ABANDON})

# Forward along the protocol, plus the moves real life needs: an interview moved back to planning, a
# candidate who pauses (en réflexion) and comes back, an abandon at any point.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    # an interview may be held without its appointment having been recorded first
    Status.NOUVEAU: frozenset({Status.ENTRETIEN_PLANIFIE, Status.ENTRETIEN_FAIT, Status.ABANDON}),
    Status.ENTRETIEN_PLANIFIE: frozenset({Status.NOUVEAU, Status.ENTRETIEN_FAIT, Status.ABANDON}),
    Status.ENTRETIEN_FAIT: frozenset({Status.CROISEMENT, Status.EN_REFLEXION, Status.ABANDON}),
    Status.CROISEMENT: frozenset({Status.VISITES_PLANIFIEES, Status.SUIVI, Status.EN_REFLEXION, Status.ABANDON}),
    Status.VISITES_PLANIFIEES: frozenset({Status.CROISEMENT, Status.VISITES_FAITES, Status.ABANDON}),
    Status.VISITES_FAITES: frozenset({Status.SUIVI, Status.INSTALLE, Status.EN_REFLEXION, Status.ABANDON}),
    Status.SUIVI: frozenset({Status.INSTALLE, Status.EN_REFLEXION, Status.ABANDON}),
    Status.EN_REFLEXION: frozenset({Status.SUIVI, Status.CROISEMENT, Status.INSTALLE, Status.ABANDON}),
    Status.INSTALLE: frozenset(),
    Status.ABANDON: frozenset({Status.EN_REFLEXION}),  # a candidate may come back
}

CROISEMENT_DAYS = 10
FOLLOW_UP_MONTHS = (3, 6, 12)


class TransitionError(ValueError):
    """A status change the protocol does not allow; ``str(err)`` is French."""


def allowed_moves(current: Status) -> list[Status]:
    """Statuses reachable from ``current``, in pipeline order."""
    return [s for s in Status if s in TRANSITIONS[current]]


def check_transition(current: Status, target: Status) -> None:
    if target not in TRANSITIONS[current]:
        raise TransitionError(f"Un dossier « {current.label} » ne peut pas passer à « {target.label} ».")


def croisement_deadline(interview_day: date) -> date:
    """The CPTS crosses the candidate's wishes with the sites within 10 days of the interview."""
    return interview_day + timedelta(days=CROISEMENT_DAYS)


def deadline_note(due: date) -> str:
    """What to add when a deadline falls on a day off: the team is warned on the working day before it."""
    off = day_off(due)
    if off is None:
        return ""
    return f" — {off} : l'alerte du délai viendra le {format_date(previous_working_day(due))}"


def follow_up_days(base: date) -> list[date]:
    """The phone follow-ups at 3, 6 and 12 months after the visits (or the interview when none)."""
    return [base + relativedelta(months=m) for m in FOLLOW_UP_MONTHS]


@dataclass(frozen=True)
class NextStep:
    text: str
    due: date | None = None
    late: bool = False


def next_step(status: Status, *, interview_at: datetime | None, interview_done: date | None, today: date) -> NextStep:
    """What the team has to do next for a candidate, in French, with its due date."""
    if status is Status.NOUVEAU:
        return NextStep("proposer un rendez-vous d'entretien")
    if status is Status.ENTRETIEN_PLANIFIE:
        if interview_at is None:
            return NextStep("fixer la date de l'entretien")
        day = interview_at.astimezone(PARIS).date()
        return NextStep(f"entretien le {format_datetime(interview_at)}", day, late=day < today)
    if status is Status.ENTRETIEN_FAIT:
        if interview_done is None:
            return NextStep("faire le croisement des données")
        due = croisement_deadline(interview_done)
        late = due < today
        return NextStep(f"croisement {'en retard depuis' if late else 'avant'} le {format_date(due)}"
                        + ("" if late else deadline_note(due)), due, late)
    if status is Status.CROISEMENT:
        return NextStep("organiser les visites des lieux d'exercice")
    if status is Status.VISITES_PLANIFIEES:
        return NextStep("visites, puis débriefing le soir même")
    if status is Status.VISITES_FAITES:
        return NextStep("débriefing à distance")
    if status is Status.SUIVI:
        return NextStep("appels de suivi à 3, 6 et 12 mois")
    if status is Status.EN_REFLEXION:
        return NextStep("reprendre contact")
    return NextStep("dossier clos")
