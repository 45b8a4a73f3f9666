"""Daily and hourly arrival totals from a scenario's influx specification."""

from __future__ import annotations

import numpy as np

from contingency.scenario.schema import InfluxCurve, InfluxSpec


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
    daily table shorter than the horizon is padded with zeros; extra days are ignored.
    """
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
