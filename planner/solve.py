"""Solving a built model with HiGHS, returning a :class:`SolveResult` whatever happens.

The result's shape never depends on the outcome: infeasible, unbounded, a time limit
with or without a plan, solver errors and Ctrl-C are statuses, not exceptions.

Ctrl-C while HiGHS runs asks it to stop (see :class:`_CtrlC`): it stops at its next check,
keeping the best plan found so far, and the status is :attr:`Status.INTERRUPTED` (with
that plan) or :attr:`Status.INTERRUPTED_NO_PLAN`.
"""

from __future__ import annotations

import io
import logging
import math
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from importlib.metadata import version

import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs


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
    solver: str
    log: str


class _LineStream(io.TextIOBase):
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
    return f"HiGHS {version('highspy')} via Pyomo {version('pyomo')}"


def _status(termination: TerminationCondition, solution: SolutionStatus,
            ctrl_c: bool = False) -> tuple[Status, str]:
    """The outcome; ``ctrl_c``: Ctrl-C was pressed while HiGHS ran (Pyomo reports HiGHS's
    "interrupted by user" as ``unknown``)."""
    T = TerminationCondition
    if solution is SolutionStatus.optimal or (
            termination is T.convergenceCriteriaSatisfied and solution is SolutionStatus.feasible):
        return Status.OPTIMAL, "the plan is optimal"
    if termination is T.interrupted or (ctrl_c and termination is T.unknown):
        if solution is SolutionStatus.feasible:
            return Status.INTERRUPTED, ("the solver was stopped (Ctrl-C); the best plan found "
                                        "so far is reported")
        return Status.INTERRUPTED_NO_PLAN, "the solver was stopped (Ctrl-C) before it found a plan"
    if solution is SolutionStatus.feasible:
        why = {T.maxTimeLimit: "the time limit was reached"}.get(termination, termination.name)
        return Status.FEASIBLE, f"{why}; the best plan found so far is reported"
    if termination in (T.provenInfeasible, T.locallyInfeasible):
        return Status.INFEASIBLE, "no plan satisfies every hard constraint"
    if termination is T.infeasibleOrUnbounded:
        return Status.INFEASIBLE, "the model is infeasible or unbounded"
    if termination is T.unbounded:
        return Status.UNBOUNDED, "the cost can fall without limit (a cost or capacity is missing)"
    if termination in (T.maxTimeLimit, T.iterationLimit):
        return Status.NO_SOLUTION, f"the solver stopped ({termination.name}) before finding a plan"
    return Status.ERROR, (f"the solver reported {termination.name}: often numerical trouble "
                          "when costs, capacities or penalties differ by many orders of "
                          "magnitude; see the solver's log (without -q) and consider larger "
                          "units (kt, million USD) or a smaller unmet-demand penalty")


class _CtrlC(logging.Filter):
    """While installed, Ctrl-C asks HiGHS to stop instead of raising KeyboardInterrupt.

    Python runs a signal handler in the main thread between bytecodes; while HiGHS runs,
    that is inside the solver's callbacks, and a KeyboardInterrupt raised there turns
    into a solver error. So the handler only calls ``cancelSolve()`` on the highspy
    object Pyomo keeps (``_solver_model``): Pyomo's interface enables highspy's user
    interrupt, whose callback then stops HiGHS at its next check with the status
    "interrupted by user", keeping the best plan found so far. Before that object exists
    (Pyomo is still translating the model) the handler raises KeyboardInterrupt as usual.

    It is also a logging filter that drops Pyomo's warning about that status, which its
    interface does not map.
    """

    def __init__(self, solver: Highs) -> None:
        super().__init__()
        self.solver = solver
        self.pressed = False
        self._previous: object = None
        self._installed = False
        self._logger = logging.getLogger(Highs.__module__)

    def __call__(self, signum, frame) -> None:
        highs = getattr(self.solver, "_solver_model", None)
        if highs is None:
            raise KeyboardInterrupt
        self.pressed = True
        highs.cancelSolve()

    def filter(self, record: logging.LogRecord) -> bool:
        return "kInterrupt" not in record.getMessage()

    def __enter__(self) -> _CtrlC:
        # signal handlers can be set only in the main thread; an ignored Ctrl-C stays ignored
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            self._previous = signal.signal(signal.SIGINT, self)
            self._installed = True
        self._logger.addFilter(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeFilter(self)
        if self._installed:
            signal.signal(signal.SIGINT, self._previous
                          if self._previous is not None else signal.default_int_handler)


def solve(model: pyo.ConcreteModel, time_limit: float, mip_gap: float,
          on_log_line: Callable[[str], None] | None = None,
          inspect: Callable[[Highs], None] | None = None) -> SolveResult:
    """Solve ``model`` in place; variable values are loaded when a plan was found.
    ``inspect`` is called with the solver after a solve that returned (to read the matrix
    HiGHS held).

    Ctrl-C (SIGINT) while HiGHS runs stops it with the status INTERRUPTED (the best plan
    so far is loaded) or INTERRUPTED_NO_PLAN; before HiGHS has the model it raises
    KeyboardInterrupt.
    """
    stream = _LineStream(on_log_line)
    start = time.perf_counter()
    solver = Highs()
    try:
        with _CtrlC(solver) as ctrl_c:
            results = solver.solve(
                model, tee=[stream], time_limit=time_limit, rel_gap=mip_gap,
                load_solutions=False, raise_exception_on_nonoptimal_result=False)
    except Exception as exc:  # the solver interface has no narrower contract
        return SolveResult(Status.ERROR, f"the solver failed: {exc}", None, None, None,
                           time.perf_counter() - start, solver_name(), stream.text())
    seconds = time.perf_counter() - start
    status, message = _status(results.termination_condition, results.solution_status,
                              ctrl_c.pressed)
    objective = results.incumbent_objective if status.has_plan else None
    bound = results.objective_bound
    if bound is not None and not math.isfinite(bound):
        bound = None
    if status.has_plan:
        results.solution_loader.load_vars()
    if inspect is not None:
        inspect(solver)
    gap = None
    if objective is not None and bound is not None:
        gap = abs(objective - bound) / max(abs(objective), 1e-9)
    return SolveResult(status, message, objective, bound, gap, seconds, solver_name(),
                       stream.text())
