"""`custsim-sensitivity`'s own settings: the `sensitivity` block, its default ranges, the root.

Only the standard library and `custsim.sim.rules` are imported here, so that the
command's `--help` reads these defaults without the engine (`config.py` adds the
block to a run's config and registers the root's schema with Hydra).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from custsim.sim.rules import MAX_NUMPY_SEED, bounded, one_of

CONFIG_NAME = "sensitivity"  # conf/sensitivity.yaml
#: analysed when `sensitivity.params` is not given: what matters at a constant price (EDLP,
#: the default policy; loss aversion matters only once prices move, e.g. policy=hi_lo)
DEFAULT_SENSITIVITY_PARAMS = {
    "population.traits.price_sensitivity.mean": [0.25, 0.65],  # every segment's
    "population.traits.social_weight.mean": [0.0, 1.0],
    "market.firms.A.price": [6.5, 9.5],
}


@dataclass
class SensitivityConfig:
    """Settings of `custsim-sensitivity`: global sensitivity analysis with SALib.

    `params` maps a config key to its [low, high] range (`Any`: an override
    replaces the default instead of merging into it); `method` is Sobol
    (Saltelli sampling, first and total order, `samples` base samples:
    N (D + 2) runs) or Morris (`samples` trajectories: N (D + 1) runs);
    `outputs` are focal-firm KPIs.
    """

    params: Any = None  # None: DEFAULT_SENSITIVITY_PARAMS
    method: str = one_of("sobol", "sobol", "morris")
    samples: int = bounded(64, 2, cap=1_000_000)
    outputs: list[str] = field(default_factory=lambda: ["margin", "units", "retention"])
    n_jobs: int = bounded(2, 1, cap=4096)
    sample_seed: int = bounded(0, 0, cap=MAX_NUMPY_SEED)
