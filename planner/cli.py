"""The ``plan`` command: template, validate, solve.

Exit codes (also in the README):

=== =========================================================================
0   done: template written, workbook valid, or plan optimal
2   wrong command-line usage; with ``--engine ph``: a rank count it cannot use, or mpi4py
    and mpi-sppy not installed
3   the workbook has problems (each listed as ``Sheet!Cell: what; how to fix``)
4   a file cannot be read or written; with ``--recalc``, LibreOffice is missing or fails
5   infeasible: no plan satisfies every hard constraint; the rows in conflict are printed
6   unbounded: the cost can fall without limit
7   the time limit passed before any plan was found
8   a plan was found but not proven optimal (time limit); the gap is reported
9   the solver failed (often numerical trouble; the message says what to check)
10  the plan fails its check: a constraint is violated beyond the tolerance; not reliable
130 interrupted (Ctrl-C); if HiGHS had found a plan, the result is written with its gap,
    else nothing is written
=== =========================================================================
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click
import pandas as pd
from rich.markup import escape

from planner.analysis.sweep import Parameter
from planner.compare import CompareError, read_result
from planner.compare import compare as compare_results
from planner.engines.ph import EngineError
from planner.generate import Size
from planner.generate import write as write_generated
from planner.mpi import MissingMPI, launched_rank, ranks_as_workers
from planner.pipeline import SweepError, check_workbook, expose, solve_workbook, sweep_workbook
from planner.recalc import recalculated
from planner.report import RunInfo, write_report
from planner.runner import set_workers
from planner.sheets import comparison_sheet, sensitivity_sheet
from planner.solve import Status, option_problems
from planner.template import write_template
from planner.terminal import Terminal
from planner.workbook import InputFileError
from planner.xlsx import OutputError, check_writable, result_book

EXIT_USAGE, EXIT_INVALID, EXIT_FILE, EXIT_INTERRUPTED = 2, 3, 4, 130



@contextmanager
def _readable(term: Terminal, path: Path, recalc: bool) -> Iterator[Path]:
    """``path``, or with ``recalc`` a copy of it recalculated by LibreOffice."""
    if not recalc:
        yield path
        return
    with ExitStack() as stack:
        with term.phase(f"Recalculating {path.name} with LibreOffice"):
            copy = stack.enter_context(recalculated(path))
        yield copy


RECALC_HELP = ("Recalculate every formula with LibreOffice before reading (for formulas "
               "with no saved value or stale results); the input file is not changed.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="battery-planner")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Plan battery raw-material procurement from an Excel workbook."""
    ctx.obj = Terminal(silent=launched_rank() != 0)


@main.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.pass_obj
def template(term: Terminal, path: Path, force: bool) -> None:
    """Write a blank input workbook to PATH."""
    if path.exists() and not force:
        term.fail(f"{path}: already exists; choose another name or add --force", EXIT_FILE)
    try:
        check_writable(path)
        write_template(path)
    except OutputError as exc:
        term.fail(str(exc), EXIT_FILE)
    term.answer(f"[green]✓[/] wrote {path}: fill it in, then run  plan validate {path}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--mines", type=click.IntRange(1), default=Size.mines, show_default=True)
@click.option("--refineries", type=click.IntRange(1), default=Size.refineries, show_default=True)
@click.option("--plants", type=click.IntRange(1), default=Size.plants, show_default=True)
@click.option("--markets", type=click.IntRange(1), default=Size.markets, show_default=True)
@click.option("--periods", type=click.IntRange(1), default=Size.periods, show_default=True)
@click.option("--options", type=click.IntRange(0), default=Size.options, show_default=True)
@click.option("--scenarios", type=click.IntRange(1), default=Size.scenarios, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.pass_obj
def generate(term: Terminal, path: Path, seed: int, force: bool, **size: int) -> None:
    """Write a synthetic workbook of the given size to PATH (the same for the same seed)."""
    if path.exists() and not force:
        term.fail(f"{path}: already exists; choose another name or add --force", EXIT_FILE)
    try:
        check_writable(path)
        write_generated(path, Size(**size), seed)
    except OutputError as exc:
        term.fail(str(exc), EXIT_FILE)
    term.answer(f"[green]✓[/] wrote {path}: run  plan solve {path}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--recalc", is_flag=True, help=RECALC_HELP)
@click.pass_obj
def validate(term: Terminal, path: Path, recalc: bool) -> None:
    """Check the workbook at PATH and list every problem."""
    try:
        with _readable(term, path, recalc) as readable:
            v = check_workbook(readable)
    except InputFileError as exc:
        term.fail(str(exc), EXIT_FILE)
    except KeyboardInterrupt:
        term.fail("interrupted", EXIT_INTERRUPTED)
    term.report_validation(v, path)
    if not v.ok:
        sys.exit(EXIT_INVALID)
    term.answer(f"[green]✓[/] {path.name} is valid")


def _solver_options(ctx, param, values: tuple[str, ...]) -> dict[str, str]:
    """``--solver-option KEY=VALUE``, each a HiGHS option HiGHS accepts."""
    options = {}
    for given in values:
        name, equals, value = given.partition("=")
        if not equals or not name.strip():
            raise click.BadParameter(f"{given!r}: write KEY=VALUE, for example presolve=off")
        options[name.strip()] = value.strip()
    problems = option_problems(options)
    if problems:
        raise click.BadParameter("; ".join(problems))
    return options


SOLVER_OPTION = click.option(
    "--solver-option", "solver_options", multiple=True, callback=_solver_options,
    metavar="KEY=VALUE", help="A HiGHS option for every solve (repeat for more), for "
    "example solver=ipm or mip_heuristic_effort=0.2; see the README's Speed and the solver.")


WORKERS = click.option(
    "--workers", type=click.IntRange(min=1), expose_value=False,
    callback=lambda ctx, param, value: set_workers(value),
    help="Worker processes for the re-solves (option values, value of information, "
    "exposure, sweeps); default: one per core. Under mpiexec the other ranks run them.")


def _on_ranks(command):
    """Under ``mpiexec``: the command on rank 0, its re-solves on the other ranks (with
    ``--engine ph``, every rank hedges)."""
    @functools.wraps(command)
    def on_ranks(term: Terminal, *args, **kwargs) -> None:
        if kwargs.get("engine") == "ph":
            return command(term, *args, **kwargs)
        try:
            with ranks_as_workers() as here:
                if here:
                    command(term, *args, **kwargs)
        except MissingMPI as exc:
            term.fail(str(exc), EXIT_USAGE)
    return on_ranks


def _solve_options(command):
    """The options ``solve`` and the commands that solve first share."""
    for option in reversed((
            click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
                         help="Result workbook to write; default: beside PATH, named "
                         "<PATH's name>-result.xlsx (-exposure.xlsx for plan exposure)."),
            click.option("--time-limit", type=click.FloatRange(min=1),
                         help="Seconds; overrides Settings."),
            click.option("--mip-gap", type=click.FloatRange(0, 1), help="Overrides Settings."),
            SOLVER_OPTION, WORKERS,
            click.option("--engine", type=click.Choice(["ef", "ph"]), default="ef",
                         show_default=True, help="ef: the extensive form, every scenario in "
                         "one model; ph: progressive hedging (mpi-sppy) on the ranks of "
                         "mpiexec -n N (a multiple of 3), its plan then evaluated exactly; "
                         "see the README's Beyond one machine."),
            click.option("-q", "--quiet", is_flag=True, help="Hide the solver's log."),
            click.option("--recalc", is_flag=True, help=RECALC_HELP))):
        command = option(command)
    return click.argument("path", type=click.Path(path_type=Path))(command)


@main.command()
@_solve_options
@click.pass_obj
@_on_ranks
def solve(term: Terminal, path: Path, **settings) -> None:
    """Solve the workbook at PATH and write the result workbook OUTPUT."""
    _solve_and_write(term, path, **settings)


@main.command()
@_solve_options
@click.pass_obj
@_on_ranks
def exposure(term: Terminal, path: Path, **settings) -> None:
    """Solve PATH, then knock out each mine, site, process, lane and country's exports for
    its time to recover; write the result with the Exposure sheets to OUTPUT."""
    _solve_and_write(term, path, exposure=True, **settings)


def default_output(term: Terminal, path: Path, what: str) -> Path:
    """``<path's name>-<what>.xlsx`` beside ``path``."""
    if not path.name:
        term.fail(f"{path}: not a workbook file; give the input workbook's path", EXIT_FILE)
    return path.with_name(f"{path.stem}-{what}.xlsx")


def _solve_and_write(term: Terminal, path: Path, output: Path | None,
                     time_limit: float | None, mip_gap: float | None,
                     solver_options: dict[str, str], quiet: bool, recalc: bool, engine: str,
                     exposure: bool = False) -> None:
    term.quiet = quiet
    output = output or default_output(term, path, "exposure" if exposure else "result")
    try:
        check_writable(output, [path])
        with _readable(term, path, recalc) as readable:
            run = solve_workbook(readable, time_limit=time_limit, mip_gap=mip_gap,
                                 phase=term.phase, on_log_line=term.solver_line,
                                 options=solver_options, engine=engine)
            if run is None:  # an MPI rank other than 0: its part of the solve is done
                sys.exit(0)
            if exposure and run.solved is not None:
                run = expose(run, term.phase)
    except (InputFileError, OutputError) as exc:
        term.fail(str(exc), EXIT_FILE)
    except EngineError as exc:
        term.fail(str(exc), EXIT_USAGE)
    except KeyboardInterrupt:
        term.fail("interrupted; nothing was written", EXIT_INTERRUPTED)
    term.report_validation(run.validation, path)
    if run.solved is None:
        sys.exit(EXIT_INVALID)
    solved, currency = run.solved, str(run.validation.settings["Currency"])
    if solved.status is Status.INTERRUPTED_NO_PLAN:
        term.fail(f"{solved.message}; nothing was written", EXIT_INTERRUPTED)
    info = RunInfo(path, currency, run.plan, run.unserved)
    term.model_numerics(run.plan)
    try:
        with term.phase(f"Writing {output.name}"):
            write_report(output, solved, run.result, info, run.information, run.explanation,
                         run.analyses)
    except OutputError as exc:
        term.fail(str(exc), EXIT_FILE)
    except KeyboardInterrupt:
        term.fail(f"interrupted while writing; {output} was not written", EXIT_INTERRUPTED)
    term.report_plan(run, info, output, exposure)
    term.highs_time()
    sys.exit(solved.status.exit_code)


@main.command()
@click.argument("first", type=click.Path(path_type=Path))
@click.argument("second", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the comparison to this workbook.")
@click.pass_obj
def compare(term: Terminal, first: Path, second: Path, output: Path | None) -> None:
    """Compare two result workbooks (of plan solve): cost by category, cell output by family,
    spend by country, options taken, risk figures and what binds, A beside B."""
    try:
        tables = compare_results(read_result(first), read_result(second))
    except CompareError as exc:
        term.fail(str(exc), EXIT_FILE)
    except (KeyError, ValueError, TypeError, StopIteration) as exc:
        term.fail(f"{first.name} and {second.name} cannot be compared: a table of one of them "
                  f"is not laid out as plan solve writes it ({exc!r}); solve the inputs again "
                  "and compare the new results", EXIT_FILE)
    for title, table in tables:
        term.answer(f"[bold]{escape(title)}[/]")
        term.answer(escape(table.to_string(index=False, float_format=lambda x: f"{x:,.2f}")))
        term.answer("")
    if output is not None:
        try:
            check_writable(output, [first, second])
            with result_book(output) as book:
                comparison_sheet(book, tables, first.name, second.name)
        except OutputError as exc:
            term.fail(str(exc), EXIT_FILE)
        term.answer(f"Comparison written to {output}")


SWEPT = {"spot_price": "spot price", "availability": "availability", "demand": "demand",
         "fixed_cost": "fixed cost"}


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--spot-price", metavar="MATERIAL", help="Sweep a multiplier of MATERIAL's "
              "spot prices.")
@click.option("--availability", metavar="SITE", help="Sweep the share of SITE's supply "
              "capacity (Supply rows and offtakes).")
@click.option("--demand", metavar="MATERIAL", help="Sweep a multiplier of MATERIAL's demand.")
@click.option("--fixed-cost", metavar="OPTION", help="Sweep OPTION's fixed cost (currency).")
@click.option("--from", "start", type=float, required=True, help="First value.")
@click.option("--to", "stop", type=float, required=True, help="Last value.")
@click.option("--steps", type=click.IntRange(min=2), default=11, show_default=True,
              help="Values from --from to --to, evenly spaced.")
@click.option("--tolerance", type=click.FloatRange(min=0, min_open=True),
              help="Breakevens to within this; default 1% of the range.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Sensitivity workbook to write; default: beside PATH, named "
              "<PATH's name>-sweep.xlsx.")
@click.option("--time-limit", type=click.FloatRange(min=1), help="Seconds per solve; "
              "overrides Settings.")
@click.option("--mip-gap", type=click.FloatRange(0, 1), help="Overrides Settings.")
@SOLVER_OPTION
@WORKERS
@click.option("--recalc", is_flag=True, help=RECALC_HELP)
@click.pass_obj
@_on_ranks
def sweep(term: Terminal, path: Path, start: float, stop: float, steps: int,
          tolerance: float | None, output: Path, time_limit: float | None,
          mip_gap: float | None, solver_options: dict[str, str], recalc: bool,
          **named: str | None) -> None:
    """Re-solve PATH across a range of one parameter; write the costs, the cell families'
    shares, the spend by country and the breakevens, with charts, to OUTPUT."""
    given = [(SWEPT[k], v) for k, v in named.items() if v is not None]
    if len(given) != 1:
        term.fail("give exactly one of --spot-price, --availability, --demand, --fixed-cost",
                  EXIT_USAGE)
    if not stop > start:
        term.fail(f"the range --from {start:g} --to {stop:g} is "
                  f"{'empty' if stop == start else 'reversed'}; give --to above --from",
                  EXIT_USAGE)
    parameter = Parameter(*given[0])
    if start < 0 or (parameter.kind == "availability" and stop > 1):
        term.fail(f"the {parameter.kind} must lie in "
                  f"{'[0, 1]' if parameter.kind == 'availability' else '[0, infinity)'}; "
                  f"give --from and --to within it", EXIT_USAGE)
    values = [start + (stop - start) * k / (steps - 1) for k in range(steps)]
    output = output or default_output(term, path, "sweep")
    try:
        check_writable(output, [path])
        with _readable(term, path, recalc) as readable:
            v, found = sweep_workbook(readable, parameter, values,
                                      tolerance or (stop - start) / 100,
                                      time_limit=time_limit, mip_gap=mip_gap, phase=term.phase,
                                      options=solver_options)
        term.report_validation(v, path)
        if found is None:
            sys.exit(EXIT_INVALID)
        currency = str(v.settings["Currency"])
        with term.phase(f"Writing {output.name}"):
            with result_book(output) as book:
                sensitivity_sheet(book, found, currency, path.name)
    except SweepError as exc:
        term.fail(str(exc), EXIT_USAGE)
    except (InputFileError, OutputError) as exc:
        term.fail(str(exc), EXIT_FILE)
    except KeyboardInterrupt:
        term.fail("interrupted; nothing was written", EXIT_INTERRUPTED)
    reference = found.reference
    for _, b in found.breakevens.iterrows():
        at = "not within the range" if pd.isna(b["Breakeven"]) else \
            f"at {b['Breakeven']:.4g} (within {b['Within']:.2g})"
        if reference and pd.notna(b["Breakeven"]):
            at += f"; {reference} {b[reference]:,.0f} {currency}"
        term.answer(escape(f"{b['Event']}: {at}"))
    term.answer(f"Sensitivity written to {output}")
    term.highs_time()
