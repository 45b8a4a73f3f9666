"""Displaced people inside the country (``internal_origins``): how many start out each hour
from each origin, and where they go.

An origin is a road node or a region (its centre node). Its persons per hour follow the same
``daily``, ``curve`` or ``series`` syntax and hourly profile as an influx, and are split each
hour, exactly (largest remainder), by the population mix in force that day (the origin's own,
else the scenario's): needing a place in reception or (vulnerable, triaged) rehabilitation,
own arrangements, or leaving the country.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contingency.refdata import RefData
from contingency.scenario import Scenario
from contingency.scenario.influx import largest_remainder, planned_hours
from contingency.scenario.sites import origin_node


@dataclass(frozen=True)
class Displaced:
    """Persons starting out from one origin in one hour, by where they go."""

    reception: int
    rehabilitation: int
    self_arranged: int
    leaving: int

    @property
    def total(self) -> int:
        return self.reception + self.rehabilitation + self.self_arranged + self.leaving


class InternalOrigins:
    """Every internal origin of a scenario: its road node and its persons hour by hour."""

    def __init__(self, sc: Scenario, ref: RefData) -> None:
        self.nodes: dict[str, str] = {}
        self._by_hour: dict[str, np.ndarray] = {}
        n_hours = sc.horizon_days * 24
        for key, spec in sc.internal_origins.items():
            node = origin_node(key, ref)
            if node is None:
                continue  # refused by the load checks
            self.nodes[key] = node
            alone = sc.model_copy(update={"influx": {key: spec}})
            hours = planned_hours(alone, key)
            pop = spec.population or sc.population
            split = np.zeros((n_hours, 4), dtype=np.int64)
            for h in np.flatnonzero(hours):
                s = pop.on_day(int(h) // 24)
                rehab = s["needs_shelter_share"] * s["vulnerable_share"]
                rehab *= s["rehabilitation_share_of_vulnerable"]
                weights = np.array(
                    [
                        s["needs_shelter_share"] - rehab,
                        rehab,
                        s["own_arrangements_share"],
                        s["leaving_country_share"],
                    ]
                )
                split[h] = largest_remainder(weights, int(hours[h]))
            self._by_hour[key] = split
        self.arrived = np.zeros(n_hours + 1, dtype=np.int64)
        """Displaced persons who have started out by the end of each hour (index = hour)."""
        for split in self._by_hour.values():
            self.arrived[1:] += np.cumsum(split.sum(axis=1))

    def at_hour(self, h: int) -> dict[str, Displaced]:
        """Persons starting out in hour ``h`` (1-based), per origin."""
        out = {}
        for key, split in self._by_hour.items():
            row = split[h - 1]
            if row.any():
                out[key] = Displaced(*(int(x) for x in row))
        return out

    @property
    def displaced(self) -> int:
        return int(self.arrived[-1])
