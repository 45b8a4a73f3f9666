"""Read and check the CSV and GeoJSON files in ``maps/``.

Each table is parsed once here, with every problem collected into one
:class:`~contingency.errors.ReferenceDataError`; code after this trusts the tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from contingency import MAPS_DIR
from contingency.errors import Problem, ReferenceDataError, problem

# column -> kind: str (required text), text (optional text), float, float?, int, int?, bool
_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "regions": (
        "iso",
        {
            "iso": "str",
            "name_ru": "str",
            "name_kk": "str",
            "name_en": "str",
            "admin_centre_en": "str",
            "centre_lat": "float",
            "centre_lon": "float",
            "centre_node": "str",
            "population": "int",
            "macro_region": "str",
            "resettlement_priority": "bool",
            "absorption_capacity": "int",
            "absorption_assumption": "bool",
            "source": "str",
        },
    ),
    "checkpoints": (
        "id",
        {
            "id": "str",
            "name_ru": "str",
            "name_kk": "str",
            "name_en": "str",
            "neighbour_country": "str",
            "oblast_iso": "str",
            "lat": "float",
            "lon": "float",
            "coord_precision": "text",
            "modernised": "bool",
            "lanes_car": "int",
            "lanes_bus": "int",
            "lanes_truck": "int",
            "lanes_pedestrian": "int",
            "lanes_assumption": "bool",
            "design_vehicles_per_day": "float?",
            "design_persons_per_day": "float?",
            "car_min_per_vehicle": "float",
            "car_min_per_person": "float",
            "bus_min_per_vehicle": "float",
            "bus_min_per_person": "float",
            "pedestrian_min_per_person": "float",
            "processing_assumption": "bool",
            "processing_basis": "text",
            "node": "str",
            "source": "str",
            "confidence": "text",
        },
    ),
    "centres": (
        "id",
        {
            "id": "str",
            "kind": "str",
            "facility_type": "text",
            "name_ru": "str",
            "name_en": "str",
            "region_iso": "str",
            "city": "text",
            "lat": "float",
            "lon": "float",
            "node": "str",
            "beds": "int",
            "beds_assumption": "bool",
            "intake_per_hour": "float",
            "stay_days_mean": "float",
            "source": "str",
        },
    ),
    "roads_nodes": (
        "id",
        {
            "id": "str",
            "kind": "str",
            "name_en": "str",
            "name_ru": "text",
            "region_iso": "text",
            "lat": "float",
            "lon": "float",
            "source": "text",
        },
    ),
    "roads_edges": (
        "",
        {
            "from": "str",
            "to": "str",
            "road_ref": "text",
            "length_km": "float",
            "length_basis": "str",
            "speed_kmh": "float",
            "speed_assumption": "bool",
            "source": "text",
        },
    ),
    "sphere": (
        "resource",
        {"resource": "str", "unit": "str", "per_person_per_day": "float", "source": "str"},
    ),
}
_BOOL = {"true": True, "false": False}


def _convert(raw: pd.DataFrame, name: str, file: str, problems: list[Problem]) -> pd.DataFrame:
    key, columns = _TABLES[name]
    missing = [c for c in columns if c not in raw.columns]
    for c in missing:
        problems.append(problem(file, c, "column is missing"))
    if missing:
        return raw
    out = raw.copy()
    for col, kind in columns.items():
        values: list[Any] = []
        for i, text in enumerate(raw[col]):
            text = text.strip()
            where = f"row {i + 2}" + (f" ({raw[key].iloc[i]})" if key else "") + f".{col}"
            optional = kind.endswith("?") or kind == "text"
            base = kind.rstrip("?")
            if text == "":
                if not optional:
                    problems.append(problem(file, where, "value is required"))
                values.append(None if base in ("str", "text") else float("nan"))
                continue
            try:
                if base == "float":
                    values.append(float(text))
                elif base == "int":
                    values.append(int(float(text)))
                elif base == "bool":
                    values.append(_BOOL[text.lower()])
                else:
                    values.append(text)
            except (ValueError, KeyError):
                problems.append(problem(file, where, f"not a valid {base}", text))
                values.append(None)
        out[col] = values
    if key and out[key].duplicated().any():
        for dup in sorted(set(out.loc[out[key].duplicated(), key])):
            problems.append(problem(file, key, "duplicate id", dup))
    return out.set_index(key, drop=False) if key else out


@dataclass(frozen=True)
class RefData:
    """The reference tables, indexed by id. Coordinates are WGS 84 degrees."""

    maps_dir: Path
    regions: pd.DataFrame
    checkpoints: pd.DataFrame
    centres: pd.DataFrame
    road_nodes: pd.DataFrame
    road_edges: pd.DataFrame
    sphere: pd.DataFrame
    _geojson: dict = field(default_factory=dict, repr=False)

    @property
    def modernised_ids(self) -> list[str]:
        """The ten modernised road checkpoints, in file order."""
        return list(self.checkpoints.index[self.checkpoints["modernised"]])

    @property
    def regions_geojson(self) -> dict:
        return self._geojson

    def road_graph(self) -> nx.Graph:
        """Undirected road graph: nodes carry lat/lon, edges ``length_km``, ``speed_kmh``,
        ``travel_h`` and ``road_ref``. A fresh copy each call, free to modify."""
        g = nx.Graph()
        for nid, row in self.road_nodes.iterrows():
            g.add_node(nid, lat=row["lat"], lon=row["lon"], kind=row["kind"])
        for row in self.road_edges.itertuples(index=False):
            a, b = row[0], row[1]
            g.add_edge(
                a,
                b,
                length_km=row.length_km,
                speed_kmh=row.speed_kmh,
                travel_h=row.length_km / row.speed_kmh,
                road_ref=row.road_ref,
            )
        return g


def _read_csv(path: Path, name: str, problems: list[Problem]) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        problems.append(problem(str(path), "", f"cannot read CSV: {exc}"))
        return pd.DataFrame()
    return _convert(raw, name, str(path), problems)


def _cross_check(ref: RefData, problems: list[Problem]) -> None:
    d = ref.maps_dir
    isos = set(ref.regions.index)
    nodes = set(ref.road_nodes.index)
    for table, file, iso_col in (
        (ref.checkpoints, "checkpoints.csv", "oblast_iso"),
        (ref.centres, "centres.csv", "region_iso"),
    ):
        for rid, row in table.iterrows():
            if row[iso_col] not in isos:
                problems.append(
                    problem(str(d / file), f"{rid}.{iso_col}", "unknown region", row[iso_col])
                )
            if row["node"] not in nodes:
                problems.append(
                    problem(str(d / file), f"{rid}.node", "unknown road node", row["node"])
                )
    for iso, row in ref.regions.iterrows():
        if row["centre_node"] not in nodes:
            problems.append(
                problem(
                    str(d / "regions.csv"),
                    f"{iso}.centre_node",
                    "unknown road node",
                    row["centre_node"],
                )
            )
    for i, row in ref.road_edges.iterrows():
        for end in ("from", "to"):
            if row[end] not in nodes:
                problems.append(
                    problem(
                        str(d / "roads_edges.csv"),
                        f"row {i + 2}.{end}",
                        "unknown road node",
                        row[end],
                    )
                )
    for rid, row in ref.centres.iterrows():
        if row["kind"] not in ("reception", "rehabilitation"):
            problems.append(
                problem(
                    str(d / "centres.csv"),
                    f"{rid}.kind",
                    "must be reception or rehabilitation",
                    row["kind"],
                )
            )
    n_mod = int(ref.checkpoints["modernised"].sum())
    if n_mod != 10:
        problems.append(
            problem(
                str(d / "checkpoints.csv"),
                "modernised",
                "exactly 10 checkpoints must be marked modernised",
                n_mod,
            )
        )


@cache
def load_refdata(maps_dir: Path = MAPS_DIR) -> RefData:
    """Load and check every reference file in ``maps_dir`` (cached per folder).

    Raises
    ------
    ReferenceDataError
        With one problem per bad cell, missing column, duplicate id or dangling reference.
    """
    maps_dir = Path(maps_dir)
    problems: list[Problem] = []
    tables = {name: _read_csv(maps_dir / f"{name}.csv", name, problems) for name in _TABLES}
    geo_path = maps_dir / "regions.geojson"
    try:
        geojson = json.loads(geo_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        problems.append(problem(str(geo_path), "", f"cannot read GeoJSON: {exc}"))
        geojson = {}
    if problems:
        raise ReferenceDataError(problems)
    ref = RefData(
        maps_dir=maps_dir,
        regions=tables["regions"],
        checkpoints=tables["checkpoints"],
        centres=tables["centres"],
        road_nodes=tables["roads_nodes"],
        road_edges=tables["roads_edges"],
        sphere=tables["sphere"],
        _geojson=geojson,
    )
    _cross_check(ref, problems)
    if problems:
        raise ReferenceDataError(problems)
    return ref
