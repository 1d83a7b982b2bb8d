"""Aggregated capacity rows: valid inequalities from which a MIP solver derives cover cuts.

The rows here change no optimum: each is a sum of rows the model already has, so the
linear relaxation implies it. Written out, it is a knapsack row in the options' binaries
(for capacitated facility location, :math:`\\sum_i s_i y_i \\ge \\sum_j d_j`), from which
HiGHS derives cover and flow-cover cuts that the scattered rows hide from it.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from models.data import PlanData

ACTING_ON_PROCESSES = ("expansion", "conversion", "conversion from")
"""Option kinds whose capacity adds to (or, converted away, removes from) a process."""


def _covered_materials(m: pyo.ConcreteModel, data: PlanData) -> set[str]:
    """Materials whose balances add up to a cover row: none is stocked, and no recipe makes
    one as a by-product (a negative input)."""
    stocked = {mat for _, mat in m.net.stocks}
    made_as_byproduct = {mat for k in data.processes for mat, q in k.recipe if q < 0}
    return {x.id for x in data.materials} - stocked - made_as_byproduct


def add_covers(m: pyo.ConcreteModel, data: PlanData) -> None:
    """For every scenario :math:`s`, period :math:`t` and material :math:`m` with demand,
    where some option adds to or removes from what can supply :math:`m`:

    .. math::
        \\sum_{n} \\alpha_{s,t,n,m} \\bar{S}_{t,n,m}
        + \\sum_{o \\in O_m,\\, t \\ge t_o} \\alpha_{s,t,n_o,m} \\bar{O}_o z_o
        + \\sum_{n} \\beta_{s,t,n,m} \\bar{B}_{t,n,m}
        + \\sum_{k:\\, o_k = m} \\bar{Y}_{s,t,k}(z)
        + \\sum_{n} u_{s,t,n,m} \\;\\ge\\; \\sum_{n} D_{t,n,m}

    with the supply, offtake, spot and process capacities (:math:`\\bar{Y}_{s,t,k}(z)`, the
    process capacity of :func:`~models.model.add_processes` with its options) as the model
    bounds them.

    Valid: add up the balances of :math:`m` over every site (:func:`~models.model.add_balance`).
    Each lane leaves one site with what it brings to another, so lanes cancel; no stock of
    :math:`m` exists (:func:`_covered_materials`). What enters (supply, offtakes, spot,
    output of processes) equals what leaves: recipes' use (:math:`a_{km} \\ge 0`) plus
    served demand :math:`D - u`. So the sources carry at least :math:`\\sum D - \\sum u`,
    and each source is at most its capacity. A material with an unlimited source (a spot
    offer without a maximum) has no row.
    """
    net, share = m.net, m.share["supply"]
    covered = _covered_materials(m, data)
    offtakes = defaultdict(list)
    for o in data.options:
        if o.kind == "offtake":
            offtakes[o.material].append(o)
    makers = defaultdict(list)
    for k in data.processes:
        makers[k.output].append(k.id)
    acting = {k.id: [o for kind in ACTING_ON_PROCESSES for o in m.options_on.get((kind, k.id), ())]
              for k in data.processes}
    demand = defaultdict(list)
    for s, t, n, mat in m.demand_keys:
        demand[(s, t, mat)].append(n)
    supplies, spots = defaultdict(list), defaultdict(list)
    for key in m.supply_keys:
        supplies[(key[0], key[1], key[3])].append(m.v_supply[key])
    for key in m.spot_keys:
        spots[(key[0], key[1], key[3])].append(m.v_spot[key])

    def acts(s, t, mat) -> bool:
        return any(t in m.option_periods[o.id]
                   for o in offtakes[mat] + [o for k in makers[mat] for o in acting[k]])

    keys = [key for key in demand if key[2] in covered and acts(*key)
            and all(v.ub is not None for v in spots[key])]

    def rule(_, s, t, mat):
        sources = sum(v.ub for v in supplies[(s, t, mat)]) + sum(v.ub for v in spots[(s, t, mat)])
        sources += sum(share.get((s, t, o.target, mat), 1.0) * o.capacity * m.v_option[o.id]
                       for o in offtakes[mat] if t in m.option_periods[o.id])
        sources += sum(m.process_capacity[s, t, k] for k in makers[mat])
        unmet = sum(m.v_unmet[s, t, n, mat] for n in demand[(s, t, mat)])
        return sources + unmet >= sum(net.demand[(t, n, mat)] for n in demand[(s, t, mat)])

    m.c_cover = pyo.Constraint(keys, rule=rule)
