"""BG/NBD and Gamma-Gamma: published CDNOW estimates; closed forms vs integrals and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from custsim.experiments.crm import btyd
from custsim.experiments.crm.btyd import BGNBDParams, GammaGammaParams
from custsim.experiments.crm.datasets import load_cdnow_sample

CALIBRATION_END = "1997-09-30"  # weeks 1-39 of 1997 (273 days from 1997-01-01)
HOLDOUT_END = "1998-06-30"  # weeks 40-78
# Fader, Hardie & Lee (2005), "Counting your customers" the easy way, Marketing Science 24(2).
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BGNBD_LL = -9582.4
# Fader, Hardie & Lee (2005), RFM and CLV: iso-value curves, JMR 42(4); Fader & Hardie (2013).
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
CDNOW_PARAMS = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_sample()


@pytest.fixture(scope="module")
def calibration(cdnow: pd.DataFrame) -> btyd.RFSummary:
    return btyd.summarise_transactions(cdnow, "customer", "date", "amount", CALIBRATION_END)


@pytest.fixture(scope="module")
def bgnbd_fit(calibration: btyd.RFSummary) -> btyd.FitResult[BGNBDParams]:
    return btyd.fit_bgnbd(calibration.frequency, calibration.recency, calibration.age)


# --------------------------------------------------------------------------- data


def test_cdnow_sample_loads_with_expected_shape(cdnow: pd.DataFrame) -> None:
    assert list(cdnow.columns) == ["customer", "date", "quantity", "amount"]
    assert len(cdnow) == 6919
    assert cdnow["customer"].nunique() == 2357
    assert cdnow["date"].min() == pd.Timestamp("1997-01-01")
    assert cdnow["date"].max() == pd.Timestamp("1998-06-30")
    # the cohort: first purchases in the first quarter of 1997
    assert cdnow.groupby("customer")["date"].min().max() <= pd.Timestamp("1997-03-31")


def test_cdnow_calibration_summary_statistics(calibration: btyd.RFSummary) -> None:
    # FHL 2005a: 2,357 customers, 1,411 of whom made no repeat purchase in weeks 1-39.
    assert len(calibration) == 2357
    assert int(np.sum(calibration.frequency == 0)) == 1411
    assert int(np.sum(calibration.frequency > 0)) == 946
    assert calibration.frequency.sum() == 2457
    frame = calibration.to_frame()
    # customer 4: purchases 1997-01-01, 01-18, 08-02 in the calibration period
    assert frame.loc[4, "frequency"] == 2
    assert frame.loc[4, "recency"] == pytest.approx(213 / 7)
    assert frame.loc[4, "age"] == pytest.approx(272 / 7)
    assert frame.loc[4, "monetary"] == pytest.approx((29.73 + 14.96) / 2)


def test_summarise_transactions_merges_same_day_and_cuts_at_until() -> None:
    log = pd.DataFrame(
        {
            "cust": ["A", "A", "A", "A", "A", "B", "C"],
            "when": [
                "2020-01-01 09:00",
                "2020-01-01 17:30",
                "2020-01-15 12:00",
                "2020-01-29 23:59",
                "2020-03-01 08:00",
                "2020-01-10 10:00",
                "2020-02-05 11:00",
            ],
            "value": [10.0, 5.0, 20.0, 30.0, 99.0, 7.0, 3.0],
        }
    )
    weeks = btyd.summarise_transactions(log, "cust", "when", "value", "2020-02-01")
    assert list(weeks.customer) == ["A", "B"]  # C's first purchase is after `until`
    np.testing.assert_allclose(weeks.frequency, [2, 0])
    np.testing.assert_allclose(weeks.recency, [4.0, 0.0])
    np.testing.assert_allclose(weeks.age, [31 / 7, 22 / 7])
    np.testing.assert_allclose(weeks.monetary, [25.0, 0.0])
    days = btyd.summarise_transactions(log, "cust", "when", None, "2020-02-01", unit="D")
    np.testing.assert_allclose(days.recency, [28.0, 0.0])
    np.testing.assert_allclose(days.age, [31.0, 22.0])
    np.testing.assert_allclose(days.monetary, [0.0, 0.0])
    later = btyd.count_transactions(
        log, "cust", "when", "2020-02-01", "2020-03-31", ["A", "B", "C"]
    )
    np.testing.assert_allclose(later, [1, 0, 1])


# --------------------------------------------------------------------------- BG/NBD on CDNOW


def test_bgnbd_fit_reproduces_published_cdnow_estimates(
    bgnbd_fit: btyd.FitResult[BGNBDParams],
) -> None:
    for name, published in PUBLISHED_BGNBD.items():
        assert getattr(bgnbd_fit.params, name) == pytest.approx(published, rel=2e-3), name
    assert bgnbd_fit.log_likelihood == pytest.approx(PUBLISHED_BGNBD_LL, abs=0.1)
    assert bgnbd_fit.n == 2357
    assert bgnbd_fit.converged
    se = bgnbd_fit.std_errors.as_array()
    assert np.all(np.isfinite(se)) and np.all(se > 0)
    text = bgnbd_fit.summary()
    assert "alpha" in text and "-9582.4" in text


def test_bgnbd_holdout_prediction_on_cdnow(
    cdnow: pd.DataFrame, calibration: btyd.RFSummary, bgnbd_fit: btyd.FitResult[BGNBDParams]
) -> None:
    actual = btyd.count_transactions(
        cdnow, "customer", "date", CALIBRATION_END, HOLDOUT_END, calibration.customer
    )
    horizon = (pd.Timestamp(HOLDOUT_END) - pd.Timestamp(CALIBRATION_END)).days / 7
    assert horizon == 39
    predicted = btyd.bgnbd_conditional_expected_transactions(
        bgnbd_fit.params, horizon, calibration.frequency, calibration.recency, calibration.age
    )
    births = (calibration.birth - np.datetime64("1997-01-01")) / np.timedelta64(7, "D")
    cum = btyd.bgnbd_expected_cumulative_transactions(bgnbd_fit.params, births, [39.0, 78.0])
    print(
        f"\nCDNOW weeks 40-78 repeat transactions: actual {actual.sum():.0f}, "
        f"BG/NBD conditional {predicted.sum():.1f}, cohort curve {cum[1] - cum[0]:.1f}; "
        f"weeks 1-39: actual {calibration.frequency.sum():.0f}, cohort curve {cum[0]:.1f}"
    )
    assert actual.sum() == 1882
    assert 0.75 < predicted.sum() / actual.sum() < 1.25
    assert 0.75 < (cum[1] - cum[0]) / actual.sum() < 1.25
    assert cum[0] == pytest.approx(calibration.frequency.sum(), rel=0.05)


# --------------------------------------------------------------------------- BG/NBD closed forms


def _lam_limits(shape: float, rate: float) -> tuple[float, float]:
    """Range of u = ln(lambda) holding nearly all of lambda^shape e^{-rate lambda}."""
    return -40.0 / shape, float(np.log((shape + 60.0) / rate))


def _bgnbd_integrals(params: BGNBDParams, x: float, t_x: float, T: float) -> tuple[float, float]:
    """(P(data), P(data and alive at T)) by 2-D quadrature over lambda and p.

    Substitutions lambda = e^u and p = v^(1/a) remove the endpoint singularities of the
    gamma and beta densities when r < 1 or a < 1.
    """
    r, alpha, a, b = params.as_array()
    log_norm = r * np.log(alpha) - special.gammaln(r) - np.log(a) - special.betaln(a, b)

    def alive(v: float, u: float) -> float:
        lam, p = np.exp(u), v ** (1 / a)
        return np.exp(log_norm + (r + x) * u - lam * (alpha + T)) * (1 - p) ** (b - 1 + x)

    def dead(v: float, u: float) -> float:
        lam, p = np.exp(u), v ** (1 / a)
        return np.exp(log_norm + (r + x) * u - lam * (alpha + t_x)) * p * (1 - p) ** (b + x - 2)

    lo, _ = _lam_limits(r + x, alpha + T)
    _, hi = _lam_limits(r + x, alpha + min(t_x, T))
    opts = {"epsabs": 0.0, "epsrel": 1e-9}
    p_alive = integrate.dblquad(alive, lo, hi, 0.0, 1.0, **opts)[0]
    p_dead = integrate.dblquad(dead, lo, hi, 0.0, 1.0, **opts)[0] if x > 0 else 0.0
    return p_alive + p_dead, p_alive


CUSTOMERS = [(0.0, 0.0, 38.86), (2.0, 30.43, 38.86), (1.0, 1.71, 20.0), (7.0, 25.0, 32.0)]
PARAM_SETS = [CDNOW_PARAMS, BGNBDParams(r=1.3, alpha=2.5, a=1.6, b=1.4)]


@pytest.mark.parametrize("params", PARAM_SETS, ids=["cdnow", "other"])
def test_bgnbd_log_likelihood_matches_numerical_integral(params: BGNBDParams) -> None:
    x, t_x, T = (np.array(col) for col in zip(*CUSTOMERS, strict=True))
    closed = btyd.bgnbd_log_likelihood_terms(params, x, t_x, T)
    direct = [np.log(_bgnbd_integrals(params, *row)[0]) for row in CUSTOMERS]
    np.testing.assert_allclose(closed, direct, rtol=0, atol=1e-8)
    assert btyd.bgnbd_log_likelihood(params, x, t_x, T) == pytest.approx(closed.sum())
    w = np.array([1.0, 2.0, 0.5, 3.0])
    assert btyd.bgnbd_log_likelihood(params, x, t_x, T, weights=w) == pytest.approx(w @ closed)


def test_bgnbd_prob_alive_is_one_for_x0_and_matches_bayes() -> None:
    np.testing.assert_array_equal(
        btyd.bgnbd_prob_alive(CDNOW_PARAMS, [0, 0], [0, 0], [5.0, 38.0]), [1.0, 1.0]
    )
    for params in PARAM_SETS:
        x, t_x, T = 2.0, 30.43, 38.86
        total, alive = _bgnbd_integrals(params, x, t_x, T)
        closed = btyd.bgnbd_prob_alive(params, x, t_x, T)
        assert closed == pytest.approx(alive / total, rel=1e-8)
    # a customer silent for a long time after many purchases is probably gone
    p = btyd.bgnbd_prob_alive(CDNOW_PARAMS, [10, 10], [38.0, 5.0], [38.86, 38.86])
    assert p[0] > 0.9 > 0.1 > p[1]


def test_bgnbd_unconditional_expectation_matches_monte_carlo() -> None:
    rng = np.random.default_rng(20050401)
    n, t1, extra = 200_000, 39.0, 39.0
    for params in PARAM_SETS:
        sim = btyd.simulate_bgnbd(params, np.full(n, t1), rng, holdout=extra)
        for counts, t in ((sim["x"], t1), (sim["x"] + sim["holdout"], t1 + extra)):
            expected = float(btyd.bgnbd_expected_transactions(params, t))
            mc_se = counts.std(ddof=1) / np.sqrt(n)
            assert abs(counts.mean() - expected) < 4 * mc_se, (params, t)
    assert btyd.bgnbd_expected_transactions(CDNOW_PARAMS, 0.0) == pytest.approx(0.0, abs=1e-12)


def _conditional_by_quadrature(
    params: BGNBDParams, t: float, x: float, t_x: float, T: float
) -> float:
    """P(alive) E[(1 - E[e^{-lambda p t}]) / p], lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x)."""
    r, alpha, a, b = params.as_array()

    def integrand(v: float) -> float:  # p = v^(1/a); the beta density's p^(a-1) dp = dv / a
        p = v ** (1 / a)
        no_more = ((alpha + T) / (alpha + T + p * t)) ** (r + x)
        return (1 - no_more) / p * (1 - p) ** (b + x - 1) / (a * special.beta(a, b + x))

    active = integrate.quad(integrand, 0.0, 1.0, epsabs=0.0, epsrel=1e-11, limit=200)[0]
    return active * float(btyd.bgnbd_prob_alive(params, x, t_x, T))


def test_bgnbd_conditional_expectation_matches_quadrature() -> None:
    rows = [
        (39.0, 0.0, 0.0, 38.86),
        (39.0, 2.0, 30.43, 38.86),
        (10.0, 5.0, 20.0, 30.0),
        (52.0, 30.0, 37.0, 38.0),
    ]
    for params in PARAM_SETS:
        for row in rows:
            closed = float(btyd.bgnbd_conditional_expected_transactions(params, *row))
            assert closed == pytest.approx(_conditional_by_quadrature(params, *row), rel=1e-7)
    zero = btyd.bgnbd_conditional_expected_transactions(CDNOW_PARAMS, 0.0, 3, 10.0, 20.0)
    assert zero == pytest.approx(0.0, abs=1e-12)


def test_bgnbd_conditional_expectation_matches_monte_carlo() -> None:
    # E[Y - E[Y | x, t_x, T] | x] = 0 for the simulated holdout count Y, in every group of x.
    rng = np.random.default_rng(1997)
    n, t = 200_000, 26.0
    for params in PARAM_SETS:
        T = rng.uniform(26.0, 39.0, size=n)
        sim = btyd.simulate_bgnbd(params, T, rng, holdout=t)
        pred = btyd.bgnbd_conditional_expected_transactions(params, t, sim["x"], sim["t_x"], T)
        resid = sim["holdout"] - pred
        groups = [sim["x"] == 0, sim["x"] == 1, sim["x"] == 2, sim["x"] >= 3]
        for mask in groups:
            m = int(mask.sum())
            assert m > 2000
            assert abs(resid[mask].mean()) < 4 * resid[mask].std(ddof=1) / np.sqrt(m)
        # x = 0 customers with a common T: the mean holdout count is the formula itself
        same_T = btyd.simulate_bgnbd(params, np.full(n, 30.0), rng, holdout=t)
        silent = same_T["x"] == 0
        mean = same_T["holdout"][silent].mean()
        se = same_T["holdout"][silent].std(ddof=1) / np.sqrt(silent.sum())
        assert (
            abs(mean - btyd.bgnbd_conditional_expected_transactions(params, t, 0, 0, 30.0)) < 4 * se
        )


def test_bgnbd_cumulative_cohort_is_sum_of_unconditional() -> None:
    births = np.array([0.0, 0.0, 1.5, 4.0, 11.0])
    t = np.array([0.0, 2.0, 10.0, 40.0])
    cum = btyd.bgnbd_expected_cumulative_transactions(CDNOW_PARAMS, births, t)
    direct = [
        sum(float(btyd.bgnbd_expected_transactions(CDNOW_PARAMS, max(s - b, 0.0))) for b in births)
        for s in t
    ]
    np.testing.assert_allclose(cum, direct, rtol=1e-12, atol=1e-12)


def test_bgnbd_parameter_recovery() -> None:
    truth = BGNBDParams(r=0.6, alpha=5.0, a=1.2, b=3.0)
    rng = np.random.default_rng(7)
    T = rng.uniform(20.0, 78.0, size=6000)
    sim = btyd.simulate_bgnbd(truth, T, rng)
    fit = btyd.fit_bgnbd(sim["x"], sim["t_x"], sim["T"])
    z = (fit.params.as_array() - truth.as_array()) / fit.std_errors.as_array()
    assert np.all(np.abs(z) < 3), fit.summary()
    assert fit.log_likelihood >= btyd.bgnbd_log_likelihood(truth, sim["x"], sim["t_x"], sim["T"])


# --------------------------------------------------------------------------- Gamma-Gamma


def test_gamma_gamma_fit_reproduces_published_cdnow_estimates(calibration: btyd.RFSummary) -> None:
    # Published values come from the calibration-period (weeks 1-39) repeat buyers of this
    # 1/10 sample, m_x the mean value of their repeat transactions (same-day ones summed).
    fit = btyd.fit_gamma_gamma(calibration.frequency, calibration.monetary)
    assert fit.n == 946
    for name, published in PUBLISHED_GG.items():
        assert getattr(fit.params, name) == pytest.approx(published, rel=2e-3), name
    spend = btyd.gamma_gamma_expected_spend(fit.params, calibration.frequency, calibration.monetary)
    p, q, g = fit.params.as_array()
    assert spend[calibration.frequency == 0] == pytest.approx(p * g / (q - 1))
    repeat = calibration.frequency > 0
    # shrinkage: the expected spend lies between the population mean and m_x
    lo = np.minimum(calibration.monetary[repeat], p * g / (q - 1))
    hi = np.maximum(calibration.monetary[repeat], p * g / (q - 1))
    assert np.all((spend[repeat] >= lo - 1e-9) & (spend[repeat] <= hi + 1e-9))


def _gg_density_by_quadrature(params: GammaGammaParams, x: float, m: float) -> tuple[float, float]:
    """(f(m_x | x), E[p / nu | m_x, x] f(m_x | x)) integrating nu ~ Gamma(q, gamma) numerically."""
    p, q, g = params.as_array()

    def log_joint(nu: float) -> float:
        mean_given_nu = (
            p * x * np.log(x * nu) + (p * x - 1) * np.log(m) - x * nu * m - special.gammaln(p * x)
        )
        prior = q * np.log(g) + (q - 1) * np.log(nu) - g * nu - special.gammaln(q)
        return mean_given_nu + prior

    opts = {"epsabs": 0.0, "epsrel": 1e-11, "limit": 200}
    dens = integrate.quad(lambda nu: np.exp(log_joint(nu)), 0.0, np.inf, **opts)[0]
    moment = integrate.quad(lambda nu: p / nu * np.exp(log_joint(nu)), 0.0, np.inf, **opts)[0]
    return dens, moment


def test_gamma_gamma_likelihood_and_expectation_match_quadrature() -> None:
    params = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    rows = [(1.0, 12.0), (2.0, 35.0), (7.0, 20.5), (15.0, 80.0)]
    x, m = (np.array(col) for col in zip(*rows, strict=True))
    closed = btyd.gamma_gamma_log_likelihood_terms(params, x, m)
    spend = btyd.gamma_gamma_expected_spend(params, x, m)
    for i, (xi, mi) in enumerate(rows):
        dens, moment = _gg_density_by_quadrature(params, xi, mi)
        assert closed[i] == pytest.approx(np.log(dens), abs=1e-8)
        assert spend[i] == pytest.approx(moment / dens, rel=1e-8)
    assert btyd.gamma_gamma_log_likelihood(params, x, m) == pytest.approx(closed.sum())


def test_gamma_gamma_parameter_recovery() -> None:
    truth = GammaGammaParams(p=5.0, q=4.0, gamma=20.0)
    rng = np.random.default_rng(42)
    n = 3000
    x = 1 + rng.poisson(2.0, size=n)
    nu = rng.gamma(truth.q, 1.0 / truth.gamma, size=n)
    owner = np.repeat(np.arange(n), x)
    values = rng.gamma(truth.p, 1.0 / nu[owner])
    m_x = np.bincount(owner, weights=values) / x
    fit = btyd.fit_gamma_gamma(np.concatenate([x, [0, 0]]), np.concatenate([m_x, [0.0, 0.0]]))
    assert fit.n == n  # customers with x = 0 are left out
    z = (fit.params.as_array() - truth.as_array()) / fit.std_errors.as_array()
    assert np.all(np.abs(z) < 3), fit.summary()
    with pytest.raises(ValueError, match="m_x > 0"):
        btyd.fit_gamma_gamma([1, 2], [10.0, 0.0])


def _daily_sample(n: int = 4000) -> tuple[np.ndarray, ...]:
    """(x, t_x, T, m_x) of a daily log in weeks: few distinct values, many ties."""
    rng = np.random.default_rng(7)
    first = rng.integers(1, 200, size=n)
    x = rng.poisson(3.0, size=n).astype(float)
    last = np.minimum(first + rng.integers(0, 150, size=n) * (x > 0), 270)
    nu = rng.gamma(4.0, 1.0 / 20.0, size=n)  # Gamma-Gamma spend, rounded to whole money units
    total = rng.gamma(5.0 * np.maximum(x, 1), 1.0 / nu)
    m_x = np.where(x > 0, np.round(total / np.maximum(x, 1)), 0.0)
    return x, (last - first) / 7.0, (271 - first) / 7.0, m_x


@pytest.mark.parametrize("params", PARAM_SETS, ids=["cdnow", "other"])
def test_pooled_bgnbd_likelihood_equals_per_customer_sum(params: BGNBDParams) -> None:
    x, t_x, T, _ = _daily_sample()
    pooled = btyd._PooledBGNBD.of(x, t_x, T)
    assert len(pooled.weights) < len(x) and pooled.weights.sum() == len(x)
    direct = btyd.bgnbd_log_likelihood(params, x, t_x, T)
    assert pooled.log_likelihood(params) == pytest.approx(direct, rel=1e-9)


def test_pooled_gamma_gamma_likelihood_and_fit_equal_unpooled() -> None:
    x, _, _, m_x = _daily_sample()
    use = x >= 1
    x, m_x = x[use], m_x[use]
    rows, counts = np.unique(np.column_stack([x, m_x]), axis=0, return_counts=True)
    params = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    pooled = btyd.gamma_gamma_log_likelihood(params, *rows.T, weights=counts)
    assert pooled == pytest.approx(btyd.gamma_gamma_log_likelihood(params, x, m_x), rel=1e-9)
    fit = btyd.fit_gamma_gamma(x, m_x)  # pools internally
    assert fit.n == len(x)
    unpooled = btyd._fit_by_ml(
        "Gamma-Gamma",
        lambda prm: btyd.gamma_gamma_log_likelihood(prm, x, m_x),
        GammaGammaParams(1.0, 1.0, 1.0),
        len(x),
    )
    assert fit.log_likelihood == pytest.approx(unpooled.log_likelihood, rel=1e-9)
    np.testing.assert_allclose(fit.params.as_array(), unpooled.params.as_array(), rtol=1e-4)


def test_bgnbd_fit_is_deterministic() -> None:
    x, t_x, T, _ = _daily_sample()
    first, again = btyd.fit_bgnbd(x, t_x, T), btyd.fit_bgnbd(x, t_x, T)
    assert first.params == again.params and first.log_likelihood == again.log_likelihood


# --------------------------------------------------------------------------- CLV


def test_predicted_clv_is_discounted_sum_of_period_expectations() -> None:
    x, t_x, T = (
        np.array([0.0, 2.0, 10.0]),
        np.array([0.0, 30.0, 38.0]),
        np.array([38.0, 38.0, 38.0]),
    )
    spend = np.array([40.0, 30.0, 25.0])
    undiscounted = btyd.predicted_clv(CDNOW_PARAMS, x, t_x, T, spend, horizon=13, period=4.0)
    total = btyd.bgnbd_conditional_expected_transactions(CDNOW_PARAMS, 52.0, x, t_x, T)
    np.testing.assert_allclose(undiscounted, spend * total, rtol=1e-10)
    clv = btyd.predicted_clv(
        CDNOW_PARAMS, x, t_x, T, spend, horizon=13, period=4.0, margin=0.3, discount_rate=0.01
    )
    per = np.diff(
        btyd.bgnbd_conditional_expected_transactions(
            CDNOW_PARAMS, 4.0 * np.arange(14)[:, None], x, t_x, T
        ),
        axis=0,
    )
    by_hand = 0.3 * spend * (1.01 ** -np.arange(1, 14) @ per)
    np.testing.assert_allclose(clv, by_hand, rtol=1e-12)
    assert np.all(clv < 0.3 * undiscounted)
