"""A settled lane pool's events, served in compiled code.

Between two acts of its controller a settled pool
(:attr:`~contingency.sim.checkpoint.LanePool.settled`) changes only by its own events:
arrivals (its own, or groups fed by the pool before it) and ends of service.
:meth:`SettledState.serve` serves them in the order SimPy's events would take, with the same
arithmetic on the times, so every group starts when the SimPy model starts it (the test suite
compares them on every bundled scenario). The state is a handful of NumPy arrays
(:class:`SettledState`) so the loop runs under Numba, compiled once and cached on disk; they
are views into two buffers, one of floats and one of integers, so a call passes two arrays
per pool (a pool's settling is asked for every hour when a surge watches its queue).

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
HEADER = 4
"""The integer buffer opens with the sizes its views follow from: groups, groups arriving on
their own, groups fed, lanes."""
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
    """What a settled pool holds while it runs: its groups' arrays (the pool reads its
    service, start and arrival times from here), its arrivals of its own in time order, the
    groups fed to it so far, its queue and the services under way: views of
    ``float_buffer`` and ``int_buffer`` (see :data:`HEADER`)."""

    float_buffer: np.ndarray
    int_buffer: np.ndarray
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
        pool, at most ``max_lanes`` lanes busy at once (the arrays are copied in: the pool
        reads ``service``, ``starts`` and ``arrivals`` from the state afterwards)."""
        n, n_own, lanes = len(persons), len(own_order), max(max_lanes, 1)
        f = np.zeros(3 * n + n_own + fed + lanes + 1)
        i = np.zeros(HEADER + 2 * n + n_own + fed + 2 * lanes + 8, dtype=np.int64)
        i[:HEADER] = n, n_own, fed, lanes
        state = cls(f, i, *_views.py_func(f, i))
        state.persons[:] = persons
        state.service[:] = service
        state.starts[:] = starts
        state.arrivals[:] = arrivals
        state.own_order[:] = own_order
        state.own_times[:] = own_times
        return state

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
        t, tie = _serve_packed(
            until, lanes, mult, self.float_buffer, self.int_buffer,
            d.float_buffer, d.int_buffer, down is not None,
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


@numba.njit(cache=True, inline="always")
def _views(f: np.ndarray, i: np.ndarray) -> tuple:
    """The state's arrays in :class:`SettledState`'s field order (after the buffers), as
    views of ``f`` and ``i`` laid out by the sizes in ``i``'s header (``_views.py_func``: the
    same in Python)."""
    n, n_own, fed, lanes = i[0], i[1], i[2], i[3]
    a1 = 3 * n  # floats: service, starts, arrivals | own times | fed | heap | clock
    a2 = a1 + n_own
    a3 = a2 + fed
    a4 = a3 + lanes
    b1 = HEADER + n  # integers: header | persons | own order | fed | queue | heap x2 | ints
    b2 = b1 + n_own
    b3 = b2 + fed
    b4 = b3 + n
    b5 = b4 + lanes
    b6 = b5 + lanes
    return (
        i[HEADER:b1], f[:n], f[n : 2 * n], f[2 * n : a1], i[b1:b2], f[a1:a2], f[a2:a3],
        i[b2:b3], i[b3:b4], f[a3:a4], i[b4:b5], i[b5:b6], i[b6 : b6 + 8], f[a4 : a4 + 1],
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
def _serve_packed(
    until: float,
    lanes: int,
    mult: float,
    f: np.ndarray,
    i: np.ndarray,
    down_f: np.ndarray,
    down_i: np.ndarray,
    has_down: bool,
) -> tuple[float, bool]:
    """:func:`_serve` on the state in ``f`` and ``i`` (the next pool's in ``down_f`` and
    ``down_i``)."""
    (
        persons, service, starts, arrivals, own_order, own_times, fed_h, fed_i, queue,
        heap_t, heap_s, heap_g, ints, fl,
    ) = _views(f, i)  # fmt: skip
    down = _views(down_f, down_i)
    return _serve(
        until, lanes, mult, persons, service, starts, arrivals, own_order, own_times,
        fed_h, fed_i, queue, heap_t, heap_s, heap_g, ints, fl, down[6], down[7], down[12],
        has_down,
    )  # fmt: skip


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
