"""Diversion: informed groups go to another crossing on the same border when it is quicker.

Which groups are informed is fixed before the run (``informed_share`` of each checkpoint's
groups of each mode, spread evenly as turn-backs are); where they go is decided in the run, as
each reaches the crossing it headed for, from the queues as they stood ``info_delay_h`` hours
before. The expected wait at a side of a crossing is the groups queuing there x the mean
processing time of a group / the lanes serving them (its base lanes while a shift keeps them
shut for the night; none of a mode, or a closure, makes it infinite). A crossing closed on either
side now is never chosen, nor a freight-only one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from contingency.scenario.added import DETOUR_FACTOR, great_circle_km
from contingency.scenario.schema import Diversion


@dataclass(frozen=True)
class Reach:
    """The crossings a group heading for one checkpoint may turn to, with the drive (h)."""

    to: tuple[tuple[str, float], ...]


def reaches(
    checkpoints: pd.DataFrame, in_play: list[str], diversion: Diversion
) -> dict[str, Reach]:
    """For each checkpoint in play, the others in play on the same neighbour's border (not
    freight-only) within ``max_detour_h``, nearest first."""
    out: dict[str, Reach] = {}
    rows = {cp: checkpoints.loc[cp].to_dict() for cp in in_play}
    for a in in_play:
        ra = rows[a]
        to = []
        for b in in_play:
            rb = rows[b]
            if b == a or rb["neighbour_country"] != ra["neighbour_country"]:
                continue
            if rb.get("freight_only") is True:
                continue  # the column holds Python booleans (refdata rows)
            km = great_circle_km(
                float(ra["lat"]), float(ra["lon"]), float(rb["lat"]), float(rb["lon"])
            )
            drive_h = km * DETOUR_FACTOR / diversion.detour_speed_kmh
            if drive_h <= diversion.max_detour_h:
                to.append((b, drive_h))
        out[a] = Reach(tuple(sorted(to, key=lambda x: x[1])))
    return out


def informed(n: int, share: float) -> np.ndarray:
    """Which of ``n`` groups (in arrival order) know the queues: exactly round(n x share),
    spread evenly (the k-th is informed when the running share steps up at it)."""
    if share <= 0 or n == 0:
        return np.zeros(n, dtype=bool)
    whole = np.floor(np.arange(1, n + 1) * share + 0.5).astype(np.int64)
    return np.diff(whole, prepend=0) > 0


def best_choice(stay_h: float, options: list[tuple[str, float, float]]) -> tuple[str, float] | None:
    """Among ``options`` ``(checkpoint, drive_h, expected wait_h)``, the one with the least
    drive + wait if that is shorter than ``stay_h`` (the expected wait where the group is);
    None: stay."""
    best: tuple[str, float] | None = None
    best_h = stay_h
    for cp, drive_h, wait_h in options:
        total = drive_h + wait_h
        if math.isfinite(total) and total < best_h:
            best, best_h = (cp, drive_h), total
    return best
