"""`custsim-compare`'s own settings: the `compare` block and the name of its root config.

Only the standard library and `custsim.sim.rules` are imported here, so that the
command's `--help` reads these defaults without the engine (`config.py` adds the
block to a run's config and registers the root's schema with Hydra).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from custsim.sim.rules import bounded

CONFIG_NAME = "compare"  # conf/compare.yaml


@dataclass
class CompareConfig:
    """Settings of `custsim-compare`: the baseline policy and the number of paired replications."""

    baseline: str = "edlp"  # a policy option (conf/policy/ or a registered schema)
    replications: int = bounded(10, 2, cap=100_000)
    n_jobs: int = bounded(2, 1, cap=4096)  # local workers for the paired runs
    #: the baseline policy's own keys as overrides, e.g. ["policy.daily_cap=10"] (the baseline
    #: arm gets none of the command's policy.* overrides: they belong to the policy arm)
    baseline_overrides: list[str] = field(default_factory=list)
