"""`custsim`: run one simulation (or a Hydra multirun) from the command line.

    custsim                                   # the default experiment
    custsim seed=3 steps=180 policy=hi_lo     # any key can be overridden
    python -m experiments.run network=none    # the same entry point
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.config import ConfigError, register_configs, validate
from sim.report import format_summary
from sim.runner import simulate

register_configs()


@hydra.main(version_base="1.3", config_path="pkg://conf", config_name="config")
def app(cfg: DictConfig) -> None:
    """Validate the composed config, simulate, write results and print the KPIs."""
    try:
        typed = validate(cfg)
        out_dir = Path(HydraConfig.get().runtime.output_dir)
        run = simulate(typed, out_dir)
    except ConfigError as err:
        for line in str(err).splitlines():
            print(f"custsim: config error: {line}", file=sys.stderr)
        sys.exit(2)
    print(format_summary(run))


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
