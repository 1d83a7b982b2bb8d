"""Validation: a valid workbook given one defect names the defective cell and says how to fix it.

Each case starts from a small valid chain (mine -> refinery -> market, ore refined into
LCE), writes it with the real template into ``tmp_path``, then spoils exactly one thing:
one cell set with openpyxl, one row added, one sheet or column removed, or one cell
rewritten in the sheet XML (for cells openpyxl cannot produce, such as a formula saved
with its cached result). The problem must start with ``Sheet!Cell:`` and carry the words
a planner needs to find and mend it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import planner.cli
from conftest import materials, periods, sites, write_plan
from planner.pipeline import check_workbook
from planner.workbook import FORMULA_ELEMENT
from xlsx_parts import edit_sheet_xml
from xlsx_parts import set_cell_xml as cell_in_xml

EXIT_OK, EXIT_INVALID, EXIT_FILE = 0, 3, 4


# --------------------------------------------------------------------------- the valid base

def valid_rows() -> dict[str, list[dict]]:
    """Ore mined at Mine, shipped to Refinery, refined 8:1 into LCE, shipped to Market.

    Row numbers in the written workbook (header row 1, hint row 2, data from row 3):
    Sites 3 Mine / 4 Refinery / 5 Market; Supply 3; Processes 3; Recipes 3;
    Lanes 3 ``ore`` (Mine->Refinery) / 4 ``lce`` (Refinery->Market); Demand 3 (2026) /
    4 (2027). Settings has no hint row: 2 Currency, 3 Discount rate, 4 penalty, ...
    """
    return {
        "Periods": periods("2026", "2027"),
        "Materials": materials(("Ore", "t", "ore"), ("LCE", "t", "chemical")),
        "Sites": sites(("Mine", "mine", "Australia"), ("Refinery", "refinery", "China"),
                       ("Market", "market", "Germany")),
        "Supply": [{"Site": "Mine", "Material": "Ore", "Period": "all", "Capacity": 1000,
                    "Unit cost": 50}],
        "Processes": [{"Process": "Refine", "Site": "Refinery", "Output": "LCE",
                       "Capacity": 100, "Variable cost": 2000}],
        "Recipes": [{"Process": "Refine", "Input": "Ore", "Quantity": 8}],
        "Lanes": [
            {"Lane": "ore", "From": "Mine", "To": "Refinery", "Material": "Ore", "Cost": 1},
            {"Lane": "lce", "From": "Refinery", "To": "Market", "Material": "LCE", "Cost": 2},
        ],
        "Demand": [
            {"Site": "Market", "Material": "LCE", "Period": "2026", "Quantity": 50},
            {"Site": "Market", "Material": "LCE", "Period": "2027", "Quantity": 60},
        ],
    }


# --------------------------------------------------------------------------- ways to spoil it

Maker = Callable[[Path], None]


def cell(sheet: str, ref: str, value: object) -> Maker:
    """The valid workbook with one cell overwritten through openpyxl."""
    def make(path: Path) -> None:
        write_plan(path, valid_rows())
        wb = openpyxl.load_workbook(path)
        wb[sheet][ref] = value
        wb.save(path)
    return make


def rows(edit: Callable[[dict], None]) -> Maker:
    """The workbook written from rows that ``edit`` has spoiled."""
    def make(path: Path) -> None:
        content = valid_rows()
        edit(content)
        write_plan(path, content)
    return make


def book(edit: Callable[[openpyxl.Workbook], None]) -> Maker:
    """The valid workbook changed as a whole through openpyxl (sheets, columns, rows)."""
    def make(path: Path) -> None:
        write_plan(path, valid_rows())
        wb = openpyxl.load_workbook(path)
        edit(wb)
        wb.save(path)
    return make


def set_cell_xml(path: Path, sheet: str, ref: str, cell_xml: str) -> None:
    """Replace the ``<c r=ref>`` element of ``sheet`` with ``cell_xml``, bytes for bytes."""
    edit_sheet_xml(path, sheet, lambda text: cell_in_xml(text, ref, cell_xml))


def xml(sheet: str, ref: str, cell_xml: str) -> Maker:
    """The valid workbook with one cell rewritten in the sheet XML."""
    def make(path: Path) -> None:
        write_plan(path, valid_rows())
        set_cell_xml(path, sheet, ref, cell_xml)
    return make


def _rename_sheet(wb: openpyxl.Workbook, old: str, new: str) -> None:
    wb[old].title = "renaming"  # openpyxl refuses a title equal to the old one but for case
    wb["renaming"].title = new


# --------------------------------------------------------------------------- the cases

@dataclass(frozen=True)
class Case:
    id: str
    make: Maker
    where: str | tuple[str, ...]
    """``Sheet!Cell`` (or ``Sheet`` for a whole sheet) the problem must start with; a tuple
    lists equally good places."""
    words: tuple[str, ...]
    """Fragments the message must contain (case-sensitive)."""
    count: int = 1
    """How many problems the one defect should give (more than one only where the defect
    really affects several rows)."""

    @property
    def places(self) -> tuple[str, ...]:
        return (self.where,) if isinstance(self.where, str) else self.where


def _add(sheet: str, row: dict) -> Callable[[dict], None]:
    return lambda content: content.setdefault(sheet, []).append(row)


CASES = [
    # sheets and columns
    Case("missing sheet", book(lambda wb: wb.remove(wb["Demand"])),
         "Demand", ("sheet is missing", "Demand", "plan template")),
    Case("missing sheet, misnamed", book(lambda wb: _rename_sheet(wb, "Demand", "Demands")),
         "Demand", ("sheet is missing", "did you mean 'Demands'?")),
    Case("missing required column", book(lambda wb: wb["Supply"].delete_cols(4)),
         "Supply!E1", ("Capacity", "missing", "row 1")),
    # cell types
    Case("text in a number column", cell("Supply", "D3", "lots"),
         "Supply!D3", ("'lots'", "number", "Capacity")),
    Case("number stored as text", cell("Supply", "D3", "1000"),
         "Supply!D3", ("'1000'", "stored as text")),
    Case("number with thousands separator stored as text", cell("Supply", "D3", "1,000"),
         "Supply!D3", ("'1,000'", "stored as text")),
    Case("date in a number column", cell("Supply", "D3", dt.datetime(2026, 1, 1)),
         "Supply!D3", ("date", "number", "Capacity")),
    Case("TRUE/FALSE in a number column", cell("Supply", "D3", True),
         "Supply!D3", ("TRUE/FALSE", "number", "Capacity")),
    Case("empty required number", cell("Supply", "D3", None),
         "Supply!D3", ("Capacity is empty", "enter a number")),
    Case("empty required text", cell("Sites", "C3", None),
         "Sites!C3", ("Country is empty",)),
    Case("empty required reference", cell("Lanes", "B3", None),
         "Lanes!B3", ("From is empty",)),
    # bounds
    Case("negative capacity", cell("Supply", "D3", -5),
         "Supply!D3", ("Capacity", "-5", "negative", "at least 0")),
    Case("negative cost", cell("Supply", "E3", -5),
         "Supply!E3", ("Unit cost", "-5", "negative")),
    Case("negative freight cost", cell("Lanes", "E3", -1),
         "Lanes!E3", ("Cost", "-1", "negative")),
    Case("negative demand quantity", cell("Demand", "D3", -5),
         "Demand!D3", ("Quantity", "-5", "negative")),
    Case("recipe quantity 0", cell("Recipes", "C3", 0),
         "Recipes!C3", ("Quantity", "0", "greater than 0")),
    # allowed values
    Case("site kind not in the list", cell("Sites", "B3", "quarry"),
         "Sites!B3", ("'quarry'", "mine, refinery, cell plant, market, hub")),
    # references
    Case("lane to a site with a look-alike letter", cell("Lanes", "C3", "Refin\u0435ry"),
         "Lanes!C3", ("'Refin\u0435ry'", "Sites", "did you mean 'Refinery'?",
                      "U+0435 CYRILLIC SMALL LETTER IE")),
    Case("lane to a site differing only by a space", cell("Lanes", "C3", "Re finery"),
         "Lanes!C3", ("'Re finery'", "Sites", "did you mean 'Refinery'?")),
    Case("lane to a site not on Sites", cell("Lanes", "C3", "Smelter"),
         "Lanes!C3", ("'Smelter'", "Sites")),
    Case("recipe input not on Materials", cell("Recipes", "B3", "Ores"),
         "Recipes!B3", ("'Ores'", "Materials", "did you mean 'Ore'?")),
    Case("demand period not on Periods", cell("Demand", "C3", "2031"),
         "Demand!C3", ("'2031'", "Periods")),
    Case("demand period typed as a number not on Periods", cell("Demand", "C3", 2031),
         "Demand!C3", ("2031", "Periods")),
    Case("'all' in Demand Period", cell("Demand", "C3", "all"),
         "Demand!C3", ("'all'", "Periods")),
    # keys
    Case("two Sites rows with the same name",
         rows(_add("Sites", {"Site": "Mine", "Kind": "mine", "Country": "Chile"})),
         "Sites!A6", ("Mine", "twice", "row 3")),
    Case("two Demand rows for the same site, material and period",
         cell("Demand", "C4", "2026"),
         ("Demand!A4", "Demand!C4"), ("Market", "LCE", "2026", "twice", "row 3")),
    # network
    Case("demanded material nothing can reach", cell("Lanes", "D4", "Ore"),
         "Demand!B3", ("LCE", "Market", "no supply, spot market, process or lane"),
         count=2),  # both Demand rows (2026 and 2027) ask for LCE at Market
    Case("lane from a site to itself",
         rows(_add("Lanes", {"Lane": "loop", "From": "Mine", "To": "Mine",
                             "Material": "Ore", "Cost": 0})),
         ("Lanes!B5", "Lanes!C5"), ("loop", "Mine")),
    # settings
    Case("unknown Settings key", cell("Settings", "A3", "Discount rte"),
         "Settings!A3", ("'Discount rte'", "did you mean 'Discount rate'?")),
    Case("Settings value out of range", cell("Settings", "B3", 2),
         "Settings!B3", ("Discount rate", "2", "between 0 and 1")),
    # formulas and errors
    Case("formula with no saved value", cell("Supply", "D3", "=1+1"),
         "Supply!D3", ("=1+1", "no saved value", "recalculate")),
    Case("error cell written by openpyxl", cell("Supply", "D3", "#DIV/0!"),
         "Supply!D3", ("#DIV/0!",)),
    Case("error cell in the sheet XML",
         xml("Supply", "D3", '<c r="D3" t="e"><v>#DIV/0!</v></c>'),
         "Supply!D3", ("#DIV/0!",)),
    Case("formula saved with an error result",
         xml("Supply", "D3", '<c r="D3" t="e"><f>1/0</f><v>#DIV/0!</v></c>'),
         "Supply!D3", ("#DIV/0!",)),
    Case("#N/A error cell in a text column",
         xml("Lanes", "C3", '<c r="C3" t="e"><v>#N/A</v></c>'),
         "Lanes!C3", ("#N/A",)),
]

BY_ID = {c.id: c for c in CASES}


def _problems(path: Path) -> list[str]:
    return [str(p) for p in check_workbook(path).problems]


def _at(problems: list[str], case: Case) -> list[str]:
    return [p for p in problems if any(p.startswith(place + ":") for place in case.places)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_defect_is_reported_at_its_cell(tmp_path, case):
    path = tmp_path / "plan.xlsx"
    case.make(path)
    problems = _problems(path)
    here = _at(problems, case)
    assert here, f"no problem at {' or '.join(case.places)}; got {problems}"
    assert any(all(w in p for w in case.words) for p in here), \
        f"no problem at {case.places} says {case.words}; got {here}"
    for p in problems:  # every message has the form "Sheet!Cell: what; how to fix"
        assert re.match(r"^[A-Za-z]+(![A-Z]+[0-9]+)?: .+; .+", p), p


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_one_defect_gives_one_problem(tmp_path, case):
    """A single bad cell is reported once: no follow-on problems blaming other cells.

    A planner who mends the one cell named should find the workbook valid; problems that
    are only consequences of a value already reported (for instance a Demand row said to
    be unreachable because a lane's destination was misspelt) send them to the wrong place.
    """
    path = tmp_path / "plan.xlsx"
    case.make(path)
    problems = _problems(path)
    assert len(problems) == case.count, problems


# --------------------------------------------------------------------------- the CLI

CLI_CASES = [BY_ID[i] for i in (
    "missing sheet", "missing required column", "text in a number column",
    "negative capacity", "lane to a site with a look-alike letter",
    "two Sites rows with the same name", "demanded material nothing can reach",
    "formula with no saved value", "error cell in the sheet XML", "Settings value out of range",
)]


def _validate(path: Path):
    return CliRunner().invoke(planner.cli.main, ["validate", str(path)])


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_cli_lists_the_problem_and_exits_3(tmp_path, case):
    path = tmp_path / "plan.xlsx"
    case.make(path)
    result = _validate(path)
    assert result.exit_code == EXIT_INVALID, result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    for problem in _problems(path):  # every problem printed exactly as the API words it
        assert problem in result.output
    assert any(place + ":" in result.output for place in case.places), result.output


def test_valid_base_workbook(tmp_path):
    path = write_plan(tmp_path / "plan.xlsx", valid_rows())
    v = check_workbook(path)
    assert v.ok, [str(p) for p in v.problems]
    assert not v.warnings, [str(w) for w in v.warnings]
    result = _validate(path)
    assert result.exit_code == EXIT_OK, result.output
    assert "valid" in result.output


def test_cli_unreadable_file_exits_4(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_text("Site,Kind\nMine,mine\n")
    result = _validate(path)
    assert result.exit_code == EXIT_FILE, result.output
    assert "plan.xlsx" in result.output and "Traceback" not in result.output


# --------------------------------------------------------------------------- accepted forms

@pytest.mark.parametrize("kind", ["Mine", "MINE", " mine "])
def test_allowed_value_in_other_case_is_accepted(tmp_path, kind):
    path = tmp_path / "plan.xlsx"
    cell("Sites", "B3", kind)(path)
    v = check_workbook(path)
    assert v.ok, [str(p) for p in v.problems]
    assert v.tables["Sites"][0]["kind"] == "mine"


def test_all_is_accepted_in_supply_period(tmp_path):
    path = write_plan(tmp_path / "plan.xlsx", valid_rows())
    assert openpyxl.load_workbook(path)["Supply"]["C3"].value == "all"
    v = check_workbook(path)
    assert v.ok, [str(p) for p in v.problems]
    assert v.tables["Supply"][0]["period"] == "all"


def test_all_in_other_case_in_supply_period_is_accepted_or_suggested(tmp_path):
    """'All' in Supply: allowed values ('Mine') are read case-insensitively, so 'All' should
    be read as 'all' too, or at least be answered with "did you mean 'all'?"."""
    path = tmp_path / "plan.xlsx"
    cell("Supply", "C3", "All")(path)
    problems = _problems(path)
    assert not problems or any(p.startswith("Supply!C3:") and "did you mean 'all'" in p
                               for p in problems), problems


def test_all_in_demand_period_is_not_fixed_by_adding_a_period_named_all(tmp_path):
    """The fix for 'all' in Demand must not be "add 'all' to Periods": a period named 'all'
    would collide with the keyword that means every period."""
    path = tmp_path / "plan.xlsx"
    cell("Demand", "C3", "all")(path)
    problems = [p for p in _problems(path) if p.startswith("Demand!C3:")]
    assert problems
    assert not any("add 'all' there" in p for p in problems), problems


@pytest.mark.parametrize("name", ["all", "All"])
def test_period_named_all_is_rejected(tmp_path, name):
    """A period called 'all' is ambiguous with the 'all' of Supply and SpotMarket rows."""
    path = tmp_path / "plan.xlsx"
    rows(_add("Periods", {"Period": name}))(path)
    problems = _problems(path)
    assert any(p.startswith("Periods!A5:") and "all" in p for p in problems), problems


def test_period_typed_as_a_number_matches_periods(tmp_path):
    path = tmp_path / "plan.xlsx"
    cell("Demand", "C3", 2026)(path)
    v = check_workbook(path)
    assert v.ok, [str(p) for p in v.problems]
    assert v.tables["Demand"][0]["period"] == "2026"


def test_formula_with_saved_value_is_read(tmp_path):
    """A formula Excel has calculated and saved is read as its value."""
    path = tmp_path / "plan.xlsx"
    xml("Supply", "D3", '<c r="D3"><f>500*2</f><v>1000</v></c>')(path)
    v = check_workbook(path)
    assert v.ok, [str(p) for p in v.problems]
    assert v.tables["Supply"][0]["capacity"] == 1000


@pytest.mark.parametrize("element, found", [
    (b'<c r="D3"><f>1+1</f></c>', True),
    (b'<c r="D3"><f t="shared" ref="D3:D9" si="0"/></c>', True),
    (b'<x:c r="D3"><x:f>1+1</x:f></x:c>', True),
    (b'<dataValidation><formula1>0</formula1></dataValidation>', False),
    (b'<c r="D3" t="s"><v>7</v></c>', False),
])
def test_formula_elements_are_told_from_other_xml(element, found):
    """Only sheets with cell formulas are parsed a second time, for their formulas."""
    assert bool(FORMULA_ELEMENT.search(b"<sheetData>" + element + b"</sheetData>")) is found


def test_text_that_looks_like_an_error_code_is_text(tmp_path):
    """A text cell holding '#N/A' (typed as '#N/A in Excel) is text, not an error cell."""
    path = tmp_path / "plan.xlsx"
    content = valid_rows()
    content["Sites"][0]["Description"] = "placeholder"
    write_plan(path, content)
    set_cell_xml(path, "Sites", "D3", '<c r="D3" t="inlineStr"><is><t>#N/A</t></is></c>')
    v = check_workbook(path)
    assert v.ok, [str(p) for p in v.problems]
    assert v.tables["Sites"][0]["description"] == "#N/A"


def test_unknown_extra_column_is_a_warning_not_an_error(tmp_path):
    path = tmp_path / "plan.xlsx"

    def notes(wb):
        wb["Supply"]["F1"] = "Notes"
        wb["Supply"]["F3"] = "offtake signed"
    book(notes)(path)
    v = check_workbook(path)
    assert v.ok, [str(p) for p in v.problems]
    assert [str(w) for w in v.warnings if str(w).startswith("Supply!F1:")], \
        [str(w) for w in v.warnings]
    assert any("'Notes'" in str(w) for w in v.warnings)
    result = _validate(path)
    assert result.exit_code == EXIT_OK, result.output
    assert "warning" in result.output and "Supply!F1" in result.output


def test_misspelt_header_is_named_where_it_is(tmp_path):
    """'Capacty' typed in D1: the problem should point at D1 (the cell to rename) and
    suggest renaming it to 'Capacity', rather than name an empty cell to the right."""
    path = tmp_path / "plan.xlsx"
    cell("Supply", "D1", "Capacty")(path)
    problems = _problems(path)
    assert any(p.startswith("Supply!D1:") and "'Capacty'" in p and "'Capacity'" in p
               for p in problems), problems


def test_unreachable_demand_says_what_is_missing_upstream(tmp_path):
    """No Ore is supplied anywhere: LCE cannot reach Market because Refine at Refinery lacks
    Ore. The reason should lead to the missing Ore, not stop at the last lane."""
    path = tmp_path / "plan.xlsx"
    rows(lambda content: content.update(Supply=[]))(path)
    problems = [p for p in _problems(path) if p.startswith("Demand!B3:")]
    assert problems and all("LCE" in p and "Market" in p for p in problems), problems
    assert any("Ore" in p for p in problems), problems


# --------------------------------------------------------------------------- whole workbooks

def test_many_problems_are_reported_together(tmp_path):
    path = write_plan(tmp_path / "plan.xlsx", valid_rows())
    wb = openpyxl.load_workbook(path)
    defects = {
        "Settings!B3": 2,            # discount rate out of range
        "Sites!B4": "quarry",        # kind not allowed
        "Supply!E3": -1,             # negative cost
        "Processes!D3": True,        # TRUE/FALSE in a number column
        "Recipes!C3": 0,             # recipe quantity 0
        "Lanes!E4": "=1+1",          # formula without a saved value
        "Demand!D4": "lots",         # text in a number column
    }
    for where, value in defects.items():
        sheet, ref = where.split("!")
        wb[sheet][ref] = value
    wb.save(path)
    problems = _problems(path)
    assert len(problems) >= len(defects), problems
    for where in defects:
        assert any(p.startswith(where + ":") for p in problems), (where, problems)
    result = _validate(path)
    assert result.exit_code == EXIT_INVALID and "Traceback" not in result.output
    assert all(where in result.output for where in defects), result.output
    assert f"{len(problems)} problem(s)" in result.output


def test_empty_template_reports_the_sheets_that_need_rows(tmp_path):
    path = tmp_path / "blank.xlsx"
    made = CliRunner().invoke(planner.cli.main, ["template", str(path)])
    assert made.exit_code == EXIT_OK, made.output
    result = _validate(path)
    assert result.exit_code == EXIT_INVALID, result.output
    assert "Traceback" not in result.output
    problems = _problems(path)
    for sheet in ("Periods", "Materials", "Sites", "Demand"):
        assert any(p.startswith(f"{sheet}!A3:") and "no rows" in p for p in problems), \
            (sheet, problems)
        assert f"{sheet}!A3" in result.output
    assert len(problems) == 4, problems


def _drop_hint_rows(wb: openpyxl.Workbook) -> None:
    for ws in wb.worksheets:
        if ws.title not in ("Instructions", "Settings"):
            ws.delete_rows(2)


def test_hint_row_deleted_still_validates(tmp_path):
    path = tmp_path / "plan.xlsx"
    book(_drop_hint_rows)(path)
    assert openpyxl.load_workbook(path)["Supply"]["A2"].value == "Mine"
    v = check_workbook(path)
    assert v.ok, [str(p) for p in v.problems]
    counts = {name: len(table) for name, table in v.tables.items()}
    assert counts == {"Periods": 2, "Materials": 2, "Sites": 3, "Supply": 1, "Processes": 1,
                      "Recipes": 1, "Lanes": 2, "Demand": 2, "SpotMarket": 0, "Scenarios": 0,
                      "Disruptions": 0, "PriceShocks": 0, "PriceLinks": 0, "Options": 0,
                      "CapacityGroups": 0, "Stocks": 0, "Policies": 0}
    assert _validate(path).exit_code == EXIT_OK


def test_hint_row_deleted_defects_name_row_2(tmp_path):
    path = tmp_path / "plan.xlsx"

    def spoil(wb):
        _drop_hint_rows(wb)
        wb["Supply"]["D2"] = -5
    book(spoil)(path)
    problems = _problems(path)
    assert len(problems) == 1 and problems[0].startswith("Supply!D2:"), problems
    assert "negative" in problems[0]


# --------------------------------------------------------------------------- read-only

def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("case_id", [None, "formula with no saved value",
                                     "error cell in the sheet XML", "negative capacity"])
def test_validate_leaves_the_input_file_unchanged(tmp_path, case_id):
    path = tmp_path / "plan.xlsx"
    if case_id is None:
        write_plan(path, valid_rows())
    else:
        BY_ID[case_id].make(path)
    before, mtime, listing = _digest(path), path.stat().st_mtime_ns, sorted(tmp_path.iterdir())
    check_workbook(path)
    _validate(path)
    assert _digest(path) == before
    assert path.stat().st_mtime_ns == mtime
    assert sorted(tmp_path.iterdir()) == listing  # no temporary or lock files left behind
