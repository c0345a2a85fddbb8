"""The KPI registry: every key performance indicator the engine reports, declared once.

One `Kpi` per (scope, name): the column of `custsim.sim.metrics.firm_kpis`
(scope "firm", in column order), the key of `customer_kpis` (scope "market", in
key order), the per-segment metric of `custsim.experiments.compare.lift.run_metrics`
(scope "segment") or the column of `experience_kpis` (scope "experience", with the
experience chain) or of `reach_tables` (scope "reach", when a policy names a
channel) or `acquisition_table` (scope "acquisition", with prospects). Each names
its label, its console header, its unit and its kind: a "rate" (a share in
[0, 1], shown in %, its change in percentage points) or a "level" (money, units,
customers; its change shown in the same unit).
Tables, plots and summaries read names, labels and number formats from here.
A name used in several scopes (retention, customers, margin) has one unit and
kind, so `format_value(name, value)` needs no scope.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SCOPES = ("firm", "market", "segment", "experience", "reach", "acquisition")
#: format spec of a value per unit; a rate's unit is "share"
UNIT_FORMATS = {
    "currency": ",.0f",
    "currency per customer": ",.2f",
    "units": ",.0f",
    "customers": ",.0f",
    "offers": ",.0f",
    "share": ".1%",
    "utility": ".2f",
    "score": ".0f",
    "contacts": ",.0f",
    "ratio": ".2f",
}


@dataclass(frozen=True)
class Kpi:
    """One KPI: what it is called where, in which unit, and how its numbers read."""

    name: str  # the column or key, e.g. "clv_per_customer"
    label: str  # human words, e.g. "CLV per customer"
    unit: str  # a key of UNIT_FORMATS
    scope: str = "firm"  # one of SCOPES
    header: str = ""  # short console header; the name when empty
    focal: bool = False  # an objective or output of optimize/sensitivity may name it

    @property
    def kind(self) -> str:
        """'rate' (a share) or 'level'."""
        return "rate" if self.unit == "share" else "level"

    @property
    def short(self) -> str:
        """The console header: `header`, or the name."""
        return self.header or self.name

    def format(self, value: float, signed: bool = False, missing: str = "n/a") -> str:
        """`value` as text: a rate '12.3%', money '1,234', per customer '12.34'.

        Signed (a change): a rate in percentage points '+1.2 pp', a level with
        its sign '+1,234'. A NaN or infinite value reads `missing`.
        """
        if not math.isfinite(value):
            return missing
        if self.kind == "rate" and signed:
            return f"{100 * value:+.1f} pp"
        return f"{value:{'+' if signed else ''}{UNIT_FORMATS[self.unit]}}"


KPIS = (
    # firm: custsim.sim.metrics.firm_kpis, in column order
    Kpi("revenue", "revenue", "currency", focal=True),
    Kpi("margin", "margin", "currency", focal=True),
    Kpi("units", "units", "units", focal=True),
    Kpi("unit_share", "unit share", "share", header="share", focal=True),
    Kpi("customers", "customers", "customers"),
    Kpi("repeat_rate", "repeat rate", "share", header="repeat", focal=True),
    Kpi("retention", "retention", "share", focal=True),
    Kpi(
        "clv_per_customer",
        "CLV per customer",
        "currency per customer",
        header="CLV/cust",
        focal=True,
    ),
    Kpi("rewards_paid", "rewards paid", "currency"),
    Kpi("points_liability", "points liability", "currency"),
    Kpi("breakage", "breakage", "share"),
    Kpi("offers_sent", "offers sent", "offers", header="offers"),
    Kpi("offers_redeemed", "offers redeemed", "offers", header="redeemed"),
    Kpi("discount_cost", "discount cost", "currency", header="discount"),
    # market: custsim.sim.metrics.customer_kpis, in key order
    Kpi("customers", "customers", "customers", scope="market"),
    Kpi("active_at_end", "active at end", "customers", scope="market"),
    Kpi("retention", "retention", "share", scope="market"),
    Kpi("buyers", "buyers", "customers", scope="market"),
    Kpi("repeat_purchase_rate", "repeat-purchase rate", "share", scope="market"),
    Kpi("mean_clv", "mean CLV", "currency per customer", scope="market"),
    # segment: the focal firm's ledger per segment (compare.lift.run_metrics)
    Kpi("spend", "spend", "currency", scope="segment"),
    Kpi("margin", "margin", "currency", scope="segment"),
    Kpi("clv", "mean CLV", "currency per customer", scope="segment"),
    Kpi("retention", "retention", "share", scope="segment"),
    Kpi("repeat_rate", "repeat rate", "share", scope="segment"),
    # experience: custsim.sim.metrics.experience_kpis (with the experience chain), in column order
    Kpi("satisfaction", "mean satisfaction", "utility", scope="experience", header="satisf."),
    Kpi("trust", "mean trust", "share", scope="experience"),
    Kpi("nps", "NPS", "score", scope="experience"),
    Kpi("complaint_rate", "complaints per purchase", "share", scope="experience",
        header="complaints"),
    Kpi("complaints_handled", "complaints handled", "share", scope="experience",
        header="handled"),
    Kpi("service_failure_rate", "service failures per purchase", "share", scope="experience",
        header="failures"),
    Kpi("service_cost", "service recovery cost", "currency", scope="experience",
        header="recovery"),
    # reach: custsim.sim.metrics.reach_tables (when a policy names a channel), in column order
    Kpi("contacts", "contacts sent", "contacts", scope="reach"),
    Kpi("delivered", "contacts delivered", "contacts", scope="reach", header="deliv."),
    Kpi("opened", "contacts opened", "contacts", scope="reach"),
    Kpi("opt_outs", "opt-outs", "customers", scope="reach", header="opt-outs"),
    Kpi("prompted", "trips prompted", "customers", scope="reach"),
    Kpi("conversions", "attributed purchases", "units", scope="reach", header="convert."),
    Kpi("attributed_revenue", "attributed revenue", "currency", scope="reach",
        header="attr. rev."),
    Kpi("contact_cost", "contact cost", "currency", scope="reach", header="cost"),
    Kpi("cost_per_conversion", "cost per attributed purchase", "currency per customer",
        scope="reach", header="cost/conv"),
    Kpi("attributed_roi", "attributed ROI", "ratio", scope="reach", header="attr. ROI"),
    # acquisition: custsim.sim.metrics.acquisition_table (with prospects), in column order
    Kpi("prospects_reached", "contacts to prospects", "contacts", scope="acquisition",
        header="reached"),
    Kpi("acquired", "customers acquired", "customers", scope="acquisition"),
    Kpi("acquired_buyers", "acquired who bought here", "customers", scope="acquisition",
        header="bought"),
    Kpi("acquisition_cost", "acquisition cost", "currency", scope="acquisition",
        header="cost"),
    Kpi("cac", "acquisition cost per customer", "currency per customer", scope="acquisition",
        header="CAC"),
    Kpi("acquired_clv", "CLV of the acquired", "currency per customer", scope="acquisition",
        header="CLV"),
    Kpi("clv_cac", "CLV / CAC", "ratio", scope="acquisition", header="CLV/CAC"),
)  # fmt: skip
_BY_KEY = {(k.scope, k.name): k for k in KPIS}


def names(scope: str) -> tuple[str, ...]:
    """The KPI names of `scope`, in registry order."""
    return tuple(k.name for k in KPIS if k.scope == scope)


def kpi(name: str, scope: str | None = None) -> Kpi:
    """The KPI `name` of `scope` (None: the first scope, in `SCOPES` order, that has it).

    Raises:
        KeyError: if no scope has it.

    """
    for s in SCOPES if scope is None else (scope,):
        if (s, name) in _BY_KEY:
            return _BY_KEY[s, name]
    known = ", ".join(dict.fromkeys(k.name for k in KPIS))
    raise KeyError(f"unknown KPI {name!r} (scope {scope}); known: {known}")


def label(name: str, scope: str | None = None) -> str:
    """The KPI's label; an unknown name is its own label."""
    try:
        return kpi(name, scope).label
    except KeyError:
        return name


def format_value(name: str, value: float, signed: bool = False, missing: str = "n/a") -> str:
    """`Kpi.format` of the KPI `name` (a name has one unit in every scope)."""
    return kpi(name).format(value, signed=signed, missing=missing)


#: the focal firm's KPIs an optimisation objective or a sensitivity output may name
FOCAL_KPIS = tuple(k.name for k in KPIS if k.scope == "firm" and k.focal)
