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

from dataclasses import dataclass
from itertools import pairwise

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


class _Uniforms:
    """One uniform draw per group, in group order, from one stream: group ``i`` always gets
    the ``i``-th draw, however many are taken at a time."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._u = np.zeros(0)

    def take(self, first: int, n: int) -> np.ndarray:
        while len(self._u) < first + n:
            self._u = np.concatenate([self._u, self._rng.random(max(n, len(self._u), 1024))])
        return self._u[first : first + n]


def _sizes(u: np.ndarray, spec: ModeSpec) -> np.ndarray:
    """Group sizes from uniforms by the occupancy weights (as ``Generator.choice`` with ``p``)."""
    sizes_k = np.fromiter(spec.occupancy.keys(), dtype=np.int64)
    weights = np.fromiter(spec.occupancy.values(), dtype=float)
    cdf = (weights / weights.sum()).cumsum()
    cdf /= cdf[-1]
    return sizes_k[cdf.searchsorted(u, side="right")]


def _blocks(n_hours: int, schedule: MixSchedule) -> list[tuple[int, int]]:
    """``(first hour, end hour)`` of spans inside one day with one mode mix in force."""
    cuts = sorted({*range(0, n_hours, 24), *(h for h, _ in schedule if h < n_hours), n_hours})
    return list(pairwise(cuts))


class _SizeDraws:
    """The size each group would have under one mode spec (group ``i``: from the ``i``-th
    uniform), and their running total, drawn as far as asked."""

    def __init__(self, u: _Uniforms, spec: ModeSpec) -> None:
        self._u, self._spec = u, spec
        self.sizes = np.zeros(0, dtype=np.int64)
        self.total = np.zeros(0, dtype=np.int64)
        """``total[i]``: the sizes of groups 0..i summed."""

    def reaching(self, first: int, need: int) -> int:
        """The group at which the sizes from group ``first`` on first add up to ``need``."""
        while True:
            if len(self.total) > first:
                before = int(self.total[first - 1]) if first else 0
                if int(self.total[-1]) - before >= need:
                    return first + int(np.searchsorted(self.total[first:], before + need))
            have = len(self.sizes)
            want = max(first + int(need / self._spec.mean_group_size * 1.2) + 16, 2 * have)
            new = _sizes(self._u.take(have, want - have), self._spec)
            start = int(self.total[-1]) if len(self.total) else 0
            self.sizes = np.concatenate([self.sizes, new])
            self.total = np.concatenate([self.total, start + np.cumsum(new)])


def _lay_out(
    persons_per_hour: np.ndarray, schedule: MixSchedule, *, mode: Mode, u: _Uniforms
) -> np.ndarray:
    """Sizes of the consecutive groups that carry ``persons_per_hour`` of ``mode``: none split,
    the last of each day cut to the persons left in that day (see the module docstring)."""
    ends = np.cumsum(persons_per_hour).tolist()
    out: list[np.ndarray] = []
    draws: dict[int, _SizeDraws] = {}  # by the schedule entry in force
    pos, drawn = 0, 0  # persons laid out so far; groups drawn so far
    for h0, h1 in _blocks(len(ends), schedule):
        block_end = ends[h1 - 1]
        if pos >= block_end:  # nobody planned here, or a group from before covers the block
            continue
        day_end = ends[min((h0 // 24 + 1) * 24, len(ends)) - 1]
        entry = max(k for k, (h, _) in enumerate(schedule) if h <= h0)
        spec = schedule[entry][1][mode]
        d = draws.setdefault(entry, _SizeDraws(u, spec))
        j = d.reaching(drawn, block_end - pos)
        sizes = d.sizes[drawn : j + 1].copy()
        laid = int(d.total[j]) - (int(d.total[drawn - 1]) if drawn else 0)
        cut = max(0, pos + laid - day_end)  # a day's last group: what is left
        sizes[-1] -= cut
        out.append(sizes)
        pos += laid - cut
        drawn = j + 1
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


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
    u = _Uniforms(stream(sc.seed, *names, "size"))
    size = _lay_out(persons_per_hour, schedule, mode=mode, u=u).astype(np.int64)
    last_person = np.cumsum(size) - 1
    hour = np.searchsorted(np.cumsum(persons_per_hour), last_person, side="right")
    arrive = np.sort(hour + stream(sc.seed, *names, "time").random(len(size)))
    return _who(sc, *names, size=size, arrive=arrive, checkpoint=checkpoint)


def population_of(sc: Scenario, checkpoint: str | None) -> PopulationMix:
    """The population mix of the people arriving at ``checkpoint``: its own, else the
    scenario's."""
    spec = sc.influx.get(checkpoint) if checkpoint is not None else None
    return spec.population if spec is not None and spec.population is not None else sc.population


def _shares_by_group(pop: PopulationMix, arrive: np.ndarray) -> dict[str, np.ndarray]:
    """Each population share in force on each group's arrival day."""
    days = np.floor(arrive / 24.0).astype(np.int64)
    out = {k: np.empty(len(arrive)) for k in POPULATION_SHARES}
    for day in np.unique(days):
        on = pop.on_day(int(day))
        at = days == day
        for k in POPULATION_SHARES:
            out[k][at] = on[k]
    return out


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


def checkpoint_groups(sc: Scenario, checkpoint: str) -> dict[Mode, Groups]:
    """All groups arriving at ``checkpoint``, by mode, from the scenario's own streams."""
    by_mode = split_by_mode(hourly_persons(sc, checkpoint), sc, checkpoint=checkpoint)
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


def _flat_hours(per_day: int, n_hours: int) -> np.ndarray:
    """``per_day`` spread exactly over each day's 24 hours (largest remainder)."""
    day = largest_remainder(np.full(24, 1 / 24), per_day)
    return np.tile(day, n_hours // 24)[:n_hours].astype(np.int64)


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
        u = _Uniforms(stream(sc.seed, *names, "size"))
        size = _lay_out(per_hour, [(0, mix)], mode=mode, u=u).astype(np.int64)
    hour = np.searchsorted(np.cumsum(per_hour), np.cumsum(size) - 1, side="right")
    arrive = np.sort(hour + stream(sc.seed, *names, "time").random(len(size)))
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
