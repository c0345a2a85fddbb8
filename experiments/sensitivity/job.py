"""`custsim-sensitivity`'s job: the sampled runs, the indices, the files and the table.

Every key of `sensitivity.params` is sampled over its [low, high] range (Sobol:
Saltelli sampling, N (D + 2) runs; Morris: N trajectories, N (D + 1) runs); each
sample row is the command's composed config with the row's values set
(`custsim.experiments.batch`), simulated with the same `seed` (common random
numbers: the indices reflect the parameters, not simulation noise). Runs go to
`sensitivity.n_jobs` warm local workers; results keep sample order, so the output
does not depend on `sensitivity.n_jobs`.

The command (`custsim.experiments.sensitivity.cli`) imports this module when it
runs, not for `--help`: it imports SALib, pandas and the engine.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from custsim.experiments.batch import Base, Failed, progress_bar, run_batch
from custsim.experiments.cli import (
    results_line,
    run_header,
    seeds_text,
    tool_job,
    write_config,
)
from custsim.experiments.sensitivity import analysis as sa
from custsim.experiments.sensitivity.cli import PROG
from custsim.experiments.sensitivity.config import CONFIG_NAME, SensitivityRun
from custsim.experiments.sweeps.job import describe_error
from custsim.sim import results
from custsim.sim.config import ConfigError
from custsim.sim.kpis import label
from custsim.sim.runner import RunResult, make_policies

COMPLETE_MARKER = "indices.parquet"  # written last: a directory holding it is complete
SHOWN_ERRORS = 5


def check_sensitivity(cfg: SensitivityRun, overrides: Sequence[str] = ()) -> None:
    """Validate `cfg.sensitivity` against the composed config (preflight `check`).

    Raises:
        ConfigError: one line per problem.

    """
    s = cfg.sensitivity
    problems = sa.check_spec(sa.given_params(s), s.outputs, OmegaConf.structured(cfg))
    if problems:
        raise ConfigError("\n".join(problems))


@dataclass(frozen=True)
class Study:
    """What a sensitivity study produced."""

    samples: pd.DataFrame  # samples.parquet: one row per run
    indices: pd.DataFrame | None  # indices.parquet; None when a run failed
    failed: list[int]
    seconds: float


@dataclass(frozen=True)
class FocalOutputs:
    """A reducer: the focal firm's KPIs named in `outputs`, from one run.

    The workers unpickle it by reference, so it must live in an importable
    module (this one), never in `__main__`.
    """

    outputs: tuple[str, ...]

    def __call__(self, run: RunResult) -> dict[str, float]:
        """{output: value} of the run's focal firm."""
        kpis = run.firm_kpis.set_index("firm").loc[run.model.cfg.market.focal]
        return {name: float(kpis[name]) for name in self.outputs}


def run_samples(base: Base, rows: list[dict], cfg: SensitivityRun) -> list[dict[str, Any]]:
    """Every row's outputs and error (None if it ran), in sample order, on `n_jobs` workers.

    A row is the base config with the row's values set (`Base.derive`); a row the
    config or its policies reject, or whose run fails, is recorded with NaN outputs
    and its error, never fatal.
    """
    outputs = tuple(cfg.sensitivity.outputs)
    failed = dict.fromkeys(outputs, np.nan)
    cfgs, errors = {}, {}
    for i, values in enumerate(rows):
        try:
            cfgs[i] = base.derive(values)
            make_policies(cfgs[i])
        except ConfigError as err:
            errors[i] = describe_error(err)
    bar = progress_bar("sensitivity runs", len(cfgs), cfg.progress)
    ran = dict(
        zip(
            cfgs,
            run_batch(list(cfgs.values()), FocalOutputs(outputs), cfg.sensitivity.n_jobs, bar),
            strict=True,
        )
    )
    for i, out in ran.items():
        if isinstance(out, Failed):
            errors[i] = out.error
    return [
        failed | {"error": errors[i]} if i in errors else ran[i] | {"error": None}
        for i in range(len(rows))
    ]


def study(cfg: SensitivityRun, base: Base) -> Study:
    """Sample, run every sample of `base`, and (when every run succeeded) compute the indices."""
    start = time.perf_counter()
    s = cfg.sensitivity
    problem = sa.make_problem(sa.given_params(s))
    x = sa.sample(problem, s.method, s.samples, s.sample_seed)
    ints = sa.int_keys(problem["names"], OmegaConf.structured(cfg))
    rows = [sa.row_values(problem["names"], r, ints) for r in x]
    outs = run_samples(base, rows, cfg)
    pairs = enumerate(zip(rows, outs, strict=True))
    samples = pd.DataFrame([{"run": i, **v, **o} for i, (v, o) in pairs])
    failed = sa.failed_rows(list(samples["error"]))
    indices = None
    if not failed:
        ys = {name: samples[name].to_numpy(dtype=float) for name in s.outputs}
        indices = sa.analyze(problem, s.method, x, ys, s.sample_seed)
    return Study(samples, indices, failed, time.perf_counter() - start)


def write_study(result: Study, cfg: SensitivityRun, out: Path) -> None:
    """config.yaml, samples.parquet, plots/indices.png and (last) indices.parquet."""
    write_config(cfg, out)
    results.write_parquet(result.samples, out / "samples.parquet")
    if result.indices is None:
        return
    if cfg.plots is not False:
        plot_indices(result.indices, cfg.sensitivity.method, out / "plots" / "indices.png")
    results.write_parquet(result.indices, out / COMPLETE_MARKER)


def plot_indices(indices: pd.DataFrame, method: str, path: Path) -> Path:
    """One panel per output: Sobol ST and S1 bars with CI whiskers, or Morris mu* and sigma."""
    import matplotlib.pyplot as plt  # only when plotting

    from custsim.experiments.compare.plots import STYLE
    from custsim.experiments.plots import PALETTE, closing_figure, save_png

    outputs = list(dict.fromkeys(indices["output"]))
    params = list(dict.fromkeys(indices["parameter"]))
    labels = sa.short_names(params)
    size = (4.2 * len(outputs) + 1.5, 0.55 * len(params) + 1.8)
    with (
        plt.rc_context(STYLE),
        closing_figure(ncols=len(outputs), sharey=True, figsize=size) as (
            fig,
            axes,
        ),
    ):
        for ax, name in zip(np.atleast_1d(axes), outputs, strict=True):
            rows = indices[indices["output"] == name].set_index("parameter").loc[params]
            y = np.arange(len(params))[::-1]  # first parameter on top
            if method == "sobol":
                _sobol_panel(ax, rows, y, PALETTE)
            else:
                _morris_panel(ax, rows, y, PALETTE)
            ax.set_title(label(name, "firm"))
            ax.set_yticks(y, [labels[p] for p in params])
            ax.grid(axis="y", visible=False)
        np.atleast_1d(axes)[0].legend(loc="lower right", fontsize=8)
        fig.suptitle(f"{method.capitalize()} sensitivity of the focal firm's KPIs")
        return save_png(fig, path)


def _sobol_panel(ax: Any, rows: pd.DataFrame, y: np.ndarray, palette: Sequence[str]) -> None:
    """Total-order (ST) and first-order (S1) bars with 95% CI whiskers."""
    for col, shift, color in (("ST", 0.2, palette[0]), ("S1", -0.2, palette[1])):
        ax.barh(y + shift, rows[col], height=0.38, color=color, label=col)
        ax.errorbar(rows[col], y + shift, xerr=rows[f"{col}_conf"], fmt="none", ecolor="0.15")
    ax.axvline(0, color="0.2", lw=0.9)
    ax.set_xlabel("Sobol index (whiskers: 95% CI)")


def _morris_panel(ax: Any, rows: pd.DataFrame, y: np.ndarray, palette: Sequence[str]) -> None:
    """mu* bars with 95% CI whiskers and sigma markers (interactions, nonlinearity)."""
    ax.barh(y, rows["mu_star"], height=0.6, color=palette[0], label="mu*")
    ax.errorbar(rows["mu_star"], y, xerr=rows["mu_star_conf"], fmt="none", ecolor="0.15")
    ax.plot(rows["sigma"], y, "D", color=palette[5], label="sigma")
    ax.set_xlabel("elementary effect per range (whiskers: 95% CI)")


def _number(v: float) -> str:
    """Compact: thousands separators for large values, 3 decimals for small ones."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3f}"


def format_indices(indices: pd.DataFrame, method: str) -> list[str]:
    """The table: one line per (output, parameter), value ± CI half-width."""
    labels = sa.short_names(list(dict.fromkeys(indices["parameter"])))
    cols = ("S1", "ST") if method == "sobol" else ("mu_star", "sigma")
    head = f"{'output':<12}{'parameter':<28}" + "".join(f"{c:>22}" for c in cols)
    lines = [head]
    for _, r in indices.iterrows():
        first = f"{_number(r[cols[0]])} ± {_number(r[f'{cols[0]}_conf'])}"
        second = (
            f"{_number(r['ST'])} ± {_number(r['ST_conf'])}"
            if method == "sobol"
            else _number(r["sigma"])
        )
        lines.append(f"{r['output']:<12}{labels[r['parameter']]:<28}{first:>22}{second:>22}")
    return lines


def header(result: Study, cfg: SensitivityRun) -> str:
    """What was analysed: method, parameters and ranges, runs, population, seed, time."""
    s = cfg.sensitivity
    params = sa.given_params(s)
    ranges = ", ".join(f"{k} in [{lo:g}, {hi:g}]" for k, (lo, hi) in params.items())
    what = (
        f"{s.method}, {len(params)} params x {s.samples} samples = {len(result.samples)} runs; "
        f"focal firm {cfg.market.focal}; {seeds_text(cfg.seed, 1)}"
    )
    return f"{run_header(PROG, what, cfg, result.seconds)}\nparams: {ranges}"


def report_failures(result: Study) -> None:
    """Name the failed rows and their errors on stderr; exit with status 1."""
    n, total = len(result.failed), len(result.samples)
    rows = ", ".join(map(str, result.failed))
    print(f"{PROG}: {n} of {total} runs failed (rows {rows}); no indices computed", file=sys.stderr)
    for i in result.failed[:SHOWN_ERRORS]:
        print(f"  row {i}: {result.samples.at[i, 'error']}", file=sys.stderr)
    sys.exit(1)


def run(cfg: DictConfig) -> None:
    """Inside the Hydra app: validate, run every sample, write the results, print the indices.

    Reads the composed `cfg` and Hydra's run directory; writes config.yaml,
    samples.parquet, plots/indices.png and (last) indices.parquet there; exits 1
    when a run failed (no indices).
    """
    job = tool_job(cfg, PROG, check=check_sensitivity)
    typed = job.cfg
    result = study(typed, Base(job.overrides, CONFIG_NAME, job.composed))
    write_study(result, typed, job.out)
    print(header(result, typed))
    if result.indices is None:
        print(results_line(job.out))
        report_failures(result)
    print("\n".join(["", *format_indices(result.indices, typed.sensitivity.method)]))
    print(results_line(job.out))
