"""`custsim`: run one simulation (or a Hydra multirun) from the command line.

custsim                                   # the default experiment
custsim seed=3 steps=180 policy=hi_lo     # any key can be overridden
python -m experiments.run network=none    # the same entry point
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.compose import compose_config
from sim.config import ConfigError, CustsimConfig, register_configs, validate
from sim.report import format_summary
from sim.runner import make_policies, simulate

register_configs()


def fail(err: ConfigError, prog: str = "custsim") -> None:
    """Print each problem on one line, prefixed with the command's name, and exit with status 2."""
    for line in str(err).splitlines():
        print(f"{prog}: config error: {line}", file=sys.stderr)
    sys.exit(2)


@hydra.main(version_base="1.3", config_path="pkg://conf", config_name="config")
def app(cfg: DictConfig) -> None:
    """Validate the composed config, simulate, write results and print the KPIs."""
    try:
        run = simulate(validate(cfg), Path(HydraConfig.get().runtime.output_dir))
    except ConfigError as err:
        fail(err)
    print(format_summary(run))


def preflight(
    args: list[str],
    prog: str = "custsim",
    check: Callable[[CustsimConfig, list[str]], object] | None = None,
) -> None:
    """Compose and validate a plain single run's overrides before Hydra starts.

    Runs with Hydra flags (-m, --cfg, -cn ...) go straight to Hydra, which
    reports their errors itself. `check(cfg, overrides)`, if given, is a
    command's own further check; it raises ConfigError like the rest.
    """
    if any(a.startswith("-") for a in args):
        return
    overrides = [a for a in args if not a.lstrip("+~").startswith("hydra")]
    try:
        cfg = compose_config(overrides)
        make_policies(cfg)
        if check is not None:
            check(cfg, overrides)
    except ConfigError as err:
        fail(err, prog)


def main() -> None:
    """Console-script entry point."""
    preflight(sys.argv[1:])
    app()


if __name__ == "__main__":
    main()
