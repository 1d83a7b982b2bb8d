"""Checking a raw workbook against the schema, reporting every problem at once.

Each problem names its cell and says what is wrong and how to fix it:
``Supply!D7: -5 is negative; enter a capacity of at least 0``. Checks run in layers
(sheets and columns, cells, keys and references, the network) and all of them run,
so one pass lists everything a planner has to mend.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections import defaultdict
from dataclasses import dataclass, field

from planner.schema import (
    ALL_PERIODS, COUNTRY_SHARES, SETTINGS, SETTINGS_COLUMNS, SETTINGS_SHEET, SHEETS, Column,
    Kind, Sheet,
)
from openpyxl.utils import column_index_from_string, get_column_letter

from planner.limits import as_float, check_spot_products, number_too_large, too_large
from planner.reach import Reach
from planner.serving import check_penalties
from planner.workbook import RawCell, RawSheet, RawWorkbook

SHEETS_NEEDING_ROWS = ("Periods", "Materials", "Sites", "Demand")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the workbook, where it is, and how to fix it."""

    sheet: str
    cell: str
    what: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{where}: {self.what}; {self.fix}"


Row = dict[str, object]
"""A checked row: column field name -> typed value, plus ``_row`` (its row number)."""


@dataclass
class Validation:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)
    tables: dict[str, list[Row]] = field(default_factory=dict)
    letters: dict[str, dict[str, str]] = field(default_factory=dict)
    """sheet -> column field -> the letter of its column, for later messages."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, sheet: str, cell: str, what: str, fix: str) -> None:
        self.problems.append(Problem(sheet, cell, what, fix))

    def warn(self, sheet: str, cell: str, what: str, fix: str) -> None:
        self.warnings.append(Problem(sheet, cell, what, fix))


def closest(value: str, known: list[str] | set[str]) -> str | None:
    """The known name equal to ``value`` but for case and spaces, or else the closest one."""
    folded = {" ".join(k.split()).casefold(): k for k in known}
    exact = folded.get(" ".join(value.split()).casefold())
    close = [exact] if exact else difflib.get_close_matches(value, list(known), n=1, cutoff=0.75)
    return close[0] if close else None


def suggestion(value: str, known: list[str] | set[str]) -> str:
    """`` (did you mean 'X'?)`` for the known name closest to ``value``, or nothing."""
    match = closest(value, known)
    return f" (did you mean '{match}'?)" if match else ""


def _typed(cell: RawCell, column: Column) -> tuple[object, str]:
    """The cell's value as the column's type, or ``(None, problem)``."""
    value = cell.value
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        return None, f"a date or time ({value}) where {_expected(column)} belongs"
    if isinstance(value, bool):
        return None, f"a TRUE/FALSE value where {_expected(column)} belongs"
    if column.kind is Kind.TEXT:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = " ".join(str(value).split())
        return text, ""
    if isinstance(value, str):
        try:
            if math.isfinite(float(value.replace(",", ""))):
                return None, f"the number '{value}' is stored as text"
        except ValueError:
            pass
        return None, f"text '{value}' where {_expected(column)} belongs"
    number = as_float(value)  # inf (never OverflowError) for an integer beyond floats
    if math.isnan(number):
        return None, f"{value} is not a number"
    return number, ""


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
        canonical = {a.casefold(): a for a in column.allowed}.get(str(value).casefold())
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
    if not _has_columns(v, sheet, SETTINGS_COLUMNS):
        return
    by_key = {s.key: s for s in SETTINGS}
    seen: dict[str, str] = {}
    for _, row in sheet.rows:
        key_cell, value_cell = row["Key"], row["Value"]
        key = " ".join(str(key_cell.value or "").split())
        setting = by_key.get(key) or next(
            (s for s in SETTINGS if s.key.casefold() == key.casefold()), None)
        if setting is None:
            v.add(SETTINGS_SHEET, key_cell.ref, f"'{key}' is not a known setting"
                  f"{suggestion(key, list(by_key))}",
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
        report = v.add if spec.name in SHEETS_NEEDING_ROWS else v.warn
        report(spec.name, "", "sheet is missing" + suggestion(spec.name, wb.sheet_names)
               + ("" if spec.name in SHEETS_NEEDING_ROWS else ", so it counts as empty"),
               f"add a sheet named {spec.name} with the columns "
               + ", ".join(c.name for c in spec.columns) + " (plan template writes one)")
        return
    if not _has_columns(v, sheet, tuple(c.name for c in spec.columns if c.required)):
        return
    for header in sheet.unknown_headers:
        v.warn(spec.name, header.ref, f"column '{header.value}' is not read"
               f"{suggestion(str(header.value), [c.name for c in spec.columns])}",
               "rename it to a column of the sheet or leave it: it is ignored")
    if not sheet.rows and spec.name in SHEETS_NEEDING_ROWS:
        v.add(spec.name, f"A{sheet.first_data_row}", "the sheet has no rows",
              f"fill in at least one row: {spec.description}")
    v.letters[spec.name] = {spec.column(name).field: get_column_letter(j)
                            for name, j in sheet.columns.items()}
    keys: dict[tuple, int] = {}
    folded_keys: dict[tuple, tuple] = {}
    for number, raw in sheet.rows:
        row: Row = {"_row": number}
        for column in spec.columns:
            cell = raw.get(column.name)
            if cell is None:
                row[column.field] = column.default
                continue
            row[column.field] = check_value(v, spec.name, cell, column)
        key = tuple(row[spec.column(k).field] for k in spec.key)
        if None not in key:
            first = keys.setdefault(key, number)
            if first != number:
                v.add(spec.name, raw[spec.key[0]].ref,
                      f"{' / '.join(map(str, key))} appears twice (first in row {first})",
                      "keep one row per " + " and ".join(spec.key).lower())
            twin = folded_keys.setdefault(tuple(str(k).casefold() for k in key), key)
            if twin != key:
                v.warn(spec.name, raw[spec.key[0]].ref,
                       f"{' / '.join(map(str, key))} differs from {' / '.join(map(str, twin))} "
                       "only in upper and lower case, so they count as different",
                       "spell them the same if they are meant to be one")
        v.tables[spec.name].append(row)


def ref_of(v: Validation, sheet: str, row: Row, column: str) -> str:
    return f"{v.letters.get(sheet, {}).get(column, 'A')}{row['_row']}"


def check_references(v: Validation) -> None:
    """Every reference names a row of the sheet it refers to; 'all' only where allowed."""
    known = {spec.name: {r[spec.column(spec.key[0]).field] for r in v.tables[spec.name]} - {None}
             for spec in SHEETS if len(spec.key) == 1}  # a blank or bad name is no name
    known["Sites.Country"] = {r["country"] for r in v.tables["Sites"]} - {None}
    for spec in SHEETS:
        for column in (c for c in spec.columns if c.ref_by):
            selector, targets = spec.column(column.ref_by[0]).field, dict(column.ref_by[1])
            for row in v.tables[spec.name]:
                value, sheet = row[column.field], targets.get(row[selector])
                if value is None or sheet is None or value in known[sheet]:
                    continue
                where = sheet.replace(".", " column ")
                v.add(spec.name, ref_of(v, spec.name, row, column.field),
                      f"'{value}' is not listed on the {where} sheet"
                      f"{suggestion(str(value), known[sheet])}",
                      f"use a name from {where} for {column.ref_by[0].lower()} "
                      f"'{row[selector]}'")
                row[column.field] = None
        for column in (c for c in spec.columns if c.ref):
            names = known.get(column.ref, set())
            for row in v.tables[spec.name]:
                value = row[column.field]
                if value is None or value in names:
                    continue
                cell = ref_of(v, spec.name, row, column.field)
                if str(value).casefold() == ALL_PERIODS:
                    if column.allow_all_periods:
                        row[column.field] = ALL_PERIODS
                        continue
                    v.add(spec.name, cell, f"'{value}' is not allowed here",
                          "enter one period from Periods, one row per period")
                else:
                    extra = f" or '{ALL_PERIODS}'" if column.allow_all_periods else ""
                    v.add(spec.name, cell, f"'{value}' is not listed on the {column.ref} sheet"
                          f"{suggestion(str(value), names)}",
                          f"use a name from {column.ref}{extra}, or add '{value}' there")
                row[column.field] = None


def check_scenarios(v: Validation) -> None:
    """Scenario probabilities sum to 1; disruptions that hit nothing, or leave an unlimited
    lane unlimited, are warned of; period ranges run forward."""
    rows = v.tables["Scenarios"]
    total = sum(r["probability"] or 0.0 for r in rows)
    if rows and abs(total - 1.0) > 1e-6:
        v.add("Scenarios", ref_of(v, "Scenarios", rows[-1], "probability"),
              f"the probabilities sum to {total:g}, not 1",
              "adjust them so that together they make 1")
    reach = Reach.of_tables(v.tables)
    output = {r["process"]: r["output"] for r in v.tables["Processes"]}
    for d in v.tables["Disruptions"]:
        if d["scope"] == "process" and d["target"] in output \
                and d["material"] not in (None, output[d["target"]]):
            v.warn("Disruptions", ref_of(v, "Disruptions", d, "material"),
                   f"process {d['target']} makes {output[d['target']]}, not "
                   f"{d['material']}, so this row disrupts nothing",
                   "leave Material blank or name the process's output")
        if d["availability"] is None or not 0 < d["availability"] < 1 \
                or d["scope"] not in ("country", "lane"):
            continue
        capacity = {ln["lane"]: ln["capacity"] for ln in v.tables["Lanes"]}
        unlimited = [lane for lane in reach.lanes_hit(d["scope"], d["target"], d["material"])
                     if lane is not None and capacity[lane] is None]
        if unlimited:
            v.warn("Disruptions", ref_of(v, "Disruptions", d, "availability"),
                   f"a share of {d['availability']:g} leaves lane(s) {', '.join(unlimited)} "
                   "unlimited, as they have no capacity",
                   "give those lanes a Capacity on the Lanes sheet for the share to apply")
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


def check_commitments(v: Validation) -> None:
    """Rules between Options, Processes, CapacityGroups, Stocks, Policies and Sites rows:
    stock options need their stock, conversions fit their source, groups agree on their
    capacity, end minimums fit, policies list known countries."""
    t = v.tables
    capacity = {r["process"]: r["capacity"] for r in t["Processes"]}
    stocks = {(r["site"], r["material"]): r for r in t["Stocks"]}
    room: dict[tuple, float] = defaultdict(float)
    moved: dict[str, float] = defaultdict(float)
    for row in t["Options"]:
        if row["kind"] == "stock" and row["material"] is not None and row["target"] is not None:
            pair = (row["target"], row["material"])
            room[pair] += row["capacity"] or 0.0
            if pair not in stocks:
                v.add("Options", ref_of(v, "Options", row, "target"),
                      f"stock option {row['option']} adds room to a stock of "
                      f"{pair[1]} at {pair[0]} that the Stocks sheet does not list",
                      f"add a Stocks row for {pair[0]} and {pair[1]} (Maximum 0 if the "
                      "stock exists only when the option is taken)")
        if row["kind"] != "conversion" or row["from_process"] is None:
            continue
        source = row["from_process"]
        if source == row["target"]:
            v.add("Options", ref_of(v, "Options", row, "from_process"),
                  f"conversion {row['option']} converts {source} into itself",
                  "name the process that gives up capacity in From process")
            continue
        moved[source] += row["capacity"] or 0.0
        if capacity.get(source) is not None and moved[source] > capacity[source]:
            v.add("Options", ref_of(v, "Options", row, "capacity"),
                  f"conversions from {source} up to this row move {moved[source]:g} of "
                  f"capacity but it has only {capacity[source]:g}, so they can never all "
                  "be taken", f"convert at most {capacity[source]:g} from {source} in all")
    for pair, r in stocks.items():
        most = (r["maximum"] or 0.0) + room[pair]
        if (r["end_minimum"] or 0.0) > most:
            v.add("Stocks", ref_of(v, "Stocks", r, "end_minimum"),
                  f"the end minimum {r['end_minimum']:g} exceeds the most the stock can "
                  f"hold ({most:g}, with every stock option taken)",
                  "lower the end minimum or raise the maximum")
    first: dict[str, Row] = {}
    for r in t["CapacityGroups"]:
        head = first.setdefault(r["group"], r)
        if r["capacity"] is not None and head["capacity"] not in (None, r["capacity"]):
            v.add("CapacityGroups", ref_of(v, "CapacityGroups", r, "capacity"),
                  f"group {r['group']} has capacity {r['capacity']:g} here but "
                  f"{head['capacity']:g} in row {head['_row']}",
                  "give every row of a group the same capacity")
    known = {r["country"] for r in t["Sites"]}
    for r in t["Policies"]:
        if r["kind"] in COUNTRY_SHARES and r["countries"] is not None:
            if not countries(r["countries"]):
                v.add("Policies", ref_of(v, "Policies", r, "countries"),
                      f"'{r['countries']}' lists no country", "enter one country, or several "
                      "separated by commas, as written in the Sites sheet")
            for country in countries(r["countries"]):
                if country not in known:
                    v.add("Policies", ref_of(v, "Policies", r, "countries"),
                          f"'{country}' is not a country on the Sites sheet"
                          f"{suggestion(country, known)}",
                          "list countries as written in the Sites sheet's Country column, "
                          "separated by commas")


def countries(text: str | None) -> tuple[str, ...]:
    """The countries of a Policies row's comma-separated Countries cell."""
    return tuple(c.strip() for c in (text or "").split(",") if c.strip())


def check_period_names(v: Validation) -> None:
    """No period may be called 'all', the word for every period."""
    for row in v.tables["Periods"]:
        if str(row["period"]).casefold() == ALL_PERIODS:
            v.add("Periods", ref_of(v, "Periods", row, "period"),
                  f"a period may not be called '{row['period']}': '{ALL_PERIODS}' means "
                  "every period",
                  "name the period by its year or another word")


NETWORK_SHEETS = ("Supply", "SpotMarket", "Processes", "Recipes", "Lanes", "Options", "Stocks")


def check_reachability(v: Validation) -> None:
    """Every demanded material can reach its site from some supply, spot market or process.

    A (site, material) pair is reachable if it is supplied or bought there, made there by a
    process whose inputs are all reachable there, or carried there by a lane from a site
    where it is reachable; the fixed point of these rules is computed once. Skipped while
    a network sheet has problems of its own, which would only echo here.
    """
    if any(p.sheet in NETWORK_SHEETS for p in v.problems):
        return
    net = _Network(v.tables)
    for row in v.tables["Demand"]:
        pair = (row["site"], row["material"])
        if None in pair or pair in net.reachable:
            continue
        v.add("Demand", ref_of(v, "Demand", row, "material"),
              f"nothing can ever deliver {pair[1]} to {pair[0]}: {net.why_not(pair)}",
              f"add a Supply or SpotMarket row, a process or a lane that brings {pair[1]} "
              f"to {pair[0]} or to where it is made")


class _Network:
    """Which (site, material) pairs can ever hold material, and why the others cannot."""

    def __init__(self, t: dict[str, list[Row]]) -> None:
        self.recipe: dict[str, list[str]] = defaultdict(list)
        for r in t["Recipes"]:
            self.recipe[r["process"]].append(r["input"])
        self.processes = [(p["process"], p["site"], p["output"]) for p in t["Processes"]]
        self.lanes = [(r["lane"], r["from"], r["to"], r["material"]) for r in t["Lanes"]]
        reachable = {(r["site"], r["material"]) for r in t["Supply"] + t["SpotMarket"]}
        reachable |= {(r["target"], r["material"]) for r in t["Options"]
                      if r["kind"] == "offtake"}
        reachable |= {(r["site"], r["material"]) for r in t["Stocks"] if r["initial_level"]}
        while True:
            before = len(reachable)
            reachable |= {(site, out) for name, site, out in self.processes
                          if all((site, m) in reachable for m in self.recipe[name])}
            reachable |= {(dst, mat) for _, src, dst, mat in self.lanes
                          if (src, mat) in reachable}
            if len(reachable) == before:
                break
        self.reachable = reachable

    def why_not(self, pair: tuple[str, str], depth: int = 3, seen: frozenset = frozenset()) -> str:
        """Why ``pair`` is unreachable, following missing inputs and lanes ``depth`` deep."""
        site, material = pair
        seen = seen | {pair}
        reasons = []
        for name, s, out in self.processes:
            if (s, out) == pair:
                lacking = [m for m in self.recipe[name] if (site, m) not in self.reachable]
                reasons.append(f"process {name} lacks {', '.join(lacking)}"
                               + self._deeper([(site, m) for m in lacking], depth, seen))
        for lane, src, dst, mat in self.lanes:
            if (dst, mat) == pair:
                reasons.append(f"lane {lane} brings none from {src}"
                               + self._deeper([(src, mat)], depth, seen))
        return "; ".join(reasons) or f"no supply, spot market, process or lane brings {material}"

    def _deeper(self, pairs: list[tuple[str, str]], depth: int, seen: frozenset) -> str:
        pairs = [p for p in pairs if p not in seen]
        if depth <= 1 or not pairs:
            return ""
        return " (" + "; ".join(f"at {s}: {self.why_not((s, m), depth - 1, seen)}"
                                for s, m in pairs) + ")"


def check_rows_with_reference_rules(v: Validation) -> None:
    """Rules that tie two sheets together beyond plain references."""
    with_recipe = {r["process"] for r in v.tables["Recipes"]}
    for p in v.tables["Processes"]:
        if p["process"] is not None and p["process"] not in with_recipe:
            v.warn("Processes", ref_of(v, "Processes", p, "process"),
                   f"process {p['process']} has no Recipes rows, so it makes "
                   f"{p['output']} from nothing",
                   "add its inputs on the Recipes sheet if it consumes any")
    for lane in v.tables["Lanes"]:
        if lane["from"] is not None and lane["from"] == lane["to"]:
            v.add("Lanes", ref_of(v, "Lanes", lane, "to"),
                  f"lane {lane['lane']} starts and ends at {lane['from']}",
                  "give it another destination or delete the row")


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
    check_scenarios(v)
    check_spot_products(v)
    check_needed_columns(v)
    check_commitments(v)
    check_rows_with_reference_rules(v)
    check_reachability(v)
    check_penalties(v)
    return v
