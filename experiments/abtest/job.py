"""`custsim-abtest`'s job: the worlds of every seed, the firm's and the true lift, the files.

Per seed s = seed + r (r < `abtest.replications`) and per network (the configured
one and, with `abtest.no_network`, none: no word of mouth, so no interference):

* test:<design>: the focal firm's campaign keeps its holdout (`policy.holdout`),
  drawn per customer or per cluster of its customers' graph (`clusters`: the
  clusters file of seed s, written before the runs); the firm's lift is measured
  from its own records only (`analysis.firm_estimate`);
* all and none: the campaign with holdout 0 and 1, the same seed (common random
  numbers: the same population, network and draws), for the true total effect.

The worlds of a seed agree until the campaign's first wave (`policy.start`), so the
firm's base (its customers before the test) is the same in all of them (checked:
`same_base`). The runs go to `abtest.n_jobs` warm workers (`custsim.experiments.batch`);
the results do not depend on how many.

The command (`custsim.experiments.abtest.cli`) imports this module when it runs,
not for `--help`: it imports pandas, NumPy and the engine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from custsim.experiments.abtest.analysis import (
    METRICS,
    World,
    digest,
    exposure,
    firm_estimate,
    replication_rows,
    summary_table,
    world_outcomes,
)
from custsim.experiments.abtest.cli import PROG
from custsim.experiments.abtest.clusters import (
    cut_share,
    firm_graph,
    graph_clusters,
    write_clusters,
)
from custsim.experiments.abtest.config import CONFIG_NAME, AbtestRun
from custsim.experiments.abtest.settings import DESIGNS
from custsim.experiments.batch import Failed, hydra_set_aside, progress_bar, run_batch
from custsim.experiments.cli import (
    fail,
    results_line,
    run_header,
    seeds_text,
    tool_job,
    write_config,
)
from custsim.policies.campaign import CampaignConfig
from custsim.sim import results
from custsim.sim.compose import compose_config
from custsim.sim.config import ConfigError, CustsimConfig
from custsim.sim.runner import RunResult

COMPLETE_MARKER = "abtest.parquet"  # written last: a directory holding it is complete
NO_NETWORK = "none"


def check(cfg: AbtestRun, overrides: Sequence[str] = ()) -> None:
    """The command's own rules, before anything runs: one line per problem.

    Raises:
        ConfigError: the policy is not a campaign, no holdout share in (0, 1), a holdout
            design or file set by hand, no pre-test days, or unknown designs.

    """
    problems = []
    pol = cfg.policy
    if not isinstance(pol, CampaignConfig):
        problems.append(
            f"policy={type(pol).__name__}: {PROG} tests the campaign policy (policy=campaign)"
        )
    else:
        if not 0 < pol.holdout < 1:
            problems.append(f"policy.holdout={pol.holdout!r}: {PROG} needs a share in (0, 1)")
        if pol.holdout_by != "customer" or pol.holdout_file:
            problems.append(
                f"policy.holdout_by={pol.holdout_by}: {PROG} sets the design and file itself "
                "(choose designs with abtest.designs=[customer,cluster])"
            )
        if not 2 <= pol.start <= cfg.steps:
            problems.append(
                f"policy.start={pol.start}: must be in 2..steps={cfg.steps} "
                "(the days before it make the firm's base)"
            )
    designs = list(cfg.abtest.designs)
    if not designs or len(set(designs)) < len(designs) or not set(designs) <= set(DESIGNS):
        problems.append(
            f"abtest.designs={designs!r}: one or more of {', '.join(DESIGNS)}, without repeats"
        )
    if problems:
        raise ConfigError("\n".join(problems))


def world_result(run: RunResult) -> World:
    """A reducer: the firm's base, its mean outcomes and, with a holdout, its own estimate.

    Reads what the firm has: its purchase log, its contact costs, its holdout list and
    units (the campaign's `held`, `unit`); the exposure diagnostic reads the graph.
    """
    model = run.model
    cfg = model.cfg
    focal = cfg.market.focal
    j = model.market.names.index(focal)
    n = cfg.population.size
    reach = model.state.reach
    contact = reach.contact_cost[j] if reach is not None else np.zeros(n)
    base, ys = world_outcomes(
        model.purchase_log.frame(), focal, cfg.policy.start, n, float(model.unit_costs[j]), contact
    )
    means = {m: float(y[base].mean()) if base.any() else float("nan") for m, y in ys.items()}
    policy = model.firms[j].policy
    held, unit = policy.held, policy.unit
    if held is None or unit is None or held[base].all() or not held[base].any():
        return World(int(base.sum()), digest(base), means, base_mask=np.packbits(base), outcomes=ys)
    estimates = {m: firm_estimate(ys[m], base, held, unit) for m in METRICS}
    graph = model.graph
    return World(
        int(base.sum()),
        digest(base),
        means,
        estimates,
        exposure(graph.indptr, graph.indices, base, held),
        held=np.packbits(held),
        unit=unit if cfg.policy.holdout_by == "cluster" else None,
    )


@dataclass(frozen=True)
class Plan:
    """The worlds to run: (network, seed, world) keys and their configs, in the same order."""

    keys: list[tuple[str, int, str]]
    cfgs: list[CustsimConfig]
    cut: dict[int, float]  # per seed, the share of edges its clusters cut


def no_network_config(overrides: Sequence[str]) -> AbtestRun:
    """The command's config with network=none (every network override dropped)."""
    kept = [o for o in overrides if not o.lstrip("+~").startswith("network")]
    with hydra_set_aside():
        return compose_config([*kept, f"network={NO_NETWORK}"], CONFIG_NAME)


def world_config(cfg: CustsimConfig, seed: int, world: str, clusters: Path) -> CustsimConfig:
    """One world's config: the seed, the purchase log on, the campaign's holdout for `world`."""
    pol = cfg.policy
    assert isinstance(pol, CampaignConfig), "an A/B test's worlds run a campaign"
    if world == "all":
        pol = replace(pol, holdout=0.0, holdout_by="customer", holdout_file="")
    elif world == "none":
        pol = replace(pol, holdout=1.0, holdout_by="customer", holdout_file="")
    elif world == "test:cluster":
        pol = replace(pol, holdout_by="cluster", holdout_file=str(clusters.resolve()))
    return replace(cfg, seed=seed, record_purchases=True, policy=pol)


def plan(cfg: AbtestRun, overrides: Sequence[str], out: Path) -> Plan:
    """Every world of every seed of the command (`plan_worlds`), clusters under out/clusters."""
    networks = [(cfg.network.kind, cfg)]
    if cfg.abtest.no_network and cfg.network.kind != NO_NETWORK:
        networks.append((NO_NETWORK, no_network_config(overrides)))
    seeds = [cfg.seed + r for r in range(cfg.abtest.replications)]
    designs = list(cfg.abtest.designs)
    return plan_worlds(networks, seeds, designs, cfg.abtest.cluster_size, out / "clusters")


def plan_worlds(
    networks: Sequence[tuple[str, CustsimConfig]],
    seeds: Sequence[int],
    designs: Sequence[str],
    cluster_size: int,
    folder: Path,
) -> Plan:
    """The worlds test:<design>, all and none of every seed and network, in that order.

    With the cluster design, seed s's clusters (of the first network's graph, the one
    the firm observes) are written to `folder/seed_<s>.parquet` first; every network's
    cluster test of seed s reads them.
    """
    worlds = [f"test:{d}" for d in designs] + ["all", "none"]
    keys, cfgs, cut = [], [], {}
    for s in seeds:
        path = folder / f"seed_{s}.parquet"
        if "cluster" in designs:
            graph = firm_graph(replace(networks[0][1], seed=s))
            labels = graph_clusters(graph, cluster_size)
            write_clusters(labels, path)
            cut[s] = cut_share(graph, labels)
        for name, base in networks:
            for world in worlds:
                keys.append((name, s, world))
                cfgs.append(world_config(base, s, world, path))
    return Plan(keys, cfgs, cut)


def tabulate(p: Plan, runs: Sequence[World], designs: Sequence[str]) -> pd.DataFrame:
    """One row per (network, seed, design, metric) from the worlds' results (`replication_rows`)."""
    by_seed: dict[tuple[str, int], dict[str, World]] = {}
    for (network, seed, world), result in zip(p.keys, runs, strict=True):
        by_seed.setdefault((network, seed), {})[world] = result
    rows = []
    for (network, seed), worlds in by_seed.items():
        rows += replication_rows(network, seed, worlds, designs, p.cut.get(seed, float("nan")))
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class AbTest:
    """What an A/B-test study produced."""

    table: pd.DataFrame  # abtest.parquet: one row per (network, design, metric)
    replications: pd.DataFrame  # replications.parquet: one row per (network, seed, design, metric)
    seconds: float


def abtest(cfg: AbtestRun, overrides: Sequence[str], out: Path) -> AbTest:
    """Run every world (`plan`) and tabulate the firm's and the true lift.

    Raises:
        RuntimeError: when a run failed (each estimate needs all its seed's worlds).

    """
    start = time.perf_counter()
    p = plan(cfg, overrides, out)
    bar = progress_bar("worlds", len(p.cfgs), cfg.progress)
    runs = run_batch(p.cfgs, world_result, cfg.abtest.n_jobs, bar)
    failed = [r for r in runs if isinstance(r, Failed)]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(runs)} runs failed; first: {failed[0].error}")
    reps = tabulate(p, runs, cfg.abtest.designs)  # type: ignore[arg-type]
    return AbTest(summary_table(reps), reps, time.perf_counter() - start)


def write_abtest(result: AbTest, cfg: AbtestRun, out: Path) -> None:
    """config.yaml, replications.parquet, plots/ and (last, the completeness marker) abtest."""
    write_config(cfg, out)
    results.write_parquet(result.replications, out / "replications.parquet")
    if cfg.plots is not False:
        from custsim.experiments.abtest.plots import plot_abtest

        plot_abtest(result.table, result.replications, out / "plots")
    results.write_parquet(result.table, out / COMPLETE_MARKER)


WIDTHS = (16, 9, 7, 9, 9, 8, 7, 25, 7, 9, 8, 8, 9)
HEADER = (
    "network", "design", "metric", "measured", "true", "bias", "bias%",
    "interference [95% CI]", "int%", "coverage", "sd", "firm se", "exposure",
)  # fmt: skip


def _cells(*cells: str) -> str:
    """Cells padded to `WIDTHS`, the first three left-aligned."""
    head = "".join(f"{c:<{w}}" for c, w in zip(cells[:3], WIDTHS[:3], strict=False))
    return head + "".join(f"{c:>{w}}" for c, w in zip(cells[3:], WIDTHS[3:], strict=False))


def _row(r: pd.Series) -> str:
    """One (network, design, metric) row of the console table."""
    ci = f"{r['interference']:+.3f} [{r['interference_low']:+.3f}, {r['interference_high']:+.3f}]"
    return _cells(
        *(str(r[k]) for k in ("network", "design", "metric")),
        *(f"{r[k]:+.3f}" for k in ("measured", "true", "bias")),
        f"{r['bias_pct']:+.0f}%",
        ci,
        f"{r['interference_pct']:+.0f}%",
        f"{r['coverage']:.0%}",
        *(f"{r[k]:.3f}" for k in ("measured_sd", "firm_se")),
        f"{r['exposure']:.2f}",
    )


def format_abtest(result: AbTest, cfg: AbtestRun, out: Path) -> str:
    """Header, the window and base, one row per (network, design, metric), the results dir."""
    reps, pol, focal = cfg.abtest.replications, cfg.policy, cfg.market.focal
    what = (
        f"firm {focal}'s campaign ({pol.channel}, depth {pol.depth:g}, every {pol.every} days) "
        f"with a {pol.holdout:.0%} holdout; {reps} replications ({seeds_text(cfg.seed, reps)})"
    )
    t = result.table
    base = t["base"].iloc[0] if len(t) else float("nan")
    lines = [
        run_header(PROG, what, cfg, result.seconds),
        f"test window days {pol.start}-{cfg.steps}; the firm's base: its ~{base:,.0f} customers "
        f"before day {pol.start}. Lift per base customer: measured = treated - holdout (the "
        "firm's records); true = everyone - nobody treated (paired worlds); interference = "
        "measured - the same assignment without interference",
        "",
        _cells(*HEADER),
        *(_row(r) for _, r in t.iterrows()),
    ]
    if not result.replications["same_base"].all():
        lines.append("warning: the worlds of a seed do not share the firm's base (same_base)")
    cuts = t["cut_share"].dropna()
    if len(cuts):
        lines.append(
            f"cluster design: clusters of at most {cfg.abtest.cluster_size} customers cut "
            f"{cuts.mean():.0%} of the edges; exposure = share of a holdout customer's "
            "neighbours who are treated"
        )
    lines += ["", results_line(out)]
    return "\n".join(lines)


def run(cfg: DictConfig) -> None:
    """The Hydra task: check, run every world, write the files, print the table."""
    job = tool_job(cfg, PROG, check)
    try:
        result = abtest(job.cfg, job.overrides, job.out)
    except (RuntimeError, ConfigError) as err:
        fail(err, PROG, "run failed", 1)
    write_abtest(result, job.cfg, job.out)
    print(format_abtest(result, job.cfg, job.out))
