"""Checks of the network as a whole, before anything is solved, in the planner's terms.

- Demand that nothing can ever deliver is a problem, with the chain of reasons
  (:func:`check_reachability`).
- A loop of processes and lanes that turns a material into more of itself (a positive gain
  loop: the product of output per input around it above 1, as when a recipe's Quantity is
  typed upside down) is a problem naming its rows and the gain, since the plan would create
  that material from nothing; where the loop passes a process with other inputs, which
  may bring the material in (power from gas that gas plants use), it is a warning
  (:func:`check_gain_loops`).
- Capacity that can never be used (a process whose inputs never arrive, supply or an
  offtake whose material can never reach a demand, a lane that can never carry anything)
  and options that can never act are warnings naming their rows (:func:`check_idle`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import NamedTuple

from planner.problems import NETWORK_SHEETS, Row, Validation, ref_of

Pair = tuple[str, str]
"""(site, material)."""


def check_network(v: Validation) -> None:
    """:func:`check_reachability`, :func:`check_gain_loops` and :func:`check_idle` on one
    :class:`_Network`; skipped while a network sheet has problems of its own, which would
    only echo here."""
    if any(p.sheet in NETWORK_SHEETS for p in v.problems):
        return
    net = _Network(v.tables)
    check_reachability(v, net)
    check_gain_loops(v)
    check_idle(v, net)


def check_reachability(v: Validation, net: _Network) -> None:
    """Every demanded material can reach its site from some supply, spot market or process.

    A (site, material) pair is reachable if it is supplied or bought there, made there by a
    process whose inputs are all reachable there, or carried there by a lane from a site
    where it is reachable; the fixed point of these rules is computed once.
    """
    for row in v.tables["Demand"]:
        pair = (row["site"], row["material"])
        if None in pair or pair in net.reachable:
            continue
        v.add("Demand", ref_of(v, "Demand", row, "material"),
              f"nothing can ever deliver {pair[1]} to {pair[0]}: {net.why_not(pair)}",
              f"add a Supply or SpotMarket row, a process or a lane that brings {pair[1]} "
              f"to {pair[0]} or to where it is made")


class _Network:
    """Which (site, material) pairs can ever hold material, and why the others cannot."""

    def __init__(self, t: dict[str, list[Row]]) -> None:
        self.recipe: dict[str, list[str]] = defaultdict(list)
        for r in t["Recipes"]:
            self.recipe[r["process"]].append(r["input"])
        self.processes = [(p["process"], p["site"], p["output"]) for p in t["Processes"]]
        self.lanes = [(r["lane"], r["from"], r["to"], r["material"]) for r in t["Lanes"]]
        reachable = {(r["site"], r["material"]) for r in t["Supply"] + t["SpotMarket"]}
        reachable |= {(r["target"], r["material"]) for r in t["Options"]
                      if r["kind"] == "offtake"}
        reachable |= {(r["site"], r["material"]) for r in t["Stocks"] if r["initial_level"]}
        while True:
            before = len(reachable)
            reachable |= {(site, out) for name, site, out in self.processes
                          if all((site, m) in reachable for m in self.recipe[name])}
            reachable |= {(dst, mat) for _, src, dst, mat in self.lanes
                          if (src, mat) in reachable}
            if len(reachable) == before:
                break
        self.reachable = reachable
        useful = {(r["site"], r["material"]) for r in t["Demand"]}
        useful |= {(r["site"], r["material"]) for r in t["Stocks"] if r["end_minimum"]}
        while True:
            before = len(useful)
            useful |= {(site, m) for name, site, out in self.processes if (site, out) in useful
                       for m in self.recipe[name]}
            useful |= {(src, mat) for _, src, dst, mat in self.lanes if (dst, mat) in useful}
            if len(useful) == before:
                break
        self.useful = useful
        """Pairs from which material can reach some demand (or a stock's end minimum)."""

    def why_not(self, pair: tuple[str, str], depth: int = 3, seen: frozenset = frozenset()) -> str:
        """Why ``pair`` is unreachable, following missing inputs and lanes ``depth`` deep."""
        site, material = pair
        seen = seen | {pair}
        reasons = []
        for name, s, out in self.processes:
            if (s, out) == pair:
                lacking = [m for m in self.recipe[name] if (site, m) not in self.reachable]
                reasons.append(f"process {name} lacks {', '.join(lacking)}"
                               + self._deeper([(site, m) for m in lacking], depth, seen))
        for lane, src, dst, mat in self.lanes:
            if (dst, mat) == pair:
                reasons.append(f"lane {lane} brings none from {src}"
                               + self._deeper([(src, mat)], depth, seen))
        return "; ".join(reasons) or f"no supply, spot market, process or lane brings {material}"

    def _deeper(self, pairs: list[tuple[str, str]], depth: int, seen: frozenset) -> str:
        pairs = [p for p in pairs if p not in seen]
        if depth <= 1 or not pairs:
            return ""
        return " (" + "; ".join(f"at {s}: {self.why_not((s, m), depth - 1, seen)}"
                                for s, m in pairs) + ")"


def check_rows_with_reference_rules(v: Validation) -> None:
    """Rules that tie two sheets together beyond plain references."""
    with_recipe = {r["process"] for r in v.tables["Recipes"]}
    for p in v.tables["Processes"]:
        if p["process"] is not None and p["process"] not in with_recipe:
            v.warn("Processes", ref_of(v, "Processes", p, "process"),
                   f"process {p['process']} has no Recipes rows, so it makes "
                   f"{p['output']} from nothing",
                   "add its inputs on the Recipes sheet if it consumes any")
    for lane in v.tables["Lanes"]:
        if lane["from"] is not None and lane["from"] == lane["to"]:
            v.add("Lanes", ref_of(v, "Lanes", lane, "to"),
                  f"lane {lane['lane']} starts and ends at {lane['from']}",
                  "give it another destination or delete the row")


def check_idle(v: Validation, net: _Network) -> None:
    """Warnings for capacity that can never be used and options that can never act
    (skipped once the checks before it found problems, which would only echo here)."""
    if any(p.sheet in (*NETWORK_SHEETS, "Demand") for p in v.problems):
        return
    t = v.tables
    never: dict[str, str] = {}
    """Process -> why it can never run or never serve."""
    for p in t["Processes"]:
        lacking = [m for m in net.recipe[p["process"]] if (p["site"], m) not in net.reachable]
        if lacking:
            never[p["process"]] = (f"it lacks {', '.join(lacking)} at {p['site']}: "
                                   f"{net.why_not((p['site'], lacking[0]))}")
        elif (p["site"], p["output"]) not in net.useful:
            never[p["process"]] = f"no lane or process takes its {p['output']} to a demand"
    for p in t["Processes"]:
        if p["process"] in never and p["capacity"]:
            v.warn("Processes", ref_of(v, "Processes", p, "process"),
                   f"process {p['process']} can never be used: {never[p['process']]}",
                   "add what it lacks, or delete the row if it does not belong in the plan")
    warned: set[Pair] = set()
    for r in t["Supply"]:
        pair = (r["site"], r["material"])
        if pair not in net.useful and pair not in warned and r["capacity"]:
            warned.add(pair)
            v.warn("Supply", ref_of(v, "Supply", r, "material"),
                   f"the {pair[1]} supplied at {pair[0]} can never reach a demand: no lane "
                   "or process takes it on towards one",
                   f"add a lane for {pair[1]} from {pair[0]}, or a process there that uses it")
    for lane in t["Lanes"]:
        name, src, dst, mat = lane["lane"], lane["from"], lane["to"], lane["material"]
        why = (f"no {mat} ever reaches {src}" if (src, mat) not in net.reachable else
               f"nothing takes {mat} on from {dst} to a demand"
               if (dst, mat) not in net.useful else "")
        if why:
            v.warn("Lanes", ref_of(v, "Lanes", lane, "lane"),
                   f"lane {name} can never carry anything useful: {why}",
                   "check its From, To and Material, or delete the row")
    for o in t["Options"]:
        if o["kind"] == "offtake" and (o["target"], o["material"]) not in net.useful:
            why = f"its {o['material']} at {o['target']} can never reach a demand"
        elif o["kind"] in ("expansion", "conversion") and o["target"] in never:
            why = f"process {o['target']} can never be used: {never[o['target']]}"
        else:
            continue
        v.warn("Options", ref_of(v, "Options", o, "option"),
               f"option {o['option']} can never act: {why}",
               "mend the network it needs, or delete the option")


class Step(NamedTuple):
    """One edge of the material graph: ``gain`` units at ``to`` per unit at ``start``. Its
    words are put together only for a loop reported (a network has 100,000 lanes)."""

    start: Pair
    to: Pair
    gain: float
    row: Row
    """The Lanes row, or the Recipes row of one input of a process."""
    process: Row | None = None
    """The Processes row, for a recipe's input."""
    others: tuple[str, ...] = ()
    """For a process with other inputs: what they are (they may carry the material in)."""

    @property
    def sheet(self) -> str:
        return "Lanes" if self.process is None else "Recipes"

    @property
    def what(self) -> str:
        r, p = self.row, self.process
        if p is None:
            return (f"lane {r['lane']} carries it from {r['from']} to {r['to']} "
                    f"(Lanes row {r['_row']})")
        return (f"process {p['process']} makes 1 {p['output']} from {r['quantity']:g} "
                f"{r['input']} (Recipes row {r['_row']})")

    @property
    def fed(self) -> str:
        return f"{self.process['process']}'s other inputs ({', '.join(self.others)})" \
            if self.others else ""

    def cell(self, v: Validation) -> str:
        return ref_of(v, self.sheet, self.row, "lane" if self.process is None else "quantity")


GAIN_TOLERANCE = 1e-9
"""A loop gains when its product of gains exceeds 1 by more than this (rounding)."""
MOST_LOOPS = 5


def check_gain_loops(v: Validation) -> None:
    """No loop of processes and lanes makes a material from less of itself.

    Each process at site s with output o and a recipe input i of Quantity q is an edge
    (s, i) -> (s, o) of gain 1/q; each lane from a to b for material m an edge
    (a, m) -> (b, m) of gain 1. A cycle whose gains multiply to more than 1 is a way to
    create material. Cycles lie within the nodes that keep an edge in and an edge out once
    the others are pruned away; among those, Bellman-Ford on -log(gain) finds a cycle of
    negative weight. A loop found whose gain exceeds 1 by more than
    :data:`GAIN_TOLERANCE` is reported (a warning where a process on it has other inputs);
    its edges are dropped to look for more.
    """
    steps = _on_cycles(_steps(v))  # removing a loop's steps puts no other on a cycle
    for _ in range(MOST_LOOPS):
        loop = _gaining_loop(_on_cycles(steps))
        if not loop:
            return
        steps = [s for s in steps if s not in loop]
        gain = math.prod(step.gain for step in loop)
        if gain <= 1.0 + GAIN_TOLERANCE:
            continue
        first = loop.index(max(loop, key=lambda step: step.gain))  # the likeliest slip
        loop = loop[first:] + loop[:first]
        start, fed = loop[0].start, [step.fed for step in loop if step.fed]
        report = v.warn if fed else v.add
        report(loop[0].sheet, loop[0].cell(v),
               f"these rows turn 1 {start[1]} at {start[0]} back into {gain:.4g}: "
               + "; ".join(step.what for step in loop)
               + (f", so unless {' and '.join(fed)} bring it" if fed else ", so")
               + f" the plan could create {start[1]} from nothing",
               "check the Quantity of these recipes (a ratio typed upside down makes such a "
               "loop) and their units")


def _steps(v: Validation) -> list[Step]:
    processes = {p["process"]: p for p in v.tables["Processes"]}
    inputs: dict[str, list[str]] = defaultdict(list)
    for r in v.tables["Recipes"]:
        inputs[r["process"]].append(r["input"])
    steps = []
    for r in v.tables["Recipes"]:
        p = processes.get(r["process"])
        if p is not None and r["quantity"]:
            others = tuple(m for m in inputs[r["process"]] if m != r["input"])
            steps.append(Step((p["site"], r["input"]), (p["site"], p["output"]),
                              1.0 / r["quantity"], r, p, others))
    steps += [Step((lane["from"], lane["material"]), (lane["to"], lane["material"]), 1.0, lane)
              for lane in v.tables["Lanes"]]
    return steps


def _on_cycles(steps: list[Step]) -> list[Step]:
    """The steps left once every node without a step in or a step out is pruned."""
    while True:
        starts, ends = {s.start for s in steps}, {s.to for s in steps}
        kept = [s for s in steps if s.start in ends and s.to in starts]
        if len(kept) == len(steps):
            return kept
        steps = kept


def _gaining_loop(steps: list[Step]) -> list[Step]:
    """A cycle of ``steps`` whose gains multiply to more than 1, in order, or []."""
    nodes = {s.start for s in steps} | {s.to for s in steps}
    if not nodes:
        return []
    distance = dict.fromkeys(nodes, 0.0)
    before: dict[Pair, Step] = {}
    threshold = math.log1p(GAIN_TOLERANCE) / max(len(nodes), 1)  # the loop is judged whole
    for _ in range(len(nodes)):
        moved = None
        for s in steps:
            shorter = distance[s.start] - math.log(s.gain)
            if shorter < distance[s.to] - threshold:
                distance[s.to], before[s.to], moved = shorter, s, s.to
        if moved is None:
            return []
    node = moved
    for _ in range(len(nodes)):  # walk back onto the cycle itself
        node = before[node].start
    loop, at = [], node
    while True:
        step = before[at]
        loop.append(step)
        at = step.start
        if at == node:
            return loop[::-1]
