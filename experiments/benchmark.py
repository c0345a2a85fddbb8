"""Benchmark: customer-steps per second and peak memory of the full default model.

    python -m custsim.experiments.benchmark                      # N = 1e4, 1e5, 1e6; 365 days
    python -m custsim.experiments.benchmark --sizes 100000 --steps 100 policy=hi_lo
    python -m custsim.experiments.benchmark --sizes 100000 --repeat 3  # best of 3
    python -m custsim.experiments.benchmark --suite    # engine, research loop, start-up

Each size runs in a fresh subprocess so that its peak resident memory (RSS) is
its own. Build time (population + network) is reported apart from the
simulation time; customer-steps/s = N * steps / simulation seconds.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def measure(size: int, steps: int, overrides: list[str]) -> dict[str, float]:
    """Build and run one model in this process; return timings and peak RSS."""
    from custsim.sim.compose import compose_config  # only here: the parent stays small, so
    from custsim.sim.runner import build_model  # its children's peak RSS is their own

    cfg = compose_config([f"population.size={size}", f"steps={steps}", "progress=off", *overrides])
    start = time.perf_counter()
    model = build_model(cfg)
    built = time.perf_counter()
    while model.running:
        model.step()
    done = time.perf_counter()
    return {
        "customers": size,
        "steps": steps,
        "build_s": built - start,
        "simulate_s": done - built,
        "customer_steps_per_s": size * steps / (done - built),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "edges": int(model.graph.n_edges),
    }


def run_isolated(size: int, steps: int, overrides: list[str]) -> dict[str, float]:
    """`measure` in a fresh interpreter."""
    cmd = [
        sys.executable,
        "-m",
        "custsim.experiments.benchmark",
        "--one",
        str(size),
        "--steps",
        str(steps),
        *overrides,
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run each size, print a table (and JSON lines with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--steps", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest counts")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print one JSON line per size")
    parser.add_argument(
        "--suite",
        action="store_true",
        help="engine, research loop and start-up in one table (experiments.benchmark_suite)",
    )
    parser.add_argument("--big", action="store_true", help="with --suite: 1e7 customers too")
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. policy=hi_lo")
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure(args.one, args.steps, args.overrides)))
        return
    if args.suite:
        from custsim.experiments import benchmark_suite  # imports nothing of this module

        benchmark_suite.main(run_isolated, args.big, args.json)
        return

    print(
        f"{'customers':>10} {'steps':>6} {'build s':>8} {'sim s':>8} "
        f"{'cust-steps/s':>13} {'peak MB':>8}"
    )
    for size in args.sizes:
        runs = [run_isolated(size, args.steps, args.overrides) for _ in range(args.repeat)]
        r = min(runs, key=lambda run: run["simulate_s"])
        print(
            f"{r['customers']:>10,} {r['steps']:>6} {r['build_s']:>8.2f} "
            f"{r['simulate_s']:>8.2f} {r['customer_steps_per_s']:>13.3g} "
            f"{r['peak_rss_mb']:>8.0f}",
            flush=True,
        )
        if args.json:
            print(json.dumps(r))


if __name__ == "__main__":
    main()
