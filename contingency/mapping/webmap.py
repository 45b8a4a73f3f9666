"""The interactive map (folium / Leaflet) from :class:`Layers`, with no resource from outside
the machine: Leaflet is vendored in ``static/vendor/leaflet`` and either linked from the board's
own server or inlined into a standalone HTML file. The base layer is the bundled regions
GeoJSON; a tile server is used only when a URL is given."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Literal, cast

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from contingency.domain import Mode
from contingency.i18n import t
from contingency.i18n import t as ptext
from contingency.mapping.crossings import CheckpointItem, far_ring, queue_km_label
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
from contingency.mapping.sites import CENTRE, is_drawn, symbols_shown
from contingency.mapping.status import CLOSED_FILL, COLOURS
from contingency.mapping.web_labels import place_labels
from contingency.mapping.web_pathways import (
    add_origins,
    add_pathway_centre,
    centre_kind_label,
    centre_rows,
    pathway_legend,
)
from contingency.refdata import RefData
from contingency.resources import LEAFLET_DIR

BOARD_STATIC_URL = "/app/static/vendor/leaflet"
"""Where Streamlit serves ``static/`` (``server.enableStaticServing``)."""
DISPLAY_TOLERANCE_DEG = 0.01
_CLOSED_MARK = (
    f"<span style='display:inline-block;width:11px;height:11px;background:{CLOSED_FILL};"
    "border-radius:50%;color:#fff;font:bold 9px/11px sans-serif;text-align:center;"
    "margin-right:4px;vertical-align:middle'>✕</span>"
)
_LABEL_STYLE = (
    "display:inline-block;white-space:nowrap;font:bold 11px sans-serif;color:#212121;"
    "background:rgba(255,255,255,0.88);border:1px solid #616161;border-radius:3px;"
    "padding:1px 4px"
)
"""A checkpoint's queue label on the map (and its sample in the legend)."""


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


def legend_html(
    lang: str,
    thresholds: Mapping[str, float],
    *,
    symbols: Collection[str] = (),
    closed: tuple[bool, bool] = (False, False),
) -> str:
    """The legend; ``symbols`` names the pathway symbols the map shows (``transit``, ``site``,
    ``not_open``, ``internal_origin``), each of which gets its line; ``closed`` whether it shows
    a closed checkpoint and a closed road, each of which then gets its line."""

    def swatch(colour: str, shape: str = "square") -> str:
        radius = "50%" if shape == "circle" else "2px"
        return (
            f"<span style='display:inline-block;width:11px;height:11px;background:{colour};"
            f"border-radius:{radius};margin-right:4px;vertical-align:middle'></span>"
        )

    status_rows = "".join(
        f"<div>{swatch(COLOURS[s])}{text_html(t('legend.' + s, lang))}</div>"
        for s in ("green", "amber", "red", "none")
    )
    th = thresholds
    e = text_html
    wait = t("legend.wait", lang, amber=th["wait_amber_h"], red=th["wait_red_h"])
    load = t("legend.load", lang, amber=th["occupancy_amber"], red=th["occupancy_red"])
    line = (
        f"<span style='display:inline-block;width:18px;height:4px;background:{CORRIDOR_COLOUR};"
        "margin-right:4px;vertical-align:middle'></span>"
    )
    dot = swatch("#555", "circle")
    ring = (
        "<span style='display:inline-block;width:7px;height:7px;border:2px solid #555;"
        "border-radius:50%;margin-right:4px;vertical-align:middle'></span>"
    )
    lines = [
        f"<b>{e(t('legend.title', lang))}</b>",
        status_rows,
        f"<div style='margin-top:4px'>{swatch('#9e9e9e')}<b>{e(t('legend.regions', lang))}</b>: "
        f"{e(t('legend.use', lang))}</div>",
        f"<div>{dot}<b>{e(t('legend.checkpoints', lang))}</b>: {e(wait)}</div>",
        f"<div>{ring}{e(t('legend.far_ring', lang))}</div>",
        f"<div><span style='{_LABEL_STYLE};margin-right:4px'>"
        f"{e(t('map.km_far', lang, km='3.8'))}</span>{e(t('legend.km_label', lang))}</div>",
        f"<div>{dot}<b>{e(t('legend.centres', lang))}</b>: {e(load)}</div>",
        *pathway_legend(lang, symbols),
        f"<div>{line}<b>{e(t('legend.corridors', lang))}</b></div>",
    ]
    if closed[0]:
        lines.append(f"<div>{_CLOSED_MARK}{e(ptext('legend.closed', lang))}</div>")
    if closed[1]:
        dashes = (
            f"<span style='display:inline-block;width:18px;border-top:3px dashed "
            f"{CLOSED_ROAD_COLOUR};margin-right:4px;vertical-align:middle'></span>"
        )
        lines.append(f"<div>{dashes}{e(ptext('legend.road_closed', lang))}</div>")
    return (
        "<div class='contingency-legend' style='position:absolute;top:10px;right:10px;z-index:1000;"
        "background:rgba(255,255,255,0.92);padding:6px 8px;border-radius:4px;font:11px sans-serif;"
        "max-width:330px;box-shadow:0 1px 4px rgba(0,0,0,0.3)'>" + "".join(lines) + "</div>"
    )


def build_map(
    layers: Layers,
    ref: RefData,
    *,
    lang: str = "ru",
    thresholds: Mapping[str, float],
    assets: Literal["board", "inline"] = "board",
    tiles_url: str | None = None,
    title: str | None = None,
) -> folium.Map:
    """A folium map of ``layers``. ``assets='board'`` links Leaflet from the board's static
    server; ``'inline'`` embeds it, for a file that works with no network at all."""
    m = folium.Map(
        location=[48.0, 67.5],
        zoom_start=5,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
        attribution_control=True,
        zoom_snap=0.25,
    )
    if assets == "board":
        m.default_js = [("leaflet", f"{BOARD_STATIC_URL}/leaflet.js")]
        m.default_css = [("leaflet_css", f"{BOARD_STATIC_URL}/leaflet.css")]
    else:
        m.default_js, m.default_css = [], []
        root = _page(m)
        root.header.add_child(
            Element(f"<style>{(LEAFLET_DIR / 'leaflet.css').read_text()}</style>"),
            name="leaflet_css",
        )
        root.header.add_child(
            Element(f"<script>{(LEAFLET_DIR / 'leaflet.js').read_text()}</script>"),
            name="leaflet_js",
        )
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
    _add_centres(m, layers.centres, lang=lang)
    add_origins(m, layers.origins, lang=lang)
    _add_checkpoints(m, layers.checkpoints, lang=lang)
    symbols = symbols_shown(layers.centres, layers.origins)
    closed = (any(c["closed"] for c in layers.checkpoints), bool(layers.closed_roads))
    legend = legend_html(lang, thresholds, symbols=symbols, closed=closed)
    _page(m).html.add_child(Element(legend))
    m.add_child(_AttributionPrefix())
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
                (t("f.capacity", lang), fmt(r["capacity"])),
                (t("f.allocated", lang), fmt(r["allocated"])),
                (t("f.remaining", lang), fmt(r["remaining"])),
                (t("f.waiting_onward", lang), fmt(r["waiting_onward"])),
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
                    [(t("f.persons", lang), fmt(c["persons"])), (t("f.road", lang), ends)],
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


def _add_centres(m: folium.Map, centres: list[CentreItem], *, lang: str) -> None:
    """Reception and rehabilitation centres as discs; transit hubs as diamonds and other
    temporary sites as triangles, hollow and grey while not open; all in their status colour,
    sized by the people present."""
    for c in centres:
        if not is_drawn(c):
            continue
        radius = 4 + min(16, math.sqrt(c["present"]) / 10)
        if c["symbol"] == CENTRE:
            _marker(
                m,
                c,
                centre_kind_label(c, lang),
                centre_rows(c, lang),
                lang=lang,
                css_class="centre",
                radius=radius,
                stroke="#263238",
                weight=1,
                opacity=0.85,
            )
        else:
            add_pathway_centre(m, c, radius_px=radius, lang=lang)


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
        [t(key, lang), fmt(near), *([fmt(far)] if has_far else [])] for key, near, far in per_side
    ]
    if c["partner"]:
        rows.append([t("f.partner", lang), c["partner"]])
    rows += [
        [t(key, lang), fmt(v)]
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
        [t(key, lang), fmt(v)]
        for key, v in (("f.diverted_in", c["diverted_in"]), ("f.diverted_out", c["diverted_out"]))
        if v
    ]
    header = ["", t("side.near", lang), t("side.far", lang)] if has_far else []
    return header, rows


def _outer_radius(c: CheckpointItem) -> float:
    return _ring_radius(c) if far_ring(c) else _disc_radius(c)


def _add_checkpoints(m: folium.Map, checkpoints: list[CheckpointItem], *, lang: str) -> None:
    """Each checkpoint as a disc in the worse side's colour, sized by our queue (a closed one,
    on either side: a dark disc with a white ✕); a ring around it in the far side's colour,
    wider apart with the far queue, where people queue there or wait too long; a label with the
    queue in km on each side that has one, placed clear of the other labels and checkpoints."""
    offsets = place_labels(
        [
            (c["id"], c["map_lat"], c["map_lon"], _outer_radius(c), queue_km_label(c, lang))
            for c in checkpoints
        ]
    )
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
            weight=2,
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
        if c["id"] in offsets:
            dx, dy = offsets[c["id"]]
            folium.Marker(
                where,
                interactive=False,
                icon=folium.DivIcon(
                    html=f"<div class='checkpoint-km' style='{_LABEL_STYLE}'>"
                    f"{text_html(queue_km_label(c, lang))}</div>",
                    icon_size=(0, 0),
                    icon_anchor=(-round(dx), -round(dy)),
                ),
            ).add_to(m)


def write_html(m: folium.Map, path: str | Path) -> Path:
    path = Path(path)
    m.save(str(path))
    return path
