"""Every sheet of a result made readable on screen and on paper, as it is saved.

Column widths come from what the cells show (numbers as their format prints them), so a
spreadsheet program shows no ``###`` and cuts no name off; text longer than
:data:`OVERFLOWS` characters is a sentence, left to run into the empty cells beside it.
Pages are A4 landscape, one page wide; a sheet that is one table repeats its header on
every printed page and gets an autofilter.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.xlsx import Sheet

OVERFLOWS = 60
"""Text longer than this is a sentence: it does not set its column's width."""
WIDEST = 60
SAMPLED = 5_000
"""Rows measured to size the columns of a sheet (its first rows)."""
A4 = 9
"""xlsxwriter's paper number of A4."""


def shown(value: object, number_format: str | None) -> str:
    """About what a spreadsheet program shows for ``value`` in ``number_format``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    fmt = number_format or "General"
    if "%" in fmt:
        decimals = fmt.split(".")[1].count("0") if "." in fmt else 0
        return f"{value:.{decimals}%}"
    if "E+" in fmt:
        return f"{value:.1E}"
    if fmt == "General":
        text = f"{value:.10g}"
        return text if len(text) <= 11 else f"{value:.5E}"
    decimals = fmt.split(".")[1].count("0") + fmt.split(".")[1].count("#") if "." in fmt \
        else 0
    return f"{value:,.{decimals}f}" if "," in fmt else f"{value:.{decimals}f}"


def measure(sheet: Sheet, column: int, value: object, number_format: str | None,
            bold: bool) -> None:
    """Widen ``column``'s width to what ``value`` shows (a sentence aside)."""
    text = shown(value, number_format)
    if isinstance(value, str) and len(text) > OVERFLOWS:
        return
    size = len(text) * (1.1 if bold else 1.0)
    if size > sheet.widths.get(column, 0.0):
        sheet.widths[column] = size


def measure_column(sheet: Sheet, column: int, values: list, number_format: str | None) -> None:
    """:func:`measure` over a column's ``values``: its numbers by their largest and smallest
    where a fixed format makes those the widest shown (integers, or any number format but
    the general one)."""
    numbers, rest = [], []
    for v in values:
        if type(v) in (int, float) and math.isfinite(v):
            numbers.append(v)
        elif v is not None:
            rest.append(v)
    fixed = number_format not in (None, "General") or all(type(v) is int for v in numbers)
    for value in (rest + ([max(numbers), min(numbers)] if numbers and fixed else numbers)):
        measure(sheet, column, value, number_format, False)


def finish(sheet: Sheet) -> None:
    """Each column as wide as the widest thing it shows, at least 8; A4 landscape, one page
    wide (or one page); the header frozen; a one-table sheet repeats its header row and
    filters."""
    ws = sheet.ws
    for column, width in sheet.widths.items():
        ws.set_column(column - 1, column - 1, min(max(width + 2, 8), WIDEST))
    ws.set_landscape()
    ws.set_paper(A4)
    ws.fit_to_pages(1, 1 if sheet.one_page else 0)
    if sheet.frozen is not None:
        ws.freeze_panes(sheet.frozen - 1, 0)
    if sheet.frozen == 2 and sheet.rows > 1:
        ws.repeat_rows(0)
        ws.autofilter(0, 0, sheet.rows - 1, sheet.columns - 1)
