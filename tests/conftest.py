"""Shared helpers: small workbooks written through the real template, solved end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.pipeline import Run, solve_workbook
from planner.template import write_template


def write_plan(path: Path, rows: dict[str, list[dict]], settings: dict | None = None) -> Path:
    """An input workbook with ``rows[sheet]`` (dicts keyed by column name)."""
    write_template(path, rows=rows, settings=settings or {})
    return path


def solve_plan(tmp_path: Path, rows: dict[str, list[dict]], settings: dict | None = None,
               name: str = "plan.xlsx") -> Run:
    run = solve_workbook(write_plan(tmp_path / name, rows, settings))
    assert run.validation.ok, [str(p) for p in run.validation.problems]
    assert run.solved is not None and run.solved.status.label == "optimal", run.solved
    return run


def periods(*names: str) -> list[dict]:
    return [{"Period": n} for n in names]


def sites(*rows: tuple[str, str, str]) -> list[dict]:
    return [{"Site": s, "Kind": k, "Country": c} for s, k, c in rows]


def materials(*rows: tuple[str, str, str]) -> list[dict]:
    return [{"Material": m, "Unit": u, "Kind": k} for m, u, k in rows]


@pytest.fixture
def two_mines() -> dict[str, list[dict]]:
    """Mines A (10 t at 5) and B (20 t at 7), freight 1 each, 25 t demanded at market M."""
    return {
        "Periods": periods("2026"),
        "Materials": materials(("Ore", "t", "ore")),
        "Sites": sites(("A", "mine", "Australia"), ("B", "mine", "Chile"),
                       ("M", "market", "China")),
        "Supply": [
            {"Site": "A", "Material": "Ore", "Period": "all", "Capacity": 10, "Unit cost": 5},
            {"Site": "B", "Material": "Ore", "Period": "all", "Capacity": 20, "Unit cost": 7},
        ],
        "Lanes": [
            {"Lane": "A-M", "From": "A", "To": "M", "Material": "Ore", "Cost": 1},
            {"Lane": "B-M", "From": "B", "To": "M", "Material": "Ore", "Cost": 1},
        ],
        "Demand": [{"Site": "M", "Material": "Ore", "Period": "2026", "Quantity": 25,
                    "Penalty": 1000}],
    }


def plain_formulation(model, lane_links: bool = True):
    """``model`` without the tighter formulation's extras: the cover rows deactivated, every
    lane-linked offtake's capacity a row with its option again (its bound lifted), and, with
    ``lane_links`` false, the lane-by-lane offtake bounds deactivated too."""
    import pyomo.environ as pyo

    model.c_cover.deactivate()
    if not lane_links:
        model.c_option_lane.deactivate()
    linked = [key for key in model.offtake_keys if key not in model.c_offtake_capacity]
    capacity = {key: model.v_offtake[key].ub for key in linked}
    for key in linked:
        model.v_offtake[key].setub(None)
    model.c_linked_offtake = pyo.Constraint(linked, rule=lambda _, *key: model.v_offtake[key]
                                            <= capacity[key] * model.v_option[key[2]])
    return model
