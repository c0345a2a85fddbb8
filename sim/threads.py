"""Column chunks of today's shoppers on a thread pool: the shelf's arithmetic on both cores.

The shelf stage's utility terms and the logit are element-wise in the shoppers
(each column of a (J, m) array is one shopper), and their heavy parts (power,
exp, cumulative sums) are NumPy ufunc loops that release the GIL. So the
shoppers are cut into `workers` contiguous column ranges, each range runs on a
thread, and the results are joined in column order: every element is computed
by the same operations on the same inputs as in one piece, so the bytes are
the same for any number of threads.

Gathers and scatters by index (`a[:, who]`, `np.add.at`) hold the GIL in NumPy
2.x and gain nothing from threads (measured); the stages that are mostly such
work (settlement, aftermath, social signals) stay whole, and so does every
cross-customer step (the stock-limited queues, market totals, the draws).

Reads `threads` (root key, `custsim.sim.config.CustsimConfig`): 0 (auto) uses one
thread, because on the 2-core machine this was measured on (NumPy 2.5, 1e6
customers, ~150,000 shoppers a day) two threads gained nothing measurable (the
shelf stage: 23.9 ms a day on one thread, 23.4 ms on two, best of 15): most of
its time is the gathers of the shoppers' traits and tastes, which hold the GIL.
n >= 1 uses n threads wherever each gets at least one shopper.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from itertools import pairwise

AUTO_THREADS = 1  # what `threads=0` (auto) means: the measured best at every size (above)


def thread_count(setting: int) -> int:
    """Threads the shelf stage uses: `setting`, or AUTO_THREADS for 0 (auto)."""
    return setting or AUTO_THREADS


@cache
def pool(workers: int) -> ThreadPoolExecutor:
    """One shared pool per size, started on first use and kept for the process."""
    return ThreadPoolExecutor(workers, thread_name_prefix="custsim-shelf")


def chunks(m: int, workers: int) -> list[slice]:
    """`workers` contiguous, near-equal column ranges covering 0..m (one if m < workers)."""
    k = max(1, min(workers, m))
    bounds = [m * i // k for i in range(k + 1)]
    return [slice(lo, hi) for lo, hi in pairwise(bounds)]


def run[T](part: Callable[[slice], T], ranges: list[slice]) -> list[T]:
    """`part(columns)` for each range on the shared pool; the results in range order."""
    return list(pool(len(ranges)).map(part, ranges))
