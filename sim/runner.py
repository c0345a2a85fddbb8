"""Running one simulation from a config: validate, build, simulate, write, summarise."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from policies.base import Policy
from sim import results
from sim.config import ConfigError, CustsimConfig
from sim.firm import firm_specs
from sim.market import FirmSpec
from sim.metrics import customer_kpis, firm_kpis
from sim.model import CustsimModel


@dataclass(frozen=True)
class RunResult:
    """What a finished run produced."""

    model: CustsimModel
    timeseries: pd.DataFrame
    customers: pd.DataFrame
    firm_kpis: pd.DataFrame
    customer_kpis: dict[str, Any]
    seconds: float
    out_dir: Path | None


def policy_config_key(cfg: CustsimConfig, firm: str) -> str:
    """Where the policy of `firm` is configured."""
    return "policy" if firm == cfg.market.focal else f"market.firms.{firm}.policy"


def make_policy(cfg: CustsimConfig, spec: FirmSpec) -> Policy:
    """Instantiate the policy of firm `spec` (`_target_` config), errors as ConfigError."""
    key = policy_config_key(cfg, spec.name)
    node = cfg.policy if key == "policy" else cfg.market.firms[spec.name].policy
    node = OmegaConf.structured(node) if not isinstance(node, DictConfig) else node
    try:
        return instantiate(node, _partial_=True, _convert_="all", _recursive_=False)(firm=spec)
    except Exception as err:  # instantiate wraps import errors; constructors raise ValueError
        cause = err.__cause__ or err
        raise ConfigError(f"{key}.{cause}" if "=" in str(cause) else f"{key}: {cause}") from err


def make_policies(cfg: CustsimConfig) -> dict[str, Policy]:
    """Every firm's policy, instantiated (and so checked) before anything is simulated."""
    return {spec.name: make_policy(cfg, spec) for spec in firm_specs(cfg.market.firms)}


def build_model(cfg: CustsimConfig) -> CustsimModel:
    """The model for `cfg`."""
    return CustsimModel(cfg, make_policies(cfg))


def show_progress(setting: str) -> bool:
    """Progress bar on 'on', off on 'off', on a terminal only for 'auto'."""
    return setting == "on" or (setting == "auto" and sys.stderr.isatty())


def simulate(cfg: CustsimConfig, out_dir: Path | None = None) -> RunResult:
    """Run `cfg` to the end; write results into `out_dir` if given.

    Args:
        cfg: a validated configuration.
        out_dir: where to write config.yaml, timeseries.parquet, customers.parquet,
            plots/ and (last) kpis.json; None writes nothing.

    Returns:
        The model at the end and its results.

    """
    start = time.perf_counter()
    model = build_model(cfg)
    if cfg.fail_on_seed is not None and cfg.seed == cfg.fail_on_seed:
        raise RuntimeError(f"fail_on_seed={cfg.fail_on_seed}: injected failure (testing)")
    bar = tqdm(
        total=cfg.steps,
        desc="simulating",
        unit="day",
        delay=2.0,
        leave=False,
        disable=not show_progress(cfg.progress),
    )
    with bar:
        while model.running:
            model.step()
            bar.update()
    names = tuple(s.name for s in model.specs)
    run = RunResult(
        model=model,
        timeseries=model.recorder.timeseries(),
        customers=results.customers_frame(model.state, model.traits, names, model.unit_costs),
        firm_kpis=firm_kpis(model.recorder, model.state, model.points_liability()),
        customer_kpis=customer_kpis(model.state),
        seconds=time.perf_counter() - start,
        out_dir=out_dir,
    )
    if out_dir is not None:
        write_run(run, cfg)
    return run


def write_run(run: RunResult, cfg: CustsimConfig) -> None:
    """Write every result file; kpis.json last, as the completeness marker."""
    from sim.plots import plot_loyalty, plot_run  # matplotlib is imported only when plotting

    out = run.out_dir
    results.write_text(OmegaConf.to_yaml(OmegaConf.structured(cfg)), out / "config.yaml")
    results.write_parquet(run.timeseries, out / "timeseries.parquet")
    if cfg.write_customers:
        results.write_parquet(run.customers, out / "customers.parquet")
    if cfg.plots is not False:  # None (auto) reaches here only for single runs
        plot_run(run.timeseries, out / "plots")
        plot_loyalty(run.timeseries, out / "plots")
    kpis = {
        "seed": cfg.seed,
        "steps": cfg.steps,
        "focal_firm": cfg.market.focal,
        "firms": run.firm_kpis.set_index("firm").to_dict(orient="index"),
        "customers": run.customer_kpis,
    }
    results.write_json(kpis, out / results.COMPLETE_MARKER)
