"""Right answers at real magnitudes: internal units, a CVaR that holds, plans checked.

Each test would have caught a defect seen on the bundled example or a close variant: a
CVaR objective reported infeasible, a worse one-scenario CVaR plan labelled optimal, HiGHS
warning that the model is badly scaled, a tampered plan passing, a GWh plan serving
nothing without a word.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import materials, periods, plain_formulation, sites, write_plan
from models.data import BASE_SCENARIO, PlanData, Risk
from models.scaling import ModelUnits, Scaling
from planner.analysis.risk import risk_value
from planner.check import check_plan
from planner.convert import to_plan_data
from planner.engine import build, solve_plan
from planner.inputs import INPUTS
from planner.pipeline import check_workbook, solve_workbook
from planner.report import RunInfo
from planner.results import extract
from planner.solve import Status, solve

EXAMPLE = INPUTS / "example.xlsx"
SCALING_WARNINGS = ("badly scaled", "excessively large", "excessively small")


@pytest.fixture(scope="module")
def example() -> PlanData:
    return to_plan_data(check_workbook(EXAMPLE))


def optimum(data: PlanData, gap: float = 1e-9):
    scaling = Scaling.choose(data)
    solved = solve_plan(data, scaling, time_limit=120, mip_gap=gap)
    assert solved.result.status is Status.OPTIMAL, solved.result.message
    return solved, extract(solved.model, data, scaling)


def with_objective(path: Path, objective: str, out: Path) -> Path:
    wb = openpyxl.load_workbook(path)
    for row in wb["Settings"].iter_rows():
        if row[0].value == "Objective":
            row[1].value = objective
    wb.save(out)
    return out


def test_example_solves_without_a_scaling_warning():
    run = solve_workbook(EXAMPLE)
    assert run.solved.status is Status.OPTIMAL
    assert not [w for w in SCALING_WARNINGS if w in run.solved.log]
    assert run.plan.check.ok and run.plan.ranges is not None
    workbook, internal = run.plan.ranges
    assert workbook.cost[1] / workbook.cost[0] > internal.cost[1] / internal.cost[0]
    assert internal.cost[1] < 1e3 and internal.bound[1] < 1e3


def test_example_with_cvar_is_optimal_and_no_worse_than_the_expected_cost_plan(tmp_path):
    expected = solve_workbook(EXAMPLE)
    run = solve_workbook(with_objective(EXAMPLE, "cvar", tmp_path / "cvar.xlsx"))
    assert run.solved.status is Status.OPTIMAL, run.solved.message
    assert not [w for w in SCALING_WARNINGS if w in run.solved.log]
    scenarios = expected.result.scenarios
    feasible = risk_value(run.data.risk, list(scenarios["Total cost"]),
                          list(scenarios["Probability"]))
    assert run.solved.objective <= feasible * (1 + 1e-9)
    assert all(s.status is Status.OPTIMAL for name, s in run.information.solves
               if name != "mean-value commitments in every scenario")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(weight=st.sampled_from([0.0, 0.3, 1.0]), level=st.sampled_from([0.5, 0.9, 0.99]))
def test_one_scenario_cvar_is_the_expected_cost_optimum(example, weight, level):
    """With one scenario the CVaR of the cost is the cost: every weight and level agree."""
    alone = example.only(BASE_SCENARIO if BASE_SCENARIO in [s.id for s in example.scenarios]
                         else example.scenarios[0].id)
    plain, _ = optimum(alone)
    risky, _ = optimum(dataclasses.replace(alone, risk=Risk("cvar", weight, level)))
    assert risky.result.objective == pytest.approx(plain.result.objective, rel=1e-7)


def _rescale_money(data: PlanData, f: float) -> PlanData:
    """Every cost, price and penalty times ``f``."""
    r = dataclasses.replace
    return r(data,
             supplies=tuple(r(x, unit_cost=x.unit_cost * f) for x in data.supplies),
             processes=tuple(r(x, variable_cost=x.variable_cost * f) for x in data.processes),
             lanes=tuple(r(x, unit_cost=x.unit_cost * f, tariff=x.tariff * f)
                         for x in data.lanes),
             demands=tuple(r(x, penalty=x.penalty * f) for x in data.demands),
             spot_offers=tuple(r(x, price=x.price * f) for x in data.spot_offers),
             options=tuple(r(x, unit_cost=x.unit_cost * f, fixed_cost=x.fixed_cost * f)
                           for x in data.options),
             stocks=tuple(r(x, holding_cost=x.holding_cost * f) for x in data.stocks))


def _rescale_material(data: PlanData, material: str, f: float) -> PlanData:
    """Every quantity of ``material`` in a unit ``f`` times smaller (so ``f`` times the
    number), prices per unit of it divided by ``f``."""
    r = dataclasses.replace

    def q(x, m):
        return None if x is None else x * f if m == material else x

    def p(x, m):
        return x / f if m == material else x

    output = {k.id: k.output for k in data.processes}
    return r(
        data,
        supplies=tuple(r(x, capacity=q(x.capacity, x.material),
                         unit_cost=p(x.unit_cost, x.material)) for x in data.supplies),
        processes=tuple(r(k, capacity=q(k.capacity, k.output),
                          variable_cost=p(k.variable_cost, k.output),
                          recipe=tuple((i, p(q(a, i), k.output)) for i, a in k.recipe))
                        for k in data.processes),
        lanes=tuple(r(x, capacity=q(x.capacity, x.material), unit_cost=p(x.unit_cost, x.material),
                      tariff=p(x.tariff, x.material)) for x in data.lanes),
        demands=tuple(r(x, quantity=q(x.quantity, x.material), penalty=p(x.penalty, x.material))
                      for x in data.demands),
        spot_offers=tuple(r(x, price=p(x.price, x.material), maximum=q(x.maximum, x.material))
                          for x in data.spot_offers),
        options=tuple(r(o, capacity=q(o.capacity, o.material if o.kind in ("offtake", "stock")
                                      else output[o.target]),
                        unit_cost=p(o.unit_cost, o.material)) for o in data.options),
        capacity_groups=tuple(r(g, members=tuple((k, p(u, output[k])) for k, u in g.members))
                              for g in data.capacity_groups),
        stocks=tuple(r(x, maximum=q(x.maximum, x.material), initial=q(x.initial, x.material),
                       end_minimum=q(x.end_minimum, x.material),
                       holding_cost=p(x.holding_cost, x.material)) for x in data.stocks))


@pytest.fixture(scope="module")
def example_base(example) -> tuple[PlanData, object, object]:
    """The example's first scenario alone, with costs cut to a total of about 1e9."""
    data = _rescale_money(example.only(example.scenarios[0].id), 1e-2)
    solved, result = optimum(data)
    return data, solved, result


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(k=st.integers(-3, 3))
def test_money_in_another_unit_scales_the_optimum_and_keeps_the_plan(example_base, k):
    data, solved, result = example_base
    again, result_again = optimum(_rescale_money(data, 10.0 ** k))
    assert 1e6 <= again.result.objective <= 1e13
    assert again.result.objective == pytest.approx(solved.result.objective * 10.0 ** k, rel=1e-7)
    assert list(result_again.decisions["Taken"]) == pytest.approx(list(result.decisions["Taken"]),
                                                                abs=1e-9)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(k=st.integers(-3, 6), pick=st.integers(0, 100))
def test_a_material_in_another_unit_keeps_the_optimum_and_the_plan(example_base, k, pick):
    data, solved, result = example_base
    output = {k.id: k.output for k in data.processes}
    converted = {output[p] for o in data.options if o.kind == "conversion"
                 for p in (o.target, o.source)}  # a conversion moves GWh of one into the other
    kept = [m.id for m in data.materials if m.id not in converted]
    material = kept[pick % len(kept)]
    again, result_again = optimum(_rescale_material(data, material, 10.0 ** k))
    assert again.result.objective == pytest.approx(solved.result.objective, rel=1e-7)
    assert list(result_again.decisions["Taken"]) == pytest.approx(list(result.decisions["Taken"]),
                                                                abs=1e-9)
    sourced = result.sourcing.groupby("Material")["Quantity"].sum()
    sourced_again = result_again.sourcing.groupby("Material")["Quantity"].sum()
    if material in sourced:
        assert sourced_again[material] == pytest.approx(sourced[material] * 10.0 ** k,
                                                        rel=1e-6, abs=1e-6 * 10.0 ** k)


def test_a_tampered_plan_fails_its_check(example_base):
    data, _, _ = example_base
    solved, _ = optimum(data)
    units = ModelUnits(data, solved.units.scaling)
    assert check_plan(solved.model, data, units, solved.result.objective).ok
    flow = next(v for v in solved.model.v_flow.values() if (v.value or 0) > 1)
    flow.set_value(flow.value * 1.01)
    tampered = check_plan(solved.model, data, units, solved.result.objective)
    assert not tampered.ok
    assert tampered.violations[0].family in ("Material balances", "Lane capacity")
    flow.set_value(float("nan"))
    assert check_plan(solved.model, data, units, solved.result.objective).not_finite


def test_the_lane_by_lane_offtake_bound_is_a_valid_cut(example):
    """The same optimum with and without c_option_lane (and the covers), each offtake's
    capacity then a row with its option: it cuts off no plan."""
    scaling = Scaling.choose(example)
    with_cut = solve_plan(example, scaling, time_limit=120, mip_gap=1e-9)
    model = build(example, scaling)
    assert len(model.c_option_lane) > 0
    plain_formulation(model, lane_links=False)
    without = solve(model, 120, 1e-9)
    assert without.status is Status.OPTIMAL
    assert without.objective * scaling.money == pytest.approx(with_cut.result.objective,
                                                              rel=1e-8)


def gwh_plan() -> dict[str, list[dict]]:
    """Cells in GWh: 550 t of LCE (10,000 + 100 freight a t) and 5e7 a GWh to make, 1e5 a
    GWh to ship: 55,655,000 a GWh delivered, against the default penalty of 100,000."""
    return {
        "Periods": periods("2026", "2027"),
        "Materials": materials(("LCE", "t", "chemical"), ("Cell", "GWh", "cell")),
        "Sites": sites(("Mine", "mine", "Chile"), ("Plant", "cell plant", "China"),
                       ("M", "market", "Germany")),
        "Supply": [{"Site": "Mine", "Material": "LCE", "Period": "all", "Capacity": 1e5,
                    "Unit cost": 10000}],
        "Processes": [{"Process": "Line", "Site": "Plant", "Output": "Cell", "Capacity": 100,
                       "Variable cost": 5e7}],
        "Recipes": [{"Process": "Line", "Input": "LCE", "Quantity": 550}],
        "Lanes": [{"Lane": "L1", "From": "Mine", "To": "Plant", "Material": "LCE", "Cost": 100},
                  {"Lane": "L2", "From": "Plant", "To": "M", "Material": "Cell", "Cost": 1e5}],
        "Demand": [{"Site": "M", "Material": "Cell", "Period": t, "Quantity": q}
                   for t, q in (("2026", 15), ("2027", 18))],
    }


def test_a_gwh_plan_left_unserved_by_a_low_penalty_says_so(tmp_path):
    run = solve_workbook(write_plan(tmp_path / "gwh.xlsx", gwh_plan()))
    assert run.solved.status is Status.OPTIMAL
    assert any("Demand!E3" in str(w) for w in run.validation.warnings)
    lines = RunInfo(tmp_path / "gwh.xlsx", "USD", run.plan, run.unserved).warnings()
    assert len(lines) == 1
    assert "33 of 33 GWh of Cell at M" in lines[0] and "penalty 100,000 USD" in lines[0]
    assert "55,655,000" in lines[0] and "raise the penalty" in lines[0]


def test_a_shortfall_at_capacity_says_capacity_binds(tmp_path, two_mines):
    two_mines["Supply"][1]["Capacity"] = 10
    run = solve_workbook(write_plan(tmp_path / "short.xlsx", two_mines))
    row = run.unserved.iloc[0]
    assert (row["Unmet"], row["Demand"]) == pytest.approx((5, 25))
    assert "cannot deliver more" in row["Why"]
