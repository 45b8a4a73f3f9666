"""Names written on the interactive map without clicking: each checkpoint's short name over its
queue in km, the regional centres (the oblast capitals), the centres with people and the
regions, in the page's language, placed by :func:`place_map_labels` so that none covers
another or a symbol; the less important ones appear only as the map is zoomed in."""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import cast

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.ops import polylabel

from contingency.mapping.crossings import queue_km_label
from contingency.mapping.layers import Layers, item_name, region_shapes
from contingency.mapping.popups import text_html
from contingency.mapping.sites import is_drawn
from contingency.mapping.web_labels import (
    CHAR_PX,
    DETAIL_ZOOMS,
    NATIONAL_ZOOM,
    REGION_CHAR_PX,
    MapLabel,
    Placed,
    place_map_labels,
)
from contingency.refdata import RefData

ZOOMS = (NATIONAL_ZOOM, *DETAIL_ZOOMS)
CITY_RADIUS_PX = 3.5
CENTRE_NAME_CHARS = 28
"""A centre's name on the map is cut to this many characters (the tooltip has it whole)."""
_PRESSED = ("red",)
"""A centre over its limit is named at the national zoom; the others from closer."""
_FAR_BELOW_PX = 0.5
"""Optional labels placed for the national zoom hide this many zoom levels below it."""
LABEL_CSS = """
.map-label{display:inline-block;white-space:nowrap;font:11px/14px sans-serif;color:#212121;
 pointer-events:none;text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff}
.map-label.checkpoint-name{font-weight:bold;background:rgba(255,255,255,0.9);
 border:1px solid #616161;border-radius:3px;padding:1px 4px;text-shadow:none}
.map-label.checkpoint-name .checkpoint-km{font-weight:normal;font-size:10px}
.map-label.city-name{font-weight:bold;color:#263238}
.map-label.centre-name{font-size:10px;font-style:italic;color:#0d47a1}
.map-label.region-name{font-size:10px;color:#546e7a;letter-spacing:0.3px}
.label-z0,.label-z1,.label-z2{display:none}
.labels-z0 .label-z0,.labels-z1 .label-z1,.labels-z2 .label-z2{display:inline-block}
"""


def short_name(text: str) -> str:
    """A name without its remarks in brackets: ``Уральск (Орал)`` → ``Уральск``."""
    return re.sub(r"\s*\([^)]*\)", "", text).strip() or text


def _cut(text: str, chars: int = CENTRE_NAME_CHARS) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip(" ,") + "…"


def city_name(row: Mapping[Hashable, object], lang: str) -> str:
    """A region's administrative centre in ``lang`` (``admin_centre_kk`` where the map pack has
    it, else Russian on a Kazakh page, as road nodes are)."""
    for col in (f"admin_centre_{lang}", "admin_centre_ru", "admin_centre_en"):
        v = row.get(col)
        if isinstance(v, str) and v.strip():
            return short_name(v)
    return ""


def region_points(ref: RefData) -> dict[str, tuple[float, float]]:
    """Each region's label point (lat, lon): the point of its largest part farthest inside."""
    return _region_points(ref.maps_dir)


@cache
def _region_points(maps_dir: Path) -> dict[str, tuple[float, float]]:
    from contingency.refdata import load_refdata

    out = {}
    for iso, geom in region_shapes(load_refdata(maps_dir), 0.02).items():
        poly = shape(geom)
        if isinstance(poly, MultiPolygon):
            poly = max(poly.geoms, key=lambda g: g.area)
        assert isinstance(poly, Polygon)
        p = polylabel(poly, tolerance=0.05)
        out[iso] = (p.y, p.x)
    return out


def _is_city_region(row: Mapping[Hashable, object]) -> bool:
    """A city of republican significance (Astana, Almaty, Shymkent): its city names it."""
    return row.get("name_ru") == row.get("admin_centre_ru")


def map_labels(
    layers: Layers,
    ref: RefData,
    *,
    lang: str,
    radius_px: Mapping[str, float],
) -> list[MapLabel]:
    """Every label the map writes, most important first: checkpoints (name over queue km),
    regional centres, regions, centres with people (those within their limit only from a
    closer zoom). ``radius_px``: each drawn symbol's half size by item id."""
    labels = [
        MapLabel(
            f"cp:{c['id']}",
            c["map_lat"],
            c["map_lon"],
            radius_px.get(c["id"], 8.0),
            item_name(c, lang),
            "checkpoint-name",
            required=True,
            sub=queue_km_label(c, lang),
        )
        for c in layers.checkpoints
    ]
    rows = ref.regions.reset_index(names="_iso").to_dict("records")
    labels += [
        MapLabel(
            f"city:{r['_iso']}",
            float(r["centre_lat"]),
            float(r["centre_lon"]),
            CITY_RADIUS_PX,
            city_name(r, lang),
            "city-name",
            char_px=CHAR_PX - 0.5,
        )
        for r in rows
    ]
    points = region_points(ref)
    labels += [
        MapLabel(
            f"region:{r['_iso']}",
            *points[str(r["_iso"])],
            0.0,
            str(r.get(f"name_{lang}") or r["name_ru"]),
            "region-name",
            centred=True,
            char_px=REGION_CHAR_PX,
        )
        for r in rows
        if str(r["_iso"]) in points and not _is_city_region(r)
    ]
    labels += [
        MapLabel(
            f"centre:{c['id']}",
            c["map_lat"],
            c["map_lon"],
            radius_px.get(c["id"], 6.0),
            _cut(short_name(item_name(c, lang))),
            "centre-name",
            char_px=REGION_CHAR_PX,
            min_zoom=NATIONAL_ZOOM if c["status"] in _PRESSED else DETAIL_ZOOMS[0],
        )
        for c in layers.centres
        if is_drawn(c) and c["present"] > 0
    ]
    return labels


def add_cities(m: folium.Map, ref: RefData, *, lang: str) -> None:
    """Each regional centre as a small white dot with a dark rim (its name is a label)."""
    for r in ref.regions.to_dict("records"):
        folium.CircleMarker(
            [float(r["centre_lat"]), float(r["centre_lon"])],
            radius=CITY_RADIUS_PX,
            color="#263238",
            weight=1.5,
            fill=True,
            fill_color="#ffffff",
            fill_opacity=1.0,
            className="city",
            tooltip=text_html(city_name(r, lang)),
        ).add_to(m)


class _ZoomClasses(MacroElement):
    """Marks the map's container ``labels-zK`` while the zoom is at least the K-th threshold,
    so that the labels placed for that zoom show (plain Leaflet, no network)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function (map) {"
        " var at = {{ this.thresholds | tojson }};"
        " function mark() { var z = map.getZoom(), c = map.getContainer();"
        "  at.forEach(function (zk, k) { c.classList.toggle('labels-z' + k, z >= zk); }); }"
        " map.on('zoomend', mark); map.whenReady(mark); mark();"
        "})({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, thresholds: Sequence[float]):
        super().__init__()
        self._name = "ZoomClasses"
        self.thresholds = list(thresholds)


def add_labels(m: folium.Map, labels: Sequence[MapLabel], placed: Mapping[str, Placed]) -> None:
    """Writes each placed label (text escaped) and the script that shows a label from the zoom
    it was placed for; a required label always shows."""
    for label in labels:
        p = placed.get(label.id)
        if p is None:
            continue
        tier = "" if label.required else f" label-z{ZOOMS.index(p.min_zoom)}"
        sub = f"<div class='checkpoint-km'>{text_html(label.sub)}</div>" if label.sub else ""
        folium.Marker(
            [label.lat, label.lon],
            interactive=False,
            icon=folium.DivIcon(
                html=f"<div class='map-label {label.css_class}{tier}'>"
                f"{text_html(label.text)}{sub}</div>",
                icon_size=(0, 0),
                icon_anchor=(-round(p.dx), -round(p.dy)),
                class_name="map-label-icon",
            ),
        ).add_to(m)
    root = cast(Figure, m.get_root())
    root.header.add_child(Element(f"<style>{LABEL_CSS}</style>"), name="map_labels_css")
    m.add_child(_ZoomClasses([ZOOMS[0] - _FAR_BELOW_PX, *ZOOMS[1:]]))


def labels_for_map(
    m: folium.Map, layers: Layers, ref: RefData, *, lang: str, radius_px: Mapping[str, float]
) -> dict[str, Placed]:
    """Places and writes every label of ``layers`` on ``m`` (symbols of ``radius_px`` and the
    regional centres kept clear); returns where each went."""
    labels = map_labels(layers, ref, lang=lang, radius_px=radius_px)
    obstacles = [(x.lat, x.lon, x.radius_px) for x in labels if x.radius_px]
    obstacles += [
        (c["map_lat"], c["map_lon"], radius_px[c["id"]])
        for c in [*layers.centres, *layers.origins]
        if c["id"] in radius_px
    ]
    placed = place_map_labels(labels, obstacles, zooms=ZOOMS)
    add_labels(m, labels, placed)
    return placed
