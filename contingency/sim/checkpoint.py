"""Processing of groups at one checkpoint lane pool, in SimPy.

A lane pool serves one mode (car, bus or pedestrian) at one checkpoint. Groups queue FIFO; each
open lane is a plain generator that takes the next group and holds it for its processing time.
Lanes open and close with shifts, injects and surge activation; a closed pool keeps its queue.
Groups are integers indexing arrays of arrival time, size and processing time, so a group costs
two or three events and no objects.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import simpy


@dataclass
class LanePool:
    """Groups of one mode at one checkpoint, and the lanes that serve them.

    ``arrive_h``, ``persons`` and ``service_h`` are per-group arrays, ``arrive_h`` sorted.
    After the run ``start_h`` holds each group's service start (``inf`` if never started).
    """

    env: simpy.Environment
    arrive_h: np.ndarray
    persons: np.ndarray
    service_h: np.ndarray
    max_lanes: int
    open_lanes: int = 0
    start_h: np.ndarray = field(init=False)
    queue: deque[int] = field(default_factory=deque, init=False)
    queued_persons: int = field(default=0, init=False)
    _idle: list[tuple[int, simpy.Event]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.start_h = np.full(len(self.arrive_h), np.inf)

    def start(self) -> None:
        """Register the arrival generator and one process per lane that may ever open."""
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

    def _wake_one(self) -> None:
        for pos, (k, ev) in enumerate(self._idle):
            if k < self.open_lanes:
                del self._idle[pos]
                ev.succeed()
                return

    def _arrivals(self):
        env, arrive, persons = self.env, self.arrive_h, self.persons
        for i in range(len(arrive)):
            delay = arrive[i] - env.now
            if delay > 0:
                yield env.timeout(delay)
            self.queue.append(i)
            self.queued_persons += int(persons[i])
            if self._idle:
                self._wake_one()

    def _lane(self, k: int):
        env, queue, service, start, persons = (
            self.env,
            self.queue,
            self.service_h,
            self.start_h,
            self.persons,
        )
        while True:
            if k >= self.open_lanes or not queue:
                ev = env.event()
                self._idle.append((k, ev))
                yield ev
                continue
            i = queue.popleft()
            self.queued_persons -= int(persons[i])
            start[i] = env.now
            yield env.timeout(service[i])
