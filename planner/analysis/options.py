"""What each commitment is worth: the plan re-solved with each option forced in and out.

For option :math:`o`, the objective with :math:`z_o = 1` and with :math:`z_o = 0` (every
other option free to change), and the difference: what taking it saves. An option the
plan takes whole has its forced-in objective from the plan itself, and one it leaves has
its forced-out objective from it; the other side is one re-solve. A continuous option
taken in part needs both.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pyomo.environ as pyo

from models.data import PlanData
from planner.engine import PlanSolver, Solved, Variant, VariantOutcome, interrupted, \
    solve_variant, start_plan_solver
from planner.runner import run_all
from planner.solve import Status

TAKEN = 1e-9


def _forced(plan: Solved, data: PlanData) -> tuple[dict, list[tuple[str, float]]]:
    """(what the plan itself gives, by (option, forced share); the re-solves left)."""
    share = {o.id: pyo.value(plan.model.v_option[o.id]) for o in data.options}
    known, tasks = {}, []
    for o in data.options:
        for forced in (1.0, 0.0):
            if abs(share[o.id] - forced) <= TAKEN:
                known[(o.id, forced)] = plan.result.objective
            else:
                tasks.append((o.id, forced))
    return known, tasks


def resolves(plan: Solved, data: PlanData) -> int:
    """How many re-solves :func:`option_values` runs."""
    return len(_forced(plan, data)[1])


def option_values(plan: Solved, data: PlanData, solver: PlanSolver,
                  on_done: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """One row per option: its share in the plan, the objective forced in and forced out,
    and the difference (forced out minus forced in: positive when taking it pays)."""
    share = {o.id: pyo.value(plan.model.v_option[o.id]) for o in data.options}
    known, tasks = _forced(plan, data)
    outcomes: list[VariantOutcome] = run_all(
        solve_variant, [Variant(fixed={o: forced}) for o, forced in tasks],
        start=start_plan_solver, start_args=(solver,), on_done=on_done, stop=interrupted)
    status: dict[tuple[str, float], Status] = {}
    for task, outcome in zip(tasks, outcomes):
        status[task] = outcome.status
        known[task] = outcome.objective if outcome.status is Status.OPTIMAL else None
    rows = []
    for o in data.options:
        on, off = known[(o.id, 1.0)], known[(o.id, 0.0)]
        note = "; ".join(f"forced {'in' if forced else 'out'}: {status[(o.id, forced)].label}"
                         for forced in (1.0, 0.0) if (o.id, forced) in status
                         and status[(o.id, forced)] is not Status.OPTIMAL)
        rows.append({
            "Option": o.id, "Kind": o.kind, "Taken": share[o.id],
            "Objective forced in": on, "Objective forced out": off,
            "Value of taking it": None if on is None or off is None else off - on,
            "Reading": note or _reading(on, off, share[o.id])})
    return pd.DataFrame(rows, columns=["Option", "Kind", "Taken", "Objective forced in",
                                       "Objective forced out", "Value of taking it",
                                       "Reading"])


def _reading(on: float, off: float, share: float) -> str:
    if share > TAKEN and off >= on:
        return "taken: leaving it would cost more"
    if share <= TAKEN and on >= off:
        return "left: taking it would cost more"
    return "within the solver's gap of each other"
