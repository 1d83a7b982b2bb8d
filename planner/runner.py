"""Independent re-solves, run in parallel where the machine has cores.

Every analysis that re-solves a plan many times (exposure, option values, sweeps, the
value of information) hands its tasks to :func:`run_all`: a pool of worker processes,
each started once with ``start(*start_args)`` (rebuilding the LP or loading the plan it
re-solves), then given tasks in order; results come back in the order of the tasks.
With one core, or too few tasks to pay for starting workers, the tasks run here, one
after another, through the same two functions. ``start`` and ``work`` must be
module-level functions, and tasks and results picklable.

Workers are started by a fork server (spawned where there is none), not by forking this
process (whose HiGHS may already run threads): each imports what it needs afresh. A script
that calls an analysis should guard its top level with ``if __name__ == "__main__":``;
where the workers cannot start, the tasks run here.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from planner import handoff

Task = TypeVar("Task")
Result = TypeVar("Result")

_state: Any = None
"""A worker process's own state: what ``start`` returned (one per process)."""
_workers: int | None = None
"""Worker processes wanted (``--workers``); None: one per core."""


def set_workers(workers: int | None) -> None:
    """Run every later :func:`run_all` on at most ``workers`` processes (None: one per
    core); each worker's HiGHS gets the cores divided among them as its threads."""
    global _workers
    _workers = workers


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _start(start: Callable[..., Any], args: tuple, threads: int) -> None:
    """A worker's start: Ctrl-C is the parent's to handle (it stops the workers); HiGHS
    runs on ``threads`` threads."""
    global _state
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    handoff.HIGHS_THREADS = threads
    _state = start(*args)


def _work(work: Callable[[Any, Any], Any], tasks: Sequence[Any]
          ) -> tuple[list[Any], tuple[float, int]]:
    """The tasks' results, and HiGHS's own time and runs they took in this worker."""
    clock = handoff.HIGHS_TIME
    before = clock.seconds, clock.runs
    results = [work(_state, task) for task in tasks]
    return results, (clock.seconds - before[0], clock.runs - before[1])


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop every worker now, the one running a long solve too; the pool then fails what
    is left (cancelling it too trips Python 3.11's pool into an error of its own, so the
    tasks are submitted one chunk at a time rather than by ``map``, which cancels)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=False)


PRELOADED = ["planner.engine", "planner.lp"]
"""Imported once by the fork server, so that each worker starts with them loaded (and the
caller's main module is not run again there)."""


def _context():
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED)
    return context


def run_all(work: Callable[[Any, Task], Result], tasks: Sequence[Task], *,
            start: Callable[..., Any], start_args: tuple = (),
            on_done: Callable[[int, int], None] | None = None,
            stop: Callable[[Result], bool] | None = None,
            workers: int | None = None, fewest_per_worker: int = 2) -> list[Result]:
    """``work(state, task)`` for every task, ``state`` being what ``start(*start_args)``
    returned in the process that runs it; ``on_done(done, total)`` after each task.

    Ctrl-C, or a result for which ``stop`` is true (a solve that Ctrl-C stopped), stops
    every worker at once and raises KeyboardInterrupt.
    """
    total = len(tasks)
    workers = min(workers or _workers or cores(), total // max(fewest_per_worker, 1))
    results: list[Result] = []

    def done(result: Result) -> None:
        results.append(result)
        if stop is not None and stop(result):
            raise KeyboardInterrupt
        if on_done:
            on_done(len(results), total)

    if workers <= 1:
        state = start(*start_args)
        for task in tasks:
            done(work(state, task))
        return results
    chunk = max(1, min(64, total // (workers * 8)))
    pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start,
                               initargs=(start, start_args, max(1, cores() // workers)))
    futures = [pool.submit(_work, work, tasks[i:i + chunk]) for i in range(0, total, chunk)]
    try:
        for future in futures:
            results_of_chunk, highs_time = future.result()
            handoff.HIGHS_TIME.add(*highs_time)
            for result in results_of_chunk:
                done(result)
    except BrokenProcessPool:
        # the workers died or could not start (for example a calling script without
        # ``if __name__ == "__main__":``): the rest run here
        _stop(pool)
        state = start(*start_args)
        for task in tasks[len(results):]:
            done(work(state, task))
    except BaseException:
        _stop(pool)
        raise
    else:
        pool.shutdown()
    return results
