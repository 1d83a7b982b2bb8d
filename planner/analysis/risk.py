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
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace

import pandas as pd
import pyomo.environ as pyo

from models.data import PlanData, Risk
from models.scaling import Scaling
from planner.engine import PlanSolver, Solved, Variant, VariantOutcome, commitments, \
    interrupted, solve_variant, start_plan_solver
from planner.lp import Change, HeldLP
from planner.runner import run_all
from planner.solve import Status


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


def _ev_state(solves: list[tuple[str, VariantOutcome]]) -> str:
    """Why EEV has no value: the mean-value solve or the fixed solve did not end optimal."""
    return "; ".join(f"the {name} solve ended {s.status.label}" for name, s in solves
                     if not name.startswith("wait and see") and s.status is not Status.OPTIMAL)


@dataclass(frozen=True)
class ValueOfInformation:
    measures: list[Measure]
    solves: list[tuple[str, VariantOutcome]]
    """Every extra solve, named, for the record."""


def option_shares(model: pyo.ConcreteModel, data: PlanData, _: Scaling) -> dict[str, float]:
    """The options' values in a solved model (a readout of :class:`PlanSolver`)."""
    return {o.id: pyo.value(model.v_option[o.id]) for o in data.options}


def _fixed_in_held_lp(lp: HeldLP, columns: dict[str, int], taken: dict[str, float]
                      ) -> VariantOutcome:
    """The plan's LP re-solved warm with the commitments fixed at ``taken``."""
    start = time.perf_counter()
    outcome = lp.resolve(Change(tuple((columns[o], share, share) for o, share in taken.items())))
    status = Status.OPTIMAL if outcome.optimal else \
        Status.INFEASIBLE if outcome.infeasible else Status.ERROR
    return VariantOutcome(status, outcome.objective, {}, time.perf_counter() - start)


def value_of_information(data: PlanData, rp: float, solver: PlanSolver,
                         phase: Callable[[str], AbstractContextManager],
                         plan: Solved | None = None) -> ValueOfInformation:
    """WS, EEV, EVPI and VSS of a plan whose objective is ``rp``, by the extra solves: the
    wait-and-see and mean-value solves in parallel (:mod:`planner.runner`), then the
    mean-value commitments in every scenario: a warm re-solve of the ``plan``'s LP with
    them fixed where that LP is held, otherwise the stochastic model rebuilt with them."""
    solver = replace(solver, readout=option_shares)
    names = [f"wait and see: {s.id}" for s in data.scenarios] + ["mean value"]
    tasks = [Variant(data.only(s.id)) for s in data.scenarios] + [Variant(data.mean_value())]
    try:
        with phase(f"Value of information: {len(tasks)} solves (one per scenario and the "
                   "mean value)") as progress:
            outcomes = run_all(solve_variant, tasks, start=start_plan_solver,
                               start_args=(solver,), on_done=progress, stop=interrupted)
    except KeyboardInterrupt:
        outcomes = []
    if len(outcomes) < len(tasks):
        return ValueOfInformation(
            [Measure("Value of information", None,
                     "not computed: interrupted (Ctrl-C) during its extra solves")],
            list(zip(names, outcomes)))
    solves = list(zip(names, outcomes))
    ws_costs = [o.objective if o.status is Status.OPTIMAL else None for o in outcomes[:-1]]
    p = [s.probability for s in data.scenarios]
    ws = risk_value(data.risk, ws_costs, p) if None not in ws_costs else None
    ev, eev = outcomes[-1], None
    if ev.status.has_plan:
        taken = commitments(data, ev.readouts)
        columns = plan.option_columns() if plan is not None else None
        with phase("Mean-value plan in every scenario"):
            eev_solved = solve_variant(solver, Variant(fixed=taken)) if columns is None \
                else _fixed_in_held_lp(plan.lp, columns, taken)
        solves.append(("mean-value commitments in every scenario", eev_solved))
        eev = eev_solved.objective if eev_solved.status is Status.OPTIMAL \
            else math.inf if eev_solved.status is Status.INFEASIBLE else None
    failed = [name for name, s in solves if s.status is not Status.OPTIMAL
              and name.startswith("wait and see")]
    note = f"; not computed, not optimal: {', '.join(failed)}" if failed else ""
    measures = [
        Measure("Recourse problem (RP)", rp, "the plan's objective"),
        Measure("Wait and see (WS)", ws, "objective of the optimal costs of each scenario "
                "solved alone, as if known in advance" + note),
        Measure("Mean-value plan (EEV)", eev,
                "objective when the commitments of the plan for the mean scenario "
                "(probability-weighted availabilities, spot and contract factors) are fixed "
                "and every scenario is solved" + (" (infinite: that plan is infeasible in some "
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
