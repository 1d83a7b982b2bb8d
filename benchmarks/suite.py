"""Benchmark sets of the planner against its baselines: ``python benchmarks/suite.py --set NAME``.

Per case and run, each in a fresh subprocess, one at a time:

1. ``plan solve CASE -o OUT --time-limit L``: wall time; peak memory (ru_maxrss from
   ``os.wait4``: the largest single process) and the whole process tree's (the planner's and
   its workers' Pss summed, sampled every 0.25 s); each ``✓ Phase (s, t in all)`` line;
   start-up (wall minus the last "in all": interpreter start, imports, freeing at exit);
   ``HiGHS's own time: X s in N solves`` (missing if not printed); the status line's cost.
2. highspy alone: the same model, built by the planner's code and written as MPS by HiGHS
   from the matrices the planner hands it, once per case (not timed), solved with the workbook's MIP gap and the same time limit:
   wall, ``getRunTime()``, peak memory, objective (in the model's internal units).
3. Raw read: python-calamine reads every sheet of the input workbook to lists.
4. Raw write: the result workbook's rows (read, not timed) written by xlsxwriter in
   constant-memory mode. 3 and 4 are timed inside the child.

Printed, and written to RESULTS.md between ``<!-- set: NAME -->`` markers (the rest of the
file is kept): medians (min-max) per case, the ratios the project targets, met or not, and
for ``--set scaling`` the growth exponents of wall time and peak memory (log-log least
squares) against scenarios and against variables. Input workbooks are cached in
``benchmarks/.cache`` (delete it when ``plan generate`` changes), the children's output in
``benchmarks/.cache/logs``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # before benchmarks/: tests/orlib.py, not ours
import orlib  # OR-Library instances as planner workbooks

CACHE = ROOT / "benchmarks" / ".cache"
ORLIB = ROOT.parent / "shared" / "benchmarks" / "orlib-cap"
PYTHON = sys.executable
PLAN = [str(Path(PYTHON).with_name("plan"))]


def orlib_capacity(name: str, folder: Path) -> tuple[float | None, float]:
    """(capacity, published optimum): capa/b/c at the first capacity ``capopt.txt`` lists."""
    optima = orlib.read_optima(folder / "capopt.txt")
    key = next((k for k in optima if k.startswith(f"{name}@")), name)
    return (float(key.split("@")[1]) if "@" in key else None), optima[key]


@dataclass(frozen=True)
class Case:
    name: str
    scenarios: int = 0
    network: tuple[int, ...] = ()
    """Generated cases: mines, refineries, plants, markets."""
    orlib: bool = False
    options: int = 20
    """Options of a generated case (the generator's default)."""
    runs: int = 3
    time_limit: float = 600.0

    def workbook(self, orlib_dir: Path) -> Path:
        """The input workbook, generated or converted into the cache the first time."""
        if self.name == "example":
            return ROOT / "inputs" / "example.xlsx"
        if self.orlib:
            capacity = orlib_capacity(self.name, orlib_dir)[0]
            path = CACHE / f"orlib-{self.name}-{capacity or 0:g}.xlsx"
            if not path.exists():
                orlib.write_workbook(path, orlib.load(self.name, capacity, orlib_dir))
            return path
        m, r, p, k = self.network
        path = CACHE / f"gen-m{m}-r{r}-p{p}-k{k}-s{self.scenarios}-o{self.options}-seed1.xlsx"
        if not path.exists():
            subprocess.run([*PLAN, "generate", str(path), "--mines", str(m), "--refineries",
                            str(r), "--plants", str(p), "--markets", str(k), "--scenarios",
                            str(self.scenarios), "--options", str(self.options), "--seed", "1",
                            "--force"],
                           check=True, capture_output=True, cwd=ROOT)
        return path


def network(factor: int) -> tuple[int, ...]:
    """``factor`` times the generator's default network (80 mines, 20 of each other site)."""
    return 80 * factor, 20 * factor, 20 * factor, 20 * factor


# Sizes found by building the models (variables and rows as Pyomo counts them); 5 periods,
# 20 options, seed 1. Variables grow about as scenarios x network size.
EXAMPLE = Case("example")                                # 4,572 variables, 3,210 rows
GEN_20K = Case("20k x 1", 1, network(4))                 # 20,001 variables, 7,407 rows
GEN_200K = Case("200k x 1", 1, network(40))              # 199,993 variables, 72,211 rows
GEN_200K_X20 = Case("200k x 20", 20, network(2))         # 200,520 variables, 76,100 rows
GEN_1M_X100 = Case("1M x 100", 100, network(2), runs=1)  # 1,002,520 variables, 380,500 rows
CAPS = [Case(n, orlib=True, time_limit=120.0) for n in ("capa", "capb", "capc")]
# net1 x 1, 10, 50, 100 with 20 options: 4,995 / 49,770 / 248,770 / 497,520 variables,
# 2,000 / 20,000 / 100,000 / 200,000 rows.
# The scaling cases have no options: the curve is of the plan (its solve, pricing and value
# of information) as the model grows, not of the number of option values re-solved.
BY_SCENARIOS = [Case(f"net1 x {s}", s, network(1), options=0) for s in (1, 10, 50, 100)]
# net1, 2, 4, 8 x 10 with 20 options: 49,770 / 100,270 / 199,830 / 400,030 variables,
# 20,000 / 38,050 / 74,070 / 145,970 rows.
BY_SIZE = [Case(f"net{f} x 10", 10, network(f), options=0) for f in (1, 2, 4, 8)]
SETS = {
    "quick": [EXAMPLE, GEN_20K],
    "standard": [EXAMPLE, GEN_20K, GEN_200K, GEN_200K_X20, *CAPS],
    "full": [EXAMPLE, GEN_20K, GEN_200K, GEN_200K_X20, *CAPS, GEN_1M_X100],
    "large": [GEN_1M_X100],
    "scaling": BY_SCENARIOS + BY_SIZE[1:],  # BY_SIZE[0] is BY_SCENARIOS[1]
}

BUILD = """import json, sys
from pathlib import Path
from planner.pipeline import check_workbook
from planner.convert import to_plan_data
from models.scaling import Scaling
from planner.engine import build
from planner.solve import hand_off
v = check_workbook(Path(sys.argv[1])); d = to_plan_data(v); m = build(d, Scaling.choose(d))
hand_off(m).highs.writeModel(sys.argv[2])  # the matrices HiGHS gets from the planner
print("RESULT", json.dumps({"variables": m.nvariables(), "rows": m.nconstraints(),
                            "gap": v.settings["MIP gap"]}))"""
HIGHS = """import json, sys, highspy
h = highspy.Highs(); h.setOptionValue("output_flag", False); h.readModel(sys.argv[1])
for key, value in json.loads(sys.argv[4] if len(sys.argv) > 4 else "{}").items():
    h.setOptionValue(key, value)
h.setOptionValue("mip_rel_gap", float(sys.argv[2]))
h.setOptionValue("time_limit", float(sys.argv[3]))
h.run()
info = h.getInfo()
print("RESULT", json.dumps({"run": h.getRunTime(), "status": h.modelStatusToString(
    h.getModelStatus()), "objective": info.objective_function_value, "gap": info.mip_gap}))"""
"""highspy alone on an MPS file: MIP gap, time limit and (optionally) HiGHS options as
JSON."""
RAW = """import json, sys, time
from python_calamine import CalamineWorkbook
start = time.perf_counter()
wb = CalamineWorkbook.from_path(sys.argv[1])
sheets = {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}
seconds = time.perf_counter() - start
if len(sys.argv) > 2:  # write them back: only that is timed
    import xlsxwriter
    start = time.perf_counter()
    out = xlsxwriter.Workbook(sys.argv[2], {"constant_memory": True})
    for name, rows in sheets.items():
        ws = out.add_worksheet(name)
        for i, row in enumerate(rows):
            ws.write_row(i, 0, row)
    out.close()
    seconds = time.perf_counter() - start
print("RESULT", json.dumps({"seconds": seconds}))"""

PHASE = re.compile(r"^[✓✗] (?P<name>.+) \((?P<s>[\d.,]+) s, (?P<all>[\d.,]+) s in all\)\s*$",
                   re.MULTILINE)
OWN = re.compile(r"HiGHS's own time:\s*(?P<s>[\d,]+(?:\.\d+)?)\s*s")
STATUSES = ("optimal", "feasible, not proven optimal", "infeasible", "unbounded",
            "stopped without a plan", "solver error", "plan fails its check", "interrupted",
            "interrupted before any plan was found")
COST = re.compile(r"expected cost (?P<cost>[\d,]+(?:\.\d+)?)")


def number(text: str) -> float:
    return float(text.replace(",", ""))


def phase_name(name: str) -> str:
    """Without file name, counts or notes: 'Option values (20 re-solves)' -> 'Option values',
    'Value of information: 7 solves (...)' -> 'Value of information', 'Writing x.xlsx' ->
    'Writing'."""
    name = re.sub(r"\s*\(.*\)$", "", name).split(":")[0]
    return next((h for h in ("Reading and checking", "Writing") if name.startswith(h + " ")),
                name)


@dataclass
class Child:
    code: int
    wall: float
    peak_mb: float
    tree_mb: float
    out: str
    err: str

    def result(self) -> dict | None:
        """The child's ``RESULT {json}`` line."""
        line = next((x for x in self.out.splitlines() if x.startswith("RESULT ")), None)
        return json.loads(line[7:]) if line else None

    def last_error(self) -> str:
        return (self.err.strip().splitlines() or ["no output"])[-1]


def measure(cmd: list[str], log: str) -> Child:
    """Run ``cmd``: exit code, wall time, peak memory, output (kept in .cache/logs/LOG.*)."""
    (CACHE / "logs").mkdir(parents=True, exist_ok=True)
    with open(CACHE / "logs" / f"{log}.out", "w+b") as out, \
            open(CACHE / "logs" / f"{log}.err", "w+b") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
        tree, done = [0.0], threading.Event()
        sampler = threading.Thread(target=sample_tree, args=(proc.pid, tree, done), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        return Child(proc.returncode, wall, usage.ru_maxrss / 1024, tree[0],
                     out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def sample_tree(root: int, peak: list[float], done: threading.Event) -> None:
    """``peak[0]``: the largest sum, sampled every 0.25 s, of the proportional set sizes of
    ``root`` and its descendants (ru_maxrss is one process's, and misses the workers)."""
    while not done.wait(0.25):
        parents = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")")[-1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
        tree, more = set(), {root}
        while more:
            tree |= more
            more = {pid for pid, parent in parents.items() if parent in more} - tree
        kib = 0
        for pid in tree:
            try:
                text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            kib += sum(int(x) for x in re.findall(r"^Pss:\s+(\d+) kB", text, re.MULTILINE))
        peak[0] = max(peak[0], kib / 1024)


@dataclass
class Result:
    case: Case
    variables: int | None = None
    rows: int | None = None
    published: float | None = None
    values: dict[str, list[float]] = field(default_factory=dict)
    exits: list[str] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    reached: list[bool] = field(default_factory=list)

    def add(self, metric: str, value: float | None) -> None:
        if value is not None:
            self.values.setdefault(metric, []).append(value)

    def median(self, metric: str) -> float | None:
        got = self.values.get(metric)
        return statistics.median(got) if got else None


def run_planner(res: Result, inp: Path, out: Path) -> str:
    """One ``plan solve``; its figures added to ``res``; a note for the progress line."""
    out.unlink(missing_ok=True)
    c = measure([*PLAN, "solve", str(inp), "-o", str(out), "--time-limit",
                 f"{res.case.time_limit:g}"], f"{inp.stem}-plan")
    res.add("wall s", c.wall)
    res.add("peak MB", c.peak_mb)
    res.add("tree peak MB", c.tree_mb)
    phases = list(PHASE.finditer(c.err))
    for name in dict.fromkeys(phase_name(m["name"]) for m in phases):
        res.add(f"phase: {name} s", sum(number(m["s"]) for m in phases
                                        if phase_name(m["name"]) == name))
    if phases:
        res.add("start-up s", c.wall - number(phases[-1]["all"]))
    own = OWN.search(c.err + c.out)
    res.add("HiGHS own s", number(own["s"]) if own else None)
    status = next((x for x in c.out.splitlines() if x.split(":")[0] in STATUSES), None) or \
        next((x for x in c.err.splitlines() if x.startswith("Error")), "no status line")
    res.exits.append(f"exit {c.code}" + (f" ({status.split(':')[0]})" if c.code else ""))
    cost = COST.search(status)
    if cost:
        res.costs.append(number(cost["cost"]))
    if res.published is not None:
        res.reached.append(bool(cost) and abs(number(cost["cost"]) - res.published)
                           <= 1e-6 * abs(res.published))
    return (f"plan solve {c.wall:.2f} s, {c.peak_mb:.0f} MB (tree {c.tree_mb:.0f} MB), "
            f"exit {c.code}, HiGHS's own time "
            + (f"{number(own['s']):.2f} s" if own else "missing") + f": {status}")


def run_baseline(res: Result, what: str, code: str, *args: object) -> str:
    """One baseline child (highspy alone, raw read or raw write); a note for the progress."""
    c = measure([PYTHON, "-c", code, *map(str, args)], f"{Path(str(args[0])).stem}-{what}")
    got = c.result()
    if got is None:
        return f"{what} failed (exit {c.code}): {c.last_error()}"
    if what != "highspy":
        res.add(f"{what} s", got["seconds"])
        return f"{what} {got['seconds']:.3f} s"
    for metric, value in (("wall s", c.wall), ("run s", got["run"]), ("peak MB", c.peak_mb),
                          ("tree peak MB", c.tree_mb)):
        res.add(f"highspy {metric}", value)
    return (f"highspy {c.wall:.2f} s (run {got['run']:.2f} s, {c.peak_mb:.0f} MB, "
            f"{got['status']}, objective {got['objective']:.7g})")


def run_case(case: Case, runs: int | None, orlib_dir: Path) -> Result:
    res = Result(case)
    inp = case.workbook(orlib_dir)
    if case.orlib:
        res.published = orlib_capacity(case.name, orlib_dir)[1]
    mps, out = CACHE / f"{inp.stem}.mps", CACHE / f"{inp.stem}-out.xlsx"
    mps.unlink(missing_ok=True)
    built = measure([PYTHON, "-c", BUILD, str(inp), str(mps)], f"{inp.stem}-build")
    facts = built.result() or {}
    res.variables, res.rows = facts.get("variables"), facts.get("rows")
    gap = facts.get("gap", 1e-4)
    print(f"{case.name}: {inp.name}, " + (f"{res.variables:,} variables, {res.rows:,} rows, "
          f"MIP gap {gap:g}" if facts else f"model not built: {built.last_error()}"),
          flush=True)
    count = runs or case.runs
    for i in range(1, count + 1):
        notes = [run_planner(res, inp, out)]
        if facts and mps.exists():
            notes.append(run_baseline(res, "highspy", HIGHS, mps, gap, case.time_limit))
        notes.append(run_baseline(res, "raw read", RAW, inp))
        if out.exists():
            notes.append(run_baseline(res, "raw write", RAW, out, CACHE / "raw-write.xlsx"))
        print(f"  {case.name} run {i}/{count}: " + "; ".join(notes), flush=True)
    mps.unlink(missing_ok=True)
    return res


def ratio(res: Result, top: str, bottom: str) -> float | None:
    a, b = res.median(top), res.median(bottom)
    return a / b if a is not None and b else None


TARGETS = [  # (target, limit, measured, the cases it applies to; None: every case)
    ("wall / HiGHS's own time", 1.25, lambda r: ratio(r, "wall s", "HiGHS own s"),
     {GEN_200K_X20.name, GEN_1M_X100.name}),
    ("peak memory / highspy-alone peak (ru_maxrss)", 1.5,
     lambda r: ratio(r, "peak MB", "highspy peak MB"), None),
    ("example wall (s)", 1.5, lambda r: r.median("wall s"), {EXAMPLE.name}),
    ("read phase / raw calamine read", 2.0,
     lambda r: ratio(r, "phase: Reading and checking s", "raw read s"), None),
    ("write phase / raw xlsxwriter write", 1.2,
     lambda r: ratio(r, "phase: Writing s", "raw write s"), None),
]


def targets(results: list[Result]) -> list[list[str]]:
    rows = [["target", "case", "limit", "measured", "verdict"]]
    for name, limit, measured, cases in TARGETS:
        for r in results:
            if cases is None or r.case.name in cases:
                got = measured(r)
                rows.append([name, r.case.name, f"<= {limit:g}",
                             "missing" if got is None else f"{got:.2f}",
                             "" if got is None else "met" if got <= limit else "not met"])
    for r in results:
        if r.published is not None:
            rows.append([f"published optimum reached (rel. 1e-6, {r.case.time_limit:g} s limit)",
                         r.case.name, f"{r.published:,.3f}",
                         f"{sum(r.reached)}/{len(r.reached)} runs",
                         "met" if r.reached and all(r.reached) else "not met"])
    return rows


def cell(values: list[float] | None, digits: int | None = None) -> str:
    """Median (min-max); seconds to 0.01 (0.001 below 0.1 s), unless ``digits``."""
    if not values:
        return "-"
    mid = statistics.median(values)
    digits = (2 if mid >= 0.1 else 3) if digits is None else digits
    text = f"{mid:,.{digits}f}"
    if len(values) > 1:
        text += f" ({min(values):,.{digits}f}-{max(values):,.{digits}f})"
    return text


def case_table(results: list[Result]) -> list[list[str]]:
    metrics = ["wall s", "start-up s"]
    metrics += list(dict.fromkeys(m for r in results for m in r.values if m.startswith("phase")))
    metrics += ["HiGHS own s", "peak MB", "tree peak MB", "highspy wall s", "highspy run s",
                "highspy peak MB", "highspy tree peak MB", "raw read s", "raw write s"]
    rows = [["case", *(r.case.name for r in results)],
            ["variables", *(f"{r.variables:,}" if r.variables else "?" for r in results)],
            ["rows", *(f"{r.rows:,}" if r.rows else "?" for r in results)],
            ["runs", *(str(len(r.exits)) for r in results)],
            ["exit", *(", ".join(sorted(set(r.exits))) for r in results)],
            ["expected cost", *(cell(r.costs, 0) for r in results)]]
    for m in metrics:
        rows.append([m, *(cell(r.values.get(m), 0 if m.endswith("MB") else None)
                          for r in results)])
    return rows


def exponent(xs: list[float], ys: list[float | None]) -> float | None:
    """Slope of the least-squares line through (log x, log y)."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x and y]
    if len({x for x, _ in pts}) < 2:
        return None
    return statistics.linear_regression(*zip(*pts)).slope


def exponents(results: list[Result]) -> list[list[str]]:
    by = {r.case.name: r for r in results}
    rows = [["fit", "cases", "exponent k"]]
    for series, axis in ((BY_SCENARIOS, "scenarios"), (BY_SIZE, "variables")):
        got = [by[c.name] for c in series if c.name in by]
        xs = [r.case.scenarios if axis == "scenarios" else r.variables for r in got]
        for metric in ("wall s", "peak MB"):
            k = exponent(xs, [r.median(metric) for r in got])
            rows.append([f"{metric.split()[0]} ~ {axis}^k", ", ".join(r.case.name for r in got),
                         "-" if k is None else f"{k:.2f}"])
    return rows


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def md_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows[1:]])


def machine() -> str:
    """CPU, cores, memory, versions, commit and date, in one line."""
    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=False,
                            capture_output=True, text=True).stdout.strip()
    return (f"{cpu[1] if cpu else platform.processor()}, {os.cpu_count()} logical cores, "
            f"{int(mem[1]) / 2**20 if mem else math.nan:.1f} GiB memory; "
            f"Python {platform.python_version()}, highspy {version('highspy')}, "
            f"pyomo {version('pyomo')}; commit {commit or '?'} (and uncommitted changes, "
            f"if any); {time.strftime('%Y-%m-%d %H:%M %Z')}; load average "
            f"{os.getloadavg()[0]:.2f} at the start")


def update_results(path: Path, name: str, body: str) -> None:
    """Replace the set's section of ``path`` (between its markers), or add it at the end."""
    begin, end = f"<!-- set: {name} -->", f"<!-- end set: {name} -->"
    text = path.read_text() if path.exists() else (
        "# Benchmark results\n\nWritten by `python benchmarks/suite.py --set NAME`, which "
        "replaces only the text between that set's `<!-- set: NAME -->` markers.\n")
    block = f"{begin}\n{body}\n{end}"
    if begin in text and end in text.split(begin, 1)[1]:
        before, rest = text.split(begin, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + f"\n\n{block}\n\n**Why** (by hand; kept across runs): _to do_\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", required=True, choices=SETS, dest="name")
    parser.add_argument("--runs", type=int, help="runs per case (default 3; 1 for 1M x 100)")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--orlib", type=Path, default=ORLIB,
                        help="folder of capa.txt, capb.txt, capc.txt and capopt.txt")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    about = machine()
    print(f"set {args.name}: {about}", flush=True)
    results = []
    try:
        for case in SETS[args.name]:
            try:
                results.append(run_case(case, args.runs, args.orlib))
            except Exception as exc:  # noqa: BLE001 - report the case, go on with the set
                print(f"{case.name}: could not run ({type(exc).__name__}: {exc})", flush=True)
    except KeyboardInterrupt:
        print("interrupted: reporting the cases done", flush=True)
    if not results:
        sys.exit("no case ran")
    tables = [case_table(results), targets(results)]
    if args.name == "scaling":
        tables.append(exponents(results))
    print("\nMedians (min-max) over the runs; seconds and MB\n\n"
          + "\n\n".join(text_table(t) for t in tables))
    command = f"python benchmarks/suite.py --set {args.name}" + \
        (f" --runs {args.runs}" if args.runs else "")
    update_results(args.results, args.name, "\n\n".join(
        [f"## Set `{args.name}`", f"Machine: {about}, {os.getloadavg()[0]:.2f} at the end.",
         f"Command: `{command}`",
         "Medians (min-max) over the runs; seconds and MB."] + [md_table(t) for t in tables]))
    print(f"\nwritten to {args.results}")


if __name__ == "__main__":
    main()
