"""The plan re-solved across a range of one parameter, and where it changes.

A :class:`Parameter` changes the plan's data: a material's spot prices (a multiplier), a
mine's supply (a share of its capacity, offtakes included), a material's demand (a
multiplier) or an option's fixed cost (the cost itself). At each point of the range the
whole plan is re-solved, commitments included (they may change: that is the question),
in parallel (:mod:`planner.runner`). Between two points where the plan changes, the value
at which it changes is found by bisection to the stated tolerance: where each cell
family's output starts to rise (or fall), where it reaches half of the demand that can
take it, and where an option is taken or left.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd
import pyomo.environ as pyo

from models.data import ContractShock, PlanData, SpotShock
from models.scaling import Scaling
from planner.engine import PlanSolver, Variant, VariantOutcome, interrupted, solve_variant, \
    start_plan_solver
from planner.names import key, spellings
from planner.results import expected_by, expected_cost, extract
from planner.runner import run_all
from planner.solve import Status

KINDS = {"spot price": "multiplier of every spot price of the material (and, through "
                        "PriceLinks, of the prices that follow it)",
         "availability": "share of the site's supply capacity (Supply rows and offtakes)",
         "demand": "multiplier of every demand for the material",
         "fixed cost": "the option's fixed cost, in the workbook's currency"}
RISES = 1e-3
"""A family's output has changed where it moved by this share of the demand that can take
it (and by at least 1e-9 of it in absolute terms)."""


@dataclass(frozen=True)
class Parameter:
    kind: str
    """One of :data:`KINDS`."""
    name: str

    def __str__(self) -> str:
        return f"{self.kind} of {self.name}"

    def _names(self, data: PlanData) -> set[str]:
        return {"spot price": {r.material for r in data.spot_offers},
                "availability": {r.site for r in data.supplies}
                | {o.target for o in data.options if o.kind == "offtake"},
                "demand": {r.material for r in data.demands},
                "fixed cost": {o.id for o in data.options}}[self.kind]

    def in_workbook(self, data: PlanData) -> Parameter | None:
        """The parameter named as ``data`` spells it (names compared by
        :mod:`planner.names`), or None where it names nothing there."""
        spelt = spellings(sorted(self._names(data))).get(key(self.name))
        return None if spelt is None else replace(self, name=spelt)

    def problem(self, data: PlanData) -> str:
        """Why the parameter names nothing in ``data``."""
        known = ", ".join(sorted(self._names(data))) or "none"
        return f"{self.kind}: '{self.name}' names nothing the workbook has (known: {known})"

    def reference(self, data: PlanData) -> tuple[str, float] | None:
        """For a spot price: what a multiplier of 1 means, (label, price), the mean price of
        the material's offers in the first period."""
        if self.kind != "spot price":
            return None
        first = data.periods[0].id
        prices = [r.price for r in data.spot_offers if r.material == self.name
                  and r.period == first] or [r.price for r in data.spot_offers
                                              if r.material == self.name]
        return f"{self.name} spot price at breakeven ({first} mean)", sum(prices) / len(prices)

    def apply(self, data: PlanData, value: float) -> PlanData:
        """``data`` with the parameter at ``value``."""
        n = self.name
        if self.kind == "spot price":
            return _index_moved(data, n, value)
        if self.kind == "availability":
            return replace(
                data, supplies=tuple(replace(r, capacity=r.capacity * value) if r.site == n
                                     else r for r in data.supplies),
                options=tuple(replace(o, capacity=o.capacity * value)
                              if o.kind == "offtake" and o.target == n else o
                              for o in data.options))
        if self.kind == "demand":
            return replace(data, demands=tuple(
                replace(r, quantity=r.quantity * value) if r.material == n else r
                for r in data.demands))
        return replace(data, options=tuple(replace(o, fixed_cost=value) if o.id == n else o
                                           for o in data.options))


def _index_moved(data: PlanData, index: str, value: float) -> PlanData:
    """``data`` with the spot prices of ``index`` times ``value``, and the prices that follow
    it (PriceLinks) moved as the index's new move asks: where a scenario already moves the
    index by m, a follower with pass-through p goes from 1 + p (m - 1) to 1 + p (m v - 1)."""
    links = {x.material: x for x in data.price_links if x.index == index}
    old = {(c.scenario, c.period, c.material): c.factor for c in data.contract_shocks}
    new = {}
    for x in links.values():
        for s in data.scenarios:
            for t in data.periods:
                f = old.get((s.id, t.id, x.material), 1.0)
                move = 1.0 + (f - 1.0) / x.share if x.share else 1.0  # the index's move m
                new[(s.id, t.id, x.material)] = x.factor(move * value)
    contracts = tuple(c for c in data.contract_shocks if c.material not in links) + tuple(
        ContractShock(s, t, m, f) for (s, t, m), f in new.items() if f != 1.0)
    spot = {(x.scenario, x.period, x.site, x.material): x for x in data.spot_shocks}
    for r in data.spot_offers:
        if r.material in links and r.material != index:
            for s in data.scenarios:
                key = (s.id, r.period, r.site, r.material)
                shock = spot.get(key, SpotShock(*key))
                ratio = new[(s.id, r.period, r.material)] / old.get((s.id, r.period, r.material),
                                                                    1.0)
                spot[key] = replace(shock, price_factor=shock.price_factor * ratio)
    return replace(data, contract_shocks=contracts, spot_shocks=tuple(spot.values()),
                   spot_offers=tuple(replace(r, price=r.price * value) if r.material == index
                                     else r for r in data.spot_offers))


def sweep_readout(model: pyo.ConcreteModel, data: PlanData, scaling: Scaling
                  ) -> dict[str, float]:
    """What each point reports: expected cost, each cell family's expected output over
    the horizon and the demand that can take it, spend by country, the options' shares."""
    result = extract(model, data, scaling)
    out = {"expected cost": expected_cost(result)}
    for family, output in expected_by(result.production_mix, result.probability, "Family",
                                      "Output").items():
        out[f"family:{family}"] = float(output)
    for family, demand in family_demand(data).items():
        out[f"family demand:{family}"] = demand
    for country, spend in expected_by(result.sourcing, result.probability, "Country",
                                      "Cost").items():
        out[f"country:{country}"] = float(spend)
    for _, r in result.decisions.iterrows():
        out[f"option:{r['Option']}"] = float(r["Taken"])
    return out


def family_demand(data: PlanData) -> dict[str, float]:
    """Per cell family: the cells the demand could take over the horizon, if every unit of
    a product some process makes from a cell of that family were made that way."""
    family = {m.id: m.family for m in data.materials if m.family}
    per_unit: dict[tuple[str, str], float] = {}
    for k in data.processes:
        for material, quantity in k.recipe:
            if material in family:
                key = (family[material], k.output)
                per_unit[key] = max(per_unit.get(key, 0.0), quantity)
    out: dict[str, float] = {}
    for d in data.demands:
        for (f, product), quantity in per_unit.items():
            if product == d.material:
                out[f] = out.get(f, 0.0) + d.quantity * quantity
    return out


@dataclass(frozen=True)
class Event:
    """A change along the sweep: readout ``key`` moves away from ``start`` by more than
    ``step``; or, with ``half_of`` (the readout of a demand), it crosses half of that
    demand at the point solved, from the side ``above`` it started on."""

    name: str
    key: str
    start: float
    step: float = 0.0
    half_of: str | None = None
    above: bool = False

    def happened(self, outcome: VariantOutcome) -> bool:
        if outcome.status is not Status.OPTIMAL:
            return False
        value = outcome.readouts.get(self.key, 0.0)
        if self.half_of is None:
            return abs(value - self.start) > self.step
        return (value >= 0.5 * outcome.readouts.get(self.half_of, 0.0)) != self.above


@dataclass(frozen=True)
class Bisection:
    """Where ``event`` first happens between ``low`` and ``high``, to ``tolerance``."""

    parameter: Parameter
    event: Event
    low: float
    high: float
    tolerance: float


def bisect(solver: PlanSolver, task: Bisection) -> tuple[float, float, int]:
    """(low, high, solves): the interval, narrowed to the tolerance, where the event first
    happens (it has not at ``low`` and has at ``high``)."""
    low, high, solves = task.low, task.high, 0
    while high - low > task.tolerance:
        middle = (low + high) / 2
        solves += 1
        outcome = solve_variant(solver, Variant(task.parameter.apply(solver.data, middle)))
        if task.event.happened(outcome):
            high = middle
        else:
            low = middle
    return low, high, solves


def bisections(values: list[float], tolerance: float) -> int:
    """The most solves one breakeven's bisection takes within a grid interval."""
    step = max(b - a for a, b in zip(values, values[1:]))
    return max(0, math.ceil(math.log2(step / tolerance)))


@dataclass(frozen=True)
class Sweep:
    parameter: Parameter
    points: pd.DataFrame
    breakevens: pd.DataFrame
    tolerance: float
    solves: int
    reference: str | None = None
    """The breakevens' column giving them in the workbook's terms (a spot price)."""


def sweep(data: PlanData, solver: PlanSolver, parameter: Parameter, values: list[float],
          tolerance: float, on_done: Callable[[int, int], None] | None = None) -> Sweep:
    """The plan at every value, then each breakeven between two values (see the module);
    the points, and then the bisections, run in parallel."""
    solver = replace(solver, readout=sweep_readout)
    outcomes = run_all(solve_variant, [Variant(parameter.apply(data, x)) for x in values],
                       start=start_plan_solver, start_args=(solver,), on_done=on_done,
                       stop=interrupted)
    events = _events(outcomes)
    tasks, found = [], []
    solved = [k for k, o in enumerate(outcomes) if o.status is Status.OPTIMAL]
    for event in events:
        pairs = [(j, k) for j, k in zip(solved, solved[1:]) if event.happened(outcomes[k])]
        if pairs:
            j, k = pairs[0]
            tasks.append(Bisection(parameter, event, values[j], values[k], tolerance))
        else:
            found.append({"Event": event.name})
    narrowed = run_all(bisect, tasks, start=start_plan_solver, start_args=(solver,),
                       fewest_per_worker=1)
    for task, (low, high, _) in zip(tasks, narrowed):
        found.append({"Event": task.event.name, "Between": task.low, "And": task.high,
                      "Breakeven": (low + high) / 2, "Within": (high - low) / 2})
    table = pd.DataFrame([_row(x, o) for x, o in zip(values, outcomes)])
    breakevens = pd.DataFrame(found, columns=["Event", "Between", "And", "Breakeven", "Within"])
    reference = parameter.reference(data)
    if reference is not None:
        breakevens[reference[0]] = breakevens["Breakeven"] * reference[1]
    return Sweep(parameter, table, breakevens, tolerance,
                 len(values) + sum(n for _, _, n in narrowed),
                 None if reference is None else reference[0])


def _events(outcomes: list[VariantOutcome]) -> list[Event]:
    """What changes along the sweep: each family's output leaving its first value, each
    family reaching half of the demand that can take it, each option's share."""
    solved = [o for o in outcomes if o.status is Status.OPTIMAL]
    if len(solved) < 2:
        return []
    first, keys = solved[0].readouts, set().union(*(o.readouts for o in solved))
    events: list[Event] = []
    for readout in sorted(k for k in keys if k.startswith("family:")):
        family = readout.split(":", 1)[1]
        demand = first.get(f"family demand:{family}", 0.0)
        start = first.get(readout, 0.0)
        moved = Event("", readout, start, max(RISES * demand, 1e-9 * max(demand, 1.0)))
        if any(moved.happened(o) for o in solved):
            rises = max(o.readouts.get(readout, 0.0) for o in solved) > start
            events.append(replace(moved, name=f"{family} output starts to "
                                  f"{'rise' if rises else 'fall'}"))
        half = Event(f"{family} output reaches half of the demand that can take it", readout,
                     start, half_of=f"family demand:{family}", above=start >= 0.5 * demand)
        if demand > 0 and any(half.happened(o) for o in solved):
            events.append(half)
    for readout in sorted(k for k in keys if k.startswith("option:")):
        start = first.get(readout, 0.0)
        taken = Event(f"{readout.split(':', 1)[1]} {'left' if start > 0.5 else 'taken'}",
                      readout, start, 1e-6)
        if any(taken.happened(o) for o in solved):
            events.append(taken)
    return events


def _row(x: float, outcome: VariantOutcome) -> dict:
    row = {"Parameter": x, "Status": outcome.status.label, "Objective": outcome.objective}
    r = outcome.readouts
    row["Expected cost"] = r.get("expected cost")
    families = sorted(k.split(":", 1)[1] for k in r if k.startswith("family:"))
    total = sum(r[f"family:{f}"] for f in families)
    for f in families:
        row[f"{f} output"] = r[f"family:{f}"]
        row[f"{f} share"] = r[f"family:{f}"] / total if total > 0 else math.nan
    for k in sorted(k for k in r if k.startswith("country:")):
        row[f"Spend in {k.split(':', 1)[1]}"] = r[k]
    for k in sorted(k for k in r if k.startswith("option:")):
        row[f"{k.split(':', 1)[1]} taken"] = r[k]
    return row
