"""The border stage: every checkpoint of a scenario simulated in one SimPy environment.

A crossing is two controls in series: the neighbour's exit control (the far side), then ours
(the near side). Each has lane pools by mode, processing times, shifts and closures of its own;
a group queues at the far side first and reaches ours when its service there ends, so the queue
forms wherever capacity is lowest. A share of the groups reaching the far side may be turned
back there (refused or giving up): they never queue and never enter.

Per checkpoint a controller applies shifts every hour, injects at their times (close, open,
lanes, processing, on either side) and surge lanes (ours) after their activation delay. The
result is per-group arrays from which all hourly tables are computed afterwards.
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
from contingency.scenario.plan import CheckpointPlan, Plan, SidePlan, resolve
from contingency.scenario.schema import LanesInject, Shift, Side
from contingency.sim.arrivals import Groups, checkpoint_groups
from contingency.sim.checkpoint import LanePool
from contingency.sim.injects import BorderAction, border_action
from contingency.sim.rng import stream

Process = Generator[simpy.Event, object, None]
SERVICE_STREAM = {Side.near: "service", Side.far: "far_service"}
"""Name of the stream each side draws processing times from (with checkpoint and mode)."""
_MICRO = 1_000_000


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
    sc: Scenario, setup: CheckpointPlan, *, mode: Mode, groups: Groups, side: Side = Side.near
) -> np.ndarray:
    """Processing hours of each group of ``mode`` at one side of a checkpoint, from that
    side's own stream (before any processing multiplier)."""
    plan = setup.near_side if side is Side.near else setup.far_side
    minutes = plan.processing[mode]
    return service_hours(
        groups.persons,
        minutes.min_per_vehicle,
        minutes.min_per_person,
        plan.cv,
        stream(sc.seed, SERVICE_STREAM[side], setup.id, mode.value),
    )


def turned_back(arrive_h: np.ndarray, steps: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Which of these groups (sorted by arrival) are turned back at the far side.

    With ``steps`` ``(from_h, share)``, the share in force at a group's arrival is added up
    group by group (in millionths, exactly); a group is turned back when the running sum
    rounded to a whole number steps up at it. Under one share ``s`` that is exactly
    round(n x s) of n groups, spread evenly (at 0.25: the 2nd, 6th, 10th, ...), and it depends
    on nothing but the groups before, so groups added later (a surge) change nothing earlier.
    """
    if not steps:
        return np.zeros(len(arrive_h), dtype=bool)
    share = np.zeros(len(arrive_h))
    for from_h, s in steps:
        share[arrive_h >= from_h] = s
    total = np.cumsum(np.rint(share * _MICRO).astype(np.int64))
    whole = (total + _MICRO // 2) // _MICRO
    return np.diff(whole, prepend=0) > 0


@dataclass
class SideRun:
    """One control of a checkpoint during the run: its lane pools and what rules them."""

    plan: SidePlan
    pools: dict[Mode, LanePool]
    n_hours: int
    base_lanes: dict[Mode, int] = field(init=False)
    closed: bool = False
    multiplier: float = 1.0
    """Processing multiplier set by ``processing`` injects (shifts apply theirs on top)."""
    lanes_log: dict[Mode, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        self.base_lanes = {m: self.plan.lanes[LaneMode(m)] for m in Mode}
        self.lanes_log = {m: np.zeros(self.n_hours, dtype=np.int64) for m in Mode}

    def shift_at(self, now: float) -> Shift | None:
        """The shift working at ``now`` (None: none, so the side is shut)."""
        hod = int(now) % 24
        for s in self.plan.shifts or ():
            inside = (
                s.start_h <= hod < s.end_h
                if s.start_h < s.end_h
                else (hod >= s.start_h or hod < s.end_h)
            )
            if inside:
                return s
        return None

    def refresh(self, now: float, extra: dict[LaneMode, int]) -> None:
        """Open the lanes this hour allows: none when closed or off shift; else the shift's
        share of the base lanes (at least one), plus ``extra``; set the processing multiplier
        (the inject's times the shift's)."""
        shift = self.shift_at(now) if self.plan.shifts else None
        share = 1.0 if not self.plan.shifts else (shift.lanes_open_share if shift else 0.0)
        multiplier = self.multiplier * (shift.processing_multiplier if shift else 1.0)
        for m, pool in self.pools.items():
            base = self.base_lanes[m]
            if self.closed or share == 0:
                n = 0
            else:
                n = max(1, math.floor(base * share + 0.5)) if base else 0
                n += extra.get(LaneMode(m), 0)
            pool.set_open_lanes(n)
            pool.multiplier = multiplier

    def log(self, h: int) -> None:
        for m, pool in self.pools.items():
            self.lanes_log[m][h] = pool.open_lanes

    @property
    def queued_persons(self) -> int:
        return sum(p.queued_persons for p in self.pools.values())


@dataclass
class CheckpointRun:
    """One checkpoint's controller and, after the run, its per-group results.

    ``groups`` are every group presented at the far side, by mode; ``entering`` the indices
    (into ``groups``) of those not turned back, which both sides' pools hold in that order.
    """

    setup: CheckpointPlan
    near: SideRun
    far: SideRun
    groups: dict[Mode, Groups]
    entering: dict[Mode, np.ndarray]
    n_hours: int
    surge_on: bool = False
    surge_pending: bool = False

    def side(self, side: Side) -> SideRun:
        return self.near if side is Side.near else self.far

    @property
    def pools(self) -> dict[Mode, LanePool]:
        """Our lane pools."""
        return self.near.pools

    @property
    def lanes_log(self) -> dict[Mode, np.ndarray]:
        """Our open lanes by mode, hour by hour."""
        return self.near.lanes_log

    def refresh(self, now: float) -> None:
        """Open each side's lanes as this hour allows (surge lanes on ours while on)."""
        surge = self.setup.surge
        self.near.refresh(now, surge.extra_lanes if self.surge_on and surge else {})
        self.far.refresh(now, {})

    @property
    def queued_persons(self) -> int:
        """Persons queuing at our control."""
        return self.near.queued_persons


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
        cp.near.log(h)
        cp.far.log(h)
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


def _most_lanes(sc: Scenario, setup: CheckpointPlan, side: Side) -> dict[Mode, int]:
    """Most lanes of each mode one side may ever open: its base lanes or a lanes inject on
    that side, plus surge lanes on ours. The engine runs one lane process for each."""
    base = (setup.near_side if side is Side.near else setup.far_side).lanes
    injects = [
        i
        for i in sc.injects
        if isinstance(i, LanesInject) and i.target == setup.id and i.params.side is side
    ]
    most = {}
    for m in Mode:
        lm = LaneMode(m)
        most[m] = max([base[lm]] + [i.params.get(lm, 0) for i in injects])
        if side is Side.near and setup.surge:
            most[m] += setup.surge.extra_lanes.get(lm, 0)
    return most


def _two_sides(
    env: simpy.Environment, sc: Scenario, setup: CheckpointPlan, groups: dict[Mode, Groups]
) -> tuple[dict[Mode, LanePool], dict[Mode, LanePool], dict[Mode, np.ndarray]]:
    """Per mode, the far pool feeding the near pool, both holding the groups that are not
    turned back (their indices into ``groups`` returned too)."""
    far_most, near_most = _most_lanes(sc, setup, Side.far), _most_lanes(sc, setup, Side.near)
    far, near, entering = {}, {}, {}
    for m in Mode:
        g = groups[m]
        keep = np.flatnonzero(~turned_back(g.arrive_h, setup.turn_back))
        persons = g.persons[keep]
        far_svc = group_service_hours(sc, setup, mode=m, groups=g, side=Side.far)[keep]
        near_svc = group_service_hours(sc, setup, mode=m, groups=g)[keep]
        far[m] = LanePool(env, g.arrive_h[keep], persons, far_svc, max_lanes=far_most[m])
        near[m] = LanePool(env, g.arrive_h[keep], persons, near_svc, max_lanes=near_most[m])
        far[m].feed(near[m])
        entering[m] = keep
    return far, near, entering


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
        far, near, entering = _two_sides(env, sc, setup, groups)
        run = CheckpointRun(
            setup,
            SideRun(setup.near_side, near, n_hours),
            SideRun(setup.far_side, far, n_hours),
            groups,
            entering,
            n_hours,
        )
        for m in Mode:
            far[m].start()
            near[m].start()
        env.process(_hourly(env, run))
        for inj in sc.injects:
            if inj.target == cp_id and (action := border_action(inj)) is not None:
                env.process(_inject(env, run, inj.at_h, action))
        runs[cp_id] = run
    return runs
