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


async def test_an_export_over_a_period_lists_who_was_first_contacted_or_changed_in_it(sb):
    from storage import candidates

    await register_candidate(sb)  # n° 1, first contacted in November 2026
    await register_candidate(sb, first="Luc", last="Bernard", interview=None)  # n° 2
    await sb.advance(timedelta(days=60))  # January 2027
    await candidates.update(sb.db, 2, {"phone": "06 99 88 77 66"}, by=0, at=sb.clock.utc_iso(), kind="correction",
                            detail="Téléphone corrigé")

    async def listed(period: str) -> list[str]:
        out = await sb.say("cls", f"/export csv {period}")
        return [r[1] for r in list(csv.reader(io.StringIO(out[-1].file_data.decode("utf-8-sig")), delimiter=";"))[1:]]

    assert await listed("2026") == ["Marie", "Luc"]
    assert await listed("2027") == ["Luc"]  # changed in January
    assert await listed("2025") == []
    sheet = load_workbook(io.BytesIO((await sb.say("cls", "/export 2027"))[-1].file_data))["Candidats"]
    assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["Luc"]


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
    files = [s for s in out if s.kind in ("photo", "document") and s.file_name.startswith("synthese-copil")]
    assert {s.kind for s in files} == {"photo", "document"}
    book = load_workbook(io.BytesIO(next(s.file_data for s in files if s.kind == "document")))
    assert book.sheetnames == ["Indicateurs", "Lieux"]  # the élus' meeting: counts only
    assert files[0].file_data.startswith(b"\x89PNG") or files[1].file_data.startswith(b"\x89PNG")
    text = pushed[0].text
    assert "Par territoire" in text and "Marie" not in text and "Dupont" not in text and "06 12" not in text


async def test_summary_on_demand_and_bad_input(sb):
    await register_candidate(sb)
    out = await sb.say("cpts1", "/synthese cpam 12 derniers mois")
    assert [s.kind for s in out] == ["photo", "document", "message"]
    assert [s.file_name for s in out[:2]] == ["synthese-cpam-ars.png", "synthese-cpam-ars.xlsx"]
    assert "Dialogue de gestion CPAM/ARS" in out[-1].text and "Candidats : <b>" not in out[-1].text
    assert "• Candidats : 1" in out[-1].text
    book = load_workbook(io.BytesIO(out[1].file_data))  # the period's candidates, de-identified, and its indicators
    assert book.sheetnames == ["Dossiers", "Indicateurs", "Lieux"]
    rows = list(book["Dossiers"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [(1, "Médecin généraliste", "ARS", "entretien planifié")]
    assert dict(book["Indicateurs"].iter_rows(min_row=2, values_only=True))["Candidats"] == 1
    assert "Usage" in texts_of(await sb.say("cpts1", "/synthese"))
    assert "Je n'ai pas compris la période" in texts_of(await sb.say("cpts1", "/synthese copil hier soir"))
    assert "Usage" in texts_of(await sb.say("cpts1", "/reunion pique-nique demain"))
    assert "déjà passé" in texts_of(await sb.say("cpts1", "/reunion cdom hier 10h"))


async def test_a_summary_asked_for_now_counts_what_was_done_today(sb):
    await register_candidate(sb)  # first contact today
    text = (await sb.say("cls", "/synthese coordination"))[-1].text
    assert "au lundi 23 novembre 2026, comparée" in text and "• Candidats : 1 " in text


async def test_needs_said_at_an_interview_reach_the_professionals_summary(sb):
    from tests.handlers.test_sites import interview_for_croisement

    await interview_for_croisement(sb)  # premises: "Un bureau"
    await register_candidate(sb, first="Louis", last="Perrin", interview=None)  # not interviewed
    text = (await sb.say("cpts1", "/synthese coordination 12 derniers mois"))[-1].text
    assert "Besoins exprimés par les candidats\n• locaux : 1 candidat(s)\n\n" in text
    assert "• Entretiens : 1 " in text and "Louis" not in text


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


async def _candidats(sb, command="/export") -> list[dict]:
    document = (await sb.say("cls", command))[-1]
    sheet = load_workbook(io.BytesIO(document.file_data))["Candidats"]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


async def test_every_export_shows_what_changed_since_the_last_one(sb):
    from datetime import datetime

    from storage import sites
    from tests.handlers.test_sites import import_sites, interview_for_croisement

    await import_sites(sb, [["MSP de Conliège", "MSP", "Conliège", "médecin généraliste", "libéral", "oui", "oui", ""]])
    await interview_for_croisement(sb)
    await sb.say("cls", "/croisement 1")
    await sb.press("cls", "1. MSP")
    await sb.press("cls", "Valider")
    first = await _candidats(sb)
    assert await _candidats(sb) == first
    proposed = first[0]["Lieux contactés"]
    assert proposed.startswith("MSP")

    # a visit planned in the chat ...
    await sb.say("cls", f"/visites 1 vendredi 4 décembre : {proposed}")
    row = (await _candidats(sb))[0]
    assert row["Jour des visites"] == datetime(2026, 12, 4) and row["Lieux visités"] == proposed
    # ... a status changed from the card ...
    await sb.say("cls", "/dossier 1")
    await sb.press("cls", "Changer le statut")
    await sb.press("cls", "abandon")
    assert (await _candidats(sb))[0]["Statut"] == "abandon"
    # ... a site renamed, in the rows of the candidates it was proposed to
    site_id = next(s.id for s in await sites.all_sites(sb.db) if s.name == proposed)
    await sites.update(sb.db, site_id, {"name": "MSP des Coteaux"}, at=sb.clock.utc_iso())
    assert "MSP des Coteaux" in (await _candidats(sb))[0]["Lieux contactés"]
    # and the CSV shows the same
    out = await sb.say("cls", "/export csv")
    rows = list(csv.reader(io.StringIO(out[-1].file_data.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][rows[0].index("Lieux contactés")] == "MSP des Coteaux" and rows[1][rows[0].index("Statut")] == "abandon"


async def test_a_table_that_takes_time_is_announced_then_sent(sb, monkeypatch):
    from handlers import reporting

    await register_candidate(sb)
    out = await sb.say("cls", "/export")  # quick: the table alone
    assert len(out) == 1 and out[0].file_data
    monkeypatch.setattr(reporting, "PROGRESS_AFTER", 0.0)  # as if writing it took longer than that
    for command in ("/export", "/export csv"):
        out = await sb.say("cls", command)
        assert "⏳ Le tableau est en cours de préparation" in out[0].text and not out[0].file_data
        assert len(out) == 2 and out[1].file_data and "Dupont" in _text_of(out[1])


def _text_of(document) -> str:
    if document.file_name.endswith(".csv"):
        return document.file_data.decode("utf-8-sig")
    sheet = load_workbook(io.BytesIO(document.file_data))["Candidats"]
    return " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row)


async def test_an_export_or_a_summary_over_a_period_that_cannot_be_says_why_and_sends_nothing(sb):
    cases = {
        "/export du 10 mars 2026 au 1 janvier 2026": "la fin est avant le début",
        "/export csv du 31 Février 2026 au 10 mars 2026": "Date de début : la date « 31 Février 2026 » n'existe pas.",
        "/synthese copil du 1er janvier 2026 au 32 mars 2026": "La date « 32 mars 2026 » n'existe pas.",
    }
    for typed, reason in cases.items():
        out = await sb.say("cls", typed)
        assert reason in texts_of(out) and not [s for s in out if s.kind != "message"], typed  # no file


async def test_the_csv_export_writes_a_formula_typed_as_a_name_as_text(sb):
    """French Excel opens /export csv: a cell that starts like a formula (=, +, -, @, a tab, a carriage return) is
    written after a quote, as OWASP advises, so that nothing runs; numbers and dates stay as they are."""
    formula = '=HYPERLINK("http://exemple.invalid","Cliquez")'
    await register_candidate(sb, first="@Marie", last=formula)
    rows = list(csv.reader(io.StringIO((await sb.say("cls", "/export csv"))[-1].file_data.decode("utf-8-sig")),
                           delimiter=";"))
    header, row = rows[0], rows[1]
    assert row[header.index("Nom")] == "'" + formula
    assert row[header.index("Prénom")] == "'@Marie"
    assert not [cell for cell in row if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert row[0] == "1"  # the dossier's number, untouched
    sheet = load_workbook(io.BytesIO((await sb.say("cls", "/export"))[-1].file_data))["Candidats"]
    assert [c.value for c in sheet[2]][2] == formula  # the XLSX keeps it as it was typed, a text cell
