"""Risk exposure: what the failure of each node costs, and how long the chain survives it.

After Simchi-Levi et al., "Identifying Risks and Mitigating Disruptions in the Automotive
Supply Chain" (Interfaces 45(5), 2015): each node (site, process, lane, and each
country's exports) is knocked out for its time to recover (TTR), with the plan's
commitments fixed, and the recourse is re-solved in every scenario; the extra cost is the
performance impact. The knock-out is a disruption at availability 0 in every scenario
(:class:`planner.reach.Reach`'s meaning of a site, process, lane or country
scope), starting in each period; the worst start is reported. The time to survive (TTS)
from a start is the longest outage with no more unmet demand than the plan has (stocks
help), found by bisection; a node's TTS is the shortest over the starts at which the chain
fails within the horizon.

Each re-solve is a warm re-solve of the plan's LP (:mod:`planner.lp`), in worker
processes (:mod:`planner.runner`), one task per node. The stress scenarios' cap on unmet
demand is lifted for every exposure solve, the plan's included: a failure shows as unmet
demand and its penalty, which is what the analysis measures, not as no plan at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.data import PlanData
from planner.analysis import money_text
from planner.analysis.bottlenecks import REFINED_KINDS, objective_meaning
from planner.convert import Origins
from planner.engine import Solved
from planner.reach import Reach
from planner.lp import INFINITY, Change, Worker, resolve_in_worker, start_worker
from planner.runner import run_all

SURVIVES = 1e-6
"""An outage is survived where expected unmet demand grows by at most this share of the
expected demand."""


@dataclass(frozen=True)
class Node:
    kind: str
    """site, process, lane or country: the disruption scope (:class:`Reach`) it fails by."""
    name: str
    group: str
    """What it is: the site's kind, refining process, cell-making process, lane, or
    exporting country."""
    stage: str
    recovery: int
    sheet: str
    row: int | None


@dataclass(frozen=True)
class NodeTask:
    """A node's knock-out in each period (index: period), for a worker."""

    periods: tuple[Change, ...]
    recovery: int
    base: Change
    """Changes every exposure solve makes (the stress caps lifted)."""
    base_objective: float
    base_unmet: float
    tolerance: float


@dataclass(frozen=True)
class NodeOutcome:
    extra_cost: tuple[float | None, ...]
    """Per start period: extra objective with the node out for its TTR (None: no plan)."""
    extra_unmet: tuple[float | None, ...]
    survives: tuple[int, ...]
    """Per start period: the longest outage (periods) with no extra unmet demand."""
    solves: int


@dataclass(frozen=True)
class Exposure:
    headline: list[str]
    ranked: pd.DataFrame
    by_group: pd.DataFrame
    by_start: pd.DataFrame
    solves: int
    note: str


def nodes(data: PlanData, origins: Origins | None) -> list[Node]:
    """Every site, process, lane and exporting country, with its time to recover."""
    o = origins or Origins()
    kind = {m.id: m.kind for m in data.materials}
    country = {n.id: n.country for n in data.sites}
    stage = {"mine": "mining", "refinery": "refining", "cell plant": "cell making",
             "market": "market", "hub": "logistics"}
    out = [Node("site", n.id, n.kind, stage.get(n.kind, n.kind),
                data.recovery if n.recovery is None else n.recovery, "Sites", o.site.get(n.id))
           for n in data.sites]
    for k in data.processes:
        refining = kind[k.output] in REFINED_KINDS
        out.append(Node("process", k.id, "refining process" if refining else
                        "cell-making process", "refining" if refining else "cell making",
                        data.recovery if k.recovery is None else k.recovery, "Processes",
                        o.process.get(k.id)))
    out += [Node("lane", x.id, "lane", "logistics",
                 data.recovery if x.recovery is None else x.recovery, "Lanes", o.lane.get(x.id))
            for x in data.lanes]
    exporting = sorted({country[x.origin] for x in data.lanes
                        if country[x.origin] != country[x.destination]})
    out += [Node("country", c, "exporting country", "exports", data.recovery, "Settings", None)
            for c in exporting]
    return out


def _knockouts(node: Node, plan: Solved, data: PlanData, reach: Reach) -> tuple[Change, ...]:
    """Per period, the LP changes that take the node out in every scenario."""
    m, lp = plan.model, plan.lp
    offtakes = {(o.target, o.material): o.id for o in data.options if o.kind == "offtake"}
    hit = reach.hits(node.kind, node.name)
    out = []
    for t in (p.id for p in data.periods):
        columns, rows = [], []

        def zero(var_family, key) -> None:
            if key in var_family:
                j = lp.column(var_family[key])
                if j is not None:
                    columns.append((j, 0.0, 0.0))

        for s in (x.id for x in data.scenarios):
            for kind, target in hit:
                if kind == "supply":
                    zero(m.v_supply, (s, t, *target))
                    option = offtakes.get(target)
                    if option is not None:
                        zero(m.v_offtake, (s, t, option))
                        if (s, t, option) in m.c_take_or_pay:
                            i = lp.row(m.c_take_or_pay[s, t, option])
                            rows.append((i, -INFINITY, INFINITY))
                elif kind == "process":
                    zero(m.v_activity, (s, t, target[0]))
                else:
                    zero(m.v_flow, (s, t, target[0]))
        out.append(Change(tuple(columns), tuple(rows)))
    return tuple(out)


def _merged(*changes: Change) -> Change:
    return Change(tuple(c for x in changes for c in x.columns),
                  tuple(r for x in changes for r in x.rows))


def exposure_of_node(worker: Worker, task: NodeTask) -> NodeOutcome:
    """The node out for its TTR from each start, and the longest outage survived."""
    periods = len(task.periods)
    solves = 0

    def outage(start: int, length: int):
        nonlocal solves
        solves += 1
        window = task.periods[start:start + length]
        return resolve_in_worker(worker, _merged(task.base, *window))

    def survived(outcome) -> bool:
        return outcome.optimal and \
            outcome.readouts["unmet"] <= task.base_unmet + task.tolerance

    costs, unmet, survives = [], [], []
    for start in range(periods):
        longest = periods - start
        whole = None
        if task.recovery == 0:
            costs.append(0.0)
            unmet.append(0.0)
        else:
            hit = outage(start, task.recovery)
            costs.append(hit.objective - task.base_objective if hit.optimal else None)
            unmet.append(hit.readouts["unmet"] - task.base_unmet if hit.optimal else None)
            whole = hit if task.recovery >= longest else None
        if survived(whole or outage(start, longest)):
            survives.append(longest)
            continue
        low, high = 0, longest - 1
        while low < high:
            middle = (low + high + 1) // 2
            if survived(outage(start, middle)):
                low = middle
            else:
                high = middle - 1
        survives.append(low)
    return NodeOutcome(tuple(costs), tuple(unmet), tuple(survives), solves)


def exposure(plan: Solved, data: PlanData, origins: Origins | None, currency: str,
             on_done: Callable[[int, int], None] | None = None) -> Exposure | None:
    """Every node knocked out in turn (see the module text); None without the plan's LP,
    or when it does not solve with the stress caps lifted."""
    lp = plan.lp
    if lp is None:
        return None
    m, units = plan.model, plan.units
    p = {s.id: s.probability for s in data.scenarios}
    unmet = [(lp.column(m.v_unmet[key]), p[key[0]] * units.of(m.v_unmet[key]))
             for key in m.v_unmet]
    portable = lp.portable({"unmet": (np.array([j for j, _ in unmet], dtype=np.int64),
                                      np.array([w for _, w in unmet]))})
    lifted = Change(rows=tuple((lp.row(m.c_stress_cap[key]), -INFINITY, INFINITY)
                               for key in m.c_stress_cap))
    base = lp.resolve(lifted, portable.readouts)
    if not base.optimal:
        return None
    demand = sum(d.quantity for d in data.demands)
    every = nodes(data, origins)
    reach = Reach.of_data(data)
    tasks = [NodeTask(_knockouts(n, plan, data, reach), n.recovery, lifted, base.objective,
                      base.readouts["unmet"], SURVIVES * demand) for n in every]
    outcomes = run_all(exposure_of_node, tasks, start=start_worker, start_args=(portable,),
                       on_done=on_done, fewest_per_worker=20)
    periods = [t.id for t in data.periods]
    unit = sorted({next(x.unit for x in data.materials if x.id == d.material)
                   for d in data.demands})
    return _tables(every, outcomes, periods, currency,
                   unit[0] if len(unit) == 1 else "units of each demand",
                   objective_meaning(data))


def planned_solves(data: PlanData) -> int:
    """The most re-solves :func:`exposure` runs: per node and start, one for the TTR and
    at most one plus a bisection for the TTS."""
    periods = len(data.periods)
    per_node = sum(1 + 1 + max(0, (periods - t - 1).bit_length()) for t in range(periods))
    return len(nodes(data, None)) * per_node


def _tables(every: list[Node], outcomes: list[NodeOutcome], periods: list[str],
            currency: str, unit: str, meaning: str) -> Exposure:
    starts, ranked = [], []
    for n, o in zip(every, outcomes):
        for k, t in enumerate(periods):
            starts.append({"Node": n.name, "Kind": n.group, "Start": t,
                           "Extra cost": o.extra_cost[k], "Extra unmet demand": o.extra_unmet[k],
                           "Time to survive": o.survives[k],
                           "Survives to the end": o.survives[k] == len(periods) - k})
        known = [(c, k) for k, c in enumerate(o.extra_cost) if c is not None]
        worst = max(known)[1] if known else None
        fails = [(o.survives[k], k) for k in range(len(periods))
                 if o.survives[k] < len(periods) - k]
        tts = min(fails) if fails else None
        ranked.append({
            "Node": n.name, "Kind": n.group, "Stage": n.stage, "Sheet": n.sheet,
            "Row": n.row, "Time to recover": n.recovery,
            "Worst start": None if worst is None else periods[worst],
            "Extra cost": None if worst is None else o.extra_cost[worst],
            "Extra unmet demand": None if worst is None else o.extra_unmet[worst],
            "Unit": unit,
            "Time to survive": None if tts is None else tts[0],
            "Fails from": None if tts is None else periods[tts[1]],
            "Survives": "to the end of the horizon from every start" if tts is None else
            f"{tts[0]} period(s) from {periods[tts[1]]}",
            "Plan without it": "no plan from some start (a hard limit cannot hold)"
            if len(known) < len(periods) and n.recovery > 0 else ""})
    frame = pd.DataFrame(ranked).sort_values("Extra cost", ascending=False, na_position="first",
                                             kind="stable").reset_index(drop=True)
    worst = frame["Extra cost"].max()
    frame.insert(0, "Rank", np.arange(1, len(frame) + 1))
    frame["Risk exposure index"] = frame["Extra cost"] / worst if worst > 0 else 0.0
    groups = []
    for group, part in frame.groupby("Kind", sort=False):
        top = part.iloc[0]
        groups.append({"Kind": group, "Nodes": len(part), "Worst node": top["Node"],
                       "Worst extra cost": top["Extra cost"],
                       "Nodes whose failure leaves demand unmet":
                           int((part["Time to survive"].notna()).sum())})
    by_group = pd.DataFrame(groups)
    headline = [(f"A single {g['Kind']} failure can leave no plan at all ({g['Worst node']}: "
                 "a hard limit, such as a take-or-pay or a policy, cannot hold with it out)"
                 if pd.isna(g["Worst extra cost"]) else
                 f"A single {g['Kind']} failure costs up to "
                 f"{money_text(g['Worst extra cost'], currency)} ({g['Worst node']})")
                + f"; {g['Nodes whose failure leaves demand unmet']} of {g['Nodes']} leave "
                "demand unmet within the horizon." for _, g in by_group.iterrows()]
    solves = sum(o.solves for o in outcomes)
    note = (f"{solves:,} warm re-solves of the plan's LP with its commitments fixed; each node "
            "out for its time to recover (periods), starting in each period, in every scenario;"
            f" extra costs are {meaning}, discounted, in {currency}; the stress scenarios' cap "
            "on unmet demand is lifted.")
    return Exposure(headline, frame, by_group, pd.DataFrame(starts), solves, note)
