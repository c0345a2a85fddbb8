"""The experience chain: its kernels against closed forms, its bounds, its ledgers in a run.

Kernels (`custsim.agents.experience`): satisfaction with a zone of tolerance, trust
slow up and fast down, Guadagni & Little's habit, voice, recovery, NPS. In runs:
all switches off leaves no chain; on, every churn and switch has one cause and the
ledgers sum to the events; complaint handling is paid for in the margin, to the
cent; two runs give the same bytes; bad service values fail in one line.
"""

import hashlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custsim.agents import experience as xp
from custsim.agents.prospect import value
from custsim.sim.config import ConfigError, chain_enabled
from custsim.sim.runner import simulate
from custsim.sim.service_log import INCIDENT_COLUMNS
from custsim.sim.testing import compose_config

CENT = 0.005
SERVICE = ("market.firms.A.service.failure_rate=0.08", "market.firms.B.service.quality_sd=0.6")
SMALL = ("population.size=2000", "steps=150", "progress=off", "plots=false")
unit = st.floats(0.0, 1.0)
felt = st.floats(-50.0, 50.0)


# -- kernels -----------------------------------------------------------------------------
def test_satisfaction_moves_by_rho_and_trust_damps_only_a_bad_experience():
    s = xp.update_satisfaction(np.array([0.0, 0.0]), np.array([1.0, -1.0]), 1.0, 0.3, 0.5)
    np.testing.assert_allclose(s, [0.3, -0.3 * (1 - 0.5)])
    none = xp.update_satisfaction(0.0, -1.0, 0.0, 0.3, 0.5)
    assert none == pytest.approx(-0.3)  # no trust: no tolerance


def test_trust_is_built_slowly_and_lost_fast():
    up = xp.update_trust(0.5, 0.1, gain=0.05, loss=0.2)
    down = xp.update_trust(0.5, -0.1, gain=0.05, loss=0.2)
    assert up == pytest.approx(0.5 + 0.05 * 0.5)
    assert down == pytest.approx(0.5 - 0.2 * 0.5)
    t = 0.0
    for _ in range(20):  # twenty good purchases: 1 - 0.95^20
        t = xp.update_trust(t, 1.0, 0.05, 0.2)
    assert t == pytest.approx(1 - 0.95**20)
    assert xp.update_trust(t, -1.0, 0.05, 0.2) == pytest.approx(0.8 * t)  # one bad: -20%


def test_habit_is_guadagni_and_littles_exponential_smoothing():
    h = np.array([0.0, 0.0])
    h = xp.update_habit(h, np.array([True, False]), 0.875)
    np.testing.assert_allclose(h, [0.125, 0.0])
    for _ in range(3):  # three purchases of the other brand: a^3 of the first remains
        h = xp.update_habit(h, np.array([False, True]), 0.875)
    assert h[0] == pytest.approx(0.125 * 0.875**3)
    assert h[1] == pytest.approx(1 - 0.875**3)


def test_felt_dimensions_are_prospect_values_and_the_worst_names_the_grievance():
    dims = xp.felt_dimensions([0.2, -0.1], [0.0, 0.5], [1.0, 0.0], 0.88, 0.88, 2.25)
    np.testing.assert_allclose(dims[:, 0], [value(0.2, 0.88, 0.88, 2.25), 0, -2.25])
    codes = xp.grievance(dims)
    assert [xp.CAUSES[c] for c in codes] == ["service", "price"]


def test_a_loss_is_felt_more_than_an_equal_gain():
    gain, loss = xp.felt_dimensions(0.0, [0.5, -0.5], 0.0, 0.88, 0.88, 2.25)[1]
    assert -loss / gain == pytest.approx(2.25)


def test_voice_rises_with_the_loss_and_is_silent_on_a_gain():
    p = xp.complaint_probability(np.array([1.0, 0.0, -0.1, -2.0]), 0.25)
    np.testing.assert_allclose(p, [0, 0, 1 - np.exp(-0.025), 1 - np.exp(-0.5)])


def test_the_loyal_complain_more_readily_than_the_new():
    p = xp.complaint_probability(np.array([-2.0, -2.0, -2.0]), 0.1, [0.0, 0.5, 1.0], 2.0)
    np.testing.assert_allclose(p, 1 - np.exp(-0.1 * np.array([1.0, 2.0, 3.0]) * 2.0))
    assert xp.complaint_probability(-2.0, 0.1, 1.0, 0.0) == pytest.approx(1 - np.exp(-0.2))


def test_recovery_is_the_compensation_felt_plus_being_heard_halving_with_the_wait():
    quick = xp.recovery_experience(1.0, 0.5, 0, 7.0, 0.88, 0.88, 2.25)
    late = xp.recovery_experience(1.0, 0.5, 7, 7.0, 0.88, 0.88, 2.25)
    assert quick == pytest.approx(1.0 + 0.5)
    assert late == pytest.approx(1.0 + 0.25)


def test_nps_is_promoters_minus_detractors():
    assert xp.net_promoter_score([10, 9, 8, 7, 6, 0]) == pytest.approx(100 * (2 - 2) / 6)
    assert xp.net_promoter_score([10, 10, 3]) == pytest.approx(100 / 3)
    assert np.isnan(xp.net_promoter_score([]))
    scores = xp.likelihood_to_recommend([-10.0, 0.0, 10.0], 7.5, 3.0, [0.0, 0.4, 0.0])
    np.testing.assert_array_equal(scores, [0, 8, 10])


@given(s=felt, e=felt, t=unit, rho=unit, tau=unit, g=unit, lo=unit, a=unit, h=unit)
def test_the_chain_stays_bounded_for_any_valid_parameters(s, e, t, rho, tau, g, lo, a, h):
    s2 = xp.update_satisfaction(s, e, t, rho, tau)
    assert min(s, e) - 1e-9 <= s2 <= max(s, e) + 1e-9  # a convex combination
    t2 = xp.update_trust(t, e, g, lo)
    assert 0.0 <= t2 <= 1.0
    h2 = xp.update_habit(np.array([h]), np.array([True]), a)
    assert 0.0 <= h2[0] <= 1.0
    assert 0.0 <= xp.complaint_probability(e, 5.0, h, 3.0) <= 1.0


# -- runs ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chain_run():
    cfg = compose_config(
        *SMALL, *SERVICE, "record_purchases=true", "market.firms.A.survey.every=30"
    )
    return simulate(cfg)


@pytest.fixture(scope="module")
def handled_run():
    cfg = compose_config(
        *SMALL, *SERVICE, "policy=complaint_handling", "policy.compensation=2", "policy.cost=1"
    )
    return simulate(cfg)


def test_all_switches_off_leave_no_chain_and_the_outputs_of_before():
    run = simulate(compose_config(*SMALL))
    assert run.model.state.chain is None and run.experience_kpis is None
    assert "trust_A" not in run.customers and "nps" not in run.timeseries


def test_the_chain_switches_on_with_service_or_surveys_and_can_be_forced():
    assert chain_enabled(compose_config(*SMALL, SERVICE[0]))
    assert chain_enabled(compose_config(*SMALL, "market.firms.C.survey.every=7"))
    assert chain_enabled(compose_config(*SMALL, "population.experience.enabled=true"))
    assert not chain_enabled(
        compose_config(*SMALL, SERVICE[0], "population.experience.enabled=false")
    )


def test_every_churn_has_one_cause_and_the_ledger_sums_to_the_churned(chain_run):
    chain, state = chain_run.model.state.chain, chain_run.model.state
    churned = int((state.churn_day >= 0).sum())
    assert churned > 0 and chain.churn_events == churned  # no win-back: one churn each
    causes = chain_run.customers["churn_cause"]
    assert int(causes.notna().sum()) == churned
    counted = causes.value_counts()
    for c, cause in enumerate(xp.CAUSES):
        assert counted.get(cause, 0) == chain.exits[c].sum()
    assert chain.exits[xp.CAUSES.index("service")].sum() > 0  # failures drive some exits


def test_every_switch_in_the_purchase_log_is_counted_once(chain_run):
    log = chain_run.model.purchase_log.frame()
    log = log.sort_values(["customer", "day"], kind="stable")
    prev = log.groupby("customer")["firm"].shift()
    moved = prev.notna() & (prev != log["firm"])
    chain = chain_run.model.state.chain
    assert chain.switch_events == int(moved.sum()) > 0
    names = list(chain_run.firm_kpis.firm)
    pairs = pd.crosstab(prev[moved], log["firm"][moved])
    matrix = chain.switches.sum(axis=0)
    for i, a in enumerate(names):
        for k, b in enumerate(names):
            if i != k:
                assert matrix[i, k] == pairs.get(b, {}).get(a, 0)
    assert sum(chain_run.causes["switch_causes"].values()) == chain.switch_events


def test_service_failures_lower_satisfaction_and_trust_where_they_happen(chain_run):
    kpis = chain_run.experience_kpis.set_index("firm")
    assert kpis.loc["A", "service_failure_rate"] == pytest.approx(0.08, abs=0.015)
    assert kpis.loc["C", "service_failure_rate"] == 0.0
    assert kpis.loc["A", "satisfaction"] < kpis.loc["C", "satisfaction"]
    assert kpis.loc["A", "trust"] < kpis.loc["C", "trust"]
    assert kpis.loc["A", "complaint_rate"] > 0 and kpis.loc["C", "complaint_rate"] == 0
    assert np.isfinite(kpis.loc["A", "nps"]) and np.isnan(kpis.loc["B", "nps"])
    ts = chain_run.timeseries
    assert ts.loc[ts.firm == "A", "nps"].notna().sum() == 150 // 30


def test_the_service_records_hold_every_failure_complaint_answer_and_survey_answer():
    cfg = compose_config(
        *SMALL, *SERVICE, "record_purchases=true", "market.firms.A.survey.every=30",
        "policy=complaint_handling", "policy.response=0.5",
    )  # fmt: skip
    run = simulate(cfg)
    model, ts = run.model, run.timeseries
    incidents, surveys = model.service_log.incident_frame(), model.service_log.survey_frame()
    counts = ts.groupby("firm", observed=True)[["service_failures", "complaints"]].sum()
    by_firm = incidents.groupby("firm", observed=False)[["failed", "complained"]].sum()
    np.testing.assert_array_equal(by_firm["failed"], counts["service_failures"])
    np.testing.assert_array_equal(by_firm["complained"], counts["complaints"])
    assert int(incidents["complained"].sum()) == int(model.state.chain.complaints.sum())
    # each complaint joined the customer's open one; every answered one is in the records once
    opened = incidents[incidents["complained"] & (incidents["opened"] == incidents["day"])]
    answered = opened[opened["answered"] >= 0]
    handled = ts.groupby("firm", observed=True)["complaints_handled"].sum()
    assert len(answered) == handled.sum() > 0
    assert (answered["answered"] > answered["day"]).all()
    assert answered["compensation"].sum() == pytest.approx(2.0 * handled.sum())
    assert (incidents.loc[~incidents["complained"], "answered"] == -1).all()
    # surveys: every answer of every survey day, and the day's NPS is theirs
    nps = ts.loc[ts.firm == "A"].set_index("day")["nps"].dropna()
    assert sorted(surveys["day"].unique()) == list(nps.index) == [30, 60, 90, 120, 150]
    for day, answers in surveys.groupby("day"):
        assert answers["customer"].is_unique and len(answers) == cfg.market.firms["A"].survey.sample
        assert xp.net_promoter_score(answers["score"]) == pytest.approx(nps[day])


def test_the_service_records_are_written_beside_the_purchases(tmp_path):
    cfg = compose_config(
        *SMALL, *SERVICE, "record_purchases=true", "market.firms.B.survey.every=50"
    )
    simulate(cfg, tmp_path)
    incidents = pd.read_parquet(tmp_path / "incidents.parquet")
    assert list(incidents.columns) == list(INCIDENT_COLUMNS) and len(incidents) > 0
    assert list(pd.read_parquet(tmp_path / "surveys.parquet").firm.unique()) == ["B"]
    plain = tmp_path / "plain"
    simulate(compose_config(*SMALL, *SERVICE), plain)
    assert not (plain / "incidents.parquet").exists()  # only with the purchase log


def test_complaint_handling_is_paid_for_in_the_margin_to_the_cent(handled_run):
    run = handled_run
    kpis, cust = run.firm_kpis.set_index("firm"), run.customers
    xk = run.experience_kpis.set_index("firm")
    chain = run.model.state.chain
    assert xk.loc["A", "complaints_handled"] > 0.5
    assert xk.loc["A", "service_cost"] == pytest.approx(chain.service_cost[0].sum())
    handled = run.timeseries.loc[run.timeseries.firm == "A", "complaints_handled"].sum()
    assert chain.service_cost[0].sum() == pytest.approx(handled * (2 + 1))
    for firm, row in kpis.iterrows():
        assert abs(row.margin - cust[f"margin_{firm}"].sum()) < CENT, firm
        assert abs(row.clv_per_customer * len(cust) - cust[f"clv_{firm}"].sum()) < CENT, firm


def test_handled_complaints_restore_satisfaction(chain_run, handled_run):
    unhandled = chain_run.experience_kpis.set_index("firm").loc["A", "satisfaction"]
    handled = handled_run.experience_kpis.set_index("firm").loc["A", "satisfaction"]
    assert handled > unhandled


def test_a_chain_run_gives_the_same_bytes_twice(tmp_path):
    cfg = compose_config(*SMALL, *SERVICE, "policy=complaint_handling")
    digests = []
    for k in range(2):
        simulate(cfg, tmp_path / str(k))
        digests.append(
            [hashlib.sha256((tmp_path / str(k) / f).read_bytes()).hexdigest()
             for f in ("timeseries.parquet", "customers.parquet", "kpis.json")]
        )  # fmt: skip
    assert digests[0] == digests[1]


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("market.firms.A.service.failure_rate=1.5", "market.firms.A.service.failure_rate"),
        ("market.firms.B.service.quality_sd=-1", "market.firms.B.service.quality_sd"),
        ("population.experience.trust_loss=2", "population.experience.trust_loss"),
        ("market.firms.A.survey.sample=0", "market.firms.A.survey.sample"),
    ],
)
def test_bad_chain_values_fail_in_one_line_naming_the_key(override, key):
    with pytest.raises(ConfigError) as err:
        compose_config(*SMALL, override)
    lines = str(err.value).splitlines()
    assert len(lines) == 1 and lines[0].startswith(key)


def test_the_chain_figure_is_drawn_only_for_a_chain_run(chain_run, tmp_path):
    from custsim.experiments.plots import plot_chain

    path = plot_chain(chain_run.timeseries, tmp_path)
    assert path == tmp_path / "chain.png" and path.stat().st_size > 20_000
    plain = simulate(compose_config("population.size=300", "steps=20", "progress=off"))
    assert plot_chain(plain.timeseries, tmp_path / "plain") is None


def test_a_switch_is_put_down_to_the_grievance_with_the_brand_left(chain_run):
    """A fails (service), B's quality varies, C neither: each firm loses to its own faults."""
    switches = chain_run.causes["switches"]
    lost = {c: {a: sum(to.values()) for a, to in by.items()} for c, by in switches.items()}
    assert lost["service"]["A"] > 0 and lost["quality"]["B"] > 0
    assert lost["service"]["B"] == lost["service"]["C"] == 0  # only A's service fails
    assert lost["quality"]["A"] == lost["quality"]["C"] == 0  # only B's quality varies
    for a, to in chain_run.causes["defections"].items():  # the causes sum to the matrix
        for b, n in to.items():
            assert sum(switches[c][a][b] for c in xp.CAUSES) == n


def test_the_defection_figure_is_drawn_for_every_chain_run(chain_run, tmp_path):
    from custsim.experiments.plots import draw_run_figures

    drawn = {p.name for p in draw_run_figures(chain_run, tmp_path)}
    assert {"chain.png", "defections.png"} <= drawn
    assert (tmp_path / "defections.png").stat().st_size > 20_000
    plain = simulate(compose_config("population.size=300", "steps=20", "progress=off"))
    assert "defections.png" not in {p.name for p in draw_run_figures(plain, tmp_path / "p")}
