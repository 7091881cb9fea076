"""Reading and writing the team's spreadsheets (XLSX with openpyxl, CSV as French Excel writes it)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter


class UnreadableFile(ValueError):
    """The file is neither a readable XLSX nor a CSV; ``str(err)`` is French."""


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """The first sheet (or the CSV) as rows of trimmed strings, header row included."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # noqa: BLE001 - any damage means the same to the user
            raise UnreadableFile("Ce fichier Excel ne peut pas être lu (est-il au format .xlsx ?).") from exc
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    if name.endswith((".csv", ".txt")):
        text = data.decode("utf-8-sig", errors="replace")
        dialect = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=dialect)]
    raise UnreadableFile("Envoyez un fichier .xlsx ou .csv.")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def write_xlsx(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]) -> bytes:
    """A workbook with French headers, frozen header row, filters and readable widths, one sheet per table."""
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(list(headers))
        for row in rows:
            sheet.append(list(row))
        sheet.freeze_panes = "A2"
        if rows:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
        for i, header in enumerate(headers, start=1):
            longest = max([len(str(header))] + [len(_shown(r[i - 1])) for r in rows[:500] if i - 1 < len(r)])
            sheet.column_dimensions[get_column_letter(i)].width = min(max(10, longest + 2), 60)
            for cell in sheet[get_column_letter(i)][1:]:
                if isinstance(cell.value, (date, datetime)):
                    cell.number_format = "DD/MM/YYYY HH:MM" if isinstance(cell.value, datetime) else "DD/MM/YYYY"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _shown(value: Any) -> str:
    if isinstance(value, datetime):  # before date: a datetime is a date too
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def write_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 with BOM and ';' separators: what French Excel opens correctly."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_shown(v) if isinstance(v, (date, datetime)) else ("" if v is None else v) for v in row])
    return out.getvalue().encode("utf-8-sig")
