"""Crossings a scenario brings (``add_checkpoints``), merged into the reference data it runs with.

:func:`with_added_checkpoints` is the one place an added post becomes a checkpoint like those of
the map pack: a row of ``checkpoints`` (not modernised, not freight-only), its lanes and
processing minutes, a road node at the post and a road of ``access_h`` hours to its node. The
load checks, the plan and the engine all read the merged data, so an added post is usable
wherever a map-pack checkpoint is. :func:`override_for` is a checkpoint's override with an added
post's own sections (far side, approach, ...) under the scenario's ``checkpoint_overrides``.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import replace
from typing import Any

import pandas as pd
from shapely.geometry import Point, shape

from contingency.domain import LaneMode, Mode, ProcessingMinutes
from contingency.errors import Problem, msg, problem
from contingency.refdata import RefData
from contingency.scenario.schema import AddedCheckpoint, CheckpointOverride, Scenario

DETOUR_FACTOR = 1.16
"""Road length over great-circle distance: the median of the sourced centre-to-centre pairs
of the bundled road data (``maps/SOURCES.md``); used for an added post's access road."""
MIN_ACCESS_KM = 0.1
EARTH_RADIUS_KM = 6371.0088
DEFAULT_MINUTES: dict[Mode, ProcessingMinutes] = {
    Mode.car: ProcessingMinutes(6.0, 1.0),
    Mode.bus: ProcessingMinutes(12.0, 1.5),
    Mode.pedestrian: ProcessingMinutes(0.0, 2.0),
}
"""Processing minutes of a post with no published throughput (``maps/SOURCES.md``,
Processing times): planning assumptions."""
ADDED_SOURCE = "scenario add_checkpoints"


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two WGS 84 points, km (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def nearest_node(ref: RefData, lat: float, lon: float) -> str:
    """The road node nearest to a point, checkpoints' own nodes left out (a post joins the
    network at a town or junction, not through another crossing)."""
    nodes = ref.road_nodes[ref.road_nodes["kind"] != "checkpoint"]
    places = zip(nodes["lat"], nodes["lon"], strict=True)
    km = [great_circle_km(lat, lon, float(a), float(b)) for a, b in places]
    return str(nodes.index[min(range(len(km)), key=km.__getitem__)])


def access_node(a: AddedCheckpoint, ref: RefData) -> str:
    """The road node an added post joins: the one it names, else the nearest."""
    return a.node if a.node is not None else nearest_node(ref, a.lat, a.lon)


def _given(a: AddedCheckpoint, key: str) -> int:
    value = getattr(a.baseline, key) if a.baseline is not None else None
    return 0 if value is None else int(value)


def _checkpoint_row(a: AddedCheckpoint, columns: pd.Index) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": a.id,
        "name_ru": a.name.ru,
        "name_kk": a.name.kk,
        "name_en": a.name.en,
        "neighbour_country": a.neighbour,
        "neighbour_checkpoint": a.partner,
        "partner": a.partner,
        "oblast_iso": a.region,
        "lat": a.lat,
        "lon": a.lon,
        "coord_precision": "given by the scenario",
        "modernised": False,
        "freight_only": False,
        "baseline_inbound_persons_per_day": _given(a, "inbound_persons_per_day"),
        "baseline_outbound_persons_per_day": _given(a, "outbound_persons_per_day"),
        "baseline_trucks_per_day": _given(a, "trucks_per_day"),
        "baseline_basis": "given by the scenario (a figure left out is 0)",
        "node": a.id,
        "source": ADDED_SOURCE,
    }
    return {c: row.get(c) for c in columns}


def _node_row(a: AddedCheckpoint, columns: pd.Index) -> dict[str, Any]:
    row = {
        "id": a.id,
        "kind": "checkpoint",
        "name_en": a.name.en,
        "name_ru": a.name.ru,
        "region_iso": a.region,
        "lat": a.lat,
        "lon": a.lon,
        "source": ADDED_SOURCE,
    }
    return {c: row.get(c) for c in columns}


def _edge_row(a: AddedCheckpoint, ref: RefData, columns: pd.Index) -> dict[str, Any]:
    node = access_node(a, ref)
    place = ref.road_nodes.loc[node]
    assert isinstance(place, pd.Series)  # ids are unique
    km = great_circle_km(a.lat, a.lon, float(place["lat"]), float(place["lon"]))
    length_km = max(MIN_ACCESS_KM, round(km * DETOUR_FACTOR, 1))
    row = {
        "from": a.id,
        "to": node,
        "road_ref": "access road",
        "length_km": length_km,
        "length_basis": "estimate",
        "speed_kmh": length_km / a.access_h,  # the road takes access_h hours
        "speed_assumption": True,
        "source": f"{ADDED_SOURCE}: access_h; length great-circle x {DETOUR_FACTOR}",
        "confidence": "low",
    }
    return {c: row.get(c) for c in columns}


def _minutes(a: AddedCheckpoint) -> dict[Mode, ProcessingMinutes]:
    return a.processing.over(DEFAULT_MINUTES) if a.processing else dict(DEFAULT_MINUTES)


def _append(table: pd.DataFrame, rows: list[dict[str, Any]], *, key: str) -> pd.DataFrame:
    extra = pd.DataFrame(rows, columns=table.columns)
    if key:
        extra = extra.set_index(key, drop=False)
        return pd.concat([table, extra]) if len(table) else extra
    return pd.concat([table, extra], ignore_index=True) if len(table) else extra


def with_added_checkpoints(sc: Scenario, ref: RefData, *, skip: Collection[str] = ()) -> RefData:
    """``ref`` with the crossings ``sc`` adds (``ref`` itself when it adds none).

    Posts whose id is already a checkpoint of ``ref`` (merged before, or a clash that the
    load checks report) and posts in ``skip`` (ids with problems) are left out, so the call
    may be repeated on its own result.
    """
    taken = set(skip) | set(ref.checkpoints.index) | set(ref.road_nodes.index)
    new: list[AddedCheckpoint] = []
    for a in sc.add_checkpoints:
        if a.id not in taken:  # the first of an id given twice
            new.append(a)
            taken.add(a.id)
    if not new:
        return ref
    lanes = dict(ref.lanes)
    processing = dict(ref.processing)
    for a in new:
        given = a.lanes or {}
        lanes[a.id] = {m: given.get(m, 0) for m in LaneMode}
        processing[a.id] = _minutes(a)
    nodes = _append(ref.road_nodes, [_node_row(a, ref.road_nodes.columns) for a in new], key="id")
    edges = [_edge_row(a, ref, ref.road_edges.columns) for a in new]
    return replace(
        ref,
        checkpoints=_append(
            ref.checkpoints, [_checkpoint_row(a, ref.checkpoints.columns) for a in new], key="id"
        ),
        road_nodes=nodes,
        road_edges=_append(ref.road_edges, edges, key=""),
        lanes=lanes,
        processing=processing,
    )


def added_ids(sc: Scenario) -> list[str]:
    """The ids of the crossings ``sc`` adds, in order."""
    return [a.id for a in sc.add_checkpoints]


def override_for(sc: Scenario, cp: str) -> CheckpointOverride | None:
    """Checkpoint ``cp``'s override: ``checkpoint_overrides.<cp>``, with each section it
    leaves out taken from the added crossing ``cp`` (when the scenario adds one)."""
    explicit = sc.checkpoint_overrides.get(cp)
    added = next((a for a in sc.add_checkpoints if a.id == cp), None)
    if added is None:
        return explicit
    own = {k: getattr(added, k) for k in CheckpointOverride.model_fields}
    if explicit is None:
        return CheckpointOverride.model_construct(**own)
    merged = {
        k: getattr(explicit, k) if getattr(explicit, k) is not None else v for k, v in own.items()
    }
    p_added, p_given = added.processing, explicit.processing
    if p_added is not None and p_given is not None and p_given.cv is None:
        merged["processing"] = p_given.model_copy(update={"cv": p_added.cv})
    return CheckpointOverride.model_construct(**merged)


# ---------------------------------------------------------------- checks
MAX_KM_OUTSIDE_REGION = 25.0
"""How far outside its region's polygon an added post may stand (a border post lies on the
region's edge, and the bundled polygons are at 1:1 million)."""
KM_PER_DEGREE = 111.0


def _km_outside(ref: RefData, iso: str, lat: float, lon: float) -> float | None:
    """Distance from a point to region ``iso``'s polygon, km (None: the pack has no shape)."""
    for f in ref.regions_geojson.get("features", []):
        if f.get("properties", {}).get("iso") == iso:
            return float(shape(f["geometry"]).distance(Point(lon, lat))) * KM_PER_DEGREE
    return None


def _one_added(file: str, i: int, a: AddedCheckpoint, ref: RefData) -> list[Problem]:
    at = f"add_checkpoints.{i}"
    out: list[Problem] = []
    if a.id in ref.checkpoints.index:
        out.append(problem(file, f"{at}.id", msg("problem.clashes_checkpoint"), a.id))
    elif a.id in ref.road_nodes.index:
        out.append(problem(file, f"{at}.id", msg("problem.clashes_node"), a.id))
    if a.node is not None and a.node not in ref.road_nodes.index:
        out.append(problem(file, f"{at}.node", msg("problem.unknown_node", hint=None), a.node))
    if a.region not in ref.regions.index:
        why = msg("problem.unknown_region", hint=None)
        out.append(problem(file, f"{at}.region", why, a.region))
    elif (km := _km_outside(ref, a.region, a.lat, a.lon) or 0.0) > MAX_KM_OUTSIDE_REGION:
        out.append(
            problem(
                file,
                f"{at}.lat",
                f"the point ({a.lat}, {a.lon}) is {km:,.0f} km outside region {a.region}",
                a.lat,
            )
        )
    return out


def added_problems(file: str, sc: Scenario, ref: RefData) -> tuple[list[Problem], set[str]]:
    """Problems with the crossings ``sc`` adds, judged against the map pack ``ref`` (clashing
    ids, unknown nodes and regions, points outside their region), and the ids with any."""
    out: list[Problem] = []
    bad: set[str] = set()
    seen: set[str] = set()
    for i, a in enumerate(sc.add_checkpoints):
        found = _one_added(file, i, a, ref)
        if a.id in seen:
            found.append(problem(file, f"add_checkpoints.{i}.id", msg("problem.added_twice"), a.id))
        seen.add(a.id)
        if found:
            bad.add(a.id)
        out += found
    return out, bad
