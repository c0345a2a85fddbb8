"""Time-limited offers: novelty at the drop, urgency near the deadline, scarcity.

The extra pull of a running offer on customer i (Inman & McAlister 1994 find
coupon redemptions peak right after the drop and again just before expiry):

    V_urgency = u_i * (exp(-t / tau_n) + 1 / (1 + D) + K0 / (K0 + K))

t: days the offer has run (its novelty fades with time constant tau_n); D: days
left on a countdown the customer can see (inf when hidden, so the term
vanishes); K: units left when the firm shows "only K left" (inf when not).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

SCARCITY_SCALE = 10.0  # K0: "only 10 left" is half the maximal scarcity pull


def offer_pull(
    days_running: ArrayLike,
    deadline: ArrayLike,
    stock_left: ArrayLike,
    novelty_days: float,
    scarcity_scale: float = SCARCITY_SCALE,
) -> NDArray[np.float64]:
    """Per firm: novelty + deadline urgency + scarcity (0 for firms with no running offer).

    `novelty_days` is tau_n, `scarcity_scale` K0 (default `SCARCITY_SCALE`).
    """
    days_running = np.asarray(days_running, dtype=float)
    novelty = np.exp(-days_running / novelty_days)  # exp(-inf) = 0 where nothing runs
    countdown = 1.0 / (1.0 + np.asarray(deadline, dtype=float))
    scarcity = scarcity_scale / (scarcity_scale + np.asarray(stock_left, dtype=float))
    return novelty + countdown + scarcity
