"""The `threads` key: the shelf stage on several threads writes the same bytes as on one."""

from itertools import pairwise

import pytest

from custsim.sim import threads
from custsim.sim.config import ConfigError
from custsim.sim.runner import simulate
from custsim.sim.testing import compose_config, small_config

FILES = ("timeseries.parquet", "customers.parquet", "kpis.json")


@pytest.mark.parametrize(
    "setting",
    [
        [],
        ["policy=hi_lo", "precision=float32"],
        ["market=new_product", "policy=points_2x_weekend"],  # launch awareness, points term
    ],
)
def test_results_are_byte_identical_for_any_thread_count(tmp_path, setting):
    for n in (1, 2, 3):
        simulate(
            small_config("steps=40", "plots=false", f"threads={n}", *setting), tmp_path / f"{n}"
        )
    for n in (2, 3):
        for f in FILES:
            assert (tmp_path / "1" / f).read_bytes() == (tmp_path / f"{n}" / f).read_bytes(), (n, f)


def test_chunks_cover_the_shoppers_in_order():
    for m, workers in [(0, 2), (1, 2), (5, 2), (10, 3), (150_000, 2)]:
        ranges = threads.chunks(m, workers)
        assert ranges[0].start == 0 and ranges[-1].stop == m
        assert all(a.stop == b.start for a, b in pairwise(ranges))
        assert len(ranges) == max(1, min(workers, m))


def test_auto_is_one_thread_and_a_number_is_kept():
    assert threads.thread_count(0) == threads.AUTO_THREADS == 1
    assert threads.thread_count(2) == 2
    assert compose_config().threads == 0


@pytest.mark.parametrize(
    ("value", "line"),
    [("-1", "threads=-1: must be >= 0"), ("1000", "threads=1000: must be <= 256")],
)
def test_a_bad_thread_count_is_one_line(value, line):
    with pytest.raises(ConfigError) as err:
        compose_config(f"threads={value}")
    assert str(err.value) == line
