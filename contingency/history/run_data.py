"""A run as the observables read it: its tables, its summary, and an observation's dates as a
window of hours from the run's start."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from contingency.history.observation import ALL, Observation

TABLES = ("checkpoints_hourly", "centres_hourly", "ledger_hourly", "groups")
"""The engine tables the observables read."""


@dataclass(frozen=True)
class RunData:
    """The tables and ``summary.json`` of one run (simulated now or read from a folder)."""

    tables: Mapping[str, pd.DataFrame]
    summary: Mapping[str, Any]

    @classmethod
    def from_folder(cls, folder: str | Path) -> RunData:
        """The tables and summary of a saved run folder."""
        folder = Path(folder)
        tables = {n: pd.read_parquet(folder / f"{n}.parquet") for n in TABLES}
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        return cls(tables, summary)

    @property
    def start(self) -> datetime:
        """The scenario's start: hour 0 of the run."""
        return datetime.fromisoformat(str(self.summary["start"]))

    @property
    def horizon_h(self) -> float:
        return float(self.summary["horizon_days"]) * 24.0

    def groups(self, *, checkpoint: str = ALL, modes: tuple[str, ...] | None = None) -> Groups:
        """The arriving groups at ``checkpoint`` (or every checkpoint) of ``modes`` (or all)."""
        g = self.tables["groups"]
        keep = np.ones(len(g), dtype=bool)
        if checkpoint != ALL:
            keep &= (g["checkpoint"] == checkpoint).to_numpy()
        if modes is not None:
            keep &= g["mode"].isin(modes).to_numpy()
        g = g.loc[keep]
        return Groups(
            mode=g["mode"].astype(str).to_numpy(),
            arrive_h=g["arrive_h"].to_numpy(dtype=float),
            start_h=np.nan_to_num(g["start_h"].to_numpy(dtype=float), nan=np.inf),
            end_h=np.nan_to_num(g["end_h"].to_numpy(dtype=float), nan=np.inf),
            persons=g["persons"].to_numpy(dtype=float),
            sheltered=(g["to_reception"] + g["to_rehabilitation"]).to_numpy(dtype=float),
            self_arranged=g["self_arranged"].to_numpy(dtype=float),
            leaving=g["leaving"].to_numpy(dtype=float),
        )

    def centres(self, target: str) -> pd.DataFrame:
        """Per hour end (``time_h``), summed over the centres ``target`` names (a centre id, a
        region code, or ``all``): capacity, occupancy, overflow, registration queue, intake and
        ``present`` (in beds, in overflow and registering)."""
        c = self.tables["centres_hourly"]
        if target != ALL:
            c = c[(c["centre"] == target) | (c["region"] == target)]
        cols = ["capacity", "occupancy", "overflow", "registration_queue", "intake"]
        hourly = c.groupby("time_h")[cols].sum()
        hourly = hourly.reindex(range(1, int(self.horizon_h) + 1), fill_value=0)
        hourly["present"] = hourly["occupancy"] + hourly["overflow"] + hourly["registration_queue"]
        return hourly


@dataclass(frozen=True)
class Groups:
    """Arriving groups as flat arrays (times in hours from the start; ``inf``: never)."""

    mode: np.ndarray
    arrive_h: np.ndarray
    start_h: np.ndarray
    """Service start (the end of the wait)."""
    end_h: np.ndarray
    """Service end: the group has crossed the border."""
    persons: np.ndarray
    sheltered: np.ndarray
    """Persons of the group who need shelter (to reception or rehabilitation)."""
    self_arranged: np.ndarray
    leaving: np.ndarray

    def crossed_in(self, w: Window) -> np.ndarray:
        """Mask of the groups whose service ended within ``w``."""
        return (self.end_h >= w.from_h) & (self.end_h < w.to_h)

    def arrived_in(self, w: Window) -> np.ndarray:
        """Mask of the groups that arrived within ``w``."""
        return (self.arrive_h >= w.from_h) & (self.arrive_h < w.to_h)

    def queuing_at(self, t_h: np.ndarray, *, weights: np.ndarray | None = None) -> np.ndarray:
        """Groups (or the sum of ``weights``) that have arrived and not yet started service at
        each time in ``t_h``, as the engine counts its queue (arrived <= t < start)."""
        w = np.ones_like(self.arrive_h) if weights is None else weights
        return np.array([float(w[(self.arrive_h <= t) & (self.start_h > t)].sum()) for t in t_h])


@dataclass(frozen=True)
class Window:
    """An observation's dates as hours from the run's start, clipped to the run."""

    from_h: float
    to_h: float
    clipped: bool
    """Part of the observed dates lies outside the run's horizon."""

    @property
    def days(self) -> float:
        return (self.to_h - self.from_h) / 24.0

    def hour_ends(self) -> np.ndarray:
        """The whole hours ``time_h`` whose hour lies within the window (ends in (from, to])."""
        first = int(np.floor(self.from_h)) + 1
        last = int(np.floor(self.to_h))
        return np.arange(first, last + 1, dtype=int)


def window(obs: Observation, run: RunData) -> Window | None:
    """The observation's dates as a window of the run, or None when none of it is in the run."""
    t0, t1 = obs.hours_from(run.start)
    lo, hi = max(t0, 0.0), min(t1, run.horizon_h)
    if hi <= lo:
        return None
    return Window(lo, hi, clipped=(lo, hi) != (t0, t1))
