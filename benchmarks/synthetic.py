"""Synthetic plans of the planner's shape, at any size, for benchmarks.

``with_scenarios(data, count)``: ``data``'s scenarios replicated ``count`` times, each copy
with its disruptions eased by up to 20% and its spot prices moved by up to 20% (so no copy
is harder to serve than its original), probabilities shared out.

``synthetic(scale)``: ``4 * scale`` mines in 8 countries supplying ore to ``scale``
refineries (two routes each), which ship a chemical to ``scale`` cell plants (an LFP and a
sodium-ion line each), which ship cells to ``scale`` markets, over 5 periods. Every mine
ships to 3 refineries, every refinery to 3 plants, every plant to 3 markets.
"""

from __future__ import annotations

import random

from dataclasses import replace

from models.data import (
    Demand, Lane, Material, Period, PlanData, Process, Scenario, Site, SpotOffer, Supply,
)

COUNTRIES = ("Australia", "Chile", "China", "Zimbabwe", "Argentina", "Brazil", "Canada",
             "Namibia")


def synthetic(scale: int, seed: int = 1, periods: int = 5) -> PlanData:
    rng = random.Random(seed)
    ts = [str(2026 + i) for i in range(periods)]
    mines = [f"mine{i}" for i in range(4 * scale)]
    refineries = [f"refinery{i}" for i in range(scale)]
    plants = [f"plant{i}" for i in range(scale)]
    markets = [f"market{i}" for i in range(scale)]
    sites = [Site(n, "mine", COUNTRIES[i % len(COUNTRIES)]) for i, n in enumerate(mines)]
    sites += [Site(n, k, rng.choice(COUNTRIES)) for k, names in
              (("refinery", refineries), ("cell plant", plants), ("market", markets))
              for n in names]
    materials = (Material("ore", "t", "ore"), Material("LCE", "t", "chemical"),
                 Material("LFP", "GWh", "cell", "lithium-ion"),
                 Material("NaIon", "GWh", "cell", "sodium-ion"),
                 Material("pack", "GWh", "product"))
    supplies = [Supply(n, "ore", t, rng.uniform(5e3, 2e4), rng.uniform(40, 90))
                for n in mines for t in ts]
    processes, lanes = [], []
    for r in refineries:
        processes += [Process(f"{r}/spodumene", r, "LCE", 2e3, rng.uniform(1500, 2500),
                              (("ore", 8.0),), "processing"),
                      Process(f"{r}/lepidolite", r, "LCE", 1e3, rng.uniform(1000, 2000),
                              (("ore", 12.0),), "processing")]
    for p in plants:
        processes += [Process(f"{p}/lfp", p, "LFP", 8.0, 3e7, (("LCE", 550.0),), "cell making"),
                      Process(f"{p}/na", p, "NaIon", 4.0, 5e7, (), "cell making")]
    for mkt in markets:
        processes += [Process(f"{mkt}/pack-lfp", mkt, "pack", 1e3, 0.0, (("LFP", 1.0),)),
                      Process(f"{mkt}/pack-na", mkt, "pack", 1e3, 0.0, (("NaIon", 1.0),))]
    for layer, targets, material in ((mines, refineries, "ore"), (refineries, plants, "LCE"),
                                     (plants, markets, "LFP"), (plants, markets, "NaIon")):
        for a in layer:
            for b in rng.sample(targets, min(3, len(targets))):
                lanes.append(Lane(f"{a}>{b}/{material}", a, b, material, rng.uniform(5, 60),
                                  rng.choice((0.0, 0.0, 5.0))))
    demands = [Demand(mkt, "pack", t, rng.uniform(5, 10) * (1 + 0.1 * i), 2e8)
               for mkt in markets for i, t in enumerate(ts)]
    spot = [SpotOffer("LCE", r, t, 11_000.0, 500.0) for r in refineries for t in ts]
    return PlanData(tuple(Period(t, 1.08 ** -i) for i, t in enumerate(ts)), tuple(sites),
                    materials, tuple(supplies), tuple(processes), tuple(lanes), tuple(demands),
                    tuple(spot))


def with_scenarios(data: PlanData, count: int, seed: int = 1) -> PlanData:
    """``data`` with ``count`` copies of each scenario, disruptions and shocks jittered."""
    rng = random.Random(seed)
    copies = {s.id: [f"{s.id} #{k}" for k in range(count)] for s in data.scenarios}

    def jitter(rows, **fields):
        return tuple(replace(r, scenario=name, **{f: g(getattr(r, f)) for f, g in fields.items()})
                     for r in rows for name in copies[r.scenario])

    share = {"share": lambda x: min(1.0, x * rng.uniform(1.0, 1.2))}
    return replace(
        data,
        scenarios=tuple(Scenario(name, s.probability / count, s.kind)
                        for s in data.scenarios for name in copies[s.id]),
        supply_availability=jitter(data.supply_availability, **share),
        process_availability=jitter(data.process_availability, **share),
        lane_availability=jitter(data.lane_availability, **share),
        spot_shocks=jitter(data.spot_shocks,
                           price_factor=lambda x: x * rng.uniform(0.8, 1.2)))
