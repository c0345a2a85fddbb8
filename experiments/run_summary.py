"""The short KPI summary a run prints on the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from custsim.sim.config import CustsimConfig
    from custsim.sim.runner import RunResult

COLUMNS = (
    ("firm", "{}", "<6"),
    ("revenue", "{:,.0f}", ">11"),
    ("margin", "{:,.0f}", ">10"),
    ("units", "{:,}", ">8"),
    ("unit_share", "{:.1%}", ">7"),
    ("customers", "{:,}", ">10"),
    ("repeat_rate", "{:.1%}", ">7"),
    ("retention", "{:.1%}", ">10"),
    ("clv_per_customer", "{:.2f}", ">9"),
)
HEADERS = (
    "firm",
    "revenue",
    "margin",
    "units",
    "share",
    "customers",
    "repeat",
    "retention",
    "CLV/cust",
)
#: shown when some firm sent personal offers: sent, redeemed, money given away
OFFER_COLUMNS = (
    ("offers_sent", "{:,}", ">8"),
    ("offers_redeemed", "{:,}", ">9"),
    ("discount_cost", "{:,.0f}", ">10"),
)
OFFER_HEADERS = ("offers", "redeemed", "discount")


def format_summary(run: RunResult) -> str:
    """Header line, the per-firm KPI table, the customer KPIs and where the results are.

    The header names every firm's policy; the table gains the personal-offer
    columns (`OFFER_COLUMNS`) when some firm sent personal offers.
    """
    cfg = run.model.cfg
    c = run.customer_kpis
    kpis = run.firm_kpis
    columns, headers = COLUMNS, HEADERS
    if "offers_sent" in kpis and kpis["offers_sent"].sum() > 0:
        columns, headers = COLUMNS + OFFER_COLUMNS, HEADERS + OFFER_HEADERS
    lines = [
        f"custsim: {cfg.steps} days, {cfg.population.size:,} customers, "
        f"{len(cfg.market.firms)} firms, network {cfg.network.kind}, seed {cfg.seed}; "
        f"focal firm {cfg.market.focal}; policies: {_policies(cfg)} ({run.seconds:.1f} s)",
        "",
        "  ".join(f"{h:{spec[2]}}" for h, spec in zip(headers, columns, strict=True)),
    ]
    for row in kpis.to_dict(orient="records"):
        cells = [f"{fmt.format(row[key]):{align}}" for key, fmt, align in columns]
        lines.append("  ".join(cells))
    lines += [
        "",
        f"customers: {c['active_at_end']:,} of {c['customers']:,} still active "
        f"(retention {c['retention']:.1%}); repeat-purchase rate {c['repeat_purchase_rate']:.1%}; "
        f"mean CLV {c['mean_clv']:.2f}",
    ]
    if run.out_dir is not None:
        lines.append(f"results: {run.out_dir}")
    return "\n".join(lines)


def _policies(cfg: CustsimConfig) -> str:
    """'A HiLoPromotion, B EverydayPrice, C EverydayPrice': every firm's policy, in firm order."""
    return ", ".join(
        f"{name} {_policy_name(cfg.policy if name == cfg.market.focal else firm.policy)}"
        for name, firm in cfg.market.firms.items()
    )


def _policy_name(policy_cfg: object) -> str:
    """Short name of a policy config: its class name from `_target_`, with a composition's parts.

    A composed policy reads 'ComposedPolicy(HiLoPromotion+LoyaltyPoints)'.
    """
    target = _field(policy_cfg, "_target_") or "?"
    name = str(target).rsplit(".", 1)[-1]
    parts = _field(policy_cfg, "parts")
    return f"{name}({'+'.join(_policy_name(p) for p in parts)})" if parts else name


def _field(node: object, key: str) -> object:
    """`node.key` of a structured config or `node[key]` of a mapping; None if absent."""
    value = getattr(node, key, None)
    return node.get(key) if value is None and hasattr(node, "get") else value
