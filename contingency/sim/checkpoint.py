"""Processing of groups at one checkpoint lane pool, in SimPy.

A lane pool serves one lane mode (car, bus, truck or pedestrian) at one control of a crossing.
Groups queue FIFO; while fewer lanes are busy than are open, the next group starts service and
holds a lane for its processing time (times the pool's processing multiplier at the start of
service). Lanes open and close with shifts, injects and surge activation; a closed pool keeps
its queue, and a lane above the open count finishes its group before it stops. Groups are
integers indexing arrays of arrival time, size and processing time, and a service is one
timeout event with a callback (:class:`Timer`), so a group costs one or two events and no
objects or processes.

A settled pool (:attr:`LanePool.settled`) keeps its groups off the SimPy schedule: between two
acts of its controller (lanes, multiplier) nothing outside the pool changes it, so whenever the
controller changes them or reads the queue, :meth:`LanePool.settle` first serves every arrival
and end of service before that instant in the order SimPy's events would take, with the same
arithmetic on the times (in compiled code: :mod:`contingency.sim.settle`).
Only an event at the controller's very instant could go either way: then
:class:`SimultaneousEvents` is raised, and the stage runs again on the SimPy schedule.

Two pools in series (the neighbour's exit control, then ours) share their first group indices:
the first pool :meth:`~LanePool.feed` s the second, which takes each of those groups at the
instant its service in the first ends, in the same event as that end. The second pool may hold
further groups of its own after those (traffic that starts at it: people leaving the country).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import numpy as np
import simpy
from simpy.events import NORMAL, EventPriority

from contingency.sim.settle import SettledState, SimultaneousEvents

__all__ = ["LanePool", "SharedRoad", "SimultaneousEvents", "Timer"]

PLAZA_PER_LANE = 1
"""Vehicles that can stand in front of each open lane, off the approach road (assumption)."""


class Timer(simpy.Event):
    """An event ``delay`` hours from now that calls ``callback`` (with itself) when it fires:
    ``env.timeout(delay, value)`` plus one callback, built in one step and scheduled alike."""

    def __init__(
        self,
        env: simpy.Environment,
        delay: float,
        callback: Callable[[simpy.Event], None],
        value: object = None,
        *,
        priority: EventPriority = NORMAL,
    ):
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._ok = True
        env.schedule(self, priority, delay)


@dataclass
class LanePool:
    """Groups of one lane mode at one control, and the lanes that serve them.

    ``arrive_h``, ``persons`` and ``service_h`` are per-group arrays. A finite ``arrive_h`` is
    a group's own arrival here; a pool fed by another has ``inf`` for the groups it is fed
    until they reach it (``inf`` for those that never do). After the run ``start_h`` holds each
    group's service start (``inf`` if never started) and ``service_h`` the processing time each
    started group took.
    """

    env: simpy.Environment
    arrive_h: np.ndarray
    persons: np.ndarray
    service_h: np.ndarray
    max_lanes: int
    open_lanes: int = 0
    start_h: np.ndarray = field(init=False)
    queue: deque[int] = field(default_factory=deque, init=False)
    """Groups queuing (a settled pool: as of its final :meth:`settle`)."""
    queued_persons: int = field(default=0, init=False)
    """Persons queuing (a settled pool: as of its final :meth:`settle`; during a run,
    :meth:`queued_now`)."""
    busy: int = field(default=0, init=False)
    """Lanes serving a group now (above ``open_lanes`` for a while after lanes close; a
    settled pool: as of its final :meth:`settle`)."""
    downstream: LanePool | None = field(default=None, init=False)
    """The pool each group goes on to when its service here ends (None: it leaves)."""
    fed: int = field(default=0, init=False)
    """How many of the first groups another pool brings to this one."""
    road: SharedRoad | None = field(default=None, init=False)
    """The approach road this pool's vehicles share with other pools' (None: its own)."""
    on_road: int = field(default=0, init=False)
    """Groups of this pool still on the shared road (not yet in ``queue``)."""
    on_road_persons: int = field(default=0, init=False)
    gate: Callable[[int], bool] | None = field(default=None, init=False)
    """Asked, as each group arriving on its own reaches the pool, whether it joins the queue
    (False: it goes elsewhere, see :mod:`contingency.sim.diversion`)."""
    settled: bool = field(default=False, init=False)
    """Serve groups off the SimPy schedule, catching up (:meth:`settle`) whenever the
    controller changes the pool's lanes or multiplier or reads its queue: for a pool with no
    shared road and no gate, fed by a settled pool or none (see :meth:`settle`)."""
    _multiplier: float = field(default=1.0, init=False)
    _persons: list[int] = field(default_factory=list, init=False)
    _service: list[float] = field(default_factory=list, init=False)
    _upstream: LanePool | None = field(default=None, init=False)
    _state: SettledState | None = field(default=None, init=False)
    """A settled pool's state while it runs (:mod:`contingency.sim.settle`)."""

    def __post_init__(self) -> None:
        self.start_h = np.full(len(self.arrive_h), np.inf)

    @property
    def multiplier(self) -> float:
        """Factor on the processing time of groups that start service from now on."""
        return self._multiplier

    @multiplier.setter
    def multiplier(self, value: float) -> None:
        if self.settled and value != self._multiplier:
            self.settle(self.env.now)
        self._multiplier = value

    def feed(self, nxt: LanePool) -> None:
        """Send every group, as its service here ends, to ``nxt`` under the same index. ``nxt``
        has at least as many groups; the first ``len(self)`` have no arrival times of their own
        there (``arrive_h`` becomes each one's end of service here; ``inf`` until then). Call
        before :meth:`start`."""
        n = len(self.arrive_h)
        if len(nxt.arrive_h) < n:
            raise ValueError(f"a pool of {n} groups cannot feed one of {len(nxt.arrive_h)}")
        self.downstream = nxt
        nxt._upstream = self
        nxt.fed = n
        nxt.arrive_h = nxt.arrive_h.astype(float, copy=True)
        nxt.arrive_h[:n] = np.inf

    def start(self) -> None:
        """Register the arrivals of the groups that start here (every group of a pool nobody
        feeds)."""
        own = np.flatnonzero(np.isfinite(self.arrive_h))
        order = own[np.argsort(self.arrive_h[own], kind="stable")]
        if self.settled:
            state = self._state = SettledState.of(
                persons=self.persons,
                service=self.service_h,
                starts=self.start_h,
                arrivals=self.arrive_h,
                own_order=order,
                own_times=self.arrive_h[order],
                fed=self.fed,
                max_lanes=max(self.max_lanes, self.open_lanes),  # busy lanes at most
            )
            # from now on the state's arrays are the pool's
            self.service_h, self.start_h, self.arrive_h = (
                state.service,
                state.starts,
                state.arrivals,
            )
            return
        self._persons, self._service = self.persons.tolist(), self.service_h.tolist()
        if len(own):
            self.env.process(self._arrivals(order.tolist(), self.arrive_h[order].tolist()))

    def set_open_lanes(self, n: int) -> None:
        """Open ``n`` lanes (0 closes the pool). Busy lanes above ``n`` finish their group."""
        n = max(0, min(int(n), self.max_lanes))
        if n == self.open_lanes:
            return
        if self.settled:
            self.settle(self.env.now)
        self.open_lanes = n
        self._serve(self.env.now)
        if self.road is not None:
            self.road.release()

    def queued_now(self) -> int:
        """Persons queuing now (a settled pool catches up first)."""
        if self._state is None:
            return self.queued_persons
        self.settle(self.env.now)
        return self._state.queued_persons

    def receive(self, i: int) -> None:
        """Group ``i`` reaches this pool now (from the pool that feeds it)."""
        self.arrive_h[i] = self.env.now
        self._come(i)

    def _come(self, i: int) -> None:
        """Group ``i`` reaches the control: by the shared road, or straight into the queue."""
        if self.road is not None:
            self.road.arrive(self, i)
        else:
            self._join(i)

    @property
    def has_room(self) -> bool:
        """Whether a vehicle coming off a shared road finds a place in front of the booths
        (:data:`PLAZA_PER_LANE` behind each open lane)."""
        return self.busy + len(self.queue) < self.open_lanes * (1 + PLAZA_PER_LANE)

    def _join(self, i: int) -> None:
        self.queue.append(i)
        self.queued_persons += self._persons[i]
        if self.busy < self.open_lanes:
            self._serve(self.env.now)

    def _serve(self, now: float) -> None:
        """Start the next groups while a lane is free (at ``now``)."""
        if self._state is not None:
            self._state.start_queued(now, self.open_lanes, self._multiplier)
            return
        queue = self.queue
        while queue and self.busy < self.open_lanes:
            i = queue.popleft()
            self.queued_persons -= self._persons[i]
            self.start_h[i] = now
            took = self._service[i]
            if self._multiplier != 1.0:
                took *= self._multiplier
                self.service_h[i] = took
            self.busy += 1
            Timer(self.env, took, self._done, i)

    def _done(self, event: simpy.Event) -> None:
        self.busy -= 1
        if self.downstream is not None:
            self.downstream.receive(event.value)  # type: ignore[arg-type]
        if self.queue:
            self._serve(self.env.now)
        if self.road is not None:
            self.road.release()

    def settle(self, until: float, *, final: bool = False) -> None:
        """Serve (settled) every arrival and end of service before ``until`` as the SimPy
        events would, the pool feeding this one first. An arrival or end at ``until`` itself
        would fall on a controller's event, where only SimPy's event order decides:
        :class:`SimultaneousEvents` (unless ``final``: the end of the run, where neither
        happens; ``busy``, ``queued_persons`` and ``queue`` are up to date from then on)."""
        if self._upstream is not None:
            self._upstream.settle(until, final=final)
        state = self._state
        assert state is not None, "a settled pool is started before it is settled"
        down = self.downstream._state if self.downstream is not None else None
        t = state.serve(until, self.open_lanes, self._multiplier, down)
        if final:
            self.busy, self.queued_persons = state.busy, state.queued_persons
            self.queue = deque(state.queued())
        elif t == until:
            raise SimultaneousEvents(until)

    def _arrivals(
        self, order: list[int], times: list[float]
    ) -> Generator[simpy.Event, object, None]:
        env = self.env
        for i, t in zip(order, times, strict=True):
            delay = t - env.now
            if delay > 0:
                yield env.timeout(delay)
            if self.gate is None or self.gate(i):
                self._come(i)


@dataclass
class SharedRoad:
    """One approach road of ``files`` lanes that vehicles of several pools (cars, buses and
    trucks) queue on in arrival order. The front vehicle leaves the road into its pool when
    that pool has room (:attr:`LanePool.has_room`); if it has none, it stops at the end of its
    file, and the vehicles behind it in that file wait too: once every file's front vehicle is
    stopped, nobody leaves the road. So on a one-file road a truck whose lanes are full holds
    up the cars behind it."""

    files: int
    queue: deque[tuple[LanePool, int]] = field(default_factory=deque)
    stopped: list[tuple[LanePool, int]] = field(default_factory=list)

    def arrive(self, pool: LanePool, i: int) -> None:
        pool.on_road += 1
        pool.on_road_persons += pool._persons[i]
        self.queue.append((pool, i))
        self.release()

    @staticmethod
    def _leave(pool: LanePool, i: int) -> None:
        pool.on_road -= 1
        pool.on_road_persons -= pool._persons[i]
        pool._join(i)

    def release(self) -> None:
        """Let vehicles off the road while their pools have room."""
        still = []
        for pool, i in self.stopped:  # the stopped fronts go first, oldest first
            if pool.has_room:
                self._leave(pool, i)
            else:
                still.append((pool, i))
        self.stopped = still
        while self.queue and len(self.stopped) < self.files:
            pool, i = self.queue.popleft()
            if pool.has_room:
                self._leave(pool, i)
            else:
                self.stopped.append((pool, i))
