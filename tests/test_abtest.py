"""In-market A/B tests: the campaign's holdout, the firm's clusters, `custsim-abtest`.

Behaviour: held-out customers are never contacted; a holdout is the same for the same
seed; without a network the firm's measured lift matches the true total effect within
its interval; with strong word of mouth the customer-randomised test understates it
and graph clusters cut that bias; bad input is one line before anything runs.
"""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import custsim.experiments.abtest.config  # noqa: F401  registers abtest_schema
from custsim.experiments.abtest.analysis import SUMMARY_COLUMNS, firm_estimate
from custsim.experiments.abtest.clusters import (
    cut_share,
    firm_graph,
    graph_clusters,
    write_clusters,
)
from custsim.experiments.abtest.job import abtest, check, write_abtest
from custsim.policies.campaign import Campaign, CampaignConfig
from custsim.sim.config import ConfigError
from custsim.sim.market import FirmSpec
from custsim.sim.network import build_network
from custsim.sim.runner import build_model, simulate
from custsim.sim.testing import compose_config, small_config

SMALL = ["population.size=3000", "steps=100", "policy.start=41", "abtest.n_jobs=1"]
SMALL += ["progress=off", "abtest.replications=3"]
CAMPAIGN = ["policy=campaign", "policy.every=7", "policy.depth=0.2", "progress=off"]


def tool_config(*overrides: str):
    return compose_config(*SMALL, *overrides, config_name="abtest")


def study(tmp_path: Path, *overrides: str):
    over = [*SMALL, *overrides]
    return abtest(compose_config(*over, config_name="abtest"), over, tmp_path)


def row(table: pd.DataFrame, network: str, design: str, metric: str = "spend") -> pd.Series:
    key = (table["network"] == network) & (table["design"] == design)
    return table[key & (table["metric"] == metric)].iloc[0]


# the campaign's holdout


def contacted(cfg) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer: contact cost paid by firm A, A's holdout and its randomisation units."""
    run = simulate(cfg)
    policy = run.model.firms[0].policy
    return run.model.state.reach.contact_cost[0], policy.held, policy.unit


def test_held_out_customers_are_never_contacted():
    cost, held, _ = contacted(small_config(*CAMPAIGN, "policy.holdout=0.3"))
    assert 0.25 < held.mean() < 0.35
    assert (cost[held] == 0).all()
    assert (cost[~held] > 0).sum() > 500  # the others are contacted


def test_holdout_is_reproducible_and_comes_from_the_firms_generator():
    cfg = small_config(*CAMPAIGN, "policy.holdout=0.5")
    _, a, _ = contacted(cfg)
    _, b, _ = contacted(cfg)
    _, c, _ = contacted(replace(cfg, seed=1))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_no_holdout_contacts_everyone_as_before():
    cost, held, _ = contacted(small_config(*CAMPAIGN))
    assert not held.any()
    base, _, _ = contacted(small_config(*CAMPAIGN, "policy.holdout=0"))
    assert np.array_equal(cost, base)


def test_cluster_holdout_holds_whole_clusters(tmp_path):
    labels = np.arange(2000) // 40  # 50 clusters of 40 customers
    path = write_clusters(labels, tmp_path / "clusters.parquet")
    cfg = small_config(
        *CAMPAIGN,
        "policy.holdout=0.5",
        "policy.holdout_by=cluster",
        f"policy.holdout_file={path}",
    )
    cost, held, unit = contacted(cfg)
    assert np.array_equal(unit, labels)
    per_cluster = np.bincount(labels, weights=held) / 40
    assert set(per_cluster) == {0.0, 1.0}  # every cluster all in or all out
    assert 10 < per_cluster.sum() < 40
    assert (cost[held] == 0).all()


def test_holdout_list_is_the_holdout(tmp_path):
    path = tmp_path / "holdout.parquet"
    pd.DataFrame({"customer": np.arange(0, 2000, 3)}).to_parquet(path)
    cfg = small_config(*CAMPAIGN, "policy.holdout_by=list", f"policy.holdout_file={path}")
    cost, held, _ = contacted(cfg)
    assert np.array_equal(np.flatnonzero(held), np.arange(0, 2000, 3))
    assert (cost[held] == 0).all()


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        (["policy.holdout_by=cluster"], "policy.holdout_file='': holdout_by=cluster needs"),
        (["policy.holdout_by=list", "policy.holdout_file=/no/such.parquet"], "no such file"),
        (["policy.holdout_file=/x.parquet"], "only read with holdout_by=cluster or list"),
        (["policy.holdout=1.5"], "policy.holdout=1.5: must be in [0, 1]"),
        (["policy.holdout_by=half"], "policy.holdout_by='half': must be one of"),
    ],
)
def test_bad_holdout_is_one_line(overrides, line):
    with pytest.raises(ConfigError) as err:
        small_config(*CAMPAIGN, *overrides)
    assert line in str(err.value)
    assert len(str(err.value).splitlines()) == 1


def test_holdout_file_without_its_column(tmp_path):
    path = tmp_path / "h.parquet"
    pd.DataFrame({"id": [1, 2]}).to_parquet(path)
    with pytest.raises(ConfigError, match=r"needs column\(s\) customer, cluster"):
        small_config(*CAMPAIGN, "policy.holdout_by=cluster", f"policy.holdout_file={path}")
    spec = FirmSpec("A", 0, 8.0, 5.0, ("A",), (("email", 0.01),))
    with pytest.raises(ValueError, match="needs column"):
        Campaign(spec, CampaignConfig(holdout_by="list", holdout_file=str(path)))


# the firm's clusters


def test_clusters_are_connected_bounded_and_cover_every_customer():
    graph = build_network("watts_strogatz", 3000, 10, 0.1, np.random.default_rng(3))
    labels = graph_clusters(graph, 50)
    sizes = np.bincount(labels)
    assert labels.min() == 0 and sizes.min() >= 1 and sizes.max() <= 50
    adj = graph.to_scipy()
    for c in (0, 17, labels.max()):
        members = np.flatnonzero(labels == c)
        sub = adj[members][:, members]
        from scipy.sparse.csgraph import connected_components

        assert connected_components(sub, directed=False)[0] == 1
    # a small world has communities: far fewer edges cut than at random (half of them)
    assert cut_share(graph, labels) < 0.25
    assert cut_share(graph, np.random.default_rng(0).integers(0, 60, 3000)) > 0.9


def test_firm_graph_is_the_runs_network():
    cfg = small_config("seed=5")
    assert firm_graph(cfg) == build_model(cfg).graph


def test_firm_estimate_by_customer_is_the_difference_of_means():
    rng = np.random.default_rng(0)
    y, held = rng.normal(5, 2, 400), rng.random(400) < 0.5
    base = np.ones(400, bool)
    est = firm_estimate(y, base, held, np.arange(400))
    assert est["lift"] == pytest.approx(y[~held].mean() - y[held].mean())
    se = np.sqrt(y[~held].var(ddof=1) / (~held).sum() + y[held].var(ddof=1) / held.sum())
    assert est["se"] == pytest.approx(se)


# custsim-abtest


def test_no_network_the_firm_measures_the_true_effect(tmp_path):
    """Without a network the holdout is untouched: bias and interference are 0 within CI."""
    result = study(tmp_path, "network=none", "abtest.designs=[customer]")
    r = row(result.table, "none", "customer")
    assert r["bias_low"] < 0 < r["bias_high"]
    assert r["interference_low"] < 0 < r["interference_high"]
    assert r["true"] > 0.5  # a 20% weekly offer sells: there is an effect to measure
    assert result.replications["same_base"].all()
    assert list(result.table.columns) == list(SUMMARY_COLUMNS)


def test_strong_word_of_mouth_biases_the_customer_test_and_clusters_cut_it(tmp_path):
    """Treated customers talk to held-out ones: the Bernoulli test understates the effect."""
    result = study(tmp_path, "network.wom_strength=5", "abtest.no_network=false")
    t = result.table
    customer, cluster = row(t, "watts_strogatz", "customer"), row(t, "watts_strogatz", "cluster")
    assert customer["interference_high"] < 0  # the holdout gains from its treated neighbours
    assert customer["measured"] < customer["true"]
    assert abs(cluster["interference"]) < 0.5 * abs(customer["interference"])
    assert cluster["exposure"] < 0.2 < 0.4 < customer["exposure"]  # fewer treated neighbours


def test_same_seed_same_bytes(tmp_path):
    tiny = ["population.size=1000", "steps=50", "policy.start=21", "abtest.replications=2"]
    for name in ("a", "b"):
        out = tmp_path / name
        cfg = tool_config(*tiny, "plots=false")
        write_abtest(abtest(cfg, tiny, out), cfg, out)
    for name in ("abtest.parquet", "replications.parquet", "clusters/seed_0.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        (["policy.holdout=0"], "policy.holdout=0.0: custsim-abtest needs a share in (0, 1)"),
        (["policy.start=1"], "policy.start=1: must be in 2..steps=100"),
        (["abtest.designs=[customer,bogus]"], "abtest.designs=['customer', 'bogus']: one or"),
        (["policy.holdout_by=list"], "policy.holdout_file='': holdout_by=list needs"),
    ],
)
def test_bad_tool_input_is_one_line(overrides, line):
    with pytest.raises(ConfigError) as err:
        check(tool_config(*overrides))
    assert line in str(err.value)
    assert len(str(err.value).splitlines()) == 1


def test_command_refuses_bad_input_before_running(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "custsim.experiments.abtest", "policy.holdout=1",
         f"hydra.run.dir={out}"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "custsim-abtest: config error: policy.holdout=1.0: custsim-abtest needs a share in (0, 1)"
    ]
    assert not out.exists()


@pytest.mark.slow
def test_command_writes_its_files_and_table(tmp_path):
    out = tmp_path / "run"
    tiny = ["population.size=1500", "steps=60", "policy.start=21", "abtest.replications=2"]
    proc = subprocess.run(
        [sys.executable, "-m", "custsim.experiments.abtest", *tiny, f"hydra.run.dir={out}"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for name in ("abtest.parquet", "replications.parquet", "config.yaml", "plots/abtest.png"):
        assert (out / name).is_file(), name
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("custsim-abtest: firm A's campaign (email, depth 0.2")
    assert sum(line.startswith(("watts_strogatz", "none")) for line in lines) == 8
    assert lines[-1] == f"results: {out}"
    table = pd.read_parquet(out / "abtest.parquet")
    assert set(table["design"]) == {"customer", "cluster"}


# finding 16: ab_interference (Holtz et al. 2020; Holtz & Aral; Ugander et al. 2013)


@pytest.mark.parametrize(
    "fast", [pytest.param(True, id="fast"), pytest.param(False, id="full", marks=pytest.mark.slow)]
)
def test_finding_ab_interference(fast):
    """At full size every check passes; fast, it runs and reports its four checks (noisy)."""
    from custsim.experiments.findings.records import run_finding

    result = run_finding("ab_interference", fast=fast, n_jobs=1 if fast else 2)
    bernoulli, cluster, se, control = result.checks
    assert len(result.checks) == 4
    assert set(result.table["design"]) == {"customer", "cluster"}
    if not fast:
        assert result.passed, result.checks_frame().to_string()
        assert bernoulli.ci_high < 0  # word of mouth helps the holdout: the test understates
        assert abs(cluster.value) < abs(bernoulli.value)
        assert se.ci_low > 1  # clusters cost variance
        assert control.ci_low <= 0 <= control.ci_high
