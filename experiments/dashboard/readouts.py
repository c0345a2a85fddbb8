"""The numbers to watch: a few running measures that the guided experiments refer to.

Charts show shapes; a classroom comparing two runs (loss aversion on and off)
also needs a number. Each readout is computed from the model's recorder so far
(public state only) and is None until there is something to measure. `rfm_view`
sets what the focal firm's CRM sees (its RFM classes, from its own records, the
`MarketObs` arrays) beside what only the simulation knows (each customer's persona
and whether it has churned): a few sorts of the population, cheap enough for every
redraw. With the experience chain on, `chain_readout` says why customers go: the
exits and brand switches so far by cause (the chain's cause ledgers), and the
satisfaction and trust of each firm's recent buyers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from custsim.agents.experience import CAUSES
from custsim.policies.crm import rfm
from custsim.policies.crm.records import FirmRecords
from custsim.sim.kpis import label

if TYPE_CHECKING:
    from custsim.sim.model import CustsimModel

WINDOW = 7  # days compared before and after a deal


def focal_index(model: CustsimModel) -> int:
    """Column of the focal firm in the recorder."""
    return [s.name for s in model.specs].index(model.cfg.market.focal)


def focal_share(model: CustsimModel) -> float | None:
    """The focal firm's share of all units sold so far."""
    units = model.recorder.firm["units"][: model.steps]
    total = units.sum()
    return float(units[:, focal_index(model)].sum() / total) if total > 0 else None


def focal_reference(model: CustsimModel) -> float | None:
    """The mean reference price the focal firm's shoppers held on the last day."""
    if model.steps == 0:
        return None
    ref = model.recorder.firm["mean_reference_price"][model.steps - 1, focal_index(model)]
    return None if np.isnan(ref) else float(ref)


def deal_runs(promo: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(first day index, index after the last day) of each run of promotion days."""
    edges = np.diff(np.concatenate([[0], promo.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def post_deal_dip(model: CustsimModel) -> float | None:
    """Focal units in the week after its deals relative to the week before them, minus 1.

    Averaged over the deals with a full week on both sides; negative: a
    post-promotion dip (stockpiling, and the regular price felt as a loss).
    """
    j = focal_index(model)
    units = model.recorder.firm["units"][: model.steps, j]
    promo = model.recorder.firm["promo"][: model.steps, j] > 0
    runs = [(a, b) for a, b in deal_runs(promo) if a >= WINDOW and b + WINDOW <= len(units)]
    if not runs:
        return None
    before = np.mean([units[a - WINDOW : a].mean() for a, _ in runs])
    after = np.mean([units[b : b + WINDOW].mean() for _, b in runs])
    return float(after / before - 1.0) if before > 0 else None


def first_reward_day(model: CustsimModel) -> int | None:
    """The day the focal firm's programme first redeemed points (or stamps)."""
    redeemed = np.nan_to_num(model.recorder.firm["points_redeemed"][: model.steps])
    days = np.flatnonzero(redeemed[:, focal_index(model)] > 0)
    return int(days[0]) + 1 if len(days) else None


#: the fewest customers of the focal firm for an RFM view (one per quintile)
MIN_RFM_CUSTOMERS = 5


@dataclass(frozen=True)
class RfmClass:
    """One RFM class of the focal firm: its size, and the truth behind it."""

    name: str  # one of `rfm.FOUR_CLASSES`
    customers: int
    churned: float  # share of the class that has left the category (true churn)
    personas: dict[str, float]  # share of the class per true persona (segment), in order


def rfm_view(model: CustsimModel) -> list[RfmClass] | None:
    """The focal firm's four RFM classes today and, per class, true churn and persona mix.

    Classes: `rfm.four_classes` on `rfm.rfm_scores` of the firm's records as of the next
    day (`FirmRecords.from_obs` of `CustsimModel.observe`: every purchase so far); only
    the firm's customers are classed. Truth: `state.active` and `traits.segment`, which
    no policy sees. None while the firm has fewer than `MIN_RFM_CUSTOMERS` customers.
    """
    j = focal_index(model)
    records = FirmRecords.from_obs(model.observe(model.steps + 1, j, model.regular_prices))
    if int(records.customer.sum()) < MIN_RFM_CUSTOMERS:
        return None
    scores = rfm.rfm_scores(records)
    codes = rfm.four_classes(scores.r, scores.f, scores.m)
    churned = ~model.state.active
    segment, names = model.traits.segment, list(model.traits.segment_names)
    out = []
    for code, name in enumerate(rfm.FOUR_CLASSES):
        inside = codes == code
        n = int(inside.sum())
        mix = np.bincount(segment[inside], minlength=len(names)) / max(n, 1)
        out.append(
            RfmClass(
                name=name,
                customers=n,
                churned=float(churned[inside].mean()) if n else 0.0,
                personas=dict(zip(names, mix.tolist(), strict=True)),
            )
        )
    return out


def rfm_readout(model: CustsimModel) -> str | None:
    """`rfm_view`, a phrase per class: size, true churn, its most over-represented persona.

    'high_value 979: 3% churned, brand_loyal 27% (base 19%)': the persona whose share
    of the class most exceeds its share of the whole population (the base).
    """
    view = rfm_view(model)
    if view is None:
        return None
    names = list(model.traits.segment_names)
    base = np.bincount(model.traits.segment, minlength=len(names)) / len(model.traits.segment)
    parts = []
    for c in view:
        index = [c.personas[p] / b if b > 0 else 0.0 for p, b in zip(names, base, strict=True)]
        i = int(np.argmax(index))
        parts.append(
            f"{c.name} {c.customers:,}: {c.churned:.0%} churned, "
            f"{names[i]} {c.personas[names[i]]:.0%} (base {base[i]:.0%})"
        )
    return "; ".join(parts)


def has_chain(model: CustsimModel) -> bool:
    """Whether the run has the experience chain (some firm's purchases can disappoint)."""
    return model.state.chain is not None


def recent_buyers_mean(model: CustsimModel, series: str) -> NDArray[np.float64] | None:
    """(J,) a chain series' mean over the last `WINDOW` days (the day's buyers of each brand).

    NaN for a firm without a buyer in those days; None before the first day or without the chain.
    """
    if not has_chain(model) or model.steps == 0:
        return None
    recent = model.recorder.firm[series][max(0, model.steps - WINDOW) : model.steps]
    seen = ~np.isnan(recent)
    total = np.where(seen, recent, 0.0).sum(axis=0)
    count = seen.sum(axis=0)
    return np.divide(total, count, out=np.full(len(total), np.nan), where=count > 0)


def by_cause(counts: NDArray[np.int64]) -> str:
    """Counts per cause (`CAUSES` order) as 'taste 5,124, service 1,348': largest first, no 0s."""
    order = sorted(np.flatnonzero(counts), key=lambda c: (-counts[c], c))
    return ", ".join(f"{CAUSES[c]} {int(counts[c]):,}" for c in order) or "none"


def per_firm(model: CustsimModel, values: NDArray[np.float64], shown: str) -> str:
    """'A 0.66, B 0.72, C 0.70': one value per firm, formatted with `shown` ('-' for NaN)."""
    names = [s.name for s in model.specs]
    shown_values = ("-" if np.isnan(v) else shown.format(v) for v in values)
    return ", ".join(f"{n} {v}" for n, v in zip(names, shown_values, strict=True))


def chain_readout(model: CustsimModel) -> str | None:
    """Why customers go (the chain's cause ledgers), and the firms' recent satisfaction and trust.

    Exits (churns, `ChainState.exits`) and brand switches (`ChainState.switches`) so far,
    each total split by cause; the focal firm's switches away (to any other brand) by
    cause, its service failures and complaints (answered or not); then each firm's
    buyers' satisfaction and trust (`recent_buyers_mean`). The
    ledgers count events, not customers: one customer can switch many times. None
    without the chain.
    """
    if not has_chain(model):
        return None
    chain, j, focal = model.state.chain, focal_index(model), model.cfg.market.focal
    exits, switches = chain.exits.sum(axis=1), chain.switches.sum(axis=(1, 2))
    away = chain.switches[:, j, :].sum(axis=1)

    def so_far(series: str) -> int:
        return int(np.nansum(model.recorder.firm[series][: model.steps, j]))

    parts = [
        f"exits {int(exits.sum()):,} ({by_cause(exits)})",
        f"brand switches {int(switches.sum()):,} ({by_cause(switches)})",
        f"switches away from {focal} {int(away.sum()):,} ({by_cause(away)})",
        f"{focal}'s service failures {so_far('service_failures'):,}, complaints "
        f"{so_far('complaints'):,} ({so_far('complaints_handled'):,} answered)",
    ]
    satisfaction = recent_buyers_mean(model, "satisfaction")
    if satisfaction is not None:
        trust = recent_buyers_mean(model, "trust")
        parts.append(f"buyers' satisfaction {per_firm(model, satisfaction, '{:+.2f}')}")
        parts.append(f"trust {per_firm(model, trust, '{:.2f}')}")
    return "; ".join(parts)


def readouts(model: CustsimModel) -> list[str]:
    """The measures available so far, as short phrases."""
    focal = model.cfg.market.focal
    out = []
    if (share := focal_share(model)) is not None:
        out.append(f"{focal}'s {label('unit_share')} so far {share:.0%}")
    if (ref := focal_reference(model)) is not None:
        regular = model.regular_prices[focal_index(model)]
        out.append(f"{focal}'s reference price {ref:.2f} (regular {regular:.2f})")
    if (dip := post_deal_dip(model)) is not None:
        out.append(f"week after a deal vs week before {dip:+.0%}")
    if (day := first_reward_day(model)) is not None:
        out.append(f"first reward redeemed on day {day}")
    out.append(f"active customers {model.n_active:,}")
    return out
