"""Behavioural tests for sim.network against closed forms of the random-graph models."""

import time

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from custsim.sim import network as nw

KINDS = ["erdos_renyi", "watts_strogatz", "barabasi_albert"]


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def assert_simple_csr(g: nw.Graph, n: int) -> None:
    """Symmetric simple graph in canonical CSR form."""
    assert g.n == n
    assert g.indptr.dtype == np.int64 and g.indptr.shape == (n + 1,)
    assert g.indices.dtype == np.int32 and g.indices.shape == (2 * g.n_edges,)
    assert g.indptr[0] == 0 and np.all(np.diff(g.indptr) >= 0)
    assert g.indptr[-1] == g.indices.size
    assert g.degree.dtype == np.int64 and g.degree.sum() == 2 * g.n_edges
    rows = np.repeat(np.arange(n), g.degree)
    assert np.all((g.indices >= 0) & (g.indices < n))
    assert not np.any(g.indices == rows), "self-loop"
    same_row = rows[1:] == rows[:-1]
    assert np.all(np.diff(g.indices.astype(np.int64))[same_row] > 0), "unsorted or duplicate"
    a = g.to_scipy()
    assert a.dtype == np.float32 and a.shape == (n, n)
    assert (a != a.T).nnz == 0, "not symmetric"
    if n:
        assert g.mean_degree == pytest.approx(g.degree.mean())


def dense_clustering(g: nw.Graph) -> np.ndarray:
    a = g.to_scipy().toarray().astype(np.int64)
    closed = np.diag(a @ a @ a)
    d = a.sum(axis=1)
    wedges = d * (d - 1)
    return np.divide(closed, wedges, out=np.zeros(g.n), where=wedges > 0)


# --- structure -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["none", *KINDS])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 50, 3000])
def test_invariants_every_kind(kind: str, n: int) -> None:
    if kind == "watts_strogatz" and n == 2:  # the ring needs k = 2 < n
        with pytest.raises(ValueError, match="mean_degree"):
            nw.build_network(kind, n, 0.5, 0.3, rng())
        return
    g = nw.build_network(kind, n, min(6.0, max(n - 1.5, 0.0)), 0.3, rng(n))
    assert_simple_csr(g, n)
    if kind == "none" or n < 2:
        assert g.n_edges == 0


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(["none", *KINDS]),
    n=st.integers(0, 60),
    degree=st.floats(0, 1),
    p=st.floats(0, 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_invariants_property(kind: str, n: int, degree: float, p: float, seed: int) -> None:
    mean_degree = degree * max(n - 1, 0)
    if kind == "watts_strogatz" and n >= 2:
        assume(max(2, 2 * round(mean_degree / 2)) < n)
    g = nw.build_network(kind, n, mean_degree, p, rng(seed))
    assert_simple_csr(g, n)
    if kind == "barabasi_albert" and n >= 2:
        m = max(1, round(mean_degree / 2))
        assert g.degree.min() >= m
        assert g.n_edges == m * (m + 1) // 2 + m * (n - m - 1)
    if kind == "watts_strogatz" and n >= 2:
        k = max(2, 2 * round(mean_degree / 2))
        assert g.n_edges <= n * k // 2  # dense rings may drop unplaceable rewired edges
        if p == 0 or 4 * k <= n:
            assert n * k // 2 - g.n_edges <= max(1, n * k // 2000)


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 30),
    pairs=st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=120),
)
def test_from_edges_matches_set_reference(n: int, pairs: list[tuple[int, int]]) -> None:
    pairs = [(u % n, v % n) for u, v in pairs]
    src = np.array([u for u, _ in pairs], dtype=np.int64)
    dst = np.array([v for _, v in pairs], dtype=np.int64)
    g = nw.from_edges(n, src, dst)
    assert_simple_csr(g, n)
    expected = {(u, v) for u, v in pairs if u != v} | {(v, u) for u, v in pairs if u != v}
    for i in range(n):
        assert g.neighbours(i).tolist() == sorted(v for u, v in expected if u == i)


def test_from_edges_example() -> None:
    g = nw.from_edges(4, np.array([0, 1, 2, 2, 3]), np.array([1, 0, 2, 0, 2]))
    assert g.indptr.tolist() == [0, 2, 3, 5, 6]
    assert g.indices.tolist() == [1, 2, 0, 0, 3, 2]
    assert g.n_edges == 3 and g.degree.tolist() == [2, 1, 2, 1]
    assert g.neighbours(2).tolist() == [0, 3]
    with pytest.raises(IndexError):
        g.neighbours(4)


def test_empty() -> None:
    for n in (0, 1, 7):
        g = nw.empty(n)
        assert_simple_csr(g, n)
        assert g.n_edges == 0 and g.mean_degree == 0.0


# --- clustering ------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), p=st.floats(0, 1), seed=st.integers(0, 2**32 - 1))
def test_clustering_matches_dense_reference(n: int, p: float, seed: int) -> None:
    g = nw.erdos_renyi(n, p * (n - 1), rng(seed))
    local = dense_clustering(g)
    assert nw.clustering_coefficient(g) == pytest.approx(local.mean())
    nodes = np.arange(0, n, 3)
    assert nw.clustering_coefficient(g, nodes) == pytest.approx(local[nodes].mean())


def test_clustering_closed_forms() -> None:
    complete = nw.erdos_renyi(12, 11, rng())
    assert complete.n_edges == 66
    assert nw.clustering_coefficient(complete) == 1.0
    star = nw.from_edges(6, np.zeros(5, dtype=np.int64), np.arange(1, 6))
    assert nw.clustering_coefficient(star) == 0.0
    assert nw.clustering_coefficient(nw.empty(0)) == 0.0


def test_clustering_sampled_nodes_is_fast() -> None:
    g = nw.barabasi_albert(100_000, 5, rng())
    nodes = rng(1).choice(g.n, 2000, replace=False)
    start = time.perf_counter()
    c = nw.clustering_coefficient(g, nodes)
    assert time.perf_counter() - start < 1.0
    assert 0.0 < c < 0.02


# --- Erdos-Renyi -----------------------------------------------------------------------


def test_erdos_renyi_degree_distribution() -> None:
    n, k = 20_000, 10.0
    p = k / (n - 1)
    g = nw.erdos_renyi(n, k, rng())
    d = g.degree
    assert d.mean() == pytest.approx(k, rel=0.02)
    assert d.var() == pytest.approx((n - 1) * p * (1 - p), rel=0.10)
    assert (d == 0).sum() <= 10  # expected n * exp(-10) ~ 0.9 isolated nodes
    pmf = stats.binom.pmf(np.arange(d.max() + 1), n - 1, p)
    assert 0.5 * np.abs(np.bincount(d) / n - pmf).sum() < 0.03  # total variation
    pairs = n * (n - 1) / 2
    assert abs(g.n_edges - pairs * p) < 5 * np.sqrt(pairs * p * (1 - p))


def test_erdos_renyi_clustering_is_p() -> None:
    g = nw.erdos_renyi(2000, 100, rng())
    assert nw.clustering_coefficient(g) == pytest.approx(100 / 1999, rel=0.1)


# --- Watts-Strogatz --------------------------------------------------------------------


def test_watts_strogatz_lattice() -> None:
    n, k = 20_000, 10
    g = nw.watts_strogatz(n, k, 0.0, rng())
    assert np.all(g.degree == k) and g.n_edges == n * k // 2
    assert g.neighbours(0).tolist() == [1, 2, 3, 4, 5, n - 5, n - 4, n - 3, n - 2, n - 1]
    assert nw.clustering_coefficient(g) == pytest.approx(3 * (k - 2) / (4 * (k - 1)), abs=1e-12)


@pytest.mark.parametrize("p", [0.1, 1.0])
def test_watts_strogatz_rewired(p: float) -> None:
    n, k = 20_000, 10
    g = nw.watts_strogatz(n, k, p, rng())
    assert abs(g.n_edges - n * k / 2) <= 0.001 * n * k / 2
    c0 = 3 * (k - 2) / (4 * (k - 1))
    c = nw.clustering_coefficient(g)
    if p < 1:
        assert c == pytest.approx(c0 * (1 - p) ** 3, rel=0.05)  # Barrat & Weigt (2000)
    else:
        assert c < 0.01
    rows = np.repeat(np.arange(n), g.degree)
    ring = np.abs(rows - g.indices)
    shortcuts = np.count_nonzero(np.minimum(ring, n - ring) > k // 2) // 2
    expected = p * n * k / 2 * (1 - k / (n - 1))  # a moved end rarely lands in the lattice
    assert abs(shortcuts - expected) < 5 * np.sqrt(n * k / 2 * p * (1 - p)) + 5


# --- Barabasi-Albert -------------------------------------------------------------------


def test_barabasi_albert_degrees() -> None:
    n, m = 50_000, 5
    g = nw.barabasi_albert(n, m, rng())
    d = g.degree
    assert d.min() >= m
    assert d.mean() == pytest.approx(2 * m, rel=0.03)
    assert d.max() > 20 * d.mean()
    tail = d[d >= 20]  # discrete power-law MLE (Clauset, Shalizi & Newman 2009)
    gamma = 1 + tail.size / np.log(tail / 19.5).sum()
    assert 2.5 < gamma < 3.5
    assert np.mean(d == m) == pytest.approx(2 / (m + 2), abs=0.015)  # P(k) = 2m(m+1)/k(k+1)(k+2)


def test_barabasi_albert_growth() -> None:
    n, m = 50_000, 5
    g = nw.barabasi_albert(n, m, rng(3))
    rows = np.repeat(np.arange(n), g.degree)
    older = np.bincount(rows[g.indices < rows], minlength=n)
    assert np.all(older[m + 1 :] == m)  # every new node links to m distinct earlier nodes
    assert older[: m + 1].tolist() == list(range(m + 1))  # seed clique
    early = np.arange(100, 1000)  # E k_i(n) = m sqrt(n / i)
    assert g.degree[early].sum() == pytest.approx((m * np.sqrt(n / early)).sum(), rel=0.1)


# --- determinism -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_determinism(kind: str) -> None:
    a = nw.build_network(kind, 5000, 8, 0.2, rng(7))
    b = nw.build_network(kind, 5000, 8, 0.2, rng(7))
    c = nw.build_network(kind, 5000, 8, 0.2, rng(8))
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert a == b and a != c
    assert not np.array_equal(a.indices, c.indices)


# --- argument checking -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: nw.build_network("erdos_renyi", 100, -1, 0.1, rng()), "network.mean_degree=-1"),
        (lambda: nw.build_network("erdos_renyi", 100, float("nan"), 0, rng()), "mean_degree"),
        (lambda: nw.build_network("watts_strogatz", 100, 4, 1.5, rng()), "network.rewire_p=1.5"),
        (lambda: nw.build_network("watts_strogatz", 100, 4, -0.1, rng()), "rewire_p"),
        (lambda: nw.build_network("barabasi_albert", 100, 100, 0, rng()), "mean_degree=100"),
        (lambda: nw.build_network("erdos_renyi", -5, 4, 0.1, rng()), "network.n=-5"),
        (lambda: nw.build_network("erdos_renyi", 10.5, 4, 0.1, rng()), "network.n=10.5"),
        (lambda: nw.empty(2**31), "network.n=2147483648"),
        (lambda: nw.erdos_renyi(10, 9.5, rng()), "network.mean_degree=9.5"),
        (lambda: nw.erdos_renyi(10, -2, rng()), "network.mean_degree=-2"),
        (lambda: nw.watts_strogatz(10, 3, 0.1, rng()), "network.mean_degree=3"),
        (lambda: nw.watts_strogatz(10, 10, 0.1, rng()), "network.mean_degree=10"),
        (lambda: nw.watts_strogatz(10, 0, 0.1, rng()), "network.mean_degree=0"),
        (lambda: nw.watts_strogatz(10, 4, 2.0, rng()), "network.rewire_p=2.0"),
        (lambda: nw.barabasi_albert(10, 0, rng()), "network.m=0"),
        (lambda: nw.barabasi_albert(10, 10, rng()), "network.m=10"),
        (lambda: nw.barabasi_albert(10, 2.5, rng()), "network.m=2.5"),
        (lambda: nw.from_edges(3, np.array([0, 3]), np.array([1, 1])), "src"),
        (lambda: nw.from_edges(3, np.array([0]), np.array([1, 2])), "same length"),
        (lambda: nw.clustering_coefficient(nw.empty(3), np.array([3])), "nodes"),
    ],
)
def test_bad_arguments(call, needle: str) -> None:
    with pytest.raises(ValueError, match=needle.replace(".", r"\.").replace("[", r"\[")):
        call()


def test_unknown_kind_lists_allowed() -> None:
    msg = "network.kind='xyz' is not one of: none, erdos_renyi, watts_strogatz, barabasi_albert"
    with pytest.raises(ValueError) as err:
        nw.build_network("xyz", 10, 2, 0.1, rng())
    assert str(err.value) == msg


def test_rng_must_be_generator() -> None:
    with pytest.raises(TypeError, match="Generator"):
        nw.erdos_renyi(10, 2, 42)  # type: ignore[arg-type]


def test_tiny_populations_give_empty_graphs() -> None:
    for kind in ["none", *KINDS]:
        for n in (0, 1):
            assert nw.build_network(kind, n, 10, 0.5, rng()) == nw.empty(n)
    assert nw.erdos_renyi(1, 10, rng()).n_edges == 0
    assert nw.barabasi_albert(1, 3, rng()).n_edges == 0
    assert nw.watts_strogatz(0, 4, 0.1, rng()).n_edges == 0


def test_build_network_parameter_mapping() -> None:
    ws = nw.build_network("watts_strogatz", 1000, 7.2, 0.0, rng())
    assert np.all(ws.degree == 8)
    ba = nw.build_network("barabasi_albert", 1000, 7.2, 0.0, rng())
    assert ba.degree.min() == 4 and ba.n_edges == 10 + 4 * 995
    assert np.all(nw.build_network("watts_strogatz", 1000, 0.4, 0.0, rng()).degree == 2)
    assert nw.build_network("none", 1000, 7.2, 0.0, rng()).n_edges == 0


# --- scale -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_million_nodes(kind: str) -> None:
    n = 1_000_000
    start = time.perf_counter()
    g = nw.build_network(kind, n, 10, 0.1, rng())
    seconds = time.perf_counter() - start
    megabytes = (g.indptr.nbytes + g.indices.nbytes) / 2**20
    print(f"{kind}: n={n} edges={g.n_edges} {seconds:.2f} s, arrays {megabytes:.1f} MiB")
    assert g.n == n and g.mean_degree == pytest.approx(10, rel=0.01)
    assert g.indptr[-1] == g.indices.size and np.all(np.diff(g.indptr) >= 0)
