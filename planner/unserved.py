"""Demand left unmet outside stress scenarios, and what serving it would cost.

The plan leaves a unit of demand unmet either because serving it costs more than its
penalty, or because the chain cannot deliver more (a capacity or a limit binds). To tell
which, the plan's commitments are fixed and the linear program is solved again with the
unmet quantity :math:`u` of the node (its period with the most unmet) lowered by a step
:math:`\\Delta` (1% of its demand, at most :math:`u`). If that is infeasible the chain is at a
limit; otherwise the scenario's total cost rises by :math:`\\delta_t \\Delta (c - P)`, so one
more unit served costs, in the period's money,

.. math:: c = P + \\frac{\\text{total}'_s - \\text{total}_s}{\\delta_t \\Delta}

It is a finite difference of a piecewise-linear cost, exact while the step stays on one
piece (the duals would be too, but at :math:`u = D` they are degenerate and can show the
penalty itself). At most :data:`PROBES` nodes are probed, the largest shortfalls first.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pyomo.repn import generate_standard_repn

from models.data import PlanData
from planner.engine import Solved
from planner.lp import Change
from planner.results import PlanResult

COLUMNS = ["Scenario", "Site", "Material", "Unit", "Demand", "Unmet", "Penalty",
           "Cost to serve one more unit", "Why"]
PROBES = 10
STEP = 0.01


def _serving_cost(plan: Solved, key: tuple, penalty: float, discount: float) -> float | None:
    """:math:`c` at the demand node ``key`` (scenario, period, site, material); infinite
    when no more can be delivered, None when the probe does not solve. The probe is a warm
    re-solve of the plan's LP (:mod:`planner.lp`), reading the scenario's total cost."""
    model, lp = plan.model, plan.lp
    unmet = model.v_unmet[key]
    j = lp.column(unmet)
    value = float(lp.col_value[j])
    step = min(value, STEP * float(lp.col_upper[j]))
    if step <= 0:
        return None
    repn = generate_standard_repn(model.total_cost[key[0]].expr, compute_values=True)
    total = (np.array([lp.column(v) for v in repn.linear_vars]),
             np.array([float(c) for c in repn.linear_coefs]))
    before = float(lp.col_value[total[0]] @ total[1])
    probe = lp.resolve(Change(((j, float(lp.col_lower[j]), value - step),)),
                       {"total": total})
    if not probe.optimal:
        return math.inf if probe.infeasible else None
    return penalty + (probe.readouts["total"] - before) * plan.units.scaling.money / (
        discount * step * plan.units.of(unmet))


def unserved_demand(plan: Solved, data: PlanData, result: PlanResult) -> pd.DataFrame:
    """Per normal scenario, site and material with unmet demand: how much, the penalty, the
    cost to serve one more unit in its period with the most unmet, and why it is unmet."""
    normal = {s.id for s in data.scenarios if s.kind != "stress"}
    discount = {t.id: t.discount_factor for t in data.periods}
    short = result.demand[(result.demand["Unmet"] > 0) & result.demand["Scenario"].isin(normal)]
    groups = sorted(short.groupby(["Scenario", "Site", "Material", "Unit"], sort=False),
                    key=lambda g: -g[1]["Unmet"].sum())
    rows = []
    for k, ((s, n, mat, unit), group) in enumerate(groups):
        worst = group.loc[group["Unmet"].idxmax()]
        penalty = float(worst["Penalty"])
        cost = _serving_cost(plan, (s, worst["Period"], n, mat), penalty,
                             discount[worst["Period"]]) if k < PROBES and plan.lp else None
        if cost is None:
            why = ("not probed: only the largest shortfalls are" if k >= PROBES else
                   "not probed: the linear program with the commitments fixed did not solve"
                   if plan.lp is None else
                   "the probe did not solve, so why it is unmet is not known")
        elif math.isinf(cost):
            why = ("the chain cannot deliver more (a capacity or a limit binds): add capacity "
                   "(Supply, Processes, Lanes, Options) or accept the shortfall")
        elif cost > penalty * (1 + 1e-6):
            why = (f"serving costs more than the penalty: raise the penalty above "
                   f"{cost:,.0f} per {unit} (Settings Unmet demand penalty or the Demand "
                   "rows' Penalty) if it must be served")
        else:
            why = "serving costs as much as the penalty: either choice costs the same"
        rows.append((s, n, mat, unit, float(group["Demand"].sum()), float(group["Unmet"].sum()),
                     penalty, None if cost is None or math.isinf(cost) else cost, why))
    return pd.DataFrame(rows, columns=COLUMNS)


def describe(table: pd.DataFrame, currency: str) -> list[str]:
    """One sentence per row of :func:`unserved_demand` among the :data:`PROBES` largest, for
    the terminal and the Summary; the smaller shortfalls in one sentence more, which points
    to the Details sheet (the Summary stays one page at a hundred scenarios)."""
    lines = []
    for r in table.head(PROBES).to_dict("records"):
        serving = r["Cost to serve one more unit"]
        cost = "" if pd.isna(serving) else \
            f"; serving one more {r['Unit']} would cost about {serving:,.0f} {currency}"
        lines.append(f"Unmet demand in scenario {r['Scenario']}: {r['Unmet']:,.6g} of "
                     f"{r['Demand']:,.6g} {r['Unit']} of {r['Material']} at {r['Site']} "
                     f"(penalty {r['Penalty']:,.0f} {currency} per {r['Unit']}{cost}): "
                     f"{r['Why']}")
    rest = table.iloc[PROBES:]
    if len(rest):
        units = rest["Unit"].unique()
        amount = f", {rest['Unmet'].sum():,.6g} {units[0]} in all" if len(units) == 1 else ""
        lines.append(f"Unmet demand in {len(rest)} more scenario, site and material "
                     f"combinations{amount}, each smaller than those above: every one is on "
                     "the Details sheet (Demand unmet outside stress scenarios)")
    return lines
