"""The analyses' sheets of the result workbook: each lays out the tables an analysis
returned (:mod:`planner.analysis`), and computes nothing."""

from __future__ import annotations

import pandas as pd

from planner.analysis.bottlenecks import Bottlenecks
from planner.analysis.exposure import Exposure
from planner.analysis.sweep import KINDS, Sweep
from planner.layout import sentences, stacked, titled
from planner.xlsx import Book, Sheet


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A table without its internal columns (named with a leading underscore)."""
    return frame[[c for c in frame.columns if not str(c).startswith("_")]]


def bottleneck_sheet(ws: Sheet, found: Bottlenecks) -> None:
    """Bottlenecks: the headline, the stages, the re-solves and every capacity ranked."""
    row = sentences(ws, found.headline, 1, "Where the chain binds")
    row = sentences(ws, [found.note], row)
    row = titled(ws, "By stage", found.stages, row)
    row = titled(ws, "By scenario: dual estimate of 10% more of each stage's capacity, were "
                 "the scenario certain", found.by_scenario, row)
    if len(found.resolved):
        row = titled(ws, "The largest capacities re-solved 10% larger", found.resolved, row)
    titled(ws, "Every capacity, largest dual estimate of 10% more first", shown(found.ranked),
           row)
    stacked(ws)


def option_sheet(ws: Sheet, values: pd.DataFrame) -> None:
    row = sentences(ws, [
        "Each option forced in and out, every other option free, the plan re-solved: the "
        "value of taking it is the objective forced out minus forced in."], 1)
    titled(ws, "Option values", values, row)
    stacked(ws)


def against_base_rows(ws, table: pd.DataFrame, lines: list[str], row: int) -> int:
    """The scenarios against the base, on the Scenarios sheet from ``row``."""
    row = sentences(ws, lines, row, "Each scenario against the base (costs discounted)")
    return titled(ws, "Cost by category against the base scenario", table, row)


def exposure_sheet(ws: Sheet, found: Exposure) -> None:
    """Exposure: the headline, by kind of node, every node ranked."""
    row = sentences(ws, found.headline, 1, "What a single failure costs")
    row = sentences(ws, [found.note], row)
    row = titled(ws, "By kind of node", found.by_group, row)
    titled(ws, "Every node, largest extra cost first", found.ranked, row)
    stacked(ws)


def _chart(ws: Sheet, title: str, y_title: str, x_title: str, header: int, last: int,
           columns: list[int], anchor: tuple[int, int]) -> None:
    """A scatter chart with lines of ``columns`` against column 1 of the table whose header
    is in row ``header``, its top left corner at the cell ``anchor`` (row, column)."""
    chart = ws.chart({"type": "scatter", "subtype": "straight_with_markers"}, title, 8, anchor,
                     x_title=x_title, y_title=y_title)
    for c in columns:
        chart.add_series({"name": ws.cells(header, c),
                          "categories": ws.cells(header + 1, 1, last),
                          "values": ws.cells(header + 1, c, last), "marker": {"type": "circle"}})


def sensitivity_sheet(book: Book, found: Sweep, currency: str, source: str) -> None:
    """The Sensitivity sheet: what was swept, the breakevens, every point, and charts of
    the cost, each cell family's share and the spend by country against the parameter."""
    ws = book.add_sheet("Sensitivity")
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
    beside = len(columns) + 2
    if last > header:
        _chart(ws, "Cost against the parameter", currency, str(p), header, last,
               [columns.index("Objective") + 1], (1, beside))
        shares = [j + 1 for j, c in enumerate(columns) if c.endswith(" share")]
        if shares:
            _chart(ws, "Cell families' share of the output", "share", str(p), header, last,
                   shares, (18, beside))
        spend = [j + 1 for j, c in enumerate(columns) if c.startswith("Spend in ")]
        if spend:
            _chart(ws, "Sourcing spend by country", currency, str(p), header, last, spend,
                   (35, beside))


def comparison_sheet(book: Book, tables: list[tuple[str, pd.DataFrame]], first: str,
                     second: str) -> None:
    """The comparison of two results (:func:`planner.compare.compare`) on one sheet."""
    ws = book.add_sheet("Compare")
    row = sentences(ws, [f"A: {first}", f"B: {second}"], 1, "Two results side by side")
    for title, table in tables:
        row = titled(ws, title, table, row)
    stacked(ws)
