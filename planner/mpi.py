"""Whether this process was started by ``mpiexec``, and as which rank, from the launcher's
environment (OpenMPI, MPICH and PMIx set it), without starting MPI itself.

``plan`` reads it before anything else: under ``solve --engine ph`` every rank solves its
share, and rank 0 alone prints and writes."""

from __future__ import annotations

import os

_RANK = ("OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK")

MPI_EXTRA = ("needs mpi4py and mpi-sppy: install the planner with  pip install -e '.[mpi]'  "
             "and an MPI library (Debian: apt-get install openmpi-bin)")


def launched_rank() -> int:
    """This process's rank under ``mpiexec``; 0 when not started by it."""
    for name in _RANK:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 0
