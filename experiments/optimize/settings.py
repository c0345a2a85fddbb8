"""`custsim-optimize`'s own settings: the `optimize` block, its default search space, the root.

Only the standard library, `custsim.sim.rules` and `custsim.sim.kpis` are
imported here, so that the command's `--help` reads these defaults without the
engine (`config.py` adds the block to a run's config and registers the root's
schema with Hydra).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from custsim.sim.kpis import FOCAL_KPIS
from custsim.sim.rules import MAX_MONEY, MAX_NUMPY_SEED, bounded, one_of

CONFIG_NAME = "optimize"  # conf/optimize.yaml
#: the objective that is no KPI of one run: the return on the focal firm's contact spend
ROI = "roi"
#: searched when `optimize.params` is not given: the focal firm's best everyday price
DEFAULT_OPTIMIZE_PARAMS = {"market.firms.A.price": [6.0, 10.0]}


@dataclass
class OptimizeConfig:
    """Settings of `custsim-optimize`: which parameters to search, for what, how long.

    `params` maps a config key to its [low, high] search range (integers when
    both ends are integers; `Any`, so that an override replaces the default
    search space instead of merging into it). The objective is a focal-firm
    KPI averaged over `replications` seeds per trial, maximised subject to
    focal retention >= `min_retention` and focal contact cost <= `max_contact_cost`
    (each when set).

    `roi` (`custsim.experiments.optimize.search.roi_kpis`) is the return on the
    focal firm's contact spend, sum_r (M_r - B_r) / sum_r K_r over the seeds r:
    M_r the focal margin (net of the contact cost), B_r the focal margin of the
    same seed under the policy `baseline` (run once per seed, reused by every
    trial: common random numbers), K_r the focal contact cost.
    """

    params: Any = None  # None: DEFAULT_OPTIMIZE_PARAMS
    objective: str = one_of("margin", *FOCAL_KPIS, ROI)
    min_retention: float | None = bounded(None, 0.0, 1.0, nullable=True)
    max_contact_cost: float | None = bounded(None, 0.0, cap=MAX_MONEY, nullable=True)
    baseline: str = "edlp"  # the policy option without messages that `roi` is measured against
    trials: int = bounded(30, 1, cap=1_000_000)
    replications: int = bounded(2, 1, cap=100_000)
    sampler_seed: int = bounded(0, 0, cap=MAX_NUMPY_SEED)
    n_jobs: int = bounded(2, 1, cap=4096)  # local workers for a trial's replications
