"""What a run of a scenario needs that its seed does not change, worked out once.

Replications of one scenario differ only in their seed. Their plan (the scenario resolved
against the map pack), the persons each checkpoint expects in each hour by mode, and the road
network with the shortest paths found so far are the same in all of them, so a stress worker
keeps them (:func:`prepared_for`) for the next replication instead of working them out again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from contingency.refdata import RefData
from contingency.routing.network import RoadNetwork
from contingency.scenario import Mode, Scenario
from contingency.scenario.plan import Plan, resolve
from contingency.sim.arrivals import hourly_persons, split_by_mode

KEPT = 4
"""Scenarios whose preparation a process keeps (the most recently used)."""


@dataclass
class Prepared:
    """The seed-free part of a run of one scenario on one map pack (with the places the
    scenario adds): its :class:`Plan`, its road network, and (as asked) each checkpoint's
    planned persons by mode and hour (read-only)."""

    plan: Plan
    network: RoadNetwork
    _planned: dict[str, dict[Mode, np.ndarray]] = field(default_factory=dict, init=False)

    @classmethod
    def of(cls, sc: Scenario, ref: RefData) -> Prepared:
        """Work out the plan and build the road network of ``sc`` on ``ref`` (which holds the
        places the scenario adds)."""
        return cls(resolve(sc, ref), RoadNetwork(ref.road_graph()))

    def planned(self, sc: Scenario, checkpoint: str) -> dict[Mode, np.ndarray]:
        """Persons planned at ``checkpoint`` in each hour, by mode (surge injects applied; see
        :func:`~contingency.sim.arrivals.split_by_mode`)."""
        by_mode = self._planned.get(checkpoint)
        if by_mode is None:
            by_mode = split_by_mode(hourly_persons(sc, checkpoint), sc, checkpoint=checkpoint)
            for hours in by_mode.values():
                hours.flags.writeable = False
            self._planned[checkpoint] = by_mode
        return by_mode


_kept: OrderedDict[str, tuple[RefData, Prepared]] = OrderedDict()


def prepared_for(sc: Scenario, ref: RefData) -> Prepared:
    """:meth:`Prepared.of` ``sc`` on ``ref``, kept for the next call with the same scenario
    (whatever its seed) on the same map pack object; the last :data:`KEPT` are kept."""
    key = sc.model_copy(update={"seed": 0}).model_dump_json()
    kept = _kept.get(key)
    if kept is not None and kept[0] is ref:
        _kept.move_to_end(key)
        return kept[1]
    prepared = Prepared.of(sc, ref)
    _kept[key] = (ref, prepared)
    while len(_kept) > KEPT:
        _kept.popitem(last=False)
    return prepared
