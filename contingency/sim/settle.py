"""A settled lane pool's events, served in compiled code.

Between two acts of its controller a settled pool
(:attr:`~contingency.sim.checkpoint.LanePool.settled`) changes only by its own events:
arrivals (its own, or groups fed by the pool before it) and ends of service.
:meth:`SettledState.serve` serves them in the order SimPy's events would take, with the same
arithmetic on the times, so every group starts when the SimPy model starts it (the test suite
compares them on every bundled scenario). The state is a handful of NumPy arrays
(:class:`SettledState`) so the loop runs under Numba, compiled once and cached on disk.

Ends of service are kept in a binary heap keyed on (end time, start order): the order in
which SimPy pops two events at the same time is the order they were scheduled, and services
are scheduled as they start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

# Integer state slots.
NEXT_OWN, NEXT_FED, FED_IN, BUSY, STARTED, Q_HEAD, Q_TAIL, QUEUED = range(8)
CLOCK = 0
"""Float state slot: when the last group arriving on its own arrived (as SimPy's clock of
the arrival events runs)."""


class SimultaneousEvents(Exception):
    """A settled pool has an arrival or end of service at the very time a controller acts on
    it: only the SimPy schedule can order them, so the stage is run on it instead."""

    def __init__(self, at_h: float):
        super().__init__(at_h)
        self.at_h = at_h

    def __str__(self) -> str:
        return f"events at once at {self.at_h} h"


@dataclass
class SettledState:
    """What a settled pool holds while it runs: its groups' arrays (shared with the pool, so
    start and service times are written where the pool keeps them), its arrivals of its own
    in time order, the groups fed to it so far, its queue and the services under way."""

    persons: np.ndarray
    service: np.ndarray
    starts: np.ndarray
    arrivals: np.ndarray
    own_order: np.ndarray
    own_times: np.ndarray
    fed_h: np.ndarray
    fed_i: np.ndarray
    queue: np.ndarray
    heap_t: np.ndarray
    heap_s: np.ndarray
    heap_g: np.ndarray
    ints: np.ndarray
    floats: np.ndarray

    @classmethod
    def of(
        cls,
        *,
        persons: np.ndarray,
        service: np.ndarray,
        starts: np.ndarray,
        arrivals: np.ndarray,
        own_order: np.ndarray,
        own_times: np.ndarray,
        fed: int,
        max_lanes: int,
    ) -> SettledState:
        """The state of a pool of ``len(persons)`` groups, ``fed`` of them brought by another
        pool, at most ``max_lanes`` lanes busy at once."""
        n, lanes = len(persons), max(max_lanes, 1)
        return cls(
            persons=np.ascontiguousarray(persons, dtype=np.int64),
            service=service,
            starts=starts,
            arrivals=arrivals,
            own_order=np.ascontiguousarray(own_order, dtype=np.int64),
            own_times=np.ascontiguousarray(own_times, dtype=np.float64),
            fed_h=np.empty(fed, dtype=np.float64),
            fed_i=np.empty(fed, dtype=np.int64),
            queue=np.empty(n, dtype=np.int64),
            heap_t=np.empty(lanes, dtype=np.float64),
            heap_s=np.empty(lanes, dtype=np.int64),
            heap_g=np.empty(lanes, dtype=np.int64),
            ints=np.zeros(8, dtype=np.int64),
            floats=np.zeros(1, dtype=np.float64),
        )

    @property
    def busy(self) -> int:
        return int(self.ints[BUSY])

    @property
    def queued_persons(self) -> int:
        return int(self.ints[QUEUED])

    def queued(self) -> list[int]:
        """The groups queuing, first first."""
        return self.queue[self.ints[Q_HEAD] : self.ints[Q_TAIL]].tolist()

    def serve(self, until: float, lanes: int, mult: float, down: SettledState | None) -> float:
        """Serve every event before ``until`` (the groups whose service ends go on to
        ``down``); returns the time of the first event left, or raises
        :class:`SimultaneousEvents` when a group fed and one of
        its own arrive at once before ``until``."""
        d = down or _NOWHERE
        t, tie = _serve(
            until, lanes, mult, self.persons, self.service, self.starts, self.arrivals,
            self.own_order, self.own_times, self.fed_h, self.fed_i, self.queue,
            self.heap_t, self.heap_s, self.heap_g, self.ints, self.floats,
            d.fed_h, d.fed_i, d.ints, down is not None,
        )  # fmt: skip
        if tie:
            raise SimultaneousEvents(t)
        return float(t)

    def start_queued(self, now: float, lanes: int, mult: float) -> None:
        """Start the queue's next groups at ``now`` while a lane is free."""
        _start_queued(
            now, lanes, mult, self.persons, self.service, self.starts, self.queue,
            self.heap_t, self.heap_s, self.heap_g, self.ints,
        )  # fmt: skip


def _nowhere() -> SettledState:
    empty_f, empty_i = np.empty(0, dtype=np.float64), np.empty(0, dtype=np.int64)
    return SettledState.of(
        persons=empty_i,
        service=empty_f,
        starts=empty_f,
        arrivals=empty_f,
        own_order=empty_i,
        own_times=empty_f,
        fed=0,
        max_lanes=0,
    )


_NOWHERE = _nowhere()
"""The arrays passed for the pool after a pool that has none (never written)."""


@numba.njit(cache=True, inline="always")
def _own_arrival(times: np.ndarray, k: int, clock: float) -> float:
    """When the ``k``-th group arriving on its own arrives, the last having arrived at
    ``clock``: as its SimPy event falls (``clock`` + the delay; at once if due already)."""
    if k >= len(times):
        return math.inf
    delay = times[k] - clock
    return clock + delay if delay > 0 else clock


@numba.njit(cache=True, inline="always")
def _before(t1: float, s1: int, t2: float, s2: int) -> bool:
    return t1 < t2 or (t1 == t2 and s1 < s2)


@numba.njit(cache=True, inline="always")
def _push(
    heap_t: np.ndarray, heap_s: np.ndarray, heap_g: np.ndarray, n: int, t: float, s: int, g: int
) -> None:
    i = n
    while i > 0:
        up = (i - 1) >> 1
        if not _before(t, s, heap_t[up], heap_s[up]):
            break
        heap_t[i], heap_s[i], heap_g[i] = heap_t[up], heap_s[up], heap_g[up]
        i = up
    heap_t[i], heap_s[i], heap_g[i] = t, s, g


@numba.njit(cache=True, inline="always")
def _pop(heap_t: np.ndarray, heap_s: np.ndarray, heap_g: np.ndarray, n: int) -> int:
    """Remove the heap's first of ``n`` entries; returns its group."""
    top = heap_g[0]
    n -= 1
    t, s, g = heap_t[n], heap_s[n], heap_g[n]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and _before(heap_t[c + 1], heap_s[c + 1], heap_t[c], heap_s[c]):
            c += 1
        if not _before(heap_t[c], heap_s[c], t, s):
            break
        heap_t[i], heap_s[i], heap_g[i] = heap_t[c], heap_s[c], heap_g[c]
        i = c
    if n > 0:
        heap_t[i], heap_s[i], heap_g[i] = t, s, g
    return top


@numba.njit(cache=True)
def _start_queued(
    now: float,
    lanes: int,
    mult: float,
    persons: np.ndarray,
    service: np.ndarray,
    starts: np.ndarray,
    queue: np.ndarray,
    heap_t: np.ndarray,
    heap_s: np.ndarray,
    heap_g: np.ndarray,
    ints: np.ndarray,
) -> None:
    """As :meth:`LanePool._serve`: start the next groups at ``now`` while a lane is free (the
    processing multiplier on the time of each)."""
    ints[Q_HEAD], ints[BUSY], ints[STARTED], ints[QUEUED] = _start(
        now, lanes, mult, persons, service, starts, queue, heap_t, heap_s, heap_g,
        ints[Q_HEAD], ints[Q_TAIL], ints[BUSY], ints[STARTED], ints[QUEUED],
    )  # fmt: skip


@numba.njit(cache=True, inline="always")
def _start(
    now: float,
    lanes: int,
    mult: float,
    persons: np.ndarray,
    service: np.ndarray,
    starts: np.ndarray,
    queue: np.ndarray,
    heap_t: np.ndarray,
    heap_s: np.ndarray,
    heap_g: np.ndarray,
    head: int,
    tail: int,
    busy: int,
    started: int,
    queued: int,
) -> tuple[int, int, int, int]:
    """:func:`_start_queued` on the counters as values: the queue's head, the lanes busy,
    the services started and the persons queuing after."""
    while head < tail and busy < lanes:
        j = queue[head]
        head += 1
        queued -= persons[j]
        starts[j] = now
        took = service[j]
        if mult != 1.0:
            took *= mult
            service[j] = took
        _push(heap_t, heap_s, heap_g, busy, now + took, started, j)
        busy += 1
        started += 1
    return head, busy, started, queued


@numba.njit(cache=True)
def _serve(
    until: float,
    lanes: int,
    mult: float,
    persons: np.ndarray,
    service: np.ndarray,
    starts: np.ndarray,
    arrivals: np.ndarray,
    own_order: np.ndarray,
    own_times: np.ndarray,
    fed_h: np.ndarray,
    fed_i: np.ndarray,
    queue: np.ndarray,
    heap_t: np.ndarray,
    heap_s: np.ndarray,
    heap_g: np.ndarray,
    ints: np.ndarray,
    fl: np.ndarray,
    down_h: np.ndarray,
    down_i: np.ndarray,
    down_ints: np.ndarray,
    has_down: bool,
) -> tuple[float, bool]:
    """Serve the events before ``until`` in time order: an end before an arrival at the same
    time (which starts the same groups at the same times as the other order), ends in the
    order their services started. Returns the first event's time left and whether it is a
    fed and an own arrival at once before ``until`` (only SimPy's order can settle that)."""
    inf = math.inf
    k, clock, f, fed_in = ints[NEXT_OWN], fl[CLOCK], ints[NEXT_FED], ints[FED_IN]
    busy, started, queued = ints[BUSY], ints[STARTED], ints[QUEUED]
    head, tail = ints[Q_HEAD], ints[Q_TAIL]
    down_n = down_ints[FED_IN] if has_down else 0
    t_end = heap_t[0] if busy > 0 else inf
    t_own = _own_arrival(own_times, k, clock)
    t_fed = fed_h[f] if f < fed_in else inf
    tie = False
    while True:
        if t_end <= t_fed and t_end <= t_own:
            t = t_end
            if t >= until:
                break
            i = _pop(heap_t, heap_s, heap_g, busy)
            busy -= 1
            t_end = heap_t[0] if busy > 0 else inf
            if has_down:
                down_h[down_n], down_i[down_n] = t, i
                down_n += 1
        elif t_fed == t_own:
            t = t_own
            tie = t < until
            break
        else:
            t = t_fed if t_fed < t_own else t_own
            if t >= until:
                break
            if t_fed < t_own:
                i = fed_i[f]
                f += 1
                t_fed = fed_h[f] if f < fed_in else inf
                arrivals[i] = t
            else:
                i = own_order[k]
                k += 1
                clock = t
                t_own = _own_arrival(own_times, k, clock)
            queue[tail] = i
            tail += 1
            queued += persons[i]
        if head < tail and busy < lanes:
            head, busy, started, queued = _start(
                t, lanes, mult, persons, service, starts, queue, heap_t, heap_s, heap_g,
                head, tail, busy, started, queued,
            )  # fmt: skip
            t_end = heap_t[0]
    ints[NEXT_OWN], ints[NEXT_FED], ints[BUSY], ints[STARTED] = k, f, busy, started
    ints[QUEUED], ints[Q_HEAD], ints[Q_TAIL] = queued, head, tail
    if has_down:
        down_ints[FED_IN] = down_n
    fl[CLOCK] = clock
    return t, tie
