"""An independent check of a battery-planner result against its input workbook.

Written apart from the project: it imports nothing from ``planner`` or ``models``, only
openpyxl and the standard library. It reads the INPUT workbook (what the planner was
asked) and the RESULT workbook (what it answered) and recomputes, from the input's data
and the result's quantities and decisions alone, in EVERY scenario and period (one method
of :class:`Checker` per family):

1. ``decisions``: one Decisions row per Options row, with the input's Kind, Target,
   Material, Earliest period and Decision; Taken 0 or 1 for a binary option and within
   [0, 1] for a continuous one; at most one option taken per exclusive group; Capacity
   added = capacity x taken; Fixed cost = fixed cost x taken (x the number of periods
   from the earliest on, for cost basis ``per period``); Discounted cost = fixed cost x
   taken x the earliest period's discount factor (one-off) or the sum of the discount
   factors from the earliest period on (per period). Their sum is the commitments.
2. ``sourcing``: Supply rows within capacity x availability; offtake rows (the option's
   target site and contracted material, from its earliest period on) within capacity x
   taken x availability and at least take-or-pay x that; nothing from a source the
   input does not offer; Cost = quantity x the input's unit cost.
3. ``processing``: activity within availability x (capacity + the capacity of
   expansions and conversions into the process - conversions out of it, each x taken,
   from the option's earliest period on); Cost = activity x variable cost.
4. ``capacity_groups``: sum of use x activity within the group's capacity.
5. ``flows``: each lane carries what the input says, within capacity x availability
   (an unlimited lane stays unlimited unless its availability is 0); transport and
   tariff cost = quantity x the input's cost and tariff.
6. ``spot``: purchases only where offered, within maximum x quantity multiplier (an
   unlimited one stays unlimited unless the multiplier is 0); Cost = quantity x price x
   price multiplier.
7. ``stocks``: a row per Stocks row, scenario and period; level within maximum + the
   room of stock options taken (from their earliest period), which the Maximum column
   must show; at least the end minimum in the last period; Cost = level x holding cost.
8. ``demand``: a row per Demand row and scenario, Demand as the input asks, Served +
   Unmet = Demand; Penalty cost = unmet x penalty.
9. ``stress_caps``: in scenarios of kind ``stress``, per period and material, total
   unmet <= Settings "Stress unmet share" x total demand.
10. ``policies``: country shares of a material's supply where it enters the network
    (Supply rows, offtakes, process output and spot purchases at sites in the listed
    countries, against the same from everywhere); a process's share of all output of
    its material.
11. ``balances``: at every (scenario, period, site, material)::

        supply + offtakes + spot + process output + lane inflow + stock before
            = recipe consumption + lane outflow + served demand + stock after

    where "stock before" is the previous period's level (the initial level in the
    first period).
12. ``costs_sheet``: every Costs row (Probability, Cost, Discount factor, Discounted
    cost) per scenario, period and category, from input prices: mining (Supply unit
    cost and offtake unit cost), processing / cell making (variable cost; cell making
    when the output's kind is cell or product), transport, tariffs, stock holding, spot
    (at the shocked price) and unmet demand (penalty).
13. ``scenarios_sheet``: per scenario, Kind and Probability as the input says,
    Commitments, Recourse cost (the discounted costs), Total cost = Commitments +
    Recourse cost, Spot spend, Unmet demand cost and the largest unmet share.
14. ``summary``: the Input SHA-256; the objective item, which is the expected total cost
    sum of probability x scenario total (Settings Objective ``expected``) or (1 - Risk
    weight) x that + Risk weight x CVaR (``cvar``); the cost-category table (expected
    cost per category undiscounted and discounted, the Commitments row, the Total row)
    and the expected demand, served and unmet per material.
15. ``risk_sheet``: Objective, Expected cost, CVaR at the Settings level (recomputed by
    Rockafellar-Uryasev: min over eta of eta + E[(total - eta)+] / (1 - level)), worst
    and best case, spread, standard deviation, and the recourse problem (RP) value.

Availabilities come from Disruptions as documented for the input workbook: scope
``supply`` hits the Supply rows and offtake options at the target site; ``site`` those
plus the site's processes and every lane into or out of it; ``country`` the lanes that
leave the country (From in it, To not); ``process`` and ``lane`` the one named. A
Material narrows a row to that material (a process's output, a lane's material); blank
First / Last period mean the first / last period; where rows overlap the lowest
availability holds; everything else has availability 1. PriceShocks multiply the price
and maximum of the SpotMarket rows (after 'all' is spread) they match, per scenario. A
PriceLinks row (Material, Index, Pass-through p) follows the index: where the PriceShocks
rows with a blank Site multiply the Index's price by m (their product) in a scenario and
period, the Supply and offtake unit costs of Material are multiplied by 1 + p (m - 1), and
so are its spot prices unless Material is the Index itself.

Input conventions: header in row 1, an optional hint row 2 (cells like ``"t;
required"``), data after; Settings is a Key/Value sheet; rows for period ``all`` (Supply,
SpotMarket, Policies; a blank Policies period is ``all``) apply to every period without
a row of its own; blanks take the documented defaults (Penalty: Settings "Unmet demand
penalty"; Tariff, Initial level, Holding cost, End minimum, Take or pay, Unit cost: 0;
Use, multipliers: 1; Earliest period: the first; Decision: binary; Cost basis: one-off;
Kind of a scenario: normal; lane Capacity or spot Maximum: no limit). A workbook without
Scenarios rows has one scenario ``base`` of probability 1.

Rows absent from Sourcing, Processing, Flows and Spot purchases count as zero; every
input Demand row must appear in Unmet demand, every Stocks row in Stocks and every
option in Decisions, for every scenario. The Sourcing sheet does not name the option of
an offtake row: a row is matched to the source at its site, material and period with
its Unit cost (then its Capacity, then input order).

Usage: ``check(input_path, result_path) -> list[str]`` (empty when all holds), or
``python tests/independent_check.py INPUT.xlsx RESULT.xlsx``.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

CATEGORIES = ("mining", "processing", "cell making", "transport", "tariffs", "stock holding",
              "spot", "unmet demand")
CELL_MAKING_KINDS = {"cell", "product"}
DEFAULT_PENALTY = 100_000.0
ALL_PERIODS = "all"
BASE_SCENARIO = "base"
COMMITMENTS_ROW = "commitments (options taken)"
HINT = re.compile(r";\s*(required|optional)\b")


# ---------------------------------------------------------------- reading cells

def text(value: object) -> str:
    """A name as the planner compares it: whitespace collapsed, 2026.0 read as 2026."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def word(value: object) -> str:
    """An allowed value (a kind, a scope), which the planner reads in any case."""
    return text(value).casefold()


def number(value: object, blank: float | None = None) -> float | None:
    """A numeric cell as float; ``blank`` where it is empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return blank
    return float(value)


def close(a: float, b: float, tol: float) -> bool:
    """Equal within an absolute plus a relative tolerance."""
    return abs(a - b) <= tol + tol * max(abs(a), abs(b))


def fmt(x: float | None) -> str:
    return "none" if x is None else f"{x:.10g}"


def read_rows(ws, skip_hint_row: bool = True) -> list[tuple[int, dict[str, object]]]:
    """(row number, header -> value) for every non-blank row under the header of row 1."""
    rows = ws.iter_rows(values_only=True)
    header = next(rows, ())
    names = [text(h) for h in header]
    out = []
    for i, values in enumerate(rows, start=2):
        record = {n: v for n, v in zip(names, values) if n}
        filled = [v for v in record.values() if v is not None and text(v) != ""]
        if not filled:
            continue
        if i == 2 and skip_hint_row and all(isinstance(v, str) and HINT.search(v)
                                            for v in filled):
            continue
        out.append((i, record))
    return out


def titled_table(ws, first_header: str) -> list[tuple[int, dict[str, object]]]:
    """Rows of the first table on ``ws`` whose header row starts with ``first_header``;
    the table ends at a blank row or a title line (a row with only its first cell)."""
    rows = list(ws.iter_rows(values_only=True))
    start = next((i for i, r in enumerate(rows) if r and text(r[0]) == first_header), None)
    if start is None:
        return []
    names = [text(h) for h in rows[start]]
    out = []
    for i in range(start + 1, len(rows)):
        values = rows[i]
        if not values or values[0] is None or all(v is None for v in values[1:]):
            break
        out.append((i + 1, {n: v for n, v in zip(names, values) if n}))
    return out


# ---------------------------------------------------------------- the input

@dataclass
class Process:
    site: str
    output: str
    capacity: float
    cost: float
    category: str
    recipe: dict[str, float] = field(default_factory=dict)


@dataclass
class Lane:
    origin: str
    destination: str
    material: str
    cost: float
    tariff: float
    capacity: float | None


@dataclass
class Option:
    name: str
    kind: str
    target: str
    material: str
    source: str
    capacity: float
    unit_cost: float
    fixed_cost: float
    per_period: bool
    take_or_pay: float
    earliest: str
    binary: bool
    group: str
    periods: list[str]
    """The periods it runs in: from the earliest on."""


@dataclass
class Stock:
    initial: float
    maximum: float
    holding_cost: float
    end_minimum: float


@dataclass
class Policy:
    name: str
    kind: str
    period: str
    share: float
    material: str
    countries: tuple[str, ...]
    process: str


@dataclass
class Plan:
    """What the input workbook asks, with 'all' rows spread over the periods."""

    periods: list[str]
    discount: dict[str, float]
    settings: dict[str, object]
    probability: dict[str, float]
    scenario_kind: dict[str, str]
    country: dict[str, str]                                       # site -> country
    supply: dict[tuple[str, str, str], tuple[float, float]]      # (t, n, m) -> capacity, cost
    processes: dict[str, Process]
    lanes: dict[str, Lane]
    demand: dict[tuple[str, str, str], tuple[float, float]]      # (t, n, m) -> quantity, penalty
    spot: dict[tuple[str, str, str], tuple[float, float | None]]  # (t, n, m) -> price, maximum
    options: dict[str, Option]
    groups: dict[str, tuple[float, list[tuple[str, float]]]]      # group -> capacity, members
    stocks: dict[tuple[str, str], Stock]                          # (site, material) -> stock
    policies: list[Policy]
    availability: dict[tuple[str, str, str, tuple[str, ...]], float]
    """(kind, scenario, period, target) -> share; kind supply (site, material), process
    (process,) or lane (lane,); absent means 1."""
    spot_factor: dict[tuple[str, str, str, str], tuple[float, float]]
    """(scenario, period, site, material) -> (price factor, quantity factor)."""
    contract_factor: dict[tuple[str, str, str], float]
    """(scenario, period, material) -> factor on Supply and offtake unit costs."""

    def share(self, kind: str, s: str, t: str, *target: str) -> float:
        return self.availability.get((kind, s, t, target), 1.0)

    def options_of(self, kind: str, target: str, material: str = "") -> list[Option]:
        return [o for o in self.options.values() if o.kind == kind and o.target == target
                and (not material or o.material == material)]


def _table(wb, name: str) -> list[dict[str, object]]:
    return [row for _, row in read_rows(wb[name])] if name in wb.sheetnames else []


def _per_period(rows: list[dict], key: tuple[str, ...], periods: list[str],
                blank_is_all: bool = False) -> dict:
    """(period, *key) -> row, 'all' rows filling the periods without their own."""
    def period(row):
        t = text(row.get("Period"))
        return ALL_PERIODS if (blank_is_all and not t) or t.casefold() == ALL_PERIODS else t

    out = {}
    for row in rows:
        if period(row) != ALL_PERIODS:
            out[(period(row), *(text(row[k]) for k in key))] = row
    for row in rows:
        if period(row) == ALL_PERIODS:
            for t in periods:
                out.setdefault((t, *(text(row[k]) for k in key)), row)
    return out


def _span(row: dict, periods: list[str]) -> list[str]:
    """The periods from a row's First period to its Last period (blank: the ends)."""
    first = periods.index(text(row.get("First period")) or periods[0])
    last = periods.index(text(row.get("Last period")) or periods[-1])
    return periods[first:last + 1]


def _availability(rows: list[dict], periods: list[str], country: dict[str, str],
                  supplied: set[tuple[str, str]], processes: dict[str, Process],
                  lanes: dict[str, Lane]) -> dict:
    """Disruptions resolved to the supply, processes and lanes they hit; lowest wins."""
    lowest: dict[tuple[str, str, str, tuple[str, ...]], float] = {}
    for r in rows:
        scope, target, material = word(r["Scope"]), text(r["Target"]), text(r.get("Material"))

        def wanted(m: str) -> bool:
            return not material or m == material

        hits: list[tuple[str, tuple[str, ...]]] = []
        if scope in ("supply", "site"):
            hits += [("supply", (n, m)) for n, m in sorted(supplied)
                     if n == target and wanted(m)]
        if scope == "site":
            hits += [("process", (k,)) for k, p in processes.items()
                     if p.site == target and wanted(p.output)]
            hits += [("lane", (x,)) for x, ln in lanes.items()
                     if target in (ln.origin, ln.destination) and wanted(ln.material)]
        if scope == "country":
            hits += [("lane", (x,)) for x, ln in lanes.items()
                     if country.get(ln.origin) == target != country.get(ln.destination)
                     and wanted(ln.material)]
        if scope == "process" and target in processes and wanted(processes[target].output):
            hits.append(("process", (target,)))
        if scope == "lane" and target in lanes and wanted(lanes[target].material):
            hits.append(("lane", (target,)))
        share = number(r["Availability"])
        for t in _span(r, periods):
            for kind, hit in hits:
                key = (kind, text(r["Scenario"]), t, hit)
                lowest[key] = min(lowest.get(key, 1.0), share)
    return lowest


def _contract_factors(shocks: list[dict], links: list[dict], periods: list[str]
                      ) -> dict[tuple[str, str, str], float]:
    """(scenario, period, material) -> the factor on the material's contract prices."""
    moves: dict[tuple[str, str, str], float] = defaultdict(lambda: 1.0)
    for r in shocks:
        if not text(r.get("Site")):
            for t in _span(r, periods):
                moves[(text(r["Scenario"]), t, text(r["Material"]))] *= \
                    number(r.get("Price multiplier"), 1.0)
    return {(s, t, text(link["Material"])): 1.0 + number(link["Pass-through"]) * (m - 1.0)
            for link in links for (s, t, index), m in moves.items()
            if index == text(link["Index"])}


def _spot_factors(rows: list[dict], periods: list[str], spot: dict, links: list[dict]) -> dict:
    """PriceShocks applied to the spot offers they match, and to those of the materials that
    follow their material (PriceLinks); matching rows multiply."""
    factors: dict[tuple[str, str, str, str], tuple[float, float]] = {}
    for r in rows:
        material, site, span = text(r["Material"]), text(r.get("Site")), set(_span(r, periods))
        for t, n, m in spot:
            if m == material and site in ("", n) and t in span:
                key = (text(r["Scenario"]), t, n, m)
                p, q = factors.get(key, (1.0, 1.0))
                factors[key] = (p * number(r.get("Price multiplier"), 1.0),
                                q * number(r.get("Quantity multiplier"), 1.0))
    others = [x for x in links if text(x["Material"]) != text(x["Index"])]
    for (s, t, material), f in _contract_factors(rows, others, periods).items():
        for when, n, m in spot:
            if (when, m) == (t, material):
                p, q = factors.get((s, t, n, m), (1.0, 1.0))
                factors[(s, t, n, m)] = (p * f, q)
    return factors


def read_input(path: Path) -> Plan:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        settings: dict[str, object] = {}
        if "Settings" in wb.sheetnames:
            for _, row in read_rows(wb["Settings"], skip_hint_row=False):
                settings[word(row.get("Key"))] = row.get("Value")
        rate = number(settings.get("discount rate"), 0.0)
        default_penalty = number(settings.get("unmet demand penalty"), DEFAULT_PENALTY)

        periods = [text(r["Period"]) for r in _table(wb, "Periods")]
        discount = {t: (1.0 + rate) ** -k for k, t in enumerate(periods)}
        kind = {text(r["Material"]): word(r["Kind"]) for r in _table(wb, "Materials")}
        country = {text(r["Site"]): text(r["Country"]) for r in _table(wb, "Sites")}

        scenarios = _table(wb, "Scenarios")
        probability = {text(r["Scenario"]): number(r["Probability"]) for r in scenarios} \
            or {BASE_SCENARIO: 1.0}
        scenario_kind = {text(r["Scenario"]): word(r.get("Kind")) or "normal"
                         for r in scenarios} or {BASE_SCENARIO: "normal"}

        supply = {k: (number(r["Capacity"]), number(r["Unit cost"]))
                  for k, r in _per_period(_table(wb, "Supply"), ("Site", "Material"),
                                          periods).items()}
        spot = {(t, n, m): (number(r["Price"]), number(r.get("Maximum")))
                for (t, m, n), r in _per_period(_table(wb, "SpotMarket"), ("Material", "Site"),
                                                periods).items()}
        processes = {}
        for r in _table(wb, "Processes"):
            output = text(r["Output"])
            processes[text(r["Process"])] = Process(
                text(r["Site"]), output, number(r["Capacity"]), number(r["Variable cost"]),
                "cell making" if kind.get(output) in CELL_MAKING_KINDS else "processing")
        for r in _table(wb, "Recipes"):
            recipe = processes[text(r["Process"])].recipe
            recipe[text(r["Input"])] = recipe.get(text(r["Input"]), 0.0) + number(r["Quantity"])
        lanes = {text(r["Lane"]): Lane(text(r["From"]), text(r["To"]), text(r["Material"]),
                                       number(r["Cost"]), number(r.get("Tariff"), 0.0),
                                       number(r.get("Capacity")))
                 for r in _table(wb, "Lanes")}
        demand = {(text(r["Period"]), text(r["Site"]), text(r["Material"])):
                  (number(r["Quantity"]), number(r.get("Penalty"), default_penalty))
                  for r in _table(wb, "Demand")}

        options = {}
        for r in _table(wb, "Options"):
            earliest = text(r.get("Earliest period")) or periods[0]
            options[text(r["Option"])] = Option(
                text(r["Option"]), word(r["Kind"]), text(r["Target"]), text(r.get("Material")),
                text(r.get("From process")), number(r["Capacity"]),
                number(r.get("Unit cost"), 0.0), number(r["Fixed cost"]),
                word(r.get("Cost basis")) == "per period", number(r.get("Take or pay"), 0.0),
                earliest, word(r.get("Decision")) != "continuous",
                text(r.get("Exclusive group")), periods[periods.index(earliest):])
        groups: dict[str, tuple[float, list[tuple[str, float]]]] = {}
        for r in _table(wb, "CapacityGroups"):
            _, members = groups.setdefault(text(r["Group"]), (number(r["Capacity"]), []))
            members.append((text(r["Process"]), number(r.get("Use"), 1.0)))
        stocks = {(text(r["Site"]), text(r["Material"])): Stock(
                      number(r.get("Initial level"), 0.0), number(r["Maximum"]),
                      number(r.get("Holding cost"), 0.0), number(r.get("End minimum"), 0.0))
                  for r in _table(wb, "Stocks")}
        policies = [Policy(text(r["Policy"]), word(r["Kind"]), t, number(r["Share"]),
                           text(r.get("Material")),
                           tuple(c.strip() for c in text(r.get("Countries")).split(",")
                                 if c.strip()),
                           text(r.get("Process")))
                    for (t, _), r in _per_period(_table(wb, "Policies"), ("Policy",), periods,
                                                 blank_is_all=True).items()]

        supplied = {(n, m) for _, n, m in supply} | \
            {(o.target, o.material) for o in options.values() if o.kind == "offtake"}
        availability = _availability(_table(wb, "Disruptions"), periods, country, supplied,
                                     processes, lanes)
        shocks, links = _table(wb, "PriceShocks"), _table(wb, "PriceLinks")
        return Plan(periods, discount, settings, probability, scenario_kind, country, supply,
                    processes, lanes, demand, spot, options, groups, stocks, policies,
                    availability, _spot_factors(shocks, periods, spot, links),
                    _contract_factors(shocks, links, periods))
    finally:
        wb.close()


# ---------------------------------------------------------------- measures of risk

def conditional_value_at_risk(totals: list[float], p: list[float], level: float) -> float:
    """CVaR at ``level`` as Rockafellar and Uryasev define it:
    min over eta of eta + sum p (total - eta)+ / (1 - level); the minimum lies at a total."""
    return min(eta + sum(q * max(x - eta, 0.0) for x, q in zip(totals, p)) / (1.0 - level)
               for eta in totals)


# ---------------------------------------------------------------- the check

class Checker:
    """Reads the result workbook sheet by sheet and collects violations."""

    def __init__(self, plan: Plan, wb, tol: float) -> None:
        self.plan, self.wb, self.tol = plan, wb, tol
        self.violations: list[str] = []
        # (s, t, n, m) -> component -> quantity, for the balances
        self.node: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        # (s, t, category) -> undiscounted cost from input prices
        self.cost: dict[tuple[str, str, str], float] = defaultdict(float)
        self.taken: dict[str, float] = {}                        # option -> share taken
        self.fixed_cost = 0.0                                    # commitments, undiscounted
        self.commitments = 0.0                                   # commitments, discounted
        self.activity: dict[tuple[str, str, str], float] = {}   # (s, t, process) -> activity
        self.offtake: dict[tuple[str, str, str], float] = defaultdict(float)  # (s, t, option)
        # (s, t, material) -> country -> quantity entering the network
        self.entering: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.unmet: dict[tuple[str, str, str], float] = defaultdict(float)  # (s, t, m)

    def fail(self, message: str) -> None:
        self.violations.append(message)

    # -- reading result sheets

    def rows(self, sheet: str, columns: tuple[str, ...]) -> list[tuple[str, dict]]:
        """(where, row) for each row of a result sheet; checks the columns, the scenario
        and the period exist."""
        if sheet not in self.wb.sheetnames:
            self.fail(f"result: sheet {sheet} is missing")
            return []
        out = []
        for i, row in read_rows(self.wb[sheet], skip_hint_row=False):
            missing = [c for c in columns if c not in row]
            if missing:
                self.fail(f"{sheet}: column(s) {', '.join(missing)} missing")
                return []
            where = f"{sheet} row {i}"
            if "Scenario" in row and text(row["Scenario"]) not in self.plan.probability:
                self.fail(f"{where}: scenario {text(row['Scenario'])} is not on the input's "
                          "Scenarios sheet")
                continue
            if "Period" in row and text(row["Period"]) not in self.plan.discount:
                self.fail(f"{where}: period {text(row['Period'])} is not on the input's "
                          "Periods sheet")
                continue
            out.append((where, row))
        return out

    def quantity(self, where: str, row: dict, column: str) -> float:
        """A non-negative quantity of the result, or 0 with a violation."""
        try:
            q = number(row[column])
        except (TypeError, ValueError):
            q = None
        if q is None:
            self.fail(f"{where}: {column} {row[column]!r} is not a number")
            return 0.0
        if q < -self.tol:
            self.fail(f"{where}: {column} {fmt(q)} is negative")
        return q

    def within(self, where: str, what: str, q: float, bound: float | None) -> None:
        if bound is not None and q > bound and not close(q, bound, self.tol):
            self.fail(f"{where}: {fmt(q)} exceeds the {what} {fmt(bound)}")

    def at_least(self, where: str, what: str, q: float, bound: float) -> None:
        if q < bound and not close(q, bound, self.tol):
            self.fail(f"{where}: {fmt(q)} is below the {what} {fmt(bound)}")

    def reported(self, where: str, row: dict, column: str, want: float,
                 how: str = "the input gives") -> None:
        """A reported number (a cost, a capacity) that the input and result determine."""
        if column not in row:
            return
        try:
            got = number(row[column], 0.0)
        except (TypeError, ValueError):
            got = None
        if got is None or not close(got, want, self.tol):
            shown = row[column] if got is None else fmt(got)
            self.fail(f"{where}: {column} {shown} but {how} {fmt(want)}")

    def unique(self, seen: dict, key: tuple, where: str) -> bool:
        if key in seen:
            self.fail(f"{where}: {' / '.join(key)} already listed at {seen[key]}")
            return False
        seen[key] = where
        return True

    def scenarios(self) -> list[str]:
        return list(self.plan.probability)

    def added(self, options: list[Option], t: str) -> float:
        """Capacity the options add in period ``t``: capacity x taken, from the earliest on."""
        return sum(o.capacity * self.taken.get(o.name, 0.0) for o in options if t in o.periods)

    # -- one family each

    def decisions(self) -> None:
        options = self.plan.options
        if not options and "Decisions" not in self.wb.sheetnames:
            return
        seen: dict = {}
        for where, row in self.rows("Decisions", ("Option", "Taken")):
            name = text(row["Option"])
            if not self.unique(seen, (name,), where):
                continue
            o = options.get(name)
            if o is None:
                self.fail(f"{where}: option {name} is not on the input's Options sheet")
                continue
            for column, want in (("Kind", o.kind), ("Target", o.target),
                                 ("Material", o.material), ("Earliest period", o.earliest),
                                 ("Decision", "binary" if o.binary else "continuous")):
                if column in row and word(row[column]) != want.casefold():
                    self.fail(f"{where}: {column} {text(row[column])} but the input says "
                              f"{want or 'none'}")
            z = self.quantity(where, row, "Taken")
            if o.binary and not (close(z, 0.0, self.tol) or close(z, 1.0, self.tol)):
                self.fail(f"{where}: Taken {fmt(z)} of binary option {name} is neither 0 nor 1")
            elif z > 1.0 and not close(z, 1.0, self.tol):
                self.fail(f"{where}: Taken {fmt(z)} of option {name} is more than 1")
            self.taken[name] = z
            runs = len(o.periods) if o.per_period else 1
            weight = sum(self.plan.discount[t] for t in (o.periods if o.per_period
                                                          else o.periods[:1]))
            self.fixed_cost += o.fixed_cost * runs * z
            self.commitments += o.fixed_cost * weight * z
            self.reported(where, row, "Capacity added", o.capacity * z)
            self.reported(where, row, "Fixed cost", o.fixed_cost * runs * z)
            self.reported(where, row, "Discounted cost", o.fixed_cost * weight * z)
        for name in options:
            if (name,) not in seen:
                self.fail(f"Decisions: no row for option {name}")
        by_group: dict[str, list[str]] = defaultdict(list)
        for o in options.values():
            if o.group:
                by_group[o.group].append(o.name)
        for group, members in sorted(by_group.items()):
            taken = sum(self.taken.get(o, 0.0) for o in members)
            if taken > 1.0 and not close(taken, 1.0, self.tol):
                self.fail(f"Decisions: exclusive group {group} takes {fmt(taken)} of its "
                          f"options {', '.join(members)}, more than one")

    def sourcing(self) -> None:
        found: dict[tuple, list[tuple[str, dict, float]]] = defaultdict(list)
        for where, row in self.rows("Sourcing", ("Scenario", "Period", "Site", "Material",
                                                 "Quantity")):
            key = tuple(text(row[c]) for c in ("Scenario", "Period", "Site", "Material"))
            found[key].append((where, row, self.quantity(where, row, "Quantity")))
        for (s, t, n, m), rows in found.items():
            # What the input offers here: the Supply row (None), then the offtakes running.
            sources: list[Option | None] = [None] if (t, n, m) in self.plan.supply else []
            sources += [o for o in self.plan.options_of("offtake", n, m) if t in o.periods]
            for where, row, q in rows:
                if "Country" in row and text(row["Country"]) != self.plan.country.get(n):
                    self.fail(f"{where}: Country {text(row['Country'])} but the input puts {n} "
                              f"in {self.plan.country.get(n)}")
                self.node[(s, t, n, m)]["supply"] += q
                self.entering[(s, t, m)][self.plan.country.get(n, "")] += q
                matched = self.match(sources, (t, n, m), row,
                                     self.plan.contract_factor.get((s, t, m), 1.0))
                if not matched:
                    if q:
                        self.fail(f"{where}: {fmt(q)} of {m} from {n} in {t}, which neither "
                                  "the input's Supply sheet nor an offtake option offers")
                    continue
                source = matched[0]
                sources.remove(source)
                if source is None:
                    capacity, unit_cost = self.plan.supply[(t, n, m)]
                    self.within(where, f"supply capacity x availability of {n} / {m} in {s} / {t}",
                                q, capacity * self.plan.share("supply", s, t, n, m))
                else:
                    unit_cost = source.unit_cost
                    self.offtake[(s, t, source.name)] += q
                unit_cost *= self.plan.contract_factor.get((s, t, m), 1.0)
                self.cost[(s, t, "mining")] += unit_cost * q
                self.reported(where, row, "Cost", unit_cost * q)
        for s in self.scenarios():
            for o in self.plan.options.values():
                if o.kind != "offtake":
                    continue
                for t in o.periods:
                    q = self.offtake.get((s, t, o.name), 0.0)
                    available = o.capacity * self.taken.get(o.name, 0.0) * \
                        self.plan.share("supply", s, t, o.target, o.material)
                    where = f"Sourcing: offtake {o.name} in {s} / {t}"
                    self.within(where, "contracted capacity x taken x availability", q,
                                available)
                    if o.take_or_pay:
                        self.at_least(where, "take-or-pay minimum", q, o.take_or_pay * available)

    def match(self, sources: list[Option | None], node: tuple[str, str, str],
              row: dict, factor: float) -> tuple[Option | None] | tuple[()]:
        """The source of a Sourcing row at ``node`` among ``sources`` (None: the Supply
        row): the offtake the row's Offtake column names (blank: the Supply row), else the
        first whose unit cost (times ``factor``, its contract factor) is the row's Unit cost,
        preferring one whose capacity (an
        offtake's: capacity x taken) is the row's Capacity; () if none fits."""
        if "Offtake" in row:
            name = text(row["Offtake"])
            named = [x for x in sources if (x.name if x else "") == name]
            return tuple(named[:1])
        def unit_cost(x: Option | None) -> float:
            return factor * (self.plan.supply[node][1] if x is None else x.unit_cost)

        def capacity(x: Option | None) -> float:
            return self.plan.supply[node][0] if x is None \
                else x.capacity * self.taken.get(x.name, 0.0)

        try:
            cost, listed = number(row.get("Unit cost")), number(row.get("Capacity"))
        except (TypeError, ValueError):
            cost = listed = None
        fitting = [x for x in sources if cost is None or close(unit_cost(x), cost, self.tol)]
        exact = [x for x in fitting if listed is not None
                 and close(capacity(x), listed, self.tol)]
        return tuple((exact or fitting)[:1])

    def processing(self) -> None:
        seen: dict = {}
        for where, row in self.rows("Processing", ("Scenario", "Period", "Process",
                                                   "Activity")):
            s, t, k = (text(row[c]) for c in ("Scenario", "Period", "Process"))
            y = self.quantity(where, row, "Activity")
            if not self.unique(seen, (s, t, k), where):
                continue
            p = self.plan.processes.get(k)
            if p is None:
                if y:
                    self.fail(f"{where}: process {k} is not on the input's Processes sheet")
                continue
            for column, expected in (("Site", p.site), ("Output", p.output),
                                     ("Country", self.plan.country.get(p.site))):
                if column in row and text(row[column]) != expected:
                    self.fail(f"{where}: {column} {text(row[column])} but the input says "
                              f"{expected}")
            capacity = p.capacity + self.added(self.plan.options_of("expansion", k), t) \
                + self.added(self.plan.options_of("conversion", k), t) \
                - self.added([o for o in self.plan.options.values()
                              if o.kind == "conversion" and o.source == k], t)
            self.within(where, f"capacity (with options taken) x availability of process {k}",
                        y, capacity * self.plan.share("process", s, t, k))
            self.activity[(s, t, k)] = y
            self.node[(s, t, p.site, p.output)]["made"] += y
            self.entering[(s, t, p.output)][self.plan.country.get(p.site, "")] += y
            for material, a in p.recipe.items():
                self.node[(s, t, p.site, material)]["used"] += a * y
            self.cost[(s, t, p.category)] += p.cost * y
            self.reported(where, row, "Cost", p.cost * y)

    def capacity_groups(self) -> None:
        for group, (capacity, members) in sorted(self.plan.groups.items()):
            for s in self.scenarios():
                for t in self.plan.periods:
                    used = sum(use * self.activity.get((s, t, k), 0.0) for k, use in members)
                    self.within(f"capacity group {group} in {s} / {t}", "group capacity",
                                used, capacity)

    def flows(self) -> None:
        seen: dict = {}
        for where, row in self.rows("Flows", ("Scenario", "Period", "Lane", "From", "To",
                                              "Material", "Quantity")):
            s, t, lane_id, origin, destination, m = (
                text(row[c]) for c in ("Scenario", "Period", "Lane", "From", "To", "Material"))
            f = self.quantity(where, row, "Quantity")
            if not self.unique(seen, (s, t, lane_id), where):
                continue
            self.node[(s, t, origin, m)]["lanes out"] += f
            self.node[(s, t, destination, m)]["lanes in"] += f
            lane = self.plan.lanes.get(lane_id)
            if lane is None:
                self.fail(f"{where}: lane {lane_id} is not on the input's Lanes sheet")
                continue
            if (origin, destination, m) != (lane.origin, lane.destination, lane.material):
                self.fail(f"{where}: lane {lane_id} carries {m} from {origin} to {destination}"
                          f" but the input says {lane.material} from {lane.origin} to "
                          f"{lane.destination}")
            share = self.plan.share("lane", s, t, lane_id)
            bound = (0.0 if share == 0 else None) if lane.capacity is None \
                else lane.capacity * share
            self.within(where, f"capacity x availability of lane {lane_id} in {s} / {t}",
                        f, bound)
            self.cost[(s, t, "transport")] += lane.cost * f
            self.cost[(s, t, "tariffs")] += lane.tariff * f
            self.reported(where, row, "Transport cost", lane.cost * f)
            self.reported(where, row, "Tariff cost", lane.tariff * f)

    def spot(self) -> None:
        seen: dict = {}
        for where, row in self.rows("Spot purchases", ("Scenario", "Period", "Material", "Site",
                                                       "Quantity")):
            s, t, m, n = (text(row[c]) for c in ("Scenario", "Period", "Material", "Site"))
            q = self.quantity(where, row, "Quantity")
            if not self.unique(seen, (s, t, n, m), where):
                continue
            offer = self.plan.spot.get((t, n, m))
            if offer is None:
                self.fail(f"{where}: {fmt(q)} of {m} bought at {n} in {t}, where the input's "
                          "SpotMarket sheet offers none")
                continue
            price_factor, quantity_factor = self.plan.spot_factor.get((s, t, n, m), (1.0, 1.0))
            price, maximum = offer[0] * price_factor, offer[1]
            bound = (0.0 if quantity_factor == 0 else None) if maximum is None \
                else maximum * quantity_factor
            self.within(where, f"spot maximum x quantity multiplier of {m} at {n} in {s} / {t}",
                        q, bound)
            self.node[(s, t, n, m)]["spot"] += q
            self.entering[(s, t, m)][self.plan.country.get(n, "")] += q
            self.cost[(s, t, "spot")] += price * q
            self.reported(where, row, "Cost", price * q,
                          f"quantity x price {fmt(offer[0])} x price multiplier "
                          f"{fmt(price_factor)} gives")

    def stocks(self) -> None:
        seen: dict = {}
        level: dict[tuple[str, str, str, str], float] = {}
        for where, row in self.rows("Stocks", ("Scenario", "Period", "Site", "Material",
                                               "Level")):
            s, t, n, m = (text(row[c]) for c in ("Scenario", "Period", "Site", "Material"))
            q = self.quantity(where, row, "Level")
            if not self.unique(seen, (s, t, n, m), where):
                continue
            stock = self.plan.stocks.get((n, m))
            if stock is None:
                self.fail(f"{where}: a stock of {m} at {n}, which the input's Stocks sheet "
                          "does not list")
                continue
            room = stock.maximum + self.added(self.plan.options_of("stock", n, m), t)
            self.within(where, "stock maximum (with stock options taken)", q, room)
            self.reported(where, row, "Maximum", room)
            if t == self.plan.periods[-1]:
                self.at_least(where, "end minimum", q, stock.end_minimum)
            self.cost[(s, t, "stock holding")] += stock.holding_cost * q
            self.reported(where, row, "Cost", stock.holding_cost * q)
            level[(s, t, n, m)] = q
        for s in self.scenarios():
            for (n, m), stock in self.plan.stocks.items():
                before = stock.initial
                for t in self.plan.periods:
                    if (s, t, n, m) not in level:
                        self.fail(f"Stocks: no row for scenario {s}, {t}, {n}, {m}")
                    after = level.get((s, t, n, m), 0.0)
                    self.node[(s, t, n, m)]["stock before"] += before
                    self.node[(s, t, n, m)]["stock after"] += after
                    before = after

    def demand(self) -> None:
        seen: dict = {}
        for where, row in self.rows("Unmet demand", ("Scenario", "Period", "Site", "Material",
                                                     "Demand", "Served", "Unmet")):
            s, t, n, m = (text(row[c]) for c in ("Scenario", "Period", "Site", "Material"))
            demanded, served, unmet = (self.quantity(where, row, c)
                                       for c in ("Demand", "Served", "Unmet"))
            if not self.unique(seen, (s, t, n, m), where):
                continue
            asked = self.plan.demand.get((t, n, m))
            if asked is None:
                self.fail(f"{where}: demand for {m} at {n} in {t} is not on the input's "
                          "Demand sheet")
                continue
            quantity, penalty = asked
            if not close(demanded, quantity, self.tol):
                self.fail(f"{where}: Demand {fmt(demanded)} but the input asks {fmt(quantity)}")
            if not close(served + unmet, quantity, self.tol):
                self.fail(f"{where}: Served {fmt(served)} + Unmet {fmt(unmet)} = "
                          f"{fmt(served + unmet)}, not the demand {fmt(quantity)}")
            self.node[(s, t, n, m)]["served"] += served
            self.unmet[(s, t, m)] += unmet
            self.cost[(s, t, "unmet demand")] += penalty * unmet
            self.reported(where, row, "Penalty cost", penalty * unmet)
        for s in self.scenarios():
            for t, n, m in self.plan.demand:
                if (s, t, n, m) not in seen:
                    self.fail(f"Unmet demand: no row for scenario {s}, {t}, {n}, {m}")

    def stress_caps(self) -> None:
        rho = number(self.plan.settings.get("stress unmet share"), 1.0)
        demanded: dict[tuple[str, str], float] = defaultdict(float)
        for (t, _, m), (quantity, _) in self.plan.demand.items():
            demanded[(t, m)] += quantity
        for s, kind in self.plan.scenario_kind.items():
            if kind != "stress":
                continue
            for (t, m), total in sorted(demanded.items()):
                self.within(f"stress cap in {s} / {t}: unmet {m}",
                            f"Stress unmet share {fmt(rho)} x demand", self.unmet[(s, t, m)],
                            rho * total)

    def policies(self) -> None:
        for p in self.plan.policies:
            for s in self.scenarios():
                where = f"policy {p.name} ({p.kind}) in {s} / {p.period}"
                if p.kind == "max process share":
                    output = self.plan.processes[p.process].output
                    total = sum(self.activity.get((s, p.period, k), 0.0)
                                for k, x in self.plan.processes.items() if x.output == output)
                    self.within(where, f"share {fmt(p.share)} of all {output} made "
                                f"({fmt(total)})", self.activity.get((s, p.period, p.process),
                                                                     0.0), p.share * total)
                    continue
                by_country = self.entering.get((s, p.period, p.material), {})
                total = sum(by_country.values())
                listed = sum(q for c, q in by_country.items() if c in p.countries)
                what = f"share {fmt(p.share)} of the {p.material} entering the network " \
                    f"({fmt(total)}) for {', '.join(p.countries)}"
                if p.kind == "max country share":
                    self.within(where, what, listed, p.share * total)
                else:
                    self.at_least(where, what, listed, p.share * total)

    def balances(self) -> None:
        for (s, t, n, m), parts in sorted(self.node.items()):
            inflow = parts["supply"] + parts["spot"] + parts["made"] + parts["lanes in"] \
                + parts["stock before"]
            outflow = parts["used"] + parts["lanes out"] + parts["served"] \
                + parts["stock after"]
            if not close(inflow, outflow, self.tol):
                detail = ", ".join(f"{k} {fmt(v)}" for k, v in parts.items() if v)
                self.fail(f"balance {s} / {t} / {n} / {m}: in {fmt(inflow)} != out "
                          f"{fmt(outflow)} ({detail})")

    # -- the sums

    def recourse(self, s: str, category: str | None = None) -> float:
        """Discounted cost of scenario ``s`` (of one category), from input prices."""
        return sum(self.plan.discount[t] * x for (ss, t, c), x in self.cost.items()
                   if ss == s and category in (None, c))

    def totals(self) -> dict[str, float]:
        """Total cost per scenario: commitments + discounted recourse cost."""
        return {s: self.commitments + self.recourse(s) for s in self.scenarios()}

    def expected(self) -> float:
        return sum(self.plan.probability[s] * x for s, x in self.totals().items())

    def risk_level(self) -> float:
        return number(self.plan.settings.get("cvar level"), 0.9)

    def cvar(self) -> float:
        totals = self.totals()
        return conditional_value_at_risk(list(totals.values()),
                                         [self.plan.probability[s] for s in totals],
                                         self.risk_level())

    def objective(self) -> float:
        if word(self.plan.settings.get("objective")) != "cvar":
            return self.expected()
        weight = number(self.plan.settings.get("risk weight"), 0.5)
        return (1.0 - weight) * self.expected() + weight * self.cvar()

    def costs_sheet(self) -> None:
        seen: dict = {}
        for where, row in self.rows("Costs", ("Scenario", "Period", "Category", "Probability",
                                              "Cost", "Discount factor", "Discounted cost")):
            s, t, c = (text(row[k]) for k in ("Scenario", "Period", "Category"))
            if not self.unique(seen, (s, t, c), where):
                continue
            if c not in CATEGORIES:
                self.fail(f"{where}: unknown category {c}")
                continue
            cost = self.cost.get((s, t, c), 0.0)
            for column, want in (("Probability", self.plan.probability[s]), ("Cost", cost),
                                 ("Discount factor", self.plan.discount[t]),
                                 ("Discounted cost", self.plan.discount[t] * cost)):
                self.reported(where, row, column, want)
        for (s, t, c), x in self.cost.items():
            if x and (s, t, c) not in seen:
                self.fail(f"Costs: no row for {s} / {t} / {c} (cost {fmt(x)})")

    def scenarios_sheet(self) -> None:
        total = sum(self.plan.probability.values())
        if not close(total, 1.0, self.tol):
            self.fail(f"input: scenario probabilities sum to {fmt(total)}, not 1")
        if "Scenarios" not in self.wb.sheetnames:
            self.fail("result: sheet Scenarios is missing")
            return
        short: dict[tuple[str, str], float] = defaultdict(float)  # (t, m) -> demand
        for (t, _, m), (quantity, _) in self.plan.demand.items():
            short[(t, m)] += quantity
        seen: dict = {}
        for i, row in titled_table(self.wb["Scenarios"], "Scenario"):
            where, s = f"Scenarios row {i}", text(row.get("Scenario"))
            if s not in self.plan.probability:
                self.fail(f"{where}: scenario {s} is not on the input's Scenarios sheet")
                continue
            if not self.unique(seen, (s,), where):
                continue
            if "Kind" in row and word(row["Kind"]) != self.plan.scenario_kind[s]:
                self.fail(f"{where}: Kind {text(row['Kind'])} but the input says "
                          f"{self.plan.scenario_kind[s]}")
            recourse = self.recourse(s)
            largest = max((self.unmet[(s, t, m)] / d for (t, m), d in short.items() if d > 0),
                          default=0.0)
            for column, want in (("Probability", self.plan.probability[s]),
                                 ("Commitments", self.commitments),
                                 ("Recourse cost", recourse),
                                 ("Total cost", self.commitments + recourse),
                                 ("Spot spend", self.recourse(s, "spot")),
                                 ("Unmet demand cost", self.recourse(s, "unmet demand")),
                                 ("Largest unmet share", largest)):
                self.reported(where, row, column, want)
        for s in self.scenarios():
            if (s,) not in seen:
                self.fail(f"Scenarios: no row for scenario {s}")

    def summary(self) -> None:
        if "Details" not in self.wb.sheetnames:
            self.fail("result: sheet Details is missing")
            return
        cells = [list(r) + [None] * 3 for r in self.wb["Details"].iter_rows(values_only=True)]
        items = {text(r[0]): r[1] for r in cells if len(r) > 1 and r[0] is not None}
        for item, want in (("Objective value", self.objective()),
                           ("Expected total cost", self.expected())):
            reported = next((v for k, v in items.items() if k.startswith(item)), "missing")
            if reported == "missing":
                self.fail(f"Details: no '{item}' item")
            elif not isinstance(reported, (int, float)) or not close(reported, want, self.tol):
                self.fail(f"Details: {item.lower()} {reported!r} but the input's prices give "
                          f"{fmt(want)} (objective "
                          f"{word(self.plan.settings.get('objective')) or 'expected'})")

        p = self.plan.probability
        plain, discounted = dict.fromkeys(CATEGORIES, 0.0), dict.fromkeys(CATEGORIES, 0.0)
        for (s, t, c), x in self.cost.items():
            plain[c] += p[s] * x
            discounted[c] += p[s] * self.plan.discount[t] * x
        plain[COMMITMENTS_ROW], discounted[COMMITMENTS_ROW] = self.fixed_cost, self.commitments

        start = next((i for i, r in enumerate(cells) if r and text(r[0]) == "Cost category"),
                     None)
        if start is None:
            self.fail("Details: no 'Cost category' table")
            return
        reported_rows: dict[str, tuple] = {}
        for r in cells[start + 1:]:
            if not r or r[0] is None:
                break
            reported_rows[word(r[0])] = (number(r[1], 0.0), number(r[2], 0.0))
        for c in plain:
            if c not in reported_rows:
                if plain[c] or discounted[c] or c != COMMITMENTS_ROW:
                    self.fail(f"Details: cost category '{c}' is missing")
                continue
            for got, want, what in zip(reported_rows[c], (plain[c], discounted[c]),
                                       ("cost", "discounted cost")):
                if not close(got, want, self.tol):
                    self.fail(f"Details: {c} {what} {fmt(got)} but the input's prices give "
                              f"{fmt(want)}")
        total = reported_rows.get("total")
        if total is None:
            self.fail("Details: the cost-category table has no Total row")
        else:
            parts = [v for k, v in reported_rows.items() if k != "total"]
            for j, what in enumerate(("cost", "discounted cost")):
                summed = sum(v[j] for v in parts)
                if not close(total[j], summed, self.tol):
                    self.fail(f"Details: Total {what} {fmt(total[j])} is not the sum of the "
                              f"categories {fmt(summed)}")
            if not close(total[1], self.expected(), self.tol):
                self.fail(f"Details: Total discounted cost {fmt(total[1])} is not the expected "
                          f"total cost {fmt(self.expected())}")
        self.summary_demand(cells)

    def summary_demand(self, cells: list[list]) -> None:
        """The Details sheet's expected demand, served and unmet per material."""
        start = next((i for i, r in enumerate(cells) if r and text(r[0]) == "Material"), None)
        if start is None:
            return
        header = [text(h) for h in cells[start]]
        want: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for (t, _, m), (quantity, _) in self.plan.demand.items():
            for s, p in self.plan.probability.items():
                want[m]["Demand"] += p * quantity
        for (s, t, m), unmet in self.unmet.items():
            want[m]["Unmet"] += self.plan.probability[s] * unmet
        for m in want:
            want[m]["Served"] = want[m]["Demand"] - want[m]["Unmet"]
        for r in cells[start + 1:]:
            if not r or r[0] is None:
                break
            row = dict(zip(header, r))
            m = text(row["Material"])
            for column in ("Demand", "Served", "Unmet"):
                self.reported(f"Details: {m}", row, column, want[m][column] if m in want
                              else 0.0)

    def risk_sheet(self) -> None:
        """The risk measures of the scenario totals; compared on the scale of the totals,
        since the spread and the standard deviation of near-equal totals are tiny."""
        if "Risk" not in self.wb.sheetnames:
            self.fail("result: sheet Risk is missing")
            return
        rows = list(self.wb["Risk"].iter_rows(values_only=True))
        items = {text(r["Measure"]): r.get("Value")
                 for _, r in titled_table(self.wb["Risk"], "Measure")}
        totals, level, mean = self.totals(), self.risk_level(), self.expected()
        want = {"Objective": self.objective(), "Expected cost": mean,
                "Worst case": max(totals.values()), "Best case": min(totals.values()),
                "Spread": max(totals.values()) - min(totals.values()),
                "Standard deviation": math.sqrt(sum(
                    self.plan.probability[s] * (x - mean) ** 2 for s, x in totals.items()))}
        name = next((k for k in items if k.startswith("CVaR at")), None)
        if name is None:
            self.fail("Risk: no 'CVaR at' measure")
        else:
            shown = re.search(r"([\d.]+)\s*%", name)
            if shown is None or abs(float(shown.group(1)) / 100 - level) > 0.005 + 1e-12:
                self.fail(f"Risk: {name} but the Settings CVaR level is {fmt(level)}")
            want[name] = self.cvar()
        # The value-of-information table's recourse problem (RP) is the plan's objective.
        rp = next((r[1] for r in rows if r and text(r[0]) == "Recourse problem (RP)"), "none")
        if rp != "none":
            items["Recourse problem (RP)"] = rp
            want["Recourse problem (RP)"] = self.objective()
        scale = 1.0 + max(abs(x) for x in totals.values())
        for measure, value in want.items():
            got = items.get(measure)
            if not isinstance(got, (int, float)) or abs(got - value) > self.tol * scale:
                self.fail(f"Risk: {measure} {got!r} but the input's prices give {fmt(value)}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check(input_path: Path | str, result_path: Path | str, tol: float = 1e-6) -> list[str]:
    """Every way the result breaks a balance, a bound or a cost sum; empty when none."""
    input_path, result_path = Path(input_path), Path(result_path)
    plan = read_input(input_path)
    wb = openpyxl.load_workbook(result_path, read_only=True, data_only=True)
    try:
        checker = Checker(plan, wb, tol)
        if "Details" in wb.sheetnames:
            items = {text(r[0]): r[1] for r in wb["Details"].iter_rows(values_only=True)
                     if len(r) > 1 and r[0] is not None}
            digest = items.get("Input SHA-256")
            if digest is not None and text(digest) != _sha256(input_path):
                checker.fail(f"Details: Input SHA-256 {digest} is not that of {input_path.name};"
                             " the result was made from another input")
            if "Sourcing" not in wb.sheetnames:
                checker.fail(f"result holds no plan (status {items.get('Status')!r})")
                return checker.violations
        checker.decisions()      # first: the options taken bound everything after
        checker.sourcing()
        checker.processing()
        checker.capacity_groups()
        checker.flows()
        checker.spot()
        checker.stocks()
        checker.demand()
        checker.stress_caps()
        checker.policies()
        checker.balances()
        checker.costs_sheet()
        checker.scenarios_sheet()
        checker.summary()
        checker.risk_sheet()
        return checker.violations
    finally:
        wb.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python independent_check.py INPUT.xlsx RESULT.xlsx")
    found = check(sys.argv[1], sys.argv[2])
    print("\n".join(found) if found else "all balances hold and the costs add up")
    sys.exit(1 if found else 0)
