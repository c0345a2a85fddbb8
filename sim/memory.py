"""Will a run fit in memory? An estimate from the config, checked before anything is allocated."""

from __future__ import annotations

import os

from custsim.sim.config import CustsimConfig, chain_enabled, reach_enabled, records_purchases
from custsim.sim.network import attachment_links, lattice_degree
from custsim.sim.traits import RECORDED, TRAITS, segment_moments

GB = 1e9
BASE_BYTES = 300e6  # the interpreter, NumPy, pandas, Mesa, Hydra and PyArrow loaded
# bytes per customer held through the run (sim.state, sim.ledger, agents.population, sim.network)
PER_CUSTOMER_FIXED = 24  # segment, active, churn day, last brand, offer counts, CSR indptr
PER_CUSTOMER_FLOATS = 5  # (n,) floats: next occasion, stock, stock day, satisfaction, inv_degree
PER_FIRM_FIXED = 58  # (J, n): purchases, units, enrolled, tier; money and points (float64)
PER_FIRM_FLOATS = 8  # (J, n) floats: day-0 and current tastes, references, social signals, days
PER_EDGE_END = 4  # the int32 CSR index kept
PER_CUSTOMER_ARRIVING = 16  # with population.arrivals: the queue's rows and times (int64, float64)
PER_CUSTOMER_ARRIVAL_FLOATS = 1  # with population.arrivals: each customer's arrival time
# with the experience chain (custsim.sim.chain): (J, n) open-complaint days (int32), service
# cost (float64) and the day's float64 mean over a (J, n) mask; (J, n) floats: satisfaction,
# trust, habit, expected quality, pull; (J, n) grievance (int8); (n,) churn cause (int8),
# complaints (int32)
PER_FIRM_CHAIN_FIXED, PER_FIRM_CHAIN_FLOATS, PER_CUSTOMER_CHAIN = 22, 5, 5
ROW_PER_FIRM_CHAIN = 50  # its three per-firm columns of customers.parquet, twice, + headroom
# when a policy names a channel (custsim.sim.reach): (J, n) unaware, opened channel (int8),
# contact cost (float64), a till message waiting and its offer flag (once one is sent), one
# opt-out flag per channel; floats: fatigue, its day, opened day
PER_FIRM_REACH_FIXED, PER_FIRM_REACH_FLOATS, ROW_PER_FIRM_REACH = 12, 3, 30
# with prospects: (J, n) acquisition cost and its discounted value (float64), (n,) acquiring
# firm (int8), arrival time, and the pool's rows (int64)
PER_FIRM_PROSPECTS, PER_CUSTOMER_PROSPECTS = 16, 9
PER_CUSTOMER_DAY = 80  # a day's working arrays (shoppers' terms, utilities, draws), with headroom
# while building: the traits, and the int64 edge keys the generators sort (per degree)
PER_EDGE_END_BUILDING = 30
# one row group of customers.parquet being built: a row's columns twice (arrays, frame) + margins
ROW_FIXED, ROW_PER_FIRM, ROW_PER_RECORDED_TRAIT = 160, 100, 16
# one row group of purchases.parquet being built: the day blocks joined, the frame, the Arrow table
PURCHASE_ROW_WRITING = 150
# share of shopping occasions that end in a purchase (the rest: the outside option), an upper
# value: measured 0.36 in the grocery default and 0.68 with population=subscribers (1e4 x 365)
BUYING_OCCASIONS = 0.7


def mean_degree_built(cfg: CustsimConfig) -> float:
    """The mean degree the configured generator builds (0 without a network)."""
    net = cfg.network
    if net.kind == "none" or cfg.population.size < 2:
        return 0.0
    if net.kind == "watts_strogatz":
        return float(lattice_degree(net.mean_degree))
    if net.kind == "barabasi_albert":
        return 2.0 * attachment_links(net.mean_degree)
    return float(net.mean_degree)


def purchases_per_customer_day(cfg: CustsimConfig) -> float:
    """Purchases logged per customer and day, an upper estimate: BUYING_OCCASIONS min(1, mu).

    mu is the mean occasion rate (occasions a day), from `cfg.population`: the
    segments' shares and their mean `occasion_rate` (a population-wide value
    winning, `custsim.sim.traits.segment_moments`); a customer shops at most once
    a day and buys at most once an occasion, at most BUYING_OCCASIONS of the
    occasions end in a purchase, and churned customers buy nothing. The grocery
    default (mu = 0.15) gives 0.106; measured 0.050 (1e4 customers, 365 days).
    """
    pop = cfg.population
    wide = pop.traits.occasion_rate
    rate = sum(
        seg.share * segment_moments(seg, "occasion_rate", wide).mean
        for seg in pop.segments.values()
    )
    return BUYING_OCCASIONS * min(1.0, rate)


def estimated_bytes(cfg: CustsimConfig) -> float:
    """Peak memory of one run, in bytes (an upper estimate).

    bytes = 300 MB + max(building, running), with p the bytes of a float at the
    run's `precision` (4 or 8), n customers, J firms, K traits (+1 derived), R
    recorded traits, the built mean degree d, T days, G = min(n, ROWS_PER_GROUP)
    and, when the run records purchases, P = n T `purchases_per_customer_day`
    purchases of B = `BYTES_PER_PURCHASE` (42) bytes, H = min(P, PURCHASES_PER_GROUP)
    of them written at a time:

        building = n ((K + 1 + J) p + 30 d)
        running  = n (24 + (K + 1 + 5) p + J (58 + 8 p) + 4 d + 80 [+ 16 + p]
                      [+ 6 + J (21 + 5 p)]) + G (160 + 100 J [+ 50 J] + 16 R) [+ P B + 150 H]

    Building holds the traits while the network generator sorts its int64 edge
    keys; running holds the state, points ledger, traits and CSR graph (money is
    float64 at any precision: `custsim.sim.state`), a day's working arrays, the
    purchase log when the run records purchases (`custsim.sim.purchases`: one
    42-byte record per purchase, `purchases_per_customer_day`), the arrival
    schedule when customers arrive over the run (`population.arrivals`), the
    experience chain's arrays when it is on (`custsim.sim.chain`), the reach's when a
    policy names a channel (`custsim.sim.reach`), and at the
    end one row group of customers.parquet and one of purchases.parquet
    (`custsim.sim.results`, both streamed). Measured peaks (tracemalloc, 3 firms,
    Watts-Strogatz k = 10, 5 days): 1.09 GB (float64) and 0.89 GB (float32) at
    1e6 customers, 1/1.17 and 1/1.22 of the estimate; 1/1.13 and 1/1.17 at 1e5
    (`tests/test_memory.py` checks measured <= estimate <= 3 x measured).
    """
    from custsim.sim.purchases import BYTES_PER_PURCHASE, PURCHASES_PER_GROUP  # pandas:
    from custsim.sim.results import ROWS_PER_GROUP  # imported when validating only

    n, firms = cfg.population.size, len(cfg.market.firms)
    p = 4 if cfg.precision == "float32" else 8
    traits, degree = len(TRAITS) + 1, mean_degree_built(cfg)
    building = n * ((traits + firms) * p + PER_EDGE_END_BUILDING * degree)
    per_customer = (
        PER_CUSTOMER_FIXED
        + (traits + PER_CUSTOMER_FLOATS) * p
        + firms * (PER_FIRM_FIXED + PER_FIRM_FLOATS * p)
        + PER_EDGE_END * degree
        + PER_CUSTOMER_DAY
    )
    if cfg.population.arrivals.kind != "none":
        per_customer += PER_CUSTOMER_ARRIVING + PER_CUSTOMER_ARRIVAL_FLOATS * p
    row = ROW_FIXED + ROW_PER_FIRM * firms + ROW_PER_RECORDED_TRAIT * len(RECORDED)
    if chain_enabled(cfg):
        per_customer += PER_CUSTOMER_CHAIN + firms * (
            PER_FIRM_CHAIN_FIXED + PER_FIRM_CHAIN_FLOATS * p
        )
        row += ROW_PER_FIRM_CHAIN * firms
    if reach_enabled(cfg):
        per_customer += firms * (
            PER_FIRM_REACH_FIXED + len(cfg.channels) + PER_FIRM_REACH_FLOATS * p
        )
        row += ROW_PER_FIRM_REACH * firms
        if cfg.population.prospects > 0:
            per_customer += PER_CUSTOMER_PROSPECTS + p + firms * PER_FIRM_PROSPECTS
    running = n * per_customer + min(n, ROWS_PER_GROUP) * row
    if records_purchases(cfg):
        logged = n * cfg.steps * purchases_per_customer_day(cfg)
        group = min(logged, PURCHASES_PER_GROUP)
        running += logged * BYTES_PER_PURCHASE + group * PURCHASE_ROW_WRITING
    return BASE_BYTES + max(building, running)


def physical_memory() -> float:
    """The machine's physical memory in bytes (os.sysconf; infinite where unknown)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # not POSIX, or the names are unknown
        return float("inf")


def memory_problem(cfg: CustsimConfig) -> str | None:
    """'population.size=N: needs about X GB ...' when the estimate exceeds physical memory."""
    need, have = estimated_bytes(cfg), physical_memory()
    if need <= have:
        return None
    return (
        f"population.size={cfg.population.size}: the run needs about {need / GB:.1f} GB of memory "
        f"(estimate, sim.memory), this machine has {have / GB:.1f} GB"
    )
