"""Writing result workbooks (xlsxwriter): styled tables, text kept as text, atomic saves.

xlsxwriter writes a workbook once, in about a third of the time openpyxl takes to build and
save it: a result is written in reading order, sheet by sheet, cell by cell, and every
sheet is sized and set up for printing (:mod:`planner.printing`) when it is saved.

Excel's limits are kept: text of at most 32,767 characters in a cell, sheet names of at
most 31 characters, and 1,048,576 rows in a sheet. A table longer than its sheet can hold
is not cut short: it is written in full beside the workbook as CSV, and the sheet holds a
note naming that file, then the header and as many rows as fit.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import xlsxwriter
from xlsxwriter.exceptions import XlsxFileError

from planner import printing

HEADER = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78", "valign": "vcenter"}
TITLE = {"bold": True, "font_size": 14}
HEADING = {"bold": True, "font_size": 12}
NOTE = WARNING = {"bold": True, "font_color": "#C00000"}
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
PIXELS_PER_CM = 96 / 2.54
MAX_CELL_TEXT = 32_767
MAX_SHEET_ROWS = 1_048_576
"""Rows in one Excel sheet: a header and 1,048,575 data rows."""
MAX_SHEET_TITLE = 31
"""Characters in a sheet's name."""


class OutputError(Exception):
    """The output file cannot be written; the message says why and what to do."""


class Sheet:
    """One sheet being written; rows and columns count from 1, as a spreadsheet shows them."""

    def __init__(self, book: Book, title: str) -> None:
        self.book, self.title = book, title
        self.ws = book.workbook.add_worksheet(title)
        self.rows = self.columns = 0
        """The last row and column written."""
        self.widths: dict[int, float] = {}
        """Each column's widest sampled text (:func:`planner.printing.measure`)."""
        self.frozen: int | None = None
        """The first row below the frozen header, if any."""
        self.one_page = False
        """Printed on one page (rather than one page wide)."""

    def put(self, row: int, column: int, value: object, style: dict | None = None,
            number_format: str | None = None) -> None:
        """Store ``value``: text always text, never a formula; "" and None a blank; NaN a
        blank and an infinity the text "infinite"; dates and times as such."""
        if isinstance(value, dt.date) and not number_format:
            number_format = DATE_FORMAT
        self.store(row, column, value, self.book.format(style, number_format), number_format,
                   bool(style and style.get("bold")))

    def store(self, row: int, column: int, value: object, cell_format, number_format: str | None,
              bold: bool = False, measured: bool = True) -> None:
        """:meth:`put` with the format already made (:meth:`Book.format`); ``measured``:
        whether the value counts for its column's width."""
        kind = type(value)
        if kind is str and value:
            if len(value) > MAX_CELL_TEXT:
                raise ValueError(f"text of {len(value)} characters exceeds Excel's cell limit")
            self.ws.write_string(row - 1, column - 1, value, cell_format)
        elif kind is int or (kind is float and math.isfinite(value)):
            self.ws.write_number(row - 1, column - 1, value, cell_format)
        elif kind is bool:
            self.ws.write_boolean(row - 1, column - 1, value, cell_format)
        elif isinstance(value, dt.date):
            self.ws.write_datetime(row - 1, column - 1, value, cell_format)
        elif value is None or kind is str or (isinstance(value, float) and math.isnan(value)):
            if cell_format is not None:
                self.ws.write_blank(row - 1, column - 1, None, cell_format)
            return
        else:  # an infinity, a NumPy scalar or another object
            plain = value.item() if hasattr(value, "item") else \
                ("infinite" if value > 0 else "-infinite") if isinstance(value, float) \
                else str(value)
            self.store(row, column, plain, cell_format, number_format, bold, measured)
            return
        if row > self.rows:
            self.rows = row
        if column > self.columns:
            self.columns = column
        if measured and row <= printing.SAMPLED:
            printing.measure(self, column, value, number_format, bold)

    def cells(self, row: int, column: int, last_row: int | None = None,
              last_column: int | None = None) -> list:
        """A cell, or the range from it to (``last_row``, ``last_column``), as a chart's
        series takes it."""
        return [self.title, row - 1, column - 1, (last_row or row) - 1,
                (last_column or column) - 1]

    def chart(self, options: dict, title: str, height_cm: float, anchor: tuple[int, int],
              x_title: str | None = None, y_title: str | None = None):
        """A chart of ``options`` (xlsxwriter's), 16 cm wide, its top left corner at the cell
        ``anchor`` (row, column); the caller adds its series."""
        chart = self.book.workbook.add_chart(options)
        chart.set_title({"name": title})
        if x_title:
            chart.set_x_axis({"name": x_title})
        if y_title:
            chart.set_y_axis({"name": y_title})
        chart.set_size({"width": round(16 * PIXELS_PER_CM),
                        "height": round(height_cm * PIXELS_PER_CM)})
        self.ws.insert_chart(anchor[0] - 1, anchor[1] - 1, chart)
        return chart


class Book:
    """A result workbook being written to a temporary file (see :func:`result_book`)."""

    def __init__(self, target: Path, temporary: str) -> None:
        self.target = target
        self.workbook = xlsxwriter.Workbook(temporary, {
            "strings_to_numbers": False, "strings_to_formulas": False,
            "strings_to_urls": False})
        self.sheets: list[Sheet] = []
        self.spills: list[tuple[Path, list[str], Sequence[Sequence[object]]]] = []
        """Tables too long for their sheets: (CSV file, header, rows), written on saving."""
        self._formats: dict[tuple, object] = {}

    def add_sheet(self, title: str) -> Sheet:
        """A new last sheet; a title longer than Excel allows is shortened, kept distinct."""
        taken = {s.title.casefold() for s in self.sheets}
        for n in itertools.count(1):
            suffix = "" if n == 1 else f" ({n})"
            short = title if len(title) <= MAX_SHEET_TITLE and n == 1 else \
                title[:MAX_SHEET_TITLE - len(suffix)].rstrip() + suffix
            if short.casefold() not in taken:
                break
        self.sheets.append(Sheet(self, short))
        return self.sheets[-1]

    def format(self, style: dict | None, number_format: str | None = None):
        """The workbook's format for ``style`` and ``number_format`` (None for neither)."""
        if not style and not number_format:
            return None
        key = (tuple(sorted((style or {}).items())), number_format)
        if key not in self._formats:
            properties = dict(style or {})
            if number_format:
                properties["num_format"] = number_format
            self._formats[key] = self.workbook.add_format(properties)
        return self._formats[key]

    def close(self) -> None:
        for sheet in self.sheets:
            printing.finish(sheet)
        try:
            self.workbook.close()
        except XlsxFileError as exc:
            raise OutputError(f"{self.target}: cannot be written ({exc})") from exc


@contextmanager
def result_book(path: Path) -> Iterator[Book]:
    """A :class:`Book` for ``path``: saved to a temporary file beside it and renamed over it
    when the block ends well, with each table too long for its sheet written in full
    beside it as ``<path's stem> - <sheet name>.csv``; nothing is left otherwise."""
    target = path.resolve()
    with replacing(target) as temporary:
        book = Book(target, temporary)
        yield book
        book.close()
        for file, columns, rows in book.spills:
            _write_csv(file, columns, rows)


def write_table(sheet: Sheet, columns: Sequence[str], rows: Iterable[Sequence[object]],
                start_row: int = 1, number_format: dict[str, str] | None = None,
                first_column: int = 1) -> int:
    """Write a styled header and the rows from column ``first_column``, the header frozen;
    return the last row used.

    Rows beyond the sheet's last row (:data:`MAX_SHEET_ROWS`) are not dropped: the whole
    table goes to a CSV file beside the workbook when it is saved, and the sheet gets a
    note in ``start_row`` naming that file, with the header below it and then as many rows
    as fit.
    """
    number_format = number_format or {}
    rows = rows if isinstance(rows, Sequence) else list(rows)
    sample = rows[:printing.SAMPLED]
    room = MAX_SHEET_ROWS - start_row
    if len(rows) > room:
        room -= 1  # the note takes the header's row
        if room < 0:
            raise ValueError(f"sheet {sheet.title} has no room left for a table at row "
                             f"{start_row}")
        book = sheet.book
        file = spill_path(book.target, sheet.title, [f for f, _, _ in book.spills])
        book.spills.append((file, list(columns), rows))
        sheet.put(start_row, first_column, f"This table has {len(rows):,} rows, more than an "
                  f"Excel sheet holds: all {len(rows):,} are in the file '{file.name}' beside "
                  f"this workbook; the first {room:,} are below.", NOTE)
        rows = itertools.islice(rows, room)
        start_row += 1
    for j, name in enumerate(columns, start=first_column):
        sheet.put(start_row, j, name, HEADER)
    formats = [number_format.get(name) for name in columns]
    made = [sheet.book.format(None, f) for f in formats]
    r = start_row
    for r, row in enumerate(rows, start=start_row + 1):
        for j, value in enumerate(row):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.store(r, first_column + j, value, made[j], formats[j], measured=False)
            else:
                sheet.store(r, first_column + j, value, None, None, measured=False)
    for j, name in enumerate(columns):
        printing.measure_column(sheet, first_column + j, [row[j] for row in sample
                                                          if j < len(row)], formats[j])
    sheet.frozen = start_row + 1
    return r


def check_writable(path: Path, inputs: Iterable[Path] = ()) -> None:
    """Refuse an output that would overwrite an input or that Excel holds open."""
    target = path.resolve()
    for source in inputs:
        if source.exists() and target == source.resolve():
            raise OutputError(f"{path}: the output would overwrite the input workbook; "
                              "choose another output name with -o")
    if not target.parent.is_dir():
        raise OutputError(f"{path}: the folder {target.parent} does not exist; create it first")
    if (target.parent / f"~${target.name}").exists():
        raise OutputError(f"{path}: the file looks open in Excel (~${target.name} is beside it); "
                          "close it and run again")


def spill_path(path: Path, sheet: str, taken: Iterable[Path] = ()) -> Path:
    """``<path's stem> - <sheet>.csv`` beside ``path``, numbered if ``taken`` has it."""
    name = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", sheet)
    taken = set(taken)
    candidates = (path.with_name(f"{path.stem} - {name}{'' if n == 1 else f' ({n})'}.csv")
                  for n in itertools.count(1))
    return next(c for c in candidates if c not in taken)


@contextmanager
def replacing(path: Path) -> Iterator[str]:
    """A temporary file beside ``path`` to write, renamed over ``path`` when the block ends
    well and removed otherwise; it gets the permissions the umask gives new files."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        yield tmp
        os.replace(tmp, path)
    except PermissionError as exc:
        raise OutputError(f"{path}: cannot be replaced ({exc.strerror}); "
                          "close it in any program that has it open and run again") from exc
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror})") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet program read a CSV field as a formula."""


def csv_text(value: object) -> object:
    """``value`` for a CSV field: text a spreadsheet program would run as a formula gets a
    leading apostrophe, which it shows as text (numbers are left alone)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _write_csv(path: Path, columns: list[str], rows: Sequence[Sequence[object]]) -> None:
    """Write the whole table as UTF-8 CSV (with the BOM Excel looks for), atomically."""
    with replacing(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([csv_text(c) for c in columns])
        writer.writerows([csv_text(x) for x in row] for row in rows)
