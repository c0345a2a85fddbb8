"""Figures of an in-market A/B test (`custsim-abtest`).

One PNG, `abtest.png`: per metric, the firm's measured lift against the true total
effect, one point per replication with the firm's 95% interval, per network and
design (the diagonal is no bias). Object API, the Okabe-Ito palette of
:mod:`custsim.experiments.plots`; closed once saved.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from custsim.experiments.abtest.analysis import METRICS, Z95
from custsim.experiments.plots import PALETTE, closing_figure, save_png

MARKERS = {"customer": "o", "cluster": "s"}


def plot_abtest(table: pd.DataFrame, reps: pd.DataFrame, out_dir: Path) -> list[Path]:
    """`out_dir/abtest.png`: measured vs true lift per replication (see the module doc)."""
    networks = list(dict.fromkeys(reps["network"]))
    colors = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(networks)}
    with closing_figure(ncols=len(METRICS), figsize=(5.2 * len(METRICS), 4.6)) as (fig, axes):
        for ax, metric in zip(np.atleast_1d(axes), METRICS, strict=True):
            rows = reps[reps["metric"] == metric]
            for (network, design), g in rows.groupby(["network", "design"], sort=False):
                inter = table.set_index(["network", "design", "metric"]).loc[
                    (network, design, metric), "interference"
                ]
                ax.errorbar(
                    g["true"],
                    g["lift"],
                    yerr=Z95 * g["se"],
                    fmt=MARKERS.get(str(design), "o"),
                    color=colors[network],
                    alpha=0.75,
                    capsize=2,
                    label=f"{network}, {design} (interference {inter:+.2f})",
                )
            lo = float(np.nanmin([rows["true"].min(), (rows["lift"] - Z95 * rows["se"]).min()]))
            hi = float(np.nanmax([rows["true"].max(), (rows["lift"] + Z95 * rows["se"]).max()]))
            ax.plot([lo, hi], [lo, hi], color="0.5", lw=1, ls="--", label="no bias")
            ax.set_xlabel(f"true total effect on {metric} per customer")
            ax.set_ylabel(f"measured lift (treated - holdout), {metric}")
            ax.set_title(f"{metric}: the firm's A/B test vs the truth")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        return [save_png(fig, out_dir / "abtest.png")]
