"""The planning model: a process network over scenarios and periods, as a Pyomo model.

:func:`build_model` calls one ``add_<family>`` function per family of variables and
constraints, in order. Every variable and constraint is indexed by the sparse set of
combinations that exist, with the fixed index order
``(scenario, period, site, material, ...)``; neighbour lists are prepared once in
:class:`Network`.

Notation: scenarios :math:`s` with probability :math:`p_s`, periods :math:`t` with
discount factor :math:`\\delta_t`, sites :math:`n`, materials :math:`m`, processes
:math:`k` (site :math:`n_k`, output :math:`o_k`, recipe :math:`a_{km}`), lanes
:math:`l` (from :math:`n^-_l` to :math:`n^+_l`, carrying :math:`m_l`), first-stage
options :math:`o` with decision :math:`z_o` and capacity :math:`\\bar{O}_o`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyomo.environ as pyo

from models.covers import add_covers
from models.data import PlanData, SpotShock

COST_CATEGORIES = ("mining", "processing", "cell making", "transport", "tariffs",
                   "stock holding", "spot", "unmet demand")
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
    offtakes: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    """(site, material) -> offtake options delivering there."""
    stocks: set[tuple[str, str]] = field(default_factory=set)
    """(site, material) pairs with a stock."""

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
        for o in data.options:
            if o.kind == "offtake":
                net.offtakes[(o.target, o.material)].append(o.id)
        net.stocks = {(x.site, x.material) for x in data.stocks}
        return net

    def nodes(self, periods: list[str]) -> list[Node]:
        """Every (period, site, material) at which some quantity can appear, in a fixed order."""
        every_period = set(self.produced_by) | set(self.consumed_by) | set(self.lanes_in) \
            | set(self.lanes_out) | set(self.offtakes) | self.stocks
        found = {(t, n, m) for t in periods for n, m in every_period}
        found |= set(self.supply) | set(self.spot) | set(self.demand)
        order = {t: i for i, t in enumerate(periods)}
        return sorted(found, key=lambda node: (order[node[0]], node[1], node[2]))


def add_sets(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Scenarios, periods and the sparse index sets of every variable family; ``m.data`` is
    the plan the model is built from (in its units)."""
    m.data = data
    m.net = Network.of(data)
    scenarios = [s.id for s in data.scenarios]
    periods = [t.id for t in data.periods]
    m.scenarios = pyo.Set(initialize=scenarios, ordered=True)
    m.periods = pyo.Set(initialize=periods, ordered=True)
    m.probability = {s.id: s.probability for s in data.scenarios}
    m.discount = {t.id: t.discount_factor for t in data.periods}
    after = {o.id: {t for t in periods[periods.index(o.earliest):]} for o in data.options}
    m.option_periods = after
    m.share = {
        "supply": {(a.scenario, a.period, *a.target): a.share for a in data.supply_availability},
        "process": {(a.scenario, a.period, *a.target): a.share
                    for a in data.process_availability},
        "lane": {(a.scenario, a.period, *a.target): a.share for a in data.lane_availability},
    }
    m.spot_factor = {(x.scenario, x.period, x.site, x.material): x for x in data.spot_shocks}
    m.contract_factor = {(c.scenario, c.period, c.material): c.factor
                         for c in data.contract_shocks}
    """(scenario, period, material) -> the factor on its Supply and offtake unit costs."""
    m.supply_keys = [(s, r.period, r.site, r.material) for s in scenarios for r in data.supplies]
    m.offtake_keys = [(s, t, o.id) for s in scenarios for t in periods for o in data.options
                      if o.kind == "offtake" and t in after[o.id]]
    m.activity_keys = [(s, t, k.id) for s in scenarios for t in periods for k in data.processes]
    m.flow_keys = [(s, t, lane.id) for s in scenarios for t in periods for lane in data.lanes]
    m.spot_keys = [(s, r.period, r.site, r.material) for s in scenarios for r in data.spot_offers]
    m.demand_keys = [(s, r.period, r.site, r.material) for s in scenarios for r in data.demands]
    m.stock_keys = [(s, t, x.site, x.material) for s in scenarios for t in periods
                    for x in data.stocks]
    m.balance_keys = [(s, *node) for s in scenarios for node in m.net.nodes(periods)]
    m.options_on = defaultdict(list)
    """(kind, target[, material]) -> options of that kind acting on it; conversions are also
    listed under ("conversion from", source)."""
    for o in data.options:
        m.options_on[(o.kind, o.target, o.material) if o.kind == "stock"
                     else (o.kind, o.target)].append(o)
        if o.kind == "conversion":
            m.options_on[("conversion from", o.source)].append(o)


def _added(m: pyo.ConcreteModel, key: tuple, t: str, sign: float = 1.0):
    """Capacity the options listed under ``key`` add in period ``t``: sum of O_o z_o."""
    return sum(sign * o.capacity * m.v_option[o.id] for o in m.options_on.get(key, ())
               if t in m.option_periods[o.id])


def available(capacity: float | None, share: float) -> float | None:
    """Capacity times availability; an unlimited capacity stays unlimited unless share is 0."""
    if capacity is None:
        return 0.0 if share == 0 else None
    return capacity * share


def add_options(m: pyo.ConcreteModel, data: PlanData) -> None:
    """First-stage options, and at most one option of each exclusive group :math:`G`.

    .. math:: z_o \\in \\{0, 1\\} \\text{ (binary) or } [0, 1] \\text{ (continuous)}, \\qquad
              \\sum_{o \\in G} z_o \\le 1
    """
    binary = {o.id: o.binary for o in data.options}
    m.v_option = pyo.Var([o.id for o in data.options],
                         domain=lambda _, o: pyo.Binary if binary[o] else pyo.UnitInterval)
    groups: dict[str, list[str]] = defaultdict(list)
    for o in data.options:
        if o.group:
            groups[o.group].append(o.id)
    m.c_exclusive = pyo.Constraint(
        sorted(g for g, members in groups.items() if len(members) > 1),
        rule=lambda _, g: sum(m.v_option[o] for o in groups[g]) <= 1)


def add_supply(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Supply within capacity times availability, for every supply row :math:`(n, m, t)`.

    .. math:: 0 \\le x^{supply}_{s,t,n,m} \\le \\alpha_{s,t,n,m}\\,\\bar{S}_{t,n,m}
    """
    capacity, share = m.net.supply, m.share["supply"]
    m.v_supply = pyo.Var(
        m.supply_keys, domain=pyo.NonNegativeReals,
        bounds=lambda _, s, t, n, mat: (0.0,
                                        capacity[(t, n, mat)] * share.get((s, t, n, mat), 1.0)))


def _only_offtake(net: Network) -> set[tuple[str, str]]:
    """(site, material) pairs whose only source is offtake options: no supply row, process,
    inflow, stock or spot purchase there."""
    supplied = {(n, mat) for _, n, mat in net.supply} | {(n, mat) for _, n, mat in net.spot} \
        | net.stocks
    return {(n, mat) for (n, mat) in net.offtakes
            if (n, mat) not in supplied and not net.produced_by.get((n, mat))
            and not net.lanes_in.get((n, mat))}


def _lane_linked(m: pyo.ConcreteModel, data: PlanData) -> set[str]:
    """Binary offtakes whose taking the lanes alone enforce: the one option of an
    only-offtake site (:func:`add_option_links`) where nothing is used or demanded."""
    net, demanded = m.net, {(n, mat) for _, n, mat in m.net.demand}
    option = {o.id: o for o in data.options}
    only_offtake = _only_offtake(net)
    return {ids[0] for (n, mat), ids in net.offtakes.items()
            if (n, mat) in only_offtake and len(ids) == 1 and option[ids[0]].binary
            and not net.consumed_by.get((n, mat)) and (n, mat) not in demanded}


def add_offtake(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Offtake within the contracted capacity, and at least its take-or-pay share.

    For every offtake option :math:`o` at mine :math:`n_o` for material :math:`m_o`, in every
    period from its earliest on:

    .. math:: \\tau_o\\,\\alpha_{s,t,n_o,m_o} \\bar{O}_o z_o \\le x^{offtake}_{s,t,o}
              \\le \\alpha_{s,t,n_o,m_o} \\bar{O}_o z_o

    Where the lanes leaving the mine already carry :math:`z_o` (:func:`_lane_linked`: a
    binary option, the mine's only source, nothing used or demanded there), the upper
    limit is the bound :math:`x^{offtake}_{s,t,o} \\le \\alpha \\bar{O}_o` instead: with
    :math:`z_o = 0` those lanes carry nothing, so nothing can be taken, and with
    :math:`z_o = 1` the two forms agree. The bound keeps the capacity out of the
    option's row, which measured faster on facility location (capa: proven optimal in
    under 90 s, against a 14% gap after 120 s with the row).
    """
    option = {o.id: o for o in data.options}
    share = m.share["supply"]
    linked = _lane_linked(m, data)

    def capacity(s, t, o):
        x = option[o]
        return share.get((s, t, x.target, x.material), 1.0) * x.capacity

    m.v_offtake = pyo.Var(m.offtake_keys, domain=pyo.NonNegativeReals, bounds=lambda _, s, t, o: (
        0.0, capacity(s, t, o) if o in linked else None))
    m.c_offtake_capacity = pyo.Constraint(
        [k for k in m.offtake_keys if k[2] not in linked],
        rule=lambda _, s, t, o: m.v_offtake[s, t, o] <= capacity(s, t, o) * m.v_option[o])
    m.c_take_or_pay = pyo.Constraint(
        [k for k in m.offtake_keys if option[k[2]].take_or_pay > 0],
        rule=lambda _, s, t, o: m.v_offtake[s, t, o]
        >= option[o].take_or_pay * capacity(s, t, o) * m.v_option[o])


def add_processes(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Process activity (units of output) within capacity times availability, for every
    process :math:`k`; expansions :math:`E_k` and conversions into :math:`k`
    (:math:`V^+_k`) add capacity, conversions out of :math:`k` (:math:`V^-_k`) remove it,
    each from its earliest period :math:`t_o` on.

    .. math:: 0 \\le y_{s,t,k} \\le \\alpha_{s,t,k}\\,
              \\bigl(\\bar{Y}_k + \\sum_{o \\in E_k \\cup V^+_k,\\, t \\ge t_o} \\bar{O}_o z_o
              - \\sum_{o \\in V^-_k,\\, t \\ge t_o} \\bar{O}_o z_o\\bigr)

    A bound where no option applies, a constraint where one does. Inputs are consumed by
    recipe in :func:`add_balance`: :math:`a_{km}\\,y_{s,t,k}`.
    """
    capacity = {k.id: k.capacity for k in data.processes}
    share = m.share["process"]
    keys = {k.id: [("expansion", k.id), ("conversion", k.id), ("conversion from", k.id)]
            for k in data.processes}
    optional = {k for k, ks in keys.items() if any(m.options_on.get(x) for x in ks)}
    m.process_capacity = pyo.Expression(
        m.activity_keys, rule=lambda _, s, t, k: share.get((s, t, k), 1.0) * (
            capacity[k] + _added(m, ("expansion", k), t) + _added(m, ("conversion", k), t)
            + _added(m, ("conversion from", k), t, -1.0)))
    m.v_activity = pyo.Var(
        m.activity_keys, domain=pyo.NonNegativeReals,
        bounds=lambda _, s, t, k: (0.0, None if k in optional else
                                   capacity[k] * share.get((s, t, k), 1.0)))
    m.c_process_capacity = pyo.Constraint(
        [key for key in m.activity_keys if key[2] in optional],
        rule=lambda _, s, t, k: m.v_activity[s, t, k] <= m.process_capacity[s, t, k])


def add_capacity_groups(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Processes of a capacity group :math:`G` share its capacity :math:`\\bar{G}`, each
    unit of output of :math:`k` using :math:`u_{Gk}` of it.

    .. math:: \\sum_{k \\in G} u_{Gk}\\, y_{s,t,k} \\le \\bar{G}
    """
    group = {g.id: g for g in data.capacity_groups}
    m.c_capacity_group = pyo.Constraint(
        [(s, t, g) for s in m.scenarios for t in m.periods for g in group],
        rule=lambda _, s, t, g: sum(use * m.v_activity[s, t, k] for k, use in group[g].members)
        <= group[g].capacity)


def add_lanes(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Lane flows within capacity times availability (no bound where the lane has none, unless
    its availability is 0), for every lane :math:`l`.

    .. math:: 0 \\le f_{s,t,l} \\le \\alpha_{s,t,l}\\,\\bar{F}_l
    """
    capacity, share = {lane.id: lane.capacity for lane in data.lanes}, m.share["lane"]
    m.v_flow = pyo.Var(
        m.flow_keys, domain=pyo.NonNegativeReals,
        bounds=lambda _, s, t, lane: (0.0, available(capacity[lane], share.get((s, t, lane), 1.0))))


def add_option_links(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Lane by lane, no flow out of a site whose only source is offtake options not taken.

    Where offtakes :math:`O_{n,m}` are the only source of material :math:`m` at site
    :math:`n` (no supply row, process, inflow, stock or spot purchase there), every lane
    :math:`l`
    leaving it is bounded by the options taken:

    .. math:: f_{s,t,l} \\le \\sum_{o \\in O_{n,m},\\, t \\ge t_o} U_{s,t,l,o}\\, z_o, \\qquad
              U_{s,t,l,o} = \\min(\\alpha_{s,t,n,m} \\bar{O}_o,\\; \\alpha_{s,t,l} \\bar{F}_l,\\;
              D_{t,n^+_l,m} \\text{ where } n^+_l \\text{ only consumes } m \\text{ as demand and keeps no stock})

    for a binary option; a continuous one, whose share scales its capacity, keeps
    :math:`U_{s,t,l,o} = \\alpha_{s,t,n,m} \\bar{O}_o`.

    This is the tight form of :func:`add_offtake`'s aggregate bound (for facility location,
    :math:`x_{ij} \\le d_j y_i`), which makes the MIP solve far faster.
    """
    net, option = m.net, {o.id: o for o in data.options}
    lane = {x.id: x for x in data.lanes}
    only_offtake = _only_offtake(net)
    links = [(s, t, x) for s, t, x in m.flow_keys
             if (lane[x].origin, lane[x].material) in only_offtake]

    def bound(s, t, x, o):
        ln, opt = lane[x], option[o]
        caps = [m.share["supply"].get((s, t, ln.origin, ln.material), 1.0) * opt.capacity]
        if not opt.binary:
            return caps[0]
        lane_cap = available(ln.capacity, m.share["lane"].get((s, t, x), 1.0))
        if lane_cap is not None:
            caps.append(lane_cap)
        sink = (ln.destination, ln.material)
        if not net.lanes_out.get(sink) and not net.consumed_by.get(sink) \
                and sink not in net.stocks:
            caps.append(net.demand.get((t, *sink), 0.0))
        return min(caps)

    m.c_option_lane = pyo.Constraint(links, rule=lambda _, s, t, x: m.v_flow[s, t, x] <= sum(
        bound(s, t, x, o) * m.v_option[o]
        for o in net.offtakes[(lane[x].origin, lane[x].material)] if t in m.option_periods[o]))


def add_spot(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Spot purchases up to the offer's maximum times the scenario's quantity factor, for every
    spot row :math:`(n, m, t)`.

    .. math:: 0 \\le b_{s,t,n,m} \\le \\beta_{s,t,n,m}\\,\\bar{B}_{t,n,m}

    at the price :math:`\\pi_{s,t,n,m}`, the offer's price times the scenario's price factor.
    """
    offer = {(r.period, r.site, r.material): r for r in data.spot_offers}
    no_shock = SpotShock("", "", "", "")
    shock = {key: m.spot_factor.get(key, no_shock) for key in m.spot_keys}
    m.spot_shock = shock
    """Spot key -> its price and quantity factors (1 where no PriceShocks row meets it)."""
    m.spot_price = {key: offer[key[1:]].price * shock[key].price_factor for key in m.spot_keys}
    m.v_spot = pyo.Var(m.spot_keys, domain=pyo.NonNegativeReals, bounds=lambda _, *key: (
        0.0, available(offer[key[1:]].maximum, shock[key].quantity_factor)))


def add_demand(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Unmet demand, for every demand row; served demand is demand minus unmet.

    .. math:: 0 \\le u_{s,t,n,m} \\le D_{t,n,m}, \\qquad
              \\text{served}_{s,t,n,m} = D_{t,n,m} - u_{s,t,n,m}
    """
    quantity = m.net.demand
    m.v_unmet = pyo.Var(
        m.demand_keys, domain=pyo.NonNegativeReals,
        bounds=lambda _, s, t, n, mat: (0.0, quantity[(t, n, mat)]))


def add_stocks(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Stock :math:`I` of material :math:`m` at site :math:`n` at the end of each period,
    within its maximum plus the stock options :math:`K_{n,m}` taken, and at least the end
    minimum after the last period :math:`T`; it enters the balance in :func:`add_balance`.

    .. math:: 0 \\le I_{s,t,n,m} \\le \\bar{I}_{n,m}
              + \\sum_{o \\in K_{n,m},\\, t \\ge t_o} \\bar{O}_o z_o, \\qquad
              I_{s,T,n,m} \\ge \\underline{I}_{n,m}
    """
    stock = {(x.site, x.material): x for x in data.stocks}
    optional = {pair for pair in stock if m.options_on.get(("stock", *pair))}
    m.stock = stock
    m.v_stock = pyo.Var(
        m.stock_keys, domain=pyo.NonNegativeReals,
        bounds=lambda _, s, t, n, mat: (0.0, None if (n, mat) in optional
                                        else stock[(n, mat)].maximum))
    m.stock_capacity = pyo.Expression(
        m.stock_keys,
        rule=lambda _, s, t, n, mat: stock[(n, mat)].maximum + _added(m, ("stock", n, mat), t))
    m.c_stock_capacity = pyo.Constraint(
        [key for key in m.stock_keys if key[2:] in optional],
        rule=lambda _, *key: m.v_stock[key] <= m.stock_capacity[key])
    last = m.periods.last()
    m.c_stock_end = pyo.Constraint(
        [key for key in m.stock_keys if key[1] == last and stock[key[2:]].end_minimum > 0],
        rule=lambda _, s, t, n, mat: m.v_stock[s, t, n, mat] >= stock[(n, mat)].end_minimum)


def add_balance(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Material balance at every scenario, period, site and material that has any term.

    .. math::
        x^{supply}_{s,t,n,m} + b_{s,t,n,m} + \\sum_{k: n_k = n, o_k = m} y_{s,t,k}
        + \\sum_{l: n^+_l = n, m_l = m} f_{s,t,l}
        = \\sum_{k: n_k = n} a_{km}\\, y_{s,t,k} + \\sum_{l: n^-_l = n, m_l = m} f_{s,t,l}
        + (D_{t,n,m} - u_{s,t,n,m})
        + I_{s,t,n,m} - I_{s,t-1,n,m}

    with the offtakes delivering at :math:`(n, m)` counted as supply and
    :math:`I_{s,0,n,m}` the initial stock. Terms that do not exist at a node are left out,
    and so is a node with none in a period (an offtake that starts later, for instance).
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
        inflow += sum(m.v_offtake[s, t, o] for o in net.offtakes.get((n, mat), ())
                      if t in m.option_periods[o])
        if node in net.spot:
            inflow += m.v_spot[s, t, n, mat]
        if node in net.demand:
            outflow += net.demand[node] - m.v_unmet[s, t, n, mat]
        if (n, mat) in net.stocks:
            before = m.periods.prev(t) if t != m.periods.first() else None
            inflow += m.v_stock[s, before, n, mat] if before else m.stock[(n, mat)].initial
            outflow += m.v_stock[s, t, n, mat]
        if isinstance(inflow, (int, float)) and isinstance(outflow, (int, float)):
            return pyo.Constraint.Skip  # nothing can move here in this period (0 == 0)
        return inflow == outflow

    m.c_balance = pyo.Constraint(m.balance_keys, rule=rule)


def add_policies(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Share limits (policies) on where material comes from, in every scenario.

    The supply :math:`Q_{s,t,c,m}` of material :math:`m` from country :math:`c` is what is
    mined, contracted, made or bought on the spot market at sites in :math:`c`. For a
    policy with countries :math:`C` and share :math:`\\sigma`:

    .. math:: \\sum_{c \\in C} Q_{s,t,c,m} \\le \\sigma \\sum_c Q_{s,t,c,m}
              \\text{ (max country share)}, \\qquad
              \\sum_{c \\in C} Q_{s,t,c,m} \\ge \\sigma \\sum_c Q_{s,t,c,m}
              \\text{ (min country share)}

    and for a process :math:`k` (max process share):
    :math:`y_{s,t,k} \\le \\sigma \\sum_{k': o_{k'} = o_k} y_{s,t,k'}`. A period in which
    nothing can bring the material in has no constraint.
    """
    country = {x.id: x.country for x in data.sites}
    option = {o.id: o for o in data.options}
    process = {k.id: k for k in data.processes}
    entering: dict[tuple[str, str, str], list[tuple[str, object]]] = defaultdict(list)
    """(scenario, period, material) -> (country, quantity) of every way it enters."""
    for s, t, n, mat in m.supply_keys:
        entering[(s, t, mat)].append((country[n], m.v_supply[s, t, n, mat]))
    for s, t, o in m.offtake_keys:
        x = option[o]
        entering[(s, t, x.material)].append((country[x.target], m.v_offtake[s, t, o]))
    for s, t, k in m.activity_keys:
        entering[(s, t, process[k].output)].append((country[process[k].site],
                                                    m.v_activity[s, t, k]))
    for s, t, n, mat in m.spot_keys:
        entering[(s, t, mat)].append((country[n], m.v_spot[s, t, n, mat]))

    def rule(_, s, t, policy):
        p = policies[(policy, t)]
        if p.kind == "max process share":
            output = process[p.process].output
            return m.v_activity[s, t, p.process] <= p.share * sum(
                m.v_activity[s, t, k.id] for k in data.processes if k.output == output)
        terms = entering.get((s, t, p.material))
        if not terms:
            return pyo.Constraint.Skip
        listed = sum(q for c, q in terms if c in p.countries)
        total = sum(q for _, q in terms)
        if p.kind == "max country share":
            return listed <= p.share * total
        return listed >= p.share * total

    policies = {(p.id, p.period): p for p in data.policies}
    m.c_policy = pyo.Constraint([(s, t, name) for s in m.scenarios for name, t in policies],
                                rule=rule)


def add_stress_caps(m: pyo.ConcreteModel, data: PlanData) -> None:
    """In stress scenarios, at most a share :math:`\\rho` of each material's demand in each
    period goes unmet (no constraint when :math:`\\rho = 1`).

    .. math:: \\sum_n u_{s,t,n,m} \\le \\rho \\sum_n D_{t,n,m}
    """
    stressed = [s.id for s in data.scenarios if s.kind == "stress"]
    rho = data.stress_unmet_share
    by_material: dict[tuple[str, str], list[str]] = defaultdict(list)
    for t, n, mat in m.net.demand:
        by_material[(t, mat)].append(n)
    keys = [(s, t, mat) for s in stressed for (t, mat) in by_material] if rho < 1 else []
    m.c_stress_cap = pyo.Constraint(keys, rule=lambda _, s, t, mat: sum(
        m.v_unmet[s, t, n, mat] for n in by_material[(t, mat)])
        <= rho * sum(m.net.demand[(t, n, mat)] for n in by_material[(t, mat)]))


def add_costs(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Cost per scenario, period and category (undiscounted), and the objective.

    .. math::
        C_{s,t} = \\sum_{n,m} \\kappa_{s,t,m} c^{supply}_{t,n,m} x^{supply}_{s,t,n,m}
        + \\sum_o \\kappa_{s,t,m_o} c_o x^{offtake}_{s,t,o} + \\sum_k c_k y_{s,t,k}
        + \\sum_l (c_l + \\tau_l) f_{s,t,l} + \\sum_{n,m} h_{n,m} I_{s,t,n,m}
        + \\sum_{n,m} \\pi_{s,t,n,m} b_{s,t,n,m} + \\sum_{n,m} P_{t,n,m} u_{s,t,n,m}

    .. math::
        \\text{scenario\\_cost}_s = \\sum_t \\delta_t C_{s,t}, \\qquad
        \\text{first\\_stage\\_cost} = \\sum_o w_o F_o z_o, \\qquad
        \\text{total}_s = \\text{first\\_stage\\_cost} + \\text{scenario\\_cost}_s

    where :math:`\\kappa_{s,t,m}` is the contract factor of material :math:`m` (1 unless its
    prices follow a price index that moves in the scenario: ``contract_factor``) and
    :math:`w_o` discounts option :math:`o`'s fixed cost :math:`F_o`
    (:func:`_option_cost_weight`). The objective is the expected cost
    :math:`E = \\sum_s p_s \\text{total}_s`, or with ``Risk.objective == "cvar"``
    (Rockafellar-Uryasev, weight :math:`\\lambda`, level :math:`\\alpha`):

    .. math::
        \\min\\; (1 - \\lambda) E + \\lambda \\Bigl(\\eta + \\frac{1}{1 - \\alpha}
        \\sum_s p_s e_s\\Bigr), \\qquad e_s \\ge \\text{total}_s - \\eta, \\quad e_s \\ge 0,
        \\qquad 0 \\le \\eta \\le \\frac{E}{1 - \\alpha}

    The threshold :math:`\\eta` is bounded by the range its optimum can take, so that it
    stays of the size of the scenario costs: every cost is non-negative, so every
    :math:`\\alpha`-quantile of the total cost (an optimal :math:`\\eta`) is at least 0 and,
    by Markov's inequality (:math:`P(\\text{total} \\ge v) \\le E / v`), at most
    :math:`E / (1 - \\alpha)`. Both bounds are valid: they cut off no optimum.

    ``period_cost[s, t, category]`` splits :math:`C_{s,t}` by :data:`COST_CATEGORIES`.
    """
    terms: dict[tuple[str, str, str], list] = defaultdict(list)
    supply_cost = {(r.period, r.site, r.material): r.unit_cost for r in data.supplies}
    contract = m.contract_factor
    for s, t, n, mat in m.supply_keys:
        terms[(s, t, "mining")].append(supply_cost[(t, n, mat)] * contract.get((s, t, mat), 1.0)
                                       * m.v_supply[s, t, n, mat])
    process = {k.id: k for k in data.processes}
    for s, t, k in m.activity_keys:
        terms[(s, t, process[k].stage)].append(process[k].variable_cost * m.v_activity[s, t, k])
    lane = {x.id: x for x in data.lanes}
    for s, t, x in m.flow_keys:
        terms[(s, t, "transport")].append(lane[x].unit_cost * m.v_flow[s, t, x])
        terms[(s, t, "tariffs")].append(lane[x].tariff * m.v_flow[s, t, x])
    option = {o.id: o for o in data.options}
    for s, t, o in m.offtake_keys:
        terms[(s, t, "mining")].append(option[o].unit_cost * m.v_offtake[s, t, o]
                                       * contract.get((s, t, option[o].material), 1.0))
    for s, t, n, mat in m.stock_keys:
        terms[(s, t, "stock holding")].append(
            m.stock[(n, mat)].holding_cost * m.v_stock[s, t, n, mat])
    for key in m.spot_keys:
        terms[(key[0], key[1], "spot")].append(m.spot_price[key] * m.v_spot[key])
    penalty = {(r.period, r.site, r.material): r.penalty for r in data.demands}
    for s, t, n, mat in m.demand_keys:
        terms[(s, t, "unmet demand")].append(penalty[(t, n, mat)] * m.v_unmet[s, t, n, mat])

    keys = [(s, t, c) for s in m.scenarios for t in m.periods for c in COST_CATEGORIES]
    m.period_cost = pyo.Expression(keys, rule=lambda _, s, t, c: sum(terms.get((s, t, c), ())))
    m.scenario_cost = pyo.Expression(
        m.scenarios,
        rule=lambda _, s: sum(m.discount[t] * m.period_cost[s, t, c]
                              for t in m.periods for c in COST_CATEGORIES))
    m.option_cost_weight = {o.id: _option_cost_weight(o, m) for o in data.options}
    m.first_stage_cost = pyo.Expression(
        expr=sum(o.fixed_cost * m.option_cost_weight[o.id] * m.v_option[o.id]
                 for o in data.options))
    m.total_cost = pyo.Expression(m.scenarios,
                                  rule=lambda _, s: m.first_stage_cost + m.scenario_cost[s])
    m.expected_cost = pyo.Expression(
        expr=sum(m.probability[s] * m.total_cost[s] for s in m.scenarios))
    risk = data.risk
    if risk.objective == "cvar":
        m.v_var = pyo.Var(domain=pyo.NonNegativeReals)
        m.v_excess = pyo.Var(m.scenarios, domain=pyo.NonNegativeReals)
        m.c_cvar = pyo.Constraint(
            m.scenarios, rule=lambda _, s: m.v_excess[s] >= m.total_cost[s] - m.v_var)
        m.c_cvar_threshold = pyo.Constraint(
            expr=(1.0 - risk.level) * m.v_var <= m.expected_cost)
        m.cvar = pyo.Expression(expr=m.v_var + sum(
            m.probability[s] * m.v_excess[s] for s in m.scenarios) / (1.0 - risk.level))
        objective = (1.0 - risk.weight) * m.expected_cost + risk.weight * m.cvar
    else:
        objective = m.expected_cost
    m.objective = pyo.Objective(expr=objective, sense=pyo.minimize)


def _option_cost_weight(option, m: pyo.ConcreteModel) -> float:
    """Discount weight of an option's fixed cost: its earliest period's factor if paid once,
    the sum of its periods' factors if paid every period."""
    periods = [t for t in m.periods if t in m.option_periods[option.id]]
    if option.per_period:
        return sum(m.discount[t] for t in periods)
    return m.discount[periods[0]]


FAMILIES = (add_sets, add_options, add_supply, add_offtake, add_processes, add_capacity_groups,
            add_lanes, add_option_links, add_spot, add_demand, add_stocks, add_balance,
            add_covers, add_policies, add_stress_caps, add_costs)


def build_model(data: PlanData) -> pyo.ConcreteModel:
    """The Pyomo model of ``data``: one call per family of :data:`FAMILIES`, in order."""
    m = pyo.ConcreteModel(name="battery-planner")
    for add_family in FAMILIES:
        add_family(m, data)
    return m
