"""The reporting table at two sizes: /export through the whole bot, and the same sheets written by XlsxWriter in
memory and in its constant-memory mode (domain/spreadsheets.py uses one or the other by the table's size) and by
openpyxl's write-only mode, side by side in one run."""

from __future__ import annotations

import gc
import io
import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.synthetic import NOW, Sizes, generate
from sandbox.sandbox import Sandbox

Sheets = list[tuple[str, Sequence[str], list[Sequence[Any]]]]


def sizes_of(candidates: int) -> Sizes:
    """A territory in the proportions of the benchmark's 10,000 candidates."""
    return Sizes(candidates=candidates, sites=max(30, candidates // 20), visits=candidates // 2,
                 reminders=candidates * 3, contacts=min(200, max(10, candidates // 50)))


async def reporting_table(workdir: Path, base: Path, base_sizes: Sizes, candidates: Sequence[int],
                          repeats: int) -> dict:
    out: dict[str, dict] = {}
    for count in candidates:
        db = workdir / f"tableur-{count}.sqlite3"
        if count == base_sizes.candidates:
            shutil.copyfile(base, db)
        else:
            await generate(db, sizes_of(count))
        out[str(count)] = await _at_size(db, repeats)
    return {"sizes": out}


async def _at_size(db: Path, repeats: int) -> dict:
    from domain.exports import Filters, workbook_sheets
    from handlers.reporting import period_indicators, table_data

    sb = Sandbox(db, start=NOW, freeze_loaded=True)  # as python -m bot starts it
    await sb.start()
    try:
        commands: dict[str, list[float]] = {}
        announced = 0
        for _ in range(repeats):
            for command in ("/export", "/export csv"):
                started = time.perf_counter()
                sent = await sb.say("cls", command)
                commands.setdefault(command, []).append(time.perf_counter() - started)
                announced += sum(1 for s in sent if s.text and s.text.startswith("⏳"))
                for s in sb.api.log:  # Telegram keeps the files, not the bot
                    s.file_data = None
        data = await table_data(sb.db, Filters())
        today = NOW.date()
        ind = await period_indicators(sb.db, _year(today), today)
    finally:
        await sb.stop()
        gc.unfreeze()  # the next sizes and sections start bots of their own
    # the same sheets for both libraries, every row made beforehand: only the writing is timed
    sheets: Sheets = [(title, headers, list(rows)) for title, headers, rows in workbook_sheets(data, Filters(), ind)]
    cells = sum(1 for _, _, rows in sheets for row in rows for v in row if v is not None and v != "")
    libraries = {"xlsxwriter": _timed(_xlsxwriter, sheets, repeats),
                 "xlsxwriter_rangs": _timed(_xlsxwriter_rows, sheets, repeats),
                 "openpyxl": _timed(_openpyxl, sheets, repeats)}
    return {"candidates": len(data.candidates), "cells": cells, "announced": announced,
            "commands": {c: {"median_ms": _ms(statistics.median(ts)), "max_ms": _ms(max(ts))} for c, ts in commands.items()},
            "libraries": libraries}


def _year(today: date):
    from domain.indicators import Period

    return Period(date(today.year, 1, 1), today + timedelta(days=1))


def _ms(seconds: float) -> float:
    return round(1000 * seconds, 1)


def _timed(write: Callable[[Sheets], bytes], sheets: Sheets, repeats: int) -> dict:
    times, size = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        size = len(write(sheets))
        times.append(time.perf_counter() - started)
    return {"median_ms": _ms(statistics.median(times)), "kb": size // 1024}


def _xlsxwriter(sheets: Sheets) -> bytes:
    from domain.spreadsheets import write_xlsx

    return write_xlsx(sheets)


def _xlsxwriter_rows(sheets: Sheets) -> bytes:
    """XlsxWriter's constant-memory mode: each row written as it comes (the reporting table beyond 2,000)."""
    from domain.spreadsheets import write_xlsx

    return write_xlsx(sheets, large=True)


def _openpyxl(sheets: Sheets) -> bytes:
    """The same workbook in openpyxl's write-only mode: bold headers, frozen header row, filters, widths, dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        widths = [len(h) for h in headers]
        for row in rows[:500]:  # write-only: the widths come before the rows
            for n, value in enumerate(row[:len(widths)]):
                widths[n] = max(widths[n], len(str(value or "")))
        for n, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(n)].width = min(max(10, width + 2), 60)
        if rows and headers:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"

        def cell(value, number_format=None, font=None):
            c = WriteOnlyCell(sheet, value)
            if number_format:
                c.number_format = number_format
            if font:
                c.font = font
            return c

        sheet.append([cell(h, font=bold) for h in headers])
        for row in rows:
            sheet.append([cell(v, "DD/MM/YYYY HH:MM") if type(v) is datetime else
                          cell(v, "DD/MM/YYYY") if type(v) is date else (None if v == "" else v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
