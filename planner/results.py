"""Tidy result tables read back from a solved model.

One row per scenario, period and entity; the report writes these tables as sheets and
the tests check the same tables. The model holds the plan in internal units
(:mod:`models.scaling`): every figure is read back into the workbook's units here, and
capacities come from the data, not from the model's bounds. A value within ``ZERO`` of
zero in internal units (so relative to each material's unit) is reported as 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyomo.environ as pyo

from models.data import PlanData, Risk
from models.model import COST_CATEGORIES, available
from models.scaling import Scaling

ZERO = 1e-7


def _value(var, unit: float = 1.0) -> float:
    """The value of a model variable or expression in workbook units (``unit`` per internal
    unit); 0 within ``ZERO`` internal units of it."""
    x = pyo.value(var, exception=False)
    return 0.0 if x is None or abs(x) < ZERO else float(x) * unit


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole > ZERO else None


def _utilisation(quantity: float, capacity: float | None) -> float | None:
    return None if capacity is None else _share(quantity, capacity) or 0.0


@dataclass(frozen=True)
class PlanResult:
    """Every result table of one solved plan."""

    costs: pd.DataFrame
    sourcing: pd.DataFrame
    processing: pd.DataFrame
    production_mix: pd.DataFrame
    flows: pd.DataFrame
    spot: pd.DataFrame
    demand: pd.DataFrame
    stocks: pd.DataFrame
    decisions: pd.DataFrame
    scenarios: pd.DataFrame
    """Per scenario: probability, total cost as the model computed it, and its parts."""
    risk: Risk

    @property
    def probability(self) -> pd.Series:
        """Scenario -> its probability."""
        return self.scenarios.set_index("Scenario")["Probability"]

    def cost_by_category(self) -> pd.DataFrame:
        """Expected cost per category, discounted and not, over all periods."""
        table = self.costs.assign(
            expected=self.costs["Cost"] * self.costs["Probability"],
            expected_discounted=self.costs["Discounted cost"] * self.costs["Probability"])
        grouped = table.groupby("Category", sort=False)[["expected", "expected_discounted"]].sum()
        return grouped.reindex(list(COST_CATEGORIES)).rename(
            columns={"expected": "Cost", "expected_discounted": "Discounted cost"})


def extract(m: pyo.ConcreteModel, data: PlanData, scaling: Scaling = Scaling()) -> PlanResult:
    """The result tables of a model whose variables hold a plan; ``data`` is the plan in
    workbook units and the model was built from ``scaling.apply(data)``."""
    money, unit = scaling.money, scaling.of
    sites = {s.id: s for s in data.sites}
    materials = {x.id: x for x in data.materials}
    probability = {s.id: s.probability for s in data.scenarios}
    discount = {t.id: t.discount_factor for t in data.periods}

    costs = pd.DataFrame(
        [(s, t, c, probability[s], _value(m.period_cost[s, t, c], money), discount[t])
         for s, t, c in m.period_cost],
        columns=["Scenario", "Period", "Category", "Probability", "Cost", "Discount factor"])
    costs["Discounted cost"] = costs["Cost"] * costs["Discount factor"]

    supply = {(r.period, r.site, r.material): r for r in data.supplies}
    rows = []
    availability = m.share["supply"]
    for s, t, n, mat in m.supply_keys:
        r = supply[(t, n, mat)]
        q = _value(m.v_supply[s, t, n, mat], unit(mat))
        capacity = r.capacity * availability.get((s, t, n, mat), 1.0)
        cost = r.unit_cost * m.contract_factor.get((s, t, mat), 1.0)
        rows.append((s, t, n, sites[n].country, mat, "", q, materials[mat].unit, capacity,
                     _utilisation(q, capacity), cost, q * cost))
    option = {o.id: o for o in data.options}
    for s, t, o in m.offtake_keys:
        x = option[o]
        q = _value(m.v_offtake[s, t, o], unit(x.material))
        capacity = availability.get((s, t, x.target, x.material), 1.0) * x.capacity \
            * _value(m.v_option[o])
        cost = x.unit_cost * m.contract_factor.get((s, t, x.material), 1.0)
        rows.append((s, t, x.target, sites[x.target].country, x.material, o, q,
                     materials[x.material].unit, capacity, _utilisation(q, capacity),
                     cost, q * cost))
    sourcing = pd.DataFrame(rows, columns=[
        "Scenario", "Period", "Site", "Country", "Material", "Offtake", "Quantity", "Unit",
        "Capacity", "Utilisation", "Unit cost", "Cost"])
    sourcing["Country share"] = _country_share(sourcing)

    process = {k.id: k for k in data.processes}
    rows = []
    for s, t, k in m.activity_keys:
        p = process[k]
        q = _value(m.v_activity[s, t, k], unit(p.output))
        capacity = _value(m.process_capacity[s, t, k], unit(p.output))
        rows.append((s, t, k, p.site, sites[p.site].country, p.output, q,
                     materials[p.output].unit, capacity, _utilisation(q, capacity),
                     p.variable_cost, q * p.variable_cost))
    processing = pd.DataFrame(rows, columns=[
        "Scenario", "Period", "Process", "Site", "Country", "Output", "Activity", "Unit",
        "Capacity", "Utilisation", "Variable cost", "Cost"])

    lane = {x.id: x for x in data.lanes}
    rows = []
    for s, t, x in m.flow_keys:
        ln = lane[x]
        q = _value(m.v_flow[s, t, x], unit(ln.material))
        if q:
            capacity = available(ln.capacity, m.share["lane"].get((s, t, x), 1.0))
            rows.append((s, t, x, ln.origin, ln.destination, ln.material, q,
                         materials[ln.material].unit, capacity, _utilisation(q, capacity),
                         q * ln.unit_cost, q * ln.tariff))
    flows = pd.DataFrame(rows, columns=[
        "Scenario", "Period", "Lane", "From", "To", "Material", "Quantity", "Unit", "Capacity",
        "Utilisation", "Transport cost", "Tariff cost"])

    offer = {(r.period, r.site, r.material): r for r in data.spot_offers}
    rows = []
    for key in m.spot_keys:
        s, t, n, mat = key
        q = _value(m.v_spot[key], unit(mat))
        if q:
            r, shock = offer[key[1:]], m.spot_shock[key]
            price = r.price * shock.price_factor
            maximum = available(r.maximum, shock.quantity_factor)
            rows.append((s, t, mat, n, q, materials[mat].unit, price, q * price, maximum))
    spot = pd.DataFrame(rows, columns=[
        "Scenario", "Period", "Material", "Site", "Quantity", "Unit", "Price", "Cost",
        "Maximum"])

    demand_rows = {(r.period, r.site, r.material): r for r in data.demands}
    rows = []
    for s, t, n, mat in m.demand_keys:
        r, unmet = demand_rows[(t, n, mat)], _value(m.v_unmet[s, t, n, mat], unit(mat))
        rows.append((s, t, n, mat, r.quantity, r.quantity - unmet, unmet,
                     materials[mat].unit, r.penalty, unmet * r.penalty))
    demand = pd.DataFrame(rows, columns=[
        "Scenario", "Period", "Site", "Material", "Demand", "Served", "Unmet", "Unit",
        "Penalty", "Penalty cost"])

    rows = []
    stock = {(x.site, x.material): x for x in data.stocks}
    for s, t, n, mat in m.stock_keys:
        x, level = stock[(n, mat)], _value(m.v_stock[s, t, n, mat], unit(mat))
        room = _value(m.stock_capacity[s, t, n, mat], unit(mat))
        rows.append((s, t, n, mat, level, materials[mat].unit, room, _utilisation(level, room),
                     x.holding_cost, level * x.holding_cost))
    stocks = pd.DataFrame(rows, columns=[
        "Scenario", "Period", "Site", "Material", "Level", "Unit", "Maximum", "Utilisation",
        "Holding cost", "Cost"])

    rows = []
    for o in data.options:
        taken = _value(m.v_option[o.id])
        periods = len(m.option_periods[o.id]) if o.per_period else 1
        rows.append((o.id, o.kind, o.target, o.material or "", o.earliest,
                     "binary" if o.binary else "continuous", taken, o.capacity * taken,
                     o.fixed_cost * periods * taken,
                     o.fixed_cost * m.option_cost_weight[o.id] * taken))
    decisions = pd.DataFrame(rows, columns=[
        "Option", "Kind", "Target", "Material", "Earliest period", "Decision", "Taken",
        "Capacity added", "Fixed cost", "Discounted cost"])

    mix = _production_mix(processing, materials)
    kind = {s.id: s.kind for s in data.scenarios}
    scenarios = pd.DataFrame(
        [(s, kind[s], probability[s], _value(m.total_cost[s], money),
          _value(m.first_stage_cost, money), _value(m.scenario_cost[s], money))
         for s in m.scenarios],
        columns=["Scenario", "Kind", "Probability", "Total cost", "Commitments",
                 "Recourse cost"])
    return PlanResult(costs, sourcing, processing, mix, flows, spot, demand, stocks,
                      decisions, scenarios, data.risk)


def _country_share(sourcing: pd.DataFrame) -> pd.Series:
    """Share of each country in the supply of a material, per scenario and period."""
    keys = ["Scenario", "Period", "Material"]
    by_country = sourcing.groupby(keys + ["Country"])["Quantity"].transform("sum")
    total = sourcing.groupby(keys)["Quantity"].transform("sum")
    return (by_country / total.where(total > ZERO)).astype(float)


def _production_mix(processing: pd.DataFrame, materials: dict) -> pd.DataFrame:
    """Output of each cell material per scenario and period, its share and its family's."""
    cells = processing[processing["Output"].map(lambda x: materials[x].kind == "cell")]
    if cells.empty:
        return pd.DataFrame(columns=["Scenario", "Period", "Cell", "Family", "Output", "Unit",
                                     "Share", "Family share"])
    out = cells.groupby(["Scenario", "Period", "Output"], sort=False, as_index=False)[
        "Activity"].sum().rename(columns={"Output": "Cell", "Activity": "Output"})
    out.insert(3, "Family", [materials[c].family or c for c in out["Cell"]])
    out["Unit"] = [materials[c].unit for c in out["Cell"]]
    total = out.groupby(["Scenario", "Period"])["Output"].transform("sum")
    family = out.groupby(["Scenario", "Period", "Family"])["Output"].transform("sum")
    out["Share"] = (out["Output"] / total.where(total > ZERO)).astype(float)
    out["Family share"] = (family / total.where(total > ZERO)).astype(float)
    return out


def demand_by_material(result: PlanResult) -> pd.DataFrame:
    """Expected demand, served and unmet per material (quantities in its own unit)."""
    p = result.costs.drop_duplicates("Scenario").set_index("Scenario")["Probability"]
    weight = result.demand["Scenario"].map(p)
    table = result.demand[["Material", "Unit"]].assign(
        **{c: result.demand[c] * weight for c in ("Demand", "Served", "Unmet")})
    out = table.groupby(["Material", "Unit"], sort=False, as_index=False).sum()
    out["Served share"] = (out["Served"] / out["Demand"].where(out["Demand"] > ZERO)).astype(float)
    return out


def expected_by(frame: pd.DataFrame, probability: pd.Series, by: str | list[str],
                value: str) -> pd.Series:
    """``value`` of the rows of ``frame`` (a table with a Scenario column), weighted by their
    scenario's ``probability`` and summed by ``by``, in the order found."""
    weight = frame["Scenario"].map(probability).astype(float)
    keys = [frame[c] for c in ([by] if isinstance(by, str) else by)]
    return (frame[value].astype(float) * weight).groupby(keys, sort=False).sum()


def spend_by_country(result: PlanResult) -> pd.Series:
    """Spend on mined and contracted supply by the country of the source, expected over the
    scenarios and discounted like every other cost, largest first."""
    sourcing = result.sourcing
    if sourcing.empty:
        return pd.Series(dtype=float)
    discount = result.costs.groupby("Period")["Discount factor"].first()
    discounted = sourcing.assign(Cost=sourcing["Cost"] * sourcing["Period"].map(discount))
    return expected_by(discounted, result.probability, "Country", "Cost").sort_values(
        ascending=False)


def expected_cost(result: PlanResult) -> float:
    """Probability-weighted total cost (commitments plus recourse, discounted)."""
    return float((result.scenarios["Probability"] * result.scenarios["Total cost"]).sum())


def scenario_summary(result: PlanResult) -> pd.DataFrame:
    """One row per scenario: its costs (discounted), spot spend, unmet demand, the largest
    share of a material's demand left unmet in a period, and each cell family's share of
    the cell output over all periods."""
    costs = result.costs.pivot_table(index="Scenario", columns="Category",
                                     values="Discounted cost", aggfunc="sum", sort=False)
    out = result.scenarios.set_index("Scenario")
    out["Spot spend"] = costs["spot"]
    out["Unmet demand cost"] = costs["unmet demand"]
    short = result.demand.groupby(["Scenario", "Period", "Material"])[["Demand", "Unmet"]].sum()
    out["Largest unmet share"] = (short["Unmet"] / short["Demand"].where(short["Demand"] > ZERO)
                                  ).groupby("Scenario").max().fillna(0.0)
    mix = result.production_mix
    if not mix.empty:
        family = mix.pivot_table(index="Scenario", columns="Family", values="Output",
                                 aggfunc="sum", sort=False).fillna(0.0)
        total = family.sum(axis=1)
        for name in family.columns:
            out[f"{name} share"] = (family[name] / total.where(total > ZERO)).astype(float)
    return out.reset_index()


def unmet_by_material(result: PlanResult) -> pd.DataFrame:
    """Per scenario and material: demand, unmet quantity and its share, over all periods."""
    out = result.demand.groupby(["Scenario", "Material", "Unit"], sort=False, as_index=False)[
        ["Demand", "Unmet"]].sum()
    out["Unmet share"] = (out["Unmet"] / out["Demand"].where(out["Demand"] > ZERO)).astype(float)
    return out


def sourcing_shift(result: PlanResult) -> pd.DataFrame:
    """How much each source delivered over all periods in each scenario against the
    reference scenario (the first), where the two differ."""
    keys = ["Material", "Unit", "Country", "Site"]
    total = result.sourcing.groupby(["Scenario", *keys], sort=False, as_index=False)[
        "Quantity"].sum()
    reference = result.scenarios["Scenario"].iloc[0]
    base = total[total["Scenario"] == reference].drop(columns="Scenario").rename(
        columns={"Quantity": f"Quantity in {reference}"})
    out = total[total["Scenario"] != reference].merge(base, on=keys, how="left")
    out["Change"] = out["Quantity"] - out[f"Quantity in {reference}"]
    return out[out["Change"].abs() > ZERO].reset_index(drop=True)
