"""The collaboration network and the clusters that emerge from it.

Two organisations are linked while they share an active partnership. A cluster is
a connected group of at least three collaborating organisations (003 §2.1: a
cluster is a collaboration of two or more firms with suppliers, customers and/or
knowledge institutions; three keeps pairs out).

The model measures the network every month, so `group_statistics` computes the
statistics with sparse matrices; `network_statistics` computes the same figures
on a networkx graph (for the dashboard and for checking the fast path).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain, combinations

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

MIN_CLUSTER_SIZE = 3


def collaboration_graph(n_organisations: int, groups: Iterable[list[int]]) -> nx.Graph:
    """Organisations as nodes, an edge per pair sharing a group, weighted by groups shared."""
    graph = nx.Graph()
    graph.add_nodes_from(range(n_organisations))
    for members in groups:
        for i, j in combinations(members, 2):
            if graph.has_edge(i, j):
                graph[i][j]["weight"] += 1
            else:
                graph.add_edge(i, j, weight=1)
    return graph


def network_statistics(graph: nx.Graph) -> dict[str, float]:
    """Density, clustering and components of the network's collaborating part."""
    active = graph.subgraph([v for v, d in graph.degree() if d > 0])
    n = graph.number_of_nodes()
    components = [len(c) for c in nx.connected_components(active)]
    clusters = [size for size in components if size >= MIN_CLUSTER_SIZE]
    return {
        "network_density": float(nx.density(graph)) if n > 1 else 0.0,
        "network_clustering": nx.average_clustering(active) if len(active) else 0.0,
        "largest_component_share": max(components, default=0) / n if n else 0.0,
        "clusters": float(len(clusters)),
        "mean_cluster_size": sum(clusters) / len(clusters) if clusters else 0.0,
    }


def group_statistics(n_organisations: int, groups: Sequence[Sequence[int]]) -> dict[str, float]:
    """`network_statistics` of the groups' collaboration graph, equal to the last bit.

    Sums run in the order networkx uses, so the figures are bit-identical to it.
    """
    n = n_organisations
    i, j = _pairs_within(groups)
    if len(i) == 0:
        return {
            "network_density": 0.0,
            "network_clustering": 0.0,
            "largest_component_share": 0.0,
            "clusters": 0.0,
            "mean_cluster_size": 0.0,
        }
    upper = sparse.coo_matrix((np.ones(len(i)), (np.minimum(i, j), np.maximum(i, j))), (n, n))
    upper = upper.tocsr()  # duplicates summed: one entry per linked pair
    edges = upper.nnz
    adjacency = upper + upper.T
    adjacency.data[:] = 1.0
    degree = np.diff(adjacency.indptr)
    active = np.flatnonzero(degree)
    # Closed walks of length three: twice the triangles through each node.
    twice_triangles = np.asarray((adjacency @ adjacency).multiply(adjacency).sum(axis=1)).ravel()
    d = degree[active].astype(float)
    t = twice_triangles[active]
    coefficient = np.zeros(len(active))
    closed = t > 0
    coefficient[closed] = t[closed] / (d[closed] * (d[closed] - 1))
    total = sum(coefficient[_networkx_order(active, n)].tolist())
    # Organisations without partners are components of one: neither the largest nor clusters.
    _, labels = connected_components(adjacency, directed=False)
    components = np.bincount(labels)
    clusters = components[components >= MIN_CLUSTER_SIZE]
    density = edges / (n * (n - 1)) * 2 if n > 1 else 0.0
    return {
        "network_density": density,
        "network_clustering": total / len(active),
        "largest_component_share": int(components.max()) / n,
        "clusters": float(len(clusters)),
        "mean_cluster_size": int(clusters.sum()) / len(clusters) if len(clusters) else 0.0,
    }


def _pairs_within(groups: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Both ends of every pair of members within each group, groups of one size at a time."""
    sizes = np.fromiter(map(len, groups), np.int64, len(groups))
    members = np.fromiter(chain.from_iterable(groups), np.int64, int(sizes.sum()))
    starts = np.cumsum(sizes) - sizes
    ends: list[tuple[np.ndarray, np.ndarray]] = []
    for size in np.unique(sizes[sizes >= 2]).tolist():
        group = members[starts[sizes == size, None] + np.arange(size)]
        first, second = np.triu_indices(size, 1)
        ends.append((group[:, first].ravel(), group[:, second].ravel()))
    if not ends:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate([e[0] for e in ends]), np.concatenate([e[1] for e in ends])


def _networkx_order(active: np.ndarray, n: int) -> np.ndarray:
    """Positions in `active` in the order networkx visits an induced subgraph's nodes.

    A subgraph view iterates the set of its nodes when they are fewer than half the
    graph, else the graph's own (ascending) order; floating sums depend on the order.
    """
    if 2 * len(active) >= n:
        return np.arange(len(active))
    visited = np.fromiter(set(active.tolist()), np.int64, len(active))
    return np.searchsorted(active, visited)  # `active` is sorted
