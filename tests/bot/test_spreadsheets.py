"""The XLSX writer, read back with openpyxl: values, types, formats and Excel's rules on sheet names."""

import io
from datetime import date, datetime

from openpyxl import load_workbook

from bot.spreadsheets import write_xlsx


def test_values_and_types_survive_the_round_trip():
    rows = [[1, "Zoé <&> \x01\x1f fin ", date(2026, 1, 5), datetime(2026, 1, 5, 14, 30, 15), True, 2.5],
            [2, None, None, None, False, ""]]
    book = load_workbook(io.BytesIO(write_xlsx([("Candidats", ["N°", "Nom", "Jour", "Quand", "Oui", "Note"], rows)])))
    sheet = book["Candidats"]
    assert list(sheet.iter_rows(values_only=True)) == [
        ("N°", "Nom", "Jour", "Quand", "Oui", "Note"),
        (1, "Zoé <&>  fin ", datetime(2026, 1, 5), datetime(2026, 1, 5, 14, 30, 15), True, 2.5),
        (2, None, None, None, False, None),
    ]
    assert sheet["C2"].number_format == "DD/MM/YYYY" and sheet["D2"].number_format == "DD/MM/YYYY HH:MM"
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:F3"
    assert sheet.column_dimensions["B"].width == 17  # the longest value (15), plus a margin


def test_outer_spaces_are_kept_and_only_marked_where_there_are_some():
    import zipfile

    from bot.spreadsheets import draw

    payload = write_xlsx([("Notes", ["A", "B", "C"], [["  retrait", "fin ", "rien"], draw(["x ", "y", "\tz"])])])
    xml = zipfile.ZipFile(io.BytesIO(payload)).read("xl/worksheets/sheet1.xml").decode()
    assert xml.count('<t xml:space="preserve">') == 4 and "<t>rien</t>" in xml and "<t>y</t>" in xml
    sheet = load_workbook(io.BytesIO(payload))["Notes"]
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [("  retrait", "fin ", "rien"), ("x ", "y", "\tz")]


def test_sheet_names_follow_excels_rules():
    data = write_xlsx([("Lieux: [export]/2026 et bien plus long que trente et un", ["A"], [["x"]]),
                       ("Lieux: [export]/2026 et bien plus long que trente et un", ["A"], []), ("", ["A"], [])])
    names = load_workbook(io.BytesIO(data)).sheetnames
    assert names == ["Lieux   export  2026 et bien pl", "Lieux   export  2026 et bien 2", "Feuille"]
    assert all(len(n) <= 31 for n in names)


def test_a_large_table_is_complete():
    rows = [[n, f"Candidat {n}", date(2026, 1, 1 + n % 28)] for n in range(5000)]
    sheet = load_workbook(io.BytesIO(write_xlsx([("T", ["N°", "Nom", "Jour"], rows)])), read_only=True).worksheets[0]
    read = list(sheet.iter_rows(values_only=True))
    assert len(read) == 5001 and read[-1] == (4999, "Candidat 4999", datetime(2026, 1, 16))  # 4999 % 28 = 15
