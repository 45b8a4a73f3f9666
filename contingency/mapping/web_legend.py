"""The map's legend: a line per symbol the map shows, drawn over the map (the exports) or as a
block for the page beside it (the board, where the map stays clear)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Literal

from contingency.i18n import t
from contingency.i18n import t as ptext
from contingency.mapping.layers import CORRIDOR_COLOUR, Layers
from contingency.mapping.popups import text_html
from contingency.mapping.roads import CLOSED_ROAD_COLOUR
from contingency.mapping.sites import CENTRE, is_drawn, symbols_shown
from contingency.mapping.status import CLOSED_FILL, COLOURS
from contingency.mapping.web_pathways import (
    DEGRADED,
    REHABILITATION,
    degraded_swatch,
    is_degraded,
    pathway_legend,
)

RECEPTION = "reception"
"""A reception centre's disc in the legend (``symbols``), beside :data:`REHABILITATION`."""
Placement = Literal["map", "page"]
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


def _swatch(colour: str, shape: str = "bar") -> str:
    """A colour sample: a short bar (a status), or a disc with a thin or a bold rim."""
    size = {"bar": "width:16px;height:9px;border-radius:2px", "disc": "width:11px;height:11px"}
    style = size.get(shape, "width:9px;height:9px;border-radius:50%;border:2px solid #000")
    if shape == "disc":
        style += ";border-radius:50%;border:1px solid #263238"
    return (
        f"<span style='display:inline-block;{style};background:{colour};margin-right:4px;"
        "vertical-align:middle'></span>"
    )


def _facility_lines(lang: str, thresholds: Mapping[str, float], symbols: Collection[str]) -> str:
    """The legend's lines for regions, checkpoints, regional centres and centres."""
    e, th = text_html, thresholds
    wait = t("legend.wait", lang, amber=th["wait_amber_h"], red=th["wait_red_h"])
    load = t("legend.load", lang, amber=th["occupancy_amber"], red=th["occupancy_red"])
    ring = (
        "<span style='display:inline-block;width:7px;height:7px;border:2px solid #555;"
        "border-radius:50%;margin-right:4px;vertical-align:middle'></span>"
    )
    city = _swatch("#ffffff", "disc")
    lines = [
        f"<div style='margin-top:4px'>{_swatch('#9e9e9e')}<b>{e(t('legend.regions', lang))}"
        f"</b>: {e(t('legend.use', lang))}</div>",
        f"<div>{_swatch('#555', 'bold')}<b>{e(t('legend.checkpoints', lang))}</b>: {e(wait)}</div>",
        f"<div>{ring}{e(t('legend.far_ring', lang))}</div>",
        f"<div><span style='{_LABEL_STYLE};margin-right:4px'>"
        f"{e(t('map.km_far', lang, km='3.8'))}</span>{e(t('legend.km_label', lang))}</div>",
        f"<div>{city}{e(t('legend.city', lang))}</div>",
        f"<div>{_swatch('#555', 'disc')}<b>{e(t('legend.centres', lang))}</b>: {e(load)}</div>",
    ]
    if RECEPTION in symbols:
        lines.append(f"<div>{_swatch('#777', 'disc')}{e(t('legend.reception', lang))}</div>")
    return "".join(lines)


def legend_html(
    lang: str,
    thresholds: Mapping[str, float],
    *,
    symbols: Collection[str] = (),
    closed: tuple[bool, bool] = (False, False),
    placement: Placement = "map",
) -> str:
    """The legend; ``symbols`` names the symbols the map shows besides the ones always drawn
    (``reception``, ``rehabilitation``, ``transit``, ``site``, ``not_open``,
    ``internal_origin``, ``degraded``), each of which gets its line; ``closed`` whether it
    shows a closed checkpoint and a closed road, each of which then gets its line.
    ``placement='map'`` floats it over the map's north-east corner (the exports);
    ``'page'`` is a plain block for the page beside the map, in columns as wide as it allows."""
    e = text_html
    status_rows = "".join(
        f"<div>{_swatch(COLOURS[s])}{e(t('legend.' + s, lang))}</div>"
        for s in ("green", "amber", "red", "none")
    )
    line = (
        f"<span style='display:inline-block;width:18px;height:4px;background:{CORRIDOR_COLOUR};"
        "margin-right:4px;vertical-align:middle'></span>"
    )
    lines = [
        f"<b>{e(t('legend.title', lang))}</b>",
        status_rows,
        _facility_lines(lang, thresholds, symbols),
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
    if DEGRADED in symbols:
        lines.append(f"<div>{degraded_swatch()}{e(t('legend.degraded', lang))}</div>")
    lines.append(f"<div style='color:#607d8b'>{e(t('legend.more_labels', lang))}</div>")
    box = (
        "position:absolute;top:10px;right:10px;z-index:1000;max-width:330px;"
        "background:rgba(255,255,255,0.92);box-shadow:0 1px 4px rgba(0,0,0,0.3);"
        "padding:6px 8px;border-radius:4px"
        if placement == "map"
        else "column-width:300px;column-gap:24px;padding:4px 0"
    )
    return (
        f"<div class='contingency-legend legend-{placement}' style='{box};"
        "font:11px/1.35 sans-serif;color:#212121'>" + "".join(lines) + "</div>"
    )


def legend_symbols(layers: Layers) -> tuple[set[str], tuple[bool, bool]]:
    """The symbols a map of ``layers`` shows (for :func:`legend_html`'s ``symbols``) and
    whether it shows a closed checkpoint and a closed road (its ``closed``)."""
    drawn = [c for c in layers.centres if is_drawn(c)]
    symbols = symbols_shown(layers.centres, layers.origins)
    for c in drawn:
        if c["symbol"] == CENTRE:
            symbols.add(REHABILITATION if c["kind"] == REHABILITATION else RECEPTION)
        if is_degraded(c):
            symbols.add(DEGRADED)
    closed = (any(c["closed"] for c in layers.checkpoints), bool(layers.closed_roads))
    return symbols, closed


def legend_for(layers: Layers, lang: str, thresholds: Mapping[str, float]) -> str:
    """The legend of the map of ``layers`` as a block for the page beside it (the board shows
    it outside the map, in an expander): the same lines :func:`build_map` draws."""
    symbols, closed = legend_symbols(layers)
    return legend_html(lang, thresholds, symbols=symbols, closed=closed, placement="page")
