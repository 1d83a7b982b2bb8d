"""A validated workbook turned into the model's typed :class:`~models.data.PlanData`."""

from __future__ import annotations

from collections import defaultdict

from models.data import (
    Demand, Lane, LaneId, Material, MaterialId, Period, PeriodId, PlanData, Process, ProcessId,
    SiteId, Site, SpotOffer, Supply,
)
from planner.schema import ALL_PERIODS
from planner.validate import Row, Validation

CELL_MAKING_KINDS = ("cell", "product")
"""Processes whose output is of these kinds report their cost as cell making."""


def per_period(rows: list[Row], periods: list[str], key: tuple[str, ...]) -> list[Row]:
    """Rows for period 'all' copied to every period that has no row of its own."""
    explicit = {(*(r[k] for k in key), r["period"]) for r in rows if r["period"] != ALL_PERIODS}
    out = [r for r in rows if r["period"] != ALL_PERIODS]
    for r in rows:
        if r["period"] == ALL_PERIODS:
            out += [{**r, "period": t} for t in periods
                    if (*(r[k] for k in key), t) not in explicit]
    order = {t: i for i, t in enumerate(periods)}
    return sorted(out, key=lambda r: (order[r["period"]], *(r[k] for k in key)))


def to_plan_data(v: Validation) -> PlanData:
    """The typed plan of a workbook that passed validation."""
    t, settings = v.tables, v.settings
    rate = float(settings["Discount rate"])
    periods = [r["period"] for r in t["Periods"]]
    kinds = {r["material"]: r["kind"] for r in t["Materials"]}
    recipes: dict[str, list[tuple[MaterialId, float]]] = defaultdict(list)
    for r in t["Recipes"]:
        recipes[r["process"]].append((MaterialId(r["input"]), r["quantity"]))
    return PlanData(
        periods=tuple(Period(PeriodId(p), (1.0 + rate) ** -k) for k, p in enumerate(periods)),
        sites=tuple(Site(SiteId(r["site"]), r["kind"], r["country"]) for r in t["Sites"]),
        materials=tuple(Material(MaterialId(r["material"]), r["unit"], r["kind"], r["family"])
                        for r in t["Materials"]),
        supplies=tuple(
            Supply(r["site"], r["material"], r["period"], r["capacity"], r["unit_cost"])
            for r in per_period(t["Supply"], periods, ("site", "material"))),
        processes=tuple(
            Process(ProcessId(r["process"]), r["site"], r["output"], r["capacity"],
                    r["variable_cost"], tuple(recipes[r["process"]]),
                    "cell making" if kinds[r["output"]] in CELL_MAKING_KINDS else "processing")
            for r in t["Processes"]),
        lanes=tuple(Lane(LaneId(r["lane"]), r["from"], r["to"], r["material"], r["cost"],
                         r["tariff"], r["capacity"]) for r in t["Lanes"]),
        demands=tuple(
            Demand(r["site"], r["material"], r["period"], r["quantity"],
                   settings["Unmet demand penalty"] if r["penalty"] is None else r["penalty"])
            for r in t["Demand"]),
        spot_offers=tuple(
            SpotOffer(r["material"], r["site"], r["period"], r["price"], r["maximum"])
            for r in per_period(t["SpotMarket"], periods, ("material", "site"))),
    )
