"""Independent re-solves, run in parallel where the machine has cores.

Every analysis that re-solves a plan many times (exposure, option values, sweeps, the
value of information) hands its tasks to :func:`run_all`: a pool of worker processes,
each started once with ``start(*start_args)`` (rebuilding the LP or loading the plan it
re-solves), then given tasks in order; results come back in the order of the tasks.
With one core, or too few tasks to pay for starting workers, the tasks run here, one
after another, through the same two functions. ``start`` and ``work`` must be
module-level functions, and tasks and results picklable.

Workers are started by a fork server, not by forking this process (which may run the
terminal's progress thread): each imports what it needs afresh.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

_state: Any = None
"""A worker process's own state: what ``start`` returned (one per process)."""


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _start(start: Callable[..., Any], args: tuple) -> None:
    global _state
    _state = start(*args)


def _work(work: Callable[[Any, Any], Any], task: Any) -> Any:
    return work(_state, task)


def run_all(work: Callable[[Any, Task], Result], tasks: Sequence[Task], *,
            start: Callable[..., Any], start_args: tuple = (),
            on_done: Callable[[int, int], None] | None = None,
            workers: int | None = None, fewest_per_worker: int = 2) -> list[Result]:
    """``work(state, task)`` for every task, ``state`` being what ``start(*start_args)``
    returned in the process that runs it; ``on_done(done, total)`` after each task."""
    total = len(tasks)
    workers = min(workers or cores(), total // max(fewest_per_worker, 1))
    results: list[Result] = []
    if workers <= 1:
        state = start(*start_args)
        for task in tasks:
            results.append(work(state, task))
            if on_done:
                on_done(len(results), total)
        return results
    chunk = max(1, min(64, total // (workers * 8)))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"),
                             initializer=_start, initargs=(start, start_args)) as pool:
        for result in pool.map(partial(_work, work), tasks, chunksize=chunk):
            results.append(result)
            if on_done:
                on_done(len(results), total)
    return results
