"""The social network as a picture: a few hundred customers coloured by the brand they last bought.

Drawing thousands of nodes says nothing in a classroom and a spring layout of
10^4 nodes takes minutes, so the view is a neighbourhood: the `max_nodes`
customers closest (breadth-first) to customer 0, with the links among them,
laid out once per model (networkx spring layout, seeded) and recoloured every
render from the model's public state (`last_brand`, `active`).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from numpy.typing import NDArray
from scipy.sparse.csgraph import breadth_first_order

from custsim.sim.network import Graph

NEVER_BOUGHT = "#d0d0d0"


@dataclass(frozen=True)
class NetworkView:
    """A sample of customers, the links among them and fixed positions for drawing."""

    nodes: NDArray[np.int64]  # customer rows shown
    edges: NDArray[np.int64]  # (m, 2) positions (into `nodes`) of linked pairs
    xy: NDArray[np.float64]  # (len(nodes), 2) layout


def neighbourhood(graph: Graph, max_nodes: int) -> NDArray[np.int64]:
    """Up to `max_nodes` rows: breadth-first from row 0, then the next rows (isolates)."""
    n = graph.n
    adjacency = sp.csr_matrix((np.ones(len(graph.indices)), graph.indices, graph.indptr), (n, n))
    reached = breadth_first_order(adjacency, 0, directed=False, return_predecessors=False)
    chosen = reached[:max_nodes]
    if len(chosen) < min(max_nodes, n):
        rest = np.setdiff1d(np.arange(n), chosen, assume_unique=False)
        chosen = np.concatenate([chosen, rest[: max_nodes - len(chosen)]])
    return chosen.astype(np.int64)


def induced_edges(graph: Graph, nodes: NDArray[np.int64]) -> NDArray[np.int64]:
    """Edges among `nodes`, each once, as positions into `nodes`."""
    position = np.full(graph.n, -1, dtype=np.int64)
    position[nodes] = np.arange(len(nodes))
    pairs = []
    for i, row in enumerate(nodes):
        neighbours = position[graph.indices[graph.indptr[row] : graph.indptr[row + 1]]]
        pairs.extend((i, int(j)) for j in neighbours if j > i)
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def sample_view(graph: Graph, max_nodes: int, seed: int) -> NetworkView:
    """The drawn neighbourhood of `graph` with a seeded spring layout."""
    nodes = neighbourhood(graph, max_nodes)
    edges = induced_edges(graph, nodes)
    g = nx.Graph()
    g.add_nodes_from(range(len(nodes)))
    g.add_edges_from(map(tuple, edges))
    layout = nx.spring_layout(g, seed=seed, iterations=60) if len(edges) else _grid(len(nodes))
    xy = np.array([layout[i] for i in range(len(nodes))], dtype=np.float64)
    return NetworkView(nodes, edges, xy)


def _grid(n: int) -> dict[int, NDArray[np.float64]]:
    """Positions on a square grid (a network without links)."""
    side = max(int(np.ceil(np.sqrt(n))), 1)
    return {i: np.array([i % side, i // side], dtype=np.float64) for i in range(n)}


def draw_network(
    ax: Axes,
    view: NetworkView,
    last_brand: NDArray[np.integer],
    active: NDArray[np.bool_],
    firm_names: tuple[str, ...],
    colours: dict[str, str],
) -> None:
    """Draw the view: links in grey, customers coloured by last brand, lapsed ones hollow."""
    segments = view.xy[view.edges]  # (m, 2 ends, 2 coordinates)
    ax.add_collection(LineCollection(segments, colors="#bbbbbb", linewidths=0.4, zorder=1))
    brand = last_brand[view.nodes]
    palette = np.array([colours[f] for f in firm_names] + [NEVER_BOUGHT])
    fill = palette[np.where(brand >= 0, brand, len(firm_names))]
    live = active[view.nodes]
    ax.scatter(*view.xy[live].T, s=22, c=fill[live], edgecolors="white", linewidths=0.3, zorder=2)
    ax.scatter(*view.xy[~live].T, s=22, facecolors="none", edgecolors=fill[~live], zorder=2)
    handles = [Line2D([], [], marker="o", ls="", color=colours[f], label=f) for f in firm_names]
    handles.append(Line2D([], [], marker="o", ls="", color=NEVER_BOUGHT, label="not yet"))
    handles.append(Line2D([], [], marker="o", ls="", mfc="none", color="grey", label="lapsed"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7,
              title="last bought", title_fontsize=7)  # fmt: skip
    ax.set_axis_off()
