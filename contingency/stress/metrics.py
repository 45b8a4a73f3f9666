"""Compact per-replication figures: peaks, red crossings and red-gap person-hours.

Red-gap person-hours count, hour by hour, the people caught in a red gap: everyone queueing
on a side of a checkpoint (ours or the far side, the neighbour's exit control) whose longest wait
on that side is over the red threshold; everyone at a centre beyond its
red capacity (people per bed over ``occupancy_red``); everyone ready to move on that no region
or seat could take (24 h per daily allocation that left them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from contingency.metrics.gaps import centre_load, centre_present
from contingency.refdata import RefData
from contingency.results import RunResult, final_ledger, run_demand
from contingency.scenario import Scenario
from contingency.scenario.sites import with_scenario_places
from contingency.sim.engine import simulate
from contingency.sim.prepared import prepared_for


def facility_figures(tables: dict[str, pd.DataFrame], thresholds: dict) -> pd.DataFrame:
    """One row per facility: kind, metric, peak, red (bool), red_person_hours.

    A checkpoint's peak is the longer of the two sides' longest waits, and its red
    person-hours count the queue on each side in the hours that side's wait is red."""
    rows = []
    red_wait = thresholds["wait_red_h"]
    t = tables["checkpoints_hourly"]
    names, order, bounds = _facilities(t["checkpoint"])
    near = t["wait_max_h"].fillna(0.0).to_numpy()[order]
    far = t["far_wait_max_h"].fillna(0.0).to_numpy()[order]
    queue = t["queue_persons"].to_numpy()[order]
    far_queue = t["far_queue_persons"].to_numpy()[order]
    for cp, s in zip(names, _spans(bounds), strict=True):
        wait = np.maximum(near[s], far[s])
        red_ph = queue[s][near[s] > red_wait].sum() + far_queue[s][far[s] > red_wait].sum()
        rows.append(
            {
                "facility": cp,
                "kind": "checkpoint",
                "metric": "max_wait_h",
                "peak": float(wait.max()),
                "red": bool((wait > red_wait).any()),
                "red_person_hours": float(red_ph),
            }
        )
    red_occ = thresholds["occupancy_red"]
    unmet = tables["unmet_daily"].groupby("centre")["persons"].sum() * 24.0
    c = tables["centres_hourly"]
    names, order, bounds = _facilities(c["centre"])
    load = centre_load(c).to_numpy()[order]
    beyond = np.maximum(centre_present(c) - red_occ * c["capacity"], 0.0).to_numpy()[order]
    kinds = c["kind"].to_numpy()[order]
    for cid, s in zip(names, _spans(bounds), strict=True):
        rows.append(
            {
                "facility": cid,
                "kind": kinds[s.start],
                "metric": "occupancy_ratio",
                "peak": float(load[s].max()),
                "red": bool((load[s] > red_occ).any() or unmet.get(cid, 0) > 0),
                "red_person_hours": float(beyond[s].sum() + unmet.get(cid, 0.0)),
            }
        )
    return pd.DataFrame(rows)


def _facilities(keys: pd.Series) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The facilities in ``keys`` in the order they first appear, the row order that puts
    each one's rows together (in their order), and where each one's rows start and end."""
    codes, uniques = pd.factorize(keys)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return [str(u) for u in uniques], order, bounds


def _spans(bounds: np.ndarray) -> list[slice]:
    return [slice(a, b) for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)]


def replication_record(result: RunResult) -> dict:
    """What a replication sends back: its seed, the facility figures, the total, the persons
    ``arrived`` (the ledger's: past the far side) and ``presented`` (at the far side)."""
    return _record(
        result.tables,
        result.summary["thresholds"],
        seed=result.summary["seed"],
        arrived=result.summary["ledger"]["arrived"],
        presented=result.summary["demand"]["presented"],
    )


def lean_replication(sc: Scenario, ref: RefData, *, seed: int) -> dict:
    """:func:`replication_record` of ``run_scenario(sc, ref, seed=seed)``, equal to it in every
    figure, from a lean run (:func:`~contingency.sim.engine.simulate` with ``lean``): no
    summary, no groups, needs or routing tables; the ledger and demand checks as in a full run.
    The scenario's seed-free part is kept for the next replication
    (:func:`~contingency.sim.prepared.prepared_for`).

    Raises
    ------
    LedgerError
        As :func:`~contingency.results.run_scenario` does.
    """
    sc = sc.model_copy(update={"seed": seed})
    ref = with_scenario_places(sc, ref)
    out = simulate(sc, ref, lean=True, prepared=prepared_for(sc, ref))
    ledger = final_ledger(out)
    tables = {
        "checkpoints_hourly": out.checkpoints,
        "centres_hourly": out.centres,
        "unmet_daily": out.unmet,
    }
    return _record(
        tables,
        sc.thresholds.model_dump(),
        seed=seed,
        arrived=ledger["arrived"],
        presented=run_demand(out, ledger)["presented"],
    )


def _record(
    tables: dict[str, pd.DataFrame], thresholds: dict, *, seed: int, arrived: int, presented: int
) -> dict:
    figs = facility_figures(tables, thresholds)
    return {
        "seed": seed,
        "facilities": figs.to_dict("records"),
        "red_person_hours": float(figs["red_person_hours"].sum()),
        "arrived": arrived,
        "presented": presented,
    }
