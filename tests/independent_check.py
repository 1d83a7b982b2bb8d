"""An independent check of a battery-planner result against its input workbook.

Written apart from the project: it imports nothing from ``planner`` or ``models``, only
openpyxl and the standard library. It reads the INPUT workbook (what the planner was
asked) and the RESULT workbook (what it answered) and recomputes, from the result's
quantities and the input's data alone:

1. the material balance at every (scenario, period, site, material)::

       supply + spot + process output + lane inflow
           = recipe consumption + lane outflow + served demand

2. every quantity within its input bound (supply capacity, process capacity, lane
   capacity, spot maximum) and none negative; Served + Unmet = Demand, and Demand is
   the input's quantity, for every Demand row of the input;
3. the objective: cost from INPUT prices (supply unit cost, process variable cost, lane
   cost + tariff, spot price, unmet penalty), discounted by (1 + rate)^-k for the k-th
   period and weighted by scenario probability, against the Summary's
   "Expected total cost" item;
4. the Summary's cost-category table (undiscounted and discounted, and its Total row),
   and the Costs sheet row by row.

Input conventions (as documented for the planner's workbook): header in row 1, an
optional hint row 2 (cells like ``"t; required"``), data after; Settings is a Key/Value
sheet; Supply and SpotMarket rows for period ``all`` apply to every period without a row
of its own; blank Penalty = Settings "Unmet demand penalty" (default 100,000); blank
Tariff = 0; blank lane Capacity or spot Maximum = no limit. Scenario probabilities come
from a ``Scenarios`` sheet (Scenario, Probability) when the input has one, else the one
scenario of the result has probability 1.

Sourcing, Processing, Flows and Spot purchases rows absent from the result count as zero;
every input Demand row must appear in Unmet demand for every scenario.

Usage: ``check(input_path, result_path) -> list[str]`` (empty when all holds), or
``python tests/independent_check.py INPUT.xlsx RESULT.xlsx``.
"""

from __future__ import annotations

import hashlib
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
HINT = re.compile(r";\s*(required|optional)\b")


# ---------------------------------------------------------------- reading cells

def text(value: object) -> str:
    """A name as the planner compares it: whitespace collapsed, 2026.0 read as 2026."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


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
class Plan:
    """What the input workbook asks, with 'all' rows spread over the periods."""

    periods: list[str]
    discount: dict[str, float]
    probability: dict[str, float] | None
    supply: dict[tuple[str, str, str], tuple[float, float]]      # (t, n, m) -> capacity, cost
    processes: dict[str, Process]
    lanes: dict[str, Lane]
    demand: dict[tuple[str, str, str], tuple[float, float]]      # (t, n, m) -> quantity, penalty
    spot: dict[tuple[str, str, str], tuple[float, float | None]]  # (t, n, m) -> price, maximum


def _table(wb, name: str) -> list[dict[str, object]]:
    return [row for _, row in read_rows(wb[name])] if name in wb.sheetnames else []


def _per_period(rows: list[dict], key: tuple[str, str], periods: list[str]) -> dict:
    """(period, site, material) -> row, 'all' rows filling the periods without their own."""
    out = {}
    for row in rows:
        if text(row.get("Period")) != ALL_PERIODS:
            out[(text(row["Period"]), text(row[key[0]]), text(row[key[1]]))] = row
    for row in rows:
        if text(row.get("Period")) == ALL_PERIODS:
            for t in periods:
                out.setdefault((t, text(row[key[0]]), text(row[key[1]])), row)
    return out


def read_input(path: Path) -> Plan:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        settings = {}
        if "Settings" in wb.sheetnames:
            for _, row in read_rows(wb["Settings"], skip_hint_row=False):
                settings[text(row.get("Key")).casefold()] = row.get("Value")
        rate = number(settings.get("discount rate"), 0.0)
        default_penalty = number(settings.get("unmet demand penalty"), DEFAULT_PENALTY)

        periods = [text(r["Period"]) for r in _table(wb, "Periods")]
        discount = {t: (1.0 + rate) ** -k for k, t in enumerate(periods)}
        kind = {text(r["Material"]): text(r["Kind"]).casefold() for r in _table(wb, "Materials")}

        probability = None
        if "Scenarios" in wb.sheetnames:
            probability = {text(r["Scenario"]): number(r["Probability"])
                           for r in _table(wb, "Scenarios")} or None

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
        return Plan(periods, discount, probability, supply, processes, lanes, demand, spot)
    finally:
        wb.close()


# ---------------------------------------------------------------- the check

class Checker:
    """Reads the result workbook sheet by sheet and collects violations."""

    def __init__(self, plan: Plan, wb, tol: float) -> None:
        self.plan, self.wb, self.tol = plan, wb, tol
        self.violations: list[str] = []
        self.scenarios: set[str] = set()
        # (s, t, n, m) -> component -> quantity, for the balances
        self.node: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        # (s, t, category) -> undiscounted cost from input prices
        self.cost: dict[tuple[str, str, str], float] = defaultdict(float)

    def fail(self, message: str) -> None:
        self.violations.append(message)

    # -- reading result sheets

    def rows(self, sheet: str, columns: tuple[str, ...]) -> list[tuple[str, dict]]:
        """(where, row) for each row of a result sheet; checks the columns exist."""
        if sheet not in self.wb.sheetnames:
            self.fail(f"result: sheet {sheet} is missing")
            return []
        out = []
        for i, row in read_rows(self.wb[sheet], skip_hint_row=False):
            missing = [c for c in columns if c not in row]
            if missing:
                self.fail(f"{sheet}: column(s) {', '.join(missing)} missing")
                return []
            self.scenarios.add(text(row["Scenario"]))
            if "Period" in row and text(row["Period"]) not in self.plan.discount:
                self.fail(f"{sheet} row {i}: period {text(row['Period'])} is not on the "
                          "input's Periods sheet")
                continue
            out.append((f"{sheet} row {i}", row))
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

    def unique(self, seen: dict, key: tuple, where: str) -> bool:
        if key in seen:
            self.fail(f"{where}: {' / '.join(key)} already listed at {seen[key]}")
            return False
        seen[key] = where
        return True

    # -- one sheet each

    def sourcing(self) -> None:
        seen: dict = {}
        for where, row in self.rows("Sourcing", ("Scenario", "Period", "Site", "Material",
                                                 "Quantity")):
            s, t, n, m = (text(row[c]) for c in ("Scenario", "Period", "Site", "Material"))
            q = self.quantity(where, row, "Quantity")
            if not self.unique(seen, (s, t, n, m), where):
                continue
            offer = self.plan.supply.get((t, n, m))
            if offer is None:
                if q:
                    self.fail(f"{where}: {fmt(q)} of {m} from {n} in {t}, which the input's "
                              "Supply sheet does not offer")
                continue
            capacity, unit_cost = offer
            self.within(where, f"supply capacity of {n} / {m} in {t}", q, capacity)
            self.node[(s, t, n, m)]["supply"] += q
            self.cost[(s, t, "mining")] += unit_cost * q

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
            for column, expected in (("Site", p.site), ("Output", p.output)):
                if column in row and text(row[column]) != expected:
                    self.fail(f"{where}: {column} {text(row[column])} but the input says "
                              f"{expected}")
            self.within(where, f"capacity of process {k}", y, p.capacity)
            self.node[(s, t, p.site, p.output)]["made"] += y
            for material, a in p.recipe.items():
                self.node[(s, t, p.site, material)]["used"] += a * y
            self.cost[(s, t, p.category)] += p.cost * y

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
            self.within(where, f"capacity of lane {lane_id}", f, lane.capacity)
            self.cost[(s, t, "transport")] += lane.cost * f
            self.cost[(s, t, "tariffs")] += lane.tariff * f

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
            price, maximum = offer
            self.within(where, f"spot maximum of {m} at {n} in {t}", q, maximum)
            self.node[(s, t, n, m)]["spot"] += q
            self.cost[(s, t, "spot")] += price * q

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
            self.cost[(s, t, "unmet demand")] += penalty * unmet
        for s in sorted(self.scenario_probability()):
            for t, n, m in self.plan.demand:
                if (s, t, n, m) not in seen:
                    self.fail(f"Unmet demand: no row for scenario {s}, {t}, {n}, {m}")

    # -- the sums

    def scenario_probability(self) -> dict[str, float]:
        if self.plan.probability is not None:
            return self.plan.probability
        return {s: 1.0 for s in (self.scenarios or {"base"})}

    def scenarios_known(self) -> None:
        if self.plan.probability is not None:
            unknown = self.scenarios - set(self.plan.probability)
            if unknown:
                self.fail(f"result: scenario(s) {', '.join(sorted(unknown))} are not on the "
                          "input's Scenarios sheet")
            total = sum(self.plan.probability.values())
            if not close(total, 1.0, self.tol):
                self.fail(f"input: scenario probabilities sum to {fmt(total)}, not 1")
        elif len(self.scenarios) > 1:
            self.fail(f"result: scenarios {', '.join(sorted(self.scenarios))} but the input has "
                      "no Scenarios sheet, so only one scenario (probability 1) can exist")

    def balances(self) -> None:
        for (s, t, n, m), parts in sorted(self.node.items()):
            inflow = parts["supply"] + parts["spot"] + parts["made"] + parts["lanes in"]
            outflow = parts["used"] + parts["lanes out"] + parts["served"]
            if not close(inflow, outflow, self.tol):
                detail = ", ".join(f"{k} {fmt(v)}" for k, v in parts.items() if v)
                self.fail(f"balance {s} / {t} / {n} / {m}: in {fmt(inflow)} != out "
                          f"{fmt(outflow)} ({detail})")

    def expected_costs(self) -> tuple[float, dict[str, float], dict[str, float]]:
        """Objective, and expected cost per category undiscounted and discounted."""
        p = self.scenario_probability()
        plain, discounted = dict.fromkeys(CATEGORIES, 0.0), dict.fromkeys(CATEGORIES, 0.0)
        for (s, t, c), x in self.cost.items():
            plain[c] += p.get(s, 0.0) * x
            discounted[c] += p.get(s, 0.0) * self.plan.discount[t] * x
        return sum(discounted.values()), plain, discounted

    def summary(self) -> None:
        objective, plain, discounted = self.expected_costs()
        if "Summary" not in self.wb.sheetnames:
            self.fail("result: sheet Summary is missing")
            return
        cells = [list(r) + [None] * 3 for r in self.wb["Summary"].iter_rows(values_only=True)]
        items = {text(r[0]): r[1] for r in cells if len(r) > 1 and r[0] is not None}
        reported = next((v for k, v in items.items() if k.startswith("Expected total cost")),
                        "missing")
        if reported == "missing":
            self.fail("Summary: no 'Expected total cost' item")
        elif not isinstance(reported, (int, float)) or not close(reported, objective, self.tol):
            self.fail(f"Summary: expected total cost {reported!r} but the input's prices give "
                      f"{fmt(objective)}")

        start = next((i for i, r in enumerate(cells) if r and text(r[0]) == "Cost category"),
                     None)
        if start is None:
            self.fail("Summary: no 'Cost category' table")
            return
        reported_rows: dict[str, tuple] = {}
        for r in cells[start + 1:]:
            if not r or r[0] is None:
                break
            reported_rows[text(r[0]).casefold()] = (number(r[1], 0.0), number(r[2], 0.0))
        for c in CATEGORIES:
            if c not in reported_rows:
                self.fail(f"Summary: cost category '{c}' is missing")
                continue
            for got, want, what in zip(reported_rows[c], (plain[c], discounted[c]),
                                       ("cost", "discounted cost")):
                if not close(got, want, self.tol):
                    self.fail(f"Summary: {c} {what} {fmt(got)} but the input's prices give "
                              f"{fmt(want)}")
        total = reported_rows.get("total")
        if total is None:
            self.fail("Summary: the cost-category table has no Total row")
            return
        parts = [v for k, v in reported_rows.items() if k != "total"]
        for j, what in enumerate(("cost", "discounted cost")):
            summed = sum(v[j] for v in parts)
            if not close(total[j], summed, self.tol):
                self.fail(f"Summary: Total {what} {fmt(total[j])} is not the sum of the "
                          f"categories {fmt(summed)}")
        if not close(total[1], objective, self.tol):
            self.fail(f"Summary: Total discounted cost {fmt(total[1])} is not the objective "
                      f"{fmt(objective)}")

    def costs_sheet(self) -> None:
        p = self.scenario_probability()
        seen: dict = {}
        for where, row in self.rows("Costs", ("Scenario", "Period", "Category", "Probability",
                                              "Cost", "Discount factor", "Discounted cost")):
            s, t, c = (text(row[k]) for k in ("Scenario", "Period", "Category"))
            if not self.unique(seen, (s, t, c), where):
                continue
            if t not in self.plan.discount or c not in CATEGORIES:
                self.fail(f"{where}: unknown period or category {t} / {c}")
                continue
            expected = {"Probability": p.get(s, 0.0), "Cost": self.cost.get((s, t, c), 0.0),
                        "Discount factor": self.plan.discount[t],
                        "Discounted cost": self.plan.discount[t] * self.cost.get((s, t, c), 0.0)}
            for column, want in expected.items():
                got = number(row[column], 0.0)
                if not close(got, want, self.tol):
                    self.fail(f"{where}: {column} {fmt(got)} but the input gives {fmt(want)}")
        for (s, t, c), x in self.cost.items():
            if x and (s, t, c) not in seen:
                self.fail(f"Costs: no row for {s} / {t} / {c} (cost {fmt(x)})")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check(input_path: Path | str, result_path: Path | str, tol: float = 1e-6) -> list[str]:
    """Every way the result breaks a balance, a bound or a cost sum; empty when none."""
    input_path, result_path = Path(input_path), Path(result_path)
    plan = read_input(input_path)
    wb = openpyxl.load_workbook(result_path, read_only=True, data_only=True)
    try:
        checker = Checker(plan, wb, tol)
        if "Summary" in wb.sheetnames:
            items = {text(r[0]): r[1] for r in wb["Summary"].iter_rows(values_only=True)
                     if len(r) > 1 and r[0] is not None}
            digest = items.get("Input SHA-256")
            if digest is not None and text(digest) != _sha256(input_path):
                checker.fail(f"Summary: Input SHA-256 {digest} is not that of {input_path.name};"
                             " the result was made from another input")
            if "Sourcing" not in wb.sheetnames:
                checker.fail(f"result holds no plan (status {items.get('Status')!r})")
                return checker.violations
        checker.sourcing()
        checker.processing()
        checker.flows()
        checker.spot()
        checker.demand()
        checker.scenarios_known()
        checker.balances()
        checker.summary()
        checker.costs_sheet()
        return checker.violations
    finally:
        wb.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python independent_check.py INPUT.xlsx RESULT.xlsx")
    found = check(sys.argv[1], sys.argv[2])
    print("\n".join(found) if found else "all balances hold and the costs add up")
    sys.exit(1 if found else 0)
