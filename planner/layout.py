"""How result tables are laid out on a sheet: number formats by column, tables one under
another with a title, sentences."""

from __future__ import annotations

import math

import pandas as pd
from planner.xlsx import TITLE, Sheet, write_table

QUANTITY, MONEY, SHARE = "#,##0.00", "#,##0", "0.0%"
MILLIONS = "#,##0.0"
"""Money in millions (the brief's and the charts' tables)."""
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
    "Cost to serve one more unit": MONEY, "Parameter": "0.0###", "Breakeven": "0.0###",
    "Between": "0.0###", "And": "0.0###", "Within": "0.0###",
}



PER_UNIT = "#,##0.00"
"""Money per unit (a marginal value, a price): cents count where the unit is large."""


def number_formats(columns) -> dict[str, str]:
    """The number format of each column: from :data:`FORMATS`, else by what its name says
    (money per unit: marginal value, price; money: value, cost, saving, estimate, objective;
    shares: share, probability, utilisation, index)."""
    out = {}
    for name in columns:
        low = str(name).lower()
        if name in FORMATS:
            out[name] = FORMATS[name]
        elif "marginal value" in low or "price" in low:
            out[name] = PER_UNIT
        elif any(w in low for w in ("share", "probability", "utilisation", "against estimate",
                                    "index")):
            out[name] = SHARE
        elif any(w in low for w in ("value", "cost", "saving", "estimate", "objective",
                                    "price")):
            out[name] = MONEY
        elif any(w in low for w in ("use", "available", "capacity", "unmet", "output")):
            out[name] = QUANTITY
    return out


def cells(frame: pd.DataFrame) -> list[list[object]]:
    """Rows of ``frame`` as plain Python values, with missing numbers as empty cells."""
    return [[None if isinstance(x, float) and math.isnan(x) else
             (x.item() if hasattr(x, "item") else x) for x in row]
            for row in frame.itertuples(index=False)]


def write_frame(sheet: Sheet, frame: pd.DataFrame, start_row: int = 1) -> int:
    return write_table(sheet, list(frame.columns), cells(frame), start_row,
                       number_formats(frame.columns))


def stacked(sheet: Sheet) -> None:
    """A sheet of several tables one under another: no frozen header (each table froze its
    own)."""
    sheet.frozen = None


def titled(sheet: Sheet, title: str, frame: pd.DataFrame, row: int) -> int:
    """A bold title line, then ``frame`` beneath it; returns the row after the blank row
    that follows the table (tables on one sheet are apart, so each reads as one)."""
    sheet.put(row, 1, title, TITLE)
    return write_frame(sheet, frame, row + 1) + 2


def sentences(sheet: Sheet, lines: list[str], row: int, title: str | None = None, *,
              style: dict | None = None, title_style: dict = TITLE) -> int:
    """``lines`` one per row from ``row`` (under a bold title), in ``style``; returns the row
    after the blank row that follows them."""
    if title:
        sheet.put(row, 1, title, title_style)
        row += 1
    for line in lines:
        sheet.put(row, 1, line, style)
        row += 1
    return row + 1
