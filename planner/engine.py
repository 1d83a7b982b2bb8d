"""A plan solved in internal units and handed back checked, in the workbook's units.

:func:`solve_plan` builds the model from the plan in internal units (:mod:`models.scaling`),
solves it with HiGHS, and for a mixed-integer plan fixes the commitments at the values
found and re-solves the linear program that remains, whose objective is compared with
the MIP's. Then the plan is checked
(:mod:`planner.check`): a plan that fails is reported with the status ``plan fails its
check``, never as optimal. Objective and bound leave here in the workbook's currency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pyomo.environ as pyo
from highspy import HighsModelStatus

from models.data import PlanData
from models.model import build_model
from models.scaling import ModelUnits, Scaling
from planner.check import TOLERANCE, PlanCheck, check_plan
from planner.handoff import Compiled
from planner.lp import HeldLP
from planner.solve import SolveResult, SolverOptions, Status, hand_off, run, strategy


@dataclass(frozen=True)
class Ranges:
    """Smallest and largest absolute nonzero coefficient of each part of the LP."""

    matrix: tuple[float, float] | None
    cost: tuple[float, float] | None
    bound: tuple[float, float] | None
    rhs: tuple[float, float] | None

    def __str__(self) -> str:
        def span(x: tuple[float, float] | None) -> str:
            return "none" if x is None else f"[{x[0]:.0e}, {x[1]:.0e}]"
        return (f"matrix {span(self.matrix)}, cost {span(self.cost)}, bound "
                f"{span(self.bound)}, RHS {span(self.rhs)}")


def _span(values: np.ndarray) -> tuple[float, float] | None:
    values = np.abs(values[np.isfinite(values)])
    values = values[values > 0]
    return (float(values.min()), float(values.max())) if values.size else None


def _ranges(compiled: Compiled, units: ModelUnits) -> tuple[Ranges, Ranges]:
    """Coefficient ranges of the matrix HiGHS held: (workbook units, internal units)."""
    lp = compiled.highs.getLp()
    col_unit = np.array([units.of(v) for v in compiled.columns])
    row_unit = np.array([units.of(c) for c in compiled.rows])
    a = lp.a_matrix_
    values = np.asarray(a.value_)
    column_of = np.repeat(np.arange(lp.num_col_), np.diff(np.asarray(a.start_)))
    cost = np.asarray(lp.col_cost_)
    bound = np.concatenate([np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)])
    rhs = np.concatenate([np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)])
    internal = Ranges(_span(values), _span(cost), _span(bound), _span(rhs))
    workbook = Ranges(
        _span(values * row_unit[np.asarray(a.index_)] / col_unit[column_of]),
        _span(cost * units.scaling.money / col_unit), _span(bound * np.tile(col_unit, 2)),
        _span(rhs * np.tile(row_unit, 2)))
    return workbook, internal


@dataclass(frozen=True)
class Solved:
    """A solved plan: the solve in the workbook's units, the model holding the plan (in
    internal units), and what was checked."""

    result: SolveResult
    model: pyo.ConcreteModel
    units: ModelUnits
    check: PlanCheck | None
    """None when no plan was found."""
    ranges: tuple[Ranges, Ranges] | None
    """Coefficient ranges of the model (workbook units, internal units)."""
    fixed_note: str
    """For a MIP: what the LP with the commitments fixed gave; otherwise empty."""
    lp: HeldLP | None = None
    """The plan's LP with its commitments fixed, as HiGHS holds it when that LP solved to
    optimality: its prices and warm re-solves serve every analysis (:mod:`planner.lp`)."""

    def option_columns(self) -> dict[str, int] | None:
        """Each option's column in :attr:`lp`; None when the LP is not held, or not whole."""
        if self.lp is None:
            return None
        columns = {o: self.lp.column(v) for o, v in self.model.v_option.items()}
        return None if None in columns.values() else columns


def build(data: PlanData, scaling: Scaling) -> pyo.ConcreteModel:
    """The model of ``data`` (workbook units) in the internal units of ``scaling``."""
    return build_model(scaling.apply(data))


def _in_workbook_units(result: SolveResult, money: float) -> SolveResult:
    return replace(result, objective=None if result.objective is None else
                   result.objective * money,
                   bound=None if result.bound is None else result.bound * money)


def commitments(data: PlanData, shares: dict[str, float]) -> dict[str, float]:
    """The options at ``shares`` (a solver's values) as a plan takes them: binaries whole or
    not at all, continuous ones within [0, 1] (a solver may stray by its tolerance)."""
    return {o.id: round(shares[o.id]) if o.binary else min(max(shares[o.id], 0.0), 1.0)
            for o in data.options}


def fix_options(model: pyo.ConcreteModel, shares: dict[str, float]) -> None:
    """Fix options at the given shares; a binary one becomes a fixed continuous variable,
    so that a model with every option fixed is a linear program (with duals)."""
    for option, share in shares.items():
        v = model.v_option[option]
        if v.is_binary():
            v.domain = pyo.UnitInterval
        v.fix(share)


def _fix_and_resolve(model: pyo.ConcreteModel, compiled: Compiled, solved: SolveResult,
                     time_limit: float, mip_gap: float, money: float,
                     options: SolverOptions | None,
                     on_log_line: Callable[[str], None] | None) -> tuple[SolveResult, str]:
    """Fix the binaries at the values found and re-solve the LP that HiGHS then holds; the
    LP's plan is reported when it solves, with what it changed.

    The LP starts from a basis that crossover builds from the MIP's plan, which is feasible
    and nearly optimal in it; the simplex finishes from there (the rule of :func:`strategy`
    is for an LP started cold). Measured on a generated plan of 200k variables in 20
    scenarios (HiGHS's own time): 5.9 s started cold, 1.3 s from the MIP's plan."""
    taken = {o: round(v.value) for o, v in model.v_option.items()
             if v.is_binary() and not v.fixed}
    plan = compiled.highs.getSolution()
    fix_options(model, taken)
    compiled.fix_integers(model.v_option[o] for o in taken)
    lp = _in_workbook_units(run(compiled, time_limit, mip_gap, on_log_line, options, plan),
                            money)
    if lp.status is not Status.OPTIMAL:
        return solved, (f"with the commitments fixed, the linear program ended {lp.status.label};"
                        " the MIP's plan is reported")
    difference = lp.objective - solved.objective
    note = "with the commitments fixed, the linear program gives the same objective"
    if abs(difference) > TOLERANCE * max(abs(solved.objective), money):
        note = (f"with the commitments fixed, the linear program gives {lp.objective:,.0f} "
                f"against the MIP's {solved.objective:,.0f} ({difference:+,.0f}); the "
                "linear program's plan is reported")
    gap = solved.gap
    if solved.bound is not None:
        gap = max(0.0, lp.objective - solved.bound) / max(abs(lp.objective), 1e-9)
    status, message = solved.status, solved.message
    if status is Status.OPTIMAL and gap is not None and gap > mip_gap + TOLERANCE:
        status, message = Status.FEASIBLE, f"{note}, {gap:.2%} above the MIP's bound"
    return replace(solved, status=status, message=message, objective=lp.objective, gap=gap,
                   seconds=solved.seconds + lp.seconds,
                   highs_seconds=solved.highs_seconds + lp.highs_seconds), note


def solve_plan(data: PlanData, scaling: Scaling, *, time_limit: float, mip_gap: float,
               fixed: dict[str, float] | None = None, reported: bool = False,
               options: SolverOptions | None = None) -> Solved:
    """Build, solve and check the plan ``data`` (workbook units) in the internal units of
    ``scaling``, quietly; ``fixed`` fixes options at the given shares; ``reported``: see
    :func:`solve_built` (a variant re-solved by an analysis is not)."""
    model = build(data, scaling)
    fix_options(model, fixed or {})
    return solve_built(model, data, scaling, time_limit=time_limit, mip_gap=mip_gap,
                       reported=reported, options=options)


def solve_built(model: pyo.ConcreteModel, data: PlanData, scaling: Scaling, *,
                time_limit: float, mip_gap: float,
                on_log_line: Callable[[str], None] | None = None,
                reported: bool = True, options: SolverOptions | None = None) -> Solved:
    """Solve and check ``model``, built by :func:`build` from ``data`` and ``scaling``;
    ``reported``: the plan the result describes, which keeps its coefficient ranges and its
    LP with the commitments fixed for the analyses (:attr:`Solved.ranges`, :attr:`Solved.lp`).
    A MIP is handed to HiGHS once: its binaries are then fixed in place."""
    units = ModelUnits(data, scaling)
    compiled = hand_off(model)
    if isinstance(compiled, SolveResult):
        return Solved(_in_workbook_units(compiled, scaling.money), model, units, None, None, "")
    ranges = _ranges(compiled, units) if reported else None
    result = run(compiled, time_limit, mip_gap, on_log_line,
                 strategy(compiled, len(data.scenarios), options))
    result = _in_workbook_units(replace(result, seconds=result.seconds + compiled.seconds),
                                scaling.money)
    if not result.status.has_plan:
        return Solved(result, model, units, None, ranges, "")
    note = ""
    if compiled.is_mip() and result.status in (Status.OPTIMAL, Status.FEASIBLE):
        result, note = _fix_and_resolve(model, compiled, result, time_limit, mip_gap,
                                        scaling.money, options, on_log_line)
    check = check_plan(model, data, units, result.objective)
    if check.not_finite:
        result = replace(result, status=Status.ERROR,
                         message=f"the solver returned a plan that {check.headline()}")
    elif not check.ok:
        result = replace(result, status=Status.VIOLATED,
                         message=f"the plan {check.headline()}: it is not reliable; see the "
                         "Summary's check, and consider giving the workbook's numbers in "
                         "units closer to each other (kt, USD million)")
    lp = None
    if reported and not compiled.is_mip() \
            and compiled.highs.getModelStatus() == HighsModelStatus.kOptimal:
        lp = HeldLP.of_compiled(compiled, scaling.money)
        lp.fix([v for v in model.v_option.values() if not v.fixed])
    return Solved(result, model, units, check, ranges, note, lp)


@dataclass(frozen=True)
class Variant:
    """One re-solve of a plan: its data changed (None: as it is), options fixed."""

    data: PlanData | None = None
    fixed: dict[str, float] | None = None


@dataclass(frozen=True)
class VariantOutcome:
    """What a re-solve gave, small enough to come back from a worker process."""

    status: Status
    objective: float | None
    readouts: dict[str, float]
    seconds: float
    """Wall time of the re-solve."""
    note: str = ""
    """Why the re-solve did not run, where it did not."""


def interrupted(outcome: VariantOutcome) -> bool:
    """A re-solve that Ctrl-C stopped (the runner's ``stop``: the rest are not started)."""
    return outcome.status in (Status.INTERRUPTED, Status.INTERRUPTED_NO_PLAN)


Readout = Callable[[pyo.ConcreteModel, PlanData, Scaling], dict[str, float]]
"""Figures read from a solved model (a module-level function, so workers can run it)."""


@dataclass(frozen=True)
class PlanSolver:
    """A plan and how to solve its variants: the state of a worker of :mod:`planner.runner`."""

    data: PlanData
    scaling: Scaling
    time_limit: float
    mip_gap: float
    readout: Readout | None = None
    options: SolverOptions | None = None
    """HiGHS options of every solve (``--solver-option``)."""


def start_plan_solver(solver: PlanSolver) -> PlanSolver:
    return solver


def solve_variant(solver: PlanSolver, variant: Variant) -> VariantOutcome:
    """Solve one variant of the plan (rebuilt: its data or commitments differ)."""
    data = variant.data or solver.data
    solved = solve_plan(data, solver.scaling, time_limit=solver.time_limit,
                        mip_gap=solver.mip_gap, fixed=variant.fixed, options=solver.options)
    readouts = {}
    if solved.result.status.has_plan and solver.readout is not None:
        readouts = solver.readout(solved.model, data, solver.scaling)
    return VariantOutcome(solved.result.status, solved.result.objective, readouts,
                          solved.result.seconds)
