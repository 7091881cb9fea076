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
