"""What a run of a scenario needs that its seed does not change, worked out once.

Replications of one scenario differ only in their seed. Their plan (the scenario resolved
against the map pack), the persons each checkpoint expects in each hour by mode, and the road
network with the shortest paths found so far are the same in all of them, so a stress worker
keeps them (:func:`prepared_for`) for the next replication instead of working them out again.
Each thread keeps its own: a run closes roads on its network while it runs.
"""

from __future__ import annotations

import threading
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

    key: str
    """The scenario it was worked out for, but its seed (:func:`scenario_key`)."""
    ref: RefData
    plan: Plan
    network: RoadNetwork
    _planned: dict[str, dict[Mode, np.ndarray]] = field(default_factory=dict, init=False)

    @classmethod
    def of(cls, sc: Scenario, ref: RefData) -> Prepared:
        """Work out the plan and build the road network of ``sc`` on ``ref`` (which holds the
        places the scenario adds)."""
        return cls(scenario_key(sc), ref, resolve(sc, ref), RoadNetwork(ref.road_graph()))

    def check(self, sc: Scenario, ref: RefData) -> None:
        """Raise ValueError unless this is the preparation of ``sc`` (any seed) on ``ref``."""
        if ref is not self.ref or scenario_key(sc) != self.key:
            raise ValueError(f"{sc.name}: prepared for another scenario or map pack")

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


def scenario_key(sc: Scenario) -> str:
    """``sc`` but its seed, as text."""
    return sc.model_copy(update={"seed": 0}).model_dump_json()


_local = threading.local()


def _kept() -> OrderedDict[str, Prepared]:
    kept = getattr(_local, "kept", None)
    if kept is None:
        kept = _local.kept = OrderedDict()
    return kept


def prepared_for(sc: Scenario, ref: RefData) -> Prepared:
    """:meth:`Prepared.of` ``sc`` on ``ref``, kept in this thread for the next call with the
    same scenario (whatever its seed) on the same map pack object; the last :data:`KEPT`
    are kept."""
    key, kept = scenario_key(sc), _kept()
    prepared = kept.get(key)
    if prepared is not None and prepared.ref is ref:
        kept.move_to_end(key)
        return prepared
    prepared = kept[key] = Prepared.of(sc, ref)
    while len(kept) > KEPT:
        kept.popitem(last=False)
    return prepared


def forget() -> None:
    """Drop what this thread keeps."""
    _kept().clear()
