"""The re-solves on MPI ranks: ``mpiexec -n 3 plan exposure`` (or ``sweep``) runs the
command on rank 0 and its re-solves on the other two, and writes the figures of the serial
run (run as CI runs it, with OpenMPI and the ``mpi`` extra installed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import openpyxl
import pytest

from test_ph import EXAMPLE, MPI_ENV, needs_mpi, on_ranks

TIMED = {"Seconds", "Rank"}
"""Columns that may differ between runs: the time of each solve, and the rank of nodes
whose figures tie."""


def _figures(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's rows but those of the run itself (Details) and of the charts, without
    the :data:`TIMED` columns, sorted by their text."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    figures = {}
    for name in book.sheetnames:
        if name in ("Details", "Charts"):
            continue
        rows, dropped = [], set()
        for row in book[name].iter_rows(values_only=True):
            if TIMED & set(row):
                dropped = {k for k, v in enumerate(row) if v in TIMED}
            rows.append(tuple(v for k, v in enumerate(row) if k not in dropped))
        figures[name] = sorted(rows, key=lambda r: [str(v) for v in r if isinstance(v, str)])
    return figures


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return b == pytest.approx(a, rel=1e-6, abs=1e-3)
    return a == b


@needs_mpi
@pytest.mark.parametrize("command", [
    ["exposure"], ["sweep", "--spot-price", "Li2CO3", "--from", "0.5", "--to", "3",
                   "--steps", "4"]], ids=["exposure", "sweep"])
def test_two_ranks_give_the_serial_figures(tmp_path, command):
    """Exposure with the value of information (wait-and-see per scenario) and option
    values, and a sweep with its breakevens, on 2 worker ranks and in one process."""
    books = []
    for ranks, extra in ((1, ["--workers", "1"]), (3, [])):
        book = tmp_path / f"{ranks}.xlsx"
        done = subprocess.run(on_ranks(ranks, command[0], str(EXAMPLE), *command[1:],
                                       "-o", str(book), *extra),
                              capture_output=True, text=True, env=MPI_ENV, timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr
        books.append(_figures(book))
    serial, parallel = books
    assert serial.keys() == parallel.keys()
    for name in serial:
        assert len(serial[name]) == len(parallel[name]) > 0, name
        for a, b in zip(serial[name], parallel[name]):
            assert len(a) == len(b) and all(map(_same, a, b)), (name, a, b)
