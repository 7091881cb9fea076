"""The croisement's ranking rules, on plain data."""

from domain.matching import SiteFacts, Wishes, cross
from domain.territory import epci_key, name_key


def site(id, name, *, type="msp", commune="Conliège", epci="ecla", sought=("medecin_generaliste",),
         modes=("liberal",), pluripro=True, premises=False, secretariat=False, dynamique=None):
    return SiteFacts(id, name, type, commune, epci, frozenset(sought), frozenset(modes), pluripro, premises,
                     secretariat, dynamique)


WISHES = Wishes(profession="medecin_generaliste", profession_label="Médecin généraliste",
                modes=frozenset({"liberal"}), territories=frozenset({"ecla"}), practice="regroupe", pluripro="oui",
                needs_premises=True)


def test_hard_criteria_decide_and_soft_ones_rank_with_reasons():
    sites = [
        site(1, "MSP de Conliège", premises=True),
        site(2, "Cabinet de Bletterans", type="cabinet_medical", commune="Bletterans", epci="bresse_haute_seille",
             pluripro=False),
        site(3, "Centre de santé", modes=("salarie",)),  # no liberal practice: out
        site(4, "MSP des sages-femmes", sought=("sage_femme",)),  # not seeking this profession: out
    ]
    result = cross(WISHES, sites, {}, seed=1)
    assert [m.site.id for m in result.ranked] == [1, 2]
    first, second = result.ranked
    assert first.matched == ["recherche : médecin généraliste", "mode proposé : libéral", "territoire souhaité (ECLA)",
                             "exercice regroupé", "équipe pluriprofessionnelle", "locaux disponibles"]
    assert first.missed == [] and first.score > second.score
    assert second.missed == ["hors des territoires souhaités (CC Bresse Haute Seille)", "exercice isolé",
                             "pas d'équipe pluriprofessionnelle", "pas de locaux disponibles"]
    assert result.dynamics == [] and result.left_out == 2


def test_belle_dynamique_section_only_for_candidates_open_to_it():
    sites = [site(1, "MSP"), site(5, "Centre dynamique", modes=("salarie",), dynamique="Équipe soudée et projet de prévention"),
             site(6, "Centre sans note", modes=("salarie",))]
    closed = cross(WISHES, sites, {}, seed=1)
    assert closed.dynamics == [] and closed.left_out == 2
    opened = cross(Wishes(**{**WISHES.__dict__, "open_to_dynamics": True}), sites, {}, seed=1)
    assert [m.site.id for m in opened.dynamics] == [5]
    assert opened.dynamics[0].hard_missed == ["ne propose pas d'exercice libéral"]


def test_named_commune_beats_the_epci():
    wishes = Wishes(**{**WISHES.__dict__, "communes": frozenset({name_key("Perrigny")})})
    result = cross(wishes, [site(1, "A", commune="Conliège"), site(2, "B", commune="Perrigny")], {}, seed=1)
    assert [m.site.id for m in result.ranked] == [2, 1] and "commune citée (Perrigny)" in result.ranked[0].matched


def test_equal_scores_favour_the_site_proposed_least_then_rotate():
    sites = [site(i, f"MSP {i}") for i in range(1, 6)]
    exposure = {1: (5, 2), 2: (0, 0), 3: (1, 0)}
    order = [m.site.id for m in cross(WISHES, sites, exposure, seed=7).ranked]
    assert order[0] in (2, 4, 5) and order[-1] == 1 and order.index(3) > order.index(2)
    # among sites never proposed, the order changes from one candidate to the next: none is always last
    lasts = {[m.site.id for m in cross(WISHES, sites, {}, seed=s).ranked][-1] for s in range(30)}
    assert len(lasts) > 1


def test_undecided_candidates_accept_any_mode():
    wishes = Wishes(**{**WISHES.__dict__, "modes": frozenset({"indecis"})})
    assert [m.site.id for m in cross(wishes, [site(3, "Centre", modes=("salarie",))], {}, seed=1).ranked] == [3]


def test_names_are_matched_without_accents_case_or_hyphens():
    assert name_key("lons le saunier") == name_key("Lons-le-Saunier")
    assert name_key("St Amour") == name_key("Saint-Amour")
    assert name_key("L'Étoile") == name_key("l etoile")
    assert epci_key("ECLA") == "ecla" and epci_key("bresse") == "bresse_haute_seille"
    assert epci_key("Terre d'Emeraude") == "terre_emeraude" and epci_key("Paris") is None
