"""Each scenario against the base (the first): its total and cost categories, and the
one sentence a planner quotes ("the Jiangxi restart slipping costs USD 765 M, of which
spot 540 M")."""

from __future__ import annotations

import pandas as pd

from models.model import COST_CATEGORIES
from planner.analysis import money_text
from planner.results import PlanResult


def against_base(result: PlanResult, currency: str) -> tuple[pd.DataFrame, list[str]]:
    """Per scenario: total discounted cost and each category, minus the base scenario's;
    and a sentence per scenario naming its largest change."""
    costs = result.costs.pivot_table(index="Scenario", columns="Category",
                                     values="Discounted cost", aggfunc="sum", sort=False)
    costs = costs.reindex(columns=list(COST_CATEGORIES), fill_value=0.0).fillna(0.0)
    total = result.scenarios.set_index("Scenario")["Total cost"]
    order = list(result.scenarios["Scenario"])
    base = order[0]
    change = costs.loc[order].sub(costs.loc[base], axis=1)
    table = change.rename(columns=lambda c: f"{c.capitalize()} against base")
    table.insert(0, "Total cost against base", total.loc[order] - total.loc[base])
    table.insert(0, "Total cost", total.loc[order])
    spot = result.spot.groupby(["Scenario", "Material"])["Cost"].sum() if len(result.spot) \
        else pd.Series(dtype=float)
    lines = []
    for s in order[1:]:
        moved = change.loc[s]
        largest = moved.abs().idxmax()
        part = f"{largest} {money_text(moved[largest], currency)}"
        if largest == "spot" and len(spot):
            by_material = spot.get(s, pd.Series(dtype=float)).sub(
                spot.get(base, pd.Series(dtype=float)), fill_value=0.0)
            if len(by_material):
                part += f" (most of it {by_material.abs().idxmax()})"
        difference = total[s] - total[base]
        verb = "costs" if difference >= 0 else "saves"
        lines.append(f"{s} {verb} {money_text(abs(difference), currency)} against {base}; "
                     f"the largest change is {part}.")
    return table.reset_index(), lines
