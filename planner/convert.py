"""A validated workbook turned into the model's typed :class:`~models.data.PlanData`."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from models.data import (
    BASE_SCENARIO, Availability, CapacityGroup, ContractShock, Demand, Lane, LaneId, Material,
    MaterialId, Option, OptionId, Period, PeriodId, PlanData, Policy, PriceLink, Process,
    ProcessId, Risk, Scenario, ScenarioId, Site, SiteId, SpotOffer, SpotShock, Stock, Supply,
)
from planner.schema import ALL_PERIODS
from planner.reach import Reach
from planner.problems import Row, Validation, countries

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


def period_range(row: Row, periods: list[str]) -> list[str]:
    """The periods from a row's First period to its Last period (blank: the ends)."""
    first = periods.index(row["first_period"] or periods[0])
    last = periods.index(row["last_period"] or periods[-1])
    return periods[first:last + 1]


Hit = tuple[str, str, str, tuple[str, ...]]
"""(kind, scenario, period, target) a disruption hits; kind is supply, process or lane."""


def disruption_hits(v: Validation, periods: list[str]) -> dict[Hit, Row]:
    """Disruptions resolved to what they hit (:class:`~planner.reach.Reach`), each hit with
    the row that holds (the lowest availability of the rows that overlap there)."""
    reach = Reach.of_tables(v.tables)
    lowest: dict[Hit, Row] = {}
    for d in v.tables["Disruptions"]:
        hits = reach.hits(d["scope"], d["target"], d["material"])
        for period in period_range(d, periods):
            for kind, hit in hits:
                key = (kind, d["scenario"], period, hit)
                if key not in lowest or d["availability"] < lowest[key]["availability"]:
                    lowest[key] = d
    return lowest


def availabilities(v: Validation, periods: list[str]) -> dict[str, tuple[Availability, ...]]:
    """The share of capacity left, per kind of target, scenario and period."""
    out: dict[str, list[Availability]] = {"supply": [], "process": [], "lane": []}
    for (kind, scenario, period, hit), d in disruption_hits(v, periods).items():
        out[kind].append(Availability(ScenarioId(scenario), PeriodId(period), hit,
                                      d["availability"]))
    return {kind: tuple(rows) for kind, rows in out.items()}


def shocked_offers(shocks: list[Row], offers: list[Row], periods: list[str]):
    """Every (PriceShocks row, spot offer it matches): same material, its site or any, a
    period within its range."""
    for shock in shocks:
        span = set(period_range(shock, periods))
        for r in offers:
            if r["material"] == shock["material"] and shock["site"] in (None, r["site"]) \
                    and r["period"] in span:
                yield shock, r


def spot_shocks(shocks: list[Row], offers: list[Row], periods: list[str],
                following: tuple[ContractShock, ...] = ()) -> tuple[SpotShock, ...]:
    """PriceShocks rows applied to the spot offers they match, and ``following`` (the
    contract factors of materials that follow another index, :func:`followers`) to the
    spot offers of those materials; matching rows multiply."""
    factors: dict[tuple[str, str, str, str], list[float]] = {}
    for shock, r in shocked_offers(shocks, offers, periods):
        f = factors.setdefault((shock["scenario"], r["period"], r["site"], r["material"]),
                               [1.0, 1.0])
        f[0] *= shock["price_multiplier"]
        f[1] *= shock["quantity_multiplier"]
    followed: dict[tuple[str, str], list[ContractShock]] = defaultdict(list)
    for c in following:
        followed[(c.period, c.material)].append(c)
    for r in offers:
        for c in followed[(r["period"], r["material"])]:
            factors.setdefault((c.scenario, r["period"], r["site"], r["material"]),
                               [1.0, 1.0])[0] *= c.factor
    return tuple(SpotShock(ScenarioId(s), PeriodId(t), SiteId(n), MaterialId(m), p, q)
                 for (s, t, n, m), (p, q) in factors.items())


def followers(contracts: tuple[ContractShock, ...], links: list[Row]
              ) -> tuple[ContractShock, ...]:
    """The contract factors whose spot prices move too: a material that follows its own
    index has its spot price moved by the PriceShocks rows themselves."""
    own = {x["material"] for x in links if x["material"] == x["index"]}
    return tuple(c for c in contracts if c.material not in own)


def index_moves(shocks: list[Row], periods: list[str]) -> dict[tuple[str, str, str], float]:
    """(scenario, period, material) -> the product of the Price multipliers of the
    PriceShocks rows with a blank Site that meet it: how its price index moves."""
    moves: dict[tuple[str, str, str], float] = {}
    for shock in shocks:
        if shock["site"] is None:
            for t in period_range(shock, periods):
                key = (shock["scenario"], t, shock["material"])
                moves[key] = moves.get(key, 1.0) * shock["price_multiplier"]
    return moves


def contract_shocks(shocks: list[Row], periods: list[str], links: list[Row]
                    ) -> tuple[ContractShock, ...]:
    """The factor on the prices of each PriceLinks row's material where its index moves."""
    moves = index_moves(shocks, periods)
    found = []
    for link in links:
        follows = PriceLink(link["material"], link["index"], link["pass_through"])
        found += [ContractShock(ScenarioId(s), PeriodId(t), follows.material, follows.factor(m))
                  for (s, t, index), m in moves.items()
                  if index == follows.index and follows.factor(m) != 1.0]
    return tuple(found)


@dataclass
class Origins:
    """Where every entity of a plan came from: its sheet row number, by the entity's key.

    Built once by :func:`origins` from the validated workbook, beside the conversion to
    :class:`PlanData`, and read by whatever maps a model row or a price back to the
    workbook (the infeasibility explanation, the analyses).
    """

    supply: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """(site, material, period) -> Supply row (the 'all' row where it applies)."""
    spot: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """(period, site, material) -> SpotMarket row."""
    policy: dict[tuple[str, str], int] = field(default_factory=dict)
    """(policy, period) -> Policies row."""
    site: dict[str, int] = field(default_factory=dict)
    process: dict[str, int] = field(default_factory=dict)
    lane: dict[str, int] = field(default_factory=dict)
    option: dict[str, int] = field(default_factory=dict)
    stock: dict[tuple[str, str], int] = field(default_factory=dict)
    demand: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """(site, material, period) -> Demand row."""
    scenario: dict[str, int] = field(default_factory=dict)
    group: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    """Capacity group -> its CapacityGroups rows, one per member process."""
    disruption: dict[Hit, Row] = field(default_factory=dict)
    """What each disruption hits, with the row that holds there (:func:`disruption_hits`)."""
    quantity_shocks: dict[tuple[str, str, str, str], list[tuple[int, float]]] = field(
        default_factory=lambda: defaultdict(list))
    """(scenario, period, site, material) of a spot offer -> (PriceShocks row, quantity
    multiplier) of each shock that changes its maximum."""


def origins(v: Validation) -> Origins:
    """The sheet rows behind every entity of the plan of ``v`` (a workbook that passed
    validation)."""
    t = v.tables
    periods = [r["period"] for r in t["Periods"]]
    offers = per_period(t["SpotMarket"], periods, ("material", "site"))
    found = Origins(
        supply={(r["site"], r["material"], r["period"]): r["_row"]
                for r in per_period(t["Supply"], periods, ("site", "material"))},
        spot={(r["period"], r["site"], r["material"]): r["_row"] for r in offers},
        policy={(r["policy"], r["period"]): r["_row"]
                for r in per_period(t["Policies"], periods, ("policy",))},
        site={r["site"]: r["_row"] for r in t["Sites"]},
        process={r["process"]: r["_row"] for r in t["Processes"]},
        lane={r["lane"]: r["_row"] for r in t["Lanes"]},
        option={r["option"]: r["_row"] for r in t["Options"]},
        stock={(r["site"], r["material"]): r["_row"] for r in t["Stocks"]},
        demand={(r["site"], r["material"], r["period"]): r["_row"] for r in t["Demand"]},
        scenario={r["scenario"]: r["_row"] for r in t["Scenarios"]},
        disruption=disruption_hits(v, periods))
    for r in t["CapacityGroups"]:
        found.group[r["group"]].append(r["_row"])
    for shock, r in shocked_offers(t["PriceShocks"], offers, periods):
        if shock["quantity_multiplier"] != 1:
            found.quantity_shocks[(shock["scenario"], r["period"], r["site"],
                                   r["material"])].append(
                (shock["_row"], shock["quantity_multiplier"]))
    return found


def capacity_groups(rows: list[Row]) -> tuple[CapacityGroup, ...]:
    members: dict[str, list[tuple[ProcessId, float]]] = defaultdict(list)
    capacity: dict[str, float] = {}
    for r in rows:
        members[r["group"]].append((ProcessId(r["process"]), r["use"]))
        capacity.setdefault(r["group"], r["capacity"])
    return tuple(CapacityGroup(g, capacity[g], tuple(ms)) for g, ms in members.items())


def to_plan_data(v: Validation) -> PlanData:
    """The typed plan of a workbook that passed validation."""
    t, settings = v.tables, v.settings
    rate = float(settings["Discount rate"])
    periods = [r["period"] for r in t["Periods"]]
    kinds = {r["material"]: r["kind"] for r in t["Materials"]}
    offers = per_period(t["SpotMarket"], periods, ("material", "site"))
    hit = availabilities(v, periods)
    contracts = contract_shocks(t["PriceShocks"], periods, t["PriceLinks"])
    total = math.fsum(r["probability"] for r in t["Scenarios"])  # about 1: see tolerance
    scenarios = tuple(Scenario(ScenarioId(r["scenario"]), r["probability"] / total, r["kind"])
                      for r in t["Scenarios"]) or (Scenario(BASE_SCENARIO, 1.0),)
    recipes: dict[str, list[tuple[MaterialId, float]]] = defaultdict(list)
    for r in t["Recipes"]:
        recipes[r["process"]].append((MaterialId(r["input"]), r["quantity"]))
    return PlanData(
        periods=tuple(Period(PeriodId(p), (1.0 + rate) ** -k) for k, p in enumerate(periods)),
        sites=tuple(Site(SiteId(r["site"]), r["kind"], r["country"],
                         _periods(r["time_to_recover"])) for r in t["Sites"]),
        materials=tuple(Material(MaterialId(r["material"]), r["unit"], r["kind"], r["family"],
                                 r["equivalent_unit"], r["equivalent_per_unit"])
                        for r in t["Materials"]),
        supplies=tuple(
            Supply(r["site"], r["material"], r["period"], r["capacity"], r["unit_cost"])
            for r in per_period(t["Supply"], periods, ("site", "material"))),
        processes=tuple(
            Process(ProcessId(r["process"]), r["site"], r["output"], r["capacity"],
                    r["variable_cost"], tuple(recipes[r["process"]]),
                    "cell making" if kinds[r["output"]] in CELL_MAKING_KINDS else "processing",
                    _periods(r["time_to_recover"]))
            for r in t["Processes"]),
        lanes=tuple(Lane(LaneId(r["lane"]), r["from"], r["to"], r["material"], r["cost"],
                         r["tariff"], r["capacity"], _periods(r["time_to_recover"]))
                    for r in t["Lanes"]),
        demands=tuple(
            Demand(r["site"], r["material"], r["period"], r["quantity"],
                   settings["Unmet demand penalty"] if r["penalty"] is None else r["penalty"])
            for r in t["Demand"]),
        spot_offers=tuple(
            SpotOffer(r["material"], r["site"], r["period"], r["price"], r["maximum"])
            for r in offers),
        scenarios=scenarios,
        supply_availability=hit["supply"],
        process_availability=hit["process"],
        lane_availability=hit["lane"],
        spot_shocks=spot_shocks(t["PriceShocks"], offers, periods,
                                followers(contracts, t["PriceLinks"])),
        contract_shocks=contracts,
        price_links=tuple(PriceLink(r["material"], r["index"], r["pass_through"])
                          for r in t["PriceLinks"]),
        options=tuple(
            Option(OptionId(r["option"]), r["kind"], r["target"], r["capacity"],
                   r["fixed_cost"], PeriodId(r["earliest_period"] or periods[0]),
                   r["material"], r["unit_cost"], r["take_or_pay"],
                   r["cost_basis"] == "per period", r["decision"] == "binary",
                   r["exclusive_group"], r["from_process"])
            for r in t["Options"]),
        capacity_groups=capacity_groups(t["CapacityGroups"]),
        stocks=tuple(Stock(r["site"], r["material"], r["maximum"], r["initial_level"],
                           r["holding_cost"], r["end_minimum"]) for r in t["Stocks"]),
        policies=tuple(Policy(r["policy"], r["kind"], r["period"], r["share"], r["material"],
                              countries(r["countries"]), r["process"])
                       for r in per_period(t["Policies"], periods, ("policy",))),
        stress_unmet_share=float(settings["Stress unmet share"]),
        risk=Risk(str(settings["Objective"]), float(settings["Risk weight"]),
                  float(settings["CVaR level"])),
        recovery=int(settings["Time to recover"]),
    )


def _periods(value: float | None) -> int | None:
    return None if value is None else int(value)
