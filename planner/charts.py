"""The Charts sheet: charts a spreadsheet program draws itself (Excel, LibreOffice), each
beside the small table it plots.

Production mix by cell chemistry and period (stacked), cost by category, supply spend by
country, and the total cost of each scenario; expected values are probability-weighted,
money in millions of the workbook's currency.
"""

from __future__ import annotations

import pandas as pd

from models.model import COST_CATEGORIES
from planner.layout import MILLIONS, cells
from planner.xlsx import TITLE, Sheet, write_table
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


def _bar(ws: Sheet, title: str, first: int, last: int, columns: int, axis: str,
         stacked: bool, anchor: tuple[int, int]) -> None:
    """A column chart of the table whose header is in row 2 from column ``first`` (its
    categories) over ``columns`` columns, down to row ``last``, its top left corner at the
    cell ``anchor`` (row, column)."""
    chart = ws.chart({"type": "column", **({"subtype": "stacked"} if stacked else {})},
                     title, 7.5, anchor, y_title=axis)
    for c in range(first + 1, first + columns):
        chart.add_series({"name": ws.cells(2, c), "categories": ws.cells(3, first, last),
                          "values": ws.cells(3, c, last)})
    if columns == 2:
        chart.set_legend({"none": True})


def charts_sheet(ws: Sheet, result: PlanResult, currency: str) -> None:
    """The Charts sheet: the charts' tables side by side, the charts two a row beneath
    them."""
    tables = chart_tables(result, currency)
    first, placed = 1, []
    for title, table, _, _ in tables:
        ws.put(1, first, title, TITLE)
        columns = [str(c) for c in table.columns]
        last = write_table(ws, columns, cells(table), 2, {c: MILLIONS for c in columns[1:]},
                           first_column=first)
        placed.append((first, last))
        first += len(table.columns) + 1
    below = max(last for _, last in placed) + 3
    for k, ((title, table, axis, stacked), (first, last)) in enumerate(zip(tables, placed)):
        anchor = (below + (k // 2) * CHART_ROWS, 1 + (k % 2) * CHART_COLUMNS)
        _bar(ws, title, first, last, len(table.columns), axis, stacked, anchor)
    ws.frozen = None
