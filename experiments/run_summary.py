"""The short KPI summary a run prints on the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from custsim.sim.kpis import kpi, label, names

if TYPE_CHECKING:
    from custsim.sim.config import CustsimConfig
    from custsim.sim.runner import RunResult

#: the per-firm table: KPI name (`custsim.sim.kpis`, which gives header and format), alignment
COLUMNS = (
    ("revenue", ">11"),
    ("margin", ">10"),
    ("units", ">8"),
    ("unit_share", ">7"),
    ("customers", ">10"),
    ("repeat_rate", ">7"),
    ("retention", ">10"),
    ("clv_per_customer", ">9"),
)
#: shown when some firm sent personal offers: sent, redeemed, money given away
OFFER_COLUMNS = (
    ("offers_sent", ">8"),
    ("offers_redeemed", ">9"),
    ("discount_cost", ">10"),
)
#: with the experience chain: a second per-firm table (`custsim.sim.metrics.experience_kpis`)
EXPERIENCE_COLUMNS = (
    ("satisfaction", ">8"),
    ("trust", ">7"),
    ("nps", ">5"),
    ("complaint_rate", ">10"),
    ("complaints_handled", ">8"),
    ("service_failure_rate", ">8"),
    ("service_cost", ">9"),
)
#: when a policy names a channel: the contacts' table (`custsim.sim.metrics.reach_tables`)
REACH_COLUMNS = (
    ("contacts", ">9"),
    ("delivered", ">9"),
    ("opened", ">8"),
    ("opt_outs", ">8"),
    ("prompted", ">8"),
    ("conversions", ">8"),
    ("contact_cost", ">9"),
    ("cost_per_conversion", ">9"),
    ("attributed_roi", ">9"),
)
#: with prospects: the acquisition table (`custsim.sim.metrics.acquisition_table`)
ACQUISITION_COLUMNS = (
    ("prospects_reached", ">10"),
    ("acquired", ">9"),
    ("acquired_buyers", ">7"),
    ("acquisition_cost", ">9"),
    ("cac", ">8"),
    ("acquired_clv", ">8"),
    ("clv_cac", ">8"),
)
FIRM_WIDTH = 6


def format_summary(run: RunResult) -> str:
    """Header line, the per-firm KPI table, the customer KPIs and where the results are.

    The header names every firm's policy; the table gains the personal-offer
    columns (`OFFER_COLUMNS`) when some firm sent personal offers; with the
    experience chain a second table follows (`experience_table`).
    """
    cfg = run.model.cfg
    c = run.customer_kpis
    kpis = run.firm_kpis
    columns = COLUMNS
    if "offers_sent" in kpis and kpis["offers_sent"].sum() > 0:
        columns = COLUMNS + OFFER_COLUMNS
    firm_kpi = {name: kpi(name, "firm") for name, _ in columns}
    lines = [
        f"custsim: {cfg.steps} days, {cfg.population.size:,} customers, "
        f"{len(cfg.market.firms)} firms, network {cfg.network.kind}, seed {cfg.seed}; "
        f"focal firm {cfg.market.focal}; policies: {_policies(cfg)} ({run.seconds:.1f} s)",
        "",
        "  ".join([f"{'firm':<{FIRM_WIDTH}}", *(f"{firm_kpi[n].short:{a}}" for n, a in columns)]),
    ]
    for row in kpis.to_dict(orient="records"):
        cells = [f"{row['firm']:<{FIRM_WIDTH}}"]
        cells += [f"{firm_kpi[n].format(row[n]):{a}}" for n, a in columns]
        lines.append("  ".join(cells))
    if run.experience_kpis is not None:
        lines += ["", *experience_table(run)]
    if run.reach is not None and run.reach["firm"]["contacts"].sum() > 0:
        lines += ["", *reach_table(run)]
    if run.acquisition is not None:
        lines += ["", *acquisition_table(run)]
    market = {name: kpi(name, "market").format(c[name]) for name in names("market")}
    lines += [
        "",
        f"customers: {market['active_at_end']} of {market['customers']} still active "
        f"(retention {market['retention']}); {label('repeat_purchase_rate')} "
        f"{market['repeat_purchase_rate']}; {label('mean_clv')} {market['mean_clv']}",
    ]
    if run.out_dir is not None:
        lines.append(f"results: {run.out_dir}")
    return "\n".join(lines)


def experience_table(run: RunResult) -> list[str]:
    """The experience chain's per-firm table and a line on why customers left and switched."""
    cols = {name: kpi(name, "experience") for name, _ in EXPERIENCE_COLUMNS}
    lines = ["  ".join([f"{'firm':<{FIRM_WIDTH}}", *(f"{cols[n].short:{a}}" for n, a in
                                                     EXPERIENCE_COLUMNS)])]  # fmt: skip
    for row in run.experience_kpis.to_dict(orient="records"):
        cells = [f"{row['firm']:<{FIRM_WIDTH}}"]
        cells += [f"{cols[n].format(row[n]):{a}}" for n, a in EXPERIENCE_COLUMNS]
        lines.append("  ".join(cells))
    lines.append(f"why customers left: {_counted(run.causes['churn_causes'])}")
    lines.append(f"why customers switched brand: {_counted(run.causes['switch_causes'])}")
    return lines


def reach_table(run: RunResult) -> list[str]:
    """The contacts of every firm and channel that sent any ('A/email'), and what they brought."""
    cols = {name: kpi(name, "reach") for name, _ in REACH_COLUMNS}
    width = 16
    lines = ["  ".join([f"{'firm/channel':<{width}}", *(f"{cols[n].short:{a}}" for n, a in
                                                     REACH_COLUMNS)])]  # fmt: skip
    for row in run.reach["channels"].to_dict(orient="records"):
        if not row["contacts"]:
            continue
        cells = [f"{row['firm'] + '/' + row['channel']:<{width}}"]
        cells += [f"{cols[n].format(row[n]):{a}}" for n, a in REACH_COLUMNS]
        lines.append("  ".join(cells))
    lines.append(
        "conversions: purchases within market.attribution_days of an opened contact "
        "(last touch); the causal lift needs custsim-compare"
    )
    return lines


def acquisition_table(run: RunResult) -> list[str]:
    """The acquisition of every firm that bought contacts to prospects, CAC beside CLV."""
    cols = {name: kpi(name, "acquisition") for name, _ in ACQUISITION_COLUMNS}
    lines = ["  ".join([f"{'acquiring':<{FIRM_WIDTH + 3}}",
                        *(f"{cols[n].short:{a}}" for n, a in ACQUISITION_COLUMNS)])]  # fmt: skip
    for row in run.acquisition.to_dict(orient="records"):
        if not row["prospects_reached"]:
            continue
        cells = [f"{row['firm']:<{FIRM_WIDTH + 3}}"]
        cells += [f"{cols[n].format(row[n]):{a}}" for n, a in ACQUISITION_COLUMNS]
        lines.append("  ".join(cells))
    return lines


def _counted(by_cause: dict[str, int]) -> str:
    """'natural 688, service 2' (causes with no event left out; 'none' if all are 0)."""
    seen = [f"{cause} {count:,}" for cause, count in by_cause.items() if count]
    return ", ".join(seen) or "none"


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
