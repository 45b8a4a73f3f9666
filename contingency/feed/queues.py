"""Queue observations: how long the queue stood at a crossing, hour by hour, on either side.

Optional files in the feed folder, named ``queues_*.csv`` (or ``queues_*.parquet``) so they are
never read as crossing records. Columns: ``checkpoint_id``, ``observed_at`` (ISO 8601 with a UTC
offset: the queue at that moment), ``side`` (``near``: our control; ``far``: the neighbour's
exit control), ``queue_vehicles`` (a whole number >= 0) and ``queue_km`` (>= 0).

Ingestion keeps every good row and reports each bad field with its file and line, as for the
records. The hourly table keeps one observation per checkpoint, side and hour: the last one
observed in it, at the hour's end ``hour_end`` (an observation at 10:00 exactly is the queue
at the end of the hour 09:00-10:00, as a run's ``checkpoints_hourly`` counts its ``time_h``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from contingency.errors import Problem
from contingency.feed.records import (
    field_problems,
    missing_columns,
    read_table,
    times_with_offset,
)

QUEUE_PREFIX = "queues_"
"""Files whose name starts with this hold queue observations, not crossing records."""
QUEUE_COLUMNS = ("checkpoint_id", "observed_at", "side", "queue_vehicles", "queue_km")
SIDES = {"near": "", "far": "far_"}
"""Each side and the prefix of its columns in a run's ``checkpoints_hourly``."""
_WHOLE = re.compile(r"^\s*\d+\s*$")


def is_queue_file(path: Path) -> bool:
    """Whether ``path`` is a queue observation file (by its name)."""
    return path.name.startswith(QUEUE_PREFIX)


@dataclass
class QueuesIngested:
    """Good observations (``observed_at`` in UTC) and what was wrong with the rest."""

    observations: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    bad_rows: int = 0
    files: int = 0


def _checks(
    frame: pd.DataFrame, checkpoints: set[str]
) -> tuple[dict[str, tuple[pd.Series, str]], pd.Series]:
    """Each column's check and why a value fails it; ``observed_at`` becomes UTC times."""
    when, timed = times_with_offset(frame["observed_at"])
    km = pd.to_numeric(frame["queue_km"], errors="coerce")
    vehicles = frame["queue_vehicles"].str.fullmatch(_WHOLE)
    return {
        "checkpoint_id": (frame["checkpoint_id"].isin(checkpoints), "unknown checkpoint id"),
        "observed_at": (timed, "is not an ISO 8601 time with its UTC offset"),
        "side": (frame["side"].isin(SIDES), "must be 'near' or 'far'"),
        "queue_vehicles": (vehicles, "must be a whole number of vehicles, 0 or more"),
        "queue_km": (km.ge(0) & np.isfinite(km), "must be a length in km, 0 or more"),
    }, when


def _file_problems(
    shown: str, frame: pd.DataFrame, checkpoints: set[str]
) -> tuple[np.ndarray, list[Problem]]:
    """Which rows are good, and a problem per bad field (line = the file's line)."""
    checks, when = _checks(frame, checkpoints)
    good, out = field_problems(shown, frame, checks)
    frame["observed_at"] = when
    return good, out


def ingest_queues(folder: Path, checkpoints: set[str]) -> QueuesIngested:
    """Every ``queues_*.csv`` and ``queues_*.parquet`` in ``folder`` (in name order)."""
    paths = sorted(
        p for p in [*folder.glob("*.csv"), *folder.glob("*.parquet")] if is_queue_file(p)
    )
    frames, problems, bad_rows = [], [], 0
    for path in paths:
        frame = read_table(path)
        if header := missing_columns(str(path), frame, QUEUE_COLUMNS):
            problems += header
            bad_rows += len(frame)
            continue
        good, found = _file_problems(str(path), frame, checkpoints)
        problems += found
        bad_rows += int((~good).sum())
        part = frame.loc[good, list(QUEUE_COLUMNS)]
        frames.append(
            part.astype({"queue_vehicles": "int64"}).assign(queue_km=part["queue_km"].astype(float))
        )
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in QUEUE_COLUMNS})
    obs = pd.concat(frames, ignore_index=True) if frames else empty
    return QueuesIngested(obs, problems, bad_rows, len(paths))


def queues_hourly(observations: pd.DataFrame) -> pd.DataFrame:
    """One row per checkpoint, side and hour: the last observation in the hour ending at
    ``hour_end`` (UTC)."""
    columns = ["checkpoint_id", "side", "hour_end", "observed_at", "queue_vehicles", "queue_km"]
    if observations.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    obs = observations.assign(hour_end=observations["observed_at"].dt.ceil("h"))
    obs = obs.sort_values(["checkpoint_id", "side", "observed_at"], kind="stable")
    last = obs.groupby(["checkpoint_id", "side", "hour_end"], sort=True).tail(1)
    return last[columns].reset_index(drop=True)


def simulated_queues(checkpoints_hourly: pd.DataFrame, start: datetime) -> pd.DataFrame:
    """The queue observations a run would have given: each checkpoint's road queue on each
    side at the end of every hour (``start``: the scenario's hour 0, with its UTC offset)."""
    parts = []
    for side, prefix in SIDES.items():
        t = checkpoints_hourly
        parts.append(
            pd.DataFrame(
                {
                    "checkpoint_id": t["checkpoint"].astype(str),
                    "time_h": t["time_h"].astype(int),
                    "side": side,
                    "queue_vehicles": t[f"{prefix}queue_vehicles"].fillna(0).astype("int64"),
                    "queue_km": t[f"{prefix}queue_km"].fillna(0.0).astype(float).round(3),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True).sort_values(["time_h", "checkpoint_id", "side"])
    out.insert(
        1,
        "observed_at",
        [(start + timedelta(hours=int(h))).isoformat(timespec="seconds") for h in out["time_h"]],
    )
    return out.drop(columns="time_h").reset_index(drop=True)


def write_queue_files(queues: pd.DataFrame, out: Path) -> int:
    """Write ``queues`` into one ``queues_YYYYMMDD.csv`` per day of observation (its local date;
    files are only added to); return how many rows."""
    day = queues["observed_at"].str.slice(0, 10).str.replace("-", "", regex=False)
    for stamp, part in queues.groupby(day.to_numpy(), sort=True):
        path = out / f"{QUEUE_PREFIX}{stamp}.csv"
        part.to_csv(path, mode="a", header=not path.exists(), index=False)
    return len(queues)
