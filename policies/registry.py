"""The policies custsim ships: config name -> parameter schema.

`conf/policy/<name>.yaml` extends `<name>_schema`, so a misspelt or mistyped
policy parameter fails when Hydra composes the config.
"""

from __future__ import annotations

from policies.edlp import EverydayPriceConfig
from policies.hi_lo import HiLoConfig

POLICY_SCHEMAS: dict[str, type] = {
    "none": EverydayPriceConfig,
    "hi_lo": HiLoConfig,
}
