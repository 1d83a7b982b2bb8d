"""Typed, frozen input data of the planning model.

Plain data, built apart from the model (as mpi-sppy's farmer builds its scenario
data): the application converts a validated workbook into a :class:`PlanData`, and
:func:`models.model.build_model` turns that into a Pyomo model. Nothing here knows
about Excel or pandas.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import NewType

PeriodId = NewType("PeriodId", str)
SiteId = NewType("SiteId", str)
MaterialId = NewType("MaterialId", str)
ProcessId = NewType("ProcessId", str)
LaneId = NewType("LaneId", str)
ScenarioId = NewType("ScenarioId", str)
OptionId = NewType("OptionId", str)

BASE_SCENARIO = ScenarioId("base")
MEAN_SCENARIO = ScenarioId("mean value")


@dataclass(frozen=True)
class Period:
    id: PeriodId
    discount_factor: float


@dataclass(frozen=True)
class Site:
    id: SiteId
    kind: str
    country: str
    recovery: int | None = None
    """Periods a failure of the site lasts (exposure analysis); None: the plan's default."""


@dataclass(frozen=True)
class Material:
    id: MaterialId
    unit: str
    kind: str
    family: str = ""
    equivalent_unit: str = ""
    """A common measure of this material's capacities (t LCE), with ``equivalent`` of it in
    one unit; empty where none is given."""
    equivalent: float | None = None


@dataclass(frozen=True)
class Supply:
    """Up to ``capacity`` units of ``material`` from ``site`` in ``period`` at ``unit_cost``."""

    site: SiteId
    material: MaterialId
    period: PeriodId
    capacity: float
    unit_cost: float


@dataclass(frozen=True)
class Process:
    """Makes ``output`` at ``site``, consuming ``recipe[m]`` units of ``m`` per unit.

    ``stage`` names the cost category its variable cost is reported under.
    """

    id: ProcessId
    site: SiteId
    output: MaterialId
    capacity: float
    variable_cost: float
    recipe: tuple[tuple[MaterialId, float], ...] = ()
    stage: str = "processing"
    recovery: int | None = None


@dataclass(frozen=True)
class Lane:
    """Carries ``material`` from ``origin`` to ``destination``; ``capacity`` None is unlimited."""

    id: LaneId
    origin: SiteId
    destination: SiteId
    material: MaterialId
    unit_cost: float
    tariff: float = 0.0
    capacity: float | None = None
    recovery: int | None = None


@dataclass(frozen=True)
class Demand:
    site: SiteId
    material: MaterialId
    period: PeriodId
    quantity: float
    penalty: float


@dataclass(frozen=True)
class SpotOffer:
    """Spot purchases of ``material`` delivered at ``site``; ``maximum`` None is unlimited."""

    material: MaterialId
    site: SiteId
    period: PeriodId
    price: float
    maximum: float | None = None


@dataclass(frozen=True)
class Scenario:
    id: ScenarioId
    probability: float
    kind: str = "normal"


@dataclass(frozen=True)
class Availability:
    """In ``scenario`` and ``period`` only ``share`` of ``target``'s capacity is left.

    ``target`` is ``(site, material)`` for supply (Supply rows and offtake options alike),
    ``(process,)`` for a process and ``(lane,)`` for a lane; absent means 1.
    """

    scenario: ScenarioId
    period: PeriodId
    target: tuple[str, ...]
    share: float


@dataclass(frozen=True)
class SpotShock:
    """Spot offer ``(period, site, material)`` in ``scenario``: price and maximum scaled."""

    scenario: ScenarioId
    period: PeriodId
    site: SiteId
    material: MaterialId
    price_factor: float = 1.0
    quantity_factor: float = 1.0


@dataclass(frozen=True)
class ContractShock:
    """In ``scenario`` and ``period``, every Supply and offtake unit cost of ``material`` is
    multiplied by ``factor`` (a contract price that follows a price index)."""

    scenario: ScenarioId
    period: PeriodId
    material: MaterialId
    factor: float


@dataclass(frozen=True)
class PriceLink:
    """The prices of ``material`` follow the spot price of ``index``: a relative change of
    the index by m - 1 moves them by ``share`` x (m - 1)."""

    material: MaterialId
    index: MaterialId
    share: float

    def factor(self, multiplier: float) -> float:
        return 1.0 + self.share * (multiplier - 1.0)


@dataclass(frozen=True)
class Option:
    """A first-stage commitment, the same in every scenario.

    ``offtake``: up to ``capacity`` units of ``material`` a period at ``target`` (a site),
    at ``unit_cost``, at least ``take_or_pay`` of it taken. ``expansion``: ``capacity`` more
    output a period for process ``target``. ``conversion``: ``capacity`` moved from process
    ``source`` to process ``target``. ``stock``: ``capacity`` more room in the stock of
    ``material`` at site ``target``. All from period ``earliest`` on; binary options are
    taken whole, continuous ones at any share with the fixed cost in proportion.
    """

    id: OptionId
    kind: str
    target: str
    capacity: float
    fixed_cost: float
    earliest: PeriodId
    material: MaterialId | None = None
    unit_cost: float = 0.0
    take_or_pay: float = 0.0
    per_period: bool = False
    binary: bool = True
    group: str = ""
    source: ProcessId | None = None


@dataclass(frozen=True)
class CapacityGroup:
    """Processes sharing one capacity: ``sum(use * activity) <= capacity`` each period."""

    id: str
    capacity: float
    members: tuple[tuple[ProcessId, float], ...]


@dataclass(frozen=True)
class Stock:
    """A stockpile of ``material`` at ``site``, carried between periods."""

    site: SiteId
    material: MaterialId
    maximum: float
    initial: float = 0.0
    holding_cost: float = 0.0
    end_minimum: float = 0.0


@dataclass(frozen=True)
class Policy:
    """A hard share limit in one period, holding in every scenario.

    ``max country share`` / ``min country share``: of the supply of ``material`` (mined,
    contracted, made or bought at a site), at most / at least ``share`` from ``countries``.
    ``max process share``: at most ``share`` of ``process``'s output material from it.
    """

    id: str
    kind: str
    period: PeriodId
    share: float
    material: MaterialId | None = None
    countries: tuple[str, ...] = ()
    process: ProcessId | None = None


@dataclass(frozen=True)
class Risk:
    """The objective: ``expected`` cost, or ``cvar``: (1 - weight) E + weight CVaR_level."""

    objective: str = "expected"
    weight: float = 0.5
    level: float = 0.9


@dataclass(frozen=True)
class PlanData:
    """One planning problem: the network, its costs and the scenarios it is solved for."""

    periods: tuple[Period, ...]
    sites: tuple[Site, ...]
    materials: tuple[Material, ...]
    supplies: tuple[Supply, ...] = ()
    processes: tuple[Process, ...] = ()
    lanes: tuple[Lane, ...] = ()
    demands: tuple[Demand, ...] = ()
    spot_offers: tuple[SpotOffer, ...] = ()
    scenarios: tuple[Scenario, ...] = field(default=(Scenario(BASE_SCENARIO, 1.0),))
    supply_availability: tuple[Availability, ...] = ()
    process_availability: tuple[Availability, ...] = ()
    lane_availability: tuple[Availability, ...] = ()
    spot_shocks: tuple[SpotShock, ...] = ()
    contract_shocks: tuple[ContractShock, ...] = ()
    price_links: tuple[PriceLink, ...] = ()
    """Which prices follow which index; ``spot_shocks`` and ``contract_shocks`` already hold
    their effect, this is kept for analyses that move an index (the sweep)."""
    options: tuple[Option, ...] = ()
    capacity_groups: tuple[CapacityGroup, ...] = ()
    stocks: tuple[Stock, ...] = ()
    policies: tuple[Policy, ...] = ()
    stress_unmet_share: float = 1.0
    """In stress scenarios, the largest share of a material's demand in a period left unmet."""
    risk: Risk = Risk()
    recovery: int = 1
    """Periods a failure lasts in the exposure analysis where its entity gives none."""

    def __post_init__(self) -> None:
        total = sum(s.probability for s in self.scenarios)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"scenario probabilities sum to {total}, not 1")

    def only(self, scenario: ScenarioId) -> PlanData:
        """The plan for one scenario, certain (probability 1): a wait-and-see problem."""
        kept = next(s for s in self.scenarios if s.id == scenario)
        return replace(
            self, scenarios=(replace(kept, probability=1.0),),
            supply_availability=_of(self.supply_availability, scenario),
            process_availability=_of(self.process_availability, scenario),
            lane_availability=_of(self.lane_availability, scenario),
            spot_shocks=_of(self.spot_shocks, scenario),
            contract_shocks=_of(self.contract_shocks, scenario))

    def mean_value(self) -> PlanData:
        """The plan for one normal scenario whose availabilities, spot and contract factors
        are the probability-weighted means over the scenarios (absent ones count as 1)."""
        p = {s.id: s.probability for s in self.scenarios}

        def mean_availability(rows: tuple[Availability, ...]) -> tuple[Availability, ...]:
            lost: dict[tuple, float] = defaultdict(float)
            for a in rows:
                lost[(a.period, a.target)] += p[a.scenario] * (1.0 - a.share)
            return tuple(Availability(MEAN_SCENARIO, t, target, _exact(1.0 - x))
                         for (t, target), x in lost.items())

        moved: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for x in self.spot_shocks:
            f = moved[(x.period, x.site, x.material)]
            f[0] += p[x.scenario] * (x.price_factor - 1.0)
            f[1] += p[x.scenario] * (x.quantity_factor - 1.0)
        contracts: dict[tuple, float] = defaultdict(float)
        for c in self.contract_shocks:
            contracts[(c.period, c.material)] += p[c.scenario] * (c.factor - 1.0)
        return replace(
            self, scenarios=(Scenario(MEAN_SCENARIO, 1.0),),
            supply_availability=mean_availability(self.supply_availability),
            process_availability=mean_availability(self.process_availability),
            lane_availability=mean_availability(self.lane_availability),
            spot_shocks=tuple(SpotShock(MEAN_SCENARIO, t, n, m, _exact(1.0 + f[0]),
                                        _exact(1.0 + f[1]))
                              for (t, n, m), f in moved.items()),
            contract_shocks=tuple(ContractShock(MEAN_SCENARIO, t, m, _exact(1.0 + f))
                                  for (t, m), f in contracts.items()))


def _exact(share: float) -> float:
    """A mean share with rounding error removed where it should be 0 or 1: a mean of zero
    availabilities must close an unlimited lane as each of them does."""
    return 0.0 if abs(share) < 1e-12 else 1.0 if abs(share - 1.0) < 1e-12 else share


def _of(rows: tuple, scenario: ScenarioId) -> tuple:
    return tuple(r for r in rows if r.scenario == scenario)
