"""Customer profiles from observed behaviour, validated against the true personas.

The firm clusters its customers on what it can see (k-means on standardised RFM,
purchase regularity, deal share and points use); the simulation then says how well
those clusters recover the personas the customers were drawn from, by the adjusted
Rand index (Hubert & Arabie 1985, "Comparing partitions", *Journal of Classification*
2(1)) and a confusion table. k-means: Lloyd's algorithm with k-means++ starts
(Arthur & Vassilvitskii 2007), as scikit-learn's `KMeans`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from custsim.policies.crm.lifecycle import gap_stats
from custsim.policies.crm.records import FirmRecords

IntArray = NDArray[np.int64]

#: Features that are counts or money, log1p-transformed before standardising (skewed).
SKEWED = ("recency", "frequency", "monetary", "aov")


def behaviour_features(
    records: FirmRecords,
    log: pd.DataFrame | None = None,
    firm: int | None = None,
    regular_price: float | None = None,
) -> pd.DataFrame:
    """Observed behaviour per customer of the firm: the inputs of the profiles.

    Columns: recency, frequency, monetary (total spend), aov (spend per purchase); with
    a purchase log (`custsim.sim.purchases.PurchaseLog.frame()`, cut at `records.as_of`):
    gap_cv (coefficient of variation of the gaps, std/mean: 0 = clockwork regular;
    `custsim.policies.crm.lifecycle.gap_stats`), reward_share (share of purchases that
    completed a reward: points use); with `regular_price` too: deal_share (share of
    purchases at a unit price below the regular price). gap_cv is NaN below three
    purchase days; `kmeans_profiles` fills it with the median.

    Args:
        records: The firm's records at the as-of day.
        log: Purchase log (columns day, customer, firm, quantity, paid, points,
            rewarded), or None for the record columns only.
        firm: The firm's index in the log's firm column (None: the log is one firm's).
        regular_price: The firm's regular price, for deal_share.

    Returns:
        One row per customer of the firm, indexed by customer row id.

    """
    m = records.customer
    ids = np.flatnonzero(m)
    n = records.purchase_count[m].astype(float)
    out = pd.DataFrame(
        {
            "recency": records.recency[m],
            "frequency": n,
            "monetary": records.spend[m],
            "aov": records.spend[m] / n,
        },
        index=pd.Index(ids, name="customer"),
    )
    if log is None:
        return out
    rows = log["day"].to_numpy() < records.as_of
    if firm is not None:
        rows &= log["firm"].to_numpy() == firm
    mine = log.loc[rows]
    size = len(records)
    cust = mine["customer"].to_numpy(dtype=np.int64)
    gaps = gap_stats(mine["day"].to_numpy(), cust, size)
    out["gap_cv"] = gaps.cv[ids]
    counts = np.bincount(cust, minlength=size).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rewarded = np.bincount(cust, weights=mine["rewarded"].to_numpy(dtype=float), minlength=size)
        out["reward_share"] = (rewarded / counts)[ids]
        if regular_price is not None:
            deal = mine["paid"].to_numpy(dtype=float) < regular_price - 1e-9
            out["deal_share"] = (np.bincount(cust, weights=deal, minlength=size) / counts)[ids]
    return out


@dataclass(frozen=True)
class Profiles:
    """k-means profiles of the firm's customers.

    Attributes:
        labels: Cluster per customer, aligned with the features' index.
        centres: Cluster means of the (untransformed) features, one row per cluster,
            with its size.
        inertia: Within-cluster sum of squares in the standardised space.

    """

    labels: pd.Series
    centres: pd.DataFrame
    inertia: float


def kmeans_profiles(
    features: pd.DataFrame,
    k: int,
    seed: int = 0,
    skewed: Sequence[str] = SKEWED,
    n_init: int = 10,
    sample: int | None = None,
) -> Profiles:
    """Cluster customers by k-means on standardised behaviour.

    Skewed columns get log1p first; NaNs are filled with the column median; then each
    column is standardised to mean 0, variance 1 (so no unit dominates the Euclidean
    distance) and clustered with `sklearn.cluster.KMeans` (k-means++, `n_init` starts).
    With more rows than `sample`, the centres are fitted on `sample` rows drawn
    without replacement by `numpy.random.default_rng(seed)` and every row is then
    assigned to its nearest centre (`KMeans.predict`); the inertia is that of all rows.

    Args:
        features: One row per customer (e.g. `behaviour_features`).
        k: Number of profiles.
        seed: Random state of the starts (and of the sample).
        skewed: Columns to log1p-transform (those present).
        n_init: Number of k-means starts.
        sample: Rows the centres are fitted on (None: all).

    Returns:
        Labels, centres and inertia.

    """
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    x = features.astype(float).copy()
    for col in skewed:
        if col in x:
            x[col] = np.log1p(np.maximum(x[col], 0.0))
    x = x.fillna(x.median()).fillna(0.0)
    z = StandardScaler().fit_transform(x.to_numpy())
    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    if sample is not None and len(z) > sample:
        rows = np.sort(np.random.default_rng(seed).choice(len(z), size=sample, replace=False))
        km.fit(z[rows])
        assigned, inertia = km.predict(z), -float(km.score(z))
    else:
        km.fit(z)
        assigned, inertia = km.labels_, float(km.inertia_)
    labels = pd.Series(assigned.astype(np.int64), index=features.index, name="profile")
    centres = features.groupby(labels.to_numpy()).mean()
    centres.insert(0, "size", labels.value_counts().sort_index().to_numpy())
    centres.index.name = "profile"
    return Profiles(labels=labels, centres=centres, inertia=inertia)


@dataclass(frozen=True)
class PersonaMatch:
    """How well profiles recover the true personas.

    Attributes:
        ari: Adjusted Rand index (1: the same partition; about 0: chance).
        confusion: Customers per (persona, profile): rows personas, columns profiles.
        purity: Share of customers in their profile's majority persona.

    """

    ari: float
    confusion: pd.DataFrame
    purity: float


def compare_with_personas(profiles: ArrayLike, personas: ArrayLike) -> PersonaMatch:
    """Compare clusters with the true personas: adjusted Rand index and confusion table.

    Args:
        profiles: Cluster label per customer.
        personas: True persona per customer (same order).

    Returns:
        ARI (`sklearn.metrics.adjusted_rand_score`), confusion table and purity.

    """
    from sklearn.metrics import adjusted_rand_score

    p = np.asarray(profiles)
    t = np.asarray(personas)
    table = pd.crosstab(pd.Series(t, name="persona"), pd.Series(p, name="profile"), dropna=False)
    purity = float(table.max(axis=0).sum() / max(len(p), 1))
    return PersonaMatch(ari=float(adjusted_rand_score(t, p)), confusion=table, purity=purity)
