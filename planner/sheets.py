"""The analyses' sheets of the result workbook: each lays out the tables an analysis
returned (:mod:`planner.analysis`), and computes nothing."""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.utils import get_column_letter

from planner.analysis.bottlenecks import Bottlenecks
from planner.analysis.exposure import Exposure
from planner.analysis.sweep import KINDS, Sweep
from planner.layout import sentences, stacked, titled, write_frame
from planner.printing import finish


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A table without its internal columns (named with a leading underscore)."""
    return frame[[c for c in frame.columns if not str(c).startswith("_")]]


def bottleneck_sheets(wb: Workbook, found: Bottlenecks, at: int) -> None:
    """Bottlenecks (headline, stages, re-solves, every capacity ranked) at position ``at``,
    and Bottlenecks by period at the end."""
    ws = wb.create_sheet("Bottlenecks", at)
    row = sentences(ws, found.headline, 1, "Where the chain binds")
    row = sentences(ws, [found.note], row)
    row = titled(ws, "By stage", found.stages, row)
    row = titled(ws, "By scenario: dual estimate of 10% more of each stage's capacity, were "
                 "the scenario certain", found.by_scenario, row)
    if len(found.resolved):
        row = titled(ws, "The largest capacities re-solved 10% larger", found.resolved, row)
    titled(ws, "Every capacity, largest dual estimate of 10% more first", _shown(found.ranked),
           row)
    stacked(ws)
    write_frame(wb.create_sheet("Bottlenecks by period"), _shown(found.by_period))


def option_sheet(wb: Workbook, values: pd.DataFrame, at: int) -> None:
    ws = wb.create_sheet("Option values", at)
    row = sentences(ws, [
        "Each option forced in and out, every other option free, the plan re-solved: the "
        "value of taking it is the objective forced out minus forced in."], 1)
    titled(ws, "Option values", values, row)
    stacked(ws)


def against_base_rows(ws, table: pd.DataFrame, lines: list[str], row: int) -> int:
    """The scenarios against the base, on the Scenarios sheet from ``row``."""
    row = sentences(ws, lines, row, "Each scenario against the base (costs discounted)")
    return titled(ws, "Cost by category against the base scenario", table, row)


def exposure_sheets(wb: Workbook, found: Exposure, at: int) -> None:
    """Exposure (headline, by kind, every node ranked) at ``at``; Exposure by start at the
    end."""
    ws = wb.create_sheet("Exposure", at)
    row = sentences(ws, found.headline, 1, "What a single failure costs")
    row = sentences(ws, [found.note], row)
    row = titled(ws, "By kind of node", found.by_group, row)
    titled(ws, "Every node, largest extra cost first", found.ranked, row)
    stacked(ws)
    write_frame(wb.create_sheet("Exposure by start"), found.by_start)


def _chart(ws, title: str, y_title: str, x_title: str, header: int, last: int,
           columns: list[int], anchor: str) -> None:
    """A scatter chart with lines of ``columns`` against column 1 of the table whose header
    is in row ``header``."""
    chart = ScatterChart()
    chart.title, chart.height, chart.width = title, 8, 16
    chart.x_axis.title, chart.y_axis.title = x_title, y_title
    chart.x_axis.delete = chart.y_axis.delete = False
    xs = Reference(ws, min_col=1, min_row=header + 1, max_row=last)
    for c in columns:
        series = Series(Reference(ws, min_col=c, min_row=header, max_row=last), xs,
                        title_from_data=True)
        series.marker.symbol = "circle"
        chart.series.append(series)
    ws.add_chart(chart, anchor)


def sensitivity_workbook(found: Sweep, currency: str, source: str) -> Workbook:
    """The Sensitivity workbook: what was swept, the breakevens, every point, and charts of
    the cost, each cell family's share and the spend by country against the parameter."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sensitivity"
    p = found.parameter
    row = sentences(ws, [
        f"Input: {source}",
        f"Parameter: {p} ({KINDS[p.kind]}); the whole plan re-solved at each value, "
        "commitments included.",
        f"Breakevens found by bisection to within {found.tolerance:g}; {found.solves} solves "
        f"in all. Costs discounted, in {currency}."], 1, f"Sensitivity to the {p}")
    row = titled(ws, "Where the plan changes", found.breakevens, row)
    header = row + 1
    last = titled(ws, "Every point", found.points, row) - 2
    columns = list(found.points.columns)
    stacked(ws)
    anchor = f"{get_column_letter(len(columns) + 2)}1"
    if last > header:
        _chart(ws, "Cost against the parameter", currency, str(p), header, last,
               [columns.index("Objective") + 1], anchor)
        shares = [j + 1 for j, c in enumerate(columns) if c.endswith(" share")]
        if shares:
            _chart(ws, "Cell families' share of the output", "share", str(p), header, last,
                   shares, f"{get_column_letter(len(columns) + 2)}18")
        spend = [j + 1 for j, c in enumerate(columns) if c.startswith("Spend in ")]
        if spend:
            _chart(ws, "Sourcing spend by country", currency, str(p), header, last, spend,
                   f"{get_column_letter(len(columns) + 2)}35")
    finish(wb)
    return wb


def comparison_workbook(tables: list[tuple[str, pd.DataFrame]], first: str,
                        second: str) -> Workbook:
    """The comparison of two results (:func:`planner.compare.compare`) on one sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Compare"
    row = sentences(ws, [f"A: {first}", f"B: {second}"], 1, "Two results side by side")
    for title, table in tables:
        row = titled(ws, title, table, row)
    stacked(ws)
    finish(wb)
    return wb
