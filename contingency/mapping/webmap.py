"""The interactive map (folium / Leaflet) from :class:`Layers`, with no resource from outside
the machine: Leaflet and its full-screen control are vendored in ``static/vendor/`` and either
linked from the board's own server or inlined into a standalone HTML file. The base layer is
the bundled regions GeoJSON; a tile server is used only when a URL is given. Names are written
on the map (:mod:`contingency.mapping.web_names`); the legend is drawn inside the map for the
exports, or beside it on the board (:func:`legend_for`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, cast

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from contingency.domain import Mode
from contingency.i18n import t
from contingency.i18n import t as ptext
from contingency.mapping.crossings import CheckpointItem, far_ring
from contingency.mapping.layers import (
    CORRIDOR_COLOUR,
    CentreItem,
    CorridorItem,
    Layers,
    RegionItem,
    item_name,
    region_shapes,
)
from contingency.mapping.popups import BindPopup, fmt, popup_html, text_html
from contingency.mapping.roads import CLOSED_ROAD_COLOUR, ClosedRoadItem
from contingency.mapping.sites import CENTRE, is_drawn
from contingency.mapping.status import CLOSED_FILL
from contingency.mapping.web_legend import legend_for, legend_html, legend_symbols
from contingency.mapping.web_names import add_cities, labels_for_map
from contingency.mapping.web_pathways import (
    REHABILITATION,
    add_degraded_ring,
    add_origins,
    add_pathway_centre,
    add_rehabilitation_centre,
    centre_kind_label,
    centre_rows,
    is_degraded,
)
from contingency.refdata import RefData
from contingency.resources import LEAFLET_DIR

__all__ = ["build_map", "checkpoint_rows", "legend_for", "legend_html", "write_html"]

BOARD_STATIC_URL = "/app/static/vendor/leaflet"
"""Where Streamlit serves ``static/`` (``server.enableStaticServing``)."""
FULLSCREEN_DIR = LEAFLET_DIR.parent / "leaflet-fullscreen"
"""The vendored leaflet.fullscreen control (``static/vendor/leaflet-fullscreen``)."""
BOARD_FULLSCREEN_URL = "/app/static/vendor/leaflet-fullscreen"
FULLSCREEN_JS, FULLSCREEN_CSS = "Control.FullScreen.umd.js", "Control.FullScreen.css"

DISPLAY_TOLERANCE_DEG = 0.01


def _page(m: folium.Map) -> Figure:
    """The HTML page holding ``m`` (a folium map's root is always a branca Figure)."""
    return cast(Figure, m.get_root())


class _AttributionPrefix(MacroElement):
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.attributionControl.setPrefix("
        "'<a href=\"https://leafletjs.com\">Leaflet</a>');"
        "{% endmacro %}"
    )


_CONTROLS_STYLE = (
    "<style>.leaflet-control-attribution{font-size:10px;line-height:1.3;max-width:62%;"
    "white-space:normal;text-align:right}</style>"
)
"""Sources stay readable in the corner on a narrow map and leave the scale bar clear."""


class _ScaleBar(MacroElement):
    """A metric scale bar whose units are written in the page's language (Leaflet's own
    writes ``km`` and ``m`` whatever the page)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function () {"
        "  var map = {{ this._parent.get_name() }};"
        "  var scale = L.control.scale({imperial: false}).addTo(map);"
        "  var units = {{ this.units | tojson }};"
        "  function write() {"
        "    var line = scale.getContainer().querySelector('.leaflet-control-scale-line');"
        "    if (line) { line.textContent = line.textContent"
        "      .replace(/ km$/, ' ' + units.km).replace(/ m$/, ' ' + units.m); }"
        "  }"
        "  map.on('zoomend moveend resize', write); write();"
        "})();"
        "{% endmacro %}"
    )

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.units = {"km": t("map.unit_km", lang), "m": t("map.unit_m", lang)}


def _marker(
    m: folium.Map,
    item: CentreItem | CheckpointItem,
    kind_label: str,
    rows: Sequence[Sequence[object]],
    *,
    header: Sequence[str] = (),
    lang: str,
    css_class: str,
    radius: float,
    stroke: str,
    weight: float,
    opacity: float,
) -> None:
    """A facility as a circle in its status colour, with tooltip and popup of its figures."""
    name = item_name(item, lang)
    marker = folium.CircleMarker(
        [item["map_lat"], item["map_lon"]],
        radius=radius,
        color=stroke,
        weight=weight,
        fill=True,
        fill_color=item["colour"],
        fill_opacity=opacity,
        className=css_class,
        tooltip=text_html(f"{name} ({kind_label})"),
    ).add_to(m)
    marker.add_child(BindPopup(popup_html(f"{name} — {kind_label}", rows, header=header)))


class _FullScreen(MacroElement):
    """The vendored leaflet.fullscreen control, titled in the page's language."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "new L.Control.FullScreen({position: 'topleft', title: {{ this.title | tojson }},"
        " titleCancel: {{ this.cancel | tojson }}}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, title: str, cancel: str):
        super().__init__()
        self._name = "FullScreen"
        self.title, self.cancel = title, cancel


def _link_assets(m: folium.Map, assets: Literal["board", "inline"]) -> None:
    """Leaflet and the full-screen control: linked from the board's static server, or inlined."""
    if assets == "board":
        m.default_js = [
            ("leaflet", f"{BOARD_STATIC_URL}/leaflet.js"),
            ("leaflet_fullscreen", f"{BOARD_FULLSCREEN_URL}/{FULLSCREEN_JS}"),
        ]
        m.default_css = [
            ("leaflet_css", f"{BOARD_STATIC_URL}/leaflet.css"),
            ("leaflet_fullscreen_css", f"{BOARD_FULLSCREEN_URL}/{FULLSCREEN_CSS}"),
        ]
        return
    m.default_js, m.default_css = [], []
    header = _page(m).header
    for name, tag, path in (
        ("leaflet_css", "style", LEAFLET_DIR / "leaflet.css"),
        ("leaflet_fullscreen_css", "style", FULLSCREEN_DIR / FULLSCREEN_CSS),
        ("leaflet_js", "script", LEAFLET_DIR / "leaflet.js"),
        ("leaflet_fullscreen_js", "script", FULLSCREEN_DIR / FULLSCREEN_JS),
    ):
        header.add_child(Element(f"<{tag}>{path.read_text()}</{tag}>"), name=name)


def build_map(
    layers: Layers,
    ref: RefData,
    *,
    lang: str = "ru",
    thresholds: Mapping[str, float],
    assets: Literal["board", "inline"] = "board",
    tiles_url: str | None = None,
    title: str | None = None,
    legend: bool = True,
) -> folium.Map:
    """A folium map of ``layers`` with the names of its places written on it and a full-screen
    control. ``assets='board'`` links Leaflet from the board's static server; ``'inline'``
    embeds it, for a file that works with no network at all. ``legend=False`` leaves the
    legend off the map (the board shows :func:`legend_for` beside it)."""
    m = folium.Map(
        location=[48.0, 67.5],
        zoom_start=5,
        tiles=None,
        control_scale=False,  # a metric bar in the page's language instead (_ScaleBar)
        prefer_canvas=False,
        attribution_control=True,
        zoom_snap=0.25,
    )
    _link_assets(m, assets)
    if tiles_url:
        folium.TileLayer(tiles=tiles_url, attr=text_html(tiles_url), name="tiles").add_to(m)
    if title:
        _page(m).html.add_child(
            Element(
                "<div style='position:absolute;top:8px;left:60px;z-index:1000;"
                "background:rgba(255,255,255,0.9);padding:4px 8px;font:bold 14px sans-serif;"
                f"border-radius:4px'>{text_html(title)}</div>"
            )
        )
    _add_regions(m, layers.regions, ref, lang=lang)
    _add_corridors(m, layers.corridors, ref, lang=lang)
    _add_closed_roads(m, layers.closed_roads, lang=lang)
    add_cities(m, ref, lang=lang)
    radius = _add_centres(m, layers.centres, lang=lang)
    add_origins(m, layers.origins, lang=lang)
    radius |= _add_checkpoints(m, layers.checkpoints, lang=lang)
    labels_for_map(m, layers, ref, lang=lang, radius_px=radius)
    if legend:
        symbols, closed = legend_symbols(layers)
        _page(m).html.add_child(
            Element(legend_html(lang, thresholds, symbols=symbols, closed=closed))
        )
    m.add_child(_AttributionPrefix())
    m.add_child(_ScaleBar(lang))
    _page(m).header.add_child(Element(_CONTROLS_STYLE), name="contingency_controls_style")
    m.add_child(_FullScreen(t("map.fullscreen", lang), t("map.fullscreen_exit", lang)))
    m.fit_bounds([[40.5, 46.5], [55.5, 87.5]])
    return m


def _add_regions(m: folium.Map, regions: list[RegionItem], ref: RefData, *, lang: str) -> None:
    shapes = region_shapes(ref, DISPLAY_TOLERANCE_DEG)
    yes, no = t("f.yes", lang), t("f.no", lang)
    features = []
    for r in regions:
        popup = popup_html(
            item_name(r, lang),
            [
                (t("f.capacity", lang), fmt(r["capacity"], lang)),
                (t("f.allocated", lang), fmt(r["allocated"], lang)),
                (t("f.remaining", lang), fmt(r["remaining"], lang)),
                (t("f.waiting_onward", lang), fmt(r["waiting_onward"], lang)),
                (t("f.priority", lang), yes if r["priority"] else no),
            ],
        )
        features.append(
            {
                "type": "Feature",
                "geometry": shapes[r["id"]],
                "properties": {
                    "iso": r["id"],
                    "name": text_html(item_name(r, lang)),  # the tooltip shows it as HTML
                    "colour": r["colour"],
                    "priority": r["priority"],
                    "popup": popup,
                },
            }
        )
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=text_html(t("kind.region", lang)),
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": "#37474f",
            "weight": 2.0 if f["properties"]["priority"] else 0.8,
            "fillOpacity": 0.35,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
        className="region",
        attribution=text_html(t("attribution.short", lang)),
    ).add_to(m)


def _node_names(ref: RefData, lang: str) -> dict[str, str]:
    """Road nodes by name (Russian on ru and kk pages: nodes have no Kazakh names)."""
    col = "name_en" if lang == "en" else "name_ru"
    nodes = ref.road_nodes
    names = nodes[col] if col in nodes else nodes["name_en"]
    return {
        str(n): str(v if isinstance(v, str) and v else nodes.at[n, "name_en"])
        for n, v in names.items()
    }


def _add_corridors(
    m: folium.Map, corridors: list[CorridorItem], ref: RefData, *, lang: str
) -> None:
    """Corridors sized by people moved; the popup names the road by its ends, not their ids."""
    names = _node_names(ref, lang)
    top = max((c["persons"] for c in corridors), default=0)
    for c in corridors:
        line = folium.PolyLine(
            c["coords"],
            color=CORRIDOR_COLOUR,
            opacity=0.75,
            className="corridor",
            weight=1.5 + 8 * math.sqrt(c["persons"] / top) if top else 2,
        ).add_to(m)
        ends = f"{names.get(c['from'], c['from'])} – {names.get(c['to'], c['to'])}"
        line.add_child(
            BindPopup(
                popup_html(
                    c["road_ref"] or ends,
                    [(t("f.persons", lang), fmt(c["persons"], lang)), (t("f.road", lang), ends)],
                )
            )
        )


def _add_closed_roads(m: folium.Map, roads: list[ClosedRoadItem], *, lang: str) -> None:
    """Each closed road as a red dashed line between its nodes, with when it closed."""
    for r in roads:
        name = item_name(r, lang)
        folium.PolyLine(
            r["coords"],
            color=CLOSED_ROAD_COLOUR,
            weight=4,
            opacity=0.95,
            dash_array="8 6",
            className="road-closed",
            tooltip=text_html(f"{ptext('legend.road_closed', lang)}: {name}"),
        ).add_to(m).add_child(
            BindPopup(
                popup_html(
                    ptext("legend.road_closed", lang),
                    [(t("f.road", lang), f"{r['road_ref'] or ''} {name}".strip())],
                )
            )
        )


def _add_centres(m: folium.Map, centres: list[CentreItem], *, lang: str) -> dict[str, float]:
    """Reception centres as discs, rehabilitation centres as squares, transit hubs as diamonds
    and other temporary sites as triangles (hollow and grey while not open); all in their
    status colour, sized by the people present; a dashed ring round a centre whose places were
    cut. Returns each drawn centre's half size in pixels."""
    out = {}
    for c in centres:
        if not is_drawn(c):
            continue
        radius = 4 + min(16, math.sqrt(c["present"]) / 10)
        if c["symbol"] != CENTRE:
            add_pathway_centre(m, c, radius_px=radius, lang=lang)
            radius = max(10, radius + 4)
        elif c["kind"] == REHABILITATION:
            add_rehabilitation_centre(m, c, radius_px=radius + 1, lang=lang)
        else:
            _marker(
                m,
                c,
                centre_kind_label(c, lang),
                centre_rows(c, lang),
                lang=lang,
                css_class="centre centre-reception",
                radius=radius,
                stroke="#263238",
                weight=1,
                opacity=0.85,
            )
        if is_degraded(c):
            add_degraded_ring(m, c, radius_px=radius)
            radius += 6
        out[c["id"]] = radius
    return out


def _disc_radius(c: CheckpointItem) -> float:
    """A checkpoint disc's radius in pixels, by the persons in our queue."""
    return 7 + min(14, math.sqrt(c["queue_persons"]) / 8)


def _ring_radius(c: CheckpointItem) -> float:
    """The far-side ring's radius in pixels: outside the disc, wider with the far queue."""
    return _disc_radius(c) + 4 + min(12, math.sqrt(c["far_queue_persons"] or 0) / 8)


def _lanes(by_mode: Mapping[str, int] | None) -> str | None:
    return " / ".join(str(by_mode[mode.value]) for mode in Mode) if by_mode else None


def checkpoint_rows(c: CheckpointItem, lang: str) -> tuple[list[str], list[list[object]]]:
    """A checkpoint popup's column headings and rows: per side (ours, then the far side when
    the run models it) persons, vehicles and km queuing, longest wait and lanes; then the far
    side's name, persons turned back and held beyond the border, and persons diverted from or
    to other crossings where any were (counts from the start of the run)."""
    per_side: list[tuple[str, object, object]] = [
        ("f.queue_persons", c["queue_persons"], c["far_queue_persons"]),
        ("f.queue_vehicles", c["queue_vehicles"], c["far_queue_vehicles"]),
        ("f.queue_km", c["queue_km"], c["far_queue_km"]),
        ("f.wait_h", c["wait_h"], c["far_wait_h"]),
        ("f.lanes", _lanes(c["lanes"]), _lanes(c["far_lanes"])),
    ]
    has_far = c["far_wait_h"] is not None
    rows: list[list[object]] = [
        [t(key, lang), fmt(near, lang), *([fmt(far, lang)] if has_far else [])]
        for key, near, far in per_side
    ]
    partner = c.get(f"partner_{lang}") or c["partner"]
    if partner:
        rows.append([t("f.partner", lang), partner])
    rows += [
        [t(key, lang), fmt(v, lang)]
        for key, v in (
            ("f.turned_back", c["turned_back"]),
            ("f.held_beyond_border", c["held_beyond_border"]),
        )
        if v is not None
    ]
    if c["closed"]:
        rows.insert(
            0,
            [
                ptext("f.closed", lang) + " / " + ptext("f.open", lang),
                ptext("f.closed" if c["near_closed"] else "f.open", lang),
                *([ptext("f.closed" if c["far_closed"] else "f.open", lang)] if has_far else []),
            ],
        )
    rows += [  # diversion: only where it happened
        [t(key, lang), fmt(v, lang)]
        for key, v in (("f.diverted_in", c["diverted_in"]), ("f.diverted_out", c["diverted_out"]))
        if v
    ]
    header = ["", t("side.near", lang), t("side.far", lang)] if has_far else []
    return header, rows


def _outer_radius(c: CheckpointItem) -> float:
    return _ring_radius(c) if far_ring(c) else _disc_radius(c)


def _add_checkpoints(
    m: folium.Map, checkpoints: list[CheckpointItem], *, lang: str
) -> dict[str, float]:
    """Each checkpoint as a disc with a bold black rim in the worse side's colour, sized by our
    queue (a closed one, on either side: a dark disc with a white ✕); a ring around it in the
    far side's colour, wider apart with the far queue, where people queue there or wait too
    long. Returns each one's outer radius in pixels (its name and queue in km are labels)."""
    for c in checkpoints:
        where = [c["map_lat"], c["map_lon"]]
        if far_ring(c):
            for colour, weight in (("#000000", 6.0), (c["far_colour"], 3.5)):
                folium.CircleMarker(
                    where,
                    radius=_ring_radius(c),
                    color=colour,
                    weight=weight,
                    opacity=0.95,
                    fill=False,
                    interactive=False,
                    className="checkpoint-far",
                ).add_to(m)
        header, rows = checkpoint_rows(c, lang)
        kind = t("kind.checkpoint", lang)
        _marker(
            m,
            c if not c["closed"] else {**c, "colour": CLOSED_FILL},
            f"{kind}, {ptext('f.closed', lang).lower()}" if c["closed"] else kind,
            rows,
            header=header,
            lang=lang,
            css_class="checkpoint checkpoint-closed" if c["closed"] else "checkpoint",
            radius=_disc_radius(c),
            stroke="#000000",
            weight=3,
            opacity=0.95,
        )
        if c["closed"]:
            size = round(_disc_radius(c) * 2)
            folium.Marker(
                where,
                interactive=False,
                icon=folium.DivIcon(
                    html=f"<div class='checkpoint-closed-mark' style='width:{size}px;"
                    f"height:{size}px;line-height:{size}px;text-align:center;color:#ffffff;"
                    f"font:bold {max(10, size - 4)}px sans-serif'>✕</div>",
                    icon_size=(size, size),
                    icon_anchor=(size // 2, size // 2),
                ),
            ).add_to(m)
    return {c["id"]: _outer_radius(c) + 1.5 for c in checkpoints}


def write_html(m: folium.Map, path: str | Path) -> Path:
    path = Path(path)
    m.save(str(path))
    return path
