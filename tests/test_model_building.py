"""Every valid workbook builds a model: no row without a variable, and a failure to build
is a result that says so, never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import planner.pipeline
from conftest import materials, periods, sites, write_plan
from planner.cli import main
from planner.pipeline import solve_workbook


def late_offtake() -> dict[str, list[dict]]:
    """An offtake at mine B from 2027, and B has no lane: in 2026 nothing can appear at B,
    so its balance has no variable (it was ``0 == 0``, which Pyomo refuses to build)."""
    return {
        "Periods": periods("2026", "2027"),
        "Materials": materials(("Ore", "t", "ore")),
        "Sites": sites(("A", "mine", "X"), ("B", "mine", "X"), ("M", "market", "X")),
        "Supply": [{"Site": "A", "Material": "Ore", "Period": "all", "Capacity": 10,
                    "Unit cost": 5}],
        "Lanes": [{"Lane": "A-M", "From": "A", "To": "M", "Material": "Ore", "Cost": 1}],
        "Demand": [{"Site": "M", "Material": "Ore", "Period": t, "Quantity": 5,
                    "Penalty": 100} for t in ("2026", "2027")],
        "Options": [{"Option": "B offtake", "Kind": "offtake", "Target": "B",
                     "Material": "Ore", "Capacity": 5, "Unit cost": 1, "Fixed cost": 1,
                     "Earliest period": "2027"}],
    }


def test_a_node_with_nothing_to_balance_builds_and_solves(tmp_path):
    run = solve_workbook(write_plan(tmp_path / "late.xlsx", late_offtake()))
    assert run.solved.status.label == "optimal"
    # A's 5 t a period at 5 + 1 freight; the offtake, which could only pile up at B, is left
    assert run.solved.objective == pytest.approx(60)
    assert ("base", "2026", "B", "Ore") not in run.plan.model.c_balance


def test_a_model_that_cannot_be_built_is_a_result(tmp_path, monkeypatch):
    def broken(*args):
        raise ValueError("a row the planner cannot write")

    monkeypatch.setattr(planner.pipeline, "build", broken)
    source = write_plan(tmp_path / "plan.xlsx", late_offtake())
    result = CliRunner().invoke(main, ["solve", "-q", str(source), "-o",
                                       str(tmp_path / "out.xlsx")])
    assert result.exit_code == 9, result.output
    assert "the model could not be built (ValueError: a row the planner cannot write)" \
        in result.output
    assert "✗ Building the model" in result.output
    assert (tmp_path / "out.xlsx").exists()
