"""What ``plan`` shows while it works: phases with their times, progress through many solves,
the solver's log, messages and the answer."""

from __future__ import annotations

import io
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, TextIO

from rich.console import Console
from rich.markup import escape

from planner.brief import commitments
from planner.engine import Solved
from planner.handoff import HIGHS_TIME
from planner.pipeline import Run, Step
from planner.problems import Validation
from planner.report import RunInfo
from planner.results import expected_by, expected_cost
from planner.solve import Status


class _ShownStep(Step):
    def __init__(self, status, name: str) -> None:
        self.status, self.name = status, name

    def __call__(self, done: int, total: int) -> None:
        self.status.update(f"{self.name} ... {done} of {total}")


def _terminal_stream() -> TextIO:
    """Standard error, bound now: while HiGHS runs, Pyomo redirects sys.stderr and fd 2 to
    capture the solver's log, and what we print about that log must not be captured again."""
    try:
        return os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1, encoding="utf-8",
                         errors="replace")
    except (AttributeError, OSError, io.UnsupportedOperation):
        return sys.stderr


class Terminal:
    """Messages, phases with elapsed time, and the solver's log streamed beneath."""

    def __init__(self, silent: bool = False) -> None:
        """``silent``: show nothing (an MPI rank other than 0)."""
        self.console = Console(file=_terminal_stream(), highlight=False, soft_wrap=True,
                               quiet=silent)
        self.out = Console(file=sys.stdout, highlight=False, soft_wrap=True, quiet=silent)
        """The answer goes to standard output; progress, logs and warnings to standard
        error."""
        self.quiet = False
        self.start = time.perf_counter()
        self.highs_before = HIGHS_TIME.seconds, HIGHS_TIME.runs

    def print(self, text: str) -> None:
        self.console.print(text)

    def answer(self, text: str) -> None:
        self.out.print(text)

    @contextmanager
    def phase(self, name: str):
        """A step shown while it runs, then with a tick (a cross if it failed) and times; it
        yields a :class:`~planner.pipeline.Step`, with progress for steps of many solves."""
        began = time.perf_counter()
        with self.console.status(f"{name} ...") as status:
            step = _ShownStep(status, name)
            yield step
        mark = "[red]✗[/]" if step.failed else "[green]✓[/]"
        self.print(f"{mark} {name} [dim]({time.perf_counter() - began:.2f} s, "
                   f"{time.perf_counter() - self.start:.1f} s in all)[/]")

    def highs_time(self) -> None:
        """HiGHS's own run time over every solve so far (workers' included)."""
        seconds, runs = (now - before for now, before in
                         zip((HIGHS_TIME.seconds, HIGHS_TIME.runs), self.highs_before))
        self.print(f"[dim]HiGHS's own time: {seconds:,.2f} s in {runs:,} solves, of "
                   f"{time.perf_counter() - self.start:,.1f} s in all[/]")

    def solver_line(self, line: str) -> None:
        if not self.quiet and line.strip():
            self.print(f"[dim]  {escape(line.rstrip())}[/]")

    def model_numerics(self, plan: Solved | None) -> None:
        """The coefficient ranges before and after scaling, and the plan's check."""
        if plan is None or plan.ranges is None:
            return
        self.print(f"[dim]  Coefficients in the workbook's units: {plan.ranges[0]}[/]")
        self.print(f"[dim]  Coefficients in internal units:       {plan.ranges[1]}[/]")
        if plan.check is not None:
            self.print(f"[dim]  Plan check: {escape(plan.check.headline())}[/]")
        if plan.fixed_note:
            self.print(f"[dim]  {escape(plan.fixed_note[0].upper() + plan.fixed_note[1:])}[/]")

    def fail(self, message: str, code: int) -> NoReturn:
        self.print(f"[red]Error:[/] {escape(message)}")
        sys.exit(code)

    def report_validation(self, v: Validation, path: Path) -> None:
        for w in v.warnings:
            self.print(f"[yellow]warning[/] {escape(str(w))}")
        for p in v.problems:
            self.print(f"[red]error[/] {escape(str(p))}")
        if v.problems:
            self.print(f"[red]{path.name}: {len(v.problems)} problem(s) to fix[/]")

    def report_plan(self, run: Run, info: RunInfo, output: Path, exposure: bool) -> None:
        """The answer once the result is written: status and cost, why a plan is infeasible,
        what to sign, the cell mix, what binds, and every warning."""
        solved, currency = run.solved, info.currency
        colour = "green" if solved.status is Status.OPTIMAL else "yellow"
        cost = ""
        if run.result is not None:
            cost = f"; expected cost {expected_cost(run.result):,.0f} {currency}"
            if run.result.risk.objective == "cvar":
                cost += f", objective {solved.objective:,.0f}"
        if solved.status is not Status.OPTIMAL and solved.gap is not None:
            cost += f", within {solved.gap:.2%} of the best bound"
        self.answer(f"[{colour}]{solved.status.label}[/]: {escape(solved.message)}{cost}")
        if run.explanation is not None:
            for line in run.explanation.lines():
                self.answer(escape(line))
        found = run.analyses
        if run.result is not None:
            for line in commitments(run.result, found, currency) + _mix(run.result):
                self.answer(escape(line))
        for line in (found.bottlenecks.headline[:1] if found.bottlenecks else []) + \
                (found.exposure.headline if found.exposure else []):
            self.answer(escape(line))
        if exposure and found.exposure is None and not found.notes:
            self.print("[yellow]warning[/] exposure not computed: it needs an optimal plan")
        for note in found.notes:
            self.print(f"[yellow]warning[/] {escape(note)}")
        self.answer(f"Result written to {output}: open its Summary sheet"
                    + (", then Exposure" if found.exposure is not None else ""))
        for line in info.warnings():
            self.print(f"[yellow]warning[/] {escape(line)}")


def _mix(result) -> list[str]:
    """The cell families' expected shares of the output, as one line."""
    mix = result.production_mix
    if mix.empty:
        return []
    output = expected_by(mix, result.probability, "Family", "Output")
    total = output.sum()
    if total <= 0:
        return []
    return ["Cell output (expected over the scenarios): " + ", ".join(
        f"{family} {share:.1%}" for family, share in (output / total).items())]
