"""Social kernels: neighbour scatter against a dense adjacency product."""

import numpy as np

from custsim.agents.social import add_to_neighbours, cells, edges_from, recency_increment
from custsim.sim.network import from_edges


def _graph():
    # 0-1, 0-2, 1-2, 2-3, 3-4
    return from_edges(5, np.array([0, 0, 1, 2, 3]), np.array([1, 2, 2, 3, 4]))


def test_edges_from_lists_every_neighbour_of_each_source():
    g = _graph()
    src, tgt = edges_from(g.indptr, g.indices, np.array([2, 4]))
    pairs = sorted(zip(src.tolist(), tgt.tolist(), strict=True))
    assert pairs == [(0, 0), (0, 1), (0, 3), (1, 3)]


def test_scatter_equals_dense_adjacency_product():
    g = _graph()
    dense = g.to_scipy().toarray()
    sources, brands = np.array([0, 2, 3]), np.array([1, 0, 1])
    amounts = np.array([0.5, 2.0, -1.0])
    signal = np.zeros((2, 5))  # (J, n)
    src, tgt = edges_from(g.indptr, g.indices, sources)
    add_to_neighbours(signal, cells(brands[src], tgt, 5), amounts[src])
    sent = np.zeros((2, 5))
    sent[brands, sources] = amounts
    np.testing.assert_allclose(signal, sent @ dense.T)


def test_repeated_targets_accumulate():
    g = _graph()
    out = np.zeros((1, 5))
    _, tgt = edges_from(g.indptr, g.indices, np.array([0, 1]))
    add_to_neighbours(out, cells(np.zeros(len(tgt), dtype=np.int64), tgt, 5), np.ones(len(tgt)))
    assert out[0, 2] == 2.0  # node 2 neighbours both 0 and 1


def test_incremental_recency_signal_equals_direct_formula():
    """Decay-then-increment keeps S_kj = sum_i A_ki (1 - d)^(t - L_ij), exactly."""
    g, decay, rng = _graph(), 0.1, np.random.default_rng(3)
    n, j = 5, 2
    signal = np.zeros((j, n))
    last = np.full((j, n), -np.inf)
    for day in range(1, 40):
        signal *= 1 - decay
        buyers = np.flatnonzero(rng.random(n) < 0.3)
        brand = rng.integers(0, j, len(buyers))
        fresh = recency_increment(last[brand, buyers], day, decay)
        src, tgt = edges_from(g.indptr, g.indices, buyers)
        add_to_neighbours(signal, cells(brand[src], tgt, n), fresh[src])
        last[brand, buyers] = day
    direct = np.power(1 - decay, day - last) @ g.to_scipy().toarray().T
    np.testing.assert_allclose(signal, direct, rtol=1e-10, atol=1e-12)
