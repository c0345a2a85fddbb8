"""Finding 15: message wear-out: response rises, then falls with frequency; opt-outs rise.

Published: agreement with a repeated message rose from 1 to 3 exposures and fell
at 5 (Cacioppo & Petty 1979; direction only, the means are not stored). In
e-mail, profit per customer has an interior optimum in the number of e-mails
sent (Zhang, Kumar & Cosguner 2017: 7 optimal, 4 lose 32% and 10 lose 16% of
lifetime profit per customer; the period is not stated in the abstract), and
unsubscribes rise with frequency (Validity / Return Path, direction only). The
numbers are compared in direction and shape only: custsim's e-mails are not
theirs.

custsim: the focal firm's campaign (`policy=campaign`, calendar trigger, depth 0:
a reminder) e-mails every customer it knows who has not opted out every
`every` days (`conf/channel/email.yaml` as shipped). Each delivered e-mail adds
1 to the customer's fatigue F, which halves every h days; an opened one brings
the customer to the shelf with probability r exp(-phi F) and a delivered one
makes it opt out with probability 1 - exp(-u (1 + psi F)) (`custsim.agents.reach`).
In the steady state a contact meets F = sum_k B_k x^k, x = 2^(-every / h), B_k
~ Bernoulli(d) the delivery of the k-th earlier contact, so the responses per
reachable customer and day are exactly

    R(every) = d o r prod_{k>=1} (1 - d + d exp(-phi x^k)) / every,

(`delivered_response_rate`); `custsim.agents.reach.steady_response_rate` puts
F* = x / (1 - x), every contact delivered, which is exact for d = 1 and gives
the optimum a day later for the shipped d = 0.8. The engine counts a prompted
customer only when it would not have shopped that day anyway (`prompted`), so
its level is below R by that share; the peak's place is compared.

The setting (conf/experiment/message_wearout.yaml) has customers who lapse (2% per
occasion): a reminder's trip is to the category shelf, where the focal brand gets
only its usual share, and with pantries an extra trip mostly moves a purchase in
time; what lasts is a lapsed customer brought back. At the grocery default churn
no interval's margin covers the e-mails' cost.

Arms: the intervals `params.every` (days) and the silent arm `params.silent`
(the same campaign with budget 0: nothing is sent), on the same seeds (common
random numbers: the reach draws from its own stream). Measured per arm and seed:
trips prompted per customer per 30 days after `params.burn_in` days (all
customers, so opt-outs count), the same per contact sent and reachable customer
(the closed form's quantity), opt-outs per customer, and the focal firm's margin
over the run (contact costs included) per customer, minus the silent arm's on the
same seed.

Checks: (1) the best inner interval's responses over the better end's (an interior
peak); (2) where the responses per reachable customer peak, the vertex of a
parabola in ln(every) through the best grid point and its neighbours, against the
same interpolation of R on the grid; (3) opt-outs per customer, most over least
frequent, falling along the grid, and per delivered e-mail too (fatigue, not only
volume); (4) the best interval's margin over no e-mail (paired by seed) above 0
while the most frequent loses: an optimum inside (0, 1/2) e-mails a day, counting
no e-mail as the lower end of frequency.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from custsim.agents.reach import fatigue_product, steady_response_rate
from custsim.experiments.findings.framework import Check, Experiment, FindingResult, estimate
from custsim.experiments.plots import PALETTE, closing_figure, save_png
from custsim.sim.config import ChannelConfig
from custsim.sim.runner import RunResult

NUMBER = 15
TITLE = "Message wear-out: response rises, then falls with e-mail frequency"
CITATION = (
    "Cacioppo, J. T. & Petty, R. E. (1979). Effects of message repetition and position on "
    "cognitive response, recall, and persuasion. Journal of Personality and Social "
    "Psychology 37(1), 97-109. Zhang, X., Kumar, V. & Cosguner, K. (2017). Dynamically "
    "managing a profitable email marketing program. Journal of Marketing Research 54(6), "
    "851-866."
)
#: days of a reporting month
MONTH = 30.0
#: the silent arm's label in the table (no interval)
SILENT = 0


def delivered_response_rate(every: float, channel: ChannelConfig) -> float:
    """R(every): responses per reachable customer and day, deliveries random (module docstring)."""
    ch = channel
    rested = fatigue_product(every, ch.half_life, ch.fatigue, ch.delivery)
    return ch.delivery * ch.open * ch.response * rested / every


def delivered_opt_out_rate(every: float, channel: ChannelConfig) -> float:
    """P(a delivered contact makes its customer opt out) in the steady state, deliveries random.

    1 - exp(-u) E[exp(-u psi F)], the expectation as in `fatigue_product`.
    """
    ch = channel
    rested = fatigue_product(every, ch.half_life, ch.opt_out * ch.opt_out_fatigue, ch.delivery)
    return 1.0 - np.exp(-ch.opt_out) * rested


def closed_forms(every: float, channel: ChannelConfig) -> dict[str, float]:
    """Per 30 days: R(every) and `steady_response_rate` (F*, every contact delivered)."""
    ch = channel
    library = steady_response_rate(
        every, ch.half_life, ch.response, ch.fatigue, ch.delivery * ch.open
    )
    return {
        "closed_form": MONTH * delivered_response_rate(every, ch),
        "closed_form_all_delivered": MONTH * library,
        "closed_form_opt_out": delivered_opt_out_rate(every, ch),
    }


def reach_sums(run: RunResult) -> dict[str, float]:
    """The focal firm's contacts, fates and margin of one run (a reducer).

    prompted and contacts after the burn-in; opt-outs, delivered contacts, contact
    cost and margin over the whole run; lapsed: share of customers lapsed at the end.
    """
    cfg = run.model.cfg
    ts = run.timeseries
    mine = ts[ts["firm"] == cfg.market.focal]
    after = mine[mine["day"] > int(cfg.finding.params["burn_in"])]
    return {
        "prompted": float(after["prompted"].sum()),
        "contacts_after": float(after["contacts"].sum()),
        "contacts": float(mine["contacts"].sum()),
        "delivered": float(mine["delivered"].sum()),
        "opt_outs": float(mine["opt_outs"].sum()),
        "contact_cost": float(mine["contact_cost"].sum()),
        "margin": float(mine["margin"].sum()),
        "lapsed": float(np.mean(run.model.state.churn_day >= 0)),
    }


def arm_table(
    sums: dict[int, list[dict[str, float]]], size: int, days: int, seed: int
) -> pd.DataFrame:
    """One row per arm and seed: per-customer rates, and the margin against the silent arm."""
    silent = [s["margin"] for s in sums[SILENT]]
    rows = []
    for every, seeds in sums.items():
        for r, s in enumerate(seeds):
            sent = s["contacts_after"]
            per_contact = s["prompted"] / sent if sent else np.nan
            rows.append(
                {
                    "every": every,
                    "seed": seed + r,
                    "response": MONTH * s["prompted"] / size / days,
                    "response_reachable": MONTH * per_contact / every if every else np.nan,
                    "contacts": s["contacts"] / size,
                    "opt_outs": s["opt_outs"] / size,
                    "opt_out_rate": s["opt_outs"] / s["delivered"] if s["delivered"] else np.nan,
                    "contact_cost": s["contact_cost"] / size,
                    "margin": s["margin"] / size,
                    "incremental_margin": (s["margin"] - silent[r]) / size,
                    "gross_margin": (s["margin"] - silent[r] + s["contact_cost"]) / size,
                    "lapsed": s["lapsed"],
                }
            )
    return pd.DataFrame(rows)


def with_closed_forms(table: pd.DataFrame, channel: ChannelConfig) -> pd.DataFrame:
    """`table` with the closed forms of each message arm's interval (NaN in the silent arm)."""
    forms = {e: closed_forms(e, channel) for e in table["every"].unique() if e != SILENT}
    extra = pd.DataFrame([forms.get(e, {}) for e in table["every"]], index=table.index)
    return table.join(extra)


def wide(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """`column` of the message arms as seeds x intervals (ascending)."""
    messages = table[table["every"] != SILENT]
    return messages.pivot(index="seed", columns="every", values=column).sort_index(axis=1)


def vertex(x: np.ndarray, y: np.ndarray) -> float:
    """Where y peaks on the grid x, interpolated in ln x.

    The vertex of the parabola in ln x through the best point and its two
    neighbours; the best point itself when it is an end of the grid.
    """
    k = int(np.nanargmax(y))
    if k in (0, len(x) - 1):
        return float(x[k])
    lx = np.log(x[k - 1 : k + 2])
    a, b, _ = np.polyfit(lx, y[k - 1 : k + 2], 2)
    return float(np.exp(np.clip(-b / (2 * a), lx[0], lx[-1])))


def peak_over_ends(values: pd.DataFrame) -> tuple[int, int, np.ndarray]:
    """The best interval, the best inner interval, and the inner one's lead per seed.

    Best by mean across seeds; the lead is its value minus the better end's
    (negative when an end is best).
    """
    means = values.mean().to_numpy()
    best = int(values.columns[int(np.argmax(means))])
    inner = int(values.columns[1 + int(np.argmax(means[1:-1]))])
    ends = values.iloc[:, [0, -1]].max(axis=1).to_numpy()
    return best, inner, values[inner].to_numpy() - ends


def checks(table: pd.DataFrame, channel: ChannelConfig) -> list[Check]:
    """Interior response peak; its place against the closed form; opt-outs; margin."""
    response = wide(table, "response")
    grid = response.columns.to_numpy(dtype=float)
    best, inner, _ = peak_over_ends(response)
    interior = best == inner
    ratio = estimate(response[inner].to_numpy() / response.iloc[:, [0, -1]].max(axis=1))

    reachable = wide(table, "response_reachable")
    closed = np.array([MONTH * delivered_response_rate(e, channel) for e in grid])
    closed_grid_best = grid[int(np.argmax(closed))]
    engine_grid_best = grid[int(np.argmax(reachable.mean().to_numpy()))]
    closed_peak = vertex(grid, closed)
    peaks = estimate([vertex(grid, row) for row in reachable.to_numpy()])
    fine = np.linspace(grid[0], grid[-1], 2000)
    true_peak = fine[np.argmax([delivered_response_rate(e, channel) for e in fine])]
    library = [closed_forms(e, channel)["closed_form_all_delivered"] for e in fine]
    library_peak = fine[np.argmax(library)]

    opt_outs = wide(table, "opt_outs")
    falling = bool(np.all(np.diff(opt_outs.mean().to_numpy()) < 0))
    opt_ratio = estimate(opt_outs.iloc[:, 0] / opt_outs.iloc[:, -1])
    rate = wide(table, "opt_out_rate").mean()
    per_contact_rises = bool(rate.iloc[0] > rate.iloc[-1])

    margin = wide(table, "incremental_margin")
    margin_means = margin.mean()
    margin_best = int(margin_means.idxmax())
    gain = estimate(margin[margin_best])
    longest = " (the longest tested)" if margin_best == grid[-1] else ""
    return [
        Check(
            f"trips prompted per customer per 30 days: best inner interval (every {inner} "
            "days) / better end",
            "> 1: response rises, then falls with repetition (Cacioppo & Petty 1979: "
            "1 < 3 > 5 exposures, direction only)",
            *ratio,
            f"the highest mean is inside the grid {grid[0]:g}-{grid[-1]:g} days (every {best}), "
            "CI above 1",
            bool(interior and ratio[1] > 1.0),
        ),
        Check(
            "response-maximising interval (days), per reachable customer, engine",
            f"closed form R(every): {closed_peak:.2f} on the same grid, best grid point "
            f"{closed_grid_best:g} (continuous {true_peak:.1f}; agents.reach."
            f"steady_response_rate, all delivered: {library_peak:.1f})",
            *peaks,
            f"between 3/4 and 4/3 of the closed form's on the same grid (engine's best grid "
            f"point: {engine_grid_best:g})",
            bool(abs(np.log(peaks[0] / closed_peak)) <= np.log(4.0 / 3.0)),
        ),
        Check(
            f"opt-outs per customer, every {grid[0]:g} days / every {grid[-1]:g} days",
            "> 1: unsubscribes rise with frequency (Validity / Return Path, direction only)",
            *opt_ratio,
            "falling at every longer interval, CI above 1, and per delivered e-mail too "
            f"({rate.iloc[0]:.4f} vs {rate.iloc[-1]:.4f})",
            bool(falling and opt_ratio[1] > 1.0 and per_contact_rises),
        ),
        Check(
            f"focal margin per customer over the run vs no e-mail, best interval (every "
            f"{margin_best} days{longest}), paired by seed",
            "> 0 with the most frequent below it: an interior optimum in e-mail frequency "
            "(Zhang, Kumar & Cosguner 2017: 7 e-mails; 4 lose 32%, 10 lose 16% of lifetime "
            "profit; shape only)",
            *gain,
            f"CI above 0 (some frequency beats none) and every {grid[0]:g} days below 0 "
            f"({margin_means.iloc[0]:.3f}): the optimum lies between no e-mail and the most "
            "frequent",
            bool(gain[1] > 0.0 and margin_means.iloc[0] < 0.0),
        ),
    ]


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% CI across seeds of every measure, per arm (the figure's numbers)."""
    rows = []
    measures = [c for c in table.columns if c not in ("every", "seed")]
    for every, arm in table.groupby("every"):
        row: dict[str, Any] = {"every": every}
        for m in measures:
            row[m], row[f"{m}_low"], row[f"{m}_high"] = estimate(arm[m].dropna())
        rows.append(row)
    return pd.DataFrame(rows)


def run(experiment: Experiment) -> FindingResult:
    """Simulate every interval and the silent arm over the seeds; compare with the closed form."""
    base = experiment.config()
    params = base.finding.params
    arms = {int(e): experiment.config(f"policy.every={int(e)}") for e in params["every"]}
    arms[SILENT] = experiment.config(*params["silent"])
    cfgs = [c for cfg in arms.values() for c in experiment.seeds(cfg)]
    out = experiment.run(cfgs, reach_sums)
    n = base.finding.seeds
    sums = {every: out[k * n : (k + 1) * n] for k, every in enumerate(arms)}
    channel = base.channels[base.policy.channel]
    days = base.steps - int(params["burn_in"])
    table = with_closed_forms(arm_table(sums, base.population.size, days, base.seed), channel)
    means = summary(table)
    found = checks(table, channel)
    silent_lapsed = means.loc[means["every"] == SILENT, "lapsed"].item()
    ratio = (means["response_reachable"] / means["closed_form"]).dropna()
    intervals = ", ".join(str(e) for e in arms if e != SILENT)
    return FindingResult(
        name="message_wearout",
        title=TITLE,
        citation=CITATION,
        checks=found,
        table=table,
        plot=lambda path: plot(means, channel, path),
        notes=[
            f"{base.population.size} customers, {base.steps} days, {n} seeds per arm; a "
            f"reminder e-mail to every known customer every {intervals} "
            "days, and none (budget 0); responses after day "
            f"{params['burn_in']}, margin over the run",
            f"engine / closed form, responses per reachable customer: "
            f"{ratio.min():.2f}-{ratio.max():.2f} (the engine counts only customers who "
            "would not have shopped that day anyway)",
            f"customers lapsed at the end without e-mail: {silent_lapsed:.1%}; a reminder "
            "brings a lapsed customer back, its only lasting effect on the margin",
        ],
    )


def plot(means: pd.DataFrame, channel: ChannelConfig, path: Path) -> Path:
    """Responses with the closed forms, opt-outs, and the incremental margin, by interval."""
    arms = means[means["every"] != SILENT]
    x = arms["every"].to_numpy(dtype=float)
    fine = np.geomspace(x.min(), x.max(), 200)
    forms = pd.DataFrame([closed_forms(e, channel) for e in fine])
    with closing_figure(ncols=3, figsize=(16, 5.2)) as (fig, axes):
        ax = axes[0]
        ax.plot(fine, forms["closed_form"], color="0.25", lw=2, label="closed form R(every)")
        ax.plot(fine, forms["closed_form_all_delivered"], ":", color="0.25", lw=2,
                label="closed form, every e-mail delivered")  # fmt: skip
        _dots(ax, arms, "response_reachable", PALETTE[0], "custsim, per reachable customer")
        _dots(ax, arms, "response", PALETTE[1], "custsim, per customer (opt-outs count)")
        ax.set(ylabel="trips prompted per customer per 30 days")
        ax.set_title("Responses rise, then fall", fontweight="bold")
        _dots(axes[1], arms, "opt_outs", PALETTE[5], "custsim")
        axes[1].set(ylabel="opt-outs per customer over the run")
        axes[1].set_title("Opt-outs rise with frequency", fontweight="bold")
        ax = axes[2]
        ax.axhline(0.0, color="0.5", lw=1)
        _dots(ax, arms, "incremental_margin", PALETTE[2], "margin, contacts paid")
        ax.plot(x, -arms["contact_cost"], "--", color="0.4", label="minus the e-mails' cost")
        ax.set(ylabel="focal margin per customer vs no e-mail")
        ax.set_title("Margin against sending nothing", fontweight="bold")
        for ax in axes:
            ax.set_xscale("log")
            ax.set_xticks(x, [f"{e:g}" for e in x])
            ax.minorticks_off()
            ax.set_xlabel("days between e-mails")
            ax.grid(alpha=0.3)
            ax.spines[["top", "right"]].set_visible(False)
            ax.legend(frameon=False, fontsize=9)
        fig.suptitle(
            "Message wear-out: a reminder e-mail to every customer every few days "
            "(dots: custsim, 95% CIs; lines: closed forms)",
            fontweight="bold",
        )
        return save_png(fig, path)


def _dots(ax: Any, arms: pd.DataFrame, column: str, color: str, label: str) -> None:
    """One measure by interval with its 95% CI."""
    y = arms[column].to_numpy()
    err = np.vstack([y - arms[f"{column}_low"], arms[f"{column}_high"] - y])
    ax.errorbar(arms["every"], y, yerr=np.nan_to_num(err), fmt="o-", color=color, ms=7,
                capsize=4, lw=1.6, label=label)  # fmt: skip
