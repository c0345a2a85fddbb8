"""The KPI registry (custsim.sim.kpis) names what the engine measures, and every tool reads it."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custsim.experiments import run_summary
from custsim.experiments.compare import job as compare_job
from custsim.experiments.compare import lift, plots
from custsim.experiments.compare.plots import Labels
from custsim.experiments.optimize import search
from custsim.experiments.sweeps import aggregate
from custsim.sim import kpis
from custsim.sim.runner import simulate
from custsim.sim.testing import compose_config


@pytest.fixture(scope="module")
def run():
    return simulate(compose_config("population.size=300", "steps=30", "progress=off"))


def test_firm_and_market_kpis_are_exactly_what_the_engine_produces(run):
    assert kpis.names("firm") == tuple(run.firm_kpis.columns.drop("firm"))
    assert kpis.names("market") == tuple(run.customer_kpis)


def test_segment_kpis_are_what_the_comparison_measures(run):
    metrics = lift.run_metrics(run.firm_kpis, run.customer_kpis, run.customers, "A")
    segment = {m for (scope, m) in metrics if scope.startswith("segment:")}
    assert segment == set(kpis.names("segment"))
    assert {m for (scope, m) in metrics if scope == "market"} <= set(kpis.names("market"))


def test_focal_kpis_are_the_flagged_firm_kpis_in_order():
    assert kpis.FOCAL_KPIS == (
        "revenue",
        "margin",
        "units",
        "unit_share",
        "repeat_rate",
        "retention",
        "clv_per_customer",
    )
    assert lift.FIRM_METRICS == kpis.FOCAL_KPIS


def test_a_name_has_one_unit_and_kind_in_every_scope():
    for name in {k.name for k in kpis.KPIS}:
        found = [k for k in kpis.KPIS if k.name == name]
        assert len({(k.unit, k.kind) for k in found}) == 1, name
    assert len({(k.scope, k.name) for k in kpis.KPIS}) == len(kpis.KPIS)
    assert {k.scope for k in kpis.KPIS} == set(kpis.SCOPES)
    assert {k.unit for k in kpis.KPIS} == set(kpis.UNIT_FORMATS)


@pytest.mark.parametrize(
    ("name", "value", "signed", "text"),
    [
        ("unit_share", 0.1234, False, "12.3%"),
        ("retention", 0.0123, True, "+1.2 pp"),
        ("repeat_purchase_rate", -0.005, True, "-0.5 pp"),
        ("revenue", 1234.4, False, "1,234"),
        ("margin", -1234.6, True, "-1,235"),
        ("units", 67035, False, "67,035"),
        ("clv_per_customer", 19.214, False, "19.21"),
        ("mean_clv", 0.5, True, "+0.50"),
        ("revenue", math.nan, False, "n/a"),
    ],
)
def test_format(name, value, signed, text):
    assert kpis.format_value(name, value, signed=signed) == text


def test_kind_follows_the_unit():
    assert kpis.kpi("retention", "market").kind == "rate"
    assert kpis.kpi("revenue").kind == "level"
    assert kpis.format_value("units", math.inf, missing="-") == "-"


def test_unknown_kpi_names_the_known_ones():
    with pytest.raises(KeyError, match=r"unknown KPI 'profit'.*revenue"):
        kpis.kpi("profit")
    assert kpis.label("profit") == "profit"


@pytest.fixture
def relabelled(monkeypatch):
    """The registry with revenue relabelled 'takings' (header 'TAKE')."""
    new = tuple(
        replace(k, label="takings", header="TAKE")
        if (k.scope, k.name) == ("firm", "revenue")
        else k
        for k in kpis.KPIS
    )
    monkeypatch.setattr(kpis, "KPIS", new)
    monkeypatch.setattr(kpis, "_BY_KEY", {(k.scope, k.name): k for k in new})


def test_run_summary_reads_headers_from_the_registry(run, relabelled):
    head = run_summary.format_summary(run).splitlines()[2]
    assert head.split()[:2] == ["firm", "TAKE"]


def test_compare_table_and_plot_read_labels_from_the_registry(relabelled, tmp_path):
    rows = [
        {"scope": "firm", "metric": "revenue", "baseline_mean": 1000.0, "policy_mean": 1100.0,
         "lift": 100.0, "lift_se": 1.0, "ci_low": 90.0, "ci_high": 110.0, "lift_pct": 10.0,
         "replications": 2},
        {"scope": "market", "metric": "retention", "baseline_mean": 0.5, "policy_mean": 0.52,
         "lift": 0.02, "lift_se": 0.001, "ci_low": 0.01, "ci_high": 0.03, "lift_pct": 4.0,
         "replications": 2},
    ]  # fmt: skip
    table = pd.DataFrame(rows)
    first, second = (compare_job._kpi_row(table.iloc[i], owner) for i, owner in enumerate("AM"))
    assert first.startswith("A takings ")
    assert "1,000" in first and "+100" in first
    assert second.startswith("M retention ") and "50.0%" in second and "+2.0 pp" in second
    captured = {}
    real = plots.Axes.set_yticks

    def spy(ax, ticks, names=None, **kw):
        captured["names"] = list(names)
        return real(ax, ticks, names, **kw)

    labels = Labels(focal="A", policy="hi_lo", baseline="edlp", replications=2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plots.Axes, "set_yticks", spy)
        plots.plot_lift(table, labels, tmp_path / "lift.png")
    assert captured["names"] == ["market retention", "A takings"]  # first metric on top


def test_sweep_report_and_optimize_format_through_the_registry():
    summary = pd.DataFrame(
        [{"config": "a", "n_ok": 2, "n_jobs": 2, "focal.unit_share.mean": 0.25,
          "focal.unit_share.ci_low": math.nan, "focal.unit_share.ci_high": 0.3,
          "focal.revenue.mean": 1234.0}]
    )  # fmt: skip
    table = pd.DataFrame({"status": ["ok", "ok"], "job": ["0", "1"]})
    agg = {"summary": summary, "results": table, "failed": table.iloc[:0]}
    row = aggregate.format_report(agg, Path("sweep")).splitlines()[1]
    assert "25.0% [-, 30.0%]" in row and "1,234 [-, -]" in row
    assert search.format_kpi("unit_share", 0.25) == "25.0%"
    assert search.format_kpi("clv_per_customer", np.float64(12.345)) == "12.35"
