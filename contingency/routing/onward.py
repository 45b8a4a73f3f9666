"""Daily onward movement of people leaving centres to regions that can absorb them.

Each day, people whose stay is over are placed by :func:`allocate` into regions with remaining
absorption capacity, national priority favouring the northern and eastern resettlement regions
(travel hours x ``priority_weight``; other regions x ``other_weight`` plus ``other_penalty_h``).
Transport per origin is ``onward_buses_per_day`` x ``bus_seats``. Whoever cannot be placed stays
in the centre as unmet demand. Routes follow the fastest roads open that day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from contingency.refdata import RefData
from contingency.routing.allocate import allocate
from contingency.routing.network import RoadNetwork
from contingency.scenario import Scenario


@dataclass(frozen=True)
class Placement:
    origin: str
    region: str
    persons: int
    travel_h: float
    path: tuple[str, ...]
    """The road nodes of the route (empty when the router does not :attr:`~Router.record`)."""


@dataclass
class Router:
    sc: Scenario
    ref: RefData
    network: RoadNetwork
    record: bool = True
    """Keep each placement's path, the ``flows`` and the corridor ``edges`` (False: a stress
    replication, which reads none of them)."""
    capacity: dict[str, int] = field(init=False)
    allocated: dict[str, int] = field(init=False)
    preferred: dict[str, int] = field(init=False)
    """Persons who would have gone to each region with no capacity limits (for the gap)."""
    flows: list[dict] = field(default_factory=list)
    edges: dict[tuple[int, str, str], int] = field(default_factory=lambda: defaultdict(int))
    unreachable: list[dict] = field(default_factory=list)
    _carried: dict[str, int] = field(default_factory=dict)
    _cost_cache: dict[tuple, tuple[list[tuple[str, float]], list[str], str | None]] = field(
        default_factory=dict
    )

    def __post_init__(self) -> None:
        regions = self.ref.regions
        absorption = {str(k): int(v) for k, v in regions["absorption_capacity"].items()}
        own = self.sc.region_capacity
        self.capacity = {
            iso: int(own[iso]) if own.get(iso) is not None else absorption[iso]
            for iso in absorption
        }
        self.allocated = dict.fromkeys(regions.index, 0)
        self.preferred = dict.fromkeys(regions.index, 0)
        r = self.sc.routing
        self.node = dict(regions["centre_node"])
        self.weight = {
            str(iso): r.region_weights.get(str(iso), r.priority_weight if pri else r.other_weight)
            for iso, pri in regions["resettlement_priority"].items()
        }
        self.penalty = {
            iso: 0.0 if pri else r.other_penalty_h
            for iso, pri in regions["resettlement_priority"].items()
        }
        self.seats = self.sc.transport.onward_buses_per_day * self.sc.transport.bus_seats

    def cost_h(self, iso: str, hours: float) -> float:
        """Weighted cost per person of ``hours`` of travel to region ``iso``."""
        return hours * self.weight[iso] + self.penalty[iso]

    def _costs_from(self, node: str) -> tuple[list[tuple[str, float]], list[str], str | None]:
        """From ``node`` on the roads open now: each reachable region's cost per person, the
        regions out of reach, and the cheapest region (the first of least cost)."""
        key = (node, self.network.closed)
        if key not in self._cost_cache:
            reach = self.network.travel_h(node)
            to = [
                (iso, self.cost_h(iso, reach[rnode]))
                for iso, rnode in self.node.items()
                if rnode in reach
            ]
            best = None
            for iso, c in to:
                if best is None or c < best[0]:
                    best = (c, iso)
            unreachable = [iso for iso, rnode in self.node.items() if rnode not in reach]
            self._cost_cache[key] = (to, unreachable, best[1] if best else None)
        return self._cost_cache[key]

    def route_day(
        self,
        day: int,
        ready: dict[str, tuple[str, int]],
        *,
        seats: dict[str, int] | None = None,
    ) -> tuple[list[Placement], dict[str, int]]:
        """Place ready people (on ``day``). ``ready`` maps origin id -> (road node, persons);
        ``seats`` the persons each origin can move now (default: a day's onward buses each).

        Returns the placements and the persons left unplaced per origin.
        """
        costs: dict[tuple[str, str], float] = {}
        for origin, (node, n) in ready.items():
            if n <= 0:
                continue
            to, unreachable, best = self._costs_from(node)
            for iso in unreachable:
                self.unreachable.append({"day": day, "origin": origin, "region": iso})
            costs.update({(origin, iso): c for iso, c in to})
            if best is not None:  # people left over from earlier days are counted once
                self.preferred[best] += max(0, n - self._carried.get(origin, 0))
        remaining = {iso: self.capacity[iso] - self.allocated[iso] for iso in self.capacity}
        supply = {o: n for o, (_, n) in ready.items() if n > 0}
        given = seats if seats is not None else dict.fromkeys(supply, self.seats)
        result = allocate(supply, given, remaining, costs)
        self._carried = dict(result.unplaced)
        placements = []
        for (origin, iso), n in sorted(result.flows.items()):
            node = ready[origin][0]
            hours = self.network.travel_h(node)[self.node[iso]]
            self.allocated[iso] += n
            if not self.record:
                placements.append(Placement(origin, iso, n, hours, ()))
                continue
            path = tuple(self.network.path(node, self.node[iso]) or (node,))
            placements.append(Placement(origin, iso, n, hours, path))
            self.flows.append(
                {
                    "day": day,
                    "origin": origin,
                    "region": iso,
                    "persons": n,
                    "travel_h": round(hours, 2),
                    "path": ">".join(path),
                }
            )
            for a, b in pairwise(path):
                lo, hi = sorted((a, b))
                self.edges[(day, lo, hi)] += n
        return placements, result.unplaced
