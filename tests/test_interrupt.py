"""Ctrl-C and the other solver outcomes: each is a status with a clear exit code.

The interrupt tests send a real SIGINT to this process while ``plan solve`` runs a
facility-location MIP that HiGHS needs several seconds to prove optimal. A guard handler
is installed around them, so a stray signal can never stop the test session.
"""

from __future__ import annotations

import os
import random
import signal
import threading
from pathlib import Path

import highspy
import openpyxl
import pytest
from highspy import HighsModelStatus as M

import planner.terminal
import planner.solve
from conftest import write_plan
from orlib import Instance, write_workbook
from planner.pipeline import solve_workbook
from planner.solve import Status, status_of
from test_cli import RESULT_SHEETS, plan


@pytest.mark.parametrize("model_status, has_plan, ctrl_c, status", [
    (M.kOptimal, True, False, Status.OPTIMAL),
    (M.kModelEmpty, True, False, Status.OPTIMAL),
    (M.kTimeLimit, True, False, Status.FEASIBLE),
    (M.kTimeLimit, False, False, Status.NO_SOLUTION),
    (M.kIterationLimit, False, False, Status.NO_SOLUTION),
    (M.kInfeasible, False, False, Status.INFEASIBLE),
    (M.kUnboundedOrInfeasible, False, False, Status.INFEASIBLE),
    (M.kUnbounded, False, False, Status.UNBOUNDED),
    (M.kUnbounded, True, False, Status.UNBOUNDED),  # a feasible point, no plan
    (M.kSolveError, False, False, Status.ERROR),
    (M.kUnknown, False, False, Status.ERROR),
    (M.kUnknown, True, False, Status.FEASIBLE),
    (M.kUnknown, True, True, Status.INTERRUPTED),
    (M.kUnknown, False, True, Status.INTERRUPTED_NO_PLAN),
    (M.kInterrupt, True, False, Status.INTERRUPTED),
    (M.kInterrupt, False, False, Status.INTERRUPTED_NO_PLAN),
    (M.kTimeLimit, True, True, Status.FEASIBLE),  # the time limit came first
    (M.kOptimal, True, True, Status.OPTIMAL),
])
def test_every_outcome_has_a_status(model_status, has_plan, ctrl_c, status):
    assert status_of(model_status, has_plan, ctrl_c)[0] is status


def test_a_solver_error_suggests_what_to_look_at():
    status, message = status_of(M.kSolveError, False)
    assert status is Status.ERROR
    assert message.startswith("the solver reported 'SolveError': often numerical trouble")
    assert "without -q" in message


def test_exit_codes():
    codes = {s: s.exit_code for s in Status}
    assert codes[Status.INTERRUPTED] == codes[Status.INTERRUPTED_NO_PLAN] == 130
    assert Status.INTERRUPTED.has_plan and not Status.INTERRUPTED_NO_PLAN.has_plan
    assert len({s.label for s in Status}) == len(Status)


# --------------------------------------------------------------------------- real Ctrl-C

def facility_location(seed: int = 1, m: int = 40, n: int = 150) -> Instance:
    """Random capacitated facility location: a first plan at once, optimality in seconds."""
    rng = random.Random(seed)
    sites = [(rng.random(), rng.random()) for _ in range(m)]
    customers = [(rng.random(), rng.random()) for _ in range(n)]
    demands = [rng.randint(5, 35) for _ in range(n)]
    mean = 1.5 * sum(demands) / m
    capacities = [round(rng.uniform(0.5, 1.5) * mean) for _ in range(m)]
    fixed = [rng.uniform(3000, 6000) for _ in range(m)]
    costs = [tuple(200 * demands[j] * ((sx - cx) ** 2 + (sy - cy) ** 2) ** 0.5
                   for sx, sy in sites) for j, (cx, cy) in enumerate(customers)]
    return Instance("random", tuple(capacities), tuple(fixed), tuple(demands), tuple(costs))


@pytest.fixture(scope="module")
def slow_mip(tmp_path_factory) -> Path:
    return write_workbook(tmp_path_factory.mktemp("mip") / "mip.xlsx", facility_location(),
                          mip_gap=0.0, time_limit=60.0)


@pytest.fixture
def guard():
    """SIGINTs that reach no solve are counted here instead of ending the session."""
    stray: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda *_: stray.append(1))
    yield stray
    signal.signal(signal.SIGINT, previous)


def ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def has_incumbent(line: str) -> bool:
    """A branch-and-bound log row whose BestSol column is a number."""
    words = line.split()
    pct = next((i for i, w in enumerate(words) if w.endswith("%")), None)
    if pct is None or len(words) < pct + 3:
        return False
    try:
        return float(words[pct + 2]) < float("inf")
    except ValueError:
        return False


def summary(path: Path) -> dict[str, object]:
    ws = openpyxl.load_workbook(path)["Details"]
    return {r[0]: r[1] for r in ws.iter_rows(min_row=4, max_col=2, values_only=True) if r[0]}


def test_ctrl_c_keeps_the_best_plan_so_far(tmp_path, monkeypatch, slow_mip, guard):
    sent = threading.Event()
    original = planner.terminal.Terminal.solver_line

    def solver_line(term, line):  # runs in HiGHS's logging callback, as HiGHS writes
        original(term, line)
        if not sent.is_set() and has_incumbent(line):
            sent.set()
            ctrl_c()

    monkeypatch.setattr(planner.terminal.Terminal, "solver_line", solver_line)
    out = tmp_path / "out.xlsx"
    result = plan("solve", slow_mip, "-o", out, "--mip-gap", "0")
    assert sent.is_set() and not guard
    assert result.exit_code == 130, result.output
    assert "Interrupted by user" in result.output  # HiGHS's own report
    assert "interrupted: the solver was stopped (Ctrl-C); the best plan found so far is " \
           "reported; expected cost" in result.output
    assert "of the best bound" in result.output
    facts = summary(out)
    assert facts["Status"] == "interrupted"
    assert facts["Expected total cost (discounted, USD)"] > 0
    assert 0 < facts["Gap"] < 1
    wb = openpyxl.load_workbook(out)
    # an interrupted plan is not optimal: no analyses (Bottlenecks) are made of it
    assert wb.sheetnames == [s for s in RESULT_SHEETS if not s.startswith("Bottlenecks")]
    assert wb["Flows"].max_row > 1


def test_ctrl_c_before_any_plan_writes_nothing(tmp_path, monkeypatch, slow_mip, guard):
    """Ctrl-C the moment HiGHS starts: it stops at its first check, before any plan."""
    run = highspy.Highs.run

    def run_after_ctrl_c(self):
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        return run(self)

    monkeypatch.setattr(highspy.Highs, "run", run_after_ctrl_c)
    out = tmp_path / "out.xlsx"
    result = plan("solve", slow_mip, "-o", out, "-q")
    assert not guard
    assert result.exit_code == 130, result.output
    assert "Error: the solver was stopped (Ctrl-C) before it found a plan; nothing was " \
           "written" in result.output
    assert "Received unhandled" not in result.output
    assert not out.exists() and not list(tmp_path.iterdir())


def test_ctrl_c_before_the_solver_has_the_model(tmp_path, monkeypatch, two_mines, guard):
    compile_model = planner.solve.compile_model

    def ctrl_c_first(model, highs):
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        return compile_model(model, highs)

    monkeypatch.setattr(planner.solve, "compile_model", ctrl_c_first)
    source = write_plan(tmp_path / "in.xlsx", two_mines)
    result = plan("solve", source, "-o", tmp_path / "out.xlsx")
    assert not guard
    assert result.exit_code == 130
    assert "interrupted; nothing was written" in result.output
    assert not (tmp_path / "out.xlsx").exists()


def test_the_ctrl_c_handler_is_only_there_while_solving(tmp_path, two_mines, guard):
    before = signal.getsignal(signal.SIGINT)
    run = solve_workbook(write_plan(tmp_path / "in.xlsx", two_mines))
    assert run.solved.status is Status.OPTIMAL
    assert signal.getsignal(signal.SIGINT) is before


def test_solving_outside_the_main_thread_still_works(tmp_path, two_mines):
    path = write_plan(tmp_path / "in.xlsx", two_mines)
    runs = []
    worker = threading.Thread(target=lambda: runs.append(solve_workbook(path)))
    worker.start()
    worker.join(60)
    assert runs and runs[0].solved.status is Status.OPTIMAL
    assert runs[0].solved.objective == pytest.approx(180.0)
