"""Processing of groups at one checkpoint lane pool, in SimPy.

A lane pool serves one mode (car, bus or pedestrian) at one control of a crossing. Groups queue
FIFO; each open lane is a plain generator that takes the next group and holds it for its
processing time (times the pool's processing multiplier at the start of service). Lanes open and
close with shifts, injects and surge activation; a closed pool keeps its queue. Groups are
integers indexing arrays of arrival time, size and processing time, so a group costs two or
three events and no objects.

Two pools in series (the neighbour's exit control, then ours) share their group indices: the
first pool :meth:`~LanePool.feed` s the second, which takes each group at the instant its
service in the first ends, in the same event as that end.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import simpy


@dataclass
class LanePool:
    """Groups of one mode at one control, and the lanes that serve them.

    ``arrive_h``, ``persons`` and ``service_h`` are per-group arrays, ``arrive_h`` sorted (a
    pool fed by another fills ``arrive_h`` as groups reach it; ``inf`` for those that never
    do). After the run ``start_h`` holds each group's service start (``inf`` if never started)
    and ``service_h`` the processing time each started group took.
    """

    env: simpy.Environment
    arrive_h: np.ndarray
    persons: np.ndarray
    service_h: np.ndarray
    max_lanes: int
    open_lanes: int = 0
    multiplier: float = 1.0
    """Factor on the processing time of groups that start service from now on."""
    start_h: np.ndarray = field(init=False)
    queue: deque[int] = field(default_factory=deque, init=False)
    queued_persons: int = field(default=0, init=False)
    downstream: LanePool | None = field(default=None, init=False)
    """The pool each group goes on to when its service here ends (None: it leaves)."""
    fed: bool = field(default=False, init=False)
    """True when another pool brings this one its groups."""
    _idle: list[tuple[int, simpy.Event]] = field(default_factory=list, init=False)
    _persons: list[int] = field(default_factory=list, init=False)
    _service: list[float] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.start_h = np.full(len(self.arrive_h), np.inf)
        self._persons = self.persons.tolist()

    def feed(self, nxt: LanePool) -> None:
        """Send every group, as its service here ends, to ``nxt`` (the same groups under the
        same indices). ``nxt`` then has no arrival times of its own: its ``arrive_h`` becomes
        each group's end of service here (``inf`` until then). Call before :meth:`start`."""
        if len(nxt.arrive_h) != len(self.arrive_h):
            raise ValueError(f"pools of {len(self.arrive_h)} and {len(nxt.arrive_h)} groups")
        self.downstream = nxt
        nxt.fed = True
        nxt.arrive_h = np.full(len(self.arrive_h), np.inf)

    def start(self) -> None:
        """Register the arrival generator (unless another pool feeds this one) and one process
        per lane that may ever open."""
        self._service = self.service_h.tolist()
        if not self.fed:
            self.env.process(self._arrivals())
        for k in range(self.max_lanes):
            self.env.process(self._lane(k))

    def set_open_lanes(self, n: int) -> None:
        """Open ``n`` lanes (0 closes the pool). Lanes above ``n`` finish their group, then idle."""
        n = max(0, min(int(n), self.max_lanes))
        if n == self.open_lanes:
            return
        self.open_lanes = n
        idle, self._idle = self._idle, []
        for _, ev in idle:  # each lane looks again at the queue and the open count
            ev.succeed()

    def receive(self, i: int) -> None:
        """Group ``i`` reaches this pool now (from the pool that feeds it)."""
        self.arrive_h[i] = self.env.now
        self.queue.append(i)
        self.queued_persons += self._persons[i]
        if self._idle:
            self._wake_one()

    def _wake_one(self) -> None:
        for pos, (k, ev) in enumerate(self._idle):
            if k < self.open_lanes:
                del self._idle[pos]
                ev.succeed()
                return

    def _arrivals(self):
        env, persons, queue = self.env, self._persons, self.queue
        for i, t in enumerate(self.arrive_h.tolist()):
            delay = t - env.now
            if delay > 0:
                yield env.timeout(delay)
            queue.append(i)
            self.queued_persons += persons[i]
            if self._idle:
                self._wake_one()

    def _lane(self, k: int):
        env, queue, start, persons = self.env, self.queue, self.start_h, self._persons
        service, downstream = self._service, self.downstream
        while True:
            if k >= self.open_lanes or not queue:
                ev = env.event()
                self._idle.append((k, ev))
                yield ev
                continue
            i = queue.popleft()
            self.queued_persons -= persons[i]
            start[i] = env.now
            took = service[i]
            if self.multiplier != 1.0:
                took *= self.multiplier
                self.service_h[i] = took
            yield env.timeout(took)
            if downstream is not None:
                downstream.receive(i)
