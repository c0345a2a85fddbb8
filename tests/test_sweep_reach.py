"""Sweeps over a campaign's channel and frequency: reach KPIs in the tables, the frequency curve."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custsim.experiments.sweeps.aggregate import drop_unused_channels, flatten_kpis
from custsim.experiments.sweeps.frequency import frequency_response, job_responses

VENV_BIN = Path(sys.executable).parent
SMALL = ["population.size=400", "steps=40"]


@pytest.fixture(scope="module")
def campaign_sweep(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """policy=campaign over 2 channels x 2 intervals x 2 seeds: 8 jobs."""
    sweep_dir = tmp_path_factory.mktemp("reach") / "sweep"
    args = ["-m", "policy=campaign", "policy.channel=email,sms", "policy.every=4,28", "seed=0,1"]
    cmd = [str(VENV_BIN / "custsim"), *args, *SMALL, f"hydra.sweep.dir={sweep_dir}"]
    proc = subprocess.run(
        cmd, cwd=sweep_dir.parent, capture_output=True, text=True, timeout=300, check=False
    )
    return proc, sweep_dir


def test_results_carry_each_jobs_reach_kpis_and_only_channels_used(campaign_sweep):
    proc, sweep_dir = campaign_sweep
    assert proc.returncode == 0, proc.stderr
    res = pd.read_parquet(sweep_dir / "results.parquet")
    assert len(res) == 8 and (res.status == "ok").all()
    for _, row in res.iterrows():
        kpis = json.loads((sweep_dir / row["job"] / "kpis.json").read_text())
        for kpi, value in kpis["reach"]["A"].items():
            assert row[f"reach.A.{kpi}"] == value
        for channel in ("email", "sms"):
            expected = kpis["channels"]["A"][channel]["opt_outs"]
            assert row[f"channel.A.{channel}.opt_outs"] == expected
        assert row[f"channel.A.{row['policy.channel']}.contacts"] == kpis["reach"]["A"]["contacts"]
    channels = {tuple(c.split(".")[1:3]) for c in res.columns if c.startswith("channel.")}
    assert channels == {("A", "email"), ("A", "sms")}  # no phone, no firm B or C
    assert {"reach.B.contacts", "reach.C.contact_cost"} <= set(res.columns)
    summary = pd.read_csv(sweep_dir / "summary.csv")
    assert {"focal.contacts.mean", "focal.opt_outs.ci_high", "reach.A.conversions.mean"} <= set(
        summary.columns
    )


def test_frequency_response_table_is_the_mean_over_seeds_per_channel_and_interval(campaign_sweep):
    proc, sweep_dir = campaign_sweep
    assert proc.returncode == 0, proc.stderr
    freq = pd.read_csv(sweep_dir / "frequency_response.csv")
    assert list(freq["curve"]) == ["channel=email"] * 2 + ["channel=sms"] * 2
    assert list(freq["policy.every"]) == [28.0, 4.0] * 2  # frequency rising down the table
    assert (freq["n_ok"] == 2).all()
    # recomputed from the jobs' own kpis.json
    for _, row in freq.iterrows():
        channel, every = row["curve"].removeprefix("channel="), int(row["policy.every"])
        values = []
        for seed in (0, 1):
            name = f"policy.channel={channel},policy.every={every},policy=campaign,"
            name += f"population.size=400,seed={seed},steps=40"
            kpis = json.loads((sweep_dir / name / "kpis.json").read_text())
            values.append(kpis["reach"]["A"]["opt_outs"] / kpis["customers"]["customers"])
        assert math.isclose(row["opt_outs_per_customer.mean"], np.mean(values), rel_tol=1e-12)
    # messages every 4 days instead of 28: more contacts, and more customers lost to them
    for _, curve in freq.groupby("curve"):
        rare, often = curve.iloc[0], curve.iloc[1]
        assert often["contacts_per_customer.mean"] > 3 * rare["contacts_per_customer.mean"]
        assert often["opt_outs_per_customer.mean"] > rare["opt_outs_per_customer.mean"]
        assert often["contact_cost.mean"] > rare["contact_cost.mean"]
    assert (sweep_dir / "plots" / "frequency_response.png").stat().st_size > 20_000
    assert f"frequency-response curve: {sweep_dir / 'plots'}" in proc.stdout
    assert "focal contacts" in proc.stdout and "focal opt_outs" in proc.stdout


# ---------------------------------------------------------------- without a sweep


def test_flatten_kpis_without_reach_is_firms_and_customers_only():
    kpis = {"firms": {"A": {"margin": 1.0}}, "customers": {"customers": 10}}
    assert flatten_kpis(kpis) == {"firm.A.margin": 1.0, "customers.customers": 10}
    reach = {"reach": {"A": {"contacts": 3}}, "channels": {"A": {"sms": {"contacts": 3}}}}
    assert flatten_kpis(kpis | reach) == {
        "firm.A.margin": 1.0,
        "customers.customers": 10,
        "reach.A.contacts": 3,
        "channel.A.sms.contacts": 3,
    }


def test_drop_unused_channels_keeps_a_channel_used_in_any_job():
    table = pd.DataFrame(
        {
            "channel.A.sms.contacts": [0, 5],
            "channel.A.sms.opt_outs": [0, 1],
            "channel.A.phone.contacts": [0, np.nan],
            "channel.A.phone.opt_outs": [0, np.nan],
            "firm.A.margin": [1.0, 2.0],
        }
    )
    assert list(drop_unused_channels(table).columns) == [
        "channel.A.sms.contacts",
        "channel.A.sms.opt_outs",
        "firm.A.margin",
    ]


def table_of(every: list[str], prompted: list[float], channel: bool = True) -> pd.DataFrame:
    """A results table of ok jobs of firm A with 100 customers each, on sms."""
    n = len(every)
    data = {
        "status": ["ok"] * n,
        "focal_firm": ["A"] * n,
        "seed": list(range(n)),
        "policy.every": every,
        "customers.customers": [100.0] * n,
        "firm.A.margin": [50.0] * n,
        "channel.A.sms.contacts": [10.0] * n,
        "channel.A.email.contacts": [0.0] * n,
    }
    for kpi in ("contacts", "opt_outs", "conversions", "contact_cost"):
        data[f"reach.A.{kpi}"] = [10.0] * n
    data["reach.A.prompted"] = prompted
    if channel:
        data["policy.channel"] = ["sms"] * n
    return pd.DataFrame(data)


def test_frequency_response_is_a_t_interval_per_interval():
    from scipy import stats

    table = table_of(["7", "7", "7", "14"], [10.0, 20.0, 30.0, 5.0])
    freq = frequency_response(table, ["policy.channel", "policy.every", "seed"])
    assert list(freq["policy.every"]) == [14.0, 7.0]
    row = freq.iloc[1]
    half = stats.t.ppf(0.975, 2) * np.std([0.1, 0.2, 0.3], ddof=1) / math.sqrt(3)
    assert row["prompted_per_customer.mean"] == pytest.approx(0.2)
    assert row["prompted_per_customer.ci_high"] == pytest.approx(0.2 + half)
    assert math.isnan(freq.iloc[0]["prompted_per_customer.ci_low"])  # one seed: no interval


def test_the_channel_sent_on_names_the_curve_when_the_channel_is_not_swept():
    jobs = job_responses(table_of(["7", "14"], [1.0, 2.0], channel=False), ["policy.every"])
    assert set(jobs["curve"]) == {"channel=sms"}


@pytest.mark.parametrize(
    ("table", "cols"),
    [
        (table_of(["7", "14"], [1.0, 2.0]), ["policy.channel", "seed"]),  # every not swept
        (table_of(["7", "weekly"], [1.0, 2.0]), ["policy.every"]),  # not a number
        (table_of(["7", "14"], [1.0, 2.0]).drop(columns=["reach.A.prompted"]).filter(
            regex="^(?!reach)"), ["policy.every"]),  # no reach KPIs
    ],
)  # fmt: skip
def test_no_frequency_curve_without_a_numeric_every_and_reach_kpis(table, cols):
    assert frequency_response(table, cols) is None
