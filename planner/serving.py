"""The least cost of delivering one unit of a material at a site, and the penalties below it.

A Demand row whose penalty is below every way of bringing one unit there is cheaper to
leave unmet than to serve, so an "optimal" plan serves none of it: a plan in GWh solved
with the default penalty of 100,000 per unit served 0 of 33 GWh. :func:`check_penalties`
warns of such rows; :func:`least_unit_costs` computes the bound and is of use elsewhere.
"""

from __future__ import annotations

import math
from collections import defaultdict

from models.data import ContractShock
from planner.convert import contract_shocks, followers, per_period, spot_shocks
from planner.limits import rows_without_problems
from planner.problems import NETWORK_SHEETS, Row, Validation, ref_of

Pair = tuple[str, str]
"""(site, material)."""

MAX_ROUNDS = 500
"""Most rounds of :func:`least_unit_costs`, however large the network."""

WARNING_SHEETS = ("Settings", "Periods", "Scenarios", "PriceShocks", "PriceLinks")
"""Sheets besides the network's whose problems stop :func:`check_penalties` (their values,
unknown, would only give wrong warnings)."""


def _spot_offers(t: dict[str, list[Row]], following: tuple[ContractShock, ...]
                 ) -> list[tuple[Row, float]]:
    """Every spot offer (a row for 'all' spread over the periods without their own) with its
    lowest price factor: over the scenarios, the product of the Price multipliers of the
    PriceShocks rows that meet it and of the index it follows
    (:func:`planner.convert.spot_shocks`), 1 in a scenario that none meets."""

    periods = [r["period"] for r in t.get("Periods", [])]
    scenarios = max(1, len(t.get("Scenarios", [])))
    offers = per_period(t.get("SpotMarket", []), periods, ("material", "site"))
    factors: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for x in spot_shocks(t.get("PriceShocks", []), offers, periods, following):
        factors[(x.period, x.site, x.material)].append(x.price_factor)
    out = []
    for r in offers:
        shocked = factors[(r["period"], r["site"], r["material"])]
        out.append((r, min(shocked + ([1.0] if len(shocked) < scenarios else []))))
    return out



def _sources(t: dict[str, list[Row]]) -> dict[Pair, tuple[float, str]]:
    """The cheapest way material enters the network at each pair, with what it is."""
    best: dict[Pair, tuple[float, str]] = {}
    periods = [r["period"] for r in t.get("Periods", [])]
    contracts = contract_shocks(t.get("PriceShocks", []), periods, t.get("PriceLinks", []))
    contract: dict[str, float] = {}
    """Material -> the lowest factor on its contract prices in any scenario and period (1 at
    most: some period leaves them as they are)."""
    for c in contracts:
        contract[c.material] = min(contract.get(c.material, 1.0), c.factor)

    def offer(pair: Pair, cost: float | None, how: str) -> None:
        if None not in pair and cost is not None and cost < best.get(pair, (math.inf, ""))[0]:
            best[pair] = (cost, how)

    for r in t.get("Supply", []):
        if r["capacity"] != 0:
            offer((r["site"], r["material"]), r["unit_cost"] * contract.get(r["material"], 1.0),
                  f"{r['material']} supplied at {r['site']}")
    for r, factor in _spot_offers(t, followers(contracts, t.get("PriceLinks", []))):
        if r["maximum"] != 0:
            offer((r["site"], r["material"]), r["price"] * factor,
                  f"{r['material']} bought spot at {r['site']}")
    for r in t.get("Options", []):
        if r["kind"] == "offtake" and r["capacity"] != 0:
            offer((r["target"], r["material"]),
                  (r["unit_cost"] or 0.0) * contract.get(r["material"], 1.0),
                  f"offtake {r['option']}")
    for r in t.get("Stocks", []):
        if (r["initial_level"] or 0.0) > 0:
            offer((r["site"], r["material"]), 0.0, f"{r['material']} in stock at {r['site']}")
    return best


def least_unit_costs(t: dict[str, list[Row]]) -> dict[Pair, float] | None:
    """A lower bound of the cost of delivering one unit of each material at each site.

    With every cost at least 0, the least cost :math:`c(n, m)` of one unit of material
    :math:`m` at site :math:`n` is the fixed point, reached from :math:`+\\infty` (so the
    greatest one: a zero-cost cycle with no source stays infinite), of

    .. math::

        c(n, m) = \\min\\Big(S_{n,m},\\; \\pi_{n,m},\\; O_{n,m},\\; Z_{n,m},\\;
                  \\min_{p \\text{ at } n \\text{ making } m} \\big(v_p + \\textstyle\\sum_i
                  q_{p,i}\\, c(n, i)\\big),\\;
                  \\min_{l: o \\to n \\text{ carrying } m} \\big(f_l + \\tau_l + c(o, m)\\big)
                  \\Big)

    where :math:`S` is the least Supply Unit cost there (over periods), :math:`\\pi` the
    least spot price there (each SpotMarket row's Price times its lowest price factor: over
    scenarios and the periods it covers, the product of the PriceShocks Price multipliers
    that meet it; matching rows multiply, so this is below min(1, smallest multiplier) when
    several below 1 overlap), :math:`O` the least offtake Unit cost, :math:`Z = 0` where a
    Stocks row has an Initial level above 0, :math:`v_p` a process's Variable cost,
    :math:`q_{p,i}` its recipe, :math:`f_l + \\tau_l` a lane's Cost and Tariff. Rows that can
    deliver nothing (capacity or maximum 0) are left out; processes are kept whatever
    their capacity, since options can add to it. Each term not given is :math:`+\\infty`.

    It is a lower bound of what a plan pays for a unit served there: fixed costs, holding
    costs, capacities and disruptions only add to it, and discounting weighs a cost paid
    in an earlier period (stock carried forward) at least as much as the penalty of the
    later period.

    Computed Bellman-Ford style: from :math:`+\\infty` everywhere, every process and lane is
    applied in turn, in place, until a round changes nothing. Without a cycle through which
    a material makes more of itself (recipe quantities multiplying to below 1), a least
    chain passes each pair at most once, so it settles within (number of pairs + 1) rounds;
    the rounds are capped there and at :data:`MAX_ROUNDS`.

    Returns the finite bounds, a pair that nothing can bring there being absent (read it
    with ``.get(pair, math.inf)``); None where no fixed point was reached within the cap:
    values still falling are not lower bounds.
    """
    return _least_costs(t)[0]


def _least_costs(t: dict[str, list[Row]]) -> tuple[dict[Pair, float] | None, dict[Pair, tuple]]:
    """:func:`least_unit_costs`, with how each pair gets its cost: ``("source", what)``,
    ``("process", name, site, inputs)`` or ``("lane", name, origin)``."""
    recipe: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for r in t.get("Recipes", []):
        if None not in (r["process"], r["input"], r["quantity"]):
            recipe[r["process"]].append((r["input"], r["quantity"]))
    processes = [(p["process"], p["site"], p["output"], p["variable_cost"],
                  recipe[p["process"]]) for p in t.get("Processes", [])
                 if None not in (p["process"], p["site"], p["output"], p["variable_cost"])]
    lanes = [(ln["lane"], ln["from"], ln["to"], ln["material"],
              ln["cost"] + (ln["tariff"] or 0.0)) for ln in t.get("Lanes", [])
             if None not in (ln["from"], ln["to"], ln["material"], ln["cost"])
             and ln["capacity"] != 0]
    cost: dict[Pair, float] = {}
    via: dict[Pair, tuple] = {}
    for pair, (c, how) in _sources(t).items():
        cost[pair], via[pair] = c, ("source", how)
    pairs = set(cost) | {(site, out) for _, site, out, _, _ in processes} | \
        {(site, m) for _, site, _, _, ins in processes for m, _ in ins} | \
        {(a, m) for _, a, _, m, _ in lanes} | {(b, m) for _, _, b, m, _ in lanes}
    for _ in range(min(len(pairs) + 1, MAX_ROUNDS)):
        changed = False
        for name, site, out, variable, inputs in processes:
            total = variable + sum(q * cost.get((site, m), math.inf) for m, q in inputs)
            if total < cost.get((site, out), math.inf):
                cost[(site, out)], via[(site, out)] = total, ("process", name, site, inputs)
                changed = True
        for name, origin, dest, material, freight in lanes:
            total = freight + cost.get((origin, material), math.inf)
            if total < cost.get((dest, material), math.inf):
                cost[(dest, material)], via[(dest, material)] = total, ("lane", name, origin)
                changed = True
        if not changed:
            return cost, via
    return None, via


def _chain(pair: Pair, cost: dict[Pair, float], via: dict[Pair, tuple]) -> list[str]:
    """The steps of the cheapest chain to ``pair``, from the source on; at a process, the
    input that costs the most is followed."""
    steps: list[str] = []
    seen: set[Pair] = set()
    while pair in via and pair not in seen and len(steps) < 8:
        seen.add(pair)
        how = via[pair]
        if how[0] == "source":
            steps.append(how[1])
            break
        if how[0] == "lane":
            steps.append(f"lane {how[1]}")
            pair = (how[2], pair[1])
        else:
            steps.append(f"process {how[1]}")
            if not how[3]:
                break
            material = max(how[3], key=lambda mq: mq[1] * cost.get((how[2], mq[0]), 0.0))[0]
            pair = (how[2], material)
    return steps[::-1]


def amount(x: float) -> str:
    """A money figure: thousands separators, at most 3 decimals, 3 significant digits below 1."""
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 1 or x == 0:
        return f"{x:,.3f}".rstrip("0").rstrip(".")
    return f"{x:.3g}"


def check_penalties(v: Validation) -> None:
    """Warn of Demand rows whose penalty is below :func:`least_unit_costs` there.

    Each such row (quantity above 0; its Penalty, or the Settings Unmet demand penalty
    where blank) is cheaper to leave unmet than to serve, so the plan serves none of it
    unless a hard limit (a Stress unmet share, a take-or-pay offtake) makes it. One warning
    per site and material, at the Penalty cell of its first such row, counting the others.
    Skipped while the network or the sheets it reads have problems (they would give wrong
    bounds), and where the bound did not settle or is infinite (other checks say why).
    """

    if any(p.sheet in (*NETWORK_SHEETS, *WARNING_SHEETS) for p in v.problems):
        return
    cost, via = _least_costs(v.tables)
    if cost is None:
        return
    default = float(v.settings["Unmet demand penalty"])
    groups: dict[Pair, list[tuple[Row, float]]] = defaultdict(list)
    for row in rows_without_problems(v, "Demand"):
        pair = (row["site"], row["material"])
        if None in pair or not row["quantity"] or pair not in cost:
            continue
        penalty = default if row["penalty"] is None else row["penalty"]
        if penalty < cost[pair]:
            groups[pair].append((row, penalty))
    units = {r["material"]: r["unit"] for r in v.tables.get("Materials", [])}
    currency = str(v.settings["Currency"])
    for (site, material), rows in groups.items():
        unit = units.get(material) or "unit"
        first = rows[0][0]
        low, high = min(p for _, p in rows), max(p for _, p in rows)
        defaults = sum(r["penalty"] is None for r, _ in rows)
        source = " (the Settings default)" if defaults == len(rows) else \
            " (some the Settings default)" if defaults else ""
        figure = f"the penalty of {amount(low)}" if low == high else \
            f"the penalties of {amount(low)} to {amount(high)}"
        where = ""
        if len(rows) > 1:
            numbers = [str(r["_row"]) for r, _ in rows[1:]]
            listed = ", ".join(numbers[:10]) + (", ..." if len(numbers) > 10 else "")
            where = f" here and in {len(numbers)} more Demand rows (rows {listed})"
        chain = ", ".join(_chain((site, material), cost, via))
        least = amount(cost[(site, material)])
        own = "this row's Penalty" if len(rows) == 1 else "the rows' Penalty"
        raise_it = f"Settings Unmet demand penalty or {own}" if defaults else own
        column = "penalty" if "penalty" in v.letters.get("Demand", {}) else "quantity"
        v.warn("Demand", ref_of(v, "Demand", first, column),
               f"{figure} {currency} per {unit}{source}{where} is below the least cost to "
               f"deliver one {unit} of {material} at {site}, about {least} {currency} "
               "(the cheapest chain of unit, variable, freight and tariff costs"
               f"{': ' + chain if chain else ''})",
               f"the plan may leave this demand unmet rather than serve it. Raise the "
               f"penalty above that ({raise_it})")
