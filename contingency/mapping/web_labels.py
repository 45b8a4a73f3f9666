"""Labels on the interactive map (checkpoints' names and queues, regional centres, centres
with people, regions), placed so that no two overlap (nor sit on a symbol) at the national zoom
the map opens on: positions are worked out in Web Mercator pixels at :data:`NATIONAL_ZOOM`;
zooming in only sets the points farther apart. A label with no free place there waits for a
closer zoom (:data:`DETAIL_ZOOMS`), from which the page shows it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

NATIONAL_ZOOM = 5.0
"""The zoom the map opens on for the whole country (``fit_bounds`` on a board-sized map)."""
CHAR_PX = 7.0
"""Width of one character of a label (bold 11 px sans-serif, generous), px."""
LABEL_H_PX = 18.0
LABEL_PAD_PX = 10.0
GAP_PX = 3.0

Box = tuple[float, float, float, float]
"""x0, y0, x1, y1 in pixels (y grows downwards)."""


def project(lat: float, lon: float, zoom: float = NATIONAL_ZOOM) -> tuple[float, float]:
    """(lat, lon) as Web Mercator pixels at ``zoom``."""
    scale = 256 * 2**zoom
    s = math.sin(math.radians(lat))
    return scale * (lon + 180) / 360, scale * (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi))


def label_width(text: str) -> float:
    return len(text) * CHAR_PX + LABEL_PAD_PX


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(
    points: Sequence[tuple[str, float, float, float, str]],
    *,
    zoom: float = NATIONAL_ZOOM,
) -> dict[str, tuple[float, float]]:
    """Offsets (dx, dy) in pixels of each label's top-left corner from its point.

    ``points``: (id, lat, lon, symbol radius px, label text), in order of importance. Each
    symbol is kept clear; a label takes the first free place around its point (right, left,
    below, above, the diagonals, then farther out), or the first one if none is free.
    """
    taken: list[Box] = []
    xy = {pid: project(lat, lon, zoom) for pid, lat, lon, _, _ in points}
    for pid, _, _, radius, _ in points:
        x, y = xy[pid]
        taken.append((x - radius, y - radius, x + radius, y + radius))
    out: dict[str, tuple[float, float]] = {}
    for pid, _, _, radius, text in points:
        if not text:
            continue
        x, y = xy[pid]
        w, h = label_width(text), LABEL_H_PX
        chosen: tuple[float, float] | None = None
        for dx, dy in _candidates(radius, w, h):
            box = (x + dx - GAP_PX, y + dy - GAP_PX, x + dx + w + GAP_PX, y + dy + h + GAP_PX)
            if not any(_overlaps(box, b) for b in taken):
                chosen = (dx, dy)
                break
        if chosen is None:
            chosen = (radius + 4, -h / 2)
        out[pid] = chosen
        dx, dy = chosen
        taken.append((x + dx, y + dy, x + dx + w, y + dy + h))
    return out


def _candidates(radius: float, w: float, h: float) -> list[tuple[float, float]]:
    out = []
    for extra in (4.0, 14.0, 26.0, 40.0, 56.0):
        r = radius + extra
        out += [
            (r, -h / 2),  # right
            (-r - w, -h / 2),  # left
            (-w / 2, r),  # below
            (-w / 2, -r - h),  # above
            (r * 0.7, r * 0.7),
            (r * 0.7, -r * 0.7 - h),
            (-r * 0.7 - w, r * 0.7),
            (-r * 0.7 - w, -r * 0.7 - h),
        ]
    return out


def label_boxes(
    points: Sequence[tuple[str, float, float, float, str]],
    offsets: Mapping[str, tuple[float, float]],
    *,
    zoom: float = NATIONAL_ZOOM,
) -> dict[str, Box]:
    """Where each placed label lies at ``zoom`` (pixels), for checking."""
    out = {}
    for pid, lat, lon, _, text in points:
        if pid in offsets:
            x, y = project(lat, lon, zoom)
            dx, dy = offsets[pid]
            out[pid] = (x + dx, y + dy, x + dx + label_width(text), y + dy + LABEL_H_PX)
    return out


DETAIL_ZOOMS = (6.5, 8.0)
"""Closer zooms at which a label with no free place at the national zoom may still appear."""
SUB_CHAR_PX = 6.0
"""Width of one character of a label's second line (10 px sans-serif), px."""
SUB_H_PX = 13.0
REGION_CHAR_PX = 6.0
"""Width of one character of a region's name (10 px sans-serif), px."""


@dataclass(frozen=True)
class MapLabel:
    """A name or figure to write on the map next to its point (or on it, when ``centred``)."""

    id: str
    lat: float
    lon: float
    radius_px: float
    """Half the size of the symbol drawn at the point (0: none), px."""
    text: str
    css_class: str
    required: bool = False
    """Shown at the national zoom even where it finds no free place (a checkpoint's)."""
    centred: bool = False
    """Tried on the point first (a region's name)."""
    char_px: float = CHAR_PX
    sub: str = ""
    """A second, smaller line under the text (a checkpoint's queue in km)."""
    min_zoom: float = NATIONAL_ZOOM
    """The first zoom it is tried at (a minor name waits for a closer one)."""

    @property
    def size_px(self) -> tuple[float, float]:
        """Width and height of the label, px."""
        w = max(len(self.text) * self.char_px, len(self.sub) * SUB_CHAR_PX) + LABEL_PAD_PX
        return w, LABEL_H_PX + (SUB_H_PX if self.sub else 0.0)


@dataclass(frozen=True)
class Placed:
    """Where a label goes: ``dx``, ``dy`` of its top-left corner from the point (px) and the
    zoom from which it is shown."""

    dx: float
    dy: float
    min_zoom: float


def _box(xy: tuple[float, float], dx: float, dy: float, label: MapLabel) -> Box:
    w, h = label.size_px
    return (xy[0] + dx, xy[1] + dy, xy[0] + dx + w, xy[1] + dy + h)


def place_map_labels(
    labels: Sequence[MapLabel],
    obstacles: Sequence[tuple[float, float, float]],
    *,
    zooms: Sequence[float] = (NATIONAL_ZOOM, *DETAIL_ZOOMS),
) -> dict[str, Placed]:
    """Where each label goes, in order of importance, clear of every other label and of the
    ``obstacles`` (lat, lon, radius px: the symbols). A label is tried at the national zoom
    (``zooms[0]``) first, then at each closer zoom, from which it is then shown; a required
    one takes its first place at the national zoom if none is free; the others that find no
    place at any zoom are left off."""
    out: dict[str, Placed] = {}
    for zoom in zooms:
        xy = {x.id: project(x.lat, x.lon, zoom) for x in labels}
        taken = [_box(xy[x.id], p.dx, p.dy, x) for x in labels if (p := out.get(x.id))]
        for lat, lon, r in obstacles:
            x, y = project(lat, lon, zoom)
            taken.append((x - r, y - r, x + r, y + r))
        for label in labels:
            if label.id in out or not label.text or label.min_zoom > zoom:
                continue
            w, h = label.size_px
            spots = _candidates(label.radius_px, w, h)
            if label.centred:
                spots = [(-w / 2, -h / 2 + dy) for dy in (0.0, 10.0, -10.0, 20.0, -20.0)]
            free = next(
                (
                    (dx, dy)
                    for dx, dy in spots
                    if not any(_overlaps(_pad(_box(xy[label.id], dx, dy, label)), b) for b in taken)
                ),
                None,
            )
            if free is None and not (label.required and zoom == zooms[0]):
                continue
            dx, dy = free or spots[0]
            out[label.id] = Placed(dx, dy, zoom)
            taken.append(_box(xy[label.id], dx, dy, label))
    return out


def _pad(b: Box) -> Box:
    return (b[0] - GAP_PX, b[1] - GAP_PX, b[2] + GAP_PX, b[3] + GAP_PX)


def placed_boxes(
    labels: Sequence[MapLabel], placed: Mapping[str, Placed], *, zoom: float = NATIONAL_ZOOM
) -> dict[str, Box]:
    """Where each label shown at ``zoom`` lies (pixels), for checking."""
    return {
        x.id: _box(project(x.lat, x.lon, zoom), p.dx, p.dy, x)
        for x in labels
        if (p := placed.get(x.id)) and p.min_zoom <= zoom
    }
