"""Scenarios, disruptions, price shocks and options on tiny instances worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import solve_plan, write_plan
from planner.pipeline import check_workbook
from test_hand_worked import cell_choice


def hedge_plan(**option) -> dict:
    """10 units demanded at M (penalty 100). Own mine A: 10 at 5. Contract B: 10 at 8.

    Scenarios: normal (0.5) and outage (0.5), where A is out.
    """
    return {
        "Periods": [{"Period": "2026"}],
        "Materials": [{"Material": "Ore", "Unit": "t", "Kind": "ore"}],
        "Sites": [{"Site": "A", "Kind": "mine", "Country": "China"},
                  {"Site": "B", "Kind": "mine", "Country": "Australia"},
                  {"Site": "M", "Kind": "market", "Country": "China"}],
        "Supply": [{"Site": "A", "Material": "Ore", "Period": "all", "Capacity": 10,
                    "Unit cost": 5}],
        "Lanes": [{"Lane": "A-M", "From": "A", "To": "M", "Material": "Ore", "Cost": 0},
                  {"Lane": "B-M", "From": "B", "To": "M", "Material": "Ore", "Cost": 0}],
        "Demand": [{"Site": "M", "Material": "Ore", "Period": "2026", "Quantity": 10,
                    "Penalty": 100}],
        "Scenarios": [{"Scenario": "normal", "Probability": 0.5},
                      {"Scenario": "outage", "Probability": 0.5, "Kind": "stress"}],
        "Disruptions": [{"Scenario": "outage", "Scope": "supply", "Target": "A",
                         "Availability": 0}],
        "Options": [{"Option": "contract B", "Kind": "offtake", "Target": "B",
                     "Material": "Ore", "Capacity": 10, "Unit cost": 8, "Fixed cost": 20,
                     **option}],
    }


def scenario_costs(run) -> dict[str, float]:
    costs = run.result.costs
    return costs.groupby("Scenario")["Discounted cost"].sum().to_dict()


def test_contract_hedges_the_mine_outage(tmp_path):
    """Taken: 20 + 0.5 x (10 x 5) + 0.5 x (10 x 8) = 85. Not taken: 0.5 x 50 + 0.5 x 1,000 = 525.

    So the contract is signed; normal costs 50 (own mine), the outage 80 (contract).
    """
    run = solve_plan(tmp_path, hedge_plan())
    assert run.solved.objective == pytest.approx(85.0)
    assert run.result.decisions.set_index("Option").loc["contract B", "Taken"] == 1.0
    assert scenario_costs(run) == pytest.approx({"normal": 50.0, "outage": 80.0})


def test_contract_not_worth_its_fee(tmp_path):
    """A fee of 500: 500 + 65 = 565 > 525, so the outage is left unserved instead."""
    run = solve_plan(tmp_path, hedge_plan(**{"Fixed cost": 500}))
    assert run.solved.objective == pytest.approx(525.0)
    assert run.result.decisions["Taken"].sum() == 0.0


def test_take_or_pay_forces_purchases_in_the_normal_scenario(tmp_path):
    """Take or pay 60%: 6 units from B even when A is up: normal 4 x 5 + 6 x 8 = 68.

    20 + 0.5 x 68 + 0.5 x 80 = 94.
    """
    run = solve_plan(tmp_path, hedge_plan(**{"Take or pay": 0.6}))
    assert run.solved.objective == pytest.approx(94.0)
    assert scenario_costs(run) == pytest.approx({"normal": 68.0, "outage": 80.0})


def test_continuous_option_sized_to_need(tmp_path):
    """Continuous, capacity 20, fee 40 in full: any share z gives 20 z units for 40 z.

    Outage needs 10 units: z = 0.5 costs 20; 20 + 0.5 x 50 + 0.5 x 80 = 85 again.
    """
    run = solve_plan(tmp_path, hedge_plan(**{"Capacity": 20, "Fixed cost": 40,
                                             "Decision": "continuous"}))
    assert run.solved.objective == pytest.approx(85.0)
    decision = run.result.decisions.iloc[0]
    assert decision["Taken"] == pytest.approx(0.5)
    assert decision["Capacity added"] == pytest.approx(10.0)


def test_export_ban_closes_lanes_leaving_the_country(tmp_path):
    """Ban Australian ore exports in the outage scenario instead: B's lane is closed, so
    with A out too, the contract delivers nothing: 20 + 25 + 0.5 x 1,000 > 525; not signed."""
    plan = hedge_plan()
    plan["Disruptions"].append({"Scenario": "outage", "Scope": "country",
                                "Target": "Australia", "Material": "Ore",
                                "Availability": 0})
    run = solve_plan(tmp_path, plan)
    assert run.solved.objective == pytest.approx(525.0)
    assert run.result.decisions["Taken"].sum() == 0.0


def test_one_scenario_of_probability_one_equals_the_deterministic_plan(tmp_path, two_mines):
    base = solve_plan(tmp_path, two_mines, name="base.xlsx")
    two_mines["Scenarios"] = [{"Scenario": "only", "Probability": 1.0}]
    single = solve_plan(tmp_path, two_mines, name="single.xlsx")
    assert single.solved.objective == pytest.approx(base.solved.objective)
    assert single.result.sourcing["Quantity"].tolist() == \
        pytest.approx(base.result.sourcing["Quantity"].tolist())


def test_price_shock_shifts_the_mix_in_its_scenario(tmp_path):
    """LCE at 10 doubles in 'spike': normal 3,200 (40% sodium-ion), spike 3,600 (80%).

    Expected cost 0.5 x 3,200 + 0.5 x 3,600 = 3,400.
    """
    plan = cell_choice(lce_price=10)
    plan["Scenarios"] = [{"Scenario": "normal", "Probability": 0.5},
                         {"Scenario": "spike", "Probability": 0.5}]
    plan["PriceShocks"] = [{"Scenario": "spike", "Material": "LCE", "Price multiplier": 2}]
    run = solve_plan(tmp_path, plan)
    assert run.solved.objective == pytest.approx(3400.0)
    mix = run.result.production_mix.set_index(["Scenario", "Cell"])["Share"]
    assert mix[("normal", "Na-ion cell")] == pytest.approx(0.4)
    assert mix[("spike", "Na-ion cell")] == pytest.approx(0.8)


def test_process_expansion_adds_capacity_from_its_earliest_period(tmp_path):
    """Expand the LFP line by 20 GWh for 100 (binary): LFP 50 at 60 = 3,000 + 100 = 3,100
    beats 3,200, so it is taken."""
    plan = cell_choice(lce_price=10)
    plan["Options"] = [{"Option": "LFP+20", "Kind": "expansion", "Target": "LFP line",
                        "Capacity": 20, "Fixed cost": 100}]
    run = solve_plan(tmp_path, plan)
    assert run.solved.objective == pytest.approx(3100.0)
    assert run.result.decisions["Taken"].tolist() == [1.0]


@pytest.mark.parametrize("change, cell, words", [
    (lambda p: p["Scenarios"][0].update(Probability=0.4), "Scenarios!B4", "sum to 0.9"),
    (lambda p: p["Disruptions"][0].update(Target="Z"), "Disruptions!C3",
     "not listed on the Sites sheet"),
    (lambda p: p["Disruptions"][0].update(Scope="country", Target="Chile"), "Disruptions!C3",
     "not listed on the Sites column Country sheet"),
    (lambda p: p["Options"][0].update(Material=None), "Options!D3", "names no material"),
    (lambda p: p["Disruptions"][0].update(**{"First period": "2026", "Last period": "2025"}),
     "Disruptions!F3", "not listed on the Periods sheet"),
])
def test_scenario_sheets_are_validated(tmp_path, change, cell, words):
    plan = hedge_plan()
    change(plan)
    problems = [str(p) for p in check_workbook(write_plan(tmp_path / "p.xlsx", plan)).problems]
    assert len(problems) == 1 and problems[0].startswith(cell + ":") and words in problems[0], \
        problems


def test_process_disruption_of_another_material_hits_nothing(tmp_path):
    """Scope process, target the LFP line, Material LCE (an input, not its output): the line
    keeps running (3,200 as without the row) and the row is warned of."""
    plan = cell_choice(lce_price=10)
    plan["Scenarios"] = [{"Scenario": "only", "Probability": 1}]
    plan["Disruptions"] = [{"Scenario": "only", "Scope": "process", "Target": "LFP line",
                            "Material": "LCE", "Availability": 0}]
    run = solve_plan(tmp_path, plan)
    assert run.solved.objective == pytest.approx(3200.0)
    assert [str(w) for w in run.validation.warnings if w.sheet == "Disruptions"] == [
        "Disruptions!D3: this row changes nothing: process LFP line makes LFP cell, not "
        "LCE; leave Material blank or name the process's output"]


def test_probabilities_a_rounding_error_from_one_are_accepted(tmp_path, two_mines):
    """Three scenarios of 0.3333333 sum to 0.9999999: valid, and solved as thirds."""
    two_mines["Scenarios"] = [{"Scenario": s, "Probability": 0.3333333} for s in "abc"]
    run = solve_plan(tmp_path, two_mines)
    assert run.solved.objective == pytest.approx(180.0)


@pytest.mark.parametrize("disruption, words", [
    ({"Scope": "process", "Target": "Nope", "Material": "Ore"}, "not listed on the Processes"),
    ({"Scope": "country", "Target": "Australia", "Availability": 0.5}, None),
])
def test_odd_disruptions_give_one_clear_message(tmp_path, disruption, words):
    """An unknown target is one problem, not also a warning about it; a lane without a name
    hit by a partial export quota is reported at its own cell, without a crash."""
    plan = hedge_plan()
    plan["Disruptions"] = [{"Scenario": "outage", "Availability": 0, **disruption}]
    plan["Lanes"].append({"Lane": None, "From": "B", "To": "M", "Material": "Ore", "Cost": 0})
    v = check_workbook(write_plan(tmp_path / "p.xlsx", plan))
    problems = [str(p) for p in v.problems]
    assert "Lanes!A5: Lane is empty; enter name of the lane" in problems
    assert not [w for w in v.warnings if w.sheet == "Disruptions" and "None" in w.what]
    if words:
        assert any(words in p for p in problems), problems


def test_many_shortfalls_are_ten_sentences_and_one_for_the_rest():
    """At a hundred scenarios the Summary names the ten largest shortfalls and counts the
    others, which the Details sheet lists."""
    from planner.unserved import COLUMNS, PROBES, describe

    rows = [(f"s{k}", "Market", "Pack", "GWh", 50.0, 30.0 - k, 1e8, None,
             "not probed: only the largest shortfalls are") for k in range(25)]
    lines = describe(pd.DataFrame(rows, columns=COLUMNS), "USD")
    assert len(lines) == PROBES + 1
    assert lines[0].startswith("Unmet demand in scenario s0: 30 of 50 GWh of Pack at Market")
    rest = sum(30.0 - k for k in range(PROBES, 25))
    assert lines[-1].startswith(f"Unmet demand in 15 more scenario, site and material "
                                f"combinations, {rest:,.6g} GWh in all")
    assert "Details sheet" in lines[-1]
    assert describe(pd.DataFrame(rows[:3], columns=COLUMNS), "USD")[-1].startswith(
        "Unmet demand in scenario s2:")


def test_the_summary_lists_ten_scenarios_and_the_rest_as_one_row(monkeypatch):
    """At 25 scenarios the Summary's table holds the base, the nine costing most against
    it and one row of the other 15's probability-weighted means: its probabilities still
    sum to 1 and its weighted costs to the expected cost."""
    from planner import brief

    costs = [100.0 + 7 * ((k * 11) % 25) for k in range(25)]
    probability = [(k + 1) / 325 for k in range(25)]
    share = [None if k == 3 else k / 50 for k in range(25)]
    frame = pd.DataFrame({"Scenario": [f"s{k}" for k in range(25)], "Probability": probability,
                          "Total cost": [c * 1e6 for c in costs], "Na-ion share": share})
    monkeypatch.setattr(brief, "scenario_summary", lambda result: frame)
    table = brief._scenarios(None, "USD")
    assert len(table) == brief.SCENARIOS + 1
    others = sorted(range(1, 25), key=lambda k: -costs[k])
    shown, rest = sorted(others[:9]), others[9:]
    assert list(table["Scenario"][:10]) == ["s0"] + [f"s{k}" for k in shown]
    assert table["Scenario"].iloc[-1] == "15 more (probability-weighted means; Scenarios sheet)"
    assert table["Probability"].sum() == pytest.approx(1.0)
    expected = sum(p * c for p, c in zip(probability, costs))
    assert (table["Probability"] * table["Total cost (USD M)"]).sum() == pytest.approx(expected)
    assert table["Against s0 (USD M)"].iloc[-1] == pytest.approx(
        sum(probability[k] * (costs[k] - costs[0]) for k in rest)
        / sum(probability[k] for k in rest))
    given = [k for k in rest if share[k] is not None]
    assert table["Na-ion share"].iloc[-1] == pytest.approx(
        sum(probability[k] * share[k] for k in given) / sum(probability[k] for k in given))


def test_the_summary_names_every_option_taken_and_the_closest_calls_left():
    """Of 30 options left, the brief names the eight that would cost least to take, in that
    order, and counts the rest; every option taken is named."""
    from types import SimpleNamespace

    from planner import brief

    decisions = pd.DataFrame({
        "Option": [f"o{k}" for k in range(33)], "Kind": ["expansion"] * 33,
        "Taken": [1.0] * 3 + [0.0] * 30, "Fixed cost": [1e6] * 33})
    values = pd.DataFrame({"Option": decisions["Option"],
                           "Value of taking it": [5e6] * 3 + [-1e6 * ((k * 7) % 30 + 1)
                                                              for k in range(30)]})
    lines = brief.commitments(SimpleNamespace(decisions=decisions),
                              SimpleNamespace(option_values=values), "USD")
    assert [line.split(":")[0] for line in lines[:3]] == ["Take o0", "Take o1", "Take o2"]
    cheapest = sorted(range(30), key=lambda k: (k * 7) % 30)[:brief.LEFT]
    assert [line.split(":")[0] for line in lines[3:-1]] == [f"Leave o{k + 3}" for k in cheapest]
    assert lines[-1].startswith(f"Leave the {30 - brief.LEFT} other options too")
    assert len(lines) == 3 + brief.LEFT + 1
