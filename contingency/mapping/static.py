"""Static map (matplotlib) from :class:`Layers`, in the conventions of humanitarian map
products: title with the scenario and the moment shown, legend, scale bar, north arrow,
sources and attribution, generation time and run id, a boundary disclaimer and an optional
marking line. Fonts and literal text: :mod:`contingency.plotting`."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from shapely.geometry import shape
from shapely.plotting import patch_from_polygon

from contingency.i18n import t
from contingency.i18n import t as ptext
from contingency.mapping.crossings import CheckpointItem, far_ring, queue_km_label
from contingency.mapping.labels import LabelPlacer
from contingency.mapping.layers import (
    CORRIDOR_COLOUR,
    CentreItem,
    CorridorItem,
    Layers,
    RegionItem,
    item_name,
    region_shapes,
)
from contingency.mapping.roads import CLOSED_ROAD_COLOUR, ClosedRoadItem
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
    is_drawn,
    symbols_shown,
)
from contingency.mapping.status import CLOSED_FILL, COLOURS
from contingency.plotting import literal_text
from contingency.refdata import RefData

__all__ = ["MapText", "draw_layers", "fit_width", "literal_text", "map_figure", "plt"]

EXTENT = (46.3, 87.6, 40.4, 55.6)  # lon min, lon max, lat min, lat max
MID_LAT = 48.0
KM_PER_DEG_LAT = 111.2
MARKERS = {CENTRE: "s", TRANSIT: "D", SITE: "^", ORIGIN: "*"}
"""The matplotlib marker of each symbol (the board's disc for a centre is a square here)."""
LABEL_FONT_PT = 5.5
SCALE_BAR_ZORDER = 7
MAP_RECT = (0.02, 0.09, 0.96, 0.80)
"""Where the map sits on its page (figure fractions: left, bottom, width, height)."""


@dataclass(frozen=True)
class MapText:
    """The words around a static map (already in the chosen language)."""

    title: str
    subtitle: str
    footer: str
    marking: str | None = None
    kicker: str | None = None
    """A line above the title, at the top right (the briefing's addressee)."""


@literal_text()
def draw_layers(
    ax: Axes,
    layers: Layers,
    ref: RefData,
    *,
    lang: str,
    thresholds: Mapping[str, float],
    labels: bool = True,
) -> None:
    """Draw regions, corridors, closed roads, centres (transit hubs and temporary sites with
    their own symbols), internal origins and checkpoints on ``ax`` (lon/lat degrees); then the
    names, none over another (checkpoints first, then origins, then regions: a region's name
    that finds no free place is left off). Call with ``ax`` where it will stay on its page."""
    _draw_regions(ax, layers.regions, ref)
    _draw_corridors(ax, layers.corridors)
    _draw_closed_roads(ax, layers.closed_roads)
    _draw_centres(ax, layers.centres)
    _draw_origins(ax, layers.origins)
    outer = _draw_checkpoints(ax, layers.checkpoints)
    ax.set_xlim(EXTENT[0], EXTENT[1])
    ax.set_ylim(EXTENT[2], EXTENT[3])
    ax.set_aspect(1 / math.cos(math.radians(MID_LAT)))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#eef3f7")
    _scale_bar(ax)
    _north_arrow(ax)
    symbols = symbols_shown(layers.centres, layers.origins)
    closed = (
        any(c["closed"] for c in layers.checkpoints),
        bool(layers.closed_roads),
    )
    _legend(ax, lang, thresholds, symbols=symbols, closed=closed)
    if labels:
        _draw_labels(ax, layers, ref, lang=lang, outer_pt=outer)


def _draw_labels(
    ax: Axes, layers: Layers, ref: RefData, *, lang: str, outer_pt: Mapping[str, float]
) -> None:
    ax.apply_aspect()
    placer = LabelPlacer(ax)
    legend = ax.get_legend()
    furniture = [ln for ln in ax.lines if ln.get_zorder() >= SCALE_BAR_ZORDER]  # scale bar
    placer.block_artists([*ax.texts, *furniture, *([legend] if legend is not None else [])])
    for c in layers.checkpoints:
        placer.block(c["map_lon"], c["map_lat"], outer_pt[c["id"]])
    for x in layers.centres:
        if is_drawn(x):
            placer.block(x["map_lon"], x["map_lat"], math.sqrt(_centre_size(x)))
    box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75}
    for c in layers.checkpoints:
        km = queue_km_label(c, lang)
        placer.place(
            f"{item_name(c, lang)}\n{km}" if km else item_name(c, lang),
            c["map_lon"],
            c["map_lat"],
            clearance_pt=outer_pt[c["id"]] / 2,
            fontsize=LABEL_FONT_PT,
            zorder=6,
            bbox=box,
        )
    for o in layers.origins:
        placer.place(
            item_name(o, lang),
            o["map_lon"],
            o["map_lat"],
            clearance_pt=math.sqrt(_origin_size(o)) / 2,
            fontsize=LABEL_FONT_PT,
            color=ORIGIN_COLOUR,
            zorder=6,
            bbox=box,
        )
    shapes = region_shapes(ref, 0.005)
    for r in layers.regions:
        p = shape(shapes[r["id"]]).representative_point()
        placer.place(
            item_name(r, lang).replace(" область", "").replace(" облысы", ""),
            p.x,
            p.y,
            clearance_pt=0.0,
            required=False,
            centred=True,
            fontsize=LABEL_FONT_PT,
            color="#37474f",
            zorder=2,
            alpha=0.8,
        )


def _draw_regions(ax: Axes, regions: list[RegionItem], ref: RefData) -> None:
    shapes = region_shapes(ref, 0.005)
    for r in regions:
        geom = shape(shapes[r["id"]])
        ax.add_patch(
            patch_from_polygon(
                geom,
                facecolor=r["colour"],
                alpha=0.35,
                edgecolor="#37474f",
                linewidth=1.4 if r["priority"] else 0.5,
                zorder=1,
            )
        )


def _segment(ax: Axes, coords: list[list[float]], **style: object) -> None:
    """A line between two ``[lat, lon]`` points."""
    (la1, lo1), (la2, lo2) = coords
    ax.plot([lo1, lo2], [la1, la2], **style)  # type: ignore[arg-type]


def _draw_corridors(ax: Axes, corridors: list[CorridorItem]) -> None:
    top = max((c["persons"] for c in corridors), default=0)
    for c in corridors:
        width = 0.8 + 5 * math.sqrt(c["persons"] / top)
        _segment(ax, c["coords"], color=CORRIDOR_COLOUR, alpha=0.75, solid_capstyle="round",
                 linewidth=width, zorder=3)  # fmt: skip


def _draw_closed_roads(ax: Axes, roads: list[ClosedRoadItem]) -> None:
    """Each closed road as a red dashed line between its two nodes, over the corridors."""
    for r in roads:
        _segment(ax, r["coords"], color=CLOSED_ROAD_COLOUR, linewidth=2.2,
                 linestyle=(0, (4, 2.5)), zorder=3.2)  # fmt: skip


def _centre_size(c: CentreItem) -> float:
    """A centre's marker size (points squared): larger with the people present; a transit hub
    or temporary site a little larger, so its shape reads."""
    return 12 + min(260, c["present"] / 25) + (30 if c["symbol"] != CENTRE else 0)


def _draw_centres(ax: Axes, centres: list[CentreItem]) -> None:
    """Centres as squares, transit hubs as diamonds, other temporary sites as triangles (these
    two a little larger, so their shape reads), hollow, grey and dashed while not open."""
    for c in centres:
        if not is_drawn(c):
            continue
        size = _centre_size(c)
        ax.scatter(
            c["map_lon"],
            c["map_lat"],
            s=size,
            c=c["colour"] if c["is_open"] else NOT_OPEN_FILL,
            edgecolors="#263238" if c["is_open"] else NOT_OPEN_STROKE,
            linewidths=0.5 if c["is_open"] else 1.1,
            linestyles="solid" if c["is_open"] else (0, (2, 1)),
            marker=MARKERS[c["symbol"]],
            zorder=4,
        )


def _origin_size(o: OriginItem) -> float:
    """An origin star's marker size (points squared)."""
    return 80 + 220 * displaced_size(o["displaced"])


def _draw_origins(ax: Axes, origins: list[OriginItem]) -> None:
    """Each origin of displacement inside the country as a star, larger with the people
    displaced so far (hollow before anyone is); drawn under the centres, so the sites near it
    stay in sight."""
    for o in origins:
        size = _origin_size(o)
        started = o["displaced"] > 0
        ax.scatter(
            o["map_lon"],
            o["map_lat"],
            s=size,
            c=ORIGIN_COLOUR if started else "white",
            edgecolors="white" if started else ORIGIN_COLOUR,
            linewidths=0.6 if started else 1.2,
            marker=MARKERS[ORIGIN],
            zorder=3.5,  # under the centres and sites that take the people in
        )


def _draw_checkpoints(ax: Axes, checkpoints: list[CheckpointItem]) -> dict[str, float]:
    """Each checkpoint as the board draws it: a disc in the worse side's colour sized by our
    queue, a ring in the far side's colour set wider by the far queue; a checkpoint closed on
    either side is a dark disc with a white ✕. Returns each one's outer diameter (points)."""
    outer: dict[str, float] = {}
    for c in checkpoints:
        size = 40 + min(300, math.sqrt(c["queue_persons"]) * 2)
        outer_pt = math.sqrt(size)  # marker diameter in points
        if far_ring(c):
            outer_pt += 6 + min(14, math.sqrt(c["far_queue_persons"] or 0) / 6)
            for colour, width in (("black", 3.2), (c["far_colour"], 1.8)):
                ax.scatter(
                    c["map_lon"],
                    c["map_lat"],
                    s=outer_pt**2,
                    facecolors="none",
                    edgecolors=colour,
                    linewidths=width,
                    marker="o",
                    zorder=5,
                )
        ax.scatter(
            c["map_lon"],
            c["map_lat"],
            s=size,
            c=CLOSED_FILL if c["closed"] else c["colour"],
            edgecolors="black",
            linewidths=1.0,
            marker="o",
            zorder=5,
        )
        if c["closed"]:
            ax.scatter(
                c["map_lon"],
                c["map_lat"],
                s=size * 0.45,
                c="white",
                linewidths=0,
                marker="X",
                zorder=5.1,
            )
        outer[c["id"]] = outer_pt
    return outer


def _scale_bar(ax: Axes, km: int = 500) -> None:
    deg = km / (KM_PER_DEG_LAT * math.cos(math.radians(MID_LAT)))
    x0, y0 = EXTENT[0] + 1.0, EXTENT[2] + 0.8
    ax.plot(
        [x0, x0 + deg],
        [y0, y0],
        color="black",
        linewidth=3,
        zorder=SCALE_BAR_ZORDER,
        solid_capstyle="butt",
    )
    ax.plot(
        [x0, x0 + deg / 2], [y0, y0], color="white", linewidth=1.5, zorder=8, solid_capstyle="butt"
    )
    for x, label in ((x0, "0"), (x0 + deg / 2, f"{km // 2}"), (x0 + deg, f"{km} km")):
        ax.text(x, y0 + 0.35, label, fontsize=6, ha="center", zorder=8)


def _north_arrow(ax: Axes) -> None:
    x, y = EXTENT[1] - 1.2, EXTENT[3] - 2.6
    ax.annotate(
        "",
        xy=(x, y + 1.6),
        xytext=(x, y),
        zorder=8,
        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.5},
    )
    ax.text(x, y + 1.8, "N", ha="center", va="bottom", fontsize=9, fontweight="bold", zorder=8)


def _legend(
    ax: Axes,
    lang: str,
    th: Mapping[str, float],
    *,
    symbols: Collection[str] = (),
    closed: tuple[bool, bool] = (False, False),
) -> None:
    """The legend; ``closed`` says whether the map shows a closed checkpoint and a closed
    road, each of which then gets its line."""
    handles: list[Artist] = [
        Patch(facecolor=COLOURS[s], edgecolor="#37474f", label=t(f"legend.{s}", lang))
        for s in ("green", "amber", "red", "none")
    ]
    handles += [
        Patch(
            facecolor="#b0bec5",
            edgecolor="#37474f",
            alpha=0.5,
            label=f"{t('legend.regions', lang)}: {t('legend.use', lang)}",
        ),
        Line2D(
            [],
            [],
            marker="o",
            color="w",
            markerfacecolor="#777",
            markeredgecolor="black",
            markersize=7,
            label=f"{t('legend.checkpoints', lang)}: "
            f"{t('legend.wait', lang, amber=th['wait_amber_h'], red=th['wait_red_h'])}",
        ),
        Line2D(
            [],
            [],
            marker="o",
            color="w",
            markerfacecolor="none",
            markeredgecolor="#555",
            markeredgewidth=1.8,
            markersize=9,
            label=t("legend.far_ring", lang),
        ),
        Line2D(
            [],
            [],
            color="w",
            label=f"{t('map.km_far', lang, km='3.8')} — {t('legend.km_label', lang)}",
        ),
        Line2D(
            [],
            [],
            marker="s",
            color="w",
            markerfacecolor="#777",
            markeredgecolor="#263238",
            markersize=6,
            label=f"{t('legend.centres', lang)}: "
            f"{t('legend.load', lang, amber=th['occupancy_amber'], red=th['occupancy_red'])}",
        ),
        *_pathway_handles(lang, symbols),
        Line2D([], [], color=CORRIDOR_COLOUR, linewidth=3, label=t("legend.corridors", lang)),
    ]
    if closed[0]:
        handles.append(
            Line2D(
                [],
                [],
                marker="X",
                color="w",
                markerfacecolor="white",
                markeredgecolor=CLOSED_FILL,
                markeredgewidth=0.6,
                markersize=8,
                label=ptext("legend.closed", lang),
            )
        )
    if closed[1]:
        handles.append(
            Line2D(
                [],
                [],
                color=CLOSED_ROAD_COLOUR,
                linewidth=2,
                linestyle=(0, (4, 2.5)),
                label=ptext("legend.road_closed", lang),
            )
        )
    leg = ax.legend(
        handles=handles,
        loc="upper left",
        fontsize=5.5,
        title=t("legend.title", lang),
        title_fontsize=6.5,
        framealpha=0.92,
        borderpad=0.6,
    )
    leg.set_zorder(9)


def _pathway_handles(lang: str, symbols: Collection[str]) -> list[Artist]:
    """Legend entries for the transit hubs, temporary sites, sites not open yet and internal
    origins the map shows."""
    rows = (
        (TRANSIT, TRANSIT, "#777", "#263238", "legend.transit"),
        (SITE, SITE, "#777", "#263238", "legend.site"),
        (NOT_OPEN, SITE, NOT_OPEN_FILL, NOT_OPEN_STROKE, "legend.not_open"),
        (ORIGIN, ORIGIN, ORIGIN_COLOUR, "white", "legend.internal_origin"),
    )
    return [
        Line2D(
            [],
            [],
            marker=MARKERS[shape],
            color="w",
            markerfacecolor=face,
            markeredgecolor=edge,
            markersize=11 if shape == ORIGIN else 6.5,
            label=t(key, lang),
        )
        for symbol, shape, face, edge, key in rows
        if symbol in symbols
    ]


def draw_marking(fig: Figure, marking: str | None) -> None:
    """The marking line (e.g. "For official use"), centred at the top of ``fig``."""
    if marking:
        fit_width(
            fig,
            fig.text(
                0.5,
                0.985,
                marking,
                ha="center",
                va="top",
                fontsize=9,
                color="#b71c1c",
                fontweight="bold",
            ),
            max_width=0.34,
        )


def fit_width(fig: Figure, text: Text, *, max_width: float, min_size: float = 6.0) -> Text:
    """Shrink ``text`` (down to ``min_size`` points) until it is at most ``max_width`` of the
    figure wide; if it is still too wide, break it into lines at spaces."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    limit_px = max_width * fig.bbox.width

    def width() -> float:
        return float(text.get_window_extent(renderer).width)

    size = float(text.get_fontsize())
    while width() > limit_px and size > min_size:
        size = max(min_size, size - 0.5)
        text.set_fontsize(size)
    if width() > limit_px:
        words, lines = text.get_text().split(" "), [""]
        for w in words:
            trial = f"{lines[-1]} {w}".strip()
            text.set_text(trial)
            if width() > limit_px and lines[-1]:
                lines.append(w)
            else:
                lines[-1] = trial
        text.set_text("\n".join(lines))
    return text


@literal_text()
def map_figure(
    layers: Layers,
    ref: RefData,
    text: MapText,
    *,
    lang: str,
    thresholds: Mapping[str, float],
    size_in: tuple[float, float] = (11.69, 8.27),
    dpi: int = 150,
    map_rect: tuple[float, float, float, float] = MAP_RECT,
) -> Figure:
    """An A4-landscape map page: the kicker (top right) and marking (top centre), title block,
    map at ``map_rect``, footer with sources and disclaimer. The title and subtitle shrink to
    the page's width, so nothing runs into the header."""
    fig = plt.figure(figsize=size_in, dpi=dpi)
    fig.patch.set_facecolor("white")
    draw_marking(fig, text.marking)
    if text.kicker:
        fit_width(
            fig,
            fig.text(0.98, 0.985, text.kicker, ha="right", va="top", fontsize=8, color="#37474f"),
            max_width=0.30,
        )
    fit_width(
        fig,
        fig.text(0.02, 0.955, text.title, fontsize=14, fontweight="bold", va="top"),
        max_width=0.96,
        min_size=10,
    )
    fit_width(
        fig,
        fig.text(0.02, 0.915, text.subtitle, fontsize=9, va="top", color="#37474f"),
        max_width=0.96,
    )
    ax = fig.add_axes(map_rect)
    draw_layers(ax, layers, ref, lang=lang, thresholds=thresholds)
    fig.text(0.02, 0.015, text.footer, fontsize=6, va="bottom", color="#455a64", wrap=True)
    return fig
