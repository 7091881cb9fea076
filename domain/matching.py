"""The croisement des données: the candidate's wishes crossed with the territory's practice sites. Telegram-free.

Hard criteria decide whether a site is proposed: it seeks the candidate's profession and offers a mode the
candidate accepts. Soft criteria rank the proposed sites: territory wished, isolated or grouped practice,
pluripro team, premises, and needs. Sites that miss exactly one hard criterion but carry a "belle dynamique" are
listed apart for candidates open to it. Among equal scores, the site proposed least over the last 12 months comes
first, then an order that changes from candidate to candidate: no site is always last.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.territory import EPCI_LABELS, name_key

SITE_TYPES = {
    "cabinet_medical": "Cabinet médical",
    "cabinet_groupe": "Cabinet de groupe",
    "msp": "MSP",
    "centre_sante": "Centre de santé",
    "maison_medicale": "Maison médicale",
    "esp": "ESP",
    "autre": "Autre",
}
GROUPED_TYPES = frozenset({"cabinet_groupe", "msp", "centre_sante", "maison_medicale", "esp"})
SITE_MODES = {"liberal": "libéral", "salarie": "salarié", "mixte": "mixte", "remplacement": "remplacement",
              "collaboration": "collaboration"}
CANDIDATE_MODES = {"liberal": "libéral", "salarie": "salarié", "mixte": "mixte", "remplacant": "en remplacement"}
# the candidate's modes (interview) and the site modes that satisfy each
MODE_MATCHES = {"liberal": {"liberal", "collaboration", "mixte"}, "salarie": {"salarie", "mixte"},
                "mixte": {"mixte", "liberal", "salarie"}, "remplacant": {"remplacement"}}


@dataclass(frozen=True)
class SiteFacts:
    id: int
    name: str
    type: str
    commune: str
    epci: str
    professions_sought: frozenset[str]
    modes: frozenset[str]
    pluripro: bool
    premises_available: bool
    has_secretariat: bool
    dynamique: str | None
    in_project: bool = False


@dataclass(frozen=True)
class Wishes:
    profession: str
    profession_label: str
    modes: frozenset[str] = frozenset()  # empty or "indecis": any
    territories: frozenset[str] = frozenset()  # EPCI keys; "tout" or empty: the whole territory
    communes: frozenset[str] = frozenset()  # name keys
    practice: str | None = None  # isole | regroupe | indifferent
    pluripro: str | None = None  # oui | non | indifferent
    needs_premises: bool = False
    needs_secretariat: bool = False
    open_to_dynamics: bool = False


@dataclass
class Match:
    site: SiteFacts
    score: int = 0
    matched: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    hard_missed: list[str] = field(default_factory=list)
    proposed: int = 0
    contacted: int = 0


@dataclass
class Crossing:
    ranked: list[Match]
    dynamics: list[Match]
    left_out: int


def _hard(site: SiteFacts, wishes: Wishes, match: Match) -> None:
    if wishes.profession in site.professions_sought:
        match.matched.append(f"recherche : {wishes.profession_label.lower()}")
    else:
        match.hard_missed.append(f"ne recherche pas de {wishes.profession_label.lower()}")
    accepted = wishes.modes - {"indecis"}
    if not accepted:
        return
    offered = set().union(*(MODE_MATCHES.get(m, {m}) for m in accepted)) & site.modes
    if offered:
        match.matched.append("mode proposé : " + ", ".join(SITE_MODES[m] for m in sorted(offered)))
    else:
        wanted = " ni ".join(CANDIDATE_MODES.get(m, m) for m in sorted(accepted))
        match.hard_missed.append(f"ne propose pas d'exercice {wanted}")


def _soft(site: SiteFacts, wishes: Wishes, match: Match) -> None:
    territories = wishes.territories - {"tout"}
    if name_key(site.commune) in wishes.communes:
        match.score += 3
        match.matched.append(f"commune citée ({site.commune})")
    elif not territories or site.epci in territories:
        match.score += 2
        match.matched.append(f"territoire souhaité ({EPCI_LABELS.get(site.epci, site.epci)})")
    else:
        match.missed.append(f"hors des territoires souhaités ({EPCI_LABELS.get(site.epci, site.epci)})")
    grouped = site.type in GROUPED_TYPES
    if wishes.practice == "regroupe":
        (match.matched if grouped else match.missed).append("exercice regroupé" if grouped else "exercice isolé")
        match.score += 2 if grouped else 0
    elif wishes.practice == "isole":
        (match.missed if grouped else match.matched).append("exercice regroupé" if grouped else "exercice isolé")
        match.score += 0 if grouped else 2
    if wishes.pluripro == "oui":
        if site.pluripro:
            match.score += 2
            match.matched.append("équipe pluriprofessionnelle")
        else:
            match.missed.append("pas d'équipe pluriprofessionnelle")
    elif wishes.pluripro == "non" and not site.pluripro:
        match.score += 1
    if wishes.needs_premises:
        if site.premises_available:
            match.score += 1
            match.matched.append("locaux disponibles")
        else:
            match.missed.append("pas de locaux disponibles")
    if wishes.needs_secretariat and site.has_secretariat:
        match.score += 1
        match.matched.append("secrétariat")
    if site.dynamique:
        match.score += 1
        match.matched.append("belle dynamique")
    if site.in_project:
        match.missed.append("lieu encore en projet")


def _tiebreak(site_id: int, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{site_id}".encode()).hexdigest()


def cross(wishes: Wishes, sites: list[SiteFacts], exposure: Mapping[int, tuple[int, int]], *, seed: int) -> Crossing:
    """Rank the sites for a candidate; ``exposure`` gives each site's (proposed, contacted) over 12 months."""
    ranked, dynamics, left_out = [], [], 0
    for site in sites:
        match = Match(site)
        match.proposed, match.contacted = exposure.get(site.id, (0, 0))
        _hard(site, wishes, match)
        _soft(site, wishes, match)
        if not match.hard_missed:
            ranked.append(match)
        elif len(match.hard_missed) == 1 and site.dynamique and wishes.open_to_dynamics:
            dynamics.append(match)
        else:
            left_out += 1

    def order(m: Match):
        return (-m.score, m.proposed, m.contacted, _tiebreak(m.site.id, seed))

    return Crossing(sorted(ranked, key=order), sorted(dynamics, key=order), left_out)
