"""The road network as it stands at a moment: closures applied, shortest paths cached."""

from __future__ import annotations

import networkx as nx


class RoadNetwork:
    """An undirected road graph (``travel_h`` on each edge) with roads that close and reopen.

    Shortest travel times and paths are cached per (origin, set of closed roads), so repeated
    queries within one road state cost a dictionary look-up.
    """

    def __init__(self, graph: nx.Graph):
        self.base = graph
        self.closed: frozenset[frozenset[str]] = frozenset()
        self._view: nx.Graph = graph
        self._cache: dict[tuple[str, frozenset], tuple[dict[str, float], dict[str, list[str]]]] = {}

    def reopen_all(self) -> None:
        """Open every road (the shortest paths found stay cached)."""
        self._set(frozenset())

    def close(self, a: str, b: str) -> None:
        self._set(self.closed | {frozenset((a, b))})

    def open(self, a: str, b: str) -> None:
        self._set(self.closed - {frozenset((a, b))})

    def _set(self, closed: frozenset[frozenset[str]]) -> None:
        self.closed = closed
        blocked = {tuple(e) for e in closed}
        self._view = nx.restricted_view(self.base, [], blocked) if blocked else self.base

    def _search(self, origin: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        key = (origin, self.closed)
        if key not in self._cache:
            self._cache[key] = nx.single_source_dijkstra(self._view, origin, weight="travel_h")
        return self._cache[key]

    def travel_h(self, origin: str) -> dict[str, float]:
        """Hours to every node reachable from ``origin`` (unreachable nodes are absent)."""
        return self._search(origin)[0]

    def path(self, origin: str, dest: str) -> list[str] | None:
        """Nodes of the fastest route, or ``None`` when ``dest`` cannot be reached."""
        return self._search(origin)[1].get(dest)
