"""Workbooks of the planner's shape at any size, seeded and reproducible: ``plan generate``.

The chain is the battery chain: mines supply spodumene concentrate (SC6); refineries turn
it into lithium carbonate or hydroxide (two routes each); cell plants make LFP cells from
carbonate, NMC cells from hydroxide and sodium-ion cells from soda ash (three lines each);
markets assemble EV packs from NMC cells and storage systems from LFP or sodium-ion cells.
Every mine ships to ``FAN_OUT`` refineries, every refinery to ``FAN_OUT`` plants (both
chemicals), every plant to ``FAN_OUT`` markets (all three cells); each downstream site
is served by at least one upstream site, and spot carbonate, hydroxide and soda ash are
on sale at every plant, so every demand can be served and nothing is idle.

Scenarios beyond the base disrupt a mine, a refinery or a country's exports, and may
spike the carbonate price, which SC6 and hydroxide prices follow (PriceLinks). Options
are offtakes at new mines (binary, with take-or-pay), refinery expansions (binary),
conversions of LFP lines to sodium-ion (continuous) and carbonate stockpiles (binary).
Figures are of the example's orders of magnitude; none is data about a real site.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from pathlib import Path

from planner.template import write_template

COUNTRIES = ("Australia", "Chile", "Argentina", "China", "Zimbabwe", "Brazil", "Canada",
             "Indonesia", "DR Congo", "Namibia", "Portugal", "USA", "Hungary", "Germany")
FAN_OUT = 3
MATERIALS = [
    {"Material": "SC6", "Unit": "t", "Kind": "concentrate", "Equivalent unit": "t LCE",
     "Equivalent per unit": 0.129},
    {"Material": "Li2CO3", "Unit": "t", "Kind": "chemical", "Equivalent unit": "t LCE",
     "Equivalent per unit": 1},
    {"Material": "LiOH", "Unit": "t", "Kind": "chemical", "Equivalent unit": "t LCE",
     "Equivalent per unit": 0.88},
    {"Material": "Soda ash", "Unit": "t", "Kind": "chemical"},
    {"Material": "LFP cell", "Unit": "GWh", "Kind": "cell", "Family": "lithium-ion"},
    {"Material": "NMC cell", "Unit": "GWh", "Kind": "cell", "Family": "lithium-ion"},
    {"Material": "Na-ion cell", "Unit": "GWh", "Kind": "cell", "Family": "sodium-ion"},
    {"Material": "EV pack", "Unit": "GWh", "Kind": "product"},
    {"Material": "Storage", "Unit": "GWh", "Kind": "product"},
]
REFINING = (("to Li2CO3", "Li2CO3", 7.75, 2_300), ("to LiOH", "LiOH", 6.8, 2_600))
"""(route, output, t SC6 per t, variable cost)."""
LINES = (("LFP", "LFP cell", "Li2CO3", 550, 30e6), ("NMC", "NMC cell", "LiOH", 625, 36e6),
         ("Na-ion", "Na-ion cell", "Soda ash", 1_300, 45e6))
"""(line, output, input, t per GWh, variable cost per GWh)."""
SETTINGS = {"Discount rate": 0.08, "Unmet demand penalty": 250_000_000, "MIP gap": 1e-4}
"""An unmet GWh costs USD 250 M, as in the example: more than making one (USD 50-60 M)
unless the chain is a single, far-flung line of sites."""
ASSEMBLY = (("EV packs", "EV pack", "NMC cell"), ("storage (LFP)", "Storage", "LFP cell"),
            ("storage (Na-ion)", "Storage", "Na-ion cell"))


@dataclass(frozen=True)
class Size:
    mines: int = 80
    refineries: int = 20
    plants: int = 20
    markets: int = 20
    periods: int = 5
    options: int = 20
    scenarios: int = 10


def write(path: Path, size: Size = Size(), seed: int = 1) -> None:
    """The workbook :func:`generate` describes, written atomically to ``path``."""
    knobs = ", ".join(f"{k} {v}" for k, v in asdict(size).items())
    write_template(path, rows=generate(size, seed), settings=SETTINGS, notes=[
        "GENERATED WORKBOOK: SYNTHETIC DATA", f"Written by plan generate ({knobs}, seed {seed}).",
        "Sites, capacities and prices are drawn at random around the example's orders of "
        "magnitude; they describe no real site."])


def generate(size: Size = Size(), seed: int = 1) -> dict[str, list[dict]]:
    """The rows of every sheet of a workbook of ``size``, the same for the same ``seed``."""
    rng = random.Random(seed)
    periods = [str(2026 + k) for k in range(size.periods)]
    mines = [f"Mine {i + 1}" for i in range(size.mines)]
    refineries = [f"Refinery {i + 1}" for i in range(size.refineries)]
    plants = [f"Plant {i + 1}" for i in range(size.plants)]
    markets = [f"Market {i + 1}" for i in range(size.markets)]
    rows: dict[str, list[dict]] = {"Periods": [{"Period": t} for t in periods],
                                   "Materials": MATERIALS}
    rows["Sites"] = [{"Site": n, "Kind": kind, "Country": rng.choice(COUNTRIES)}
                     for kind, names in (("mine", mines), ("refinery", refineries),
                                         ("cell plant", plants), ("market", markets))
                     for n in names]
    rows["Supply"] = [{"Site": m, "Material": "SC6", "Period": "all",
                       "Capacity": rng.randrange(20, 200) * 1_000,
                       "Unit cost": rng.randrange(700, 1_000)} for m in mines]
    rows["Processes"], rows["Recipes"] = [], []
    for site in refineries:
        for route, output, quantity, cost in REFINING:
            _process(rows, f"{site} {route}", site, output, rng.randrange(10, 40) * 1_000,
                     cost * rng.uniform(0.9, 1.2), "SC6", quantity)
    for site in plants:
        for line, output, material, quantity, cost in LINES:
            capacity = rng.randrange(2, 6) if line == "Na-ion" else rng.randrange(10, 40)
            _process(rows, f"{site} {line} line", site, output, capacity,
                     cost * rng.uniform(0.95, 1.1), material, quantity)
    for site in markets:
        for name, output, cell in ASSEMBLY:
            _process(rows, f"{site} {name}", site, output, 1_000, 12e6, cell, 1)
    rows["Lanes"] = _lanes(rng, mines, refineries, plants, markets)
    demand = 40 * size.plants / max(size.markets, 1)
    rows["Demand"] = [
        {"Site": n, "Material": product, "Period": t,
         "Quantity": round(share * demand * (1 + 0.08 * k) * rng.uniform(0.8, 1.2), 1)}
        for n in markets for product, share in (("EV pack", 0.45), ("Storage", 0.4))
        for k, t in enumerate(periods)]
    rows["SpotMarket"] = [{"Material": material, "Site": n, "Period": "all", "Price": price,
                           "Maximum": maximum}
                          for n in plants for material, price, maximum in (
                              ("Li2CO3", 9_800, 2_000), ("LiOH", 10_500, 2_000),
                              ("Soda ash", 220, 50_000))]
    options, stocks, new_mines, new_lanes = _options(rng, size, periods, refineries, plants)
    rows |= {"Options": options, "Stocks": stocks}
    rows["Sites"] += new_mines
    rows["Lanes"] += new_lanes
    rows |= _scenarios(rng, size, periods, mines, refineries, rows)
    return rows


def _process(rows, name, site, output, capacity, cost, material, quantity) -> None:
    rows["Processes"].append({"Process": name, "Site": site, "Output": output,
                              "Capacity": capacity, "Variable cost": round(cost)})
    rows["Recipes"].append({"Process": name, "Input": material, "Quantity": quantity})


def _links(rng, sources: list[str], targets: list[str]) -> list[tuple[str, str]]:
    """``FAN_OUT`` targets for every source, and at least one source for every target."""
    pairs = {(s, t) for s in sources for t in rng.sample(targets, min(FAN_OUT, len(targets)))}
    pairs |= {(sources[i % len(sources)], t) for i, t in enumerate(targets)}
    return sorted(pairs)


def _lanes(rng, mines, refineries, plants, markets) -> list[dict]:
    lanes = []
    for stage, sources, targets, materials, cost in (
            ("SC6", mines, refineries, ("SC6",), (20, 130)),
            ("chem", refineries, plants, ("Li2CO3", "LiOH"), (40, 260)),
            ("cells", plants, markets, ("LFP cell", "NMC cell", "Na-ion cell"),
             (300_000, 2_700_000))):
        for source, target in _links(rng, sources, targets):
            for material in materials:
                lanes.append({"Lane": f"{material} {source}-{target}", "From": source,
                              "To": target, "Material": material,
                              "Cost": rng.randrange(*cost)})
    return lanes


def _scenarios(rng, size, periods, mines, refineries, rows) -> dict[str, list[dict]]:
    """Half the probability on the base, the rest shared by scenarios that each disrupt a
    mine, a refinery or a country's SC6 exports for a period (and, with a chance of 0.3 each,
    spike the carbonate price)."""
    if size.scenarios <= 1:
        return {}
    names = ["base"] + [f"scenario {i}" for i in range(1, size.scenarios)]
    rest = round(0.5 / (size.scenarios - 1), 6)
    scenarios = [{"Scenario": n, "Probability": rest, "Kind": "normal"} for n in names]
    scenarios[0]["Probability"] = round(1 - rest * (size.scenarios - 1), 6)
    country = {s["Site"]: s["Country"] for s in rows["Sites"]}
    exporters = sorted({country[x["From"]] for x in rows["Lanes"] if x["Material"] == "SC6"
                        and country[x["From"]] != country[x["To"]]})
    disruptions, shocks = [], []
    for n in names[1:]:
        first = rng.choice(periods)
        scope, target = rng.choice([("supply", rng.choice(mines)),
                                    ("site", rng.choice(refineries))]
                                   + [("country", rng.choice(exporters))] * bool(exporters))
        disruptions.append({"Scenario": n, "Scope": scope, "Target": target,
                            "Material": "SC6" if scope == "country" else None,
                            "First period": first, "Last period": first,
                            "Availability": 0 if scope == "country"  # a ban: lanes
                            else rng.choice([0, 0.25, 0.5])})            # have no capacity
        if rng.random() < 0.3:
            shocks.append({"Scenario": n, "Material": "Li2CO3", "First period": first,
                           "Price multiplier": rng.choice([1.5, 2, 3])})
    links = [{"Material": "SC6", "Index": "Li2CO3", "Pass-through": 0.75},
             {"Material": "LiOH", "Index": "Li2CO3", "Pass-through": 0.9}]
    return {"Scenarios": scenarios, "Disruptions": disruptions, "PriceShocks": shocks,
            "PriceLinks": links if shocks else []}


def _options(rng, size, periods, refineries, plants):
    """Options, the Stocks rows their stockpiles need, and the new mines of their offtakes
    with the lanes from them."""
    options, sites, supply_lanes, stocks = [], [], [], []
    conversions = len(range(2, size.options, 4))
    moved = 10 / -(-conversions // len(plants)) if conversions else 0  # LFP lines hold 10+
    for i in range(size.options):
        earliest = rng.choice(periods)
        kind = ("offtake", "expansion", "conversion", "stock")[i % 4]
        name = f"Option {i + 1}"
        if kind == "offtake":
            site = f"New mine {i + 1}"
            sites.append({"Site": site, "Kind": "mine", "Country": rng.choice(COUNTRIES)})
            supply_lanes += [{"Lane": f"SC6 {site}-{r}", "From": site, "To": r,
                              "Material": "SC6", "Cost": rng.randrange(20, 130)}
                             for r in rng.sample(refineries, min(2, len(refineries)))]
            options.append({"Option": name, "Kind": kind, "Target": site, "Material": "SC6",
                            "Capacity": rng.randrange(20, 80) * 1_000,
                            "Unit cost": rng.randrange(750, 950), "Take or pay": 0.5,
                            "Fixed cost": rng.randrange(10, 60) * 1e6,
                            "Earliest period": earliest})
        elif kind == "expansion":
            options.append({"Option": name, "Kind": kind, "Decision": "binary",
                            "Target": f"{rng.choice(refineries)} to LiOH",
                            "Capacity": rng.randrange(5, 20) * 1_000,
                            "Fixed cost": rng.randrange(100, 400) * 1e6,
                            "Earliest period": earliest})
        elif kind == "conversion":
            plant = plants[(i // 4) % len(plants)]
            options.append({"Option": name, "Kind": kind, "Decision": "continuous",
                            "Target": f"{plant} Na-ion line",
                            "From process": f"{plant} LFP line", "Capacity": round(moved, 3),
                            "Fixed cost": 50e6, "Cost basis": "per period",
                            "Earliest period": earliest})
        else:
            plant = plants[(i // 4) % len(plants)]
            if not any(s["Site"] == plant for s in stocks):
                stocks.append({"Site": plant, "Material": "Li2CO3", "Maximum": 0,
                               "Holding cost": 150})
            options.append({"Option": name, "Kind": kind, "Target": plant,
                            "Material": "Li2CO3", "Capacity": 2_000,
                            "Fixed cost": rng.randrange(5, 20) * 1e6,
                            "Earliest period": earliest})
    return options, stocks, sites, supply_lanes
