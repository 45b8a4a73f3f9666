"""Labels on the static map that never overlap: each is tried at positions around its point,
nearest first (farther ones with a thin leader line), and takes the first that touches no label
or symbol already placed. Labels are placed in order of importance; one that finds no place is
left off if it may be (a region name), else put at its first position."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

GAP_PT = 2.0
"""Clear space kept around every label, points."""
_DIRECTIONS = (  # (unit dx, unit dy, ha, va): right, left, up, down, then the diagonals
    (1, 0, "left", "center"),
    (-1, 0, "right", "center"),
    (0, 1, "center", "bottom"),
    (0, -1, "center", "top"),
    (1, 1, "left", "bottom"),
    (1, -1, "left", "top"),
    (-1, 1, "right", "bottom"),
    (-1, -1, "right", "top"),
)
_RINGS_PT = (0.0, 9.0, 18.0, 28.0, 40.0, 54.0)
"""How much farther out than the first each ring of candidates is, points; the first ring sits
next to the symbol, the others get a leader line."""


def text_extent(a: Text, renderer: RendererBase) -> Bbox:
    """Where a label's text is drawn (display pixels), without its leader line."""
    if isinstance(a, Annotation):
        a.update_positions(renderer)
    return Text.get_window_extent(a, renderer)


@dataclass
class LabelPlacer:
    """Places labels on ``ax`` (whose limits and aspect are final) clear of each other and
    inside the axes."""

    ax: Axes
    taken: list[Bbox] = field(default_factory=list)

    @property
    def _renderer(self) -> RendererBase:
        return self.ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]

    def _px(self, pt: float) -> float:
        return pt * self.ax.figure.dpi / 72

    def block(self, lon: float, lat: float, diameter_pt: float) -> None:
        """Keep labels off a symbol of ``diameter_pt`` drawn at (``lon``, ``lat``)."""
        x, y = self.ax.transData.transform((lon, lat))
        r = self._px(diameter_pt / 2)
        self.taken.append(Bbox.from_extents(x - r, y - r, x + r, y + r))

    def block_artists(self, artists: Sequence[Artist]) -> None:
        """Keep labels off what is already drawn (the scale bar's figures, the legend)."""
        for a in artists:
            box = text_extent(a, self._renderer) if isinstance(a, Text) else None
            self.taken.append(box if box is not None else a.get_window_extent(self._renderer))

    def place(
        self,
        text: str,
        lon: float,
        lat: float,
        *,
        clearance_pt: float,
        required: bool = True,
        centred: bool = False,
        **style: Any,
    ) -> Annotation | None:
        """Put ``text`` near (``lon``, ``lat``), ``clearance_pt`` out from the point (half
        the symbol's size), at the first place free of everything placed so far; ``centred``
        tries the point itself first (a region's name). Returns the label, or None when it
        is not ``required`` and found no free place."""
        first: Annotation | None = None
        for dx, dy, ha, va, leader in _candidates(clearance_pt, centred=centred):
            a = self._annotate(text, lon, lat, dx=dx, dy=dy, ha=ha, va=va, leader=leader, **style)
            box = text_extent(a, self._renderer).padded(self._px(GAP_PT))
            inside = self.ax.bbox.contains(box.x0, box.y0) and self.ax.bbox.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(b) for b in self.taken):
                if first is not None:
                    first.remove()
                self.taken.append(box)
                return a
            if first is None and required:
                first = a
                first.set_visible(False)
            else:
                a.remove()
        if first is not None:
            first.set_visible(True)
            self.taken.append(text_extent(first, self._renderer))
        return first

    def _annotate(
        self,
        text: str,
        lon: float,
        lat: float,
        *,
        dx: float,
        dy: float,
        ha: str,
        va: str,
        leader: bool,
        **style: Any,
    ) -> Annotation:
        arrow: dict[str, Any] | None = (
            {"arrowstyle": "-", "color": "#546e7a", "linewidth": 0.4, "shrinkA": 0, "shrinkB": 2}
            if leader
            else None
        )
        return self.ax.annotate(
            text,
            (lon, lat),
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va=va,
            arrowprops=arrow,
            **style,
        )


def _candidates(
    clearance_pt: float, *, centred: bool
) -> Iterator[tuple[float, float, str, str, bool]]:
    if centred:
        yield 0.0, 0.0, "center", "center", False
        for dy in (7.0, -7.0, 14.0, -14.0):
            yield 0.0, dy, "center", "center", False
        return
    for k, extra in enumerate(_RINGS_PT):
        reach = clearance_pt + 2.0 + extra
        for ux, uy, ha, va in _DIRECTIONS:
            norm = math.hypot(ux, uy)
            yield ux * reach / norm, uy * reach / norm, ha, va, k > 0
