"""The border stage: every checkpoint of a scenario simulated in one SimPy environment.

Per checkpoint a controller applies shifts every hour, injects at their times (close, open,
lanes) and surge lanes after their activation delay. The result is per-group arrays from which
all hourly tables are computed afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import simpy

from contingency.refdata import RefData
from contingency.scenario import Mode, Scenario, checkpoints_in_play
from contingency.scenario.schema import (
    CheckpointClose,
    CheckpointOpen,
    LanesInject,
    Shift,
    Surge,
)
from contingency.sim.arrivals import Groups, checkpoint_groups
from contingency.sim.checkpoint import LanePool
from contingency.sim.rng import stream

DEFAULT_CV = 0.5
"""Coefficient of variation of processing time when neither data nor scenario gives one."""
DEFAULT_WAITING_AREA = 5000
"""Persons a checkpoint's waiting area holds when maps/ gives no figure (assumption)."""


@dataclass(frozen=True)
class CheckpointSetup:
    """Resolved parameters of one checkpoint: reference data, then scenario overrides."""

    id: str
    lanes: dict[Mode, int]
    min_per_group: dict[Mode, float]
    min_per_person: dict[Mode, float]
    cv: float
    waiting_area_persons: int
    shifts: list[Shift] | None
    surge: Surge | None


def resolve_checkpoint(sc: Scenario, ref: RefData, cp: str) -> CheckpointSetup:
    row = ref.checkpoints.loc[cp]
    ov = sc.checkpoint_overrides.get(cp)
    lanes = {m: int(row[f"lanes_{m.value}"]) for m in Mode}
    per_group = {
        Mode.car: float(row["car_min_per_vehicle"]),
        Mode.bus: float(row["bus_min_per_vehicle"]),
        Mode.pedestrian: 0.0,
    }
    per_person = {
        Mode.car: float(row["car_min_per_person"]),
        Mode.bus: float(row["bus_min_per_person"]),
        Mode.pedestrian: float(row["pedestrian_min_per_person"]),
    }
    cv = DEFAULT_CV
    area = row.get("waiting_area_persons", DEFAULT_WAITING_AREA)
    area = DEFAULT_WAITING_AREA if area is None or pd.isna(area) else int(area)
    if ov:
        if ov.lanes:
            lanes.update({m: v for m in Mode if (v := getattr(ov.lanes, m.value)) is not None})
        if (p := ov.processing) is not None:
            for m, key in ((Mode.car, "car_min_per_vehicle"), (Mode.bus, "bus_min_per_vehicle")):
                if getattr(p, key) is not None:
                    per_group[m] = getattr(p, key)
            for m in Mode:
                if (v := getattr(p, f"{m.value}_min_per_person")) is not None:
                    per_person[m] = v
            cv = p.cv if p.cv is not None else cv
        if ov.waiting_area_persons is not None:
            area = ov.waiting_area_persons
    return CheckpointSetup(
        id=cp,
        lanes=lanes,
        min_per_group=per_group,
        min_per_person=per_person,
        cv=cv,
        waiting_area_persons=area,
        shifts=ov.shifts if ov else None,
        surge=ov.surge if ov else None,
    )


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
    sc: Scenario, setup: CheckpointSetup, mode: Mode, groups: Groups
) -> np.ndarray:
    """Processing hours of each group of ``mode`` at a checkpoint, from its own stream."""
    return service_hours(
        groups.persons,
        setup.min_per_group[mode],
        setup.min_per_person[mode],
        setup.cv,
        stream(sc.seed, "service", setup.id, mode.value),
    )


@dataclass
class CheckpointRun:
    """One checkpoint's controller and, after the run, its per-group results."""

    setup: CheckpointSetup
    pools: dict[Mode, LanePool]
    groups: dict[Mode, Groups]
    n_hours: int
    base_lanes: dict[Mode, int] = field(init=False)
    closed: bool = False
    surge_on: bool = False
    surge_pending: bool = False
    lanes_log: dict[Mode, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        self.base_lanes = dict(self.setup.lanes)
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
                    n += getattr(self.setup.surge.extra_lanes, m.value) or 0
            pool.set_open_lanes(n)

    @property
    def queued_persons(self) -> int:
        return sum(p.queued_persons for p in self.pools.values())


def _hourly(env: simpy.Environment, cp: CheckpointRun):
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


def _activate_surge(env: simpy.Environment, cp: CheckpointRun, delay_h: float):
    yield env.timeout(delay_h)
    cp.surge_pending = False
    cp.surge_on = True
    cp.refresh(env.now)


def _inject(env: simpy.Environment, cp: CheckpointRun, at_h: float, apply: Callable[[], None]):
    yield env.timeout(at_h)
    apply()
    cp.refresh(env.now)


def _apply_lanes(cp: CheckpointRun, inj: LanesInject) -> Callable[[], None]:
    def apply() -> None:
        for m in Mode:
            v = getattr(inj.params, m.value)
            if v is not None:
                cp.base_lanes[m] = v

    return apply


def _set_closed(cp: CheckpointRun, closed: bool) -> Callable[[], None]:
    def apply() -> None:
        cp.closed = closed

    return apply


def build_border(env: simpy.Environment, sc: Scenario, ref: RefData) -> dict[str, CheckpointRun]:
    """Create every checkpoint's groups, lane pools and controllers in ``env``."""
    n_hours = sc.horizon_days * 24
    used = checkpoints_in_play(sc, ref)
    runs: dict[str, CheckpointRun] = {}
    for cp_id in used:
        setup = resolve_checkpoint(sc, ref, cp_id)
        groups = checkpoint_groups(sc, cp_id)
        lane_injects = [i for i in sc.injects if isinstance(i, LanesInject) and i.target == cp_id]
        pools = {}
        for m in Mode:
            g = groups[m]
            most = max([setup.lanes[m]] + [getattr(i.params, m.value) or 0 for i in lane_injects])
            if setup.surge:
                most += getattr(setup.surge.extra_lanes, m.value) or 0
            svc = group_service_hours(sc, setup, m, g)
            pools[m] = LanePool(env, g.arrive_h, g.persons, svc, max_lanes=most)
        run = CheckpointRun(setup, pools, groups, n_hours)
        for pool in pools.values():
            pool.start()
        env.process(_hourly(env, run))
        for inj in sc.injects:
            if inj.target != cp_id:
                continue
            if isinstance(inj, CheckpointClose):
                env.process(_inject(env, run, inj.at_h, _set_closed(run, True)))
            elif isinstance(inj, CheckpointOpen):
                env.process(_inject(env, run, inj.at_h, _set_closed(run, False)))
            elif isinstance(inj, LanesInject):
                env.process(_inject(env, run, inj.at_h, _apply_lanes(run, inj)))
        runs[cp_id] = run
    return runs
