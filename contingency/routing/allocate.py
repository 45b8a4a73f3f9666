"""One day's onward allocation as a capacitated min-cost flow (networkx ``network_simplex``).

Sources are origins (centres) with people ready to move and seats to move them; sinks are
regions with remaining absorption capacity; each origin-region arc costs the person's weighted
travel hours. An arc to a "no place" sink with a prohibitive cost takes whoever cannot be
placed, so the flow always exists and nobody is dropped: they are returned as unplaced.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

_SCALE = 100  # network_simplex wants integer costs: hundredths of an hour
_NO_PLACE = "__no_place__"


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
    g = nx.DiGraph()
    movable = {o: min(n, seats.get(o, 0)) for o, n in supply.items() if n > 0}
    total = sum(movable.values())
    unplaced = {o: n - movable.get(o, 0) for o, n in supply.items() if n > 0}
    if total == 0:
        return Allocation({}, {o: n for o, n in unplaced.items() if n})
    worst = max(cost_h.values(), default=1.0)
    g.add_node(_NO_PLACE, demand=0)
    for o, n in movable.items():
        g.add_node(("o", o), demand=-n)
        g.add_edge(("o", o), _NO_PLACE, weight=int(worst * _SCALE * 10) + 10_000, capacity=n)
    for r, cap in capacity.items():
        if cap > 0:
            g.add_edge(("r", r), _NO_PLACE, weight=0, capacity=cap)
    for (o, r), hours in cost_h.items():
        if o in movable and capacity.get(r, 0) > 0:
            g.add_edge(("o", o), ("r", r), weight=round(hours * _SCALE), capacity=movable[o])
    g.nodes[_NO_PLACE]["demand"] = total
    flow = nx.network_simplex(g)[1]
    flows: dict[tuple[str, str], int] = {}
    for o in movable:
        for dest, f in flow[("o", o)].items():
            if f <= 0:
                continue
            if dest == _NO_PLACE:
                unplaced[o] += f
            else:
                flows[(o, dest[1])] = f
    return Allocation(flows, {o: n for o, n in unplaced.items() if n})
