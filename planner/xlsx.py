"""Writing workbooks: styled tables, text kept as text, and atomic saves."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
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
MAX_CELL_TEXT = 32_767


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


def write_table(ws: Worksheet, columns: Sequence[str], rows: Iterable[Sequence[object]],
                start_row: int = 1, number_format: dict[str, str] | None = None,
                hints: Sequence[str] | None = None) -> int:
    """Write a styled header (and optional hint row) and the rows; return the last row used."""
    number_format = number_format or {}
    for j, name in enumerate(columns, start=1):
        cell = ws.cell(row=start_row, column=j)
        set_value(cell, name)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    r = start_row
    if hints:
        r += 1
        for j, hint in enumerate(hints, start=1):
            cell = ws.cell(row=r, column=j)
            set_value(cell, hint)
            cell.font, cell.fill = HINT_FONT, HINT_FILL
    formats = [number_format.get(name) for name in columns]
    for row in rows:
        r += 1
        for j, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=j)
            set_value(cell, value)
            if formats[j - 1] and isinstance(value, (int, float)):
                cell.number_format = formats[j - 1]
    ws.freeze_panes = ws.cell(row=start_row + (2 if hints else 1), column=1)
    fit_widths(ws, columns, hints)
    return r


def fit_widths(ws: Worksheet, columns: Sequence[str], hints: Sequence[str] | None = None) -> None:
    """Widen columns to their header (and hint), within sensible limits."""
    for j, name in enumerate(columns, start=1):
        width = max(len(str(name)), len(hints[j - 1]) * 0.8 if hints else 0, 10)
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


def atomic_save(wb: Workbook, path: Path) -> None:
    """Save ``wb`` to a temporary file beside ``path``, then rename it over ``path``."""
    target = path.resolve()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, target)
    except PermissionError as exc:
        raise OutputError(f"{path}: cannot be replaced ({exc.strerror}); "
                          "close it in any program that has it open and run again") from exc
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror})") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
