"""The result workbook: a Summary first, then one sheet per result table."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from planner.analysis import Analyses
from planner.analysis.risk import Measure, ValueOfInformation, describe_objective, risk_measures
from planner.brief import write_brief
from planner.charts import charts_sheet
from planner.engine import Solved
from planner.infeasibility import Explanation
from planner.layout import MONEY, cells, sentences, stacked, titled, write_frame
from planner.results import (
    PlanResult, demand_by_material, expected_cost, scenario_summary, sourcing_shift,
    unmet_by_material,
)
from planner.sheets import against_base_rows, bottleneck_sheet, exposure_sheet, option_sheet, shown
from planner.solve import SolveResult
from planner.unserved import describe
from planner.xlsx import TITLE, WARNING, Book, Sheet, result_book, write_table


SHEETS = (
    ("Decisions", "decisions"), ("Sourcing", "sourcing"), ("Processing", "processing"), ("Production mix", "production_mix"),
    ("Flows", "flows"), ("Spot purchases", "spot"), ("Stocks", "stocks"),
    ("Unmet demand", "demand"),
    ("Costs", "costs"),
)
"""Result sheets after the Summary: (sheet name, :class:`PlanResult` field)."""


@dataclass(frozen=True)
class RunInfo:
    """What the Summary says about the run itself."""

    input_path: Path
    currency: str
    plan: Solved | None = None
    """The solve: the plan's check, the coefficient ranges, the internal units."""
    unserved: pd.DataFrame | None = None
    """Demand left unmet outside stress scenarios (:func:`planner.unserved.unserved_demand`)."""

    def warnings(self) -> list[str]:
        """What the top of the Summary and the terminal's last lines must say."""
        lines = [] if self.unserved is None else describe(self.unserved, self.currency)
        if self.plan is not None and self.plan.check is not None and not self.plan.check.ok:
            lines.insert(0, f"The plan fails its check: it {self.plan.check.headline()}")
        return lines


def _check_facts(plan: Solved | None, currency: str) -> list[tuple[str, object, str | None]]:
    """Summary lines on the solve's numerics: the plan's check and the coefficient ranges."""
    if plan is None:
        return []
    facts: list[tuple[str, object, str | None]] = []
    if plan.check is not None:
        facts.append(("Plan check", plan.check.headline(), None))
        facts.append((f"Objective recomputed from the plan ({currency})",
                      plan.check.objective, MONEY))
    if plan.fixed_note:
        facts.append(("Commitments fixed, LP re-solved", plan.fixed_note, None))
    scaling = plan.units.scaling
    quantities = ", ".join(f"{m} {q:.0e}" for m, q in scaling.quantity.items() if q != 1)
    facts.append(("Internal units", f"money {scaling.money:.0e} {currency}; quantities "
                  f"{quantities or 'as in the workbook'}", None))
    if plan.ranges is not None:
        facts.append(("Coefficient ranges, workbook units", str(plan.ranges[0]), None))
        facts.append(("Coefficient ranges, internal units", str(plan.ranges[1]), None))
    return facts


def _violations(plan: Solved | None) -> pd.DataFrame:
    rows = [] if plan is None or plan.check is None else [
        (v.family, v.amount, v.unit, v.relative, v.where) for v in plan.check.violations]
    return pd.DataFrame(rows, columns=["Constraint family", "Largest violation", "Unit",
                                       "Relative to the row", "Where (model row)"])


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _scenarios(ws: Sheet, result: PlanResult,
               base: tuple[pd.DataFrame, list[str]] | None) -> None:
    reference = result.scenarios["Scenario"].iloc[0]
    row = titled(ws, "Scenarios (costs discounted; shares over all periods)",
                 scenario_summary(result), 1)
    if base is not None:
        row = against_base_rows(ws, *base, row)
    row = titled(ws, "Unmet demand by material", unmet_by_material(result), row)
    shift = sourcing_shift(result)
    titled(ws, f"Sourcing against scenario {reference} (quantities over all periods)"
            + ("" if len(shift) else ": no source delivers differently"), shift, row)
    stacked(ws)


def _measures(measures: list[Measure]) -> pd.DataFrame:
    return pd.DataFrame([(x.name, x.value if x.value is None or math.isfinite(x.value)
                          else "infinite", x.how) for x in measures],
                        columns=["Measure", "Value", "How it is computed"])


def _risk(ws: Sheet, result: PlanResult, information: ValueOfInformation | None) -> None:
    row = titled(ws, "Risk of the plan's total cost (commitments plus recourse, discounted)",
                  _measures(risk_measures(result.risk, result.scenarios)), 1)
    if information is None:
        ws.put(row, 1, "Value of information: not computed, " + (
            "the plan has one scenario (EVPI and VSS are 0)" if len(result.scenarios) == 1
            else "the plan is not proven optimal, so its extra solves would not be either"))
    else:
        row = titled(ws, "Value of information and of the stochastic solution",
                      _measures(information.measures), row)
        solves = pd.DataFrame(
            [(name, s.status.label, s.objective, round(s.seconds, 3))
             for name, s in information.solves],
            columns=["Extra solve", "Status", "Objective", "Seconds"])
        titled(ws, "Extra solves", solves, row)
    stacked(ws)


def _details(ws: Sheet, solved: SolveResult, result: PlanResult | None, run: RunInfo,
             analyses: Analyses) -> None:
    """The run in full: status, costs, bound and gap, versions, the plan's check, the
    coefficient ranges, cost by category, demand per material, unmet demand, violations."""
    ws.put(1, 1, "Run details", TITLE)
    warnings = run.warnings()
    header_row = sentences(ws, [f"Warning: {line}" for line in warnings], 2, style=WARNING)
    facts = [
        ("Status", solved.status.label, None),
        ("Message", solved.message, None),
        ("Objective", describe_objective(result.risk) if result else "", None),
        (f"Objective value (discounted, {run.currency})", solved.objective, MONEY),
        (f"Expected total cost (discounted, {run.currency})",
         expected_cost(result) if result else solved.objective, MONEY),
        *([("Where the chain binds", analyses.bottlenecks.headline[0], None)]
          if analyses.bottlenecks is not None else []),
        *[("Not computed", note, None) for note in analyses.notes],
        ("Best bound", solved.bound, MONEY),
        ("Gap", solved.gap, "0.00%"),
        ("Solve time (s)", round(solved.seconds, 3), None),
        ("Solver", solved.solver, None),
        ("Tool", f"battery-planner {version('battery-planner')}", None),
        ("Input file", run.input_path.name, None),
        ("Input SHA-256", sha256(run.input_path), None),
        ("Written at (UTC)", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"), None),
        *_check_facts(run.plan, run.currency),
    ]
    row = write_table(ws, ["Item", "Value"], [f[:2] for f in facts], start_row=header_row)
    for i, (_, value, fmt) in enumerate(facts, start=header_row + 1):
        if fmt:
            ws.put(i, 2, value, number_format=fmt)
    if result is None:
        return
    costs = result.cost_by_category().reset_index()
    costs["Category"] = costs["Category"].str.capitalize()
    costs.loc[len(costs)] = ["Commitments (options taken)", result.decisions["Fixed cost"].sum(),
                             result.decisions["Discounted cost"].sum()]
    costs.loc[len(costs)] = ["Total", costs["Cost"].sum(), costs["Discounted cost"].sum()]
    costs.columns = ["Cost category", f"Cost ({run.currency})",
                     f"Discounted cost ({run.currency})"]
    row = write_table(ws, list(costs.columns), cells(costs), row + 2,
                      {c: MONEY for c in costs.columns})
    row = write_frame(ws, demand_by_material(result), row + 2)
    if run.unserved is not None and len(run.unserved):
        row = titled(ws, "Demand unmet outside stress scenarios", run.unserved, row + 2)
    titled(ws, "Plan check: the largest violation of each constraint family",
            _violations(run.plan), row + 2)
    stacked(ws)


def _infeasibility(ws: Sheet, explanation: Explanation) -> None:
    ws.put(1, 1, explanation.note, TITLE)
    table = pd.DataFrame(
        [(m.sheet, m.row, f"{m.sheet}!A{m.row}" if m.row else "", m.says, m.scenario, m.period)
         for m in explanation.members],
        columns=["Sheet", "Row", "Cell", "What it says", "Scenario", "Period"])
    write_frame(ws, table, 3)
    stacked(ws)


def build_report(book: Book, solved: SolveResult, result: PlanResult | None, run: RunInfo,
                 information: ValueOfInformation | None = None,
                 explanation: Explanation | None = None,
                 analyses: Analyses = Analyses()) -> None:
    """The result's sheets in reading order: the brief, the answers, the run, then the long
    tables."""
    write_brief(book.add_sheet("Summary"), solved, result, run.warnings(), run.input_path.name,
                run.currency, information, analyses)
    if result is not None:
        charts_sheet(book.add_sheet("Charts"), result, run.currency)
        if analyses.bottlenecks is not None:
            bottleneck_sheet(book.add_sheet("Bottlenecks"), analyses.bottlenecks)
        if analyses.exposure is not None:
            exposure_sheet(book.add_sheet("Exposure"), analyses.exposure)
        write_frame(book.add_sheet("Decisions"), result.decisions)
        if analyses.option_values is not None:
            option_sheet(book.add_sheet("Option values"), analyses.option_values)
        _scenarios(book.add_sheet("Scenarios"), result, analyses.against_base)
        _risk(book.add_sheet("Risk"), result, information)
    _details(book.add_sheet("Details"), solved, result, run, analyses)
    if explanation is not None:
        _infeasibility(book.add_sheet("Infeasibility"), explanation)
    if result is None:
        return
    for name, attribute in SHEETS:
        if name != "Decisions":  # written with the answers, above
            write_frame(book.add_sheet(name), getattr(result, attribute))
    if analyses.bottlenecks is not None:
        write_frame(book.add_sheet("Bottlenecks by period"), shown(analyses.bottlenecks.by_period))
    if analyses.exposure is not None:
        write_frame(book.add_sheet("Exposure by start"), analyses.exposure.by_start)


def write_report(path: Path, solved: SolveResult, result: PlanResult | None,
                 run: RunInfo, information: ValueOfInformation | None = None,
                 explanation: Explanation | None = None,
                 analyses: Analyses = Analyses()) -> None:
    with result_book(path) as book:
        build_report(book, solved, result, run, information, explanation, analyses)
