"""The calibrated world: a one-firm market (the store) and its customers, as config blocks.

Declared once and used twice: the fit derives every simulation from these blocks
(`custsim.experiments.batch.Base.derive`), and the files the command writes,
`<config dir>/market/<name>.yaml` and `<config dir>/population/<name>.yaml`, hold the
same blocks (and the population file chooses the market and the network option the
fit ran with), so `custsim population=<name>` runs what was fitted.

What the log can identify is the purchase process: the occasion rate mu_i ~ gamma
(mean, sd) and the dropout p_i ~ beta (mean, sd) after each repeat purchase
(`occasions.dropout = purchase`), the simulation's counterparts of BG/NBD's
lambda_i ~ Gamma(r, alpha) and p_i ~ Beta(a, b) (Fader, Hardie & Lee 2005). Like
theirs, a store's customer does not leave at its first purchase nor at an occasion
without a purchase: with dropout at every occasion the fit explained CDNOW's many
one-time buyers by early dropout and kept too few slow buyers for the holdout (21%
low, against 12% for BG/NBD).

The store's price is the log's mean spend per transaction and its cost (1 - margin)
x price (the margin is the user's, `calibrate.margin`). The shelf is set so that the
store's mean customer weighs price as a coffee shopper weighs the default market's
leader: price sensitivity b = PRICE_UTILITY / price (cv as the default segment's),
quality = PRICE_UTILITY, so a mean customer at the regular price buys at about half
of its occasions; the fitted occasion rate absorbs that share. Stock at home does
not hold a customer back (`inventory.outside_weight = 0`: the log says nothing of
consumption). The cohort arrives as it did (`arrivals.kind = empirical`, first
purchase on arrival).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

#: b x price of the default market's leader (coffee A: 0.45 per unit x 8.0); its quality, 3.4,
#: is close: the store's quality equals it, so the mean customer's utility at the shelf is 0
PRICE_UTILITY = 3.6
#: the default segment's price-sensitivity cv (sd 0.1 / mean 0.45)
PRICE_SENSITIVITY_CV = 0.1 / 0.45
FIRM = "A"  # the store's firm name (the focal firm, as in every shipped market)
SEGMENT = "store"


@dataclass(frozen=True)
class PurchaseProcess:
    """The fitted parameters: occasion rate (gamma) and dropout per repeat purchase (beta)."""

    rate_mean: float  # occasions a day
    rate_sd: float
    dropout_mean: float  # per repeat purchase
    dropout_sd: float

    NAMES = ("rate_mean", "rate_sd", "dropout_mean", "dropout_sd")

    def as_array(self) -> np.ndarray:
        """(rate_mean, rate_sd, dropout_mean, dropout_sd)."""
        return np.array([self.rate_mean, self.rate_sd, self.dropout_mean, self.dropout_sd])

    @classmethod
    def from_z(cls, z: np.ndarray) -> PurchaseProcess:
        """From the unconstrained fit coordinates z (`to_z`).

        z = (ln mean rate, ln cv of the rate, logit mean dropout, logit s), with the
        dropout's sd = s sqrt(m (1 - m)), so the beta always exists (s in (0, 1)).
        """
        rate = math.exp(z[0])
        m = 1.0 / (1.0 + math.exp(-z[2]))
        s = 1.0 / (1.0 + math.exp(-z[3]))
        return cls(rate, rate * math.exp(z[1]), m, s * math.sqrt(m * (1.0 - m)))

    def to_z(self) -> np.ndarray:
        """The unconstrained coordinates (inverse of `from_z`)."""
        m = self.dropout_mean
        s = self.dropout_sd / math.sqrt(m * (1.0 - m))
        return np.array(
            [
                math.log(self.rate_mean),
                math.log(self.rate_sd / self.rate_mean),
                math.log(m / (1.0 - m)),
                math.log(s / (1.0 - s)),
            ]
        )


def market_block(price: float, margin: float) -> dict[str, Any]:
    """`market`: the store alone at `price` (mean spend a transaction), cost (1 - margin) price."""
    return {
        "focal": FIRM,
        "firms": {
            FIRM: {
                "price": six_digits(price),
                "cost": six_digits((1 - margin) * price),
                "quality": PRICE_UTILITY,
            }
        },
    }


def population_block(process: PurchaseProcess, price: float, daily: list[int]) -> dict[str, Any]:
    """`population`: the cohort (its arrivals per day) with the fitted purchase process."""
    b = PRICE_UTILITY / price
    return {
        "size": int(sum(daily)),
        "arrivals": {"kind": "empirical", "daily": [int(c) for c in daily], "first_purchase": True},
        "occasions": {"dropout": "purchase"},
        "inventory": {"outside_weight": 0.0},
        "segments": {
            SEGMENT: {
                "share": 1.0,
                "occasion_rate": {
                    "mean": six_digits(process.rate_mean),
                    "sd": six_digits(process.rate_sd),
                },
                "dropout": {
                    "mean": six_digits(process.dropout_mean),
                    "sd": six_digits(process.dropout_sd),
                },
                "price_sensitivity": {
                    "mean": six_digits(b),
                    "sd": six_digits(b * PRICE_SENSITIVITY_CV),
                },
            }
        },
    }


def six_digits(value: float) -> float:
    """Six significant digits: what the YAML file holds, and so what the fit simulates."""
    return float(f"{float(value):.6g}")


def write_store(
    config_dir: Path,
    name: str,
    market: dict[str, Any],
    population: dict[str, Any],
    network: str,
    header: str,
) -> tuple[Path, Path]:
    """Write market/<name>.yaml and population/<name>.yaml.

    The population file chooses its market (the store) and the network option the fit
    ran with (`network`), so `custsim population=<name>` runs what was fitted;
    `market=...` or `network=...` on a command line still win.

    Each file is written to a temporary name and renamed, so a failure leaves no
    half-written option. Returns the two paths.
    """
    market_path = config_dir / "market" / f"{name}.yaml"
    population_path = config_dir / "population" / f"{name}.yaml"
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    defaults = [
        {"override /market@_global_.market": name},
        {"override /network@_global_.network": network},
        "_self_",
    ]
    pop = {"defaults": defaults, **population}
    for path, text in (
        (market_path, comment + yaml.safe_dump(market, sort_keys=False)),
        (population_path, comment + _population_yaml(pop)),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return market_path, population_path


def _population_yaml(block: dict[str, Any]) -> str:
    """The population file, its `daily` list on one flow line (84 numbers, not 84 lines)."""
    daily = block["arrivals"]["daily"]
    text = yaml.safe_dump(
        {**block, "arrivals": {**block["arrivals"], "daily": "@DAILY@"}}, sort_keys=False
    )
    return text.replace("'@DAILY@'", "[" + ", ".join(str(c) for c in daily) + "]")
