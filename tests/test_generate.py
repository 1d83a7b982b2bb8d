"""`plan generate`: synthetic workbooks that validate without a warning and solve, the
same for the same seed."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest
from click.testing import CliRunner

from models.scaling import Scaling
from planner.cli import main
from planner.convert import to_plan_data
from planner.engine import build
from planner.generate import Size, generate, write
from planner.pipeline import check_workbook, solve_workbook

SMALL = Size(mines=8, refineries=2, plants=2, markets=2, periods=3, options=8, scenarios=4)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_generated_workbook_is_valid_and_solves(tmp_path, seed):
    path = tmp_path / "generated.xlsx"
    write(path, SMALL, seed)
    run = solve_workbook(path)
    assert run.validation.ok and run.validation.warnings == [], \
        [str(p) for p in run.validation.problems + run.validation.warnings]
    assert run.solved.status.label == "optimal" and run.plan.check.ok
    kinds = {o.kind for o in run.data.options}
    assert kinds == {"offtake", "expansion", "conversion", "stock"}
    assert len(run.data.scenarios) == SMALL.scenarios


def test_the_same_seed_gives_the_same_workbook():
    assert generate(SMALL, 7) == generate(SMALL, 7)
    assert generate(SMALL, 7) != generate(SMALL, 8)


def test_one_scenario_and_no_options_is_a_deterministic_plan(tmp_path):
    path = tmp_path / "plain.xlsx"
    write(path, Size(mines=4, refineries=1, plants=1, markets=1, periods=2, options=0,
                     scenarios=1))
    run = solve_workbook(path)
    assert run.validation.warnings == [] and run.solved.status.label == "optimal"
    assert len(run.data.scenarios) == 1 and not run.data.options


def test_the_default_is_a_medium_case(tmp_path):
    """About 50k variables and 10 scenarios (the issue's medium case)."""
    path = tmp_path / "medium.xlsx"
    write(path)
    v = check_workbook(path)
    assert v.ok and v.warnings == []
    data = to_plan_data(v)
    model = build(data, Scaling.choose(data))
    variables = sum(len(x) for x in model.component_objects(pyo.Var, active=True))
    assert 40_000 <= variables <= 60_000 and len(data.scenarios) == 10


def test_the_command_writes_and_never_overwrites_without_force(tmp_path):
    path = tmp_path / "g.xlsx"
    args = ["generate", str(path), "--mines", "4", "--refineries", "1", "--plants", "1",
            "--markets", "1", "--options", "4", "--scenarios", "2"]
    assert CliRunner().invoke(main, args).exit_code == 0 and path.exists()
    before = path.read_bytes()
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 4 and "already exists" in again.output
    assert path.read_bytes() == before
    assert CliRunner().invoke(main, [*args, "--force", "--seed", "2"]).exit_code == 0
