"""Which moment of a run the board and the exports open on, its label on the clock, and the
run's peaks with when they happen.

``time_h`` is the end of an hour, counted from the scenario's ``start``: ``time_h = 1`` is the
first hour of the run, from ``start`` to ``start + 1 h``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TypedDict

import numpy as np
import pandas as pd

from contingency.i18n import t
from contingency.i18n import t as text

_WAIT_COLUMNS = (("wait_max_h", "near"), ("far_wait_max_h", "far"))
"""Longest waits per side in ``checkpoints_hourly`` (older runs hold only our side)."""
_QUEUE_COLUMNS = ("queue_persons", "held_beyond_border", "far_queue_persons")


class Peaks(TypedDict):
    """The worst of a run at the border and in shelter, and when each happens first."""

    wait_h: float
    """Longest wait on either side of any checkpoint, h (0.0 when no one waited)."""
    wait_time_h: int | None
    """The first hour (``time_h``) with that wait; None when no one waited."""
    wait_checkpoint: str | None
    """The checkpoint with that wait."""
    wait_side: str | None
    """``near`` (our control) or ``far`` (the neighbour's exit control)."""
    without_bed: int
    """Most people without a bed at one hour (overflow at the centres)."""
    without_bed_time_h: int | None
    """The first hour with that many; None when everyone had a bed."""


def _border_by_hour(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per hour: the longest wait on either side (``wait_h``) and the people waiting at the
    border (``waiting``: our queue, held beyond it, queuing at the far side)."""
    cps = tables["checkpoints_hourly"]
    waits = [c for c, _ in _WAIT_COLUMNS if c in cps]
    queues = [c for c in _QUEUE_COLUMNS if c in cps]
    by_hour = cps.groupby("time_h")
    out = pd.DataFrame(
        {
            "wait_h": by_hour[waits].max().max(axis=1).fillna(0.0),
            "waiting": by_hour[queues].sum().sum(axis=1),
        }
    )
    hours = tables["ledger_hourly"]["time_h"]
    return out.reindex(hours.to_numpy(), fill_value=0).rename_axis("time_h")


def worst_border_hour(tables: Mapping[str, pd.DataFrame]) -> int | None:
    """The hour with the longest wait on either side of any checkpoint (ties: the most people
    waiting at the border, then the earliest); None when no one ever waited at the border."""
    border = _border_by_hour(tables)
    if not (border["wait_h"].gt(0).any() or border["waiting"].gt(0).any()):
        return None
    order = np.lexsort((-border.index.to_numpy(), border["waiting"], border["wait_h"]))
    return int(border.index[order[-1]])


def worst_shelter_hour(tables: Mapping[str, pd.DataFrame]) -> int | None:
    """The first hour with the most people without a bed; None when everyone had one."""
    led = tables["ledger_hourly"]
    if not led["overflow_waiting"].gt(0).any():
        return None
    return int(led["time_h"].to_numpy()[int(np.argmax(led["overflow_waiting"].to_numpy()))])


def default_moment(tables: Mapping[str, pd.DataFrame]) -> int:
    """The hour the board and the exports open on: the worst border moment
    (:func:`worst_border_hour`); for a run where no one waited at the border, the worst shelter
    moment; else the last hour."""
    hour = worst_border_hour(tables)
    if hour is None:
        hour = worst_shelter_hour(tables)
    return hour if hour is not None else int(tables["ledger_hourly"]["time_h"].max())


def peaks(tables: Mapping[str, pd.DataFrame]) -> Peaks:
    """The run's peaks beside the figures of the moment shown: the longest border wait with
    where and when, and the most people without a bed with when (see :class:`Peaks`)."""
    cps = tables["checkpoints_hourly"]
    wait_h, wait_time, wait_cp, wait_side = 0.0, None, None, None
    for col, side in _WAIT_COLUMNS:
        if col not in cps or not cps[col].notna().any():
            continue
        ranked = cps.loc[cps[col].notna()].sort_values(["time_h"], kind="stable")
        row = ranked.iloc[int(np.argmax(ranked[col].to_numpy()))]
        if float(row[col]) > wait_h:
            wait_h, wait_time = float(row[col]), int(row["time_h"])
            wait_cp, wait_side = str(row["checkpoint"]), side
    shelter = worst_shelter_hour(tables)
    led = tables["ledger_hourly"]
    overflow = dict(zip(led["time_h"], led["overflow_waiting"], strict=True))
    return Peaks(
        wait_h=round(wait_h, 1),
        wait_time_h=wait_time,
        wait_checkpoint=wait_cp,
        wait_side=wait_side,
        without_bed=0 if shelter is None else int(overflow[shelter]),
        without_bed_time_h=shelter,
    )


def clock_span(start: datetime, time_h: int) -> str:
    """The hour ending at ``time_h`` on the clock: ``"2027-03-03 23:00–24:00"`` (an hour
    ending at midnight ends at 24:00 of its own date)."""
    begin = start + timedelta(hours=time_h - 1)
    end = begin + timedelta(hours=1)
    end_txt = "24:00" if end.date() != begin.date() else end.strftime("%H:%M")
    return f"{begin.strftime('%Y-%m-%d %H:%M')}–{end_txt}"


def scenario_day(time_h: int) -> tuple[int, int]:
    """(day, hour) of the scenario that ``time_h`` ends: day 1 is the first 24 hours from the
    start, the hour is 1 to 24 within it (24: the day's last hour, its end)."""
    return (time_h - 1) // 24 + 1, (time_h - 1) % 24 + 1


def moment_label(start: datetime, time_h: int, lang: str) -> str:
    """The moment shown, in ``lang``: the hour on the clock (from the scenario's ``start``),
    the day of the scenario and the hour within that day, e.g. ``"Показано: 2027-03-03
    23:00–24:00 (сутки 3, час 24) · конец суток 3"``: the last hour of a day says it is the
    day's end. The board and every export label a moment with this."""
    day, hour = scenario_day(time_h)
    label = t("time.moment", lang, moment=clock_span(start, time_h), day=day, hour=hour)
    return f"{label} · {text('export.day_end', lang, day=day)}" if hour == 24 else label


def at_label(start: datetime, time_h: int | None) -> str:
    """When a peak happens, on the clock (``"2027-03-06 13:00–14:00"``); a dash for never."""
    return "—" if time_h is None else clock_span(start, time_h)
