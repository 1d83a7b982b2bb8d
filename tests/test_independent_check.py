"""Plans solved by the real ``plan solve`` command, then checked by ``independent_check``.

The checker reads only the input and the result workbooks; these tests show it passes
real results (single-scenario plans, a multi-scenario plan with every feature of the
model under both objectives, the bundled example) and fails tampered ones with the
specific violation.
"""

from __future__ import annotations

import ast
import itertools
import shutil
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import periods, sites, solve_plan, write_plan
from independent_check import check
from planner.cli import main
from test_hand_worked import cell_choice

EXAMPLE = Path(__file__).resolve().parent.parent / "inputs" / "example.xlsx"


def solve_cli(input_path: Path, result_path: Path) -> Path:
    """Run ``plan solve INPUT -o RESULT`` and insist on an optimal plan (exit code 0)."""
    outcome = CliRunner().invoke(main, ["solve", str(input_path), "-o", str(result_path), "-q"])
    assert outcome.exit_code == 0, (
        f"plan solve {input_path.name} exited {outcome.exit_code}:\n{outcome.output}"
        f"{outcome.exception!r}")
    assert result_path.exists()
    return result_path


def sheet_rows(path: Path, sheet: str) -> list[dict]:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb[sheet].iter_rows(values_only=True))
    wb.close()
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def full_chain() -> dict[str, list[dict]]:
    """Ore -> LCE (refining) -> cells -> market, over two periods at 8% a year.

    Cells are capped at 120 per period against 150 demanded, so 30 go unmet in each
    period (2026 at its own penalty, 2027 at the Settings penalty). Refined LCE costs
    8 x (50 + 10 + 2) + 2,000 + 30 + 100 = 2,626 per t at the plant, cheaper than spot;
    in 2027 the ore supply row for that period (600 t, overriding the 'all' row) makes
    only 75 t of the 84 t LCE needed, so 9 t are bought spot at 4,000.
    """
    return {
        "Periods": periods("2026", "2027"),
        "Materials": [
            {"Material": "Ore", "Unit": "t", "Kind": "ore"},
            {"Material": "LCE", "Unit": "t", "Kind": "chemical"},
            {"Material": "Cell", "Unit": "GWh", "Kind": "cell", "Family": "lithium-ion"},
        ],
        "Sites": sites(("Mine", "mine", "Australia"), ("Refinery", "refinery", "China"),
                       ("Plant", "cell plant", "China"), ("Market", "market", "Germany")),
        "Supply": [
            {"Site": "Mine", "Material": "Ore", "Period": "all", "Capacity": 1000,
             "Unit cost": 50},
            {"Site": "Mine", "Material": "Ore", "Period": "2027", "Capacity": 600,
             "Unit cost": 50},
        ],
        "Processes": [
            {"Process": "Refine", "Site": "Refinery", "Output": "LCE", "Capacity": 100,
             "Variable cost": 2000},
            {"Process": "Cells", "Site": "Plant", "Output": "Cell", "Capacity": 120,
             "Variable cost": 500},
        ],
        "Recipes": [
            {"Process": "Refine", "Input": "Ore", "Quantity": 8},
            {"Process": "Cells", "Input": "LCE", "Quantity": 0.7},
        ],
        "Lanes": [
            {"Lane": "ore", "From": "Mine", "To": "Refinery", "Material": "Ore", "Cost": 10,
             "Tariff": 2, "Capacity": 900},
            {"Lane": "lce", "From": "Refinery", "To": "Plant", "Material": "LCE", "Cost": 30,
             "Tariff": 100},
            {"Lane": "cells", "From": "Plant", "To": "Market", "Material": "Cell", "Cost": 5},
        ],
        "SpotMarket": [
            {"Material": "LCE", "Site": "Plant", "Period": "all", "Price": 6000,
             "Maximum": 20},
            {"Material": "LCE", "Site": "Plant", "Period": "2027", "Price": 4000},
        ],
        "Demand": [
            {"Site": "Market", "Material": "Cell", "Period": "2026", "Quantity": 150,
             "Penalty": 20000},
            {"Site": "Market", "Material": "Cell", "Period": "2027", "Quantity": 150},
        ],
    }


def every_feature() -> dict[str, list[dict]]:
    """Ore -> LCE -> LFP or sodium-ion cells -> packs over three periods and three scenarios,
    with every feature of the model active in the optimal plan.

    Mines A (Australia) and B (Chile) have Supply rows (A's 2028 row overrides its 'all'
    row); mine C (Argentina) only offtakes: contract C (binary, take-or-pay 50%) and C2
    (dearer, take-or-pay 80%) in one exclusive group, both listed in Sourcing at C; mine D
    (Canada) a continuous offtake paid per period. Refineries in China and Chile; the
    Chinese one may be expanded from 2027 (paid per period). The plant's LFP and sodium-ion
    lines share a cell hall (a capacity group); from 2027 LFP capacity may be converted to
    sodium-ion; an LCE stock (initial 5, end minimum 3) may gain a silo from 2027.

    Scenarios: calm (0.5); squeeze (0.3): mine A at 50% from 2027 overlapping a 70% row in
    2027 (lowest wins), lane A-CN at 20%, the Chinese refinery at 80% in 2028 and spot LCE at
    three times the price in 2028; crisis (0.2, stress): an export ban on Chilean LCE (closing
    an unlimited lane), mine C's site at 50% from 2027 and its supply at 30% in 2028, an
    unlimited lane at 90% (still unlimited) and spot LCE quantities halved. Policies: at most
    80% of LCE from China, at least 30% of ore from Australia and Canada, at most 30% of packs
    from sodium-ion cells (40% in 2028). In the stress scenario at most 45% of demand unmet.
    """
    return {
        "Periods": periods("2026", "2027", "2028"),
        "Materials": [
            {"Material": "Ore", "Unit": "t", "Kind": "ore"},
            {"Material": "LCE", "Unit": "t", "Kind": "chemical"},
            {"Material": "Soda", "Unit": "t", "Kind": "chemical"},
            {"Material": "LFP cell", "Unit": "GWh", "Kind": "cell", "Family": "lithium-ion"},
            {"Material": "Na cell", "Unit": "GWh", "Kind": "cell", "Family": "sodium-ion"},
            {"Material": "Pack", "Unit": "GWh", "Kind": "product"},
        ],
        "Sites": sites(("MineA", "mine", "Australia"), ("MineB", "mine", "Chile"),
                       ("MineC", "mine", "Argentina"), ("MineD", "mine", "Canada"),
                       ("RefCN", "refinery", "China"), ("RefCL", "refinery", "Chile"),
                       ("Plant", "cell plant", "Hungary"), ("Market", "market", "Germany")),
        "Supply": [
            {"Site": "MineA", "Material": "Ore", "Period": "all", "Capacity": 150,
             "Unit cost": 40},
            {"Site": "MineA", "Material": "Ore", "Period": "2028", "Capacity": 130,
             "Unit cost": 45},
            {"Site": "MineB", "Material": "Ore", "Period": "all", "Capacity": 120,
             "Unit cost": 30},
        ],
        "Processes": [
            {"Process": "Refine CN", "Site": "RefCN", "Output": "LCE", "Capacity": 60,
             "Variable cost": 1500},
            {"Process": "Refine CL", "Site": "RefCL", "Output": "LCE", "Capacity": 40,
             "Variable cost": 1200},
            {"Process": "LFP line", "Site": "Plant", "Output": "LFP cell", "Capacity": 150,
             "Variable cost": 300},
            {"Process": "Na line", "Site": "Plant", "Output": "Na cell", "Capacity": 25,
             "Variable cost": 400},
            {"Process": "Pack LFP", "Site": "Plant", "Output": "Pack", "Capacity": 300,
             "Variable cost": 20},
            {"Process": "Pack Na", "Site": "Plant", "Output": "Pack", "Capacity": 300,
             "Variable cost": 20},
        ],
        "Recipes": [
            {"Process": "Refine CN", "Input": "Ore", "Quantity": 8},
            {"Process": "Refine CL", "Input": "Ore", "Quantity": 9},
            {"Process": "LFP line", "Input": "LCE", "Quantity": 0.6},
            {"Process": "Na line", "Input": "Soda", "Quantity": 2},
            {"Process": "Pack LFP", "Input": "LFP cell", "Quantity": 1},
            {"Process": "Pack Na", "Input": "Na cell", "Quantity": 1},
        ],
        "Lanes": [
            {"Lane": "A-CN", "From": "MineA", "To": "RefCN", "Material": "Ore", "Cost": 5,
             "Tariff": 1, "Capacity": 500},
            {"Lane": "B-CN", "From": "MineB", "To": "RefCN", "Material": "Ore", "Cost": 6},
            {"Lane": "B-CL", "From": "MineB", "To": "RefCL", "Material": "Ore", "Cost": 1},
            {"Lane": "C-CN", "From": "MineC", "To": "RefCN", "Material": "Ore", "Cost": 6},
            {"Lane": "D-CN", "From": "MineD", "To": "RefCN", "Material": "Ore", "Cost": 7},
            {"Lane": "CN-P", "From": "RefCN", "To": "Plant", "Material": "LCE", "Cost": 50,
             "Tariff": 20},
            {"Lane": "CL-P", "From": "RefCL", "To": "Plant", "Material": "LCE", "Cost": 60},
            {"Lane": "P-M", "From": "Plant", "To": "Market", "Material": "Pack", "Cost": 10},
        ],
        "SpotMarket": [
            {"Material": "LCE", "Site": "Plant", "Period": "all", "Price": 4000,
             "Maximum": 20},
            {"Material": "LCE", "Site": "Plant", "Period": "2028", "Price": 5000,
             "Maximum": 10},
            {"Material": "Soda", "Site": "Plant", "Period": "all", "Price": 100},
        ],
        "Demand": [
            {"Site": "Market", "Material": "Pack", "Period": "2026", "Quantity": 150,
             "Penalty": 30000},
            {"Site": "Market", "Material": "Pack", "Period": "2027", "Quantity": 170},
            {"Site": "Market", "Material": "Pack", "Period": "2028", "Quantity": 190},
        ],
        "Scenarios": [
            {"Scenario": "calm", "Probability": 0.5},
            {"Scenario": "squeeze", "Probability": 0.3, "Kind": "normal"},
            {"Scenario": "crisis", "Probability": 0.2, "Kind": "stress"},
        ],
        "Disruptions": [
            {"Scenario": "squeeze", "Scope": "supply", "Target": "MineA", "Material": "Ore",
             "First period": "2027", "Availability": 0.5},
            {"Scenario": "squeeze", "Scope": "supply", "Target": "MineA",
             "First period": "2027", "Last period": "2027", "Availability": 0.7},
            {"Scenario": "squeeze", "Scope": "lane", "Target": "A-CN", "Availability": 0.2},
            {"Scenario": "squeeze", "Scope": "process", "Target": "Refine CN",
             "First period": "2028", "Availability": 0.8},
            {"Scenario": "crisis", "Scope": "country", "Target": "Chile", "Material": "LCE",
             "Availability": 0},
            {"Scenario": "crisis", "Scope": "site", "Target": "MineC",
             "First period": "2027", "Availability": 0.5},
            {"Scenario": "crisis", "Scope": "supply", "Target": "MineC",
             "First period": "2028", "Availability": 0.3},
            {"Scenario": "crisis", "Scope": "lane", "Target": "CN-P", "Availability": 0.9},
        ],
        "PriceShocks": [
            {"Scenario": "crisis", "Material": "LCE", "Site": "Plant",
             "Quantity multiplier": 0.5},
            {"Scenario": "squeeze", "Material": "LCE", "First period": "2028",
             "Price multiplier": 3},
        ],
        "Options": [
            {"Option": "contract C", "Kind": "offtake", "Target": "MineC", "Material": "Ore",
             "Capacity": 200, "Unit cost": 35, "Fixed cost": 2000, "Take or pay": 0.5,
             "Exclusive group": "contracts"},
            {"Option": "contract C2", "Kind": "offtake", "Target": "MineC", "Material": "Ore",
             "Capacity": 300, "Unit cost": 38, "Fixed cost": 4000, "Take or pay": 0.8,
             "Exclusive group": "contracts"},
            {"Option": "contract D", "Kind": "offtake", "Target": "MineD", "Material": "Ore",
             "Capacity": 600, "Unit cost": 50, "Fixed cost": 3000, "Decision": "continuous",
             "Cost basis": "per period"},
            {"Option": "expand CN", "Kind": "expansion", "Target": "Refine CN",
             "Capacity": 30, "Fixed cost": 800, "Cost basis": "per period",
             "Earliest period": "2027"},
            {"Option": "retool", "Kind": "conversion", "Target": "Na line",
             "From process": "LFP line", "Capacity": 15, "Fixed cost": 1000,
             "Earliest period": "2027"},
            {"Option": "silo", "Kind": "stock", "Target": "Plant", "Material": "LCE",
             "Capacity": 20, "Fixed cost": 500, "Earliest period": "2027"},
        ],
        "CapacityGroups": [
            {"Group": "cell hall", "Process": "LFP line", "Capacity": 180},
            {"Group": "cell hall", "Process": "Na line", "Capacity": 180, "Use": 1.5},
        ],
        "Stocks": [
            {"Site": "Plant", "Material": "LCE", "Initial level": 5, "Maximum": 10,
             "Holding cost": 50, "End minimum": 3},
        ],
        "Policies": [
            {"Policy": "China LCE", "Kind": "max country share", "Material": "LCE",
             "Countries": "China", "Share": 0.8},
            {"Policy": "friendly ore", "Kind": "min country share", "Material": "Ore",
             "Countries": "Australia, Canada", "Share": 0.3},
            {"Policy": "Na packs", "Kind": "max process share", "Process": "Pack Na",
             "Share": 0.3},
            {"Policy": "Na packs", "Kind": "max process share", "Process": "Pack Na",
             "Share": 0.4, "Period": "2028"},
        ],
    }


EVERY_FEATURE_SETTINGS = {"Discount rate": 0.08, "Unmet demand penalty": 20000,
                          "Stress unmet share": 0.45}
CVAR = {"Objective": "cvar", "CVaR level": 0.75, "Risk weight": 0.6}


def solved_every_feature(folder: Path, settings: dict) -> tuple[Path, Path]:
    input_path = write_plan(folder / "every.xlsx", every_feature(),
                            settings={**EVERY_FEATURE_SETTINGS, **settings})
    return input_path, solve_cli(input_path, folder / "every_result.xlsx")


@pytest.fixture(scope="module")
def every_result(tmp_path_factory) -> tuple[Path, Path]:
    return solved_every_feature(tmp_path_factory.mktemp("every"), {})


@pytest.fixture(scope="module")
def every_cvar_result(tmp_path_factory) -> tuple[Path, Path]:
    return solved_every_feature(tmp_path_factory.mktemp("every_cvar"), CVAR)


@pytest.fixture
def two_mines_result(tmp_path, two_mines) -> tuple[Path, Path]:
    input_path = write_plan(tmp_path / "two_mines.xlsx", two_mines)
    return input_path, solve_cli(input_path, tmp_path / "two_mines_result.xlsx")


COPIES = itertools.count()


def tampered(result: Path, sheet: str, find, column: str, change) -> Path:
    """A copy of ``result`` with one cell changed: ``column`` of the first row ``find`` accepts.

    The header is the first row holding ``column`` (row 3 for the Details sheet's Item/Value table).
    """
    copy = result.with_name(f"tampered_{next(COPIES)}_{sheet.replace(' ', '_')}_{result.name}")
    shutil.copy(result, copy)
    wb = openpyxl.load_workbook(copy)
    ws = wb[sheet]
    top = next(r for r in ws.iter_rows() if column in [c.value for c in r])  # header row
    header = [c.value for c in top]
    for row in ws.iter_rows(min_row=top[0].row + 1):
        values = dict(zip(header, (c.value for c in row)))
        if find(values):
            cell = row[header.index(column)]
            cell.value = change(cell.value)
            break
    else:
        raise AssertionError(f"no row of {sheet} to tamper with")
    wb.save(copy)
    return copy


def appended(result: Path, sheet: str, values: dict) -> Path:
    """A copy of ``result`` with one row added to ``sheet`` (its header in row 1)."""
    copy = result.with_name(f"appended_{next(COPIES)}_{sheet.replace(' ', '_')}_{result.name}")
    shutil.copy(result, copy)
    wb = openpyxl.load_workbook(copy)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    ws.append([values.get(h) for h in header])
    wb.save(copy)
    return copy


# ---------------------------------------------------------------- real results pass

def test_two_mines_result_passes(two_mines_result):
    input_path, result = two_mines_result
    assert check(input_path, result) == []


def test_full_chain_result_passes(tmp_path):
    input_path = write_plan(tmp_path / "chain.xlsx", full_chain(),
                            settings={"Discount rate": 0.08, "Unmet demand penalty": 50000})
    result = solve_cli(input_path, tmp_path / "chain_result.xlsx")
    # The plan exercises every term the checker recomputes.
    assert sum(r["Quantity"] for r in sheet_rows(result, "Spot purchases")) > 0
    assert sum(r["Unmet"] for r in sheet_rows(result, "Unmet demand")) > 0
    assert sum(r["Tariff cost"] for r in sheet_rows(result, "Flows")) > 0
    assert {r["Period"] for r in sheet_rows(result, "Flows")} == {"2026", "2027"}
    assert {r["Process"] for r in sheet_rows(result, "Processing") if r["Activity"] > 0} \
        == {"Refine", "Cells"}
    # By hand: 2026 costs 881,184 and 2027 costs 1,793,550, discounted by 1.08.
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(result)["Details"].iter_rows(
        values_only=True)}
    assert summary["Expected total cost (discounted, USD)"] == \
        pytest.approx(881_184 + 1_793_550 / 1.08)
    assert check(input_path, result) == []


def test_example_workbook_result_passes(tmp_path):
    assert EXAMPLE.exists(), (
        f"{EXAMPLE} does not exist: the bundled example workbook is missing, so the "
        "independent check of its result cannot run (build it with python -m planner.inputs)")
    result = solve_cli(EXAMPLE, tmp_path / "example_result.xlsx")
    assert check(EXAMPLE, result) == []


def test_every_feature_result_passes(every_result):
    input_path, result = every_result
    assert check(input_path, result) == []
    # The plan exercises every family the checker recomputes.
    taken = {r["Option"]: r["Taken"] for r in sheet_rows(result, "Decisions")}
    assert (taken["contract C"], taken["contract C2"]) == (1, 0)     # one of the group
    assert 0 < taken["contract D"] < 1                                 # a continuous share
    assert all(taken[o] == 1 for o in ("expand CN", "retool", "silo"))
    sourcing = sheet_rows(result, "Sourcing")
    at_c = [r for r in sourcing if r["Site"] == "MineC" and r["Scenario"] == "crisis"
            and r["Period"] == "2028"]
    assert sorted(r["Unit cost"] for r in at_c) == [35, 38]           # two offtakes, one site
    # Take-or-pay binds: 50% x 200 x the lowest availability 30%.
    assert next(r["Quantity"] for r in at_c if r["Unit cost"] == 35) == pytest.approx(30)
    activity = {(r["Scenario"], r["Period"], r["Process"]): r["Activity"]
                for r in sheet_rows(result, "Processing")}
    assert activity[("calm", "2027", "LFP line")] == pytest.approx(150 - 15)  # converted
    assert activity[("calm", "2027", "Refine CN")] > 60                      # expanded
    assert activity[("crisis", "2026", "Refine CL")] == 0                    # export ban
    spot = {(r["Scenario"], r["Period"], r["Material"]): r["Quantity"]
            for r in sheet_rows(result, "Spot purchases")}
    assert [spot[("crisis", t, "LCE")] for t in ("2026", "2027", "2028")] == \
        pytest.approx([10, 10, 5])                                            # halved maxima
    levels = {(r["Scenario"], r["Period"]): r["Level"] for r in sheet_rows(result, "Stocks")}
    assert max(levels.values()) > 10                                         # the silo's room
    assert [levels[(s, "2028")] for s in ("calm", "squeeze", "crisis")] == \
        pytest.approx([3, 3, 3])                                              # end minimum
    rows = list(openpyxl.load_workbook(result)["Scenarios"].iter_rows(values_only=True))
    scenarios = {r[0]: dict(zip(rows[1], r)) for r in rows[2:5]}
    assert scenarios["crisis"]["Largest unmet share"] == pytest.approx(0.45)  # stress cap binds


def test_every_feature_cvar_result_passes(every_cvar_result):
    input_path, result = every_cvar_result
    assert check(input_path, result) == []
    risk = {r[0]: r[1] for r in openpyxl.load_workbook(result)["Risk"].iter_rows(
        values_only=True) if r[0]}
    assert risk["Objective"] > risk["Expected cost"]                          # the CVaR counts


# ---------------------------------------------------------------- tampered results fail

def test_tampered_flow_breaks_balances_and_costs(two_mines_result):
    input_path, result = two_mines_result
    bad = tampered(result, "Flows", lambda r: r["Lane"] == "B-M", "Quantity", lambda q: q + 3)
    found = check(input_path, bad)
    assert any(v.startswith("balance base / 2026 / B / Ore") for v in found), found
    assert any(v.startswith("balance base / 2026 / M / Ore") for v in found), found
    assert any("transport" in v and "Details" in v for v in found), found


def test_tampered_objective_is_reported(two_mines_result):
    input_path, result = two_mines_result
    bad = tampered(result, "Details", lambda r: str(r["Item"]).startswith("Expected total cost"),
                   "Value", lambda x: x + 1)
    found = check(input_path, bad)
    assert found and all(v.startswith("Details: expected total cost") for v in found), found


def test_tampered_sourcing_over_capacity_is_reported(two_mines_result):
    input_path, result = two_mines_result
    bad = tampered(result, "Sourcing", lambda r: r["Site"] == "A", "Quantity", lambda q: 12.0)
    found = check(input_path, bad)
    assert any("exceeds the supply capacity x availability of A / Ore in base / 2026 10" in v
               for v in found), found


def test_tampered_served_is_reported(two_mines_result):
    input_path, result = two_mines_result
    bad = tampered(result, "Unmet demand", lambda r: r["Site"] == "M", "Served", lambda q: q - 1)
    found = check(input_path, bad)
    assert any("Served 24 + Unmet 0 = 24, not the demand 25" in v for v in found), found
    assert any(v.startswith("balance base / 2026 / M / Ore") for v in found), found


def test_result_of_another_input_is_reported(tmp_path, two_mines, two_mines_result):
    _, result = two_mines_result
    two_mines["Demand"][0]["Quantity"] = 26
    other = write_plan(tmp_path / "other.xlsx", two_mines)
    found = check(other, result)
    assert any("Input SHA-256" in v for v in found), found
    assert any("Demand 25 but the input asks 26" in v for v in found), found



def offtake_row(scenario: str, period: str, unit_cost: float):
    return lambda r: (r["Site"], r["Scenario"], r["Period"], r["Unit cost"]) == \
        ("MineC", scenario, period, unit_cost)


def row_of(**fields):
    return lambda r: all(r[k] == v for k, v in fields.items())


PER_PERIOD_EXPANSION = 800 * (1 / 1.08 + 1 / 1.08 ** 2)
"""expand CN's discounted fee: paid in 2027 and 2028 at 8%."""

EVERY_FEATURE_TAMPERING = {
    "binary option half taken": (
        "Decisions", row_of(Option="contract C"), "Taken", lambda z: 0.5,
        ["Decisions row 2: Taken 0.5 of binary option contract C is neither 0 nor 1"]),
    "offtake without its option": (
        "Decisions", row_of(Option="contract C"), "Taken", lambda z: 0,
        ["Sourcing: offtake contract C in calm / 2026: 200 exceeds the contracted capacity "
         "x taken x availability 0"]),
    "both options of an exclusive group": (
        "Decisions", row_of(Option="contract C2"), "Taken", lambda z: 1,
        ["Decisions: exclusive group contracts takes 2 of its options contract C, "
         "contract C2, more than one",
         "Sourcing: offtake contract C2 in calm / 2026: 0 is below the take-or-pay minimum "
         "240"]),
    "continuous option over 1": (
        "Decisions", row_of(Option="contract D"), "Taken", lambda z: 1.2,
        ["Decisions row 4: Taken 1.2 of option contract D is more than 1"]),
    "per-period fee": (
        "Decisions", row_of(Option="expand CN"), "Discounted cost", lambda x: x + 100,
        [f"but the input gives {PER_PERIOD_EXPANSION:.10g}"]),
    "offtake above contracted capacity": (
        "Sourcing", offtake_row("calm", "2026", 35), "Quantity", lambda q: 230,
        ["Sourcing: offtake contract C in calm / 2026: 230 exceeds the contracted capacity "
         "x taken x availability 200"]),
    "offtake below take-or-pay": (
        "Sourcing", offtake_row("crisis", "2028", 35), "Quantity", lambda q: 25,
        ["Sourcing: offtake contract C in crisis / 2028: 25 is below the take-or-pay "
         "minimum 30"]),
    "supply above the lowest availability": (
        "Sourcing", row_of(Site="MineA", Scenario="squeeze", Period="2027"), "Quantity",
        lambda q: 100,
        ["100 exceeds the supply capacity x availability of MineA / Ore in squeeze / 2027 75"]),
    "process above expanded capacity x availability": (
        "Processing", row_of(Process="Refine CN", Scenario="squeeze", Period="2028"),
        "Activity", lambda y: 80,
        ["80 exceeds the capacity (with options taken) x availability of process Refine CN "
         "72"]),
    "process above converted capacity and its group": (
        "Processing", row_of(Process="LFP line", Scenario="calm", Period="2027"),
        "Activity", lambda y: 136,
        ["136 exceeds the capacity (with options taken) x availability of process LFP line "
         "135",
         "capacity group cell hall in calm / 2027: 181 exceeds the group capacity 180"]),
    "spot above the shocked maximum": (
        "Spot purchases", row_of(Material="LCE", Scenario="crisis", Period="2026"),
        "Quantity", lambda q: 12,
        ["12 exceeds the spot maximum x quantity multiplier of LCE at Plant in crisis / "
         "2026 10"]),
    "stock above its maximum before the silo": (
        "Stocks", row_of(Scenario="calm", Period="2026"), "Level", lambda q: 12,
        ["12 exceeds the stock maximum (with stock options taken) 10",
         "balance calm / 2026 / Plant / LCE"]),
    "stock below its end minimum": (
        "Stocks", row_of(Scenario="calm", Period="2028"), "Level", lambda q: 2,
        ["2 is below the end minimum 3"]),
    "stress scenario above the unmet cap": (
        "Unmet demand", row_of(Scenario="crisis", Period="2027"), "Unmet", lambda q: 80,
        ["stress cap in crisis / 2027: unmet Pack: 80 exceeds the Stress unmet share 0.45 "
         "x demand 76.5"]),
    "supply breaking a minimum country share": (
        "Sourcing", row_of(Site="MineB", Scenario="crisis", Period="2026"), "Quantity",
        lambda q: q + 10,
        ["policy friendly ore (min country share) in crisis / 2026: "]),
    "output breaking a process share": (
        "Processing", row_of(Process="Pack Na", Scenario="crisis", Period="2027"),
        "Activity", lambda y: y + 5,
        ["policy Na packs (max process share) in crisis / 2027: "]),
    "scenario total": (
        "Scenarios", row_of(Scenario="crisis"), "Total cost", lambda x: x + 1000,
        ["Scenarios row 5: Total cost "]),
    "commitments in the Summary": (
        "Details", lambda r: r["Cost category"] == "Commitments (options taken)",
        "Discounted cost (USD)", lambda x: x + 1,
        ["Details: commitments (options taken) discounted cost "]),
}


@pytest.mark.parametrize("case", list(EVERY_FEATURE_TAMPERING))
def test_tampered_every_feature_result_is_reported(every_result, case):
    sheet, find, column, change, expected = EVERY_FEATURE_TAMPERING[case]
    input_path, result = every_result
    found = check(input_path, tampered(result, sheet, find, column, change))
    for message in expected:
        assert any(message in v for v in found), (message, found)


def test_flow_on_a_banned_lane_is_reported(every_result):
    """The export ban closes the unlimited lane CL-P in the crisis scenario."""
    input_path, result = every_result
    bad = appended(result, "Flows", {"Scenario": "crisis", "Period": "2026", "Lane": "CL-P",
                                     "From": "RefCL", "To": "Plant", "Material": "LCE",
                                     "Quantity": 5})
    found = check(input_path, bad)
    assert any("5 exceeds the capacity x availability of lane CL-P in crisis / 2026 0" in v
               for v in found), found


@pytest.mark.parametrize("sheet, find, column, expected", [
    ("Risk", lambda r: str(r["Measure"]).startswith("CVaR at"), "Value", "Risk: CVaR at 75% "),
    ("Details", lambda r: str(r["Item"]).startswith("Expected total cost"), "Value",
     "Details: expected total cost "),
])
def test_tampered_cvar_result_is_reported(every_cvar_result, sheet, find, column, expected):
    input_path, result = every_cvar_result
    found = check(input_path, tampered(result, sheet, find, column, lambda x: x + 1000))
    assert any(v.startswith(expected) for v in found), found


# ---------------------------------------------------------------- found while checking

def test_summary_number_formats_fit_their_items(two_mines_result):
    """The Details sheet formats cells by fixed row: the objective and bound as money, Gap as %."""
    _, result = two_mines_result
    ws = openpyxl.load_workbook(result)["Details"]
    formats = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).number_format
               for r in range(4, ws.max_row + 1)}
    wrong = {item: formats[item] for item, want in (
        ("Message", "General"), ("Expected total cost (discounted, USD)", "#,##0"),
        ("Best bound", "#,##0"), ("Gap", "0.00%")) if formats[item] != want}
    assert not wrong, (
        "planner/report.py _summary formats rows 5-7 but the items sit one row lower "
        "(header in row 3, Status in row 4): Message gets the money format, Best bound the "
        f"percent format (180 shows as 18000.00%) and Gap none; got {wrong}")



@pytest.fixture(scope="module")
def spot_shock_result(tmp_path_factory) -> tuple[Path, Path]:
    """LCE at 10 doubles in 'spike' (test_scenarios): 20 t bought there at 20 = 400."""
    plan = cell_choice(lce_price=10)
    plan["Scenarios"] = [{"Scenario": "normal", "Probability": 0.5},
                         {"Scenario": "spike", "Probability": 0.5}]
    plan["PriceShocks"] = [{"Scenario": "spike", "Material": "LCE", "Price multiplier": 2}]
    folder = tmp_path_factory.mktemp("spot_shock")
    input_path = write_plan(folder / "shock.xlsx", plan)
    return input_path, solve_cli(input_path, folder / "shock_result.xlsx")


def test_spot_purchases_rows_cost_the_shocked_price(spot_shock_result):
    """The Spot purchases rows, the Costs sheet, Scenarios, Summary and Risk all charge the
    price times the scenario's multiplier."""
    input_path, result = spot_shock_result
    assert check(input_path, result) == []


def test_offtake_lane_may_fill_a_stock_beyond_the_demand(tmp_path):
    """Mine B sells only under contract (binary: 10 t a period at 1, fee 5); market M
    wants 20 t in 2027 only (penalty 100) and may stock 10 t. Shipping 10 t in 2026 into the
    stock and 10 t in 2027 costs 5 + 20 x 1 = 25; a continuous contract finds that plan."""
    plan = {
        "Periods": periods("2026", "2027"),
        "Materials": [{"Material": "Ore", "Unit": "t", "Kind": "ore"}],
        "Sites": sites(("B", "mine", "Australia"), ("M", "market", "China")),
        "Lanes": [{"Lane": "B-M", "From": "B", "To": "M", "Material": "Ore", "Cost": 0}],
        "Demand": [{"Site": "M", "Material": "Ore", "Period": "2027", "Quantity": 20,
                    "Penalty": 100}],
        "Stocks": [{"Site": "M", "Material": "Ore", "Maximum": 10}],
        "Options": [{"Option": "contract B", "Kind": "offtake", "Target": "B",
                     "Material": "Ore", "Capacity": 10, "Unit cost": 1, "Fixed cost": 5}],
    }
    plan["Options"][0]["Decision"] = "continuous"
    assert solve_plan(tmp_path, plan, name="continuous.xlsx").solved.objective == \
        pytest.approx(25.0)
    plan["Options"][0]["Decision"] = "binary"
    assert solve_plan(tmp_path, plan, name="binary.xlsx").solved.objective == \
        pytest.approx(25.0)


def test_checker_stands_apart_from_the_project():
    """independent_check imports only openpyxl and the standard library."""
    tree = ast.parse((Path(__file__).parent / "independent_check.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    outside = imported - set(sys.stdlib_module_names) - {"__future__", "openpyxl"}
    assert not outside, f"independent_check imports {outside}"
