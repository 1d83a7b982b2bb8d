"""Checking a raw workbook against the schema, reporting every problem at once.

Each problem names its cell and says what is wrong and how to fix it:
``Supply!D7: -5 is negative; enter a capacity of at least 0``. Checks run in layers
(sheets and columns, cells, keys and references, the network, rows that change nothing)
and all of them run, so one pass lists everything a planner has to mend; only while a
needed sheet is absent do the layers after the references wait, as they would echo it.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from openpyxl.utils import column_index_from_string, get_column_letter

from planner.columns import typed_column
from planner.commitments import check_commitments
from planner.limits import (
    as_float, check_linked_products, check_spot_products, number_too_large, too_large,
)
from planner.names import clean, closest, difference, key, spellings, suggestion
from planner.noops import check_noops
from planner.problems import Row, Validation, ref_of
from planner.references import check_references
from planner.sanity import check_network, check_rows_with_reference_rules
from planner.schema import (
    ALL_PERIODS, SETTINGS, SETTINGS_COLUMNS, SETTINGS_SHEET, SHEETS, Column, Kind, Sheet,
)
from planner.serving import check_penalties
from planner.tolerance import PROBABILITY_SUM, apart, same
from planner.workbook import RawCell, RawSheet, RawWorkbook

SHEETS_NEEDING_ROWS = ("Periods", "Materials", "Sites", "Demand")


def _typed(cell: RawCell, column: Column) -> tuple[object, str]:
    """The cell's value as the column's type, or ``(None, problem)``."""
    value = cell.value
    if type(value) is float and column.kind is Kind.NUMBER:  # most cells, so first
        return _number(value)
    if column.kind is Kind.TEXT and isinstance(value, (dt.datetime, dt.date, dt.time)):
        return _date_text(value), ""
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        return None, f"a date or time ({value}) where {_expected(column)} belongs"
    if isinstance(value, bool):
        return None, f"a TRUE/FALSE value where {_expected(column)} belongs"
    if column.kind is Kind.TEXT:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return clean(str(value)), ""
    if isinstance(value, str):
        try:
            if math.isfinite(float(value.replace(",", ""))):
                return None, f"the number '{value}' is stored as text"
        except ValueError:
            pass
        return None, f"text '{value}' where {_expected(column)} belongs"
    return _number(value)


def _number(value: int | float) -> tuple[float | None, str]:
    """A numeric cell's value as a float, or ``(None, problem)``."""
    number = as_float(value)  # inf (never OverflowError) for an integer beyond floats
    if math.isnan(number):
        return None, f"{value} is not a number"
    return number, ""


def _date_text(value: dt.datetime | dt.date | dt.time) -> str:
    """A date typed into a text column (a spreadsheet turns 2026-01 into a date) as the
    text it shows: ISO, without a time of midnight."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        value = value.date()
    return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()


def _expected(column: Column) -> str:
    return "text" if column.kind is Kind.TEXT else "a number"


def _fix(column: Column) -> str:
    """How to fill ``column`` in correctly."""
    if column.allowed:
        return "enter one of: " + ", ".join(column.allowed)
    if column.kind is Kind.TEXT:
        return f"enter {column.description[0].lower()}{column.description[1:].rstrip('.')}"
    unit = f" ({column.unit})" if column.unit else ""
    bounds = column.bounds_text()
    return f"enter a number{' ' + bounds if bounds else ''}{unit} for {column.name}"


def check_value(v: Validation, sheet: str, cell: RawCell, column: Column) -> object:
    """The typed value of one cell, recording any problem; None where the cell is unusable."""
    if cell.problem:
        v.add(sheet, cell.ref, cell.problem,
              "open the workbook in your spreadsheet program, fix or recalculate it, and save "
              "it (or type the value itself" + (
                  ", or run again with --recalc to recalculate it with LibreOffice)"
                  if cell.value is None else ")"))
        return None
    if cell.blank:
        if column.required:
            v.add(sheet, cell.ref, f"{column.name} is empty", _fix(column))
        return column.default
    value, problem = _typed(cell, column)
    if problem:
        v.add(sheet, cell.ref, problem, _fix(column))
        return None
    if column.allowed:
        canonical = spellings(column.allowed).get(key(str(value)))
        if canonical is None:
            v.add(sheet, cell.ref, f"'{value}' is not a known {column.name.lower()}",
                  _fix(column))
            return None
        return canonical
    if column.kind is Kind.NUMBER:
        low_ok = column.minimum is None or value >= column.minimum
        high_ok = column.maximum is None or value <= column.maximum
        if column.whole and not value.is_integer():
            v.add(sheet, cell.ref, f"{column.name} {value:g} is not a whole number",
                  _fix(column))
            return None
        if not (low_ok and high_ok) or (column.positive and value <= 0):
            what = "negative" if value < 0 and (column.minimum == 0 or column.positive) \
                else f"not {column.bounds_text()}"
            v.add(sheet, cell.ref, f"{column.name} {value:g} is {what}", _fix(column))
            return None
        if too_large(value):
            v.add(sheet, cell.ref, *number_too_large(column, cell.value,
                                                     str(v.settings.get("Currency", ""))))
            return None
    return value


def check_settings(v: Validation, wb: RawWorkbook) -> None:
    """Settings is a key/value sheet; missing keys take their defaults."""
    v.settings = {s.key: s.default for s in SETTINGS}
    sheet = wb.sheets.get(SETTINGS_SHEET)
    if sheet is None:
        v.warn(SETTINGS_SHEET, "", "sheet is missing, so every setting takes its default",
               "add a Settings sheet (plan template writes one) to change them")
        return
    note_reading(v, sheet, list(SETTINGS_COLUMNS))
    if not _has_columns(v, sheet, SETTINGS_COLUMNS):
        return
    by_key = {s.key: s for s in SETTINGS}
    named = {key(k): s for k, s in by_key.items()}
    seen: dict[str, str] = {}
    for _, row in sheet.rows:
        key_cell, value_cell = row["Key"], row["Value"]
        name = clean(str(key_cell.value or ""))
        setting = named.get(key(name))
        if setting is None:
            v.add(SETTINGS_SHEET, key_cell.ref, f"'{name}' is not a known setting"
                  f"{suggestion(name, list(by_key))}",
                  "use one of: " + ", ".join(by_key))
            continue
        if setting.key in seen:
            v.add(SETTINGS_SHEET, key_cell.ref, f"{setting.key} is set twice "
                  f"(first at {seen[setting.key]})", "keep one row per setting")
            continue
        seen[setting.key] = key_cell.ref
        value = check_value(v, SETTINGS_SHEET, value_cell, setting.as_column())
        if value is not None:
            v.settings[setting.key] = value


def note_reading(v: Validation, sheet: RawSheet, columns: list[str]) -> None:
    """What the reader noticed about how ``sheet`` is kept: its name or headers spelt
    otherwise (warnings), a header written twice (a problem), hidden parts (warnings)."""
    name = sheet.name
    if sheet.written_as:
        v.warn(name, "", f"read from the sheet '{sheet.written_as}', as its name differs from "
               f"{name} only in case, spacing or Unicode form", f"rename the sheet {name}")
    for cell in sheet.spelt:
        v.warn(name, cell.ref, f"header '{cell.value}' read as the column "
               f"'{closest(str(cell.value), columns)}'", "rename it to match")
    for first, cell in sheet.repeated:
        v.add(name, cell.ref, f"the column '{cell.value}' appears twice, here and in {first}, "
              "so it is not clear which to read", "delete or rename one of the two")
    if sheet.hidden:
        v.warn(name, "", "the sheet is hidden; its rows are planned with",
               "unhide it (Format > Sheet > Show) to check them")
    if sheet.hidden_rows:
        rows = f"rows {_spans(sheet.hidden_rows)} are" if len(sheet.hidden_rows) > 1 \
            else f"row {sheet.hidden_rows[0]} is"
        v.warn(name, f"A{sheet.hidden_rows[0]}", f"{rows} hidden or filtered out, and "
               "planned with like every other row",
               "show them (or clear the filter) to check them, and delete the rows that "
               "should not count")
    for header in sheet.hidden_columns:
        v.warn(name, f"{get_column_letter(sheet.columns[header])}1", f"the column '{header}' "
               "is hidden; its values are read", "unhide it to check them")


def _spans(numbers: list[int]) -> str:
    """``3-5, 9`` for the sorted row numbers 3, 4, 5, 9."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)


def _has_columns(v: Validation, sheet: RawSheet, required: tuple[str, ...]) -> bool:
    """Every required header present; a misspelt one is named where it stands.

    Headers taken as misspellings are removed from ``sheet.unknown_headers``.
    """
    missing = [n for n in required if n not in sheet.columns]
    unknown = {str(c.value): c for c in sheet.unknown_headers}
    free = 1 + max([*sheet.columns.values(), *(_column_index(c.ref) for c in unknown.values())],
                   default=0)
    for name in missing:
        typo = closest(name, list(unknown))
        if typo is not None:
            header = unknown.pop(typo)
            v.add(sheet.name, header.ref, f"header '{typo}' is not a column of {sheet.name}, "
                  f"which needs a column '{name}'", f"rename the header to '{name}'")
        else:
            v.add(sheet.name, f"{get_column_letter(free)}1",
                  f"column '{name}' is missing from the header row",
                  f"add a header cell '{name}' in row 1 above its values")
            free += 1
    sheet.unknown_headers = list(unknown.values())
    return not missing


def _column_index(ref: str) -> int:
    return column_index_from_string(ref.rstrip("0123456789"))


def check_sheet(v: Validation, wb: RawWorkbook, spec: Sheet) -> None:
    """Sheet and columns present, then every cell, then unique keys."""
    sheet = wb.sheets.get(spec.name)
    v.tables[spec.name] = []
    if sheet is None:
        v.missing.add(spec.name)
        needed = spec.name in SHEETS_NEEDING_ROWS
        report = v.add if needed else v.warn
        report(spec.name, "", "sheet is missing" + suggestion(spec.name, wb.sheet_names)
               + ("" if needed else ", so it counts as empty"),
               f"add a sheet named {spec.name} with the columns "
               + ", ".join(c.name for c in spec.columns) + " (plan template writes one)")
        if needed:
            v.absent.add(spec.name)
        return
    note_reading(v, sheet, [c.name for c in spec.columns])
    if not _has_columns(v, sheet, tuple(c.name for c in spec.columns if c.required)):
        v.absent.add(spec.name)
        return
    for header in sheet.unknown_headers:
        v.warn(spec.name, header.ref, f"column '{header.value}' is not read"
               f"{suggestion(str(header.value), [c.name for c in spec.columns])}",
               "rename it to a column of the sheet or leave it: it is ignored")
    if not sheet.numbers and spec.name in SHEETS_NEEDING_ROWS:
        v.add(spec.name, f"A{sheet.first_data_row}", "the sheet has no rows",
              f"fill in at least one row: {spec.description}")
        v.absent.add(spec.name)
    v.letters[spec.name] = {spec.column(name).field: get_column_letter(j)
                            for name, j in sheet.columns.items()}
    typed = {} if sheet.problems else \
        {c.name: typed_column(sheet.values[c.name], c) for c in spec.columns
         if c.name in sheet.values}
    if sheet.problems or any(cells is None for cells in typed.values()):
        _check_cells(v, sheet, spec)
        return
    fields = ["_row", *(c.field for c in spec.columns)]
    columns = {c.name: typed[c.name] if c.name in typed else [c.default] * len(sheet.numbers)
               for c in spec.columns}
    rows = [dict(zip(fields, cells)) for cells in zip(sheet.numbers, *columns.values())]
    folded = set(zip(*([n.lower() if type(n) is str and n.isascii() else
                        None if n is None else key(str(n)) for n in columns[k]]
                       for k in spec.key)))
    firsts: dict[tuple, tuple[int, tuple]] = {}
    for row in rows if len(folded) < len(rows) else ():
        _check_key(v, spec, row, firsts)
    v.tables[spec.name] = rows


def _check_cells(v: Validation, sheet: RawSheet, spec: Sheet) -> None:
    """:func:`check_sheet`'s rows typed cell by cell, each problem reported where it is."""
    firsts: dict[tuple, tuple[int, tuple]] = {}
    for number, raw in sheet.rows:
        row: Row = {"_row": number}
        for column in spec.columns:
            cell = raw.get(column.name)
            row[column.field] = column.default if cell is None else \
                check_value(v, spec.name, cell, column)
        _check_key(v, spec, row, firsts)
        v.tables[spec.name].append(row)


def _check_key(v: Validation, spec: Sheet, row: Row,
               firsts: dict[tuple, tuple[int, tuple]]) -> None:
    """``row``'s key names no row before it (``firsts``: key -> (row number, names)), by
    the names rule; where its names are all filled in, it is added to ``firsts``."""
    key_fields = [spec.column(k).field for k in spec.key]
    names = tuple(row[f] for f in key_fields)
    if None in names:
        return
    number = row["_row"]
    first, spelt = firsts.setdefault(tuple(key(str(n)) for n in names), (number, names))
    if first != number:
        written = "" if spelt == names else f" as {' / '.join(map(str, spelt))}"
        unseen = difference(" / ".join(map(str, names)), " / ".join(map(str, spelt)))
        v.add(spec.name, ref_of(v, spec.name, row, key_fields[0]),
              f"{' / '.join(map(str, names))} appears twice (first in row {first}"
              f"{written}){'; ' + unseen if unseen else ''}",
              "keep one row per " + " and ".join(spec.key).lower()
              + " (names that differ only in case or spacing are the same name)")


def check_scenarios(v: Validation) -> None:
    """Scenario probabilities sum to 1 (:mod:`planner.tolerance`); period ranges of
    Disruptions and PriceShocks rows run forward."""
    rows = v.tables["Scenarios"]
    total = math.fsum(r["probability"] or 0.0 for r in rows)
    shown, _ = apart(total, 1.0)
    if rows and abs(total - 1.0) > PROBABILITY_SUM:
        v.add("Scenarios", ref_of(v, "Scenarios", rows[-1], "probability"),
              f"the probabilities sum to {shown}, not 1 (within {PROBABILITY_SUM:g})",
              "adjust them so that together they make 1")
    elif rows and not same(total, 1.0) and all(r["probability"] is not None for r in rows):
        v.warn("Scenarios", ref_of(v, "Scenarios", rows[-1], "probability"),
               f"the probabilities sum to {shown}, so each is divided by that sum to make 1",
               "adjust them to sum to exactly 1 to plan with them as typed")
    order = {r["period"]: i for i, r in enumerate(v.tables["Periods"])}
    for sheet in ("Disruptions", "PriceShocks"):
        for row in v.tables[sheet]:
            first, last = row["first_period"], row["last_period"]
            if first in order and last in order and order[first] > order[last]:
                v.add(sheet, ref_of(v, sheet, row, "last_period"),
                      f"the last period {last} comes before the first period {first}",
                      "swap them or correct one")


def check_needed_columns(v: Validation) -> None:
    """An optional column the row's Kind needs (the schema's ``needed_by``) is filled in;
    a cell already reported is not reported again."""
    reported = {(p.sheet, p.cell) for p in v.problems}
    for spec in SHEETS:
        for column in (c for c in spec.columns if c.needed_by):
            for row in v.tables[spec.name]:
                cell = ref_of(v, spec.name, row, column.field)
                if row["kind"] in column.needed_by and row[column.field] is None \
                        and (spec.name, cell) not in reported:
                    name = row[spec.column(spec.key[0]).field] or f"in row {row['_row']}"
                    v.add(spec.name, cell, f"{row['kind']} {name} names no "
                          f"{column.name.lower()}", f"fill in its {column.name}")
    for row in v.tables["Materials"]:
        if bool(row["equivalent_unit"]) != (row["equivalent_per_unit"] is not None):
            given, missing = ("equivalent_unit", "equivalent_per_unit") \
                if row["equivalent_unit"] else ("equivalent_per_unit", "equivalent_unit")
            v.add("Materials", ref_of(v, "Materials", row, missing),
                  f"{row['material']} has {given.replace('_', ' ')} but no "
                  f"{missing.replace('_', ' ')}", "fill in both, or neither")


PERIOD_TIMES = (
    (re.compile(r"(?:FY ?)?(\d{4})", re.I), lambda g: (int(g[0]), 1)),
    (re.compile(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?"), lambda g: (int(g[0]), int(g[1]))),
    (re.compile(r"(\d{4}) ?-? ?([QH])([1-4])", re.I), lambda g: (int(g[0]), _month(g[1], g[2]))),
    (re.compile(r"([QH])([1-4]) ?-? ?(\d{4})", re.I), lambda g: (int(g[2]), _month(g[0], g[1]))),
)
"""Period names that say when they are: 2026, FY2026, 2026-03, 2026-03-01, 2026 Q1, H2 2026."""


def _month(quarter_or_half: str, number: str) -> int:
    return 1 + (int(number) - 1) * (3 if quarter_or_half.upper() == "Q" else 6)


def period_time(name: str) -> tuple[int, int] | None:
    """(year, first month) a period's name gives, or None where it gives none."""
    for pattern, when in PERIOD_TIMES:
        if found := pattern.fullmatch(name):
            return when(found.groups())
    return None


def check_period_names(v: Validation) -> None:
    """No period may be called 'all', the word for every period; where every name says
    when its period is (years, dates, quarters), they must come in time order."""
    rows = v.tables["Periods"]
    for row in rows:
        if key(str(row["period"])) == ALL_PERIODS:
            v.add("Periods", ref_of(v, "Periods", row, "period"),
                  f"a period may not be called '{row['period']}': '{ALL_PERIODS}' means "
                  "every period",
                  "name the period by its year or another word")
    times = [period_time(str(r["period"])) for r in rows]
    if len(rows) < 2 or None in times:
        return
    for before, after, row, previous in zip(times, times[1:], rows[1:], rows):
        if after < before:
            v.add("Periods", ref_of(v, "Periods", row, "period"),
                  f"period {row['period']} is listed after {previous['period']} but its name "
                  "puts it earlier; the sheet's order is the order of time",
                  "list the periods from the earliest to the latest")
            return



def validate(wb: RawWorkbook) -> Validation:
    """Every check, in layers; the result lists all problems and warnings found."""
    v = Validation()
    for note in wb.notes:
        v.warn(wb.path.name, "", note, "save it as .xlsx to drop them")
    check_settings(v, wb)
    for spec in SHEETS:
        check_sheet(v, wb, spec)
    check_references(v)
    check_period_names(v)
    if v.absent:  # what ties the sheets together would only echo their absence
        return v
    check_scenarios(v)
    check_spot_products(v)
    check_linked_products(v)
    check_needed_columns(v)
    check_commitments(v)
    check_rows_with_reference_rules(v)
    check_network(v)
    check_noops(v)
    check_penalties(v)
    return v
