"""Warm local worker processes, forked from this process, that lose no task when one dies.

The batch runner (`custsim.experiments.batch`) and the sweeper's batch mode send
their runs here. On Linux the workers are *forked* from the calling process, which
has imported the engine already, so they start in milliseconds instead of the
1.5-2.5 s a fresh interpreter takes to import NumPy, SciPy, pandas, Mesa and the
engine (measured: 40 runs of 2,000 x 180 days on two workers, 5.3 s with joblib's
loky workers, 2.6 s forked). Elsewhere they are spawned (macOS cannot fork safely).
Forking happens before the pool's manager thread exists, in a process that runs
no threads of its own at that point (the progress bar wraps the results later).

One pool per process is kept warm between batches (`pool`) and stopped at exit.

When a worker dies (SIGKILL, the out-of-memory killer, a crash) the pool breaks
and every unfinished task with it. `map_in_order` then runs the unfinished tasks
again on a fresh pool in two halves, each halved again if it breaks too, down to
single tasks: a task whose own pool breaks is reported as dead (`WorkerDied`), and
every other task's result is kept. One fatal task among n costs about 2 log2(n)
relaunches, and the rest still run in parallel.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

__all__ = ["WorkerDied", "cores", "map_forked", "map_in_order", "pool", "shutdown"]

#: what a task that killed its worker is reported as
DIED = "worker died (its process ended abruptly: killed, out of memory or crashed)"

_pool: ProcessPoolExecutor | None = None
_pool_size = 0


@dataclass(frozen=True)
class WorkerDied:
    """The place of a task whose worker process died while running it, alone on its pool."""

    error: str = DIED


def start_method() -> str:
    """'fork' on Linux (workers inherit the imported engine), else 'spawn'."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


def pool(n_workers: int) -> ProcessPoolExecutor:
    """The warm pool of `n_workers` workers of this process (a new one if the size differs)."""
    global _pool, _pool_size
    if _pool is None or _pool_size != n_workers:
        shutdown()
        context = multiprocessing.get_context(start_method())
        _pool, _pool_size = ProcessPoolExecutor(n_workers, mp_context=context), n_workers
    return _pool


def shutdown() -> None:
    """Stop this process's warm workers (the next `pool` call forks new ones)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


atexit.register(shutdown)


def map_in_order(
    task: Callable[..., Any], items: Sequence[Any], n_workers: int, *args: Any
) -> Iterator[Any]:
    """`task(item, *args)` for every item on `n_workers` warm workers, yielded in item order.

    A task whose worker died yields a `WorkerDied` in its place (see the module
    docstring); `task` and `args` must pickle (module-level functions and objects).
    """
    futures = _submit(pool(n_workers), task, items, args)
    for i, future in enumerate(futures):
        try:
            yield future.result()
        except BrokenProcessPool:
            shutdown()
            yield from _recover(task, items, args, n_workers, futures, i)
            return


def _submit(
    executor: ProcessPoolExecutor, task: Callable[..., Any], items: Sequence[Any], args: tuple
) -> list[Future]:
    return [executor.submit(task, item, *args) for item in items]


def _recover(
    task: Callable[..., Any],
    items: Sequence[Any],
    args: tuple,
    n_workers: int,
    futures: list[Future],
    start: int,
) -> Iterator[Any]:
    """The results from `start` on, rerunning the tasks the broken pool did not finish."""
    done: dict[int, Any] = {}
    lost = []
    for i in range(start, len(items)):
        future = futures[i]
        if future.done() and not future.cancelled() and future.exception() is None:
            done[i] = future.result()
        else:
            lost.append(i)
    done.update(_isolate(task, items, args, n_workers, lost))
    for i in range(start, len(items)):
        yield done[i]


def _isolate(
    task: Callable[..., Any], items: Sequence[Any], args: tuple, n_workers: int, lost: list[int]
) -> dict[int, Any]:
    """Rerun `lost` on fresh pools, halving every set that breaks; lone breakers died."""
    results: dict[int, Any] = {}
    sets = [lost]
    while sets:
        indices = sets.pop(0)
        with ProcessPoolExecutor(
            min(n_workers, len(indices)),
            mp_context=multiprocessing.get_context(start_method()),
        ) as executor:
            futures = _submit(executor, task, [items[i] for i in indices], args)
            broken = []
            for i, future in zip(indices, futures, strict=True):
                try:
                    results[i] = future.result()
                except BrokenProcessPool:
                    broken.append(i)
        if len(broken) == 1 and len(indices) == 1:
            results[broken[0]] = WorkerDied()
        elif broken:
            half = max(1, len(broken) // 2)
            sets.extend(part for part in (broken[:half], broken[half:]) if part)
    return results


_inherited: Any = None  # what `map_forked`'s workers read: set before they are forked


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def map_forked(
    task: Callable[[Any, int], Any],
    n_items: int,
    n_workers: int,
    context: Any,
    initializer: Callable[[], None] | None = None,
) -> list:
    """[task(context, i) for i in range(n_items)] on workers forked for this call (Linux only).

    The workers inherit `context` instead of receiving it pickled (it may hold what
    does not pickle: Hydra's config loader, local functions); only `i` and the results
    travel. `initializer` runs in each worker first. A dead worker raises
    BrokenProcessPool naming the workers' exit codes ("the exit codes of the workers
    are {SIGKILL(-9)}"); on any exception (Ctrl-C, SIGTERM) the workers are stopped at
    once, not waited for. `start_method()` must be 'fork'.
    """
    global _inherited
    _inherited = context
    fork = multiprocessing.get_context("fork")
    executor = ProcessPoolExecutor(max(1, min(n_workers, n_items)), fork, initializer=initializer)
    processes: list[Any] = []
    try:
        futures = [executor.submit(_call_inherited, task, i) for i in range(n_items)]
        processes += executor._processes.values()  # forked by the first submit
        try:
            results = [future.result() for future in futures]
        except BrokenProcessPool as err:
            raise BrokenProcessPool(f"{err}; {_exit_codes(processes)}") from err
    except BaseException:  # a dead worker, Ctrl-C or SIGTERM: stop at once, wait for none
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        raise
    finally:
        _inherited = None
    executor.shutdown(wait=True)
    return results


def _call_inherited(task: Callable[[Any, int], Any], i: int) -> Any:
    return task(_inherited, i)


def _exit_codes(processes: list[Any]) -> str:
    """'the exit codes of the workers are {SIGKILL(-9)}': how the dead workers ended."""
    codes = []
    for process in processes:
        process.join(timeout=0.2)  # the dead one has ended; the pool ends the others
        code = process.exitcode
        if code is not None and code < 0:
            codes.append(f"{signal.Signals(-code).name}({code})")
        elif code:
            codes.append(f"EXIT({code})")
    return f"the exit codes of the workers are {{{', '.join(codes)}}}"
