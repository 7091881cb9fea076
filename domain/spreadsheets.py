"""Reading and writing the team's spreadsheets: XLSX (read with openpyxl, written with XlsxWriter), and CSV as
French Excel writes it."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from domain.messages import utf16_len


class UnreadableFile(ValueError):
    """The file is neither a readable XLSX nor a CSV; ``str(err)`` is French."""


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """The first sheet (or the CSV) as rows of trimmed strings, header row included."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook  # only for imports: it takes a fifth of a second to load

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


# Excel's limit of characters in a cell: a longer text is cut there, and says so
CELL_LIMIT = 32_767
CUT = " […]"
WIDEST = 60  # characters: a column of long notes stays readable on a laptop screen
_DAY, _INSTANT = "DD/MM/YYYY", "DD/MM/YYYY HH:MM"
# control characters pasted into a text mean nothing in a table (XlsxWriter would write them as _x0001_)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]], *, large: bool = False) -> bytes:
    """A workbook with bold French headers, frozen header row, filters and readable widths, one sheet per table.

    Written by XlsxWriter (bench/perf.py, section tableur, weighs it against openpyxl's write-only mode), in memory:
    each text once in the workbook's shared table, a third faster than writing every cell as it comes. ``large``
    tables (thousands of rows) are written in its constant-memory mode instead: each row goes to a temporary file
    once the next one starts, so the table of 10,000 candidates is never whole in memory (70 MB less at that size).
    Texts stay texts: nothing a candidate typed becomes a formula or a link.
    """
    import xlsxwriter  # a tenth of a second to load, for the commands that write a workbook only

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": large, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    formats = {date: book.add_format({"num_format": _DAY}), datetime: book.add_format({"num_format": _INSTANT})}
    titles: list[str] = []
    for title, headers, rows in sheets:
        titles.append(_sheet_title(title, titles))
        sheet = book.add_worksheet(titles[-1])
        sheet.freeze_panes(1, 0)
        for column, header in enumerate(headers):
            sheet.write_string(0, column, str(header), bold)
        widths, last = _write_rows(sheet, rows, formats, [len(str(h)) for h in headers])
        for column, width in enumerate(widths):
            sheet.set_column(column, column, min(max(10, width + 2), WIDEST))
        if last and headers:
            sheet.autofilter(0, 0, last, len(headers) - 1)
    book.close()
    return out.getvalue()


def _write_rows(sheet, rows: Iterable[Sequence[Any]], formats: dict[type, Any],
                widths: list[int]) -> tuple[list[int], int]:
    """Write the rows under the header, each value with its Excel type; returns how many characters each column
    shows at most, and the number of the last row."""
    # the cells of the reporting table are nearly all texts, whole numbers and dates: those are written here, in
    # the loop (half a million cells at 10,000 candidates), anything else by _write_other
    write_string, write_number, write_datetime = sheet.write_string, sheet.write_number, sheet.write_datetime
    day, instant = formats[date], formats[datetime]
    last = 0
    for last, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            kind = type(value)
            if kind is str:
                if not value:
                    continue
                if len(value) > CELL_LIMIT // 2 or (not value.isprintable() and _CONTROL.search(value)):
                    value = _fit(value)
                write_string(last, column, value)
                shown = len(value)
            elif kind is int and -_DIGITS < value < _DIGITS:
                write_number(last, column, value)
                shown = len(str(value))
            elif kind is datetime:  # before date: a datetime is a date too
                value = value.replace(tzinfo=None)
                if value >= _SERIAL_FROM:
                    # Excel's serial number as XlsxWriter computes it, written as a number in the date's format:
                    # the same cell, for a third of what write_datetime costs
                    delta = value - _EPOCH
                    write_number(last, column, delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400 + 1,
                                 instant)
                else:
                    write_datetime(last, column, value, instant)
                shown = 16
            elif kind is date:
                if value >= _SERIAL_DAY_FROM:
                    write_number(last, column, (value - _DAY_EPOCH).days, day)
                else:
                    write_datetime(last, column, value, day)
                shown = 10
            elif value is None:
                continue
            else:
                shown = _write_other(sheet, last, column, value)
            try:
                if shown > widths[column]:
                    widths[column] = shown
            except IndexError:  # a row wider than its headers
                widths += [0] * (column + 1 - len(widths))
                widths[column] = shown
    return widths, last


# Excel counts days from 31 December 1899 and, after 28 February 1900, one more (its 1900 is a leap year): dates
# from March 1900 on are converted here, earlier ones by XlsxWriter
_EPOCH, _SERIAL_FROM = datetime(1899, 12, 31), datetime(1900, 3, 1)
_DAY_EPOCH, _SERIAL_DAY_FROM = date(1899, 12, 30), date(1900, 3, 1)
_DIGITS = 10**15  # Excel keeps 15 significant digits: a longer whole number is kept whole as text


def _fit(text: str) -> str:
    """A text as a cell can hold it: without control characters, and cut with a mark beyond Excel's limit (counted
    in UTF-16 units, as Excel counts)."""
    text = _CONTROL.sub("", text)
    if utf16_len(text) <= CELL_LIMIT:
        return text
    room = CELL_LIMIT - len(CUT)
    text = text[:room]
    while (excess := utf16_len(text) - room) > 0:  # each character taken off frees one unit or two
        text = text[:-((excess + 1) // 2)]
    return text + CUT


def _write_other(sheet, row: int, column: int, value: Any) -> int:
    """Write a value that is not a text, a whole number of 15 digits or less, or a date; returns its width."""
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
        return 4
    if isinstance(value, float):
        if not math.isfinite(value):  # Excel has no NaN nor infinity: nothing is better than a wrong number
            return 0
        sheet.write_number(row, column, value)
        return len(repr(value))
    text = _fit(str(value))
    if text:
        sheet.write_string(row, column, text)
    return len(text)


def _sheet_title(title: str, taken: list[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique whatever the case."""
    clean = "".join(" " if c in "[]:*?/\\" else c for c in title)[:31].strip("'") or "Feuille"
    n = 1
    candidate = clean
    while candidate.lower() in (t.lower() for t in taken):
        n += 1
        candidate = f"{clean[:28]} {n}"
    return candidate


def _shown(value: Any) -> str:
    if isinstance(value, datetime):  # before date: a datetime is a date too
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with BOM and ';' separators: what French Excel opens correctly."""
    out = io.BytesIO()
    with io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False) as text:
        writer = csv.writer(text, delimiter=";")
        writer.writerow(headers)
        for row in rows:
            writer.writerow(_csv_values(row))
        text.flush()
        return out.getvalue()


# What makes a spreadsheet read a cell as a formula (OWASP, « CSV injection »): such a text is written after a quote,
# so that Excel shows it as typed and runs nothing (a name typed as =HYPERLINK(…), say).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_values(row: Sequence[Any]) -> list[Any]:
    return [_shown(v) if isinstance(v, (date, datetime)) else ("" if v is None else _inert(v)) for v in row]


def _inert(value: Any) -> Any:
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value
