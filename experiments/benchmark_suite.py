"""The benchmark suite: the engine, the research loop, start-up and memory, in one table.

    python -m custsim.experiments.benchmark --suite            # about 3 minutes here
    python -m custsim.experiments.benchmark --suite --big      # adds 1e7 customers
    python -m custsim.experiments.benchmark --suite --json     # and one JSON line per row

Every row is a whole process, timed from outside (wall seconds, and the peak
resident memory of the process and its children):

- *engine*: one run of N customers x 365 days (`custsim.experiments.benchmark`'s
  isolated measurement: building apart from simulating);
- *research loop*: the real commands, `custsim-sensitivity` (Sobol, 40 runs of
  2,000 x 180), `custsim-optimize` (20 trials x 2 replications of 3,000 x 180),
  `custsim -m` (a 20-job sweep of 1e4 x 365) and `custsim-compare` (10 paired
  replications of 5,000 x 180); their throughput is all simulated customer-days
  over the wall time, and `share` is that against the engine's single-core speed at
  the same N (measured in the same suite);
- *start-up*: `custsim --help` and a trivial run (`steps=1 population.size=100`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
#: one isolated engine run: (size, steps, overrides) -> its measurement
#: (`custsim.experiments.benchmark.run_isolated`, which hands itself to `main`)
Engine = Callable[[int, int, list[str]], dict[str, float]]


@dataclass(frozen=True)
class Row:
    """One measured piece of work."""

    group: str  # engine, research loop, start-up
    work: str
    seconds: float  # wall, whole process
    customer_days: float  # simulated customers x days (0 for start-up)
    peak_mb: float  # peak resident memory of the process and its children
    engine_rate: float | None = None  # the engine's single-core speed at this N (research rows)

    @property
    def rate(self) -> float:
        """Customer-steps per second over the wall time."""
        return self.customer_days / self.seconds if self.seconds else 0.0


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one command that must succeed.

    The peak is the largest resident set of the command's process and the
    processes it waited for (`os.wait4`: workers included once they are reaped).
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd, stderr=proc.stderr.read())
    proc.stderr.close()
    return seconds, usage.ru_maxrss / 1024


def engine_row(engine: Engine, size: int, steps: int = 365) -> Row:
    """One isolated engine run of `size` customers over `steps` days."""
    r = engine(size, steps, [])
    return Row(
        "engine",
        f"{size:,} x {steps} (build {r['build_s']:.1f} s)",
        r["simulate_s"],
        size * steps,
        r["peak_rss_mb"],
    )


#: the research loop: (work, command arguments, customer-days, N of its runs)
RESEARCH = (
    (
        "custsim-sensitivity, Sobol, 40 runs of 2,000 x 180",
        ["custsim-sensitivity", "sensitivity.samples=8", "population.size=2000", "steps=180"],
        40 * 2000 * 180,
        2000,
    ),
    (
        "custsim-optimize, 20 trials x 2 of 3,000 x 180",
        ["custsim-optimize", "optimize.trials=20", "population.size=3000", "steps=180"],
        40 * 3000 * 180,
        3000,
    ),
    (
        "custsim -m, 20 jobs of 10,000 x 365",
        ["custsim", "-m", "seed=range(0,20)", "population.size=10000"],
        20 * 10_000 * 365,
        10_000,
    ),
    (
        "custsim-compare, 10 pairs of 5,000 x 180",
        ["custsim-compare", "policy=hi_lo", "population.size=5000", "steps=180"],
        20 * 5000 * 180,
        5000,
    ),
)


def research_rows(engine: Engine, work_dir: Path) -> list[Row]:
    """Each research-loop command, run for real into `work_dir`."""
    rows = []
    for i, (work, args, customer_days, size) in enumerate(RESEARCH):
        out = work_dir / f"r{i}"
        where = "hydra.sweep.dir" if "-m" in args else "hydra.run.dir"
        cmd = [str(BIN / args[0]), *args[1:], "progress=off", f"{where}={out}"]
        seconds, peak = timed(cmd, work_dir)
        steps = 365 if "-m" in args else 180
        rate = engine(size, steps, [])["customer_steps_per_s"]  # one core, the same N
        rows.append(Row("research", work, seconds, customer_days, peak, rate))
    return rows


def startup_rows(work_dir: Path) -> list[Row]:
    """`custsim --help` and a trivial run, best of three each."""
    rows = []
    for work, args in (
        ("custsim --help", ["--help"]),
        ("custsim steps=1 population.size=100", ["steps=1", "population.size=100"]),
    ):
        cmd = [str(BIN / "custsim"), *args, f"hydra.run.dir={work_dir / 'trivial'}"]
        best = min((timed(cmd, work_dir) for _ in range(3)), key=lambda t: t[0])
        rows.append(Row("start-up", work, best[0], 0.0, best[1]))
    return rows


def suite(engine: Engine, big: bool = False) -> list[Row]:
    """Every row of the suite, in table order."""
    sizes = [10_000, 100_000, 1_000_000] + ([10_000_000] if big else [])
    with tempfile.TemporaryDirectory() as tmp:
        work_dir = Path(tmp)
        engines = [engine_row(engine, size) for size in sizes]
        return [*engines, *research_rows(engine, work_dir), *startup_rows(work_dir)]


def format_table(rows: list[Row]) -> str:
    """The suite's table: work, wall seconds, customer-steps/s, share of engine speed, peak MB."""
    lines = [f"{'work':<52} {'wall s':>8} {'cust-steps/s':>13} {'share':>6} {'peak MB':>8}"]
    for r in rows:
        rate = f"{r.rate:.3g}" if r.customer_days else "-"
        share = f"{r.rate / r.engine_rate:.0%}" if r.engine_rate else "-"
        lines.append(f"{r.work:<52} {r.seconds:>8.2f} {rate:>13} {share:>6} {r.peak_mb:>8.0f}")
    cores = os.cpu_count()
    lines.append(f"({cores} cores; research rows: share of one core's engine speed at that N)")
    return "\n".join(lines)


def main(engine: Engine, big: bool, as_json: bool) -> None:
    """Run the suite with `engine` runs; print the table (and one JSON line per row)."""
    rows = suite(engine, big)
    print(format_table(rows))
    if as_json:
        for r in rows:
            print(json.dumps(asdict(r) | {"customer_steps_per_s": r.rate}))
