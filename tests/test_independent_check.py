"""Plans solved by the real ``plan solve`` command, then checked by ``independent_check``.

The checker reads only the input and the result workbooks; these tests show it passes
real results and fails tampered ones with the specific violation.
"""

from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import periods, sites, write_plan
from independent_check import check
from planner.cli import main

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


@pytest.fixture
def two_mines_result(tmp_path, two_mines) -> tuple[Path, Path]:
    input_path = write_plan(tmp_path / "two_mines.xlsx", two_mines)
    return input_path, solve_cli(input_path, tmp_path / "two_mines_result.xlsx")


def tampered(result: Path, sheet: str, find, column: str, change) -> Path:
    """A copy of ``result`` with one cell changed: ``column`` of the first row ``find`` accepts.

    The header is the first row holding ``column`` (row 3 for the Summary's Item/Value table).
    """
    copy = result.with_name(f"tampered_{sheet.replace(' ', '_')}_{result.name}")
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
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(result)["Summary"].iter_rows(
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


# ---------------------------------------------------------------- tampered results fail

def test_tampered_flow_breaks_balances_and_costs(two_mines_result):
    input_path, result = two_mines_result
    bad = tampered(result, "Flows", lambda r: r["Lane"] == "B-M", "Quantity", lambda q: q + 3)
    found = check(input_path, bad)
    assert any(v.startswith("balance base / 2026 / B / Ore") for v in found), found
    assert any(v.startswith("balance base / 2026 / M / Ore") for v in found), found
    assert any("transport" in v and "Summary" in v for v in found), found


def test_tampered_objective_is_reported(two_mines_result):
    input_path, result = two_mines_result
    bad = tampered(result, "Summary", lambda r: str(r["Item"]).startswith("Expected total cost"),
                   "Value", lambda x: x + 1)
    found = check(input_path, bad)
    assert found and all(v.startswith("Summary: expected total cost") for v in found), found


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


# ---------------------------------------------------------------- found while checking

def test_summary_number_formats_fit_their_items(two_mines_result):
    """The Summary formats cells by fixed row: the objective and bound as money, Gap as %."""
    _, result = two_mines_result
    ws = openpyxl.load_workbook(result)["Summary"]
    formats = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).number_format
               for r in range(4, ws.max_row + 1)}
    wrong = {item: formats[item] for item, want in (
        ("Message", "General"), ("Expected total cost (discounted, USD)", "#,##0"),
        ("Best bound", "#,##0"), ("Gap", "0.00%")) if formats[item] != want}
    assert not wrong, (
        "planner/report.py _summary formats rows 5-7 but the items sit one row lower "
        "(header in row 3, Status in row 4): Message gets the money format, Best bound the "
        f"percent format (180 shows as 18000.00%) and Gap none; got {wrong}")


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
