"""Reading the input workbook into raw tables, cell by cell, without coercion.

Only the sheets and columns the schema names are read. Each value keeps its cell
reference so that the validator can name it; formulas without a saved value and error
cells are marked, never turned into blanks.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from planner.schema import SETTINGS_COLUMNS, SETTINGS_SHEET, SHEETS

MAX_HEADER_COLUMNS = 64
"""Headers are looked for in the first this-many columns of row 1."""


class InputFileError(Exception):
    """The file cannot be read as a workbook; the message names it and says why."""


@dataclass(frozen=True)
class RawCell:
    """A cell as stored: its value, its reference and what is wrong with it, if anything."""

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
    rows: list[tuple[int, dict[str, RawCell]]] = field(default_factory=list)
    """(row number, header text -> cell) for every row that is not blank."""
    first_data_row: int = 2


@dataclass
class RawWorkbook:
    path: Path
    sheets: dict[str, RawSheet]
    sheet_names: list[str]


def _cell_reading(value: object, formula: object, ref: str) -> RawCell:
    if isinstance(value, str) and value in ERROR_VALUES:
        return RawCell(value, ref, f"the cell holds the error {value}")
    if value is None and isinstance(formula, str) and formula.startswith("="):
        return RawCell(None, ref, f"the formula {formula} has no saved value")
    return RawCell(value, ref)


ERROR_VALUES = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                "#GETTING_DATA", "#SPILL!", "#CALC!"}


def _expected_columns(sheet_name: str) -> tuple[str, ...]:
    if sheet_name == SETTINGS_SHEET:
        return SETTINGS_COLUMNS
    return next(tuple(c.name for c in s.columns) for s in SHEETS if s.name == sheet_name)


def _hints(sheet_name: str) -> dict[str, str]:
    for s in SHEETS:
        if s.name == sheet_name:
            return {c.name: c.hint for c in s.columns}
    return {}


def read_workbook(path: Path) -> RawWorkbook:
    """Read every sheet the schema knows from ``path``; other sheets are ignored."""
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a workbook")
    if not zipfile.is_zipfile(path):
        raise InputFileError(f"{path}: not an Excel workbook (.xlsx); save it from your "
                             "spreadsheet program as 'Excel Workbook (.xlsx)'")
    try:
        values = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise InputFileError(f"{path}: cannot be read as an .xlsx workbook ({exc})") from exc
    try:
        names = [SETTINGS_SHEET] + [s.name for s in SHEETS]
        sheets = {name: _read_sheet(values[name], formulas[name], name)
                  for name in names if name in values.sheetnames}
        return RawWorkbook(path, sheets, list(values.sheetnames))
    finally:
        values.close()
        formulas.close()


def _read_sheet(values_ws, formulas_ws, name: str) -> RawSheet:
    sheet = RawSheet(name)
    expected = _expected_columns(name)
    header = next(values_ws.iter_rows(min_row=1, max_row=1, max_col=MAX_HEADER_COLUMNS,
                                      values_only=True), ())
    for j, text in enumerate(header, start=1):
        if text is None or (isinstance(text, str) and not text.strip()):
            continue
        label = str(text).strip()
        if label in expected and label not in sheet.columns:
            sheet.columns[label] = j
        else:
            sheet.unknown_headers.append(RawCell(label, f"{get_column_letter(j)}1"))
    if not sheet.columns:
        return sheet
    width = max(sheet.columns.values())
    hints = _hints(name)
    value_rows = values_ws.iter_rows(min_row=2, max_col=width, values_only=True)
    formula_rows = formulas_ws.iter_rows(min_row=2, max_col=width, values_only=True)
    for i, (vals, forms) in enumerate(zip(value_rows, formula_rows), start=2):
        row = {}
        for col, j in sheet.columns.items():
            value = vals[j - 1] if j <= len(vals) else None
            formula = forms[j - 1] if j <= len(forms) else None
            row[col] = _cell_reading(value, formula, f"{get_column_letter(j)}{i}")
        if i == 2 and hints and all(cell.value in (None, hints[c]) for c, cell in row.items()) \
                and any(cell.value is not None for cell in row.values()):
            sheet.first_data_row = 3
            continue
        if all(cell.blank for cell in row.values()):
            continue
        sheet.rows.append((i, row))
    return sheet

