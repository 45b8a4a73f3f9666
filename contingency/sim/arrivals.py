"""Arriving groups per checkpoint and mode: when, how many persons, who they are.

Hourly person totals come from the crossing's plan (:func:`contingency.scenario.influx.
planned_hours`: daily totals or a series, shared over the hours by the hourly profile in force)
times surge injects, and are split exactly over the modes by the mode mix in force at each hour.

A group is one group: it is never split. Group sizes follow the occupancy of the mode mix in
force in the hour the group's first person is planned. The persons of one day of one mode are
laid out in order as consecutive groups; a group arrives in the hour in which its **last**
person is planned, so the persons of a group that would straddle an hour boundary carry over
into the next hour with it. Hence, at every hour boundary, the persons arrived so far fall
short of the plan by less than one group (never run ahead of it), and an hour's total differs
from the plan by less than the largest group. Days are exact: the last group of a day takes the
persons left in that day (it may be smaller than its drawn size), so every person of the day
arrives that day and every daily total is as planned. Arrival times are uniform within their
hour.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from itertools import pairwise

import numba
import numpy as np

from contingency.domain import LaneMode
from contingency.scenario import Mode, Scenario
from contingency.scenario.influx import (
    MixSchedule,
    largest_remainder,
    largest_remainder_rows,
    mix_schedule,
    mode_shares,
    planned_hours,
)
from contingency.scenario.plan import BaselinePlan
from contingency.scenario.schema import POPULATION_SHARES, ModeSpec, PopulationMix, SurgeInject
from contingency.sim.rng import stream


@dataclass(frozen=True)
class Groups:
    """Per-group arrays for one mode at one checkpoint, sorted by arrival time."""

    arrive_h: np.ndarray
    persons: np.ndarray
    vulnerable: np.ndarray
    to_reception: np.ndarray
    to_rehabilitation: np.ndarray
    self_arranged: np.ndarray
    leaving: np.ndarray

    def __len__(self) -> int:
        return len(self.arrive_h)


def hourly_persons(sc: Scenario, checkpoint: str) -> np.ndarray:
    """Persons arriving in each hour of the horizon at ``checkpoint``, surge injects applied."""
    n_hours = sc.horizon_days * 24
    hours = planned_hours(sc, checkpoint).astype(float)
    for inj in sc.injects:
        if isinstance(inj, SurgeInject) and inj.target == checkpoint:
            first = int(np.floor(inj.at_h))
            last = (
                n_hours
                if inj.params.duration_h is None
                else int(np.ceil(inj.at_h + inj.params.duration_h))
            )
            hours[first:last] *= inj.params.multiplier
    return np.rint(hours).astype(np.int64)


def split_by_mode(
    persons: np.ndarray, sc: Scenario, *, checkpoint: str | None = None
) -> dict[Mode, np.ndarray]:
    """Split each hour's persons exactly over the modes by the shares in force at that hour
    (``checkpoint``'s own mode mix where it has one, else the scenario's)."""
    if checkpoint is None:
        shares = np.tile([sc.mode_mix[m].share for m in Mode], (len(persons), 1))
    else:
        shares = mode_shares(sc, checkpoint)
    out = largest_remainder_rows(shares, persons)
    return {m: out[:, j] for j, m in enumerate(Mode)}


def _size_table(schedule: MixSchedule, mode: Mode) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per schedule entry, the group sizes of ``mode``, their cumulative shares (as
    ``Generator.choice`` with ``p`` has them) and how many there are; rows padded."""
    specs = [mix[mode] for _, mix in schedule]
    width = max(len(spec.occupancy) for spec in specs)
    keys = np.zeros((len(specs), width), dtype=np.int64)
    cdfs = np.ones((len(specs), width))
    n_keys = np.zeros(len(specs), dtype=np.int64)
    for e, spec in enumerate(specs):
        k = len(spec.occupancy)
        weights = np.fromiter(spec.occupancy.values(), dtype=float)
        cdf = (weights / weights.sum()).cumsum()
        cdf /= cdf[-1]
        keys[e, :k] = np.fromiter(spec.occupancy.keys(), dtype=np.int64)
        cdfs[e, :k] = cdf
        n_keys[e] = k
    return keys, cdfs, n_keys


def _blocks(n_hours: int, schedule: MixSchedule) -> list[tuple[int, int]]:
    """``(first hour, end hour)`` of spans inside one day with one mode mix in force."""
    cuts = sorted({*range(0, n_hours, 24), *(h for h, _ in schedule if h < n_hours), n_hours})
    return list(pairwise(cuts))


@numba.njit(cache=True)
def _lay_out_groups(
    ends: np.ndarray,
    blocks: np.ndarray,
    keys: np.ndarray,
    cdfs: np.ndarray,
    n_keys: np.ndarray,
    u: np.ndarray,
    out: np.ndarray,
) -> int:
    """:func:`_lay_out` on arrays: ``ends`` the persons planned by the end of each hour;
    ``blocks`` rows (first hour, end hour, schedule entry); group ``i`` drawn from ``u[i]``
    by the entry's sizes. Writes the sizes to ``out``; returns how many, or -1 when ``u``
    runs out first."""
    n_hours = len(ends)
    pos, drawn = 0, 0
    for b in range(len(blocks)):
        h0, h1, e = blocks[b, 0], blocks[b, 1], blocks[b, 2]
        need = ends[h1 - 1] - pos
        if need <= 0:  # nobody planned here, or a group from before covers the block
            continue
        day_end = ends[min((h0 // 24 + 1) * 24, n_hours) - 1]
        laid = 0
        while laid < need:  # up to the group at which the sizes add up to what is needed
            if drawn == len(u):
                return -1
            k = np.searchsorted(cdfs[e, : n_keys[e]], u[drawn], side="right")
            out[drawn] = keys[e, k]
            laid += out[drawn]
            drawn += 1
        cut = max(0, pos + laid - day_end)  # a day's last group: what is left
        out[drawn - 1] -= cut
        pos += laid - cut
    return drawn


def _lay_out(
    persons_per_hour: np.ndarray, schedule: MixSchedule, *, mode: Mode, rng: np.random.Generator
) -> np.ndarray:
    """Sizes of the consecutive groups that carry ``persons_per_hour`` of ``mode``: none split,
    the last of each day cut to the persons left in that day (see the module docstring).
    Group ``i`` takes the ``i``-th uniform of ``rng`` against the sizes of the mode mix in
    force in its block, however many uniforms are drawn at a time."""
    ends = np.cumsum(persons_per_hour).astype(np.int64)
    total = int(ends[-1]) if len(ends) else 0
    blocks = np.array(
        [
            (h0, h1, max(k for k, (h, _) in enumerate(schedule) if h <= h0))
            for h0, h1 in _blocks(len(ends), schedule)
        ],
        dtype=np.int64,
    ).reshape(-1, 3)
    keys, cdfs, n_keys = _size_table(schedule, mode)
    smallest = min(mix[mode].mean_group_size for _, mix in schedule)
    u = rng.random(min(total, int(total / smallest * 1.2) + 64))
    while True:
        out = np.zeros(len(u), dtype=np.int64)
        n = _lay_out_groups(ends, blocks, keys, cdfs, n_keys, u, out)
        if n >= 0:
            return out[:n]
        u = np.concatenate([u, rng.random(total - len(u))])  # at most one group a person


def make_groups(
    persons_per_hour: np.ndarray,
    sc: Scenario,
    mode: Mode,
    *names: str,
    checkpoint: str | None = None,
) -> Groups:
    """Draw the groups that carry ``persons_per_hour`` of one mode (group sizes by the mode
    mix in force: ``checkpoint``'s own where it has one, else the scenario's).

    Sizes, times and attributes each have their own stream (named ``names`` + a suffix) and
    are drawn in arrival order, so extra arrivals late in the horizon (a surge inject) leave
    every earlier group exactly as it was.
    """
    if int(persons_per_hour.sum()) == 0:
        z = np.zeros(0, dtype=np.int64)
        return Groups(np.zeros(0), z, z, z, z, z, z)
    schedule = [(0, sc.mode_mix)] if checkpoint is None else mix_schedule(sc, checkpoint)
    rng = stream(sc.seed, *names, "size")
    size = _lay_out(persons_per_hour, schedule, mode=mode, rng=rng)
    hour = _hours_of_last(np.cumsum(persons_per_hour), size)
    arrive = _in_time_order(hour, stream(sc.seed, *names, "time").random(len(size)))
    return _who(sc, *names, size=size, arrive=arrive, checkpoint=checkpoint)


@numba.njit(cache=True)
def _hours_of_last(ends: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The hour in which each group's last person is planned (``ends``: the persons planned by
    the end of each hour; the groups in order): ``np.searchsorted(ends, np.cumsum(sizes) - 1,
    side="right")``, walked once."""
    out = np.empty(len(sizes), dtype=np.int64)
    hour, last = 0, -1
    for g in range(len(sizes)):
        last += sizes[g]
        while hour < len(ends) and ends[hour] <= last:
            hour += 1
        out[g] = hour
    return out


@numba.njit(cache=True)
def _in_time_order(hour: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``np.sort(hour + u)`` for whole hours in order (``hour``) and uniforms in [0, 1):
    each hour's uniforms sorted (into as many buckets as the hour has groups, then by
    insertion, which puts any bucket right), then added to the hour: the same values, as
    adding a number keeps the order of what it is added to."""
    n = len(u)
    out = np.empty(n)
    run = np.empty(n)
    counts = np.zeros(n + 1, dtype=np.int64)
    a = 0
    while a < n:
        h, b = hour[a], a
        while b < n and hour[b] == h:
            b += 1
        if b < n and hour[b] < h:
            raise ValueError("hours out of order")
        m = b - a
        counts[: m + 1] = 0
        for g in range(a, b):
            counts[min(int(u[g] * m), m - 1) + 1] += 1
        for k in range(m):
            counts[k + 1] += counts[k]
        for g in range(a, b):
            k = min(int(u[g] * m), m - 1)
            run[a + counts[k]] = u[g]
            counts[k] += 1
        for g in range(a + 1, b):
            x, j = run[g], g - 1
            while j >= a and run[j] > x:
                run[j + 1] = run[j]
                j -= 1
            run[j + 1] = x
        for g in range(a, b):
            out[g] = h + run[g]
        a = b
    return out


def population_of(sc: Scenario, checkpoint: str | None) -> PopulationMix:
    """The population mix of the people arriving at ``checkpoint``: its own, else the
    scenario's."""
    spec = sc.influx.get(checkpoint) if checkpoint is not None else None
    return spec.population if spec is not None and spec.population is not None else sc.population


def _shares_by_group(pop: PopulationMix, arrive: np.ndarray) -> dict[str, np.ndarray]:
    """Each population share in force on each group's arrival day."""
    days = np.floor(arrive / 24.0).astype(np.int64)
    on = [pop.on_day(day) for day in range(int(days.max()) + 1 if len(days) else 0)]
    return {k: np.array([d[k] for d in on], dtype=float)[days] for k in POPULATION_SHARES}


def _who(
    sc: Scenario,
    *names: str,
    size: np.ndarray,
    arrive: np.ndarray,
    checkpoint: str | None = None,
) -> Groups:
    """Who each group is: its disposition, vulnerable persons and triage, each from its own
    stream in group order, by the population mix in force on its arrival day."""
    s = _shares_by_group(population_of(sc, checkpoint), arrive)
    shelter_p = s["needs_shelter_share"]
    own_p = s["own_arrangements_share"]
    total = shelter_p + own_p + s["leaving_country_share"]
    u = stream(sc.seed, *names, "kind").random(len(size))
    # as Generator.choice(3, p=...) draws: a uniform against the cumulative shares
    kind = (u >= shelter_p / total).astype(np.int64) + (u >= (shelter_p + own_p) / total)
    vulnerable = stream(sc.seed, *names, "vulnerable").binomial(size, s["vulnerable_share"])
    shelter = kind == 0
    triage = stream(sc.seed, *names, "triage")
    rehab = np.where(
        shelter, triage.binomial(vulnerable, s["rehabilitation_share_of_vulnerable"]), 0
    )
    return Groups(
        arrive_h=arrive,
        persons=size,
        vulnerable=vulnerable,
        to_reception=np.where(shelter, size - rehab, 0),
        to_rehabilitation=rehab,
        self_arranged=np.where(kind == 1, size, 0),
        leaving=np.where(kind == 2, size, 0),
    )


def checkpoint_groups(
    sc: Scenario, checkpoint: str, *, planned: dict[Mode, np.ndarray] | None = None
) -> dict[Mode, Groups]:
    """All groups arriving at ``checkpoint``, by mode, from the scenario's own streams
    (``planned``: its persons per hour by mode, when already split)."""
    by_mode = (
        split_by_mode(hourly_persons(sc, checkpoint), sc, checkpoint=checkpoint)
        if planned is None
        else planned
    )
    return {
        m: make_groups(by_mode[m], sc, m, "arrivals", checkpoint, m.value, checkpoint=checkpoint)
        for m in Mode
    }


@dataclass(frozen=True)
class Traffic:
    """Ordinary groups of one lane mode in one direction at one checkpoint: arrival times
    (sorted) and persons (a truck: its driver)."""

    arrive_h: np.ndarray
    persons: np.ndarray

    def __len__(self) -> int:
        return len(self.arrive_h)


NO_TRAFFIC = Traffic(np.zeros(0), np.zeros(0, dtype=np.int64))


@functools.lru_cache(maxsize=256)
def _flat_hours(per_day: int, n_hours: int) -> np.ndarray:
    """``per_day`` spread exactly over each day's 24 hours (largest remainder); read-only,
    kept for the next run."""
    day = largest_remainder(np.full(24, 1 / 24), per_day)
    hours = np.tile(day, n_hours // 24)[:n_hours].astype(np.int64)
    hours.flags.writeable = False
    return hours


def _traffic(
    per_hour: np.ndarray,
    sc: Scenario,
    sizes: tuple[dict[Mode, ModeSpec], Mode] | None,
    *names: str,
) -> Traffic:
    """Groups carrying ``per_hour`` persons (group sizes of a mode of a mix; None: one
    each), uniform within their hour, from the streams ``names``."""
    if int(per_hour.sum()) == 0:
        return NO_TRAFFIC
    if sizes is None:
        size = np.ones(int(per_hour.sum()), dtype=np.int64)
    else:
        mix, mode = sizes
        rng = stream(sc.seed, *names, "size")
        size = _lay_out(per_hour, [(0, mix)], mode=mode, rng=rng)
    hour = _hours_of_last(np.cumsum(per_hour), size)
    arrive = _in_time_order(hour, stream(sc.seed, *names, "time").random(len(size)))
    return Traffic(arrive, size)


@dataclass(frozen=True)
class BaselineTraffic:
    """A checkpoint's ordinary traffic over the horizon, by lane mode (``truck`` included):
    ``inbound`` enters the country (far side, then ours), ``outbound`` leaves it (our exit
    control only)."""

    inbound: dict[LaneMode, Traffic]
    outbound: dict[LaneMode, Traffic]


def baseline_traffic(sc: Scenario, cp: str, plan: BaselinePlan) -> BaselineTraffic:
    """Ordinary travellers and trucks at ``cp`` on every day of the horizon as on a usual day:
    each day's persons split exactly over the modes by ``plan.mode_mix`` and over the hours
    evenly (an assumption: no daily rhythm), in groups by the mix's occupancy; trucks one
    driver each, half each way (the odd one inbound). Streams of their own, so the influx's
    draws are untouched."""
    n_hours = sc.horizon_days * 24
    shares = np.array([plan.mode_mix[m].share for m in Mode])
    truck_in = (plan.trucks_per_day + 1) // 2
    out: dict[str, dict[LaneMode, Traffic]] = {}
    for way, per_day, trucks in (
        ("inbound", plan.inbound_persons_per_day, truck_in),
        ("outbound", plan.outbound_persons_per_day, plan.trucks_per_day - truck_in),
    ):
        by_mode = largest_remainder(shares, per_day)
        out[way] = {
            LaneMode(m): _traffic(
                _flat_hours(int(by_mode[j]), n_hours),
                sc,
                (plan.mode_mix, m),
                "baseline",
                cp,
                way,
                m.value,
            )
            for j, m in enumerate(Mode)
        }
        out[way][LaneMode.truck] = _traffic(
            _flat_hours(trucks, n_hours), sc, None, "baseline", cp, way, "truck"
        )
    return BaselineTraffic(out["inbound"], out["outbound"])
