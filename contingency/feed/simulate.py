"""Crossing records a run would have produced, for exercises run as if live and for tests.

Every person of every group processed at our control gets an ``in`` record at the end of its
processing; ordinary travellers get ``in`` and ``out`` records in the hours they were processed
(uniform within the hour, modes by the map pack's shares). ``repeat_share`` of the influx's
persons go back out and come in again later (the same ``person_key``); ``late_share`` of the
records reach the feed 1-12 hours late, and as many again are delivered twice (the same
``record_id`` in a later file). Records go to one CSV file per hour of delivery,
``records_YYYYMMDDTHH.csv``. Times carry the scenario's UTC offset (``+05:00``, Kazakhstan
time, when its start has none). With ``queues`` on, the road queue on each side of every
checkpoint at the end of every hour goes to ``queues_YYYYMMDD.csv`` (see
:mod:`contingency.feed.queues`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from contingency.feed.queues import simulated_queues, write_queue_files
from contingency.feed.records import ALPHA3, RECORD_COLUMNS, salted
from contingency.refdata import RefData
from contingency.scenario import Scenario
from contingency.scenario.influx import largest_remainder
from contingency.scenario.plan import resolve
from contingency.sim.rng import stream

KAZAKHSTAN_TIME = timezone(timedelta(hours=5))
"""UTC+05:00, Kazakhstan's single time zone since 1 March 2024."""
REPEAT_GAP_H = (6.0, 72.0)
"""A repeat crosser goes back out this many hours after coming in, and comes in again as
many hours later (uniform; an exercise assumption)."""
LATE_H = (1.0, 12.0)


@dataclass(frozen=True)
class FeedSettings:
    repeat_share: float = 0.08
    late_share: float = 0.02
    salt: str = "exercise"
    """Salt of the keys (a real border system keeps its own secret)."""
    queues: bool = True
    """Also write the hourly queue observations."""


def scenario_clock(sc: Scenario) -> datetime:
    """The scenario's hour 0 with its UTC offset (Kazakhstan time when its start has none)."""
    start = sc.start
    return start if start.tzinfo is not None else start.replace(tzinfo=KAZAKHSTAN_TIME)


def influx_records(groups: pd.DataFrame, ref: RefData, s: FeedSettings) -> pd.DataFrame:
    """One ``in`` record per person of each group processed at our control (``end_h``)."""
    done = groups[groups["end_h"].notna()].reset_index(drop=True)
    reps = done["persons"].to_numpy(dtype=np.int64)
    row = np.repeat(np.arange(len(done)), reps)
    k = np.concatenate([np.arange(n) for n in reps]) if len(reps) else np.zeros(0, np.int64)
    cps = done["checkpoint"].to_numpy()[row]
    g_index = done.index.to_numpy()[row]
    citizenship = {
        str(cp): ALPHA3.get(str(ref.checkpoints.at[cp, "neighbour_country"]), "XXX")
        for cp in set(cps)
    }
    person = [f"{cp}:{g}:{j}" for cp, g, j in zip(cps, g_index, k, strict=True)]
    mode = done["mode"].to_numpy()[row]
    return pd.DataFrame(
        {
            "hours": done["end_h"].to_numpy()[row],
            "checkpoint_id": cps,
            "direction": "in",
            "person": person,
            "citizenship": [citizenship[str(c)] for c in cps],
            "mode": mode,
            "vehicle": [
                f"{cp}:{g}" if m in ("car", "bus") else ""
                for cp, g, m in zip(cps, g_index, mode, strict=True)
            ],
            "group": [f"{cp}:{g}" for cp, g in zip(cps, g_index, strict=True)],
        }
    )


def ordinary_records(
    hourly: pd.DataFrame, sc: Scenario, ref: RefData, rng: np.random.Generator
) -> pd.DataFrame:
    """``in`` and ``out`` records of ordinary travellers, hour by hour, modes by the plan's
    shares for each checkpoint's ordinary traffic."""
    if "baseline_inbound_processed" not in hourly.columns:
        return pd.DataFrame(columns=["hours", "checkpoint_id", "direction", "person", "mode"])
    plan = resolve(sc, ref)
    parts = []
    for cp, t in hourly.groupby("checkpoint", sort=False):
        setup = plan.checkpoints.get(str(cp))
        if setup is None:
            continue
        mix = setup.baseline.mode_mix
        modes = [m.value for m in mix]
        shares = np.array([mix[m].share for m in mix])
        for way, column in (
            ("in", "baseline_inbound_processed"),
            ("out", "baseline_outbound_processed"),
        ):
            for h, n in zip(t["time_h"].to_numpy(), t[column].to_numpy(), strict=True):
                if n <= 0:
                    continue
                split = largest_remainder(shares, int(n))
                for m, c in zip(modes, split, strict=True):
                    if c:
                        parts.append((h - 1 + rng.random(int(c)), str(cp), way, m))
    rows = [
        {"hours": x, "checkpoint_id": cp, "direction": way, "mode": m}
        for xs, cp, way, m in parts
        for x in xs.tolist()
    ]
    out = pd.DataFrame(rows, columns=["hours", "checkpoint_id", "direction", "mode"])
    out["person"] = [f"ordinary:{i}" for i in range(len(out))]
    return out


def _record_frame(records: pd.DataFrame, salt: str, start: datetime) -> pd.DataFrame:
    """Records in the feed's columns: salted keys, times with the offset of ``start``."""
    return pd.DataFrame(
        {
            "record_id": [salted(salt, "record", i)[:32] for i in range(len(records))],
            "checkpoint_id": records["checkpoint_id"],
            "crossed_at": [
                (start + timedelta(hours=float(h))).isoformat(timespec="seconds")
                for h in records["hours"]
            ],
            "direction": records["direction"],
            "person_key": [salted(salt, "person", p) for p in records["person"]],
            "citizenship": records["citizenship"],
            "mode": records["mode"],
            "vehicle_key": [
                salted(salt, "vehicle", v) if isinstance(v, str) and v else ""
                for v in records.get("vehicle", pd.Series([""] * len(records)))
            ],
            "group_key": [
                salted(salt, "group", g) if isinstance(g, str) and g else ""
                for g in records.get("group", pd.Series([""] * len(records)))
            ],
        },
        columns=list(RECORD_COLUMNS),
    )


def simulate_feed(
    run_dir: Path, out: Path, settings: FeedSettings = FeedSettings()
) -> dict[str, int]:
    """Write the records of the run in ``run_dir`` into ``out`` (created; files are only
    added), and its queue observations. Returns counts: records, influx persons, repeats, late
    and duplicated records, queue observations."""
    from contingency.errors import InputError, problem
    from contingency.results import load_result
    from contingency.scenario import load_scenario, scenario_refdata

    for name in ("groups.parquet", "checkpoints_hourly.parquet", "scenario.yaml"):
        if not (run_dir / name).is_file():
            raise InputError([problem(str(run_dir), name, "a run folder holds it; this has not")])
    tables, _ = load_result(run_dir)
    sc = load_scenario(run_dir / "scenario.yaml")
    ref = scenario_refdata(sc)
    rng = stream(sc.seed, "feed")
    influx = influx_records(tables["groups"], ref, settings)
    n_hours = sc.horizon_days * 24
    # repeat crossers: out, then in again
    repeat = influx.sample(frac=settings.repeat_share, random_state=int(rng.integers(2**31)))
    gap_out = rng.uniform(*REPEAT_GAP_H, len(repeat))
    gap_in = rng.uniform(*REPEAT_GAP_H, len(repeat))
    back_out = repeat.assign(hours=repeat["hours"] + gap_out, direction="out")
    back_in = repeat.assign(hours=repeat["hours"] + gap_out + gap_in, direction="in")
    ordinary = ordinary_records(tables["checkpoints_hourly"], sc, ref, rng)
    records = pd.concat([influx, back_out, back_in, ordinary], ignore_index=True)
    records = records[records["hours"] <= n_hours].reset_index(drop=True)
    records["citizenship"] = records["citizenship"].fillna("XXX")
    start = scenario_clock(sc)
    frame = _record_frame(records, settings.salt, start)
    delivered = records["hours"].to_numpy().copy()
    late = rng.random(len(frame)) < settings.late_share
    delivered[late] += rng.uniform(*LATE_H, int(late.sum()))
    twice = np.flatnonzero(rng.random(len(frame)) < settings.late_share)
    again = frame.iloc[twice]
    again_at = delivered[twice] + rng.uniform(*LATE_H, len(twice))
    frame = pd.concat([frame, again], ignore_index=True)
    delivered = np.concatenate([delivered, again_at])
    out.mkdir(parents=True, exist_ok=True)
    stamp = [(start + timedelta(hours=float(np.floor(h)))).strftime("%Y%m%dT%H") for h in delivered]
    frame["_file"] = stamp
    for stamp_of, part in frame.groupby("_file", sort=True):
        path = out / f"records_{stamp_of}.csv"
        part.drop(columns="_file").to_csv(path, mode="a", header=not path.exists(), index=False)
    queues = (
        write_queue_files(simulated_queues(tables["checkpoints_hourly"], start), out)
        if settings.queues
        else 0
    )
    return {
        "records": len(frame),
        "influx_persons": len(influx),
        "repeat_crossers": len(repeat),
        "late": int(late.sum()),
        "duplicated": len(twice),
        "queue_observations": queues,
    }
