"""`custsim`: run one simulation (or a Hydra multirun) from the command line.

custsim                                   # the default experiment
custsim seed=3 steps=180 policy=hi_lo     # any key can be overridden
python -m experiments.run network=none    # the same entry point
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sim import sweep
from sim.compose import compose_config
from sim.config import ConfigError, CustsimConfig, register_configs, validate
from sim.report import format_summary
from sim.runner import make_policies, simulate
from sim.sweep_progress import record_job

register_configs()


def fail(err: ConfigError, prog: str = "custsim") -> None:
    """Print each problem on one line, prefixed with the command's name, and exit with status 2."""
    for line in str(err).splitlines():
        print(f"{prog}: config error: {line}", file=sys.stderr)
    sys.exit(2)


@hydra.main(version_base="1.3", config_path="pkg://conf", config_name="config")
def app(cfg: DictConfig) -> None:
    """Validate the composed config, simulate, write results and print the KPIs.

    Every job writes status.json. In a multirun a complete job directory is skipped
    (resume) and a failing job is recorded and returns, so the sweep goes on.
    """
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    multirun = hc.mode == RunMode.MULTIRUN
    overrides = list(hc.overrides.task)
    if multirun and sweep.is_complete(out, overrides):
        print(f"skipped (complete): {out}")
        record_job(Path(hc.sweep.dir), hc.sweep.subdir, "skipped", 0.0)
        return
    if multirun:
        sweep.clear_job(out)
    status = {"overrides": overrides, "seed": cfg.get("seed"), "job_num": hc.job.get("num")}
    start = time.perf_counter()
    try:
        typed = validate(cfg)
        if multirun and typed.plots is None:  # a sweep plots its summary, not every job
            typed = replace(typed, plots=False)
        run = simulate(typed, out)
    except Exception as err:
        seconds = time.perf_counter() - start
        sweep.write_status(out, error=err, wall_seconds=seconds, **status)
        if multirun:
            print(f"custsim: job failed: {sweep.describe_error(err)} ({out})", file=sys.stderr)
            record_job(Path(hc.sweep.dir), hc.sweep.subdir, "failed", seconds)
            return
        if isinstance(err, ConfigError):
            fail(err)
        raise
    seconds = time.perf_counter() - start
    sweep.write_status(out, error=None, wall_seconds=seconds, **status)
    if multirun:  # the sweep's progress and summary stand in for each job's table
        record_job(Path(hc.sweep.dir), hc.sweep.subdir, "ok", seconds)
        return
    print(format_summary(run))


def preflight(
    args: list[str],
    prog: str = "custsim",
    check: Callable[[CustsimConfig, list[str]], object] | None = None,
) -> None:
    """Compose and validate a plain single run's overrides before Hydra starts.

    Runs with Hydra flags (-m, --cfg, -cn ...) and named sweeps (`sweep=...`)
    go straight to Hydra; the custsim sweeper plans and checks every job.
    `check(cfg, overrides)`, if given, is a command's own further check; it
    raises ConfigError like the rest.
    """
    if any(a.startswith("-") or a.lstrip("+").startswith("sweep=") for a in args):
        return  # Hydra flags and named sweeps: Hydra and the sweeper check each job
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
