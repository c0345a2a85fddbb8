"""Benchmark: a whole sweep through the real `custsim -m`, and the overhead around each job.

    python -m custsim.experiments.benchmark_sweep  # 100 jobs of 1e4 customers x 365 days
    python -m custsim.experiments.benchmark_sweep --jobs 20 --size 2000 hydra/launcher=basic

Prints the sweep's wall time and jobs per minute, then where a job's time goes:
the simulation itself (`wall_seconds` in status.json covers simulation, result
files and plots), writing results and plots (measured in-process on one job),
a fresh `custsim` process (start-up: imports, composition, Hydra), and the
aggregation at the end (`aggregate_sweep`, timed on the finished sweep).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from custsim.experiments.sweeps.aggregate import aggregate_sweep
from custsim.sim.compose import compose_config
from custsim.sim.runner import simulate

BIN = Path(sys.executable).parent


def run_sweep(sweep_dir: Path, jobs: int, size: int, steps: int, extra: list[str]) -> float:
    """Wall seconds of `custsim -m seed=range(0, jobs)` into `sweep_dir`."""
    grid = [f"seed=range(0,{jobs})", f"population.size={size}", f"steps={steps}"]
    where = f"hydra.sweep.dir={sweep_dir}"
    cmd = [str(BIN / "custsim"), "-m", *grid, "progress=off", where, *extra]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def startup_seconds(workdir: Path) -> float:
    """A `custsim` process that simulates almost nothing: start-up and composition."""
    tiny = ["population.size=50", "steps=1", "plots=false", "write_customers=false"]
    cmd = [str(BIN / "custsim"), *tiny, f"hydra.run.dir={workdir / 'startup'}"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def write_seconds(size: int, steps: int, workdir: Path) -> tuple[float, float]:
    """(simulate only, simulate and write every result file and plot) for one job."""
    cfg = compose_config([f"population.size={size}", f"steps={steps}", "progress=off"])
    start = time.perf_counter()
    simulate(cfg)
    bare = time.perf_counter() - start
    start = time.perf_counter()
    simulate(cfg, workdir / "one")
    return bare, time.perf_counter() - start


def main() -> None:
    """Run the sweep, measure the parts, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=365)
    parser.add_argument("overrides", nargs="*", help="extra overrides, e.g. hydra/launcher=basic")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wall = run_sweep(work / "sweep", args.jobs, args.size, args.steps, args.overrides)
        status = pd.read_parquet(work / "sweep" / "results.parquet")
        start = time.perf_counter()
        aggregate_sweep(work / "sweep")
        aggregate = time.perf_counter() - start
        startup = startup_seconds(work)
        bare, written = write_seconds(args.size, args.steps, work)
    ok = int((status["status"] == "ok").sum())
    shape = f"{args.jobs} jobs x {args.size:,} customers x {args.steps} days"
    print(f"sweep: {shape}: {wall:.1f} s wall, {60 * args.jobs / wall:.0f} jobs/min, {ok} ok")
    print(f"  per job, in its process (status.json): mean {status['wall_seconds'].mean():.2f} s")
    print(f"  simulation alone (in-process):       {bare:.2f} s")
    print(f"  + result files and plots:            {written - bare:.2f} s")
    print(f"  process start-up and composition:    {startup:.2f} s (a fresh custsim)")
    print(f"  aggregation of the sweep (once):     {aggregate:.2f} s")
    customer_steps = args.jobs * args.size * args.steps
    print(f"  sweep throughput: {customer_steps / wall:.3g} customer-steps/s")


if __name__ == "__main__":
    main()
