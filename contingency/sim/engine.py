"""Run a scenario end to end: border (SimPy) -> transfers and centres (hourly) -> tables.

The ledger is checked at every hour: everyone who arrived is in exactly one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy
from tqdm import tqdm

from contingency.errors import LedgerError
from contingency.refdata import RefData
from contingency.scenario import Mode, Scenario
from contingency.sim.border import CheckpointRun, build_border
from contingency.sim.centres import Downstream

LEDGER_FIELDS = (
    "arrived",
    "waiting_at_checkpoints",
    "held_beyond_border",
    "in_transit",
    "in_reception",
    "in_rehabilitation",
    "overflow_waiting",
    "relocated",
    "self_arranged",
    "left_country",
)


@dataclass(frozen=True)
class SimOutput:
    """Tidy hourly tables of one run (time_h = end of the hour, hours from the start)."""

    checkpoints: pd.DataFrame
    centres: pd.DataFrame
    ledger: pd.DataFrame
    transported: pd.DataFrame
    waits: pd.DataFrame
    """One row per checkpoint: persons-weighted p95 and max wait over the whole run."""
    flows: pd.DataFrame
    """Onward placements: day, origin centre, region, persons, travel_h, path."""
    corridors: pd.DataFrame
    """Persons moved onward per road edge and day."""
    regions: pd.DataFrame
    """Per region: capacity, allocated, remaining, preferred (uncapacitated), priority."""
    unmet: pd.DataFrame
    """Per centre and daily allocation (``time_h`` of the allocation): persons ready to leave
    that no region or seat could take."""
    unreachable: pd.DataFrame


def _checkpoint_tables(runs: dict[str, CheckpointRun], n_hours: int):
    hours = np.arange(1, n_hours + 1, dtype=float)
    rows, crossings, waits = [], {}, []
    for cp, run in runs.items():
        arrive = np.concatenate([run.pools[m].arrive_h for m in Mode])
        persons = np.concatenate([run.pools[m].persons for m in Mode])
        start = np.concatenate([run.pools[m].start_h for m in Mode])
        end = start + np.concatenate([run.pools[m].service_h for m in Mode])
        g = {
            k: np.concatenate([getattr(run.groups[m], k) for m in Mode])
            for k in ("to_reception", "to_rehabilitation", "self_arranged", "leaving")
        }
        done = end <= n_hours
        end_bin = np.ceil(end[done]).astype(int)
        crossings[cp] = {
            k: np.bincount(end_bin, weights=v[done], minlength=n_hours + 1).astype(np.int64)
            for k, v in g.items()
        }

        def cum_at(times: np.ndarray, weights: np.ndarray) -> np.ndarray:
            if len(times) == 0:
                return np.zeros(n_hours, dtype=np.int64)
            order = np.argsort(times, kind="stable")
            t, c = times[order], np.cumsum(weights[order])
            idx = np.searchsorted(t, hours, side="right")
            return np.where(idx > 0, c[np.maximum(idx - 1, 0)], 0)

        ones = np.ones_like(persons)
        arrived_c = cum_at(arrive, persons)
        started_c = cum_at(start, persons)
        ended_c = cum_at(end, persons)
        queue_p = arrived_c - started_c
        queue_g = cum_at(arrive, ones) - cum_at(start, ones)
        area = run.setup.waiting_area_persons
        held = np.maximum(queue_p - area, 0)

        started = np.isfinite(start)
        wait = np.where(started, start - arrive, n_hours - arrive)
        sb = np.ceil(start[started]).astype(int).clip(1, n_hours)
        frame = pd.DataFrame({"h": sb, "w": wait[started]})
        q = (
            frame.groupby("h")["w"].quantile([0.5, 0.95]).unstack()
            if len(frame)
            else pd.DataFrame(columns=[0.5, 0.95])
        )
        mx = frame.groupby("h")["w"].max() if len(frame) else pd.Series(dtype=float)
        oldest = _oldest_waiting(arrive, start, hours)
        p50 = q.get(0.5, pd.Series(dtype=float)).reindex(range(1, n_hours + 1)).to_numpy()
        p95 = q.get(0.95, pd.Series(dtype=float)).reindex(range(1, n_hours + 1)).to_numpy()
        wmax = np.fmax(mx.reindex(range(1, n_hours + 1)).to_numpy(), oldest)
        arr_h = np.diff(np.concatenate([[0], arrived_c]))
        proc_h = np.diff(np.concatenate([[0], ended_c]))
        table = pd.DataFrame(
            {
                "time_h": hours.astype(int),
                "checkpoint": cp,
                "arrived": arr_h,
                "processed": proc_h,
                "queue_persons": queue_p,
                "queue_groups": queue_g,
                "at_checkpoint": arrived_c - ended_c,
                "held_beyond_border": held,
                "wait_p50_h": p50,
                "wait_p95_h": p95,
                "wait_max_h": wmax,
                **{f"lanes_{m.value}": run.lanes_log[m] for m in Mode},
            }
        )
        rows.append(table)
        weights = persons.astype(float)
        order = np.argsort(wait)
        cw = np.cumsum(weights[order])
        p95_all = float(wait[order][np.searchsorted(cw, 0.95 * cw[-1])]) if len(wait) else 0.0
        waits.append(
            {
                "checkpoint": cp,
                "p95_wait_h": p95_all,
                "max_wait_h": float(wait.max()) if len(wait) else 0.0,
            }
        )
    return pd.concat(rows, ignore_index=True), crossings, pd.DataFrame(waits)


def _oldest_waiting(arrive: np.ndarray, start: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Age at each hour of the oldest group that has arrived and not yet started."""
    out = np.zeros(len(hours))
    order = np.argsort(arrive, kind="stable")
    a, s = arrive[order], start[order]
    i, n = 0, len(a)
    for k, t in enumerate(hours):
        while i < n and s[i] <= t:  # everything before i has started by t
            i += 1
        if i < n and a[i] <= t:
            out[k] = t - a[i]
    return out


def simulate(
    sc: Scenario,
    ref: RefData,
    *,
    progress: bool = False,
    route: bool = True,
    on_progress: Callable[[float], None] | None = None,
) -> SimOutput:
    """Simulate ``sc`` over its horizon.

    Parameters
    ----------
    progress
        Show a terminal progress bar (it appears only if the run takes more than 2 s).
    route
        Place people leaving centres in regions by daily min-cost flow (default); when False
        they simply count as relocated on leaving.
    on_progress
        Called with the fraction done (0..1) after each simulated day of each stage.

    Raises
    ------
    LedgerError
        If at any hour the people ledger does not balance.
    """
    n_hours = sc.horizon_days * 24
    env = simpy.Environment()
    runs = build_border(env, sc, ref)
    bar = tqdm(total=2 * sc.horizon_days, desc=sc.name, unit="day", delay=2.0, disable=not progress)
    for day in range(1, sc.horizon_days + 1):
        env.run(until=day * 24)
        bar.update(1)
        if on_progress is not None:
            on_progress(day / (2 * sc.horizon_days))
    cp_table, crossings, waits = _checkpoint_tables(runs, n_hours)
    down = Downstream(sc, ref, list(runs), route=route)
    totals = cp_table.groupby("time_h")[["arrived", "held_beyond_border", "at_checkpoint"]].sum()
    arrived_cum = totals["arrived"].cumsum().to_numpy()
    held_h = totals["held_beyond_border"].to_numpy()
    at_cp_h = totals["at_checkpoint"].to_numpy()
    ledger_rows, centre_rows = [], []
    for h in range(1, n_hours + 1):
        for cp, cr in crossings.items():
            down.add_crossings(
                cp,
                reception=int(cr["to_reception"][h]),
                rehabilitation=int(cr["to_rehabilitation"][h]),
                self_arranged=int(cr["self_arranged"][h]),
                leaving=int(cr["leaving"][h]),
            )
        down.step(h)
        held, at_cp = int(held_h[h - 1]), int(at_cp_h[h - 1])
        row = {
            "time_h": h,
            "arrived": int(arrived_cum[h - 1]),
            "waiting_at_checkpoints": at_cp - held,
            "held_beyond_border": held,
            **down.ledger(),
        }
        accounted = sum(row[k] for k in LEDGER_FIELDS[1:])
        if accounted != row["arrived"]:
            raise LedgerError(
                f"{sc.name}: ledger does not balance at hour {h}: arrived {row['arrived']}, "
                f"accounted for {accounted}: {row}"
            )
        ledger_rows.append(row)
        for c in down.centres.values():
            centre_rows.append(
                (
                    h,
                    c.id,
                    c.kind,
                    c.region,
                    c.node,
                    c.beds,
                    c.occupied,
                    c.overflow,
                    c.reg_queue,
                    c.ready,
                    c.intake_last_h,
                )
            )
        if h % 24 == 0:
            bar.update(1)
            if on_progress is not None:
                on_progress(0.5 + h / (48 * sc.horizon_days))
    bar.close()
    centres = pd.DataFrame(
        centre_rows,
        columns=[
            "time_h",
            "centre",
            "kind",
            "region",
            "node",
            "capacity",
            "occupancy",
            "overflow",
            "registration_queue",
            "ready_to_leave",
            "intake",
        ],
    )
    transported = pd.DataFrame(down.transported, columns=list(down.centres))
    transported.insert(0, "day", np.arange(sc.horizon_days))
    return SimOutput(
        cp_table,
        centres,
        pd.DataFrame(ledger_rows),
        transported,
        waits,
        *_routing_tables(down, ref),
    )


def _routing_tables(down: Downstream, ref: RefData) -> tuple[pd.DataFrame, ...]:
    r = down.router
    flows = pd.DataFrame(
        r.flows if r else [], columns=["day", "origin", "region", "persons", "travel_h", "path"]
    )
    edges = [(d, a, b, n) for (d, a, b), n in (r.edges.items() if r else [])]
    corridors = pd.DataFrame(edges, columns=["day", "from", "to", "persons"])
    refs = {
        frozenset((row["from"], row["to"])): row["road_ref"] for _, row in ref.road_edges.iterrows()
    }
    corridors["road_ref"] = [
        refs.get(frozenset((a, b)), "")
        for a, b in zip(corridors["from"], corridors["to"], strict=True)
    ]
    regions = pd.DataFrame(
        {
            "region": list(ref.regions.index),
            "capacity": [r.capacity[i] if r else 0 for i in ref.regions.index],
            "allocated": [r.allocated[i] if r else 0 for i in ref.regions.index],
            "preferred": [r.preferred[i] if r else 0 for i in ref.regions.index],
            "priority": list(ref.regions["resettlement_priority"]),
        }
    )
    regions["remaining"] = regions["capacity"] - regions["allocated"]
    unmet = pd.DataFrame(down.unmet_log, columns=["time_h", "centre", "persons"])
    unreachable = pd.DataFrame(r.unreachable if r else [], columns=["day", "origin", "region"])
    return flows, corridors, regions, unmet, unreachable
