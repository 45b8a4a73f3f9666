"""Replications of a nowcast and their quantiles.

Each replication runs the scenario with its influx replaced, at every checkpoint, by a series
of hourly counts: the observed influx up to ``now`` (:mod:`contingency.nowcast.observe`), then
that replication's own forecast (:mod:`contingency.nowcast.forecast`) to ``now + horizon_h``;
the horizon is cut (or stretched) to the whole days holding ``now + horizon_h``, surge injects
that began before ``now`` are dropped (the feed holds what they did) and ``influx_multiplier``
is set to 1 (the feed's counts are what arrived). Everything else of the scenario stays: its
capacities, its later injects, its ordinary traffic.

Quantiles are taken over the replications for every facility, hour in ``(now, now +
horizon_h]`` and metric, each the value of the replication nearest to it in rank, so P10 <=
P50 <= P90 always and an infinite load (people at a 0-bed centre) stays infinite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from contingency.metrics.gaps import centre_load, centre_present
from contingency.nowcast.forecast import METHOD, TrendFit, fit_trend, forecast_hours
from contingency.nowcast.observe import Observed
from contingency.results import RunResult, run_scenario
from contingency.scenario import Scenario
from contingency.scenario.influx import hour_weights
from contingency.scenario.schema import MAX_HORIZON_DAYS, InfluxSpec, SeriesPoint
from contingency.sim.rng import stream
from contingency.stress.runner import Record, run_replications, seeds_for

if TYPE_CHECKING:
    from dask.distributed import Client

CHECKPOINT_METRICS = (
    "wait_max_h",
    "far_wait_max_h",
    "queue_persons",
    "far_queue_persons",
    "queue_vehicles",
    "queue_km",
    "far_queue_vehicles",
    "far_queue_km",
    "first_crossings_in",
)
"""Forecast metrics of a checkpoint (``first_crossings_in``: persons crossing our control for
the first time, the influx and the ordinary inbound travellers)."""
CENTRE_METRICS = ("load", "present")
"""Forecast metrics of a centre: people per bed and people there."""
QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}
MAX_REPLICATIONS = 500
MAX_HORIZON_H = 168


@dataclass(frozen=True)
class NowcastPlan:
    """What every replication shares: the scenario made ready, the observed influx and each
    crossing's fit (sent to the workers pickled)."""

    base: Scenario
    start: datetime
    now_h: int
    horizon_h: int
    observed: dict[str, np.ndarray]
    fits: dict[str, TrendFit]
    weights: dict[str, np.ndarray]
    """Each crossing's hourly-profile weight of the hours after ``now``."""


def make_plan(sc: Scenario, observed: Observed, *, start: datetime, horizon_h: int) -> NowcastPlan:
    """The nowcast scenario (horizon, injects, multiplier) and the fit of every crossing."""
    now_h = observed.now_h
    days = min(-(-(now_h + horizon_h) // 24), MAX_HORIZON_DAYS)
    injects = [i for i in sc.injects if not (i.kind == "surge" and i.at_h < now_h)]
    base = sc.model_copy(
        update={"horizon_days": days, "injects": injects, "influx_multiplier": 1.0}
    )
    weights = {cp: hour_weights(base, cp)[now_h : now_h + horizon_h] for cp in observed.arrivals}
    fits = {cp: fit_trend(a) for cp, a in observed.arrivals.items()}
    return NowcastPlan(base, start, now_h, horizon_h, observed.arrivals, fits, weights)


def replication_scenario(plan: NowcastPlan, seed: int) -> tuple[Scenario, int]:
    """The scenario of the replication with ``seed`` and its forecast persons in all."""
    influx: dict[str, InfluxSpec] = {}
    forecast_total = 0
    for cp, seen in plan.observed.items():
        ahead = forecast_hours(plan.fits[cp], stream(seed, "nowcast", cp), weights=plan.weights[cp])
        forecast_total += int(ahead.sum())
        hourly = np.concatenate([seen, ahead])
        if not hourly.any():
            continue
        points = [
            SeriesPoint(at=plan.base.start + timedelta(hours=h + 1), persons=int(n))
            for h, n in enumerate(hourly)
        ]
        own = plan.base.influx.get(cp)
        keep = (
            {}
            if own is None
            else own.model_dump(exclude={"daily", "curve", "series"}, exclude_none=True)
        )
        influx[cp] = InfluxSpec.model_validate({**keep, "series": points})
    return plan.base.model_copy(update={"influx": influx}), forecast_total


def _window(result: RunResult, plan: NowcastPlan) -> dict[str, pd.DataFrame]:
    """The hours after ``now`` of a replication: checkpoint and centre metrics, long."""
    lo, hi = plan.now_h, plan.now_h + plan.horizon_h
    cp = result.tables["checkpoints_hourly"]
    cp = cp[(cp["time_h"] > lo) & (cp["time_h"] <= hi)]
    cp = cp.assign(first_crossings_in=cp["processed"] + cp["baseline_inbound_processed"])
    ce = result.tables["centres_hourly"]
    ce = ce[(ce["time_h"] > lo) & (ce["time_h"] <= hi)]
    ce = ce.assign(load=centre_load(ce), present=centre_present(ce))
    return {
        "checkpoints": cp[["checkpoint", "time_h", *CHECKPOINT_METRICS]].reset_index(drop=True),
        "centres": ce[["centre", "kind", "time_h", *CENTRE_METRICS]].reset_index(drop=True),
    }


def replicate_nowcast(sc: Scenario, seed: int, *, plan: NowcastPlan) -> Record:
    """One replication (on a worker): its window tables and its forecast persons, or its seed
    and error. ``sc`` is the plan's scenario, as the stress runner passes it."""
    import traceback

    from contingency.scenario import scenario_refdata

    try:
        rep, total = replication_scenario(plan, seed)
        result = run_scenario(rep, scenario_refdata(sc), seed=seed)
        return {"seed": seed, "forecast_persons": total, **_window(result, plan)}
    except Exception as exc:  # reported per replication; the others go on
        return {
            "seed": seed,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=5),
        }


@dataclass
class Nowcast:
    """A nowcast: the long forecast table, the ``nowcast`` summary and the median replication
    (its full run, for the map)."""

    forecast: pd.DataFrame
    summary: dict[str, Any]
    median: RunResult
    failures: list[Record]


class NowcastFailed(RuntimeError):
    """Every replication failed; ``failures`` holds each seed and its error."""

    def __init__(self, failures: list[Record]):
        self.failures = failures
        lines = [f"replication with seed {f['seed']} failed: {f['error']}" for f in failures]
        super().__init__("every replication failed\n" + "\n".join(lines))


def _in_process(
    sc: Scenario, seeds: list[int], func: Callable[[Scenario, int], Record], *, progress: bool
) -> tuple[list[Record], list[Record]]:
    records: list[Record] = []
    failures: list[Record] = []
    for seed in tqdm(seeds, desc=f"{sc.name} nowcast", unit="run", disable=not progress):
        rec = func(sc, seed)
        (failures if "error" in rec else records).append(rec)
    return records, failures


def _long(records: list[Record]) -> pd.DataFrame:
    """Every replication's window as one long table: facility, kind, time_h, metric, value."""
    parts = []
    for rec in records:
        cp = rec["checkpoints"].rename(columns={"checkpoint": "facility"}).assign(kind="checkpoint")
        parts.append(cp.melt(["facility", "kind", "time_h"], var_name="metric"))
        ce = rec["centres"].rename(columns={"centre": "facility"})
        parts.append(ce.melt(["facility", "kind", "time_h"], var_name="metric"))
    return pd.concat(parts, ignore_index=True).astype({"value": float})


def quantile_table(records: list[Record]) -> pd.DataFrame:
    """P10/P50/P90 per facility, kind, hour and metric over the replications."""
    grouped = _long(records).groupby(["facility", "kind", "time_h", "metric"], sort=True)["value"]
    out = grouped.quantile(np.array(list(QUANTILES.values())), interpolation="nearest").unstack()
    out.columns = list(QUANTILES)
    return out.reset_index()


def _first_red(records: list[Record], thresholds: dict[str, float]) -> pd.DataFrame:
    """Per replication, facility and gap metric: the first hour over the red threshold (NaN
    when it never is within the window)."""
    rows = []
    for i, rec in enumerate(records):
        cp, ce = rec["checkpoints"], rec["centres"]
        sources = (
            (cp, "checkpoint", "max_wait_h", "wait_max_h", thresholds["wait_red_h"]),
            (cp, "checkpoint", "far_wait_h", "far_wait_max_h", thresholds["wait_red_h"]),
            (ce, None, "occupancy_ratio", "load", thresholds["occupancy_red"]),
        )
        for table, kind, metric, column, red in sources:
            key = "checkpoint" if kind else "centre"
            over = table[table[column].fillna(0.0) > red]
            first = over.groupby(key, sort=False)["time_h"].min()
            kinds = table.drop_duplicates(key).set_index(key)["kind"] if kind is None else None
            for facility in table[key].unique():
                rows.append(
                    {
                        "replication": i,
                        "facility": str(facility),
                        "kind": kind or str(kinds[facility]),  # type: ignore[index]
                        "metric": metric,
                        "threshold": red,
                        "first_h": float(first.get(facility, np.nan)),
                    }
                )
    return pd.DataFrame(rows)


def forecast_gaps(
    records: list[Record], thresholds: dict[str, float], *, start: datetime
) -> list[dict[str, Any]]:
    """Each facility and gap metric that goes red in any replication: ``probability_red``
    (the share of replications red within the window) and ``pQ_first_time``, the Q-quantile of
    the first red hour over all replications with one that never goes red counting as never:
    null when fewer than a share Q go red. Most probable first, then earliest."""
    firsts = _first_red(records, thresholds)
    out = []
    for (facility, kind, metric), t in firsts.groupby(["facility", "kind", "metric"], sort=False):
        first = t["first_h"].fillna(np.inf).to_numpy()
        p_red = float(np.isfinite(first).mean())
        if p_red == 0:
            continue
        gap: dict[str, Any] = {"facility": facility, "kind": kind, "metric": metric}
        gap |= {"threshold": float(t["threshold"].iloc[0]), "probability_red": round(p_red, 4)}
        for name, q in QUANTILES.items():
            h = float(np.quantile(first, q, method="inverted_cdf"))
            finite = bool(np.isfinite(h))
            gap[f"{name}_first_h"] = h if finite else None
            gap[f"{name}_first_time"] = (start + timedelta(hours=h)).isoformat() if finite else None
        out.append(gap)
    return sorted(
        out, key=lambda g: (-g["probability_red"], g["p50_first_h"] or 1e18, g["facility"])
    )


def _with_times(table: pd.DataFrame, start: datetime) -> pd.DataFrame:
    """Add ``time`` (ISO, with the offset, the end of the hour) beside ``time_h``."""
    stamps = {h: (start + timedelta(hours=int(h))).isoformat() for h in table["time_h"].unique()}
    out = table.assign(time=table["time_h"].map(stamps))
    return out[["facility", "kind", "time", "time_h", "metric", "p10", "p50", "p90", "observed"]]


def forecast_table(observed: Observed, records: list[Record], *, start: datetime) -> pd.DataFrame:
    """``forecast_hourly``: observed rows (p10 = p50 = p90 = the feed's value) up to ``now``,
    then the replications' quantiles."""
    seen = observed.table
    seen = seen.assign(**{k: seen["value"].astype(float) for k in QUANTILES}, observed=True)
    ahead = quantile_table(records).assign(observed=False)
    both = pd.concat([seen.drop(columns="value"), ahead], ignore_index=True)
    both = both.astype({"time_h": "int64", "observed": bool, "facility": str, "kind": str})
    return _with_times(both, start).sort_values(["facility", "metric", "time_h"], ignore_index=True)


def _median(records: list[Record]) -> Record:
    """The replication whose forecast persons are the median (the lower one of two)."""
    order = sorted(records, key=lambda r: (r["forecast_persons"], r["seed"]))
    return order[(len(order) - 1) // 2]


def run_nowcast(
    sc: Scenario,
    observed: Observed,
    *,
    start: datetime,
    replications: int = 20,
    horizon_h: int = 72,
    client: Client | None = None,
    progress: bool = False,
) -> Nowcast:
    """Replicate the nowcast of ``sc`` from ``observed`` (``start``: the scenario's hour 0 with
    its offset) on ``client``, or in this process when None; :class:`NowcastFailed` when every
    replication failed."""
    from contingency.scenario import scenario_refdata

    plan = make_plan(sc, observed, start=start, horizon_h=horizon_h)
    seeds = seeds_for(sc.seed, replications)
    func = partial(replicate_nowcast, plan=plan)
    if client is None:
        records, failures = _in_process(plan.base, seeds, func, progress=progress)
    else:
        reps = run_replications(plan.base, seeds, client, progress=progress, func=func)
        records, failures = reps.records, reps.failures
    if not records:
        raise NowcastFailed(failures)
    median = _median(records)
    rep, _ = replication_scenario(plan, median["seed"])
    result = run_scenario(rep, scenario_refdata(rep), seed=median["seed"])
    thresholds = sc.thresholds.model_dump()
    summary = {
        "now": observed.now.isoformat(),
        "now_h": observed.now_h,
        "horizon_h": horizon_h,
        "replications": len(records),
        "seeds": [r["seed"] for r in records],
        "median_seed": median["seed"],
        **observed.figures,
        "method": METHOD,
        "forecast_gaps": forecast_gaps(records, thresholds, start=start),
    }
    return Nowcast(forecast_table(observed, records, start=start), summary, result, failures)
