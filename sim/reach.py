"""The firms' reach: every contact's fate, the customers' fatigue and opt-outs, the contact ledger.

Held by `CustomerState.reach` when some firm's policy names a channel
(`custsim.sim.config.reach_enabled`), None otherwise. Arrays per firm are
firm-major like the rest of the state; the equations are
`custsim.agents.reach`'s, the updates `custsim.sim.stages.reach`'s.

The ledger `counts[j, k, c]` counts each firm's contacts through channel k by
fate c (`FATES`: sent, delivered, opened, opted out, prompted a trip or a
return, converted: a purchase at the firm within the attribution window of an
opened contact); `cost[j, k]` is what they cost, `attributed[j, k]` and
`attributed_units[j, k]` the revenue and units of the converted purchases. Per
customer, `contact_cost[j, i]` is what firm j paid to reach i: its sum over
customers is the firm's contact cost, and it is one of the margin's terms
(`custsim.sim.state`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from custsim.sim.config import ChannelConfig

#: what can become of a contact, in ledger order -> its firm series in timeseries.parquet
FATE_SERIES = {
    "sent": "contacts",
    "delivered": "delivered",
    "opened": "opened",
    "opted_out": "opt_outs",
    "prompted": "prompted",
    "converted": "conversions",
}
FATES = tuple(FATE_SERIES)
#: the reach's firm series (when a policy names a channel): the day's contacts by fate (all
#: channels) and their cost
REACH_SERIES = (*FATE_SERIES.values(), "contact_cost")
#: the series among them that are counts (integers in timeseries.parquet)
REACH_COUNTS = REACH_SERIES[:-1]
#: what can become of a contact to a prospect (`custsim.sim.stages.acquisition`), ledger order
ACQUISITION_FATES = ("sent", "delivered", "opened", "acquired")
#: the acquisition's firm series (with prospects): prospects acquired and what the contacts cost
ACQUISITION_SERIES = ("acquired", "acquisition_cost")
ACQUISITION_COUNTS = ("acquired",)


@dataclass
class ReachState:
    """Fatigue, opt-outs, offers missed, the last opened contact, and the contact ledger."""

    channels: tuple[str, ...]  # channel names, index k (sorted)
    terms: tuple[ChannelConfig, ...]  # their parameters, same order
    fatigue: NDArray[np.floating]  # (J, n) F_ij as of `fatigue_day`
    fatigue_day: NDArray[np.floating]  # (J, n) day F_ij was last updated
    opted_out: NDArray[np.bool_]  # (J, K, n) i opted out of firm j's channel k
    unaware: NDArray[np.bool_]  # (J, n) i missed the contact of the personal offer it holds
    opened_day: NDArray[np.floating]  # (J, n) day of i's last opened contact not yet converted
    opened_channel: NDArray[np.int8]  # (J, n) its channel k
    contact_cost: NDArray[np.float64]  # (J, n) money firm j paid to reach i
    counts: NDArray[np.int64]  # (J, K, len(FATES)) contacts by firm, channel and fate
    cost: NDArray[np.float64]  # (J, K) contact cost
    attributed: NDArray[np.float64]  # (J, K) revenue of the converted purchases
    attributed_units: NDArray[np.float64]  # (J, K) their units
    offer_contacts: NDArray[np.bool_]  # (J,) firms that have sent a personal offer by contact
    #: once a message goes through a channel `at_till` (`hold_at_till`): per firm and customer,
    #: the till channel k of a message waiting for the next purchase (-1: none), and whether
    #: it carries an offer
    waiting: NDArray[np.int8] | None = None
    waiting_offer: NDArray[np.bool_] | None = None
    #: with prospects (`population.prospects`): the contacts to prospects by firm, channel and
    #: fate (`ACQUISITION_FATES`), their cost, what each firm paid per prospect reached (J, n)
    #: (and that discounted to day 0, as in the CLV), and which firm acquired each customer
    #: (n,; -1: none, there from the start)
    acquisition: NDArray[np.int64] | None = None
    acquisition_spend: NDArray[np.float64] | None = None
    acquisition_cost: NDArray[np.float64] | None = None
    acquisition_discounted: NDArray[np.float64] | None = None
    acquired_by: NDArray[np.int8] | None = None
    prompted: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    day: dict[str, NDArray[np.float64]] = field(default_factory=dict)  # REACH_SERIES, (J,)

    @classmethod
    def initial(
        cls,
        channels: dict[str, ChannelConfig],
        n_firms: int,
        n: int,
        dtype: type,
        prospects: bool = False,
    ) -> ReachState:
        """Day 0: nobody contacted, tired or opted out (`prospects`: keep the acquisition's)."""
        names = tuple(sorted(channels))
        k, shape = len(names), (n_firms, n)
        state = cls(
            channels=names,
            terms=tuple(channels[name] for name in names),
            fatigue=np.zeros(shape, dtype=dtype),
            fatigue_day=np.zeros(shape, dtype=dtype),
            opted_out=np.zeros((n_firms, k, n), dtype=bool),
            unaware=np.zeros(shape, dtype=bool),
            opened_day=np.full(shape, -np.inf, dtype=dtype),
            opened_channel=np.full(shape, -1, dtype=np.int8),
            contact_cost=np.zeros(shape),
            counts=np.zeros((n_firms, k, len(FATES)), dtype=np.int64),
            cost=np.zeros((n_firms, k)),
            attributed=np.zeros((n_firms, k)),
            attributed_units=np.zeros((n_firms, k)),
            offer_contacts=np.zeros(n_firms, dtype=bool),
        )
        if prospects:
            state.acquisition = np.zeros((n_firms, k, len(ACQUISITION_FATES)), dtype=np.int64)
            state.acquisition_spend = np.zeros((n_firms, k))
            state.acquisition_cost = np.zeros(shape)
            state.acquisition_discounted = np.zeros(shape)
            state.acquired_by = np.full(n, -1, dtype=np.int8)
        state.new_day()
        return state

    def new_day(self) -> None:
        """Reset the day's series (`REACH_SERIES`) and the customers prompted."""
        j = len(self.fatigue)
        names = REACH_SERIES + (ACQUISITION_SERIES if self.acquisition is not None else ())
        self.day = {name: np.zeros(j) for name in names}
        self.prompted = np.empty(0, dtype=np.int64)

    def channel(self, name: str) -> int:
        """The index k of channel `name`.

        Raises:
            ValueError: 'channel=name: must be one of: ...' for an unknown name.

        """
        if name not in self.channels:
            raise ValueError(f"channel={name!r}: must be one of: {', '.join(self.channels)}")
        return self.channels.index(name)

    def hold_at_till(self, j: int, k: int, ids: NDArray[np.int64], carries_offer: bool) -> None:
        """Keep firm j's message through till channel k for `ids`' next purchase from it.

        The waiting arrays are made with the first such message, so a run without one
        pays nothing for them.
        """
        if self.waiting is None:
            self.waiting = np.full(self.fatigue.shape, -1, dtype=np.int8)
            self.waiting_offer = np.zeros(self.fatigue.shape, dtype=bool)
        self.waiting[j, ids] = k
        self.waiting_offer[j, ids] = carries_offer

    def tally(self, j: int, k: int, counts: dict[str, int]) -> None:
        """Add firm j's contacts through channel k by fate (`FATES` names).

        To the ledger and to the day's series (`FATE_SERIES`).
        """
        for name, count in counts.items():
            self.counts[j, k, FATES.index(name)] += count
            self.day[FATE_SERIES[name]][j] += count

    def fate(self, name: str) -> NDArray[np.int64]:
        """(J, K) contacts with fate `name` (one of `FATES`)."""
        return self.counts[:, :, FATES.index(name)]
