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
from typing import NamedTuple

import numpy as np

from contingency.refdata import RefData
from contingency.routing.allocate import allocate_arrays
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


class _Costs(NamedTuple):
    """From one road node on the roads open at one time: the regions it reaches (positions
    in :attr:`Router.capacity`), the cost per person to each, the regions out of reach, and
    the cheapest region (the first of least cost)."""

    region: np.ndarray
    cost: np.ndarray
    unreachable: list[str]
    best: str | None


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
    _cost_cache: dict[tuple, _Costs] = field(default_factory=dict)

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
        self._regions = list(self.capacity)

    def cost_h(self, iso: str, hours: float) -> float:
        """Weighted cost per person of ``hours`` of travel to region ``iso``."""
        return hours * self.weight[iso] + self.penalty[iso]

    def _costs_from(self, node: str) -> _Costs:
        """From ``node`` on the roads open now (see :class:`_Costs`)."""
        key = (node, self.network.closed)
        if key not in self._cost_cache:
            reach = self.network.travel_h(node)
            to = [
                (k, self.cost_h(iso, reach[rnode]))
                for k, (iso, rnode) in enumerate(self.node.items())
                if rnode in reach
            ]
            best = None
            for k, c in to:
                if best is None or c < best[0]:
                    best = (c, k)
            unreachable = [iso for iso, rnode in self.node.items() if rnode not in reach]
            self._cost_cache[key] = _Costs(
                np.array([k for k, _ in to], dtype=np.int64),
                np.array([c for _, c in to], dtype=float),
                unreachable,
                self._regions[best[1]] if best else None,
            )
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
        origins = [o for o, (_, n) in ready.items() if n > 0]
        reach = [self._costs_from(ready[o][0]) for o in origins]
        for origin, r in zip(origins, reach, strict=True):
            for iso in r.unreachable:
                self.unreachable.append({"day": day, "origin": origin, "region": iso})
            if r.best is not None:  # people left over from earlier days are counted once
                self.preferred[r.best] += max(0, ready[origin][1] - self._carried.get(origin, 0))
        arc_origin = np.repeat(np.arange(len(origins)), [len(r.region) for r in reach])
        arc_region = np.concatenate([r.region for r in reach]) if reach else np.zeros(0, int)
        costs = np.concatenate([r.cost for r in reach]) if reach else np.zeros(0)
        flow, unplaced = allocate_arrays(
            np.array([ready[o][1] for o in origins], dtype=np.int64),
            np.array(
                [self.seats if seats is None else seats.get(o, 0) for o in origins],
                dtype=np.int64,
            ),
            np.array([self.capacity[i] - self.allocated[i] for i in self._regions], np.int64),
            arc_origin,
            arc_region,
            costs,
            worst=float(costs.max()) if len(costs) else 1.0,
        )
        moved = {
            (origins[o], self._regions[r]): f
            for o, r, f in zip(arc_origin.tolist(), arc_region.tolist(), flow.tolist(), strict=True)
            if f > 0
        }
        left = {o: n for o, n in zip(origins, unplaced.tolist(), strict=True) if n}
        self._carried = dict(left)
        placements = []
        for (origin, iso), n in sorted(moved.items()):
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
        return placements, left
