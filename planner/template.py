"""The input workbook written from the schema: the blank template, or one filled with rows.

Every sheet gets a styled header, a hint row (unit or allowed values, required or
not), a comment with each column's description, drop-down lists for references and
enumerations, and a frozen header. ``plan template`` writes it empty;
``python -m planner.inputs`` writes the bundled example from ``inputs/example.toml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from planner.schema import (
    ALL_PERIODS, INSTRUCTIONS_SHEET, SETTINGS, SETTINGS_COLUMNS, SETTINGS_SHEET, SHEETS,
    SHEETS_BY_NAME, Column, Kind, Sheet,
)
from planner.xlsx import MAX_CELL_TEXT, replacing

HEADER_FONT, HEADER_FILL = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E78")
HINT_FONT, HINT_FILL = Font(italic=True, color="595959"), PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=14)
VALIDATED_ROWS = 2000
"""Drop-down lists and number checks cover this many data rows of each sheet."""

INSTRUCTIONS = (
    "How to use this workbook",
    "",
    "1. Fill in the sheets from left to right: Settings, Periods, Materials, Sites, then the "
    "network (Supply, Processes, Recipes, Lanes), Demand and SpotMarket.",
    "2. Row 1 holds the column names (keep them as they are); row 2 says the unit or the "
    "allowed values and whether a cell is required; enter data from row 3 on.",
    "3. Hover over a column name for its description. Names in reference columns must "
    "match a row of the sheet they refer to; the drop-down lists offer them.",
    "4. Check the workbook with:  plan validate THIS_FILE.xlsx",
    "5. Solve it with:  plan solve THIS_FILE.xlsx -o result.xlsx",
    "",
    "Sheets",
)


def set_value(cell, value: object) -> None:
    """Store ``value`` in ``cell``; text is always text, never a formula; "" is a blank."""
    cell.value = None if value == "" else value
    if isinstance(value, str) and value:
        if len(value) > MAX_CELL_TEXT:
            raise ValueError(f"text of {len(value)} characters exceeds Excel's cell limit")
        cell.data_type = "s"


def write_table(ws: Worksheet, columns: Sequence[str], rows: Sequence[Sequence[object]],
                hints: Sequence[str] = ()) -> None:
    """A styled header, a hint row (if any) and the rows, the header frozen, the columns as
    wide as their header and hint (within limits)."""
    for j, name in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=j)
        set_value(cell, name)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        width = max(len(name), len(hints[j - 1]) * 0.8 if hints else 0, 10)
        ws.column_dimensions[get_column_letter(j)].width = min(width + 2, 48)
    for j, hint in enumerate(hints, start=1):
        cell = ws.cell(row=2, column=j)
        set_value(cell, hint)
        cell.font, cell.fill = HINT_FONT, HINT_FILL
    first = 3 if hints else 2
    for r, row in enumerate(rows, start=first):
        for j, value in enumerate(row, start=1):
            set_value(ws.cell(row=r, column=j), value)
    ws.freeze_panes = ws.cell(row=first, column=1)


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save ``wb`` to a temporary file beside ``path``, then rename it over ``path``."""
    with replacing(path.resolve()) as tmp:
        wb.save(tmp)


def _instructions(ws: Worksheet, notes: Sequence[str]) -> None:
    lines = list(INSTRUCTIONS) + [f"{s.name}: {s.description}" for s in SHEETS]
    if notes:
        lines += [""] + list(notes)
    for i, line in enumerate(lines, start=1):
        set_value(ws.cell(row=i, column=1), line)
    ws["A1"].font = TITLE_FONT
    ws.column_dimensions["A"].width = 120


def _settings(ws: Worksheet, values: Mapping[str, object]) -> None:
    rows = [(s.key, values.get(s.key, s.default), s.unit, s.description) for s in SETTINGS]
    write_table(ws, SETTINGS_COLUMNS + ("Unit", "Description"), rows)
    ws.column_dimensions["A"].width = max(len(s.key) for s in SETTINGS) + 4
    ws.column_dimensions["D"].width = 90
    for row, setting in enumerate(SETTINGS, start=2):
        dv = _validation(setting.as_column(), "B", f"B{row}")
        if dv is not None:
            ws.add_data_validation(dv)


def _comment(column: Column) -> Comment:
    lines = [column.description]
    if column.unit:
        lines.append(f"Unit: {column.unit}")
    if column.ref:
        lines.append(f"Refers to: {column.ref}")
    bounds = column.bounds_text()
    if bounds and column.kind is Kind.NUMBER:
        lines.append(f"Must be {bounds}")
    comment = Comment("\n".join(lines), "battery-planner")
    comment.width, comment.height = 300, 120
    return comment


def _validation(column: Column, letter: str, cells: str | None = None) -> DataValidation | None:
    """The cell check of ``column`` (in column ``letter``), on ``cells`` or its data rows."""
    cells = cells or f"{letter}3:{letter}{VALIDATED_ROWS + 2}"
    if column.allowed:
        dv = DataValidation(type="list", formula1='"' + ",".join(column.allowed) + '"',
                            allow_blank=True, showErrorMessage=True)
    elif column.ref:
        ref_sheet = SHEETS_BY_NAME[column.ref]
        key_col = get_column_letter(1 + [c.name for c in ref_sheet.columns].index(ref_sheet.key[0]))
        dv = DataValidation(type="list", allow_blank=True, showErrorMessage=True,
                            formula1=f"{column.ref}!${key_col}$3:${key_col}${VALIDATED_ROWS + 2}")
        if column.allow_all_periods:
            dv.errorStyle = "warning"
            dv.error = f"Use a period from Periods or '{ALL_PERIODS}'."
    elif column.kind is Kind.NUMBER and (column.minimum is not None or column.positive):
        kind = "whole" if column.whole else "decimal"
        if column.positive:
            dv = DataValidation(type=kind, operator="greaterThan", formula1="0")
        elif column.maximum is not None:
            dv = DataValidation(type=kind, operator="between", formula1=str(column.minimum),
                                formula2=str(column.maximum))
        else:
            dv = DataValidation(type=kind, operator="greaterThanOrEqual",
                                formula1=str(column.minimum))
        dv.allow_blank, dv.showErrorMessage = True, True
    else:
        return None
    dv.errorTitle = column.name
    dv.error = dv.error or _comment(column).text
    dv.add(cells)
    return dv


def _table(ws: Worksheet, spec: Sheet, rows: Sequence[Sequence[object]]) -> None:
    write_table(ws, [c.name for c in spec.columns], rows, hints=[c.hint for c in spec.columns])
    for j, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(j)
        ws[f"{letter}1"].comment = _comment(column)
        dv = _validation(column, letter)
        if dv is not None:
            ws.add_data_validation(dv)


def build_workbook(rows: Mapping[str, Sequence[Mapping[str, object]]] | None = None,
                   settings: Mapping[str, object] | None = None,
                   notes: Sequence[str] = ()) -> Workbook:
    """The input workbook with ``rows[sheet]`` (dicts keyed by column name) filled in."""
    rows = rows or {}
    wb = Workbook()
    _instructions(wb.active, notes)
    wb.active.title = INSTRUCTIONS_SHEET
    _settings(wb.create_sheet(SETTINGS_SHEET), settings or {})
    for spec in SHEETS:
        table = [[row.get(c.name) for c in spec.columns] for row in rows.get(spec.name, ())]
        _table(wb.create_sheet(spec.name), spec, table)
    return wb


def write_template(path: Path, **content) -> None:
    """Write :func:`build_workbook` to ``path`` atomically."""
    save_workbook(build_workbook(**content), path)
