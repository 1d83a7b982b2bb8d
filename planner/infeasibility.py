"""Why no plan exists, in the planner's terms.

HiGHS computes an irreducible infeasible subsystem (IIS) of the model: constraints and
variable bounds that cannot all hold, though any one of them dropped would leave the rest
feasible. Each member is mapped back to the sheet and row it came from (a policy, a
capacity, a demand, a disruption, a stress cap), so the planner reads, for example,
``Policies row 4: at most 40% of LiOH from China`` next to the capacities and demand
it conflicts with. For a mixed-integer plan the IIS is of its linear relaxation; when
that relaxation is feasible only the all-or-nothing options make the plan infeasible,
which is said instead.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import highspy
import pyomo.environ as pyo

from models.data import PlanData
from planner.convert import Origins
from planner.handoff import compile_model, quiet_highs, run_highs

IIS_FROM_LP_IRREDUCIBLE = 2 | 4
"""HiGHS ``iis_strategy``: kIisStrategyFromLp | kIisStrategyIrreducible, a conflict found
from the LP and reduced until irreducible."""
UPPER, BOXED = 3, 4
"""HiGHS IIS bound status of a column whose upper bound takes part in the conflict (lower
bounds are 0: that no quantity is negative is not a row of the input)."""
ORDER = ("Policies", "Settings", "Options", "Stocks", "CapacityGroups", "Supply", "Processes",
         "Lanes", "SpotMarket", "Disruptions", "PriceShocks", "Demand", "Scenarios",
         "Material balance")
"""The order members are listed in: hard limits first, then what they conflict with."""


@dataclass(frozen=True, order=True)
class Member:
    """One row of the input that takes part in the conflict, and what it says there."""

    sheet: str
    row: int | None
    says: str
    scenario: str = ""
    period: str = ""

    def __str__(self) -> str:
        where = f"{self.sheet} row {self.row}" if self.row else self.sheet
        when = ", ".join(x for x in (self.scenario and f"scenario {self.scenario}",
                                     self.period) if x)
        return f"{where}: {self.says}" + (f" ({when})" if when else "")


@dataclass(frozen=True)
class Explanation:
    members: list[Member]
    """Sorted rows of the conflict; empty when none could be isolated."""
    note: str
    """How it was found, or why nothing could be isolated."""

    def lines(self, most: int = 15) -> list[str]:
        """The note and up to ``most`` members, to fit one screen."""
        shown = [f"  {m}" for m in self.members[:most]]
        if len(self.members) > most:
            shown.append(f"  ... and {len(self.members) - most} more: every one is on the "
                         "result's Infeasibility sheet")
        return [self.note, *shown]


def conflict(model: pyo.ConcreteModel) -> tuple[list, list] | None:
    """The constraints and the variables whose upper bounds form an IIS of ``model``'s linear
    relaxation; None when that relaxation is feasible, and two empty lists when it is not
    but HiGHS isolates no conflict."""
    relaxed = [v for v in model.component_data_objects(pyo.Var) if v.is_binary()]
    for v in relaxed:
        v.domain = pyo.UnitInterval
    model.c_cover.deactivate()  # implied by the other rows: a conflict is told without them
    try:
        highs = quiet_highs()
        compiled = compile_model(model, highs)
        highs.setOptionValue("presolve", "off")
        highs.setOptionValue("iis_strategy", IIS_FROM_LP_IRREDUCIBLE)
        run_highs(highs)
        if highs.getModelStatus() != highspy.HighsModelStatus.kInfeasible:
            return None
        _, iis = highs.getIis()
        if not iis.valid_:
            return [], []
        constraints = [compiled.rows[i] for i in iis.row_index_]
        capped = [compiled.columns[i] for i, status in zip(iis.col_index_, iis.col_bound_)
                  if status in (UPPER, BOXED)]
        return constraints, capped
    finally:
        model.c_cover.activate()
        for v in relaxed:
            v.domain = pyo.Binary


class _Rows:
    """Where each entity came from (:class:`~planner.convert.Origins`), and the entity."""

    def __init__(self, origins: Origins, data: PlanData) -> None:
        self.origins = origins
        self.unit = {m.id: m.unit for m in data.materials}
        self.supply_of = {(x.site, x.material, x.period): x for x in data.supplies}
        self.spot_of = {(x.period, x.site, x.material): x for x in data.spot_offers}
        self.process_of = {k.id: k for k in data.processes}
        self.lane_of = {x.id: x for x in data.lanes}
        self.option_of = {o.id: o for o in data.options}
        self.policy_of = {(p.id, p.period): p for p in data.policies}
        self.stock_of = {(x.site, x.material): x for x in data.stocks}
        self.demand_of = {(d.site, d.material, d.period): d for d in data.demands}


def explain(model: pyo.ConcreteModel, data: PlanData, origins: Origins) -> Explanation:
    """The rows of the input that cannot all hold, found from an IIS of ``model``."""
    try:
        found = conflict(model)
    except (AttributeError, KeyError) as exc:  # the solver interface changed shape
        return Explanation([], f"HiGHS could not isolate the conflict ({exc!r}).")
    if found == ([], []):
        return Explanation([], "HiGHS could not isolate which rows conflict.")
    if found is None:
        return Explanation([], "Every limit can hold when options may be taken in part: "
                           "only the all-or-nothing (binary) options make the plan "
                           "infeasible; try them as continuous to see which is needed.")
    constraints, capped = found
    rows = _Rows(origins, data)
    members: set[Member] = set()
    for var in capped:
        members |= set(_upper_bound_members(var, rows))
    through: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for con in constraints:
        if con.parent_component().local_name == "c_balance":
            s, t, n, mat = con.index()
            through[(s, t, mat)].append(n)
            if (n, mat, t) in rows.origins.demand:
                members.add(_demand(rows, s, t, n, mat))
        else:
            members |= set(_constraint_members(con, data, rows))
    members |= {Member("Material balance", None, f"{mat} flows through {', '.join(sorted(ns))}",
                       s, t) for (s, t, mat), ns in through.items()}
    return Explanation(sorted(members, key=lambda m: (ORDER.index(m.sheet), m.row or 0, m)),
                       "These rows cannot all hold (an irreducible conflict found by HiGHS; "
                       "relax any one of them):")


def _upper_bound_members(var, rows: _Rows):
    """The rows behind a variable's upper bound that takes part in the conflict."""
    family, index = var.parent_component().local_name, var.index()
    unit = rows.unit
    if family == "v_supply":
        s, t, n, mat = index
        capacity = rows.supply_of[(n, mat, t)].capacity
        yield Member("Supply", rows.origins.supply[(n, mat, t)], f"{n} supplies "
                     f"{_available(rows, ('supply', s, t, (n, mat)), capacity, unit[mat])} "
                     f"of {mat}", s, t)
        yield from _disrupted(rows, ("supply", s, t, (n, mat)))
    elif family == "v_activity":
        s, t, k = index
        yield Member("Processes", rows.origins.process[k],
                     f"{_makes(rows, k, ('process', s, t, (k,)))} a period", s, t)
        yield from _disrupted(rows, ("process", s, t, (k,)))
    elif family == "v_flow":
        s, t, x = index
        capacity = rows.lane_of[x].capacity
        yield Member("Lanes", rows.origins.lane[x],
                     f"lane {x} carries {_available(rows, ('lane', s, t, (x,)), capacity)}"
                     if capacity is not None else f"lane {x} has no capacity limit", s, t)
        yield from _disrupted(rows, ("lane", s, t, (x,)))
    elif family == "v_spot":
        s, t, n, mat = index
        most = rows.spot_of[(t, n, mat)].maximum
        yield Member("SpotMarket", rows.origins.spot[(t, n, mat)],
                     f"at most {_q(most)} {unit[mat]} of {mat} bought spot at {n}"
                     if most is not None else f"{mat} bought spot at {n}, with no limit",
                     s, t)
        for row, factor in rows.origins.quantity_shocks.get((s, t, n, mat), ()):
            yield Member("PriceShocks", row, f"the spot maximum of {mat} is multiplied by "
                         f"{factor:g}", s, t)
    elif family == "v_offtake":
        s, t, o = index
        x = rows.option_of[o]
        yield Member("Options", rows.origins.option[o], f"offtake {o} delivers at most "
                     f"{_q(x.capacity)} {unit[x.material]}", s, t)
    elif family == "v_unmet":
        yield _demand(rows, *index)
    elif family == "v_stock":
        s, t, n, mat = index
        yield Member("Stocks", rows.origins.stock[(n, mat)], f"a stock of at most "
                     f"{_q(var.bounds[1])} {unit[mat]} of {mat} at {n}", s, t)


def _demand(rows: _Rows, s: str, t: str, n: str, mat: str) -> Member:
    return Member("Demand", rows.origins.demand[(n, mat, t)], f"{_q(rows.demand_of[(n, mat, t)].quantity)} "
                  f"{rows.unit[mat]} of {mat} wanted at {n}", s, t)


def _makes(rows: _Rows, k: str, hit: tuple = ()) -> str:
    """``k makes at most <capacity> <unit> of <output>`` (what a disruption ``hit`` left)."""
    p = rows.process_of[k]
    return f"{k} makes {_available(rows, hit, p.capacity, rows.unit[p.output])} of {p.output}"


def _disrupted(rows: _Rows, hit: tuple):
    d = rows.origins.disruption.get(hit)
    if d is not None:
        yield Member("Disruptions", d["_row"],
                     f"only {d['availability']:.0%} of {' / '.join(hit[3])} is available",
                     hit[1], hit[2])


def _constraint_members(con, data: PlanData, rows: _Rows):
    """The rows behind a constraint that takes part in the conflict."""
    family, index = con.parent_component().local_name, con.index()
    unit = rows.unit
    if family == "c_policy":
        s, t, name = index
        yield Member("Policies", rows.origins.policy[(name, t)],
                     _policy_text(rows.policy_of[(name, t)]), s, t)
    elif family == "c_stress_cap":
        s, t, mat = index
        yield Member("Settings", None, f"Stress unmet share: at most "
                     f"{data.stress_unmet_share:.0%} of the {mat} demand may go unmet "
                     "in a stress scenario", s, t)
        yield Member("Scenarios", rows.origins.scenario.get(s), f"{s} is a stress scenario", s)
    elif family in ("c_take_or_pay", "c_offtake_capacity"):
        s, t, o = index
        x = rows.option_of[o]
        says = (f"offtake {o} takes at least {x.take_or_pay:.0%} of {_q(x.capacity)} "
                f"{unit[x.material]} of {x.material}" if family == "c_take_or_pay" else
                f"offtake {o} delivers at most {_q(x.capacity)} {unit[x.material]}")
        yield Member("Options", rows.origins.option[o], says, s, t)
    elif family == "c_process_capacity":
        s, t, k = index
        yield Member("Processes", rows.origins.process[k], f"{_makes(rows, k)} a period besides "
                     "its options", s, t)
        for o in data.options:
            if k in (o.target, o.source) and o.kind in ("expansion", "conversion"):
                yield Member("Options", rows.origins.option[o.id], f"{o.kind} {o.id} changes the "
                             f"capacity of {k} by {_q(o.capacity)}", s, t)
        yield from _disrupted(rows, ("process", s, t, (k,)))
    elif family == "c_capacity_group":
        s, t, g = index
        for row in rows.origins.group[g]:
            yield Member("CapacityGroups", row, f"the processes of {g} share its capacity", s, t)
    elif family in ("c_stock_end", "c_stock_capacity"):
        s, t, n, mat = index
        x = rows.stock_of[(n, mat)]
        says = (f"at least {_q(x.end_minimum)} {unit[mat]} of {mat} left at {n} at the end"
                if family == "c_stock_end" else
                f"a stock of at most {_q(x.maximum)} {unit[mat]} of {mat} at {n} plus options")
        yield Member("Stocks", rows.origins.stock[(n, mat)], says, s, t)
    elif family == "c_option_lane":
        s, t, x = index
        yield Member("Lanes", rows.origins.lane[x], f"lane {x} carries only what the offtakes at its "
                     "origin deliver", s, t)
    elif family == "c_exclusive":
        for o in data.options:
            if o.group == index:
                yield Member("Options", rows.origins.option[o.id], f"at most one option of group "
                             f"{index} is taken")


def _policy_text(p) -> str:
    if p.kind == "max process share":
        return f"at most {p.share:.0%} of its output from {p.process}"
    most = "at most" if p.kind == "max country share" else "at least"
    return f"{most} {p.share:.0%} of {p.material} from {', '.join(p.countries)}"


def _q(x: float | None) -> str:
    """A quantity as a planner writes it: 3,250,000 and 0.125, not 3.25e+06."""
    if x is None:
        return "no limit"
    if abs(x) >= 1e15 or (x != 0 and abs(x) < 1e-4):
        return f"{x:.6g}"
    return f"{x:,.6f}".rstrip("0").rstrip(".")


def _available(rows: _Rows, hit: tuple, capacity: float | None, unit: str = "") -> str:
    """``at most <capacity> <unit>``, or, where a disruption holds, what is left of it."""
    d = rows.origins.disruption.get(hit)
    unit = f" {unit}" if unit and capacity is not None else ""
    if d is None or capacity is None:
        return f"at most {_q(capacity)}{unit}"
    return (f"at most {_q(capacity * d['availability'])}{unit} ({d['availability']:.0%} of "
            f"{_q(capacity)}{unit})")
