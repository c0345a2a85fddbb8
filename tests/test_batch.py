"""The batch runner: derived configs equal composed ones; results do not depend on workers."""

from __future__ import annotations

import os
import signal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custsim.experiments import batch, workers
from custsim.experiments.batch import Base, Failed, run_batch
from custsim.sim.config import ConfigError
from custsim.sim.faults import FAIL_ON_SEED_ENV
from custsim.sim.runner import RunResult, simulate
from custsim.sim.testing import compose_config

BASE = ("population.size=600", "steps=30", "progress=off")


@pytest.fixture(scope="module")
def base() -> Base:
    return Base(BASE)


def focal_margin(run: RunResult) -> float:
    """A reducer: the focal firm's margin."""
    return float(run.firm_kpis.set_index("firm").loc[run.model.cfg.market.focal, "margin"])


@settings(max_examples=8, deadline=None)
@given(
    price=st.floats(5.0, 12.0, allow_nan=False).map(lambda v: round(v, 3)),
    size=st.integers(50, 5000),
    loss_aversion=st.floats(0.0, 5.0).map(lambda v: round(v, 3)),
)
def test_a_derived_config_equals_hydras_composition(price, size, loss_aversion):
    values = {
        "market.firms.A.price": price,
        "population.size": size,
        "population.traits.loss_aversion.mean": loss_aversion,
    }
    composed = compose_config(*BASE, *(f"{k}={v}" for k, v in values.items()))
    assert Base(BASE).derive(values) == composed


def test_overrides_of_any_kind_compose_like_the_command_line(base):
    for extra in (
        ["market.firms.B.quality=2.5", "network.kind=none"],
        ["policy=hi_lo", "policy.depth=0.3"],  # a group option: composed by Hydra
        ["+policy@market.firms.B.policy=hi_lo"],
    ):
        assert base.compose(extra) == compose_config(*BASE, *extra), extra
    assert base.compose(["steps=40"]).steps == 40 and base.config.steps == 30  # base unchanged


def test_a_bad_derived_value_is_one_line_naming_the_key(base):
    with pytest.raises(ConfigError, match=r"^market\.firms\.A\.price=-1\.0: must be > 0$"):
        base.derive({"market.firms.A.price": -1.0})
    with pytest.raises(ConfigError, match=r"^policy\.depth=0\.3: no such key in the composed"):
        base.derive({"policy.depth": 0.3})  # edlp has no depth: select policy=hi_lo first


@pytest.fixture
def eager_workers(monkeypatch):
    """Workers for any batch, however short (the real rule waits for work worth starting them)."""
    monkeypatch.setattr(batch, "WORKER_START_SECONDS", 0.0)


def test_results_equal_one_run_at_a_time_on_any_number_of_workers(base, eager_workers):
    cfgs = [base.derive({"seed": s, "market.firms.A.price": 7.0 + s / 4}) for s in range(5)]
    alone = [focal_margin(simulate(cfg)) for cfg in cfgs]
    assert run_batch(cfgs, focal_margin, n_jobs=1) == alone
    assert run_batch(cfgs, focal_margin, n_jobs=2) == alone
    assert len(set(alone)) == len(alone)  # the five configs really differ


def fresh_workers() -> None:
    """Stop the warm workers: they keep the environment they were forked with."""
    workers.shutdown()


def test_a_failing_run_is_recorded_in_its_place_and_the_others_are_kept(
    base, monkeypatch, eager_workers
):
    monkeypatch.setenv(FAIL_ON_SEED_ENV, "2")  # the test hook: the run of seed 2 raises
    cfgs = [base.derive({"seed": s}) for s in range(4)]
    fresh_workers()
    try:
        for n_jobs in (1, 2):
            out = run_batch(cfgs, focal_margin, n_jobs=n_jobs)
            assert [isinstance(r, Failed) for r in out] == [False, False, True, False]
            assert out[2].error.startswith("RuntimeError: CUSTSIM_FAIL_ON_SEED=2: injected")
            assert all(isinstance(r, float) for i, r in enumerate(out) if i != 2)
    finally:
        fresh_workers()


def margin_unless_seed_2_kills_its_worker(run: RunResult) -> float:
    """A reducer whose run of seed 2 kills the process it runs in (as the OOM killer would)."""
    if run.model.cfg.seed == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return focal_margin(run)


def test_a_run_that_kills_its_worker_fails_alone_and_the_others_are_kept(base, eager_workers):
    cfgs = [base.derive({"seed": s}) for s in range(6)]
    alone = [focal_margin(simulate(cfg)) for cfg in cfgs]
    try:
        out = run_batch(cfgs, margin_unless_seed_2_kills_its_worker, n_jobs=2)
    finally:
        fresh_workers()
    assert isinstance(out[2], Failed) and out[2].error.startswith("worker died")
    assert [r for i, r in enumerate(out) if i != 2] == [r for i, r in enumerate(alone) if i != 2]
    assert run_batch(cfgs[:2], focal_margin, n_jobs=2) == alone[:2]  # a fresh pool works


def test_progress_sees_every_finished_run(base):
    seen = []

    def count(stream):
        for item in stream:
            seen.append(item)
            yield item

    out = run_batch([base.derive({"seed": s}) for s in range(3)], focal_margin, progress=count)
    assert seen == out and len(out) == 3


def test_workers_start_only_for_work_worth_their_start(base, monkeypatch):
    monkeypatch.setattr(batch, "_workers_started", False)
    short = [base.config] * 4  # 4 x 30 days x 600 customers: a fraction of a second
    assert batch.estimated_seconds(short) == pytest.approx(
        4 * 30 * (batch.DAY_SECONDS + 600 * batch.CUSTOMER_DAY_SECONDS)
    )
    assert not batch.use_workers(short, 2)
    big = [base.derive({"population.size": 200_000, "steps": 365})] * 2
    assert batch.estimated_seconds(big) > 2 * batch.WORKER_START_SECONDS
    assert batch.use_workers(big, 2) and not batch.use_workers(big, 1)
    assert not batch.use_workers(big[:1], 2)  # one run: nothing to share
    monkeypatch.setattr(batch, "_workers_started", True)  # warm workers take any batch
    assert batch.use_workers(short, 2)


def _apply_inherited(context, i):
    """A `map_forked` task: the context is a local function, which pickle cannot send."""
    return context(i)


@pytest.mark.skipif(workers.start_method() != "fork", reason="forked workers: Linux only")
def test_forked_workers_inherit_what_does_not_pickle_and_keep_order():
    offset = 100
    assert workers.map_forked(_apply_inherited, 7, 2, lambda i: i * i + offset) == [
        i * i + offset for i in range(7)
    ]
