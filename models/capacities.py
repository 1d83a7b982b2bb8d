"""Every capacity limit of a built model, and what holds it.

A capacity is held as a variable's upper bound where no option acts on it and as a
constraint where one does (:mod:`models.model`); its price comes back as a reduced cost
or as a dual accordingly. :func:`capacities` lists each limit once per scenario and
period with its holder, so that consumers price and change capacities without knowing
which form the model chose. Amounts are in the model's units, read after a solve (the
options' values count).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

KINDS = ("supply", "offtake", "process", "capacity group", "lane", "stock", "spot")


@dataclass(frozen=True)
class Capacity:
    """One capacity limit in one scenario and period.

    ``available = share * nominal``: raising the nominal capacity by one raises the limit
    by ``share`` (the scenario's availability or spot quantity factor).
    """

    kind: str
    """One of :data:`KINDS`."""
    name: tuple[str, ...]
    """The entity: (site, material) for supply, stock and spot; (option,), (process,),
    (group,) or (lane,) otherwise."""
    scenario: str
    period: str
    holder: object
    """The Pyomo variable whose upper bound, or the constraint whose upper side, holds it."""
    is_row: bool
    use: object
    """The Pyomo variable or expression of what is used."""
    nominal: float
    share: float
    unit: str | tuple[str, str]
    """The material it is measured in, or ("group", id)."""

    @property
    def available(self) -> float:
        return self.share * self.nominal


def capacities(m: pyo.ConcreteModel) -> list[Capacity]:
    """Every finite capacity of ``m`` (built by :func:`models.model.build_model` and
    solved), in the model's units; offtakes not taken are left out."""
    data, net, share = m.data, m.net, m.share
    found: list[Capacity] = []
    for key in m.supply_keys:
        s, t, n, mat = key
        found.append(Capacity("supply", (n, mat), s, t, m.v_supply[key], False,
                              m.v_supply[key], net.supply[(t, n, mat)],
                              share["supply"].get(key, 1.0), mat))
    option = {o.id: o for o in data.options}
    for key in m.offtake_keys:
        s, t, o = key
        x, taken = option[o], pyo.value(m.v_option[o])
        if taken > 0:
            row = key in m.c_offtake_capacity
            found.append(Capacity("offtake", (o,), s, t, m.c_offtake_capacity[key] if row
                                  else m.v_offtake[key], row, m.v_offtake[key],
                                  x.capacity * taken,
                                  share["supply"].get((s, t, x.target, x.material), 1.0),
                                  x.material))
    process = {k.id: k for k in data.processes}
    for key in m.activity_keys:
        s, t, k = key
        row = key in m.c_process_capacity
        found.append(Capacity("process", (k,), s, t, m.c_process_capacity[key] if row
                              else m.v_activity[key], row, m.v_activity[key],
                              _with_options(m, process[k].capacity, k, t),
                              share["process"].get(key, 1.0), process[k].output))
    for key in m.c_capacity_group:
        s, t, g = key
        group = next(x for x in data.capacity_groups if x.id == g)
        found.append(Capacity("capacity group", (g,), s, t, m.c_capacity_group[key], True,
                              m.c_capacity_group[key].body, group.capacity, 1.0, ("group", g)))
    lane = {x.id: x for x in data.lanes}
    for key in m.flow_keys:
        x = lane[key[2]]
        if x.capacity is not None:
            found.append(Capacity("lane", (x.id,), key[0], key[1], m.v_flow[key], False,
                                  m.v_flow[key], x.capacity, share["lane"].get(key, 1.0),
                                  x.material))
    for key in m.stock_keys:
        s, t, n, mat = key
        row = key in m.c_stock_capacity
        found.append(Capacity("stock", (n, mat), s, t, m.c_stock_capacity[key] if row
                              else m.v_stock[key], row, m.v_stock[key],
                              pyo.value(m.stock_capacity[key]), 1.0, mat))
    offer = {(r.period, r.site, r.material): r for r in data.spot_offers}
    for key in m.spot_keys:
        s, t, n, mat = key
        if offer[(t, n, mat)].maximum is not None:
            found.append(Capacity("spot", (n, mat), s, t, m.v_spot[key], False, m.v_spot[key],
                                  offer[(t, n, mat)].maximum,
                                  m.spot_shock[key].quantity_factor, mat))
    return found


def _with_options(m: pyo.ConcreteModel, capacity: float, k: str, t: str) -> float:
    """Process ``k``'s capacity in period ``t`` with the options taken (before availability)."""
    return capacity + sum(sign * o.capacity * pyo.value(m.v_option[o.id])
                          for kind, sign in (("expansion", 1.0), ("conversion", 1.0),
                                             ("conversion from", -1.0))
                          for o in m.options_on.get((kind, k), ())
                          if t in m.option_periods[o.id])
