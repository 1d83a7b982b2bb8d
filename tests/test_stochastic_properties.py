"""Agreement between the stochastic model's modes on random small networks (hypothesis).

Each example is a random network of ``test_properties`` with an offtake option at an
extra mine (binary or continuous, with a fee and sometimes take-or-pay) and, in a second
scenario, an outage of one of the mines. For every example:

(a) wait and see <= the stochastic optimum <= the mean-value plan's expected cost, so
    EVPI >= 0 and VSS >= 0;
(b) the CVaR objective with weight 0 has the expected-cost optimum;
(c) the CVaR objective with weight 1 is at least the expected cost of its own plan, and
    its optimum is at most the CVaR of the expected-cost plan.
"""

from __future__ import annotations

import dataclasses
import math
from contextlib import nullcontext

from hypothesis import given
from hypothesis import strategies as st

from models.data import Availability, Lane, Option, PlanData, Risk, Scenario, Site
from models.scaling import Scaling
from planner.analysis.risk import cvar, value_of_information
from planner.results import extract
from planner.engine import PlanSolver, solve_plan
from planner.solve import Status
from test_properties import PROPERTY, TOLERANCE, networks


@st.composite
def stochastic(draw) -> PlanData:
    data, _ = draw(networks())
    first = data.periods[0].id
    refinery = next(s.id for s in data.sites if s.kind == "refinery")
    option = Option("contract", "offtake", "Extra mine", draw(st.integers(10, 200)),
                    draw(st.integers(0, 5_000)), first, "Ore", draw(st.integers(0, 60)),
                    draw(st.sampled_from([0.0, 0.0, 0.5])), binary=draw(st.booleans()))
    outage = draw(st.sampled_from(sorted({x.site for x in data.supplies})))
    p = draw(st.sampled_from([0.1, 0.3, 0.5]))
    return dataclasses.replace(
        data,
        sites=data.sites + (Site("Extra mine", "mine", "Canada"),),
        lanes=data.lanes + (Lane("Extra-lane", "Extra mine", refinery, "Ore", 5.0),),
        scenarios=(Scenario("calm", 1 - p), Scenario("outage", p)),
        supply_availability=tuple(Availability("outage", t.id, (outage, "Ore"), 0.0)
                                  for t in data.periods),
        process_availability=(), lane_availability=(), spot_shocks=(),
        options=(option,))


def optimum(data: PlanData) -> tuple[float, object]:
    scaling = Scaling.choose(data)
    solved = solve_plan(data, scaling, time_limit=60, mip_gap=1e-9)
    assert solved.result.status is Status.OPTIMAL, solved.result.message
    return solved.result.objective, extract(solved.model, data, scaling)


def at_most(a: float, b: float) -> bool:
    return a <= b + TOLERANCE * max(1.0, abs(a), abs(b))


@PROPERTY
@given(stochastic())
def test_wait_and_see_below_stochastic_below_mean_value(data):
    """And the mean-value commitments priced by a warm re-solve of the plan's LP equal
    those priced by the stochastic model rebuilt with them fixed."""
    scaling = Scaling.choose(data)
    plan = solve_plan(data, scaling, time_limit=60, mip_gap=1e-9, reported=True)
    rp = plan.result.objective
    quiet = lambda _: nullcontext(lambda done, total: None)  # noqa: E731
    solver = PlanSolver(data, scaling, 60, 1e-9)
    rebuilt, warm = (value_of_information(data, rp, solver, quiet, held)
                     for held in (None, plan))
    got = {x.name: x.value for x in warm.measures}
    assert at_most(got["Wait and see (WS)"], rp) and at_most(rp, got["Mean-value plan (EEV)"])
    assert at_most(0.0, got["EVPI"]) and at_most(0.0, got["VSS"])
    again = {x.name: x.value for x in rebuilt.measures}["Mean-value plan (EEV)"]
    assert abs(again - got["Mean-value plan (EEV)"]) <= TOLERANCE * max(1.0, abs(again)) \
        or again == got["Mean-value plan (EEV)"] == math.inf


@PROPERTY
@given(stochastic())
def test_risk_weight_zero_is_the_expected_cost_optimum(data):
    expected, _ = optimum(data)
    weightless, _ = optimum(dataclasses.replace(data, risk=Risk("cvar", 0.0, 0.8)))
    assert abs(weightless - expected) <= TOLERANCE * max(1.0, abs(expected))


@PROPERTY
@given(stochastic(), st.sampled_from([0.5, 0.8, 0.95]))
def test_pure_cvar_trades_expected_cost_for_the_tail(data, level):
    expected, plan = optimum(data)
    tail, risky = optimum(dataclasses.replace(data, risk=Risk("cvar", 1.0, level)))

    def totals(result):
        return list(result.scenarios["Total cost"]), list(result.scenarios["Probability"])

    assert at_most(tail, cvar(*totals(plan), level))
    costs, p = totals(risky)
    assert at_most(expected, sum(c * q for c, q in zip(costs, p)))
    assert abs(tail - cvar(costs, p, level)) <= TOLERANCE * max(1.0, abs(tail))
