"""What each commitment is worth: the plan re-solved with each option forced in and out.

For option :math:`o`, the objective with :math:`z_o = 1` and with :math:`z_o = 0` (every
other option free to change), and the difference: what taking it saves. An option the
plan takes whole has its forced-in objective from the plan itself, and one it leaves has
its forced-out objective from it; the other side is one re-solve. A continuous option
taken in part needs both.

Each re-solve is the plan's own MIP as HiGHS held it (:class:`HeldMIP`): the LP the plan
left with its commitments fixed, every option set free again but the one forced. Its LP
relaxation is solved first, warm from the plan's optimal basis (dual simplex, a fraction of
a cold solve); where that leaves every binary option whole, it is the MIP's optimum (a
relaxation's optimum that is feasible for the MIP is optimal for it: no MIP plan costs less
than the relaxation's). Otherwise the MIP is solved, with the plan itself as its starting
point. Nothing is rebuilt; the workers of :mod:`planner.runner` receive the matrix once.
Each forced objective is exact to the MIP gap, like the plan's.

The re-solves share one time limit, the plan's own (Settings' Time limit): a hard MIP
with a hundred options would otherwise take a hundred times as long as the plan. Those
not started in time are left out with a note; each one started gets what time is left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo

from models.data import PlanData
from planner.engine import PlanSolver, Solved, Variant, VariantOutcome, interrupted, \
    solve_variant, start_plan_solver
from planner.handoff import run_highs
from planner.lp import PortableLP, Worker, start_worker
from planner.runner import run_all
from planner.solve import SolverOptions, Status, status_of

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


@dataclass(frozen=True)
class HeldMIP:
    """The plan's MIP as HiGHS held it, for re-solves with one option forced."""

    lp: PortableLP
    """The plan's LP, its commitments fixed."""
    columns: dict[str, int]
    """Each option's column."""
    lower: np.ndarray
    upper: np.ndarray
    integrality: np.ndarray
    """Every column's bounds and integrality as compiled (before anything was fixed)."""
    plan: np.ndarray
    """The plan's values of every column: the re-solves' starting point."""
    deadline: float
    """When the re-solves must end (``time.time()``, the same in every worker)."""
    mip_gap: float
    options: SolverOptions | None

    @cached_property
    def binaries(self) -> np.ndarray:
        """The binary options' columns."""
        return np.array(sorted(c for c in self.columns.values() if self.integrality[c]),
                        dtype=np.int32)


OUT_OF_TIME = "not re-solved: the option values' time limit (Settings' Time limit) ran out"


def held_mip(plan: Solved, solver: PlanSolver) -> HeldMIP | None:
    """The plan's MIP, None when HiGHS holds no optimal LP of the plan."""
    columns = plan.option_columns()
    if columns is None:
        return None
    return HeldMIP(plan.lp.portable(), columns, *plan.lp.compiled, plan.lp.col_value.copy(),
                   time.time() + solver.time_limit, solver.mip_gap, solver.options)


def start_held_mip(held: HeldMIP) -> tuple[Worker, HeldMIP]:
    """The plan's MIP in this process: the LP rebuilt with its basis, its options set free
    again (as continuous columns: each re-solve starts with the relaxation)."""
    worker = start_worker(held.lp)
    highs = worker.highs
    columns = np.array(sorted(held.columns.values()), dtype=np.int32)
    highs.changeColsBounds(len(columns), columns, held.lower[columns], held.upper[columns])
    highs.setOptionValue("mip_rel_gap", held.mip_gap)
    for name, value in (held.options or {}).items():
        highs.setOptionValue(name, value)
    return worker, held


def _whole(highs: highspy.Highs, binaries: np.ndarray) -> bool:
    """Whether HiGHS's solution has every column of ``binaries`` at a whole number, within
    HiGHS's own integrality tolerance."""
    values = np.asarray(highs.getSolution().col_value)[binaries]
    tolerance = highs.getOptionValue("mip_feasibility_tolerance")[1]
    return bool(np.all(np.abs(values - np.round(values)) <= tolerance))


def _result(highs: highspy.Highs, money: float) -> tuple[Status, float | None]:
    """The status and objective (workbook currency) of HiGHS's last run."""
    info = highs.getInfo()
    status, _ = status_of(highs.getModelStatus(), info.primal_solution_status == 2)
    return status, info.objective_function_value * money if status.has_plan else None


def _solve_mip(highs: highspy.Highs, held: HeldMIP, j: int, share: float
               ) -> tuple[Status, float | None]:
    """The MIP with option column ``j`` at ``share``, started from the plan, until the
    deadline; its binaries are made continuous again afterwards."""
    binaries = held.binaries
    highs.changeColsIntegrality(len(binaries), binaries, np.ones(len(binaries), dtype=np.uint8))
    start = highspy.HighsSolution()
    start.col_value = np.where(np.arange(len(held.plan)) == j, share, held.plan)
    start.value_valid = True
    highs.setSolution(start)
    highs.setOptionValue("time_limit", highs.getRunTime() + held.deadline - time.time())
    try:
        run_highs(highs)
        return _result(highs, held.lp.money)
    finally:
        highs.changeColsIntegrality(len(binaries), binaries,
                                    np.zeros(len(binaries), dtype=np.uint8))


def force(state: tuple[Worker, HeldMIP], task: tuple[str, float]) -> VariantOutcome:
    """The plan's MIP with option ``task[0]`` forced to the share ``task[1]``: its
    relaxation, warm from the plan's basis, then the MIP where the relaxation leaves a
    binary option in part."""
    worker, held = state
    left = held.deadline - time.time()
    if left <= 0:
        return VariantOutcome(Status.NO_SOLUTION, None, {}, 0.0, OUT_OF_TIME)
    highs, j = worker.highs, held.columns[task[0]]
    start_time = time.perf_counter()
    highs.changeColBounds(j, task[1], task[1])
    highs.setBasis(worker.basis)
    highs.setOptionValue("time_limit", highs.getRunTime() + left)  # HiGHS adds run times up
    try:
        run_highs(highs)
        status, objective = _result(highs, held.lp.money)
        if status is not Status.INFEASIBLE and not (
                status is Status.OPTIMAL and _whole(highs, held.binaries)):
            status, objective = _solve_mip(highs, held, j, task[1])
    finally:
        highs.changeColBounds(j, held.lower[j], held.upper[j])
    return VariantOutcome(status, objective, {}, time.perf_counter() - start_time)


def option_values(plan: Solved, data: PlanData, solver: PlanSolver,
                  on_done: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """One row per option: its share in the plan, the objective forced in and forced out,
    and the difference (forced out minus forced in: positive when taking it pays)."""
    share = {o.id: pyo.value(plan.model.v_option[o.id]) for o in data.options}
    known, tasks = _forced(plan, data)
    held = held_mip(plan, solver)
    if held is not None:
        outcomes: list[VariantOutcome] = run_all(
            force, tasks, start=start_held_mip, start_args=(held,), on_done=on_done,
            stop=interrupted)
    else:
        outcomes = run_all(solve_variant, [Variant(fixed={o: forced}) for o, forced in tasks],
                           start=start_plan_solver, start_args=(solver,), on_done=on_done,
                           stop=interrupted)
    status: dict[tuple[str, float], str] = {}
    for task, outcome in zip(tasks, outcomes):
        if outcome.status is not Status.OPTIMAL:
            status[task] = outcome.note or outcome.status.label
        known[task] = outcome.objective if outcome.status is Status.OPTIMAL else None
    rows = []
    for o in data.options:
        on, off = known[(o.id, 1.0)], known[(o.id, 0.0)]
        note = "; ".join(f"forced {'in' if forced else 'out'}: {status[(o.id, forced)]}"
                         for forced in (1.0, 0.0) if (o.id, forced) in status)
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
