"""Finding 13: state dependence: a promotion's share gain outlasts it.

Published: Guadagni & Little (1983, *Marketing Science* 2(3), 203-238) calibrated a
multinomial logit of brand-size choice on 32 weeks of regular ground-coffee purchases
by 100 scanner-panel households, with a brand-loyalty variable, an exponentially
smoothed history of the household's past purchases, H <- a H + (1 - a) [brand
bought], smoothing a = 0.875 for brands (0.812 for sizes); brand loyalty, size
loyalty, promotion and price were all highly significant. A promotional
purchase enters H, so a promotion raises the brand's later choice probabilities
too: part of its share gain outlasts it and fades as later purchases are smoothed
in. Only the smoothing constant is taken from the paper; the size of the carry-over
is custsim's, so the checks state directions and the decay the smoothing implies,
not a published effect size.

custsim: with the experience chain on, brand utility gains w_H H_ij
(`custsim.agents.experience.update_habit`, `custsim.sim.stages.experience.feel`).

What the model should give (linearised, per customer). Let d_k be the excess of
the habit vector H (promotion world minus the same seed without it) just before
the k-th purchase after the promotion, and x_k the excess probability that this
purchase is brand A. Given a purchase the brand choice is a logit, so x_k = w_H
e_A' J d_k with J = diag(p) - p p' (p: the brand probabilities), and H's update
gives d_{k+1} = (a I + (1 - a) w_H J) d_k. J is the covariance matrix of a one-hot
draw from p: its eigenvalues lie in [0, 1/2]. So every mode of the excess decays
by a factor rho = a + (1 - a) g per purchase, with g = w_H lambda in [0, w_H / 2]:
for a = 0.875 and w_H = 1, rho in [0.875, 0.9375], a half-life of 5.19 to 10.74
purchases. The lower end is the smoothing alone; choice feedback (a customer who
buys A again because of the habit renews it) slows the decay towards the upper
end. A mixture of such decays over heterogeneous customers keeps its half-life in
the same range.

Arms (same seeds, common random numbers): brand A's single promotion (`hi_lo`
with one window) or its everyday price, each with the habit in the utility (w_H
as set) or not (w_H = 0, the chain still on); no word of mouth, and satisfaction
and trust kept out of the utility (`conf/experiment/habit_carryover.yaml`), so
the habit is the only memory of the promotion besides reference prices and
pantries. Measures, per seed:

- carry-over: A's share of category purchases over `carry_days` days from
  `settle_days` after the promotion, promotion arm minus no-promotion arm, with
  and without the habit, and their difference (difference in differences: the
  reference-price and pantry effects act in both);
- per customer, each of the first `purchases` purchases after the promotion (the
  customers with that many in every arm): whether it is A, and the H_A held just
  before it (rebuilt from the purchases, `habit_before`). x_k = the habit's excess
  share (difference in differences), d_k = the excess H_A (habit arms);
- its decay: directly, rho = sum_{k>=2} x_k / sum_{k<K} x_k (exact for a geometric
  sequence), half-life ln 2 / -ln rho; and through the mechanism, g = sum x_k d_k /
  sum d_k^2 (least squares of x_k = g d_k), rho = a + (1 - a) g.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from custsim.experiments.findings.framework import Check, Experiment, FindingResult, estimate
from custsim.policies.edlp import EverydayPriceConfig
from custsim.sim.config import CustsimConfig
from custsim.sim.runner import RunResult
from custsim.sim.validation import validate

if TYPE_CHECKING:
    from matplotlib.axes import Axes

NUMBER = 13
TITLE = "State dependence: a promotion's share gain outlasts it"
CITATION = (
    "Guadagni, P. M. & Little, J. D. C. (1983). A logit model of brand choice calibrated on "
    "scanner data. Marketing Science 2(3), 203-238."
)
#: the arms, (promotion, habit in the utility); "promo_habit" is the experiment as configured
ARMS = {
    "promo_habit": (True, True),
    "none_habit": (False, True),
    "promo_plain": (True, False),
    "none_plain": (False, False),
}
SMOOTH_DAYS = 14  # the figure's rolling mean of daily shares
LABELS = {
    "promo_habit": "promotion, habit",
    "none_habit": "no promotion, habit",
    "promo_plain": "promotion, no habit (w_H = 0)",
    "none_plain": "no promotion, no habit",
}


@dataclass(frozen=True)
class Params:
    """The analysis's knobs (`finding.params`)."""

    settle_days: int = 28  # the carry-over is measured from this many days after the promotion
    carry_days: int = 91  # ... over this many days
    purchases: int = 12  # per customer: the first purchases after the promotion followed
    window_before: int = 28  # the figure: days shown before the promotion


def promotion_days(cfg: CustsimConfig) -> tuple[int, int]:
    """First and last day of the focal firm's single promotion (`policy.start`, `duration`)."""
    return cfg.policy.start, cfg.policy.start + cfg.policy.duration - 1


def focal_index(cfg: CustsimConfig) -> int:
    """Row of the focal firm in the firm-ordered arrays."""
    return list(cfg.market.firms).index(cfg.market.focal)


def arm_configs(base: CustsimConfig) -> dict[str, CustsimConfig]:
    """Each arm's config: the promotion or the everyday price, w_H as set or 0.

    Every arm's `finding.params.after_day` is the day after the promotion, where its
    reducer (`habit_record`) starts following purchases.
    """
    params = {**base.finding.params, "after_day": promotion_days(base)[1] + 1}
    base = replace(base, finding=replace(base.finding, params=params))
    xp = base.population.experience
    plain = replace(base.population, experience=replace(xp, habit_weight=0.0))
    out = {}
    for name, (promo, habit) in ARMS.items():
        cfg = base if promo else replace(base, policy=EverydayPriceConfig())
        out[name] = validate(cfg if habit else replace(cfg, population=plain))
    return out


def habit_before(
    log: pd.DataFrame, focal: int, n: int, carryover: float
) -> tuple[np.ndarray, np.ndarray]:
    """H_iA just before each purchase of the log, and at the end: shapes (rows,) and (n,).

    Rebuilt from the purchases alone (the log in day order), H <- a H + (1 - a) [A
    bought] from H = 0 on day 0 (`custsim.sim.chain.ChainState.initial`): the habit
    the customer holds whether or not it enters the utility (w_H = 0 too).
    """
    days = log["day"].to_numpy()
    who = log["customer"].to_numpy()
    got = (log["firm"].cat.codes.to_numpy() == focal).astype(np.float64)
    habit, before = np.zeros(n), np.empty(len(log))
    cuts = np.flatnonzero(np.diff(days)) + 1  # a customer buys once a day at most
    for part in np.split(np.arange(len(log)), cuts):
        c = who[part]
        before[part] = habit[c]
        habit[c] = carryover * habit[c] + (1.0 - carryover) * got[part]
    return before, habit


def habit_record(run: RunResult) -> dict[str, np.ndarray]:
    """A reducer: every firm's daily buyers; each customer's first purchases after the promotion.

    `buyers` (J, steps), firms in market order; for each customer's first K purchases
    from day `finding.params.after_day` (K = `finding.params.purchases`): `after` (n, K)
    int8 the firm code (-1 past the customer's last), `habit` (n, K) the H_iA held just
    before it.
    """
    model = run.model
    cfg = model.cfg
    params, n = cfg.finding.params, cfg.population.size
    k = int(params.get("purchases", Params.purchases))
    buyers = run.timeseries.pivot(index="firm", columns="day", values="buyers")
    log = model.purchase_log.frame()
    before, _ = habit_before(log, focal_index(cfg), n, cfg.population.experience.habit_carryover)
    post = (log["day"] >= int(params["after_day"])).to_numpy()
    who = log["customer"].to_numpy()[post]
    rank = pd.Series(who).groupby(who).cumcount().to_numpy()
    keep = rank < k
    after = np.full((n, k), -1, dtype=np.int8)
    habit = np.full((n, k), np.nan, dtype=np.float32)
    after[who[keep], rank[keep]] = log["firm"].cat.codes.to_numpy()[post][keep]
    habit[who[keep], rank[keep]] = before[post][keep]
    firms = list(cfg.market.firms)
    return {"buyers": buyers.loc[firms].to_numpy(np.float64), "after": after, "habit": habit}


def simulate_arms(experiment: Experiment, base: CustsimConfig) -> dict[str, list[dict]]:
    """Every arm's records, one per seed (the same seeds in every arm)."""
    configs = arm_configs(base)
    runs = [experiment.seeds(c) for c in configs.values()]
    flat = experiment.run([c for r in runs for c in r], habit_record)
    n = len(runs[0])
    return {name: flat[i * n : (i + 1) * n] for i, name in enumerate(configs)}


def daily_share(records: list[dict], focal: int) -> np.ndarray:
    """(seeds, steps) the focal firm's share of the day's buyers (NaN on a day without any)."""
    b = np.stack([r["buyers"] for r in records])
    total = b.sum(axis=1)
    return np.divide(b[:, focal], total, out=np.full(total.shape, np.nan), where=total > 0)


def window_share(records: list[dict], focal: int, first: int, days: int) -> np.ndarray:
    """(seeds,) the focal firm's share of all purchases on days first .. first + days - 1."""
    b = np.stack([r["buyers"] for r in records])[:, :, first - 1 : first - 1 + days]
    return b[:, focal].sum(axis=1) / b.sum(axis=(1, 2))


def purchase_panel(
    records: dict[str, list[dict]], focal: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """A's share of the k-th purchases after the promotion and the H_A held before them.

    Per arm, (seeds, K) each; and (seeds,) the number of customers followed: those
    who make at least K purchases after the promotion in every arm (the same
    customers in every arm and position).
    """
    share: dict[str, list[np.ndarray]] = {name: [] for name in records}
    habit: dict[str, list[np.ndarray]] = {name: [] for name in records}
    size = []
    for s in range(len(next(iter(records.values())))):
        seed = {name: recs[s] for name, recs in records.items()}
        panel = np.logical_and.reduce([r["after"][:, -1] >= 0 for r in seed.values()])
        size.append(panel.sum())
        for name, r in seed.items():
            share[name].append((r["after"][panel] == focal).mean(axis=0))
            habit[name].append(r["habit"][panel].mean(axis=0, dtype=np.float64))
    share_k = {name: np.stack(v) for name, v in share.items()}
    habit_k = {name: np.stack(v) for name, v in habit.items()}
    return share_k, habit_k, np.asarray(size, dtype=np.float64)


def jackknife(stat, *curves: np.ndarray) -> np.ndarray:
    """(seeds,) jackknife pseudo-values of `stat` of the seed-mean curves (Quenouille-Tukey).

    n stat(all) - (n - 1) stat(all but seed i): their mean is the bias-corrected estimate
    and their t-interval (`estimate`) the jackknife interval. For a ratio of sums over
    seeds this is steadier than the mean of per-seed ratios, whose denominators are noisy.
    """
    n = len(curves[0])
    whole = stat(*(c.mean(axis=0) for c in curves))
    if n < 2:
        return np.array([whole])
    keep = ~np.eye(n, dtype=bool)
    leave_out = np.array([stat(*(c[keep[i]].mean(axis=0) for c in curves)) for i in range(n)])
    return n * whole - (n - 1) * leave_out


def least_squares_slope(x: np.ndarray, d: np.ndarray) -> float:
    """The slope g of x_k = g d_k by least squares through the origin: sum x d / sum d^2."""
    return float((x * d).sum() / (d**2).sum())


def decay_factor(excess: np.ndarray) -> np.ndarray:
    """Per row: rho = sum_{k>=2} x_k / sum_{k<=K-1} x_k, the ratio of a geometric sequence."""
    return excess[..., 1:].sum(axis=-1) / excess[..., :-1].sum(axis=-1)


def half_life(rho: float) -> float:
    """Purchases for a decay by rho per purchase to halve: ln 2 / -ln rho (inf if rho >= 1)."""
    return math.log(2.0) / -math.log(rho) if 0.0 < rho < 1.0 else math.inf


def decay_bounds(carryover: float, weight: float) -> tuple[float, float]:
    """[a, a + (1 - a) min(w_H / 2, 1)]: the decay factors per purchase the linearised model allows.

    (A decay factor cannot exceed 1 however strong the habit: the cap only keeps the
    range meaningful for w_H > 2, where the linearisation itself stops holding.)
    """
    return carryover, carryover + (1.0 - carryover) * min(weight / 2.0, 1.0)


def homogeneous_feedback(shares: np.ndarray, weight: float) -> float:
    """The feedback g of one customer whose brand probabilities are the market's shares.

    g = w_H e_A' J d / d_A for a promotion that takes A's extra purchases from the other
    brands in proportion to their shares: w_H s_A ((1 - s_A) + sum_{j != A} s_j^2 / (1 - s_A)).
    An illustration, not a bound: heterogeneous customers (near-certain choosers
    respond little) give a smaller g. `shares[0]` is A's.
    """
    s_a, others = shares[0], shares[1:]
    return float(weight * s_a * ((1.0 - s_a) + (others**2).sum() / (1.0 - s_a)))


def measure(
    records: dict[str, list[dict]], base: CustsimConfig, p: Params
) -> dict[str, np.ndarray]:
    """Every per-seed quantity the checks and the table use."""
    focal = focal_index(base)
    first, last = promotion_days(base)
    during = {name: window_share(r, focal, first, last - first + 1) for name, r in records.items()}
    start = last + 1 + p.settle_days
    share = {name: window_share(r, focal, start, p.carry_days) for name, r in records.items()}
    carry_habit = share["promo_habit"] - share["none_habit"]
    carry_plain = share["promo_plain"] - share["none_plain"]
    k, h, size = purchase_panel(records, focal)
    excess_habit = k["promo_habit"] - k["none_habit"]
    excess_plain = k["promo_plain"] - k["none_plain"]
    did = excess_habit - excess_plain  # x_k
    held = h["promo_habit"] - h["none_habit"]  # d_k
    feedback = jackknife(least_squares_slope, did, held)
    a = base.population.experience.habit_carryover
    return {
        "bump": during["promo_habit"] - during["none_habit"],
        "carry_habit": carry_habit,
        "carry_plain": carry_plain,
        "carry_did": carry_habit - carry_plain,
        "rho": jackknife(decay_factor, did),
        "feedback": feedback,
        "rho_feedback": a + (1.0 - a) * feedback,
        "rho_habit_held": jackknife(decay_factor, held),
        "baseline_share": share["none_habit"],
        "panel": size,
        "excess_habit": excess_habit,
        "excess_plain": excess_plain,
        "excess_did": did,
        "excess_held": held,
    }


#: the per-seed scalars of `measure` (the rest are curves over purchases)
SCALARS = (
    "bump",
    "carry_habit",
    "carry_plain",
    "carry_did",
    "rho",
    "feedback",
    "rho_feedback",
    "rho_habit_held",
    "baseline_share",
    "panel",
)


def half_lives(rho: tuple[float, float, float]) -> tuple[float, float, float]:
    """(mean, ci_low, ci_high) of a decay factor as half-lives (monotone: the CI maps over)."""
    return half_life(rho[0]), half_life(rho[1]), half_life(rho[2])


def checks(
    values: dict[str, np.ndarray], base: CustsimConfig, p: Params, direct: bool = True
) -> list[Check]:
    """Carry-over with the habit, none without it, the difference, and its decay per purchase.

    `direct`: include the decay fitted to the excess shares alone (at the fast-test size
    its interval is wider than the range it is checked against, so it is left out there).
    """
    xp = base.population.experience
    a, w = xp.habit_carryover, xp.habit_weight
    lo_rho, hi_rho = decay_bounds(a, w)
    h_lo, h_hi = half_life(lo_rho), half_life(hi_rho)
    weeks = f"weeks {p.settle_days // 7 + 1}-{(p.settle_days + p.carry_days) // 7}"
    gl = "Guadagni & Little (1983)"
    carry, plain, did = (estimate(values[k]) for k in ("carry_habit", "carry_plain", "carry_did"))
    direct_h = half_lives(estimate(values["rho"]))
    mechanism_h = half_lives(estimate(values["rho_feedback"]))
    specs = [
        (
            f"A's share of purchases in {weeks} after the promotion minus none's, habit on",
            f"a promotional purchase enters the loyalty variable, later choice rises ({gl}): "
            "direction only",
            carry,
            "> 0 (CI above 0)",
            carry[1] > 0,
        ),
        (
            "the same, habit off (w_H = 0)",
            "no carry-over without state dependence; the reference-price dip pulls below "
            "(Kalwani & Yim 1992): direction only",
            plain,
            "<= 0 (CI lower end <= 0)",
            plain[1] <= 0,
        ),
        (
            "habit on minus habit off (difference in differences)",
            f"the carry-over is the habit's ({gl}): direction only",
            did,
            "> 0 (CI above 0)",
            did[1] > 0,
        ),
        (
            "half-life of the habit's excess share of A, in purchases since the promotion "
            "(sum x_k+1 / sum x_k)",
            f"a = {a} (coffee brands, {gl}): {half_life(a):.2f} purchases by the smoothing "
            "alone; the paper gives no carry-over duration",
            direct_h,
            f"fades (finite), CI reaching [{h_lo:.2f}, {h_hi:.2f}]",
            math.isfinite(direct_h[2]) and direct_h[2] >= h_lo and direct_h[1] <= h_hi,
        ),
        (
            "half-life from the mechanism, rho = a + (1 - a) g, g = excess share / excess H_A",
            f"a = {a} ({gl}); linearised logit with w_H = {w:g}: g in [0, w_H / 2], "
            f"rho in [{lo_rho:.4f}, {hi_rho:.4f}]",
            mechanism_h,
            f"in ({h_lo:.2f}, {h_hi:.2f}] (CI inside): feedback slows the smoothing",
            h_lo < mechanism_h[1] and mechanism_h[2] <= h_hi,
        ),
    ]
    if not direct:
        del specs[3]
    return [
        Check(metric, published, *est, criterion, bool(passed))
        for metric, published, est, criterion, passed in specs
    ]


def curve_table(values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per purchase after the promotion: the excess shares and excess habit, mean and CI."""
    rows = []
    for key in ("excess_habit", "excess_plain", "excess_did", "excess_held"):
        for k, column in enumerate(values[key].T, start=1):
            mean, lo, hi = estimate(column)
            rows.append({"quantity": key, "purchase": k, "mean": mean, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def daily_table(records: dict[str, list[dict]], focal: int) -> pd.DataFrame:
    """A's daily share of buyers, mean over seeds, per arm and day."""
    frames = []
    for arm, recs in records.items():
        share = daily_share(recs, focal).mean(axis=0)
        frames.append(
            pd.DataFrame({"arm": arm, "day": np.arange(1, len(share) + 1), "share": share})
        )
    return pd.concat(frames, ignore_index=True)


def plot_shares(ax: Axes, daily: pd.DataFrame, promo: tuple[int, int], p: Params) -> None:
    """A's daily share in the four arms around the promotion, the promotion shaded."""
    from custsim.experiments.plots import PALETTE

    styles = {
        "promo_habit": (PALETTE[5], "-"),
        "none_habit": (PALETTE[5], ":"),
        "promo_plain": (PALETTE[0], "-"),
        "none_plain": (PALETTE[0], ":"),
    }
    first, last = promo
    for arm, (color, ls) in styles.items():
        part = daily[(daily["arm"] == arm) & (daily["day"] >= first - p.window_before)]
        phase = np.searchsorted([first, last + 1], part["day"], side="right")
        # smoothed before, during and after the promotion apart: no step is smeared across
        smooth = part.groupby(phase)["share"].transform(
            lambda x: x.rolling(SMOOTH_DAYS, min_periods=1, center=True).mean()
        )
        ax.plot(part["day"], smooth, color=color, ls=ls, lw=2, label=LABELS[arm])
    ax.axvspan(first - 0.5, last + 0.5, color=PALETTE[1], alpha=0.25, lw=0, label="promotion")
    top = daily.loc[daily["day"] >= last + 1 + p.settle_days, "share"].max()
    bottom = daily.loc[daily["day"] >= first - p.window_before, "share"].min()
    ax.set_ylim(bottom - 0.01, top + 0.03)  # the promotion's own peak runs off the top
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    peak = daily.loc[daily["arm"] == "promo_habit"].set_index("day").loc[first:last, "share"]
    ax.annotate(
        f"promotion: up to {peak.max():.0%}",
        xy=(last + 12, top + 0.02),
        color=PALETTE[1],
        fontsize=10,
        va="center",
    )
    ax.set(xlabel="day", ylabel=f"A's share of purchases ({SMOOTH_DAYS}-day mean)")
    ax.set_title("After the promotion, A keeps a share with the habit", fontweight="bold")
    ax.legend(frameon=False, fontsize=9, loc="lower right", ncols=2)


def plot_decay(ax: Axes, curves: pd.DataFrame, a: float, rho: float) -> None:
    """The habit's excess share by purchase since the promotion, with a^k and the fitted decay."""
    from custsim.experiments.plots import PALETTE

    did = curves[curves["quantity"] == "excess_did"]
    k, x = did["purchase"].to_numpy(), did["mean"].to_numpy()
    ax.axhline(0, color="0.3", lw=1)
    ax.fill_between(k, did["ci_low"], did["ci_high"], color=PALETTE[5], alpha=0.25, lw=0)
    ax.plot(k, x, "o-", color=PALETTE[5], lw=2, label="habit's excess share of A (95% CI)")
    for factor, color, label in (
        (a, PALETTE[0], f"∝ {a}^k: the smoothing alone (Guadagni & Little 1983)"),
        (rho, PALETTE[2], f"∝ {rho:.3f}^k: smoothing and choice feedback (measured g)"),
    ):
        shape = factor ** (k - 1.0)
        scale = (x * shape).sum() / (shape**2).sum()  # least-squares level
        ax.plot(k, scale * shape, "--", color=color, lw=2, label=label)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v * 100:+.1f}")
    ax.set(xlabel="purchases since the promotion", ylabel="share points, habit on minus off")
    ax.set_title("The excess fades by purchase", fontweight="bold")
    ax.legend(frameon=False, fontsize=9, loc="upper right")


def plot_figure(
    daily: pd.DataFrame,
    curves: pd.DataFrame,
    promo: tuple[int, int],
    a: float,
    rho: float,
    p: Params,
    path: Path,
) -> Path:
    """Left: A's daily share in the four arms; right: the habit's excess by purchase."""
    from custsim.experiments.plots import closing_figure, save_png

    with closing_figure(ncols=2, figsize=(13, 4.8)) as (fig, (left, right)):
        plot_shares(left, daily, promo, p)
        plot_decay(right, curves, a, rho)
        fig.suptitle("State dependence: a promotion's share gain outlasts it")
        return save_png(fig, path)


def run(experiment: Experiment) -> FindingResult:
    """Simulate the four arms; check the carry-over, that it is the habit's, and its decay."""
    base = experiment.config()
    p = Params(**base.finding.params)
    records = simulate_arms(experiment, base)
    values = measure(records, base, p)
    summary = pd.DataFrame(
        [
            dict(
                zip(
                    ("quantity", "mean", "ci_low", "ci_high"),
                    (k, *estimate(values[k])),
                    strict=True,
                )
            )
            for k in SCALARS
        ]
    )
    curves = curve_table(values)
    focal = focal_index(base)
    daily = daily_table(records, focal)
    xp = base.population.experience
    a = xp.habit_carryover
    rho = estimate(values["rho_feedback"])[0]
    last = promotion_days(base)[1]
    window = [
        (r["buyers"][:, last + p.settle_days : last + p.settle_days + p.carry_days])
        for r in records["none_habit"]
    ]
    totals = np.sum(window, axis=(0, 2))
    g_hom = homogeneous_feedback(np.roll(totals, -focal) / totals.sum(), xp.habit_weight)
    bump = estimate(values["bump"])
    g = estimate(values["feedback"])
    notes = [
        f"promotion ({base.policy.depth:.0%} off, {base.policy.duration} days): A's share "
        f"{bump[0] * 100:+.1f} points [{bump[1] * 100:+.1f}, {bump[2] * 100:+.1f}] vs none",
        f"choice feedback g = {g[0]:.3f} [{g[1]:.3f}, {g[2]:.3f}] (customers at the market's "
        f"shares would give {g_hom:.3f}; heterogeneous ones respond less)",
        f"excess habit H_A decays by {estimate(values['rho_habit_held'])[0]:.3f} per purchase",
        f"{base.finding.seeds} paired seeds per arm, {base.population.size} customers, "
        f"{int(values['panel'].mean())} per seed with {p.purchases} purchases after the promotion",
    ]
    if experiment.fast:
        direct = half_lives(estimate(values["rho"]))
        notes.append(
            f"direct half-life {direct[0]:.1f} [{direct[1]:.1f}, {direct[2]:.1f}] purchases: "
            "not checked at the fast-test size (seed noise spans the range)"
        )
    return FindingResult(
        name=experiment.name,
        title=TITLE,
        citation=CITATION,
        checks=checks(values, base, p, direct=not experiment.fast),
        table=pd.concat(
            [
                summary.assign(panel="summary"),
                curves.assign(panel="purchases"),
                daily.assign(panel="daily"),
            ],
            ignore_index=True,
        ),
        plot=lambda path: plot_figure(daily, curves, promotion_days(base), a, rho, p, path),
        notes=notes,
    )
