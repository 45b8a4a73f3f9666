"""Exact event traces of one checkpoint lane pool on small hand-made inputs.

Each case feeds a few groups with fixed service times through a :class:`LanePool`, changes the
number of open lanes at given times, and compares the whole trace ``[(time_h, event, what)]``
with the list worked out by hand. Events: ``arrive``/``start``/``end`` of a group (its index),
``lanes`` (the open count asked for) and ``queued`` (persons waiting, read by a probe). At one
instant the trace lists ends first, then lane changes, arrivals, starts and probes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

from contingency.sim.checkpoint import LanePool

_RANK = {"end": 0, "lanes": 1, "arrive": 2, "start": 3, "queued": 4}


def _trace(
    arrive_h: list[float],
    service_h: list[float],
    *,
    max_lanes: int,
    open_at_start: int,
    changes: tuple[tuple[float, int], ...] = (),
    probes_h: tuple[float, ...] = (),
    persons: list[int] | None = None,
) -> tuple[list[tuple[float, str, int]], LanePool]:
    env = simpy.Environment()
    pool = LanePool(
        env,
        np.asarray(arrive_h, dtype=float),
        np.asarray(persons or [1] * len(arrive_h), dtype=np.int64),
        np.asarray(service_h, dtype=float),
        max_lanes=max_lanes,
    )
    pool.start()
    pool.set_open_lanes(open_at_start)
    log: list[tuple[float, str, int]] = []

    def switch():
        for t_h, n in changes:
            yield env.timeout(t_h - env.now)
            pool.set_open_lanes(n)
            log.append((env.now, "lanes", n))

    def probe():
        for t_h in probes_h:
            yield env.timeout(t_h - env.now)
            log.append((env.now, "queued", pool.queued_persons))

    env.process(switch())
    env.process(probe())
    env.run()
    for i, (a, s, d) in enumerate(zip(pool.arrive_h, pool.start_h, pool.service_h, strict=True)):
        log.append((float(a), "arrive", i))
        if math.isfinite(s):
            log.append((float(s), "start", i))
            log.append((float(s + d), "end", i))
    return sorted(log, key=lambda e: (e[0], _RANK[e[1]], e[2])), pool


def _in_service_never_exceeds(trace, limit: int) -> None:
    busy = 0
    for _, event, _ in trace:
        busy += {"start": 1, "end": -1}.get(event, 0)
        assert busy <= limit


def test_one_lane_serves_in_arrival_order_and_a_group_waits_for_it():
    trace, _ = _trace(
        [0.0, 0.5, 1.0, 4.0],
        [2.0, 1.0, 1.0, 0.5],
        persons=[1, 2, 3, 4],
        max_lanes=1,
        open_at_start=1,
        probes_h=(1.5, 2.5, 3.5),
    )
    assert trace == [
        (0.0, "arrive", 0),
        (0.0, "start", 0),
        (0.5, "arrive", 1),
        (1.0, "arrive", 2),
        (1.5, "queued", 2 + 3),
        (2.0, "end", 0),
        (2.0, "start", 1),
        (2.5, "queued", 3),
        (3.0, "end", 1),
        (3.0, "start", 2),
        (3.5, "queued", 0),
        (4.0, "end", 2),
        (4.0, "arrive", 3),
        (4.0, "start", 3),
        (4.5, "end", 3),
    ]


def test_two_lanes_take_the_queue_first_in_first_out():
    """g0 holds lane 0 for 3 h; g1 frees lane 1 at 1 h, which takes g2 (queued first), not g3
    (arrived at that instant); g3 waits for the next lane to free, at 3 h."""
    trace, _ = _trace([0.0, 0.0, 0.0, 1.0], [3.0, 1.0, 2.0, 1.0], max_lanes=2, open_at_start=2)
    assert trace == [
        (0.0, "arrive", 0),
        (0.0, "arrive", 1),
        (0.0, "arrive", 2),
        (0.0, "start", 0),
        (0.0, "start", 1),
        (1.0, "end", 1),
        (1.0, "arrive", 3),
        (1.0, "start", 2),
        (3.0, "end", 0),
        (3.0, "end", 2),
        (3.0, "start", 3),
        (4.0, "end", 3),
    ]
    _in_service_never_exceeds(trace, 2)


def test_closing_mid_queue_lets_groups_in_service_finish_and_holds_the_rest():
    """Both lanes close at 0.75 h: g0 and g1 finish their service, g2 and g3 wait. One lane
    reopens at 2.5 h (g2, then g3 behind it); the second at 4 h takes g4 at once."""
    trace, pool = _trace(
        [0.0, 0.0, 0.5, 0.5, 3.0],
        [2.0, 1.0, 1.0, 1.0, 1.0],
        persons=[1, 1, 5, 7, 2],
        max_lanes=2,
        open_at_start=2,
        changes=((0.75, 0), (2.5, 1), (4.0, 2)),
        probes_h=(2.25, 3.25),
    )
    assert trace == [
        (0.0, "arrive", 0),
        (0.0, "arrive", 1),
        (0.0, "start", 0),
        (0.0, "start", 1),
        (0.5, "arrive", 2),
        (0.5, "arrive", 3),
        (0.75, "lanes", 0),
        (1.0, "end", 1),
        (2.0, "end", 0),
        (2.25, "queued", 5 + 7),
        (2.5, "lanes", 1),
        (2.5, "start", 2),
        (3.0, "arrive", 4),
        (3.25, "queued", 7 + 2),
        (3.5, "end", 2),
        (3.5, "start", 3),
        (4.0, "lanes", 2),
        (4.0, "start", 4),
        (4.5, "end", 3),
        (5.0, "end", 4),
    ]
    _in_service_never_exceeds(trace, 2)
    assert pool.queued_persons == 0 and pool.open_lanes == 2


def test_a_pool_that_opens_late_starts_its_queue_at_the_opening():
    trace, _ = _trace(
        [0.0, 1.0, 1.5], [1.0, 1.0, 1.0], max_lanes=1, open_at_start=0, changes=((2.0, 1),)
    )
    assert trace == [
        (0.0, "arrive", 0),
        (1.0, "arrive", 1),
        (1.5, "arrive", 2),
        (2.0, "lanes", 1),
        (2.0, "start", 0),
        (3.0, "end", 0),
        (3.0, "start", 1),
        (4.0, "end", 1),
        (4.0, "start", 2),
        (5.0, "end", 2),
    ]


def test_narrowing_from_two_lanes_to_one_keeps_one_group_in_service():
    """At 0.5 h the pool narrows to one lane while both serve: both finish; from then on the
    queue goes through one lane at a time."""
    trace, _ = _trace(
        [0.0, 0.0, 0.0, 0.0],
        [1.0, 1.0, 1.0, 1.0],
        max_lanes=2,
        open_at_start=2,
        changes=((0.5, 1),),
    )
    assert [e for e in trace if e[1] != "arrive"] == [
        (0.0, "start", 0),
        (0.0, "start", 1),
        (0.5, "lanes", 1),
        (1.0, "end", 0),
        (1.0, "end", 1),
        (1.0, "start", 2),
        (2.0, "end", 2),
        (2.0, "start", 3),
        (3.0, "end", 3),
    ]
    _in_service_never_exceeds([e for e in trace if e[0] >= 1.0], 1)


@pytest.mark.parametrize(("asked", "opened"), [(5, 2), (2, 2), (-3, 0)])
def test_open_lanes_are_bounded_by_max_lanes(asked, opened):
    trace, pool = _trace([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], max_lanes=2, open_at_start=asked)
    assert pool.open_lanes == opened
    starts = [t for t, event, _ in trace if event == "start"]
    assert starts == [0.0, 0.0, 1.0][: 3 if opened else 0]
    _in_service_never_exceeds(trace, 2)


def test_a_closed_pool_keeps_its_queue_to_the_end():
    _, pool = _trace([0.0, 1.0], [1.0, 1.0], persons=[3, 4], max_lanes=1, open_at_start=0)
    assert np.isinf(pool.start_h).all() and pool.queued_persons == 7 and list(pool.queue) == [0, 1]
