"""Read a feed folder: validate every record, drop repeated deliveries, link each person's
crossings, and count them hour by hour.

A bad row is reported with its file, line and field and left out; every good row is kept. A
row whose ``person_key`` (or ``vehicle_key``, ``group_key``) does not look like a salted hash
is refused, so no name or document number is ever stored. Records delivered twice (the same
``record_id``) count once. A person's first ``in`` crossing is a *first crossing*; every later
``in`` crossing of the same ``person_key`` is a *repeat crossing*; ``net_stay`` is the persons
in minus the persons out so far. Files named ``queues_*`` hold queue observations and are read
by :mod:`contingency.feed.queues`, not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from contingency.errors import Problem
from contingency.feed.queues import is_queue_file
from contingency.feed.records import (
    HASHED,
    RECORD_COLUMNS,
    UNHASHED,
    field_problems,
    missing_columns,
    read_table,
    times_with_offset,
)

DIRECTIONS = {"in", "out"}
MODES = {"car", "bus", "pedestrian", "truck"}
_HASHED = re.compile(HASHED)
_ALPHA3 = re.compile(r"^[A-Z]{3}$")
KEYS = ("person_key", "vehicle_key", "group_key")
"""Hashed keys: a refused one is never echoed."""


@dataclass
class Ingested:
    """Good records (``crossed_at`` in UTC), what was wrong with the rest, and counts."""

    records: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    duplicates: int = 0
    bad_rows: int = 0


def _row_problems(
    shown: str, frame: pd.DataFrame, checkpoints: set[str]
) -> tuple[np.ndarray, list[Problem]]:
    """Which rows are good, and a problem per bad field (line = the file's line)."""
    for c in ("vehicle_key", "group_key"):
        if c not in frame.columns:
            frame[c] = ""
    when, timed = times_with_offset(frame["crossed_at"])
    checks = {
        "record_id": (
            frame["record_id"].str.len().between(1, 100),
            "is empty or longer than 100 characters",
        ),
        "checkpoint_id": (frame["checkpoint_id"].isin(checkpoints), "unknown checkpoint id"),
        "crossed_at": (timed, "is not an ISO 8601 time with its UTC offset"),
        "direction": (frame["direction"].isin(DIRECTIONS), "must be 'in' or 'out'"),
        "person_key": (frame["person_key"].str.fullmatch(_HASHED), UNHASHED),
        "citizenship": (
            frame["citizenship"].str.fullmatch(_ALPHA3),
            "must be an ISO 3166-1 alpha-3 code",
        ),
        "mode": (frame["mode"].isin(MODES), "must be car, bus, pedestrian or truck"),
        "vehicle_key": (_empty_or_hashed(frame["vehicle_key"]), UNHASHED),
        "group_key": (_empty_or_hashed(frame["group_key"]), UNHASHED),
    }
    good, out = field_problems(shown, frame, checks, hidden=KEYS)
    frame["crossed_at"] = when
    return good, out


def _empty_or_hashed(keys: pd.Series) -> pd.Series:
    return (keys == "") | keys.str.fullmatch(_HASHED)


def ingest(folder: Path, checkpoints: set[str]) -> Ingested:
    """Every ``*.csv`` and ``*.parquet`` in ``folder`` (in name order) but queue files."""
    frames, problems, bad_rows = [], [], 0
    paths = [*folder.glob("*.csv"), *folder.glob("*.parquet")]
    for path in sorted(p for p in paths if not is_queue_file(p)):
        frame = read_table(path)
        if header := missing_columns(str(path), frame, RECORD_COLUMNS[:7]):
            problems += header
            bad_rows += len(frame)
            continue
        good, found = _row_problems(str(path), frame, checkpoints)
        problems += found
        bad_rows += int((~good).sum())
        frames.append(frame.loc[good, list(RECORD_COLUMNS)])
    records = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(RECORD_COLUMNS))
    )
    before = len(records)
    records = records.drop_duplicates("record_id", keep="first").reset_index(drop=True)
    return Ingested(records, problems, before - len(records), bad_rows)


def hourly_counts(records: pd.DataFrame) -> pd.DataFrame:
    """Per hour (UTC, its start), checkpoint, direction and mode: ``crossings``,
    ``first_crossings`` (a person's first ``in``) and ``repeat_crossings`` (a later ``in``)."""
    r = records.sort_values(["crossed_at", "record_id"]).reset_index(drop=True)
    entering = r["direction"] == "in"
    seen_before = r[entering].duplicated("person_key", keep="first")
    r["first"] = False
    r.loc[seen_before.index[~seen_before.to_numpy()], "first"] = True
    r["repeat"] = entering & ~r["first"]
    r["hour"] = r["crossed_at"].dt.floor("h")
    grouped = r.groupby(["hour", "checkpoint_id", "direction", "mode"], sort=True)
    out = grouped.agg(
        crossings=("record_id", "size"),
        first_crossings=("first", "sum"),
        repeat_crossings=("repeat", "sum"),
    ).reset_index()
    return out.astype({"first_crossings": "int64", "repeat_crossings": "int64"})


def feed_summary(ing: Ingested, hourly: pd.DataFrame) -> dict[str, int]:
    r = ing.records
    entering = r[r["direction"] == "in"]
    return {
        "records": len(r),
        "duplicates": ing.duplicates,
        "bad_rows": ing.bad_rows,
        "unique_persons": int(r["person_key"].nunique()),
        "repeat_crossings": int(hourly["repeat_crossings"].sum()),
        "net_stay": int(len(entering) - int((r["direction"] == "out").sum())),
    }
