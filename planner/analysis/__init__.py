"""Analyses of a solved plan: each takes the plan's data and a way to re-solve it, and
returns tables; the report lays them out."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


def money_text(value: float, currency: str) -> str:
    """``USD 1.23 bn``, ``USD 456.7 M``, ``USD 7,890``: money in a sentence."""
    if abs(value) >= 1e9:
        return f"{currency} {value / 1e9:,.2f} bn"
    if abs(value) >= 1e6:
        return f"{currency} {value / 1e6:,.1f} M"
    return f"{currency} {value:,.0f}"


@dataclass(frozen=True)
class Analyses:
    """What the analyses found for one plan; None where one did not run."""

    bottlenecks: object | None = None
    """:class:`planner.analysis.bottlenecks.Bottlenecks`: which stage binds."""
    option_values: pd.DataFrame | None = None
    """Each option forced in and out (:mod:`planner.analysis.options`)."""
    against_base: tuple[pd.DataFrame, list[str]] | None = None
    """Each scenario against the first: the table and a sentence per scenario."""
    exposure: object | None = None
    """:class:`planner.analysis.exposure.Exposure`: what each node's failure costs."""
    notes: tuple[str, ...] = ()
    """Analyses not computed, and why (Ctrl-C)."""
