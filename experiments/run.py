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

from sim.compose import compose_config
from sim.config import ConfigError, register_configs, validate
from sim.report import format_summary
from sim.runner import make_policies, simulate

register_configs()


def fail(err: ConfigError) -> None:
    """Print each problem on one line and exit with status 2."""
    for line in str(err).splitlines():
        print(f"custsim: config error: {line}", file=sys.stderr)
    sys.exit(2)


@hydra.main(version_base="1.3", config_path="pkg://conf", config_name="config")
def app(cfg: DictConfig) -> None:
    """Validate the composed config, simulate, write results and print the KPIs."""
    try:
        run = simulate(validate(cfg), Path(HydraConfig.get().runtime.output_dir))
    except ConfigError as err:
        fail(err)
    print(format_summary(run))


def preflight(args: list[str]) -> None:
    """Compose and validate a plain single run's overrides before Hydra starts.

    Runs with Hydra flags (-m, --cfg, -cn ...) go straight to Hydra, which
    reports their errors itself.
    """
    if any(a.startswith("-") for a in args):
        return
    try:
        cfg = compose_config([a for a in args if not a.lstrip("+~").startswith("hydra")])
        make_policies(cfg)
    except ConfigError as err:
        fail(err)


def main() -> None:
    """Console-script entry point."""
    preflight(sys.argv[1:])
    app()


if __name__ == "__main__":
    main()
