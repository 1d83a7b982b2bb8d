"""The Charts sheet: charts a spreadsheet program draws itself (Excel, LibreOffice), each
beside the small table it plots.

Production mix by cell chemistry and period (stacked), cost by category, supply spend by
country, and the total cost of each scenario; expected values are probability-weighted,
money in millions of the workbook's currency.
"""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from models.model import COST_CATEGORIES
from planner.xlsx import TITLE_FONT, set_value, write_table
from planner.layout import MILLIONS, cells
from planner.results import PlanResult, expected_by, spend_by_country

CHART_ROWS, CHART_COLUMNS = 17, 10
"""Cells a chart takes (7.5 by 16 cm): the charts sit two a row under the tables."""


def chart_tables(result: PlanResult, currency: str) -> list[tuple[str, pd.DataFrame, str, bool]]:
    """(title, table, axis title, stacked) of each chart; a table's first column is the
    category axis, each other column a series."""
    out = []
    mix = result.production_mix
    if not mix.empty:
        unit = mix["Unit"].iloc[0]
        output = expected_by(mix, result.probability, ["Period", "Cell"], "Output").unstack(
            "Cell").fillna(0.0)
        out.append((f"Production mix ({unit}, expected)", output.reset_index(), unit, True))
    costs = result.cost_by_category()["Discounted cost"].reindex(list(COST_CATEGORIES))
    costs.index = [c.capitalize() for c in costs.index]
    costs["Commitments"] = result.decisions["Discounted cost"].sum()
    costs = costs[costs.abs() > 0] / 1e6
    if len(costs):
        out.append((f"Cost by category ({currency} M, discounted, expected)",
                    pd.DataFrame({"Category": costs.index, f"{currency} M": costs.to_numpy()}),
                    f"{currency} M", False))
    spend = spend_by_country(result) / 1e6
    if len(spend):
        out.append((f"Supply spend by country ({currency} M, discounted, expected)",
                    pd.DataFrame({"Country": spend.index, f"{currency} M": spend.to_numpy()}),
                    f"{currency} M", False))
    totals = result.scenarios
    out.append((f"Total cost by scenario ({currency} M, discounted)",
                pd.DataFrame({"Scenario": totals["Scenario"],
                              f"{currency} M": totals["Total cost"].to_numpy() / 1e6}),
                f"{currency} M", False))
    return out


def _bar(ws: Worksheet, title: str, first: int, last: int, columns: int, axis: str,
         stacked: bool, anchor: str) -> None:
    """A column chart of the table whose header is in row 2 from column ``first`` (its
    categories) over ``columns`` columns, down to row ``last``."""
    chart = BarChart()
    chart.type = "col"
    chart.title, chart.y_axis.title = title, axis
    chart.height, chart.width = 7.5, 16
    chart.x_axis.delete = chart.y_axis.delete = False
    if stacked:
        chart.grouping, chart.overlap = "stacked", 100
    chart.add_data(Reference(ws, min_col=first + 1, max_col=first + columns - 1, min_row=2,
                             max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=first, min_row=3, max_row=last))
    if columns == 2:
        chart.legend = None
    ws.add_chart(chart, anchor)


def charts_sheet(wb: Workbook, result: PlanResult, currency: str, at: int) -> None:
    """The Charts sheet at position ``at``: the charts' tables side by side, the charts
    two a row beneath them."""
    ws = wb.create_sheet("Charts", at)
    tables = chart_tables(result, currency)
    first, placed = 1, []
    for title, table, _, _ in tables:
        set_value(ws.cell(row=1, column=first), title)
        ws.cell(row=1, column=first).font = TITLE_FONT
        columns = [str(c) for c in table.columns]
        last = write_table(ws, columns, cells(table), 2, {c: MILLIONS for c in columns[1:]},
                           first_column=first)
        placed.append((first, last))
        first += len(table.columns) + 1
    below = max(last for _, last in placed) + 3
    for k, ((title, table, axis, stacked), (first, last)) in enumerate(zip(tables, placed)):
        anchor = f"{get_column_letter(1 + (k % 2) * CHART_COLUMNS)}{below + (k // 2) * CHART_ROWS}"
        _bar(ws, title, first, last, len(table.columns), axis, stacked, anchor)
    ws.freeze_panes = None
