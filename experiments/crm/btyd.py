"""'Buy till you die' models of a non-contractual customer base: BG/NBD and Gamma-Gamma.

Written from the published formulas; no code is taken from any other library.

Transactions and dropout follow the BG/NBD model of Fader, Hardie & Lee (2005a),
"'Counting your customers' the easy way: an alternative to the Pareto/NBD model",
*Marketing Science* 24(2), 275-284 (FHL 2005a below):

* while active, a customer buys as a Poisson process with rate lambda;
* after each *repeat* transaction the customer becomes inactive with probability p
  (the first purchase, at time 0, is the customer's birth and never ends it);
* lambda ~ Gamma(r, alpha) (shape r, rate alpha) and p ~ Beta(a, b) across customers,
  independently.

A customer's calibration data are (x, t_x, T): x repeat transactions, the last at t_x,
observed over (0, T] from the first purchase.

Spend per transaction follows the Gamma-Gamma model of Fader, Hardie & Lee (2005b),
"RFM and CLV: using iso-value curves for customer base analysis", *Journal of
Marketing Research* 42(4), 415-430, as set out in Fader & Hardie (2013), "The
Gamma-Gamma model of monetary value" (note, brucehardie.com/notes/025/):

* a customer's transaction values are i.i.d. Gamma(p, nu) (shape p, rate nu), so their
  mean transaction value is p / nu;
* nu ~ Gamma(q, gamma) across customers, independent of the transaction process.

Time is measured in whatever unit `summarise_transactions` was asked for (weeks by
default); all parameters with a time dimension (alpha) are in that unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class RFSummary:
    """Recency-frequency-monetary summary of a transaction log's calibration period.

    One entry per customer, in the order of `customer`. Several transactions of one
    customer on one calendar day count as one transaction (their amounts summed), as in
    FHL 2005a and FHL 2005b.

    Attributes:
        customer: Customer identifiers.
        frequency: x, the number of repeat transactions (distinct purchase days after the
            first) up to `until`.
        recency: t_x, time from the first purchase to the last one up to `until`
            (0 when x = 0).
        age: T, time from the first purchase to `until`.
        monetary: m_x, mean value of the repeat transactions (0 when x = 0; the first
            purchase is left out, as in FHL 2005b).
        birth: Date of each customer's first purchase.
        until: Last day of the calibration period (inclusive).
        unit: Time unit of `recency` and `age` (a pandas Timedelta unit such as "W" or "D").

    """

    customer: NDArray[np.object_]
    frequency: FloatArray
    recency: FloatArray
    age: FloatArray
    monetary: FloatArray
    birth: NDArray[np.datetime64]
    until: pd.Timestamp
    unit: str

    def __len__(self) -> int:
        return len(self.customer)

    def to_frame(self) -> pd.DataFrame:
        """The summary as a DataFrame indexed by customer.

        Returns:
            Columns frequency, recency, age, monetary and birth.

        """
        return pd.DataFrame(
            {
                "frequency": self.frequency,
                "recency": self.recency,
                "age": self.age,
                "monetary": self.monetary,
                "birth": self.birth,
            },
            index=pd.Index(self.customer, name="customer"),
        )


def _daily(df: pd.DataFrame, customer: str, date: str, amount: str | None) -> pd.DataFrame:
    """One row per customer and calendar day, amounts summed."""
    cols = [customer, date] + ([amount] if amount is not None else [])
    days = df[cols].copy()
    days[date] = pd.to_datetime(days[date]).dt.normalize()
    if amount is None:
        return days.drop_duplicates([customer, date]).reset_index(drop=True)
    return days.groupby([customer, date], as_index=False, sort=True)[amount].sum()


def summarise_transactions(
    df: pd.DataFrame,
    customer: str,
    date: str,
    amount: str | None,
    until: str | pd.Timestamp,
    unit: str = "W",
) -> RFSummary:
    r"""Build the (x, t_x, T, m_x) summary of a transaction log's calibration period.

    Only transactions on or before `until` are used. For customer i with distinct
    purchase days d_0 < d_1 < ... < d_x up to `until` (FHL 2005a, section 2):

    .. math::
        x_i = \#\{d_j : j \ge 1\}, \quad t_{x,i} = (d_x - d_0)/u, \quad
        T_i = (\text{until} - d_0)/u, \quad m_{x,i} = \frac{1}{x_i}\sum_{j=1}^{x_i} s_{ij},

    u the time unit and s_ij the summed amount of day d_j (FHL 2005b: monetary value is
    the mean of the repeat transactions only). Customers whose first purchase falls after
    `until` are not in the summary.

    Args:
        df: Transaction log, one row per transaction.
        customer: Column of customer identifiers.
        date: Column of transaction dates (anything `pandas.to_datetime` reads); the time
            of day is dropped.
        amount: Column of transaction values, or None (monetary is then all zeros).
        until: Last day of the calibration period, inclusive.
        unit: Time unit for t_x and T, a pandas Timedelta unit ("W" weeks, "D" days).

    Returns:
        The per-customer summary, customers sorted by identifier.

    """
    until_ts = pd.Timestamp(until).normalize()
    step = pd.Timedelta(1, unit=unit)
    days = _daily(df, customer, date, amount)
    days = days[days[date] <= until_ts]
    grouped = days.groupby(customer, sort=True)
    first = grouped[date].min()
    last = grouped[date].max()
    n_days = grouped[date].size()
    frequency = (n_days - 1).to_numpy(dtype=float)
    if amount is None:
        monetary = np.zeros_like(frequency)
    else:
        total = grouped[amount].sum()
        first_amount = days.loc[grouped[date].idxmin(), amount].to_numpy()
        repeat_total = total.to_numpy(dtype=float) - first_amount.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            monetary = np.where(frequency > 0, repeat_total / np.maximum(frequency, 1), 0.0)
    return RFSummary(
        customer=first.index.to_numpy(dtype=object),
        frequency=frequency,
        recency=((last - first) / step).to_numpy(dtype=float),
        age=((until_ts - first) / step).to_numpy(dtype=float),
        monetary=np.asarray(monetary, dtype=float),
        birth=first.to_numpy(dtype="datetime64[ns]"),
        until=until_ts,
        unit=unit,
    )


def count_transactions(
    df: pd.DataFrame,
    customer: str,
    date: str,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    customers: ArrayLike,
) -> FloatArray:
    """Number of distinct transaction days of each customer in the period (start, end].

    Used for a holdout period: with `start` the calibration `until`, it counts the
    transactions that the conditional expectation of the BG/NBD predicts.

    Args:
        df: Transaction log, one row per transaction.
        customer: Column of customer identifiers.
        date: Column of transaction dates.
        start: Period start, exclusive.
        end: Period end, inclusive.
        customers: The customers to report, in the order wanted (e.g. `RFSummary.customer`).

    Returns:
        Counts aligned with `customers` (0 for a customer with no transaction in the period).

    """
    days = _daily(df, customer, date, None)
    lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    inside = days[(days[date] > lo) & (days[date] <= hi)]
    counts = inside.groupby(customer).size()
    return counts.reindex(pd.Index(np.asarray(customers, dtype=object))).fillna(0).to_numpy(float)


# --------------------------------------------------------------------------- parameters


class _Params:
    """A model's parameters as a frozen dataclass that converts to and from an array."""

    def as_array(self) -> FloatArray:
        """The parameters as an array in declaration order."""
        return np.array([getattr(self, f.name) for f in fields(self)], dtype=float)

    @classmethod
    def from_array(cls, values: ArrayLike) -> Self:
        """Parameters from an array in declaration order."""
        return cls(*(float(v) for v in np.asarray(values, dtype=float)))


@dataclass(frozen=True)
class BGNBDParams(_Params):
    """BG/NBD parameters (FHL 2005a): lambda ~ Gamma(r, alpha), p ~ Beta(a, b).

    Attributes:
        r: Shape of the gamma mixing distribution of the purchase rate.
        alpha: Rate (inverse scale) of that gamma, in the summary's time unit.
        a: First shape of the beta mixing distribution of the dropout probability.
        b: Second shape of that beta.

    """

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGammaParams(_Params):
    """Gamma-Gamma parameters (Fader & Hardie 2013): z ~ Gamma(p, nu), nu ~ Gamma(q, gamma).

    Attributes:
        p: Shape of a customer's transaction-value distribution.
        q: Shape of the gamma mixing distribution of the rate nu.
        gamma: Rate of that mixing gamma (in money units).

    """

    p: float
    q: float
    gamma: float


@dataclass(frozen=True)
class FitResult[P: (BGNBDParams, GammaGammaParams)]:
    """Maximum-likelihood estimates with their standard errors.

    Attributes:
        model: Model name ("BG/NBD" or "Gamma-Gamma").
        params: Point estimates.
        std_errors: Asymptotic standard errors, same fields as `params`: the inverse
            numerical Hessian of the negative log-likelihood in log-parameters, carried
            to the natural scale by the delta method, se(theta) = theta * se(log theta).
        log_likelihood: Maximised log-likelihood.
        n: Number of customers in the fit.
        converged: Whether the optimiser reported success.
        cov_log: Covariance matrix of the log-parameters.

    """

    model: str
    params: P
    std_errors: P
    log_likelihood: float
    n: int
    converged: bool
    cov_log: FloatArray

    def summary(self) -> str:
        """A small text table of the estimates.

        Returns:
            One line per parameter (estimate and standard error), then LL and n.

        """
        lines = [f"{self.model} maximum-likelihood fit (n = {self.n})"]
        lines.append(f"{'param':>8} {'estimate':>12} {'std.err':>10}")
        for f in fields(self.params):
            est = getattr(self.params, f.name)
            se = getattr(self.std_errors, f.name)
            lines.append(f"{f.name:>8} {est:>12.4f} {se:>10.4f}")
        lines.append(f"log-likelihood = {self.log_likelihood:.2f}")
        if not self.converged:
            lines.append("warning: the optimiser did not report convergence")
        return "\n".join(lines)


# --------------------------------------------------------------------------- fitting


def numerical_hessian(
    fun: Callable[[FloatArray], float], x: ArrayLike, step: float = 1e-4
) -> FloatArray:
    r"""Central-difference Hessian of a scalar function.

    .. math::
        H_{ij} \approx \frac{f(x + h e_i + h e_j) - f(x + h e_i - h e_j)
        - f(x - h e_i + h e_j) + f(x - h e_i - h e_j)}{4 h^2}

    Args:
        fun: The function.
        x: Point of evaluation.
        step: Difference step h (the same in every coordinate; suited to log-parameters).

    Returns:
        The symmetric k x k matrix of second derivatives.

    """
    x0 = np.asarray(x, dtype=float)
    k = x0.size
    hess = np.empty((k, k))
    eye = np.eye(k) * step
    for i in range(k):
        for j in range(i, k):
            val = (
                fun(x0 + eye[i] + eye[j])
                - fun(x0 + eye[i] - eye[j])
                - fun(x0 - eye[i] + eye[j])
                + fun(x0 - eye[i] - eye[j])
            ) / (4 * step * step)
            hess[i, j] = hess[j, i] = val
    return hess


def _fit_by_ml[P: (BGNBDParams, GammaGammaParams)](
    model: str, log_likelihood: Callable[[P], float], start: P, n: int
) -> FitResult[P]:
    """Maximise `log_likelihood` over log-parameters from `start`; estimates with their SEs.

    L-BFGS-B on the log-parameters (so every parameter stays positive), then a
    Nelder-Mead polish; the covariance of the log-parameters is the inverse
    numerical Hessian of the negative log-likelihood, carried to the natural
    scale by the delta method (`_se_natural`).
    """
    kind = type(start)

    def nll(theta: FloatArray) -> float:
        value = -log_likelihood(kind.from_array(np.exp(theta)))
        return value if np.isfinite(value) else 1e300

    first = optimize.minimize(
        nll, np.log(start.as_array()), method="L-BFGS-B", bounds=[(-20.0, 20.0)] * len(fields(kind))
    )
    polish = optimize.minimize(
        nll,
        first.x,
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000, "maxfev": 8000},
    )
    best = polish if polish.fun <= first.fun else first
    hess = numerical_hessian(nll, best.x)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        cov = np.full_like(hess, np.nan)
    return FitResult(
        model=model,
        params=kind.from_array(np.exp(best.x)),
        std_errors=kind.from_array(_se_natural(best.x, cov)),
        log_likelihood=-float(best.fun),
        n=n,
        converged=bool(first.success or polish.success),
        cov_log=cov,
    )


def _se_natural(log_values: FloatArray, cov_log: FloatArray) -> FloatArray:
    """Delta method: se(theta) = theta * se(log theta)."""
    with np.errstate(invalid="ignore"):
        return np.exp(log_values) * np.sqrt(np.diag(cov_log))


# --------------------------------------------------------------------------- BG/NBD


def _arrays(*values: ArrayLike) -> tuple[FloatArray, ...]:
    return tuple(np.asarray(v, dtype=float) for v in values)


def bgnbd_log_likelihood_terms(
    params: BGNBDParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    r"""Per-customer BG/NBD log-likelihood ln L(r, alpha, a, b | x, t_x, T).

    FHL 2005a, equation (6):

    .. math::
        L = \frac{B(a, b+x)}{B(a, b)} \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)\,(\alpha+T)^{r+x}}
          + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a, b)}
            \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)\,(\alpha+t_x)^{r+x}},

    evaluated in logs (`gammaln`, `betaln`) and the two terms combined with
    `logaddexp`, so that large x or T do not overflow.

    Args:
        params: Model parameters.
        x: Repeat transactions.
        t_x: Recency (time of the last repeat transaction since the first purchase).
        T: Age (length of the observation period since the first purchase).

    Returns:
        ln L for each customer.

    """
    r, alpha, a, b = params.as_array()
    x, t_x, T = np.broadcast_arrays(*_arrays(x, t_x, T))
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) - special.betaln(a, b)
    alive = special.betaln(a, b + x) - (r + x) * np.log(alpha + T)
    repeat = x > 0
    xs = np.where(repeat, x, 1.0)  # keep betaln's arguments valid where x = 0
    dead = np.where(
        repeat,
        special.betaln(a + 1, b + xs - 1) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return common + np.logaddexp(alive, dead)


def bgnbd_log_likelihood(
    params: BGNBDParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    r"""Total BG/NBD log-likelihood, sum_i w_i ln L_i (FHL 2005a, equation 6).

    Args:
        params: Model parameters.
        x: Repeat transactions.
        t_x: Recency.
        T: Age.
        weights: Optional multiplicity of each (x, t_x, T) row (default 1).

    Returns:
        The log-likelihood of the sample.

    """
    terms = bgnbd_log_likelihood_terms(params, x, t_x, T)
    if weights is None:
        return float(np.sum(terms))
    return float(np.sum(np.asarray(weights, dtype=float) * terms))


def fit_bgnbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    start: BGNBDParams | None = None,
) -> FitResult[BGNBDParams]:
    r"""Maximum-likelihood BG/NBD fit (FHL 2005a, section 3).

    Maximises sum_i ln L(r, alpha, a, b | x_i, t_x,i, T_i) (equation 6) over the
    log-parameters (so every parameter stays positive): L-BFGS-B, then a Nelder-Mead
    polish. Identical (x, t_x, T) rows are pooled with weights first, and the special
    functions are evaluated once per distinct x, t_x and T (`_PooledBGNBD`). Standard errors
    come from the inverse numerical Hessian of the negative log-likelihood in
    log-parameters, by the delta method se(theta) = theta se(ln theta).

    Args:
        x: Repeat transactions per customer.
        t_x: Recency per customer.
        T: Age per customer.
        start: Starting values (default r = alpha = a = b = 1).

    Returns:
        Estimates, standard errors, maximised log-likelihood and n.

    """
    x, t_x, T = np.broadcast_arrays(*_arrays(x, t_x, T))
    pooled = _PooledBGNBD.of(x, t_x, T)
    return _fit_by_ml(
        "BG/NBD",
        pooled.log_likelihood,
        start or BGNBDParams(1.0, 1.0, 1.0, 1.0),
        int(x.size),
    )


@dataclass(frozen=True)
class _PooledBGNBD:
    """The distinct (x, t_x, T) rows of a sample with their counts, for fast likelihoods.

    Each of x, t_x and T takes few distinct values in a daily log (at most one per
    day), so the expensive special functions of equation (6) are evaluated on the
    distinct values only and gathered into the distinct rows by index. Every term is
    the same floating-point operation on the same numbers as in
    `bgnbd_log_likelihood_terms`, so the log-likelihood is bit-identical to
    `bgnbd_log_likelihood(params, x, t_x, T, weights)` on the pooled rows.
    """

    x: FloatArray  # distinct values of x, t_x and T
    t_x: FloatArray
    T: FloatArray
    ix: NDArray[np.intp]  # per pooled row: index into x, t_x and T
    it: NDArray[np.intp]
    iT: NDArray[np.intp]
    weights: FloatArray  # rows pooled into each

    @classmethod
    def of(cls, x: FloatArray, t_x: FloatArray, T: FloatArray) -> _PooledBGNBD:
        rows, counts = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)
        (ux, ix), (ut, it), (uT, iT) = (np.unique(c, return_inverse=True) for c in rows.T)
        return cls(ux, ut, uT, ix, it, iT, counts.astype(float))

    def log_likelihood(self, params: BGNBDParams) -> float:
        """sum_rows w ln L (equation 6), as `bgnbd_log_likelihood` computes it."""
        r, alpha, a, b = params.as_array()
        x = self.x
        common = (
            special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) - special.betaln(a, b)
        )
        rx = (r + x)[self.ix]
        alive = special.betaln(a, b + x)[self.ix] - rx * np.log(alpha + self.T)[self.iT]
        repeat = x > 0
        xs = np.where(repeat, x, 1.0)
        dead = np.where(
            repeat[self.ix],
            special.betaln(a + 1, b + xs - 1)[self.ix] - rx * np.log(alpha + self.t_x)[self.it],
            -np.inf,
        )
        terms = common[self.ix] + np.logaddexp(alive, dead)
        return float(np.sum(self.weights * terms))


def _log_odds_dead(
    params: BGNBDParams, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    """Ln of a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x) for x > 0, -inf for x = 0."""
    r, alpha, a, b = params.as_array()
    xs = np.where(x > 0, x, 1.0)
    val = np.log(a) - np.log(b + xs - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(x > 0, val, -np.inf)


def bgnbd_prob_alive(params: BGNBDParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
    r"""Probability that a customer with history (x, t_x, T) is still active at T.

    FHL 2005a, equation (11):

    .. math::
        P(\text{alive} \mid x, t_x, T) = \left[1 + \delta_{x>0}\,\frac{a}{b+x-1}
        \left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}\right]^{-1},

    which is 1 for x = 0 (in the BG/NBD a customer can only drop out right after a
    repeat transaction). Computed as a logistic function of the log-odds.

    Args:
        params: Model parameters.
        x: Repeat transactions.
        t_x: Recency.
        T: Age.

    Returns:
        P(alive) per customer.

    """
    x, t_x, T = np.broadcast_arrays(*_arrays(x, t_x, T))
    return np.exp(-np.logaddexp(0.0, _log_odds_dead(params, x, t_x, T)))


def bgnbd_expected_transactions(params: BGNBDParams, t: ArrayLike) -> FloatArray:
    r"""Unconditional expected repeat transactions E[X(t)] in the first t after birth.

    FHL 2005a, equation (9):

    .. math::
        E[X(t)] = \frac{a+b-1}{a-1}\left[1 - \left(\frac{\alpha}{\alpha+t}\right)^r
        {}_2F_1\!\left(r, b; a+b-1; \frac{t}{\alpha+t}\right)\right].

    The expression holds for every a > 0 (for a < 1 both factors are negative); a = 1
    exactly is a removable singularity that this closed form does not handle.

    Args:
        params: Model parameters.
        t: Time(s) since the first purchase (>= 0).

    Returns:
        E[X(t)] per element of t.

    """
    r, alpha, a, b = params.as_array()
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    bracket = 1.0 - np.exp(r * (np.log(alpha) - np.log(alpha + t))) * special.hyp2f1(
        r, b, a + b - 1, z
    )
    return (a + b - 1) / (a - 1) * bracket


def bgnbd_probability_of_x(params: BGNBDParams, x: int, t: ArrayLike) -> FloatArray:
    r"""P(X(t) = x): the chance of exactly x repeat transactions in the first t after birth.

    FHL 2005a, equation (8):

    .. math::
        P(X(t) = x) = \frac{B(a, b+x)}{B(a, b)} \frac{\Gamma(r+x)}{\Gamma(r)\, x!}
        \left(\frac{\alpha}{\alpha+t}\right)^r \left(\frac{t}{\alpha+t}\right)^x
        + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a, b)} \left[1 - \left(\frac{\alpha}
        {\alpha+t}\right)^r \sum_{j=0}^{x-1} \frac{\Gamma(r+j)}{\Gamma(r)\, j!}
        \left(\frac{t}{\alpha+t}\right)^j\right].

    Args:
        params: Model parameters.
        x: The number of repeat transactions (>= 0).
        t: Time(s) since the first purchase (>= 0).

    Returns:
        The probability per element of t.

    """
    r, alpha, a, b = params.as_array()
    t = np.asarray(t, dtype=float)
    log_base = r * (np.log(alpha) - np.log(alpha + t))
    log_z = np.log(t) - np.log(alpha + t) if x > 0 else np.zeros_like(t)

    def log_nbd(j: int) -> FloatArray:  # ln [Gamma(r+j) / (Gamma(r) j!) (alpha/(alpha+t))^r z^j]
        with np.errstate(divide="ignore", invalid="ignore"):
            term = j * log_z if j > 0 else np.zeros_like(t)
        return (
            special.gammaln(r + j) - special.gammaln(r) - special.gammaln(j + 1) + log_base + term
        )

    first = np.exp(special.betaln(a, b + x) - special.betaln(a, b) + log_nbd(x))
    if x == 0:
        return first
    below = sum(np.exp(log_nbd(j)) for j in range(x))
    return first + np.exp(special.betaln(a + 1, b + x - 1) - special.betaln(a, b)) * (1.0 - below)


def bgnbd_conditional_expected_transactions(
    params: BGNBDParams, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    r"""Expected repeat transactions in (T, T + t] given the history (x, t_x, T).

    FHL 2005a, equation (10):

    .. math::
        E[Y(t) \mid x, t_x, T] = \frac{\frac{a+b+x-1}{a-1}\left[1 -
        \left(\frac{\alpha+T}{\alpha+T+t}\right)^{r+x}
        {}_2F_1\!\left(r+x, b+x; a+b+x-1; \frac{t}{\alpha+T+t}\right)\right]}
        {1 + \delta_{x>0}\frac{a}{b+x-1}\left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}},

    i.e. P(alive | x, t_x, T) times the expected count of an active customer whose
    lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x) (the posterior given alive).

    Args:
        params: Model parameters.
        t: Length of the prediction period.
        x: Repeat transactions in the calibration period.
        t_x: Recency.
        T: Age at the end of the calibration period.

    Returns:
        The conditional expectation per customer (broadcast over t, x, t_x, T).

    """
    r, alpha, a, b = params.as_array()
    t, x, t_x, T = np.broadcast_arrays(*_arrays(t, x, t_x, T))
    z = t / (alpha + T + t)
    power = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
    active = (
        (a + b + x - 1) / (a - 1) * (1.0 - power * special.hyp2f1(r + x, b + x, a + b + x - 1, z))
    )
    return active * bgnbd_prob_alive(params, x, t_x, T)


def bgnbd_expected_cumulative_transactions(
    params: BGNBDParams, birth: ArrayLike, t: ArrayLike
) -> FloatArray:
    r"""Expected cumulative repeat transactions of a cohort with staggered births.

    FHL 2005a, section 4 (the tracking plots): customer i, born (first purchase) at
    time s_i on the calendar axis, contributes E[X(t - s_i)] (equation 9) once t > s_i:

    .. math::
        \text{Cum}(t) = \sum_i E[X(\max(t - s_i, 0))].

    Births are pooled by value, so daily birth dates cost one evaluation per distinct day.

    Args:
        params: Model parameters.
        birth: Birth time s_i of each customer on the calendar axis (same unit as alpha).
        t: Calendar time(s) on the same axis.

    Returns:
        Expected cumulative repeat transactions at each t.

    """
    births, counts = np.unique(np.asarray(birth, dtype=float), return_counts=True)
    t = np.atleast_1d(np.asarray(t, dtype=float))
    age = np.maximum(t[:, None] - births[None, :], 0.0)
    return bgnbd_expected_transactions(params, age) @ counts.astype(float)


def simulate_bgnbd(
    params: BGNBDParams,
    T: ArrayLike,
    rng: np.random.Generator,
    holdout: float = 0.0,
) -> dict[str, FloatArray]:
    """Simulate calibration summaries (and holdout counts) from the BG/NBD process.

    Each customer draws lambda ~ Gamma(r, rate alpha) and p ~ Beta(a, b); repeat
    transactions arrive as a Poisson process of rate lambda after the first purchase at
    time 0 (exponential gaps), and right after each one the customer drops out with
    probability p (FHL 2005a, assumptions i-v). Customers are advanced one transaction
    at a time, all together, until each has dropped out or passed T + holdout.

    Args:
        params: Model parameters.
        T: Calibration age of each customer (its length sets the number of customers).
        rng: Random generator.
        holdout: Length of the period after each customer's T whose transactions are
            counted in `holdout`.

    Returns:
        Arrays x, t_x, T, holdout (transactions in (T, T + holdout]), lam and p.

    """
    r, alpha, a, b = params.as_array()
    T = np.atleast_1d(np.asarray(T, dtype=float))
    n = T.size
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    horizon = T + holdout
    clock = np.zeros(n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    later = np.zeros(n)
    active = np.arange(n)
    while active.size:
        clock[active] += rng.exponential(1.0 / lam[active])
        active = active[clock[active] <= horizon[active]]
        calib = clock[active] <= T[active]
        x[active[calib]] += 1
        t_x[active[calib]] = clock[active[calib]]
        later[active[~calib]] += 1
        active = active[rng.random(active.size) >= p[active]]
    return {"x": x, "t_x": t_x, "T": T, "holdout": later, "lam": lam, "p": p}


# --------------------------------------------------------------------------- Gamma-Gamma


def gamma_gamma_log_likelihood_terms(
    params: GammaGammaParams, x: ArrayLike, m_x: ArrayLike
) -> FloatArray:
    r"""Per-customer Gamma-Gamma log-likelihood of the mean repeat value m_x of x >= 1.

    Given nu, x * m_x ~ Gamma(p x, nu); integrating nu ~ Gamma(q, gamma) gives
    (Fader & Hardie 2013, equation 3; FHL 2005b, appendix)

    .. math::
        f(m_x \mid p, q, \gamma, x) = \frac{\Gamma(px+q)}{\Gamma(px)\Gamma(q)}
        \frac{\gamma^q\, m_x^{px-1}\, x^{px}}{(\gamma + m_x x)^{px+q}}.

    Args:
        params: Model parameters.
        x: Repeat transactions (each >= 1).
        m_x: Mean repeat transaction value (each > 0).

    Returns:
        ln f per customer.

    """
    p, q, g = params.as_array()
    x, m_x = np.broadcast_arrays(*_arrays(x, m_x))
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(m_x)
        + px * np.log(x)
        - (px + q) * np.log(g + m_x * x)
    )


def gamma_gamma_log_likelihood(
    params: GammaGammaParams,
    x: ArrayLike,
    m_x: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Total Gamma-Gamma log-likelihood, sum_i w_i ln f_i (Fader & Hardie 2013, equation 3).

    Args:
        params: Model parameters.
        x: Repeat transactions (each >= 1).
        m_x: Mean repeat transaction value (each > 0).
        weights: Optional multiplicity of each (x, m_x) row (default 1).

    Returns:
        sum_i w_i ln f(m_x,i | p, q, gamma, x_i).

    """
    terms = gamma_gamma_log_likelihood_terms(params, x, m_x)
    if weights is None:
        return float(np.sum(terms))
    return float(np.sum(np.asarray(weights, dtype=float) * terms))


def fit_gamma_gamma(
    x: ArrayLike, m_x: ArrayLike, start: GammaGammaParams | None = None
) -> FitResult[GammaGammaParams]:
    r"""Maximum-likelihood Gamma-Gamma fit (FHL 2005b; Fader & Hardie 2013).

    Uses the customers with x >= 1 (the others carry no spend information) and
    maximises sum_i ln f(m_x,i | p, q, gamma, x_i) over log-parameters, as `fit_bgnbd`
    does; identical (x, m_x) rows are pooled with weights first (a simulated firm's
    fixed prices leave few distinct ones); standard errors by the delta method from
    the numerical Hessian.

    Args:
        x: Repeat transactions per customer (rows with x = 0 are dropped).
        m_x: Mean repeat transaction value per customer.
        start: Starting values (default p = q = gamma = 1).

    Returns:
        Estimates, standard errors, maximised log-likelihood and n (customers used).

    Raises:
        ValueError: If a customer with x >= 1 has m_x <= 0 (its likelihood is zero).

    """
    x, m_x = np.broadcast_arrays(*_arrays(x, m_x))
    use = x >= 1
    x, m_x = x[use], m_x[use]
    if np.any(m_x <= 0):
        raise ValueError("Gamma-Gamma needs m_x > 0 for every customer with x >= 1")

    rows, counts = np.unique(np.column_stack([x, m_x]), axis=0, return_counts=True)
    ux, um = rows.T
    w = counts.astype(float)
    return _fit_by_ml(
        "Gamma-Gamma",
        lambda params: gamma_gamma_log_likelihood(params, ux, um, w),
        start or GammaGammaParams(1.0, 1.0, 1.0),
        int(x.size),
    )


def gamma_gamma_expected_spend(
    params: GammaGammaParams, x: ArrayLike, m_x: ArrayLike
) -> FloatArray:
    r"""Conditional expected mean transaction value E[M | p, q, gamma, m_x, x].

    Fader & Hardie 2013, equation (5) (FHL 2005b, equation 3):

    .. math::
        E[M \mid m_x, x] = \frac{p(\gamma + m_x x)}{px + q - 1}
        = \frac{q-1}{px+q-1}\,\frac{p\gamma}{q-1} + \frac{px}{px+q-1}\, m_x,

    a weighted mean of the population mean p gamma / (q - 1) and the customer's own
    m_x; for x = 0 it is the population mean. Needs q > 1.

    Args:
        params: Model parameters.
        x: Repeat transactions.
        m_x: Mean repeat transaction value (ignored where x = 0).

    Returns:
        Expected mean spend per transaction for each customer.

    """
    p, q, g = params.as_array()
    x, m_x = np.broadcast_arrays(*_arrays(x, m_x))
    m = np.where(x > 0, m_x, 0.0)
    return p * (g + m * x) / (p * x + q - 1)


# --------------------------------------------------------------------------- CLV


def predicted_clv(
    params: BGNBDParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    expected_spend: ArrayLike,
    horizon: int,
    period: float = 1.0,
    margin: float = 1.0,
    discount_rate: float = 0.0,
) -> FloatArray:
    r"""Approximate customer lifetime value over a finite horizon (a discrete-time sum).

    Not the exact discounted expected residual transactions (DERT) of the BG/NBD,
    which needs a continuous-time integral; instead a documented approximation.
    With period length Delta, H periods, per-period discount rate d, margin share
    m and expected spend per transaction E[M] (e.g. `gamma_gamma_expected_spend`):

    .. math::
        \text{CLV}_H = \sum_{k=1}^{H} \frac{m\, E[M]\, \big(E[Y(k\Delta) \mid x, t_x, T]
        - E[Y((k-1)\Delta) \mid x, t_x, T]\big)}{(1+d)^k},

    E[Y(t) | x, t_x, T] the conditional expectation of FHL 2005a, equation (10). Each
    period's transactions are discounted as if they all fell at the period's end, and
    spend is taken independent of the transaction process (the Gamma-Gamma assumption;
    FHL 2005b). It converges to the continuous DERT-based value as Delta shrinks.

    Args:
        params: BG/NBD parameters.
        x: Repeat transactions in the calibration period.
        t_x: Recency.
        T: Age at the end of the calibration period.
        expected_spend: Expected value per transaction of each customer.
        horizon: Number of periods H.
        period: Period length Delta in the model's time unit.
        margin: Share of revenue that is margin.
        discount_rate: Discount rate per period d.

    Returns:
        CLV per customer, in money units.

    """
    x, t_x, T, spend = np.broadcast_arrays(*_arrays(x, t_x, T, expected_spend))
    ends = period * np.arange(horizon + 1, dtype=float)
    cum = bgnbd_conditional_expected_transactions(
        params, ends[:, None], x[None, :], t_x[None, :], T[None, :]
    )
    per_period = np.diff(cum, axis=0)
    factors = (1.0 + discount_rate) ** -np.arange(1, horizon + 1, dtype=float)
    return margin * spend * (factors @ per_period)
