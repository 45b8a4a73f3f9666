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

        def hours(column: str, default: np.ndarray | None = None) -> np.ndarray:
            """A time column, never reached (NaN) as ``inf``; ``default`` if the table has none."""
            if column not in g.columns and default is not None:
                return default
            times: np.ndarray = np.nan_to_num(g[column].to_numpy(dtype=float), nan=np.inf)
            return times

        arrive = g["arrive_h"].to_numpy(dtype=float)
        turned = (
            g["turned_back"].to_numpy(dtype=bool)
            if "turned_back" in g.columns
            else np.zeros(len(g), dtype=bool)
        )
        return Groups(
            mode=g["mode"].astype(str).to_numpy(),
            arrive_h=arrive,
            turned_back=turned,
            far_start_h=hours("far_start_h", np.where(turned, np.inf, arrive)),
            entry_h=hours("far_end_h", np.where(turned, np.inf, arrive)),
            start_h=hours("start_h"),
            end_h=hours("end_h"),
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
    """Arriving groups as flat arrays (times in hours from the start; ``inf``: never).

    A group arrives at the far side (the neighbour's exit control), queues and is processed
    there, reaches our control (``entry_h``), queues again and is processed by us. A group
    turned back at the far side never queues on either side and never enters."""

    mode: np.ndarray
    arrive_h: np.ndarray
    """Arrival at the far side: the group presents itself at the crossing."""
    turned_back: np.ndarray
    """Mask of the groups turned back at the far side."""
    far_start_h: np.ndarray
    """Processing start at the far side (the end of the wait there)."""
    entry_h: np.ndarray
    """Arrival at our control (the end of processing at the far side)."""
    start_h: np.ndarray
    """Processing start at our control (the end of the wait here)."""
    end_h: np.ndarray
    """Service end at our control: the group has crossed the border."""
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

    def sides(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """Each side's (queue joined, queue left) times: our control, then the far side.
        Turned-back groups never join a queue."""
        return (
            (self.entry_h, self.start_h),
            (np.where(self.turned_back, np.inf, self.arrive_h), self.far_start_h),
        )

    def queuing_at(self, t_h: np.ndarray, *, weights: np.ndarray | None = None) -> np.ndarray:
        """Groups (or the sum of ``weights``) queuing at each time in ``t_h`` on the side with
        the longer queue at that time, each side as the engine counts its queue (joined <= t <
        left: at our control from ``entry_h`` to ``start_h``, at the far side from ``arrive_h``
        to ``far_start_h``); turned-back groups are in neither."""
        w = np.ones_like(self.arrive_h) if weights is None else weights
        near, far = (
            _sum_before(joined, w, t_h) - _sum_before(left, w, t_h) for joined, left in self.sides()
        )
        longer: np.ndarray = np.maximum(near, far)
        return longer


def _sum_before(times: np.ndarray, weights: np.ndarray, t_h: np.ndarray) -> np.ndarray:
    """The sum of ``weights`` whose time is at or before each of ``t_h``."""
    order = np.argsort(times, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(weights[order], dtype=float)])
    return cum[np.searchsorted(times[order], t_h, side="right")]


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
