"""`custsim-abtest`'s own settings: the `abtest` block and the name of its root config.

Only the standard library and `custsim.sim.rules` are imported here, so that the
command's `--help` reads these defaults without the engine (`config.py` adds the
block to a run's config and registers the root's schema with Hydra).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from custsim.sim.rules import bounded

CONFIG_NAME = "abtest"  # conf/abtest.yaml
#: how the firm randomises its holdout (`custsim.policies.campaign.HOLDOUT_BY`)
DESIGNS = ("customer", "cluster")


@dataclass
class AbtestConfig:
    """Settings of `custsim-abtest`: replications, designs, the no-network reference."""

    replications: int = bounded(10, 2, cap=100_000)  # seeds seed, ..., seed + R - 1
    n_jobs: int = bounded(2, 1, cap=4096)  # local workers for the runs
    #: the holdout designs to test: customer (Bernoulli) and/or cluster (graph clusters)
    designs: list[str] = field(default_factory=lambda: list(DESIGNS))
    #: also run every seed with network=none (no word of mouth: no interference)
    no_network: bool = True
    #: customers per cluster at most, when the firm clusters its customers' graph
    cluster_size: int = bounded(50, 1, cap=10_000_000)
