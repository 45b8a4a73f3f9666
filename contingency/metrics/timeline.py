"""When each facility is in trouble over a run: spans of hours at amber or red per facility and
metric, on the same definitions as :func:`contingency.metrics.gaps.find_gaps`.

Hours are ``time_h`` values (the end of an hour from the scenario start); a span covers the
hours ``start_h`` to ``end_h``, both included.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from contingency.metrics.gaps import CHECKPOINT_WAITS, Severity, centre_load
from contingency.scenario.schema import Thresholds

SPAN_COLUMNS = ("facility", "kind", "metric", "severity", "start_h", "end_h")
"""Columns of :func:`gap_spans`."""


def _hourly_levels(
    tables: Mapping[str, pd.DataFrame], thresholds: Thresholds
) -> list[pd.DataFrame]:
    """Per facility, metric and hour: the severity (None: under amber), in long frames."""
    out = []
    cps = tables["checkpoints_hourly"]
    for metric, column in CHECKPOINT_WAITS:
        if column in cps:
            values = cps[column].astype(float).fillna(0.0)
            out.append(
                _levels(
                    cps, "checkpoint", values, thresholds.wait_amber_h, thresholds.wait_red_h
                ).assign(kind="checkpoint", metric=metric)
            )
    centres = tables["centres_hourly"]
    load = centre_load(centres)
    out.append(
        _levels(
            centres, "centre", load, thresholds.occupancy_amber, thresholds.occupancy_red
        ).assign(kind=centres["kind"].to_numpy(), metric="occupancy_ratio")
    )
    unmet = _unmet_hourly(tables)
    if unmet is not None:
        out.append(unmet)
    return out


def _levels(
    table: pd.DataFrame, id_column: str, values: pd.Series, amber: float, red: float
) -> pd.DataFrame:
    severity = np.where(values > red, "red", np.where(values > amber, "amber", ""))
    return pd.DataFrame(
        {
            "facility": table[id_column].astype(str).to_numpy(),
            "time_h": table["time_h"].astype(int).to_numpy(),
            "severity": severity,
        }
    )


def _unmet_hourly(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame | None:
    """Red hours of unmet onward demand: a centre's latest figure holds for 24 hours (as the
    gap list reads it), red from the first person."""
    unmet = tables.get("unmet_daily")
    if unmet is None or unmet.empty:
        return None
    hours = np.sort(tables["ledger_hourly"]["time_h"].astype(int).unique())
    kinds = tables["centres_hourly"].drop_duplicates("centre").set_index("centre")["kind"]
    frames = []
    for cid, rows in unmet.groupby("centre", sort=False):
        rows = rows.assign(time_h=rows["time_h"].astype(int)).sort_values("time_h")
        grid = pd.DataFrame({"time_h": hours})
        seen = pd.merge_asof(grid, rows[["time_h", "persons"]], on="time_h", tolerance=23)
        red = seen["persons"].fillna(0) > 0
        frames.append(
            pd.DataFrame(
                {
                    "facility": str(cid),
                    "time_h": hours,
                    "severity": np.where(red, "red", ""),
                    "kind": str(kinds.get(cid, "")),
                    "metric": "unmet_onward_demand",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def gap_spans(tables: Mapping[str, pd.DataFrame], thresholds: Thresholds) -> pd.DataFrame:
    """One row per run of consecutive hours a facility's metric stays at one severity.

    Columns: facility, kind, metric (as in :class:`~contingency.metrics.gaps.Gap`), severity
    (``amber`` or ``red``), start_h and end_h (the first and last hour of the span, both
    included). Sorted by facility, metric and start. An amber hour between red ones splits the
    red span; a missing hour ends a span.
    """
    levels = pd.concat(_hourly_levels(tables, thresholds), ignore_index=True)
    levels = levels.sort_values(["facility", "metric", "time_h"], kind="stable")
    key = levels[["facility", "metric", "severity"]]
    new = (key != key.shift()).any(axis=1) | (levels["time_h"].diff() != 1)
    levels = levels.assign(block=new.cumsum())
    levels = levels[levels["severity"] != ""]
    if levels.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SPAN_COLUMNS})
    spans = levels.groupby("block", sort=True).agg(
        facility=("facility", "first"),
        kind=("kind", "first"),
        metric=("metric", "first"),
        severity=("severity", "first"),
        start_h=("time_h", "min"),
        end_h=("time_h", "max"),
    )
    return spans.reset_index(drop=True)[list(SPAN_COLUMNS)]


def facilities_in_trouble(spans: pd.DataFrame) -> list[str]:
    """Facilities with a span, in the gap list's order: red ones first, then by the first hour
    at their worst severity, then by id."""
    if spans.empty:
        return []
    red = spans[spans["severity"] == "red"].groupby("facility")["start_h"].min()
    first = spans.groupby("facility")["start_h"].min()
    keys = {str(f): (f not in red.index, float(red.get(f, first[f])), str(f)) for f in first.index}
    return sorted(keys, key=keys.__getitem__)


def severity_at(spans: pd.DataFrame, time_h: int) -> dict[str, Severity]:
    """The worst severity of each facility in trouble at hour ``time_h``."""
    now = spans[(spans["start_h"] <= time_h) & (spans["end_h"] >= time_h)]
    out: dict[str, Severity] = {}
    for f, sev in zip(now["facility"], now["severity"], strict=True):
        out[str(f)] = "red" if sev == "red" or out.get(str(f)) == "red" else "amber"
    return out


def coming(spans: pd.DataFrame, time_h: int) -> dict[str, int]:
    """{facility: hours until it turns red} for the facilities not red at ``time_h`` that are
    red later (on any metric), soonest first."""
    red_now = {f for f, s in severity_at(spans, time_h).items() if s == "red"}
    later = spans[(spans["severity"] == "red") & (spans["start_h"] > time_h)]
    first = later.groupby("facility")["start_h"].min().sort_values(kind="stable")
    return {str(f): int(h) - time_h for f, h in first.items() if f not in red_now}
