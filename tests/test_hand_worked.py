"""Tiny instances whose optimum is worked out by hand in each docstring."""

from __future__ import annotations

import pytest

from conftest import materials, periods, sites, solve_plan


def test_two_mines_cheaper_first(tmp_path, two_mines):
    """A (5 + 1 freight) fills first: 10 t x 6 = 60; B (7 + 1) the rest: 15 t x 8 = 120.

    Total 180; A at capacity, B at 15 of 20.
    """
    run = solve_plan(tmp_path, two_mines)
    assert run.solved.objective == pytest.approx(180.0)
    sourcing = run.result.sourcing.set_index("Site")["Quantity"]
    assert sourcing["A"] == pytest.approx(10.0)
    assert sourcing["B"] == pytest.approx(15.0)
    assert run.result.demand["Unmet"].sum() == pytest.approx(0.0)


def test_two_mines_short_supply_pays_penalty(tmp_path, two_mines):
    """35 t demanded, 30 t available: 10 x 6 + 20 x 8 = 220, plus 5 t unmet x 1000 = 5,220."""
    two_mines["Demand"][0]["Quantity"] = 35
    run = solve_plan(tmp_path, two_mines)
    assert run.solved.objective == pytest.approx(5220.0)
    assert run.result.demand["Unmet"].sum() == pytest.approx(5.0)
    categories = run.result.cost_by_category()["Cost"]
    assert categories["mining"] == pytest.approx(10 * 5 + 20 * 7)
    assert categories["transport"] == pytest.approx(30.0)
    assert categories["unmet demand"] == pytest.approx(5000.0)


def refining_routes(ore_capacity: float) -> dict:
    """100 t LCE demanded; ore costs 50 per t.

    Route A: 8 t ore per t LCE, 2,000 per t -> 8 x 50 + 2,000 = 2,400 per t LCE.
    Route B: 10 t ore per t LCE, 1,500 per t -> 10 x 50 + 1,500 = 2,000 per t LCE,
    capacity 60 t.
    """
    return {
        "Periods": periods("2026"),
        "Materials": materials(("Ore", "t", "ore"), ("LCE", "t", "chemical")),
        "Sites": sites(("Mine", "mine", "Australia"), ("Refinery", "refinery", "China")),
        "Supply": [{"Site": "Mine", "Material": "Ore", "Period": "2026",
                    "Capacity": ore_capacity, "Unit cost": 50}],
        "Processes": [
            {"Process": "Route A", "Site": "Refinery", "Output": "LCE", "Capacity": 1000,
             "Variable cost": 2000},
            {"Process": "Route B", "Site": "Refinery", "Output": "LCE", "Capacity": 60,
             "Variable cost": 1500},
        ],
        "Recipes": [
            {"Process": "Route A", "Input": "Ore", "Quantity": 8},
            {"Process": "Route B", "Input": "Ore", "Quantity": 10},
        ],
        "Lanes": [{"Lane": "ore", "From": "Mine", "To": "Refinery", "Material": "Ore",
                   "Cost": 0}],
        "Demand": [{"Site": "Refinery", "Material": "LCE", "Period": "2026", "Quantity": 100,
                    "Penalty": 1e6}],
    }


def test_refining_route_cheaper_per_tonne_until_capacity(tmp_path):
    """Ore plentiful: B at its 60 t capacity (2,000 each), A the other 40 t (2,400 each).

    120,000 + 96,000 = 216,000; ore used 60 x 10 + 40 x 8 = 920 t.
    """
    run = solve_plan(tmp_path, refining_routes(ore_capacity=5000))
    assert run.solved.objective == pytest.approx(216_000.0)
    activity = run.result.processing.set_index("Process")["Activity"]
    assert activity["Route B"] == pytest.approx(60.0)
    assert activity["Route A"] == pytest.approx(40.0)
    assert run.result.sourcing["Quantity"].sum() == pytest.approx(920.0)


def test_refining_route_higher_yield_wins_when_ore_binds(tmp_path):
    """Only 800 t ore: 8 a + 10 b <= 800 with a + b = 100 forces b = 0, a = 100.

    Cost 100 x 2,400 = 240,000; the better-yield route takes all the ore.
    """
    run = solve_plan(tmp_path, refining_routes(ore_capacity=800))
    assert run.solved.objective == pytest.approx(240_000.0)
    activity = run.result.processing.set_index("Process")["Activity"]
    assert activity["Route A"] == pytest.approx(100.0)
    assert activity["Route B"] == pytest.approx(0.0)


def cell_choice(lce_price: float) -> dict:
    """50 GWh of grid packs, made from LFP or sodium-ion cells (1 GWh per GWh, no cost).

    LFP line: 30 GWh, 40 per GWh plus 2 t LCE per GWh bought on the spot market.
    Sodium-ion line: 40 GWh, 70 per GWh, no lithium.
    """
    return {
        "Periods": periods("2026"),
        "Materials": [
            {"Material": "LCE", "Unit": "t", "Kind": "chemical"},
            {"Material": "LFP cell", "Unit": "GWh", "Kind": "cell", "Family": "lithium-ion"},
            {"Material": "Na-ion cell", "Unit": "GWh", "Kind": "cell", "Family": "sodium-ion"},
            {"Material": "Grid pack", "Unit": "GWh", "Kind": "product"},
        ],
        "Sites": sites(("Plant", "cell plant", "China")),
        "Processes": [
            {"Process": "LFP line", "Site": "Plant", "Output": "LFP cell", "Capacity": 30,
             "Variable cost": 40},
            {"Process": "Na line", "Site": "Plant", "Output": "Na-ion cell", "Capacity": 40,
             "Variable cost": 70},
            {"Process": "Pack LFP", "Site": "Plant", "Output": "Grid pack", "Capacity": 100,
             "Variable cost": 0},
            {"Process": "Pack Na", "Site": "Plant", "Output": "Grid pack", "Capacity": 100,
             "Variable cost": 0},
        ],
        "Recipes": [
            {"Process": "LFP line", "Input": "LCE", "Quantity": 2},
            {"Process": "Pack LFP", "Input": "LFP cell", "Quantity": 1},
            {"Process": "Pack Na", "Input": "Na-ion cell", "Quantity": 1},
        ],
        "SpotMarket": [{"Material": "LCE", "Site": "Plant", "Period": "all",
                        "Price": lce_price}],
        "Demand": [{"Site": "Plant", "Material": "Grid pack", "Period": "2026",
                    "Quantity": 50, "Penalty": 1000}],
    }


def test_lfp_wins_until_its_capacity_binds(tmp_path):
    """LCE at 10: LFP costs 40 + 2 x 10 = 60 < 70, so LFP runs at 30, sodium-ion makes 20.

    30 x 60 + 20 x 70 = 3,200; sodium-ion share 20 / 50 = 40%.
    """
    run = solve_plan(tmp_path, cell_choice(lce_price=10))
    assert run.solved.objective == pytest.approx(3200.0)
    mix = run.result.production_mix.set_index("Cell")
    assert mix.loc["LFP cell", "Output"] == pytest.approx(30.0)
    assert mix.loc["Na-ion cell", "Share"] == pytest.approx(0.4)
    assert mix.loc["Na-ion cell", "Family"] == "sodium-ion"


def test_sodium_ion_wins_when_lithium_is_dear(tmp_path):
    """LCE at 20: LFP costs 40 + 40 = 80 > 70, so sodium-ion runs at 40 and LFP makes 10.

    40 x 70 + 10 x 80 = 3,600; sodium-ion share 80%.
    """
    run = solve_plan(tmp_path, cell_choice(lce_price=20))
    assert run.solved.objective == pytest.approx(3600.0)
    mix = run.result.production_mix.set_index("Cell")
    assert mix.loc["Na-ion cell", "Share"] == pytest.approx(0.8)
    assert run.result.spot["Quantity"].sum() == pytest.approx(20.0)


def test_discounting_weights_later_periods(tmp_path, two_mines):
    """Same 180 in 2026 and 2027 at 10% a year: 180 + 180 / 1.1 = 343.636..."""
    two_mines["Periods"] = periods("2026", "2027")
    two_mines["Demand"].append({**two_mines["Demand"][0], "Period": "2027"})
    run = solve_plan(tmp_path, two_mines, settings={"Discount rate": 0.1})
    assert run.solved.objective == pytest.approx(180 + 180 / 1.1)
    assert run.result.cost_by_category()["Cost"].sum() == pytest.approx(360.0)


def test_dantzig_transport_problem(tmp_path):
    """Dantzig's canning plants (Linear Programming and Extensions, 1963), as in GAMS trnsport.

    Freight 90 per case per thousand miles, costs in thousands: the optimum is 153.675.
    """
    distance = {("Seattle", "New York"): 2.5, ("Seattle", "Chicago"): 1.7,
                ("Seattle", "Topeka"): 1.8, ("San Diego", "New York"): 2.5,
                ("San Diego", "Chicago"): 1.8, ("San Diego", "Topeka"): 1.4}
    rows = {
        "Periods": periods("1"),
        "Materials": materials(("Cases", "case", "product")),
        "Sites": sites(("Seattle", "hub", "US"), ("San Diego", "hub", "US"),
                       ("New York", "market", "US"), ("Chicago", "market", "US"),
                       ("Topeka", "market", "US")),
        "Supply": [{"Site": p, "Material": "Cases", "Period": "all", "Capacity": c,
                    "Unit cost": 0} for p, c in (("Seattle", 350), ("San Diego", 600))],
        "Lanes": [{"Lane": f"{a}-{b}", "From": a, "To": b, "Material": "Cases",
                   "Cost": 90 * d / 1000} for (a, b), d in distance.items()],
        "Demand": [{"Site": m, "Material": "Cases", "Period": "1", "Quantity": q,
                    "Penalty": 1000} for m, q in
                   (("New York", 325), ("Chicago", 300), ("Topeka", 275))],
    }
    run = solve_plan(tmp_path, rows)
    assert run.solved.objective == pytest.approx(153.675, rel=1e-9)
    assert run.result.flows["Quantity"].sum() == pytest.approx(900.0)
