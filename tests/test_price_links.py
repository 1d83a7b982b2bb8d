"""Index-linked prices (PriceLinks): contracts and spot prices that follow a price index.

The hand-worked plan: one period; SC6 supplied at Mine for 1,000 a t, refined 8 t per t of
Li2CO3 at Refinery (no other cost), 10 t of Li2CO3 and 1 t of LiOH wanted there; LiOH is
bought spot at 10,000 a t. Scenarios calm and spike (probability 1/2 each); in spike the
Li2CO3 spot price is 3 times (a PriceShocks row with a blank Site). SC6 follows Li2CO3 with
a pass-through of 0.5 and LiOH with 1, so in spike SC6 costs 1 + 0.5 x (3 - 1) = 2 times,
2,000 a t, and LiOH 3 times, 30,000 a t:

- calm:  10 x 8 x 1,000 + 1 x 10,000 = 90,000;
- spike: 10 x 8 x 2,000 + 1 x 30,000 = 190,000;
- expected 140,000 (without the links, 90,000 in both).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import materials, periods, sites, solve_plan, write_plan
from independent_check import check
from planner.analysis.sweep import Parameter
from test_independent_check import sheet_rows, solve_cli

LINKS = [{"Material": "SC6", "Index": "Li2CO3", "Pass-through": 0.5},
         {"Material": "LiOH", "Index": "Li2CO3", "Pass-through": 1}]


def linked(links: list[dict] = LINKS) -> dict[str, list[dict]]:
    return {
        "Periods": periods("2026"),
        "Materials": materials(("SC6", "t", "concentrate"), ("Li2CO3", "t", "chemical"),
                               ("LiOH", "t", "chemical")),
        "Sites": sites(("Mine", "mine", "Australia"), ("Refinery", "refinery", "China")),
        "Supply": [{"Site": "Mine", "Material": "SC6", "Period": "all", "Capacity": 1000,
                    "Unit cost": 1000}],
        "Processes": [{"Process": "Convert", "Site": "Refinery", "Output": "Li2CO3",
                       "Capacity": 100, "Variable cost": 0}],
        "Recipes": [{"Process": "Convert", "Input": "SC6", "Quantity": 8}],
        "Lanes": [{"Lane": "sc6", "From": "Mine", "To": "Refinery", "Material": "SC6",
                   "Cost": 0}],
        "Demand": [{"Site": "Refinery", "Material": "Li2CO3", "Period": "2026", "Quantity": 10,
                    "Penalty": 1e6},
                   {"Site": "Refinery", "Material": "LiOH", "Period": "2026", "Quantity": 1,
                    "Penalty": 1e6}],
        "SpotMarket": [{"Material": "Li2CO3", "Site": "Refinery", "Period": "all",
                        "Price": 20000, "Maximum": 5},
                       {"Material": "LiOH", "Site": "Refinery", "Period": "all",
                        "Price": 10000}],
        "Scenarios": [{"Scenario": "calm", "Probability": 0.5},
                      {"Scenario": "spike", "Probability": 0.5}],
        "PriceShocks": [{"Scenario": "spike", "Material": "Li2CO3", "Price multiplier": 3}],
        "PriceLinks": links,
    }


def test_linked_contracts_and_spot_prices_follow_the_index(tmp_path):
    run = solve_plan(tmp_path, linked())
    assert run.solved.objective == pytest.approx(140_000)
    costs = run.result.costs.groupby(["Scenario", "Category"])["Cost"].sum()
    assert costs[("spike", "mining")] == pytest.approx(160_000)
    assert costs[("spike", "spot")] == pytest.approx(30_000)
    sourcing = run.result.sourcing.set_index("Scenario")
    assert sourcing.loc["spike", "Unit cost"] == pytest.approx(2000)
    assert sourcing.loc["calm", "Unit cost"] == pytest.approx(1000)


def test_without_links_only_the_spot_price_moves(tmp_path):
    assert solve_plan(tmp_path, linked([])).solved.objective == pytest.approx(90_000)


def test_a_shock_at_one_site_moves_no_index(tmp_path):
    """A PriceShocks row with a Site is a local spot event: nothing follows it."""
    plan = linked()
    plan["PriceShocks"][0]["Site"] = "Refinery"
    assert solve_plan(tmp_path, plan).solved.objective == pytest.approx(90_000)


def test_the_independent_check_recomputes_linked_costs(tmp_path):
    source = write_plan(tmp_path / "linked.xlsx", linked())
    result = solve_cli(source, tmp_path / "linked-result.xlsx")
    assert check(source, result) == []
    spot = {r["Scenario"]: r["Price"] for r in sheet_rows(result, "Spot purchases")}
    assert spot == {"calm": pytest.approx(10_000), "spike": pytest.approx(30_000)}


def test_the_mean_value_problem_averages_contract_factors(tmp_path):
    """Mean factor on SC6: (1 + 2) / 2 = 1.5; on LiOH (1 + 3) / 2 = 2."""
    data = solve_plan(tmp_path, linked()).data
    mean = data.mean_value()
    assert sorted((c.material, c.factor) for c in mean.contract_shocks) == [("LiOH", 2.0),
                                                                           ("SC6", 1.5)]


def test_sweeping_the_index_moves_what_follows_it(tmp_path):
    """Li2CO3 spot at 2 times: in calm the index moves by 2, in spike by 3 x 2 = 6, so SC6
    (pass-through 0.5) costs 1.5 and 3.5 times, LiOH (1) 2 and 6 times; the optimum is then
    calm 10 x 8 x 1,500 + 20,000 = 140,000 and spike 10 x 8 x 3,500 + 60,000 = 340,000,
    expected 240,000."""
    data = solve_plan(tmp_path, linked()).data
    moved = Parameter("spot price", "Li2CO3").apply(data, 2.0)
    assert {r.material: r.price for r in moved.spot_offers} == {"Li2CO3": 40_000,
                                                                 "LiOH": 10_000}
    contract = {(c.scenario, c.material): c.factor for c in moved.contract_shocks}
    assert contract[("calm", "SC6")] == pytest.approx(1.5)
    assert contract[("spike", "SC6")] == pytest.approx(3.5)
    spot = {(x.scenario, x.material): x.price_factor for x in moved.spot_shocks}
    assert spot[("calm", "LiOH")] == pytest.approx(2) and spot[("spike", "LiOH")] == \
        pytest.approx(6)
    assert spot[("spike", "Li2CO3")] == pytest.approx(3)        # times the price doubled
    from models.scaling import Scaling
    from planner.engine import solve_plan as solve_data
    solved = solve_data(moved, Scaling.choose(moved), time_limit=60, mip_gap=1e-9)
    assert solved.result.objective == pytest.approx(240_000)


@pytest.mark.parametrize("row, words", [
    ({"Material": "SC6", "Index": "Gold", "Pass-through": 1},
     "PriceLinks!B3: 'Gold' is not listed on the Materials sheet"),
    ({"Material": "SC6", "Index": "Li2CO3", "Pass-through": 1.5},
     "PriceLinks!C3: Pass-through 1.5 is not between 0 and 1"),
])
def test_price_links_are_validated(tmp_path: Path, row, words):
    from planner.pipeline import check_workbook
    problems = [str(p) for p in check_workbook(write_plan(tmp_path / "p.xlsx",
                                                          linked([row]))).problems]
    assert any(p.startswith(words) for p in problems), problems


def test_a_link_that_passes_nothing_is_warned_of(tmp_path):
    from planner.pipeline import check_workbook
    v = check_workbook(write_plan(tmp_path / "p.xlsx", linked(
        [{"Material": "SC6", "Index": "Li2CO3", "Pass-through": 0}])))
    assert v.ok and any("a pass-through of 0 passes nothing on" in str(w) for w in v.warnings)


def test_a_followed_price_too_large_for_the_solver_is_refused(tmp_path):
    """SC6 at 4e14 following a threefold index at full pass-through: 1.2e15."""
    from planner.pipeline import check_workbook
    plan = linked([{"Material": "SC6", "Index": "Li2CO3", "Pass-through": 1}])
    plan["Supply"][0]["Unit cost"] = 4e14
    problems = [str(p) for p in check_workbook(write_plan(tmp_path / "p.xlsx", plan)).problems]
    assert any(p.startswith("PriceLinks!C3: with Li2CO3's moves the price of SC6 in Supply "
                            "row 3 reaches 1.2e+15") for p in problems), problems


def test_a_shock_at_one_site_on_a_follower_counts_towards_the_bound(tmp_path):
    """LiOH spot at 1e7 follows Li2CO3 (x100) and is shocked x1e7 at Refinery itself:
    1e16, though 1e7 x 1e7 alone passes."""
    from planner.pipeline import check_workbook
    plan = linked([{"Material": "LiOH", "Index": "Li2CO3", "Pass-through": 1}])
    plan["SpotMarket"][1]["Price"] = 1e7
    plan["PriceShocks"] = [
        {"Scenario": "spike", "Material": "Li2CO3", "Price multiplier": 100},
        {"Scenario": "spike", "Material": "LiOH", "Site": "Refinery", "Price multiplier": 1e7}]
    problems = [str(p) for p in check_workbook(write_plan(tmp_path / "p.xlsx", plan)).problems]
    assert any("the price of LiOH in SpotMarket row 4 reaches 1e+16" in p for p in problems), \
        problems


def test_a_shock_that_only_moves_followers_is_no_no_op(tmp_path):
    """No Li2CO3 spot market: the spike still moves SC6 and LiOH through the links."""
    from planner.pipeline import check_workbook
    plan = linked()
    plan["SpotMarket"] = [r for r in plan["SpotMarket"] if r["Material"] != "Li2CO3"]
    v = check_workbook(write_plan(tmp_path / "p.xlsx", plan))
    assert v.ok and not [w for w in v.warnings if w.sheet == "PriceShocks"], \
        [str(w) for w in v.warnings]


def test_a_scenario_of_probability_0_is_not_priced(tmp_path):
    """Its prices in the LP are 0, so what binds there is not known (and not divided by 0)."""
    plan = linked()
    plan["Scenarios"] = [{"Scenario": "calm", "Probability": 1},
                         {"Scenario": "spike", "Probability": 0}]
    table = solve_plan(tmp_path, plan).analyses.bottlenecks.by_scenario.set_index("Scenario")
    assert table.loc["spike", "Binds most"] == "not priced (probability 0)"
    assert table.loc["calm", "Binds most"] != "not priced (probability 0)"
