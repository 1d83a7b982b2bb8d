"""Every sheet of a result made readable on screen and on paper, once it is written.

Column widths come from what the cells show (numbers as their format prints them), so a
spreadsheet program shows no ``###`` and cuts no name off; text longer than
:data:`OVERFLOWS` characters is a sentence, left to run into the empty cells beside it.
Pages are A4 landscape, one page wide; a sheet that is one table repeats its header on
every printed page and gets an autofilter.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

OVERFLOWS = 60
"""Text longer than this is a sentence: it does not set its column's width."""
WIDEST = 60
SAMPLED = 5_000
"""Rows read to size the columns of a long table (its first rows)."""


def shown(value: object, number_format: str) -> str:
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


def fit_columns(ws: Worksheet) -> None:
    """Each column as wide as the widest thing it shows (sentences aside), at least 8."""
    widths: dict[int, float] = {}
    for row in ws.iter_rows(max_row=min(ws.max_row, SAMPLED)):
        for cell in row:
            if cell.value is None:
                continue
            text = shown(cell.value, cell.number_format)
            if isinstance(cell.value, str) and len(text) > OVERFLOWS:
                continue
            size = len(text) * (1.1 if cell.font is not None and cell.font.b else 1.0)
            widths[cell.column] = max(widths.get(cell.column, 0.0), size)
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), WIDEST)


def for_print(ws: Worksheet) -> None:
    """A4 landscape, one page wide; a one-table sheet repeats its header row and filters."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    if ws.page_setup.fitToHeight is None:  # a sheet that must fit one page has set 1
        ws.page_setup.fitToHeight = 0
    if ws.freeze_panes == "A2" and ws.max_row > 1:
        ws.print_title_rows = "1:1"
        ws.auto_filter.ref = f"A1:{get_column_letter(ws.max_column)}{ws.max_row}"


def finish(wb: Workbook) -> None:
    """Every sheet of ``wb`` sized and set up for printing."""
    for ws in wb.worksheets:
        fit_columns(ws)
        for_print(ws)
