"""The whole path from an input workbook to a solved plan, as one call.

``xlsx -> raw tables -> validation -> PlanData -> Pyomo model -> SolveResult -> PlanResult``;
the CLI wraps it with progress and the report, and tests call it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from pyomo.common.gc_manager import PauseGC

from models.data import PlanData
from models.scaling import Scaling
from planner.analysis import Analyses
from planner.analysis.bottlenecks import bottlenecks
from planner.analysis.exposure import exposure, planned_solves
from planner.analysis.options import option_values, resolves
from planner.analysis.risk import ValueOfInformation, value_of_information
from planner.analysis.scenarios import against_base
from planner.analysis.sweep import Parameter, Sweep, bisections, sweep
from planner.convert import Origins, origins, to_plan_data
from planner.engine import PlanSolver, Solved, build, fix_options, solve_built
from planner.infeasibility import Explanation, explain
from planner.results import PlanResult, extract
from planner.solve import SolveResult, SolverOptions, Status, solver_name
from planner.unserved import unserved_demand
from planner.validate import Validation, validate
from planner.workbook import read_workbook

class Step:
    """What entering a phase gives: ``step(done, total)`` reports progress through many
    solves; ``step.fail()`` marks the step as failed (a plan that fails its check)."""

    failed = False

    def __call__(self, done: int, total: int) -> None:
        pass

    def fail(self) -> None:
        self.failed = True


Phase = Callable[[str], AbstractContextManager]
"""A named step; entering it gives a :class:`Step`."""


@dataclass(frozen=True)
class Run:
    """What one run produced; later fields are None where an earlier step stopped it."""

    validation: Validation
    data: PlanData | None = None
    solved: SolveResult | None = None
    result: PlanResult | None = None
    information: ValueOfInformation | None = None
    """WS, EEV, EVPI and VSS, for a plan with more than one scenario."""
    explanation: Explanation | None = None
    """Why no plan exists, when the plan is infeasible."""
    plan: Solved | None = None
    """The solve itself: its check, coefficient ranges and the model holding the plan."""
    unserved: pd.DataFrame | None = None
    """Demand left unmet outside stress scenarios, and why (:mod:`planner.unserved`)."""
    origins: Origins | None = None
    """The sheet row behind every entity of the plan."""
    analyses: Analyses = Analyses()
    """Bottlenecks and option values (an optimal plan), scenarios against the base."""


def _quiet(_: str) -> AbstractContextManager:
    return nullcontext(Step())


def check_workbook(path: Path, phase: Phase = _quiet) -> Validation:
    """Read and validate ``path``; raises :class:`~planner.workbook.InputFileError`.

    Python's cycle collector is paused meanwhile: the cells make a million small objects
    and no cycles, and its passes over them took a third of the time."""
    with phase(f"Reading and checking {path.name}"), PauseGC():
        return validate(read_workbook(path))


def solve_workbook(path: Path, *, time_limit: float | None = None, mip_gap: float | None = None,
                   phase: Phase = _quiet, on_log_line: Callable[[str], None] | None = None,
                   options: SolverOptions | None = None, engine: str = "ef") -> Run | None:
    """Check, build and solve the workbook at ``path``; settings given here win; ``options``
    are HiGHS's, for every solve. ``engine``: ``ef``, the extensive form, or ``ph``,
    progressive hedging on the ranks of ``mpiexec``, whose first stage is then evaluated
    exactly in the extensive form (:mod:`planner.engines.ph`; None on every rank but 0;
    raises :class:`~planner.engines.ph.EngineError`)."""
    v = check_workbook(path, phase)
    if not v.ok:
        return Run(v)
    data, rows = to_plan_data(v), origins(v)
    scaling = Scaling.choose(data)
    limit = float(v.settings["Time limit"]) if time_limit is None else time_limit
    gap = float(v.settings["MIP gap"]) if mip_gap is None else mip_gap
    hedged = None
    if engine == "ph":
        from planner.engines.ph import hedge
        with phase(f"Progressive hedging over {len(data.scenarios)} scenarios"):
            hedged = hedge(data, scaling, time_limit=limit, mip_gap=gap, options=options,
                           on_line=on_log_line or (lambda _: None))
        if hedged is None:
            return None
    with phase("Building the model") as step, PauseGC():  # as in check_workbook
        try:
            model = build(data, scaling)
        except Exception as exc:  # Pyomo raises many types: a result to explain, not a traceback
            step.fail()
            return Run(v, data, SolveResult(
                Status.ERROR, f"the model could not be built ({type(exc).__name__}: {exc}); "
                "the workbook passed validation, so this is the planner's fault: please report "
                "it with the workbook", None, None, None, 0.0, 0.0, solver_name(), ""),
                origins=rows)
    with phase("Solving with HiGHS and checking the plan" if hedged is None else
               "Evaluating its plan in every scenario and checking it") as step:
        if hedged is not None:
            fix_options(model, hedged.first_stage)
        plan = solve_built(model, data, scaling, time_limit=limit, mip_gap=gap,
                           on_log_line=on_log_line, options=options)
        if hedged is not None:
            plan = hedged.bounding(plan, gap)
        if plan.check is not None and not plan.check.ok:
            step.fail()
    solved = plan.result
    if solved.status is Status.INFEASIBLE:
        with phase("Finding why no plan exists"):
            return Run(v, data, solved, explanation=explain(model, data, rows), plan=plan,
                       origins=rows)
    if not solved.status.has_plan:
        return Run(v, data, solved, plan=plan, origins=rows)
    result = extract(model, data, scaling)
    currency = str(v.settings["Currency"])
    unserved = None
    if (result.demand["Unmet"] > 0).any():
        with phase("Finding why demand goes unmet"):
            unserved = unserved_demand(plan, data, result)
    found, notes, information = {}, [], None
    if len(data.scenarios) > 1:
        found["against_base"] = against_base(result, currency)
    if solved.status is Status.OPTIMAL:
        solver = PlanSolver(data, scaling, limit, gap, options=options)
        with phase("Pricing every capacity (and 5 re-solves)"):
            found["bottlenecks"] = bottlenecks(plan, data, rows, currency)
        if data.options and hedged is not None:
            notes.append("Option values: not computed under --engine ph (each is a solve of "
                         "the whole stochastic plan); solve with --engine ef for them")
        elif data.options:
            found["option_values"] = _interruptible("Option values", notes, lambda: _with_phase(
                phase, f"Option values ({resolves(plan, data)} re-solves)",
                lambda progress: option_values(plan, data, solver, progress)))
        if len(data.scenarios) > 1:
            information = _interruptible("Value of information", notes, lambda:
                                         value_of_information(data, solved.objective, solver,
                                                              phase, plan))
    return Run(v, data, solved, result, information, plan=plan, unserved=unserved,
               origins=rows, analyses=Analyses(**found, notes=tuple(notes)))


def _with_phase(phase: Phase, name: str, work: Callable):
    with phase(name) as progress:
        return work(progress)


CTRL_C = "(Ctrl-C)"
"""The end of every note of an analysis that Ctrl-C stopped, or left undone."""


def _interruptible(name: str, notes: list[str], work: Callable):
    """``work()``, or None with a note when Ctrl-C stops it or stopped an analysis before
    (a note of :data:`CTRL_C`; other notes say why an analysis was not run)."""
    if any(note.endswith(CTRL_C) for note in notes):
        notes.append(f"{name}: not computed, an earlier analysis was interrupted {CTRL_C}")
        return None
    try:
        return work()
    except KeyboardInterrupt:
        notes.append(f"{name}: not computed, interrupted {CTRL_C}")
        return None


def expose(run: Run, phase: Phase = _quiet) -> Run:
    """``run`` with the risk exposure of its plan (an optimal plan; else unchanged)."""
    if run.solved is None or run.solved.status is not Status.OPTIMAL or run.plan.lp is None:
        return run
    currency = str(run.validation.settings["Currency"])
    notes = list(run.analyses.notes)
    found = _interruptible("Exposure", notes, lambda: _with_phase(
        phase, f"Exposure: every node out for its time to recover (up to "
        f"{planned_solves(run.data):,} warm re-solves)",
        lambda progress: exposure(run.plan, run.data, run.origins, currency, progress)))
    if found is None and len(notes) == len(run.analyses.notes):
        notes.append("Exposure: not computed, the plan's linear program does not solve with "
                     "the stress scenarios' caps lifted")
    return replace(run, analyses=replace(run.analyses, exposure=found, notes=tuple(notes)))


class SweepError(ValueError):
    """The sweep asked for cannot run: the message says why and what to give instead."""


def sweep_workbook(path: Path, parameter: Parameter, values: list[float], tolerance: float,
                   *, time_limit: float | None = None, mip_gap: float | None = None,
                   phase: Phase = _quiet, options: SolverOptions | None = None
                   ) -> tuple[Validation, Sweep | None]:
    """Check the workbook at ``path`` and sweep ``parameter`` over ``values``; raises
    :class:`SweepError` when the parameter names nothing in it."""
    v = check_workbook(path, phase)
    if not v.ok:
        return v, None
    data = to_plan_data(v)
    spelt = parameter.in_workbook(data)
    if spelt is None:
        raise SweepError(parameter.problem(data))
    parameter = spelt
    solver = PlanSolver(data, Scaling.choose(data),
                        float(v.settings["Time limit"]) if time_limit is None else time_limit,
                        float(v.settings["MIP gap"]) if mip_gap is None else mip_gap,
                        options=options)
    with phase(f"Sweeping the {parameter}: {len(values)} solves, then up to "
               f"{bisections(values, tolerance)} for each breakeven") as progress:
        found = sweep(data, solver, parameter, values, tolerance, progress)
    return v, found
