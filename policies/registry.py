"""The policies custsim ships: config name -> parameter schema.

`conf/policy/<name>.yaml` extends `<name>_schema`, so a misspelt or mistyped
policy parameter fails when Hydra composes the config.
"""

from __future__ import annotations

from custsim.policies.composed import ComposedConfig
from custsim.policies.edlp import EverydayPriceConfig
from custsim.policies.hi_lo import HiLoConfig
from custsim.policies.limited_offer import LimitedOfferConfig
from custsim.policies.loyalty_points import LoyaltyPointsConfig
from custsim.policies.price_change import PriceChangeConfig
from custsim.policies.reactive import ReactiveConfig
from custsim.policies.retention import RetentionConfig
from custsim.policies.stamp_card import StampCardConfig
from custsim.policies.tiers import TiersConfig

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
