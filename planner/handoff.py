"""The model handed to HiGHS as matrices: Pyomo's standard-form compiler, then highspy.

Pyomo's :class:`~pyomo.repn.plugins.standard_form.LinearStandardFormCompiler` walks the
model once and returns its rows as a sparse matrix (fixed variables moved to the
right-hand side, unused ones left out); :func:`compile_model` passes that matrix, the
costs, the variables' bounds and which are integer to a highspy object in one call, and
keeps which Pyomo variable and constraint each column and row is. This is the same linear
program Pyomo's own HiGHS interface builds term by term (``tests/test_handoff.py`` proves
the matrices equal), in about half its time.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from functools import cached_property

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

INFINITY = highspy.kHighsInf


@dataclass
class HighsTime:
    """HiGHS's own run time, over every run in this process (and, through
    :mod:`planner.runner`, in its workers)."""

    seconds: float = 0.0
    runs: int = 0

    def add(self, seconds: float, runs: int = 1) -> None:
        self.seconds += seconds
        self.runs += runs


HIGHS_TIME = HighsTime()
HIGHS_THREADS = 0
"""Threads for HiGHS in this process (HiGHS's ``threads`` option; 0: its own choice). A
worker of :mod:`planner.runner` sets its share of the cores."""


def run_highs(highs: highspy.Highs) -> float:
    """``highs.run()``, counted in :data:`HIGHS_TIME`; HiGHS's own time for it."""
    before = highs.getRunTime()
    try:
        highs.run()
    finally:
        spent = highs.getRunTime() - before
        HIGHS_TIME.add(spent)
    return spent


def quiet_highs() -> highspy.Highs:
    """A highspy object that prints nothing (HiGHS prints a banner when its first object
    is made, on the C side: standard output is closed meanwhile), on
    :data:`HIGHS_THREADS` threads where that is set."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highs = highspy.Highs()
            highs.setOptionValue("output_flag", False)
            if HIGHS_THREADS:
                highs.setOptionValue("threads", HIGHS_THREADS)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return highs


@dataclass
class Compiled:
    """A model as HiGHS holds it: column ``j`` is Pyomo variable ``columns[j]``, row ``i``
    is constraint ``rows[i]``."""

    highs: highspy.Highs
    columns: list
    rows: list
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    """Bounds and integrality (1: integer) of the columns as compiled."""
    seconds: float
    """Time the compilation and the hand-off took."""
    relaxed: list[int] = field(default_factory=list)
    """Integer columns made continuous by :meth:`fix_integers`."""

    def is_mip(self) -> bool:
        """Whether HiGHS holds integer columns now."""
        return bool(self.integrality.any()) and len(self.relaxed) < self.integrality.sum()

    def fix_integers(self, variables) -> None:
        """Fix ``variables`` (integer Pyomo variables held) at their values, made
        continuous: with every integer one fixed, HiGHS holds a linear program (with
        duals). The Pyomo variables themselves are fixed by the caller."""
        for v in variables:
            j = self.column_of[id(v)]
            self.highs.changeColsIntegrality(1, np.array([j], dtype=np.int32),
                                             np.array([0], dtype=np.uint8))
            self.highs.changeColBounds(j, v.value, v.value)
            self.relaxed.append(j)

    @cached_property
    def column_of(self) -> dict[int, int]:
        """id(Pyomo variable) -> column."""
        return {id(v): j for j, v in enumerate(self.columns)}

    @cached_property
    def row_of(self) -> dict:
        """Pyomo constraint -> row."""
        return {c: i for i, c in enumerate(self.rows)}

    def load(self) -> None:
        """Set every column's variable to its value in HiGHS's solution."""
        for v, x in zip(self.columns, self.highs.getSolution().col_value):
            v.set_value(x, skip_validation=True)


def _row_bounds(entries: list, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows kept, lower, upper): the compiler writes a ranged constraint as two rows, its
    upper limit (bound type 1) then its lower (-1); they become one row with both."""
    n = len(entries)
    keep = np.ones(n, dtype=bool)
    lower = np.full(n, -INFINITY)
    upper = np.full(n, INFINITY)
    for i, (con, kind) in enumerate(entries):
        if kind == 0:
            lower[i] = upper[i] = rhs[i]
        elif kind == 1:
            upper[i] = rhs[i]
        elif i and keep[i - 1] and entries[i - 1][0] is con:
            lower[i - 1] = rhs[i]
            keep[i] = False
        else:
            lower[i] = rhs[i]
    return keep, lower[keep], upper[keep]


def compile_model(model: pyo.ConcreteModel, highs: highspy.Highs) -> Compiled:
    """Pass ``model`` (linear, one active objective) to ``highs``.

    Raises pyomo's InfeasibleConstraintException for a constraint left without a variable
    that cannot hold (its variables all fixed at values that break it).
    """
    start = time.perf_counter()
    form = LinearStandardFormCompiler().write(model, mixed_form=True)
    keep, row_lower, row_upper = _row_bounds(form.rows, np.asarray(form.rhs, dtype=float))
    matrix = form.A[np.flatnonzero(keep), :].tocsc() if not keep.all() else form.A
    matrix.sort_indices()
    columns = form.columns
    bounds = np.array([v.bounds for v in columns], dtype=float).reshape(-1, 2)
    col_lower = np.where(np.isnan(bounds[:, 0]), -INFINITY, bounds[:, 0])
    col_upper = np.where(np.isnan(bounds[:, 1]), INFINITY, bounds[:, 1])
    integrality = np.array([v.is_integer() for v in columns], dtype=np.int32)
    (objective,) = form.objectives
    sense = highspy.ObjSense.kMaximize if objective.sense == pyo.maximize \
        else highspy.ObjSense.kMinimize
    cost = form.c.toarray()[0] if form.c.shape[0] else np.zeros(len(columns))
    offset = float(form.c_offset[0]) if len(form.c_offset) else 0.0
    highs.passModel(
        len(columns), int(keep.sum()), matrix.nnz, int(highspy.MatrixFormat.kColwise),
        int(sense), offset, cost, col_lower, col_upper, row_lower, row_upper,
        matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32),
        matrix.data.astype(float), integrality if integrality.any() else integrality[:0])
    rows = [con for (con, _), kept in zip(form.rows, keep) if kept]
    return Compiled(highs, columns, rows, col_lower, col_upper, integrality,
                    time.perf_counter() - start)
