"""An infeasible plan is explained by the rows that conflict, printed and in the workbook."""

from __future__ import annotations

import pytest

import hashlib

import openpyxl
from click.testing import CliRunner

from conftest import periods, sites, write_plan
from planner.cli import main
from planner.infeasibility import Explanation, Member
from planner.pipeline import solve_workbook
from test_commitments import stress_plan

EXIT_INFEASIBLE = 5


def lithium_policy_plan(share: float) -> dict:
    """30 t of LiOH wanted at a cell plant in Korea, in a stress scenario where none may go
    unmet. The Chinese refinery makes up to 40 t, the Australian one 12 t. At most
    ``share`` of the LiOH from China: with 40% the plant needs 18 t from Australia, which
    makes only 12 t: infeasible."""
    return {
        "Periods": periods("2027"),
        "Materials": [{"Material": "LiOH", "Unit": "t", "Kind": "chemical"}],
        "Sites": sites(("Yibin", "refinery", "China"), ("Kwinana", "refinery", "Australia"),
                       ("Ochang", "cell plant", "Korea")),
        "Processes": [
            {"Process": "Yibin LiOH", "Site": "Yibin", "Output": "LiOH", "Capacity": 40,
             "Variable cost": 10},
            {"Process": "Kwinana LiOH", "Site": "Kwinana", "Output": "LiOH", "Capacity": 12,
             "Variable cost": 20},
        ],
        "Lanes": [
            {"Lane": "Yibin-Ochang", "From": "Yibin", "To": "Ochang", "Material": "LiOH",
             "Cost": 1},
            {"Lane": "Kwinana-Ochang", "From": "Kwinana", "To": "Ochang", "Material": "LiOH",
             "Cost": 1},
        ],
        "Demand": [{"Site": "Ochang", "Material": "LiOH", "Period": "2027", "Quantity": 30}],
        "Scenarios": [{"Scenario": "tight", "Probability": 1, "Kind": "stress"}],
        "Policies": [{"Policy": "China LiOH", "Kind": "max country share", "Material": "LiOH",
                      "Countries": "China", "Share": share}],
    }


def test_tight_country_share_policy_names_the_conflicting_rows(tmp_path):
    path = write_plan(tmp_path / "plan.xlsx", lithium_policy_plan(0.4), {"Stress unmet share": 0})
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    out = tmp_path / "result.xlsx"
    outcome = CliRunner().invoke(main, ["solve", str(path), "-o", str(out), "-q"])
    assert outcome.exit_code == EXIT_INFEASIBLE, outcome.output
    assert "Traceback" not in outcome.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    for line in ("Policies row 3: at most 40% of LiOH from China",
                 "Settings: Stress unmet share: at most 0% of the LiOH demand",
                 "Processes row 4: Kwinana LiOH makes at most 12 t of LiOH a period",
                 "Demand row 3: 30 t of LiOH wanted at Ochang"):
        assert line in outcome.output, outcome.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "Details", "Infeasibility"]
    table = list(wb["Infeasibility"].iter_rows(min_row=3, values_only=True))
    assert table[0] == ("Sheet", "Row", "Cell", "What it says", "Scenario", "Period")
    cells = {r[2] for r in table[1:]}
    assert {"Policies!A3", "Processes!A4", "Demand!A3"} <= cells


def test_the_same_policy_relaxed_is_feasible(tmp_path):
    """At most 60%: 18 t from China, 12 from Australia: 18 x 11 + 12 x 21 = 450."""
    run = solve_workbook(write_plan(tmp_path / "plan.xlsx", lithium_policy_plan(0.6),
                                    {"Stress unmet share": 0}))
    assert run.solved.status.label == "optimal" and run.solved.objective == pytest.approx(450.0, rel=1e-12)
    assert run.explanation is None


def test_stress_cap_conflict_names_the_disruption(tmp_path):
    """The outage takes mine A; spot ore is capped at 5 t; no unmet demand is allowed."""
    plan = stress_plan()
    plan["SpotMarket"][0]["Maximum"] = 5
    run = solve_workbook(write_plan(tmp_path / "p.xlsx", plan, {"Stress unmet share": 0}))
    found = {(m.sheet, m.row) for m in run.explanation.members}
    assert {("Disruptions", 3), ("SpotMarket", 3), ("Supply", 3), ("Demand", 3),
            ("Settings", None), ("Scenarios", 4)} <= found


def test_end_minimum_stock_conflict(tmp_path):
    """A stock must end with 8 t, but the only mine makes 5 t a period over 1 period and the
    market takes nothing: 8 > 5."""
    plan = {
        "Periods": periods("2026"),
        "Materials": [{"Material": "Ore", "Unit": "t", "Kind": "ore"}],
        "Sites": sites(("A", "mine", "Chile"), ("M", "market", "China")),
        "Supply": [{"Site": "A", "Material": "Ore", "Period": "all", "Capacity": 5,
                    "Unit cost": 1}],
        "Lanes": [{"Lane": "A-M", "From": "A", "To": "M", "Material": "Ore", "Cost": 0}],
        "Demand": [{"Site": "M", "Material": "Ore", "Period": "2026", "Quantity": 1}],
        "Stocks": [{"Site": "M", "Material": "Ore", "Maximum": 10, "End minimum": 8}],
    }
    run = solve_workbook(write_plan(tmp_path / "p.xlsx", plan))
    assert run.solved.status.label == "infeasible"
    says = [str(m) for m in run.explanation.members]
    assert "Stocks row 3: at least 8 t of Ore left at M at the end (scenario base, 2026)" in says
    assert "Supply row 3: A supplies at most 5 t of Ore (scenario base, 2026)" in says


def test_a_long_conflict_is_cut_to_one_screen():
    members = [Member("Demand", row, f"{row} t of Ore wanted at M") for row in range(3, 33)]
    lines = Explanation(members, "These rows cannot all hold:").lines(most=15)
    assert len(lines) == 17
    assert lines[-1] == "  ... and 15 more: every one is on the result's Infeasibility sheet"


def test_a_price_shock_that_empties_the_spot_market_is_named(tmp_path):
    """The outage takes mine A and a price shock leaves no spot ore (quantity x 0); no
    unmet demand is allowed in the stress scenario."""
    plan = stress_plan()
    plan["PriceShocks"] = [{"Scenario": "outage", "Material": "Ore", "Quantity multiplier": 0}]
    run = solve_workbook(write_plan(tmp_path / "p.xlsx", plan, {"Stress unmet share": 0}))
    says = [str(m) for m in run.explanation.members]
    assert "SpotMarket row 3: Ore bought spot at M, with no limit (scenario outage, 2026)" \
        in says, says
    assert "PriceShocks row 3: the spot maximum of Ore is multiplied by 0 (scenario outage, " \
        "2026)" in says, says


def test_a_disrupted_limit_says_what_is_left_in_plain_numbers(tmp_path):
    """The stock needs 3,000,000 t at the end; mine A's 4,000,000 t are 50% available in the
    only scenario: the conflict quotes 2,000,000 t, what is left, not the nominal limit."""
    plan = {
        "Periods": periods("2026"),
        "Materials": [{"Material": "Ore", "Unit": "t", "Kind": "ore"}],
        "Sites": sites(("A", "mine", "Chile"), ("M", "market", "China")),
        "Supply": [{"Site": "A", "Material": "Ore", "Period": "all", "Capacity": 4_000_000,
                    "Unit cost": 1}],
        "Lanes": [{"Lane": "A-M", "From": "A", "To": "M", "Material": "Ore", "Cost": 0}],
        "Demand": [{"Site": "M", "Material": "Ore", "Period": "2026", "Quantity": 1}],
        "Stocks": [{"Site": "M", "Material": "Ore", "Maximum": 5_000_000,
                    "End minimum": 3_000_000}],
        "Scenarios": [{"Scenario": "dry", "Probability": 1}],
        "Disruptions": [{"Scenario": "dry", "Scope": "supply", "Target": "A",
                         "Availability": 0.5}],
    }
    run = solve_workbook(write_plan(tmp_path / "p.xlsx", plan))
    assert run.solved.status.label == "infeasible"
    says = [str(m) for m in run.explanation.members]
    assert "Supply row 3: A supplies at most 2,000,000 t (50% of 4,000,000 t) of Ore " \
           "(scenario dry, 2026)" in says, says
    assert not any("e+0" in line for line in says), says
