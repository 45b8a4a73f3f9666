"""Arriving groups per checkpoint and mode: when, how many persons, who they are.

Hourly person totals come from the scenario (daily totals x hourly profile x surge injects) and
are split exactly by mode. Group sizes follow the mode's occupancy distribution; a group that
would straddle an hour boundary is split in two so every hour's total is exact. Arrival times are
uniform within their hour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contingency.scenario import Mode, Scenario, daily_totals, hourly_totals
from contingency.scenario.influx import largest_remainder
from contingency.scenario.schema import SurgeInject
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
    spec = sc.influx.get(checkpoint)
    n_hours = sc.horizon_days * 24
    if spec is None:
        return np.zeros(n_hours, dtype=np.int64)
    hours = hourly_totals(
        daily_totals(spec, sc.horizon_days, multiplier=sc.influx_multiplier), sc.hourly_profile
    ).astype(float)
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


def split_by_mode(persons: np.ndarray, sc: Scenario) -> dict[Mode, np.ndarray]:
    """Split each hour's persons exactly over the modes by their shares."""
    shares = np.array([sc.mode_mix[m].share for m in Mode])
    out = np.zeros((len(persons), len(Mode)), dtype=np.int64)
    for h in np.flatnonzero(persons):
        out[h] = largest_remainder(shares, int(persons[h]))
    return {m: out[:, j] for j, m in enumerate(Mode)}


def make_groups(persons_per_hour: np.ndarray, sc: Scenario, mode: Mode, *names: str) -> Groups:
    """Draw the groups that carry ``persons_per_hour`` of one mode.

    Sizes, times and attributes each have their own stream (named ``names`` + a suffix) and
    are drawn in arrival order, so extra arrivals late in the horizon (a surge inject) leave
    every earlier group exactly as it was.
    """
    total = int(persons_per_hour.sum())
    if total == 0:
        z = np.zeros(0, dtype=np.int64)
        return Groups(np.zeros(0), z, z, z, z, z, z)
    occ = sc.mode_mix[mode].occupancy
    sizes_k = np.fromiter(occ.keys(), dtype=np.int64)
    weights = np.fromiter(occ.values(), dtype=float)
    spec = sc.mode_mix[mode]
    n_draw = min(int(total / sizes_k.min()) + 1, int(total / spec.mean_group_size * 1.2) + 64)
    rng_size = stream(sc.seed, *names, "size")
    ends = np.cumsum(rng_size.choice(sizes_k, size=n_draw, p=weights / weights.sum()))
    while ends[-1] < total:  # rare: extend the draw
        more = (
            np.cumsum(rng_size.choice(sizes_k, size=n_draw, p=weights / weights.sum())) + ends[-1]
        )
        ends = np.concatenate([ends, more])
    hour_ends = np.cumsum(persons_per_hour)
    cuts = np.union1d(ends[ends < total], hour_ends[hour_ends < total])
    cuts = np.append(cuts, total)
    starts = np.concatenate([[0], cuts[:-1]])
    size = (cuts - starts).astype(np.int64)
    hour = np.searchsorted(hour_ends, starts, side="right")
    arrive = np.sort(hour + stream(sc.seed, *names, "time").random(len(size)))

    pop = sc.population
    kind = stream(sc.seed, *names, "kind").choice(
        3,
        size=len(size),
        p=[pop.needs_shelter_share, pop.own_arrangements_share, pop.leaving_country_share],
    )
    vulnerable = stream(sc.seed, *names, "vulnerable").binomial(size, pop.vulnerable_share)
    shelter = kind == 0
    triage = stream(sc.seed, *names, "triage")
    rehab = np.where(
        shelter, triage.binomial(vulnerable, pop.rehabilitation_share_of_vulnerable), 0
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
    by_mode = split_by_mode(hourly_persons(sc, checkpoint), sc)
    return {m: make_groups(by_mode[m], sc, m, "arrivals", checkpoint, m.value) for m in Mode}
