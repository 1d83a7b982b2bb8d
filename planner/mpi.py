"""Whether this process was started by ``mpiexec``, and as which rank, from the launcher's
environment (OpenMPI, MPICH and PMIx set it), without starting MPI itself; and the other
ranks as workers for the re-solves.

``plan`` reads it before anything else: under ``solve --engine ph`` every rank solves its
share, and rank 0 alone prints and writes; under any other command that re-solves, rank 0
runs the command and the other ranks its re-solves (:func:`ranks_as_workers`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from planner.runner import set_ranks

_RANK = ("OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK")
_SIZE = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE")

MPI_EXTRA = ("needs mpi4py and mpi-sppy: install the planner with  pip install -e '.[mpi]'  "
             "and an MPI library (Debian: apt-get install openmpi-bin)")


class MissingMPI(RuntimeError):
    """Started by ``mpiexec`` on several ranks without mpi4py to join them."""


def launched_rank() -> int:
    """This process's rank under ``mpiexec``; 0 when not started by it."""
    for name in _RANK:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 0


def _alone() -> bool:
    """Not started by ``mpiexec``, or started on one rank."""
    sizes = [os.environ.get(name, "") for name in _SIZE]
    return not any(os.environ.get(name, "").isdigit() for name in _RANK) or "1" in sizes


@contextmanager
def ranks_as_workers() -> Iterator[bool]:
    """Under ``mpiexec -n N`` (N > 1): rank 0 runs the body, every :func:`run_all` in it
    spread over the N - 1 other ranks (``mpi4py.futures``), which serve those re-solves
    until rank 0 is done, then skip the body. Yields whether this rank runs the body.

    Raises MissingMPI where mpi4py is not installed: every rank would run the whole
    command."""
    if _alone():
        yield True
        return
    try:
        from mpi4py import MPI
        from mpi4py.futures import MPICommExecutor
    except ImportError as exc:
        raise MissingMPI(f"mpiexec started this command on several ranks: it {MPI_EXTRA}, "
                         "or run it without mpiexec") from exc
    size = MPI.COMM_WORLD.Get_size()
    if size == 1:
        yield True
        return
    with MPICommExecutor(MPI.COMM_WORLD, root=0) as executor:
        if executor is None:
            yield False
            return
        set_ranks(executor, size - 1)
        try:
            yield True
        finally:
            set_ranks(None)
