"""Capacity groups, conversions, stocks, policies and stress caps on tiny instances worked
out by hand."""

from __future__ import annotations

import pytest

from conftest import periods, sites, solve_plan, write_plan
from planner.pipeline import check_workbook, solve_workbook
from test_hand_worked import cell_choice
from test_scenarios import hedge_plan


def test_capacity_group_shifts_the_mix(tmp_path):
    """LCE at 10: LFP 60, sodium-ion 70 per GWh; 50 GWh wanted. One shared line of 35, a GWh
    of sodium-ion using half as much of it: LFP + 0.5 Na <= 35 with LFP + Na = 50 gives
    LFP <= 20: 20 x 60 + 30 x 70 = 3,300 (without the group: 3,200)."""
    plan = cell_choice(lce_price=10)
    plan["CapacityGroups"] = [
        {"Group": "line", "Process": "LFP line", "Capacity": 35},
        {"Group": "line", "Process": "Na line", "Capacity": 35, "Use": 0.5},
    ]
    run = solve_plan(tmp_path, plan)
    assert run.solved.objective == pytest.approx(3300.0)
    activity = run.result.processing.set_index("Process")["Activity"]
    assert activity["LFP line"] == pytest.approx(20.0)
    assert activity["Na line"] == pytest.approx(30.0)


def test_capacity_group_rows_must_agree(tmp_path):
    plan = cell_choice(lce_price=10)
    plan["CapacityGroups"] = [
        {"Group": "line", "Process": "LFP line", "Capacity": 35},
        {"Group": "line", "Process": "Na line", "Capacity": 40},
    ]
    problems = [str(p) for p in check_workbook(write_plan(tmp_path / "p.xlsx", plan)).problems]
    assert problems == ["CapacityGroups!C4: group line has capacity 40 here but 35 in row 3; "
                        "give every row of a group the same capacity"]


def test_conversion_moves_capacity(tmp_path):
    """LCE at 20: LFP 80, sodium-ion 70 per GWh; 80 GWh wanted, penalty 1,000. Lines 30 and
    40 leave 10 unmet: 2,800 + 2,400 + 10,000 = 15,200. Converting 25 GWh of LFP to
    sodium-ion (fee 50) keeps 70 GWh in all: 65 x 70 + 5 x 80 + 10,000 + 50 = 15,000."""
    plan = cell_choice(lce_price=20)
    plan["Demand"][0]["Quantity"] = 80
    plan["Options"] = [{"Option": "retool", "Kind": "conversion", "Target": "Na line",
                        "From process": "LFP line", "Capacity": 25, "Fixed cost": 50}]
    run = solve_plan(tmp_path, plan)
    assert run.solved.objective == pytest.approx(15000.0)
    activity = run.result.processing.set_index("Process")["Activity"]
    assert (activity["Na line"], activity["LFP line"]) == pytest.approx((65.0, 5.0))


def stock_plan(**stock) -> dict:
    """Mine A: 10 t a period, at 5 in 2026 and 9 in 2027; market M wants 6 then 12 (penalty
    100); a stock of ore at M, holding cost 1 a period."""
    return {
        "Periods": periods("2026", "2027"),
        "Materials": [{"Material": "Ore", "Unit": "t", "Kind": "ore"}],
        "Sites": sites(("A", "mine", "Chile"), ("M", "market", "China")),
        "Supply": [{"Site": "A", "Material": "Ore", "Period": "2026", "Capacity": 10,
                    "Unit cost": 5},
                   {"Site": "A", "Material": "Ore", "Period": "2027", "Capacity": 10,
                    "Unit cost": 9}],
        "Lanes": [{"Lane": "A-M", "From": "A", "To": "M", "Material": "Ore", "Cost": 0}],
        "Demand": [{"Site": "M", "Material": "Ore", "Period": "2026", "Quantity": 6,
                    "Penalty": 100},
                   {"Site": "M", "Material": "Ore", "Period": "2027", "Quantity": 12,
                    "Penalty": 100}],
        "Stocks": [{"Site": "M", "Material": "Ore", "Maximum": 5, "Holding cost": 1, **stock}],
    }


@pytest.mark.parametrize("stock, cost, levels", [
    # No stock: 30 + 90 + 2 unmet x 100 = 320. With it: buy 10 in 2026 and carry 4
    # (4 x (5 + 1) beats 9): 50 + 4 + 8 x 9 = 126.
    ({"Maximum": 0}, 320.0, [0.0, 0.0]),
    ({}, 126.0, [4.0, 0.0]),
    # At least 2 t left at the end: 2027 takes 10 from A and 4 from stock: 50 + 4 + 90 + 2.
    ({"End minimum": 2}, 146.0, [4.0, 2.0]),
    # 3 t at the start: buy 8 in 2026, carry 5 (the maximum): 40 + 5 + 7 x 9 = 108.
    ({"Initial level": 3}, 108.0, [5.0, 0.0]),
])
def test_stock_carries_cheap_ore_forward(tmp_path, stock, cost, levels):
    run = solve_plan(tmp_path, stock_plan(**stock))
    assert run.solved.objective == pytest.approx(cost)
    assert run.result.stocks["Level"].tolist() == pytest.approx(levels)


def test_stock_option_builds_the_stockpile(tmp_path):
    """A stockpile of 5 t that exists only if built, for 20: 126 + 20 = 146 < 320."""
    plan = stock_plan(Maximum=0)
    plan["Options"] = [{"Option": "silo", "Kind": "stock", "Target": "M", "Material": "Ore",
                        "Capacity": 5, "Fixed cost": 20}]
    run = solve_plan(tmp_path, plan)
    assert run.solved.objective == pytest.approx(146.0)
    assert run.result.decisions["Taken"].tolist() == [1.0]


def test_stock_option_needs_a_stocks_row(tmp_path):
    plan = stock_plan()
    plan["Options"] = [{"Option": "silo", "Kind": "stock", "Target": "A", "Material": "Ore",
                        "Capacity": 5, "Fixed cost": 20}]
    problems = [str(p) for p in check_workbook(write_plan(tmp_path / "p.xlsx", plan)).problems]
    assert len(problems) == 1 and problems[0].startswith("Options!C3: stock option silo"), \
        problems


def test_country_share_policy_binds(tmp_path, two_mines):
    """Unlimited, A (Australia) 10 and B (Chile) 15: 10 x 6 + 15 x 8 = 180. At most half the
    ore from Chile: B <= A = 10, so 5 t go unmet: 60 + 80 + 5 x 1,000 = 5,140."""
    two_mines["Policies"] = [{"Policy": "Chile cap", "Kind": "max country share",
                              "Material": "Ore", "Countries": "Chile", "Share": 0.5}]
    run = solve_plan(tmp_path, two_mines)
    assert run.solved.objective == pytest.approx(5140.0)
    assert run.result.sourcing.set_index("Site")["Quantity"].to_dict() == \
        pytest.approx({"A": 10.0, "B": 10.0})


def test_minimum_share_from_a_group_of_countries(tmp_path, two_mines):
    """At least 60% from Australia and Peru: A >= 0.6 (A + B), so B <= 20 / 3 and 25 - 50 / 3
    go unmet: 60 + 8 x 20 / 3 + 1,000 x 25 / 3."""
    two_mines["Policies"] = [{"Policy": "friends", "Kind": "min country share",
                              "Material": "Ore", "Countries": "Australia, Peru",
                              "Share": 0.6}]
    two_mines["Sites"].append({"Site": "P", "Kind": "mine", "Country": "Peru"})
    run = solve_plan(tmp_path, two_mines)
    assert run.solved.objective == pytest.approx(60 + 8 * 20 / 3 + 1000 * 25 / 3)


def test_process_share_policy_binds(tmp_path):
    """At most 20% of grid packs from Na-ion packs at LCE 20 (sodium-ion cheaper): LFP runs
    at its capacity 30, and Na <= 0.2 (30 + Na) gives 7.5; 12.5 unmet:
    7.5 x 70 + 30 x 80 + 12.5 x 1,000 = 15,425."""
    plan = cell_choice(lce_price=20)
    plan["Policies"] = [{"Policy": "Na cap", "Kind": "max process share",
                         "Process": "Pack Na", "Share": 0.2}]
    run = solve_plan(tmp_path, plan)
    assert run.solved.objective == pytest.approx(15425.0)


def test_policy_for_one_period_only(tmp_path, two_mines):
    """The Chile cap in 2027 only: 2026 costs 180, 2027 5,140."""
    two_mines["Periods"] = periods("2026", "2027")
    two_mines["Demand"].append({"Site": "M", "Material": "Ore", "Period": "2027",
                                "Quantity": 25, "Penalty": 1000})
    two_mines["Policies"] = [{"Policy": "Chile cap", "Kind": "max country share",
                              "Material": "Ore", "Countries": "Chile", "Share": 0.5,
                              "Period": "2027"}]
    run = solve_plan(tmp_path, two_mines)
    assert run.solved.objective == pytest.approx(180 + 5140)


@pytest.mark.parametrize("policy, cell, words", [
    ({"Kind": "max country share", "Material": "Ore", "Countries": "Australia, Chle"},
     "Policies!D3", "'Chle' is not a country on the Sites sheet (did you mean 'Chile'?)"),
    ({"Kind": "max country share", "Countries": "Chile"}, "Policies!C3", "names no material"),
    ({"Kind": "max country share", "Material": "Ore"}, "Policies!D3", "names no countries"),
    ({"Kind": "max process share"}, "Policies!E3", "names no process"),
])
def test_policies_are_validated(tmp_path, two_mines, policy, cell, words):
    two_mines["Policies"] = [{"Policy": "p", "Share": 0.5, **policy}]
    problems = [str(p) for p in
                check_workbook(write_plan(tmp_path / "p.xlsx", two_mines)).problems]
    assert len(problems) == 1 and problems[0].startswith(cell + ":") and words in problems[0], \
        problems


def stress_plan() -> dict:
    """The hedge plan without the contract; spot ore at M for 500 instead."""
    plan = hedge_plan()
    del plan["Options"]
    plan["SpotMarket"] = [{"Material": "Ore", "Site": "M", "Period": "all", "Price": 500}]
    return plan


def test_stress_cap_limits_unmet_demand(tmp_path):
    """Without a cap the outage leaves 10 unmet (100 < 500): 0.5 x 50 + 0.5 x 1,000 = 525.
    At most 20% unmet in stress: 8 bought spot: 0.5 x 50 + 0.5 x (4,000 + 200) = 2,125."""
    assert solve_plan(tmp_path, stress_plan(), name="free.xlsx").solved.objective == \
        pytest.approx(525.0)
    run = solve_plan(tmp_path, stress_plan(), {"Stress unmet share": 0.2})
    assert run.solved.objective == pytest.approx(2125.0)


def test_stress_cap_that_cannot_hold_is_infeasible(tmp_path):
    plan = stress_plan()
    plan["SpotMarket"][0]["Maximum"] = 5
    run = solve_workbook(write_plan(tmp_path / "p.xlsx", plan, {"Stress unmet share": 0.0}))
    assert run.solved.status.label == "infeasible"


def test_policy_skips_a_period_in_which_nothing_brings_the_material(tmp_path):
    """Ore enters only through a contract from 2027; the policy for 'all' periods has
    nothing to limit in 2026 (and must not fail there). 2026: 10 t unmet at 100; 2027: the
    contract (fee 5) delivers 10 t at 1, all from Australia (cap 100%)."""
    plan = {
        "Periods": periods("2026", "2027"),
        "Materials": [{"Material": "Ore", "Unit": "t", "Kind": "ore"}],
        "Sites": sites(("B", "mine", "Australia"), ("M", "market", "China")),
        "Lanes": [{"Lane": "B-M", "From": "B", "To": "M", "Material": "Ore", "Cost": 0}],
        "Demand": [{"Site": "M", "Material": "Ore", "Period": t, "Quantity": 10,
                    "Penalty": 100} for t in ("2026", "2027")],
        "Options": [{"Option": "contract", "Kind": "offtake", "Target": "B", "Material": "Ore",
                     "Capacity": 10, "Unit cost": 1, "Fixed cost": 5,
                     "Earliest period": "2027"}],
        "Policies": [{"Policy": "AU", "Kind": "max country share", "Material": "Ore",
                      "Countries": "Australia", "Share": 1}],
    }
    assert solve_plan(tmp_path, plan).solved.objective == pytest.approx(1000 + 5 + 10)


def test_conversions_from_one_process_are_checked_together(tmp_path):
    plan = cell_choice(lce_price=20)
    plan["Options"] = [
        {"Option": f"retool {k}", "Kind": "conversion", "Target": "Na line",
         "From process": "LFP line", "Capacity": 20, "Fixed cost": 50} for k in (1, 2)]
    problems = [str(p) for p in check_workbook(write_plan(tmp_path / "p.xlsx", plan)).problems]
    assert problems == ["Options!F4: conversions from LFP line up to this row move 40 of "
                        "capacity but it has only 30, so they can never all be taken; "
                        "convert at most 30 from LFP line in all"]


def test_conversion_from_a_process_without_capacity_is_one_problem(tmp_path):
    plan = cell_choice(lce_price=20)
    plan["Processes"][0]["Capacity"] = None
    plan["Options"] = [{"Option": "retool", "Kind": "conversion", "Target": "Na line",
                        "From process": "LFP line", "Capacity": 20, "Fixed cost": 50}]
    problems = [str(p) for p in check_workbook(write_plan(tmp_path / "p.xlsx", plan)).problems]
    assert problems == ["Processes!D3: Capacity is empty; enter a number at least 0 "
                        "(output unit per period) for Capacity"]


def test_countries_cell_of_commas_lists_no_country(tmp_path, two_mines):
    two_mines["Policies"] = [{"Policy": "p", "Kind": "min country share", "Material": "Ore",
                              "Countries": ", ,", "Share": 0.5}]
    problems = [str(p) for p in
                check_workbook(write_plan(tmp_path / "p.xlsx", two_mines)).problems]
    assert len(problems) == 1 and problems[0].startswith(
        "Policies!D3: ', ,' lists no country"), problems
