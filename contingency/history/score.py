"""How far the model is from what was observed: the log ratio of one observation and the score
of a case (or of several cases pooled).

The log ratio is ln(modelled / nearest end of the observed band), 0 inside the band. A modelled
0 against a band above 0, or a value the model cannot produce, is an infinite miss: its log
ratio is recorded as None (null in JSON) with a note, it counts as outside the band and outside
x2, and it sorts as +inf in the median.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TypedDict

WITHIN_2X = math.log(2.0)
_EPS = 1e-12
"""Slack on the band and x2 boundaries for values computed in floating point."""


def log_ratio(modelled: float | None, low: float, high: float) -> float | None:
    """ln(``modelled`` / nearest end of [``low``, ``high``]); 0 inside the band; None for an
    infinite miss (nothing modelled, or 0 against a band above 0, or more than 0 against a
    band of exactly 0)."""
    if modelled is None:
        return None
    if low - _EPS * max(1.0, low) <= modelled <= high + _EPS * max(1.0, high):
        return 0.0
    end = low if modelled < low else high
    if modelled <= 0 or end <= 0:
        return None
    return math.log(modelled / end)


def inside_band(ratio: float | None) -> bool:
    return ratio == 0.0


def within_2x(ratio: float | None) -> bool:
    """Within a factor of two of the band (the boundary included)."""
    return ratio is not None and abs(ratio) <= WITHIN_2X + _EPS


def abs_miss(ratio: float | None) -> float:
    """|log ratio|, +inf for an infinite miss: what the median sorts."""
    return math.inf if ratio is None else abs(ratio)


class Score(TypedDict):
    """A case's (or a pool's) score, as ``replay.json`` records it."""

    median_abs_log_ratio: float | None
    """None (null) when the median is an infinite miss, or when there is nothing to score."""
    share_within_2x: float | None
    share_within_band: float | None
    n: int


def _median(values: list[float]) -> float:
    xs = sorted(values)
    mid = len(xs) // 2
    if len(xs) % 2:
        return xs[mid]
    a, b = xs[mid - 1], xs[mid]
    return math.inf if math.isinf(a) or math.isinf(b) else (a + b) / 2.0


def score(ratios: Iterable[float | None]) -> Score:
    """The score of a set of log ratios: median |log ratio| (an infinite miss as +inf; None
    when that median is infinite), the shares within x2 and inside the band, and how many."""
    rs = list(ratios)
    if not rs:
        return Score(median_abs_log_ratio=None, share_within_2x=None, share_within_band=None, n=0)
    med = _median([abs_miss(r) for r in rs])
    return Score(
        median_abs_log_ratio=None if math.isinf(med) else med,
        share_within_2x=sum(within_2x(r) for r in rs) / len(rs),
        share_within_band=sum(inside_band(r) for r in rs) / len(rs),
        n=len(rs),
    )


def pooled_score(cases: Iterable[Iterable[float | None]]) -> Score:
    """The score of every case's log ratios pooled into one set (each observation weighs the
    same, whichever case it comes from)."""
    return score(r for case in cases for r in case)
