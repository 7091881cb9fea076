"""Reading and writing the team's spreadsheets: XLSX (read with openpyxl, written directly), and CSV as French
Excel writes it."""

from __future__ import annotations

import csv
import functools
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from xml.sax.saxutils import escape


class Drawn(NamedTuple):
    """Table rows drawn once, to be written many times (the reporting table keeps its rows in storage): their cells
    as SpreadsheetML with the row number left as ``ROW`` and rows parted by ``NEXT_ROW`` (none when empty), their
    CSV lines, and how many characters each cell shows at most."""

    xml: str
    csv: str
    widths: Sequence[int] | str  # or as kept: "3,12,0,…" (only the first rows of a sheet need them)


# never in a cell: XML cannot carry them, and they are taken out of every text written
ROW = "\x01"
NEXT_ROW = "\x02"


def draw(values: Sequence[Any]) -> Drawn:
    """A row of values as both sheet cells and CSV line (see ``Drawn``)."""
    shown = [v if type(v) is str else _shown(v) for v in values]  # what the CSV and the widths both need
    line = io.StringIO()
    csv.writer(line, delimiter=";").writerow(shown)
    return Drawn("".join(_cells(values, [_column(i) for i in range(len(values))], ROW)), line.getvalue(),
                 [len(v) for v in shown])


def draw_block(rows: Iterable[Sequence[Any]]) -> Drawn:
    """Several rows drawn as one (a candidate's visits): written one after the other."""
    drawn = [draw(values) for values in rows]
    return Drawn(NEXT_ROW.join(d.xml for d in drawn), "".join(d.csv for d in drawn),
                 [max(column) for column in itertools.zip_longest(*(d.widths for d in drawn), fillvalue=0)])


def _widths(row: Drawn) -> Sequence[int]:
    return [int(w) for w in row.widths.split(",") if w] if isinstance(row.widths, str) else row.widths


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


def write_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook with bold French headers, frozen header row, filters and readable widths, one sheet per table.

    Written directly as SpreadsheetML: openpyxl builds an object per cell and needs about 20 s and 300 MB for the
    reporting table of 10,000 candidates (XlsxWriter about 4 s); this writer streams rows in under a second.
    Reading stays with openpyxl.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        titles = []
        shapes = []
        for n, (title, headers, rows) in enumerate(sheets, start=1):
            titles.append(_sheet_title(title, titles))
            shape = [len(headers), 0]
            with book.open(f"xl/worksheets/sheet{n}.xml", "w") as sheet:
                for chunk in _sheet_xml(headers, rows, shape):
                    sheet.write(chunk.encode())
            shapes.append(tuple(shape))
        book.writestr("[Content_Types].xml", _content_types(len(titles)))
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _workbook_xml(titles, shapes))
        book.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(titles)))
        book.writestr("xl/styles.xml", _STYLES)
    return out.getvalue()


# --- SpreadsheetML -----------------------------------------------------------------------------------------

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_EPOCH_DAY = _EXCEL_EPOCH.date()
# styles: 0 plain, 1 date, 2 date and time, 3 bold (headers)
_DATE, _DATETIME, _BOLD = 1, 2, 3
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="DD/MM/YYYY"/>'
    '<numFmt numFmtId="165" formatCode="DD/MM/YYYY HH:MM"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/>'
    '</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
    'patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
    '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
    'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
    f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
# characters XML 1.0 cannot carry (a pasted control character must not make the file unreadable)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@functools.cache
def _column(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


_NEEDS_ESCAPING = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f]").search


def _text(value: str) -> str:
    if not _NEEDS_ESCAPING(value):  # nearly every cell: one search instead of four passes
        return value
    return _ILLEGAL.sub("", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _t(value: str) -> str:
    """The opening of a text: Excel trims a text's outer spaces unless told to keep them (as openpyxl writes it,
    only when there are some: most cells are shorter without)."""
    return '<t xml:space="preserve">' if value and (value[0].isspace() or value[-1].isspace()) else "<t>"


def _xml_cell(ref: str, value: Any, style: int = 0) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, datetime):  # before date: a datetime is a date too
        serial = (value.replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_DATE}"><v>{(value - _EXCEL_EPOCH_DAY).days}</v></c>'
    styled = f' s="{style}"' if style else ""
    value = str(value)
    return f'<c r="{ref}" t="inlineStr"{styled}><is>{_t(value)}{_text(value)}</t></is></c>'


def _cells(row: Sequence[Any], columns: Sequence[str], number: str) -> list[str]:
    """The pieces of a row's cells, ``number`` being its row number."""
    # texts, dates, instants and whole numbers (nearly every cell of the reporting table) written here, without a
    # call per cell; anything else as _xml_cell writes it
    cells: list[str] = []
    text = _text
    for column, value in zip(columns, row, strict=False):
        kind = type(value)
        if kind is str:
            if value:
                cells += ('<c r="', column, number, '" t="inlineStr"><is>',
                          '<t xml:space="preserve">' if value[0].isspace() or value[-1].isspace() else "<t>",
                          text(value), "</t></is></c>")
        elif kind is datetime:
            serial = (value.replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds() / 86400
            cells += ('<c r="', column, number, f'" s="{_DATETIME}"><v>', repr(serial), "</v></c>")
        elif kind is date:
            cells += ('<c r="', column, number, f'" s="{_DATE}"><v>', str((value - _EXCEL_EPOCH_DAY).days), "</v></c>")
        elif kind is int:
            cells += ('<c r="', column, number, '"><v>', str(value), "</v></c>")
        elif value is not None:
            cells.append(_xml_cell(column + number, value))
    return cells


def _sheet_xml(headers: Sequence[str], rows: Iterable[Sequence[Any]], shape: list[int]) -> Iterator[str]:
    """The sheet's XML in pieces of a hundred rows (a big table is never held whole in memory); the
    number of rows is left in ``shape[1]``."""
    rows = iter(rows)
    first = list(itertools.islice(rows, 500))  # enough to size the columns
    shown = [_widths(r) if type(r) is Drawn else [len(_shown(v)) for v in r] for r in first]
    columns = [_column(i) for i in range(max([len(headers)] + [len(w) for w in shown]))]
    widths = []
    for i, header in enumerate(headers):
        longest = max([len(str(header))] + [w[i] for w in shown if i < len(w)])
        widths.append(f'<col min="{i + 1}" max="{i + 1}" width="{min(max(10, longest + 2), 60)}" customWidth="1"/>')
    parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}" xmlns:r="{_REL}">',
             '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
             'state="frozen"/></sheetView></sheetViews>', f'<cols>{"".join(widths)}</cols>' if widths else "",
             '<sheetData><row r="1">',
             "".join(_xml_cell(f"{columns[i]}1", h, _BOLD) for i, h in enumerate(headers)), "</row>"]
    r = 1
    for row in itertools.chain(first, rows):
        if len(parts) >= 100:  # a piece of 500 Candidats rows held 7 MB while it was joined and encoded
            yield "".join(parts)
            parts.clear()
        if type(row) is Drawn:
            for cells in row.xml.split(NEXT_ROW) if row.xml else ():
                r += 1
                number = str(r)
                parts.append(f'<row r="{number}">{cells.replace(ROW, number)}</row>')
        else:
            r += 1
            number = str(r)
            parts.append(f'<row r="{number}">{"".join(_cells(row, columns, number))}</row>')
    shape[1] = r - 1
    parts.append("</sheetData>")
    if r > 1 and headers:
        parts.append(f'<autoFilter ref="A1:{columns[len(headers) - 1]}{r}"/>')
    parts.append("</worksheet>")
    yield "".join(parts)


def _sheet_title(title: str, taken: list[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique."""
    clean = "".join(" " if c in "[]:*?/\\" else c for c in title)[:31] or "Feuille"
    n = 1
    candidate = clean
    while candidate in taken:
        n += 1
        candidate = f"{clean[:28]} {n}"
    return candidate


def _workbook_xml(titles: list[str], shapes: list[tuple[int, int]]) -> str:
    sheets = "".join(f'<sheet name="{escape(t, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
                     for n, t in enumerate(titles, start=1))
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
        f"{escape(chr(39) + t.replace(chr(39), chr(39) * 2) + chr(39))}!$A$1:${_column(width - 1)}${height + 1}"
        "</definedName>" for n, (t, (width, height)) in enumerate(zip(titles, shapes, strict=True)) if width and height)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_NS}" xmlns:r="{_REL}">'
            f'<sheets>{sheets}</sheets>{f"<definedNames>{names}</definedNames>" if names else ""}</workbook>')


def _workbook_rels(count: int) -> str:
    rels = "".join(f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                   for n in range(1, count + 1))
    rels += f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')


def _content_types(count: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
                     'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for n in range(1, count + 1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types '
            'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{sheets}</Types>")


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
            if type(row) is Drawn:
                text.write(row.csv)
            else:
                writer.writerow(_csv_values(row))
        text.flush()
        return out.getvalue()


def _csv_values(row: Sequence[Any]) -> list[Any]:
    return [_shown(v) if isinstance(v, (date, datetime)) else ("" if v is None else v) for v in row]
