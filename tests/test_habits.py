"""Workbooks as planners keep them: a corpus of plausible habits and slips, each with its
outcome.

Every case spoils the small valid chain of :mod:`test_bad_workbooks` (ore mined at Mine,
refined at Refinery, made into cells at Plant, sold at Market) in one way a planner
plausibly would: spreadsheet habits (hidden rows, filters, formulas that save "", dates,
sheet and header names in another case), names that look alike but are spelt otherwise
(Unicode forms, no-break spaces, case), sums off by rounding, loops that create material,
and rows that change nothing. Each case asserts one outcome:

- ``refused``: ``plan validate`` exits 3 with the given ``Sheet!Cell: what`` fragments;
- ``accepted``: the workbook is valid, the warnings hold the given fragments (none where
  none are given), and the plan solves to the same optimum as the clean workbook, because
  the habit changes nothing the planner meant.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.convert import to_plan_data
from planner.engine import solve_plan
from planner.pipeline import check_workbook
from models.scaling import Scaling
from test_bad_workbooks import INPUT, Maker, book, cells, rename_sheet, rows, then, valid
from xlsx_parts import edit_sheet_xml, set_cell_xml

EXIT_INVALID = 3
ONLY = [{"Scenario": "only", "Probability": 1}]


@dataclass(frozen=True)
class Case:
    id: str
    make: Maker
    refused: bool
    fragments: tuple[str, ...]
    problems: int | None = None
    """For a refused case: how many problems it must give (None: any number)."""


def refused(id: str, make: Maker, *fragments: str, problems: int | None = None) -> Case:
    return Case(id, make, True, fragments, problems)


def accepted(id: str, make: Maker, *warnings: str) -> Case:
    return Case(id, make, False, warnings)


def _with(sheet: str, *new: dict, scenarios: bool = False):
    def change(c: dict) -> None:
        c.setdefault(sheet, []).extend(new)
        if scenarios:
            c["Scenarios"] = ONLY
    return change


def _renamed_site(old: str, new: str, *where: tuple[str, int, str]):
    """The site ``old`` spelt ``new`` at each (sheet, row index, column)."""
    def change(c: dict) -> None:
        for sheet, i, column in where:
            assert c[sheet][i][column] == old
            c[sheet][i][column] = new
    return change


def _probabilities(*values: float):
    def change(c: dict) -> None:
        c["Scenarios"] = [{"Scenario": f"s{i}", "Probability": p} for i, p in enumerate(values)]
    return change


def _group(*capacities: float):
    def change(c: dict) -> None:
        c["Processes"].append({"Process": "Assemble B", "Site": "Plant", "Output": "Cell",
                               "Capacity": 10, "Variable cost": 90000})
        c["Recipes"].append({"Process": "Assemble B", "Input": "LCE", "Quantity": 0.6})
        c["CapacityGroups"] = [{"Group": "line", "Process": p, "Capacity": x}
                               for p, x in zip(("Assemble", "Assemble B"), capacities)]
    return change


def _hide_rows(*numbers: int, sheet: str = "Demand", filtered: bool = False) -> Maker:
    def change(wb: openpyxl.Workbook) -> None:
        for n in numbers:
            wb[sheet].row_dimensions[n].hidden = True
        if filtered:
            wb[sheet].auto_filter.ref = f"A1:E{max(numbers)}"
    return book(change)


def _hidden_stale_cost(wb: openpyxl.Workbook) -> None:
    """A stale copy of the Cost column, hidden, to the left of the one the planner edits."""
    ws = wb["Lanes"]
    ws.insert_cols(5)
    for row in range(1, 6):
        ws.cell(row, 5).value = ws.cell(row, 6).value
    ws.cell(3, 5).value = 99
    ws.column_dimensions["E"].hidden = True


def _dates_as_periods(c: dict) -> None:
    """Periods typed as the first day of each year, which a spreadsheet keeps as dates."""
    day = {"2026": dt.datetime(2026, 1, 1), "2027": dt.datetime(2027, 1, 1)}
    c["Periods"] = [{"Period": day[p["Period"]]} for p in c["Periods"]]
    for r in c["Demand"]:
        r["Period"] = day[r["Period"]]


def _reversed_periods(c: dict) -> None:
    c["Periods"].reverse()


def _empty_string(ref: str, sheet: str = "Lanes") -> Maker:
    """The cell a formula whose saved result is "", as Excel and LibreOffice save it."""
    return then(cells(**{f"{sheet}_{ref}": 0}), lambda path: edit_sheet_xml(
        path, sheet, lambda text: set_cell_xml(
            text, ref, f'<c r="{ref}" t="str"><f>IF(1,"",0)</f><v></v></c>')))


def _renamed(old: str, new: str, make: Maker = valid) -> Maker:
    """The workbook ``make`` writes (the valid chain by default), its sheet ``old`` renamed
    ``new``."""
    def rename(path: Path) -> None:
        wb = openpyxl.load_workbook(path)
        rename_sheet(wb, old, new)
        wb.save(path)
    return then(make, rename)


def _set_header(sheet: str, ref: str, text: str) -> Maker:
    return cells(**{f"{sheet}_{ref}": text})


def _both(*changes):
    def change(c: dict) -> None:
        for f in changes:
            f(c)
    return change


def _recycling(site: str, output: str, source: str, quantity: float, cost: float):
    """A process at ``site`` making ``output`` back from ``source``, ``quantity`` per unit."""
    return _both(
        _with("Processes", {"Process": "Recycle", "Site": site, "Output": output,
                            "Capacity": 50, "Variable cost": cost}),
        _with("Recipes", {"Process": "Recycle", "Input": source, "Quantity": quantity}))


CLASS_LOOPS = [
    refused("recipe of a recycling route typed upside down",
            rows(_recycling("Refinery", "Ore", "LCE", 0.1, 1)),
            "Recipes!C5: these rows turn 1 LCE at Refinery back into 1.25",
            "process Recycle makes 1 Ore from 0.1 LCE", "process Refine makes 1 LCE from 8 Ore",
            "create LCE from nothing"),
    accepted("recycling route that loses material",
             rows(_recycling("Refinery", "Ore", "LCE", 10, 100000))),
    accepted("a loop through a process with other inputs is only warned of", rows(_both(
        _recycling("Refinery", "Ore", "LCE", 0.1, 1e6),
        _with("Recipes", {"Process": "Recycle", "Input": "Cell", "Quantity": 1}))),
             "unless Recycle's other inputs (Cell) bring it the plan could create LCE"),
    accepted("recycling route that exactly returns what went in",
             rows(_recycling("Refinery", "Ore", "LCE", 0.125, 100000))),
    refused("loop through lanes: cells recycled at the market into too much LCE",
            rows(_both(_recycling("Market", "LCE", "Cell", 0.5, 1),
                       _with("Lanes", {"Lane": "back", "From": "Market", "To": "Plant",
                                       "Material": "LCE", "Cost": 1}))),
            "lane cells carries it from Plant to Market", "lane back carries it",
            "back into 3.333"),
]

CLASS_SHOWN = [
    refused("hidden stale duplicate of a column", book(_hidden_stale_cost),
            "Lanes!F1: the column 'Cost' appears twice, here and in E1"),
    refused("a column written twice in other case", _set_header("Lanes", "F1", "cost"),
            "Lanes!F1: the column 'cost' appears twice, here and in E1"),
    accepted("hidden data row", _hide_rows(4), "Demand!A4: row 4 is hidden or filtered out"),
    accepted("rows filtered out", _hide_rows(3, 4, filtered=True),
             "Demand!A3: rows 3-4 are hidden or filtered out"),
    accepted("hidden column", book(lambda wb: setattr(
        wb["Lanes"].column_dimensions["F"], "hidden", True)),
             "Lanes!F1: the column 'Tariff' is hidden; its values are read"),
    accepted("hidden sheet", book(lambda wb: setattr(wb["Lanes"], "sheet_state", "hidden")),
             "Lanes: the sheet is hidden; its rows are planned with"),
    refused("periods listed latest first", rows(_reversed_periods),
            "Periods!A4: period 2026 is listed after 2027 but its name puts it earlier"),
    accepted("periods typed as dates", rows(_dates_as_periods)),
    refused("quarters out of order", rows(lambda c: (
        c.update(Periods=[{"Period": "2026 Q3"}, {"Period": "2026 Q1"}]),
        [r.update(Period={"2026": "2026 Q3", "2027": "2026 Q1"}[r["Period"]])
         for r in c["Demand"]])),
            "period 2026 Q1 is listed after 2026 Q3"),
    accepted("a process that can never run", rows(_both(
        _with("Processes", {"Process": "Idle", "Site": "Market", "Output": "LCE",
                            "Capacity": 5, "Variable cost": 1}),
        _with("Recipes", {"Process": "Idle", "Input": "Ore", "Quantity": 8}))),
             "Processes!A5: process Idle can never be used: it lacks Ore at Market"),
    accepted("supply that can never reach a demand", rows(_with(
        "Supply", {"Site": "Market", "Material": "Ore", "Period": "all", "Capacity": 5,
                   "Unit cost": 1})),
             "the Ore supplied at Market can never reach a demand"),
    accepted("a lane into a site where nothing uses its material", rows(_with(
        "Lanes", {"Lane": "stray", "From": "Market", "To": "Mine", "Material": "Cell",
                  "Cost": 1})),
             "lane stray can never carry anything useful: nothing takes Cell on from Mine"),
    accepted("an expansion of a process that can never run", rows(_both(
        _with("Processes", {"Process": "Idle", "Site": "Market", "Output": "LCE",
                            "Capacity": 5, "Variable cost": 1}),
        _with("Recipes", {"Process": "Idle", "Input": "Ore", "Quantity": 8}),
        _with("Options", {"Option": "grow idle", "Kind": "expansion", "Target": "Idle",
                          "Capacity": 5, "Fixed cost": 10}))),
             "option grow idle can never act: process Idle can never be used"),
    accepted("a late offtake at a mine with no lane", rows(_both(
        lambda c: c["Sites"].append({"Site": "Remote", "Kind": "mine", "Country": "Chile"}),
        _with("Options", {"Option": "remote deal", "Kind": "offtake", "Target": "Remote",
                          "Material": "Ore", "Capacity": 5, "Unit cost": 1, "Fixed cost": 1,
                          "Earliest period": "2027"}))),
             "option remote deal can never act"),
]

CLASS_NAMES = [
    accepted("a site's name composed in one sheet and decomposed in another",
             rows(_both(_renamed_site("Plant", "Pl\u00e4nt", ("Sites", 2, "Site")),
                        _renamed_site("Plant", "Pla\u0308nt", ("Lanes", 1, "To"),
                                      ("Lanes", 2, "From"), ("Processes", 1, "Site"))))),
    accepted("a no-break space at the end of a reference",
             cells(Lanes_C4="Plant\u00a0", Processes_B4="Plant\u00a0")),
    accepted("a no-break space inside a name", rows(_both(
        _renamed_site("Plant", "Cell\u00a0plant", ("Lanes", 1, "To"), ("Lanes", 2, "From")),
        _renamed_site("Plant", "Cell plant", ("Sites", 2, "Site"), ("Processes", 1, "Site"))))),
    accepted("a zero-width space pasted into a reference", cells(Lanes_C4="Pl\u200bant")),
    accepted("a reference in other case", cells(Lanes_C4="plant", Recipes_B3="ore")),
    accepted("a reference in full-width letters", cells(Lanes_C4="\uff30lant")),
    accepted("a country in other case", cells(Sites_C6="germany")),
    refused("a look-alike Cyrillic letter", cells(Recipes_B4="L\u0421E"),
            "Recipes!B4: 'L\u0421E' is not listed on the Materials sheet (did you mean 'LCE'? "
            "they differ at character 2: '\u0421' U+0421 CYRILLIC CAPITAL LETTER ES here, "
            "'C' U+0043 LATIN CAPITAL LETTER C there)"),
    refused("two sites that differ only in case", rows(lambda c: c["Sites"].append(
        {"Site": "plant", "Kind": "hub", "Country": "France"})),
            "Sites!A7: plant appears twice (first in row 5 as Plant)"),
    refused("two sites that differ only by a no-break space", rows(lambda c: c["Sites"].append(
        {"Site": "Plant\u00a0", "Kind": "hub", "Country": "France"})),
            "Sites!A7: Plant appears twice (first in row 5)"),
    refused("a list typed where one target belongs", rows(_with(
        "Disruptions", {"Scenario": "only", "Scope": "site", "Target": "Mine, Refinery",
                        "Availability": 0}, scenarios=True)),
            "Disruptions!C3: 'Mine, Refinery' lists 2 names where one belongs",
            "copy the row for each of Mine, Refinery"),
    refused("a list typed where one site belongs", rows(_both(
        _with("SpotMarket", {"Material": "LCE", "Site": "Plant", "Period": "all",
                             "Price": 30000}),
        _with("PriceShocks", {"Scenario": "only", "Material": "LCE", "Site": "Plant; Market",
                              "Price multiplier": 2}, scenarios=True))),
            "PriceShocks!C3: 'Plant; Market' lists 2 names where one belongs"),
]

CLASS_NUMBERS = [
    accepted("three probabilities of 0.3333", rows(_probabilities(0.3333, 0.3333, 0.3333)),
             "Scenarios!B5: the probabilities sum to 0.9999, so each is divided by that sum"),
    accepted("probabilities a millionth over 1", rows(_probabilities(0.5, 0.500001)),
             "the probabilities sum to 1.000001, so"),
    accepted("probabilities off only by floating-point rounding",
             rows(_probabilities(0.1, 0.2, 0.7))),
    refused("probabilities that miss 1 by a hundredth", rows(_probabilities(0.5, 0.49)),
            "Scenarios!B4: the probabilities sum to 0.99, not 1 (within 0.001)"),
    refused("probabilities that miss 1 in the seventh digit but beyond the tolerance",
            rows(_probabilities(0.5, 0.5011)), "sum to 1.0011, not 1"),
    accepted("a group's capacity equal but for rounding", rows(_group(10, 10 + 1e-12))),
    refused("a group's capacity that differs in the sixth digit", rows(_group(10, 10.00001)),
            "CapacityGroups!C4: group line has capacity 10.00001 here but 10 in row 3"),
]

CLASS_HABITS = [
    accepted("a formula saving an empty string in an optional column", _empty_string("F3")),
    refused("a formula saving an empty string in a required column", _empty_string("E3"),
            "Lanes!E3: Cost is empty"),
    accepted("a date in a free-text column", cells(Sites_D3=dt.datetime(2026, 3, 1))),
    accepted("a sheet name in other case", _renamed("Lanes", "lanes"),
             "Lanes: read from the sheet 'lanes'"),
    accepted("a sheet name with a trailing space", _renamed("Supply", "Supply "),
             "Supply: read from the sheet 'Supply '"),
    accepted("a header in other case", _set_header("Lanes", "E1", "cost"),
             "Lanes!E1: header 'cost' read as the column 'Cost'"),
    accepted("a header with a no-break space", _set_header("Supply", "E1", "Unit\u00a0cost")),
    accepted("a header with doubled spaces", _set_header("Supply", "E1", "Unit  cost ")),
    refused("a misnamed required sheet gives one problem", _renamed("Sites", "Site list"),
            "Sites: sheet is missing", problems=1),
    refused("a missing materials sheet gives one problem",
            book(lambda wb: wb.remove(wb["Materials"])), "Materials: sheet is missing",
            problems=1),
    refused("a misnamed optional sheet other rows refer to gives one problem",
            _renamed("Scenarios", "Scenario list", rows(_both(*(_with("Disruptions", {
                "Scenario": "only", "Scope": "supply", "Target": "Mine", "First period": t,
                "Last period": t, "Availability": 0.5}, scenarios=True)
                for t in ("2026", "2027"))))),
            "Scenarios: sheet is missing (did you mean 'Scenario list'?), and Disruptions "
            "refer to it", problems=1),
    refused("a misspelt key column gives one problem", _set_header("Periods", "A1", "Perod"),
            "Periods!A1: header 'Perod' is not a column of Periods", problems=1),
]

CLASS_TYPED = [
    refused("'all' typed where a blank means every material", rows(_with(
        "Disruptions", {"Scenario": "only", "Scope": "supply", "Target": "Mine",
                        "Material": "All", "Availability": 0.5}, scenarios=True)),
            "Disruptions!D3: 'All' is not allowed here; leave the cell blank "
            "(blank = every material)"),
    refused("'all' typed as a first period", rows(_with(
        "Disruptions", {"Scenario": "only", "Scope": "supply", "Target": "Mine",
                        "First period": "all", "Availability": 0.5}, scenarios=True)),
            "'all' is not allowed here; leave the cell blank (blank = the first period)"),
    accepted("countries separated by semicolons", rows(_with(
        "Policies", {"Policy": "floor", "Kind": "min country share", "Material": "Ore",
                     "Countries": "China; australia", "Share": 0.5}))),
]

CLASS_NOOPS = [
    accepted("an outage at a site that supplies nothing", rows(_with(
        "Disruptions", {"Scenario": "only", "Scope": "supply", "Target": "Refinery",
                        "Availability": 0}, scenarios=True)),
             "Disruptions!C3: this row changes nothing: Refinery supplies no"),
    accepted("an outage with availability 1", rows(_with(
        "Disruptions", {"Scenario": "only", "Scope": "supply", "Target": "Mine",
                        "Availability": 1}, scenarios=True)),
             "Disruptions!G3: this row changes nothing: an availability of 1"),
    accepted("an export ban of a country no lane leaves", rows(_with(
        "Disruptions", {"Scenario": "only", "Scope": "country", "Target": "Germany",
                        "Availability": 0}, scenarios=True)),
             "this row changes nothing: no lane leaves Germany"),
    accepted("a lane outage for a material the lane does not carry", rows(_with(
        "Disruptions", {"Scenario": "only", "Scope": "lane", "Target": "ore",
                        "Material": "LCE", "Availability": 0}, scenarios=True)),
             "this row changes nothing: lane ore does not carry LCE"),
    accepted("a price shock that matches no spot market", rows(_with(
        "PriceShocks", {"Scenario": "only", "Material": "LCE", "Price multiplier": 3},
        scenarios=True)),
             "PriceShocks!B3: this row changes nothing: no SpotMarket row sells LCE"),
    accepted("a price shock with both multipliers 1", rows(_both(
        _with("SpotMarket", {"Material": "LCE", "Site": "Plant", "Period": "all",
                             "Price": 90000}),
        _with("PriceShocks", {"Scenario": "only", "Material": "LCE", "Price multiplier": 1},
              scenarios=True))),
             "this row changes nothing: both multipliers are 1"),
    accepted("a quantity shock on an unlimited spot market", rows(_both(
        _with("SpotMarket", {"Material": "LCE", "Site": "Plant", "Period": "all",
                             "Price": 90000}),
        _with("PriceShocks", {"Scenario": "only", "Material": "LCE",
                              "Quantity multiplier": 0.5}, scenarios=True))),
             "with no Maximum, which stays unlimited"),
    accepted("a maximum share of 1", rows(_with(
        "Policies", {"Policy": "cap", "Kind": "max country share", "Material": "Ore",
                     "Countries": "Australia", "Share": 1})),
             "Policies!F3: this row changes nothing: at most a share of 1 is no limit"),
    accepted("a minimum share of 0", rows(_with(
        "Policies", {"Policy": "floor", "Kind": "min country share", "Material": "Ore",
                     "Countries": "Australia", "Share": 0})),
             "at least a share of 0 is no limit"),
    accepted("a maximum share on countries that supply none of it", rows(_with(
        "Policies", {"Policy": "cap", "Kind": "max country share", "Material": "Ore",
                     "Countries": "Germany", "Share": 0.2})),
             "this row changes nothing: none of Ore comes from Germany"),
    accepted("an option of capacity 0", rows(_with(
        "Options", {"Option": "nothing", "Kind": "expansion", "Target": "Refine",
                    "Capacity": 0, "Fixed cost": 5})),
             "Options!F3: this row changes nothing: a capacity of 0 adds nothing"),
    accepted("an option alone in its exclusive group", rows(_with(
        "Options", {"Option": "grow", "Kind": "expansion", "Target": "Refine",
                    "Capacity": 10, "Fixed cost": 1e9, "Exclusive group": "refinery A"})),
             "it is the only option of exclusive group refinery A"),
]

CASES = (CLASS_LOOPS + CLASS_SHOWN + CLASS_NAMES + CLASS_NUMBERS + CLASS_HABITS + CLASS_TYPED
         + CLASS_NOOPS)


def objective(path: Path) -> tuple[float, list[str]]:
    """The optimum of the workbook at ``path`` and its warnings; it must be valid."""
    v = check_workbook(path)
    assert v.ok, [str(p) for p in v.problems]
    data = to_plan_data(v)
    solved = solve_plan(data, Scaling.choose(data), time_limit=60, mip_gap=1e-9)
    assert solved.result.status.label == "optimal", solved.result
    return solved.result.objective, [str(w) for w in v.warnings]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> float:
    path = tmp_path_factory.mktemp("clean") / INPUT
    valid(path)
    value, warnings = objective(path)
    assert not warnings, warnings
    return value


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_habit(tmp_path, case, clean):
    source = tmp_path / INPUT
    case.make(source)
    before = source.read_bytes()
    if case.refused:
        result = CliRunner().invoke(main, ["validate", str(source)])
        assert result.exit_code == EXIT_INVALID, result.output
        assert "Traceback" not in result.output
        for fragment in case.fragments:
            assert fragment in result.output, f"{fragment!r} not in:\n{result.output}"
        if case.problems is not None:
            assert len(re.findall(r"^error ", result.output, re.M)) == case.problems, \
                result.output
    else:
        value, warnings = objective(source)
        for fragment in case.fragments:
            assert any(fragment in w for w in warnings), f"{fragment!r} not in {warnings}"
        if not case.fragments:
            assert not warnings, warnings
        assert value == pytest.approx(clean, rel=1e-9)
    assert source.read_bytes() == before


def test_corpus_is_large_and_covers_every_class():
    assert len(CASES) >= 40 and len({c.id for c in CASES}) == len(CASES)
    assert all(any(c.refused for c in group) or group is CLASS_NOOPS for group in
               (CLASS_LOOPS, CLASS_SHOWN, CLASS_NAMES, CLASS_NUMBERS, CLASS_HABITS, CLASS_TYPED))
