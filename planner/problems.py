"""What validation finds: problems and warnings at their cells, and the checked tables.

Every check (:mod:`planner.validate`, :mod:`planner.sanity`, :mod:`planner.noops`,
:mod:`planner.limits`, :mod:`planner.serving`) records into one :class:`Validation`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NETWORK_SHEETS = ("Supply", "SpotMarket", "Processes", "Recipes", "Lanes", "Options", "Stocks")
"""Sheets that describe the network: while one has problems of its own, checks of the
network as a whole would only echo them."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the workbook, where it is, and how to fix it."""

    sheet: str
    cell: str
    what: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{where}: {self.what}; {self.fix}"


Row = dict[str, object]
"""A checked row: column field name -> typed value, plus ``_row`` (its row number)."""


@dataclass
class Validation:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)
    tables: dict[str, list[Row]] = field(default_factory=dict)
    letters: dict[str, dict[str, str]] = field(default_factory=dict)
    """sheet -> column field -> the letter of its column, for later messages."""
    absent: set[str] = field(default_factory=set)
    """Sheets that are missing, lack a required column or have no rows where they need
    some (each reported once): what refers to them is not checked."""
    missing: set[str] = field(default_factory=set)
    """Schema sheets the workbook does not have at all."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, sheet: str, cell: str, what: str, fix: str) -> None:
        self.problems.append(Problem(sheet, cell, what, fix))

    def warn(self, sheet: str, cell: str, what: str, fix: str) -> None:
        self.warnings.append(Problem(sheet, cell, what, fix))


def ref_of(v: Validation, sheet: str, row: Row, column: str) -> str:
    return f"{v.letters.get(sheet, {}).get(column, 'A')}{row['_row']}"


def countries(text: str | None) -> tuple[str, ...]:
    """The countries of a Policies row's Countries cell, separated by commas (or
    semicolons, as some spreadsheets' lists are)."""
    return tuple(c.strip() for c in re.split(r"[,;]", text or "") if c.strip())
