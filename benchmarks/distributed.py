"""Beyond one process: ``python benchmarks/distributed.py [--runs 3]``.

Two tables, each case one command in a fresh process, one at a time, medians of the runs:

- **Re-solves**: ``plan exposure`` of the bundled example (option values, the value of
  information's wait-and-see solves and about 2,000 exposure re-solves) with
  ``--workers 1`` (the baseline), ``--workers 2`` (local processes) and under
  ``mpiexec -n 3`` (rank 0 and 2 worker ranks); wall time, HiGHS's own time as the
  command reports it, and the ratio to the baseline.
- **Engines**: ``plan solve`` of generated workbooks (20 mines, 5 refineries, 5 plants,
  5 markets, 3 periods, 6 options) with 10 and 50 scenarios, ``--engine ef`` (the
  baseline) against ``mpiexec -n 3 ... --engine ph``, run to its gap and then with the
  extensive form's median wall time as its ``--time-limit`` (the gap reached in equal
  time); wall time, peak memory of the largest process, the expected cost and the gap each
  reports.

The table goes to RESULTS.md between the ``distributed`` set's markers.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import time
from pathlib import Path

from suite import CACHE, PLAN, ROOT, machine, md_table, text_table, update_results

MPIEXEC = ["mpiexec", "--oversubscribe", "--mca", "osc", "sm"]
ENV = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
NETWORK = ["--mines", "20", "--refineries", "5", "--plants", "5", "--markets", "5",
           "--periods", "3", "--options", "6"]
EXAMPLE = ROOT / "inputs" / "example.xlsx"


def run(command: list[str]) -> dict:
    """Wall seconds, peak memory (MB, the largest process) and what the command printed."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "PEAK %M", *command], capture_output=True,
                          text=True, env=ENV, cwd=ROOT, check=False)
    seconds = time.perf_counter() - start
    out = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # mpiexec's colours
    highs = re.search(r"HiGHS's own time: ([\d.,]+) s", out)
    cost = re.search(r"expected cost ([\d,]+)", out)
    gap = re.search(r"(?:within|stopped) ([\d.]+)% (?:of|above)", out)
    status = re.search(r"^(optimal|feasible[^:]*):", out, re.MULTILINE)
    peak = re.search(r"PEAK (\d+)", out)
    return {"seconds": seconds, "code": done.returncode,
            "highs": float(highs[1].replace(",", "")) if highs else None,
            "cost": float(cost[1].replace(",", "")) if cost else None,
            "gap": float(gap[1]) / 100 if gap else 0.0 if status and status[1] == "optimal"
            else None,
            "status": status[1] if status else f"exit {done.returncode}",
            "peak": int(peak[1]) / 1024 if peak else None}


def median(runs: list[dict], key: str) -> float | None:
    values = [r[key] for r in runs if r[key] is not None]
    return statistics.median(values) if values else None


def fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def resolves(runs: int) -> list[list[str]]:
    out = CACHE / "exposure.xlsx"
    cases = {"serial (--workers 1)": [*PLAN, "exposure", str(EXAMPLE), "--workers", "1"],
             "2 local processes (--workers 2)": [*PLAN, "exposure", str(EXAMPLE),
                                                 "--workers", "2"],
             "mpiexec -n 3 (2 worker ranks)": [*MPIEXEC, "-n", "3", *PLAN, "exposure",
                                               str(EXAMPLE)]}
    rows = [["re-solves: plan exposure example", "wall s", "HiGHS s", "x serial"]]
    base = None
    for name, command in cases.items():
        done = [run([*command, "-q", "-o", str(out)]) for _ in range(runs)]
        wall = median(done, "seconds")
        base = base or wall
        rows.append([name, fmt(wall, ".1f"), fmt(median(done, "highs"), ".1f"),
                     fmt(wall / base, ".2f")])
        print(text_table(rows[-1:]), flush=True)
    return rows


def engines(runs: int) -> list[list[str]]:
    rows = [["engines: plan solve", "wall s", "peak MB", "x ef", "status", "expected cost",
             "gap", "cost / ef cost - 1"]]

    def measure(name: str, command: list[str], base: tuple[float, float] | None = None):
        done = [run(command) for _ in range(runs)]
        wall, cost = median(done, "seconds"), median(done, "cost")
        base = base or (wall, cost)
        rows.append([name, fmt(wall, ".1f"), fmt(median(done, "peak"), ".0f"),
                     fmt(wall / base[0], ".2f"), done[0]["status"], fmt(cost, ",.0f"),
                     fmt(median(done, "gap"), ".4%"),
                     fmt(cost / base[1] - 1 if cost and base[1] else None, ".2e")])
        print(text_table(rows[-1:]), flush=True)
        return base

    for scenarios in (10, 50):
        book = CACHE / f"distributed-{scenarios}.xlsx"
        subprocess.run([*PLAN, "generate", str(book), *NETWORK, "--scenarios",
                        str(scenarios), "--force"], check=True, capture_output=True)
        out = ["-q", "-o", str(CACHE / "distributed-result.xlsx")]
        ph = [*MPIEXEC, "-n", "3", *PLAN, "solve", str(book), "--engine", "ph", *out]
        base = measure(f"{scenarios} scenarios, ef",
                       [*PLAN, "solve", str(book), "--engine", "ef", *out])
        measure(f"{scenarios} scenarios, ph on 3 ranks", ph, base)
        limit = str(max(1, round(base[0])))
        measure(f"{scenarios} scenarios, ph on 3 ranks, --time-limit {limit} (ef's wall)",
                [*ph, "--time-limit", limit], base)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    about = machine()
    print(f"distributed: {about}", flush=True)
    tables = [resolves(args.runs), engines(args.runs)]
    print("\n" + "\n\n".join(text_table(t) for t in tables))
    update_results(args.results, "distributed", "\n\n".join(
        ["## Set `distributed`", f"Machine: {about}, {os.getloadavg()[0]:.2f} at the end.",
         f"Command: `python benchmarks/distributed.py --runs {args.runs}`",
         "Medians over the runs; peak memory is the largest process's."]
        + [md_table(t) for t in tables]))


if __name__ == "__main__":
    main()
