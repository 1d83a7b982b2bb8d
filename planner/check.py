"""Every plan checked before it is reported.

After a solve, the values the solver returned are put back into every constraint and bound
of the model and the largest violation of each family (balances, capacities, policies,
take-or-pay, stocks, CVaR rows, ...) is measured in the workbook's units (a balance of
LiOH in t, a CVaR row in the currency). A row violated by more than :data:`TOLERANCE`
times its magnitude (the larger side of the row, at least one internal unit: the plan's
internal units are chosen near the size of its data, :mod:`models.scaling`) fails the
check, and so does an objective that differs from the one recomputed from the values, or
any value that is not a finite number. A plan that fails is never called optimal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyomo.environ as pyo

from models.data import PlanData
from models.scaling import ModelUnits

TOLERANCE = 1e-6
"""Largest violation of a row or bound, relative to its magnitude, that a plan may show."""

FAMILIES = {
    "c_balance": "Material balances", "c_offtake_capacity": "Offtake capacity",
    "c_take_or_pay": "Take-or-pay", "c_process_capacity": "Process capacity",
    "c_capacity_group": "Capacity groups", "c_option_lane": "Offtake lane limits",
    "c_stock_capacity": "Stock room", "c_stock_end": "Stock end minimum",
    "c_policy": "Policies", "c_stress_cap": "Stress unmet caps",
    "c_exclusive": "Exclusive options", "c_cover": "Capacity covers", "c_cvar": "CVaR rows",
    "c_cvar_threshold": "CVaR threshold",
    "v_supply": "Supply capacity", "v_offtake": "Offtake quantities",
    "v_activity": "Process capacity", "v_flow": "Lane capacity", "v_spot": "Spot maximum",
    "v_unmet": "Unmet demand within demand", "v_stock": "Stock room",
    "v_option": "Options taken within 0 and 1", "v_var": "CVaR threshold",
    "v_excess": "CVaR rows",
}
"""The planner's name of the family of each model row and variable bound."""


@dataclass(frozen=True)
class Violation:
    """The largest violation of one family."""

    family: str
    where: str
    """The model row or variable, by name and index."""
    amount: float
    """In the workbook's units of ``unit``."""
    unit: str
    relative: float
    """``amount`` over the row's magnitude."""

    def __str__(self) -> str:
        return " ".join(x for x in (f"{self.amount:.1e}", self.unit, "in", self.family) if x)


@dataclass(frozen=True)
class PlanCheck:
    violations: list[Violation]
    """The largest violation of every family that has one, the worst first."""
    objective: float
    """The objective recomputed from the values, in the workbook's currency."""
    objective_error: float
    """Relative difference between it and the solver's objective."""
    not_finite: list[str]
    """Variables whose value is not a finite number."""

    @property
    def ok(self) -> bool:
        return not self.not_finite and self.objective_error <= TOLERANCE and all(
            v.relative <= TOLERANCE for v in self.violations)

    def headline(self) -> str:
        """One line: the largest violation, or why the plan fails."""
        if self.not_finite:
            return (f"{len(self.not_finite)} values are not finite numbers "
                    f"(first: {self.not_finite[0]})")
        worst = [v for v in self.violations if v.relative > TOLERANCE]
        if worst:
            return (f"violates {len(worst)} constraint families beyond the tolerance "
                    f"({TOLERANCE:g} relative): largest {worst[0]} ({worst[0].where})")
        if self.objective_error > TOLERANCE:
            return (f"the objective recomputed from the plan differs from the solver's by "
                    f"{self.objective_error:.1e} (relative)")
        largest = max(self.violations, key=lambda v: v.relative, default=None)
        if largest is None or largest.amount == 0:
            return "no constraint is violated"
        return f"largest violation {largest}"


def _sides(con) -> tuple[float, float]:
    """(violation, magnitude) of a row at the model's values, in internal units: each side
    of its relation (``lower <= body <= upper``, ``lhs == rhs``, ``lhs <= rhs``) evaluated
    once."""
    sides = [pyo.value(x) for x in con.expr.args]
    if len(sides) == 3:
        lower, body, upper = sides
        excess = max(0.0, lower - body, body - upper)
    elif con.equality:
        excess = abs(sides[0] - sides[1])
    else:
        excess = max(0.0, sides[0] - sides[1])
    return excess, max(1.0, *(abs(x) for x in sides))


def check_plan(model: pyo.ConcreteModel, data: PlanData, units: ModelUnits,
               solver_objective: float | None) -> PlanCheck:
    """Measure every row and bound of ``model`` at the values it holds; ``data`` is the plan
    in workbook units, ``solver_objective`` the solver's objective in the workbook's
    currency."""
    label = {m.id: m.unit for m in data.materials}
    worst: dict[str, Violation] = {}
    not_finite: list[str] = []

    def record(component, excess: float, magnitude: float) -> None:
        family = FAMILIES[component.parent_component().local_name]
        relative = excess / magnitude
        if family in worst and worst[family].relative >= relative:
            return
        key = units.key(component)
        unit = "currency" if key == units.MONEY else "" if key == units.NONE else \
            f"capacity units of {key[1]}" if isinstance(key, tuple) else label.get(key, key)
        worst[family] = Violation(family, component.name, excess * units.factor(key), unit,
                                  relative)

    for v in model.component_data_objects(pyo.Var, descend_into=True):
        x = v.value
        if x is None or not math.isfinite(x):
            not_finite.append(v.name)
            continue
        excess = max(0.0, (v.lb - x) if v.lb is not None else 0.0,
                     (x - v.ub) if v.ub is not None else 0.0)
        if v.is_binary():
            excess = max(excess, abs(x - round(x)))
        record(v, excess, max(1.0, abs(x)))
    if not_finite:
        return PlanCheck([], math.nan, math.inf, not_finite)
    for con in model.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        excess, magnitude = _sides(con)
        record(con, excess, magnitude)
    objective = pyo.value(model.objective) * units.scaling.money
    error = 0.0 if solver_objective is None else \
        abs(objective - solver_objective) / max(abs(objective), units.scaling.money)
    violations = sorted(worst.values(), key=lambda v: -v.relative)
    return PlanCheck(violations, objective, error, [])
