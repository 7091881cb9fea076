"""Step F end to end: /export, meetings and their summaries pushed a week before, the weekly pulse."""

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from tests.support import register_candidate, texts_of


async def test_export_xlsx_and_csv_with_filters(sb):
    await register_candidate(sb)
    await register_candidate(sb, first="Luc", last="Bernard", profession="Infirmier", interview=None)
    out = await sb.say("cls", "/export")
    document = out[-1]
    assert document.kind == "document" and document.file_name.endswith(".xlsx")
    assert "à ne pas diffuser hors de l'équipe" in document.text
    sheet = load_workbook(io.BytesIO(document.file_data))["Candidats"]
    assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["Marie", "Luc"]
    out = await sb.say("cls", "/export csv infirmier")
    rows = list(csv.reader(io.StringIO(out[-1].file_data.decode("utf-8-sig")), delimiter=";"))
    assert [r[1] for r in rows[1:]] == ["Luc"] and "infirmier" in out[-1].text
    out = await sb.say("cls", "/export 2025")
    assert load_workbook(io.BytesIO(out[-1].file_data))["Candidats"].max_row == 1  # nobody in 2025
    assert "Je ne connais pas le filtre « zorglub »" in texts_of(await sb.say("cls", "/export zorglub"))


async def test_a_configured_meeting_gets_its_summary_seven_days_before(sb):
    await register_candidate(sb)
    out = texts_of(await sb.say("cls", "/reunion copil 12 mars 2027 14h"))
    assert "Copil CLS le jeudi 12 mars 2027 à 14 h 00" not in out  # 12 March 2027 is a Friday
    assert "vendredi 12 mars 2027 à 14 h 00" in out and "proposée ici le vendredi 5 mars 2027" in out
    listing = texts_of(await sb.say("cls", "/reunions"))
    assert "• Copil CLS : vendredi 12 mars 2027 à 14 h 00" in listing
    assert "• Conférence des maires" in listing and "date par défaut" in listing
    out = await sb.advance(timedelta(days=102))  # to Friday 5 March 2027, 9:00 (7 + 31 + 31 + 28 + 5 days)
    pushed = [s for s in out if s.text.startswith("📝 À relire avant la réunion (Copil CLS")]
    assert len(pushed) == 1
    files = [s for s in out if s.kind in ("photo", "document") and s.file_name.startswith(("synthese-copil", "tableau-copil"))]
    assert {s.kind for s in files} == {"photo", "document"}
    assert files[0].file_data.startswith(b"\x89PNG") or files[1].file_data.startswith(b"\x89PNG")
    text = pushed[0].text
    assert "Par territoire" in text and "Marie" not in text and "Dupont" not in text and "06 12" not in text


async def test_summary_on_demand_and_bad_input(sb):
    await register_candidate(sb)
    out = await sb.say("cpts1", "/synthese cpam 12 derniers mois")
    assert [s.kind for s in out] == ["photo", "document", "message"]
    assert "Dialogue de gestion CPAM/ARS" in out[-1].text and "Candidats : <b>" not in out[-1].text
    assert "• Candidats : 1" in out[-1].text
    assert "Usage" in texts_of(await sb.say("cpts1", "/synthese"))
    assert "Je n'ai pas compris la période" in texts_of(await sb.say("cpts1", "/synthese copil hier soir"))
    assert "Usage" in texts_of(await sb.say("cpts1", "/reunion pique-nique demain"))
    assert "déjà passé" in texts_of(await sb.say("cpts1", "/reunion cdom hier 10h"))


async def test_weekly_pulse_with_monday_digest(sb):
    await register_candidate(sb)
    out = await sb.advance(timedelta(days=7))
    digest = [s.text for s in out if s.text.startswith("🗓 Point de la semaine")][-1]
    assert "Les 7 derniers jours" in digest and "1 nouveau(x) candidat(s)" in digest


async def test_export_by_epci_follows_the_territories_wished_at_the_interview(sb):
    from tests.handlers.test_sites import interview_for_croisement

    await interview_for_croisement(sb)  # n° 1 wishes for ECLA, no croisement yet
    await register_candidate(sb, first="Louis", last="Perrin", interview=None)  # n° 2: no wish known
    out = await sb.say("cls", "/export csv ECLA")
    rows = list(csv.reader(io.StringIO(out[-1].file_data.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["1"]
    assert "ECLA" in out[-1].text
