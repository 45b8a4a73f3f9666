"""The border stage: every checkpoint of a scenario simulated in one SimPy environment.

Per checkpoint a controller applies shifts every hour, injects at their times (close, open,
lanes) and surge lanes after their activation delay. The result is per-group arrays from which
all hourly tables are computed afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np
import simpy

from contingency.domain import LaneMode
from contingency.refdata import RefData
from contingency.scenario import Mode, Scenario
from contingency.scenario.plan import CheckpointPlan, Plan, resolve
from contingency.scenario.schema import LanesInject
from contingency.sim.arrivals import Groups, checkpoint_groups
from contingency.sim.checkpoint import LanePool
from contingency.sim.injects import BorderAction, border_action
from contingency.sim.rng import stream

Process = Generator[simpy.Event, object, None]


def service_hours(
    persons: np.ndarray,
    fixed_min: float,
    per_person_min: float,
    cv: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Processing time per group in hours: (fixed + per person x size) x a gamma factor with
    mean 1 and coefficient of variation ``cv`` (0: fixed; 1: exponential)."""
    mean_h = (fixed_min + per_person_min * persons) / 60.0
    if cv == 0:
        return mean_h.astype(float)
    shape = 1.0 / cv**2
    return mean_h * rng.gamma(shape, 1.0 / shape, size=len(persons))


def group_service_hours(
    sc: Scenario, setup: CheckpointPlan, *, mode: Mode, groups: Groups
) -> np.ndarray:
    """Processing hours of each group of ``mode`` at a checkpoint, from its own stream."""
    minutes = setup.processing[mode]
    return service_hours(
        groups.persons,
        minutes.min_per_vehicle,
        minutes.min_per_person,
        setup.cv,
        stream(sc.seed, "service", setup.id, mode.value),
    )


@dataclass
class CheckpointRun:
    """One checkpoint's controller and, after the run, its per-group results."""

    setup: CheckpointPlan
    pools: dict[Mode, LanePool]
    groups: dict[Mode, Groups]
    n_hours: int
    base_lanes: dict[Mode, int] = field(init=False)
    closed: bool = False
    surge_on: bool = False
    surge_pending: bool = False
    lanes_log: dict[Mode, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        self.base_lanes = {m: self.setup.lanes[LaneMode(m)] for m in Mode}
        self.lanes_log = {m: np.zeros(self.n_hours, dtype=np.int64) for m in Mode}

    def shift_share(self, now: float) -> float:
        if not self.setup.shifts:
            return 1.0
        hod = int(now) % 24
        for s in self.setup.shifts:
            inside = (
                s.start_h <= hod < s.end_h
                if s.start_h < s.end_h
                else (hod >= s.start_h or hod < s.end_h)
            )
            if inside:
                return s.lanes_open_share
        return 0.0

    def refresh(self, now: float) -> None:
        """Open the lanes this hour allows: none when closed or off shift; else the shift's
        share of the base lanes (at least one), plus surge lanes while the surge is on."""
        share = self.shift_share(now)
        for m, pool in self.pools.items():
            base = self.base_lanes[m]
            if self.closed or share == 0:
                n = 0
            else:
                n = max(1, math.floor(base * share + 0.5)) if base else 0
                if self.surge_on and self.setup.surge:
                    n += self.setup.surge.extra_lanes.get(LaneMode(m), 0)
            pool.set_open_lanes(n)

    @property
    def queued_persons(self) -> int:
        return sum(p.queued_persons for p in self.pools.values())


def _hourly(env: simpy.Environment, cp: CheckpointRun) -> Process:
    surge = cp.setup.surge
    for h in range(cp.n_hours):
        cp.refresh(env.now)
        if surge is not None:
            q = cp.queued_persons
            if q > surge.queue_threshold_persons and not (cp.surge_on or cp.surge_pending):
                cp.surge_pending = True
                env.process(_activate_surge(env, cp, surge.activation_delay_h))
            elif q < surge.queue_threshold_persons / 2 and cp.surge_on:
                cp.surge_on = False
                cp.refresh(env.now)
        for m, pool in cp.pools.items():
            cp.lanes_log[m][h] = pool.open_lanes
        yield env.timeout(1.0)


def _activate_surge(env: simpy.Environment, cp: CheckpointRun, delay_h: float) -> Process:
    yield env.timeout(delay_h)
    cp.surge_pending = False
    cp.surge_on = True
    cp.refresh(env.now)


def _inject(env: simpy.Environment, cp: CheckpointRun, at_h: float, apply: BorderAction) -> Process:
    yield env.timeout(at_h)
    apply(cp)
    cp.refresh(env.now)


def _pools(
    env: simpy.Environment, sc: Scenario, setup: CheckpointPlan, groups: dict[Mode, Groups]
) -> dict[Mode, LanePool]:
    """One lane pool per mode, with a lane process for every lane that may ever open (base
    lanes or a lanes inject, plus surge lanes)."""
    lane_injects = [i for i in sc.injects if isinstance(i, LanesInject) and i.target == setup.id]
    pools = {}
    for m in Mode:
        g = groups[m]
        lm = LaneMode(m)
        most = max([setup.lanes[lm]] + [i.params.get(lm, 0) for i in lane_injects])
        if setup.surge:
            most += setup.surge.extra_lanes.get(lm, 0)
        svc = group_service_hours(sc, setup, mode=m, groups=g)
        pools[m] = LanePool(env, g.arrive_h, g.persons, svc, max_lanes=most)
    return pools


def build_border(
    env: simpy.Environment, sc: Scenario, ref: RefData, *, plan: Plan | None = None
) -> dict[str, CheckpointRun]:
    """Create every checkpoint's groups, lane pools and controllers in ``env`` (``plan``:
    the scenario resolved against ``ref``, resolved here when not given)."""
    n_hours = sc.horizon_days * 24
    plan = plan or resolve(sc, ref)
    runs: dict[str, CheckpointRun] = {}
    for cp_id, setup in plan.checkpoints.items():
        groups = checkpoint_groups(sc, cp_id)
        pools = _pools(env, sc, setup, groups)
        run = CheckpointRun(setup, pools, groups, n_hours)
        for pool in pools.values():
            pool.start()
        env.process(_hourly(env, run))
        for inj in sc.injects:
            if inj.target == cp_id and (action := border_action(inj)) is not None:
                env.process(_inject(env, run, inj.at_h, action))
        runs[cp_id] = run
    return runs
