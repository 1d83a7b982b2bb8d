"""Reading the input workbook into raw tables, cell by cell, without coercion.

Only the sheets and columns the schema names are read, found by name as a person reads it
(:mod:`planner.names`). Each value keeps its cell reference so that the validator can name
it; formulas without a saved value and error cells are marked, never turned into blanks (a
formula whose saved result is the empty string is a blank). Hidden sheets, rows and
columns, and rows a filter leaves out, are read like the others and noted, so that the
validator can warn of them.

openpyxl reads the workbook's structure (its sheets and their states) and every sheet
that holds a formula or an error cell; python-calamine, about twenty times faster, reads
the values of the sheets that hold neither, which is what it can tell apart from blanks.
A sheet calamine cannot read is read by openpyxl, whose errors the messages here explain.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import operator
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import openpyxl
import python_calamine
from defusedxml.common import DefusedXmlException
from openpyxl import Workbook
from openpyxl.cell.read_only import EMPTY_CELL
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter

from planner.names import clean, key
from planner.schema import SETTINGS_COLUMNS, SETTINGS_SHEET, SHEETS, SHEETS_BY_NAME

MAX_HEADER_COLUMNS = 64
"""Headers are looked for in the first this-many columns of row 1."""
MAX_UNPACKED_BYTES = 256 * 2**20
"""Largest total size the parts of a workbook may declare, unpacked."""
MAX_RATIO = 200
"""Largest unpacked-to-packed ratio of a part over 10 MiB (a zip bomb's is in the thousands)."""
MAX_PARTS = 10_000
SCHEMA_SHEET_NAMES = (SETTINGS_SHEET, *(s.name for s in SHEETS))
"""The sheets read, in order; any other sheet is ignored."""
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""First bytes of an old .xls file, and of any password-protected workbook."""
ZIP_MAGIC = b"PK\x03\x04"
"""First bytes of a zip archive, so of an .xlsx file."""

if not openpyxl.xml.DEFUSEDXML:
    raise ImportError("defusedxml is not installed, so openpyxl would parse workbooks with "
                      "an XML parser open to entity attacks; install battery-planner again")


REPAIR = "open it in your spreadsheet program and save it again, or use an earlier copy"


class InputFileError(Exception):
    """The file cannot be read as a workbook; the message names it and says why."""


class RawCell(NamedTuple):
    """A cell as stored: its value, its reference and what is wrong with it, if anything
    (a named tuple: a sheet of 100k rows makes a million of them)."""

    value: object
    ref: str
    problem: str = ""

    @property
    def blank(self) -> bool:
        return not self.problem and (self.value is None or
                                     (isinstance(self.value, str) and not self.value.strip()))


@dataclass
class RawSheet:
    """One sheet: where each expected column was found, and the non-blank data rows."""

    name: str
    columns: dict[str, int] = field(default_factory=dict)
    """Header text -> 1-based column index, for the headers the schema expects."""
    unknown_headers: list[RawCell] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    """The row number of every data row that is not blank."""
    values: dict[str, list] = field(default_factory=dict)
    """Header text -> its cells' values as stored, one for each row of ``numbers`` (None
    where blank): a column at a time, so that a check can run over a column at once."""
    problems: dict[str, dict[int, str]] = field(default_factory=dict)
    """Header text -> position in ``numbers`` -> what is wrong with that cell as stored
    (an error value, a formula with no saved value)."""
    first_data_row: int = 2
    spelt: list[RawCell] = field(default_factory=list)
    """Headers read as a schema column although written with other case or spacing."""
    repeated: list[tuple[str, RawCell]] = field(default_factory=list)
    """(reference of the first, the repeat) for each header written twice."""
    hidden_rows: list[int] = field(default_factory=list)
    """Data rows the sheet hides (hidden, or filtered out by a filter); they are read."""
    hidden_columns: list[str] = field(default_factory=list)
    """Headers of read columns the sheet hides; they are read."""
    hidden: bool = False
    """The whole sheet is hidden; it is read."""
    written_as: str = ""
    """The sheet's name as the workbook spells it, where it differs from the schema's."""

    def cell(self, header: str, index: int) -> RawCell:
        """The cell of column ``header`` in the ``index``-th row of ``numbers``."""
        return RawCell(self.values[header][index],
                       f"{get_column_letter(self.columns[header])}{self.numbers[index]}",
                       self.problems.get(header, {}).get(index, ""))

    @property
    def rows(self) -> list[tuple[int, dict[str, RawCell]]]:
        """(row number, header text -> cell) for every row that is not blank."""
        return [(number, {header: self.cell(header, i) for header in self.values})
                for i, number in enumerate(self.numbers)]


@dataclass
class RawWorkbook:
    path: Path
    sheets: dict[str, RawSheet]
    sheet_names: list[str]
    notes: list[str] = field(default_factory=list)
    """Things about the file itself worth a warning (macros ignored, ...)."""


def _cell_reading(cell, formula: object) -> tuple[object, str]:
    """(value, what is wrong with it, if anything) of a cell openpyxl reads."""
    value = cell.value
    if cell.data_type == "e":
        return value, f"the cell holds the error {value}"
    if value is None and isinstance(formula, str) and formula.startswith("=") \
            and cell.data_type != "str":  # "str": the saved result is the empty string
        return None, f"the formula {formula} has no saved value"
    return value, ""


def _expected_columns(sheet_name: str) -> dict[str, str]:
    """Header -> hint line of the columns the schema expects on ``sheet_name``."""
    if sheet_name == SETTINGS_SHEET:
        return dict.fromkeys(SETTINGS_COLUMNS, "")
    return {c.name: c.hint for c in SHEETS_BY_NAME[sheet_name].columns}


def guard_file(path: Path) -> list[str]:
    """Refuse, before anything is unpacked, a file that is not a safe-to-open workbook.

    Returns notes worth a warning about a file that is accepted.
    """
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a workbook")
    with path.open("rb") as f:
        magic = f.read(len(OLE_MAGIC))
    if magic == OLE_MAGIC:
        raise InputFileError(f"{path}: an old .xls workbook or a password-protected one; "
                             "remove any password and save it as 'Excel Workbook (.xlsx)'")
    if not zipfile.is_zipfile(path):
        if magic.startswith(ZIP_MAGIC):
            raise InputFileError(f"{path}: a damaged .xlsx file: its zip directory is "
                                 "missing, as when a file is cut short while it is copied, "
                                 "downloaded or saved; copy or save it again")
        raise InputFileError(f"{path}: not an Excel workbook (.xlsx); save it from your "
                             "spreadsheet program as 'Excel Workbook (.xlsx)'")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(f"{path}: a damaged .xlsx file ({exc})") from exc
    if len(parts) > MAX_PARTS:
        raise InputFileError(f"{path}: refused: {len(parts)} parts inside the file, more "
                             f"than a workbook has (at most {MAX_PARTS})")
    unpacked = sum(p.file_size for p in parts)
    bomb = [p for p in parts if p.file_size > 10 * 2**20
            and p.file_size > MAX_RATIO * max(p.compress_size, 1)]
    if unpacked > MAX_UNPACKED_BYTES or bomb:
        raise InputFileError(f"{path}: refused: it would unpack to {unpacked / 2**20:,.0f} MiB"
                             f"{' at a ratio over ' + str(MAX_RATIO) if bomb else ''}; "
                             "this looks like a zip bomb, not a workbook")
    if any(p.filename.lower().endswith("vbaproject.bin") for p in parts):
        return ["the workbook's macros are ignored; only cell values are read"]
    return []


def _open(path: Path, data_only: bool) -> Workbook:
    """``path`` opened read-only; a schema sheet the workbook lists without its XML part is
    an error, where openpyxl would leave the sheet out without a word."""
    reader = ExcelReader(path, read_only=True, data_only=data_only)
    reader.read()
    lost = [s.name for s in reader.parser.sheets
            if s.name in SCHEMA_SHEET_NAMES and s.name not in reader.wb.sheetnames]
    if lost:
        reader.wb.close()
        raise InputFileError(f"{path}: a damaged .xlsx file: the sheet {', '.join(lost)} is "
                             "listed but its cells are missing from the file; save the "
                             "workbook again from your spreadsheet program")
    return reader.wb


def _why(exc: Exception) -> str:
    """What is wrong inside a damaged file, in words where the cause is a known one.

    openpyxl wraps XML errors in a message that asks to "see the exception for more
    details", which a planner cannot: the wrapped exception itself is named instead.
    """
    cause = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
    if isinstance(cause, DefusedXmlException):
        return f"it declares XML entities or external references, refused for safety: {cause!r}"
    if isinstance(cause, IndexError):
        return "a cell refers to a shared text the file does not hold"
    if isinstance(cause, ValueError) and "invalid literal" in str(cause):
        return f"a cell's stored value does not fit its type: {cause}"
    return str(cause)


def _readable(path: Path, data_only: bool) -> Workbook:
    """:func:`_open`, any failure of openpyxl's a clear :class:`InputFileError`."""
    try:
        return _open(path, data_only)
    except InputFileError:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise InputFileError(f"{path}: cannot be read as an .xlsx workbook ({_why(exc)}); "
                             f"{REPAIR}") from exc


def open_values(path: Path) -> Workbook:
    """``path`` guarded (:func:`guard_file`) and opened read-only with its saved values; the
    caller closes it. Raises :class:`InputFileError`."""
    guard_file(path)
    return _readable(path, data_only=True)


def read_workbook(path: Path) -> RawWorkbook:
    """Read every sheet the schema knows from ``path``; other sheets are ignored.

    The saved values are read; the formulas are read too, from a second parse, for the
    sheets that hold any, to find formulas with no saved value.
    """
    notes = guard_file(path)
    values = _readable(path, data_only=True)
    formulas: Workbook | None = None
    plain = _calamine(path)
    try:
        sheets = {}
        for name, written in _schema_sheets(values.sheetnames).items():
            marks = _marks(values[written])
            sheet = _read_plain(plain, written, name) if marks.plain else None
            formulas_ws = None
            if sheet is None and marks.formulas:
                formulas = formulas or _readable(path, data_only=False)
                formulas_ws = formulas[written]
            try:
                sheet = sheet or _read_sheet(values[written], formulas_ws, name)
            except Exception as exc:  # damaged sheet XML surfaces only as rows stream in
                raise InputFileError(f"{path}: the sheet {written} is damaged and cannot be "
                                     f"read ({_why(exc)}); {REPAIR}") from exc
            sheet.written_as = "" if written == name else written
            sheet.hidden = values[written].sheet_state != "visible"
            sheet.hidden_rows = [i for i in sheet.numbers if i in marks.hidden_rows]
            sheet.hidden_columns = [h for h, j in sheet.columns.items()
                                    if any(lo <= j <= hi for lo, hi in marks.hidden_columns)]
            sheets[name] = sheet
        return RawWorkbook(path, sheets, list(values.sheetnames), notes)
    finally:
        values.close()
        if formulas is not None:
            formulas.close()
        if plain is not None:
            plain.close()


FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[\s>/]")
"""A cell formula in sheet XML (``<f>``, ``<f t="shared" .../>``, ``<x:f>``); data
validations' ``<formula1>`` do not count."""
ROW_ELEMENT = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
COLUMN_ELEMENT = re.compile(rb"<(?:\w+:)?col\b([^>]*)>")
ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*\bt="e"')
HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')
TAIL = 4096
"""Bytes of one block kept before the next, so that no element is cut in two."""


@dataclass
class Marks:
    """What a sheet's XML says beyond its values: formulas, error cells, hidden rows and
    columns (rows a filter leaves out are saved as hidden), and how far its cells reach."""

    formulas: bool = False
    errors: bool = False
    """Some cell holds an error value (#DIV/0!, #REF!, ...)."""
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[tuple[int, int]] = field(default_factory=set)
    """(first, last) 1-based column ranges."""
    unreferenced: bool = False
    """Some cell is not written ``<c r="A1" ...``: its place is implied, or it is prefixed."""
    last_row: int = 0
    last_column: int = 0
    """The largest row number and column number of any cell."""

    @property
    def plain(self) -> bool:
        """Calamine reads the sheet as openpyxl does, within :data:`MAX_PLAIN_CELLS`."""
        return not (self.formulas or self.errors or self.unreferenced) \
            and self.last_row * self.last_column <= MAX_PLAIN_CELLS


MAX_PLAIN_CELLS = 1_500_000
"""Largest grid (last row x last column) calamine is given: it holds a sheet whole, about
100 bytes a cell, where openpyxl streams it; larger sheets are read by openpyxl."""
CELL_ROW = re.compile(rb'<c r="[A-Z]+(\d+)"')
CELL_COLUMN = re.compile(rb'<c r="([A-Z]+)\d')
"""The row number and column letters of a cell written ``<c r="A1" ...``."""
UNREFERENCED_CELL = re.compile(rb'<\w+:c[\s>/]|<c(?:>|/|\s(?=....)(?!r="[A-Z]))')
"""A cell written otherwise than ``<c r="A1" ...``; four bytes must follow its space, so
that a block ending inside ``<c r="A`` does not count."""


def _attribute(attributes: bytes, name: bytes) -> int | None:
    found = re.search(rb"\b" + name + rb'="(\d+)"', attributes)
    return int(found.group(1)) if found else None


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _scan(text: bytes, marks: Marks) -> None:
    """Add what one block of sheet XML shows to ``marks``; the formula, error and hidden
    patterns run only where their literal part occurs (a tenth of the time). Blocks
    overlap, so that no element is missed; an element cut at a block's end is read short,
    which a maximum ignores."""
    marks.formulas = marks.formulas or ((b"<f" in text or b":f" in text)
                                        and bool(FORMULA_ELEMENT.search(text)))
    marks.errors = marks.errors or (b't="e"' in text and bool(ERROR_CELL.search(text)))
    marks.unreferenced = marks.unreferenced or bool(UNREFERENCED_CELL.search(text))
    if rows := CELL_ROW.findall(text):
        marks.last_row = max(marks.last_row, max(map(int, rows)))
    if columns := set(CELL_COLUMN.findall(text)):
        marks.last_column = max(marks.last_column, max(map(_column_number, columns)))
    if b"hidden=" not in text or not HIDDEN.search(text):
        return
    for found in ROW_ELEMENT.finditer(text):
        number = _attribute(found.group(1), b"r")
        if HIDDEN.search(found.group(1)) and number is not None:
            marks.hidden_rows.add(number)
    for found in COLUMN_ELEMENT.finditer(text):
        low, high = _attribute(found.group(1), b"min"), _attribute(found.group(1), b"max")
        if HIDDEN.search(found.group(1)) and low is not None:
            marks.hidden_columns.add((low, high or low))


def _marks(ws, chunk: int = 1 << 20) -> Marks:
    """The sheet's :class:`Marks`, its XML scanned as bytes, without parsing (formulas
    assumed where openpyxl does not give the sheet's source)."""
    marks = Marks()
    try:
        opened = ws._get_source()
    except AttributeError:
        marks.formulas = True
        return marks
    tail = b""
    with opened as source:
        while block := source.read(chunk):
            _scan(tail + block, marks)
            tail = block[-TAIL:]
    return marks


def _schema_sheets(names: list[str]) -> dict[str, str]:
    """Schema sheet name -> the workbook's sheet read for it: the one of that name, else
    the first whose name differs only in case, spacing or Unicode form."""
    found = {}
    for name in SCHEMA_SHEET_NAMES:
        if name in names:
            found[name] = name
        else:
            alike = [n for n in names if key(n) == key(name) and n not in SCHEMA_SHEET_NAMES]
            if alike:
                found[name] = alike[0]
    return found


def _header(sheet: RawSheet, header: tuple | list, hints: dict[str, str]) -> None:
    """Find the expected columns among the first row's texts ``header``."""
    by_key = {key(h): h for h in hints}
    for j, text in enumerate(header[:MAX_HEADER_COLUMNS], start=1):
        if text is None or (isinstance(text, str) and not text.strip()):
            continue
        label = clean(str(text))
        cell = RawCell(label, f"{get_column_letter(j)}1")
        name = label if label in hints else by_key.get(key(label))
        if name is None:
            sheet.unknown_headers.append(cell)
        elif name in sheet.columns:
            sheet.repeated.append((f"{get_column_letter(sheet.columns[name])}1", cell))
        else:
            sheet.columns[name] = j
            if name != label:
                sheet.spelt.append(cell)


def _filled(value: object) -> bool:
    """Not blank as :attr:`RawCell.blank` has it (a cell with a problem counts apart)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _fill(sheet: RawSheet, numbers: list[int], values: dict[str, list],
          problems: dict[str, dict[int, str]], hints: dict[str, str]) -> None:
    """Keep, of the rows ``numbers`` with their cells ``values`` and ``problems`` (by
    position), those that are not blank, less the template's hint row (row 2)."""
    kept = [False] * len(numbers)
    for cells in values.values():  # most often the first column alone is filled in throughout
        kept = list(map(operator.or_, kept, map(_filled, cells)))
        if all(kept):
            break
    for marked in problems.values():
        for i in marked:
            kept[i] = True
    if numbers and numbers[0] == 2 and any(hints.values()) \
            and all(cells[0] in (None, hints[c]) for c, cells in values.items()) \
            and any(cells[0] is not None for cells in values.values()):
        sheet.first_data_row, kept[0] = 3, False
    if not all(kept):
        position = [n - 1 for n in itertools.accumulate(kept)]
        numbers = list(itertools.compress(numbers, kept))
        values = {c: list(itertools.compress(cells, kept)) for c, cells in values.items()}
        problems = {c: {position[i]: what for i, what in marked.items() if kept[i]}
                    for c, marked in problems.items()}
    sheet.numbers, sheet.values = numbers, values
    sheet.problems = {c: marked for c, marked in problems.items() if marked}


def _read_sheet(values_ws, formulas_ws, name: str) -> RawSheet:
    """One sheet's expected columns and non-blank rows, read by openpyxl; ``formulas_ws``
    (None where the sheet holds no formula) tells formulas without a saved value from blank
    cells."""
    sheet = RawSheet(name)
    for ws in (values_ws, formulas_ws):
        # every row, not only those within the dimension the sheet stores: writers may
        # leave that stale, and Excel ignores it
        if ws is not None:
            ws.reset_dimensions()
    hints = _expected_columns(name)
    _header(sheet, next(values_ws.iter_rows(min_row=1, max_row=1, max_col=MAX_HEADER_COLUMNS,
                                            values_only=True), ()), hints)
    if not sheet.columns:
        return sheet
    width = max(sheet.columns.values())
    value_rows = values_ws.iter_rows(min_row=2, max_col=width)
    formula_rows = itertools.repeat(()) if formulas_ws is None else \
        formulas_ws.iter_rows(min_row=2, max_col=width, values_only=True)
    numbers: list[int] = []
    values: dict[str, list] = {col: [] for col in sheet.columns}
    problems: dict[str, dict[int, str]] = {col: {} for col in sheet.columns}
    for i, (cells, forms) in enumerate(zip(value_rows, formula_rows), start=2):
        if all(c.value is None for c in cells) and all(x is None for x in forms):
            continue
        for col, j in sheet.columns.items():
            value, problem = _cell_reading(cells[j - 1] if j <= len(cells) else EMPTY_CELL,
                                           forms[j - 1] if j <= len(forms) else None)
            values[col].append(value)
            if problem:
                problems[col][len(numbers)] = problem
        numbers.append(i)
    _fill(sheet, numbers, values, problems, hints)
    return sheet


def _calamine(path: Path) -> python_calamine.CalamineWorkbook | None:
    """``path`` opened by python-calamine, or None where it cannot (openpyxl reads it all)."""
    try:
        return python_calamine.load_workbook(path)
    except Exception:  # noqa: BLE001 - openpyxl's reading explains what is wrong
        return None


class _Unplain(Exception):
    """A value calamine reads that no spreadsheet program writes: openpyxl reads the sheet."""


def _plain_values(cells: tuple) -> list:
    """A column's values as calamine gives them, as openpyxl gives them: a blank is None and
    a date is a datetime at midnight. Calamine reads the texts INF and NaN as numbers, which
    a spreadsheet cannot store: they raise :class:`_Unplain`."""
    kinds = set(map(type, cells))
    if float in kinds and not all(map(math.isfinite, (x for x in cells if type(x) is float))):
        raise _Unplain
    if dt.date in kinds:
        return [None if x == "" else dt.datetime.combine(x, dt.time()) if type(x) is dt.date
                else x for x in cells]
    return [None if x == "" else x for x in cells]


def _read_plain(plain: python_calamine.CalamineWorkbook | None, written: str,
                name: str) -> RawSheet | None:
    """One sheet whose :class:`Marks` are plain, read by calamine as :func:`_read_sheet`
    reads it, a column at a time; None where calamine cannot read it."""
    if plain is None:
        return None
    try:
        table = plain.get_sheet_by_name(written).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - openpyxl's reading explains what is wrong
        return None
    sheet = RawSheet(name)
    hints = _expected_columns(name)
    _header(sheet, table[0] if table else [], hints)
    if not sheet.columns or len(table) < 2:
        return sheet
    columns = list(itertools.zip_longest(*table[1:], fillvalue=""))
    try:
        values = {col: _plain_values(columns[j - 1]) if j <= len(columns)
                  else [None] * (len(table) - 1) for col, j in sheet.columns.items()}
    except _Unplain:
        return None
    _fill(sheet, list(range(2, len(table) + 1)), values, {}, hints)
    return sheet
