"""Capacity gaps: where and from when a facility crosses the scenario's amber/red thresholds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, TypedDict

import pandas as pd

from contingency.scenario.schema import Thresholds

Severity = Literal["red", "amber"]
GapMetric = Literal["max_wait_h", "far_wait_h", "occupancy_ratio", "unmet_onward_demand"]

CHECKPOINT_WAITS: tuple[tuple[GapMetric, str], ...] = (
    ("max_wait_h", "wait_max_h"),
    ("far_wait_h", "far_wait_max_h"),
)
"""A checkpoint's wait gaps and their ``checkpoints_hourly`` columns: our control, then the far
side (the neighbour's exit control); the same wait thresholds apply to both sides."""


class Gap(TypedDict):
    """A facility over a threshold: its worst value and when it first crossed (``summary.json``
    ``gaps`` items; the keys are a contract)."""

    facility: str
    kind: str
    severity: Severity
    metric: GapMetric
    value: float
    """Worst value: hours (``max_wait_h`` at our control, ``far_wait_h`` at the far side),
    people per bed (``occupancy_ratio``) or persons."""
    threshold: float
    first_time: str
    """ISO date and time of ``first_h``."""
    first_h: float
    """Hours from the scenario start."""


def gap_order(gap: Gap) -> tuple[bool, float, str]:
    """Sort key: red first, then by when the gap starts, then by facility."""
    return (gap["severity"] != "red", gap["first_h"], gap["facility"])


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
    metric: GapMetric,
    *,
    times: pd.Series,
    values: pd.Series,
    amber: float,
    red: float,
    start: datetime,
) -> Gap | None:
    """The gap of one facility at its worst severity (value: the maximum of ``values``)."""
    levels: tuple[tuple[Severity, float], ...] = (("red", red), ("amber", amber))
    for severity, limit in levels:
        first_h = _first_over(times, values, limit)
        if first_h is not None:
            return Gap(
                facility=facility,
                kind=kind,
                severity=severity,
                metric=metric,
                value=round(float(values.max()), 3),
                threshold=limit,
                first_time=(start + timedelta(hours=first_h)).isoformat(),
                first_h=first_h,
            )
    return None


def find_gaps(
    checkpoints: pd.DataFrame, centres: pd.DataFrame, thresholds: Thresholds, start: datetime
) -> list[Gap]:
    """One entry per facility and metric at its worst severity, red first, then by when it
    starts: a checkpoint has a wait gap per side (``max_wait_h`` ours, ``far_wait_h`` the far
    side's), each against the same wait thresholds."""
    gaps: list[Gap] = []
    for cp, t in checkpoints.groupby("checkpoint", sort=False):
        for metric, column in CHECKPOINT_WAITS:
            g = _gap(
                str(cp),
                "checkpoint",
                metric,
                times=t["time_h"],
                values=t[column].fillna(0.0),
                amber=thresholds.wait_amber_h,
                red=thresholds.wait_red_h,
                start=start,
            )
            if g:
                gaps.append(g)
    load = centre_load(centres)
    for cid, t in centres.groupby("centre", sort=False):
        g = _gap(
            str(cid),
            str(t["kind"].iloc[0]),
            "occupancy_ratio",
            times=t["time_h"],
            values=load.loc[t.index],
            amber=thresholds.occupancy_amber,
            red=thresholds.occupancy_red,
            start=start,
        )
        if g:
            gaps.append(g)
    return sorted(gaps, key=gap_order)


def unmet_gaps(unmet: pd.DataFrame, centres: pd.DataFrame, start: datetime) -> list[Gap]:
    """Red gap per centre where people ready to move on found no place or seat."""
    kinds = centres.drop_duplicates("centre").set_index("centre")["kind"]
    out: list[Gap] = []
    for cid, t in unmet[unmet["persons"] > 0].groupby("centre", sort=False):
        first_h = float(t["time_h"].iloc[0])
        out.append(
            Gap(
                facility=str(cid),
                kind=str(kinds.get(cid, "")),
                severity="red",
                metric="unmet_onward_demand",
                value=int(t["persons"].max()),
                threshold=0,
                first_time=(start + timedelta(hours=first_h)).isoformat(),
                first_h=first_h,
            )
        )
    return out


def format_gap_value(gap: Gap) -> str:
    """A gap's worst value as a reader expects it: hours, people per bed, or persons."""
    v = gap["value"]
    if gap["metric"] == "occupancy_ratio":
        return "∞" if v == float("inf") else f"{v:,.2f}"
    if gap["metric"] in ("max_wait_h", "far_wait_h"):
        return f"{v:,.1f}"
    return f"{int(v):,}"
