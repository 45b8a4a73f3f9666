"""What the feed saw up to ``now``, as the model needs it.

A border system records a crossing when its processing at our control ends, not when the
person joins the queue: the feed counts people *crossed*, the model's influx counts people
*arriving*. The observed influx of a checkpoint is therefore an approximation, made hour by
hour up to ``now``:

1. the persons' first inbound crossings (a repeat crossing is the same person again, not a new
   arrival) in each hour,
2. less the ordinary inbound travellers the scenario expects there in that hour (they are in
   the feed too; the engine adds its own ordinary traffic): the excess is accumulated and only
   its running maximum counts, so an hour when ordinary travellers were held up does not remove
   arrivals and their catching up later does not add any,
3. plus, in the last hour, the people standing in the observed queue at ``now`` on either side
   (they have arrived but not crossed): the observed vehicles times the persons per vehicle of
   the crossing's mode mix, scaled up for those on foot. Ordinary travellers in that queue are
   not told apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from contingency.domain import Mode
from contingency.errors import Problem
from contingency.feed.ingest import hourly_counts, ingest
from contingency.feed.queues import SIDES, ingest_queues, queues_hourly
from contingency.refdata import RefData
from contingency.scenario import Scenario
from contingency.scenario.influx import largest_remainder, mix_schedule
from contingency.scenario.plan import resolve
from contingency.scenario.sites import with_scenario_places


@dataclass(frozen=True)
class Observed:
    """The feed up to ``now`` (``now_h`` whole hours after the scenario's start)."""

    now: datetime
    now_h: int
    arrivals: dict[str, np.ndarray]
    """Influx persons per checkpoint in hours 1..now_h (item 0 is hour 1)."""
    table: pd.DataFrame
    """Observed rows: facility, kind, time_h, metric, value."""
    figures: dict[str, int]
    """records, unique_persons, repeat_crossings, bad_rows of the feed up to ``now``."""
    problems: list[Problem]
    feed_first: datetime | None
    """The first crossing in the whole feed (None: no good record)."""


def hours_since(start: datetime, when: pd.Series) -> pd.Series:
    """Whole hours from ``start`` to the END of the hour holding each time in ``when`` (UTC)
    that starts an hour: 1 for times in [start, start + 1 h)."""
    return ((when - pd.Timestamp(start)) / pd.Timedelta(hours=1)).apply(math.floor) + 1


def ordinary_inbound(sc: Scenario, ref: RefData, n_hours: int) -> dict[str, np.ndarray]:
    """Ordinary inbound travellers the engine brings to each checkpoint in each hour (trucks
    apart: their drivers are counted in the feed as people too, but the engine does not count
    them among ``baseline_inbound_processed``; a feed's trucks are assumed sparse)."""
    out = {}
    for cp, setup in resolve(sc, ref).checkpoints.items():
        base = setup.baseline
        shares = np.array([base.mode_mix[m].share for m in Mode])
        per_hour = np.zeros(24, dtype=np.int64)
        for n in largest_remainder(shares, base.inbound_persons_per_day):
            per_hour += largest_remainder(np.full(24, 1 / 24), int(n))
        out[cp] = np.resize(per_hour, n_hours)
    return out


def influx_from_crossings(first_in: np.ndarray, ordinary: np.ndarray) -> np.ndarray:
    """Influx persons per hour from first inbound crossings less the ordinary expected: the
    running maximum of the accumulated excess, differenced (never negative)."""
    excess = np.maximum(np.cumsum(first_in - ordinary), 0)
    return np.diff(np.maximum.accumulate(excess), prepend=0).astype(np.int64)


def persons_per_vehicle(sc: Scenario, checkpoint: str, hour: int) -> float:
    """Persons in the queue per queued vehicle at ``checkpoint``: the mode mix in force at
    ``hour`` (a car or a bus is one group), those on foot added by their share."""
    mix = [m for h, m in mix_schedule(sc, checkpoint) if h <= hour][-1]
    vehicles_per_person = sum(mix[m].share / mix[m].mean_group_size for m in (Mode.car, Mode.bus))
    return 1.0 / vehicles_per_person if vehicles_per_person > 0 else 0.0


def _crossings_table(records: pd.DataFrame, start: datetime, now_h: int) -> pd.DataFrame:
    """Per checkpoint and hour: crossings_in (all inbound) and first_crossings_in."""
    hourly = hourly_counts(records)
    inbound = hourly[hourly["direction"] == "in"].copy()
    inbound["time_h"] = hours_since(start, inbound["hour"]).astype(int)
    out = inbound.groupby(["checkpoint_id", "time_h"], sort=True)[
        ["crossings", "first_crossings"]
    ].sum()
    out = out.rename(columns={"crossings": "crossings_in", "first_crossings": "first_crossings_in"})
    return out.reset_index().query("time_h <= @now_h")


def _queue_table(queues: pd.DataFrame, start: datetime, now_h: int) -> pd.DataFrame:
    """Observed rows of the queues: checkpoint_id, time_h, metric, value."""
    if queues.empty:
        return pd.DataFrame(columns=["checkpoint_id", "time_h", "metric", "value"])
    q = queues.assign(
        time_h=((queues["hour_end"] - pd.Timestamp(start)) / pd.Timedelta(hours=1)).round()
    )
    q = q[(q["time_h"] >= 1) & (q["time_h"] <= now_h)].astype({"time_h": int})
    parts = []
    for side, prefix in SIDES.items():
        s = q[q["side"] == side]
        for col in ("queue_vehicles", "queue_km"):
            parts.append(s[["checkpoint_id", "time_h"]].assign(metric=prefix + col, value=s[col]))
    return pd.concat(parts, ignore_index=True)


def _queued_now(sc: Scenario, queue_rows: pd.DataFrame, now_h: int) -> dict[str, int]:
    """Persons in the observed queues (both sides) at ``now`` per checkpoint."""
    at_now = queue_rows[
        (queue_rows["time_h"] == now_h)
        & queue_rows["metric"].isin(["queue_vehicles", "far_queue_vehicles"])
    ]
    vehicles = at_now.groupby("checkpoint_id")["value"].sum()
    return {
        str(cp): round(float(v) * persons_per_vehicle(sc, str(cp), now_h - 1))
        for cp, v in vehicles.items()
    }


def observe(feed_dir: Path, sc: Scenario, ref: RefData, *, start: datetime, now_h: int) -> Observed:
    """Read the feed folder ``feed_dir`` (records and queue observations up to ``now``, which
    is ``now_h`` whole hours after ``start``): the influx per checkpoint and the observed rows.
    Bad rows are left out and returned as problems."""
    known = set(map(str, with_scenario_places(sc, ref).checkpoints.index))
    now = start + pd.Timedelta(hours=now_h)
    ing = ingest(feed_dir, known)
    ing.records["crossed_at"] = pd.to_datetime(ing.records["crossed_at"], utc=True)
    records = ing.records[ing.records["crossed_at"] < pd.Timestamp(now)]
    queues = ingest_queues(feed_dir, known)
    crossings = _crossings_table(records, start, now_h)
    queue_rows = _queue_table(queues_hourly(queues.observations), start, now_h)
    ordinary = ordinary_inbound(sc, ref, now_h)
    queued = _queued_now(sc, queue_rows, now_h)
    arrivals = {}
    for cp in ordinary:
        first = np.zeros(now_h, dtype=np.int64)
        c = crossings[crossings["checkpoint_id"] == cp]
        first[c["time_h"].to_numpy() - 1] = c["first_crossings_in"].to_numpy()
        arrivals[cp] = influx_from_crossings(first, ordinary[cp])
        arrivals[cp][-1] += queued.get(cp, 0)
    long = crossings.melt(["checkpoint_id", "time_h"], var_name="metric", value_name="value")
    table = pd.concat([long, queue_rows], ignore_index=True).rename(
        columns={"checkpoint_id": "facility"}
    )
    table.insert(1, "kind", "checkpoint")
    entering = records[records["direction"] == "in"]
    figures = {
        "records": len(records),
        "unique_persons": int(records["person_key"].nunique()),
        "repeat_crossings": int(len(entering) - entering["person_key"].nunique()),
        "bad_rows": ing.bad_rows + queues.bad_rows,
    }
    earliest = ing.records["crossed_at"].min().to_pydatetime() if len(ing.records) else None
    return Observed(
        now, now_h, arrivals, table, figures, ing.problems + queues.problems, feed_first=earliest
    )
