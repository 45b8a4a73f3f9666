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

import contextlib
import gc
import math
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

import numpy as np
import simpy
from simpy.events import URGENT

from contingency.domain import LaneMode
from contingency.refdata import RefData
from contingency.scenario import Mode, Scenario
from contingency.scenario.plan import CheckpointPlan, Plan, SidePlan, resolve
from contingency.scenario.schema import Approach, LanesInject, Shift, Side
from contingency.sim.arrivals import (
    BaselineTraffic,
    Groups,
    Traffic,
    baseline_traffic,
    checkpoint_groups,
)
from contingency.sim.checkpoint import LanePool, SharedRoad, SimultaneousEvents, Timer
from contingency.sim.diversion import Reach, best_choice, informed, reaches
from contingency.sim.injects import BorderAction, border_action
from contingency.sim.prepared import Prepared
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


def side_service_hours(
    sc: Scenario,
    setup: CheckpointPlan,
    side: Side,
    mode: LaneMode,
    persons: np.ndarray,
    *stream_names: str,
) -> np.ndarray:
    """Processing hours of groups of ``persons`` of lane mode ``mode`` at one side of a
    checkpoint (a truck: :attr:`SidePlan.truck_processing`), drawn from that side's stream for
    the checkpoint and mode, then ``stream_names`` (before any processing multiplier)."""
    plan = setup.near_side if side is Side.near else setup.far_side
    minutes = plan.truck_processing if mode is LaneMode.truck else plan.processing[Mode(mode)]
    return service_hours(
        persons,
        minutes.min_per_vehicle,
        minutes.min_per_person,
        plan.cv,
        stream(sc.seed, SERVICE_STREAM[side], setup.id, mode.value, *stream_names),
    )


def group_service_hours(
    sc: Scenario, setup: CheckpointPlan, *, mode: Mode, groups: Groups, side: Side = Side.near
) -> np.ndarray:
    """Processing hours of each group of the influx of ``mode`` at one side of a checkpoint,
    from that side's own stream (before any processing multiplier)."""
    return side_service_hours(sc, setup, side, LaneMode(mode), groups.persons)


def traffic_service_hours(
    sc: Scenario, setup: CheckpointPlan, *, mode: LaneMode, traffic: Traffic, side: Side, way: str
) -> np.ndarray:
    """Processing hours of ordinary groups of ``mode`` going ``way`` at one side: the same
    minutes as the influx's, streams of their own."""
    return side_service_hours(sc, setup, side, mode, traffic.persons, "baseline", way)


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
    pools: dict[LaneMode, LanePool]
    n_hours: int
    closed: bool = False
    multiplier: float = 1.0
    """Processing multiplier set by ``processing`` injects (shifts apply theirs on top)."""
    base_lanes: dict[LaneMode, int] = field(init=False)
    """Lanes by lane mode before shifts and surge (``lanes`` injects change them)."""
    mean_service_h: dict[Mode, float] = field(default_factory=dict)
    """Mean processing time of a group of each mode here (diversion's estimate)."""
    road: SharedRoad | None = None
    """The approach road, when cars, buses and trucks share it."""
    _in_force: tuple | None = field(default=None, init=False)
    """What the lanes and multiplier were last set from (see :meth:`refresh`)."""
    _logged: list[tuple[int, tuple[int, ...]]] = field(default_factory=list, init=False)
    """Each hour the open lanes may have changed from, and the lanes of each pool from then."""
    _changed: bool = field(default=True, init=False)
    """Whether :meth:`refresh` set the lanes since the last :meth:`log`."""
    _shifts: list[Shift | None] = field(default_factory=list, init=False)
    _lanes_log: tuple[int, dict[LaneMode, np.ndarray]] | None = field(default=None, init=False)
    """:attr:`lanes_log` as built from the first so many entries of ``_logged``."""

    def __post_init__(self) -> None:
        self.base_lanes = dict(self.plan.lanes)
        self._shifts = [self._shift_at(hod) for hod in range(24)]

    def shift_at(self, now: float) -> Shift | None:
        """The shift working at ``now`` (None: none, so the side is shut)."""
        return self._shifts[int(now) % 24]

    def shift_starts(self) -> set[int]:
        """The hours of day at which the shift in force differs from the hour before."""
        return {hod for hod in range(24) if self._shifts[hod] is not self._shifts[hod - 1]}

    def _shift_at(self, hod: int) -> Shift | None:
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
        share of the base lanes (at least one), plus ``extra``, with the truck lanes the
        shift opens to cars serving cars; set the processing multiplier (the inject's times
        the shift's). Nothing to do when none of these changed since the last time."""
        shift = self.shift_at(now) if self.plan.shifts else None
        in_force = (
            id(shift),
            self.closed,
            self.multiplier,
            tuple(self.base_lanes.values()),
            tuple(extra.items()),
        )
        if in_force == self._in_force:
            return
        self._in_force = in_force
        self._changed = True
        share = 1.0 if not self.plan.shifts else (shift.lanes_open_share if shift else 0.0)
        multiplier = self.multiplier * (shift.processing_multiplier if shift else 1.0)
        n: dict[LaneMode, int] = {}
        for m in self.pools:
            base = self.base_lanes[m]
            if self.closed or share == 0:
                n[m] = 0
            else:
                n[m] = (max(1, math.floor(base * share + 0.5)) if base else 0) + extra.get(m, 0)
        moved = min(shift.truck_lanes_to_cars, n[LaneMode.truck]) if shift else 0
        n[LaneMode.truck] -= moved
        n[LaneMode.car] += moved
        for m, pool in self.pools.items():
            pool.set_open_lanes(n[m])
            pool.multiplier = multiplier

    def log(self, h: int) -> None:
        """Note the lanes open in hour ``h`` (from its start): only :meth:`refresh` sets them."""
        if self._changed:
            self._logged.append((h, tuple(pool.open_lanes for pool in self.pools.values())))
            self._changed = False

    @property
    def lanes_log(self) -> dict[LaneMode, np.ndarray]:
        """Open lanes by lane mode, hour by hour (as logged)."""
        if self._lanes_log is not None and self._lanes_log[0] == len(self._logged):
            return self._lanes_log[1]
        out = np.zeros((self.n_hours, len(self.pools)), dtype=np.int64)
        for (h, lanes), nxt in zip(
            self._logged, [*self._logged[1:], (self.n_hours, ())], strict=True
        ):
            out[h : nxt[0]] = lanes
        log = {m: out[:, j].copy() for j, m in enumerate(self.pools)}
        self._lanes_log = (len(self._logged), log)
        return log

    @property
    def queued_persons(self) -> int:
        """Persons queuing here (on a shared approach road too), ordinary travellers
        included."""
        return sum(p.queued_now() + p.on_road_persons for p in self.pools.values())

    def share_road(self, approach: Approach) -> None:
        """Put the vehicle pools on one road when trucks share it (``approach``)."""
        if not approach.shared_with_trucks:
            return
        self.road = SharedRoad(files=approach.queue_lanes)
        for lm in (LaneMode.car, LaneMode.bus, LaneMode.truck):
            self.pools[lm].road = self.road


@dataclass(frozen=True)
class PoolParts:
    """Which groups a lane mode's pools hold, in this order: the influx's that headed here
    (``influx``, both sides), places for groups that may divert here from other crossings
    (``incoming``, both sides), ordinary inbound (``inbound``, both sides), then ordinary
    outbound (``outbound``, ours only)."""

    influx: int
    incoming: int
    inbound: int
    outbound: int

    @property
    def ordinary(self) -> int:
        """Index of the first ordinary group."""
        return self.influx + self.incoming

    @property
    def inbound_end(self) -> int:
        """One past the last group coming into the country (every group the far side holds)."""
        return self.influx + self.incoming + self.inbound


@dataclass
class Incoming:
    """Places in one checkpoint's pools of one mode for groups that may divert to it: from
    each crossing ``source``, its informed groups (``positions`` among its groups that are not
    turned back), in this order. ``decided_h``: when each one chose to come (``inf``: it did
    not)."""

    sources: list[tuple[str, np.ndarray]]
    decided_h: np.ndarray

    def offset(self, source: str) -> int:
        at = 0
        for cp, positions in self.sources:
            if cp == source:
                return at
            at += len(positions)
        raise KeyError(source)


@dataclass
class CheckpointRun:
    """One checkpoint's controller and, after the run, its per-group results.

    ``groups`` are every group presented at the far side, by mode; ``entering`` the indices
    (into ``groups``) of those not turned back, which both sides' pools hold first, in that
    order; ``parts`` says which groups each lane mode's pools hold (see :class:`PoolParts`).
    """

    setup: CheckpointPlan
    near: SideRun
    far: SideRun
    groups: dict[Mode, Groups]
    entering: dict[Mode, np.ndarray]
    parts: dict[LaneMode, PoolParts]
    n_hours: int
    incoming: dict[Mode, Incoming] = field(default_factory=dict)
    diverted_h: dict[Mode, np.ndarray] = field(default_factory=dict)
    """Per group that is not turned back: when it left for another crossing (``inf``: it
    did not)."""
    diverted_to: dict[Mode, dict[int, str]] = field(default_factory=dict)
    expected_h: dict[Mode, np.ndarray] | None = None
    """Expected wait of a group of each mode arriving at the start of each hour (both sides),
    recorded when diversion is on."""
    surge_on: bool = False
    surge_pending: bool = False

    def side(self, side: Side) -> SideRun:
        return self.near if side is Side.near else self.far

    @property
    def pools(self) -> dict[LaneMode, LanePool]:
        """Our lane pools."""
        return self.near.pools

    @property
    def lanes_log(self) -> dict[LaneMode, np.ndarray]:
        """Our open lanes by lane mode, hour by hour."""
        return self.near.lanes_log

    def refresh(self, now: float) -> None:
        """Open each side's lanes as this hour allows (surge lanes on ours while on)."""
        surge = self.setup.surge
        self.near.refresh(now, surge.extra_lanes if self.surge_on and surge else {})
        self.far.refresh(now, {})

    @property
    def queued_persons(self) -> int:
        """Persons queuing at our control (ordinary travellers included)."""
        return self.near.queued_persons

    @property
    def closed(self) -> bool:
        """Closed on either side."""
        return self.near.closed or self.far.closed

    def expected_wait_h(self, m: Mode) -> float:
        """Expected wait now of a group of mode ``m`` arriving at the far side (both sides)."""
        total = 0.0
        for side in (self.far, self.near):
            if side.closed:
                return math.inf
            pool = side.pools[LaneMode(m)]
            lanes = pool.open_lanes or side.base_lanes[LaneMode(m)]
            if lanes == 0:
                return math.inf
            total += (len(pool.queue) + pool.on_road) * side.mean_service_h[m] / lanes
        return total


def _hourly(env: simpy.Environment, cp: CheckpointRun, wakes: list[int] | None) -> Process:
    """Each hour: open the lanes the hour allows, start or end a surge by the queue, note the
    lanes open, and (diversion) each mode's expected wait. ``wakes``: the only hours at which
    any of that can change (see :func:`_wake_hours`); None: every hour."""
    if wakes is not None:
        yield from _at_changes(env, cp, wakes)
        return
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
        if cp.expected_h is not None:
            for m in Mode:
                cp.expected_h[m][h] = cp.expected_wait_h(m)
        yield env.timeout(1.0)


def _at_changes(env: simpy.Environment, cp: CheckpointRun, wakes: list[int]) -> Process:
    """:func:`_hourly` for a controller with no surge and no diversion, waking only at
    ``wakes``: at any other hour it would find nothing changed and do nothing."""
    for h, nxt in zip(wakes, [*wakes[1:], cp.n_hours], strict=True):
        cp.refresh(env.now)
        cp.near.log(h)
        cp.far.log(h)
        yield env.timeout(nxt - h)


def _wake_hours(cp: CheckpointRun, at_h: list[float]) -> list[int] | None:
    """The hours at which ``cp``'s controller wakes, given the times ``at_h`` of the injects
    acting on it; None (every hour) unless every pool of ``cp`` is settled, no surge reads
    the queue and no diversion records expected waits each hour.

    Else the hours at which it can change its lanes or note a change: the first, each hour a
    shift starts or ends on either side, and the two hours from each inject on (an inject acts
    on its own at its time; the controller notes the change at the next hour it runs: the
    same hour when the time is whole and the inject's event comes first), each with the hour
    before. At the hours it skips it would have done nothing, and settled pools do not see
    the SimPy schedule, only the times at which the controller acts: a group's event at such
    a time leaves the run to the SimPy schedule (:class:`SimultaneousEvents`), where every
    controller wakes every hour, as a pool on that schedule needs (two events at one time
    keep the order in which they were scheduled)."""
    pools = [*cp.near.pools.values(), *cp.far.pools.values()]
    if cp.setup.surge is not None or cp.expected_h is not None or not all(p.settled for p in pools):
        return None
    acting = {0}
    for side in (cp.near, cp.far):
        starts = side.shift_starts()
        acting.update(h for h in range(1, cp.n_hours) if h % 24 in starts)
    for t in at_h:
        acting.update((math.ceil(t), math.ceil(t) + 1))
    hours = acting | {h - 1 for h in acting if h > 0}
    return sorted(h for h in hours if 0 <= h < cp.n_hours)


def _activate_surge(env: simpy.Environment, cp: CheckpointRun, delay_h: float) -> Process:
    yield env.timeout(delay_h)
    cp.surge_pending = False
    cp.surge_on = True
    cp.refresh(env.now)


def _inject(env: simpy.Environment, cp: CheckpointRun, at_h: float, apply: BorderAction) -> Process:
    yield env.timeout(at_h)
    apply(cp)
    cp.refresh(env.now)


def _most_lanes(sc: Scenario, setup: CheckpointPlan, side: Side) -> dict[LaneMode, int]:
    """Most lanes of each lane mode one side may ever open: its base lanes or a lanes inject
    on that side, plus surge lanes on ours, plus (cars) truck lanes a shift opens to them.
    Each is an upper bound on the pool's busy lanes."""
    plan = setup.near_side if side is Side.near else setup.far_side
    injects = [
        i
        for i in sc.injects
        if isinstance(i, LanesInject) and i.target == setup.id and i.params.side is side
    ]
    most = {}
    for lm in LaneMode:
        most[lm] = max([plan.lanes[lm]] + [i.params.get(lm, 0) for i in injects])
        if side is Side.near and setup.surge:
            most[lm] += setup.surge.extra_lanes.get(lm, 0)
    most[LaneMode.car] += max((s.truck_lanes_to_cars for s in plan.shifts or ()), default=0)
    return most


@dataclass(frozen=True)
class _Heading:
    """One checkpoint's groups before its pools are built: the influx's by mode, those not
    turned back, those of them informed (diversion), and its ordinary traffic."""

    groups: dict[Mode, Groups]
    entering: dict[Mode, np.ndarray]
    informed: dict[Mode, np.ndarray]
    traffic: BaselineTraffic


def _heading(sc: Scenario, setup: CheckpointPlan, prepared: Prepared | None = None) -> _Heading:
    planned = prepared.planned(sc, setup.id) if prepared is not None else None
    groups = checkpoint_groups(sc, setup.id, planned=planned)
    entering = {m: np.flatnonzero(~turned_back(groups[m].arrive_h, setup.turn_back)) for m in Mode}
    share = sc.diversion.informed_share
    return _Heading(
        groups,
        entering,
        {m: informed(len(entering[m]), share) for m in Mode},
        baseline_traffic(sc, setup.id, setup.baseline),
    )


def _incoming(
    sc: Scenario,
    setup: CheckpointPlan,
    m: Mode,
    sources: list[tuple[str, np.ndarray]],
    heading: dict[str, _Heading],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Persons and both sides' processing hours of the places kept for groups of mode ``m``
    that may divert to ``setup`` (each side's own stream per source)."""
    persons = [heading[a].groups[m].persons[heading[a].entering[m][pos]] for a, pos in sources]
    lm = LaneMode(m)
    far = [
        side_service_hours(sc, setup, Side.far, lm, p, "from", a)
        for (a, _), p in zip(sources, persons, strict=True)
    ]
    near = [
        side_service_hours(sc, setup, Side.near, lm, p, "from", a)
        for (a, _), p in zip(sources, persons, strict=True)
    ]
    if not persons:
        empty = np.zeros(0)
        return np.zeros(0, dtype=np.int64), empty, empty
    return np.concatenate(persons).astype(np.int64), np.concatenate(far), np.concatenate(near)


def _two_sides(
    env: simpy.Environment,
    sc: Scenario,
    setup: CheckpointPlan,
    heading: dict[str, _Heading],
    incoming: dict[Mode, Incoming],
) -> tuple[dict[LaneMode, LanePool], dict[LaneMode, LanePool], dict[LaneMode, PoolParts]]:
    """Per lane mode, the far pool feeding the near pool: the influx groups that are not
    turned back and places for groups diverting here, then ordinary inbound groups, in both;
    ordinary outbound groups after them in ours."""
    far_most, near_most = _most_lanes(sc, setup, Side.far), _most_lanes(sc, setup, Side.near)
    own = heading[setup.id]
    far, near, parts = {}, {}, {}
    for lm in LaneMode:
        inbound, outbound = own.traffic.inbound[lm], own.traffic.outbound[lm]
        if lm is LaneMode.truck:
            arrive, persons = np.zeros(0), np.zeros(0, dtype=np.int64)
            far_svc = near_svc = np.zeros(0)
            n_in = 0
        else:
            m = Mode(lm)
            g, keep = own.groups[m], own.entering[m]
            in_persons, in_far, in_near = _incoming(sc, setup, m, incoming[m].sources, heading)
            n_in = len(in_persons)
            arrive = np.concatenate([g.arrive_h[keep], np.full(n_in, np.inf)])
            persons = np.concatenate([g.persons[keep], in_persons])
            far_svc = np.concatenate(
                [group_service_hours(sc, setup, mode=m, groups=g, side=Side.far)[keep], in_far]
            )
            near_svc = np.concatenate(
                [group_service_hours(sc, setup, mode=m, groups=g)[keep], in_near]
            )

        def svc(t: Traffic, side: Side, way: str, lm: LaneMode = lm) -> np.ndarray:
            return traffic_service_hours(sc, setup, mode=lm, traffic=t, side=side, way=way)

        far[lm] = LanePool(
            env,
            np.concatenate([arrive, inbound.arrive_h]),
            np.concatenate([persons, inbound.persons]),
            np.concatenate([far_svc, svc(inbound, Side.far, "inbound")]),
            max_lanes=far_most[lm],
        )
        near[lm] = LanePool(
            env,
            np.concatenate([arrive, inbound.arrive_h, outbound.arrive_h]),
            np.concatenate([persons, inbound.persons, outbound.persons]),
            np.concatenate(
                [
                    near_svc,
                    svc(inbound, Side.near, "inbound"),
                    svc(outbound, Side.near, "outbound"),
                ]
            ),
            max_lanes=near_most[lm],
        )
        far[lm].feed(near[lm])
        n_own = 0 if lm is LaneMode.truck else len(own.entering[Mode(lm)])
        parts[lm] = PoolParts(n_own, n_in, len(inbound), len(outbound))
    return far, near, parts


def _mean_service_h(pools: dict[LaneMode, LanePool], side: SidePlan) -> dict[Mode, float]:
    """Mean processing hours of a group of each mode at one side: over its groups, or (none)
    a single person's."""
    out = {}
    for m in Mode:
        svc = pools[LaneMode(m)].service_h
        p = side.processing[m]
        out[m] = float(svc.mean()) if len(svc) else (p.min_per_vehicle + p.min_per_person) / 60
    return out


def _divert_gate(
    env: simpy.Environment,
    runs: dict[str, CheckpointRun],
    cp: str,
    m: Mode,
    reach: Reach,
    informed_groups: np.ndarray,
    delay_h: float,
) -> Callable[[int], bool]:
    """The gate of ``cp``'s far pool of mode ``m``: an informed group arriving there compares
    the expected waits as they stood ``delay_h`` hours ago and goes where it is quickest."""
    run = runs[cp]
    ordinal = np.cumsum(informed_groups) - 1
    n_own = len(informed_groups)
    pool = run.far.pools[LaneMode(m)]

    def gate(i: int) -> bool:
        if i >= n_own or not informed_groups[i]:
            return True
        h = math.floor(env.now - delay_h)
        if h < 0 or h >= run.n_hours:
            return True  # nothing known yet
        assert run.expected_h is not None
        options = [
            (b, drive_h, runs[b].expected_h[m][h])  # type: ignore[index]
            for b, drive_h in reach.to
            if not runs[b].closed
        ]
        choice = best_choice(float(run.expected_h[m][h]), options)
        if choice is None:
            return True
        b, drive_h = choice
        there = runs[b]
        slot = there.parts[LaneMode(m)].influx + there.incoming[m].offset(cp) + int(ordinal[i])
        there.incoming[m].decided_h[slot - there.parts[LaneMode(m)].influx] = env.now
        run.diverted_h[m][i] = env.now
        run.diverted_to[m][i] = b
        pool.arrive_h[i] = np.inf  # it never queues here
        far_b = there.far.pools[LaneMode(m)]
        env.timeout(drive_h).callbacks.append(lambda _ev: far_b.receive(slot))
        return False

    return gate


def run_border(
    sc: Scenario,
    ref: RefData,
    *,
    plan: Plan | None = None,
    on_day: Callable[[int], object] | None = None,
    settle: bool = True,
    prepared: Prepared | None = None,
) -> dict[str, CheckpointRun]:
    """Build the border stage and run it over the horizon, day by day (``on_day(day)`` after
    each): with settled lane pools (:attr:`LanePool.settled`), or, should a group's event
    fall at the very time a controller acts, again with every pool on the SimPy schedule.
    Either way every group starts when the SimPy model starts it. ``settle=False``: every
    pool on the SimPy schedule from the start (the reference model). ``prepared``: the
    scenario's seed-free part, worked out already (its plan is used, not ``plan``)."""
    plan = prepared.plan if prepared is not None else plan or resolve(sc, ref)
    reported = 0
    for settled in (True, False) if settle else (False,):
        env = simpy.Environment()
        runs = build_border(env, sc, ref, plan=plan, settled=settled, prepared=prepared)
        try:
            with _collector_paused():
                for day in range(1, sc.horizon_days + 1):
                    env.run(until=day * 24)
                    if on_day is not None and day > reported:
                        reported = day
                        on_day(day)
        except SimultaneousEvents:
            continue
        return runs
    raise AssertionError("the SimPy schedule orders every event")  # pragma: no cover


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: the stage makes millions of small tuples
    and events and no cycles, and each collection would scan them all."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _settle_pools(env: simpy.Environment, runs: dict[str, CheckpointRun], n_hours: int) -> None:
    """Settle the pools of lane modes that can be (no shared road, no gate, no diversion),
    far and near alike, and catch them up at the end of the run."""
    settled = [
        pool
        for run in runs.values()
        for lm in LaneMode
        if run.far.pools[lm].road is None
        and run.near.pools[lm].road is None
        and run.far.pools[lm].gate is None
        for pool in (run.far.pools[lm], run.near.pools[lm])
    ]
    for pool in settled:
        pool.settled = True

    def catch_up(_event: simpy.Event) -> None:
        for pool in settled:
            pool.settle(n_hours, final=True)

    Timer(env, n_hours, catch_up, priority=URGENT)


def build_border(
    env: simpy.Environment,
    sc: Scenario,
    ref: RefData,
    *,
    plan: Plan | None = None,
    settled: bool = False,
    prepared: Prepared | None = None,
) -> dict[str, CheckpointRun]:
    """Create every checkpoint's groups, lane pools and controllers in ``env`` (``plan``:
    the scenario resolved against ``ref``, resolved here when not given). ``settled``: serve
    the pools that can be off the SimPy schedule (see :func:`run_border`); a run must then
    reach the horizon before its pools are read, and may raise :class:`SimultaneousEvents`.
    ``prepared``: as :func:`run_border`'s."""
    n_hours = sc.horizon_days * 24
    plan = prepared.plan if prepared is not None else plan or resolve(sc, ref)
    heading = {cp: _heading(sc, setup, prepared) for cp, setup in plan.checkpoints.items()}
    diverting = sc.diversion.informed_share > 0
    reach = (
        reaches(ref.checkpoints, list(plan.checkpoints), sc.diversion)
        if diverting
        else {cp: Reach(()) for cp in plan.checkpoints}
    )
    runs: dict[str, CheckpointRun] = {}
    for cp_id, setup in plan.checkpoints.items():
        incoming = {}
        for m in Mode:
            sources = [
                (a, np.flatnonzero(heading[a].informed[m]))
                for a in plan.checkpoints
                if any(b == cp_id for b, _ in reach[a].to)
            ]
            n = sum(len(pos) for _, pos in sources)
            incoming[m] = Incoming(sources, np.full(n, np.inf))
        far, near, parts = _two_sides(env, sc, setup, heading, incoming)
        own = heading[cp_id]
        run = CheckpointRun(
            setup,
            SideRun(setup.near_side, near, n_hours),
            SideRun(setup.far_side, far, n_hours),
            own.groups,
            own.entering,
            parts,
            n_hours,
            incoming=incoming,
            diverted_h={m: np.full(len(own.entering[m]), np.inf) for m in Mode},
            diverted_to={m: {} for m in Mode},
            expected_h={m: np.full(n_hours, np.inf) for m in Mode} if diverting else None,
        )
        run.near.share_road(setup.approach)
        run.far.share_road(setup.far_approach or setup.approach)
        run.near.mean_service_h = _mean_service_h(near, setup.near_side)
        run.far.mean_service_h = _mean_service_h(far, setup.far_side)
        runs[cp_id] = run
    if settled and not diverting:
        _settle_pools(env, runs, n_hours)
    for cp_id, run in runs.items():
        if diverting and reach[cp_id].to:
            for m in Mode:
                run.far.pools[LaneMode(m)].gate = _divert_gate(
                    env,
                    runs,
                    cp_id,
                    m,
                    reach[cp_id],
                    heading[cp_id].informed[m],
                    sc.diversion.info_delay_h,
                )
        for lm in LaneMode:
            run.far.pools[lm].start()
            run.near.pools[lm].start()
        acting = [
            (inj.at_h, action)
            for inj in sc.injects
            if inj.target == cp_id and (action := border_action(inj)) is not None
        ]
        env.process(_hourly(env, run, _wake_hours(run, [t for t, _ in acting])))
        for at_h, action in acting:
            env.process(_inject(env, run, at_h, action))
    return runs
