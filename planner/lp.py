"""The plan's linear program as HiGHS holds it, for prices and warm re-solves.

After a solve (for a MIP: after the commitments were fixed and the LP re-solved, see
:mod:`planner.engine`), HiGHS holds the linear program of the plan with its optimal basis.
Every analysis reads that one LP: the duals of its rows and the reduced costs of its
columns price each capacity; a few bounds changed and a warm dual-simplex re-solve from
the optimal basis answers "what if this node failed, this capacity grew", in
milliseconds where a rebuild would take the whole model's translation again.

:class:`HeldLP` is the LP in this process; :meth:`HeldLP.portable` is the same LP as plain
arrays, which worker processes rebuild (:func:`start_worker`) to re-solve in parallel.
All values are in the model's internal units; :attr:`money` turns an objective into the
workbook's currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import highspy
import numpy as np

from planner.handoff import INFINITY, Compiled, quiet_highs, run_highs



@dataclass(frozen=True)
class Change:
    """Bounds and costs to change for one re-solve, by index into the LP; every change is
    undone afterwards."""

    columns: tuple[tuple[int, float, float], ...] = ()
    """(column, lower, upper)."""
    rows: tuple[tuple[int, float, float], ...] = ()
    """(row, lower, upper)."""
    costs: tuple[tuple[int, float], ...] = ()
    """(column, cost)."""


@dataclass(frozen=True)
class Outcome:
    """What one re-solve gave: objective in the workbook's currency, readouts as weighted
    sums of the columns' values (see :meth:`HeldLP.portable`)."""

    optimal: bool
    status: str
    objective: float | None
    readouts: dict[str, float] = field(default_factory=dict)
    infeasible: bool = False
    """The re-solve proved that no plan satisfies the change."""


Readouts = Mapping[str, tuple[np.ndarray, np.ndarray]]
"""Name -> (column indices, weights): each re-solve reports sum(weight * value)."""


def _status(highs: highspy.Highs) -> tuple[bool, str, bool]:
    """(optimal, HiGHS's words for the status, proven infeasible)."""
    status = highs.getModelStatus()
    return (status == highspy.HighsModelStatus.kOptimal, highs.modelStatusToString(status),
            status == highspy.HighsModelStatus.kInfeasible)


class HeldLP:
    """The LP HiGHS holds after a solve, with where each model variable and row sits."""

    def __init__(self, highs: highspy.Highs, columns: dict[int, int], rows: dict,
                 money: float, compiled: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        self.highs = highs
        self.compiled = compiled
        """The columns' lower and upper bounds and integrality as compiled, before any
        commitment was fixed."""
        self._columns = columns
        """id(Pyomo variable) -> column."""
        self._rows = rows
        """Pyomo constraint data -> row."""
        self.money = money
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("time_limit", INFINITY)  # HiGHS adds run times up across runs
        highs.setOptionValue("solver", "choose")  # warm re-solves: dual simplex from the basis
        self._capture()

    def _capture(self) -> None:
        """Keep the bounds, costs and optimal solution now held, to restore and report."""
        lp, solution = self.highs.getLp(), self.highs.getSolution()
        self.col_lower = np.asarray(lp.col_lower_)
        self.col_upper = np.asarray(lp.col_upper_)
        self.row_lower = np.asarray(lp.row_lower_)
        self.row_upper = np.asarray(lp.row_upper_)
        self.col_cost = np.asarray(lp.col_cost_)
        self.row_dual = np.asarray(solution.row_dual)
        self.col_dual = np.asarray(solution.col_dual)
        """Prices of the optimal basis, internal units; for a minimisation a binding upper
        limit has a price <= 0: raising it by one changes the objective by that price."""
        self.col_value = np.asarray(solution.col_value)
        self.optimal = _status(self.highs)[0]
        self.objective = self.highs.getInfo().objective_function_value * self.money
        self.basis = self.highs.getBasis()

    def fix(self, variables) -> None:
        """Fix ``variables`` (Pyomo variables the LP holds) at their values and re-solve:
        the LP then has its commitments fixed, and prices to match."""
        for v in variables:
            j = self._columns[id(v)]
            self.highs.changeColBounds(j, self.col_value[j], self.col_value[j])
        run_highs(self.highs)
        self._capture()

    @classmethod
    def of_compiled(cls, compiled: Compiled, money: float) -> HeldLP:
        """The LP HiGHS holds after a solve of ``compiled``."""
        return cls(compiled.highs, compiled.column_of, compiled.row_of, money,
                   (compiled.col_lower, compiled.col_upper, compiled.integrality))

    def column(self, var) -> int | None:
        """The column of a Pyomo variable, None if the LP does not hold it."""
        return self._columns.get(id(var))

    def row(self, con) -> int | None:
        """The row of a Pyomo constraint, None if the LP does not hold it."""
        return self._rows.get(con)

    def resolve(self, change: Change, readouts: Readouts | None = None) -> Outcome:
        """Apply ``change``, re-solve warm from the optimal basis, read, undo (the basis
        too, so that every re-solve starts from the same one, in any order)."""
        return _resolve(self.highs, self.basis, change, readouts or {}, self.money,
                        (self.col_lower, self.col_upper, self.row_lower, self.row_upper,
                         self.col_cost))

    def portable(self, readouts: Readouts | None = None) -> PortableLP:
        """The LP, its optimal basis and ``readouts`` as plain arrays (picklable)."""
        lp = self.highs.getLp()
        a = lp.a_matrix_
        return PortableLP(
            lp.num_col_, lp.num_row_, int(a.format_), int(lp.sense_ == highspy.ObjSense.kMaximize),
            float(lp.offset_), self.col_cost.copy(), self.col_lower.copy(),
            self.col_upper.copy(), self.row_lower.copy(), self.row_upper.copy(),
            np.asarray(a.start_, dtype=np.int32), np.asarray(a.index_, dtype=np.int32),
            np.asarray(a.value_), _statuses(self.basis.col_status),
            _statuses(self.basis.row_status), self.money,
            dict(readouts or {}))


@dataclass(frozen=True)
class PortableLP:
    """An LP, a basis and readouts, as arrays a worker rebuilds."""

    num_col: int
    num_row: int
    matrix_format: int
    maximise: int
    offset: float
    col_cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    a_start: np.ndarray
    a_index: np.ndarray
    a_value: np.ndarray
    col_status: np.ndarray
    row_status: np.ndarray
    money: float
    readouts: dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass
class Worker:
    """A worker's own HiGHS, rebuilt from a :class:`PortableLP`."""

    highs: highspy.Highs
    basis: highspy.HighsBasis
    lp: PortableLP


def start_worker(lp: PortableLP) -> Worker:
    """Rebuild ``lp`` in this process, with its basis, quiet."""
    highs = quiet_highs()
    highs.passModel(
        lp.num_col, lp.num_row, len(lp.a_value), lp.matrix_format,
        int(highspy.ObjSense.kMaximize if lp.maximise else highspy.ObjSense.kMinimize),
        lp.offset, lp.col_cost, lp.col_lower, lp.col_upper, lp.row_lower, lp.row_upper,
        lp.a_start, lp.a_index, lp.a_value, np.zeros(lp.num_col, dtype=np.int32))
    basis = highspy.HighsBasis()
    basis.col_status = [highspy.HighsBasisStatus(int(s)) for s in lp.col_status]
    basis.row_status = [highspy.HighsBasisStatus(int(s)) for s in lp.row_status]
    basis.valid = True
    highs.setBasis(basis)
    return Worker(highs, basis, lp)


def resolve_in_worker(worker: Worker, change: Change) -> Outcome:
    """:meth:`HeldLP.resolve` in a worker process."""
    lp = worker.lp
    return _resolve(worker.highs, worker.basis, change, lp.readouts, lp.money,
                    (lp.col_lower, lp.col_upper, lp.row_lower, lp.row_upper, lp.col_cost))


def _statuses(statuses) -> np.ndarray:
    return np.array([int(s) for s in statuses], dtype=np.int8)


def _resolve(highs: highspy.Highs, basis: highspy.HighsBasis, change: Change,
             readouts: Readouts, money: float, original: tuple[np.ndarray, ...]) -> Outcome:
    col_lower, col_upper, row_lower, row_upper, col_cost = original
    for j, lower, upper in change.columns:
        highs.changeColBounds(j, lower, upper)
    for i, lower, upper in change.rows:
        highs.changeRowBounds(i, lower, upper)
    for j, cost in change.costs:
        highs.changeColCost(j, cost)
    try:
        run_highs(highs)
        optimal, status, infeasible = _status(highs)
        if not optimal:
            return Outcome(False, status, None, infeasible=infeasible)
        values = np.asarray(highs.getSolution().col_value)
        return Outcome(True, status, highs.getInfo().objective_function_value * money,
                       {name: float(values[index] @ weight)
                        for name, (index, weight) in readouts.items()})
    finally:
        for j, _, _ in change.columns:
            highs.changeColBounds(j, col_lower[j], col_upper[j])
        for i, _, _ in change.rows:
            highs.changeRowBounds(i, row_lower[i], row_upper[i])
        for j, _ in change.costs:
            highs.changeColCost(j, col_cost[j])
        highs.setBasis(basis)
