"""Road length a queuing vehicle takes, by mode: ``maps/vehicles.csv`` (or a map pack's own).

A queue of N vehicles of one mode on an approach road of ``queue_lanes`` lanes is
N x ``length_m`` / ``queue_lanes`` long. Each length includes the gap to the vehicle ahead;
where a figure is estimated, ``length_assumption`` says so and ``length_basis`` says how.
"""

from __future__ import annotations

import csv
import math
from functools import lru_cache
from pathlib import Path

from contingency.errors import Problem, ReferenceDataError, problem
from contingency.resources import MAPS_DIR

VEHICLES_FILE = "vehicles.csv"
MAX_LENGTH_M = 100.0
"""A vehicle longer than this (gap included) is treated as a typo."""


def vehicles_file(maps_dir: Path | None = None) -> Path:
    """The vehicles file of the pack in ``maps_dir``, the bundled one where the pack has none."""
    own = (maps_dir or MAPS_DIR) / VEHICLES_FILE
    return own if own.is_file() else MAPS_DIR / VEHICLES_FILE


def vehicle_length_m(maps_dir: Path | None = None) -> dict[str, float]:
    """Metres of road a queuing vehicle takes (gap included), by mode (``car``, ``bus``,
    ``truck``); a mode not listed (on foot) has no vehicle.

    Raises
    ------
    ReferenceDataError
        Every bad row of the file, one problem each.
    """
    return dict(_read(vehicles_file(maps_dir).resolve()))


@lru_cache(maxsize=8)
def _read(path: Path) -> tuple[tuple[str, float], ...]:
    problems: list[Problem] = []
    out: dict[str, float] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            where = f"line {line}"
            mode = (row.get("mode") or "").strip()
            text = (row.get("length_m") or "").strip()
            try:
                length = float(text)
            except ValueError:
                problems.append(problem(str(path), f"{where}: length_m", "not a number", text))
                continue
            if not mode or mode in out:
                problems.append(problem(str(path), f"{where}: mode", "empty or repeated", mode))
            elif not (math.isfinite(length) and 0 < length <= MAX_LENGTH_M):
                message = f"must be above 0 and at most {MAX_LENGTH_M:g}"
                problems.append(problem(str(path), f"{where}: length_m", message, length))
            else:
                out[mode] = length
    if problems:
        raise ReferenceDataError(problems)
    return tuple(out.items())
