"""Properties of optimal plans on random small networks, checked with hypothesis.

Each example is a valid battery chain drawn at random: one to three mines, one or two
refineries with one or two recipes each, a cell plant, a market, lanes between them,
demand, sometimes spot offers and a second scenario with a mine outage, over one to
three periods. Built as :class:`~models.data.PlanData` and solved with HiGHS, every
optimal plan must

(a) keep every material balance and every bound, recomputed from the result tables and
    the input data alone;
(b) report as its objective the cost recomputed from its quantities and the input prices;
(c) have the same optimum whatever the order of the input rows (in PlanData and in the
    workbook);
(d) scale its optimum by k when every cost, price and penalty is scaled by k > 0.

Examples are derandomized and no database is kept, so every run checks the same ones.
"""

from __future__ import annotations

import dataclasses
import random
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_plan
from models.data import (
    Availability, Demand, Lane, Material, Period, PlanData, Process, Scenario, Site,
    SpotOffer, Supply,
)
from models.scaling import Scaling
from planner.pipeline import solve_workbook
from planner.results import PlanResult, extract
from planner.engine import solve_plan
from planner.solve import SolveResult, Status

TOLERANCE = 1e-6
PROPERTY = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def close(a: float, b: float) -> bool:
    """Equal within ``TOLERANCE`` relative to the larger (and at least 1)."""
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


# --------------------------------------------------------------------------- random networks

MATERIALS = (Material("Ore", "t", "ore"), Material("LCE", "t", "chemical"),
             Material("Cell", "GWh", "cell", "lithium-ion"))
COUNTRIES = ("Australia", "Chile", "China", "Germany")
capacities = st.integers(0, 300).map(float)
costs = st.integers(0, 100).map(float)
lane_capacities = st.none() | st.integers(0, 300).map(float)


@st.composite
def networks(draw) -> tuple[PlanData, float]:
    """A random valid plan and the discount rate its periods' factors come from."""
    rate = draw(st.sampled_from([0.0, 0.05, 0.1]))
    periods = tuple(Period(str(2026 + k), (1 + rate) ** -k)
                    for k in range(draw(st.integers(1, 3))))
    mines = [f"Mine{i}" for i in range(draw(st.integers(1, 3)))]
    refineries = [f"Refinery{i}" for i in range(draw(st.integers(1, 2)))]
    sites = tuple(Site(n, kind, draw(st.sampled_from(COUNTRIES))) for n, kind in
                  [(m, "mine") for m in mines] + [(r, "refinery") for r in refineries]
                  + [("Plant", "cell plant"), ("Market", "market")])

    supplies = tuple(Supply(m, "Ore", t.id, draw(capacities), draw(costs))
                     for m in mines for t in periods if draw(st.booleans()) or t == periods[0])
    processes = [
        Process(f"Refine{r}-{j}", r, "LCE", draw(st.integers(0, 60).map(float)),
                draw(st.integers(0, 500).map(float)),
                (("Ore", draw(st.sampled_from([2.0, 5.0, 8.0]))),), "processing")
        for r in refineries for j in range(draw(st.integers(1, 2)))]
    processes.append(Process("Assemble", "Plant", "Cell", draw(st.integers(0, 50).map(float)),
                             draw(st.integers(0, 5_000).map(float)),
                             (("LCE", draw(st.sampled_from([0.5, 0.6, 1.0]))),), "cell making"))

    def lane(name: str, origin: str, destination: str, material: str) -> Lane:
        return Lane(name, origin, destination, material, draw(st.integers(0, 10).map(float)),
                    draw(st.sampled_from([0.0, 0.0, 2.5])), draw(lane_capacities))

    lanes = [lane(f"{m}-{r}", m, r, "Ore") for m in mines for r in refineries
             if (m, r) == (mines[0], refineries[0]) or draw(st.booleans())]
    lanes += [lane(f"{r}-Plant", r, "Plant", "LCE") for r in refineries]
    lanes.append(lane("Plant-Market", "Plant", "Market", "Cell"))

    demands = tuple(Demand("Market", "Cell", t.id, draw(st.integers(0, 40).map(float)),
                           draw(st.sampled_from([2_000.0, 20_000.0, 100_000.0])))
                    for t in periods)
    spot = tuple(SpotOffer("LCE", "Plant", t.id, draw(st.integers(1_000, 20_000).map(float)),
                           draw(st.none() | st.integers(0, 30).map(float)))
                 for t in periods if draw(st.booleans()))

    scenarios, outages = (Scenario("base", 1.0),), ()
    if draw(st.booleans()):
        calm = draw(st.sampled_from([0.5, 0.75, 0.9]))
        scenarios = (Scenario("calm", calm), Scenario("outage", 1.0 - calm, "stress"))
        hit = draw(st.sampled_from(supplies))
        outages = (Availability("outage", hit.period, (hit.site, hit.material),
                                draw(st.sampled_from([0.0, 0.5]))),)
    data = PlanData(periods=periods, sites=sites, materials=MATERIALS, supplies=supplies,
                    processes=tuple(processes), lanes=tuple(lanes), demands=demands,
                    spot_offers=spot, scenarios=scenarios, supply_availability=outages)
    return data, rate


def optimum(data: PlanData) -> tuple[SolveResult, PlanResult]:
    """The plan solved as ``plan solve`` does: in internal units, then checked."""
    scaling = Scaling.choose(data)
    solved = solve_plan(data, scaling, time_limit=60, mip_gap=1e-9)
    assert solved.result.status is Status.OPTIMAL, solved.result.message
    return solved.result, extract(solved.model, data, scaling)


# --------------------------------------------------------------------------- recomputing

def balance_violations(data: PlanData, result: PlanResult) -> list[str]:
    """Every material balance and bound the result breaks, from its tables and the input."""
    found: list[str] = []
    node: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    share = {(a.scenario, a.period, *a.target): a.share for a in data.supply_availability}

    def bounded(what: str, q: float, upper: float | None) -> None:
        if q < -TOLERANCE or (upper is not None and q > upper and not close(q, upper)):
            found.append(f"{what}: {q} outside [0, {upper}]")

    supply = {(r.period, r.site, r.material): r for r in data.supplies}
    for r in result.sourcing.itertuples():
        row = supply[(r.Period, r.Site, r.Material)]
        bounded(f"supply {r.Scenario}/{r.Period}/{r.Site}", r.Quantity,
                row.capacity * share.get((r.Scenario, r.Period, r.Site, r.Material), 1.0))
        node[(r.Scenario, r.Period, r.Site, r.Material)]["in"] += r.Quantity
    process = {p.id: p for p in data.processes}
    for r in result.processing.itertuples():
        p = process[r.Process]
        bounded(f"process {r.Scenario}/{r.Period}/{p.id}", r.Activity, p.capacity)
        node[(r.Scenario, r.Period, p.site, p.output)]["in"] += r.Activity
        for material, quantity in p.recipe:
            node[(r.Scenario, r.Period, p.site, material)]["out"] += quantity * r.Activity
    lane = {x.id: x for x in data.lanes}
    for r in result.flows.itertuples():
        x = lane[r.Lane]
        bounded(f"lane {r.Scenario}/{r.Period}/{x.id}", r.Quantity, x.capacity)
        node[(r.Scenario, r.Period, x.origin, x.material)]["out"] += r.Quantity
        node[(r.Scenario, r.Period, x.destination, x.material)]["in"] += r.Quantity
    offer = {(o.period, o.site, o.material): o for o in data.spot_offers}
    for r in result.spot.itertuples():
        o = offer[(r.Period, r.Site, r.Material)]
        bounded(f"spot {r.Scenario}/{r.Period}/{r.Site}", r.Quantity, o.maximum)
        node[(r.Scenario, r.Period, r.Site, r.Material)]["in"] += r.Quantity
    demand = {(d.period, d.site, d.material): d for d in data.demands}
    for r in result.demand.itertuples():
        d = demand[(r.Period, r.Site, r.Material)]
        bounded(f"unmet {r.Scenario}/{r.Period}/{r.Site}", r.Unmet, d.quantity)
        if not close(r.Served + r.Unmet, d.quantity):
            found.append(f"demand {r.Scenario}/{r.Period}: served {r.Served} + unmet "
                         f"{r.Unmet} != {d.quantity}")
        node[(r.Scenario, r.Period, r.Site, r.Material)]["out"] += r.Served
    for key, parts in node.items():
        if not close(parts["in"], parts["out"]):
            found.append(f"balance {key}: in {parts['in']} != out {parts['out']}")
    return found


def recomputed_cost(data: PlanData, result: PlanResult) -> float:
    """Expected discounted cost of the result's quantities at the input's prices."""
    p = {s.id: s.probability for s in data.scenarios}
    weight = {(s.id, t.id): s.probability * t.discount_factor
              for s in data.scenarios for t in data.periods}
    supply = {(r.period, r.site, r.material): r.unit_cost for r in data.supplies}
    process = {k.id: k.variable_cost for k in data.processes}
    lane = {x.id: x.unit_cost + x.tariff for x in data.lanes}
    spot = {(o.period, o.site, o.material): o.price for o in data.spot_offers}
    penalty = {(d.period, d.site, d.material): d.penalty for d in data.demands}
    assert set(p) == set(result.costs["Scenario"])
    return (
        sum(weight[r.Scenario, r.Period] * r.Quantity * supply[(r.Period, r.Site, r.Material)]
            for r in result.sourcing.itertuples())
        + sum(weight[r.Scenario, r.Period] * r.Activity * process[r.Process]
              for r in result.processing.itertuples())
        + sum(weight[r.Scenario, r.Period] * r.Quantity * lane[r.Lane]
              for r in result.flows.itertuples())
        + sum(weight[r.Scenario, r.Period] * r.Quantity * spot[(r.Period, r.Site, r.Material)]
              for r in result.spot.itertuples())
        + sum(weight[r.Scenario, r.Period] * r.Unmet * penalty[(r.Period, r.Site, r.Material)]
              for r in result.demand.itertuples()))


def shuffled(data: PlanData, rng: random.Random) -> PlanData:
    """``data`` with its rows (and each recipe's inputs) in another order."""
    def mix(rows: tuple) -> tuple:
        rows = list(rows)
        rng.shuffle(rows)
        return tuple(rows)

    return dataclasses.replace(
        data, sites=mix(data.sites), materials=mix(data.materials),
        supplies=mix(data.supplies), lanes=mix(data.lanes), demands=mix(data.demands),
        spot_offers=mix(data.spot_offers),
        processes=mix(tuple(dataclasses.replace(p, recipe=mix(p.recipe))
                            for p in data.processes)))


def scaled(data: PlanData, k: float) -> PlanData:
    """``data`` with every cost, price and penalty multiplied by ``k``."""
    return dataclasses.replace(
        data,
        supplies=tuple(dataclasses.replace(r, unit_cost=k * r.unit_cost) for r in data.supplies),
        processes=tuple(dataclasses.replace(p, variable_cost=k * p.variable_cost)
                        for p in data.processes),
        lanes=tuple(dataclasses.replace(x, unit_cost=k * x.unit_cost, tariff=k * x.tariff)
                    for x in data.lanes),
        spot_offers=tuple(dataclasses.replace(o, price=k * o.price) for o in data.spot_offers),
        demands=tuple(dataclasses.replace(d, penalty=k * d.penalty) for d in data.demands))


def workbook_rows(data: PlanData, order: random.Random | None = None) -> dict[str, list[dict]]:
    """The sheets of an input workbook that states ``data`` (base scenario only), the rows
    of each sheet but Periods (whose order is time's) shuffled by ``order`` if given."""
    content = {
        "Periods": [{"Period": t.id} for t in data.periods],
        "Materials": [{"Material": m.id, "Unit": m.unit, "Kind": m.kind, "Family": m.family}
                      for m in data.materials],
        "Sites": [{"Site": s.id, "Kind": s.kind, "Country": s.country} for s in data.sites],
        "Supply": [{"Site": r.site, "Material": r.material, "Period": r.period,
                    "Capacity": r.capacity, "Unit cost": r.unit_cost} for r in data.supplies],
        "Processes": [{"Process": p.id, "Site": p.site, "Output": p.output,
                       "Capacity": p.capacity, "Variable cost": p.variable_cost}
                      for p in data.processes],
        "Recipes": [{"Process": p.id, "Input": m, "Quantity": q}
                    for p in data.processes for m, q in p.recipe],
        "Lanes": [{"Lane": x.id, "From": x.origin, "To": x.destination, "Material": x.material,
                   "Cost": x.unit_cost, "Tariff": x.tariff, "Capacity": x.capacity}
                  for x in data.lanes],
        "Demand": [{"Site": d.site, "Material": d.material, "Period": d.period,
                    "Quantity": d.quantity, "Penalty": d.penalty} for d in data.demands],
        "SpotMarket": [{"Material": o.material, "Site": o.site, "Period": o.period,
                        "Price": o.price, "Maximum": o.maximum} for o in data.spot_offers],
    }
    if order is not None:
        for sheet, rows in content.items():
            if sheet != "Periods":
                order.shuffle(rows)
    return content


# --------------------------------------------------------------------------- the properties

@PROPERTY
@given(networks())
def test_balances_and_bounds_hold(network):
    data, _ = network
    _, result = optimum(data)
    assert balance_violations(data, result) == []


@PROPERTY
@given(networks())
def test_objective_is_the_cost_at_input_prices(network):
    data, _ = network
    solved, result = optimum(data)
    assert close(solved.objective, recomputed_cost(data, result)), \
        (solved.objective, recomputed_cost(data, result))


@PROPERTY
@given(networks(), st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_optimum(network, rng):
    data, _ = network
    first, _ = optimum(data)
    again, result = optimum(shuffled(data, rng))
    assert close(first.objective, again.objective), (first.objective, again.objective)
    assert balance_violations(data, result) == []


@PROPERTY
@given(networks(), st.sampled_from([0.001, 0.37, 3.0, 1000.0]))
def test_scaling_every_cost_scales_the_optimum(network, k):
    data, _ = network
    plain, _ = optimum(data)
    times_k, _ = optimum(scaled(data, k))
    assert close(times_k.objective, k * plain.objective), (times_k.objective, plain.objective, k)


@settings(PROPERTY, max_examples=8)
@given(networks().filter(lambda n: len(n[0].scenarios) == 1), st.randoms(use_true_random=False))
def test_row_order_in_the_workbook_does_not_change_the_optimum(tmp_path_factory, network, rng):
    """The same plan written twice, its sheets' rows in another order the second time,
    through the reader, the validator and the converter: one optimum, the PlanData's."""
    data, rate = network
    folder = tmp_path_factory.mktemp("order")
    objectives = []
    for name, order in (("in-order.xlsx", None), ("shuffled.xlsx", rng)):
        path = write_plan(folder / name, workbook_rows(data, order),
                          {"Discount rate": rate})
        run = solve_workbook(path)
        assert run.validation.ok, [str(p) for p in run.validation.problems]
        assert run.solved.status is Status.OPTIMAL, run.solved.message
        objectives.append(run.solved.objective)
    direct, _ = optimum(data)
    assert close(objectives[0], objectives[1]), objectives
    assert close(objectives[0], direct.objective), (objectives, direct.objective)


def test_the_checks_catch_a_tampered_plan():
    """The recomputations above are not vacuous: a flow moved, a supply over capacity and
    an unmet unit hidden are each caught."""
    data = PlanData(
        periods=(Period("2026", 1.0),),
        sites=(Site("Mine", "mine", "Chile"), Site("Refinery", "refinery", "China"),
               Site("Plant", "cell plant", "Germany"), Site("Market", "market", "Germany")),
        materials=MATERIALS,
        supplies=(Supply("Mine", "Ore", "2026", 100.0, 10.0),),
        processes=(Process("Refine", "Refinery", "LCE", 20.0, 100.0, (("Ore", 5.0),)),
                   Process("Assemble", "Plant", "Cell", 60.0, 1000.0, (("LCE", 0.5),),
                           "cell making")),
        lanes=(Lane("ore", "Mine", "Refinery", "Ore", 1.0),
               Lane("lce", "Refinery", "Plant", "LCE", 2.0, 0.5),
               Lane("cells", "Plant", "Market", "Cell", 3.0)),
        demands=(Demand("Market", "Cell", "2026", 50.0, 20_000.0),))
    solved, result = optimum(data)
    assert balance_violations(data, result) == []
    assert close(solved.objective, recomputed_cost(data, result))
    assert result.demand["Unmet"].sum() == 10.0  # 20 t of LCE make 40 GWh of cells

    flows = result.flows.copy()
    flows.loc[flows["Lane"] == "lce", "Quantity"] += 1.0
    assert any("balance" in v for v in
               balance_violations(data, dataclasses.replace(result, flows=flows)))
    sourcing = result.sourcing.assign(Quantity=101.0)
    assert any("supply" in v for v in
               balance_violations(data, dataclasses.replace(result, sourcing=sourcing)))
    demand = result.demand.assign(Unmet=0.0, Served=50.0)
    hidden = dataclasses.replace(result, demand=demand)
    assert balance_violations(data, hidden)
    assert not close(solved.objective, recomputed_cost(data, hidden))
