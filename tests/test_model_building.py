"""Every valid workbook builds a model: no row without a variable, and a failure to build
is a result that says so, never a traceback."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pyomo.repn import generate_standard_repn

import planner.pipeline
from conftest import materials, periods, plain_formulation, sites, write_plan
from planner.cli import main
from models.scaling import Scaling
from planner.convert import to_plan_data
from planner.engine import build
from planner.pipeline import check_workbook, solve_workbook
from planner.solve import solve


def late_offtake() -> dict[str, list[dict]]:
    """An offtake at mine B from 2027, and B has no lane: in 2026 nothing can appear at B,
    so its balance has no variable (it was ``0 == 0``, which Pyomo refuses to build)."""
    return {
        "Periods": periods("2026", "2027"),
        "Materials": materials(("Ore", "t", "ore")),
        "Sites": sites(("A", "mine", "X"), ("B", "mine", "X"), ("M", "market", "X")),
        "Supply": [{"Site": "A", "Material": "Ore", "Period": "all", "Capacity": 10,
                    "Unit cost": 5}],
        "Lanes": [{"Lane": "A-M", "From": "A", "To": "M", "Material": "Ore", "Cost": 1}],
        "Demand": [{"Site": "M", "Material": "Ore", "Period": t, "Quantity": 5,
                    "Penalty": 100} for t in ("2026", "2027")],
        "Options": [{"Option": "B offtake", "Kind": "offtake", "Target": "B",
                     "Material": "Ore", "Capacity": 5, "Unit cost": 1, "Fixed cost": 1,
                     "Earliest period": "2027"}],
    }


def test_a_node_with_nothing_to_balance_builds_and_solves(tmp_path):
    run = solve_workbook(write_plan(tmp_path / "late.xlsx", late_offtake()))
    assert run.solved.status.label == "optimal"
    # A's 5 t a period at 5 + 1 freight; the offtake, which could only pile up at B, is left
    assert run.solved.objective == pytest.approx(60)
    assert ("base", "2026", "B", "Ore") not in run.plan.model.c_balance


def test_a_model_that_cannot_be_built_is_a_result(tmp_path, monkeypatch):
    def broken(*args):
        raise ValueError("a row the planner cannot write")

    monkeypatch.setattr(planner.pipeline, "build", broken)
    source = write_plan(tmp_path / "plan.xlsx", late_offtake())
    result = CliRunner().invoke(main, ["solve", "-q", str(source), "-o",
                                       str(tmp_path / "out.xlsx")])
    assert result.exit_code == 9, result.output
    assert "the model could not be built (ValueError: a row the planner cannot write)" \
        in result.output
    assert "✗ Building the model" in result.output
    assert (tmp_path / "out.xlsx").exists()


SITES = sites(("M1", "mine", "Chile"), ("M2", "mine", "Australia"), ("R", "refinery", "China"),
              ("P", "cell plant", "Germany"), ("K", "market", "Germany"))
ROUTE = [("M1", "R", "Ore"), ("R", "P", "LCE"), ("P", "K", "Cell"), ("R", "K", "LCE")]
"""Lanes every drawn workbook has, so that its demand can be reached."""
LANES = [("M2", "R", "Ore"), ("M2", "P", "Ore"), ("P", "R", "Cell")]


@st.composite
def workbooks(draw) -> dict[str, list[dict]]:
    """A random chain from two mines through a refinery and a cell plant to a market, with
    its route and any subset of the other lanes, offtakes, expansions, conversions and stock options starting in
    any period, stocks, a capacity group and country and process shares."""
    names = [str(2026 + k) for k in range(draw(st.integers(1, 4)))]
    period = st.sampled_from(names)
    amount = st.integers(0, 50).map(float)
    lanes = ROUTE + draw(st.lists(st.sampled_from(LANES), unique=True))
    content = {
        "Periods": periods(*names),
        "Materials": materials(("Ore", "t", "ore"), ("LCE", "t", "chemical"),
                               ("Cell", "GWh", "cell")),
        "Sites": SITES,
        "Supply": [{"Site": m, "Material": "Ore", "Period": draw(st.sampled_from(["all", *names])),
                    "Capacity": draw(amount), "Unit cost": draw(amount)} for m in ("M1", "M2")],
        "Processes": [
            {"Process": "Refine", "Site": "R", "Output": "LCE", "Capacity": draw(amount),
             "Variable cost": 10},
            {"Process": "LFP", "Site": "P", "Output": "Cell", "Capacity": draw(amount),
             "Variable cost": 20},
            {"Process": "SIB", "Site": "P", "Output": "Cell", "Capacity": draw(amount),
             "Variable cost": 30}],
        "Recipes": [{"Process": "Refine", "Input": "Ore", "Quantity": 8},
                    {"Process": "LFP", "Input": "LCE", "Quantity": 0.6},
                    {"Process": "SIB", "Input": "Ore", "Quantity": 2}],
        "Lanes": [{"Lane": f"{a}-{b}", "From": a, "To": b, "Material": m, "Cost": 1}
                  for a, b, m in lanes],
        "Demand": [{"Site": "K", "Material": draw(st.sampled_from(["Cell", "LCE"])),
                    "Period": t, "Quantity": draw(amount), "Penalty": 1e6} for t in names],
    }
    options = [
        {"Option": "deal", "Kind": "offtake", "Target": draw(st.sampled_from(["M1", "M2", "R"])),
         "Material": "Ore", "Capacity": 10, "Unit cost": 3, "Fixed cost": 50,
         "Take or pay": draw(st.sampled_from([0, 0.5]))},
        {"Option": "grow", "Kind": "expansion", "Target": "Refine", "Capacity": 20,
         "Fixed cost": 80, "Decision": draw(st.sampled_from(["binary", "continuous"]))},
        {"Option": "retool", "Kind": "conversion", "Target": "SIB", "From process": "LFP",
         "Capacity": 0.5 * content["Processes"][1]["Capacity"], "Fixed cost": 40},
        {"Option": "pile", "Kind": "stock", "Target": "R", "Material": "LCE", "Capacity": 30,
         "Fixed cost": 5, "Cost basis": "per period"}]
    content["Options"] = [{**o, "Earliest period": draw(period)}
                          for o in options if draw(st.booleans())]
    if draw(st.booleans()):
        content["Stocks"] = [{"Site": "R", "Material": "LCE", "Initial level": draw(amount),
                              "Maximum": draw(amount), "Holding cost": 1}]
    elif any(o["Kind"] == "stock" for o in content["Options"]):
        content["Stocks"] = [{"Site": "R", "Material": "LCE", "Maximum": 0}]
    if draw(st.booleans()):
        shared = draw(amount)
        content["CapacityGroups"] = [{"Group": "line", "Process": p, "Capacity": shared}
                                     for p in ("LFP", "SIB")]
    content["Policies"] = draw(st.lists(st.sampled_from([
        {"Policy": "cap", "Kind": "max country share", "Material": "Ore",
         "Countries": "Chile", "Share": 0.6},
        {"Policy": "floor", "Kind": "min country share", "Material": "Ore",
         "Countries": "Australia", "Share": 0.2},
        {"Policy": "sib", "Kind": "max process share", "Process": "SIB", "Share": 0.5}]),
        unique_by=lambda p: p["Policy"]))
    return content


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(workbooks())
def test_every_valid_workbook_builds_and_solves_or_says_why(tmp_path, content):
    """Whatever lanes are missing and whenever options start, a valid workbook builds: the
    solve ends optimal or infeasible (never a build error), and an optimal plan is checked."""
    run = solve_workbook(write_plan(tmp_path / "random.xlsx", content))
    assume(run.validation.ok)
    assert run.solved is not None
    assert run.solved.status.label in ("optimal", "infeasible"), run.solved
    if run.solved.status.label == "optimal":
        assert run.plan.check is not None and run.plan.check.ok


def _lone_mine(content: dict, capacity: float) -> dict:
    """``content`` with a mine M3 whose only source is a binary offtake, shipping to R."""
    return {**content, "Sites": [*content["Sites"], {"Site": "M3", "Kind": "mine",
                                                     "Country": "Canada"}],
            "Lanes": [*content["Lanes"], {"Lane": "M3-R", "From": "M3", "To": "R",
                                          "Material": "Ore", "Cost": 1}],
            "Options": [*content.get("Options", []), {
                "Option": "lone deal", "Kind": "offtake", "Target": "M3", "Material": "Ore",
                "Capacity": capacity, "Unit cost": 1, "Fixed cost": 60,
                "Earliest period": content["Periods"][0]["Period"]}]}


def _optimum(model) -> tuple[str, float | None]:
    result = solve(model, 60, 1e-9)
    return result.status.label, result.objective


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(workbooks(), st.integers(0, 60).map(float))
def test_covers_and_lane_linked_offtakes_change_no_optimum(tmp_path, content, capacity):
    """The tighter formulation (models/covers.py's aggregated capacity rows, and the bound
    that replaces a lane-linked offtake's capacity row) has the optimum of the plain one:
    the rows deactivated, the offtake's row z-linked again and its bound lifted."""
    v = check_workbook(write_plan(tmp_path / "random.xlsx", _lone_mine(content, capacity)))
    assume(v.ok)
    data = to_plan_data(v)
    scaling = Scaling.choose(data)
    tight, plain = build(data, scaling), build(data, scaling)
    assert "lone deal" in {key[2] for key in tight.offtake_keys} - \
        {key[2] for key in tight.c_offtake_capacity}
    plain_formulation(plain)
    (status, objective), (plain_status, plain_objective) = _optimum(tight), _optimum(plain)
    assert status == plain_status and (objective is None) == (plain_objective is None)
    if objective is not None:
        assert objective == pytest.approx(plain_objective, rel=1e-7, abs=1e-9)


def test_a_cover_row_is_the_knapsack_of_facility_location(tmp_path):
    """Two warehouses (offtakes of 10 and 20, binary) serve 25 at a market: the cover row is
    10 z_a + 20 z_b + unmet >= 25 (in the model's units)."""
    rows = {
        "Periods": periods("1"), "Materials": materials(("Goods", "t", "ore")),
        "Sites": sites(("A", "mine", "X"), ("B", "mine", "Y"), ("C", "market", "Z")),
        "Lanes": [{"Lane": f"{w}-C", "From": w, "To": "C", "Material": "Goods", "Cost": 1}
                  for w in "AB"],
        "Options": [{"Option": f"open {w}", "Kind": "offtake", "Target": w,
                     "Material": "Goods", "Capacity": cap, "Fixed cost": 100}
                    for w, cap in (("A", 10), ("B", 20))],
        "Demand": [{"Site": "C", "Material": "Goods", "Period": "1", "Quantity": 25,
                    "Penalty": 1000}]}
    data = to_plan_data(check_workbook(write_plan(tmp_path / "cfl.xlsx", rows)))
    scaling = Scaling.choose(data)
    model = build(data, scaling)
    (key,) = list(model.c_cover)
    row = model.c_cover[key]
    repn = {v.name: c for v, c in zip(*_linear(row.body))}
    unit = scaling.apply(data).demands[0].quantity / 25
    assert repn == pytest.approx({"v_option[open A]": 10 * unit, "v_option[open B]": 20 * unit,
                                  "v_unmet[base,'1',C,Goods]": 1.0})
    assert pyo.value(row.lower) == pytest.approx(25 * unit)
    assert not list(model.c_offtake_capacity)  # both linked by their lanes: bounds instead
    assert _optimum(model)[1] == pytest.approx((100 + 100 + 25) / scaling.money)


def _linear(expression):
    repn = generate_standard_repn(expression)
    return repn.linear_vars, repn.linear_coefs
