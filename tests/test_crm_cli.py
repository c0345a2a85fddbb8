"""`custsim-crm`: a recorded run's customer base as a firm sees it, scored against the truth."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custsim.experiments.crm import job
from custsim.experiments.crm.cli import main
from custsim.sim.compose import compose_config
from custsim.sim.results import RECORDED
from custsim.sim.runner import simulate

STEPS = 120
AS_OF = 80
FILES = (
    "rfm.parquet",
    "clv.parquet",
    "lifecycle.parquet",
    "segments.csv",
    "abc.csv",
    "warning.csv",
    "gains.csv",
    "stage_sizes.csv",
    "profiles.csv",
    "report.md",
    "plots/rfm_heatmap.png",
    "plots/pareto.png",
    "plots/gains.png",
    "plots/clv.png",
    "plots/lifecycle.png",
)
#: every latent column of customers.parquet: the persona, the recorded traits, satisfaction
TRAITS = ("segment", *RECORDED, "satisfaction")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small run that records its purchases: it writes purchases.parquet."""
    out = tmp_path_factory.mktemp("crm") / "run"
    cfg = compose_config(
        ["population.size=1500", f"steps={STEPS}", "record_purchases=true", "plots=false"]
    )
    simulate(cfg, out)
    assert (out / job.PURCHASES).is_file()
    return out


def crm(*args: str) -> None:
    main([*args])


def test_cli_writes_every_file_and_prints_the_summary(run_dir, capsys):
    crm(str(run_dir), "--as-of", str(AS_OF))
    out = run_dir / "crm" / "A"
    text = capsys.readouterr().out
    for name in FILES:
        assert (out / name).is_file(), name
    assert text.splitlines()[-1] == f"results: {out}"
    for word in ("high_value", "Gini", "recency_30d", "bgnbd_risk", "MAE", "ARI"):
        assert word in text
    report = (out / "report.md").read_text()
    assert "](plots/pareto.png)" in report and "## Early warning" in report


def test_numbers_tie_out_with_the_log(run_dir):
    r = job.crm_report(run_dir, as_of=AS_OF)
    log = pd.read_parquet(run_dir / job.PURCHASES)
    mine = log[(log["firm"] == "A") & (log["day"] <= AS_OF)]
    four = r.segments[r.segments["scheme"] == "four"]
    eight = r.segments[r.segments["scheme"] == "eight"]
    assert four["customers"].sum() == eight["customers"].sum() == mine["customer"].nunique()
    assert r.customers == mine["customer"].nunique()
    assert four["spend"].sum() == pytest.approx(mine["spend"].sum())
    assert r.abc["spend"].sum() == pytest.approx(mine["spend"].sum())
    assert r.abc["share_spend"].iloc[0] >= 0.8
    assert (r.rfm["frequency"].sum(), r.rfm["monetary"].sum()) == (
        len(mine),
        pytest.approx(mine["spend"].sum()),
    )
    future = log[(log["firm"] == "A") & (log["day"] > AS_OF)]
    realised = future[future["customer"].isin(r.rfm["customer"])]["spend"].sum()
    assert r.clv["realised_spend"].sum() == pytest.approx(realised)
    sizes = r.stage_sizes.set_index("day")
    assert sizes.loc[AS_OF].sum() == r.customers
    assert list(sizes.index) == [30, 60, AS_OF]
    w = r.warning.set_index("method")
    assert set(w.index) == set(job.METHODS) - set(job.VOICE_METHODS)  # no chain: no voice
    assert (w["offers"] == round(0.1 * r.customers)).all()
    assert ((w["useful"] + w["wasted_stayers"] + w["wasted_gone"]) == w["offers"]).all()
    assert (w["auc"].between(0, 1)).all()


def test_scores_do_not_read_latent_traits(run_dir, tmp_path):
    """Shuffling the traits, personas and churn of customers.parquet leaves every score alone."""
    copy = tmp_path / "shuffled"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("crm"))
    customers = pd.read_parquet(copy / "customers.parquet")
    rng = np.random.default_rng(1)
    for col in (*TRAITS, "churn_day", "churned"):
        customers[col] = customers[col].to_numpy()[rng.permutation(len(customers))]
    customers.to_parquet(copy / "customers.parquet", index=False)
    a = job.crm_report(run_dir, as_of=AS_OF)
    b = job.crm_report(copy, as_of=AS_OF)
    scores = [c for c in a.rfm.columns if not c.startswith("true_")]
    pd.testing.assert_frame_equal(a.rfm[scores], b.rfm[scores])
    pd.testing.assert_frame_equal(a.clv, b.clv)
    pd.testing.assert_frame_equal(a.lifecycle, b.lifecycle)
    ab = a.warning.set_index("method")
    bb = b.warning.set_index("method")
    assert (ab["flagged"] == bb["flagged"]).all()  # the rules' flags, not their scores vs truth
    assert not a.rfm["true_persona"].equals(b.rfm["true_persona"])  # the truth did change


def test_per_firm_views_count_shared_customers(run_dir, capsys):
    log = pd.read_parquet(run_dir / job.PURCHASES)
    crm(str(run_dir), "--firm", "B")
    assert capsys.readouterr().out.splitlines()[-1] == f"results: {run_dir / 'crm' / 'B'}"
    a, b = (job.crm_report(run_dir, firm=f) for f in ("A", "B"))
    buyers = {f: set(log.loc[log["firm"] == f, "customer"]) for f in ("A", "B")}
    assert set(b.rfm["customer"]) == buyers["B"]
    assert len(buyers["A"] & buyers["B"]) > 0  # a customer can be A's and B's
    assert b.rfm["monetary"].sum() == pytest.approx(log.loc[log["firm"] == "B", "spend"].sum())
    assert b.segments.query("scheme == 'four'")["customers"].sum() == len(buyers["B"])
    assert a.as_of == b.as_of == STEPS and not b.has_future
    assert b.clv["predicted_spend"].isna().all()  # no future at the last day: nothing scored


def test_the_front_door_exports_crm_report():
    import custsim

    assert custsim.crm_report is job.crm_report


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--firm", "Z"], "custsim-crm: --firm Z: unknown firm; the run's firms: A, B, C"),
        (["--as-of", "0"], f"custsim-crm: --as-of 0: must be a day of the run, 1..{STEPS}"),
        (["--as-of", "999"], f"custsim-crm: --as-of 999: must be a day of the run, 1..{STEPS}"),
        (["--budget", "-1"], "custsim-crm: --budget -1: must be >= 0 (offers to send)"),
        (["--as-of", "x"], "custsim-crm: argument --as-of: invalid int value: 'x'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_dir, capsys, args, message):
    with pytest.raises(SystemExit) as stop:
        crm(str(run_dir), *args)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message), err


def test_a_run_without_a_purchase_log_is_refused(run_dir, tmp_path, capsys):
    plain = tmp_path / "plain"
    shutil.copytree(run_dir, plain, ignore=shutil.ignore_patterns("crm", job.PURCHASES))
    with pytest.raises(SystemExit) as stop:
        crm(str(plain))
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"custsim-crm: {plain} has no purchases.parquet: rerun with record_purchases=true "
        "or analysis=[crm]"
    ]


def test_help_is_fast_and_imports_nothing_heavy(tmp_path):
    code = (
        "import sys\n"
        "sys.argv = ['custsim-crm', '--help']\n"
        "from custsim.experiments.crm.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as stop:\n"
        "    assert stop.code == 0\n"
        "heavy = ('numpy', 'pandas', 'scipy', 'sklearn', 'matplotlib', 'custsim.sim.runner')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: custsim-crm RUN_DIR")
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_a_run_with_analysis_crm_writes_the_crm_files(tmp_path):
    exe = Path(sys.executable).parent / "custsim"
    out = tmp_path / "run"
    args = ["analysis=[crm]", "population.size=600", "steps=60", "plots=false"]
    proc = subprocess.run(
        [str(exe), *args, f"hydra.run.dir={out}"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "purchases.parquet").is_file() and (out / "crm" / "A" / "report.md").is_file()
    assert proc.stdout.strip().splitlines()[-1] == f"crm results: {out / 'crm' / 'A'}"


def test_a_chain_run_adds_what_the_firm_hears_complaints_and_survey_answers(tmp_path, capsys):
    out = tmp_path / "run"
    cfg = compose_config(
        [
            "population.size=1500", f"steps={STEPS}", "record_purchases=true", "plots=false",
            "market.firms.A.service.failure_rate=0.1", "market.firms.A.survey.every=20",
            "market.firms.A.survey.sample=400", "policy=complaint_handling",
            "policy.response=0.3",
        ]
    )  # fmt: skip
    simulate(cfg, out)
    crm(str(out), "--as-of", str(AS_OF))
    text = capsys.readouterr().out
    assert "what firm A hears" in text and "detractor" in text
    res = out / "crm" / "A"
    per = pd.read_parquet(res / "rfm.parquet").set_index("customer")
    incidents = pd.read_parquet(out / "incidents.parquet")
    heard = incidents[(incidents.firm == "A") & incidents.complained & (incidents.day <= AS_OF)]
    counted = heard.groupby("customer").size()
    assert per["complaints"].sum() == len(heard) > 0  # every complaint made by the as-of day
    assert (per["complaints"].reindex(counted.index) == counted).all()
    still_open = heard[(heard.answered < 0) | (heard.answered > AS_OF)].customer.unique()
    assert set(per.index[per["open_complaint"]]) == set(still_open)
    surveys = pd.read_parquet(out / "surveys.parquet")
    last = surveys[surveys.day <= AS_OF].sort_values("day").groupby("customer").score.last()
    asked = per["last_score"].dropna()
    assert (asked == last.reindex(asked.index)).all() and len(asked) > 0
    voice = pd.read_csv(res / "voice.csv")
    for _, scheme in voice.groupby("scheme"):  # each scheme splits the firm's customers
        assert scheme["customers"].sum() == len(per)
    methods = set(pd.read_csv(res / "warning.csv").method)
    assert {"voice", "learned_voice"} <= methods
    assert "## Voice" in (res / "report.md").read_text()


def test_a_run_without_the_chain_has_no_voice(run_dir):
    report = job.crm_report(run_dir, as_of=AS_OF)
    assert report.voice.empty and "voice" not in set(report.warning.method)
    assert "complaints" not in report.rfm
