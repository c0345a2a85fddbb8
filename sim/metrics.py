"""Daily market metrics and the run's key performance indicators.

The recorder fills preallocated (steps, J) arrays, one row per day, so
recording costs nothing that grows with the population. KPIs are computed once
at the end from the recorder and the customers' histories.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from custsim.agents.experience import CAUSES
from custsim.sim.reach import ACQUISITION_FATES, FATES
from custsim.sim.state import CustomerState

#: Per day and firm. units, revenue, margin (revenue - unit cost x units - rewards paid)
#: and buyers are the day's totals; shelf and regular price as posted;
#: mean_reference_price is the day's shoppers' mean reference price for the brand,
#: carried forward from the last day with shoppers on a day without any (the
#: regular price until the first such day); points_* are the day's flows, and
#: points_outstanding the points held at the end of the day.
FIRM_SERIES = (
    "shelf_price",
    "regular_price",
    "units",
    "revenue",
    "margin",
    "buyers",
    "mean_reference_price",
    "promo",
    "points_earned",
    "points_redeemed",
    "points_expired",
    "points_outstanding",
    "rewards_paid",
)
MARKET_SERIES = ("active_customers", "occasions", "outside_choices")


@dataclass
class Recorder:
    """Per-day series: firm series (steps, J) and market series (steps,)."""

    steps: int
    firm_names: tuple[str, ...]
    extra_firm_series: tuple[str, ...] = ()  # a mechanism's own series (the experience chain's)
    counts: tuple[str, ...] = ()  # which of them are counts (int64 in the time series)
    firm: dict[str, NDArray[np.float64]] = field(init=False)
    market: dict[str, NDArray[np.float64]] = field(init=False)

    def __post_init__(self) -> None:
        shape = (self.steps, len(self.firm_names))
        names = FIRM_SERIES + self.extra_firm_series
        self.firm = {name: np.full(shape, np.nan) for name in names}
        self.market = {name: np.full(self.steps, np.nan) for name in MARKET_SERIES}

    def record(self, day: int, **values: NDArray | float) -> None:
        """Store day `day`'s values (1-based day; any subset of the series)."""
        for name, value in values.items():
            target = self.firm if name in self.firm else self.market
            target[name][day - 1] = value

    def timeseries(self) -> pd.DataFrame:
        """One row per (day, firm), market series repeated on each firm's row."""
        steps, n_firms = self.steps, len(self.firm_names)
        frame = {
            "day": np.repeat(np.arange(1, steps + 1, dtype=np.int32), n_firms),
            "firm": np.tile(np.array(self.firm_names, dtype=object), steps),
        }
        for name, arr in self.firm.items():
            frame[name] = arr.reshape(-1)
        for name, arr in self.market.items():
            frame[name] = np.repeat(arr, n_firms)
        df = pd.DataFrame(frame)
        ints = ("units", "buyers", "active_customers", "occasions", "outside_choices", *self.counts)
        for col in ints:
            df[col] = df[col].astype(np.int64)
        df["promo"] = df["promo"].astype(bool)
        total_units = df.groupby("day")["units"].transform("sum")
        df["unit_share"] = np.where(total_units > 0, df["units"] / total_units.clip(lower=1), 0.0)
        return df


def firm_kpis(
    rec: Recorder, state: CustomerState, liability: NDArray[np.float64] | None = None
) -> pd.DataFrame:
    """Per firm: sales, margin, customers, repeat rate, retention, CLV, points, personal offers.

    - margin: revenue - unit cost * units - rewards paid - the money value of the
      points still outstanding at the end (a liability), i.e. net of discounts,
      rewards and points liability; the sum over customers of
      `CustomerState.margin`.
    - repeat_rate: share of the firm's customers who bought from it twice or more.
    - retention: share of customers who bought from the firm in the first half
      of the run and bought from it again in the second half.
    - clv_per_customer: the same margin discounted to day 0 (rewards on the
      day paid, the liability on the last day), summed over customers
      (`CustomerState.clv`), divided by the population size.
    - breakage: share of the points issued that expired.
    - offers_sent, offers_redeemed, discount_cost: personal (targeted) offers
      sent, purchases made at their price, and (shelf price - price paid) x
      units on those purchases; the discount is already inside revenue and
      margin, so it is reported, not deducted again.
    """
    units = np.nansum(rec.firm["units"], axis=0)
    liability = np.zeros(len(rec.firm_names)) if liability is None else liability
    earned = np.nansum(rec.firm["points_earned"], axis=0)
    half = rec.steps / 2
    bought = state.purchases > 0
    first_half = state.first_buy_day <= half
    kept = first_half & (state.last_buy_day > half)
    return pd.DataFrame(
        {
            "firm": list(rec.firm_names),
            "revenue": np.nansum(rec.firm["revenue"], axis=0),
            "margin": np.nansum(rec.firm["margin"], axis=0) - liability,
            "units": units.astype(np.int64),
            "unit_share": units / max(units.sum(), 1.0),
            "customers": bought.sum(axis=1),
            "repeat_rate": _ratio((state.purchases >= 2).sum(axis=1), bought.sum(axis=1)),
            "retention": _ratio(kept.sum(axis=1), first_half.sum(axis=1)),
            "clv_per_customer": state.clv().sum(axis=1) / max(state.n_arrived, 1),
            "rewards_paid": np.nansum(rec.firm["rewards_paid"], axis=0),
            "points_liability": liability,
            "breakage": _ratio(np.nansum(rec.firm["points_expired"], axis=0), earned),
            "offers_sent": state.firm_offers_sent,
            "offers_redeemed": state.firm_offers_redeemed,
            "discount_cost": state.firm_discount_cost,
        }
    )


def experience_kpis(rec: Recorder, state: CustomerState) -> pd.DataFrame | None:
    """Per firm, with the experience chain (None without): the chain at the end of the run.

    - satisfaction, trust: means of S_ij, T_ij over the firm's active customers
      (active and bought from it at least once) at the end.
    - nps: the mean NPS of the firm's surveys (`market.firms.<j>.survey`; NaN without).
    - complaint_rate, service_failure_rate: complaints and service failures per purchase.
    - complaints_handled: the share of complaints the firm answered.
    - service_cost: compensation and handling paid (inside `margin`).
    """
    chain = state.chain
    if chain is None:
        return None
    purchases = state.purchases.sum(axis=1)
    mine = (state.purchases > 0) & state.active
    count = mine.sum(axis=1)
    total = {name: np.nansum(rec.firm[name], axis=0) for name in chain.day}
    return pd.DataFrame(
        {
            "firm": list(rec.firm_names),
            "satisfaction": mean_where(chain.satisfaction, mine, count),
            "trust": mean_where(chain.trust, mine, count),
            "nps": _nan_mean(rec.firm["nps"]),
            "complaint_rate": _ratio(total["complaints"], purchases),
            "complaints_handled": _ratio(total["complaints_handled"], total["complaints"]),
            "service_failure_rate": _ratio(total["service_failures"], purchases),
            "service_cost": total["service_cost"],
        }
    )


def reach_tables(
    state: CustomerState, firm_names: tuple[str, ...], unit_costs: NDArray[np.float64]
) -> dict[str, pd.DataFrame] | None:
    """Per firm (`firm`) and per firm and channel (`channels`): the contacts' fates and money.

    None when no policy names a channel. Columns (the KPIs of scope "reach"):

    - contacts, delivered, opened, opt_outs: contacts sent (opted-out customers are
      skipped, free), delivered, opened, and the opt-outs they caused;
    - prompted: customers an opened contact brought to the shelf who would not have
      shopped that day (idle or lapsed);
    - conversions: purchases at the firm within `market.attribution_days` of an opened
      contact of the firm (last touch, once per contact), what the firm's own records
      credit the messages with; attributed_revenue: their revenue;
    - contact_cost: what the contacts cost (inside `margin`: the sum over customers
      of `ReachState.contact_cost`);
    - cost_per_conversion: contact_cost / conversions;
    - attributed_roi: (attributed revenue - unit cost x attributed units - contact cost) /
      contact cost, the return the firm's last-touch records show: not the causal
      return, which needs the world without the messages (custsim-compare).
    """
    reach = state.reach
    if reach is None:
        return None
    n_firms, n_channels = reach.cost.shape
    by_channel = _reach_table(
        {fate: reach.fate(fate).reshape(-1) for fate in FATES},
        reach.cost.reshape(-1),
        reach.attributed.reshape(-1),
        reach.attributed_units.reshape(-1) * np.repeat(unit_costs, n_channels),
    )
    by_firm = _reach_table(
        {fate: reach.fate(fate).sum(axis=1) for fate in FATES},
        reach.cost.sum(axis=1),
        reach.attributed.sum(axis=1),
        reach.attributed_units.sum(axis=1) * unit_costs,
    )
    return {
        "firm": pd.DataFrame({"firm": list(firm_names), **by_firm}),
        "channels": pd.DataFrame(
            {
                "firm": np.repeat(np.array(firm_names, dtype=object), n_channels),
                "channel": np.tile(np.array(reach.channels, dtype=object), n_firms),
                **by_channel,
            }
        ),
    }


def acquisition_table(state: CustomerState, firm_names: tuple[str, ...]) -> pd.DataFrame | None:
    """Per firm, with prospects (`population.prospects`; else None): what acquiring cost and won.

    - prospects_reached: contacts to prospects bought; acquired: prospects they brought
      into the market; acquired_buyers: those of them who bought from the firm;
    - acquisition_cost: what the contacts cost (inside `margin`); cac: acquisition
      cost per customer acquired, acquisition_cost / acquired;
    - acquired_clv: the acquired customers' mean CLV with the firm so far
      (`CustomerState.clv` before what reaching them as prospects cost, which CAC
      counts: so CLV / CAC sets what they bring against what acquiring them cost);
      clv_cac: acquired_clv / cac.
    """
    reach = state.reach
    if reach is None or reach.acquisition is None:
        return None
    sent = reach.acquisition[:, :, ACQUISITION_FATES.index("sent")].sum(axis=1)
    acquired = reach.acquisition[:, :, ACQUISITION_FATES.index("acquired")].sum(axis=1)
    cost = reach.acquisition_spend.sum(axis=1)
    clv = state.clv() + reach.acquisition_discounted  # CLV before what reaching them cost
    mine = reach.acquired_by[None, :] == np.arange(len(firm_names))[:, None]
    count = mine.sum(axis=1)
    acquired_clv = mean_where(clv, mine, count)
    cac = _ratio(cost, acquired)
    return pd.DataFrame(
        {
            "firm": list(firm_names),
            "prospects_reached": sent,
            "acquired": acquired,
            "acquired_buyers": (mine & (state.purchases > 0)).sum(axis=1),
            "acquisition_cost": cost,
            "cac": cac,
            "acquired_clv": acquired_clv,
            "clv_cac": _ratio(acquired_clv, cac),
        }
    )


def _reach_table(
    fates: dict[str, NDArray], cost: NDArray, revenue: NDArray, goods: NDArray
) -> dict[str, NDArray]:
    """`reach_tables`' columns, one entry per row of the table.

    From the fates' counts, the contact cost, the attributed revenue and the cost of
    the goods attributed.
    """
    return {
        "contacts": fates["sent"],
        "delivered": fates["delivered"],
        "opened": fates["opened"],
        "opt_outs": fates["opted_out"],
        "prompted": fates["prompted"],
        "conversions": fates["converted"],
        "attributed_revenue": revenue,
        "contact_cost": cost,
        "cost_per_conversion": _ratio(cost, fates["converted"]),
        "attributed_roi": _ratio(revenue - goods - cost, cost),
    }


def cause_tables(state: CustomerState, firm_names: tuple[str, ...]) -> dict[str, dict] | None:
    """The cause ledgers as nested dicts for kpis.json (None without the experience chain).

    `defections[from][to]`: brand switches from one firm to another (all causes);
    `switch_causes[cause]`, `churn_causes[cause]`: events per cause
    (`custsim.agents.experience.CAUSES`); `switches[cause][from][to]`: the switches by
    cause; `exits[cause][last brand]`: churns by cause and the brand last bought
    ("none": never bought). The sums over causes of `switches` are `defections`.
    """
    chain = state.chain
    if chain is None:
        return None
    moved = chain.switches.sum(axis=0)
    last = (*firm_names, "none")
    return {
        "defections": {
            a: {b: int(moved[i, k]) for k, b in enumerate(firm_names) if k != i}
            for i, a in enumerate(firm_names)
        },
        "switch_causes": dict(zip(CAUSES, map(int, chain.switches.sum(axis=(1, 2))), strict=True)),
        "churn_causes": dict(zip(CAUSES, map(int, chain.exits.sum(axis=1)), strict=True)),
        "switches": {
            c: {
                a: {b: int(chain.switches[m, i, k]) for k, b in enumerate(firm_names) if k != i}
                for i, a in enumerate(firm_names)
            }
            for m, c in enumerate(CAUSES)
        },
        "exits": {
            c: {b: int(chain.exits[i, k]) for k, b in enumerate(last)} for i, c in enumerate(CAUSES)
        },
    }


def mean_where(values: NDArray, mask: NDArray[np.bool_], count: NDArray) -> NDArray[np.float64]:
    """Row means of `values` over `mask` ((J, n) each), NaN where a row has none."""
    total = np.add.reduce(values, axis=1, dtype=np.float64, where=mask)
    return np.divide(total, count, out=np.full(len(count), np.nan), where=count > 0)


def _nan_mean(series: NDArray[np.float64]) -> NDArray[np.float64]:
    """Column means of a (steps, J) series over its non-NaN days, NaN where none."""
    seen = np.isfinite(series)
    return mean_where(series.T, seen.T, seen.sum(axis=0))


def customer_kpis(state: CustomerState) -> dict[str, float]:
    """Market-wide customer KPIs at the end of the run; mean_clv sums `CustomerState.clv`.

    Customers, retention and mean CLV count the customers who have arrived
    (`CustomerState.arrived`: everyone without `population.arrivals`).
    """
    total = state.purchases.sum(axis=0)
    buyers = int((total > 0).sum())
    arrived = max(state.n_arrived, 1)  # the population without arrivals
    return {
        "customers": int(state.n_arrived),
        "active_at_end": int(state.active.sum()),
        "retention": float(state.active.sum() / arrived),
        "buyers": buyers,
        "repeat_purchase_rate": float(_ratio((total >= 2).sum(), buyers)),
        "mean_clv": float(state.clv().sum() / arrived),
    }


def _ratio(num: NDArray | float, den: NDArray | float) -> NDArray | float:
    """Num / den, 0 where den is 0."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)
