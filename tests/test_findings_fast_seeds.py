"""A fast finding holds at its size on any seed: the fast variants on two more base seeds.

The fast tests (tests/test_findings_*.py) run every finding at its fast-test size
(`finding.fast`) on base seed 0. For the findings whose fast checks were within
seed noise of their bars, seeds 1000 and 4000 (where some check failed at the
former fast sizes) must pass every fast check too.
"""

import pytest

from custsim.experiments.findings.records import run_finding

FINDINGS = ["reference_asymmetry", "promotion_erosion", "hilo_vs_edlp", "bass_diffusion"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1000, 4000])
@pytest.mark.parametrize("name", FINDINGS)
def test_fast_checks_hold_on_other_seeds(name, seed):
    result = run_finding(name, fast=True, overrides=[f"seed={seed}"], n_jobs=2)
    assert result.fast and result.checks
    assert result.passed, result.checks_frame().to_string()
