"""The real `custsim-compare`: files and schema, the hi-lo lift, identical arms, bad input."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from custsim.experiments.compare.job import baseline_config, baseline_overrides, policy_options
from custsim.experiments.compare.lift import RFM_CLASSES, TABLE_COLUMNS
from custsim.sim.runner import simulate
from custsim.sim.testing import compose_config

VENV_BIN = Path(sys.executable).parent
SMALL = ["population.size=800", "steps=60", "compare.replications=3"]
DECOMPOSITION = ("bump", "switching", "pulled_forward", "expansion")


def custsim_compare(*args: str, cwd: Path, module: bool = False) -> subprocess.CompletedProcess:
    exe = (
        [sys.executable, "-m", "custsim.experiments.compare"]
        if module
        else [str(VENV_BIN / "custsim-compare")]
    )
    return subprocess.run([*exe, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def hi_lo(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """hi_lo (25% off one week in four) against everyday pricing, 3 paired replications."""
    cwd = tmp_path_factory.mktemp("hi_lo")
    out = cwd / "run"
    proc = custsim_compare(
        *SMALL, "policy=hi_lo", "compare.baseline=none", f"hydra.run.dir={out}", cwd=cwd
    )
    return proc, out


def test_hi_lo_writes_every_result(hi_lo):
    proc, out = hi_lo
    assert proc.returncode == 0, proc.stderr
    for name in ("comparison.parquet", "replications.parquet", "config.yaml"):
        assert (out / name).is_file(), name
    assert "overrides:" in (out / "compare.log").read_text()  # the log is named after the tool
    assert sorted(p.name for p in (out / "plots").glob("*.png")) == [
        "decomposition.png",
        "focal_units.png",
        "lift.png",
    ]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("custsim-compare: policy hi_lo vs baseline none; focal firm A")
    assert "3 paired replications" in lines[0] and "800 customers" in lines[0]
    assert any(line.startswith("A units") for line in lines)
    assert any(line.startswith("market retention") for line in lines)
    assert any("switching S" in line and "of B" in line for line in lines)
    assert lines[-1] == f"results: {out}"


def test_hi_lo_schema(hi_lo):
    _, out = hi_lo
    table = pd.read_parquet(out / "comparison.parquet")
    assert list(table.columns) == list(TABLE_COLUMNS)
    scopes = set(table.scope)
    assert {"firm", "market", "decomposition"} <= scopes
    assert {s for s in scopes if s.startswith("segment:")} == {
        "segment:balanced",
        "segment:price_sensitive",
        "segment:deal_seeker",
        "segment:brand_loyal",
    }
    assert set(table.loc[table.scope == "firm", "metric"]) == {
        "revenue",
        "margin",
        "units",
        "unit_share",
        "repeat_rate",
        "retention",
        "clv_per_customer",
    }
    assert (table.replications == 3).all()

    reps = pd.read_parquet(out / "replications.parquet")
    assert len(reps) == 6 and reps.arm.tolist() == ["policy", "baseline"] * 3
    assert reps.seed.tolist() == [0, 0, 1, 1, 2, 2]
    assert {"firm.units", "market.mean_clv", "segment:deal_seeker.spend"} <= set(reps.columns)
    assert {f"decomposition.{c}" for c in DECOMPOSITION} <= set(reps.columns)
    # the table is the paired analysis of the replications file
    wide = reps.pivot(index="replication", columns="arm", values="firm.units")
    units = table.set_index(["scope", "metric"]).loc[("firm", "units")]
    assert units.lift == pytest.approx((wide.policy - wide.baseline).mean())


def test_segment_rows_are_the_focal_firms_ledger(hi_lo):
    """Summed over the segments, each arm's margin and CLV are firm A's, to the cent."""
    _, out = hi_lo
    table = pd.read_parquet(out / "comparison.parquet")
    firm = table[table.scope == "firm"].set_index("metric")
    segments = table[table.scope.str.startswith("segment:")]
    reps = pd.read_parquet(out / "replications.parquet")
    for arm in ("baseline_mean", "policy_mean"):
        margin = segments.loc[segments.metric == "margin", arm].sum()
        assert abs(margin - firm.loc["margin", arm]) < 0.005
        spend = segments.loc[segments.metric == "spend", arm].sum()
        assert abs(spend - firm.loc["revenue", arm]) < 0.005
    # CLV per customer of each segment, weighted by its size, is A's CLV per customer
    sizes = simulate(compose_config("population.size=800", "steps=60", "policy=hi_lo")).customers
    weights = sizes.segment.value_counts(normalize=True)
    row = reps[(reps.replication == 0) & (reps.arm == "policy")].iloc[0]
    clv = sum(row[f"segment:{s}.clv"] * w for s, w in weights.items())
    assert clv == pytest.approx(row["firm.clv_per_customer"], abs=1e-9)


def test_rfm_class_rows_cut_the_focal_firms_ledger(hi_lo):
    """Per RFM class of the baseline arm: class margins and spend sum to firm A's, to the cent."""
    proc, out = hi_lo
    table = pd.read_parquet(out / "comparison.parquet")
    firm = table[table.scope == "firm"].set_index("metric")
    rows = table[table.scope.str.startswith("rfm:")]
    assert set(rows.scope) == {f"rfm:{c}" for c in RFM_CLASSES}
    assert set(rows.metric) == {"customers", "spend", "margin", "clv"}
    for arm in ("baseline_mean", "policy_mean"):
        margin = rows.loc[rows.metric == "margin", arm].sum()
        assert abs(margin - firm.loc["margin", arm]) < 0.005
        spend = rows.loc[rows.metric == "spend", arm].sum()
        assert abs(spend - firm.loc["revenue", arm]) < 0.005
    sizes = rows[rows.metric == "customers"]
    assert sizes.baseline_mean.sum() == 800  # every customer in one class, in both arms
    assert (sizes.baseline_mean == sizes.policy_mean).all() and (sizes.lift == 0).all()
    # "none" never bought from A in the baseline arm: no baseline spend, by construction
    none = rows[rows.scope == "rfm:none"].set_index("metric")
    assert none.loc["spend", "baseline_mean"] == 0 and none.loc["customers", "baseline_mean"] > 0
    assert "lift by firm A's RFM class at the end of day 60" in proc.stdout
    assert any(line.startswith("  high_value margin") for line in proc.stdout.splitlines())


def test_hi_lo_lifts_units_and_takes_them_from_competitors(hi_lo):
    _, out = hi_lo
    table = pd.read_parquet(out / "comparison.parquet").set_index(["scope", "metric"])
    units = table.loc[("firm", "units")]
    assert units.lift > 0 and units.ci_low > 0
    dec = table.loc["decomposition"]
    assert dec.loc["switching", "lift"] > 0 and dec.loc["bump", "ci_low"] > 0
    parts = dec.loc[list(DECOMPOSITION[1:]), "lift"].sum()
    assert dec.loc["bump", "lift"] == pytest.approx(parts)


def test_replications_use_common_random_numbers(hi_lo):
    """Replication r's policy arm is exactly a plain run with seed + r."""
    _, out = hi_lo
    reps = pd.read_parquet(out / "replications.parquet").set_index(["replication", "arm"])
    for arm, policy in (("policy", "hi_lo"), ("baseline", "none")):
        cfg = compose_config("population.size=800", "steps=60", "seed=1", f"policy={policy}")
        kpis = simulate(cfg).firm_kpis.set_index("firm").loc["A"]
        assert reps.loc[(1, arm), "firm.units"] == kpis.units
        assert reps.loc[(1, arm), "firm.revenue"] == kpis.revenue


def test_identical_arms_have_exactly_zero_lift(tmp_path):
    out = tmp_path / "run"
    args = (*SMALL, "policy=none", "compare.baseline=none", f"hydra.run.dir={out}")
    proc = custsim_compare(*args, cwd=tmp_path, module=True)
    assert proc.returncode == 0, proc.stderr
    assert "promotion decomposition" not in proc.stdout  # a policy without promotion days
    assert "bump B" not in proc.stdout
    table = pd.read_parquet(out / "comparison.parquet")
    measured = table[~table.metric.str.endswith("_share")]
    assert len(measured) > 30
    for column in ("lift", "lift_se", "ci_low", "ci_high"):
        assert (measured[column] == 0.0).all(), measured.loc[measured[column] != 0.0]
    assert len(list((out / "plots").glob("*.png"))) == 3  # degenerate intervals plot too


def test_complaint_handling_reports_the_experience_lift_and_nps_only_where_surveyed(tmp_path):
    failing = ("market.firms.A.service.failure_rate=0.1", "policy=complaint_handling")
    surveyed = tmp_path / "surveyed"
    args = (*SMALL, *failing, "market.firms.A.survey.every=20", "compare.baseline=edlp")
    proc = custsim_compare(*args, f"hydra.run.dir={surveyed}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "firm A's customers' experience" in proc.stdout and "  NPS  " in proc.stdout
    rows = pd.read_parquet(surveyed / "comparison.parquet").query("scope == 'experience'")
    lift = rows.set_index("metric")
    assert set(lift.index) == {
        "satisfaction", "trust", "nps", "complaint_rate", "complaints_handled",
        "service_failure_rate", "service_cost",
    }  # fmt: skip
    assert lift.loc["complaints_handled", "baseline_mean"] == 0.0  # edlp answers nothing
    assert lift.loc["complaints_handled", "ci_low"] > 0.5
    assert lift.loc["service_cost", "lift"] > 0 and lift.loc["satisfaction", "lift"] > 0
    silent = tmp_path / "silent"
    proc = custsim_compare(*SMALL, *failing, "compare.baseline=edlp", f"hydra.run.dir={silent}",
                           cwd=tmp_path)  # fmt: skip
    rows = pd.read_parquet(silent / "comparison.parquet").query("scope == 'experience'")
    assert len(rows) == 6 and "nps" not in set(rows.metric)  # no survey, no NPS


def test_unknown_baseline_fails_with_one_line(tmp_path):
    out = tmp_path / "run"
    proc = custsim_compare("compare.baseline=nope", f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("custsim-compare: config error: compare.baseline='nope'")
    assert "hi_lo" in lines[0] and "none" in lines[0]
    assert not out.exists()


def test_one_replication_fails_with_one_line(tmp_path):
    out = tmp_path / "run"
    proc = custsim_compare("compare.replications=1", f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines == ["custsim-compare: config error: compare.replications=1: must be >= 2"]
    assert not out.exists()


def test_baseline_overrides_replace_only_the_focal_policy():
    given = [
        "policy=hi_lo",
        "policy.depth=0.3",
        "+policy@market.firms.B.policy=hi_lo",
        "seed=4",
        "compare.baseline=none",
    ]
    assert baseline_overrides(given, "none") == [
        "+policy@market.firms.B.policy=hi_lo",
        "seed=4",
        "compare.baseline=none",
        "policy=none",
    ]
    assert baseline_overrides([], "hi_lo") == ["policy=hi_lo"]
    own = ["policy.depth=0.2"]
    assert baseline_overrides(given, "hi_lo", own)[-2:] == ["policy=hi_lo", "policy.depth=0.2"]


def test_the_baseline_policy_gets_its_own_keys_and_bad_ones_are_one_line(tmp_path):
    cfg = compose_config(
        "policy=retention",
        "policy.daily_cap=10",
        "compare.baseline=retention",
        "compare.baseline_overrides=['policy.daily_cap=10','policy.segments=[A,B]']",
        config_name="compare",
    )
    base = baseline_config(cfg, ["policy=retention", "policy.daily_cap=10"])
    assert base.policy.daily_cap == 10 == cfg.policy.daily_cap
    assert list(base.policy.segments) == ["A", "B"] and not cfg.policy.segments
    proc = subprocess.run(
        [str(VENV_BIN / "custsim-compare"), "compare.baseline_overrides=['seed=3']"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "custsim-compare: config error: compare.baseline_overrides=['seed=3']: each must be "
        "policy.KEY=VALUE (a key of the baseline policy edlp), not 'seed=3'"
    ]


def test_policy_options_are_the_policy_group():
    options = policy_options()
    assert {"edlp", "none", "hi_lo", "points_2x_weekend"} <= set(options)
    assert options == sorted(options) and not any(o.endswith("_schema") for o in options)


def test_a_costlier_channel_must_earn_its_cost(tmp_path):
    # the same retention offers through a free, certain channel and through phone calls:
    # the calls cost 2.50 each and half go unanswered, so the extra spend returns less than it
    # costs
    free = "+channels={free: {cost: 0, delivery: 1, open: 1}}"
    args = (
        *SMALL,
        "steps=90",
        "policy=retention",
        "policy.channel=phone",
        free,
        "compare.baseline=retention",
        "compare.baseline_overrides=['policy.channel=free']",
    )
    out = tmp_path / "phone"
    proc = custsim_compare(*args, f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "firm A's contacts:" in proc.stdout
    assert "return on the extra contact spend" in proc.stdout
    table = pd.read_parquet(out / "comparison.parquet")
    reach = table.query("scope == 'reach'").set_index("metric")
    assert set(reach.index) == {"contacts", "opt_outs", "conversions", "contact_cost", "roi"}
    phone_cost = 2.5 * reach.loc["contacts", "policy_mean"]
    assert reach.loc["contact_cost", "policy_mean"] == pytest.approx(phone_cost)
    assert reach.loc["contact_cost", "baseline_mean"] == 0.0
    assert reach.loc["roi", "lift"] < 0  # the calls do not pay for themselves
