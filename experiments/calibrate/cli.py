"""`custsim-calibrate`: fit a population to a firm's transaction log and prove it on a holdout.

custsim-calibrate data=cdnow_sample
custsim-calibrate data=transactions.csv calibrate.until=1997-09-30 calibrate.name=mystore
python -m custsim.experiments.calibrate data=cdnow_sample     # the same entry point

The fit, the forecasts and the files are the job's (`custsim.experiments.calibrate.job`:
Optuna, pandas and the engine), imported when the command runs, not with this module,
so that `--help` answers at once.
"""

from __future__ import annotations

from custsim.experiments.calibrate.settings import (
    CONFIG_NAME,
    MAX_SCALE,
    SHIPPED_UNTIL,
    SIMULATED_CUSTOMERS,
    CalibrateConfig,
)
from custsim.experiments.cli import format_help, tool_main

PROG = "custsim-calibrate"


def help_text() -> str:
    """`custsim-calibrate --help`: what it does, main options, examples."""
    d = CalibrateConfig()
    c = d.columns
    return format_help(
        usage=f"{PROG} data=LOG [calibrate.until=DATE] [calibrate.name=NAME] [KEY=VALUE ...]",
        description="""
        Calibrate a custsim population to a firm's transaction log (customer, date, amount)
        and check it on the days after calibrate.until, which the fit never sees. Stage 1
        fits BG/NBD and Gamma-Gamma by maximum likelihood; stage 2 fits custsim's own
        purchase process (occasion rates, dropout) so that simulated calibration statistics
        match the log's, by the simulated method of moments with Optuna on local workers.
        Writes population/NAME.yaml and market/NAME.yaml into the user config directory,
        so that `custsim population=NAME` and every other command run on the calibrated
        customers.
        """,
        options=[
            ("data=LOG", f"a .csv or .parquet log, or a shipped one: {', '.join(SHIPPED_UNTIL)}"),
            (
                "calibrate.until=DATE",
                "last day of the calibration period (shipped logs: their own)",
            ),
            ("calibrate.end=DATE", "last day of the holdout (default: the log's last day)"),
            ("calibrate.name=NAME", "the population option written (default: the log's file name)"),
            (
                "calibrate.columns.KEY=NAME",
                f"the log's columns: customer ({c.customer}), date ({c.date}), amount "
                f"({c.amount}), quantity ({c.quantity}, optional); score ({c.score}, surveys)",
            ),
            (
                "calibrate.complaints=FILE",
                "the firm's complaints, a row each (customer, date): stage 3 fits how often "
                "a failure is voiced (population.experience.complaint_propensity)",
            ),
            (
                "calibrate.surveys=FILE",
                "its survey answers (customer, date, score 0..10): stage 3 fits "
                "population.experience.survey_midpoint",
            ),
            (
                "calibrate.failure_rate=X",
                "share of its purchases whose service failed, in (0, 1] (its service "
                "records; needed with calibrate.complaints)",
            ),
            (
                "calibrate.config_dir=DIR",
                "where to write (default: $CUSTSIM_CONFIG_DIR or ~/.config/custsim)",
            ),
            ("calibrate.trials=INT", f"stage-2 trials (default {d.trials})"),
            (
                "calibrate.scale=INT",
                "simulated customers per customer of the log (default: about "
                f"{SIMULATED_CUSTOMERS:,} in all, at most {MAX_SCALE} each)",
            ),
            (
                "calibrate.replications=INT",
                f"runs of the forecast and the errors (default {d.replications})",
            ),
            ("calibrate.sampler=tpe|cmaes", f"Optuna's sampler (default {d.sampler})"),
            ("calibrate.margin=X", f"gross margin share of the store's price (default {d.margin})"),
            ("calibrate.n_jobs=INT", f"local workers (default {d.n_jobs})"),
            ("hydra.run.dir=DIR", "the output directory (default outputs/<date>/<time>)"),
        ],
        examples=[
            (f"{PROG} data=cdnow_sample", "the CDNOW sample: weeks 1-39 fit, weeks 40-78 held out"),
            (
                f"{PROG} data=sales.parquet calibrate.until=2024-06-30 calibrate.name=mystore "
                "calibrate.columns.customer=client_id calibrate.columns.amount=total",
                "your own log, your own column names",
            ),
            (
                "custsim population=mystore policy=loyalty_points",
                "then: a policy on your customers",
            ),
        ],
        notes=[
            """Several transactions of a customer on one day count as one (their amounts
            summed), as in the buy-till-you-die literature. Outputs in hydra.run.dir:
            report.md, plots/ (tracking, frequency, conditional expectations, spend, trials),
            tracking.csv, groups.csv, errors.csv, moments.csv, trials.parquet, voice.csv
            (with complaints or surveys) and, last, calibration.json.""",
        ],
    )


def main() -> None:
    """Console-script entry point: help, one-line config and data errors, Hydra."""
    tool_main(
        PROG, help_text, CONFIG_NAME, "custsim.experiments.calibrate.job", "check_calibration"
    )


if __name__ == "__main__":
    main()
