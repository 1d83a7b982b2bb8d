"""The planning model: a process network over scenarios and periods, as a Pyomo model.

:func:`build_model` calls one ``add_<family>`` function per family of variables and
constraints, in order. Every variable and constraint is indexed by the sparse set of
combinations that exist, with the fixed index order
``(scenario, period, site, material, ...)``; neighbour lists are prepared once in
:class:`Network`.

Notation: scenarios :math:`s` with probability :math:`p_s`, periods :math:`t` with
discount factor :math:`\\delta_t`, sites :math:`n`, materials :math:`m`, processes
:math:`k` (site :math:`n_k`, output :math:`o_k`, recipe :math:`a_{km}`), lanes
:math:`l` (from :math:`n^-_l` to :math:`n^+_l`, carrying :math:`m_l`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyomo.environ as pyo

from models.data import PlanData

COST_CATEGORIES = ("mining", "processing", "cell making", "transport", "tariffs", "spot",
                   "unmet demand")
"""Categories of :attr:`period_cost`; a process's ``stage`` names one of them."""

Node = tuple[str, str, str]
"""(period, site, material): where a material balance is kept."""


@dataclass
class Network:
    """Neighbour lists of the network, prepared once for the constraint rules."""

    supply: dict[Node, float] = field(default_factory=dict)
    spot: dict[Node, float] = field(default_factory=dict)
    demand: dict[Node, float] = field(default_factory=dict)
    produced_by: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    consumed_by: dict[tuple[str, str], list[tuple[str, float]]] = field(
        default_factory=lambda: defaultdict(list))
    lanes_in: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    lanes_out: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, data: PlanData) -> Network:
        net = cls()
        for row in data.supplies:
            net.supply[(row.period, row.site, row.material)] = row.capacity
        for row in data.spot_offers:
            net.spot[(row.period, row.site, row.material)] = row.price
        for row in data.demands:
            net.demand[(row.period, row.site, row.material)] = row.quantity
        for k in data.processes:
            net.produced_by[(k.site, k.output)].append(k.id)
            for material, quantity in k.recipe:
                net.consumed_by[(k.site, material)].append((k.id, quantity))
        for lane in data.lanes:
            net.lanes_out[(lane.origin, lane.material)].append(lane.id)
            net.lanes_in[(lane.destination, lane.material)].append(lane.id)
        return net

    def nodes(self, periods: list[str]) -> list[Node]:
        """Every (period, site, material) at which some quantity can appear, in a fixed order."""
        every_period = set(self.produced_by) | set(self.consumed_by) | set(self.lanes_in) \
            | set(self.lanes_out)
        found = {(t, n, m) for t in periods for n, m in every_period}
        found |= set(self.supply) | set(self.spot) | set(self.demand)
        order = {t: i for i, t in enumerate(periods)}
        return sorted(found, key=lambda node: (order[node[0]], node[1], node[2]))


def add_sets(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Scenarios, periods and the sparse index sets of every variable family."""
    m.data = data
    m.net = Network.of(data)
    scenarios = [s.id for s in data.scenarios]
    periods = [t.id for t in data.periods]
    m.scenarios = pyo.Set(initialize=scenarios, ordered=True)
    m.periods = pyo.Set(initialize=periods, ordered=True)
    m.probability = {s.id: s.probability for s in data.scenarios}
    m.discount = {t.id: t.discount_factor for t in data.periods}
    m.supply_keys = [(s, r.period, r.site, r.material) for s in scenarios for r in data.supplies]
    m.activity_keys = [(s, t, k.id) for s in scenarios for t in periods for k in data.processes]
    m.flow_keys = [(s, t, lane.id) for s in scenarios for t in periods for lane in data.lanes]
    m.spot_keys = [(s, r.period, r.site, r.material) for s in scenarios for r in data.spot_offers]
    m.demand_keys = [(s, r.period, r.site, r.material) for s in scenarios for r in data.demands]
    m.balance_keys = [(s, *node) for s in scenarios for node in m.net.nodes(periods)]


def add_supply(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Supply within capacity, for every supply row :math:`(n, m, t)`.

    .. math:: 0 \\le x^{supply}_{s,t,n,m} \\le \\bar{S}_{t,n,m}
    """
    capacity = m.net.supply
    m.v_supply = pyo.Var(
        m.supply_keys, domain=pyo.NonNegativeReals,
        bounds=lambda _, s, t, n, mat: (0.0, capacity[(t, n, mat)]))


def add_processes(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Process activity (units of output) within capacity, for every process :math:`k`.

    .. math:: 0 \\le y_{s,t,k} \\le \\bar{Y}_k

    Inputs are consumed by recipe in :func:`add_balance`: :math:`a_{km}\\,y_{s,t,k}`.
    """
    capacity = {k.id: k.capacity for k in data.processes}
    m.v_activity = pyo.Var(
        m.activity_keys, domain=pyo.NonNegativeReals,
        bounds=lambda _, s, t, k: (0.0, capacity[k]))


def add_lanes(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Lane flows within capacity (no bound where the lane has none), for every lane :math:`l`.

    .. math:: 0 \\le f_{s,t,l} \\le \\bar{F}_l
    """
    capacity = {lane.id: lane.capacity for lane in data.lanes}
    m.v_flow = pyo.Var(
        m.flow_keys, domain=pyo.NonNegativeReals,
        bounds=lambda _, s, t, lane: (0.0, capacity[lane]))


def add_spot(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Spot purchases up to the offer's maximum, for every spot row :math:`(n, m, t)`.

    .. math:: 0 \\le b_{s,t,n,m} \\le \\bar{B}_{t,n,m}
    """
    maximum = {(r.period, r.site, r.material): r.maximum for r in data.spot_offers}
    m.v_spot = pyo.Var(
        m.spot_keys, domain=pyo.NonNegativeReals,
        bounds=lambda _, s, t, n, mat: (0.0, maximum[(t, n, mat)]))


def add_demand(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Unmet demand, for every demand row; served demand is demand minus unmet.

    .. math:: 0 \\le u_{s,t,n,m} \\le D_{t,n,m}, \\qquad
              \\text{served}_{s,t,n,m} = D_{t,n,m} - u_{s,t,n,m}
    """
    quantity = m.net.demand
    m.v_unmet = pyo.Var(
        m.demand_keys, domain=pyo.NonNegativeReals,
        bounds=lambda _, s, t, n, mat: (0.0, quantity[(t, n, mat)]))


def add_balance(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Material balance at every scenario, period, site and material that has any term.

    .. math::
        x^{supply}_{s,t,n,m} + b_{s,t,n,m} + \\sum_{k: n_k = n, o_k = m} y_{s,t,k}
        + \\sum_{l: n^+_l = n, m_l = m} f_{s,t,l}
        = \\sum_{k: n_k = n} a_{km}\\, y_{s,t,k} + \\sum_{l: n^-_l = n, m_l = m} f_{s,t,l}
        + (D_{t,n,m} - u_{s,t,n,m})

    Terms that do not exist at a node are left out.
    """
    net = m.net

    def rule(_, s, t, n, mat):
        node = (t, n, mat)
        inflow = sum(m.v_activity[s, t, k] for k in net.produced_by.get((n, mat), ()))
        inflow += sum(m.v_flow[s, t, lane] for lane in net.lanes_in.get((n, mat), ()))
        outflow = sum(q * m.v_activity[s, t, k] for k, q in net.consumed_by.get((n, mat), ()))
        outflow += sum(m.v_flow[s, t, lane] for lane in net.lanes_out.get((n, mat), ()))
        if node in net.supply:
            inflow += m.v_supply[s, t, n, mat]
        if node in net.spot:
            inflow += m.v_spot[s, t, n, mat]
        if node in net.demand:
            outflow += net.demand[node] - m.v_unmet[s, t, n, mat]
        return inflow == outflow

    m.c_balance = pyo.Constraint(m.balance_keys, rule=rule)


def add_costs(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Cost per scenario, period and category (undiscounted), and the objective.

    .. math::
        C_{s,t} = \\sum_{n,m} c^{supply}_{t,n,m} x^{supply}_{s,t,n,m}
        + \\sum_k c_k y_{s,t,k} + \\sum_l (c_l + \\tau_l) f_{s,t,l}
        + \\sum_{n,m} \\pi_{t,n,m} b_{s,t,n,m} + \\sum_{n,m} P_{t,n,m} u_{s,t,n,m}

    .. math::
        \\text{scenario\\_cost}_s = \\sum_t \\delta_t C_{s,t}, \\qquad
        \\min\\; \\text{first\\_stage\\_cost} + \\sum_s p_s\\, \\text{scenario\\_cost}_s

    ``period_cost[s, t, category]`` splits :math:`C_{s,t}` by :data:`COST_CATEGORIES`.
    """
    terms: dict[tuple[str, str, str], list] = defaultdict(list)
    supply_cost = {(r.period, r.site, r.material): r.unit_cost for r in data.supplies}
    for s, t, n, mat in m.supply_keys:
        terms[(s, t, "mining")].append(supply_cost[(t, n, mat)] * m.v_supply[s, t, n, mat])
    process = {k.id: k for k in data.processes}
    for s, t, k in m.activity_keys:
        terms[(s, t, process[k].stage)].append(process[k].variable_cost * m.v_activity[s, t, k])
    lane = {x.id: x for x in data.lanes}
    for s, t, x in m.flow_keys:
        terms[(s, t, "transport")].append(lane[x].unit_cost * m.v_flow[s, t, x])
        terms[(s, t, "tariffs")].append(lane[x].tariff * m.v_flow[s, t, x])
    for s, t, n, mat in m.spot_keys:
        terms[(s, t, "spot")].append(m.net.spot[(t, n, mat)] * m.v_spot[s, t, n, mat])
    penalty = {(r.period, r.site, r.material): r.penalty for r in data.demands}
    for s, t, n, mat in m.demand_keys:
        terms[(s, t, "unmet demand")].append(penalty[(t, n, mat)] * m.v_unmet[s, t, n, mat])

    keys = [(s, t, c) for s in m.scenarios for t in m.periods for c in COST_CATEGORIES]
    m.period_cost = pyo.Expression(keys, rule=lambda _, s, t, c: sum(terms.get((s, t, c), ())))
    m.scenario_cost = pyo.Expression(
        m.scenarios,
        rule=lambda _, s: sum(m.discount[t] * m.period_cost[s, t, c]
                              for t in m.periods for c in COST_CATEGORIES))
    m.first_stage_cost = pyo.Expression(expr=0.0)
    m.objective = pyo.Objective(
        expr=m.first_stage_cost + sum(m.probability[s] * m.scenario_cost[s] for s in m.scenarios),
        sense=pyo.minimize)


FAMILIES = (add_sets, add_supply, add_processes, add_lanes, add_spot, add_demand, add_balance,
            add_costs)


def build_model(data: PlanData) -> pyo.ConcreteModel:
    """The Pyomo model of ``data``: one call per family of :data:`FAMILIES`, in order."""
    m = pyo.ConcreteModel(name="battery-planner")
    for add_family in FAMILIES:
        add_family(m, data)
    return m
