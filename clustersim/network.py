"""The collaboration network and the clusters that emerge from it.

Two organisations are linked while they share an active partnership. A cluster is
a connected group of at least three collaborating organisations (003 §2.1: a
cluster is a collaboration of two or more firms with suppliers, customers and/or
knowledge institutions; three keeps pairs out).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations

import networkx as nx

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
        "network_density": nx.density(graph) if n > 1 else 0.0,
        "network_clustering": nx.average_clustering(active) if len(active) else 0.0,
        "largest_component_share": max(components, default=0) / n if n else 0.0,
        "clusters": float(len(clusters)),
        "mean_cluster_size": sum(clusters) / len(clusters) if clusters else 0.0,
    }
