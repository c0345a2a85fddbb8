"""The firms' reach in the day: contacts go out (step 1), prompt trips (2), convert (5).

A message of a channel `at_till` waits for the customer's next purchase from the firm
and is handed over then, at step 5 (`deliver_at_till`).

`send` (step 1, after the firms post their offers): each contact of each firm's
`Offer.contacts` meets its customer's fatigue, is delivered, opened, answered and
maybe unsubscribed from (`custsim.agents.reach`), is paid for, and a personal
offer whose message was not opened stays unknown: the offers as the customers
know them come back. `prompt` (step 2): the customers an opened contact brought
to the shelf shop today (a lapsed one comes back). `convert` (step 5): a purchase
at a firm within `market.attribution_days` of an opened contact of the firm is
put down to that contact, as a firm's own records would (last touch).

Each contact draws four uniforms (delivery, opening, opt-out, response) from the
reach's own stream whatever becomes of it, so one firm's contacts never shift
another mechanism's numbers.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from custsim.agents import reach as rc
from custsim.sim.basket import Basket
from custsim.sim.market import Contact, Offers
from custsim.sim.reach import FATES, ReachState
from custsim.sim.state import CustomerState


def send(
    reach: ReachState,
    state: CustomerState,
    offers: Offers,
    day: int,
    discount: float,
    rng: np.random.Generator,
) -> Offers:
    """Deliver every firm's contacts of the day; return `offers` as the customers know them.

    Writes the fatigue, opt-outs, the last opened contact, who missed an offer's
    message (`reach.unaware`), who was prompted (`reach.prompted`), the contact
    ledger and the day's series, and each customer's contact cost into
    `state.discounted_margin` (at today's `discount`).
    """
    prompted = []
    for j, contacts in enumerate(offers.contacts):
        for contact in contacts:
            prompted.append(deliver(reach, state, j, contact, day, discount, rng))
    if prompted:
        reach.prompted = np.unique(np.concatenate(prompted))
    if not reach.offer_contacts.any():
        return offers
    return replace(offers, targeted=known_offers(reach, offers))


def deliver(
    reach: ReachState,
    state: CustomerState,
    j: int,
    contact: Contact,
    day: int,
    discount: float,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Firm j's `contact` goes out; return the customers it prompts to shop (opened, answered)."""
    k = reach.channel(contact.channel)
    terms = reach.terms[k]
    ids = contact.ids[~reach.opted_out[j, k, contact.ids]]
    if not len(ids):
        return ids
    if terms.at_till:  # handed over at the next purchase (`deliver_at_till`)
        reach.hold_at_till(j, k, ids, contact.carries_offer)
        if contact.carries_offer:
            reach.unaware[j, ids] = True
            reach.offer_contacts[j] = True
        return ids[:0]
    return fate(reach, state, j, k, ids, contact.carries_offer, day, discount, rng)


def fate(
    reach: ReachState,
    state: CustomerState,
    j: int,
    k: int,
    ids: NDArray[np.int64],
    carries_offer: bool,
    day: int,
    discount: float,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """What becomes of firm j's contacts to `ids` through channel k today; who it prompts.

    Writes the fatigue, opt-outs, the last opened contact, `unaware` (when the messages
    carry an offer), the ledger, the day's series and the customers' contact cost.
    """
    terms = reach.terms[k]
    u = rng.random((4, len(ids)))
    rested = rc.decayed_fatigue(
        reach.fatigue[j, ids], day - reach.fatigue_day[j, ids], terms.half_life
    )
    delivered = u[0] < terms.delivery
    opened = delivered & (u[1] < terms.open)
    quit_chance = rc.opt_out_probability(terms.opt_out, terms.opt_out_fatigue, rested)
    quits = delivered & (u[2] < quit_chance)
    answers = opened & (u[3] < rc.response_probability(terms.response, terms.fatigue, rested))
    got, seen = ids[delivered], ids[opened]
    reach.fatigue[j, got] = rested[delivered] + 1
    reach.fatigue_day[j, got] = day
    reach.opted_out[j, k, ids[quits]] = True
    reach.opened_day[j, seen] = day
    reach.opened_channel[j, seen] = k
    if carries_offer:
        reach.unaware[j, ids[~opened]] = True
        reach.unaware[j, seen] = False
        reach.offer_contacts[j] = True
    reach.contact_cost[j, ids] += terms.cost
    state.discounted_margin[j, ids] -= discount * terms.cost
    answered = ids[answers]
    reach.tally(j, k, {
        "sent": len(ids), "delivered": len(got), "opened": len(seen),
        "opted_out": int(quits.sum()), "prompted": prompt_count(state, answered, day),
    })  # fmt: skip
    paid = terms.cost * len(ids)
    reach.cost[j, k] += paid
    reach.day["contact_cost"][j] += paid
    return answered


def deliver_at_till(
    reach: ReachState,
    state: CustomerState,
    basket: Basket,
    day: int,
    discount: float,
    rng: np.random.Generator,
) -> None:
    """Step 5: today's buyers get the till messages waiting for them at the firm they bought from.

    Each is delivered, opened, answered and paid for now (`fate`); an answer brings an
    active customer back tomorrow (its next occasion moved to day + 1 at the latest).
    Called after dropout, so a customer who left today is not brought back.
    """
    k_waiting = reach.waiting.reshape(-1)[basket.cells(reach.waiting.shape[1])]
    for j in np.unique(basket.brand[k_waiting >= 0]):
        here = (basket.brand == j) & (k_waiting >= 0)
        for k in np.unique(k_waiting[here]):
            ids = np.sort(basket.buyers[here & (k_waiting == k)])
            carries = reach.waiting_offer[j, ids]
            reach.waiting[j, ids] = -1
            for offer in (True, False):
                who = ids[carries == offer]
                if len(who):
                    back = fate(reach, state, int(j), int(k), who, offer, day, discount, rng)
                    back = back[state.active[back]]
                    state.next_occasion[back] = np.minimum(state.next_occasion[back], day + 0.5)


def prompt_count(state: CustomerState, ids: NDArray[np.int64], day: int) -> int:
    """How many of `ids` a prompt brings to the shelf: idle or lapsed today (see `prompt`)."""
    due = state.next_occasion[ids] < day
    return int(np.count_nonzero(~due & ((state.churn_day[ids] >= 0) | state.active[ids])))


def known_offers(reach: ReachState, offers: Offers) -> tuple:
    """Each firm's personal prices less those whose message its customer has not opened.

    A customer who no longer holds one of the firm's personal prices is no longer
    unaware of it (the next offer comes with its own message).
    """
    known = []
    for j, (ids, prices) in enumerate(offers.targeted):
        if not reach.offer_contacts[j]:
            known.append((ids, prices))
            continue
        row = reach.unaware[j]
        missed = np.flatnonzero(row)
        row[missed[~np.isin(missed, ids, assume_unique=True)]] = False
        keep = ~row[ids]
        known.append((ids[keep], prices[keep]))
    return tuple(known)


def prompt(reach: ReachState, state: CustomerState, day: int) -> None:
    """Step 2: the customers an opened contact prompted shop today.

    An active customer without an occasion today makes one; a lapsed customer comes
    back (like a win-back: active, churn_day -1, satisfaction reset to 0). Customers
    still to arrive, and those shopping today anyway, are left as they are.
    Reads `reach.prompted` (set by `send`); writes `active`, `churn_day`, `satisfaction`,
    `next_occasion`.
    """
    ids = reach.prompted
    if not len(ids):
        return
    lapsed = ids[state.churn_day[ids] >= 0]
    state.active[lapsed] = True
    state.churn_day[lapsed] = -1
    state.satisfaction[lapsed] = 0.0
    idle = ids[state.active[ids] & (state.next_occasion[ids] >= day)]
    state.next_occasion[idle] = day - 0.5


def convert(reach: ReachState, basket: Basket, day: int, window: int) -> None:
    """Step 5: purchases within `window` days of an opened contact of their firm convert it.

    Last touch: the purchase is put down to the customer's last opened contact of the
    firm, once (the next purchase needs a new contact). Writes the ledger's converted
    counts, attributed revenue (units x price paid) and units, the day's `conversions`, and
    `opened_day`.
    """
    cells = basket.cells(reach.opened_day.shape[1])
    opened = reach.opened_day.reshape(-1)[cells]
    hit = day - opened <= window
    if not hit.any():
        return
    j, cell = basket.brand[hit], cells[hit]
    revenue = basket.paid[hit] * basket.quantity[hit]
    k = reach.opened_channel.reshape(-1)[cell].astype(np.int64)
    n_firms, n_channels = reach.cost.shape
    flat = j * n_channels + k

    def per_channel(weights: NDArray | None = None) -> NDArray[np.float64]:
        size = n_firms * n_channels
        return np.bincount(flat, weights=weights, minlength=size).reshape(n_firms, n_channels)

    reach.counts[:, :, FATES.index("converted")] += per_channel()
    reach.attributed += per_channel(revenue)
    reach.attributed_units += per_channel(basket.quantity[hit])
    reach.day["conversions"] += np.bincount(j, minlength=n_firms)
    reach.opened_day.reshape(-1)[cell] = -np.inf
