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
    origins = [o for o, n in supply.items() if n > 0]
    at = {o: k for k, o in enumerate(origins)}
    regions = list(capacity)
    where = {r: k for k, r in enumerate(regions)}
    pairs = [(at[o], where[r], h) for (o, r), h in cost_h.items() if o in at and r in where]
    arcs = np.array(pairs, dtype=float).reshape(-1, 3)
    flow, unplaced = allocate_arrays(
        np.array([supply[o] for o in origins], dtype=np.int64),
        np.array([seats.get(o, 0) for o in origins], dtype=np.int64),
        np.array([capacity[r] for r in regions], dtype=np.int64),
        arcs[:, 0].astype(np.int64),
        arcs[:, 1].astype(np.int64),
        arcs[:, 2],
        worst=max(cost_h.values(), default=1.0),
    )
    flows = {  # each origin's, in the order given
        (origins[int(arcs[k, 0])], regions[int(arcs[k, 1])]): int(flow[k])
        for k in np.argsort(arcs[:, 0], kind="stable").tolist()
        if flow[k] > 0
    }
    return Allocation(flows, {o: n for o, n in zip(origins, unplaced.tolist(), strict=True) if n})


def allocate_arrays(
    supply: np.ndarray,
    seats: np.ndarray,
    capacity: np.ndarray,
    arc_origin: np.ndarray,
    arc_region: np.ndarray,
    arc_cost: np.ndarray,
    *,
    worst: float,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`allocate` on arrays: ``supply`` (each positive) and ``seats`` per origin,
    ``capacity`` per region, and the reachable pairs (``arc_origin``, ``arc_region``,
    ``arc_cost`` in weighted hours per person) in order; ``worst``: the dearest cost of any
    pair. Returns the persons on each pair and the persons left unplaced per origin.

    The flow network is laid out as networkx's DiGraph would hold it, so the compiled
    network simplex finds the flow networkx finds: the sink, each origin (its edge to the
    sink, then to each region with places, pairs in the order given), each region with
    places (to the sink)."""
    movable = np.minimum(supply, seats)
    unplaced = supply - movable
    flow = np.zeros(len(arc_origin), dtype=np.int64)
    total = int(movable.sum())
    if total == 0:
        return flow, unplaced
    n_orig = len(supply)
    places = np.flatnonzero(capacity > 0)
    node = np.zeros(len(capacity), dtype=np.int64)
    node[places] = 1 + n_orig + np.arange(len(places))
    kept = np.flatnonzero((movable[arc_origin] > 0) & (capacity[arc_region] > 0))
    kept = kept[np.argsort(arc_origin[kept], kind="stable")]  # each origin's pairs together
    ko = arc_origin[kept]
    counts = np.bincount(ko, minlength=n_orig)
    block = np.where(movable > 0, 1 + counts, 0)  # an origin's edges: to the sink, its pairs
    first = np.cumsum(block) - block
    arc_edge = first[ko] + 1 + np.arange(len(kept)) - (np.cumsum(counts) - counts)[ko]
    n_edges = int(block.sum()) + len(places)
    src = np.empty(n_edges, dtype=np.int64)
    tgt = np.empty(n_edges, dtype=np.int64)
    cap = np.empty(n_edges, dtype=np.int64)
    weight = np.empty(n_edges, dtype=np.int64)
    active = np.flatnonzero(movable > 0)
    sink = first[active]
    src[sink], tgt[sink], cap[sink] = active + 1, 0, movable[active]
    weight[sink] = int(worst * _SCALE * 10) + 10_000
    src[arc_edge], tgt[arc_edge] = ko + 1, node[arc_region[kept]]
    cap[arc_edge] = movable[ko]
    weight[arc_edge] = np.rint(arc_cost[kept] * _SCALE)  # as round() gives, half to even
    tail = np.arange(int(block.sum()), n_edges)
    src[tail], tgt[tail], cap[tail], weight[tail] = node[places], 0, capacity[places], 0
    demand = np.zeros(1 + n_orig + len(places), dtype=np.int64)
    demand[0] = total
    demand[1 : 1 + n_orig] = -movable
    result = min_cost_flow(demand, src, tgt, cap, weight)
    flow[kept] = result[arc_edge]
    unplaced[active] += result[sink]
    return flow, unplaced
