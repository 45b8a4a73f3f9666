"""Static map (matplotlib) from :class:`Layers`, in the conventions of humanitarian map
products: title with the scenario and the moment shown, legend, scale bar, north arrow,
sources and attribution, generation time and run id, a boundary disclaimer and an optional
marking line. Text is DejaVu Sans (shipped with matplotlib), which has Cyrillic and Kazakh
letters; PDF text is embedded as TrueType so it stays searchable."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from shapely.geometry import shape

from contingency.i18n import t
from contingency.mapping.layers import COLOURS, CORRIDOR_COLOUR, Layers, item_name, region_shapes
from contingency.refdata import RefData

matplotlib.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
    }
)

EXTENT = (46.3, 87.6, 40.4, 55.6)  # lon min, lon max, lat min, lat max
MID_LAT = 48.0
KM_PER_DEG_LAT = 111.2


@contextlib.contextmanager
def literal_text() -> Iterator[None]:
    """Draw every text created inside as written: titles, markings and names are user and
    data text, and ``$`` must not switch matplotlib into mathtext (``$x$`` would render as
    math, an unbalanced or invalid formula would fail the whole export)."""
    with matplotlib.rc_context({"text.parse_math": False}):
        yield


@dataclass(frozen=True)
class MapText:
    """The words around a static map (already in the chosen language)."""

    title: str
    subtitle: str
    footer: str
    marking: str | None = None


def _polygon_path(geom) -> MplPath:
    verts, codes = [], []
    polys = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
    for poly in polys:
        for ring in [poly.exterior, *poly.interiors]:
            xs, ys = ring.coords.xy
            pts = list(zip(xs, ys, strict=True))
            verts += pts
            codes += [MplPath.MOVETO] + [MplPath.LINETO] * (len(pts) - 2) + [MplPath.CLOSEPOLY]
    return MplPath(verts, codes)


@literal_text()
def draw_layers(
    ax: Axes, layers: Layers, ref: RefData, *, lang: str, thresholds: dict, labels: bool = True
) -> None:
    """Draw regions, corridors, centres and checkpoints on ``ax`` (lon/lat degrees)."""
    shapes = region_shapes(ref, 0.005)
    for r in layers.regions:
        geom = shape(shapes[r["id"]])
        ax.add_patch(
            PathPatch(
                _polygon_path(geom),
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
    top = max((c["persons"] for c in layers.corridors), default=0)
    for c in layers.corridors:
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
    for c in layers.centres:
        if c["capacity"] == 0 and c["present"] == 0:
            continue
        size = 12 + min(260, c["present"] / 25)
        ax.scatter(
            c["map_lon"],
            c["map_lat"],
            s=size,
            c=c["colour"],
            edgecolors="#263238",
            linewidths=0.5,
            marker="s",
            zorder=4,
        )
    for c in layers.checkpoints:
        size = 40 + min(300, math.sqrt(c["queue_persons"]) * 2)
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
            ax.annotate(
                item_name(c, lang),
                (c["map_lon"], c["map_lat"]),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=5.5,
                zorder=6,
            )
    ax.set_xlim(EXTENT[0], EXTENT[1])
    ax.set_ylim(EXTENT[2], EXTENT[3])
    ax.set_aspect(1 / math.cos(math.radians(MID_LAT)))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#eef3f7")
    _scale_bar(ax)
    _north_arrow(ax)
    _legend(ax, lang, thresholds)


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


def _legend(ax: Axes, lang: str, th: dict) -> None:
    handles = [
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
            marker="s",
            color="w",
            markerfacecolor="#777",
            markeredgecolor="#263238",
            markersize=6,
            label=f"{t('legend.centres', lang)}: "
            f"{t('legend.load', lang, amber=th['occupancy_amber'], red=th['occupancy_red'])}",
        ),
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


@literal_text()
def map_figure(
    layers: Layers,
    ref: RefData,
    text: MapText,
    *,
    lang: str,
    thresholds: dict,
    size_in: tuple[float, float] = (11.69, 8.27),
    dpi: int = 150,
) -> Figure:
    """An A4-landscape map page: title block, map, footer with sources and disclaimer."""
    fig = plt.figure(figsize=size_in, dpi=dpi)
    fig.patch.set_facecolor("white")
    if text.marking:
        fig.text(
            0.5,
            0.985,
            text.marking,
            ha="center",
            va="top",
            fontsize=9,
            fontweight="bold",
            color="#b71c1c",
        )
    fig.text(0.02, 0.955, text.title, fontsize=14, fontweight="bold", va="top")
    fig.text(0.02, 0.915, text.subtitle, fontsize=9, va="top", color="#37474f")
    ax = fig.add_axes((0.02, 0.09, 0.96, 0.80))
    draw_layers(ax, layers, ref, lang=lang, thresholds=thresholds)
    fig.text(0.02, 0.015, text.footer, fontsize=6, va="bottom", color="#455a64", wrap=True)
    return fig
