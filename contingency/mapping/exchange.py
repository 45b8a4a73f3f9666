"""Data other agencies read: HXL-tagged tables of the regions and facilities at one moment,
a GeoPackage of the map layers for GIS tools, the regions' p-codes, the council's file names,
and the rule that keeps a CSV's text cells from running as spreadsheet formulas.

HXL (Humanitarian Exchange Language) puts a row of hashtags under a CSV's header row; HDX and
the HXL tools read a table by those tags (``#adm1+code``), whatever the header says."""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from contingency.mapping.layers import CorridorItem, Layers
from contingency.mapping.sites import CENTRE, ORIGIN, SITE, TRANSIT
from contingency.refdata import RefData

HXL_REGIONS: tuple[tuple[str, str], ...] = (
    ("pcode", "#adm1+code"),
    ("iso", "#adm1+code+iso"),
    ("name_ru", "#adm1+name+i_ru"),
    ("name_kk", "#adm1+name+i_kk"),
    ("name_en", "#adm1+name+i_en"),
    ("moment", "#date"),
    ("present", "#affected+idps"),
    ("centre_places", "#capacity+num+beds"),
    ("absorption_capacity", "#capacity+num+absorption"),
    ("allocated", "#indicator+num+allocated"),
    ("waiting_onward", "#indicator+num+waiting_onward"),
    ("status", "#severity+code"),
)
"""One row per region: (column, HXL tag). ``present``: people in the region's centres
(registering, in beds or in overflow); ``centre_places``: places of its open centres;
``absorption_capacity``: persons it can take for onward resettlement; ``allocated``: persons
routed to it so far; ``status``: ``green``, ``amber``, ``red`` or ``none``, as on the map."""

HXL_FACILITIES: tuple[tuple[str, str], ...] = (
    ("kind", "#loc+type"),
    ("id", "#loc+code"),
    ("name_ru", "#loc+name+i_ru"),
    ("name_kk", "#loc+name+i_kk"),
    ("name_en", "#loc+name+i_en"),
    ("pcode", "#adm1+code"),
    ("lat", "#geo+lat"),
    ("lon", "#geo+lon"),
    ("moment", "#date"),
    ("status", "#severity+code"),
    ("capacity", "#capacity+num+beds"),
    ("present", "#affected+idps"),
    ("queue_persons", "#indicator+num+queue"),
    ("wait_h", "#indicator+num+wait_h"),
)
"""One row per checkpoint and centre: (column, HXL tag). ``kind``: ``checkpoint``, ``centre``,
``transit`` (a transit hub) or ``site`` (another temporary site); a checkpoint's ``capacity``
and ``present`` are empty, a centre's ``queue_persons`` and ``wait_h`` (hours) too."""

GPKG_CRS = "EPSG:4326"
GPKG_LAYERS: dict[str, str] = {
    "regions": "MultiPolygon",
    "checkpoints": "Point",
    "centres": "Point",
    "corridors": "LineString",
}
"""The layers every GeoPackage holds (empty or not), with their geometry type; closed roads
and internal origins are added as ``closed_roads`` and ``internal_origins`` when there are
any."""
_GPKG_LAYER_OF = {
    "region": "regions",
    "checkpoint": "checkpoints",
    CENTRE: "centres",
    TRANSIT: "centres",
    SITE: "centres",
    "corridor": "corridors",
    "road_closed": "closed_roads",
    ORIGIN: "internal_origins",
}
"""GeoJSON ``layer`` -> GeoPackage layer."""
_EMPTY_FIELDS = {
    "corridors": ["layer", *(k for k in CorridorItem.__annotations__ if k != "coords")],
}
"""The fields of a base layer that has no feature at the moment shown."""


def region_pcodes(ref: RefData) -> dict[str, str]:
    """ISO code -> p-code of each region the map pack gives one for (``regions.csv``
    ``pcode``; a pack without the column: none)."""
    if "pcode" not in ref.regions:
        return {}
    return {str(iso): p for iso, p in ref.regions["pcode"].items() if isinstance(p, str) and p}


def region_table(layers: Layers, ref: RefData, *, moment: str) -> pd.DataFrame:
    """The regions at ``layers.time_h`` as :data:`HXL_REGIONS` lists them; ``moment`` is the
    ``#date`` cell (ISO time on the scenario's clock)."""
    codes = region_pcodes(ref)
    present: dict[str, int] = {}
    places: dict[str, int] = {}
    for c in layers.centres:
        present[c["region"]] = present.get(c["region"], 0) + c["present"]
        if c["is_open"]:
            places[c["region"]] = places.get(c["region"], 0) + c["capacity"]
    rows = [
        {
            "pcode": codes.get(r["id"], ""),
            "iso": r["id"],
            "name_ru": r["name_ru"],
            "name_kk": r["name_kk"],
            "name_en": r["name_en"],
            "moment": moment,
            "present": present.get(r["id"], 0),
            "centre_places": places.get(r["id"], 0),
            "absorption_capacity": r["capacity"],
            "allocated": r["allocated"],
            "waiting_onward": r["waiting_onward"],
            "status": r["status"],
        }
        for r in layers.regions
    ]
    return pd.DataFrame(rows, columns=[c for c, _ in HXL_REGIONS])


def facility_table(layers: Layers, ref: RefData, *, moment: str) -> pd.DataFrame:
    """The checkpoints and centres at ``layers.time_h`` as :data:`HXL_FACILITIES` lists them,
    at their own positions (not where the map draws them apart)."""
    codes = region_pcodes(ref)
    oblast = ref.checkpoints.get("oblast_iso", pd.Series(dtype=object))
    rows: list[dict[str, Any]] = []
    for cp in layers.checkpoints:
        rows.append(
            {
                **_place("checkpoint", cp, moment),
                "pcode": codes.get(str(oblast.get(cp["id"], "")), ""),
                "status": cp["status"],
                "queue_persons": cp["queue_persons"],
                "wait_h": cp["wait_h"],
            }
        )
    for c in layers.centres:
        rows.append(
            {
                **_place(c["symbol"], c, moment),
                "pcode": codes.get(c["region"], ""),
                "status": c["status"],
                "capacity": c["capacity"],
                "present": c["present"],
            }
        )
    table = pd.DataFrame(rows, columns=[c for c, _ in HXL_FACILITIES])
    return table.astype({"capacity": "Int64", "present": "Int64", "queue_persons": "Int64"})


def _place(kind: str, item: Mapping[str, Any], moment: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": item["id"],
        "name_ru": item["name_ru"],
        "name_kk": item["name_kk"],
        "name_en": item["name_en"],
        "lat": item["lat"],
        "lon": item["lon"],
        "moment": moment,
    }


def hxl_csv(table: pd.DataFrame, columns: Sequence[tuple[str, str]]) -> str:
    """``table`` as CSV with its header row, then the HXL hashtag row, then the data; text
    cells made safe for spreadsheets (:func:`spreadsheet_csv`)."""
    names = [name for name, _ in columns]
    tags = {name: tag for name, tag in columns}
    records = [tags, *table[names].astype(object).to_dict("records")]
    return spreadsheet_csv(pd.DataFrame(records, columns=names, dtype=object))


def hxl_zip(layers: Layers, ref: RefData, *, moment: str, about: Mapping[str, Any]) -> bytes:
    """A zip of two HXL tables, ``regions.csv`` and ``facilities.csv`` (UTF-8, no byte-order
    mark), and ``about.json`` (``about``: the run, the moment, the attribution)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("regions.csv", hxl_csv(region_table(layers, ref, moment=moment), HXL_REGIONS))
        facilities = facility_table(layers, ref, moment=moment)
        z.writestr("facilities.csv", hxl_csv(facilities, HXL_FACILITIES))
        z.writestr("about.json", json.dumps(about, ensure_ascii=False, indent=2))
    return buf.getvalue()


def gpkg_bytes(collection: Mapping[str, Any]) -> bytes:
    """A GeoPackage (WGS 84, EPSG:4326) of a GeoJSON FeatureCollection of the map layers:
    one layer per kind (:data:`GPKG_LAYERS`, then any other), each feature with the same
    properties as in the GeoJSON."""
    import geopandas as gpd  # heavy: loaded only when a GeoPackage is made
    import pyogrio

    by_layer: dict[str, list[Mapping[str, Any]]] = {name: [] for name in GPKG_LAYERS}
    for f in collection["features"]:
        kind = str(f["properties"]["layer"])
        by_layer.setdefault(_GPKG_LAYER_OF.get(kind, kind), []).append(f)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "layers.gpkg"
        for name, features in by_layer.items():
            if features:
                frame = gpd.GeoDataFrame.from_features(features, crs=GPKG_CRS)
            else:
                empty = {k: pd.Series(dtype=object) for k in _EMPTY_FIELDS.get(name, ["layer"])}
                frame = gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([]), crs=GPKG_CRS)
            pyogrio.write_dataframe(
                frame,
                path,
                layer=name,
                driver="GPKG",
                geometry_type=GPKG_LAYERS.get(name),
                promote_to_multi=name == "regions",
            )
        return path.read_bytes()


def council_name(scenario: str, product: str, on: date, suffix: str) -> str:
    """``<scenario>_<product>_<YYYYMMDD><suffix>``: the files of a council pack sort by
    scenario, then product, then date."""
    return f"{scenario}_{product}_{on:%Y%m%d}{suffix}"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def cell_safe(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe (OWASP CSV
    injection guidance); numbers, and text that is just a number such as ``-5``, stay as they
    are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell (and column name) made safe to open in a spreadsheet."""
    out = df.rename(columns=cell_safe)
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(cell_safe, na_action="ignore")
    return out


def spreadsheet_csv(df: pd.DataFrame) -> str:
    """``df`` as CSV text, safe to open in a spreadsheet (:func:`spreadsheet_safe`)."""
    # CRLF rows (RFC 4180): a cell holding a bare CR or LF is then quoted, not split in two
    return spreadsheet_safe(df).to_csv(index=False, lineterminator="\r\n")
