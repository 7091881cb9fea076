"""The XLSX writer, read back with openpyxl: values, types, formats and Excel's rules on sheet names, the same
whether the workbook is written in memory or row by row (``large``)."""

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from bot.spreadsheets import write_xlsx


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


@pytest.mark.parametrize("large", [False, True])
def test_outer_spaces_are_kept(large):
    payload = write_xlsx([("Notes", ["A", "B", "C"], [["  retrait", "fin ", "rien"], ["x ", "y", "\tz"]])], large=large)
    sheet = load_workbook(io.BytesIO(payload))["Notes"]
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [("  retrait", "fin ", "rien"), ("x ", "y", "\tz")]


@pytest.mark.parametrize("large", [False, True])
def test_what_excel_cannot_hold_is_guarded_and_what_was_typed_stays_text(large):
    from bot.spreadsheets import CELL_LIMIT, CUT

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

