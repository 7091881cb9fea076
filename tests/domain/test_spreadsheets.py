"""The XLSX writer, read back with openpyxl: values, types, formats and Excel's rules on sheet names, the same
whether the workbook is written in memory or row by row (``large``)."""

import io
import re
import zipfile
from datetime import date, datetime, timedelta

import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from domain.spreadsheets import write_xlsx


@pytest.mark.parametrize("large", [False, True])
def test_values_and_types_survive_the_round_trip(large):
    rows = [[1, "Zoé <&> \x01\x1f fin ", date(2026, 1, 5), datetime(2026, 1, 5, 14, 30, 15), True, 2.5],
            [2, None, None, None, False, ""]]
    book = load_workbook(io.BytesIO(write_xlsx([("Candidats", ["N°", "Nom", "Jour", "Quand", "Oui", "Note"], rows)], large=large)))
    sheet = book["Candidats"]
    assert list(sheet.iter_rows(values_only=True)) == [
        ("N°", "Nom", "Jour", "Quand", "Oui", "Note"),
        (1, "Zoé <&>  fin ", datetime(2026, 1, 5), datetime(2026, 1, 5, 14, 30, 15), True, 2.5),
        (2, None, None, None, False, None),
    ]
    assert sheet["C2"].number_format == "DD/MM/YYYY" and sheet["D2"].number_format == "DD/MM/YYYY HH:MM"
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:F3"
    # the longest value (13 characters once its control characters are gone), plus a margin of 2
    assert 15 <= sheet.column_dimensions["B"].width < 16


def _cell_values(xlsx: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        return re.findall(r"<v>([^<]*)</v>", z.read("xl/worksheets/sheet1.xml").decode())


@given(st.lists(st.one_of(st.dates(min_value=date(1899, 12, 31)),
                          st.datetimes(min_value=datetime(1899, 12, 31), max_value=datetime(9999, 12, 30))),
                min_size=1, max_size=20))
def test_dates_are_the_serial_numbers_xlsxwriter_writes(values):
    """Dates and instants are converted by the bot, not by write_datetime: the cells must be the same numbers,
    before the leap day Excel wrongly counts in 1900 and after."""
    values += [date(1900, 2, 28), date(1900, 3, 1), datetime(1900, 2, 28, 23, 59, 59), datetime(1900, 3, 1),
               datetime(2026, 3, 29, 2, 30, 0, 1)]
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    sheet = book.add_worksheet()
    sheet.write_string(0, 0, "Quand")
    for row, value in enumerate(values, start=1):
        sheet.write_datetime(row, 0, value, book.add_format({"num_format": "DD/MM/YYYY"}))
    book.close()
    assert _cell_values(write_xlsx([("Feuille", ["Quand"], [[v] for v in values])])) == _cell_values(out.getvalue())


def test_an_instant_with_a_time_zone_is_written_as_its_wall_time():
    from domain.dates import PARIS

    when = datetime(2026, 7, 1, 9, 30, tzinfo=PARIS)
    sheet = load_workbook(io.BytesIO(write_xlsx([("Feuille", ["Quand"], [[when], [when - timedelta(days=1)]])])))["Feuille"]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [datetime(2026, 7, 1, 9, 30),
                                                                             datetime(2026, 6, 30, 9, 30)]


@pytest.mark.parametrize("large", [False, True])
def test_outer_spaces_are_kept(large):
    payload = write_xlsx([("Notes", ["A", "B", "C"], [["  retrait", "fin ", "rien"], ["x ", "y", "\tz"]])], large=large)
    sheet = load_workbook(io.BytesIO(payload))["Notes"]
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [("  retrait", "fin ", "rien"), ("x ", "y", "\tz")]


@pytest.mark.parametrize("large", [False, True])
def test_what_excel_cannot_hold_is_guarded_and_what_was_typed_stays_text(large):
    from domain.spreadsheets import CELL_LIMIT, CUT

    long = "é" * 40_000
    rows = [[float("nan"), float("inf"), -float("inf"), long, 12345678901234567890, "=HYPERLINK(\"http://x\")",
             "https://exemple.fr", "0612345678", 3.0]]
    sheet = load_workbook(io.BytesIO(write_xlsx([("T", list("ABCDEFGHI"), rows)], large=large)))["T"]
    values = [c.value for c in sheet[2]]
    assert values[:3] == [None, None, None]  # no NaN nor infinity in Excel: an empty cell, not a wrong number
    assert len(values[3]) == CELL_LIMIT and values[3].endswith(CUT) and values[3].startswith("ééé")
    assert values[4] == "12345678901234567890"  # beyond Excel's 15 digits: whole, as text
    assert sheet["F2"].data_type == "s" and values[5] == '=HYPERLINK("http://x")'  # a text, never a formula
    assert values[6:] == ["https://exemple.fr", "0612345678", 3] and not sheet["G2"].hyperlink
    assert sheet.column_dimensions["D"].width <= 61  # a column of long notes stays readable
    # Excel counts UTF-16 units: a text of emoji is cut at half as many characters
    emoji = load_workbook(io.BytesIO(write_xlsx([("T", ["A"], [["🩺" * 20_000]])], large=large)))["T"]["A2"].value
    assert emoji.endswith(CUT) and len(emoji) == (CELL_LIMIT - len(CUT)) // 2 + len(CUT) and len(emoji.encode("utf-16-le")) // 2 <= CELL_LIMIT


def test_sheet_names_follow_excels_rules():
    data = write_xlsx([("Lieux: [export]/2026 et bien plus long que trente et un", ["A"], [["x"]]),
                       ("Lieux: [export]/2026 et bien plus long que trente et un", ["A"], []), ("", ["A"], []),
                       ("FEUILLE", ["A"], []), ("'Cité'", ["A"], [])])
    names = load_workbook(io.BytesIO(data)).sheetnames
    assert names == ["Lieux   export  2026 et bien pl", "Lieux   export  2026 et bien 2", "Feuille", "FEUILLE 2", "Cité"]
    assert all(len(n) <= 31 for n in names)


@pytest.mark.parametrize("large", [False, True])
def test_a_large_table_is_complete(large):
    rows = [[n, f"Candidat {n}", date(2026, 1, 1 + n % 28)] for n in range(5000)]
    payload = write_xlsx([("T", ["N°", "Nom", "Jour"], rows)], large=large)
    sheet = load_workbook(io.BytesIO(payload), read_only=True).worksheets[0]
    read = list(sheet.iter_rows(values_only=True))
    assert len(read) == 5001 and read[-1] == (4999, "Candidat 4999", datetime(2026, 1, 16))  # 4999 % 28 = 15

