"""Checks of a crossing's influx timing that need the scenario's start and horizon: the points
of a ``series`` and the ``from_h`` of mode-mix and hourly-profile entries. ``load`` runs them
with its other cross-checks; each problem names its field."""

from __future__ import annotations

import numpy as np

from contingency.errors import Problem, msg, problem
from contingency.scenario.influx import daily_totals, hour_weights, hours_from_start
from contingency.scenario.schema import ModeMixFrom, ProfileFrom, Scenario


def timing_problems(file: str, sc: Scenario, *, checkpoint: str) -> list[Problem]:
    """Every timing problem of ``sc.influx[checkpoint]``."""
    return (
        _series_problems(file, sc, cp=checkpoint)
        + _entries_after_horizon(file, sc, cp=checkpoint)
        + _days_without_hours(file, sc, cp=checkpoint)
    )


def _series_problems(file: str, sc: Scenario, *, cp: str) -> list[Problem]:
    """Points comparable with ``start``, after it, in time order, and inside the horizon: a
    point after the horizon would lose its persons, so it is an error."""
    spec = sc.influx[cp]
    horizon_h = sc.horizon_days * 24
    out: list[Problem] = []
    points = spec.series or []
    before: float | None = 0.0
    for i, point in enumerate(points):
        field = f"influx.{cp}.series.{i}.at"
        h = hours_from_start(point.at, sc.start)
        if h is None:
            why = "has a UTC offset and 'start' has none: give both an offset, or neither"
            out.append(problem(file, field, why, point.at.isoformat()))
        elif h < 0:
            why = msg("problem.series_before_start")
            out.append(problem(file, field, why, point.at.isoformat()))
        elif h == 0 and i == 0 and point.persons > 0:
            why = (
                "is the start itself: the first point's persons arrive between the start and "
                f"its 'at', so its {point.persons:,} persons would have no time to arrive"
            )
            out.append(problem(file, field, why, point.at.isoformat()))
        elif before is not None and i > 0 and h <= before:
            why = msg("problem.series_order", before=points[i - 1].at.isoformat())
            out.append(problem(file, field, why, point.at.isoformat()))
        elif h > horizon_h:
            why = msg("problem.series_after_horizon", horizon_h=horizon_h, persons=point.persons)
            out.append(problem(file, field, why, point.at.isoformat()))
        before = h
    return out


def _entries_after_horizon(file: str, sc: Scenario, *, cp: str) -> list[Problem]:
    """A ``from_h`` at or after the end of the horizon would never apply."""
    spec = sc.influx[cp]
    horizon_h = sc.horizon_days * 24
    out: list[Problem] = []
    for key, value in (("mode_mix", spec.mode_mix), ("hourly_profile", spec.hourly_profile)):
        if not isinstance(value, list):
            continue
        for i, entry in enumerate(value):
            if isinstance(entry, ModeMixFrom | ProfileFrom) and entry.from_h >= horizon_h:
                why = msg("problem.entry_after_horizon", horizon_h=horizon_h)
                out.append(problem(file, f"influx.{cp}.{key}.{i}.from_h", why, entry.from_h))
    return out


def _days_without_hours(file: str, sc: Scenario, *, cp: str) -> list[Problem]:
    """A day with arrivals whose hours all have weight 0 in the profiles in force (a change of
    profile within the day can do that): its persons would have no hour to arrive in."""
    spec = sc.influx[cp]
    if spec.series is not None or not isinstance(spec.hourly_profile, list):
        return []
    days = daily_totals(spec, sc.horizon_days, multiplier=sc.influx_multiplier)
    weights = hour_weights(sc, cp).reshape(sc.horizon_days, 24)
    silent = np.flatnonzero((days > 0) & (weights.max(axis=1) == 0))
    if not len(silent):
        return []
    more = f" (and {len(silent) - 1:,} more days)" if len(silent) > 1 else ""
    why = (
        f"on day {int(silent[0])} the profiles in force give every hour weight 0, so its "
        f"{int(days[silent[0]]):,} persons have no hour to arrive in{more}"
    )
    return [problem(file, f"influx.{cp}.hourly_profile", why)]
