"""Capacity gaps: where and from when a facility crosses the scenario's amber/red thresholds."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from contingency.scenario.schema import Thresholds


def centre_present(centres: pd.DataFrame) -> pd.Series:
    """People at a centre: in beds, in overflow and registering."""
    return centres["occupancy"] + centres["overflow"] + centres["registration_queue"]


def centre_load(centres: pd.DataFrame) -> pd.Series:
    """People at a centre per bed: 0 when empty, infinite when people wait at a 0-bed centre."""
    present = centre_present(centres)
    beds = centres["capacity"].where(centres["capacity"] > 0)
    return (present / beds).fillna(present.gt(0).map({True: float("inf"), False: 0.0}))


def _first_over(times: pd.Series, values: pd.Series, limit: float) -> float | None:
    over = times[values > limit]
    return float(over.iloc[0]) if len(over) else None


def _gap(
    facility: str,
    kind: str,
    metric: str,
    value: float,
    times: pd.Series,
    values: pd.Series,
    amber: float,
    red: float,
    start: datetime,
) -> dict | None:
    for severity, limit in (("red", red), ("amber", amber)):
        first_h = _first_over(times, values, limit)
        if first_h is not None:
            return {
                "facility": facility,
                "kind": kind,
                "severity": severity,
                "metric": metric,
                "value": round(float(value), 3),
                "threshold": limit,
                "first_time": (start + timedelta(hours=first_h)).isoformat(),
                "first_h": first_h,
            }
    return None


def find_gaps(
    checkpoints: pd.DataFrame, centres: pd.DataFrame, thresholds: Thresholds, start: datetime
) -> list[dict]:
    """One entry per facility at its worst severity, red first, then by when it starts."""
    gaps = []
    for cp, t in checkpoints.groupby("checkpoint", sort=False):
        w = t["wait_max_h"].fillna(0.0)
        g = _gap(
            cp,
            "checkpoint",
            "max_wait_h",
            w.max(),
            t["time_h"],
            w,
            thresholds.wait_amber_h,
            thresholds.wait_red_h,
            start,
        )
        if g:
            gaps.append(g)
    load = centre_load(centres)
    for cid, t in centres.groupby("centre", sort=False):
        lo = load.loc[t.index]
        g = _gap(
            cid,
            t["kind"].iloc[0],
            "occupancy_ratio",
            lo.max(),
            t["time_h"],
            lo,
            thresholds.occupancy_amber,
            thresholds.occupancy_red,
            start,
        )
        if g:
            gaps.append(g)
    return sorted(gaps, key=lambda g: (g["severity"] != "red", g["first_h"], g["facility"]))


def unmet_gaps(unmet: pd.DataFrame, centres: pd.DataFrame, start: datetime) -> list[dict]:
    """Red gap per centre where people ready to move on found no place or seat."""
    kinds = centres.drop_duplicates("centre").set_index("centre")["kind"]
    out = []
    for cid, t in unmet[unmet["persons"] > 0].groupby("centre", sort=False):
        first_h = float(t["time_h"].iloc[0])
        out.append(
            {
                "facility": cid,
                "kind": kinds.get(cid, ""),
                "severity": "red",
                "metric": "unmet_onward_demand",
                "value": int(t["persons"].max()),
                "threshold": 0,
                "first_time": (start + timedelta(hours=first_h)).isoformat(),
                "first_h": first_h,
            }
        )
    return out


def format_gap_value(gap: dict) -> str:
    """A gap's worst value as a reader expects it: hours, a percentage of beds, or persons."""
    v = gap["value"]
    if gap["metric"] == "occupancy_ratio":
        return "∞" if v == float("inf") else f"{v:.0%}"
    if gap["metric"] == "max_wait_h":
        return f"{v:,.1f}"
    return f"{int(v):,}"
