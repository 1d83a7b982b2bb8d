"""Rows that change nothing in the model, each warned of with the reason.

A Disruptions, PriceShocks, PriceLinks, Policies or Options row that matches nothing, or whose
numbers leave everything as it is, is planned as nothing: the planner meant something by
it, so each gets a warning at its row saying why it has no effect. Rows with a problem of
their own are left to that problem.
"""

from __future__ import annotations

from collections import Counter

from planner.convert import per_period, shocked_offers
from planner.limits import rows_without_problems
from planner.problems import NETWORK_SHEETS, Validation, countries, ref_of
from planner.reach import Reach

SHEETS = ("Disruptions", "PriceShocks", "PriceLinks", "Policies", "Options")


def check_noops(v: Validation) -> None:
    """Every row of :data:`SHEETS` that changes nothing, warned of at its row."""
    if any(p.sheet in NETWORK_SHEETS + ("Periods", "Sites") for p in v.problems):
        return
    for sheet, row, column, reason, *fix in (*_disruptions(v), *_price_shocks(v),
                                             *_price_links(v), *_policies(v), *_options(v)):
        v.warn(sheet, ref_of(v, sheet, row, column), f"this row changes nothing: {reason}",
               fix[0] if fix else "correct it, or delete it if it is not needed")


def _disruptions(v: Validation):
    reach = Reach.of_tables(v.tables)
    output = {r["process"]: r["output"] for r in v.tables["Processes"]}
    capacity = {ln["lane"]: ln["capacity"] for ln in v.tables["Lanes"]}
    for d in rows_without_problems(v, "Disruptions"):
        scope, target, material = d["scope"], d["target"], d["material"]
        if d["availability"] == 1:
            yield ("Disruptions", d, "availability",
                   f"an availability of 1 leaves all of {target}'s capacity available")
        elif scope == "process" and material not in (None, output.get(target)):
            yield ("Disruptions", d, "material", f"process {target} makes "
                   f"{output.get(target)}, not {material}",
                   "leave Material blank or name the process's output")
        elif not reach.hits(scope, target, material):
            what = f" {material}" if material else ""
            yield ("Disruptions", d, "target", {
                "supply": f"{target} supplies no{what} (no Supply row or offtake)",
                "site": f"{target} has no{what} supply, process or lane",
                "country": f"no lane{' for' + what if what else ''} leaves {target}",
                "lane": f"lane {target} does not carry{what}",
            }.get(scope, "it hits nothing"))
        elif 0 < d["availability"] < 1 and scope in ("country", "lane"):
            lanes = reach.lanes_hit(scope, target, material)
            if all(capacity.get(lane) is None for lane in lanes):
                yield ("Disruptions", d, "availability", f"a share of {d['availability']:g} "
                       f"of lane(s) {', '.join(lanes)} is unlimited, as they have no Capacity",
                       "give those lanes a Capacity on the Lanes sheet for the share to apply")


def _price_shocks(v: Validation):
    periods = [r["period"] for r in v.tables["Periods"]]
    offers = per_period([r for r in v.tables["SpotMarket"] if r["period"] is not None],
                        periods, ("material", "site"))
    shocks = rows_without_problems(v, "PriceShocks")
    indexes = {x["index"] for x in v.tables["PriceLinks"] if x["pass_through"]}
    meets = list(shocked_offers(shocks, offers, periods))
    met = {id(shock) for shock, _ in meets}
    met |= {id(s) for s in shocks if s["site"] is None and s["material"] in indexes}
    limited = {id(shock) for shock, offer in meets if offer["maximum"] is not None}
    for s in shocks:
        where = f" delivered at {s['site']}" if s["site"] else ""
        if s["price_multiplier"] == 1 and s["quantity_multiplier"] == 1:
            yield ("PriceShocks", s, "price_multiplier", "both multipliers are 1")
        elif id(s) not in met:
            yield ("PriceShocks", s, "material",
                   f"no SpotMarket row sells {s['material']}{where} in its periods")
        elif s["price_multiplier"] == 1 and s["quantity_multiplier"] != 0 \
                and id(s) not in limited:
            yield ("PriceShocks", s, "quantity_multiplier",
                   f"its quantity multiplier applies to spot {s['material']}{where} with no "
                   "Maximum, which stays unlimited")


def _price_links(v: Validation):
    priced = {r["material"] for r in v.tables["Supply"] + v.tables["SpotMarket"]}
    priced |= {o["material"] for o in v.tables["Options"] if o["kind"] == "offtake"}
    for link in rows_without_problems(v, "PriceLinks"):
        if link["pass_through"] == 0:
            yield ("PriceLinks", link, "pass_through", "a pass-through of 0 passes nothing on")
        elif link["material"] not in priced:
            yield ("PriceLinks", link, "material", f"{link['material']} has no Supply row, "
                   "offtake or spot price to follow the index")


def _sources(v: Validation) -> dict[str, set[str]]:
    """Material -> the countries where some of it enters the network."""
    country = {r["site"]: r["country"] for r in v.tables["Sites"]}
    found: dict[str, set[str]] = {}
    entries = [(r["site"], r["material"]) for r in v.tables["Supply"] + v.tables["SpotMarket"]]
    entries += [(o["target"], o["material"]) for o in v.tables["Options"]
                if o["kind"] == "offtake"]
    entries += [(p["site"], p["output"]) for p in v.tables["Processes"]]
    for site, material in entries:
        found.setdefault(material, set()).add(country.get(site))
    return found


def _policies(v: Validation):
    sources = _sources(v)
    for p in rows_without_problems(v, "Policies"):
        kind, share = p["kind"], p["share"]
        if kind == "min country share" and share == 0:
            yield ("Policies", p, "share", "at least a share of 0 is no limit")
        elif kind in ("max country share", "max process share") and share == 1:
            yield ("Policies", p, "share", "at most a share of 1 is no limit")
        elif kind == "max country share" \
                and not set(countries(p["countries"])) & sources.get(p["material"], set()):
            yield ("Policies", p, "countries", f"none of {p['material']} comes from "
                   f"{p['countries']}, so there is nothing to limit")


def _options(v: Validation):
    groups = Counter(o["exclusive_group"] for o in v.tables["Options"] if o["exclusive_group"])
    for o in rows_without_problems(v, "Options"):
        if o["capacity"] == 0:
            yield ("Options", o, "capacity", "a capacity of 0 adds nothing when taken")
        elif o["exclusive_group"] and groups[o["exclusive_group"]] == 1:
            yield ("Options", o, "exclusive_group", "it is the only option of exclusive "
                   f"group {o['exclusive_group']}, so the group limits nothing")
