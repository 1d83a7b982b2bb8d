"""Two result workbooks side by side: ``plan compare A.xlsx B.xlsx``.

Each result is read back from the sheets the planner wrote (Details, Decisions, Scenarios,
Production mix, Sourcing, Risk, and Bottlenecks where it has one), and each comparison is a
table with a column for A, one for B and their difference: cost by category, the cell
families' output, supply spend by country, the options taken, the risk figures and the
stages' value of 10% more capacity. Two workbooks that are not results of this planner, or
whose layouts differ, are refused with a message naming what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.results import expected_by
from planner.workbook import InputFileError, open_values

NEEDED = {"Details": "Cost category", "Decisions": "Option", "Scenarios": "Scenario",
          "Production mix": "Scenario", "Sourcing": "Scenario", "Risk": "Measure",
          "Costs": "Scenario"}
"""Sheet -> the first header of the table read from it."""


class CompareError(ValueError):
    """The two workbooks cannot be compared; the message says why."""


@dataclass(frozen=True)
class Result:
    """The tables of one result workbook that a comparison reads."""

    name: str
    tables: dict[str, pd.DataFrame]
    stages: pd.DataFrame | None


def _table(rows: list[tuple], header: str) -> pd.DataFrame | None:
    """The table whose header row starts with ``header``, down to its first blank row."""
    for k, row in enumerate(rows):
        if row and row[0] == header:
            columns = [c for c in row if c is not None]
            body = []
            for r in rows[k + 1:]:
                if not r or r[0] is None:
                    break
                body.append(list(r[:len(columns)]) + [None] * (len(columns) - len(r)))
            return pd.DataFrame(body, columns=columns)
    return None


def read_result(path: Path) -> Result:
    """The tables of the result workbook at ``path``; raises :class:`CompareError`."""
    try:
        wb = open_values(path)
    except InputFileError as exc:
        raise CompareError(str(exc)) from exc
    try:
        tables, missing = {}, []
        for sheet, header in NEEDED.items():
            found = _table(list(wb[sheet].iter_rows(values_only=True)), header) \
                if sheet in wb.sheetnames else None
            if found is None:
                missing.append(f"{sheet} (a table headed {header!r})")
            else:
                tables[sheet] = found
        stages = _table(list(wb["Bottlenecks"].iter_rows(values_only=True)), "Stage") \
            if "Bottlenecks" in wb.sheetnames else None
    finally:
        wb.close()
    if missing:
        raise CompareError(f"{path}: not a result of plan solve, or of another layout: no "
                           f"{'; no '.join(missing)}; solve the input again and compare the "
                           "new results")
    return Result(path.name, tables, stages)


def _side_by_side(name: str, a: pd.Series, b: pd.Series, labels: tuple[str, str]) -> pd.DataFrame:
    table = pd.concat([a.rename(labels[0]), b.rename(labels[1])], axis=1).fillna(0.0)
    table["B - A"] = table[labels[1]] - table[labels[0]]
    return table.rename_axis(name).reset_index()


def compare(a: Result, b: Result) -> list[tuple[str, pd.DataFrame]]:
    """(title, table) of each comparison, A beside B with their difference."""
    labels = (f"A: {a.name}", f"B: {b.name}")
    if labels[0] == labels[1]:
        labels = ("A", "B")
    out = []

    def both(title: str, key: str, pick) -> None:
        out.append((title, _side_by_side(key, pick(a), pick(b), labels)))

    def costs(r: Result) -> pd.Series:
        t = r.tables["Details"].set_index("Cost category")
        return t[next(c for c in t.columns if str(c).startswith("Discounted"))].astype(float)

    def probability(r: Result) -> pd.Series:
        return r.tables["Scenarios"].set_index("Scenario")["Probability"].astype(float)

    both("Cost by category (discounted)", "Cost category", costs)
    both("Cell output by family (expected, over the horizon)", "Family",
         lambda r: expected_by(r.tables["Production mix"], probability(r), "Family", "Output"))
    def spend(r: Result) -> pd.Series:
        sourcing = r.tables["Sourcing"]
        discount = r.tables["Costs"].groupby("Period")["Discount factor"].first()
        return expected_by(sourcing.assign(Cost=sourcing["Cost"].astype(float)
                                         * sourcing["Period"].map(discount).astype(float)),
                         probability(r), "Country", "Cost")

    both("Supply spend by country (expected, discounted)", "Country", spend)
    both("Options taken (share)", "Option",
         lambda r: r.tables["Decisions"].set_index("Option")["Taken"].astype(float))
    both("Risk figures", "Measure", lambda r: pd.to_numeric(
        r.tables["Risk"].set_index("Measure")["Value"], errors="coerce"))
    if a.stages is not None and b.stages is not None:
        column = "Dual estimate of 10% more of every capacity"
        both("What 10% more capacity of each stage would save (dual estimate)", "Stage",
             lambda r: r.stages.set_index("Stage")[column].astype(float))
    return out
