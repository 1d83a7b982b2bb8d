"""Risk of a solved plan, and what information and the stochastic model are worth.

The cost of a plan is a distribution over scenarios; :func:`risk_measures` describes it.
The value of the stochastic solution (VSS) and the expected value of perfect information
(EVPI) need extra solves of the same model (Birge and Louveaux, *Introduction to
Stochastic Programming*, ch. 4), each measured with the plan's own objective
:math:`\\rho` (expected cost, or expected cost blended with CVaR):

- RP, the recourse problem: the plan itself, :math:`\\rho` of its scenario costs.
- WS, wait and see: each scenario solved alone, as if it were known in advance;
  :math:`\\rho` of those optimal costs. EVPI = RP - WS >= 0.
- EEV: the mean-value problem (one scenario with the probability-weighted availabilities
  and spot factors) is solved, its commitments are fixed and the stochastic model is
  solved with them. VSS = EEV - RP >= 0.

Each is exact to the solver's MIP gap, so EVPI and VSS are too: a small negative value
is within that tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pandas as pd
import pyomo.environ as pyo

from models.data import PlanData, Risk
from planner.engine import Solved
from planner.solve import SolveResult, Status

Solver = Callable[[PlanData, dict[str, float] | None], Solved]
"""Solves a plan (workbook units) with some options fixed at the given shares."""


def cvar(costs: list[float], probabilities: list[float], level: float) -> float:
    """Mean cost of the worst ``1 - level`` of probability (the CVaR at ``level``)."""
    tail, left = 0.0, 1.0 - level
    for cost, p in sorted(zip(costs, probabilities), reverse=True):
        take = min(p, left)
        tail += take * cost
        left -= take
        if left <= 1e-12:
            break
    return tail / (1.0 - level)


def risk_value(risk: Risk, costs: list[float], probabilities: list[float]) -> float:
    """The objective's measure of a cost distribution: E, or (1 - lambda) E + lambda CVaR."""
    expected = sum(c * p for c, p in zip(costs, probabilities))
    if risk.objective != "cvar":
        return expected
    return (1.0 - risk.weight) * expected + risk.weight * cvar(costs, probabilities, risk.level)


def describe_objective(risk: Risk) -> str:
    if risk.objective != "cvar":
        return "expected cost"
    return (f"{1 - risk.weight:g} x expected cost + {risk.weight:g} x CVaR at "
            f"{risk.level:.0%}")


@dataclass(frozen=True)
class Measure:
    name: str
    value: float | None
    how: str


def risk_measures(risk: Risk, scenarios: pd.DataFrame) -> list[Measure]:
    """Expected cost, CVaR, worst and best case, spread and standard deviation of the plan's
    total cost (commitments plus recourse, discounted) over the scenarios."""
    costs, p = list(scenarios["Total cost"]), list(scenarios["Probability"])
    names = list(scenarios["Scenario"])
    expected = sum(c * q for c, q in zip(costs, p))
    worst, best = max(range(len(costs)), key=costs.__getitem__), \
        min(range(len(costs)), key=costs.__getitem__)
    return [
        Measure("Objective", risk_value(risk, costs, p), describe_objective(risk)),
        Measure("Expected cost", expected, "sum of probability x total cost of each scenario"),
        Measure(f"CVaR at {risk.level:.0%}", cvar(costs, p, risk.level),
                f"mean total cost of the worst {1 - risk.level:.0%} of probability"),
        Measure("Worst case", costs[worst], f"scenario {names[worst]}"),
        Measure("Best case", costs[best], f"scenario {names[best]}"),
        Measure("Spread", costs[worst] - costs[best], "worst case minus best case"),
        Measure("Standard deviation",
                math.sqrt(sum(q * (c - expected) ** 2 for c, q in zip(costs, p))),
                "of the total cost over the scenarios, weighted by probability"),
    ]


ACCURACY = " (each solve is exact to the MIP gap, so a difference within it is noise)"


def _ev_state(solves: list[tuple[str, SolveResult]]) -> str:
    """Why EEV has no value: the mean-value solve or the fixed solve did not end optimal."""
    return "; ".join(f"the {name} solve ended {s.status.label}" for name, s in solves
                     if not name.startswith("wait and see") and s.status is not Status.OPTIMAL)


class _Interrupted(Exception):
    """Ctrl-C stopped an extra solve: the rest are not worth starting."""


@dataclass(frozen=True)
class ValueOfInformation:
    measures: list[Measure]
    solves: list[tuple[str, SolveResult]]
    """Every extra solve, named, for the record."""


def value_of_information(data: PlanData, rp: float, solve: Solver,
                         phase: Callable[[str], AbstractContextManager]) -> ValueOfInformation:
    """WS, EEV, EVPI and VSS of a plan whose objective is ``rp``, by the extra solves."""
    solves: list[tuple[str, SolveResult]] = []

    def run(title: str, name: str, plan: PlanData,
            fixed: dict[str, float] | None = None) -> Solved:
        with phase(title):
            solved = solve(plan, fixed)
        solves.append((name, solved.result))
        if solved.result.status in (Status.INTERRUPTED, Status.INTERRUPTED_NO_PLAN):
            raise _Interrupted
        return solved

    try:
        ws_costs = []
        for k, scenario in enumerate(data.scenarios, start=1):
            solved = run(f"Wait-and-see solve {k} of {len(data.scenarios)} ({scenario.id})",
                         f"wait and see: {scenario.id}", data.only(scenario.id)).result
            ws_costs.append(solved.objective if solved.status is Status.OPTIMAL else None)
        p = [s.probability for s in data.scenarios]
        ws = risk_value(data.risk, ws_costs, p) if None not in ws_costs else None

        ev = run("Mean-value solve", "mean value", data.mean_value())
        eev = None
        if ev.result.status.has_plan:
            taken = {o.id: pyo.value(ev.model.v_option[o.id]) for o in data.options}
            eev_solved = run("Mean-value plan in every scenario",
                             "mean-value commitments in every scenario", data,
                             {o.id: round(taken[o.id]) if o.binary else taken[o.id]
                              for o in data.options}).result
            eev = eev_solved.objective if eev_solved.status is Status.OPTIMAL \
                else math.inf if eev_solved.status is Status.INFEASIBLE else None
    except _Interrupted:
        return ValueOfInformation(
            [Measure("Value of information", None,
                     "not computed: interrupted (Ctrl-C) during its extra solves")], solves)

    failed = [name for name, s in solves if s.status is not Status.OPTIMAL
              and name.startswith("wait and see")]
    note = f"; not computed, not optimal: {', '.join(failed)}" if failed else ""
    measures = [
        Measure("Recourse problem (RP)", rp, "the plan's objective"),
        Measure("Wait and see (WS)", ws, "objective of the optimal costs of each scenario "
                "solved alone, as if known in advance" + note),
        Measure("Mean-value plan (EEV)", eev,
                "objective when the commitments of the plan for the mean scenario "
                "(probability-weighted availabilities and spot factors) are fixed and every "
                "scenario is solved" + (" (infinite: that plan is infeasible in some "
                                        "scenario)" if eev == math.inf else "")
                + ("" if eev is not None else
                   f"; not computed: {_ev_state(solves)}")),
        Measure("EVPI", None if ws is None else rp - ws,
                "RP - WS: what knowing the scenario in advance would save" + ACCURACY),
        Measure("VSS", None if eev is None else eev - rp,
                "EEV - RP: what planning for every scenario saves over planning for the "
                "mean" + ACCURACY),
    ]
    return ValueOfInformation(measures, solves)
