"""Progressive hedging (``plan solve --engine ph``): the identity it rests on, the bound it
puts on the CVaR threshold, and its plans against the extensive form's, on 1 and 3 MPI ranks
(``mpiexec``; run as CI runs it, with OpenMPI and the ``mpi`` extra installed)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import openpyxl
import pyomo.environ as pyo
import pytest

from conftest import solve_plan, write_plan
from independent_check import check
from models.data import Risk
from models.scaling import Scaling
from planner.analysis.risk import risk_value
from planner.convert import to_plan_data
from planner.engine import solve_plan as solve_data
from planner.engines.ph import threshold_bound
from planner.pipeline import check_workbook
from test_risk import CVAR, spot_hedge

EXAMPLE = Path(__file__).parents[1] / "inputs" / "example.xlsx"
MPI = shutil.which("mpiexec") is not None and all(
    importlib.util.find_spec(m) for m in ("mpi4py", "mpisppy"))
needs_mpi = pytest.mark.skipif(not MPI, reason="needs OpenMPI and pip install -e '.[mpi]'")
MPI_ENV = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
"""CI runs as root, which OpenMPI refuses unless told."""


def on_ranks(ranks: int, *arguments: str) -> list[str]:
    """``python -m planner ARGUMENTS``, under ``mpiexec -n RANKS`` (oversubscribed) if more
    than one."""
    command = [sys.executable, "-m", "planner", *arguments]
    if ranks == 1:
        return command
    return ["mpiexec", "--oversubscribe", "--mca", "osc", "sm", "-n", str(ranks), *command]


def example_data():
    return to_plan_data(check_workbook(EXAMPLE))


@pytest.mark.parametrize("risk", [Risk(), Risk("cvar", 0.5, 0.8)])
@pytest.mark.parametrize("taken", ["nothing", "the optimum's", "more than the optimum's"])
def test_the_extensive_form_with_its_first_stage_fixed_is_the_scenarios_solved_alone(risk,
                                                                                     taken):
    """The identity progressive hedging relies on: with the options fixed, the stochastic
    plan splits into one plan per scenario. Its objective is the risk measure (for the
    expected cost, the probability-weighted sum) of their costs, and it is infeasible
    exactly when one of them is (taking nothing leaves the Jiangxi slip short)."""
    data = replace(example_data(), risk=risk)
    scaling = Scaling.choose(data)
    optimum = solve_data(data, scaling, time_limit=60, mip_gap=1e-6).model
    fixed = {o.id: pyo.value(optimum.v_option[o.id]) for o in data.options}
    if taken == "nothing":
        fixed = dict.fromkeys(fixed, 0.0)
    elif taken == "more than the optimum's":  # the continuous ones halfway to whole
        fixed = {o.id: fixed[o.id] if o.binary else (1 + fixed[o.id]) / 2 for o in data.options}
    settings = dict(time_limit=60, mip_gap=1e-9, fixed=fixed)
    whole = solve_data(data, scaling, **settings).result
    alone = [solve_data(data.only(s.id), scaling, **settings).result for s in data.scenarios]
    infeasible = [r.status.label == "infeasible" for r in alone]
    assert (whole.status.label == "infeasible") == any(infeasible)
    assert (taken == "nothing") == any(infeasible)
    if not any(infeasible):
        assert {r.status.label for r in [whole, *alone]} == {"optimal"}
        combined = risk_value(risk, [r.objective for r in alone],
                              [s.probability for s in data.scenarios])
        assert whole.objective == pytest.approx(combined, rel=1e-7)


class OneRank:
    """The part of an MPI communicator :func:`threshold_bound` uses, for one rank."""

    rank, size = 0, 1

    def bcast(self, value, root=0):
        return value

    def allgather(self, value):
        return [value]


@pytest.mark.parametrize("weight, level", [(0.5, 0.8), (1.0, 0.9), (0.2, 0.5)])
def test_the_threshold_bound_holds_the_optimal_threshold(weight, level):
    """Every scenario's copy of eta gets the bound; the extensive form's optimal eta (its
    own bound couples the scenarios) lies below it."""
    data = replace(example_data(), risk=Risk("cvar", weight, level))
    scaling = Scaling.choose(data)
    bound = threshold_bound(data, scaling, OneRank(), time_limit=60, mip_gap=1e-6,
                            options=None)
    optimum = solve_data(data, scaling, time_limit=60, mip_gap=1e-6)
    assert optimum.result.status.label == "optimal"
    assert 0 <= pyo.value(optimum.model.v_var) <= bound * (1 + 1e-9)


def two_contracts() -> dict:
    """The spot hedge (fee 200) with a second contract C (10 t at 9, fee 60) and a third
    scenario in which B's mine strikes and delivers nothing."""
    plan = spot_hedge(200)
    plan["Sites"] = plan["Sites"] + [{"Site": "C", "Kind": "mine", "Country": "Chile"}]
    plan["Lanes"] = plan["Lanes"] + [{"Lane": "C-M", "From": "C", "To": "M",
                                      "Material": "Ore", "Cost": 0}]
    plan["Options"] = plan["Options"] + [{
        "Option": "contract C", "Kind": "offtake", "Target": "C", "Material": "Ore",
        "Capacity": 10, "Unit cost": 9, "Fixed cost": 60}]
    plan["Scenarios"] = [{"Scenario": "normal", "Probability": 0.5},
                         {"Scenario": "outage", "Probability": 0.3, "Kind": "stress"},
                         {"Scenario": "strike", "Probability": 0.2, "Kind": "stress"}]
    plan["Disruptions"] = plan["Disruptions"] + [
        {"Scenario": "strike", "Scope": "supply", "Target": "B", "Availability": 0},
        {"Scenario": "strike", "Scope": "supply", "Target": "A", "Availability": 0.5}]
    return plan


def hedged(tmp_path: Path, rows: dict, settings: dict, ranks: int) -> tuple[Path, Path, str]:
    """``plan solve --engine ph`` on ``ranks`` ranks: the input, the result, the output."""
    source = write_plan(tmp_path / "plan.xlsx", rows, {"MIP gap": 1e-6, **settings})
    result = tmp_path / f"ph-{ranks}.xlsx"
    folder = tmp_path / f"working-{ranks}"
    folder.mkdir()
    done = subprocess.run(on_ranks(ranks, "solve", str(source), "--engine", "ph", "-o",
                                   str(result)), capture_output=True, text=True, env=MPI_ENV,
                          timeout=600, cwd=folder)
    output = done.stdout + done.stderr
    assert done.returncode in (0, 8), output
    assert list(folder.iterdir()) == [], "nothing is left in the working folder"
    return source, result, output


def details(result: Path) -> dict[str, object]:
    ws = openpyxl.load_workbook(result, read_only=True)["Details"]
    return {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row and row[0]}


@needs_mpi
@pytest.mark.parametrize("ranks", [1, 3])
@pytest.mark.parametrize("rows, settings, optimum", [
    (spot_hedge(200), {}, 265.0),
    (spot_hedge(350), {**CVAR, "Risk weight": 0.5}, 422.5),
], ids=["expected cost, by hand", "CVaR, by hand"])
def test_progressive_hedging_reaches_the_optimum_worked_out_by_hand(tmp_path, ranks, rows,
                                                                    settings, optimum):
    """The spot hedge of test_risk: the contract signed at an objective of 265 (expected
    cost, fee 200) and 422.5 (CVaR at 50%, weight 0.5, fee 350)."""
    source, result, output = hedged(tmp_path, rows, settings, ranks)
    got = details(result)
    assert got["Objective value (discounted, USD)"] == pytest.approx(optimum, rel=1e-6)
    assert got["Best bound"] <= optimum * (1 + 1e-9)
    assert f"on {ranks} MPI rank" in got["Solver"]
    assert check(source, result) == [], output


@needs_mpi
@pytest.mark.parametrize("settings", [{}, {**CVAR, "Risk weight": 0.7}],
                         ids=["expected cost", "CVaR"])
def test_progressive_hedging_on_three_ranks_meets_the_extensive_form(tmp_path, settings):
    """Three scenarios, two binary contracts: the plan is within its reported gap of the
    extensive form's optimum, and its bound is not above it."""
    rows = two_contracts()
    ef = solve_plan(tmp_path, rows, {"MIP gap": 1e-6, **settings}, name="ef.xlsx")
    source, result, output = hedged(tmp_path, rows, settings, 3)
    got = details(result)
    objective, bound, gap = (got[k] for k in ("Objective value (discounted, USD)",
                                              "Best bound", "Gap"))
    best = ef.solved.objective
    assert bound <= best * (1 + 1e-9), output
    assert objective - best <= gap * abs(objective) + 1e-6 * abs(best), output
    assert check(source, result) == [], output


@needs_mpi
def test_a_rank_count_progressive_hedging_cannot_split_is_refused(tmp_path):
    source = write_plan(tmp_path / "plan.xlsx", spot_hedge(200))
    done = subprocess.run(on_ranks(4, "solve", str(source), "--engine", "ph"),
                          capture_output=True, text=True, env=MPI_ENV, timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "multiple of 3 ranks" in done.stdout + done.stderr
    assert not (tmp_path / "plan-result.xlsx").exists()
