"""The policies custsim ships: config name -> parameter schema.

`conf/policy/<name>.yaml` extends `<name>_schema`, so a misspelt or mistyped
policy parameter fails when Hydra composes the config.
"""

from __future__ import annotations

from policies.composed import ComposedConfig
from policies.edlp import EverydayPriceConfig
from policies.hi_lo import HiLoConfig
from policies.limited_offer import LimitedOfferConfig
from policies.loyalty_points import LoyaltyPointsConfig
from policies.price_change import PriceChangeConfig
from policies.reactive import ReactiveConfig
from policies.retention import RetentionConfig
from policies.stamp_card import StampCardConfig
from policies.tiers import TiersConfig

POLICY_SCHEMAS: dict[str, type] = {
    "none": EverydayPriceConfig,
    "hi_lo": HiLoConfig,
    "loyalty_points": LoyaltyPointsConfig,
    "stamp_card": StampCardConfig,
    "tiers": TiersConfig,
    "limited_offer": LimitedOfferConfig,
    "retention": RetentionConfig,
    "reactive": ReactiveConfig,
    "composed": ComposedConfig,
    "price_change": PriceChangeConfig,
}
