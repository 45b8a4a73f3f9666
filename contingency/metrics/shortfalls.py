"""What is missing, at one moment, to bring each red facility back under its red threshold, in
absolute numbers, with the scenario's best candidate reserve beside each figure.

The method, per kind of facility (all figures at the hour ``time_h``):

* **Checkpoint** (each control whose longest wait is over ``wait_red_h``, ours or the far
  side's): per mode, the work waiting there (groups that reached the control and are not yet
  served) plus the work arriving over the next ``wait_red_h`` hours (influx groups from the
  ``groups`` table, plus ordinary traffic at its daily rate) must be done within
  ``wait_red_h`` hours. Work of a group is the side's ``min_per_vehicle + persons ×
  min_per_person``; lanes needed = ⌈work_min / (wait_red_h × 60)⌉; missing = needed − the
  lanes open then (never negative). A fluid estimate: it ignores the spread of service
  times, processing multipliers from injects and shifts to come, so it is a floor.
  The project has no staff-per-lane figure, so the staff a lane needs is given as lane-hours
  a day (``lane_hours`` = missing lanes × 24): multiply by the officers one lane needs.
* **Centre** (people per bed over ``occupancy_red``): beds needed =
  ⌈present / occupancy_red⌉ with present = in beds + overflow + registering; missing =
  needed − beds now.
* **Region**: the sum of its red centres' missing beds (``have``: all the region's beds), and
  onward buses a day: people ready to move on at its centres now need ⌈ready / bus_seats⌉
  buses to leave within a day; ``have`` = ``onward_buses_per_day`` × the region's open
  centres. People held for want of a place in a region (not a seat) are counted too, so this
  is an upper bound on buses.

Reserves: a ``lanes`` reserve of the same mode at the checkpoint (our control only: the far
side is the neighbour's, an ask, not a reserve), ``beds`` at the centre (or any centre of the
region) and a ``mobile_unit`` at the centre's road node or a node of its region. ``buses``
reserves add to the national transfer pool (checkpoint to centre), which carries nobody
onward, so onward bus rows have no reserve. Among the candidates, the one covering the most
of the shortfall per unit of cost is chosen (ties: the most covered, then the id).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from contingency.domain import Mode, ProcessingMinutes
from contingency.metrics.gaps import centre_present
from contingency.refdata import RefData
from contingency.scenario.plan import CheckpointPlan, resolve_checkpoint
from contingency.scenario.schema import Reserve, Scenario
from contingency.scenario.sites import with_scenario_places

Level = Literal["facility", "region"]
Resource = Literal["lanes", "lane_hours", "beds", "buses_per_day"]
Side = Literal["near", "far"]


@dataclass(frozen=True)
class Shortfall:
    """One figure missing at one facility or region."""

    facility: str
    """Checkpoint, centre or region (ISO 3166-2) id."""
    kind: str
    """``checkpoint``, the centre's kind, or ``region``."""
    level: Level
    resource: Resource
    mode: Mode | None
    """The lanes' mode (lane rows only)."""
    missing: int
    have: int
    reserve: str | None
    """Id of the best candidate reserve, None when the scenario has none that fits."""
    reserve_covers: int
    """How much of ``missing`` that reserve covers (same unit)."""
    side: Side | None = None
    """Which control of a checkpoint: ours (``near``) or the neighbour's exit (``far``)."""


@dataclass(frozen=True)
class _Control:
    """One control of a checkpoint: which group times bound its queue and its columns."""

    side: Side
    reached: str
    started: str
    wait_column: str
    lanes_prefix: str


_LANE_RESOURCES: tuple[tuple[Resource, int], ...] = (("lanes", 1), ("lane_hours", 24))
"""A lane row's figures: lanes, and lane-hours a day (a lane open all day)."""

_CONTROLS = (
    _Control("near", "far_end_h", "start_h", "wait_max_h", "lanes_"),
    _Control("far", "arrive_h", "far_start_h", "far_wait_max_h", "far_lanes_"),
)


def lanes_needed(work_min: float, window_h: float) -> int:
    """Lanes that do ``work_min`` minutes of processing within ``window_h`` hours."""
    return math.ceil(round(work_min / (window_h * 60.0), 9))


def lane_work_min(
    groups: pd.DataFrame,
    processing: Mapping[Mode, ProcessingMinutes],
    *,
    time_h: float,
    window_h: float,
    side: Side = "near",
) -> dict[Mode, float]:
    """Minutes of processing per mode at one control: the groups queuing there at ``time_h``
    (reached it, not yet started) plus those reaching it in the following ``window_h`` hours.

    ``groups`` holds one checkpoint's rows of the ``groups`` table; groups turned back, or
    gone to another crossing by ``time_h`` (or later, for those still to come), are left out.
    """
    control = next(c for c in _CONTROLS if c.side == side)
    g = groups[~groups["turned_back"].astype(bool)]
    reached = g[control.reached]
    started = g[control.started].fillna(math.inf)
    left = g["diverted_h"].fillna(math.inf) if "diverted_h" in g else pd.Series(math.inf, g.index)
    waiting = (reached <= time_h) & (started > time_h) & (left > time_h)
    to_come = (reached > time_h) & (reached <= time_h + window_h) & (left == math.inf)
    g = g[waiting | to_come]
    out: dict[Mode, float] = {}
    for m in Mode:
        rows = g[g["mode"] == m.value]
        p = processing[m]
        out[m] = len(rows) * p.min_per_vehicle + float(rows["persons"].sum()) * p.min_per_person
    return out


def _baseline_min(plan: CheckpointPlan, side: Side, window_h: float) -> dict[Mode, float]:
    """Minutes of ordinary traffic per mode over ``window_h`` hours at its daily rate: both
    ways at our control (travellers leaving share our lanes), entering ones at the far side."""
    b = plan.baseline
    per_day = b.inbound_persons_per_day + (b.outbound_persons_per_day if side == "near" else 0)
    per_h = per_day / 24.0
    minutes = (plan.near_side if side == "near" else plan.far_side).processing
    out: dict[Mode, float] = {}
    for m in Mode:
        spec = b.mode_mix.get(m)
        persons = per_h * window_h * (spec.share if spec else 0.0)
        groups = persons / spec.mean_group_size if spec and persons else 0.0
        out[m] = groups * minutes[m].min_per_vehicle + persons * minutes[m].min_per_person
    return out


def best_reserve(candidates: Sequence[Reserve], missing: int) -> tuple[str | None, int]:
    """The candidate covering the most of ``missing`` per unit of cost (ties: the most
    covered, then the id) and how much it covers; ``(None, 0)`` without candidates."""
    if missing <= 0 or not candidates:
        return None, 0
    ranked = sorted(
        candidates,
        key=lambda r: (-min(r.amount, missing) / r.cost, -min(r.amount, missing), r.id),
    )
    return ranked[0].id, min(ranked[0].amount, missing)


def _lane_rows(
    tables: Mapping[str, pd.DataFrame], sc: Scenario, ref: RefData, time_h: int
) -> list[Shortfall]:
    red_h = sc.thresholds.wait_red_h
    cps = tables["checkpoints_hourly"]
    now = cps[cps["time_h"] == time_h]
    groups = tables.get("groups")
    rows: list[Shortfall] = []
    for row in now.to_dict("records"):
        cp = str(row["checkpoint"])
        for control in _CONTROLS:
            wait = row.get(control.wait_column)
            if wait is None or pd.isna(wait) or float(wait) <= red_h or groups is None:
                continue
            if not any(row.get(f"{control.lanes_prefix}{m.value}", 0) for m in Mode):
                continue  # closed at that hour (a decision, shown on the map): no lane ask
            plan = resolve_checkpoint(sc, ref, cp)
            side_plan = plan.near_side if control.side == "near" else plan.far_side
            work = lane_work_min(
                groups[groups["checkpoint"] == cp],
                side_plan.processing,
                time_h=time_h,
                window_h=red_h,
                side=control.side,
            )
            base = _baseline_min(plan, control.side, red_h)
            for m in Mode:
                have = int(row.get(f"{control.lanes_prefix}{m.value}", 0))
                missing = max(0, lanes_needed(work[m] + base[m], red_h) - have)
                if missing == 0:
                    continue
                fits = [
                    r
                    for r in sc.reserves
                    if control.side == "near"
                    and r.kind == "lanes"
                    and r.target == cp
                    and r.mode == m
                ]
                rid, covers = best_reserve(fits, missing)
                for resource, per in _LANE_RESOURCES:
                    rows.append(
                        Shortfall(
                            cp,
                            "checkpoint",
                            "facility",
                            resource,
                            m,
                            missing * per,
                            have * per,
                            rid,
                            covers * per,
                            control.side,
                        )
                    )
    return rows


def _bed_reserves(
    sc: Scenario, node_region: Mapping[str, str], *, centres: set[str], region: str, node: str
) -> list[Reserve]:
    """Reserves adding beds at ``centres`` or a mobile unit at ``node`` or in ``region``."""
    return [
        r
        for r in sc.reserves
        if (r.kind == "beds" and r.target in centres)
        or (
            r.kind == "mobile_unit"
            and (r.target == node or node_region.get(str(r.target)) == region)
        )
    ]


def _bed_rows(
    tables: Mapping[str, pd.DataFrame], sc: Scenario, ref: RefData, time_h: int
) -> list[Shortfall]:
    """Beds missing at each red centre, then per region."""
    centres = tables["centres_hourly"]
    now = centres[centres["time_h"] == time_h].assign(present=lambda d: centre_present(d))
    red = sc.thresholds.occupancy_red
    now = now.assign(
        missing=[
            max(0, math.ceil(round(p / red, 9)) - int(b))
            for p, b in zip(now["present"], now["capacity"], strict=True)
        ]
    )
    regions = with_scenario_places(sc, ref).road_nodes["region_iso"]
    nodes = {str(k): str(v) for k, v in regions.items()}
    rows: list[Shortfall] = []
    short = now[now["missing"] > 0].sort_values(["missing", "centre"], ascending=[False, True])
    for c in short.to_dict("records"):
        fits = _bed_reserves(
            sc, nodes, centres={str(c["centre"])}, region=str(c["region"]), node=str(c["node"])
        )
        rid, covers = best_reserve(fits, int(c["missing"]))
        rows.append(
            Shortfall(
                str(c["centre"]),
                str(c["kind"]),
                "facility",
                "beds",
                None,
                int(c["missing"]),
                int(c["capacity"]),
                rid,
                covers,
            )
        )
    by_region = now.groupby("region", sort=True).agg(
        missing=("missing", "sum"), have=("capacity", "sum")
    )
    for region, r in by_region[by_region["missing"] > 0].iterrows():
        ids = set(now.loc[now["region"] == region, "centre"].astype(str))
        fits = _bed_reserves(sc, nodes, centres=ids, region=str(region), node="")
        rid, covers = best_reserve(fits, int(r["missing"]))
        rows.append(
            Shortfall(
                str(region),
                "region",
                "region",
                "beds",
                None,
                int(r["missing"]),
                int(r["have"]),
                rid,
                covers,
            )
        )
    return rows


def _bus_rows(tables: Mapping[str, pd.DataFrame], sc: Scenario, time_h: int) -> list[Shortfall]:
    """Onward buses a day each region's centres lack to move on the people ready now. Onward
    buses serve one centre each (``onward_buses_per_day`` per open centre): one centre's idle
    buses do not carry another's people, so a centre's lack is its own and a region's is the
    sum of its centres'."""
    centres = tables["centres_hourly"]
    now = centres[(centres["time_h"] == time_h) & (centres["is_open"] > 0)]
    per_day = sc.transport.onward_buses_per_day
    need = (now["ready_to_leave"] / sc.transport.bus_seats).map(math.ceil)
    per_centre = now.assign(missing=(need - per_day).clip(lower=0), have=per_day)
    per_region = per_centre.groupby("region", sort=True)[["missing", "have"]].sum()
    rows: list[Shortfall] = []
    for region, r in per_region.iterrows():
        missing, have = int(r["missing"]), int(r["have"])
        if missing > 0:
            rows.append(
                Shortfall(
                    str(region), "region", "region", "buses_per_day", None, missing, have, None, 0
                )
            )
    return rows


def shortfalls(
    tables: Mapping[str, pd.DataFrame], scenario: Scenario, ref: RefData, time_h: int
) -> list[Shortfall]:
    """What each red facility and each region lacks at ``time_h`` (see the module's notes for
    the method): lane rows (lanes and lane-hours a day, per mode and control), centre beds,
    then region beds and onward buses a day."""
    return [
        *_lane_rows(tables, scenario, ref, time_h),
        *_bed_rows(tables, scenario, ref, time_h),
        *_bus_rows(tables, scenario, time_h),
    ]
