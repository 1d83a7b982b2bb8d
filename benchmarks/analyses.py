"""The analyses of the bundled example, timed: ``python benchmarks/analyses.py``.

For each analysis, the median wall time of several runs and the number of solves it ran,
beside a baseline measured in the same run: one rebuild-and-solve of the example through
Pyomo (what each re-solve would cost without the held LP). The exposure's warm re-solves
are compared with it per solve.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from models.scaling import Scaling  # noqa: E402
from planner.analysis.bottlenecks import bottlenecks  # noqa: E402
from planner.analysis.exposure import exposure  # noqa: E402
from planner.analysis.options import option_values  # noqa: E402
from planner.analysis.sweep import Parameter, sweep  # noqa: E402
from planner.convert import origins, to_plan_data  # noqa: E402
from planner.engine import PlanSolver, solve_plan  # noqa: E402
from planner.inputs import INPUTS  # noqa: E402
from planner.pipeline import check_workbook  # noqa: E402
from planner.runner import cores  # noqa: E402


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def one_run(data, rows, scaling) -> dict[str, tuple[float, int]]:
    """(seconds, solves) of each analysis, and of the baseline."""
    out = {}
    out["baseline: rebuild and solve"] = (timed(lambda: solve_plan(
        data, scaling, time_limit=600, mip_gap=1e-6))[0], 1)
    plan = solve_plan(data, scaling, time_limit=600, mip_gap=1e-6, reported=True)
    seconds, found = timed(lambda: bottlenecks(plan, data, rows, "USD"))
    out["bottlenecks"] = (seconds, len(found.resolved))
    seconds, found = timed(lambda: exposure(plan, data, rows, "USD"))
    out["exposure"] = (seconds, found.solves)
    solver = PlanSolver(data, scaling, 600, 1e-6)
    seconds, found = timed(lambda: option_values(plan, data, solver))
    out["option values"] = (seconds, int(found[["Objective forced in", "Objective forced out"]]
                                         .notna().sum().sum()) - len(found))
    seconds, found = timed(lambda: sweep(data, solver, Parameter("spot price", "Li2CO3"),
                                         [0.5, 1.0, 2.0, 3.0, 4.0], 0.01))
    out["sweep (5 points)"] = (seconds, found.solves)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    v = check_workbook(INPUTS / "example.xlsx")
    data, rows = to_plan_data(v), origins(v)
    scaling = Scaling.choose(data)
    runs = [one_run(data, rows, scaling) for _ in range(args.runs)]
    base = statistics.median(r["baseline: rebuild and solve"][0] for r in runs)
    print(f"{cores()} cores; medians of {args.runs} runs")
    for name in runs[0]:
        seconds = statistics.median(r[name][0] for r in runs)
        solves = runs[0][name][1]
        per = seconds / solves if solves else float("nan")
        print(f"{name:<28} {seconds:>8.2f} s  {solves:>6} solves  {per * 1000:>9.1f} ms a solve"
              f"  {per / base:>7.3f} x baseline a solve")


if __name__ == "__main__":
    main()
