"""HiGHS's algorithm choices on the planner's own models: ``python benchmarks/strategy.py``.

Each case is a generated workbook (``plan generate``; cached in ``benchmarks/.cache``),
built and handed to HiGHS by the planner's code, written once as MPS. Each strategy then
solves that MPS in a fresh process, one at a time: HiGHS's own run time, status, the
objective and the MIP gap reached. The cases: the linear program of a large network
without options (where the choice is simplex or interior point), and the medium and large
MIPs with options (where it is the LP solver of the MIP's nodes and root).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suite import BUILD, CACHE, HIGHS, PLAN, PYTHON, ROOT, measure  # noqa: E402

CASES = {
    "LP 200k x 1 (no options)": ["--mines", "3200", "--refineries", "800", "--plants", "800",
                                 "--markets", "800", "--scenarios", "1", "--options", "0"],
    "MIP 50k x 10": [],
    "MIP 200k x 20": ["--mines", "160", "--refineries", "40", "--plants", "40",
                      "--markets", "40", "--scenarios", "20"],
}
DEFAULT_CASES = ["LP 200k x 1 (no options)", "MIP 50k x 10"]
STRATEGIES = {
    "LP": {"default (choose: dual simplex)": {}, "interior point (IPX) + crossover":
           {"solver": "ipm"}},
    "MIP": {"default": {}, "interior point at the root and nodes": {"mip_lp_solver": "ipm"},
            "more heuristics": {"mip_heuristic_effort": "0.2"}, "no presolve":
            {"presolve": "off"}},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--cases", nargs="*", default=DEFAULT_CASES, choices=list(CASES))
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    print("| case | strategy | HiGHS s | status | objective | MIP gap |\n|---|---|---|---|---|---|")
    for name in args.cases:
        slug = "".join(c if c.isalnum() else "-" for c in name)
        book, mps = CACHE / f"strategy-{slug}.xlsx", CACHE / f"strategy-{slug}.mps"
        if not book.exists():
            subprocess.run([*PLAN, "generate", str(book), "--seed", "1", "--force",
                            *CASES[name]], check=True, capture_output=True)
        if not mps.exists():
            subprocess.run([PYTHON, "-c", BUILD, str(book), str(mps)], check=True,
                           cwd=ROOT, capture_output=True)
        for k, (strategy, options) in enumerate(STRATEGIES[name.split()[0]].items()):
            got = measure([PYTHON, "-c", HIGHS, str(mps), "1e-4", str(args.time_limit),
                           json.dumps(options)], f"strategy-{slug}-{k}").result()
            gap = "" if name.startswith("LP") else f"{got['gap']:.1e}"
            print(f"| {name} | {strategy} | {got['run']:.1f} | {got['status']} | "
                  f"{got['objective']:.7g} | {gap} |", flush=True)


if __name__ == "__main__":
    main()
