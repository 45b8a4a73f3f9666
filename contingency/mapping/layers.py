"""The map at one moment of a run: regions, checkpoints, centres and corridors with their
figures and status colours. The board and every export draw from these same layers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
from shapely.geometry import mapping, shape

from contingency.metrics.gaps import centre_load
from contingency.refdata import RefData, load_refdata

COLOURS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", "none": "#9e9e9e"}
CORRIDOR_COLOUR = "#1565c0"


@dataclass(frozen=True)
class Layers:
    time_h: int
    regions: list[dict]
    checkpoints: list[dict]
    centres: list[dict]
    corridors: list[dict]


def item_name(item: dict, lang: str) -> str:
    """A layer item's name in ``lang`` (else Russian, else English, else its id)."""
    return item.get(f"name_{lang}") or item.get("name_ru") or item.get("name_en") or item["id"]


def status(value: float, amber: float, red: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    return "red" if value > red else "amber" if value > amber else "green"


def region_shapes(ref: RefData, tolerance_deg: float = 0.0) -> dict[str, dict]:
    """Region geometries (GeoJSON mappings) by ISO code, optionally simplified for display."""
    return _region_shapes(ref.maps_dir, tolerance_deg)


@cache
def _region_shapes(maps_dir: Path, tolerance_deg: float) -> dict[str, dict]:
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
    tables: dict[str, pd.DataFrame], summary: dict, ref: RefData, time_h: int
) -> Layers:
    """Everything the map shows at the end of hour ``time_h`` (1-based)."""
    th = summary["thresholds"]
    day = routed_by(time_h)
    flows = tables["flows_daily"]
    allocated = flows[flows["day"] <= day].groupby("region")["persons"].sum()
    centres_now = tables["centres_hourly"][tables["centres_hourly"]["time_h"] == time_h]
    unmet_by_region = centres_now.groupby("region")["ready_to_leave"].sum()
    regions = []
    for iso, row in ref.regions.iterrows():
        cap = int(summary["regions"][iso]["capacity"])
        alloc = int(allocated.get(iso, 0))
        use = alloc / cap if cap else float("nan")
        st = "none" if not cap else "red" if use >= 1.0 else "amber" if use >= 0.9 else "green"
        regions.append(
            {
                "id": iso,
                "name_ru": row["name_ru"],
                "name_kk": row["name_kk"],
                "name_en": row["name_en"],
                "priority": bool(row["resettlement_priority"]),
                "capacity": cap,
                "allocated": alloc,
                "remaining": cap - alloc,
                "utilisation": round(use, 3) if cap else None,
                "waiting_onward": int(unmet_by_region.get(iso, 0)),
                "status": st,
                "colour": COLOURS[st],
            }
        )
    cps_now = tables["checkpoints_hourly"]
    cps_now = cps_now[cps_now["time_h"] == time_h].set_index("checkpoint")
    checkpoints = []
    for cp, r in cps_now.iterrows():
        row = ref.checkpoints.loc[cp]
        wait = float(r["wait_max_h"]) if pd.notna(r["wait_max_h"]) else 0.0
        st = status(wait, th["wait_amber_h"], th["wait_red_h"])
        checkpoints.append(
            {
                "id": cp,
                "name_ru": row["name_ru"],
                "name_kk": row["name_kk"],
                "name_en": row["name_en"],
                "lat": float(row["lat"]),
                "lon": float(row["lon"]),
                "modernised": bool(row["modernised"]),
                "wait_h": round(wait, 2),
                "queue_persons": int(r["queue_persons"]),
                "held_beyond_border": int(r["held_beyond_border"]),
                "arrived_h": int(r["arrived"]),
                "lanes_car": int(r["lanes_car"]),
                "lanes_bus": int(r["lanes_bus"]),
                "lanes_pedestrian": int(r["lanes_pedestrian"]),
                "status": st,
                "colour": COLOURS[st],
            }
        )
    centres = []
    loads = centre_load(centres_now)
    for r, load in zip(centres_now.itertuples(), loads, strict=True):
        info = summary["centres"][r.centre]
        present = int(r.occupancy + r.overflow + r.registration_queue)
        st = (
            "none"
            if r.capacity == 0 and present == 0
            else status(load, th["occupancy_amber"], th["occupancy_red"])
        )
        centres.append(
            {
                "id": r.centre,
                "kind": r.kind,
                "name_ru": info["name_ru"],
                "name_en": info["name_en"],
                "region": r.region,
                "lat": info["lat"],
                "lon": info["lon"],
                "capacity": int(r.capacity),
                "in_beds": int(r.occupancy),
                "overflow": int(r.overflow),
                "registering": int(r.registration_queue),
                "present": present,
                "waiting_onward": int(r.ready_to_leave),
                "load": round(load, 3) if r.capacity and math.isfinite(load) else None,
                "status": st,
                "colour": COLOURS[st],
            }
        )
    cor = tables["corridors_daily"]
    cor = (
        cor[cor["day"] <= day].groupby(["from", "to", "road_ref"], as_index=False)["persons"].sum()
    )
    nodes = ref.road_nodes
    corridors = [
        {
            "from": r["from"],
            "to": r["to"],
            "road_ref": r["road_ref"],
            "persons": int(r["persons"]),
            "coords": [
                [float(nodes.at[r["from"], "lat"]), float(nodes.at[r["from"], "lon"])],
                [float(nodes.at[r["to"], "lat"]), float(nodes.at[r["to"], "lon"])],
            ],
        }
        for _, r in cor.iterrows()
        if r["persons"] > 0
    ]
    _spread(checkpoints)
    _spread(centres)
    return Layers(time_h, regions, checkpoints, centres, corridors)


def _spread(items: list[dict], radius_deg: float = 0.15) -> None:
    """Points that share one location (proxies such as three checkpoints placed at one town)
    are set apart on a small circle so each stays visible and clickable; ``lat``/``lon`` keep
    the data's own position, ``map_lat``/``map_lon`` the drawn one."""
    groups: dict[tuple[float, float], list[dict]] = {}
    for x in items:
        groups.setdefault((round(x["lat"], 4), round(x["lon"], 4)), []).append(x)
    for group in groups.values():
        n = len(group)
        for k, x in enumerate(group):
            angle = 2 * math.pi * k / n
            shift = radius_deg if n > 1 else 0.0
            x["map_lat"] = x["lat"] + shift * math.sin(angle)
            x["map_lon"] = x["lon"] + shift * math.cos(angle) / math.cos(math.radians(x["lat"]))


def to_geojson(layers: Layers, ref: RefData) -> dict:
    """One FeatureCollection of regions, checkpoints, centres and corridors with attributes."""
    shapes = region_shapes(ref)
    feats = []
    for r in layers.regions:
        feats.append(
            {"type": "Feature", "geometry": shapes[r["id"]], "properties": {"layer": "region", **r}}
        )
    for layer, items in (("checkpoint", layers.checkpoints), ("centre", layers.centres)):
        for x in items:
            props = {k: v for k, v in x.items() if k not in ("lat", "lon", "map_lat", "map_lon")}
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [x["lon"], x["lat"]]},
                    "properties": {"layer": layer, **props},
                }
            )
    for c in layers.corridors:
        coords = [[lon, lat] for lat, lon in c["coords"]]
        props = {k: v for k, v in c.items() if k != "coords"}
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {"layer": "corridor", **props},
            }
        )
    return {"type": "FeatureCollection", "time_h": layers.time_h, "features": feats}


HEADLINE_KEYS = ("arrived", "waiting_border", "longest_wait", "overflow", "unmet")


def headline(tables: dict[str, pd.DataFrame], time_h: int) -> dict[str, float]:
    """The five headline figures at the end of hour ``time_h``: arrived, waiting at the border
    (in the queue or held beyond it), longest wait (h), people in overflow, unmet onward demand
    (people ready to move on that the last daily allocation could not place)."""
    led = tables["ledger_hourly"].set_index("time_h").loc[time_h]
    cps = tables["checkpoints_hourly"]
    wait = cps.loc[cps["time_h"] == time_h, "wait_max_h"].max()
    unmet = tables["unmet_daily"]
    last_routing = (time_h // 24) * 24
    unmet_now = (
        int(unmet.loc[unmet["time_h"] == last_routing, "persons"].sum()) if last_routing else 0
    )
    return {
        "arrived": int(led["arrived"]),
        "waiting_border": int(led["waiting_at_checkpoints"] + led["held_beyond_border"]),
        "longest_wait": 0.0 if pd.isna(wait) else round(float(wait), 1),
        "overflow": int(led["overflow_waiting"]),
        "unmet": unmet_now,
    }


def peak_hour(tables: dict[str, pd.DataFrame]) -> int:
    """The hour with the most people waiting at the border or without a bed."""
    led = tables["ledger_hourly"]
    pressure = led["waiting_at_checkpoints"] + led["held_beyond_border"] + led["overflow_waiting"]
    return int(led.loc[pressure.idxmax(), "time_h"])


def facility_label(fid: str, lang: str, ref: RefData, summary: dict) -> str:
    """A facility's name in ``lang``; a centre's name carries its region, since several centres
    share a generic name (Kazakh falls back to Russian where no Kazakh name is recorded)."""
    if fid in ref.checkpoints.index:
        row = ref.checkpoints.loc[fid]
        return str(row.get(f"name_{lang}") or row["name_ru"])
    if fid in ref.regions.index:
        return str(ref.regions.at[fid, f"name_{lang}"])
    info = summary.get("centres", {}).get(fid)
    if info is None and fid in ref.centres.index:
        row = ref.centres.loc[fid]
        info = {"name_ru": row["name_ru"], "name_en": row["name_en"], "region": row["region_iso"]}
    if info is None:
        return fid
    name = info["name_en"] if lang == "en" else info["name_ru"]
    region = info.get("region")
    if region in ref.regions.index:
        region_name = str(ref.regions.at[region, f"name_{lang}"])
        if region_name not in name:
            name = f"{name}, {region_name}"
    return name
