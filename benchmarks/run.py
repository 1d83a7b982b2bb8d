"""Phase timings of the planner, medians of several runs: ``python benchmarks/run.py``.

Measures the bundled example end to end (read and validate, build, solve, extract, the
extra solves of the value of information, write), the example with its scenarios
repeated (build and solve)
and synthetic plans of growing size (build and solve). Every time is also given as a
ratio to a fixed pure-Python workload measured in the same run, so that numbers from a
busy or a quiet machine can be compared.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic, with_scenarios  # noqa: E402

from models.scaling import Scaling  # noqa: E402
from planner.analysis.risk import value_of_information  # noqa: E402
from planner.convert import to_plan_data  # noqa: E402
from planner.engine import PlanSolver, build, solve_built  # noqa: E402
from planner.inputs import INPUTS  # noqa: E402
from planner.pipeline import check_workbook  # noqa: E402
from planner.report import RunInfo, write_report  # noqa: E402
from planner.results import extract  # noqa: E402


def calibration() -> None:
    """A fixed pure-Python workload: the machine's speed in this run."""
    total = 0
    for i in range(2_000_000):
        total += i % 7
    assert total


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def example_phases() -> dict[str, float]:
    path = INPUTS / "example.xlsx"
    times = {}
    times["read+validate"], v = timed(lambda: check_workbook(path))
    times["build"], (data, scaling, model) = timed(
        lambda: (d := to_plan_data(v), s := Scaling.choose(d), build(d, s)))
    times["solve+check"], plan = timed(
        lambda: solve_built(model, data, scaling, time_limit=600, mip_gap=1e-4))
    times["extract"], result = timed(lambda: extract(model, data, scaling))
    times["value of info"], information = timed(lambda: value_of_information(
        data, plan.result.objective, PlanSolver(data, scaling, 600, 1e-4),
        lambda _: nullcontext(lambda done, total: None)))
    with tempfile.TemporaryDirectory() as tmp:
        times["write"], _ = timed(lambda: write_report(
            Path(tmp) / "r.xlsx", plan.result, result, RunInfo(path, "USD", plan), information))
    return times


def build_and_solve(data) -> dict[str, float]:
    """Build and solve times of ``data``'s model, and its number of variables."""
    times = {}
    times["build"], (scaling, model) = timed(
        lambda: (s := Scaling.choose(data), build(data, s)))
    times["solve+check"], plan = timed(
        lambda: solve_built(model, data, scaling, time_limit=600, mip_gap=1e-4))
    assert plan.result.status.has_plan, plan.result.message
    times["variables"] = float(model.nvariables())
    return times


def scenario_phases(count: int) -> dict[str, float]:
    """The example with each of its scenarios repeated ``count`` times (jittered)."""
    return build_and_solve(
        with_scenarios(to_plan_data(check_workbook(INPUTS / "example.xlsx")), count))


def synthetic_phases(scale: int) -> dict[str, float]:
    return build_and_solve(synthetic(scale))


def report(name: str, runs: list[dict[str, float]], calib: float) -> None:
    for phase in runs[0]:
        values = [r[phase] for r in runs]
        if phase == "variables":
            print(f"{name:<16} {phase:<14} {values[0]:>10.0f}")
            continue
        median = statistics.median(values)
        print(f"{name:<16} {phase:<14} {median:>10.4f} s  {median / calib:>8.3f} x calibration"
              f"  (min {min(values):.4f}, max {max(values):.4f}, n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scales", type=int, nargs="*", default=[10, 40, 160])
    parser.add_argument("--scenario-copies", type=int, nargs="*", default=[2, 8])
    args = parser.parse_args()
    calib = statistics.median(timed(calibration)[0] for _ in range(args.runs))
    print(f"calibration workload: median {calib:.4f} s")
    report("example", [example_phases() for _ in range(args.runs)], calib)
    for count in args.scenario_copies:
        report(f"example {5 * count} scen.", [scenario_phases(count) for _ in range(args.runs)],
               calib)
    for scale in args.scales:
        report(f"synthetic x{scale}", [synthetic_phases(scale) for _ in range(args.runs)], calib)


if __name__ == "__main__":
    main()
