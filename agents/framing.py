"""Framing of discounts, displayed list prices as anchors, and how frames enter memory.

Perceived size of a discount. The same saving reads bigger when its number is
bigger (numerosity: Pelham, Sumarta & Myaskovsky 1994); a percentage's number is
100 d, an amount's is P d, so percent-off reads bigger below a price of 100 and
amount-off above it (Chen, Monroe & Lou 1998, "rule of 100"):

    M(percent-style, P) = c_f * (100 / P) ** phi,   M(amount_off, P) = c_f * (P / 100) ** phi

and the customer treats the price as L - M (L - p). c_f is a per-frame constant
(pay-X% and bonus packs read as bigger gains than the plain cut in the base case:
"pay 80%" gives higher perceived savings and purchase intent than "20% off",
Kim & Kramer 2006, Marketing Letters 17, 311-321).

Anchoring (was/now): a displayed list price L above the customer's reference r
pulls the reference used in the comparison to r + a_i (L - r).

Memory: customers attribute part of a framed cut to the promotion rather than
to the price, so the price that enters the reference-price update is
p + e_f (L - p). Non-price frames such as bonus packs leave the reference price
almost untouched (Diamond & Campbell 1989).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

PERCENT_STYLE = ("percent_off", "pay_percent")


def perceived_multiplier(
    frames: tuple[str, ...], list_price: ArrayLike, phi: float, constants: dict[str, float]
) -> NDArray[np.float64]:
    """M per firm: the frame constant times the numerosity factor at the list price."""
    out = []
    for frame, price in zip(frames, np.asarray(list_price, dtype=float), strict=True):
        base = constants.get(frame, 1.0)
        if frame in PERCENT_STYLE:
            base *= (100.0 / price) ** phi
        elif frame == "amount_off":
            base *= (price / 100.0) ** phi
        out.append(base)
    return np.array(out)


def perceived_price(
    price: ArrayLike, list_price: ArrayLike, multiplier: ArrayLike
) -> NDArray[np.float64]:
    """L - M (L - p) where p < L (a discount); p itself otherwise."""
    price = np.asarray(price, dtype=float)
    cut = np.maximum(np.subtract(list_price, price), 0.0)
    return price - (np.asarray(multiplier) - 1.0) * cut


def anchored_reference(
    reference: ArrayLike, list_price: ArrayLike, anchoring: ArrayLike
) -> NDArray[np.float64]:
    """R + a (L - r) where a list price L above r is displayed; r elsewhere (NaN: none)."""
    reference = np.asarray(reference, dtype=float)
    lift = np.nan_to_num(np.subtract(list_price, reference), nan=0.0)
    return reference + np.multiply(anchoring, np.maximum(lift, 0.0))


def encoded_price(
    price: ArrayLike, list_price: ArrayLike, encoding: ArrayLike
) -> NDArray[np.float64]:
    """Price entering reference memory: p + e (L - p) for a cut below L; p otherwise."""
    price = np.asarray(price, dtype=float)
    cut = np.maximum(np.subtract(list_price, price), 0.0)
    return price + np.asarray(encoding) * cut
