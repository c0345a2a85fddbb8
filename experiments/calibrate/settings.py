"""`custsim-calibrate`'s own settings: the `data` key, the `calibrate` block and the root's name.

Only the standard library and `custsim.sim.rules` are imported here, so that the
command's `--help` reads these defaults without the engine (`config.py` adds the
block to a run's config and registers the root's schema with Hydra).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from custsim.sim.rules import MAX_NUMPY_SEED, bounded, one_of

CONFIG_NAME = "calibrate"  # conf/calibrate.yaml
#: the shipped example logs and the calibration end each is known by in the literature
#: (CDNOW: weeks 1-39 calibrate, weeks 40-78 hold out; Fader, Hardie & Lee 2005)
SHIPPED_UNTIL = {"cdnow_sample": "1997-09-30"}


#: with `calibrate.scale` unset, a trial simulates about this many customers (at most 8 per
#: customer of the log, at least 1): a trial of 20,000 customers over 273 days and its
#: BG/NBD fit take about 0.4 s, so 150 trials take about half a minute on 2 cores, and a
#: log of 100,000 customers (scale 1) about 5 minutes
SIMULATED_CUSTOMERS = 20_000
MAX_SCALE = 8


def auto_scale(scale: int | None, customers: int) -> int:
    """Simulated customers per customer of the log: `scale`, or about SIMULATED_CUSTOMERS in all."""
    if scale is not None:
        return scale
    return max(1, min(MAX_SCALE, SIMULATED_CUSTOMERS // max(customers, 1)))


@dataclass
class ColumnsConfig:
    """`calibrate.columns`: the log's column names.

    customer, date and amount must exist. quantity is used when the column exists, else
    every row is one unit; only the default name may be absent (a column named on
    purpose must exist). product and unit_price are read only when mapped.
    """

    customer: str = "customer"
    date: str = "date"
    amount: str = "amount"
    quantity: str | None = "quantity"  # used when the log has it; 1 unit a row otherwise
    product: str | None = None  # brand or product: read and checked, not yet fitted
    unit_price: str | None = None  # price per unit: read and checked, not yet fitted
    score: str = "score"  # the survey answers' column (`calibrate.surveys`), not the log's


@dataclass
class CalibrateConfig:
    """Settings of `custsim-calibrate`: the split, where the population goes, how hard to fit.

    The fit simulates `scale` customers per customer of the log (None: `auto_scale`,
    8 for the CDNOW sample) for `trials` trials
    (Optuna's `sampler`, seeded by `sampler_seed`) on `n_jobs` local workers; the
    holdout forecast and the uncertainty average `replications` runs of as many.

    Stage 3, optional (`custsim.experiments.calibrate.voice`): `complaints` and `surveys`
    are the firm's own records (CSV or Parquet: customer and date, and a score 0..10 for
    a survey answer; the columns of `columns`), `failure_rate` the share of its purchases
    whose service failed (needed with `complaints`); the experience chain's complaint
    propensity and survey midpoint are fitted to them.
    """

    until: str | None = None  # last day of the calibration period (None: a shipped log's own)
    end: str | None = None  # last day of the holdout (None: the log's last day)
    name: str | None = None  # the population option written (None: the log's file name)
    config_dir: str | None = None  # where population/<name>.yaml goes (None: the user dir)
    columns: ColumnsConfig = field(default_factory=ColumnsConfig)
    margin: float = bounded(0.3, 0.0, 1.0, hi_open=True)  # gross margin share: cost = (1-m) price
    trials: int = bounded(150, 4, cap=100_000)
    scale: int | None = bounded(None, 1, cap=1_000, nullable=True)  # None: `auto_scale`
    replications: int = bounded(6, 2, cap=10_000)  # runs for the forecast and the uncertainty
    sampler: str = one_of("tpe", "tpe", "cmaes")
    sampler_seed: int = bounded(0, 0, cap=MAX_NUMPY_SEED)
    n_jobs: int = bounded(2, 1, cap=4096)
    complaints: str | None = None  # the firm's complaints, one row each (None: no stage 3 for k)
    surveys: str | None = None  # the firm's survey answers, one row each (None: none for m)
    failure_rate: float | None = bounded(None, 0.0, 1.0, lo_open=True, nullable=True)
