"""`custsim-compare`'s job: the paired replications, their lift, the files and the table.

Replication r runs both arms with seed `seed + r` (common random numbers: the
same population, network and initial draws; the 2 R runs on `compare.n_jobs` warm
workers, `custsim.experiments.batch`), and the lift of every KPI is the
mean paired difference with a paired-t 95% interval (`custsim.experiments.compare.lift`).
The baseline arm is composed from the same overrides with every `policy` override replaced
by `policy=<compare.baseline>`.

The command (`custsim.experiments.compare.cli`) imports this module when it runs,
not for `--help`: it imports pandas, NumPy, SciPy and the engine.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from custsim.experiments.batch import Failed, hydra_set_aside, progress_bar, run_batch
from custsim.experiments.cli import (
    fail,
    results_line,
    run_header,
    seeds_text,
    tool_job,
    write_config,
)
from custsim.experiments.compare.cli import PROG
from custsim.experiments.compare.config import CONFIG_NAME, CompareRun
from custsim.experiments.compare.lift import (
    RFM_CLASSES,
    ROI,
    Metrics,
    daily_lift,
    decomposition_table,
    lift_table,
    promotion_decomposition,
    rfm_classes,
    rfm_metrics,
    run_metrics,
)
from custsim.experiments.compare.plots import Labels, plot_comparison
from custsim.policies.crm.records import FirmRecords
from custsim.sim import results
from custsim.sim.compose import compose_config
from custsim.sim.config import ConfigError
from custsim.sim.kpis import kpi
from custsim.sim.runner import RunResult, make_policies

COMPLETE_MARKER = "comparison.parquet"  # written last: a directory holding it is complete
PART_NAMES = {
    "bump": "bump B",
    "switching": "switching S",
    "pulled_forward": "pulled forward T",
    "expansion": "category expansion E",
}
WIDTHS = (30, 11, 11, 11, 24, 8)


def policy_options() -> list[str]:
    """The options of the `policy` config group (registered schemas and conf/policy/ variants)."""
    from custsim.policies.registry import policy_options as options

    return options()


def baseline_overrides(
    overrides: Sequence[str], baseline: str, own: Sequence[str] = ()
) -> list[str]:
    """`overrides` less the root `policy`'s (option or keys), plus policy=<baseline> and `own`.

    `own` are the baseline policy's keys (`compare.baseline_overrides`). Competitors'
    policies (`+policy@market.firms.B.policy=...`) are kept.
    """
    kept = [o for o in overrides if o.lstrip("+~").split("=")[0].split(".")[0] != "policy"]
    return [*kept, f"policy={baseline}", *own]


def baseline_config(cfg: CompareRun, overrides: Sequence[str]) -> CompareRun:
    """The baseline arm's validated config, its policies instantiated (and so checked).

    Raises:
        ConfigError: for an unknown `compare.baseline` (naming the options) or a
            baseline config that fails validation.

    """
    name, options = cfg.compare.baseline, policy_options()
    if name not in options:
        raise ConfigError(f"compare.baseline={name!r}: must be one of: {', '.join(options)}")
    own = list(cfg.compare.baseline_overrides)
    for override in own:
        if not override.startswith("policy.") or "=" not in override:
            raise ConfigError(
                f"compare.baseline_overrides={own!r}: each must be policy.KEY=VALUE "
                f"(a key of the baseline policy {name}), not {override!r}"
            )
    with hydra_set_aside():
        base = compose_config(baseline_overrides(overrides, name, own), CONFIG_NAME)
    make_policies(base)
    return base


@dataclass(frozen=True)
class Comparison:
    """What a comparison produced."""

    table: pd.DataFrame  # comparison.parquet: one row per (scope, metric)
    replications: pd.DataFrame  # replications.parquet: one row per (replication, arm)
    daily: pd.DataFrame  # focal units per day: both arms' means, lift, CI, promo share
    seconds: float


@dataclass(frozen=True)
class FocalLedger:
    """One arm's focal firm per customer: its RFM class in this arm and its ledger.

    `classes` are computed from the firm's own records at the end of the run
    (`lift.rfm_classes`); a comparison cuts both arms by the baseline arm's. 25 bytes
    per customer and run are kept until the pairs are tabulated.
    """

    classes: np.ndarray  # int8 codes into lift.RFM_CLASSES
    spend: np.ndarray
    margin: np.ndarray
    clv: np.ndarray


Arm = tuple[Metrics, pd.DataFrame, FocalLedger]


def arm_result(run: RunResult) -> Arm:
    """A reducer: one arm's metrics, its daily units and promotions per firm, its focal ledger.

    The RFM classes come from what the focal firm sees at the start of day steps + 1
    (`CustsimModel.observe`: its records of every purchase of the run).
    """
    model = run.model
    cfg = model.cfg
    focal = cfg.market.focal
    experience = run.experience_kpis
    if experience is not None and not cfg.market.firms[focal].survey.every:
        experience = experience.drop(columns="nps")  # no survey: the firm has no NPS
    reach = None if run.reach is None else run.reach["firm"]
    metrics = run_metrics(run.firm_kpis, run.customer_kpis, run.customers, focal, experience, reach)
    j = model.market.names.index(focal)
    obs = model.observe(cfg.steps + 1, j, model.regular_prices)
    ledger = FocalLedger(
        classes=rfm_classes(FirmRecords.from_obs(obs)),
        spend=run.customers[f"spend_{focal}"].to_numpy(np.float64),
        margin=run.customers[f"margin_{focal}"].to_numpy(np.float64),
        clv=run.customers[f"clv_{focal}"].to_numpy(np.float64),
    )
    return metrics, run.timeseries[["day", "firm", "units", "promo"]], ledger


def add_rfm_metrics(policy: Arm, baseline: Arm) -> None:
    """Add both arms' `rfm:<class>` metrics to their metrics, cut by the baseline's classes.

    Both arms share the seed and so the customers (row ids), so customer i is in the
    same class in both: the class the baseline arm's focal firm gives it at the end.
    """
    classes = baseline[2].classes
    for metrics, _, ledger in (policy, baseline):
        metrics |= rfm_metrics(classes, ledger.spend, ledger.margin, ledger.clv)


def compare(policy_cfg: CompareRun, baseline_cfg: CompareRun) -> Comparison:
    """Run R paired replications (seeds seed, ..., seed + R - 1) and tabulate the lift.

    The 2 R runs go to `compare.n_jobs` warm workers (`custsim.experiments.batch`);
    the result does not depend on how many.

    Raises:
        RuntimeError: when a run failed (a lift needs every pair).

    """
    start = time.perf_counter()
    reps, focal = policy_cfg.compare.replications, policy_cfg.market.focal
    seeds = [policy_cfg.seed + r for r in range(reps)]
    cfgs = [replace(cfg, seed=s) for s in seeds for cfg in (policy_cfg, baseline_cfg)]
    bar = progress_bar("paired runs", len(cfgs), policy_cfg.progress)
    runs = run_batch(cfgs, arm_result, policy_cfg.compare.n_jobs, bar)
    failed = [r for r in runs if isinstance(r, Failed)]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(runs)} runs failed; first: {failed[0].error}")
    arms = {"policy": runs[0::2], "baseline": runs[1::2]}
    for p, b in zip(arms["policy"], arms["baseline"], strict=True):
        add_rfm_metrics(p, b)
    parts = [
        promotion_decomposition(p[1], b[1], focal)
        for p, b in zip(arms["policy"], arms["baseline"], strict=True)
    ]
    metrics = {arm: [m for m, *_ in pairs] for arm, pairs in arms.items()}
    table = lift_table(metrics["policy"], metrics["baseline"])
    return Comparison(
        table=pd.concat([table, decomposition_table(parts)], ignore_index=True),
        replications=replications_frame(metrics, parts, policy_cfg.seed),
        daily=focal_daily(arms, focal),
        seconds=time.perf_counter() - start,
    )


def replications_frame(
    metrics: dict[str, list[Metrics]], parts: list[dict[str, float]], seed: int
) -> pd.DataFrame:
    """One row per replication and arm: every metric as `<scope>.<metric>`.

    The paired decomposition (`decomposition.bump`, ...) sits on the policy row
    and is NaN on the baseline row.
    """
    rows = []
    for r, part in enumerate(parts):
        for arm in ("policy", "baseline"):
            row: dict[str, object] = {"replication": r, "seed": seed + r, "arm": arm}
            row |= {f"{scope}.{name}": v for (scope, name), v in metrics[arm][r].items()}
            row |= {
                f"decomposition.{k}": v if arm == "policy" else math.nan for k, v in part.items()
            }
            rows.append(row)
    return pd.DataFrame(rows)


def focal_daily(arms: dict[str, list[Arm]], focal: str) -> pd.DataFrame:
    """Mean daily focal units per arm, their paired lift and the share of promo replications."""

    def focal_rows(ts: pd.DataFrame) -> pd.DataFrame:
        return ts[ts["firm"] == focal].sort_values("day")

    units = {
        arm: np.stack([focal_rows(ts)["units"].to_numpy() for _, ts, _ in runs])
        for arm, runs in arms.items()
    }
    promo = np.stack([focal_rows(ts)["promo"].to_numpy() for _, ts, _ in arms["policy"]])
    return daily_lift(units["policy"], units["baseline"]).assign(promo=promo.mean(axis=0))


def write_comparison(result: Comparison, cfg: CompareRun, labels: Labels, out: Path) -> None:
    """config.yaml, replications.parquet, plots/ and (last, the completeness marker) comparison."""
    write_config(cfg, out)
    results.write_parquet(result.replications, out / "replications.parquet")
    if cfg.plots is not False:
        plot_comparison(result.table, result.daily, labels, out / "plots")
    results.write_parquet(result.table, out / COMPLETE_MARKER)


def policy_label(choice: str, overrides: Sequence[str]) -> str:
    """The policy option with its overridden parameters: 'hi_lo(depth=0.3)'."""
    params = [
        o.lstrip("+").removeprefix("policy.")
        for o in overrides
        if o.lstrip("+").startswith("policy.")
    ]
    return f"{choice}({', '.join(params)})" if params else choice


def _cells(*cells: str) -> str:
    """Cells padded to `WIDTHS`, the first left-aligned."""
    head, *rest = cells
    return f"{head:<{WIDTHS[0]}}" + "".join(
        f"{c:>{w}}" for c, w in zip(rest, WIDTHS[1:], strict=False)
    )


def _kpi_row(row: pd.Series, owner: str) -> str:
    """'A revenue  baseline  policy  lift  [low, high]  lift%'.

    Numbers and the label come from the KPI registry (`custsim.sim.kpis`): a
    rate's level in %, its lift and interval in percentage points. An `rfm:<class>`
    row's metric has the unit it has in every scope (`kpi` without a scope).
    """
    scope = row["scope"]
    k = kpi(row["metric"], None if scope.startswith("rfm:") else scope)
    low, high = (k.format(row[c], signed=True).removesuffix(" pp") for c in ("ci_low", "ci_high"))
    ci = f"[{low}, {high}]"
    pct = f"{row['lift_pct']:+.1f}%" if np.isfinite(row["lift_pct"]) else "n/a"
    lift = k.format(row["lift"], signed=True)
    base, policy = k.format(row["baseline_mean"]), k.format(row["policy_mean"])
    return _cells(f"{owner} {k.label}", base, policy, lift, ci, pct)


def _roi_line(row: pd.Series) -> str:
    """'  return on the extra contact spend: +1.23 per 1 spent [+0.4, +2.1] (10 pairs)'."""
    if not np.isfinite(row["lift"]):
        return "  return on the extra contact spend: n/a (both arms spent the same on contacts)"
    ci = f"[{row['ci_low']:+.2f}, {row['ci_high']:+.2f}]" if np.isfinite(row["ci_low"]) else ""
    return (
        f"  return on the extra contact spend: {row['lift']:+.2f} margin per 1 spent {ci} "
        f"({int(row['replications'])} pairs; margin net of the contacts, so 0 breaks even)"
    )


def _kept_line(table: pd.DataFrame) -> str:
    """'  cost per customer kept: 36.4 (the extra contact cost over the extra active customers)'."""
    lift = table.set_index(["scope", "metric"])["lift"]
    kept, cost = lift["market", "active_at_end"], lift["reach", "contact_cost"]
    if kept <= 0:
        return "  cost per customer kept: n/a (no more customers active at the end)"
    return (
        f"  cost per customer kept: {cost / kept:,.2f} (the extra contact cost over the "
        f"{kept:,.0f} more customers active at the end)"
    )


def _decomposition_lines(table: pd.DataFrame, parts: pd.DataFrame, focal: str) -> list[str]:
    """The bump and its parts (mean, 95% CI, share of B); nothing when the policy never promotes.

    Without promotion days in any replication B = S = 0 and the split says
    nothing, so it is left out (comparison.parquet still holds its rows).
    """
    dec = table[table["scope"] == "decomposition"].set_index("metric")
    days = parts["decomposition.promo_days"].dropna()
    if days.max() == 0:
        return []
    n = f"{days.iloc[0]:.0f}" if days.nunique() == 1 else f"{days.mean():.1f} (mean)"
    lines = [
        f"promotion decomposition of firm {focal}'s extra units on its {n} promotion days "
        "(van Heerde, Leeflang & Wittink 2004):"
    ]
    for part, name in PART_NAMES.items():
        row = dec.loc[part]
        share = dec.loc[f"{part}_share", "lift"] if part != "bump" else math.nan
        tail = f"{share:>8.0%} of B" if np.isfinite(share) else ""
        ci = f"[{row['ci_low']:+,.0f}, {row['ci_high']:+,.0f}]"
        lines.append(_cells(f"  {name}", "", "", f"{row['lift']:+,.0f}", ci) + tail)
    return lines


def _rfm_lines(table: pd.DataFrame, focal: str, steps: int) -> list[str]:
    """The focal firm's spend, margin and CLV lift per RFM class of the baseline arm."""
    rows = table[table["scope"].str.startswith("rfm:")]
    sizes = rows[rows["metric"] == "customers"].set_index("scope")["baseline_mean"]
    counts = ", ".join(f"{c} {sizes[f'rfm:{c}']:,.0f}" for c in RFM_CLASSES)
    lines = [
        f"lift by firm {focal}'s RFM class at the end of day {steps} "
        "(comparison.parquet, scope rfm:<class>):",
        f"  classes from {focal}'s own records in the baseline arm, the same customers in both "
        f"arms; none: never bought from {focal} in the baseline",
        f"  customers per class (mean): {counts}",
    ]
    for _, row in rows[rows["metric"] != "customers"].iterrows():
        cls = row["scope"].removeprefix("rfm:")
        lines.append(_kpi_row(row, f"  {cls}"))
    return lines


def format_comparison(result: Comparison, labels: Labels, cfg: CompareRun, out: Path) -> str:
    """Header, the focal firm's and the market's KPI lifts, the decomposition, the results dir."""
    reps = cfg.compare.replications
    what = (
        f"policy {labels.policy} vs baseline {labels.baseline}; focal firm {labels.focal}; "
        f"{reps} paired replications ({seeds_text(cfg.seed, reps)})"
    )
    lines = [
        run_header(PROG, what, cfg, result.seconds),
        "",
        _cells("metric", "baseline", "policy", "lift", "95% CI", "lift%"),
    ]
    for _, row in result.table[result.table["scope"].isin(["firm", "market"])].iterrows():
        owner = labels.focal if row["scope"] == "firm" else "market"
        lines.append(_kpi_row(row, owner))
    experience = result.table[result.table["scope"] == "experience"]
    if len(experience):  # the experience chain: what the focal firm's customers lived through
        lines += ["", f"firm {labels.focal}'s customers' experience (the experience chain):"]
        lines += [_kpi_row(row, " ") for _, row in experience.iterrows()]
    reach = result.table[result.table["scope"] == "reach"]
    if len(reach):  # a policy names a channel: what the focal firm's messages cost and brought
        lines += ["", f"firm {labels.focal}'s contacts:"]
        lines += [_kpi_row(row, " ") for _, row in reach[reach.metric != ROI].iterrows()]
        lines.append(_roi_line(reach[reach.metric == ROI].iloc[0]))
        lines.append(_kept_line(result.table))
    decomposition = _decomposition_lines(result.table, result.replications, labels.focal)
    lines += ["", *decomposition] if decomposition else []
    lines += [
        "",
        f"per-segment lifts (firm {labels.focal}'s spend, margin, CLV and repeat rate; "
        "retention): comparison.parquet, scope segment:<name>",
    ]
    lines += ["", *_rfm_lines(result.table, labels.focal, cfg.steps)]
    return "\n".join([*lines, results_line(out)])


def run(cfg: DictConfig) -> None:
    """Inside the Hydra app: validate both arms, run the pairs, write the results, print the lift.

    Reads the composed `cfg` and Hydra's run directory; writes config.yaml,
    replications.parquet, plots/ and (last) comparison.parquet there.
    """
    job = tool_job(cfg, PROG)
    policy_cfg = job.cfg
    try:
        base_cfg = baseline_config(policy_cfg, job.overrides)
    except ConfigError as err:
        fail(err, PROG)
    result = compare(policy_cfg, base_cfg)
    labels = Labels(
        focal=policy_cfg.market.focal,
        policy=policy_label(job.choices.get("policy", "?"), job.overrides),
        baseline=policy_cfg.compare.baseline,
        replications=policy_cfg.compare.replications,
    )
    write_comparison(result, policy_cfg, labels, job.out)
    print(format_comparison(result, labels, policy_cfg, job.out))
