"""The forecast after ``now``: a damped trend of each crossing's daily arrivals.

Method. The observed influx of a checkpoint is summed over whole days counted back from
``now`` (the last ``DAYS`` of them at most). Holt's linear method with a damped trend
(Gardner and McKenzie) is fitted to ``y = log(1 + persons per day)``: level smoothing
``ALPHA``, trend smoothing ``BETA``, damping ``PHI`` — a growth of ``b`` per day now adds
``PHI + PHI**2 + ...`` of it later, so no trend runs away. The spread ``sigma`` is the standard
deviation of the day-over-day changes of ``y`` (between ``SIGMA_FLOOR`` and ``SIGMA_MAX``;
``SIGMA_PRIOR`` when fewer than three days were observed). Days before a crossing's first
arrivals are left out of the fit, and every trend, fitted or drawn, is held within
``MAX_GROWTH`` per day (at most doubling or halving from one day to the next): an onset from
nothing would otherwise read as explosive growth. Each replication draws its own level
``level + N(0, sigma)`` and trend ``trend + N(0, sigma / 2)`` (so persons per day are
lognormal around the point forecast), forecasts day ``k`` after ``now`` as
``exp(level + (PHI + ... + PHI**k) * trend) - 1`` and shares each day over its hours by the
crossing's hourly profile. With less than a day observed, the level is the persons so far
scaled to a day and the trend 0. The same seed always gives the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contingency.scenario.influx import largest_remainder

ALPHA = 0.5
BETA = 0.3
PHI = 0.9
DAYS = 5
SIGMA_FLOOR = 0.1
SIGMA_PRIOR = 0.35
SIGMA_MAX = 0.5
MAX_GROWTH = float(np.log(2.0))
METHOD = (
    f"damped-trend Holt on log daily arrivals (last {DAYS} days, alpha {ALPHA}, beta {BETA}, "
    f"phi {PHI}); each replication draws level and trend from the spread of day-over-day "
    "log changes"
)


@dataclass(frozen=True)
class TrendFit:
    """A crossing's fitted daily arrivals in ``log(1 + persons per day)``."""

    level: float
    trend: float
    """Change of the level per day."""
    sigma: float
    days: int
    """Whole days the fit used (0: less than a day observed)."""


def daily_windows(hourly: np.ndarray, *, days: int = DAYS) -> np.ndarray:
    """Persons in the last ``days`` whole days before the end of ``hourly`` (oldest first);
    with less than a day, the hours there are, scaled to a day (one value)."""
    n = len(hourly)
    whole = min(days, n // 24)
    if whole == 0:
        return np.array([hourly.sum() * 24.0 / n]) if n else np.zeros(1)
    ends = n - 24 * np.arange(whole)[::-1]
    return np.array([hourly[e - 24 : e].sum() for e in ends], dtype=float)


def fit_trend(hourly: np.ndarray) -> TrendFit:
    """Fit the damped trend to the observed influx per hour (hour 1 first)."""
    daily = daily_windows(hourly)
    started = np.flatnonzero(daily > 0)
    if len(started):
        daily = daily[started[0] :]
    y = np.log1p(daily)
    level, trend = float(y[0]), 0.0
    if len(y) > 1:
        trend = _bounded(float(y[1] - y[0]))
    for obs in y[1:]:
        before = level
        level = ALPHA * obs + (1 - ALPHA) * (level + PHI * trend)
        trend = _bounded(BETA * (level - before) + (1 - BETA) * PHI * trend)
    sigma = float(np.std(np.diff(y), ddof=1)) if len(y) >= 3 else SIGMA_PRIOR
    whole = len(y) if len(hourly) >= 24 else 0
    return TrendFit(level, trend, min(max(sigma, SIGMA_FLOOR), SIGMA_MAX), whole)


def _bounded(trend: float) -> float:
    return min(max(trend, -MAX_GROWTH), MAX_GROWTH)


def forecast_hours(fit: TrendFit, rng: np.random.Generator, *, weights: np.ndarray) -> np.ndarray:
    """One replication's influx per hour after ``now`` (``len(weights)`` hours; ``weights``:
    the hourly profile weight of each of them), whole persons."""
    n_hours = len(weights)
    level = fit.level + rng.normal(0.0, fit.sigma)
    trend = _bounded(fit.trend + rng.normal(0.0, fit.sigma / 2))
    n_days = -(-n_hours // 24)
    damp = np.cumsum(PHI ** np.arange(1, n_days + 1))
    per_day = np.maximum(np.expm1(level + damp * trend), 0.0)
    out = np.zeros(n_hours, dtype=np.int64)
    for k, persons in enumerate(per_day):
        w = weights[24 * k : 24 * (k + 1)]
        out[24 * k : 24 * (k + 1)] = largest_remainder(
            w if w.max() > 0 else np.ones(len(w)), round(persons * len(w) / 24)
        )
    return out
