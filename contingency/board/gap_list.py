"""The board's gap list at the moment shown: the gaps open then first, then those still to
come ("red in 14 h"), then those already over; each with when it starts (in the page's language
on the scenario's clock) and its values with their units."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pandas as pd
from babel.dates import format_datetime

from contingency.board.numbers import LOCALES, number
from contingency.i18n import t
from contingency.mapping.layers import day_hour
from contingency.metrics.gaps import CHECKPOINT_WAITS, Gap, GapMetric, centre_load

State = Literal["open", "coming", "past"]
_ORDER: dict[State, int] = {"open": 0, "coming": 1, "past": 2}


@dataclass(frozen=True)
class GapAt:
    """A gap seen from ``time_h``: its value then, the severity it has then (None: under the
    amber threshold) and whether it is open, still to come or over."""

    gap: Gap
    value_now: float
    severity_now: str | None
    state: State
    in_h: float
    """Hours from ``time_h`` to the gap's start (positive while it is to come)."""


def _limits(metric: GapMetric, thresholds: Mapping[str, float]) -> tuple[float, float]:
    """(amber, red) of ``metric``: a value above the limit is at that severity."""
    if metric in ("max_wait_h", "far_wait_h"):
        return thresholds["wait_amber_h"], thresholds["wait_red_h"]
    if metric == "occupancy_ratio":
        return thresholds["occupancy_amber"], thresholds["occupancy_red"]
    return 0.0, 0.0  # unmet onward demand: red from the first person


def value_at(gap: Gap, tables: Mapping[str, pd.DataFrame], time_h: int) -> float:
    """The value of ``gap``'s metric at its facility in the hour ending at ``time_h``: hours of
    wait, people per bed, or persons ready to move on with no place (the latest daily figure)."""
    metric, fid = gap["metric"], gap["facility"]
    if metric == "unmet_onward_demand":
        unmet = tables["unmet_daily"]
        rows = unmet[(unmet["centre"] == fid) & (unmet["time_h"] <= time_h)]
        last = rows[rows["time_h"] > time_h - 24]
        return float(last["persons"].iloc[-1]) if len(last) else 0.0
    if metric == "occupancy_ratio":
        centres = tables["centres_hourly"]
        rows = centres[(centres["centre"] == fid) & (centres["time_h"] == time_h)]
        return float(centre_load(rows).iloc[0]) if len(rows) else 0.0
    column = dict(CHECKPOINT_WAITS)[metric]
    cps = tables["checkpoints_hourly"]
    rows = cps[(cps["checkpoint"] == fid) & (cps["time_h"] == time_h)]
    if column not in rows or not len(rows):
        return 0.0
    v = rows[column].iloc[0]
    return 0.0 if pd.isna(v) else float(v)


def gaps_at(
    gaps: Sequence[Gap],
    tables: Mapping[str, pd.DataFrame],
    thresholds: Mapping[str, float],
    time_h: int,
) -> list[GapAt]:
    """``gaps`` seen from ``time_h``, open ones first (red before amber), then those to come
    (soonest first), then those over, each group in the gaps' own order."""
    out = []
    for g in gaps:
        now = value_at(g, tables, time_h)
        amber, red = _limits(g["metric"], thresholds)
        severity = "red" if now > red else "amber" if now > amber else None
        if g["first_h"] > time_h:
            state: State = "coming"
        else:
            state = "open" if severity is not None else "past"
        out.append(GapAt(g, now, severity, state, g["first_h"] - time_h))
    return sorted(
        out,
        key=lambda a: (
            _ORDER[a.state],
            a.state == "open" and a.severity_now != "red",
            a.in_h if a.state == "coming" else 0.0,
        ),
    )


def gap_value(metric: str, value: float, lang: str) -> str:
    """A value of ``metric`` with its unit: hours of wait, people per bed, persons."""
    if metric in ("max_wait_h", "far_wait_h"):
        return t("gaps.v.hours", lang, value=number(value, lang, digits=1))
    if metric == "occupancy_ratio":
        if value == float("inf"):
            return t("gaps.v.no_beds", lang)
        return t("gaps.v.per_bed", lang, value=number(value, lang, digits=1))
    return t("gaps.v.persons", lang, value=number(value, lang))


def gap_when(gap: Gap, lang: str) -> str:
    """When ``gap`` starts: the day of the run and the date and time on the scenario's clock,
    in ``lang``."""
    day, _ = day_hour(int(gap["first_h"]))
    clock = format_datetime(
        datetime.fromisoformat(gap["first_time"]), "d MMM, HH:mm", locale=LOCALES[lang]
    )
    return t("gaps.when", lang, day=day, clock=clock)


def gap_status(seen: GapAt, lang: str) -> str:
    """What ``seen`` is at the moment shown: "red now", "red in 14 h", or "over"."""
    if seen.state == "open":
        return t("gaps.open_now", lang, severity=t(f"severity.{seen.severity_now}", lang))
    if seen.state == "coming":
        hours = number(seen.in_h, lang)
        return t(
            "gaps.coming", lang, severity=t(f"severity.{seen.gap['severity']}", lang), hours=hours
        )
    return t("gaps.over", lang)


def gap_row(seen: GapAt, lang: str, place: str) -> dict[str, Any]:
    """One row of the board's gap list (column titles in ``lang``)."""
    g = seen.gap
    return {
        t("gaps.severity", lang): t(f"severity.{g['severity']}", lang),
        t("gaps.facility", lang): place,
        t("gaps.status", lang): gap_status(seen, lang),
        t("gaps.first_time", lang): gap_when(g, lang),
        t("gaps.metric", lang): t(f"metric.{g['metric']}", lang),
        t("gaps.now", lang): gap_value(g["metric"], seen.value_now, lang),
        t("gaps.value", lang): gap_value(g["metric"], g["value"], lang),
    }
