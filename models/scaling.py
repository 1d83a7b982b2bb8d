"""Internal units: the plan in units chosen from its data, and back.

A workbook's numbers span many orders of magnitude: freight of 0.3 USD per t beside an
unmet-demand penalty of 2.5e8 USD per GWh, capacities of 4e6 t beside 30 GWh. Solved as
given, HiGHS works outside its tolerances (they are absolute, about 1e-7) and can reject
good plans or accept bad ones. So the model is built in internal units: a money unit
:math:`M = 10^{\\mu}` and, per material :math:`m`, a quantity unit :math:`Q_m = 10^{q_m}`
(per capacity group :math:`G` a unit :math:`10^{g_G}`), powers of ten so that no digit of
the data is lost. In those units a quantity :math:`x` of :math:`m` is :math:`x / Q_m`, a
price per unit of :math:`m` is :math:`c\\,Q_m / M`, a recipe's input :math:`a` of :math:`i`
per unit of :math:`o` is :math:`a\\,Q_o / Q_i` and a fixed cost is :math:`F / M`.

The exponents minimise the sum of squares of the decimal logarithms of every coefficient
the model will hold (objective, matrix, bounds and right-hand sides), then are rounded:
geometric scaling restricted to the data's own units. Among equally good choices the
least-squares solution of smallest norm is taken, so a plan already well scaled keeps its
units. The outputs of a conversion share one unit (the option moves capacity between
them), as do the inputs of nothing else.

:meth:`Scaling.apply` turns a :class:`~models.data.PlanData` into its internal-unit twin; the
model is built from that; every figure leaving the model is multiplied back by
:attr:`Scaling.money` or :meth:`Scaling.of` of its material.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from models.data import PlanData


@dataclass(frozen=True)
class Scaling:
    """Workbook units per internal unit: money, and quantity per material and group."""

    money: float = 1.0
    quantity: dict[str, float] = field(default_factory=dict)
    group: dict[str, float] = field(default_factory=dict)

    def of(self, material: str) -> float:
        """Workbook units of ``material`` per internal unit."""
        return self.quantity.get(material, 1.0)

    @classmethod
    def choose(cls, data: PlanData) -> Scaling:
        """Powers of ten that bring the plan's coefficients near 1 (see the module text)."""
        return _Fit(data).solve()

    def apply(self, data: PlanData) -> PlanData:
        """``data`` in internal units: the plan the model is built from."""
        M, Q = self.money, self.of
        output = {k.id: k.output for k in data.processes}
        group = {g.id: self.group.get(g.id, 1.0) for g in data.capacity_groups}

        def option_unit(o) -> float:
            return Q(_option_material(o, output))

        def cap(x: float | None, unit: float) -> float | None:
            return None if x is None else x / unit

        return replace(
            data,
            supplies=tuple(replace(r, capacity=r.capacity / Q(r.material),
                                   unit_cost=r.unit_cost * Q(r.material) / M)
                           for r in data.supplies),
            processes=tuple(replace(
                k, capacity=k.capacity / Q(k.output),
                variable_cost=k.variable_cost * Q(k.output) / M,
                recipe=tuple((i, a * Q(k.output) / Q(i)) for i, a in k.recipe))
                for k in data.processes),
            lanes=tuple(replace(x, unit_cost=x.unit_cost * Q(x.material) / M,
                                tariff=x.tariff * Q(x.material) / M,
                                capacity=cap(x.capacity, Q(x.material))) for x in data.lanes),
            demands=tuple(replace(r, quantity=r.quantity / Q(r.material),
                                  penalty=r.penalty * Q(r.material) / M) for r in data.demands),
            spot_offers=tuple(replace(r, price=r.price * Q(r.material) / M,
                                      maximum=cap(r.maximum, Q(r.material)))
                              for r in data.spot_offers),
            options=tuple(replace(o, capacity=o.capacity / option_unit(o),
                                  unit_cost=o.unit_cost * option_unit(o) / M,
                                  fixed_cost=o.fixed_cost / M) for o in data.options),
            capacity_groups=tuple(replace(
                g, capacity=g.capacity / group[g.id],
                members=tuple((k, use * Q(output[k]) / group[g.id]) for k, use in g.members))
                for g in data.capacity_groups),
            stocks=tuple(replace(x, maximum=x.maximum / Q(x.material),
                                 initial=x.initial / Q(x.material),
                                 end_minimum=x.end_minimum / Q(x.material),
                                 holding_cost=x.holding_cost * Q(x.material) / M)
                         for x in data.stocks),
        )


class _Fit:
    """The least-squares problem over the exponents: one row per coefficient of the model,
    ``log10|value| + sum(sign * exponent)``, whose squares are minimised."""

    def __init__(self, data: PlanData) -> None:
        self.data = data
        self.column: dict[tuple[str, str], int] = {("money", ""): 0}
        self.rows: list[tuple[float, list[tuple[int, float]]]] = []
        self._tied = _conversion_classes(data)

    def unknown(self, kind: str, name: str) -> int:
        key = (kind, self._tied.get(name, name) if kind == "quantity" else name)
        return self.column.setdefault(key, len(self.column))

    def add(self, value: float | None, *terms: tuple[str, str, float]) -> None:
        """A coefficient ``value`` that becomes ``value * prod(unit ** sign)`` in internal
        units, each term (kind, name, sign) naming a unit."""
        if value is None or value == 0 or not math.isfinite(value):
            return
        self.rows.append((math.log10(abs(value)),
                          [(self.unknown(kind, name), sign) for kind, name, sign in terms]))

    def price(self, value: float, material: str) -> None:
        self.add(value, ("quantity", material, 1.0), ("money", "", -1.0))

    def amount(self, value: float | None, material: str) -> None:
        self.add(value, ("quantity", material, -1.0))

    def solve(self) -> Scaling:
        d = self.data
        output = {k.id: k.output for k in d.processes}
        limits = [(r.capacity, r.unit_cost, r.material) for r in d.supplies] \
            + [(k.capacity, k.variable_cost, k.output) for k in d.processes] \
            + [(x.capacity, x.unit_cost + x.tariff, x.material) for x in d.lanes] \
            + [(r.quantity, r.penalty, r.material) for r in d.demands] \
            + [(r.maximum, r.price, r.material) for r in d.spot_offers] \
            + [(o.capacity, o.unit_cost, _option_material(o, output)) for o in d.options]
        for amount, price, material in limits:
            self.amount(amount, material)
            self.price(price, material)
        for k in d.processes:
            for i, a in k.recipe:
                self.add(a, ("quantity", k.output, 1.0), ("quantity", i, -1.0))
        for o in d.options:
            self.add(o.fixed_cost, ("money", "", -1.0))
        for g in d.capacity_groups:
            self.add(g.capacity, ("group", g.id, -1.0))
            for k, use in g.members:
                self.add(use, ("quantity", output[k], 1.0), ("group", g.id, -1.0))
        for x in d.stocks:
            for level in (x.maximum, x.initial, x.end_minimum):
                self.amount(level, x.material)
            self.price(x.holding_cost, x.material)
        if not self.rows:
            return Scaling()
        a = np.zeros((len(self.rows), len(self.column)))
        b = np.zeros(len(self.rows))
        for i, (log, terms) in enumerate(self.rows):
            b[i] = -log
            for j, sign in terms:
                a[i, j] += sign
        exponent = np.linalg.lstsq(a, b, rcond=None)[0]
        power = {key: 10.0 ** round(float(exponent[j])) for key, j in self.column.items()}
        return Scaling(
            money=power[("money", "")],
            quantity={m.id: power.get(("quantity", self._tied.get(m.id, m.id)), 1.0)
                      for m in d.materials},
            group={g.id: power.get(("group", g.id), 1.0) for g in d.capacity_groups})


def _option_material(option, output: dict[str, str]) -> str:
    """The material an option's capacity is counted in: its own (offtake, stock) or the
    output of the process it adds capacity to (expansion, conversion)."""
    return option.material if option.kind in ("offtake", "stock") else output[option.target]


def _conversion_classes(data: PlanData) -> dict[str, str]:
    """Material -> the material whose unit it shares: the outputs of the two processes of a
    conversion option must share one (the option's capacity is counted in both)."""
    output = {k.id: k.output for k in data.processes}
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for o in data.options:
        if o.kind == "conversion" and o.source is not None:
            a, b = root(output[o.target]), root(output[o.source])
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {x: root(x) for x in parent}



class ModelUnits:
    """The unit of every variable and constraint row of a model built from
    ``scaling.apply(data)``: what turns a value, a bound, a row's violation or a dual back
    into the workbook's units. Each row is in the unit of its material (a balance, a
    capacity, a policy share of a material), of its capacity group, or of money."""

    MONEY = "money"
    NONE = ""

    def __init__(self, data: PlanData, scaling: Scaling) -> None:
        option = {o.id: o for o in data.options}
        output = {k.id: k.output for k in data.processes}
        lane = {x.id: x.material for x in data.lanes}
        policy = {(p.id, p.period): p.material or output.get(p.process or "", "")
                  for p in data.policies}
        money, none = self.MONEY, self.NONE
        self.scaling = scaling
        self._key = {
            "v_supply": lambda k: k[3], "v_spot": lambda k: k[3],
            "v_unmet": lambda k: k[3], "v_stock": lambda k: k[3],
            "v_offtake": lambda k: option[k[2]].material,
            "v_activity": lambda k: output[k[2]], "v_flow": lambda k: lane[k[2]],
            "v_option": lambda k: none, "v_var": lambda k: money,
            "v_excess": lambda k: money,
            "c_balance": lambda k: k[3], "c_stock_capacity": lambda k: k[3],
            "c_stock_end": lambda k: k[3], "c_stress_cap": lambda k: k[2],
            "c_cover": lambda k: k[2],
            "c_offtake_capacity": lambda k: option[k[2]].material,
            "c_take_or_pay": lambda k: option[k[2]].material,
            "c_process_capacity": lambda k: output[k[2]],
            "c_option_lane": lambda k: lane[k[2]],
            "c_capacity_group": lambda k: ("group", k[2]),
            "c_policy": lambda k: policy[(k[2], k[1])],
            "c_exclusive": lambda k: none, "c_cvar": lambda k: money,
            "c_cvar_threshold": lambda k: money,
        }

    def key(self, component) -> str | tuple[str, str]:
        """What ``component`` (one variable or row) is measured in: a material, a capacity
        group ``("group", id)``, :attr:`MONEY` or :attr:`NONE` (a share of an option)."""
        index = component.index()  # the model has no sub-blocks: local names are whole
        return self._key[component.parent_component().local_name](
            index if isinstance(index, tuple) else (index,))

    def factor(self, key: str | tuple[str, str]) -> float:
        """Workbook units per internal unit of what :meth:`key` returned."""
        if key == self.MONEY:
            return self.scaling.money
        if key == self.NONE:
            return 1.0
        if isinstance(key, tuple):
            return self.scaling.group.get(key[1], 1.0)
        return self.scaling.of(key)

    def of(self, component) -> float:
        """Workbook units per internal unit of one variable or row."""
        return self.factor(self.key(component))
