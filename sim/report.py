"""The short KPI summary a run prints on the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.runner import RunResult

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


def format_summary(run: RunResult) -> str:
    """Header line, the per-firm KPI table, the customer KPIs and where the results are."""
    cfg = run.model.cfg
    c = run.customer_kpis
    lines = [
        f"custsim: {cfg.steps} days, {cfg.population.size:,} customers, "
        f"{len(cfg.market.firms)} firms, network {cfg.network.kind}, seed {cfg.seed}; "
        f"focal firm {cfg.market.focal} runs policy {_policy_name(cfg.policy)} "
        f"({run.seconds:.1f} s)",
        "",
        "  ".join(f"{h:{spec[2]}}" for h, spec in zip(HEADERS, COLUMNS, strict=True)),
    ]
    for row in run.firm_kpis.to_dict(orient="records"):
        cells = [f"{fmt.format(row[key]):{align}}" for key, fmt, align in COLUMNS]
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


def _policy_name(policy_cfg: object) -> str:
    """Short name of a policy config: its class name from `_target_`."""
    target = getattr(policy_cfg, "_target_", None) or policy_cfg.get("_target_", "?")
    return str(target).rsplit(".", 1)[-1]
