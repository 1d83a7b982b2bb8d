"""The runner of independent re-solves: results in order, in-process or in workers, and
Ctrl-C (or a result that says it was stopped) stops everything at once; an interrupted
analysis leaves the plan and a note."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import planner.pipeline
import planner.runner
from conftest import write_plan
from planner.pipeline import expose, solve_workbook
from planner.runner import run_all, set_workers
from test_insight import options_chain


def start(offset: int) -> dict:
    return {"offset": offset, "pid": os.getpid()}


def square(state: dict, x: int) -> tuple[int, int]:
    return x * x + state["offset"], state["pid"]


def slow(state: dict, x: int) -> int:
    time.sleep(0.5)
    return os.getpid()


@pytest.fixture
def pooled(monkeypatch):
    """Workers whatever the tasks' time (starting them costs nothing, by this fixture)."""
    monkeypatch.setattr(planner.runner, "WORKER_SPAWN", -math.inf)


@pytest.mark.parametrize("workers", [1, 2])
def test_results_come_back_in_order(workers, pooled):
    progress = []
    out = run_all(square, list(range(40)), start=start, start_args=(1,), workers=workers,
                  on_done=lambda done, total: progress.append((done, total)))
    assert [v for v, _ in out] == [x * x + 1 for x in range(40)]
    assert progress[-1] == (40, 40) and len(progress) == 40
    pids = [pid for _, pid in out]
    assert pids[0] == os.getpid()  # the first task, timed here
    assert (set(pids) == {os.getpid()}) if workers == 1 else (os.getpid() not in pids[1:])


def test_quick_tasks_run_here_and_slow_ones_on_the_workers():
    """40 tasks of microseconds save less than starting a worker costs (WORKER_SPAWN): they
    all run here; 10 of half a second each (2.25 s saved on 2 workers) go to the workers."""
    assert {pid for _, pid in run_all(square, list(range(40)), start=start, start_args=(0,),
                                      workers=2)} == {os.getpid()}
    pids = run_all(slow, list(range(10)), start=start, start_args=(0,), workers=2)
    assert pids[0] == os.getpid() and os.getpid() not in pids[1:]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stopped_result_stops_the_rest(workers, pooled):
    with pytest.raises(KeyboardInterrupt):
        run_all(square, list(range(200)), start=start, start_args=(0,), workers=workers,
                stop=lambda result: result[0] == 9)


def test_an_interrupted_analysis_leaves_the_plan_and_a_note(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(planner.pipeline, "option_values", interrupted)
    rows = options_chain()
    rows["Scenarios"] = [{"Scenario": "base", "Probability": 0.5},
                         {"Scenario": "other", "Probability": 0.5}]
    run = planner.pipeline.solve_workbook(write_plan(tmp_path / "plan.xlsx", rows))
    assert run.solved.status.label == "optimal" and run.result is not None
    assert run.analyses.option_values is None and run.information is None
    assert run.analyses.notes == (
        "Option values: not computed, interrupted (Ctrl-C)",
        "Value of information: not computed, an earlier analysis was interrupted (Ctrl-C)")
    assert run.analyses.bottlenecks is not None


def fails(_: int) -> dict:
    raise ValueError("no licence")


def test_a_start_that_fails_is_its_error_not_a_hang(pooled):
    with pytest.raises(ValueError, match="no licence"):
        run_all(square, list(range(20)), start=fails, start_args=(0,), workers=2)


def test_a_script_without_a_main_guard_still_runs(tmp_path):
    """Workers of an unguarded script run it again and die: the tasks then run in-process."""
    script = tmp_path / "unguarded.py"
    script.write_text("import planner.runner\n"
                      "planner.runner.WORKER_SPAWN = -float('inf')\n"
                      "print(sum(planner.runner.run_all(max, list(range(40)), start=int, "
                      "start_args=(0,), workers=2)))\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(sum(range(40)))


def test_two_workers_give_the_serial_figures(pooled):
    """`--workers 1` and `--workers 2`: the example's value of information (wait-and-see
    per scenario), option values and exposure are the same, to the solver's tolerance."""
    example = Path(__file__).resolve().parent.parent / "inputs" / "example.xlsx"
    runs = []
    try:
        for workers in (1, 2):
            set_workers(workers)
            runs.append(expose(solve_workbook(example)))
    finally:
        set_workers(None)
    serial, parallel = runs
    for a, b in zip(serial.information.measures, parallel.information.measures):
        assert a.name == b.name and a.value == pytest.approx(b.value, rel=1e-6), (a, b)
    assert [n for n, _ in serial.information.solves] == \
        [n for n, _ in parallel.information.solves]
    assert serial.analyses.option_values.equals(parallel.analyses.option_values) or \
        serial.analyses.option_values.select_dtypes("number").sub(
            parallel.analyses.option_values.select_dtypes("number")).abs().max().max() \
        <= 1e-6 * serial.solved.objective
    # nodes of equal extra cost may rank in either order: compared node by node
    ranked = [e.analyses.exposure.ranked.drop(columns="Rank").set_index(["Kind", "Node"])
              .sort_index() for e in runs]
    assert ranked[0].index.equals(ranked[1].index) and len(ranked[0]) > 10
    numbers = [r.select_dtypes("number").to_numpy() for r in ranked]
    assert numbers[0] == pytest.approx(numbers[1], rel=1e-6, abs=1e-3, nan_ok=True)
    assert serial.analyses.exposure.headline == parallel.analyses.exposure.headline
