"""The console sandbox replays a script and prints the transcript."""

import io

from sandbox import console
from tests.conftest import MONDAY

SCRIPT = """\
# a team member registers a candidate, a stranger is turned away
/nouveau
Marie
Dupont
:press généraliste
:press Passer
:press Passer
:press ARS
:press Aujourd'hui
:press Oui
:press Oui
jeudi 14h
:press Oui
:press Confirmer
:as inconnu
:in prive
/dossiers
:advance 2 jours
:press rien
:bizarre
:quit
/aide
"""


async def test_script_replay(tmp_path):
    out = io.StringIO()
    code = await console.run(tmp_path / "c.sqlite3", MONDAY,
                             io.StringIO(SCRIPT), out)
    transcript = out.getvalue()
    assert code == 0
    assert "cls@équipe> /nouveau" in transcript
    assert "[équipe] 🤖" in transcript and "[ Médecin généraliste ]" in transcript
    assert "Dossier n° 1 créé" in transcript
    assert "[privé inconnu] 🤖\n  Bonjour. Ce bot est réservé à l'équipe" in transcript
    assert "(il est maintenant mercredi 25 novembre 2026 à 9 h 00)" in transcript
    assert "(aucun bouton « rien »" in transcript and "(directive inconnue" in transcript
    assert "/aide" not in transcript.split(":quit")[-1]  # nothing runs after :quit


def test_durations():
    assert console.parse_duration("1h30", MONDAY).total_seconds() == 5400
    assert console.parse_duration("2 jours", MONDAY).days == 2
    assert console.parse_duration("3 mois", MONDAY).days == 92  # 23 Nov -> 23 Feb: 7 + 31 + 31 + 23


async def test_a_console_opened_again_on_its_database_still_answers(tmp_path):
    from sandbox.sandbox import Sandbox
    from tests.conftest import MONDAY

    for _ in range(2):  # the default console database is kept from one session to the next
        async with Sandbox(tmp_path / "bac-a-sable.sqlite3", start=MONDAY) as sb:
            out = await sb.say("cls", "/commande_inconnue")
            assert "Je ne connais pas la commande /commande_inconnue" in out[-1].text


def test_a_page_title_broken_in_two_lines_reads_as_two_lines():
    """The poll page's title puts the site's name under « Demande de disponibilité »: the console shows two lines,
    not the two run together."""
    from sandbox.console import page_text

    shown = page_text('<main><h1>Demande de disponibilité<br><span class="site">Cabinet de Macornay</span></h1>'
                      "<p>Un &amp; deux</p></main>")
    assert shown == ["Demande de disponibilité", "Cabinet de Macornay", "Un & deux"]


async def test_a_site_answering_from_its_link_once_the_poll_is_closed_is_shown_the_page_not_a_refusal(tmp_path):
    from datetime import datetime

    from domain.dates import PARIS
    from sandbox.scenarios import ROOT

    scenarios = sorted((ROOT / "docs" / "scenarios").glob("0[1-6]*.txt"))
    script = "".join(p.read_text() for p in scenarios) + (
        ":as cpts1\n:in equipe\n/sondage 1\n:press Clore maintenant\n:web oui oui | Nadia Roux\n")
    out = io.StringIO()
    code = await console.run(tmp_path / "c.sqlite3", datetime(2026, 11, 23, 9, 0, tzinfo=PARIS), io.StringIO(script), out)
    last = out.getvalue().split(":web oui oui | Nadia Roux")[-1]
    assert code == 0 and "page ouverte (200), sans réponse possible" in last
    assert "Ce sondage est clos : vos réponses ne peuvent plus changer." in last and "Formulaire non valable" not in last
