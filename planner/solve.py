"""Solving a built model with HiGHS, returning a :class:`SolveResult` whatever happens.

The result's shape never depends on the outcome: infeasible, unbounded, a time limit
with or without a plan, and solver errors are statuses, not exceptions.
"""

from __future__ import annotations

import io
import math
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

    def __init__(self, label: str, exit_code: int) -> None:
        self.label = label
        self.exit_code = exit_code

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


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


def _status(termination: TerminationCondition, solution: SolutionStatus) -> tuple[Status, str]:
    T = TerminationCondition
    if solution is SolutionStatus.optimal or (
            termination is T.convergenceCriteriaSatisfied and solution is SolutionStatus.feasible):
        return Status.OPTIMAL, "the plan is optimal"
    if solution is SolutionStatus.feasible:
        why = {T.maxTimeLimit: "the time limit was reached",
               T.interrupted: "the solve was interrupted"}.get(termination, termination.name)
        return Status.FEASIBLE, f"{why}; the best plan found so far is reported"
    if termination in (T.provenInfeasible, T.locallyInfeasible):
        return Status.INFEASIBLE, "no plan satisfies every hard constraint"
    if termination is T.infeasibleOrUnbounded:
        return Status.INFEASIBLE, "the model is infeasible or unbounded"
    if termination is T.unbounded:
        return Status.UNBOUNDED, "the cost can fall without limit (a cost or capacity is missing)"
    if termination in (T.maxTimeLimit, T.iterationLimit, T.interrupted):
        return Status.NO_SOLUTION, f"the solver stopped ({termination.name}) before finding a plan"
    return Status.ERROR, f"the solver reported {termination.name}"


def solve(model: pyo.ConcreteModel, time_limit: float, mip_gap: float,
          on_log_line: Callable[[str], None] | None = None) -> SolveResult:
    """Solve ``model`` in place; variable values are loaded when a plan was found."""
    stream = _LineStream(on_log_line)
    start = time.perf_counter()
    try:
        results = Highs().solve(
            model, tee=[stream], time_limit=time_limit, rel_gap=mip_gap,
            load_solutions=False, raise_exception_on_nonoptimal_result=False)
    except Exception as exc:  # the solver interface has no narrower contract
        return SolveResult(Status.ERROR, f"the solver failed: {exc}", None, None, None,
                           time.perf_counter() - start, solver_name(), stream.text())
    seconds = time.perf_counter() - start
    status, message = _status(results.termination_condition, results.solution_status)
    objective = results.incumbent_objective if status.has_plan else None
    bound = results.objective_bound
    if bound is not None and not math.isfinite(bound):
        bound = None
    if status.has_plan:
        results.solution_loader.load_vars()
    gap = None
    if objective is not None and bound is not None:
        gap = abs(objective - bound) / max(abs(objective), 1e-9)
    return SolveResult(status, message, objective, bound, gap, seconds, solver_name(),
                       stream.text())
