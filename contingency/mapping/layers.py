"""The map at one moment of a run: regions, checkpoints, centres (transit hubs and temporary
sites among them), corridors and the origins of displacement inside the country, with their
figures and status colours. The board and every export draw from these same layers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import numpy as np
import pandas as pd
from shapely.geometry import mapping, shape

from contingency.mapping.crossings import CheckpointItem, checkpoint_items
from contingency.mapping.roads import ClosedRoadItem, closed_roads
from contingency.mapping.sites import (
    ORIGIN,
    OriginItem,
    centre_symbol,
    first_open_hours,
    origin_items,
    temporary_sites,
)
from contingency.mapping.status import COLOURS, status
from contingency.metrics.gaps import centre_load
from contingency.refdata import RefData, load_refdata
from contingency.scenario import Scenario
from contingency.summary import RunSummary

CORRIDOR_COLOUR = "#1565c0"


class RegionItem(TypedDict):
    id: str
    name_ru: str
    name_kk: str
    name_en: str
    priority: bool
    capacity: int
    allocated: int
    remaining: int
    utilisation: float | None
    waiting_onward: int
    status: str
    colour: str


class CentreItem(TypedDict):
    id: str
    kind: str
    symbol: str
    """``centre``, ``transit`` (a transit hub) or ``site`` (another temporary site): how the map
    draws it and its GeoJSON ``layer``."""
    temporary_site: bool
    """A site the scenario adds (``add_centres``)."""
    is_open: bool
    opens_h: int | None
    """The first hour (``time_h``) the run has it open; None: not within the run."""
    name_ru: str
    name_kk: str | None
    name_en: str
    region: str
    lat: float
    lon: float
    capacity: int
    in_beds: int
    overflow: int
    registering: int
    present: int
    waiting_onward: int
    turnover: int | None
    """People who took a place here from the start up to this hour (None: a run made before
    it was counted)."""
    load: float | None
    status: str
    """Against the load thresholds; ``none`` while it is not open."""
    colour: str
    planned_capacity: NotRequired[int]
    """The most places it had at any hour up to this one: a centre with fewer now was cut
    (damage, a ``centre_capacity`` inject) and the map marks it."""
    map_lat: NotRequired[float]
    map_lon: NotRequired[float]


CorridorItem = TypedDict(
    "CorridorItem",
    {"from": str, "to": str, "road_ref": str, "persons": int, "coords": list[list[float]]},
)
"""Persons moved over one road edge so far; ``coords``: [[lat, lon], [lat, lon]]."""


@dataclass(frozen=True)
class Layers:
    time_h: int
    regions: list[RegionItem]
    checkpoints: list[CheckpointItem]
    centres: list[CentreItem]
    corridors: list[CorridorItem]
    origins: list[OriginItem] = field(default_factory=list)
    """Origins of displacement inside the country (drawn only when the scenario is known)."""
    closed_roads: list[ClosedRoadItem] = field(default_factory=list)
    """Roads closed at ``time_h`` by the scenario's injects (known only with the scenario)."""


def item_properties(item: Mapping[str, Any]) -> dict[str, Any]:
    """A layer item as GeoJSON properties and CSV rows show it: flat, per-mode lanes as
    ``lanes_MODE`` (``far_lanes_MODE`` at the far side) in their place."""
    out: dict[str, Any] = {}
    for k, v in item.items():
        if k in ("lanes", "far_lanes") and v is not None:
            out.update({f"{k}_{m}": n for m, n in v.items()})
        else:
            out[k] = v
    return out


def item_name(item: Mapping[str, Any], lang: str) -> str:
    """A layer item's name in ``lang`` (else Russian, else English, else its id)."""
    return str(item.get(f"name_{lang}") or item.get("name_ru") or item.get("name_en") or item["id"])


def region_shapes(ref: RefData, tolerance_deg: float = 0.0) -> dict[str, dict[str, Any]]:
    """Region geometries (GeoJSON mappings) by ISO code, optionally simplified for display."""
    return _region_shapes(ref.maps_dir, tolerance_deg)


@cache
def _region_shapes(maps_dir: Path, tolerance_deg: float) -> dict[str, dict[str, Any]]:
    out = {}
    for f in load_refdata(maps_dir).regions_geojson["features"]:
        geom = shape(f["geometry"])
        if tolerance_deg:
            geom = geom.simplify(tolerance_deg, preserve_topology=True)
        out[f["properties"]["iso"]] = mapping(geom)
    return out


def day_hour(time_h: int) -> tuple[int, int]:
    """The (day, hour of day) whose hour ends at ``time_h``: hour 1 is day 1, 00:00-01:00."""
    return (time_h - 1) // 24 + 1, (time_h - 1) % 24


def time_of(day: int, hour: int) -> int:
    """``time_h`` (end of the hour) of ``hour`` (0-23) on ``day`` (1-based)."""
    return (day - 1) * 24 + hour + 1


def routed_by(time_h: int) -> int:
    """The last day (0-based) whose onward allocation has happened by ``time_h``."""
    return time_h // 24 - 1


def build_layers(
    tables: Mapping[str, pd.DataFrame],
    summary: RunSummary,
    ref: RefData,
    time_h: int,
    *,
    scenario: Scenario | None = None,
) -> Layers:
    """Everything the map shows at the end of hour ``time_h`` (1-based).

    With the run's ``scenario``, its temporary sites are known as such (a site in ``ref`` marked
    ``temporary_site`` is known without it) and its internal origins are drawn.

    A stored run may name checkpoints, centres or road nodes that today's ``maps/`` no longer
    has: centres are placed from the run's own summary; a checkpoint, corridor or origin that
    cannot be placed is left off the map (its figures stay in the tables).
    """
    hourly = tables["centres_hourly"]
    centres_now = hourly[hourly["time_h"] == time_h]
    checkpoints = checkpoint_items(tables["checkpoints_hourly"], summary, ref, time_h=time_h)
    centres = _centre_items(
        centres_now,
        summary,
        sites=temporary_sites(scenario, ref),
        opens=first_open_hours(hourly),
        kk_names={**_kazakh_centre_names(ref), **_kazakh_site_names(scenario)},
        planned=hourly[hourly["time_h"] <= time_h].groupby("centre")["capacity"].max(),
    )
    origins = origin_items(scenario, ref, time_h=time_h)
    _spread(checkpoints)
    _spread([*centres, *origins])
    return Layers(
        time_h,
        _region_items(tables, centres_now, summary, ref, time_h=time_h),
        checkpoints,
        centres,
        _corridor_items(tables["corridors_daily"], ref, time_h=time_h),
        origins,
        closed_roads(scenario, ref, time_h=time_h),
    )


def _kazakh_centre_names(ref: RefData) -> dict[str, str]:
    """The Kazakh names ``maps/centres.csv`` records (a map pack without them: none)."""
    if "name_kk" not in ref.centres:
        return {}
    names = ref.centres["name_kk"]
    return {str(cid): str(n) for cid, n in names.items() if isinstance(n, str) and n.strip()}


def _kazakh_site_names(sc: Scenario | None) -> dict[str, str]:
    """The Kazakh names of the sites ``sc`` adds (the run's summary keeps Russian and English)."""
    return {a.id: a.name.kk for a in sc.add_centres} if sc is not None else {}


def _region_items(
    tables: Mapping[str, pd.DataFrame],
    centres_now: pd.DataFrame,
    summary: RunSummary,
    ref: RefData,
    *,
    time_h: int,
) -> list[RegionItem]:
    flows = tables["flows_daily"]
    allocated = flows[flows["day"] <= routed_by(time_h)].groupby("region")["persons"].sum()
    unmet_by_region = centres_now.groupby("region")["ready_to_leave"].sum()
    regions: list[RegionItem] = []
    for row in ref.regions.reset_index(names="_iso").to_dict("records"):
        iso = str(row["_iso"])
        stored = summary["regions"].get(iso)
        cap = int(stored["capacity"]) if stored else 0
        alloc = int(allocated.get(iso, 0))
        use = alloc / cap if cap else float("nan")
        st = "none" if not cap else "red" if use >= 1.0 else "amber" if use >= 0.9 else "green"
        regions.append(
            RegionItem(
                id=iso,
                name_ru=row["name_ru"],
                name_kk=row["name_kk"],
                name_en=row["name_en"],
                priority=bool(row["resettlement_priority"]),
                capacity=cap,
                allocated=alloc,
                remaining=cap - alloc,
                utilisation=round(use, 3) if cap else None,
                waiting_onward=int(unmet_by_region.get(iso, 0)),
                status=st,
                colour=COLOURS[st],
            )
        )
    return regions


def _centre_items(
    centres_now: pd.DataFrame,
    summary: RunSummary,
    *,
    sites: set[str],
    opens: Mapping[str, int],
    kk_names: Mapping[str, str],
    planned: pd.Series,
) -> list[CentreItem]:
    th = summary["thresholds"]
    centres: list[CentreItem] = []
    loads = centre_load(centres_now)
    for r, load in zip(centres_now.to_dict("records"), loads, strict=True):
        cid = str(r["centre"])
        info = summary["centres"][cid]
        present = int(r["occupancy"] + r["overflow"] + r["registration_queue"])
        is_open = bool(r.get("is_open", 1))
        st = (
            "none"
            if (r["capacity"] == 0 and present == 0) or not is_open
            else status(load, th["occupancy_amber"], th["occupancy_red"])
        )
        turnover = r.get("turnover")
        centres.append(
            CentreItem(
                id=cid,
                kind=r["kind"],
                symbol=centre_symbol(r["kind"], temporary_site=cid in sites),
                temporary_site=cid in sites,
                is_open=is_open,
                opens_h=opens.get(cid),
                name_ru=info["name_ru"],
                name_kk=kk_names.get(cid),
                name_en=info["name_en"],
                region=r["region"],
                lat=info["lat"],
                lon=info["lon"],
                capacity=int(r["capacity"]),
                in_beds=int(r["occupancy"]),
                overflow=int(r["overflow"]),
                registering=int(r["registration_queue"]),
                present=present,
                waiting_onward=int(r["ready_to_leave"]),
                turnover=None if turnover is None or pd.isna(turnover) else int(turnover),
                load=round(load, 3) if is_open and r["capacity"] and math.isfinite(load) else None,
                status=st,
                colour=COLOURS[st],
                planned_capacity=int(planned.get(cid, r["capacity"])),
            )
        )
    return centres


def _corridor_items(cor: pd.DataFrame, ref: RefData, *, time_h: int) -> list[CorridorItem]:
    cor = (
        cor[cor["day"] <= routed_by(time_h)]
        .groupby(["from", "to", "road_ref"], as_index=False)[["persons"]]
        .sum()
    )
    nodes = {
        str(n["_id"]): (float(n["lat"]), float(n["lon"]))
        for n in ref.road_nodes.reset_index(names="_id").to_dict("records")
    }
    return [
        {
            "from": r["from"],
            "to": r["to"],
            "road_ref": r["road_ref"],
            "persons": int(r["persons"]),
            "coords": [list(nodes[r["from"]]), list(nodes[r["to"]])],
        }
        for r in cor.to_dict("records")
        if r["persons"] > 0 and r["from"] in nodes and r["to"] in nodes
    ]


def _spread(
    items: Sequence[CheckpointItem | CentreItem | OriginItem], radius_deg: float = 0.15
) -> None:
    """Points that share one location (proxies such as three checkpoints placed at one town)
    are set apart on a small circle so each stays visible and clickable; ``lat``/``lon`` keep
    the data's own position, ``map_lat``/``map_lon`` the drawn one."""
    groups: dict[tuple[float, float], list[CheckpointItem | CentreItem | OriginItem]] = {}
    for x in items:
        groups.setdefault((round(x["lat"], 4), round(x["lon"], 4)), []).append(x)
    for group in groups.values():
        n = len(group)
        for k, x in enumerate(group):
            angle = 2 * math.pi * k / n
            shift = radius_deg if n > 1 else 0.0
            x["map_lat"] = x["lat"] + shift * math.sin(angle)
            x["map_lon"] = x["lon"] + shift * math.cos(angle) / math.cos(math.radians(x["lat"]))


def to_geojson(layers: Layers, ref: RefData) -> dict[str, Any]:
    """One FeatureCollection of regions, checkpoints, centres, corridors, closed roads and
    internal origins with attributes; a centre's ``layer`` is its symbol (``centre``,
    ``transit``, ``site``), an origin's ``internal_origin``, a closed road's ``road_closed``."""
    shapes = region_shapes(ref)
    feats: list[dict[str, Any]] = []
    for r in layers.regions:
        feats.append(
            {"type": "Feature", "geometry": shapes[r["id"]], "properties": {"layer": "region", **r}}
        )
    points: list[tuple[str, CheckpointItem | CentreItem | OriginItem]] = [
        *(("checkpoint", x) for x in layers.checkpoints),
        *((x["symbol"], x) for x in layers.centres),
        *((ORIGIN, x) for x in layers.origins),
    ]
    for layer, x in points:
        props = {
            k: v
            for k, v in item_properties(x).items()
            if k not in ("lat", "lon", "map_lat", "map_lon")
        }
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [x["lon"], x["lat"]]},
                "properties": {"layer": layer, **props},
            }
        )
    lines: list[tuple[str, Mapping[str, Any]]] = [
        *(("corridor", c) for c in layers.corridors),
        *(("road_closed", r) for r in layers.closed_roads),
    ]
    for layer, c in lines:
        coords = [[lon, lat] for lat, lon in c["coords"]]
        props = {k: v for k, v in c.items() if k != "coords"}
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {"layer": layer, **props},
            }
        )
    return {"type": "FeatureCollection", "time_h": layers.time_h, "features": feats}


HEADLINE_KEYS = ("arrived", "waiting_border", "longest_wait", "overflow", "unmet")


def headline(tables: Mapping[str, pd.DataFrame], time_h: int) -> dict[str, float]:
    """The five headline figures at the end of hour ``time_h``: arrived, waiting at the border
    (in our queue, held beyond it, or queuing at the far side), longest wait on either side (h),
    people in overflow, unmet onward demand (people ready to move on that the last daily
    allocation could not place)."""
    led = tables["ledger_hourly"].set_index("time_h").loc[[time_h]].to_dict("records")[0]
    cps = tables["checkpoints_hourly"]
    now = cps.loc[cps["time_h"] == time_h]
    waits = [c for c in ("wait_max_h", "far_wait_max_h") if c in now]  # older runs: our side
    wait = now[waits].max().max()
    far_queue = int(now["far_queue_persons"].sum()) if "far_queue_persons" in now else 0
    unmet = tables["unmet_daily"]
    last_routing = (time_h // 24) * 24
    unmet_now = (
        int(unmet.loc[unmet["time_h"] == last_routing, "persons"].sum()) if last_routing else 0
    )
    return {
        "arrived": int(led["arrived"]),
        "waiting_border": int(led["waiting_at_checkpoints"] + led["held_beyond_border"])
        + far_queue,
        "longest_wait": 0.0 if pd.isna(wait) else round(float(wait), 1),
        "overflow": int(led["overflow_waiting"]),
        "unmet": unmet_now,
    }


def peak_hour(tables: Mapping[str, pd.DataFrame]) -> int:
    """The hour with the most people waiting at the border or without a bed (for a crisis whose
    overflow only accumulates, the last hour: the moment to open on is
    :func:`contingency.mapping.moments.default_moment`)."""
    led = tables["ledger_hourly"]
    pressure = led["waiting_at_checkpoints"] + led["held_beyond_border"] + led["overflow_waiting"]
    return int(led["time_h"].to_numpy()[int(np.argmax(pressure.to_numpy()))])
