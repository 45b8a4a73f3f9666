"""The observables: one documented function each, computing the model's value of one
observation from a run's tables, in one registry (:data:`OBSERVABLES`).

Times are hours from the scenario's start; an observation's dates are the hours from midnight
of ``date_from`` to midnight after ``date_to``, clipped to the run's horizon. Where the model
cannot produce exactly what was observed, the function computes what it honestly can and says
so in a note; it never adjusts silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from contingency.domain import Mode
from contingency.history.observation import ALL, Observation
from contingency.history.run_data import Groups, RunData, Window, window
from contingency.refdata.vehicles import vehicle_length_m

_QUEUE_M = vehicle_length_m()
CAR_QUEUE_M = _QUEUE_M[Mode.car.value]
"""Road length a queuing car takes, metres, gap included: ``maps/vehicles.csv``, as the engine's
queue lengths (an estimate for a standing queue, not a measured figure)."""
BUS_QUEUE_M = _QUEUE_M[Mode.bus.value]
"""Road length a queuing bus takes, metres, gap included: ``maps/vehicles.csv`` (an estimate)."""
VEHICLE_MODES = (Mode.car.value, Mode.bus.value)
"""Modes whose groups are vehicles (a car and its occupants, a bus)."""
CLEARED_SHARE = 0.01
"""A queue is cleared when it falls to this share of its peak (or below)."""

CHECKPOINT, CENTRE, REGION = "checkpoint", "centre", "region"
BORDER_TARGETS = frozenset({CHECKPOINT, ALL})
CENTRE_TARGETS = frozenset({CENTRE, REGION, ALL})

NOTE_GROSS = "gross count includes ordinary travellers; baseline traffic not modelled"
NOTE_TRUCK = "freight (trucks) not modelled"
NOTE_NO_TRUCKS = "trucks in the observed figure are not modelled"
NOTE_CLIPPED = "observed dates reach beyond the run's horizon: window clipped"
NOTE_OUTSIDE = "observed dates lie outside the run's horizon"
NOTE_CENTRE_MODE = "centres do not record modes: mode ignored"


@dataclass(frozen=True)
class Modelled:
    """The model's value of one observation, in the observable's unit (None: the model cannot
    produce it; the notes say why), and what the reader should know about it."""

    value: float | None
    notes: tuple[str, ...] = ()

    def noted(self, *notes: str) -> Modelled:
        return Modelled(self.value, (*self.notes, *(n for n in notes if n not in self.notes)))


Compute = Callable[[RunData, Observation, Window], Modelled]


@dataclass(frozen=True)
class Observable:
    """An observable: its function, the targets it takes, its unit and the units a case may
    write instead (name -> factor from the observable's unit)."""

    name: str
    compute: Compute
    targets: frozenset[str]
    unit: str
    units: dict[str, float] = field(default_factory=dict)
    border: bool = True
    """Counts border traffic (so a gross scope and trucks concern it)."""

    def accepts(self, unit: str) -> float | None:
        """The factor from this observable's unit to ``unit``, or None if it is not one."""
        return {self.unit: 1.0, **self.units}.get(unit.strip().lower())


# ---------------------------------------------------------------- helpers
def _groups(run: RunData, obs: Observation) -> Groups:
    modes = None if obs.mode == ALL else (obs.mode,)
    return run.groups(checkpoint=obs.target, modes=modes)


def _vehicles(run: RunData, obs: Observation) -> tuple[Groups, tuple[str, ...]]:
    """Vehicle groups of the observation's mode (car and bus for ``all``)."""
    modes = VEHICLE_MODES if obs.mode == ALL else tuple(m for m in VEHICLE_MODES if m == obs.mode)
    return run.groups(checkpoint=obs.target, modes=modes), modes


def _daily(g: Groups, mask: np.ndarray, w: Window, *, weights: np.ndarray) -> np.ndarray:
    """Sums of ``weights`` per day of the window (by service end), the last day maybe partial."""
    n_days = max(1, int(np.ceil(w.days - 1e-9)))
    day = np.floor((g.end_h[mask] - w.from_h) / 24.0).astype(int).clip(0, n_days - 1)
    return np.bincount(day, weights=weights[mask], minlength=n_days)


def _share(g: Groups, w: Window, part: np.ndarray) -> Modelled:
    crossed = g.crossed_in(w)
    persons = float(g.persons[crossed].sum())
    if persons == 0:
        return Modelled(None, ("no one crossed in the window",))
    return Modelled(float(part[crossed].sum()) / persons)


# ---------------------------------------------------------------- entries
def entries_total(run: RunData, obs: Observation, w: Window) -> Modelled:
    """Persons who crossed the border (finished processing) at the target within the dates.
    Unit: persons."""
    g = _groups(run, obs)
    return Modelled(float(g.persons[g.crossed_in(w)].sum()))


def entries_peak_day(run: RunData, obs: Observation, w: Window) -> Modelled:
    """The most persons who crossed at the target on one calendar day within the dates.
    Unit: persons/day."""
    g = _groups(run, obs)
    daily = _daily(g, g.crossed_in(w), w, weights=g.persons)
    return Modelled(float(daily.max(initial=0.0)))


def entries_day(run: RunData, obs: Observation, w: Window) -> Modelled:
    """Persons who crossed at the target per day over the dates (for one date: that day's
    entries; over several: their mean per day). Unit: persons/day."""
    g = _groups(run, obs)
    return Modelled(float(g.persons[g.crossed_in(w)].sum()) / w.days)


def vehicles_per_day(run: RunData, obs: Observation, w: Window) -> Modelled:
    """Vehicles (cars and buses; a group on foot is not one) that crossed at the target per day,
    the mean over the dates. Unit: vehicles/day."""
    g, modes = _vehicles(run, obs)
    if not modes:
        return Modelled(None, ("pedestrians have no vehicles",))
    return Modelled(float(g.crossed_in(w).sum()) / w.days)


def share_by_checkpoint(run: RunData, obs: Observation, w: Window) -> Modelled:
    """The target checkpoint's share of the persons who crossed at every checkpoint of the run
    within the dates. Unit: share (0 to 1)."""
    g = _groups(run, obs)
    every = run.groups(modes=None if obs.mode == ALL else (obs.mode,))
    total = float(every.persons[every.crossed_in(w)].sum())
    if total == 0:
        return Modelled(None, ("no one crossed in the window",))
    return Modelled(float(g.persons[g.crossed_in(w)].sum()) / total)


# ---------------------------------------------------------------- queues and waits
def max_wait_h(run: RunData, obs: Observation, w: Window) -> Modelled:
    """The longest wait at the target on the side where it is longer: at our control (arrival
    there to the start of processing) or at the far side, the neighbour's exit control (arrival
    at the crossing to the start of processing there), where the observed queues of past
    outflows mostly stood. On each side: of groups whose processing started within the dates,
    and of groups still waiting at the window's end (their wait so far), as the engine's
    ``wait_max_h`` and ``far_wait_max_h``; turned-back groups never wait. Unit: h."""
    g = _groups(run, obs)
    waits = [np.zeros(0)]
    for joined, left in g.sides():
        started = (left >= w.from_h) & (left < w.to_h)
        waiting = (joined < w.to_h) & (left >= w.to_h)
        waits += [left[started] - joined[started], w.to_h - joined[waiting]]
    return Modelled(float(np.concatenate(waits).max(initial=0.0)))


def max_queue_vehicles(run: RunData, obs: Observation, w: Window) -> Modelled:
    """The most vehicles (cars and buses) queuing at the target (arrived, processing not yet
    started) at any hour's end within the dates, on the side with the longer queue (ours or the
    far side, where the observed queues of past outflows mostly stood). Unit: vehicles."""
    g, modes = _vehicles(run, obs)
    if not modes:
        return Modelled(None, ("pedestrians have no vehicles",))
    return Modelled(float(g.queuing_at(w.hour_ends().astype(float)).max(initial=0.0)))


def max_queue_km(run: RunData, obs: Observation, w: Window) -> Modelled:
    """The longest vehicle queue at the target at any hour's end within the dates, on the side
    with the longer queue (ours or the far side, where the observed queues of past outflows
    mostly stood). For every vehicle (``mode: all``) it is the engine's ``queue_km`` and
    ``far_queue_km``: the road as the scenario's ``approach`` gives it (queue lanes, trucks on
    it or not), ordinary vehicles included. For one mode, or a run without those columns: one
    single-file line of that mode's groups, :data:`CAR_QUEUE_M` metres per car and
    :data:`BUS_QUEUE_M` per bus. Unit: km."""
    g, modes = _vehicles(run, obs)
    if not modes:
        return Modelled(None, ("pedestrians have no vehicles",))
    hourly = run.tables.get("checkpoints_hourly")
    if obs.mode == ALL and hourly is not None and "far_queue_km" in hourly.columns:
        rows = hourly.loc[
            (hourly["checkpoint"] == obs.target) & hourly["time_h"].isin(w.hour_ends())
        ]
        km_road = rows[["queue_km", "far_queue_km"]].to_numpy(dtype=float)
        return Modelled(
            float(km_road.max(initial=0.0)),
            ("queue length on the approach road as the scenario gives it",),
        )
    metres = np.where(g.mode == Mode.bus.value, BUS_QUEUE_M, CAR_QUEUE_M)
    km = g.queuing_at(w.hour_ends().astype(float), weights=metres) / 1000.0
    return Modelled(
        float(km.max(initial=0.0)),
        (f"queue length assumed single-file, {CAR_QUEUE_M:g} m a car and {BUS_QUEUE_M:g} m a bus",),
    )


def persons_queuing_peak(run: RunData, obs: Observation, w: Window) -> Modelled:
    """The most persons queuing at the target (arrived, processing not yet started; those held
    beyond the border included) at any hour's end within the dates, on the side with the longer
    queue (ours or the far side, where the observed queues of past outflows mostly stood);
    turned-back groups are not in it. Unit: persons."""
    g = _groups(run, obs)
    q = g.queuing_at(w.hour_ends().astype(float), weights=g.persons)
    return Modelled(float(q.max(initial=0.0)))


def days_to_clear_queue(run: RunData, obs: Observation, w: Window) -> Modelled:
    """Days from the start of the dates until the persons queuing at the target, after their
    peak within the dates, first fall to :data:`CLEARED_SHARE` of that peak or below (checked
    at hour ends, up to the run's horizon). The queue at each hour is the longer side's (ours
    or the far side, where the observed queues of past outflows mostly stood), so it is
    cleared when both sides are; turned-back groups are not in it. Unit: days."""
    g = _groups(run, obs)
    hours = np.arange(int(np.floor(w.from_h)) + 1, int(run.horizon_h) + 1, dtype=float)
    q = g.queuing_at(hours, weights=g.persons)
    in_window = hours <= w.to_h
    if not in_window.any() or q[in_window].max() <= 0:
        return Modelled(0.0, ("no queue in the window",))
    peak_at = int(np.argmax(np.where(in_window, q, -1.0)))
    after = np.nonzero(q[peak_at:] <= CLEARED_SHARE * q[peak_at])[0]
    if len(after) == 0:
        days = (run.horizon_h - w.from_h) / 24.0
        return Modelled(days, ("queue not cleared by the horizon: a lower bound",))
    return Modelled((hours[peak_at + int(after[0])] - w.from_h) / 24.0)


# ---------------------------------------------------------------- centres
def persons_in_centres_peak(run: RunData, obs: Observation, w: Window) -> Modelled:
    """The most persons at the target centres (a centre, a region's centres, or all) at any
    hour's end within the dates: in beds, in overflow and registering. Unit: persons."""
    c = run.centres(obs.target).reindex(w.hour_ends(), fill_value=0)
    return Modelled(float(c["present"].max()))


def centre_turnover(run: RunData, obs: Observation, w: Window) -> Modelled:
    """Persons registered (taken in) at the target centres within the dates: the throughput
    of reception. Unit: persons."""
    c = run.centres(obs.target).reindex(w.hour_ends(), fill_value=0)
    return Modelled(float(c["intake"].sum()))


def time_site_full_h(run: RunData, obs: Observation, w: Window) -> Modelled:
    """Hours within the dates when the persons at the target centres (in beds, overflow and
    registering) reached or passed their beds (summed over the target). Unit: h."""
    c = run.centres(obs.target).reindex(w.hour_ends(), fill_value=0)
    full = (c["present"] > 0) & (c["present"] >= c["capacity"])
    return Modelled(float(full.sum()))


def registration_backlog_peak(run: RunData, obs: Observation, w: Window) -> Modelled:
    """The most persons waiting to be registered at the target centres at any hour's end
    within the dates. Unit: persons."""
    c = run.centres(obs.target).reindex(w.hour_ends(), fill_value=0)
    return Modelled(float(c["registration_queue"].max()))


# ---------------------------------------------------------------- who they are
def share_needing_shelter(run: RunData, obs: Observation, w: Window) -> Modelled:
    """Of the persons who crossed at the target within the dates, the share sent to a
    reception or rehabilitation centre. Unit: share (0 to 1)."""
    g = _groups(run, obs)
    return _share(g, w, g.sheltered)


def share_own_arrangements(run: RunData, obs: Observation, w: Window) -> Modelled:
    """Of the persons who crossed at the target within the dates, the share with their own
    arrangements (relatives, rented housing). Unit: share (0 to 1)."""
    g = _groups(run, obs)
    return _share(g, w, g.self_arranged)


def share_leaving(run: RunData, obs: Observation, w: Window) -> Modelled:
    """Of the persons who crossed at the target within the dates, the share moving on to
    another country. Unit: share (0 to 1)."""
    g = _groups(run, obs)
    return _share(g, w, g.leaving)


def _arrival_quantile(q: float) -> Compute:
    def arrival_time(run: RunData, obs: Observation, w: Window) -> Modelled:
        g = _groups(run, obs)
        mask = g.arrived_in(w)
        if g.persons[mask].sum() == 0:
            return Modelled(None, ("no one arrived in the window",))
        t = g.arrive_h[mask] - w.from_h
        return Modelled(float(np.quantile(t, q, weights=g.persons[mask], method="inverted_cdf")))

    arrival_time.__name__ = f"arrival_time_p{round(q * 100)}_h"
    arrival_time.__doc__ = (
        f"Hours from the start of the dates by which {q:.0%} of the persons who arrived at the "
        "target within the dates had arrived (persons-weighted quantile of arrival times). "
        "Unit: h."
    )
    return arrival_time


arrival_time_p10_h = _arrival_quantile(0.10)
arrival_time_p50_h = _arrival_quantile(0.50)
arrival_time_p90_h = _arrival_quantile(0.90)


# ---------------------------------------------------------------- the registry
_PERSONS = {"people": 1.0, "persons": 1.0, "person": 1.0}
_PER_DAY = {"people/day": 1.0, "persons per day": 1.0, "persons": 1.0, "people": 1.0}
"""A day's count may be written in persons: the persons of that day (or the mean day)."""
_SHARE = {"fraction": 1.0, "%": 100.0, "percent": 100.0}
_HOURS = {"hours": 1.0, "hour": 1.0}
_DAYS = {"day": 1.0}


def _obs(
    compute: Compute,
    unit: str,
    units: dict[str, float] | None = None,
    *,
    targets: frozenset[str] = BORDER_TARGETS,
    border: bool = True,
) -> Observable:
    return Observable(compute.__name__, compute, targets, unit, units or {}, border)


OBSERVABLES: dict[str, Observable] = {
    o.name: o
    for o in (
        _obs(entries_total, "persons", _PERSONS),
        _obs(entries_peak_day, "persons/day", _PER_DAY),
        _obs(entries_day, "persons/day", _PER_DAY),
        _obs(vehicles_per_day, "vehicles/day", {"vehicles per day": 1.0, "vehicles": 1.0}),
        _obs(share_by_checkpoint, "share", _SHARE, targets=frozenset({CHECKPOINT})),
        _obs(max_wait_h, "h", _HOURS),
        _obs(max_queue_vehicles, "vehicles", {"vehicle": 1.0}),
        _obs(max_queue_km, "km", {}),
        _obs(persons_queuing_peak, "persons", _PERSONS),
        _obs(days_to_clear_queue, "days", _DAYS),
        _obs(persons_in_centres_peak, "persons", _PERSONS, targets=CENTRE_TARGETS, border=False),
        _obs(centre_turnover, "persons", _PERSONS, targets=CENTRE_TARGETS, border=False),
        _obs(time_site_full_h, "h", _HOURS, targets=CENTRE_TARGETS, border=False),
        _obs(registration_backlog_peak, "persons", _PERSONS, targets=CENTRE_TARGETS, border=False),
        _obs(share_needing_shelter, "share", _SHARE),
        _obs(share_own_arrangements, "share", _SHARE),
        _obs(share_leaving, "share", _SHARE),
        _obs(arrival_time_p10_h, "h", _HOURS),
        _obs(arrival_time_p50_h, "h", _HOURS),
        _obs(arrival_time_p90_h, "h", _HOURS),
    )
}
"""Every observable by name: the one registry the case check, the replay and the docs read."""


def modelled_value(obs: Observation, run: RunData) -> Modelled:
    """The model's value of ``obs`` in the observation's own unit, with every note that
    qualifies it (a gross scope, trucks, a clipped window)."""
    spec = OBSERVABLES[obs.observable]
    w = window(obs, run)
    if w is None:
        return Modelled(None, (NOTE_OUTSIDE,))
    truck = spec.border and obs.mode == "truck"
    out = Modelled(None, (NOTE_TRUCK,)) if truck else spec.compute(run, obs, w)
    if w.clipped:
        out = out.noted(NOTE_CLIPPED)
    if spec.border and obs.scope == "gross":
        out = out.noted(NOTE_GROSS)
    if spec.border and obs.mode == ALL and obs.observable in _VEHICLE_OBSERVABLES:
        out = out.noted(NOTE_NO_TRUCKS)
    if not spec.border and obs.mode != ALL:
        out = out.noted(NOTE_CENTRE_MODE)
    factor = spec.accepts(obs.unit) or 1.0
    return Modelled(None if out.value is None else out.value * factor, out.notes)


_VEHICLE_OBSERVABLES = frozenset({"vehicles_per_day", "max_queue_vehicles", "max_queue_km"})
