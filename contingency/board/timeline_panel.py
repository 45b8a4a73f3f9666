"""The board's gap timeline (facilities in trouble over the horizon, a cursor at the moment
shown, "red in 14 h" for what is coming) and its shortfalls (what each red facility and region
lacks then, with the scenario's best reserve beside it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

import altair as alt
import pandas as pd
import streamlit as st

from contingency.board.markdown import plain as _plain
from contingency.board.numbers import number
from contingency.i18n import t
from contingency.mapping.names import facility_label, gap_place
from contingency.mapping.status import COLOURS
from contingency.metrics.gaps import Gap
from contingency.metrics.shortfalls import Shortfall, shortfalls
from contingency.metrics.timeline import coming, facilities_in_trouble, gap_spans
from contingency.refdata import RefData
from contingency.results import RunResult
from contingency.scenario.schema import Reserve
from contingency.scenario.sites import with_scenario_places

MAX_ROWS = 15
"""Facilities the timeline draws, worst first."""
_ROW_PX = 24


def _when(start: datetime, hour: float) -> datetime:
    return start + timedelta(hours=hour)


def _timeline_data(
    lang: str, res: RunResult, spans: pd.DataFrame, places: Mapping[str, str]
) -> pd.DataFrame:
    """One bar per span of the facilities in ``places`` (amber drawn first, red over it)."""
    shown = spans[spans["facility"].isin(list(places))]
    shown = shown.assign(rank=(shown["severity"] == "red").astype(int))
    shown = shown.sort_values(["rank", "facility", "start_h"], kind="stable")
    start = res.scenario.start
    return pd.DataFrame(
        {
            "place": shown["facility"].map(places),
            "severity": [t(f"severity.{s}", lang) for s in shown["severity"]],
            "metric": [t(f"metric.{m}", lang) for m in shown["metric"]],
            "begin": [_when(start, h - 1) for h in shown["start_h"]],
            "end": [_when(start, h) for h in shown["end_h"]],
        }
    )


def _timeline_chart(
    lang: str,
    bars: pd.DataFrame,
    order: list[str],
    soon: Mapping[str, str],
    *,
    now: datetime,
    horizon: tuple[datetime, datetime],
    before: pd.DataFrame | None = None,
) -> alt.LayerChart:
    amber, red = t("severity.amber", lang), t("severity.red", lang)
    x_scale = alt.Scale(domain=[horizon[0].isoformat(), horizon[1].isoformat()])
    y = alt.Y("place:N", sort=order, title=None, axis=alt.Axis(labelLimit=280))
    chart = (
        alt.Chart(bars)
        .mark_bar()
        .encode(
            x=alt.X("begin:T", scale=x_scale, title=None, axis=alt.Axis(format="%d.%m %H:%M")),
            x2="end:T",
            y=y,
            color=alt.Color(
                "severity:N",
                scale=alt.Scale(domain=[amber, red], range=[COLOURS["amber"], COLOURS["red"]]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[
                alt.Tooltip("place:N", title=t("timeline.place", lang)),
                alt.Tooltip("metric:N", title=t("timeline.metric", lang)),
                alt.Tooltip("begin:T", title=t("timeline.from", lang), format="%d.%m %H:%M"),
                alt.Tooltip("end:T", title=t("timeline.to", lang), format="%d.%m %H:%M"),
            ],
        )
    )
    cursor = pd.DataFrame({"now": [now], "label": [t("timeline.now", lang)]})
    rule = (
        alt.Chart(cursor)
        .mark_rule(color=COLOURS["none"], strokeWidth=2, strokeDash=[4, 2])
        .encode(x="now:T", tooltip=alt.Tooltip("label:N", title=None))
    )
    # "red in N h" as labels of a second axis on the right, clear of the bars
    notes = (
        alt.Chart(pd.DataFrame({"place": order, "now": now}))
        .mark_tick(opacity=0)
        .encode(
            x="now:T",
            y=alt.Y(
                "place:N",
                sort=order,
                title=None,
                axis=alt.Axis(
                    orient="right",
                    ticks=False,
                    domain=False,
                    labelColor=COLOURS["red"],
                    labelFontWeight="bold",
                    labelLimit=240,
                    labelExpr=f"{json.dumps(soon, ensure_ascii=False)}[datum.value] || ''",
                ),
            ),
        )
    )
    layers: list[alt.Chart] = [chart, rule, notes]
    if before is not None and len(before):  # the baseline's gaps: dashed outlines over the bars
        outline = (
            alt.Chart(before)
            .mark_bar(filled=False, stroke="#263238", strokeDash=[3, 2], strokeWidth=1.5)
            .encode(x=alt.X("begin:T", scale=x_scale), x2="end:T", y=y)
        )
        layers.insert(1, outline)
    return (
        alt.LayerChart(layer=layers)
        .resolve_axis(y="independent")
        .properties(height=_ROW_PX * len(order) + 40)
    )


def draw_gap_timeline(
    lang: str, res: RunResult, ref: RefData, time_h: int, *, before: RunResult | None = None
) -> None:
    """The gap timeline at ``time_h``: one row per facility in trouble (at most
    :data:`MAX_ROWS`, worst first), amber and red bars over the horizon, a cursor at the moment
    shown and "red in N h" beside the facilities that turn red later. With ``before`` (the run
    before the decisions), its gaps are drawn as dashed outlines over the bars, so what a
    decision moved, opened or closed shows."""
    with st.container(key="gap_timeline"):
        st.markdown(f"**{t('timeline.title', lang)}**")
        spans = gap_spans(res.tables, res.scenario.thresholds)
        order = facilities_in_trouble(spans)
        base_spans = None
        if before is not None:
            base_spans = gap_spans(before.tables, before.scenario.thresholds)
            order += [f for f in facilities_in_trouble(base_spans) if f not in order]
        if not order:
            st.success(t("timeline.none", lang))
            return
        shown = order[:MAX_ROWS]
        ref = with_scenario_places(res.scenario, ref)  # the crossings the scenario adds
        places = {f: facility_label(f, lang, ref, res.summary) for f in shown}
        start = res.scenario.start
        now = _when(start, time_h)
        red_in = coming(spans, time_h)
        red_word = t("severity.red", lang)
        soon = {
            places[f]: t("gaps.coming", lang, severity=red_word, hours=number(h, lang))
            for f, h in red_in.items()
            if f in places
        }
        bars = _timeline_data(lang, res, spans, places)
        horizon = (start, _when(start, res.scenario.horizon_days * 24))
        outlines = None if base_spans is None else _timeline_data(lang, res, base_spans, places)
        chart = _timeline_chart(
            lang, bars, list(places.values()), soon, now=now, horizon=horizon, before=outlines
        )
        st.altair_chart(chart, width="stretch")
        if outlines is not None:
            st.caption(t("timeline.before", lang))
        if red_in:
            items = "; ".join(
                f"{facility_label(f, lang, ref, res.summary)} — "
                + t("gaps.coming", lang, severity=red_word, hours=number(h, lang))
                for f, h in red_in.items()
            )
            st.caption(t("timeline.coming_list", lang, items=_plain(items)))
        if len(order) > MAX_ROWS:
            st.caption(t("timeline.more", lang, n=number(len(order) - MAX_ROWS, lang)))


def reserve_text(reserve: Reserve, lang: str, ref: RefData, summary: Mapping[str, Any]) -> str:
    """A reserve as a reader knows it: what it adds, how much and where, in ``lang``."""
    amount = number(reserve.amount, lang)
    key = f"shortfalls.reserve.{reserve.kind}"
    match reserve.kind:
        case "lanes":
            place = facility_label(str(reserve.target), lang, ref, summary)
            mode = t(f"mode.{reserve.mode}", lang)
            return t(key, lang, amount=amount, mode=mode, place=place)
        case "beds":
            place = facility_label(str(reserve.target), lang, ref, summary)
            return t(key, lang, amount=amount, place=place)
        case "mobile_unit":
            return t(key, lang, amount=amount, place=_node_name(str(reserve.target), lang, ref))
        case "buses":
            return t(key, lang, amount=amount)


def _node_name(node: str, lang: str, ref: RefData) -> str:
    """A road node's name (Russian for Kazakh: the map pack has no Kazakh node names)."""
    nodes = ref.road_nodes
    if node not in nodes.index:
        return node
    column = "name_en" if lang == "en" else "name_ru"
    name = nodes.at[node, column]
    return str(name) if isinstance(name, str) and name.strip() else str(nodes.at[node, "name_en"])


def _place(row: Shortfall, lang: str, ref: RefData, summary: Mapping[str, Any]) -> str:
    if row.side == "far":
        gap = cast(Gap, {"facility": row.facility, "metric": "far_wait_h"})
        return gap_place(gap, lang, ref, summary)
    return facility_label(row.facility, lang, ref, summary)


def shortfall_row(
    row: Shortfall,
    lang: str,
    ref: RefData,
    summary: Mapping[str, Any],
    reserves: Mapping[str, Reserve],
) -> dict[str, str]:
    """One line of the shortfalls table (column titles in ``lang``)."""
    mode = t(f"mode.{row.mode}", lang) if row.mode is not None else ""
    reserve = reserves.get(row.reserve) if row.reserve else None
    return {
        t("shortfalls.place", lang): _place(row, lang, ref, summary),
        t("shortfalls.level", lang): t(f"kind.{row.kind}", lang),
        t("shortfalls.resource", lang): t(f"shortfalls.r.{row.resource}", lang, mode=mode),
        t("shortfalls.missing", lang): number(row.missing, lang),
        t("shortfalls.have", lang): number(row.have, lang),
        t("shortfalls.reserve", lang): reserve_text(reserve, lang, ref, summary)
        if reserve
        else t("shortfalls.no_reserve", lang),
        t("shortfalls.covers", lang): number(row.reserve_covers, lang) if reserve else "—",
    }


def draw_shortfalls(lang: str, res: RunResult, ref: RefData, time_h: int) -> None:
    """What each red facility and each region lacks at ``time_h``, in absolute numbers, with
    the scenario's best reserve beside each; a success message when nothing is missing."""
    with st.container(key="shortfalls"):
        st.markdown(f"**{t('shortfalls.title', lang)}**")
        ref = with_scenario_places(res.scenario, ref)
        rows = shortfalls(res.tables, res.scenario, ref, time_h)
        if not rows:
            st.success(t("shortfalls.none", lang))
            return
        reserves = {r.id: r for r in res.scenario.reserves}
        table = pd.DataFrame([shortfall_row(r, lang, ref, res.summary, reserves) for r in rows])
        st.dataframe(table, hide_index=True, key="shortfalls_table")
        th = res.scenario.thresholds
        st.caption(
            t(
                "shortfalls.method",
                lang,
                wait=number(th.wait_red_h, lang),
                ratio=number(th.occupancy_red, lang, digits=1),
            )
        )
