"""Run a scenario end to end: border (SimPy) -> transfers and centres (hourly) -> tables.

The ledger is checked at every hour: everyone who arrived is in exactly one place. The ledger
starts when a group has passed the far side (the neighbour's exit control) and reaches our
control: its ``arrived`` is those persons (the persons *entered*, in ``summary.json``'s
``demand``); those still queuing or in service at the far side are beyond the border and not in
it, nor those turned back there. At every checkpoint, persons presented at the far side =
entered + turned back + still beyond the border, exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm import tqdm

from contingency.domain import LaneMode
from contingency.errors import LedgerError
from contingency.ledger import LEDGER_FIELDS
from contingency.refdata import RefData
from contingency.refdata.vehicles import vehicle_length_m
from contingency.scenario import Mode, Scenario
from contingency.scenario.schema import Side
from contingency.scenario.sites import with_scenario_places
from contingency.sim.border import CheckpointRun, run_border
from contingency.sim.centres import Crossed, Downstream
from contingency.sim.prepared import Prepared

GROUP_FIELDS = ("vulnerable", "to_reception", "to_rehabilitation", "self_arranged", "leaving")
"""Who the persons of a group are (counts per group), as the groups table records them."""
_CROSSING_FIELDS = ("to_reception", "to_rehabilitation", "self_arranged", "leaving")
P95 = 0.95
M_PER_KM = 1000.0


@dataclass(frozen=True)
class SimOutput:
    """Tidy hourly tables of one run (time_h = end of the hour, hours from the start)."""

    checkpoints: pd.DataFrame
    centres: pd.DataFrame
    ledger: pd.DataFrame
    transported: pd.DataFrame
    waits: pd.DataFrame
    """One row per checkpoint: persons-weighted p95 and max wait over the whole run at our
    control (``p95_wait_h``, ``max_wait_h``) and at the far side (``far_p95_wait_h``,
    ``far_max_wait_h``), and the persons ``presented``, ``entered``, ``turned_back`` and
    ``still_beyond_border``."""
    flows: pd.DataFrame
    """Onward placements: day, origin centre, region, persons, travel_h, path."""
    corridors: pd.DataFrame
    """Persons moved onward per road edge and day."""
    regions: pd.DataFrame
    """Per region: capacity, allocated, remaining, preferred (uncapacitated), priority."""
    unmet: pd.DataFrame
    """Per centre and daily allocation (``time_h`` of the allocation): persons ready to leave
    that no region or seat could take."""
    unreachable: pd.DataFrame
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    """One row per arriving group at each checkpoint (see :func:`groups_table`)."""
    registration: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per hour and registration point: persons ``waiting`` at its end, ``registered`` in it."""
    internal: dict[str, int] = field(default_factory=dict)
    """Displaced people inside the country: ``displaced`` (started out), ``entered_reception``
    (reached a centre or transit hub)."""
    left_via: dict[str, int] = field(default_factory=dict)
    """People leaving the country, by the checkpoint they leave through."""


@dataclass(frozen=True)
class _CheckpointGroups:
    """One checkpoint's groups over all modes (in :class:`Mode` order), as flat arrays: every
    group presented at the far side (turned back, diverted elsewhere or not), then every group
    that diverted here from another crossing. Times never reached are ``inf``."""

    mode: np.ndarray
    """The position of each group's mode in :class:`Mode`."""
    arrive_h: np.ndarray
    """Presented here (a group diverted here: its arrival at the far side here)."""
    presented: np.ndarray
    """Headed here first (False: diverted here from another crossing)."""
    persons: np.ndarray
    turned: np.ndarray
    """Turned back at the far side (never queued)."""
    diverted_h: np.ndarray
    """When it left for another crossing, or (diverted here) chose this one."""
    far_arrive_h: np.ndarray
    """Joined the far-side queue here."""
    far_start_h: np.ndarray
    far_service_h: np.ndarray
    entry_h: np.ndarray
    """Arrival at our control: the end of far-side service (``inf``: not yet entered)."""
    start_h: np.ndarray
    """Service start at our control."""
    service_h: np.ndarray
    length_m: np.ndarray
    """Road a group's vehicle takes in a queue (0 on foot)."""
    who: dict[str, np.ndarray]
    diverted_to: np.ndarray | None = None
    """The crossing each group left for ("": none); None: not asked for (a lean run)."""
    diverted_from: np.ndarray | None = None
    """The crossing each group diverted here from ("": none); None as ``diverted_to``."""

    @property
    def end_h(self) -> np.ndarray:
        return self.start_h + self.service_h

    @property
    def far_end_h(self) -> np.ndarray:
        return self.far_start_h + self.far_service_h

    @property
    def diverted_out(self) -> np.ndarray:
        return self.presented & np.isfinite(self.diverted_h)

    @classmethod
    def of(
        cls,
        run: CheckpointRun,
        lengths_m: dict[str, float],
        runs: dict[str, CheckpointRun],
        *,
        crossings: bool = True,
    ) -> _CheckpointGroups:
        """``run``'s groups (``crossings``: with the crossings they diverted to and from)."""
        own = [_own_groups(run, m, crossings=crossings) for m in Mode]
        came = [_diverted_here(run, m, runs, crossings=crossings) for m in Mode]
        parts = own + came
        cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k != "who"}
        metres = [lengths_m.get(m.value, np.nan) for m in (*Mode, *Mode)]  # the parts' modes
        length_m = np.concatenate(
            [np.full(len(p["mode"]), v, dtype=float) for p, v in zip(parts, metres, strict=True)]
        )
        return cls(
            **cols,
            length_m=np.where(np.isnan(length_m), 0.0, length_m),
            who={k: np.concatenate([p["who"][k] for p in parts]) for k in GROUP_FIELDS},
        )


_MODE_CODE = {m: np.int8(k) for k, m in enumerate(Mode)}
_MODE_NAMES = np.array([m.value for m in Mode], dtype=object)


def _own_groups(run: CheckpointRun, m: Mode, *, crossings: bool) -> dict:
    """Columns of the groups of mode ``m`` that headed for ``run``'s checkpoint
    (``crossings``: with those they diverted to)."""
    g, keep = run.groups[m], run.entering[m]
    n, k = len(g), len(keep)
    far, near = run.far.pools[LaneMode(m)], run.near.pools[LaneMode(m)]
    out: dict = {}
    for name, values, fill in (
        ("far_arrive_h", far.arrive_h, np.inf),
        ("far_start_h", far.start_h, np.inf),
        ("far_service_h", far.service_h, 0.0),
        ("entry_h", near.arrive_h, np.inf),
        ("start_h", near.start_h, np.inf),
        ("service_h", near.service_h, 0.0),
        ("diverted_h", run.diverted_h[m], np.inf),
    ):
        full = np.full(n, fill)
        full[keep] = values[:k]  # the pools hold these first
        out[name] = full
    turned = np.ones(n, dtype=bool)
    turned[keep] = False
    if crossings:
        to = np.full(n, "", dtype=object)
        for i, b in run.diverted_to[m].items():
            to[keep[i]] = b
        out["diverted_to"], out["diverted_from"] = to, np.full(n, "", dtype=object)
    return {
        "mode": np.full(n, _MODE_CODE[m]),
        "arrive_h": g.arrive_h,
        "presented": np.ones(n, dtype=bool),
        "persons": g.persons,
        "turned": turned,
        **out,
        "who": {f: getattr(g, f) for f in GROUP_FIELDS},
    }


def _diverted_here(
    run: CheckpointRun, m: Mode, runs: dict[str, CheckpointRun], *, crossings: bool
) -> dict:
    """Columns of the groups of mode ``m`` that diverted to ``run``'s checkpoint
    (``crossings``: with those they diverted from)."""
    inc = run.incoming[m]
    first = run.parts[LaneMode(m)].influx
    used = np.flatnonzero(np.isfinite(inc.decided_h))
    idx = first + used
    far, near = run.far.pools[LaneMode(m)], run.near.pools[LaneMode(m)]
    who: dict[str, list[np.ndarray]] = {f: [] for f in GROUP_FIELDS}
    for a, pos in inc.sources:
        src = runs[a]
        rows = src.entering[m][pos]
        for f in GROUP_FIELDS:
            who[f].append(getattr(src.groups[m], f)[rows])
    n = len(used)
    named = {}
    if crossings:
        sources = np.concatenate(
            [np.full(len(pos), a, dtype=object) for a, pos in inc.sources]
            or [np.zeros(0, dtype=object)]
        )
        named = {"diverted_to": np.full(n, "", dtype=object), "diverted_from": sources[used]}
    return {
        "mode": np.full(n, _MODE_CODE[m]),
        "arrive_h": far.arrive_h[idx],
        "presented": np.zeros(n, dtype=bool),
        "persons": far.persons[idx],
        "turned": np.zeros(n, dtype=bool),
        **named,
        "far_arrive_h": far.arrive_h[idx],
        "far_start_h": far.start_h[idx],
        "far_service_h": far.service_h[idx],
        "entry_h": near.arrive_h[idx],
        "start_h": near.start_h[idx],
        "service_h": near.service_h[idx],
        "diverted_h": inc.decided_h[used],
        "who": {
            f: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64))[used]
            for f, v in who.items()
        },
    }


def groups_table(cp: str, g: _CheckpointGroups) -> pd.DataFrame:
    """One row per group presented at the checkpoint, then per group diverted to it:
    ``checkpoint``, ``mode``, ``arrive_h`` (at the far side), ``persons``, who they are
    (:data:`GROUP_FIELDS`), ``start_h``, ``service_h`` and ``end_h`` at our control, then
    ``turned_back`` and ``far_start_h``, ``far_service_h``, ``far_end_h`` at the far side
    (``far_end_h``: arrival at our control), then ``diverted_to`` (the crossing it left for),
    ``diverted_from`` (the crossing it first headed for; such a row is not presented here)
    and ``diverted_h`` (when it chose). Hours from the scenario start; a time never reached is
    NaN (turned back: all of them)."""

    def nan(t: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(t), t, np.nan)

    far_started = np.isfinite(g.far_start_h)
    if g.diverted_to is None or g.diverted_from is None:
        raise ValueError("groups_table: the groups were built without their crossings")
    return pd.DataFrame(
        {
            "checkpoint": cp,
            "mode": _MODE_NAMES[g.mode],
            "arrive_h": nan(g.arrive_h),
            "persons": g.persons,
            **g.who,
            "start_h": nan(g.start_h),
            "service_h": np.where(np.isfinite(g.start_h), g.service_h, np.nan),
            "end_h": nan(g.end_h),
            "turned_back": g.turned,
            "far_start_h": nan(g.far_start_h),
            "far_service_h": np.where(far_started, g.far_service_h, np.nan),
            "far_end_h": nan(g.entry_h),
            "diverted_to": g.diverted_to.astype(str),
            "diverted_from": g.diverted_from.astype(str),
            "diverted_h": nan(g.diverted_h),
        }
    )


def _crossings(g: _CheckpointGroups, n_hours: int) -> dict[str, np.ndarray]:
    """Persons of each kind whose crossing ends in each hour (index = hour), and of those
    needing reception the ones who came by car (``reception_by_car``)."""
    end = g.end_h
    done = end <= n_hours
    end_bin = np.ceil(end[done]).astype(int)
    weights = {k: g.who[k][done] for k in _CROSSING_FIELDS}
    weights["reception_by_car"] = weights["to_reception"] * (g.mode[done] == _MODE_CODE[Mode.car])
    return {
        k: np.bincount(end_bin, weights=w, minlength=n_hours + 1).astype(np.int64)
        for k, w in weights.items()
    }


def _cum_at(times: np.ndarray, weights: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Sum of ``weights`` whose time is at or before each of ``hours``."""
    return _cums_at(times, {"w": weights}, hours)["w"]


def _cums_at(
    times: np.ndarray, weights: dict[str, np.ndarray], hours: np.ndarray
) -> dict[str, np.ndarray]:
    """For each named weight, the sum of those whose time is at or before each of ``hours``
    (integer weights at hours 1, 2, ... n: :func:`_cums_by_hour`, else one sort for all)."""
    if len(times) == 0:
        return {k: np.zeros(len(hours), dtype=w.dtype) for k, w in weights.items()}
    whole = all(np.issubdtype(w.dtype, np.integer) for w in weights.values())
    if whole and np.array_equal(hours, np.arange(1, len(hours) + 1)):
        return _cums_by_hour(times, weights, len(hours))
    return _cums_sorted(times, weights, hours)


def _cums_sorted(
    times: np.ndarray, weights: dict[str, np.ndarray], hours: np.ndarray
) -> dict[str, np.ndarray]:
    """:func:`_cums_at` by one sort of the times for all weights."""
    order = np.argsort(times, kind="stable")
    idx = np.searchsorted(times[order], hours, side="right")
    out = {}
    for k, w in weights.items():
        c = np.cumsum(w[order])
        out[k] = np.where(idx > 0, c[np.maximum(idx - 1, 0)], 0)
    return out


def _cums_by_hour(
    times: np.ndarray, weights: dict[str, np.ndarray], n_hours: int
) -> dict[str, np.ndarray]:
    """:func:`_cums_at` of integer weights at hours 1..``n_hours``, by the hour each time falls
    in (a time is at or before hour h when its hour, rounded up, is), with no sort."""
    hour = np.ceil(times)
    kept = hour <= n_hours
    falls = np.maximum(hour[kept], 0).astype(np.int64)
    return {  # whole numbers summed in doubles: exact below 2**53
        k: np.cumsum(np.bincount(falls, weights=w[kept], minlength=n_hours + 1))[1:].astype(
            np.cumsum(w[:0]).dtype  # the type a cumulative sum of these weights has
        )
        for k, w in weights.items()
    }


def _waits(arrive: np.ndarray, start: np.ndarray, n_hours: int) -> np.ndarray:
    """Each group's wait (h): to its service start, or to the horizon if it never started."""
    return np.where(np.isfinite(start), start - arrive, n_hours - arrive)


def _hourly_waits(
    arrive: np.ndarray, start: np.ndarray, hours: np.ndarray
) -> dict[str, np.ndarray]:
    """Per hour: median and p95 wait of the groups starting service in it, and the longest
    wait (started in it, or still waiting at its end). ``arrive`` may hold ``inf`` (never
    came)."""
    n_hours = len(hours)
    started = np.isfinite(start)
    sb = np.ceil(start[started]).astype(int).clip(1, n_hours)
    frame = pd.DataFrame({"h": sb, "w": start[started] - arrive[started]})
    q = (
        frame.groupby("h")["w"].quantile(np.array([0.5, P95])).unstack()
        if len(frame)
        else pd.DataFrame(columns=[0.5, 0.95])
    )
    every_hour = range(1, n_hours + 1)
    return {
        "wait_p50_h": q.get(0.5, pd.Series(dtype=float)).reindex(every_hour).to_numpy(),
        "wait_p95_h": q.get(0.95, pd.Series(dtype=float)).reindex(every_hour).to_numpy(),
        "wait_max_h": _hourly_max_wait(arrive, start, hours),
    }


def _hourly_max_wait(arrive: np.ndarray, start: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Per hour: the longest wait of the groups starting service in it or still waiting at
    its end (NaN: neither). ``arrive`` may hold ``inf`` (never came)."""
    n_hours = len(hours)
    started = np.isfinite(start)
    sb = np.ceil(start[started]).astype(int).clip(1, n_hours)
    mx = np.full(n_hours + 1, np.nan)
    np.fmax.at(mx, sb, start[started] - arrive[started])
    came = np.isfinite(arrive)
    return np.fmax(mx[1:], _oldest_waiting(arrive[came], start[came], hours))


def _queues(
    arrive: np.ndarray, start: np.ndarray, g: _CheckpointGroups, hours: np.ndarray
) -> dict[str, np.ndarray]:
    """Persons, groups, vehicles and metres of vehicles queuing (arrived at ``arrive``, not
    started by ``start``) at each hour's end."""
    weights = {
        "persons": g.persons,
        "groups": np.ones_like(g.persons),
        "vehicles": (g.length_m > 0).astype(np.int64),
        "metres": g.length_m,
    }
    came, began = _cums_at(arrive, weights, hours), _cums_at(start, weights, hours)
    return {k: came[k] - began[k] for k in weights}


def _hourly_table(
    cp: str, g: _CheckpointGroups, run: CheckpointRun, n_hours: int, lengths_m: dict[str, float]
) -> pd.DataFrame:
    """One row per hour of one checkpoint (see ``checkpoints_hourly``)."""
    hours = np.arange(1, n_hours + 1, dtype=float)
    entered_c = _cum_at(g.entry_h, g.persons, hours)
    ended_c = _cum_at(g.end_h, g.persons, hours)
    near = _queues(g.entry_h, g.start_h, g, hours)
    far = _queues(g.far_arrive_h, g.far_start_h, g, hours)
    road = {side: _road_queues(run, side, hours, lengths_m) for side in Side}
    ordinary = _ordinary(run, hours)
    came = _cums_at(g.arrive_h, {"p": g.persons * g.presented, "t": g.persons * g.turned}, hours)
    moved = _cums_at(
        g.diverted_h,
        {"out": g.persons * g.diverted_out, "in": g.persons * ~g.presented},
        hours,
    )
    far_waits = _hourly_waits(g.far_arrive_h, g.far_start_h, hours)

    def per_hour(cum: np.ndarray) -> np.ndarray:
        return np.diff(np.concatenate([[0], cum]))

    return pd.DataFrame(
        {
            "time_h": hours.astype(int),
            "checkpoint": cp,
            "arrived": per_hour(entered_c),
            "processed": per_hour(ended_c),
            "queue_persons": near["persons"],
            "queue_groups": near["groups"],
            "at_checkpoint": entered_c - ended_c,
            "held_beyond_border": np.maximum(near["persons"] - run.setup.waiting_area_persons, 0),
            **_hourly_waits(g.entry_h, g.start_h, hours),
            **{f"lanes_{m.value}": run.near.lanes_log[LaneMode(m)] for m in Mode},
            "presented": per_hour(came["p"]),
            "turned_back": per_hour(came["t"]),
            "queue_vehicles": road[Side.near]["vehicles"],
            "queue_km": road[Side.near]["km"],
            "far_queue_persons": far["persons"],
            "far_queue_groups": far["groups"],
            "far_queue_vehicles": road[Side.far]["vehicles"],
            "far_queue_km": road[Side.far]["km"],
            "far_wait_p95_h": far_waits["wait_p95_h"],
            "far_wait_max_h": far_waits["wait_max_h"],
            **{f"far_lanes_{m.value}": run.far.lanes_log[LaneMode(m)] for m in Mode},
            "baseline_processed": ordinary["persons"],
            "lanes_truck": run.near.lanes_log[LaneMode.truck],
            "far_lanes_truck": run.far.lanes_log[LaneMode.truck],
            "baseline_queue_persons": ordinary["queue_persons"],
            "baseline_trucks_processed": ordinary["trucks"],
            "truck_queue_vehicles": road[Side.near]["trucks"],
            "far_truck_queue_vehicles": road[Side.far]["trucks"],
            "diverted_out": per_hour(moved["out"]),
            "diverted_in": per_hour(moved["in"]),
            "baseline_inbound_processed": ordinary["inbound"],
            "baseline_outbound_processed": ordinary["outbound"],
        }
    )


STRESS_COLUMNS = (
    "time_h",
    "checkpoint",
    "arrived",
    "at_checkpoint",
    "held_beyond_border",
    "queue_persons",
    "wait_max_h",
    "far_queue_persons",
    "far_wait_max_h",
)
"""The columns of ``checkpoints_hourly`` a lean run keeps (see :func:`simulate`)."""


def _lean_hourly_columns(
    g: _CheckpointGroups, run: CheckpointRun, n_hours: int
) -> dict[str, np.ndarray]:
    """One value per hour of one checkpoint for each of :data:`STRESS_COLUMNS` but
    ``checkpoint``, each computed as :func:`_hourly_table` computes it."""
    hours = np.arange(1, n_hours + 1, dtype=float)
    entered_c = _cum_at(g.entry_h, g.persons, hours)
    near = entered_c - _cum_at(g.start_h, g.persons, hours)
    far = _cum_at(g.far_arrive_h, g.persons, hours) - _cum_at(g.far_start_h, g.persons, hours)
    return {
        "time_h": hours.astype(int),
        "arrived": np.diff(np.concatenate([[0], entered_c])),
        "at_checkpoint": entered_c - _cum_at(g.end_h, g.persons, hours),
        "held_beyond_border": np.maximum(near - run.setup.waiting_area_persons, 0),
        "queue_persons": near,
        "wait_max_h": _hourly_max_wait(g.entry_h, g.start_h, hours),
        "far_queue_persons": far,
        "far_wait_max_h": _hourly_max_wait(g.far_arrive_h, g.far_start_h, hours),
    }


def _road_queues(
    run: CheckpointRun, side: Side, hours: np.ndarray, lengths_m: dict[str, float]
) -> dict[str, np.ndarray]:
    """Vehicles standing on the inbound approach road of one side at each hour's end (the
    influx's and ordinary inbound ones; trucks only where they share the road), their length
    in km (vehicles x length / queue lanes) and the trucks queuing (on the road or not)."""
    approach = run.setup.approach if side is Side.near else run.setup.far_approach
    approach = approach or run.setup.approach
    vehicles = np.zeros(len(hours), dtype=np.int64)
    metres = np.zeros(len(hours))
    trucks = np.zeros(len(hours), dtype=np.int64)
    for lm, pool in run.side(side).pools.items():
        length = lengths_m.get(lm.value, 0.0)
        if length <= 0:
            continue  # on foot
        parts = run.parts[lm]
        inbound = slice(0, parts.inbound_end)
        queued = _cum_at(pool.arrive_h[inbound], np.ones(inbound.stop, np.int64), hours) - _cum_at(
            pool.start_h[inbound], np.ones(inbound.stop, np.int64), hours
        )
        if lm is LaneMode.truck:
            trucks = queued
            if not approach.shared_with_trucks:
                continue
        vehicles = vehicles + queued
        metres = metres + queued * length
    return {"vehicles": vehicles, "km": metres / M_PER_KM / approach.queue_lanes, "trucks": trucks}


def _ordinary(run: CheckpointRun, hours: np.ndarray) -> dict[str, np.ndarray]:
    """Ordinary traffic at our control per hour: travellers (both ways, and each way) and
    trucks whose processing ended in the hour, and travellers queuing at its end."""
    out = {k: np.zeros(len(hours), dtype=np.int64) for k in ("in", "out", "trucks", "queue")}
    for lm, pool in run.near.pools.items():
        parts = run.parts[lm]
        for way, part in (
            ("in", slice(parts.ordinary, parts.inbound_end)),
            ("out", slice(parts.inbound_end, len(pool.arrive_h))),
        ):
            p = pool.persons[part]
            done = pool.start_h[part] + pool.service_h[part]
            ended = np.diff(_cum_at(done, p, hours), prepend=0)
            if lm is LaneMode.truck:
                out["trucks"] += ended
                continue
            out[way] += ended
            out["queue"] += _cum_at(pool.arrive_h[part], p, hours) - _cum_at(
                pool.start_h[part], p, hours
            )
    return {
        "persons": out["in"] + out["out"],
        "inbound": out["in"],
        "outbound": out["out"],
        "trucks": out["trucks"],
        "queue_persons": out["queue"],
    }


def weighted_p95(values: np.ndarray, weights: np.ndarray) -> float:
    """The persons-weighted 95th percentile of ``values`` (the smallest value at or below which
    at least 95 % of the weight lies); 0.0 when there are no values."""
    if len(values) == 0:
        return 0.0
    return float(np.quantile(values, P95, weights=weights, method="inverted_cdf"))


def _whole_run(cp: str, g: _CheckpointGroups, n_hours: int) -> dict[str, object]:
    """One checkpoint's waits over the run (each side) and its :func:`_demand`."""
    entered = np.isfinite(g.entry_h)
    wait = _waits(g.entry_h[entered], g.start_h[entered], n_hours)
    queued = np.isfinite(g.far_arrive_h)
    far_wait = _waits(g.far_arrive_h[queued], g.far_start_h[queued], n_hours)
    return {
        "checkpoint": cp,
        "p95_wait_h": weighted_p95(wait, g.persons[entered].astype(float)),
        "max_wait_h": float(wait.max()) if len(wait) else 0.0,
        "far_p95_wait_h": weighted_p95(far_wait, g.persons[queued].astype(float)),
        "far_max_wait_h": float(far_wait.max()) if len(far_wait) else 0.0,
        **_demand(g),
    }


def _demand(g: _CheckpointGroups) -> dict[str, int]:
    """One checkpoint's demand identity: presented - diverted out + diverted in = entered +
    turned back + still beyond the border."""
    entered = np.isfinite(g.entry_h)
    beyond = ~g.turned & ~g.diverted_out & ~entered
    return {
        "presented": int(g.persons[g.presented].sum()),
        "entered": int(g.persons[entered].sum()),
        "turned_back": int(g.persons[g.turned].sum()),
        "still_beyond_border": int(g.persons[beyond].sum()),
        "diverted_out": int(g.persons[g.diverted_out].sum()),
        "diverted_in": int(g.persons[~g.presented].sum()),
    }


def _ordinary_totals(run: CheckpointRun, n_hours: int) -> dict[str, int]:
    """Ordinary travellers entering and leaving, and trucks (both ways), whose processing at
    our control ended within the run."""
    out = {"baseline_inbound": 0, "baseline_outbound": 0, "baseline_trucks": 0}
    for lm, pool in run.near.pools.items():
        parts = run.parts[lm]
        done = (pool.start_h + pool.service_h <= n_hours) & np.isfinite(pool.start_h)
        first, end = parts.ordinary, parts.inbound_end
        inbound = int(pool.persons[first:end][done[first:end]].sum())
        outbound = int(pool.persons[end:][done[end:]].sum())
        if lm is LaneMode.truck:
            out["baseline_trucks"] += inbound + outbound
        else:
            out["baseline_inbound"] += inbound
            out["baseline_outbound"] += outbound
    return out


def _checkpoint_tables(
    runs: dict[str, CheckpointRun],
    n_hours: int,
    *,
    lengths_m: dict[str, float],
    lean: bool = False,
) -> tuple[pd.DataFrame, dict[str, dict[str, np.ndarray]], pd.DataFrame, pd.DataFrame]:
    """The hourly checkpoint table, crossings per checkpoint, whole-run figures and the
    groups (``lean``: :data:`STRESS_COLUMNS`, the demand figures and no groups)."""
    rows, crossings, waits, groups = [], {}, [], []
    lean_rows: list[dict[str, np.ndarray]] = []
    for cp, run in runs.items():
        g = _CheckpointGroups.of(run, lengths_m, runs, crossings=not lean)
        crossings[cp] = _crossings(g, n_hours)
        if lean:
            lean_rows.append(_lean_hourly_columns(g, run, n_hours))
            waits.append({"checkpoint": cp, **_demand(g)})
            continue
        rows.append(_hourly_table(cp, g, run, n_hours, lengths_m))
        groups.append(groups_table(cp, g))
        waits.append({**_whole_run(cp, g, n_hours), **_ordinary_totals(run, n_hours)})
    if lean_rows:  # one table at once: the same as one per checkpoint put together
        names = np.repeat(np.array(list(runs), dtype=object), n_hours)
        columns = {k: np.concatenate([r[k] for r in lean_rows]) for k in lean_rows[0]}
        rows = [pd.DataFrame({"checkpoint": names, **columns}, columns=list(STRESS_COLUMNS))]
    return (
        pd.concat(rows, ignore_index=True),
        crossings,
        pd.DataFrame(waits),
        pd.concat(groups, ignore_index=True) if groups else pd.DataFrame(),
    )


def _oldest_waiting(arrive: np.ndarray, start: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Age at each hour of the oldest group that has arrived and not yet started (in arrival
    order, the first group not started by then: the groups before it have all started)."""
    out = np.zeros(len(hours))
    if len(arrive) == 0:
        return out
    order = np.argsort(arrive, kind="stable")
    a, s = arrive[order], start[order]
    first = np.searchsorted(np.maximum.accumulate(s), hours, side="right")
    k = np.flatnonzero(first < len(a))
    k = k[a[first[k]] <= hours[k]]
    out[k] = hours[k] - a[first[k]]
    return out


def simulate(
    sc: Scenario,
    ref: RefData,
    *,
    progress: bool = False,
    route: bool = True,
    on_progress: Callable[[float], object] | None = None,
    lean: bool = False,
    settle: bool = True,
    prepared: Prepared | None = None,
) -> SimOutput:
    """Simulate ``sc`` over its horizon.

    Parameters
    ----------
    progress
        Show a terminal progress bar (it appears only if the run takes more than 2 s).
    route
        Place people leaving centres in regions by daily min-cost flow (default); when False
        they simply count as relocated on leaving.
    on_progress
        Called with the fraction done (0..1) after each simulated day of each stage.
    lean
        Build only what a stress replication reads: ``checkpoints`` with
        :data:`STRESS_COLUMNS`, ``centres``, ``ledger``, ``transported``, ``unmet`` and the
        demand columns of ``waits``; the other tables are empty. The same run, the same
        ledger checks, the same values in what it builds.
    settle
        Serve lane pools off the SimPy schedule where that starts every group at the same
        time (:func:`~contingency.sim.border.run_border`); False: every pool on it.
    prepared
        The scenario's seed-free part (:mod:`contingency.sim.prepared`), worked out already
        for ``sc`` on ``ref`` with the places it adds (a stress worker keeps it between
        replications); by default worked out here.

    Raises
    ------
    LedgerError
        If at any hour the people ledger does not balance.
    """
    n_hours = sc.horizon_days * 24
    ref = with_scenario_places(sc, ref)  # the crossings and sites the scenario brings
    if prepared is None:
        prepared = Prepared.of(sc, ref)
    else:
        prepared.check(sc, ref)
    plan = prepared.plan
    bar = tqdm(total=2 * sc.horizon_days, desc=sc.name, unit="day", delay=2.0, disable=not progress)

    def day_done(fraction: float) -> None:
        bar.update(1)
        if on_progress is not None:
            on_progress(fraction)

    def border_day(day: int) -> None:
        day_done(day / (2 * sc.horizon_days))

    runs = run_border(sc, ref, on_day=border_day, settle=settle, prepared=prepared)
    cp_table, crossings, waits, groups = _checkpoint_tables(
        runs, n_hours, lengths_m=vehicle_length_m(ref.maps_dir), lean=lean
    )
    down = Downstream(
        sc,
        ref,
        list(runs),
        route=route,
        plan=plan,
        record_routes=not lean,
        network=prepared.network,
    )
    ledger, centres = _downstream_hours(sc, down, cp_table, crossings, day_done=day_done)
    bar.close()
    transported = pd.DataFrame(down.transported, columns=list(down.centres))
    transported.insert(0, "day", np.arange(sc.horizon_days))
    flows, corridors, regions, unmet, unreachable = _routing_tables(down, ref, lean=lean)
    return SimOutput(
        checkpoints=cp_table,
        centres=centres,
        ledger=ledger,
        transported=transported,
        waits=waits,
        flows=flows,
        corridors=corridors,
        regions=regions,
        unmet=unmet,
        unreachable=unreachable,
        groups=groups,
        registration=pd.DataFrame(
            down.registration_log, columns=["time_h", "point", "waiting", "registered"]
        ),
        internal={
            "displaced": down.internal.displaced,
            "entered_reception": down.internal_entered,
        },
        left_via=dict(down.left_via),
    )


CENTRE_COLUMNS = (
    "time_h",
    "centre",
    "kind",
    "region",
    "node",
    "capacity",
    "occupancy",
    "overflow",
    "registration_queue",
    "ready_to_leave",
    "intake",
    "turnover",
    "is_open",
)
"""Columns of the ``centres_hourly`` table (``turnover``: people who took a place so far)."""


def _downstream_hours(
    sc: Scenario,
    down: Downstream,
    cp_table: pd.DataFrame,
    crossings: dict[str, dict[str, np.ndarray]],
    *,
    day_done: Callable[[float], None],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Step transfers and centres hour by hour; the ledger (checked every hour) and the
    centres table."""
    n_hours = sc.horizon_days * 24
    totals = cp_table.groupby("time_h")[["arrived", "held_beyond_border", "at_checkpoint"]].sum()
    arrived_cum = totals["arrived"].cumsum().to_numpy()
    held_h = totals["held_beyond_border"].to_numpy()
    at_cp_h = totals["at_checkpoint"].to_numpy()
    ledger_rows = []
    a = down.arrays
    numbers = np.zeros(  # each hour's centre numbers, in the type they stack to
        (n_hours, len(_CENTRE_NUMBERS), len(down.centres)),
        dtype=np.result_type(*(getattr(a, f) for f in _CENTRE_NUMBERS)),
    )
    kinds = ("to_reception", "to_rehabilitation", "self_arranged", "leaving", "reception_by_car")
    crossing: list[list[tuple[str, Crossed]]] = [[] for _ in range(n_hours + 2)]
    for cp, cr in crossings.items():  # hours with nobody crossing have nothing to add
        counts = np.stack([cr[k] for k in kinds], axis=1)
        for h in np.flatnonzero(counts.any(axis=1)).tolist():
            crossing[h].append((cp, Crossed(*counts[h].tolist())))
    arrived_l, held_l, at_cp_l = arrived_cum.tolist(), held_h.tolist(), at_cp_h.tolist()
    internal_l = down.internal.arrived.tolist()
    for h in range(1, n_hours + 1):
        for cp, crossed in crossing[h]:  # in checkpoint order, as the crossings are
            down.add_crossings(cp, crossed, h)
        down.step(h)
        held, at_cp = held_l[h - 1], at_cp_l[h - 1]
        row = {
            "time_h": h,
            "arrived": arrived_l[h - 1] + internal_l[h],
            "waiting_at_checkpoints": at_cp - held,
            "held_beyond_border": held,
            **down.ledger(),
        }
        accounted = sum(row[k] for k in LEDGER_FIELDS[1:])
        if accounted != row["arrived"]:
            raise LedgerError(
                f"{sc.name}: ledger does not balance at hour {h}: arrived {row['arrived']}, "
                f"accounted for {accounted}: {row}"
            )
        ledger_rows.append(row)
        for row, f in zip(numbers[h - 1], _CENTRE_NUMBERS, strict=True):
            row[:] = getattr(a, f)
        if h % 24 == 0:
            day_done(0.5 + h / (48 * sc.horizon_days))
    return pd.DataFrame(ledger_rows), _centres_table(down, numbers)


_CENTRE_NUMBERS = (
    "beds",
    "occupied",
    "overflow",
    "reg_queue",
    "ready",
    "intake_last_h",
    "turnover",
    "is_open",
)
"""The :class:`~contingency.sim.centres.CentreArrays` behind ``capacity`` ... ``is_open``."""


def _centres_table(down: Downstream, hours: np.ndarray) -> pd.DataFrame:
    """``centres_hourly`` from each hour's centre numbers (``hours[h - 1, i, j]``: number
    ``i`` of :data:`_CENTRE_NUMBERS` of centre ``j`` at the end of hour ``h``); one row per
    centre, in order, per hour."""
    k = len(down.centres)
    if k == 0 or not len(hours):  # no rows: columns of no type, as a table of no records has
        return pd.DataFrame([], columns=list(CENTRE_COLUMNS))
    numbers = hours.transpose(0, 2, 1).reshape(-1, len(_CENTRE_NUMBERS))
    about = {
        "time_h": np.repeat(np.arange(1, len(hours) + 1, dtype=np.int64), k),
        **{
            name: np.tile(
                np.array([getattr(c, attr) for c in down.centres.values()], object), len(hours)
            )
            for name, attr in (
                ("centre", "id"),
                ("kind", "kind"),
                ("region", "region"),
                ("node", "node"),
            )
        },
    }
    columns = CENTRE_COLUMNS[5:]
    return pd.DataFrame(
        {**about, **{name: numbers[:, i] for i, name in enumerate(columns)}},
        columns=list(CENTRE_COLUMNS),
    )


def _routing_tables(
    down: Downstream, ref: RefData, *, lean: bool = False
) -> tuple[pd.DataFrame, ...]:
    """Flows, corridors, regions, unmet and unreachable (``lean``: unmet only, the others
    empty)."""
    if lean:
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), _unmet_table(down), pd.DataFrame()
    r = down.router
    flows = pd.DataFrame(
        r.flows if r else [], columns=["day", "origin", "region", "persons", "travel_h", "path"]
    )
    edges = [(d, a, b, n) for (d, a, b), n in (r.edges.items() if r else [])]
    corridors = pd.DataFrame(edges, columns=["day", "from", "to", "persons"])
    refs = {
        frozenset((row["from"], row["to"])): row["road_ref"] for _, row in ref.road_edges.iterrows()
    }
    corridors["road_ref"] = [
        refs.get(frozenset((a, b)), "")
        for a, b in zip(corridors["from"], corridors["to"], strict=True)
    ]
    regions = pd.DataFrame(
        {
            "region": list(ref.regions.index),
            "capacity": [r.capacity[i] if r else 0 for i in ref.regions.index],
            "allocated": [r.allocated[i] if r else 0 for i in ref.regions.index],
            "preferred": [r.preferred[i] if r else 0 for i in ref.regions.index],
            "priority": list(ref.regions["resettlement_priority"]),
            "self_transport": [down.self_transport.get(i, 0) for i in ref.regions.index],
        }
    )
    regions["remaining"] = regions["capacity"] - regions["allocated"]
    unmet = _unmet_table(down)
    unreachable = pd.DataFrame(r.unreachable if r else [], columns=["day", "origin", "region"])
    return flows, corridors, regions, unmet, unreachable


def _unmet_table(down: Downstream) -> pd.DataFrame:
    return pd.DataFrame(down.unmet_log, columns=["time_h", "centre", "persons"])
