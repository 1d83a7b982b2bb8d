"""Numbers too large for the solver, refused at the cell that holds them.

HiGHS takes any matrix value of magnitude ``large_matrix_value`` (1e15) or more as
infinite and drops it; its infinite bound and cost are 1e20. A capacity of 1e15, a common
"unlimited" placeholder, made HiGHS drop every row it stood in, and the plan came back
"optimal, cost 0". So every number cell (and every numeric setting) of magnitude
:data:`LARGEST` or more is a problem at its cell, and so is every product the model forms
from two cells that reaches it: a spot price times the PriceShocks price multipliers that
meet it, a spot maximum times the quantity multipliers (matching rows multiply, as in
:func:`planner.convert.spot_shocks`), a price that follows an index times the largest
factor its moves give (:func:`check_linked_products`). Products are floats, so a huge one
is ``inf`` (or ``nan`` for 0 times ``inf``), never an ``OverflowError``.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from planner.convert import contract_shocks, followers, per_period, shocked_offers, spot_shocks
from planner.problems import Row, Validation, ref_of
from planner.schema import Column

LARGEST = 1e15
"""Smallest magnitude refused: HiGHS's ``large_matrix_value``, at and above which it takes
a coefficient or bound as infinite."""

SOLVER_LIMIT = "too large for the solver (it treats 1e15 and above as infinite)"


def too_large(x: float) -> bool:
    """Whether the solver cannot hold ``x``: magnitude :data:`LARGEST` or more, or not finite."""
    return not math.isfinite(x) or abs(x) >= LARGEST


def as_float(value: int | float) -> float:
    """``value`` as a float; an integer beyond the float range is ``inf`` (signed), where
    ``float()`` raises ``OverflowError``."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def shown(value: object) -> str:
    """A number as the planner typed it, short: ``1e+15``, ``1.00e+400``, ``inf``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:g}" if math.isfinite(as_float(value)) else format(Decimal(value), ".3g")
    if isinstance(value, float):
        return "not a number" if math.isnan(value) else f"{value:g}"
    return str(value)


def _larger_unit(column: Column, currency: str) -> str:
    """How to write the column's figures in a larger unit, or nothing where there is none."""
    if column.unit.startswith("currency"):
        return (f", in a larger currency unit if need be (for example million {currency} "
                f"instead of {currency}, in every cost and price and in Settings Currency)")
    if "unit" in column.unit:
        return (", in a larger unit if need be (for example kt instead of t: change the "
                "material's Unit on Materials and every quantity of it to match)")
    return ""


def number_too_large(column: Column, raw: object, currency: str) -> tuple[str, str]:
    """(what is wrong, how to fix it) for a cell of ``column`` holding ``raw``, too large."""
    noun = column.name[0].lower() + column.name[1:]
    unit = f" ({column.unit})" if column.unit else ""
    fix = f"enter a realistic {noun} below 1e15{unit}{_larger_unit(column, currency)}"
    if column.blank_means == "no limit":
        fix += ", or leave it blank for no limit"
    if isinstance(raw, float) and not math.isfinite(raw):
        return f"{shown(raw)} is not a finite number, so {SOLVER_LIMIT}", fix
    return f"{column.name} {shown(raw)} is {SOLVER_LIMIT}", fix


def rows_without_problems(v: Validation, sheet: str) -> list[Row]:
    """The rows of ``sheet`` on which no cell has a problem (their values are all as typed)."""
    bad = {int(m.group(1)) for p in v.problems if p.sheet == sheet
           for m in [re.search(r"(\d+)$", p.cell)] if m}
    return [r for r in v.tables.get(sheet, []) if r["_row"] not in bad]


def check_spot_products(v: Validation) -> None:
    """Spot prices and maxima, times the multipliers of every PriceShocks row that meets
    them, stay below :data:`LARGEST`.

    For each scenario and spot offer (a SpotMarket row, a row for 'all' copied to the
    periods it covers), the model's price is Price x the product of the matching rows'
    Price multipliers, and its maximum Maximum x the product of their Quantity multipliers
    (a blank Maximum stays unlimited). Where that is :data:`LARGEST` or more, or not
    finite, the problem is put at the multiplier cell of the largest multiplier that meets
    it, naming the spot offer; each cell is reported once, with how many more offers it
    spoils. Rows with a problem of their own are left out, since their values are not known.
    """

    periods = [r["period"] for r in v.tables.get("Periods", []) if r["period"] is not None]
    known = set(periods) | {"all"}
    offers = [r for r in rows_without_problems(v, "SpotMarket")
              if None not in (r["material"], r["site"], r["price"]) and r["period"] in known]
    shocks = [s for s in rows_without_problems(v, "PriceShocks") if s["scenario"] is not None
              and s["material"] is not None]
    if not offers or not shocks or not periods:
        return
    offers = per_period(offers, periods, ("material", "site"))
    meets: dict[tuple, tuple[Row, list[Row]]] = {}
    for shock, offer in shocked_offers(shocks, offers, periods):
        key = (shock["scenario"], offer["period"], offer["site"], offer["material"])
        meets.setdefault(key, (offer, []))[1].append(shock)
    units = {r["material"]: r["unit"] for r in v.tables.get("Materials", [])}
    currency = str(v.settings.get("Currency", ""))
    # (PriceShocks row number, field) -> (that row, what it multiplies, one line per offer)
    found: dict[tuple[int, str], tuple[Row, str, list[str]]] = {}
    for (scenario, period, site, material), (offer, rows) in meets.items():
        unit = units.get(material) or "unit"
        for field, base, what, per in (
                ("price_multiplier", offer["price"], "spot price", f"{currency} per {unit}"),
                ("quantity_multiplier", offer["maximum"], "spot maximum", f"{unit} per period")):
            product = math.nan if base is None else base * math.prod(r[field] for r in rows)
            if base is None or not too_large(product):
                continue
            worst = max(rows, key=lambda r: r[field])
            others = [str(r["_row"]) for r in sorted(rows, key=lambda r: r["_row"])
                      if r is not worst]
            listed = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            times = f" (times those of PriceShocks row(s) {listed})" if others else ""
            total = f"{product:.3g} {per}" if math.isfinite(product) else \
                "an undefined value (0 times infinity)" if math.isnan(product) else "infinity"
            found.setdefault((worst["_row"], field), (worst, what, []))[2].append(
                f"the {field.replace('_', ' ')} {worst[field]:g}{times} brings the {what} of "
                f"{material} at {site} (SpotMarket row {offer['_row']}, {period}) to {total} "
                f"in scenario {scenario}")
    for (_, field), (worst, what, said) in found.items():
        more = f" (and {len(said) - 1} more spot offer(s))" if len(said) > 1 else ""
        fix = f"use a realistic multiplier: the {what} times every multiplier that meets it " \
            "must stay below 1e15"
        if field == "quantity_multiplier":
            fix += ", or leave the SpotMarket Maximum blank for no limit"
        v.add("PriceShocks", ref_of(v, "PriceShocks", worst, field),
              f"{said[0]}{more}, {SOLVER_LIMIT}", fix)


def check_linked_products(v: Validation) -> None:
    """Prices that follow an index (PriceLinks), at the largest factor the model gives them
    in any scenario and period, stay below :data:`LARGEST`: Supply and offtake unit costs
    times their contract factor, spot prices times their spot factor (their own
    PriceShocks multipliers and the link's, as :func:`planner.convert.spot_shocks` forms
    them). A price that would not is a problem at the link's Pass-through cell, naming the
    price's row."""
    periods = [r["period"] for r in v.tables.get("Periods", []) if r["period"] is not None]
    shocks = [s for s in rows_without_problems(v, "PriceShocks")
              if None not in (s["scenario"], s["material"])]
    links = rows_without_problems(v, "PriceLinks")
    if not periods or not shocks or not links:
        return
    contracts = contract_shocks(shocks, periods, links)
    contract: dict[str, float] = {}
    for c in contracts:
        contract[c.material] = max(contract.get(c.material, 1.0), c.factor)
    offers = per_period([r for r in rows_without_problems(v, "SpotMarket")
                         if None not in (r["material"], r["site"], r["price"])
                         and r["period"] in set(periods) | {"all"}],
                        periods, ("material", "site"))
    spot: dict[tuple[str, str], float] = {}
    for x in spot_shocks(shocks, offers, periods, followers(contracts, links)):
        spot[(x.site, x.material)] = max(spot.get((x.site, x.material), 1.0), x.price_factor)
    priced = [("Supply", r, r["unit_cost"], contract.get(r["material"], 1.0))
              for r in rows_without_problems(v, "Supply")]
    priced += [("Options", r, r["unit_cost"], contract.get(r["material"], 1.0))
               for r in rows_without_problems(v, "Options") if r["kind"] == "offtake"]
    priced += [("SpotMarket", r, r["price"], spot.get((r["site"], r["material"]), 1.0))
               for r in offers]
    reported: set[int] = set()
    for link in links:
        for sheet, row, price, factor in priced:
            if row["material"] == link["material"] and price is not None \
                    and too_large(price * factor) and link["_row"] not in reported:
                reported.add(link["_row"])
                v.add("PriceLinks", ref_of(v, "PriceLinks", link, "pass_through"),
                      f"with {link['index']}'s moves the price of {link['material']} in "
                      f"{sheet} row {row['_row']} reaches {price * factor:.3g}, {SOLVER_LIMIT}",
                      "use a smaller pass-through or realistic PriceShocks multipliers")
