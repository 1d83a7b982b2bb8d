"""Reading and checking a workbook against a raw python-calamine read of it.

``python benchmarks/reading.py WORKBOOK...``: for each workbook, ``--runs`` fresh
processes (default 3), each timing a raw calamine read of every sheet to lists, then the
planner's ``check_workbook`` (read and validate); prints the medians and their ratio.
Run it from another checkout's folder (``PYTHONPATH=that/checkout``) to measure that
commit against the same workbooks.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys, time
from pathlib import Path
import python_calamine
from planner.pipeline import check_workbook
path = sys.argv[1]
start = time.perf_counter()
book = python_calamine.load_workbook(path)
for name in book.sheet_names:
    book.get_sheet_by_name(name).to_python()
raw = time.perf_counter() - start
start = time.perf_counter()
valid = check_workbook(Path(path)).ok
print(json.dumps([raw, time.perf_counter() - start, valid]))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbooks", nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for path in args.workbooks:
        runs = [json.loads(subprocess.run([sys.executable, "-c", CHILD, path], check=True,
                                          capture_output=True, text=True).stdout)
                for _ in range(args.runs)]
        raw = statistics.median(r[0] for r in runs)
        ours = statistics.median(r[1] for r in runs)
        print(f"{path}: raw calamine read {raw:.2f} s; read and check {ours:.2f} s "
              f"(runs {', '.join(f'{r[1]:.2f}' for r in runs)}); ratio {ours / raw:.1f}; "
              f"valid {all(r[2] for r in runs)}")


if __name__ == "__main__":
    main()
