"""Typed, frozen input data of the planning model.

Plain data, built apart from the model (as mpi-sppy's farmer builds its scenario
data): the application converts a validated workbook into a :class:`PlanData`, and
:func:`models.model.build_model` turns that into a Pyomo model. Nothing here knows
about Excel or pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NewType

PeriodId = NewType("PeriodId", str)
SiteId = NewType("SiteId", str)
MaterialId = NewType("MaterialId", str)
ProcessId = NewType("ProcessId", str)
LaneId = NewType("LaneId", str)
ScenarioId = NewType("ScenarioId", str)
OptionId = NewType("OptionId", str)

BASE_SCENARIO = ScenarioId("base")


@dataclass(frozen=True)
class Period:
    id: PeriodId
    discount_factor: float


@dataclass(frozen=True)
class Site:
    id: SiteId
    kind: str
    country: str


@dataclass(frozen=True)
class Material:
    id: MaterialId
    unit: str
    kind: str
    family: str = ""


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
class Option:
    """A first-stage commitment, the same in every scenario.

    ``offtake``: up to ``capacity`` units of ``material`` a period at ``target`` (a site),
    at ``unit_cost``, at least ``take_or_pay`` of it taken. ``expansion``: ``capacity`` more
    output a period for process ``target``. Either from period ``earliest`` on; binary
    options are taken whole, continuous ones at any share with the fixed cost in proportion.
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
    options: tuple[Option, ...] = ()

    def __post_init__(self) -> None:
        total = sum(s.probability for s in self.scenarios)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"scenario probabilities sum to {total}, not 1")
