"""`custsim-calibrate`'s job: read the log, fit both stages, prove it on the holdout, write.

Order: the log is read and checked and the split made before anything runs (a bad
log or date is one line, exit 2: `check_calibration`, also run by the command's
preflight, with the firm's complaint and survey records when given); stage 1 (BG/NBD,
Gamma-Gamma), stage 2 (the simulated method of moments: `custsim.experiments.calibrate.fit`),
with those records stage 3 (what the firm hears: `custsim.experiments.calibrate.voice`);
the holdout forecasts (`custsim.experiments.calibrate.forecast`); then the files:
config.yaml, trials.parquet, moments.csv, tracking.csv, frequency.csv, conditional.csv,
errors.csv, voice.csv (stage 3 only), plots/,
report.md into the run directory, the store's market and population options into the
config directory (`calibrate.config_dir`, by default the user config directory that
every custsim command searches: `custsim.sim.compose.user_config_dir`), and last
calibration.json (a directory holding it is complete). Nothing is written to the
config directory unless every step before succeeded.

The command (`custsim.experiments.calibrate.cli`) imports this module when it runs,
not for `--help`: it imports Optuna, pandas and the engine.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from custsim.experiments.calibrate.cli import PROG
from custsim.experiments.calibrate.config import CalibrateRun
from custsim.experiments.calibrate.data import (
    Columns,
    DataError,
    Split,
    daily_log,
    read_transactions,
    split_by_date,
)
from custsim.experiments.calibrate.fit import (
    START_BUY_SHARE,
    Auxiliary,
    ClosedForm,
    SimulatedFit,
    Simulator,
    Target,
    fit_closed_form,
    fit_simulated,
    starting_process,
)
from custsim.experiments.calibrate.forecast import (
    FREQUENCY_LABELS,
    HoldoutErrors,
    Tracks,
    actual_tracks,
    bgnbd_tracks,
    custsim_tracks,
    holdout_errors,
    tracking_frame,
)
from custsim.experiments.calibrate.report import format_summary, report_markdown
from custsim.experiments.calibrate.settings import SHIPPED_UNTIL, auto_scale
from custsim.experiments.calibrate.statistics import CohortSummary, summarise_split
from custsim.experiments.calibrate.store import write_store
from custsim.experiments.calibrate.voice import VoiceFit, firm_records, fit_voice
from custsim.experiments.cli import results_line, tool_job, write_config
from custsim.sim import results
from custsim.sim.config import ConfigError

COMPLETE_MARKER = "calibration.json"  # written last: a directory holding it is complete
#: an option name: a letter, then letters, digits, _ or -
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
#: seeds of the forecast runs start here after the run's seed (the fit used seed, seed + 1..R)
FORECAST_SEED_OFFSET = 1000


@dataclass(frozen=True)
class Calibration:
    """What the command read, fitted and forecast (everything the files and report hold)."""

    source: str
    name: str
    split: Split
    summary: CohortSummary
    closed: ClosedForm
    fit: SimulatedFit
    price: float
    sim: Simulator
    actual: Tracks
    custsim: Tracks
    bgnbd: Tracks
    errors: dict[str, HoldoutErrors]
    seconds: float
    voice: VoiceFit | None = None  # stage 3, with the firm's complaints or surveys


def option_name(cfg: CalibrateRun) -> str:
    """`calibrate.name`, or the log's file name; a bad or shipped name is a ConfigError."""
    given = cfg.calibrate.name
    name = given if given is not None else Path(str(cfg.data)).stem
    key = "calibrate.name"
    if not NAME.fullmatch(name):
        raise ConfigError(
            f"{key}={name}: must start with a letter and hold only letters, digits, _ and -"
        )
    shipped = _shipped_options()
    if name in shipped:
        raise ConfigError(
            f"{key}={name}: a shipped population or market has that name; choose another "
            f"(shipped: {', '.join(sorted(shipped))})"
        )
    return name


@cache
def _shipped_options() -> frozenset[str]:
    from custsim.sim.groups import config_groups

    return frozenset(
        o
        for g in config_groups("custsim.conf")
        if g.name in ("population", "market")
        for o in g.options
    )


@cache
def _read(source: str, columns: tuple[tuple[str, Any], ...]) -> Any:
    return daily_log(read_transactions(source, Columns(**dict(columns))))


def read_split(cfg: CalibrateRun) -> Split:
    """The log of `data` as customer-days, split at `calibrate.until` / `calibrate.end`.

    Raises:
        ConfigError: `data` or `calibrate.until` missing, or the log or a date is bad
            (the DataError's one line).

    """
    block = cfg.calibrate
    if cfg.data is None:
        raise ConfigError(
            "data: missing; a transaction log (a .csv or .parquet file with customer, date "
            f"and amount columns) or a shipped one: {', '.join(SHIPPED_UNTIL)}"
        )
    try:
        log = _read(str(cfg.data), tuple(asdict(block.columns).items()))
    except DataError as err:
        raise ConfigError(str(err)) from None
    until = block.until if block.until is not None else SHIPPED_UNTIL.get(str(cfg.data))
    if until is None:
        raise ConfigError(
            "calibrate.until: missing; the last day of the calibration period, e.g. "
            "calibrate.until=1997-09-30 (the days after it, to calibrate.end, are the holdout)"
        )
    try:
        return split_by_date(log, str(until), block.end)
    except DataError as err:
        raise ConfigError(str(err)) from None


def check_calibration(cfg: CalibrateRun, overrides: list[str]) -> None:
    """The command's own check before anything runs: the name, the log and the split."""
    del overrides
    option_name(cfg)
    if cfg.calibrate.sampler == "cmaes":
        try:
            import cmaes  # noqa: F401  Optuna's CMA-ES sampler needs it
        except ImportError:
            raise ConfigError(
                "calibrate.sampler=cmaes: needs the cmaes package (pip install cmaes); "
                "calibrate.sampler=tpe needs nothing more"
            ) from None
    heard = cfg.calibrate.complaints is not None or cfg.calibrate.surveys is not None
    if heard and "ComplaintHandling" in OmegaConf.to_yaml(OmegaConf.structured(cfg.policy)):
        raise ConfigError(
            "policy: a policy that answers complaints changes what complainers do, which "
            "stage 3 (calibrate.complaints, calibrate.surveys) cannot fit through; allowed: "
            "a policy without complaint_handling (e.g. policy=edlp)"
        )
    firm_records(cfg, read_split(cfg))


def config_dir(cfg: CalibrateRun) -> Path:
    """Where the store's options go: `calibrate.config_dir`, else the user config directory."""
    given = cfg.calibrate.config_dir
    if given is not None:
        return Path(given).expanduser()
    from custsim.sim.compose import user_config_dir

    return user_config_dir()


def calibrate(cfg: CalibrateRun, composed: DictConfig) -> Calibration:
    """Both stages and the forecasts for the validated command `cfg` (composed as `composed`)."""
    from tqdm import tqdm

    from custsim.sim.runner import show_progress

    start = time.perf_counter()
    split = read_split(cfg)
    records = firm_records(cfg, split)
    summary = summarise_split(split)
    block = replace(cfg.calibrate, scale=auto_scale(cfg.calibrate.scale, summary.n_customers))
    closed = fit_closed_form(summary)
    calibration_days = split.calibration()
    price = float(calibration_days["amount"].mean())
    daily = np.bincount(summary.first_day, minlength=int(summary.first_day.max()) + 1)
    sim = Simulator(composed, price, block.margin, [int(c) for c in daily], block.scale)
    target = Target.of(summary.moments())
    criterion = Auxiliary(closed.bgnbd)
    first = starting_process(closed.bgnbd.params, START_BUY_SHARE)
    with tqdm(
        total=block.trials,
        desc="calibrate",
        unit="trial",
        leave=False,
        disable=not show_progress(cfg.progress),
    ) as bar:
        fit = fit_simulated(
            criterion, target, sim, first, split.until_day, block, cfg.seed, bar.update
        )
    voice = None
    if records is not None:  # stage 3: what the firm hears, at stage 2's process
        voice = fit_voice(records, sim, fit.process, split.until_day, block.n_jobs, cfg.seed)
    seeds = [cfg.seed + FORECAST_SEED_OFFSET + r for r in range(block.replications)]
    actual = actual_tracks(summary)
    forecast = custsim_tracks(sim, fit.process, split.until_day, split.end_day, seeds, block.n_jobs)
    benchmark = bgnbd_tracks(closed, summary, split.until_day, split.end_day)
    until_week = summary.calibration_weeks
    errors = {
        "custsim": holdout_errors(actual, forecast, until_week),
        "BG/NBD": holdout_errors(actual, benchmark, until_week),
    }
    return Calibration(
        source=str(cfg.data),
        name=option_name(cfg),
        split=split,
        summary=summary,
        closed=closed,
        fit=fit,
        price=price,
        sim=sim,
        actual=actual,
        custsim=forecast,
        bgnbd=benchmark,
        errors=errors,
        seconds=time.perf_counter() - start,
        voice=voice,
    )


def errors_frame(errors: dict[str, HoldoutErrors]) -> pd.DataFrame:
    """errors.csv: one row per forecast (custsim, BG/NBD)."""
    return pd.DataFrame(
        [
            {
                "model": name,
                "holdout_actual": e.total_actual,
                "holdout_forecast": e.total_forecast,
                "holdout_error": e.total_error,
                "weekly_mape_holdout": e.weekly_mape_holdout,
                "weekly_mape_calibration": e.weekly_mape_calibration,
                "conditional_mae": e.conditional_mae,
            }
            for name, e in errors.items()
        ]
    )


def groups_frame(cal: Calibration) -> pd.DataFrame:
    """frequency.csv and conditional.csv in one: by calibration frequency 0..7+."""
    n = cal.summary.n_customers
    return pd.DataFrame(
        {
            "frequency": FREQUENCY_LABELS,
            "customers_actual": cal.actual.frequency * n,
            "customers_custsim": cal.custsim.frequency * n,
            "customers_bgnbd": cal.bgnbd.frequency * n,
            "holdout_actual": cal.actual.conditional,
            "holdout_custsim": cal.custsim.conditional,
            "holdout_bgnbd": cal.bgnbd.conditional,
        }
    )


def draw_plots(cal: Calibration, out: Path) -> dict[str, Path]:
    """The report's figures in out/plots/ (`custsim.experiments.calibrate.plots`)."""
    from custsim.experiments.calibrate import plots  # matplotlib: only when drawing

    folder = out / "plots"
    weeks = np.arange(1, len(cal.actual.weekly) + 1)
    until = cal.summary.calibration_weeks
    groups = groups_frame(cal)
    return {
        "tracking": plots.plot_tracking_pair(
            folder / "tracking.png",
            weeks,
            cal.actual.weekly,
            cal.custsim.weekly[: len(weeks)],
            cal.bgnbd.weekly[: len(weeks)],
            until,
        ),
        "frequency": plots.plot_frequency(
            folder / "frequency.png",
            list(FREQUENCY_LABELS),
            groups["customers_actual"].to_numpy(),
            groups["customers_custsim"].to_numpy(),
            groups["customers_bgnbd"].to_numpy(),
        ),
        "conditional": plots.plot_conditional(
            folder / "conditional.png",
            list(FREQUENCY_LABELS),
            cal.actual.conditional,
            cal.custsim.conditional,
            cal.bgnbd.conditional,
        ),
        "spend": plots.plot_spend(folder / "spend.png", cal.actual.spend, cal.custsim.spend),
        "trials": plots.plot_fit_trace(
            folder / "trials.png",
            cal.fit.trials["objective"].to_numpy(),
            np.fmin.accumulate(cal.fit.trials["objective"].to_numpy()),
        ),
    }


def write_calibration(
    cal: Calibration, cfg: CalibrateRun, out: Path, network: str
) -> tuple[Path, Path]:
    """The run directory's files, the store's options, and (last) calibration.json.

    `network`: the network option the fit ran with (the population file pins it).
    """
    write_config(cfg, out)
    results.write_parquet(cal.fit.trials, out / "trials.parquet")
    results.write_text(cal.fit.moments.to_csv(index=False), out / "moments.csv")
    results.write_text(
        tracking_frame(cal.actual, cal.custsim, cal.bgnbd).to_csv(index=False), out / "tracking.csv"
    )
    results.write_text(groups_frame(cal).to_csv(index=False), out / "groups.csv")
    results.write_text(errors_frame(cal.errors).to_csv(index=False), out / "errors.csv")
    figures = draw_plots(cal, out) if cfg.plots is not False else {}
    directory = config_dir(cfg)
    population, market = cal.sim.blocks(cal.fit.process, scale=1)
    if cal.voice is not None:  # the chain's calibrated keys; the failures stay the firm's
        population["experience"] = cal.voice.experience()
        results.write_text(voice_frame(cal.voice).to_csv(index=False), out / "voice.csv")
    header = (
        f"custsim calibrated store '{cal.name}': {cal.source}, calibration to "
        f"{cal.split.until.date()}, holdout to {cal.split.end.date()}\n"
        f"written by {PROG} (run directory {out}); refit rather than edit by hand"
    )
    written = write_store(directory, cal.name, market, population, network, header)
    results.write_text(report_markdown(cal, cfg, figures, written), out / "report.md")
    results.write_json(_summary_json(cal, written), out / COMPLETE_MARKER)
    return written


def _summary_json(cal: Calibration, written: tuple[Path, Path]) -> dict[str, Any]:
    fit, se = cal.fit, cal.fit.std_errors
    return {
        "name": cal.name,
        "data": cal.source,
        "customers": cal.summary.n_customers,
        "until": str(cal.split.until.date()),
        "end": str(cal.split.end.date()),
        "price": cal.price,
        "bgnbd": asdict(cal.closed.bgnbd.params),
        "bgnbd_std_errors": asdict(cal.closed.bgnbd.std_errors),
        "bgnbd_log_likelihood": cal.closed.bgnbd.log_likelihood,
        "process": asdict(fit.process),
        "process_std_errors": None if se is None else asdict(se),
        "objective": fit.objective,
        "errors": errors_frame(cal.errors).to_dict(orient="records"),
        "files": {"market": str(written[0]), "population": str(written[1])},
        "seconds": cal.seconds,
        **({} if cal.voice is None else {"voice": _voice_json(cal.voice)}),
    }


def voice_frame(voice: VoiceFit) -> pd.DataFrame:
    """voice.csv: stage 3's targets against the simulated store at the estimates."""
    rows = [
        {
            "measure": name,
            "parameter": s.key,
            "firm": s.target,
            "firm_std_error": s.target_se,
            "custsim": s.achieved,
            "estimate": s.estimate,
            "std_error": s.std_error,
            "reached": s.reached,
        }
        for name, s in (
            ("complaints per purchase", voice.propensity),
            ("mean survey score", voice.midpoint),
        )
        if s is not None
    ]
    return pd.DataFrame(rows)


def _voice_json(voice: VoiceFit) -> dict[str, Any]:
    r = voice.records
    return {
        "failure_rate": r.failure_rate,
        "transactions": r.transactions,
        "complaints": r.complaints,
        "answers": None if r.scores is None else len(r.scores),
        "nps": None if r.scores is None else r.nps,
        "nps_custsim": None if r.scores is None else voice.nps,
        "fit": voice_frame(voice).to_dict(orient="records"),
        "experience": voice.experience(),
        "run_with": voice.run_keys(),
        "runs": voice.runs,
        "seconds": voice.seconds,
    }


def run(cfg: DictConfig) -> None:
    """Inside the Hydra app: check, calibrate, write, print the summary.

    Reads the composed `cfg` and Hydra's run directory; writes the run directory's files
    and the store's options (module docstring).
    """
    job = tool_job(cfg, PROG, check=check_calibration)
    cal = calibrate(job.cfg, job.composed)
    written = write_calibration(cal, job.cfg, job.out, job.choices.get("network", "none"))
    print(format_summary(cal, job.cfg, written))
    print(results_line(job.out))
