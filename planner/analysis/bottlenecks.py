"""Which stage of the chain binds, and what one more unit of capacity there is worth.

Every capacity of the plan (:func:`models.capacities.capacities`) is priced from the LP
with the commitments fixed at the plan's (:attr:`planner.engine.Solved.lp`): the reduced
cost of the variable whose upper bound holds it, or the dual of the row that does. For a
minimisation both are :math:`\\le 0` where the limit binds; raising the nominal capacity
:math:`\\bar{C}` by one raises the limit in scenario :math:`s` by its availability
:math:`\\alpha_s`, so its marginal value in period :math:`t` is

.. math:: v_t = -\\sum_s \\alpha_{s,t}\\, \\pi_{s,t} \\;\\frac{M}{Q}

in the workbook's currency per workbook unit (:math:`M`, :math:`Q` the internal units of
money and of the capacity's measure), discounted and probability-weighted, since the
objective is. A capacity's value over the horizon is :math:`\\sum_t v_t`: one more unit
in every period. Its dual estimate of 10% more capacity is
:math:`\\sum_t 0.1\\, \\bar{C}_t v_t`, an upper bound of the real saving (the LP's value is
convex in its right-hand sides); the largest are re-solved to give the real saving.

The prices are those of the optimal basis HiGHS ends on. Where the LP has several (a
degenerate optimum, common in a network with spare routes), each basis gives a valid
marginal value, a subgradient of the LP's value, and so a valid upper bound; but another
basis may give another figure, where the re-solves do not change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from models.capacities import Capacity, capacities
from models.data import PlanData
from planner.analysis import money_text
from planner.convert import Origins
from planner.engine import Solved
from planner.lp import Change, HeldLP

STAGES = ("mining", "refining", "cell making", "logistics", "spot")
REFINED_KINDS = ("ore", "concentrate", "chemical")
"""Processes making these are refining; the rest (cells, products) cell making."""
RAISE = 0.10
RESOLVED = 5
"""How many of the largest capacities are re-solved 10% larger."""
BINDS = 1e-6
"""A capacity binds where its use is within this share of what is available."""


@dataclass(frozen=True)
class Bottlenecks:
    headline: list[str]
    """Sentences: which stage binds, what relieving it is worth, the re-solves."""
    stages: pd.DataFrame
    ranked: pd.DataFrame
    """One row per capacity over the horizon, largest value of 10% more first."""
    resolved: pd.DataFrame
    """The largest capacities re-solved 10% larger: real saving beside the estimate."""
    by_period: pd.DataFrame
    by_scenario: pd.DataFrame
    """One row per scenario: each stage's dual estimate of 10% more, were that scenario
    certain (its share of the expected value divided by its probability), and which binds
    most there."""
    note: str


class _Entities:
    """What the analysis says about each capacity: its stage, label, sheet row, unit."""

    def __init__(self, data: PlanData, origins: Origins | None) -> None:
        self.material = {m.id: m for m in data.materials}
        self.process = {k.id: k for k in data.processes}
        self.option = {o.id: o for o in data.options}
        self.group = {g.id: g for g in data.capacity_groups}
        self.lane = {x.id: x for x in data.lanes}
        self.origins = origins or Origins()

    def material_of(self, kind: str, name: tuple[str, ...]) -> str:
        if kind in ("supply", "stock", "spot"):
            return name[1]
        if kind == "offtake":
            return self.option[name[0]].material
        if kind == "lane":
            return self.lane[name[0]].material
        process = name[0] if kind == "process" else self.group[name[0]].members[0][0]
        return self.process[process].output

    def stage(self, kind: str, name: tuple[str, ...]) -> str:
        if kind in ("supply", "offtake"):
            return "mining"
        if kind in ("lane", "stock"):
            return "logistics"
        if kind == "spot":
            return "spot"
        made = self.material[self.material_of(kind, name)].kind
        return "refining" if made in REFINED_KINDS else "cell making"

    def label(self, kind: str, name: tuple[str, ...]) -> str:
        return {"supply": lambda: f"{name[0]} ({name[1]})",
                "stock": lambda: f"{name[1]} stock at {name[0]}",
                "spot": lambda: f"{name[1]} spot at {name[0]}"}.get(kind, lambda: name[0])()

    def unit(self, kind: str, name: tuple[str, ...]) -> str:
        if kind == "capacity group":
            return f"unit of {name[0]}"
        return self.material[self.material_of(kind, name)].unit

    def equivalent(self, kind: str, name: tuple[str, ...]) -> tuple[str, float | None]:
        if kind == "capacity group":
            return "", None
        m = self.material[self.material_of(kind, name)]
        return m.equivalent_unit, m.equivalent

    def where(self, kind: str, name: tuple[str, ...], period: str) -> tuple[str, int | None]:
        o = self.origins
        return {
            "supply": lambda: ("Supply", o.supply.get((name[0], name[1], period))),
            "offtake": lambda: ("Options", o.option.get(name[0])),
            "process": lambda: ("Processes", o.process.get(name[0])),
            "capacity group": lambda: ("CapacityGroups", (o.group.get(name[0]) or [None])[0]),
            "lane": lambda: ("Lanes", o.lane.get(name[0])),
            "stock": lambda: ("Stocks", o.stock.get((name[0], name[1]))),
            "spot": lambda: ("SpotMarket", o.spot.get((period, name[0], name[1]))),
        }[kind]()


def _price(c: Capacity, lp: HeldLP) -> tuple[int | None, float]:
    """(index in the LP, price <= 0 in internal units) of the limit's holder."""
    if c.is_row:
        i = lp.row(c.holder)
        return i, 0.0 if i is None else min(float(lp.row_dual[i]), 0.0)
    j = lp.column(c.holder)
    return j, 0.0 if j is None else min(float(lp.col_dual[j]), 0.0)


def bottlenecks(plan: Solved, data: PlanData, origins: Origins | None,
                currency: str) -> Bottlenecks | None:
    """The capacities of a solved plan, priced and ranked; None without its LP."""
    lp = plan.lp
    if lp is None:
        return None
    model, units = plan.model, plan.units
    p = {s.id: s.probability for s in data.scenarios}
    entity = _Entities(data, origins)
    money = units.scaling.money
    rows: dict[tuple, dict] = defaultdict(lambda: defaultdict(float))
    holders: dict[tuple, list[tuple[bool, int, float]]] = defaultdict(list)
    in_scenario: dict[tuple[str, str], float] = defaultdict(float)
    for c in capacities(model):
        index, price = _price(c, lp)
        if index is None:
            continue
        if p[c.scenario] > 0:
            in_scenario[(c.scenario, entity.stage(c.kind, c.name))] -= \
                RAISE * c.nominal * price * c.share * money / p[c.scenario]
        unit = units.factor(c.unit)
        use, available = pyo.value(c.use) * unit, c.available * unit
        r = rows[(c.kind, c.name, c.period)]
        r["nominal"] = c.nominal * unit
        r["use"] += p[c.scenario] * use
        r["available"] += p[c.scenario] * available
        r["binding"] += p[c.scenario] * (available > 0 and use >= available * (1 - BINDS))
        r["value"] -= price * c.share * money / unit
        holders[(c.kind, c.name)].append((c.is_row, index, c.available))
    by_period = _by_period(rows, entity)
    ranked = _ranked(by_period)
    resolved = _resolve(ranked, holders, lp)
    stages = _stages(ranked)
    note = ("Prices from the linear program with the plan's commitments fixed (binary options "
            "at their values, continuous ones at their shares), re-solved: reduced costs where "
            "a variable's bound holds the capacity, duals where a constraint does. Values are "
            f"discounted, in {currency}, " + objective_meaning(data) + ".")
    return Bottlenecks(_headline(stages, ranked, resolved, currency), stages, ranked,
                       resolved, by_period, _by_scenario(in_scenario, data), note)


def _by_scenario(values: dict[tuple[str, str], float], data: PlanData) -> pd.DataFrame:
    """Scenario x stage: the dual estimate of 10% more of the stage, the scenario certain."""
    out = []
    for s in data.scenarios:
        row = {"Scenario": s.id, "Probability": s.probability}
        if s.probability == 0:  # its prices are 0: what binds there is not known
            out.append(row | dict.fromkeys(STAGES) | {"Binds most": "not priced (probability 0)"})
            continue
        row |= {stage: values.get((s.id, stage), 0.0) for stage in STAGES}
        most = max(STAGES, key=lambda stage: row[stage])
        row["Binds most"] = most if row[most] > 0 else "nothing"
        out.append(row)
    return pd.DataFrame(out)


def _by_period(rows: dict[tuple, dict], entity: _Entities) -> pd.DataFrame:
    out = []
    for (kind, name, period), r in rows.items():
        sheet, row = entity.where(kind, name, period)
        equivalent_unit, per_unit = entity.equivalent(kind, name)
        out.append({
            "Stage": entity.stage(kind, name), "Capacity kind": kind,
            "Capacity of": entity.label(kind, name), "Period": period,
            "Unit": entity.unit(kind, name), "Capacity": r["nominal"],
            "Expected use": r["use"], "Expected available": r["available"],
            "Utilisation": r["use"] / r["available"] if r["available"] > 0 else None,
            "Binding probability": r["binding"], "Marginal value": r["value"],
            "Equivalent unit": equivalent_unit,
            "Marginal value per equivalent unit":
                r["value"] / per_unit if per_unit else None,
            "Sheet": sheet, "Row": row, "_key": (kind, name)})
    return pd.DataFrame(out)


def _ranked(by_period: pd.DataFrame) -> pd.DataFrame:
    """One row per capacity: its value over the horizon and of 10% more of it."""
    if by_period.empty:
        return by_period
    frame = by_period.assign(**{"Value of 10% more": RAISE * by_period["Capacity"]
                                * by_period["Marginal value"]})
    grouped = frame.groupby("_key", sort=False)
    ranked = grouped.agg({
        "Stage": "first", "Capacity kind": "first", "Capacity of": "first", "Unit": "first",
        "Capacity": "mean", "Expected use": "sum", "Expected available": "sum",
        "Binding probability": "max", "Marginal value": "sum", "Equivalent unit": "first",
        "Marginal value per equivalent unit": lambda x: x.sum(min_count=1),
        "Value of 10% more": "sum", "Sheet": "first", "Row": "first"}).reset_index()
    ranked["Utilisation"] = ranked["Expected use"] / ranked["Expected available"].where(
        ranked["Expected available"] > 0)
    ranked = ranked.rename(columns={
        "Capacity": "Capacity (mean a period)", "Binding probability": "Binding probability "
        "(most in a period)", "Marginal value": "Marginal value over the horizon",
        "Marginal value per equivalent unit": "Marginal value per equivalent unit over the "
        "horizon", "Value of 10% more": "Dual estimate of 10% more"})
    ranked = ranked.sort_values(["Dual estimate of 10% more", "Marginal value over the horizon"],
                                ascending=False, kind="stable").reset_index(drop=True)
    ranked.insert(0, "Rank", np.arange(1, len(ranked) + 1))
    return ranked


def _raised(lp: HeldLP, holders: list[tuple[bool, int, float]], share: float) -> Change:
    """The LP change that raises one capacity by ``share`` in every scenario and period."""
    columns, rows = [], []
    for is_row, index, available in holders:
        if is_row:
            rows.append((index, lp.row_lower[index], lp.row_upper[index] + share * available))
        else:
            columns.append((index, lp.col_lower[index], lp.col_upper[index] + share * available))
    return Change(tuple(columns), tuple(rows))


def step_saving(plan: Solved, key: tuple, share: float) -> tuple[float | None, float]:
    """(saving re-solved, None if the re-solve fails; dual estimate) of raising capacity
    ``key`` ((kind, name), as in the ranked table's ``_key``) by ``share``, in the
    workbook's currency."""
    lp, money = plan.lp, plan.units.scaling.money
    holders, estimate = [], 0.0
    for c in capacities(plan.model):
        index, price = _price(c, lp)
        if (c.kind, c.name) == key and index is not None:
            holders.append((c.is_row, index, c.available))
            estimate -= price * share * c.available * money
    outcome = lp.resolve(_raised(lp, holders, share))
    return (lp.objective - outcome.objective if outcome.optimal else None), estimate


def _resolve(ranked: pd.DataFrame, holders: dict, lp: HeldLP) -> pd.DataFrame:
    """Re-solve the largest capacities 10% larger, one at a time."""
    out = []
    for _, r in ranked.head(RESOLVED).iterrows():
        if r["Dual estimate of 10% more"] <= 0:
            break
        outcome = lp.resolve(_raised(lp, holders[r["_key"]], RAISE))
        saving = lp.objective - outcome.objective if outcome.optimal else None
        estimate = r["Dual estimate of 10% more"]
        out.append({
            "Rank": r["Rank"], "Capacity of": r["Capacity of"], "Stage": r["Stage"],
            "Dual estimate of 10% more": estimate, "Saving re-solved": saving,
            "Re-solved against estimate": None if saving is None else saving / estimate,
            "Why they differ": _why(saving, estimate, outcome.status)})
    return pd.DataFrame(out, columns=["Rank", "Capacity of", "Stage", "Dual estimate of 10% "
                                      "more", "Saving re-solved", "Re-solved against estimate",
                                      "Why they differ"])


def _why(saving: float | None, estimate: float, status: str) -> str:
    if saving is None:
        return f"the re-solve ended {status}"
    if saving >= estimate * 0.99:
        return "the price holds over the whole 10%"
    return ("the price holds for a smaller step only: within the 10% another limit binds "
            "(or the basis is degenerate), so the estimate is an upper bound")


def _stages(ranked: pd.DataFrame) -> pd.DataFrame:
    out = []
    for stage in STAGES:
        part = ranked[ranked["Stage"] == stage] if len(ranked) else ranked
        if part.empty:
            continue
        top = part.iloc[0]  # ranked: the largest dual estimate of 10% more, in money
        out.append({
            "Stage": stage, "Capacities": len(part),
            "Binding": int((part["Binding probability (most in a period)"] > 0).sum()),
            "Dual estimate of 10% more of every capacity": part["Dual estimate of 10% more"].sum(),
            "Most valuable capacity": top["Capacity of"], "Its unit": top["Unit"],
            "Its marginal value over the horizon": top["Marginal value over the horizon"],
            "Equivalent unit": top["Equivalent unit"],
            "Its marginal value per equivalent unit":
                top["Marginal value per equivalent unit over the horizon"]})
    frame = pd.DataFrame(out)
    if frame.empty:
        return frame
    return frame.sort_values("Dual estimate of 10% more of every capacity", ascending=False,
                             kind="stable").reset_index(drop=True)


def objective_meaning(data: PlanData) -> str:
    """What a change of the objective is, for the analyses' notes."""
    if data.risk.objective == "cvar":
        return (f"changes of the objective, {1 - data.risk.weight:g} x expected cost + "
                f"{data.risk.weight:g} x CVaR at {data.risk.level:.0%} (not of the expected "
                "cost alone)")
    return "changes of the expected cost (probability-weighted)"


def _headline(stages: pd.DataFrame, ranked: pd.DataFrame, resolved: pd.DataFrame,
              currency: str) -> list[str]:
    if stages.empty or stages["Binding"].sum() == 0:
        return ["No capacity binds: one more unit of any capacity would save nothing."]
    lines = []
    for k, s in stages.iterrows():
        if s["Binding"] == 0:
            lines.append(f"{s['Stage'].capitalize()}: no capacity binds.")
            continue
        value = money_text(s["Its marginal value over the horizon"], currency)
        of = "" if str(s["Its unit"]).endswith(s["Most valuable capacity"]) \
            else f" of {s['Most valuable capacity']}"  # a group's unit names it already
        worth = f"one more {s['Its unit']} a period{of} is worth {value}"
        if s["Equivalent unit"] and pd.notna(s["Its marginal value per equivalent unit"]):
            worth = (f"one more {s['Equivalent unit']} a period of {s['Most valuable capacity']} "
                     f"is worth {money_text(s['Its marginal value per equivalent unit'], currency)}"
                     f" ({value} per {s['Its unit']})")
        lead = f"{s['Stage'].capitalize()} binds most" if k == 0 else s["Stage"].capitalize()
        lines.append(
            f"{lead}: 10% more of its capacity would save up to "
            f"{money_text(s['Dual estimate of 10% more of every capacity'], currency)} "
            f"(dual estimate); {s['Binding']} of its {s['Capacities']} capacities bind; "
            f"{worth} over the horizon.")
    for _, r in resolved.iterrows():
        saving = ("did not re-solve" if pd.isna(r["Saving re-solved"]) else
                  f"saves {money_text(r['Saving re-solved'], currency)}")
        lines.append(f"Re-solved with {r['Capacity of']} 10% larger: {saving} (dual estimate "
                     f"{money_text(r['Dual estimate of 10% more'], currency)}).")
    return lines
