"""The result workbook: a Summary first, then one sheet per result table."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from planner.analysis.risk import Measure, ValueOfInformation, describe_objective, risk_measures
from planner.engine import Solved
from planner.infeasibility import Explanation
from planner.results import (
    PlanResult, demand_by_material, expected_cost, scenario_summary, sourcing_shift,
    unmet_by_material,
)
from planner.solve import SolveResult
from planner.unserved import describe
from planner.xlsx import TITLE_FONT, atomic_save, set_value, write_table

WARNING_FONT = Font(bold=True, color="C00000")

QUANTITY, MONEY, SHARE = "#,##0.00", "#,##0", "0.0%"
FORMATS = {
    "Quantity": QUANTITY, "Capacity": QUANTITY, "Activity": QUANTITY, "Output": QUANTITY,
    "Demand": QUANTITY, "Served": QUANTITY, "Unmet": QUANTITY, "Maximum": QUANTITY,
    "Cost": MONEY, "Discounted cost": MONEY, "Transport cost": MONEY, "Tariff cost": MONEY,
    "Penalty cost": MONEY, "Unit cost": QUANTITY, "Variable cost": QUANTITY, "Price": QUANTITY,
    "Penalty": QUANTITY, "Utilisation": SHARE, "Country share": SHARE, "Share": SHARE,
    "Family share": SHARE, "Served share": SHARE, "Discount factor": "0.0000",
    "Taken": SHARE, "Capacity added": QUANTITY, "Fixed cost": MONEY, "Probability": SHARE,
    "Total cost": MONEY, "Commitments": MONEY, "Recourse cost": MONEY, "Spot spend": MONEY,
    "Unmet demand cost": MONEY, "Largest unmet share": SHARE, "Unmet share": SHARE,
    "Change": QUANTITY, "Value": MONEY, "Level": QUANTITY, "Holding cost": QUANTITY,
    "Largest violation": "0.0E+00", "Relative to the row": "0.0E+00",
    "Cost to serve one more unit": MONEY,
}

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


def _cells(frame: pd.DataFrame) -> list[list[object]]:
    """Rows of ``frame`` as plain Python values, with missing numbers as empty cells."""
    return [[None if isinstance(x, float) and math.isnan(x) else
             (x.item() if hasattr(x, "item") else x) for x in row]
            for row in frame.itertuples(index=False)]


def write_frame(ws: Worksheet, frame: pd.DataFrame, start_row: int = 1) -> int:
    return write_table(ws, list(frame.columns), _cells(frame), start_row, FORMATS)


def _stacked(ws: Worksheet, widths: tuple[int, ...] = ()) -> None:
    """A sheet of several tables one under another: no frozen header (each table froze its
    own), and the first columns ``widths`` wide."""
    ws.freeze_panes = None
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width


def _titled(ws: Worksheet, title: str, frame: pd.DataFrame, row: int) -> int:
    """A bold title line, then ``frame`` beneath it; returns the row after the table."""
    set_value(ws.cell(row=row, column=1), title)
    ws.cell(row=row, column=1).font = TITLE_FONT
    return write_frame(ws, frame, row + 1) + 1


def _scenarios(ws: Worksheet, result: PlanResult) -> None:
    reference = result.scenarios["Scenario"].iloc[0]
    row = _titled(ws, "Scenarios (costs discounted; shares over all periods)",
                  scenario_summary(result), 1)
    row = _titled(ws, "Unmet demand by material", unmet_by_material(result), row)
    shift = sourcing_shift(result)
    _titled(ws, f"Sourcing against scenario {reference} (quantities over all periods)"
            + ("" if len(shift) else ": no source delivers differently"), shift, row)
    _stacked(ws)


def _measures(measures: list[Measure]) -> pd.DataFrame:
    return pd.DataFrame([(x.name, x.value if x.value is None or math.isfinite(x.value)
                          else "infinite", x.how) for x in measures],
                        columns=["Measure", "Value", "How it is computed"])


def _risk(ws: Worksheet, result: PlanResult, information: ValueOfInformation | None) -> None:
    row = _titled(ws, "Risk of the plan's total cost (commitments plus recourse, discounted)",
                  _measures(risk_measures(result.risk, result.scenarios)), 1)
    if information is None:
        set_value(ws.cell(row=row, column=1), "Value of information: not computed, " + (
            "the plan has one scenario (EVPI and VSS are 0)" if len(result.scenarios) == 1
            else "the plan is not proven optimal, so its extra solves would not be either"))
    else:
        row = _titled(ws, "Value of information and of the stochastic solution",
                      _measures(information.measures), row)
        solves = pd.DataFrame(
            [(name, s.status.label, s.objective, round(s.seconds, 3))
             for name, s in information.solves],
            columns=["Extra solve", "Status", "Objective", "Seconds"])
        _titled(ws, "Extra solves", solves, row)
    _stacked(ws, (32, 20, 90))


def _summary(ws: Worksheet, solved: SolveResult, result: PlanResult | None, run: RunInfo) -> None:
    set_value(ws["A1"], "battery-planner result")
    ws["A1"].font = TITLE_FONT
    warnings = run.warnings()
    for i, line in enumerate(warnings, start=2):
        set_value(ws.cell(row=i, column=1), f"Warning: {line}")
        ws.cell(row=i, column=1).font = WARNING_FONT
    facts = [
        ("Status", solved.status.label, None),
        ("Message", solved.message, None),
        ("Objective", describe_objective(result.risk) if result else "", None),
        (f"Objective value (discounted, {run.currency})", solved.objective, MONEY),
        (f"Expected total cost (discounted, {run.currency})",
         expected_cost(result) if result else solved.objective, MONEY),
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
    header_row = 3 + len(warnings)
    row = write_table(ws, ["Item", "Value"], [f[:2] for f in facts], start_row=header_row)
    for i, (_, _, fmt) in enumerate(facts, start=header_row + 1):
        if fmt:
            ws.cell(row=i, column=2).number_format = fmt
    if result is None:
        return
    costs = result.cost_by_category().reset_index()
    costs["Category"] = costs["Category"].str.capitalize()
    costs.loc[len(costs)] = ["Commitments (options taken)", result.decisions["Fixed cost"].sum(),
                             result.decisions["Discounted cost"].sum()]
    costs.loc[len(costs)] = ["Total", costs["Cost"].sum(), costs["Discounted cost"].sum()]
    costs.columns = ["Cost category", f"Cost ({run.currency})",
                     f"Discounted cost ({run.currency})"]
    row = write_table(ws, list(costs.columns), _cells(costs), row + 2,
                      {c: MONEY for c in costs.columns})
    row = write_frame(ws, demand_by_material(result), row + 2)
    if run.unserved is not None and len(run.unserved):
        row = _titled(ws, "Demand unmet outside stress scenarios", run.unserved, row + 2)
    _titled(ws, "Plan check: the largest violation of each constraint family",
            _violations(run.plan), row + 2)
    _stacked(ws, (40, 70, 22, 16, 16, 14))


def _infeasibility(ws: Worksheet, explanation: Explanation) -> None:
    set_value(ws["A1"], explanation.note)
    ws["A1"].font = TITLE_FONT
    table = pd.DataFrame(
        [(m.sheet, m.row, f"{m.sheet}!A{m.row}" if m.row else "", m.says, m.scenario, m.period)
         for m in explanation.members],
        columns=["Sheet", "Row", "Cell", "What it says", "Scenario", "Period"])
    write_frame(ws, table, 3)
    _stacked(ws, (18, 8, 14, 80, 24, 10))


def build_report(solved: SolveResult, result: PlanResult | None, run: RunInfo,
                 information: ValueOfInformation | None = None,
                 explanation: Explanation | None = None) -> Workbook:
    wb = Workbook()
    wb.active.title = "Summary"
    _summary(wb.active, solved, result, run)
    if explanation is not None:
        _infeasibility(wb.create_sheet("Infeasibility"), explanation)
    if result is not None:
        for name, attribute in SHEETS:
            write_frame(wb.create_sheet(name), getattr(result, attribute))
        _scenarios(wb.create_sheet("Scenarios", 2), result)
        _risk(wb.create_sheet("Risk", 3), result, information)
    return wb


def write_report(path: Path, solved: SolveResult, result: PlanResult | None,
                 run: RunInfo, information: ValueOfInformation | None = None,
                 explanation: Explanation | None = None) -> None:
    atomic_save(build_report(solved, result, run, information, explanation), path)
