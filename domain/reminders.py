"""What the protocol wants reminded, and when. Telegram-free.

``plan`` looks at one candidate's state and says which protocol reminders should exist. Each carries a key
that includes its due time, so that moving an appointment yields a new key: the old reminder is cancelled and
the new one created by the same reconciliation, never by special cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from domain.dates import PARIS, DateParseError, ImpossibleDate, Moment, parse_moment
from domain.pipeline import FOLLOW_UP_MONTHS, Status, croisement_deadline, follow_up_days
from domain.schedule import WorkingHours, is_working_day, previous_working_day

EVE_AT = time(17, 0)  # the day-before reminders
DEBRIEF_AT = time(18, 0)  # the same-evening debrief after the visits

# kind -> (short French label, whether the team is expected to act on it: then it is posted again until they do)
KINDS: dict[str, tuple[str, bool]] = {
    "entretien_veille": ("Entretien demain", False),
    "entretien_1h": ("Entretien dans une heure", False),
    "croisement_j7": ("Croisement des données : plus que 3 jours", True),
    "croisement_j10": ("Croisement des données : délai de 10 jours atteint", True),
    "visites_veille": ("Visites demain", False),
    "debrief_soir": ("Débriefing du soir (temps 2)", True),
    "debrief_distance_veille": ("Débriefing à distance demain", False),
    "debrief_distance_1h": ("Débriefing à distance dans une heure", False),
    "debrief_distance": ("Débriefing à distance (temps 3)", True),
    "suivi_3": ("Suivi à 3 mois", True),
    "suivi_6": ("Suivi à 6 mois", True),
    "suivi_12": ("Suivi à 12 mois", True),
    "libre": ("Rappel", True),
    "digest": ("Point de la semaine", False),
    "sondage_mi": ("Sondage : relance à mi-parcours", False),
    "sondage_veille": ("Sondage : relance la veille de l'échéance", False),
    "synthese": ("Synthèse à relire avant une réunion", False),
    "sondage_clos": ("Sondage clos : meilleur créneau et proposition de journée", False),
    "visite_annulee": ("Lieu qui ne peut plus recevoir la visite", False),
    "journee": ("Journée de visites confirmée", False),
    "sondage_tableau": ("Sondage envoyé : tableau des réponses", False),
    "sondage_lieu": ("Sondage envoyé à un lieu", False),
    "sondage_envoye": ("Sondage envoyé : lieux à joindre", False),
    "visite_confirmee": ("Visite confirmée à un lieu", False),
    "elus_projet": ("Information des élus à valider", False),
    "elus_croisement": ("Information des élus à valider (croisement)", False),
    "conservation": ("Anonymisation dans 7 jours", False),
    "avis": ("Avis à l'équipe", False),
}
# the reminders derived from a candidate's state by plan(); the others are created by users or by polls
PROTOCOL_KINDS = frozenset({
    "entretien_veille", "entretien_1h", "croisement_j7", "croisement_j10", "visites_veille", "debrief_soir",
    "debrief_distance_veille", "debrief_distance_1h", "debrief_distance", "suivi_3", "suivi_6", "suivi_12",
})
REPOST_AFTER_WORKING_DAYS = 2
MAX_REPOSTS = 3  # then it stays open, listed as late in the weekly digest and /rappels, without more noise


def needs_answer(kind: str) -> bool:
    return KINDS[kind][1]


def label(kind: str) -> str:
    return KINDS[kind][0]


@dataclass(frozen=True)
class Planned:
    kind: str
    due: datetime
    exact: bool

    def key(self, candidate_id: int) -> str:
        return f"{self.kind}:{candidate_id}:{self.due.astimezone(PARIS).strftime('%Y%m%dT%H%M')}"


@dataclass(frozen=True)
class CandidateState:
    status: Status
    interview_at: datetime | None
    interview_done: date | None
    visit_day: date | None
    remote_debrief_at: datetime | None
    follow_ups_done: frozenset[int]


def _eve(day: date, hours: WorkingHours) -> datetime:
    return hours.at(previous_working_day(day), EVE_AT)


def plan(state: CandidateState, hours: WorkingHours) -> list[Planned]:
    """The protocol reminders a candidate in this state should have."""
    planned: list[Planned] = []
    status = state.status
    if status is Status.ENTRETIEN_PLANIFIE and state.interview_at is not None:
        at = state.interview_at.astimezone(PARIS)
        planned += [Planned("entretien_veille", _eve(at.date(), hours), True),
                    Planned("entretien_1h", at - timedelta(hours=1), True)]
    if status is Status.ENTRETIEN_FAIT and state.interview_done is not None:
        planned.append(Planned("croisement_j7", hours.adjust(hours.at(state.interview_done + timedelta(days=7),
                                                                       hours.morning)), False))
        # the deadline itself on a day off: the alert comes on the working day before it, not after
        due = croisement_deadline(state.interview_done)
        alert = due if is_working_day(due) else previous_working_day(due)
        planned.append(Planned("croisement_j10", hours.at(alert, hours.morning), False))
    if status is Status.VISITES_PLANIFIEES and state.visit_day is not None:
        planned += [Planned("visites_veille", _eve(state.visit_day, hours), True),
                    Planned("debrief_soir", hours.at(state.visit_day, DEBRIEF_AT), True)]
    if status is Status.VISITES_FAITES and state.remote_debrief_at is not None:
        at = state.remote_debrief_at.astimezone(PARIS)
        planned += [Planned("debrief_distance_veille", _eve(at.date(), hours), True),
                    Planned("debrief_distance_1h", at - timedelta(hours=1), True),
                    Planned("debrief_distance", at, True)]
    if status in (Status.SUIVI, Status.EN_REFLEXION):
        for months, day in follow_up_plan(state).items():
            if months not in state.follow_ups_done:
                planned.append(Planned(f"suivi_{months}", hours.adjust(hours.at(day, hours.morning)), False))
    return planned


def follow_up_plan(state: CandidateState) -> dict[int, date]:
    """Follow-up calls at 3, 6 and 12 months after the visits, or after the interview when there were none."""
    base = state.visit_day or state.interview_done
    if base is None:
        return {}
    return dict(zip(FOLLOW_UP_MONTHS, follow_up_days(base), strict=True))


def next_monday(now: datetime, hours: WorkingHours) -> datetime:
    """The weekly digest's next time: Monday at the morning hour, strictly after ``now``."""
    local = now.astimezone(PARIS)
    day = local.date() + timedelta(days=(7 - local.weekday()) % 7)
    moment = hours.at(day, hours.morning)
    return moment if moment > local else hours.at(day + timedelta(days=7), hours.morning)


def extract_when(text: str, now: datetime) -> tuple[str, Moment]:
    """Split "appeler la mairie de Conliège mardi 10h" into what to do and when (the date at either end)."""
    words = text.split()
    for i in range(1, len(words)):  # the longest date at the end first
        try:
            return " ".join(words[:i]), parse_moment(" ".join(words[i:]), now)
        except ImpossibleDate:
            raise  # "le 31 février" is refused with its reason, never read as "février" alone
        except DateParseError:
            continue
    for j in range(len(words) - 1, 0, -1):  # then at the start
        try:
            return " ".join(words[j:]), parse_moment(" ".join(words[:j]), now)
        except ImpossibleDate:
            raise
        except DateParseError:
            continue
    raise DateParseError("Je n'ai pas trouvé de date dans ce rappel.")
