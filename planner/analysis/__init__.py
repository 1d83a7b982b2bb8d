"""Analyses of a solved plan: each takes the plan's data and a way to re-solve it, and
returns tables; the report lays them out."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


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
