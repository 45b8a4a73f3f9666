"""Reception pathways on the interactive map: rehabilitation centres (squares), transit hubs
(diamonds), temporary sites (triangles, hollow and grey while not open) and the origins of
displacement inside the country (stars), drawn as inline SVG symbols with the tooltip and popup
every facility has; a centre whose places were cut gets a dashed ring; and their legend
lines."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

import folium

from contingency.i18n import t
from contingency.mapping.layers import CentreItem, day_hour, item_name
from contingency.mapping.popups import BindPopup, fmt, popup_html, text_html
from contingency.mapping.sites import (
    CENTRE,
    NOT_OPEN,
    NOT_OPEN_FILL,
    NOT_OPEN_STROKE,
    ORIGIN,
    ORIGIN_COLOUR,
    SITE,
    TRANSIT,
    OriginItem,
    displaced_size,
)

REHABILITATION = "rehabilitation"
"""The square a rehabilitation centre is drawn as (a reception centre is a disc)."""
DEGRADED = "degraded"
"""A centre with fewer places than planned: a dashed ring around its symbol."""
DEGRADED_COLOUR = "#b71c1c"
_SHAPES = {
    REHABILITATION: "10,10 90,10 90,90 10,90",  # a square
    TRANSIT: "50,3 97,50 50,97 3,50",  # a diamond
    SITE: "50,5 97,92 3,92",  # a triangle
    ORIGIN: " ".join(  # a five-pointed star
        f"{50 + r * math.sin(math.pi * k / 5):.1f},{53 - r * math.cos(math.pi * k / 5):.1f}"
        for k, r in ((k, 48 if k % 2 == 0 else 20) for k in range(10))
    ),
}
"""Outlines (SVG points in a 100 x 100 box) of the symbols that are not discs."""


def svg_symbol(shape: str, size_px: int, *, fill: str, stroke: str, hollow: bool = False) -> str:
    """One symbol of :data:`_SHAPES` as inline SVG (fixed markup: colours and numbers only);
    ``hollow``: a pale fill and a dashed grey outline, for a site not open yet."""
    if hollow:
        fill, stroke = NOT_OPEN_FILL, NOT_OPEN_STROKE
    dash = " stroke-dasharray='4 2'" if hollow else ""
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{size_px}' height='{size_px}' "
        "viewBox='0 0 100 100' style='display:block;overflow:visible'>"
        f"<polygon points='{_SHAPES[shape]}' fill='{fill}' "
        f"fill-opacity='{0.7 if hollow else 0.9}' stroke='{stroke}' "
        f"stroke-width='{2 if hollow else 1.6}' "
        f"vector-effect='non-scaling-stroke'{dash}/></svg>"
    )


def shape_marker(
    m: folium.Map,
    item: CentreItem | OriginItem,
    svg: str,
    size_px: int,
    *,
    kind_label: str,
    rows: Sequence[Sequence[object]],
    lang: str,
    css_class: str,
    z_index_offset: int = 0,
) -> None:
    """A place as an SVG symbol (a transit hub, a temporary site, an internal origin) with the
    tooltip and popup a disc has; a negative ``z_index_offset`` puts it under other symbols."""
    name = item_name(item, lang)
    marker = folium.Marker(
        [item["map_lat"], item["map_lon"]],
        icon=folium.DivIcon(
            html=svg,
            icon_size=(size_px, size_px),
            icon_anchor=(size_px // 2, size_px // 2),
            class_name=css_class,
        ),
        tooltip=text_html(f"{name} ({kind_label})"),
        z_index_offset=z_index_offset,
    ).add_to(m)
    marker.add_child(BindPopup(popup_html(f"{name} — {kind_label}", rows)))


def pathway_legend(lang: str, symbols: Collection[str]) -> list[str]:
    """Legend lines for the transit hubs, temporary sites, sites not open yet and internal
    origins a map shows (and the rehabilitation centres' square), in that order."""
    lines = []
    for symbol, shape, key in (
        (REHABILITATION, REHABILITATION, "legend.rehabilitation"),
        (TRANSIT, TRANSIT, "legend.transit"),
        (SITE, SITE, "legend.site"),
        (NOT_OPEN, SITE, "legend.not_open"),
        (ORIGIN, ORIGIN, "legend.internal_origin"),
    ):
        if symbol in symbols:
            fill = ORIGIN_COLOUR if shape == ORIGIN else "#777"
            svg = svg_symbol(shape, 12, fill=fill, stroke="#263238", hollow=symbol == NOT_OPEN)
            lines.append(
                "<div><span style='display:inline-block;margin-right:4px;vertical-align:middle'>"
                f"{svg}</span>{text_html(t(key, lang))}</div>"
            )
    return lines


def centre_kind_label(c: CentreItem, lang: str) -> str:
    """What a centre is, in ``lang``: its kind, and for a temporary site that it is one."""
    kind = t("kind." + c["kind"], lang)
    return t("kind.site", lang, kind=kind) if c["temporary_site"] else kind


def site_state(c: CentreItem, lang: str) -> str:
    """Open, or not yet and when it opens in this run (or that it opens when ordered)."""
    if c["is_open"]:
        return t("f.open", lang)
    if c["opens_h"] is None:
        return t("f.opens_on_order", lang)
    day, hour = day_hour(c["opens_h"])
    return t("f.opens_at", lang, day=day, time=f"{hour:02d}:00")


def centre_rows(c: CentreItem, lang: str) -> list[tuple[str, str]]:
    """A centre popup's rows; a transit hub or temporary site also gives whether it is open,
    the people there and the people who passed through so far."""
    if c["symbol"] == CENTRE and c["is_open"]:
        head = [(t("f.capacity", lang), fmt(c["capacity"], lang))]
    else:
        head = [
            (t("f.places", lang), fmt(c["capacity"], lang)),
            (t("f.state", lang), site_state(c, lang)),
            (t("f.present", lang), fmt(c["present"], lang)),
        ]
    if not c["is_open"]:  # nobody is there yet
        return head
    rows = [
        *head,
        (t("f.in_beds", lang), fmt(c["in_beds"], lang)),
        (t("f.overflow", lang), fmt(c["overflow"], lang)),
        (t("f.registering", lang), fmt(c["registering"], lang)),
        (t("f.waiting_onward", lang), fmt(c["waiting_onward"], lang)),
        (t("f.load", lang), fmt(c["load"], lang)),
    ]
    if c["symbol"] != CENTRE and c["turnover"] is not None:
        rows.append((t("f.turnover", lang), fmt(c["turnover"], lang)))
    if is_degraded(c):
        rows.insert(1, (t("f.planned_places", lang), fmt(planned_places(c), lang)))
    return rows


def planned_places(c: CentreItem) -> int | None:
    """The places the centre was to have (``planned_capacity``, the most it had so far in the
    run), where the layers carry it."""
    planned = cast(Mapping[str, Any], c).get("planned_capacity")
    return int(planned) if planned is not None else None


def is_degraded(c: CentreItem) -> bool:
    """An open centre with fewer places than planned (cut by a ``centre_capacity`` inject or
    damage)."""
    planned = planned_places(c)
    return bool(c["is_open"]) and planned is not None and c["capacity"] < planned


def add_degraded_ring(m: folium.Map, c: CentreItem, *, radius_px: float) -> None:
    """A dashed dark-red ring around a centre whose places were cut."""
    folium.CircleMarker(
        [c["map_lat"], c["map_lon"]],
        radius=radius_px + 5,
        color=DEGRADED_COLOUR,
        weight=2.5,
        dash_array="4 3",
        fill=False,
        interactive=False,
        className="centre-degraded",
    ).add_to(m)


def degraded_swatch() -> str:
    """The dashed ring as the legend shows it."""
    return (
        f"<span style='display:inline-block;width:9px;height:9px;border:2px dashed "
        f"{DEGRADED_COLOUR};border-radius:50%;margin-right:4px;vertical-align:middle'></span>"
    )


def add_rehabilitation_centre(m: folium.Map, c: CentreItem, *, radius_px: float, lang: str) -> None:
    """A rehabilitation centre as a square in its status colour, as large as a disc of
    ``radius_px``."""
    size = max(12, round(2 * radius_px))
    svg = svg_symbol(REHABILITATION, size, fill=c["colour"], stroke="#263238")
    shape_marker(
        m,
        c,
        svg,
        size,
        kind_label=centre_kind_label(c, lang),
        rows=centre_rows(c, lang),
        lang=lang,
        css_class="centre-rehabilitation",
    )


def add_pathway_centre(m: folium.Map, c: CentreItem, *, radius_px: float, lang: str) -> None:
    """A transit hub as a diamond or another temporary site as a triangle, in its status
    colour (hollow and grey while not open), about as large as a disc of ``radius_px``."""
    size = max(20, round(2 * radius_px + 8))
    svg = svg_symbol(c["symbol"], size, fill=c["colour"], stroke="#263238", hollow=not c["is_open"])
    shape_marker(
        m,
        c,
        svg,
        size,
        kind_label=centre_kind_label(c, lang),
        rows=centre_rows(c, lang),
        lang=lang,
        css_class=f"centre-{c['symbol']}",
    )


def origin_rows(o: OriginItem, lang: str) -> list[tuple[str, str]]:
    """An internal origin's popup rows: people displaced so far and in all, its road node."""
    return [
        (t("f.displaced", lang), fmt(o["displaced"], lang)),
        (t("f.displaced_total", lang), fmt(o["displaced_total"], lang)),
        (t("f.origin_node", lang), o["node"]),
    ]


def add_origins(m: folium.Map, origins: list[OriginItem], *, lang: str) -> None:
    """Each origin of displacement inside the country as a star, larger with the people
    displaced so far (hollow before anyone is), under the sites near it."""
    for o in origins:
        size = round(18 + 16 * displaced_size(o["displaced"]))
        svg = svg_symbol(ORIGIN, size, fill=ORIGIN_COLOUR, stroke="#ffffff")
        if o["displaced"] == 0:
            svg = svg_symbol(ORIGIN, size, fill="#ffffff", stroke=ORIGIN_COLOUR)
        shape_marker(
            m,
            o,
            svg,
            size,
            kind_label=t("kind.internal_origin", lang),
            rows=origin_rows(o, lang),
            lang=lang,
            css_class="internal-origin",
            z_index_offset=-1000,  # under the sites near it
        )
