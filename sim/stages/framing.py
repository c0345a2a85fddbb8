"""How discount frames change the prices shoppers see and the prices they remember.

Both sides read `population.framing` (`custsim.agents.framing` holds the kernels):
the shelf sees perceived prices, reference memory encodes part of a framed cut.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from custsim.agents import framing
from custsim.sim.config import FramingConfig
from custsim.sim.market import Offers


def discount_basis(offers: Offers, regular: NDArray[np.float64]) -> NDArray[np.float64]:
    """Price a discount is read against, per firm: the shown list price, else the regular one."""
    return np.where(np.isnan(offers.list_price), regular, offers.list_price)


def frame_constants(cfg: FramingConfig, offers: Offers, table: str) -> NDArray[np.float64]:
    """Per firm, the frame's entry of population.framing.<table> (0 for 'encoding' if absent)."""
    values = getattr(cfg, table)
    default = 0.0 if table == "encoding" else 1.0
    return np.array([values.get(f, default) for f in offers.frame])


def seen_prices(
    cfg: FramingConfig, prices: NDArray, offers: Offers, regular: NDArray[np.float64]
) -> NDArray:
    """Prices as the frames make them look (unchanged where no discount is framed)."""
    if all(f == "none" for f in offers.frame):
        return prices
    basis = discount_basis(offers, regular)
    mult = framing.perceived_multiplier(offers.frame, basis, cfg.numerosity, dict(cfg.perceived))
    return framing.perceived_price(prices, basis[:, None], mult[:, None])


def encoded_prices(
    cfg: FramingConfig, prices: NDArray, offers: Offers, regular: NDArray[np.float64]
) -> NDArray:
    """Prices entering reference memory: framed cuts are partly kept out (agents.framing)."""
    if all(f == "none" for f in offers.frame):
        return prices
    basis = discount_basis(offers, regular)
    encoding = frame_constants(cfg, offers, "encoding")
    return framing.encoded_price(prices, basis[:, None], encoding[:, None])
