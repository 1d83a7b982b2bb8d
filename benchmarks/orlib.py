"""OR-Library warehouse location instances through ``plan solve``: ``python benchmarks/orlib.py``.

Each instance is written once as an input workbook (``tests/orlib.py``), then solved by the
``plan solve`` command ``--runs`` times. Printed per instance: the objective from the
result workbook's Summary, the published optimum and the relative error, the median wall
time of the whole command (start-up, reading, building, solving, writing) and the median
solver time the Summary reports.

Instances are named as in OR-Library; ``name:uncap`` solves the uncapacitated variant
(every warehouse can serve the whole demand) against ``uncapopt.txt``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from orlib import DATA, load, read_optima, write_workbook  # noqa: E402

DEFAULT = ["cap41", "cap81", "cap111", "cap71:uncap", "cap131:uncap"]


def plan_command() -> list[str]:
    """The ``plan`` script of this environment (beside the running Python), else on PATH."""
    beside = Path(sys.executable).parent / "plan"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("plan")
    if found:
        return [found]
    return [sys.executable, "-c", "from planner.cli import main; main()"]


def summary(path: Path) -> dict[str, object]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {str(row[0]): row[1] for row in wb["Summary"].iter_rows(values_only=True)
                if row and isinstance(row[0], str)}
    finally:
        wb.close()


def item(facts: dict[str, object], prefix: str) -> object:
    return next((v for k, v in facts.items() if k.startswith(prefix)), None)


def run_instance(spec: str, runs: int, folder: Path, tmp: Path, extra: list[str]) -> None:
    name, _, variant = spec.partition(":")
    uncap = variant == "uncap"
    optima = read_optima(folder / ("uncapopt.txt" if uncap else "capopt.txt"))
    published = optima.get(name)
    inst = load(name, folder=folder)
    inp = write_workbook(tmp / f"{name}-{variant or 'cap'}.xlsx", inst, uncap)
    out = tmp / f"{inp.stem}-result.xlsx"
    walls, solver, objectives, statuses = [], [], [], set()
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([*plan_command(), "solve", str(inp), "-o", str(out), "-q", *extra],
                              capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        if not out.exists():
            print(f"{spec:<14} plan solve exited {done.returncode} without a result:\n"
                  f"{done.stderr.strip() or done.stdout.strip()}")
            return
        facts = summary(out)
        statuses.add(f"{item(facts, 'Status')} (exit {done.returncode})")
        objectives.append(item(facts, "Expected total cost"))
        solver.append(float(item(facts, "Solve time") or "nan"))
        out.unlink()
    objective = objectives[-1]
    if objective is None:
        line = f"{'no plan':>16}"
    else:
        line = f"{objective:>16,.3f}"
    if published is not None and objective is not None:
        line += f" {published:>16,.3f} {abs(objective - published) / published:>9.1e}"
    else:
        line += f" {'(unpublished)':>16} {'':>9}"
    spread = max(objectives) - min(objectives) if None not in objectives else float("nan")
    print(f"{spec:<14} {inst.m:>3}x{inst.n:<4} {line} {statistics.median(walls):>9.2f}"
          f" {statistics.median(solver):>9.2f}  {', '.join(sorted(statuses))}"
          + (f"  objective spread {spread:.3g}" if spread > 0 else ""), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("instances", nargs="*", default=DEFAULT,
                        help="instance names, 'name:uncap' for the uncapacitated variant "
                        f"(default: {' '.join(DEFAULT)})")
    parser.add_argument("--runs", type=int, default=3, help="runs per instance (median)")
    parser.add_argument("--data", type=Path, default=DATA,
                        help="folder of the instance files and capopt.txt / uncapopt.txt")
    parser.add_argument("--time-limit", type=float, help="passed on to plan solve")
    args = parser.parse_args()
    extra = ["--time-limit", str(args.time_limit)] if args.time_limit else []
    print(f"plan solve, median of {args.runs} run(s); wall = whole command, "
          "solver = Summary 'Solve time (s)'")
    print(f"{'instance':<14} {'size':<8} {'objective':>16} {'published':>16} {'rel.err':>9}"
          f" {'wall s':>9} {'solver s':>9}  status")
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.instances:
            run_instance(spec, args.runs, args.data, Path(tmp), extra)


if __name__ == "__main__":
    main()
