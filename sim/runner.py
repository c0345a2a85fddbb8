"""Running one simulation from a config: validate, build, simulate, write, summarise.

Every run logs to the `custsim.sim.runner` logger what ran (in a Hydra job: the command's
overrides and the config groups' choices; the firms, their policies and the key
settings), how long building, simulating and writing took, every warning the run
raised, and where its results are. Under Hydra the `sim` logger writes to the
job's log file only (`<run dir>/run.log`, `hydra.job_logging` in conf/config.yaml),
so the console shows what it always showed; warnings are shown there as before.
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import OmegaConf
from tqdm import tqdm

from custsim.policies.base import Policy
from custsim.sim import results
from custsim.sim.config import ConfigError, CustsimConfig, records_purchases
from custsim.sim.faults import fail_if_asked
from custsim.sim.firm import firm_specs
from custsim.sim.market import FirmSpec
from custsim.sim.metrics import (
    acquisition_table,
    cause_tables,
    customer_kpis,
    experience_kpis,
    firm_kpis,
    reach_tables,
)
from custsim.sim.model import CustsimModel
from custsim.sim.policy_config import build_policy, policy_key

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # no "last resort" echo of warnings outside Hydra


@dataclass(frozen=True)
class RunResult:
    """What a finished run produced.

    `customers` (one row per customer, `results.customers_frame`) is built from
    the model's state when first read, not by the run: a run writing
    customers.parquet streams it from the arrays instead (`write_run`).
    """

    model: CustsimModel
    timeseries: pd.DataFrame
    firm_kpis: pd.DataFrame
    customer_kpis: dict[str, Any]
    seconds: float
    out_dir: Path | None
    experience_kpis: pd.DataFrame | None = None  # with the experience chain (metrics)
    causes: dict[str, Any] | None = None  # its cause ledgers (`metrics.cause_tables`)
    #: when a policy names a channel: per firm ("firm") and per firm and channel ("channels")
    reach: dict[str, pd.DataFrame] | None = None  # (`metrics.reach_tables`)
    acquisition: pd.DataFrame | None = None  # with prospects (`metrics.acquisition_table`)

    @property
    def customer_sources(self) -> tuple:
        """What `results.customers_frame` reads: state, traits, firm names, unit costs."""
        m = self.model
        return m.state, m.traits, tuple(s.name for s in m.specs), m.unit_costs

    @cached_property
    def customers(self) -> pd.DataFrame:
        """One row per customer (`results.customers_frame`), built on first use."""
        return results.customers_frame(*self.customer_sources)


def make_policy(cfg: CustsimConfig, spec: FirmSpec) -> Policy:
    """The policy of firm `spec` (`policy_config.build_policy`), errors as ConfigError."""
    key = policy_key(spec.name, cfg.market.focal)
    node = cfg.policy if key == "policy" else cfg.market.firms[spec.name].policy
    try:
        return build_policy(node, spec, key)
    except ValueError as err:
        raise ConfigError(str(err)) from err


def make_policies(cfg: CustsimConfig) -> dict[str, Policy]:
    """Every firm's policy, instantiated (and so checked) before anything is simulated."""
    specs = firm_specs(cfg.market.firms, cfg.channels)
    return {spec.name: make_policy(cfg, spec) for spec in specs}


def build_model(cfg: CustsimConfig, policies: dict[str, Policy] | None = None) -> CustsimModel:
    """The model for `cfg`, with `policies` (default: `make_policies(cfg)`)."""
    return CustsimModel(cfg, make_policies(cfg) if policies is None else policies)


def show_progress(setting: str) -> bool:
    """Progress bar on 'on', off on 'off', on a terminal only for 'auto'."""
    return setting == "on" or (setting == "auto" and sys.stderr.isatty())


def hydra_job_lines() -> list[str]:
    """In a Hydra job: its overrides and the config groups' choices; otherwise nothing."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    hc = HydraConfig.get()
    choices = {k: v for k, v in hc.runtime.choices.items() if v and not k.startswith("hydra/")}
    chosen = {k: v for k, v in choices.items() if "@" not in k}
    placed = sorted(v for k, v in choices.items() if "@" in k)  # channel@channels.email: email
    lines = [
        f"overrides: {' '.join(hc.overrides.task) or '(none)'}",
        "config: " + ", ".join(f"{k}={v}" for k, v in sorted(chosen.items())),
    ]
    return lines + ([f"channels: {', '.join(placed)}"] if placed else [])


def describe_run(cfg: CustsimConfig, policies: dict[str, Policy]) -> str:
    """One line: seed, days, customers, network, precision, every firm's price and policy."""
    firms = "; ".join(
        f"{name} price {firm.price:g} cost {firm.cost:g} policy {type(policies[name]).__name__}"
        for name, firm in cfg.market.firms.items()
    )
    return (
        f"run: seed {cfg.seed}, {cfg.steps} days, {cfg.population.size:,} customers in "
        f"{len(cfg.population.segments)} segments, network {cfg.network.kind}, precision "
        f"{cfg.precision}; focal firm {cfg.market.focal}; firms: {firms}"
    )


@contextmanager
def logged_warnings() -> Iterator[None]:
    """Log each warning raised in the block, then show it as it would have been shown.

    The warning filters stay as they are: a warning that is an error raises.
    """
    with warnings.catch_warnings(record=True) as caught:
        try:
            yield
        finally:
            shown = list(caught)
    for w in shown:
        log.warning("%s: %s (%s:%s)", w.category.__name__, w.message, w.filename, w.lineno)
        warnings.showwarning(w.message, w.category, w.filename, w.lineno, w.file, w.line)


#: draws a finished run's figures into a directory (`custsim.experiments.plots.draw_run_figures`)
Figures = Callable[[RunResult, Path], object]


def simulate(
    cfg: CustsimConfig, out_dir: Path | None = None, figures: Figures | None = None
) -> RunResult:
    """Run `cfg` to the end; write results into `out_dir` if given; log the run (module doc).

    Args:
        cfg: a validated configuration.
        out_dir: where to write config.yaml, timeseries.parquet, customers.parquet,
            purchases.parquet (when the run records purchases), plots/ and (last)
            kpis.json; None writes nothing.
        figures: draws the run's figures from its results into `out_dir/plots`
            when `cfg.plots` is not False (the engine draws none itself:
            `custsim.experiments.plots.draw_run_figures`, which `custsim.simulate` passes).

    Returns:
        The model at the end and its results.

    """
    for line in hydra_job_lines():
        log.info(line)
    start = time.perf_counter()
    with logged_warnings():
        try:
            return _simulate(cfg, out_dir, figures)
        except Exception as err:
            seconds = time.perf_counter() - start
            log.error("failed after %.2f s: %s: %s", seconds, type(err).__name__, err)
            raise


def _simulate(cfg: CustsimConfig, out_dir: Path | None, figures: Figures | None) -> RunResult:
    """Build, step to the end, collect the results, write them: `simulate` without the log."""
    start = time.perf_counter()
    policies = make_policies(cfg)
    log.info(describe_run(cfg, policies))
    model = build_model(cfg, policies)
    log.info("build: %.2f s", time.perf_counter() - start)
    fail_if_asked(cfg.seed)  # the test hook ($CUSTSIM_FAIL_ON_SEED): a failing job
    bar = tqdm(
        total=cfg.steps,
        desc="simulating",
        unit="day",
        delay=2.0,
        leave=False,
        disable=not show_progress(cfg.progress),
    )
    stepping = time.perf_counter()
    with bar:
        while model.running:
            model.step()
            bar.update()
    log.info("simulate: %d days, %.2f s", model.steps, time.perf_counter() - stepping)
    run = RunResult(
        model=model,
        timeseries=model.recorder.timeseries(),
        firm_kpis=firm_kpis(model.recorder, model.state, model.points_liability()),
        customer_kpis=customer_kpis(model.state),
        seconds=time.perf_counter() - start,
        out_dir=out_dir,
        experience_kpis=experience_kpis(model.recorder, model.state),
        causes=cause_tables(model.state, model.market.names),
        reach=reach_tables(model.state, model.market.names, model.unit_costs),
        acquisition=acquisition_table(model.state, model.market.names),
    )
    if out_dir is not None:
        writing = time.perf_counter()
        write_run(run, cfg, figures)
        log.info("write: %.2f s", time.perf_counter() - writing)
        log.info("results: %s", out_dir)
    return run


def write_run(run: RunResult, cfg: CustsimConfig, figures: Figures | None = None) -> None:
    """Write every result file and the figures if asked; kpis.json last (completeness marker)."""
    out = run.out_dir
    results.write_text(OmegaConf.to_yaml(OmegaConf.structured(cfg)), out / "config.yaml")
    results.write_parquet(run.timeseries, out / "timeseries.parquet")
    if cfg.write_customers:
        frames = results.customers_frames(*run.customer_sources)
        results.write_parquet_groups(frames, out / "customers.parquet")
    if records_purchases(cfg):  # streamed, one row group per PURCHASES_PER_GROUP rows or so
        results.write_parquet_groups(run.model.purchase_log.frames(), out / "purchases.parquet")
    if run.model.service_log is not None:  # the firms' service records (with the chain)
        results.write_parquet(run.model.service_log.incident_frame(), out / "incidents.parquet")
        results.write_parquet(run.model.service_log.survey_frame(), out / "surveys.parquet")
    if figures is not None and cfg.plots is not False:  # None (auto): single runs only
        figures(run, out / "plots")
    kpis = {
        "seed": cfg.seed,
        "steps": cfg.steps,
        "focal_firm": cfg.market.focal,
        "firms": run.firm_kpis.set_index("firm").to_dict(orient="index"),
        "customers": run.customer_kpis,
    }
    if run.experience_kpis is not None:  # the experience chain: its KPIs and cause ledgers
        kpis["experience"] = run.experience_kpis.set_index("firm").to_dict(orient="index")
        kpis |= run.causes
    if run.reach is not None:  # the firms' contacts: per firm, and per firm and channel
        kpis["reach"] = run.reach["firm"].set_index("firm").to_dict(orient="index")
        kpis["channels"] = {
            firm: rows.drop(columns="firm").set_index("channel").to_dict(orient="index")
            for firm, rows in run.reach["channels"].groupby("firm", sort=False)
        }
    if run.acquisition is not None:  # with prospects: acquisition cost, CAC, CLV/CAC per firm
        kpis["acquisition"] = run.acquisition.set_index("firm").to_dict(orient="index")
    results.write_json(kpis, out / results.COMPLETE_MARKER)
