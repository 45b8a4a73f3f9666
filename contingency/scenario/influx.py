"""Daily and hourly arrival totals from a scenario's influx specification.

The plan of one crossing, before surge injects, is :func:`planned_hours`: daily totals (a table
or a curve) shared over each day's hours by the hourly profile in force at each hour, or
time-stamped counts (``series``) shared over the hours between two points the same way. The
mode mix and the hourly profile of a crossing are schedules (:func:`mix_schedule`,
:func:`profile_schedule`): its own where the scenario gives them, else the scenario's.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TypeVar

import numpy as np

from contingency.domain import Mode
from contingency.scenario.schema import (
    InfluxCurve,
    InfluxSpec,
    ModeMixFrom,
    ModeSpec,
    ProfileFrom,
    Scenario,
)


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total``."""
    weights = np.asarray(weights, dtype=float)
    top = weights.max(initial=0.0)
    if total == 0 or not top > 0:
        return np.zeros(len(weights), dtype=np.int64)
    if top > 1e300:  # the sum could overflow to infinity: scale the weights down first
        weights = weights / top
    exact = weights / weights.sum() * total
    base = np.floor(exact).astype(np.int64)
    short = int(total - base.sum())
    if short:
        order = np.argsort(-(exact - base), kind="stable")
        if short <= len(order):
            base[order[:short]] += 1
        else:  # only if rounding went far astray: spread over the weighted entries, exactly
            order = order[weights[order] > 0]
            np.add.at(base, order[np.arange(short) % len(order)], 1)
    return base


def largest_remainder_rows(weights: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """:func:`largest_remainder` of each row of ``weights`` with its entry of ``totals``, row
    for row the same integers, at once."""
    weights = np.asarray(weights, dtype=float)
    totals = np.asarray(totals, dtype=np.int64)
    out = np.zeros(weights.shape, dtype=np.int64)
    top = weights.max(axis=1, initial=0.0)
    rows = np.flatnonzero((totals != 0) & (top > 0) & (top <= 1e300))
    if len(rows):
        w, total = weights[rows], totals[rows]
        exact = w / w.sum(axis=1, keepdims=True) * total[:, None]
        base = np.floor(exact).astype(np.int64)
        short = total - base.sum(axis=1)
        order = np.argsort(-(exact - base), axis=1, kind="stable")
        bump = (np.arange(w.shape[1]) < short[:, None]).astype(np.int64)
        np.put_along_axis(base, order, np.take_along_axis(base, order, axis=1) + bump, axis=1)
        out[rows] = base
        astray = rows[short > w.shape[1]]
    else:
        astray = rows
    for r in [*astray, *np.flatnonzero((totals != 0) & (top > 1e300))]:
        out[r] = largest_remainder(weights[r], int(totals[r]))
    return out


def curve_weights(curve: InfluxCurve, horizon_days: int) -> np.ndarray:
    """Relative arrivals per day: linear ramp, plateau, then half-life decay."""
    t = np.arange(horizon_days, dtype=float) + 0.5 - curve.start_day
    w = np.zeros(horizon_days)
    live = t > 0
    ramp = live & (t < curve.ramp_days)
    w[ramp] = t[ramp] / curve.ramp_days
    top_end = curve.ramp_days + curve.plateau_days
    w[live & (t >= curve.ramp_days) & (t < top_end)] = 1.0
    tail = live & (t >= top_end)
    with np.errstate(over="ignore", under="ignore"):  # a tiny half-life decays to 0 at once
        w[tail] = 0.5 ** ((t[tail] - top_end) / curve.half_life_days)
    return w


def daily_totals(spec: InfluxSpec, horizon_days: int, *, multiplier: float = 1.0) -> np.ndarray:
    """Persons arriving on each day of the horizon (integers, length ``horizon_days``).

    A curve's ``total_persons`` is spread over the part of the curve inside the horizon. A
    daily table shorter than the horizon is padded with zeros; extra days are ignored. A
    ``series`` needs the scenario (its start and hourly profile): use :func:`planned_days`.
    """
    if spec.series is not None:
        raise ValueError("a series is placed by the scenario's start: use planned_days")
    if spec.daily is not None:
        days = np.zeros(horizon_days, dtype=np.int64)
        table = np.asarray(spec.daily[:horizon_days], dtype=np.int64)
        days[: len(table)] = table
        if multiplier != 1.0:
            days = largest_remainder(days.astype(float), round(days.sum() * multiplier))
        return days
    assert spec.curve is not None
    total = round(spec.curve.total_persons * multiplier)
    return largest_remainder(curve_weights(spec.curve, horizon_days), total)


def hourly_totals(daily: np.ndarray, profile: list[float]) -> np.ndarray:
    """Split daily totals over the hours of each day by ``profile``; sums are kept exact."""
    weights = np.asarray(profile, dtype=float)
    out = np.zeros(len(daily) * 24, dtype=np.int64)
    for d, n in enumerate(daily):
        out[d * 24 : (d + 1) * 24] = largest_remainder(weights, int(n))
    return out


# ---------------------------------------------------------------- a crossing's schedules
_T = TypeVar("_T")
MixSchedule = list[tuple[int, dict[Mode, ModeSpec]]]
ProfileSchedule = list[tuple[int, list[float]]]


def mix_schedule(sc: Scenario, checkpoint: str) -> MixSchedule:
    """``(from_h, mode mix)`` in time order, the first from hour 0: the crossing's own mix
    where the scenario gives one, the scenario's ``mode_mix`` before its first entry."""
    spec = sc.influx.get(checkpoint)
    own = None if spec is None else spec.mode_mix
    if own is None:
        return [(0, sc.mode_mix)]
    if isinstance(own, dict):
        return [(0, own)]
    entries: list[ModeMixFrom] = own
    return _from_zero([(0, sc.mode_mix)] + [(e.from_h, e.mix) for e in entries])


def profile_schedule(sc: Scenario, checkpoint: str) -> ProfileSchedule:
    """``(from_h, 24 weights)`` in time order, the first from hour 0: the crossing's own
    profile where the scenario gives one, the scenario's ``hourly_profile`` before its first
    entry."""
    spec = sc.influx.get(checkpoint)
    own = None if spec is None else spec.hourly_profile
    if not own:
        return [(0, sc.hourly_profile)]
    if not isinstance(own[0], ProfileFrom):
        return [(0, [float(w) for w in own])]
    entries: list[ProfileFrom] = own
    return _from_zero([(0, sc.hourly_profile)] + [(e.from_h, e.weights) for e in entries])


def _from_zero(schedule: list[tuple[int, _T]]) -> list[tuple[int, _T]]:
    """Drop the scenario-wide default when the first entry starts at hour 0."""
    return schedule[1:] if len(schedule) > 1 and schedule[1][0] == 0 else schedule


def _spans(starts: list[int], n_hours: int) -> list[tuple[int, int]]:
    """``[from, to)`` hour ranges inside the horizon for schedule entries starting at ``starts``."""
    ends = [*starts[1:], n_hours]
    return [(min(a, n_hours), min(b, n_hours)) for a, b in zip(starts, ends, strict=True)]


def hour_weights(sc: Scenario, checkpoint: str) -> np.ndarray:
    """The hourly-profile weight of every hour of the horizon at ``checkpoint``: the weight of
    its hour of the day in the profile in force at that hour."""
    n_hours = sc.horizon_days * 24
    schedule = profile_schedule(sc, checkpoint)
    out = np.zeros(n_hours)
    for (_, profile), (a, b) in zip(
        schedule, _spans([h for h, _ in schedule], n_hours), strict=True
    ):
        out[a:b] = np.asarray(profile, dtype=float)[np.arange(a, b) % 24]
    return out


def mode_shares(sc: Scenario, checkpoint: str) -> np.ndarray:
    """Share of each mode (columns in :class:`Mode` order) at every hour of the horizon."""
    n_hours = sc.horizon_days * 24
    schedule = mix_schedule(sc, checkpoint)
    out = np.zeros((n_hours, len(Mode)))
    for (_, mix), (a, b) in zip(schedule, _spans([h for h, _ in schedule], n_hours), strict=True):
        out[a:b] = [mix[m].share for m in Mode]
    return out


# ---------------------------------------------------------------- the plan of one crossing
def hours_from_start(at: datetime, start: datetime) -> float | None:
    """Hours from ``start`` to ``at``. An ``at`` without a UTC offset is in the scenario's time
    (``start``'s offset, if it has one); None when ``at`` has an offset and ``start`` has none
    (the two cannot be compared)."""
    if at.utcoffset() is not None and start.utcoffset() is None:
        return None
    if at.utcoffset() is None and start.utcoffset() is not None:
        at = at.replace(tzinfo=start.tzinfo)
    return (at - start).total_seconds() / 3600.0


def series_edges_h(spec: InfluxSpec, start: datetime) -> np.ndarray:
    """Hours from ``start`` of ``0`` and of every point of ``spec.series``: point ``i``'s
    persons arrive between edges ``i`` and ``i + 1``. Times that cannot be compared with
    ``start`` are read in the scenario's time (``load`` reports them)."""
    assert spec.series is not None
    hours = [0.0]
    for point in spec.series:
        h = hours_from_start(point.at, start)
        if h is None:  # an offset against a start without one: the clock time as written
            h = (point.at.replace(tzinfo=None) - start).total_seconds() / 3600.0
        hours.append(h)
    return np.asarray(hours)


def _spread(
    out: np.ndarray, *, from_h: float, to_h: float, persons: int, weights: np.ndarray
) -> None:
    """Add ``persons`` to the hours of ``out`` between ``from_h`` and ``to_h`` (a part of an
    hour counts by the part inside), by ``weights``; evenly where the weights are all 0."""
    n_hours = len(out)
    a, b = min(max(from_h, 0.0), n_hours), min(max(to_h, 0.0), n_hours)
    if persons == 0:
        return
    if b <= a:  # an empty span (only in a scenario ``load`` refused): its hour takes them
        out[min(int(a), n_hours - 1)] += persons
        return
    first, last = math.floor(a), math.ceil(b)
    hours = np.arange(first, last)
    cover = np.minimum(hours + 1.0, b) - np.maximum(hours.astype(float), a)
    w = weights[first:last] * cover
    out[first:last] += largest_remainder(w if w.max() > 0 else cover, persons)


def _series_hours(sc: Scenario, spec: InfluxSpec, weights: np.ndarray) -> np.ndarray:
    assert spec.series is not None
    counts = np.array([p.persons for p in spec.series], dtype=np.int64)
    if sc.influx_multiplier != 1.0:
        counts = largest_remainder(counts.astype(float), round(counts.sum() * sc.influx_multiplier))
    edges = series_edges_h(spec, sc.start)
    out = np.zeros(len(weights), dtype=np.int64)
    for i, n in enumerate(counts):
        _spread(
            out,
            from_h=float(edges[i]),
            to_h=float(edges[i + 1]),
            persons=int(n),
            weights=weights,
        )
    return out


def planned_hours(sc: Scenario, checkpoint: str) -> np.ndarray:
    """Persons planned to arrive in each hour of the horizon at ``checkpoint`` (integers,
    ``influx_multiplier`` applied, surge injects not): daily totals shared over each day's
    hours by the profile weights in force, or a series' counts over the hours between its
    points. Every person of a day (of a series span) is placed; a day whose weights are all 0
    (refused by ``load``) shares its persons evenly."""
    n_hours = sc.horizon_days * 24
    spec = sc.influx.get(checkpoint)
    if spec is None:
        return np.zeros(n_hours, dtype=np.int64)
    weights = hour_weights(sc, checkpoint)
    if spec.series is not None:
        return _series_hours(sc, spec, weights)
    days = daily_totals(spec, sc.horizon_days, multiplier=sc.influx_multiplier)
    out = np.zeros(n_hours, dtype=np.int64)
    for d, n in enumerate(days):
        w = weights[d * 24 : (d + 1) * 24]
        out[d * 24 : (d + 1) * 24] = largest_remainder(w if w.max() > 0 else np.ones(24), int(n))
    return out


def planned_days(sc: Scenario, checkpoint: str) -> np.ndarray:
    """Persons planned to arrive on each day of the horizon at ``checkpoint`` (see
    :func:`planned_hours`)."""
    return planned_hours(sc, checkpoint).reshape(sc.horizon_days, 24).sum(axis=1)


def planned_total(sc: Scenario, checkpoint: str) -> int:
    """Persons planned at ``checkpoint`` over the horizon (the sum of :func:`planned_hours`,
    without placing them by hour), for a valid scenario."""
    spec = sc.influx.get(checkpoint)
    if spec is None:
        return 0
    if spec.series is not None:
        return round(sum(p.persons for p in spec.series) * sc.influx_multiplier)
    return int(daily_totals(spec, sc.horizon_days, multiplier=sc.influx_multiplier).sum())


def modes_planned(sc: Scenario, checkpoint: str) -> set[Mode]:
    """Modes with a share above 0 in a mode mix in force at ``checkpoint`` within the horizon."""
    return {m for j, m in enumerate(Mode) if mode_shares(sc, checkpoint)[:, j].max() > 0}
