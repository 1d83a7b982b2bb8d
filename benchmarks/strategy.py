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

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"
PLAN = str(Path(sys.executable).with_name("plan"))

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
WRITE = """import sys
from pathlib import Path
from planner.pipeline import check_workbook
from planner.convert import to_plan_data
from models.scaling import Scaling
from planner.engine import build
from planner.solve import hand_off
d = to_plan_data(check_workbook(Path(sys.argv[1])))
compiled = hand_off(build(d, Scaling.choose(d)))
compiled.highs.writeModel(sys.argv[2])
print(len(compiled.columns), len(compiled.rows))"""
SOLVE = """import json, sys, highspy
h = highspy.Highs(); h.setOptionValue("output_flag", False); h.readModel(sys.argv[1])
for key, value in json.loads(sys.argv[3]).items():
    h.setOptionValue(key, value)
h.setOptionValue("mip_rel_gap", 1e-4); h.setOptionValue("time_limit", float(sys.argv[2]))
h.run()
info = h.getInfo()
print(json.dumps({"run": h.getRunTime(), "status": h.modelStatusToString(h.getModelStatus()),
                  "objective": info.objective_function_value, "gap": info.mip_gap}))"""


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
            subprocess.run([PLAN, "generate", str(book), "--seed", "1", "--force",
                            *CASES[name]], check=True, capture_output=True)
        if not mps.exists():
            subprocess.run([sys.executable, "-c", WRITE, str(book), str(mps)], check=True,
                           cwd=ROOT, capture_output=True)
        for strategy, options in STRATEGIES[name.split()[0]].items():
            done = subprocess.run([sys.executable, "-c", SOLVE, str(mps), str(args.time_limit),
                                   json.dumps(options)], capture_output=True, text=True)
            got = json.loads(done.stdout.strip().splitlines()[-1])
            gap = "" if name.startswith("LP") else f"{got['gap']:.1e}"
            print(f"| {name} | {strategy} | {got['run']:.1f} | {got['status']} | "
                  f"{got['objective']:.7g} | {gap} |", flush=True)


if __name__ == "__main__":
    main()
