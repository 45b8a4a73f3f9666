"""The checkpoints' queue labels on the interactive map, placed so that no two overlap (nor sit
on a checkpoint) at the national zoom the map opens on: positions are worked out in Web
Mercator pixels at :data:`NATIONAL_ZOOM`; zooming in only sets the points farther apart."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

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
