"""The reporting table read back with openpyxl and csv; summaries per audience; the chart."""

import csv
import io
import zipfile
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from domain.exports import CANDIDATE_HEADERS, Filters, candidates_csv, workbook
from domain.summaries import MEETING_KINDS, chart, default_dates, needs_expressed, summary
from tests.domain.test_indicators import Q3, fixture, stored_indicators


async def test_workbook_sheets_headers_types_values(tmp_path):
    data = fixture()
    data.answers = {1: {"motivations": "Quitter la ville", "modes": ["liberal"], "enfants": 2}}
    book = load_workbook(io.BytesIO(workbook(data, Filters(), await stored_indicators(data, Q3, tmp_path))))
    assert book.sheetnames == ["Candidats", "Lieux", "Visites", "Suivis", "Indicateurs"]
    sheet = book["Candidats"]
    headers = [c.value for c in sheet[1]]
    assert headers == CANDIDATE_HEADERS and sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    row = {h: c.value for h, c in zip(headers, sheet[2], strict=True)}
    assert row["N°"] == 1 and row["Prénom"] == "P1" and row["Profession"] == "Médecin généraliste"
    assert row["Premier contact"] == datetime(2026, 7, 6)  # a real Excel date
    assert sheet.cell(2, headers.index("Premier contact") + 1).number_format == "DD/MM/YYYY"
    assert row["Croisement fait"] == datetime(2026, 7, 20, 11, 0)  # Paris time
    assert row["Lieux proposés"] == "MSP de Conliège, Cabinet de Bletterans" and row["Lieux contactés"] == "MSP de Conliège"
    assert row["Statut"] == "installé" and row["Lieu d'installation"] == "MSP de Conliège"
    assert row["Motivations"] == "Quitter la ville" and row["Mode d'exercice"] == "Libéral" and row["Nombre d'enfants"] == "2"
    assert sheet.max_row == 5  # four candidates
    visits = list(book["Visites"].iter_rows(min_row=2, values_only=True))
    assert visits == [(1, "P1 N1", datetime(2026, 8, 4), "MSP de Conliège", "Conliège", "ECLA",
                       datetime(2026, 8, 4, 9, 0), datetime(2026, 8, 4, 10, 15))]
    indicators = dict(book["Indicateurs"].iter_rows(min_row=2, values_only=True))
    assert indicators["Candidats"] == 2 and indicators["Croisements dans les 10 jours (%)"] == 50
    lieux = list(book["Lieux"].iter_rows(min_row=2, values_only=True))
    assert ("MSP de Conliège", "MSP", "En fonctionnement", "Conliège", "ECLA", 1, 1, 1) in lieux


def test_filters_and_csv():
    data = fixture()
    only_nurses = Filters(professions=frozenset({"infirmier"}))
    rows = list(csv.reader(io.StringIO(candidates_csv(data, only_nurses).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == CANDIDATE_HEADERS and len(rows) == 2 and rows[1][1] == "P2"
    assert rows[1][CANDIDATE_HEADERS.index("Premier contact")] == "10/07/2026"
    in_q3 = Filters(period=Q3, statuses=frozenset({"installe", "abandon"}))
    rows = list(csv.reader(io.StringIO(candidates_csv(data, in_q3).decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["1", "2"]
    ecla = Filters(epcis=frozenset({"ecla"}))
    rows = list(csv.reader(io.StringIO(candidates_csv(data, ecla).decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["1"]


async def both_quarters(tmp_path):
    data = fixture()
    return await stored_indicators(data, Q3, tmp_path / "q3"), await stored_indicators(data, Q3.before(), tmp_path / "q2")


async def test_summary_for_elus_has_no_personal_data(tmp_path):
    cur, prev = await both_quarters(tmp_path)
    text = summary(MEETING_KINDS["copil"], cur, prev, meeting_day=date(2026, 10, 1), needs=needs_expressed([]),
                   site_names={10: "MSP de Conliège"})
    assert "Synthèse — Copil CLS du jeudi 1er octobre 2026" in text
    # candidate 3 was first contacted in May, in the quarter before: one more this quarter
    assert "• Candidats : <b>2</b> (+1 par rapport à la période précédente)" in text
    assert "• ECLA : 1 visite(s) de lieux, 1 installation(s) (Conliège)" in text
    for personal in ("P1", "N1", "P2", "06 ", "@"):
        assert personal not in text


async def test_summaries_per_audience(tmp_path):
    cur, prev = await both_quarters(tmp_path)
    needs = needs_expressed([("Trouver un logement et une crèche", False), ("infirmière", True)])
    assert needs == {"logement": 1, "scolarité, garde d'enfants": 1, "emploi du conjoint": 1}
    pros = summary(MEETING_KINDS["coordination"], cur, prev, meeting_day=None, needs=needs, site_names={10: "MSP de Conliège"})
    assert "• MSP de Conliège : proposé 1, contacté 1, visité 1" in pros and "• logement : 1 candidat(s)" in pros
    # equal counts in the order needs are listed, whoever expressed them first
    assert pros.index("• logement") < pros.index("• emploi du conjoint") < pros.index("• scolarité")
    funders = summary(MEETING_KINDS["cpam_ars"], cur, prev, meeting_day=None, needs=needs, site_names={})
    assert "Croisements faits dans les 10 jours : 50 %" in funders and "lieux ayant répondu : 50 %" in funders
    assert "Suivis à 3 mois faits à temps : 1 sur 2" in funders


async def test_chart_is_a_png(tmp_path):
    png = chart(*await both_quarters(tmp_path), "Copil CLS")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_default_meeting_dates_follow_the_cadence():
    assert default_dates(MEETING_KINDS["coordination"], date(2026, 11, 23), 3) == [
        date(2026, 12, 15), date(2027, 3, 15), date(2027, 6, 15)]
    assert default_dates(MEETING_KINDS["copil"], date(2026, 11, 23)) == [date(2027, 6, 15)]


def test_paris_wall_time_of_stored_instants_across_both_clock_changes():
    from datetime import timedelta

    from domain.dates import PARIS
    from domain.exports import _local

    instant = datetime(2026, 3, 28, tzinfo=UTC)
    for _ in range(24 * 4 * 3):  # the spring change, every quarter of an hour
        assert _local(instant.isoformat()) == instant.astimezone(PARIS).replace(tzinfo=None)
        instant += timedelta(minutes=15)
    instant = datetime(2026, 10, 24, tzinfo=UTC)
    for _ in range(24 * 4 * 3):  # the autumn change: 02:00 to 03:00 happens twice
        assert _local(instant.isoformat()) == instant.astimezone(PARIS).replace(tzinfo=None)
        instant += timedelta(minutes=15)
    assert _local("2026-10-25T00:30:00+00:00") == datetime(2026, 10, 25, 2, 30)  # still summer time
    assert _local("2026-10-25T01:30:00+00:00") == datetime(2026, 10, 25, 2, 30)  # winter time again
    assert _local("2026-07-14T12:00:00+02:00") == datetime(2026, 7, 14, 12, 0) and _local(None) is None


def test_needs_are_found_whatever_the_accents_and_capitals_typed():
    answers = [("Un SECRÉTARIAT partagé", False), ("École primaire", False), ("L’Intégration", False), ("Ecole", False),
               ("Préfère louer", False), ("relogement", False), ("Crèche ; garde d'enfants ; un local", False)]
    assert needs_expressed(answers) == {"secrétariat": 1, "scolarité, garde d'enfants": 3, "réseau, accueil": 1,
                                        "locaux": 1}


async def test_the_visites_and_suivis_sheets_list_each_stop_and_follow_up_with_typed_dates(tmp_path):
    data = fixture()
    data.answers = {1: {"motivations": "Quitter la ville & <la> mer", "modes": ["liberal"], "enfants": 2}}
    data.follow_ups.append({"candidate_id": 1, "months": 3, "due_day": "2026-11-04", "done_at": "2026-11-05T09:00:00+00:00",
                            "outcome": "installe", "note": " Ravie & <installée>"})
    # candidate 1 visited two sites, candidate 2 one without stops: a row each, one after the other
    data.stops.append({"candidate_id": 1, "site_id": 11, "starts_at": "2026-08-04T12:00:00+00:00",
                       "ends_at": "2026-08-04T13:00:00+00:00", "cancelled": 0})
    data.visits[2] = {"candidate_id": 2, "day": "2026-08-20", "sites": ["Cabinet de Bletterans"]}
    ind = await stored_indicators(data, Q3, tmp_path)
    kept = load_workbook(io.BytesIO(workbook(data, Filters(), ind)))
    assert [r[:4] for r in kept["Visites"].iter_rows(min_row=2, values_only=True)] == [
        (1, "P1 N1", datetime(2026, 8, 4), "MSP de Conliège"), (1, "P1 N1", datetime(2026, 8, 4), "Cabinet de Bletterans"),
        (2, "P2 N2", datetime(2026, 8, 20), "Cabinet de Bletterans")]
    assert kept["Candidats"].cell(2, CANDIDATE_HEADERS.index("Premier contact") + 1).number_format == "DD/MM/YYYY"
    assert kept["Visites"].cell(2, 7).number_format == "DD/MM/YYYY HH:MM"
    assert kept["Suivis"].cell(2, 7).value == " Ravie & <installée>"


async def test_the_indicators_are_asked_for_only_once_the_candidats_sheet_is_written(tmp_path):
    data = fixture()
    ind = await stored_indicators(data, Q3, tmp_path)
    events = []
    answers_of = data.answers_of
    data.answers_of = lambda cid: events.append("candidat") or answers_of(cid)  # one call per Candidats row

    def later():
        events.append("indicateurs")
        return ind

    waited = workbook(data, Filters(), later)
    assert events == ["candidat"] * len(data.candidates) + ["indicateurs"]
    given = workbook(data, Filters(), ind)
    sheets = [{n: z.read(n) for n in z.namelist() if n.startswith(("xl/worksheets/", "xl/sharedStrings"))}
              for z in map(zipfile.ZipFile, map(io.BytesIO, (waited, given)))]
    assert sheets[0] == sheets[1]
    lieux = load_workbook(io.BytesIO(waited), read_only=True)["Lieux"]
    assert any(str(row[0]).startswith("MSP de Conli") for row in lieux.iter_rows(min_row=2, values_only=True))


async def test_the_reporting_table_is_written_row_by_row_beyond_its_size_in_memory(tmp_path, monkeypatch):
    """Up to IN_MEMORY_UP_TO candidates the reporting table keeps its texts in one shared table (faster); beyond,
    each row is written as it comes (constant memory): the workbook has then no shared texts, and the same cells."""
    from domain import exports

    def parts(payload: bytes) -> set[str]:
        return set(zipfile.ZipFile(io.BytesIO(payload)).namelist())

    def cells(payload: bytes) -> list[list[tuple]]:
        return [list(sheet.iter_rows(values_only=True)) for sheet in load_workbook(io.BytesIO(payload)).worksheets]

    data = fixture()
    ind = await stored_indicators(data, Q3, tmp_path)
    in_memory = workbook(data, Filters(), ind)
    monkeypatch.setattr(exports, "IN_MEMORY_UP_TO", len(data.candidates) - 1)
    row_by_row = workbook(data, Filters(), ind)
    assert "xl/sharedStrings.xml" in parts(in_memory) and "xl/sharedStrings.xml" not in parts(row_by_row)
    assert cells(in_memory) == cells(row_by_row) and len(cells(in_memory)[0]) == len(data.candidates) + 1
