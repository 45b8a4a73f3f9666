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
from shapely.geometry import shape
from shapely.plotting import patch_from_polygon

from contingency.i18n import t
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
from contingency.mapping.status import COLOURS
from contingency.plotting import literal_text
from contingency.refdata import RefData

__all__ = ["MapText", "draw_layers", "literal_text", "map_figure", "plt"]

EXTENT = (46.3, 87.6, 40.4, 55.6)  # lon min, lon max, lat min, lat max
MID_LAT = 48.0
KM_PER_DEG_LAT = 111.2
MARKERS = {CENTRE: "s", TRANSIT: "D", SITE: "^", ORIGIN: "*"}
"""The matplotlib marker of each symbol (the board's disc for a centre is a square here)."""


@dataclass(frozen=True)
class MapText:
    """The words around a static map (already in the chosen language)."""

    title: str
    subtitle: str
    footer: str
    marking: str | None = None


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
    """Draw regions, corridors, centres (transit hubs and temporary sites with their own
    symbols), internal origins and checkpoints on ``ax`` (lon/lat degrees)."""
    _draw_regions(ax, layers.regions, ref, lang=lang, labels=labels)
    _draw_corridors(ax, layers.corridors)
    _draw_centres(ax, layers.centres)
    _draw_origins(ax, layers.origins, lang=lang, labels=labels)
    _draw_checkpoints(ax, layers.checkpoints, lang=lang, labels=labels)
    ax.set_xlim(EXTENT[0], EXTENT[1])
    ax.set_ylim(EXTENT[2], EXTENT[3])
    ax.set_aspect(1 / math.cos(math.radians(MID_LAT)))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#eef3f7")
    _scale_bar(ax)
    _north_arrow(ax)
    _legend(ax, lang, thresholds, symbols=symbols_shown(layers.centres, layers.origins))


def _draw_regions(
    ax: Axes, regions: list[RegionItem], ref: RefData, *, lang: str, labels: bool
) -> None:
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
        if labels:
            p = geom.representative_point()
            ax.text(
                p.x,
                p.y,
                item_name(r, lang).replace(" область", "").replace(" облысы", ""),
                fontsize=5.5,
                color="#37474f",
                ha="center",
                va="center",
                zorder=2,
                alpha=0.8,
            )


def _draw_corridors(ax: Axes, corridors: list[CorridorItem]) -> None:
    top = max((c["persons"] for c in corridors), default=0)
    for c in corridors:
        (la1, lo1), (la2, lo2) = c["coords"]
        ax.plot(
            [lo1, lo2],
            [la1, la2],
            color=CORRIDOR_COLOUR,
            alpha=0.75,
            solid_capstyle="round",
            linewidth=0.8 + 5 * math.sqrt(c["persons"] / top),
            zorder=3,
        )


def _draw_centres(ax: Axes, centres: list[CentreItem]) -> None:
    """Centres as squares, transit hubs as diamonds, other temporary sites as triangles (these
    two a little larger, so their shape reads), hollow, grey and dashed while not open."""
    for c in centres:
        if not is_drawn(c):
            continue
        size = 12 + min(260, c["present"] / 25)
        if c["symbol"] != CENTRE:
            size += 30
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


def _draw_origins(ax: Axes, origins: list[OriginItem], *, lang: str, labels: bool) -> None:
    """Each origin of displacement inside the country as a star, larger with the people
    displaced so far (hollow before anyone is), with its name; drawn under the centres, so
    the sites near it stay in sight."""
    for o in origins:
        size = 80 + 220 * displaced_size(o["displaced"])
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
        if labels:
            ax.annotate(
                item_name(o, lang),
                (o["map_lon"], o["map_lat"]),
                xytext=(math.sqrt(size) / 2 + 2, -2),
                textcoords="offset points",
                fontsize=5.5,
                color=ORIGIN_COLOUR,
                va="top",
                zorder=6,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
            )


def _draw_checkpoints(
    ax: Axes, checkpoints: list[CheckpointItem], *, lang: str, labels: bool
) -> None:
    """Each checkpoint as the board draws it: a disc in the worse side's colour sized by our
    queue, a ring in the far side's colour set wider by the far queue, and the queue in km
    under the name."""
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
            c=c["colour"],
            edgecolors="black",
            linewidths=1.0,
            marker="o",
            zorder=5,
        )
        if labels:
            _checkpoint_label(ax, c, lang=lang, outer_pt=outer_pt)


def _checkpoint_label(ax: Axes, c: CheckpointItem, *, lang: str, outer_pt: float) -> None:
    """The name; where a side has a queue, the queue in km under it, clear of the symbol."""
    km = queue_km_label(c, lang)
    if not km:
        ax.annotate(
            item_name(c, lang),
            (c["map_lon"], c["map_lat"]),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=5.5,
            zorder=6,
        )
        return
    ax.annotate(
        f"{item_name(c, lang)}\n{km}",
        (c["map_lon"], c["map_lat"]),
        xytext=(outer_pt / 2 + 3, 0),
        textcoords="offset points",
        fontsize=5.5,
        va="center",
        zorder=6,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
    )


def _scale_bar(ax: Axes, km: int = 500) -> None:
    deg = km / (KM_PER_DEG_LAT * math.cos(math.radians(MID_LAT)))
    x0, y0 = EXTENT[0] + 1.0, EXTENT[2] + 0.8
    ax.plot([x0, x0 + deg], [y0, y0], color="black", linewidth=3, zorder=7, solid_capstyle="butt")
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


def _legend(ax: Axes, lang: str, th: Mapping[str, float], *, symbols: Collection[str] = ()) -> None:
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
        fig.text(
            0.5,
            0.985,
            marking,
            ha="center",
            va="top",
            fontsize=9,
            color="#b71c1c",
            fontweight="bold",
        )


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
) -> Figure:
    """An A4-landscape map page: title block, map, footer with sources and disclaimer."""
    fig = plt.figure(figsize=size_in, dpi=dpi)
    fig.patch.set_facecolor("white")
    draw_marking(fig, text.marking)
    fig.text(0.02, 0.955, text.title, fontsize=14, fontweight="bold", va="top")
    fig.text(0.02, 0.915, text.subtitle, fontsize=9, va="top", color="#37474f")
    ax = fig.add_axes((0.02, 0.09, 0.96, 0.80))
    draw_layers(ax, layers, ref, lang=lang, thresholds=thresholds)
    fig.text(0.02, 0.015, text.footer, fontsize=6, va="bottom", color="#455a64", wrap=True)
    return fig
