"""OR-Library capacitated warehouse location instances as planner workbooks.

J.E. Beasley, "An algorithm for solving large capacitated warehouse location problems",
EJOR 33 (1988) 314-325, distributed through OR-Library; the files used are in
``tests/data/orlib`` (see its README).

File format (whitespace-separated numbers that may wrap across lines)::

    m n                         warehouses, customers
    capacity fixed_cost         m times
    demand c_1 ... c_m          n times; c_i is the cost of serving ALL of the
                                customer's demand from warehouse i

An instance maps onto the workbook as one period ``1`` and one material ``Goods``; each
warehouse ``i`` is a hub ``W{i}`` opened by a binary offtake option ``open W{i}`` (its
capacity, its fixed cost once, no unit cost), each customer ``j`` a market ``C{j}`` with
its demand, and a lane from every warehouse to every customer at cost ``c_ij / d_j`` per
unit. Demand may be split between warehouses, as the published optima assume.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from planner.template import write_template

DATA = Path(__file__).resolve().parent / "data" / "orlib"

PERIOD = "1"
MATERIAL = "Goods"
MIN_PENALTY = 1e6
"""Penalty per unit of unmet demand, unless an instance needs a larger one."""


@dataclass(frozen=True)
class Instance:
    """One capacitated warehouse location instance."""

    name: str
    capacities: tuple[float, ...]
    fixed_costs: tuple[float, ...]
    demands: tuple[float, ...]
    costs: tuple[tuple[float, ...], ...]
    """``costs[j][i]``: cost of allocating all of customer j's demand to warehouse i."""

    @property
    def m(self) -> int:
        return len(self.capacities)

    @property
    def n(self) -> int:
        return len(self.demands)

    @property
    def total_demand(self) -> float:
        return math.fsum(self.demands)

    def unit_cost(self, i: int, j: int) -> float:
        """Cost per unit of customer j's demand served from warehouse i (0-based)."""
        return self.costs[j][i] / self.demands[j]


def parse(text: str, name: str = "", capacity: float | None = None) -> Instance:
    """The instance in ``text``; ``capacity`` replaces the word ``capacity`` (capa/b/c)."""
    tokens = text.split()
    pos = 0

    def take(what: str) -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError(f"{name or 'instance'}: file ends where {what} was expected "
                             f"(after {pos} numbers)")
        pos += 1
        return tokens[pos - 1]

    def number(what: str) -> float:
        token = take(what)
        try:
            value = float(token)
        except ValueError:
            raise ValueError(f"{name or 'instance'}: '{token}' where {what} was expected "
                             f"(token {pos})") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name or 'instance'}: {what} {token} is not a finite number >= 0")
        return value

    def count(what: str) -> int:
        value = number(what)
        if not value.is_integer() or value < 1:
            raise ValueError(f"{name or 'instance'}: {what} {value:g} is not a positive integer")
        return int(value)

    m, n = count("the number of warehouses"), count("the number of customers")
    capacities, fixed = [], []
    for i in range(m):
        if tokens[pos:pos + 1] == ["capacity"]:
            if capacity is None:
                raise ValueError(f"{name or 'instance'}: capacity of warehouse {i + 1} is the "
                                 "word 'capacity'; give the capacity to use")
            take("capacity")
            capacities.append(float(capacity))
        else:
            capacities.append(number(f"capacity of warehouse {i + 1}"))
        fixed.append(number(f"fixed cost of warehouse {i + 1}"))
    demands, costs = [], []
    for j in range(n):
        d = number(f"demand of customer {j + 1}")
        if d <= 0:
            raise ValueError(f"{name or 'instance'}: demand of customer {j + 1} is {d:g}")
        demands.append(d)
        costs.append(tuple(number(f"cost of customer {j + 1} at warehouse {i + 1}")
                           for i in range(m)))
    if pos != len(tokens):
        raise ValueError(f"{name or 'instance'}: {len(tokens) - pos} numbers left over after "
                         f"{m} warehouses and {n} customers")
    return Instance(name, tuple(capacities), tuple(fixed), tuple(demands), tuple(costs))


def load(name: str, capacity: float | None = None, folder: Path = DATA) -> Instance:
    """Instance ``name`` (for example ``cap41``) from ``folder``."""
    return parse((folder / f"{name}.txt").read_text(), name, capacity)


def read_optima(path: Path) -> dict[str, float]:
    """Published optima: ``{name: value}``; for capa/b/c also ``{'capa@8000': value}``.

    Reads both ``capopt.txt`` (a header line, then ``name value [(capacity c)]`` with the
    name left out on continuation lines) and ``uncapopt.txt`` (``#`` comments).
    """
    optima: dict[str, float] = {}
    current = None
    pattern = re.compile(r"^(?:(?P<name>cap[a-z0-9]+)\s+)?(?P<value>\d+(?:\.\d*)?)"
                         r"(?:\s*\(capacity\s+(?P<capacity>\d+)\))?\s*$")
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = pattern.match(line)
        if match is None:
            continue  # header and notes
        current = match["name"] or current
        if current is None:
            continue
        value = float(match["value"])
        if match["capacity"]:
            optima[f"{current}@{match['capacity']}"] = value
        optima.setdefault(current, value)
    return optima


def penalty_bound(inst: Instance) -> float:
    """A penalty above which leaving demand unmet never pays.

    With integer demands and capacities, a plan short of capacity is short by at least one
    unit, and that unit saves at most every fixed cost; any smaller shortfall saves at most
    the dearest unit freight. So a penalty above (sum of fixed costs + dearest unit freight)
    makes serving every unit optimal, as the published optima assume.
    """
    worst_unit = max(inst.unit_cost(i, j) for i in range(inst.m) for j in range(inst.n))
    return math.fsum(inst.fixed_costs) + worst_unit


def penalty_for(inst: Instance) -> float:
    bound = penalty_bound(inst)
    return MIN_PENALTY if MIN_PENALTY > 2 * bound else 10.0 ** math.ceil(math.log10(4 * bound))


def warehouse(i: int) -> str:
    return f"W{i + 1}"


def customer(j: int) -> str:
    return f"C{j + 1}"


def option(i: int) -> str:
    return f"open {warehouse(i)}"


def lane(i: int, j: int) -> str:
    return f"{warehouse(i)}-{customer(j)}"


def workbook_rows(inst: Instance, uncapacitated: bool = False, mip_gap: float = 1e-9,
                  time_limit: float = 120.0) -> tuple[dict[str, list[dict]], dict[str, object]]:
    """``(rows, settings)`` of the planner workbook of ``inst``.

    ``uncapacitated``: every warehouse can serve the whole demand.
    """
    capacity = [inst.total_demand] * inst.m if uncapacitated else list(inst.capacities)
    penalty = penalty_for(inst)
    rows = {
        "Periods": [{"Period": PERIOD}],
        "Materials": [{"Material": MATERIAL, "Unit": "unit", "Kind": "product"}],
        "Sites": [{"Site": warehouse(i), "Kind": "hub", "Country": "X"} for i in range(inst.m)]
        + [{"Site": customer(j), "Kind": "market", "Country": "X"} for j in range(inst.n)],
        "Options": [
            {"Option": option(i), "Kind": "offtake", "Target": warehouse(i),
             "Material": MATERIAL, "Capacity": capacity[i], "Unit cost": 0,
             "Fixed cost": inst.fixed_costs[i], "Cost basis": "one-off", "Take or pay": 0,
             "Decision": "binary"}
            for i in range(inst.m)],
        "Lanes": [
            {"Lane": lane(i, j), "From": warehouse(i), "To": customer(j), "Material": MATERIAL,
             "Cost": inst.unit_cost(i, j)}
            for i in range(inst.m) for j in range(inst.n)],
        "Demand": [
            {"Site": customer(j), "Material": MATERIAL, "Period": PERIOD,
             "Quantity": inst.demands[j], "Penalty": penalty}
            for j in range(inst.n)],
    }
    settings = {"MIP gap": mip_gap, "Time limit": time_limit}
    return rows, settings


def write_workbook(path: Path, inst: Instance, uncapacitated: bool = False, **kw) -> Path:
    """Write the planner workbook of ``inst`` to ``path``."""
    rows, settings = workbook_rows(inst, uncapacitated, **kw)
    write_template(path, rows=rows, settings=settings)
    return path
