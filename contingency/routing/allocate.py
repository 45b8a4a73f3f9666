"""One day's onward allocation as a capacitated min-cost flow (networkx's network simplex,
compiled: :mod:`contingency.routing.simplex`).

Sources are origins (centres) with people ready to move and seats to move them; sinks are
regions with remaining absorption capacity; each origin-region arc costs the person's weighted
travel hours. An arc to a "no place" sink with a prohibitive cost takes whoever cannot be
placed, so the flow always exists and nobody is dropped: they are returned as unplaced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contingency.routing.simplex import min_cost_flow

_SCALE = 100  # the network simplex wants integer costs: hundredths of an hour


@dataclass(frozen=True)
class Allocation:
    flows: dict[tuple[str, str], int]
    """Persons per (origin, region), only positive entries."""
    unplaced: dict[str, int]
    """Persons per origin that no reachable region could take (or no seat could carry)."""


def allocate(
    supply: dict[str, int],
    seats: dict[str, int],
    capacity: dict[str, int],
    cost_h: dict[tuple[str, str], float],
) -> Allocation:
    """Place ``supply`` people from each origin into regions at least total cost.

    Parameters
    ----------
    supply
        Persons ready to move, per origin.
    seats
        Persons each origin can move today (transport), per origin.
    capacity
        Places left, per region.
    cost_h
        Weighted hours per person for each reachable (origin, region); a missing pair is
        unreachable.
    """
    movable = {o: min(n, seats.get(o, 0)) for o, n in supply.items() if n > 0}
    total = sum(movable.values())
    unplaced = {o: n - movable.get(o, 0) for o, n in supply.items() if n > 0}
    if total == 0:
        return Allocation({}, {o: n for o, n in unplaced.items() if n})
    worst = max(cost_h.values(), default=1.0)
    # nodes and edges in the order networkx's DiGraph would hold them: the sink, each origin
    # (its edge to the sink, then to each region), each region with places (to the sink)
    places = [r for r, cap in capacity.items() if cap > 0]
    node = {r: 1 + len(movable) + k for k, r in enumerate(places)}
    demand = np.zeros(1 + len(movable) + len(places), dtype=np.int64)
    demand[0] = total
    edges: list[tuple[int, int, int, int]] = []  # source, target, capacity, weight
    ends: list[str | None] = []  # the region an origin's edge leads to (None: nowhere)
    origin_edges: list[tuple[str, int, int]] = []  # origin, its first edge, one past its last
    arcs: dict[str, list[tuple[str, float]]] = {}
    for (o, r), hours in cost_h.items():
        if o in movable and capacity.get(r, 0) > 0:
            arcs.setdefault(o, []).append((r, hours))
    for k, (o, n) in enumerate(movable.items(), start=1):
        demand[k] = -n
        first = len(edges)
        if n > 0:  # networkx leaves out edges of no capacity
            edges.append((k, 0, n, int(worst * _SCALE * 10) + 10_000))
            ends.append(None)
            for r, hours in arcs.get(o, ()):
                edges.append((k, node[r], n, round(hours * _SCALE)))
                ends.append(r)
        origin_edges.append((o, first, len(edges)))
    for r in places:
        edges.append((node[r], 0, capacity[r], 0))
    src, tgt, cap, weight = np.array(edges, dtype=np.int64).reshape(-1, 4).T
    flow = min_cost_flow(demand, src, tgt, cap, weight).tolist()
    flows: dict[tuple[str, str], int] = {}
    for o, first, end in origin_edges:
        for e in range(first, end):
            f, to = flow[e], ends[e]
            if f <= 0:
                continue
            if to is None:
                unplaced[o] += f
            else:
                flows[(o, to)] = f
    return Allocation(flows, {o: n for o, n in unplaced.items() if n})
