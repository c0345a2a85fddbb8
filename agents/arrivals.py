"""When customers enter the market: arrival times of a cohort or of an inflow.

A customer's arrival time is a continuous day t >= 0: it is invisible and inactive
before t and has its first shopping occasion at t (`custsim.sim.stages.arrival.admit`).
Time 0 means present from the start (the first occasion then follows the usual
steady-state wait). Two schedules:

- empirical (a cohort from data): the share w_k / sum(w) of the customers arrives on
  day k + 1 (k = 0, 1, ...), at its midpoint t = k + 0.5; sizes by largest
  remainder, so a population of sum(w) customers reproduces the counts exactly
  (the CDNOW cohort's first purchases spread over twelve weeks: Fader, Hardie & Lee
  2005, *Marketing Science* 24(2): 275);
- Poisson inflow: a share of the customers is present at t = 0 and the others arrive
  one at a time at the event times of a Poisson process of rate lambda a day,
  t_m = (E_1 + ... + E_m) / lambda with E standard exponential (the m-th arrival).

Which customer gets which time is a random permutation, so arrival carries no
information about traits or network position.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custsim.agents.population import segment_sizes


def empirical_times(weights: ArrayLike, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """(n,) arrival times: day k + 1's share w_k / sum(w) of the customers arrives at k + 0.5.

    Args:
        weights: w_k >= 0 for days 1, 2, ... (e.g. a cohort's first purchases per day); sum > 0.
        n: customers.
        rng: draws the permutation that assigns the times to customers.

    """
    w = np.asarray(weights, dtype=float)
    sizes = segment_sizes(w / w.sum(), n)
    times = np.repeat(np.arange(len(w), dtype=float) + 0.5, sizes)
    return times[rng.permutation(n)]


def poisson_times(
    rate: float, present: int, n: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """(n,) arrival times: `present` customers at 0, the others at a Poisson process's events.

    The m-th of the n - present newcomers arrives at (E_1 + ... + E_m) / rate (E ~
    Exp(1)); the times are assigned to customers by a random permutation.
    """
    gaps = rng.standard_exponential(n - present)
    times = np.concatenate([np.zeros(present), np.cumsum(gaps) / rate])
    return times[rng.permutation(n)]
