"""Independent re-solves, run in parallel where the machine has cores, or on MPI.

Every analysis that re-solves a plan many times (exposure, option values, sweeps, the
value of information) hands its tasks to :func:`run_all`: a pool of workers, each started
once with ``start(*start_args)`` (rebuilding the LP or loading the plan it re-solves),
then given tasks in chunks; results come back in the order of the tasks. The workers are
local processes by default, or, under ``mpiexec``, the other ranks (see
:func:`planner.mpi.ranks_as_workers`). With one core, too few tasks, or tasks too quick to
pay for starting workers (the first one, run here, tells), the tasks run here, one after
another, through the same two functions. ``start`` and ``work`` must be module-level
functions, and tasks and results picklable.

Local workers are started by a fork server (spawned where there is none), not by forking
this process (whose HiGHS may already run threads): each imports what it needs afresh. A
script that calls an analysis should guard its top level with
``if __name__ == "__main__":``; where the workers cannot start, the tasks run here.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from typing import Any, TypeVar

from planner import handoff

Task = TypeVar("Task")
Result = TypeVar("Result")

_state: Any = None
"""A worker process's own state: what ``start`` returned (one per process)."""
_workers: int | None = None
"""Worker processes wanted (``--workers``); None: one per core."""
_ranks: tuple[Executor, int] | None = None
"""Under ``mpiexec``: the executor of the other ranks and how many they are."""


def set_workers(workers: int | None) -> None:
    """Run every later :func:`run_all` on at most ``workers`` processes (None: one per
    core); each worker's HiGHS gets the cores divided among them as its threads."""
    global _workers
    _workers = workers


def set_ranks(executor: Executor | None, workers: int = 0) -> None:
    """Run every later :func:`run_all` on ``executor``'s ``workers`` MPI ranks (None: on
    local processes again)."""
    global _ranks
    _ranks = (executor, workers) if executor is not None else None


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _start(start: Callable[..., Any], args: tuple, threads: int) -> None:
    """A worker's start: HiGHS runs on ``threads`` threads."""
    global _state
    handoff.HIGHS_THREADS = threads
    _state = start(*args)


def _start_process(start: Callable[..., Any], args: tuple, threads: int) -> None:
    """A local worker process's start: Ctrl-C is the parent's to handle (it stops the
    workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _start(start, args, threads)


def _start_rank(start: Callable[..., Any], args: tuple) -> None:
    """An MPI rank's start, on one HiGHS thread (one rank per core); it then waits for
    every other rank's, so that each rank takes exactly one of the starts sent."""
    from mpi4py.futures import get_comm_workers

    try:
        _start(start, args, 1)
    finally:
        get_comm_workers().Barrier()


def _work(work: Callable[[Any, Any], Any], tasks: Sequence[Any]
          ) -> tuple[list[Any], tuple[float, int]]:
    """The tasks' results, and HiGHS's own time and runs they took in this worker."""
    clock = handoff.HIGHS_TIME
    before = clock.seconds, clock.runs
    results = [work(_state, task) for task in tasks]
    return results, (clock.seconds - before[0], clock.runs - before[1])


WORKER_SPAWN = 1.0
"""Seconds workers take to come up before their start: the fork server's first launch
(importing :data:`PRELOADED`) took 0.9 s here, later pools 0.04 s."""
PRELOADED = ["planner.engine", "planner.lp"]
"""Imported once by the fork server, so that each worker starts with them loaded (and the
caller's main module is not run again there)."""


def _context():
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED)
    return context


def _stop(pool: Executor, futures: list[Future]) -> None:
    """Stop the work now. Local workers are terminated, the one running a long solve too
    (the pool then fails what is left; cancelling it too trips Python 3.11's pool into an
    error of its own, so the tasks are submitted one chunk at a time rather than by
    ``map``, which cancels); MPI ranks are left the chunks they run, the rest cancelled."""
    if _ranks is not None and pool is _ranks[0]:
        for future in futures:
            future.cancel()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=False)


def _pool(workers: int, start: Callable[..., Any], start_args: tuple) -> Executor:
    """Started workers: the MPI ranks, each given ``start`` once, or ``workers`` new local
    processes sharing the cores."""
    if _ranks is None:
        return ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start_process,
                                   initargs=(start, start_args, max(1, cores() // workers)))
    pool, ranks = _ranks
    for started in [pool.submit(_start_rank, start, start_args) for _ in range(ranks)]:
        started.result()
    return pool


def run_all(work: Callable[[Any, Task], Result], tasks: Sequence[Task], *,
            start: Callable[..., Any], start_args: tuple = (),
            on_done: Callable[[int, int], None] | None = None,
            stop: Callable[[Result], bool] | None = None,
            workers: int | None = None, fewest_per_worker: int = 2) -> list[Result]:
    """``work(state, task)`` for every task, ``state`` being what ``start(*start_args)``
    returned in the process that runs it; ``on_done(done, total)`` after each task.

    The first task runs here, timed with its start: the rest go to the workers only where
    that saves time, that is where the serial time they would save, (tasks left) x (the
    first task's time) x (1 - 1 / workers), exceeds what the workers cost before their
    first task (the start again, and :data:`WORKER_SPAWN`).

    Ctrl-C, or a result for which ``stop`` is true (a solve that Ctrl-C stopped), stops
    every worker at once and raises KeyboardInterrupt.
    """
    total = len(tasks)
    wanted = _ranks[1] if _ranks is not None else workers or _workers or cores()
    workers = min(wanted, total // max(fewest_per_worker, 1))
    results: list[Result] = []

    def done(result: Result) -> None:
        results.append(result)
        if stop is not None and stop(result):
            raise KeyboardInterrupt
        if on_done:
            on_done(len(results), total)

    def rest_here() -> list[Result]:
        state = start(*start_args)
        for task in tasks[len(results):]:
            done(work(state, task))
        return results

    if workers <= 1:
        return rest_here()
    started = time.perf_counter()
    state = start(*start_args)
    begun = time.perf_counter()
    done(work(state, tasks[0]))
    each = time.perf_counter() - begun
    if (total - 1) * each * (1 - 1 / workers) <= begun - started + WORKER_SPAWN:
        for task in tasks[1:]:
            done(work(state, task))
        return results
    del state
    chunk = max(1, min(64, total // (workers * 8)))
    pool, futures = None, []
    try:
        pool = _pool(workers, start, start_args)
        futures = [pool.submit(_work, work, tasks[i:i + chunk]) for i in range(1, total, chunk)]
        for future in futures:
            results_of_chunk, highs_time = future.result()
            handoff.HIGHS_TIME.add(*highs_time)
            for result in results_of_chunk:
                done(result)
    except (BrokenExecutor, BrokenPipeError):
        # the workers died or could not start (for example a calling script without
        # ``if __name__ == "__main__":``): the rest run here
        if pool is not None:
            _stop(pool, futures)
        return rest_here()
    except BaseException:
        if pool is not None:
            _stop(pool, futures)
        raise
    if _ranks is None:
        pool.shutdown()
    return results
