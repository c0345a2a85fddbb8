"""Lift of a policy over a baseline from paired replications: the statistics, no I/O.

Replication r of both arms runs with the same seed (common random numbers: the
same population, network and initial draws), so the per-replication
differences d_r = policy_r - baseline_r are paired and the lift is estimated by
the paired-t interval

    d̄ ± t_{0.975, R-1} · s_d / √R,

s_d the sample standard deviation of the d_r (Law 2015, *Simulation Modeling
and Analysis*, 5th ed., ch. 10 (paired-t interval) and ch. 11 (common random
numbers)). Positively correlated arms make s_d smaller than the spread of
either arm, and the interval narrower than one for independent samples.

The promotion decomposition follows van Heerde, Leeflang & Wittink (2004),
"Decomposing the sales promotion bump with store data", *Marketing Science*
23(3), 317-334: the focal firm's extra units on its promotion days (the bump)
split into units taken from competitors (switching), units taken from its own
and the category's other days (pulled forward) and new category units
(expansion).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import stdtrit  # Student's t quantile: scipy.stats.t.ppf's own kernel

from custsim.policies.crm import rfm
from custsim.policies.crm.records import FirmRecords
from custsim.sim.kpis import FOCAL_KPIS, names

Key = tuple[str, str]  # (scope, metric), e.g. ("firm", "revenue"), ("segment:balanced", "spend")
Metrics = dict[Key, float]

LEVEL = 0.95
FIRM_METRICS = FOCAL_KPIS
#: the market KPIs a comparison reports (`custsim.sim.kpis`, scope market)
MARKET_METRICS = ("active_at_end", "retention", "repeat_purchase_rate", "mean_clv")
SEGMENT_METRICS = names("segment")
#: the focal firm's experience-chain KPIs a comparison reports, with the chain
#: (`custsim.sim.kpis`, scope experience; nps only when the firm surveys)
EXPERIENCE_METRICS = names("experience")
#: the focal firm's contacts a comparison reports when an arm names a channel (`custsim.sim.kpis`,
#: scope reach): an arm without channels sent nothing and paid nothing (0)
REACH_METRICS = ("contacts", "opt_outs", "conversions", "contact_cost")
#: the return on the extra contact spend, per pair: (margin_p - margin_b) / (cost_p - cost_b)
ROI = "roi"
#: the RFM classes of `custsim.policies.crm.rfm.FOUR_CLASSES` and "none" (never bought)
RFM_CLASSES = (*rfm.FOUR_CLASSES, "none")
#: per RFM class: its size (the same in both arms) and the focal firm's ledger
RFM_METRICS = ("customers", "spend", "margin", "clv")
COMPONENTS = ("bump", "switching", "pulled_forward", "expansion")
TABLE_COLUMNS = (
    "scope",
    "metric",
    "baseline_mean",
    "policy_mean",
    "lift",
    "lift_se",
    "ci_low",
    "ci_high",
    "lift_pct",
    "replications",
)


def mean_ci(values: ArrayLike, level: float = LEVEL) -> dict[str, float]:
    """Mean, standard error and t confidence interval of independent replications.

    SE = s / √R with s the sample standard deviation (ddof 1); the interval is
    mean ± t_{(1+level)/2, R-1} · SE.

    Args:
        values: one value per replication, R >= 2.
        level: confidence level.

    Returns:
        ``mean``, ``se``, ``ci_low``, ``ci_high``.

    Raises:
        ValueError: if fewer than two values are given.

    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"need a 1-d array of at least 2 replications, got shape {x.shape}")
    mean = float(x.mean())
    se = float(x.std(ddof=1) / np.sqrt(x.size))
    half = float(stdtrit(x.size - 1, 0.5 + level / 2)) * se
    return {"mean": mean, "se": se, "ci_low": mean - half, "ci_high": mean + half}


def estimate(values: ArrayLike, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean and t-interval (`mean_ci`) of replications; NaN bounds below two values.

    Returns:
        (mean, ci_low, ci_high); (nan, nan, nan) when there is no value.

    """
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2:
        return (float(x.mean()) if x.size else np.nan), np.nan, np.nan
    ci = mean_ci(x, level)
    return ci["mean"], ci["ci_low"], ci["ci_high"]


def paired_lift(
    policy: NDArray[np.floating], baseline: NDArray[np.floating], level: float = LEVEL
) -> dict[str, float]:
    """Lift of the policy over the baseline from paired replications.

    lift = mean_r (policy_r - baseline_r), with the paired-t interval of
    :func:`mean_ci` on the differences; lift_pct = 100 · lift / |mean baseline|
    (NaN when the baseline mean is 0).

    Args:
        policy: the metric per replication under the policy, shape (R,).
        baseline: the same metric per replication under the baseline, same seeds.
        level: confidence level.

    Returns:
        ``baseline_mean``, ``policy_mean``, ``lift``, ``lift_se``, ``ci_low``,
        ``ci_high``, ``lift_pct``, ``replications``.

    Raises:
        ValueError: if the arms differ in length or hold fewer than two replications.

    """
    p, b = np.asarray(policy, dtype=np.float64), np.asarray(baseline, dtype=np.float64)
    if p.shape != b.shape:
        raise ValueError(f"arms must be paired: shapes {p.shape} and {b.shape}")
    d = mean_ci(p - b, level)
    base = float(b.mean())
    return {
        "baseline_mean": base,
        "policy_mean": float(p.mean()),
        "lift": d["mean"],
        "lift_se": d["se"],
        "ci_low": d["ci_low"],
        "ci_high": d["ci_high"],
        "lift_pct": 100 * d["mean"] / abs(base) if base != 0 else float("nan"),
        "replications": int(p.size),
    }


def lift_table(policy: Sequence[Metrics], baseline: Sequence[Metrics]) -> pd.DataFrame:
    """Paired lift of every metric: one row per (scope, metric), columns `TABLE_COLUMNS`.

    Args:
        policy: per replication, the policy arm's metrics keyed by (scope, metric).
        baseline: per replication (same order and seeds), the baseline arm's metrics.

    Raises:
        ValueError: if the arms differ in replications or metrics.

    """
    if len(policy) != len(baseline):
        raise ValueError(f"{len(policy)} policy but {len(baseline)} baseline replications")
    if any(k[0] == "reach" for m in [*policy, *baseline] for k in m):
        policy, baseline = _with_reach(policy), _with_reach(baseline)
    keys = list(policy[0]) if policy else []
    if any(list(m) != keys for m in [*policy, *baseline]):
        raise ValueError("every replication of both arms must report the same metrics")
    rows = []
    for scope, metric in keys:
        p = np.array([m[scope, metric] for m in policy])
        b = np.array([m[scope, metric] for m in baseline])
        rows.append({"scope": scope, "metric": metric, **paired_lift(p, b)})
    if ("reach", "contact_cost") in keys:
        rows.append({"scope": "reach", "metric": ROI, **return_on_contacts(policy, baseline)})
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def _with_reach(arm: Sequence[Metrics]) -> list[Metrics]:
    """The arm's metrics with every one of `REACH_METRICS`, 0 where the arm sent nothing.

    The reach metrics come after the others, so both arms list their keys in one order.
    """
    out = []
    for r in arm:
        kept = {k: v for k, v in r.items() if k[0] != "reach"}
        out.append(kept | {("reach", m): r.get(("reach", m), 0.0) for m in REACH_METRICS})
    return out


def return_on_contacts(
    policy: Sequence[Metrics], baseline: Sequence[Metrics], level: float = LEVEL
) -> dict[str, float]:
    """The extra margin per unit of extra contact spend, with a t interval over the pairs.

    roi_r = (margin_p - margin_b) / (cost_p - cost_b) for each pair r (the focal firm's
    margin is net of the contact cost, so 0 means the messages just paid for
    themselves); NaN where the arms spent the same. Reported as `lift`.
    """

    def column(arm: Sequence[Metrics], key: Key) -> NDArray[np.float64]:
        return np.array([m[key] for m in arm])

    gain = column(policy, ("firm", "margin")) - column(baseline, ("firm", "margin"))
    spent = column(policy, ("reach", "contact_cost")) - column(baseline, ("reach", "contact_cost"))
    ratio = np.divide(gain, spent, out=np.full(len(gain), np.nan), where=spent != 0)
    finite = ratio[np.isfinite(ratio)]
    mean, low, high = estimate(finite, level)
    return {
        "baseline_mean": np.nan, "policy_mean": np.nan, "lift": mean,
        "lift_se": np.nan, "ci_low": low, "ci_high": high, "lift_pct": np.nan,
        "replications": int(finite.size),
    }  # fmt: skip


def run_metrics(
    firm_kpis: pd.DataFrame,
    customer_kpis: Mapping[str, float],
    customers: pd.DataFrame,
    focal: str,
    experience: pd.DataFrame | None = None,
    reach: pd.DataFrame | None = None,
) -> Metrics:
    """One run's metrics: the focal firm's KPIs, market KPIs, per-segment KPIs, experience.

    Per segment, from the focal firm's ledger (`customers_frame` columns
    `<metric>_<focal>`): total spend, total margin (spend - unit cost · units -
    rewards - points liability; summed over the segments it is the firm's
    margin), CLV per customer of the segment, and repeat rate = #(purchases
    >= 2) / #(purchases >= 1) among the firm's buyers; and retention = 1 -
    share churned (a churned customer has left the category, every firm).

    Args:
        firm_kpis: one row per firm (`custsim.sim.metrics.firm_kpis`).
        customer_kpis: market-wide KPIs (`custsim.sim.metrics.customer_kpis`).
        customers: one row per customer (`custsim.sim.results.customers_frame`).
        focal: the firm whose KPIs are reported.
        experience: with the experience chain, one row per firm
            (`custsim.sim.metrics.experience_kpis`): its `EXPERIENCE_METRICS` columns
            are the focal firm's scope "experience" metrics.
        reach: when a policy names a channel, one row per firm
            (`custsim.sim.metrics.reach_tables`' "firm" table): its `REACH_METRICS`.

    """
    row = firm_kpis.set_index("firm").loc[focal]
    out: Metrics = {("firm", m): float(row[m]) for m in FIRM_METRICS}
    out |= {("market", m): float(customer_kpis[m]) for m in MARKET_METRICS}
    if experience is not None:
        felt = experience.set_index("firm").loc[focal]
        out |= {("experience", m): float(felt[m]) for m in EXPERIENCE_METRICS if m in felt}
    if reach is not None:
        sent = reach.set_index("firm").loc[focal]
        out |= {("reach", m): float(sent[m]) for m in REACH_METRICS}
    groups = customers.groupby("segment", observed=False, sort=True)
    purchases, segment = customers[f"purchases_{focal}"], customers["segment"]
    bought = (purchases >= 1).groupby(segment, observed=False).sum()
    repeat = (purchases >= 2).groupby(segment, observed=False).sum()
    seg = pd.DataFrame(
        {
            "spend": groups[f"spend_{focal}"].sum(),
            "margin": groups[f"margin_{focal}"].sum(),
            "clv": groups[f"clv_{focal}"].mean(),
            "retention": 1 - groups["churned"].mean(),
            "repeat_rate": repeat / bought.where(bought > 0),
        }
    )
    for name, values in seg.iterrows():
        out |= {(f"segment:{name}", m): float(values[m]) for m in SEGMENT_METRICS}
    return out


def rfm_classes(records: FirmRecords) -> NDArray[np.int8]:
    """The firm's RFM class of every customer, codes into `RFM_CLASSES`, from its own records.

    Hughes's quintile scores (`rfm.rfm_scores`, total spend as M) and the four named
    classes of `rfm.four_classes`; a customer who never bought from the firm (code -1
    there) is class "none" (code 4). Reads the records only, never traits or churn.
    """
    scores = rfm.rfm_scores(records)
    codes = rfm.four_classes(scores.r, scores.f, scores.m)
    return np.where(codes < 0, len(RFM_CLASSES) - 1, codes).astype(np.int8)


def rfm_metrics(classes: ArrayLike, spend: ArrayLike, margin: ArrayLike, clv: ArrayLike) -> Metrics:
    """One arm's focal-firm ledger per RFM class, keyed ("rfm:<class>", metric).

    Per class c of `RFM_CLASSES` (the classes are the baseline arm's, so that both
    arms of a pair are cut into the same customers): customers = #{i : class_i = c},
    spend and margin summed over its customers (summed over the classes, the firm's
    revenue and margin) and clv the mean CLV per customer of the class (NaN when empty).

    Args:
        classes: class code per customer (`rfm_classes` of the baseline arm's records).
        spend: the focal firm's spend per customer in this arm (`spend_<focal>`).
        margin: its margin per customer (`margin_<focal>`).
        clv: its CLV per customer (`clv_<focal>`).

    """
    c = np.asarray(classes, dtype=np.int64)
    k = len(RFM_CLASSES)
    size = np.bincount(c, minlength=k).astype(np.float64)
    totals = {
        "customers": size,
        "spend": np.bincount(c, weights=np.asarray(spend, np.float64), minlength=k),
        "margin": np.bincount(c, weights=np.asarray(margin, np.float64), minlength=k),
    }
    clv_sum = np.bincount(c, weights=np.asarray(clv, np.float64), minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        totals["clv"] = np.where(size > 0, clv_sum / size, np.nan)
    return {
        (f"rfm:{name}", m): float(totals[m][i])
        for i, name in enumerate(RFM_CLASSES)
        for m in RFM_METRICS
    }


def _units_by_day(ts: pd.DataFrame) -> pd.DataFrame:
    """Units as a day x firm table."""
    return ts.pivot(index="day", columns="firm", values="units").astype(np.float64)


def promotion_decomposition(
    policy_ts: pd.DataFrame, baseline_ts: pd.DataFrame, focal: str
) -> dict[str, float]:
    """Decompose the focal firm's promotion bump in one paired replication.

    With Δ the policy-minus-baseline change in daily units and P the focal
    firm's promotion days in the policy arm (van Heerde, Leeflang & Wittink 2004):

    - bump B = Σ_{t∈P} Δ focal_t
    - switching S = -Σ_{t∈P} Σ_{j≠focal} Δ units_jt (competitors' loss)
    - pulled forward T = -Σ_{t∉P} Σ_j Δ units_jt (category loss on other days)
    - category expansion E = B - S - T (= the change in total category units)

    Without promotion days B = S = 0, T is minus the category change and E = -T.

    Args:
        policy_ts: the policy arm's timeseries (columns day, firm, units, promo).
        baseline_ts: the baseline arm's timeseries, same seed, days and firms.
        focal: the promoting firm.

    Returns:
        ``bump``, ``switching``, ``pulled_forward``, ``expansion`` (units) and
        ``promo_days``.

    Raises:
        ValueError: if the arms cover different days or firms.

    """
    p, b = _units_by_day(policy_ts), _units_by_day(baseline_ts)
    if not (p.index.equals(b.index) and p.columns.equals(b.columns)):
        raise ValueError("the arms must cover the same days and firms")
    focal_rows = policy_ts[policy_ts["firm"] == focal].set_index("day")["promo"]
    promo = focal_rows.reindex(p.index).fillna(False).astype(bool).to_numpy()
    delta = p - b
    rivals = [f for f in delta.columns if f != focal]
    bump = float(delta.loc[promo, focal].sum())
    switching = -float(delta.loc[promo, rivals].to_numpy().sum())
    pulled_forward = -float(delta.loc[~promo].to_numpy().sum())
    return {
        "bump": bump,
        "switching": switching,
        "pulled_forward": pulled_forward,
        "expansion": bump - switching - pulled_forward,
        "promo_days": float(promo.sum()),
    }


def decomposition_table(parts: Sequence[Mapping[str, float]]) -> pd.DataFrame:
    """Mean and t interval of B, S, T, E over replications, and their shares of B.

    Component rows carry the mean in ``lift`` (units) with its SE and interval;
    ``<component>_share`` rows carry the ratio of means S̄/B̄, T̄/B̄, Ē/B̄ in
    ``lift`` (they sum to 1; NaN unless B̄ > 0). Baseline and policy means and
    lift_pct do not apply and are NaN.

    Args:
        parts: per replication, the output of :func:`promotion_decomposition`.

    """
    rows = []
    means = {}
    for name in COMPONENTS:
        ci = mean_ci([p[name] for p in parts])
        means[name] = ci["mean"]
        rows.append(
            {
                "metric": name,
                "lift": ci["mean"],
                "lift_se": ci["se"],
                "ci_low": ci["ci_low"],
                "ci_high": ci["ci_high"],
            }
        )
    for name in COMPONENTS[1:]:
        share = means[name] / means["bump"] if means["bump"] > 0 else float("nan")
        rows.append({"metric": f"{name}_share", "lift": share})
    table = pd.DataFrame(rows).assign(scope="decomposition", replications=len(parts))
    return table.reindex(columns=list(TABLE_COLUMNS))


def daily_lift(
    policy_units: NDArray[np.floating], baseline_units: NDArray[np.floating], level: float = LEVEL
) -> pd.DataFrame:
    """Mean daily units of both arms and the paired daily lift with its t interval.

    Args:
        policy_units: units per replication and day, shape (R, T), R >= 2.
        baseline_units: the same under the baseline (same seeds).
        level: confidence level.

    Returns:
        One row per day (1..T): ``day, policy, baseline, lift, ci_low, ci_high``.

    """
    p, b = np.asarray(policy_units, np.float64), np.asarray(baseline_units, np.float64)
    d = p - b
    r = d.shape[0]
    half = stdtrit(r - 1, 0.5 + level / 2) * d.std(axis=0, ddof=1) / np.sqrt(r)
    lift = d.mean(axis=0)
    return pd.DataFrame(
        {
            "day": np.arange(1, d.shape[1] + 1),
            "policy": p.mean(axis=0),
            "baseline": b.mean(axis=0),
            "lift": lift,
            "ci_low": lift - half,
            "ci_high": lift + half,
        }
    )
