"""Solving a built model with HiGHS, returning a :class:`SolveResult` whatever happens.

The result's shape never depends on the outcome: infeasible, unbounded, a time limit
with or without a plan, solver errors and Ctrl-C are statuses, not exceptions.

Ctrl-C while HiGHS runs asks it to stop (see :class:`_CtrlC`): it stops at its next check,
keeping the best plan found so far, and the status is :attr:`Status.INTERRUPTED` (with
that plan) or :attr:`Status.INTERRUPTED_NO_PLAN`.
"""

from __future__ import annotations

import io
import math
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from importlib.metadata import version

import highspy
import pyomo.environ as pyo
from highspy import HighsModelStatus
from pyomo.common.errors import InfeasibleConstraintException

from planner.handoff import Compiled, compile_model, quiet_highs, run_highs


class Status(Enum):
    """Outcome of a solve; ``exit_code`` is what ``plan solve`` exits with."""

    OPTIMAL = ("optimal", 0)
    FEASIBLE = ("feasible, not proven optimal", 8)
    INFEASIBLE = ("infeasible", 5)
    UNBOUNDED = ("unbounded", 6)
    NO_SOLUTION = ("stopped without a plan", 7)
    ERROR = ("solver error", 9)
    VIOLATED = ("plan fails its check", 10)
    INTERRUPTED = ("interrupted", 130)
    INTERRUPTED_NO_PLAN = ("interrupted before any plan was found", 130)

    def __init__(self, label: str, exit_code: int) -> None:
        self.label = label
        self.exit_code = exit_code

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE, Status.VIOLATED, Status.INTERRUPTED)


@dataclass(frozen=True)
class SolveResult:
    status: Status
    message: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    """Wall time of the solve, the hand-off to HiGHS included."""
    highs_seconds: float
    """HiGHS's own run time."""
    solver: str
    log: str


class LineStream(io.TextIOBase):
    """A text stream that keeps everything written and hands each full line on."""

    def __init__(self, on_line: Callable[[str], None] | None) -> None:
        self.parts: list[str] = []
        self._pending = ""
        self._on_line = on_line

    def write(self, text: str) -> int:
        self.parts.append(text)
        if self._on_line:
            *lines, self._pending = (self._pending + text).split("\n")
            for line in lines:
                self._on_line(line)
        return len(text)

    def text(self) -> str:
        return "".join(self.parts)


def solver_name() -> str:
    return f"HiGHS {version('highspy')}, model by Pyomo {version('pyomo')}"


def status_of(model_status: HighsModelStatus, has_plan: bool, ctrl_c: bool = False
            ) -> tuple[Status, str]:
    """The outcome of HiGHS's ``model_status``; ``has_plan``: HiGHS holds a feasible plan;
    ``ctrl_c``: Ctrl-C was pressed while HiGHS ran."""
    M = HighsModelStatus
    if model_status in (M.kOptimal, M.kModelEmpty):
        return Status.OPTIMAL, "the plan is optimal"
    if model_status == M.kInterrupt or (ctrl_c and model_status == M.kUnknown):
        if has_plan:
            return Status.INTERRUPTED, ("the solver was stopped (Ctrl-C); the best plan found "
                                        "so far is reported")
        return Status.INTERRUPTED_NO_PLAN, "the solver was stopped (Ctrl-C) before it found a plan"
    limit = {M.kTimeLimit: "the time limit was reached",
             M.kIterationLimit: "the iteration limit was reached",
             M.kSolutionLimit: "the solution limit was reached",
             M.kObjectiveBound: "the objective bound was reached",
             M.kObjectiveTarget: "the objective target was reached"}.get(model_status)
    if has_plan and model_status not in (M.kInfeasible, M.kUnboundedOrInfeasible, M.kUnbounded):
        why = limit or f"the solver ended with '{model_status.name[1:]}'"
        return Status.FEASIBLE, f"{why}; the best plan found so far is reported"
    if model_status == M.kInfeasible:
        return Status.INFEASIBLE, "no plan satisfies every hard constraint"
    if model_status == M.kUnboundedOrInfeasible:
        return Status.INFEASIBLE, "the model is infeasible or unbounded"
    if model_status == M.kUnbounded:
        return Status.UNBOUNDED, "the cost can fall without limit (a cost or capacity is missing)"
    if limit:
        return Status.NO_SOLUTION, f"the solver stopped ({limit}) before finding a plan"
    return Status.ERROR, (f"the solver reported '{model_status.name[1:]}': often numerical "
                          "trouble when costs, capacities or penalties differ by many orders "
                          "of magnitude; see the solver's log (without -q) and consider larger "
                          "units (kt, million USD) or a smaller unmet-demand penalty")


class _CtrlC:
    """While installed, Ctrl-C asks HiGHS to stop instead of raising KeyboardInterrupt.

    Python runs a signal handler in the main thread between bytecodes; while HiGHS runs,
    that is inside the solver's callbacks, and a KeyboardInterrupt raised there turns
    into a solver error. So while HiGHS runs the handler only calls ``cancelSolve()``:
    with highspy's user interrupt enabled, its callback then stops HiGHS at its next
    check with the status "interrupted by user", keeping the best plan found so far.
    Before HiGHS runs (the model is still being compiled) it raises KeyboardInterrupt.
    """

    def __init__(self, highs: highspy.Highs) -> None:
        self.highs = highs
        self.running = False
        self.pressed = False
        self._previous: object = None
        self._installed = False

    def __call__(self, signum, frame) -> None:
        if not self.running:
            raise KeyboardInterrupt
        self.pressed = True
        self.highs.cancelSolve()

    def __enter__(self) -> _CtrlC:
        # signal handlers can be set only in the main thread; an ignored Ctrl-C stays ignored
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            self._previous = signal.signal(signal.SIGINT, self)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous
                          if self._previous is not None else signal.default_int_handler)


SolverOptions = Mapping[str, str]
"""HiGHS options by name, as text (``--solver-option KEY=VALUE``)."""


def option_problems(options: SolverOptions) -> list[str]:
    """What is wrong with ``options``: each one HiGHS does not know or cannot take."""
    highs = quiet_highs()
    problems = []
    for name, value in options.items():
        if highs.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            problems.append(f"HiGHS has no option {name!r} that takes {value!r}; see HiGHS's "
                            "list of options (for example presolve=off, solver=ipm, "
                            "mip_heuristic_effort=0.1)")
    return problems


def _set_options(highs: highspy.Highs, time_limit: float, mip_gap: float,
                 options: SolverOptions, log: Callable[[str], None]) -> None:
    highs.setOptionValue("output_flag", True)
    highs.setOptionValue("log_to_console", False)
    highs.cbLogging += lambda event: log(event.message)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("mip_rel_gap", float(mip_gap))
    for name, value in options.items():
        highs.setOptionValue(name, value)
    highs.HandleUserInterrupt = True


IPX_ROWS_PER_SCENARIO = 20_000
"""Above this many rows per scenario, a linear program started cold is solved by interior
point (IPX, with crossover for a basis and duals) rather than dual simplex. Measured here
on the priced LP of generated plans solved cold (HiGHS's own time, dual simplex against
IPX): 1.0 s against 2.1 s at 2,000 rows a scenario (50k columns, 10 scenarios), 7.9 s
against 16.6 s at 3,800 (200k columns, 20 scenarios), 63 s against 304 s at 3,790 (1M
columns, 100 scenarios), 75.7 s against 20.2 s at 72,000 (200k columns, 1 scenario)."""


def strategy(compiled: Compiled, scenarios: int, options: SolverOptions | None
             ) -> dict[str, str]:
    """The HiGHS options for a run on ``compiled``: interior point for a linear program
    with more than :data:`IPX_ROWS_PER_SCENARIO` rows a scenario; ``options`` (the user's)
    win."""
    chosen = {}
    if not compiled.is_mip() and len(compiled.rows) > IPX_ROWS_PER_SCENARIO * scenarios:
        chosen["solver"] = "ipm"
    return {**chosen, **(options or {})}


def hand_off(model: pyo.ConcreteModel) -> Compiled | SolveResult:
    """``model`` as HiGHS holds it, or the result that it cannot hold (a constraint whose
    variables are all fixed at values that break it)."""
    start = time.perf_counter()
    highs = quiet_highs()
    try:
        with _CtrlC(highs):  # HiGHS is not running: Ctrl-C raises KeyboardInterrupt
            return compile_model(model, highs)
    except InfeasibleConstraintException as exc:
        return SolveResult(Status.INFEASIBLE, f"no plan satisfies every hard constraint: {exc}",
                           None, None, None, time.perf_counter() - start, 0.0, solver_name(), "")


def run(compiled: Compiled, time_limit: float, mip_gap: float,
        on_log_line: Callable[[str], None] | None = None,
        options: SolverOptions | None = None, crossover_from: highspy.HighsSolution | None = None
        ) -> SolveResult:
    """Run HiGHS on ``compiled``; its variables' values are loaded when a plan was found.
    ``options`` are HiGHS options set after the time limit and the gap. ``crossover_from``:
    a point of a linear program from which HiGHS's crossover first builds a basis for the
    simplex to start from (a MIP's plan, for the LP left with its integers fixed).

    Ctrl-C (SIGINT) while HiGHS runs stops it with the status INTERRUPTED (the best plan
    so far is loaded) or INTERRUPTED_NO_PLAN.
    """
    stream = LineStream(on_log_line)
    start = time.perf_counter()
    highs = compiled.highs
    before = highs.getRunTime()
    with _CtrlC(highs) as ctrl_c:
        _set_options(highs, time_limit, mip_gap, options or {}, stream.write)
        ctrl_c.running = True
        try:
            if crossover_from is not None:
                highs.crossover(crossover_from)
            run_highs(highs)
        except Exception as exc:  # highspy has no narrower contract
            return SolveResult(Status.ERROR, f"the solver failed: {exc}", None, None, None,
                               time.perf_counter() - start, highs.getRunTime() - before,
                               solver_name(), stream.text())
        finally:
            ctrl_c.running = False
            highs.setOptionValue("output_flag", False)
            highs.cbLogging.clear()
    info = highs.getInfo()
    status, message = status_of(highs.getModelStatus(), info.primal_solution_status == 2,
                              ctrl_c.pressed)
    objective = info.objective_function_value if status.has_plan else None
    bound = None
    if compiled.is_mip():
        bound = info.mip_dual_bound if math.isfinite(info.mip_dual_bound) else None
    elif status is Status.OPTIMAL:
        bound = objective
    if status.has_plan:
        compiled.load()
    gap = None
    if objective is not None and bound is not None:
        gap = abs(objective - bound) / max(abs(objective), 1e-9)
    return SolveResult(status, message, objective, bound, gap, time.perf_counter() - start,
                       highs.getRunTime() - before, solver_name(), stream.text())


def solve(model: pyo.ConcreteModel, time_limit: float, mip_gap: float,
          on_log_line: Callable[[str], None] | None = None,
          options: SolverOptions | None = None) -> SolveResult:
    """:func:`hand_off` ``model`` and :func:`run` HiGHS on it; ``seconds`` counts both."""
    compiled = hand_off(model)
    if isinstance(compiled, SolveResult):
        return compiled
    result = run(compiled, time_limit, mip_gap, on_log_line, options)
    return replace(result, seconds=result.seconds + compiled.seconds)
