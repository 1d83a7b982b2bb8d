"""Bottlenecks, exposure, option values and the sweep on networks worked out by hand.

The chain: mines A (100 t ore a period at 10, country X) and B (100 t at 30, country Y),
ore to refinery R (lanes at 1 and 2 a t), R makes chem from 2 t ore per t (capacity 70,
cost 5), chem to market M (lane at 3, capacity 80), which wants 60 t a period for two
periods (penalty 1000 a t). Discount rate 0.

Per t of chem: from A's ore 2 x 11 + 5 + 3 = 30, from B's 2 x 32 + 8 = 72. The plan mines
A's 100 t and 20 t from B each period: 1,100 + 640 + 300 + 180 = 2,220 a period, 4,440.
One more t of A's capacity replaces a t of B's ore: worth 32 - 11 = 21 a period, 42 over
the horizon; nothing else binds. 10% more of A (10 t a period) saves 420 exactly (B still
delivers 10 t).

A out for a period: B's 100 t make 50 t, 10 t unmet: 3,200 + 250 + 150 + 10,000 = 13,600,
11,380 more. B out: A's 100 t make 50 t: 1,100 + 250 + 150 + 10,000 = 11,500, 9,280 more.
R (its site, its process, the lane R-M, the market M's lane in) out: 60 t unmet, 60,000,
57,780 more. Country Y's exports are B's lane: as B. No stock: every failure leaves demand
unmet in the period it starts.
"""

from __future__ import annotations

import dataclasses
import re
import time

import pyomo.environ as pyo
import pytest

from planner.analysis.bottlenecks import step_saving
from planner.analysis import options
from planner.analysis.options import OUT_OF_TIME, force, held_mip, start_held_mip
from planner.analysis.options import _solve_mip as solve_mip
from planner.analysis.sweep import Parameter, sweep
from planner.convert import to_plan_data
from planner.engine import PlanSolver, solve_plan
from planner.inputs import INPUTS
from models.scaling import Scaling
from planner.pipeline import check_workbook, expose, solve_workbook
from planner.solve import Status
from conftest import materials, periods, sites, write_plan

EXAMPLE = INPUTS / "example.xlsx"


def chain() -> dict[str, list[dict]]:
    return {
        "Periods": periods("P1", "P2"),
        "Materials": materials(("Ore", "t", "ore"), ("Chem", "t", "chemical")),
        "Sites": sites(("A", "mine", "X"), ("B", "mine", "Y"), ("R", "refinery", "X"),
                       ("M", "market", "X")),
        "Supply": [
            {"Site": "A", "Material": "Ore", "Period": "all", "Capacity": 100, "Unit cost": 10},
            {"Site": "B", "Material": "Ore", "Period": "all", "Capacity": 100, "Unit cost": 30},
        ],
        "Processes": [{"Process": "Refine", "Site": "R", "Output": "Chem", "Capacity": 70,
                       "Variable cost": 5}],
        "Recipes": [{"Process": "Refine", "Input": "Ore", "Quantity": 2}],
        "Lanes": [
            {"Lane": "A-R", "From": "A", "To": "R", "Material": "Ore", "Cost": 1},
            {"Lane": "B-R", "From": "B", "To": "R", "Material": "Ore", "Cost": 2},
            {"Lane": "R-M", "From": "R", "To": "M", "Material": "Chem", "Cost": 3,
             "Capacity": 80},
        ],
        "Demand": [{"Site": "M", "Material": "Chem", "Period": t, "Quantity": 60,
                    "Penalty": 1000} for t in ("P1", "P2")],
    }


@pytest.fixture(scope="module")
def chain_run(tmp_path_factory):
    path = write_plan(tmp_path_factory.mktemp("chain") / "chain.xlsx", chain())
    run = solve_workbook(path)
    assert run.solved.objective == pytest.approx(4440)
    return run


def test_the_binding_mine_is_priced_by_hand(chain_run):
    found = chain_run.analyses.bottlenecks
    ranked = found.ranked.set_index("Capacity of")
    assert ranked.loc["A (Ore)", "Marginal value over the horizon"] == pytest.approx(42)
    for free in ("B (Ore)", "Refine", "R-M"):
        assert ranked.loc[free, "Marginal value over the horizon"] == pytest.approx(0, abs=1e-6)
    assert found.stages.iloc[0]["Stage"] == "mining"
    assert found.headline[0].startswith("Mining binds most")
    top = found.resolved.iloc[0]
    assert top["Capacity of"] == "A (Ore)"
    assert top["Dual estimate of 10% more"] == pytest.approx(420)
    assert top["Saving re-solved"] == pytest.approx(420)
    assert ranked.loc["A (Ore)", "Sheet"] == "Supply" and ranked.loc["A (Ore)", "Row"] == 3


def test_exposure_ranks_nodes_by_hand(chain_run):
    found = expose(chain_run).analyses.exposure
    cost = found.ranked.set_index("Node")["Extra cost"]
    for node in ("R", "Refine", "R-M", "M"):
        assert cost[node] == pytest.approx(57780)
    for node in ("A", "A-R"):
        assert cost[node] == pytest.approx(11380)
    for node in ("B", "B-R", "Y"):
        assert cost[node] == pytest.approx(9280)
    index = found.ranked.set_index("Node")["Risk exposure index"]
    assert index["R"] == pytest.approx(1.0) and index["A"] == pytest.approx(11380 / 57780)
    assert (found.ranked["Time to survive"] == 0).all()
    assert found.ranked.set_index("Node").loc["A", "Extra unmet demand"] == pytest.approx(10)


def test_time_to_survive_counts_the_stock(tmp_path):
    """Mine A (10 t a period at no cost) feeds market M (10 t a period for three periods),
    which holds a stock of 15 t. With A out from P1 the stock covers P1 and half of P2: a
    one-period outage is survived, a two-period one is not (TTS 1 from P1 and from P2);
    from P3 the outage runs to the end of the horizon and is survived."""
    rows = {
        "Periods": periods("P1", "P2", "P3"),
        "Materials": materials(("Ore", "t", "ore")),
        "Sites": sites(("A", "mine", "X"), ("M", "market", "X")),
        "Supply": [{"Site": "A", "Material": "Ore", "Period": "all", "Capacity": 10,
                    "Unit cost": 0}],
        "Lanes": [{"Lane": "A-M", "From": "A", "To": "M", "Material": "Ore", "Cost": 0}],
        "Stocks": [{"Site": "M", "Material": "Ore", "Maximum": 15, "Initial level": 15}],
        "Demand": [{"Site": "M", "Material": "Ore", "Period": t, "Quantity": 10,
                    "Penalty": 100} for t in ("P1", "P2", "P3")],
    }
    run = expose(solve_workbook(write_plan(tmp_path / "stock.xlsx", rows)))
    found = run.analyses.exposure
    a = found.ranked.set_index("Node").loc["A"]
    assert a["Time to survive"] == 1 and a["Fails from"] == "P1"
    assert a["Extra cost"] == pytest.approx(0)
    starts = found.by_start[found.by_start["Node"] == "A"].set_index("Start")
    assert list(starts["Time to survive"]) == [1, 1, 1]
    assert list(starts["Survives to the end"]) == [False, False, True]


def test_exposure_equals_a_hand_made_disruption(tmp_path, chain_run):
    """Mine A out in P2 by the exposure analysis costs what a Disruptions row taking site A
    to 0 in P2 costs, solved as its own one-scenario plan."""
    rows = chain()
    rows["Disruptions"] = [{"Scenario": "base", "Scope": "site", "Target": "A",
                            "First period": "P2", "Last period": "P2", "Availability": 0}]
    rows["Scenarios"] = [{"Scenario": "base", "Probability": 1}]
    disrupted = solve_workbook(write_plan(tmp_path / "disrupted.xlsx", rows))
    found = expose(chain_run).analyses.exposure
    by_start = found.by_start.set_index(["Node", "Start"])
    assert by_start.loc[("A", "P2"), "Extra cost"] == pytest.approx(
        disrupted.solved.objective - chain_run.solved.objective)


def options_chain() -> dict[str, list[dict]]:
    """The chain with an offtake of 50 t a period from mine C (ore at 12, fixed fee 500):
    it replaces B's 20 t at 32 by C's at 12 + 1 freight, saving 19 x 20 x 2 = 760 > 500."""
    rows = chain()
    rows["Sites"] = rows["Sites"] + sites(("C", "mine", "X"))
    rows["Lanes"] = rows["Lanes"] + [{"Lane": "C-R", "From": "C", "To": "R",
                                      "Material": "Ore", "Cost": 1}]
    rows["Options"] = [{"Option": "C offtake", "Kind": "offtake", "Target": "C",
                        "Material": "Ore", "Capacity": 50, "Unit cost": 12,
                        "Fixed cost": 500}]
    return rows


def test_option_value_by_hand(tmp_path):
    run = solve_workbook(write_plan(tmp_path / "options.xlsx", options_chain()))
    assert run.solved.objective == pytest.approx(4440 - 760 + 500)
    values = run.analyses.option_values.set_index("Option").loc["C offtake"]
    assert values["Taken"] == pytest.approx(1)
    assert values["Objective forced out"] == pytest.approx(4440)
    assert values["Value of taking it"] == pytest.approx(260)


def hedge() -> dict[str, list[dict]]:
    """A market wants 10 GWh of packs, made from LFP cells (500 t Li2CO3 a GWh at the spot
    price, plus 40 M) or sodium-ion cells (60 M). LFP costs 40 M + 500 p: sodium-ion is
    cheaper above p = 40,000 a t, four times the spot price of 10,000."""
    return {
        "Periods": periods("2026"),
        "Materials": [{"Material": "Li2CO3", "Unit": "t", "Kind": "chemical"},
                      {"Material": "LFP", "Unit": "GWh", "Kind": "cell",
                       "Family": "lithium-ion"},
                      {"Material": "NaIon", "Unit": "GWh", "Kind": "cell",
                       "Family": "sodium-ion"},
                      {"Material": "Pack", "Unit": "GWh", "Kind": "product"}],
        "Sites": sites(("M", "market", "X")),
        "Processes": [
            {"Process": "LFP line", "Site": "M", "Output": "LFP", "Capacity": 10,
             "Variable cost": 40e6},
            {"Process": "Na line", "Site": "M", "Output": "NaIon", "Capacity": 10,
             "Variable cost": 60e6},
            {"Process": "LFP packs", "Site": "M", "Output": "Pack", "Capacity": 100,
             "Variable cost": 0},
            {"Process": "Na packs", "Site": "M", "Output": "Pack", "Capacity": 100,
             "Variable cost": 0}],
        "Recipes": [{"Process": "LFP line", "Input": "Li2CO3", "Quantity": 500},
                    {"Process": "LFP packs", "Input": "LFP", "Quantity": 1},
                    {"Process": "Na packs", "Input": "NaIon", "Quantity": 1}],
        "SpotMarket": [{"Material": "Li2CO3", "Site": "M", "Period": "all", "Price": 10_000}],
        "Demand": [{"Site": "M", "Material": "Pack", "Period": "2026", "Quantity": 10,
                    "Penalty": 1e9}],
    }


def test_breakeven_lithium_price_by_hand(tmp_path):
    v = check_workbook(write_plan(tmp_path / "hedge.xlsx", hedge()))
    data = to_plan_data(v)
    solver = PlanSolver(data, Scaling.choose(data), 60.0, 1e-6)
    found = sweep(data, solver, Parameter("spot price", "Li2CO3"),
                  [1.0, 2.0, 3.0, 5.0, 6.0], tolerance=0.01)
    events = found.breakevens.set_index("Event")
    rise = events.loc["sodium-ion output starts to rise"]
    assert rise["Breakeven"] == pytest.approx(4.0, abs=0.01)
    assert (rise["Between"], rise["And"]) == (3.0, 5.0)
    half = events.loc["sodium-ion output reaches half of the demand that can take it"]
    assert half["Breakeven"] == pytest.approx(4.0, abs=0.01)
    assert half["Li2CO3 spot price at breakeven (2026 mean)"] == pytest.approx(40_000, rel=0.01)
    shares = found.points.set_index("Parameter")["sodium-ion share"]
    assert shares[1.0] == pytest.approx(0) and shares[6.0] == pytest.approx(1)


def test_sodium_share_never_falls_as_lithium_rises_on_the_example(example_data):
    data, scaling = example_data
    solver = PlanSolver(data, scaling, 120.0, 1e-6)
    values = [0.5, 1.0, 2.0, 3.0, 4.0]
    found = sweep(data, solver, Parameter("spot price", "Li2CO3"), values, tolerance=10.0)
    shares = list(found.points.set_index("Parameter").loc[values, "sodium-ion share"])
    assert all(b >= a - 1e-9 for a, b in zip(shares, shares[1:])), shares
    assert shares[-1] > shares[0]


def test_the_example_dual_bounds_the_saving_of_a_step(example_run):
    """The LP's value is convex in its right-hand sides, so the dual estimate bounds the
    saving of any step from above; for small steps the saving is linear in the step (the
    directional derivative), below the dual where the basis is degenerate, as the example's
    top capacities are (about 0.88 of it)."""
    found = example_run.analyses.bottlenecks
    top = found.resolved.iloc[0]
    assert 0 < top["Saving re-solved"] <= top["Dual estimate of 10% more"] * (1 + 1e-9)
    if top["Re-solved against estimate"] < 0.99:
        assert "another limit binds" in top["Why they differ"]
    key = found.ranked.iloc[0]["_key"]
    small, estimate = step_saving(example_run.plan, key, 0.001)
    smaller, _ = step_saving(example_run.plan, key, 0.00001)
    assert 0 < small <= estimate * (1 + 1e-9)
    assert small == pytest.approx(100 * smaller, rel=1e-4)


@pytest.fixture(scope="module")
def example_run():
    return solve_workbook(EXAMPLE)


@pytest.fixture(scope="module")
def example_data():
    data = to_plan_data(check_workbook(EXAMPLE))
    return data, Scaling.choose(data)


def test_forced_commitments_agree_with_solve_plan(tmp_path):
    """The option values' forced-out objective is the plan solved with the option fixed at 0."""
    v = check_workbook(write_plan(tmp_path / "options.xlsx", options_chain()))
    data = to_plan_data(v)
    out = solve_plan(data, Scaling.choose(data), time_limit=60, mip_gap=1e-6,
                     fixed={"C offtake": 0.0})
    assert out.result.objective == pytest.approx(4440)
    assert pyo.value(out.model.v_option["C offtake"]) == 0


@pytest.mark.parametrize("value, says", [
    (1.5, "Time to recover 1.5 is not a whole number"),
    (-1, "Time to recover -1 is negative")])
def test_time_to_recover_is_a_whole_number_of_periods(tmp_path, value, says):
    rows = chain()
    rows["Sites"][0]["Time to recover"] = value
    v = check_workbook(write_plan(tmp_path / "ttr.xlsx", rows))
    assert [str(p) for p in v.problems if p.cell == "E3" and says in str(p)], \
        [str(p) for p in v.problems]


def test_an_equivalent_unit_needs_its_factor(tmp_path):
    rows = chain()
    rows["Materials"][0]["Equivalent unit"] = "t LCE"
    v = check_workbook(write_plan(tmp_path / "eq.xlsx", rows))
    assert any(p.sheet == "Materials" and "no equivalent per unit" in str(p)
               for p in v.problems), [str(p) for p in v.problems]


def test_time_to_recover_of_a_row_counts(tmp_path):
    """Mine A with a time to recover of 2: out for both periods, 22,760 more."""
    rows = chain()
    rows["Sites"][0]["Time to recover"] = 2
    found = expose(solve_workbook(write_plan(tmp_path / "ttr.xlsx", rows))).analyses.exposure
    a = found.ranked.set_index("Node").loc["A"]
    assert a["Time to recover"] == 2 and a["Extra cost"] == pytest.approx(2 * 11380)


@pytest.mark.parametrize("args, says", [
    (["--spot-price", "Ore", "--from", "2", "--to", "1"], "reversed"),
    (["--spot-price", "Ore", "--from", "1", "--to", "1"], "empty"),
    (["--from", "1", "--to", "2"], "exactly one of"),
    (["--demand", "Chem", "--spot-price", "Ore", "--from", "1", "--to", "2"], "exactly one of"),
    (["--availability", "A", "--from", "0", "--to", "2"], "[0, 1]"),
    (["--demand", "Gold", "--from", "1", "--to", "2"], "'Gold' names nothing"),
])
def test_sweep_refuses_what_it_cannot_run(tmp_path, args, says):
    from click.testing import CliRunner
    from planner.cli import main
    source = write_plan(tmp_path / "chain.xlsx", chain())
    result = CliRunner().invoke(main, ["sweep", str(source), *args, "-o",
                                       str(tmp_path / "out.xlsx")])
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert not (tmp_path / "out.xlsx").exists()


def test_exposure_and_sweep_commands_write_their_workbooks(tmp_path):
    import openpyxl
    from click.testing import CliRunner
    from planner.cli import main
    source = write_plan(tmp_path / "hedge.xlsx", hedge())
    out = tmp_path / "exposure.xlsx"
    result = CliRunner().invoke(main, ["exposure", str(source), "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "A single market failure costs up to" in result.output
    assert {"Exposure", "Exposure by start", "Bottlenecks"} <= set(
        openpyxl.load_workbook(out).sheetnames)
    out = tmp_path / "sweep.xlsx"
    result = CliRunner().invoke(main, ["sweep", str(source), "--spot-price", "Li2CO3",
                                       "--from", "1", "--to", "7", "--steps", "4",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    found = re.search(r"sodium-ion output starts to rise: at ([\d.]+) \(within ([\d.]+)\)",
                      result.output)
    assert found and abs(float(found[1]) - 4.0) <= float(found[2]) + 1e-3, result.output
    ws = openpyxl.load_workbook(out)["Sensitivity"]
    assert len(ws._charts) == 2  # cost and shares; no mine, so no spend by country


def test_a_swept_parameter_is_named_by_the_names_rule(tmp_path):
    """'chem\u00a0' (case and a no-break space) is the workbook's Chem, spelt so."""
    from planner.analysis.sweep import Parameter
    from planner.convert import to_plan_data
    data = to_plan_data(check_workbook(write_plan(tmp_path / "chain.xlsx", chain())))
    assert Parameter("demand", "chem\u00a0").in_workbook(data) == Parameter("demand", "Chem")
    assert Parameter("demand", "Gold").in_workbook(data) is None


def test_the_held_mip_forced_equals_the_model_rebuilt_with_the_option_fixed(example_data,
                                                                           monkeypatch):
    """Option values re-solve the plan's MIP as HiGHS held it, its relaxation first; on the
    example some relaxations leave every binary whole (the MIP is not run) and some do not.
    Rebuilding the model with the option fixed gives the same objective, to the MIP gap."""
    data, scaling = example_data
    plan = solve_plan(data, scaling, time_limit=120, mip_gap=1e-6, reported=True)
    solver = PlanSolver(data, scaling, 120.0, 1e-6)
    held = held_mip(plan, solver)
    state = start_held_mip(held)
    mips = []
    monkeypatch.setattr(options, "_solve_mip",
                        lambda *args: mips.append(args[2]) or solve_mip(*args))
    tasks = [(o.id, 1.0 - round(pyo.value(plan.model.v_option[o.id])))
             for o in data.options if o.binary]
    for option, forced in tasks:
        rebuilt = solve_plan(data, scaling, time_limit=120, mip_gap=1e-6,
                             fixed={option: forced}).result
        outcome = force(state, (option, forced))
        assert outcome.status is rebuilt.status
        if rebuilt.objective is not None:
            assert outcome.objective == pytest.approx(rebuilt.objective, rel=2e-6)
            assert outcome.seconds > 0
    assert 0 < len(mips) < len(tasks)


def test_option_values_share_the_time_limit(example_data):
    data, scaling = example_data
    plan = solve_plan(data, scaling, time_limit=120, mip_gap=1e-6, reported=True)
    held = dataclasses.replace(held_mip(plan, PlanSolver(data, scaling, 120.0, 1e-6)),
                               deadline=time.time() - 1)
    outcome = force(start_held_mip(held), (data.options[0].id, 1.0))
    assert outcome.status is Status.NO_SOLUTION and outcome.objective is None
    assert outcome.note == OUT_OF_TIME
