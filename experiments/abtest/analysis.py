"""What the firm measures from its own records, what is true, and how far apart they are.

The firm's base B is its customers who bought from it before the test starts (days
1..s-1, s = `policy.start`); its outcome per customer is over the test window
s..T: spend Y_i = sum of quantity x price paid, margin M_i = sum of quantity x
(price - unit cost) - contact cost of i (what the firm paid to reach i), both from
its purchase log and contact records (`world_outcomes`). Before day s no world
differs (no contact is sent), so B is the same in every world of a seed.

Measured lift (the firm's, `firm_estimate`): difference of ratio means over its
randomisation units (customers, or clusters), treated T and holdout H, base only,

    L = sum_{c in T} Y_c / sum_{c in T} N_c - sum_{c in H} Y_c / sum_{c in H} N_c,

Y_c, N_c the outcome total and base customers of unit c, with the linearised variance
of a ratio mean, Var(R_a) = C_a / (C_a - 1) * sum_c (Y_c - R_a N_c)^2 / (sum_c N_c)^2
(Cochran 1977, Sampling Techniques, ch. 6; one customer per unit: s^2 / N), and a
normal 95% interval L +/- 1.96 SE. True total effect (`true_effect`): the paired
worlds everyone treated (holdout 0) and nobody treated (holdout 1), same seed
(common random numbers): tau = mean_{B} Y(all) - mean_{B} Y(none). Over R
replications (`summary_table`): bias = mean_r (L_r - tau_r) with its t interval,
split into interference and chance (`replication_rows`): with the test's own
assignment (holdout H_r), the no-interference estimate L*_r is what the firm would
measure were each customer's outcome its own arm's world's, Y*_i = Y_i(none) for i in
H_r, Y_i(all) otherwise (SUTVA, Rubin 1980); interference = L_r - L*_r (the same
assignment in both, so its luck cancels) and chance = L*_r - tau_r (mean 0 over
assignments: a random holdout is unbiased without interference);
coverage = share of r whose interval holds the mean true effect mean_r tau_r (the
effect on the population the seeds draw from, which the firm's interval is for);
coverage_seed = share holding its own seed's tau_r, lower even without bias: the
worlds of a seed share the population, the network and the pre-test days, but the
shoppers' draws decouple once the first contact changes who shops (`DayDraws` is
drawn per day's shoppers), so tau_r carries world noise of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from custsim.experiments.compare.lift import mean_ci

METRICS = ("spend", "margin")
Z95 = 1.959963984540054  # the standard normal's 0.975 quantile
SUMMARY_COLUMNS = (
    "network", "design", "metric", "replications", "base", "measured", "true", "bias",
    "bias_low", "bias_high", "bias_pct", "interference", "interference_low", "interference_high",
    "interference_pct", "chance", "coverage", "coverage_seed", "measured_sd", "firm_se", "rmse",
    "exposure", "cut_share",
)  # fmt: skip


@dataclass(frozen=True)
class World:
    """What one world leaves for the analysis.

    A test world (the firm kept a holdout) keeps its estimates, its holdout (packed bits)
    and, by cluster, its units; a world everyone or nobody treated keeps its outcomes
    per customer (8 bytes per customer and metric) for the no-interference estimate.
    """

    base: int  # customers in the firm's base B
    base_digest: str  # a hash of B's ids: the worlds of a seed must share B
    means: dict[str, float]  # per metric, mean over B
    #: per metric, the firm's estimate (`firm_estimate`) when it kept a holdout
    estimates: dict[str, dict[str, float]] = field(default_factory=dict)
    exposure: float = float("nan")  # mean share of treated neighbours of holdout base customers
    held: NDArray[np.uint8] | None = None  # test: np.packbits of the holdout mask
    unit: NDArray[np.int64] | None = None  # test by cluster: each customer's cluster
    base_mask: NDArray[np.uint8] | None = None  # all/none: np.packbits of B
    outcomes: dict[str, NDArray[np.float64]] | None = None  # all/none: Y, M per customer


def world_outcomes(
    log: pd.DataFrame, firm: str, start: int, n: int, unit_cost: float, contact_cost: NDArray
) -> tuple[NDArray[np.bool_], dict[str, NDArray[np.float64]]]:
    """The firm's base B (bought before day `start`) and Y, M per customer over the window.

    Args:
        log: the purchase log (`PurchaseLog.frame`: day, customer, firm, quantity, price).
        firm: the testing firm's name.
        start: the first day of the test window.
        n: customers.
        unit_cost: the firm's unit cost.
        contact_cost: (n,) what the firm paid to reach each customer (all in the window).

    """
    own = log[log["firm"] == firm]
    base = np.zeros(n, dtype=bool)
    base[own["customer"].to_numpy()[own["day"].to_numpy() < start]] = True
    w = own[own["day"] >= start]
    ids, qty, price = (w[c].to_numpy() for c in ("customer", "quantity", "price"))
    spend = np.bincount(ids, weights=qty * price, minlength=n)
    margin = np.bincount(ids, weights=qty * (price - unit_cost), minlength=n) - contact_cost
    return base, {"spend": spend, "margin": margin}


def digest(mask: NDArray[np.bool_]) -> str:
    """A short hash of a boolean mask (the base's ids)."""
    return hashlib.sha1(np.packbits(mask).tobytes()).hexdigest()[:16]


def arm_ratio(y: NDArray, base: NDArray, unit: NDArray) -> tuple[float, float, int]:
    """Ratio mean R = sum Y_c / sum N_c over the units of the selected customers, Var(R), C."""
    labels, inverse = np.unique(unit[base], return_inverse=True)
    totals = np.bincount(inverse, weights=y[base])
    sizes = np.bincount(inverse).astype(np.float64)
    c, total = labels.size, sizes.sum()
    if c < 2:
        return (float(totals.sum() / total) if total else np.nan), np.nan, c
    r = totals.sum() / total
    var = c / (c - 1) * float(np.sum((totals - r * sizes) ** 2)) / total**2
    return float(r), var, c


def firm_estimate(
    y: NDArray, base: NDArray[np.bool_], held: NDArray[np.bool_], unit: NDArray[np.int64]
) -> dict[str, float]:
    """The firm's lift L, its SE and normal 95% interval (module docstring), per unit design."""
    treated, holdout = base & ~held, base & held
    rt, vt, ct = arm_ratio(y, treated, unit)
    rh, vh, ch = arm_ratio(y, holdout, unit)
    lift, se = rt - rh, float(np.sqrt(vt + vh))
    return {
        "lift": lift,
        "se": se,
        "ci_low": lift - Z95 * se,
        "ci_high": lift + Z95 * se,
        "treated": float(treated.sum()),
        "holdout": float(holdout.sum()),
        "treated_units": float(ct),
        "holdout_units": float(ch),
        "treated_mean": rt,
        "holdout_mean": rh,
    }


def exposure(indptr: NDArray, indices: NDArray, base: NDArray, held: NDArray) -> float:
    """Mean over holdout base customers with neighbours of the share of treated neighbours."""
    who = np.flatnonzero(base & held)
    degree = indptr[who + 1] - indptr[who]
    who, degree = who[degree > 0], degree[degree > 0]
    if not who.size:
        return float("nan")
    rows = np.repeat(np.arange(who.size), degree)
    starts = np.repeat(indptr[who], degree)
    offsets = np.arange(rows.size) - np.repeat(np.cumsum(degree) - degree, degree)
    treated = ~held[indices[starts + offsets]]
    return float(np.mean(np.bincount(rows, weights=treated) / degree))


def replication_rows(
    network: str, seed: int, worlds: Mapping[str, World], designs: Sequence[str], cut: float
) -> list[dict[str, object]]:
    """One row per (design, metric) of one seed: L, its interval, tau, and the worlds' bases."""
    true_all, true_none = worlds["all"], worlds["none"]
    if true_all.outcomes is None or true_none.outcomes is None or true_all.base_mask is None:
        raise ValueError("the worlds everyone and nobody treated must keep their outcomes")
    n = true_all.outcomes[METRICS[0]].size
    base = np.unpackbits(true_all.base_mask, count=n).astype(bool)
    rows = []
    for design in designs:
        test = worlds[f"test:{design}"]
        if test.held is None:
            raise ValueError(f"test:{design} kept no holdout")
        same = test.base_digest == true_all.base_digest == true_none.base_digest
        held = np.unpackbits(test.held, count=n).astype(bool)
        unit = test.unit if test.unit is not None else np.arange(n, dtype=np.int64)
        for metric in METRICS:
            est = test.estimates[metric]
            tau = true_all.means[metric] - true_none.means[metric]
            sutva = np.where(held, true_none.outcomes[metric], true_all.outcomes[metric])
            star = firm_estimate(sutva, base, held, unit)["lift"]
            rows.append(
                {
                    "network": network,
                    "seed": seed,
                    "design": design,
                    "metric": metric,
                    "base": test.base,
                    "same_base": same,
                    **est,
                    "true": tau,
                    "sutva_lift": star,
                    "all_mean": true_all.means[metric],
                    "none_mean": true_none.means[metric],
                    "covered_seed": bool(est["ci_low"] <= tau <= est["ci_high"]),
                    "exposure": test.exposure,
                    "cut_share": cut if design == "cluster" else float("nan"),
                }
            )
    return rows


def _interval(x: NDArray) -> dict[str, float]:
    """`mean_ci` of replications; NaN bounds below two."""
    if x.size >= 2:
        return mean_ci(x)
    return {"mean": float(x.mean()) if x.size else np.nan, "ci_low": np.nan, "ci_high": np.nan}


def summary_table(reps: pd.DataFrame) -> pd.DataFrame:
    """Per (network, design, metric) over replications: L, tau, bias (t 95%), coverage, SDs.

    bias_pct = 100 * bias / mean tau (interference_pct likewise); measured_sd = the SD
    of L over replications (the design's real noise) beside firm_se, the mean SE the
    firm reports; rmse = sqrt(mean (L - tau)^2).
    """
    rows = []
    for (network, design, metric), g in reps.groupby(
        ["network", "design", "metric"], sort=False, observed=True
    ):
        err = (g["lift"] - g["true"]).to_numpy()
        ci = _interval(err)
        true = float(g["true"].mean())
        gap = (g["lift"] - g["sutva_lift"]).to_numpy()
        inter = _interval(gap)
        holds = (g["ci_low"] <= true) & (true <= g["ci_high"])
        rows.append(
            {
                "network": network,
                "design": design,
                "metric": metric,
                "replications": len(g),
                "base": float(g["base"].mean()),
                "measured": float(g["lift"].mean()),
                "true": true,
                "bias": ci["mean"],
                "bias_low": ci["ci_low"],
                "bias_high": ci["ci_high"],
                "bias_pct": 100 * ci["mean"] / abs(true) if true else np.nan,
                "interference": inter["mean"],
                "interference_low": inter["ci_low"],
                "interference_high": inter["ci_high"],
                "interference_pct": 100 * inter["mean"] / abs(true) if true else np.nan,
                "chance": float(np.mean(g["sutva_lift"] - g["true"])),
                "coverage": float(holds.mean()),
                "coverage_seed": float(g["covered_seed"].mean()),
                "measured_sd": float(g["lift"].std(ddof=1)) if len(g) > 1 else np.nan,
                "firm_se": float(g["se"].mean()),
                "rmse": float(np.sqrt(np.mean(err**2))),
                "exposure": float(g["exposure"].mean()),
                "cut_share": float(g["cut_share"].mean()),
            }
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
