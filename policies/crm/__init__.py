"""Firm-side CRM kernels: what a firm can compute from its own records inside a run.

Everything here works on the per-customer arrays a `custsim.sim.market.MarketObs` exposes for
one firm (first and last purchase day, purchase count, spend, points), or on the
columns of a purchase log cut at an as-of day, and never on latent traits or true
churn. The modules depend on numpy only, so policies can call them for targeting
without importing the engine or the experiments:

* `records`: the firm's records as one object, from a `MarketObs` or from a log;
* `rfm`: recency, frequency, monetary; quintile scores; the four named classes and
  the eight-cell high/low scheme;
* `abc`: value ranking, Pareto curve, A/B/C tiers, concentration and Gini;
* `warning`: the recency and frequency-drop early-warning rules, the inputs of a
  BG/NBD P(alive), value x risk ranking;
* `lifecycle`: lifecycle stage per customer and stage sizes over time.

A customer who never bought from the firm is not one of its customers: every score
is computed over the firm's customers only (`FirmRecords.customer`), and arrays
aligned with all customers carry a neutral fill (score 0, class -1) elsewhere.
"""

from custsim.policies.crm.records import FirmRecords

__all__ = ["FirmRecords"]
