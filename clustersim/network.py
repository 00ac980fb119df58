"""The collaboration network and the clusters that emerge from it.

Two organisations are linked while they share an active partnership. A cluster is
a connected group of at least three collaborating organisations (003 §2.1: a
cluster is a collaboration of two or more firms with suppliers, customers and/or
knowledge institutions; three keeps pairs out).

The model measures the network every month, so `group_statistics` computes the
statistics with arrays over the collaborating organisations alone (dense while they
are few, sparse beyond); `network_statistics` computes the same figures on a
networkx graph (for the dashboard and for checking the fast path).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from itertools import chain, combinations

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

MIN_CLUSTER_SIZE = 3
# Collaborating organisations up to which the statistics use a dense boolean matrix:
# its cost grows with k times the edges, a sparse one's starts at about 0.3 ms;
# measured to cross near 384 on a 2-core AMD EPYC with groups of four. Set lower,
# because real partnerships overlap and so have more edges per organisation.
DENSE_LIMIT = 256
NETWORK_STATISTICS = (
    "network_density",
    "network_clustering",
    "largest_component_share",
    "clusters",
    "mean_cluster_size",
)


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

    About a third of a run's months change no partnership's members; their network is
    last month's, so the last few answers are remembered.
    """
    return dict(_statistics(n_organisations, tuple(map(tuple, groups))))


@functools.lru_cache(maxsize=4)
def _statistics(n_organisations: int, groups: tuple[tuple[int, ...], ...]) -> dict[str, float]:
    """`group_statistics`, worked out.

    The model measures its network every month, so this works on the collaborating
    organisations alone: a dense boolean matrix while they are few (common neighbours
    of each edge's ends, row against row), a sparse one beyond `DENSE_LIMIT` (`A @ A`,
    scipy's own loops). Neither uses BLAS, and both count exactly: the counts are small
    integers; the clustering coefficients are summed in the order networkx uses.
    """
    n = n_organisations
    i, j = _pairs_within(groups)
    if len(i) == 0:
        return dict.fromkeys(NETWORK_STATISTICS, 0.0)
    active = np.unique(np.concatenate((i, j)))  # everyone in a pair has a partner
    i, j = np.searchsorted(active, i), np.searchsorted(active, j)
    k = len(active)
    if k <= DENSE_LIMIT:
        adjacency = np.zeros((k, k), dtype=bool)
        adjacency[i, j] = adjacency[j, i] = True
        ends, others = np.nonzero(adjacency)  # each edge from both of its ends
        edges = len(ends) // 2
        degree = np.bincount(ends, minlength=k).astype(float)
        # Twice the triangles through a node: its neighbours' common neighbours with it.
        common = np.count_nonzero(adjacency[ends] & adjacency[others], axis=1)
        t = np.bincount(ends, weights=common, minlength=k)
        labels = _component_labels(i, j, k)
    else:
        ones = np.ones(2 * len(i))
        adjacency = sparse.csr_matrix((ones, (np.r_[i, j], np.r_[j, i])), (k, k))
        adjacency.data[:] = 1.0  # pairs sharing several groups: one edge
        edges = adjacency.nnz // 2
        degree = np.diff(adjacency.indptr).astype(float)
        t = np.asarray((adjacency @ adjacency).multiply(adjacency).sum(axis=1)).ravel()
        _, labels = connected_components(adjacency, directed=False)
    coefficient = np.zeros(k)
    closed = t > 0
    coefficient[closed] = t[closed] / (degree[closed] * (degree[closed] - 1))
    total = sum(coefficient[_networkx_order(active, n)].tolist())
    # Organisations without partners are components of one: neither the largest nor clusters.
    components = np.bincount(labels)
    clusters = components[components >= MIN_CLUSTER_SIZE]
    density = edges / (n * (n - 1)) * 2 if n > 1 else 0.0
    return {
        "network_density": density,
        "network_clustering": total / k,
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
        first, second = _upper_pairs(size)
        ends.append((group[:, first].ravel(), group[:, second].ravel()))
    if not ends:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if len(ends) == 1:
        return ends[0]
    return np.concatenate([e[0] for e in ends]), np.concatenate([e[1] for e in ends])


def _component_labels(i: np.ndarray, j: np.ndarray, k: int) -> np.ndarray:
    """A label per node, shared by exactly the nodes of a component: the smallest node
    each can reach, by passing labels along the edges (i, j) and jumping to labels'
    labels until nothing changes. Faster than scipy's for the few hundred the model has."""
    labels = np.arange(k)
    while True:
        low = np.minimum(labels[i], labels[j])
        passed = labels.copy()
        np.minimum.at(passed, i, low)
        np.minimum.at(passed, j, low)
        passed = passed[passed]
        if np.array_equal(passed, labels):  # every edge joins equal labels
            return labels
        labels = passed


@functools.cache
def _upper_pairs(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of every pair in a group of `size`: asked for every month, made once,
    and read-only, as every caller shares them."""
    first, second = np.triu_indices(size, 1)
    first.flags.writeable = second.flags.writeable = False
    return first, second


def _networkx_order(active: np.ndarray, n: int) -> np.ndarray:
    """Positions in `active` in the order networkx visits an induced subgraph's nodes.

    A subgraph view iterates the set of its nodes when they are fewer than half the
    graph, else the graph's own (ascending) order; floating sums depend on the order.
    """
    if 2 * len(active) >= n:
        return np.arange(len(active))
    visited = np.fromiter(set(active.tolist()), np.int64, len(active))
    return np.searchsorted(active, visited)  # `active` is sorted
