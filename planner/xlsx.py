"""Writing workbooks: styled tables, text kept as text, and atomic saves.

Excel's limits are kept: text of at most 32,767 characters in a cell, sheet names of at
most 31 characters, and 1,048,576 rows in a sheet. A table longer than its sheet can hold
is not cut short: :func:`atomic_save` writes it in full beside the workbook as CSV, and the
sheet holds a note naming that file, then the header and as many rows as fit.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
import tempfile
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HINT_FONT = Font(italic=True, color="595959")
HINT_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=14)
NOTE_FONT = WARNING_FONT = Font(bold=True, color="C00000")
HEADING_FONT = Font(bold=True, size=12)
MAX_CELL_TEXT = 32_767
MAX_SHEET_ROWS = 1_048_576
"""Rows in one Excel sheet: a header and 1,048,575 data rows."""
MAX_SHEET_TITLE = 31
"""Characters in a sheet's name."""


class OutputError(Exception):
    """The output file cannot be written; the message says why and what to do."""


def set_value(cell: Cell, value: object) -> None:
    """Store ``value`` in ``cell``; text is always text, never a formula; "" is a blank."""
    if value == "":
        value = None
    cell.value = value
    if isinstance(value, str):
        if len(value) > MAX_CELL_TEXT:
            raise ValueError(f"text of {len(value)} characters exceeds Excel's cell limit")
        cell.data_type = "s"


@dataclass
class _Spill:
    """A table longer than its sheet: written in full as CSV when the workbook is saved."""

    note: Cell
    columns: list[str]
    rows: Sequence[Sequence[object]]
    shown: int

    def describe(self, file_name: str | None) -> None:
        where = f"the file '{file_name}'" if file_name else "a CSV file"
        set_value(self.note, f"This table has {len(self.rows):,} rows, more than an Excel "
                  f"sheet holds: all {len(self.rows):,} are in {where} beside this "
                  f"workbook; the first {self.shown:,} are below.")


_SPILLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Workbook -> its tables too long for their sheets, in the order written."""


def write_table(ws: Worksheet, columns: Sequence[str], rows: Iterable[Sequence[object]],
                start_row: int = 1, number_format: dict[str, str] | None = None,
                hints: Sequence[str] | None = None, first_column: int = 1) -> int:
    """Write a styled header (and optional hint row) and the rows from column
    ``first_column``; return the last row used.

    Rows beyond the sheet's last row (:data:`MAX_SHEET_ROWS`) are not dropped: the table is
    kept for :func:`atomic_save` to write in full as CSV beside the workbook, and the sheet
    gets a note in ``start_row`` naming that file, with the header below it and then as
    many rows as fit.
    """
    number_format = number_format or {}
    rows = rows if isinstance(rows, Sequence) else list(rows)
    room = MAX_SHEET_ROWS - start_row - (1 if hints else 0)
    if len(rows) > room:
        room -= 1  # the note takes the header's row
        if room < 0:
            raise ValueError(f"sheet {ws.title} has no room left for a table at row "
                             f"{start_row}")
        spill = _Spill(ws.cell(row=start_row, column=first_column), list(columns), rows, room)
        spill.describe(None)
        spill.note.font = NOTE_FONT
        _SPILLS.setdefault(ws.parent, []).append(spill)
        rows = itertools.islice(rows, room)
        start_row += 1
    for j, name in enumerate(columns, start=first_column):
        cell = ws.cell(row=start_row, column=j)
        set_value(cell, name)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    r = start_row
    if hints:
        r += 1
        for j, hint in enumerate(hints, start=first_column):
            cell = ws.cell(row=r, column=j)
            set_value(cell, hint)
            cell.font, cell.fill = HINT_FONT, HINT_FILL
    formats = [number_format.get(name) for name in columns]
    for row in rows:
        r += 1
        for j, value in enumerate(row):
            cell = ws.cell(row=r, column=first_column + j)
            set_value(cell, value)
            if formats[j] and isinstance(value, (int, float)):
                cell.number_format = formats[j]
    ws.freeze_panes = ws.cell(row=start_row + (2 if hints else 1), column=1)
    fit_widths(ws, columns, hints, first_column)
    return r


def fit_widths(ws: Worksheet, columns: Sequence[str], hints: Sequence[str] | None = None,
               first_column: int = 1) -> None:
    """Widen columns to their header (and hint), within sensible limits."""
    for j, name in enumerate(columns, start=first_column):
        width = max(len(str(name)), len(hints[j - first_column]) * 0.8 if hints else 0, 10)
        ws.column_dimensions[get_column_letter(j)].width = min(width + 2, 48)


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


def cap_sheet_titles(wb: Workbook) -> None:
    """Shorten any sheet name longer than Excel allows, keeping the names distinct."""
    taken = {ws.title.casefold() for ws in wb.worksheets}
    for ws in wb.worksheets:
        if len(ws.title) <= MAX_SHEET_TITLE:
            continue
        for n in itertools.count(1):
            suffix = "" if n == 1 else f" ({n})"
            title = ws.title[:MAX_SHEET_TITLE - len(suffix)].rstrip() + suffix
            if title.casefold() not in taken:
                break
        taken.add(title.casefold())
        ws.title = title


def spill_path(path: Path, sheet: str, taken: Iterable[Path] = ()) -> Path:
    """``<path's stem> - <sheet>.csv`` beside ``path``, numbered if ``taken`` has it."""
    name = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", sheet)
    taken = set(taken)
    candidates = (path.with_name(f"{path.stem} - {name}{'' if n == 1 else f' ({n})'}.csv")
                  for n in itertools.count(1))
    return next(c for c in candidates if c not in taken)


@contextmanager
def _replacing(path: Path) -> Iterator[str]:
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


def _write_csv(spill: _Spill, path: Path) -> None:
    """Write the whole table as UTF-8 CSV (with the BOM Excel looks for), atomically."""
    with _replacing(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([csv_text(c) for c in spill.columns])
        writer.writerows([csv_text(x) for x in row] for row in spill.rows)


def atomic_save(wb: Workbook, path: Path) -> None:
    """Save ``wb`` to a temporary file beside ``path``, then rename it over ``path``.

    Tables too long for their sheets are first written in full beside it, each as
    ``<path's stem> - <sheet name>.csv`` (see :func:`write_table`).
    """
    target = path.resolve()
    cap_sheet_titles(wb)
    spills = _SPILLS.get(wb, [])
    files: list[Path] = []
    for spill in spills:
        files.append(spill_path(target, spill.note.parent.title, files))
        spill.describe(files[-1].name)
    with _replacing(target) as tmp:
        wb.save(tmp)
        for spill, file in zip(spills, files):
            _write_csv(spill, file)
