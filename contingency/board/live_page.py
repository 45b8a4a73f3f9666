"""The board's live mode: the smart-border feed of the ten posts, observed up to now and
forecast over the next hours (a nowcast), on the map and in charts.

A controller picks a feed folder under the feeds root (``$CONTINGENCY_FEEDS``, else ``feeds/``
in the working directory: a board never reads a path typed into it). The nowcast of the
scenario on the board is made from the feed up to its latest record (or an earlier hour) and
kept for that feed, hour and settings; the page looks at the folder every
:data:`WATCH_EVERY_S` seconds and makes a new nowcast when records arrive."""

from __future__ import annotations

import functools
import math
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from contingency.board.markdown import plain
from contingency.board.numbers import number
from contingency.feed.simulate import scenario_clock
from contingency.i18n import t
from contingency.mapping.layers import build_layers
from contingency.mapping.moments import clock_span
from contingency.mapping.names import facility_label, gap_place
from contingency.mapping.status import COLOURS
from contingency.mapping.webmap import build_map, legend_for
from contingency.nowcast.observe import observe
from contingency.nowcast.run import Nowcast, NowcastFailed, run_nowcast
from contingency.refdata import RefData
from contingency.scenario import Scenario, scenario_digest
from contingency.scenario.sites import with_scenario_places

FEEDS_ENV = "CONTINGENCY_FEEDS"
WATCH_EVERY_S = 30
MAX_KEPT = 8
FEED_SUFFIXES = (".csv", ".parquet")
OBSERVED_METRIC = {"checkpoint": "first_crossings_in", "centre": "load"}
"""The figure charted for a facility by default: inbound first crossings (observed and
forecast) at a checkpoint, people per bed at a centre."""


def feeds_root() -> Path:
    return Path(os.environ.get(FEEDS_ENV) or "feeds")


def feed_folders(root: Path) -> list[str]:
    """The feed folders under ``root`` (its sub-folders holding record files), by name."""
    try:
        return sorted(
            p.name
            for p in root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and _files(p)
        )
    except OSError:
        return []


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in FEED_SUFFIXES)


Signature = tuple[tuple[str, int, int], ...]


def signature(folder: Path) -> Signature:
    """Changes when a record file is added, grows or is rewritten."""
    out = []
    for p in _files(folder):
        try:
            s = p.stat()
        except OSError:
            continue
        out.append((p.name, s.st_size, s.st_mtime_ns))
    return tuple(out)


def latest_hour(folder: Path, sc: Scenario) -> int | None:
    """Whole hours from the scenario's start to the end of the hour of the latest crossing in
    the feed (None: no readable crossing time)."""
    return _latest_hour(str(folder), signature(folder), scenario_clock(sc))


@functools.lru_cache(maxsize=32)
def _latest_hour(folder: str, sig: Signature, start_at: datetime) -> int | None:
    """:func:`latest_hour`, read once per state of the folder (``sig``), not at every redraw."""
    start = pd.Timestamp(start_at)
    latest = None
    for p in _files(Path(folder)):
        if not p.name.startswith("records"):
            continue
        try:
            col = (
                pd.read_parquet(p, columns=["crossed_at"])["crossed_at"]
                if p.suffix == ".parquet"
                else pd.read_csv(p, usecols=["crossed_at"])["crossed_at"]
            )
            times = pd.to_datetime(col, utc=True, errors="coerce").dropna()
        except (OSError, ValueError):
            continue
        if len(times) and (latest is None or times.max() > latest):
            latest = times.max()
    if latest is None:
        return None
    return max(1, math.floor((latest - start) / pd.Timedelta(hours=1)) + 1)


@dataclass(frozen=True)
class LiveSettings:
    feed: str
    now_h: int
    replications: int
    horizon_h: int


class _Kept:
    def __init__(self) -> None:
        self.items: OrderedDict[tuple, Nowcast] = OrderedDict()
        self.lock = threading.Lock()


@st.cache_resource
def _kept() -> _Kept:
    return _Kept()


def nowcast_for(
    sc: Scenario, ref: RefData, folder: Path, s: LiveSettings, *, sig: Signature
) -> Nowcast:
    """The nowcast of ``sc`` from the feed in ``folder`` in the state ``sig`` (made once per
    feed state, scenario and settings, shared by every session)."""
    key = (scenario_digest(sc), str(folder), sig, s)
    kept = _kept()
    with kept.lock:
        if key in kept.items:
            return kept.items[key]
        start = scenario_clock(sc)
        observed = observe(folder, sc, ref, start=start, now_h=s.now_h)
        nc = run_nowcast(
            sc, observed, start=start, replications=s.replications, horizon_h=s.horizon_h
        )
        kept.items[key] = nc
        while len(kept.items) > MAX_KEPT:
            kept.items.popitem(last=False)
        return nc


def render_live(lang: str, sc: Scenario, ref: RefData) -> None:
    """The live section (key ``live``): feed, nowcast, map now and ahead, charts."""
    with st.container(key="live"):
        st.subheader(t("live.title", lang))
        root = feeds_root()
        folders = feed_folders(root)
        if not folders:
            st.info(t("live.no_feeds", lang, root=str(root.resolve())))
            return
        c1, c2, c3 = st.columns([2, 1, 1])
        feed = c1.selectbox(t("live.feed", lang), folders, key="live_feed")
        folder = root / feed
        sig = signature(folder)
        latest = _latest_hour(str(folder), sig, scenario_clock(sc))
        if latest is None:
            st.warning(t("live.no_records", lang))
            return
        reps = int(c2.number_input(t("live.replications", lang), 3, 100, 10, key="live_reps"))
        horizon = int(c3.number_input(t("live.horizon_h", lang), 6, 168, 72, key="live_h"))
        now_h = min(latest, sc.horizon_days * 24)
        s = LiveSettings(feed, now_h, reps, horizon)
        with st.spinner(t("live.running", lang, n=reps)):
            try:
                nc = nowcast_for(sc, ref, folder, s, sig=sig)
            except NowcastFailed as exc:
                st.error(t("live.failed", lang) + f" {exc}")
                return
        _watch(folder, sig)
        _show(lang, sc, ref, nc)


def _watch(folder: Path, seen: Signature) -> None:
    """Redraw when the feed folder changes from ``seen`` (new records make a new nowcast)."""

    @st.fragment(run_every=timedelta(seconds=WATCH_EVERY_S))
    def watch() -> None:
        if signature(folder) != seen:
            st.rerun()

    watch()


def _show(lang: str, sc: Scenario, ref: RefData, nc: Nowcast) -> None:
    summary = nc.summary
    now_h = int(summary["now_h"])
    start = scenario_clock(sc)
    places = with_scenario_places(sc, ref)
    st.caption(
        t(
            "live.now",
            lang,
            now=clock_span(start, now_h),
            records=number(summary["records"], lang),
            persons=number(summary["unique_persons"], lang),
            repeats=number(summary["repeat_crossings"], lang),
            n=summary["replications"],
        )
    )
    for line in coming_red(nc, lang, places):
        st.markdown(f"- {line}")
    if not summary["forecast_gaps"]:
        st.success(t("live.no_red", lang, h=summary["horizon_h"]))
    ahead = st.slider(t("live.ahead_h", lang), 0, int(summary["horizon_h"]), 0, key="live_ahead")
    time_h = min(now_h + ahead, int(nc.median.tables["ledger_hourly"]["time_h"].max()))
    st.caption(t("live.map_at", lang, when=clock_span(start, time_h)))
    res = nc.median
    layers = build_layers(res.tables, res.summary, ref, time_h, scenario=res.scenario)
    fmap = build_map(
        layers, ref, lang=lang, thresholds=res.summary["thresholds"], assets="board", legend=False
    )
    st_folium(fmap, height=520, use_container_width=True, returned_objects=[], key="live_map")
    with st.expander(t("legend.title", lang)):
        st.html(legend_for(layers, lang, res.summary["thresholds"]))
    _chart(lang, nc, places, start)
    st.caption(t("live.method", lang) + " " + t("live.method_text", lang))


def coming_red(nc: Nowcast, lang: str, places: RefData) -> list[str]:
    """ "Shymkent reception red in 18 h (1 in 10: in 11 h), probability 85 %" for each facility
    the nowcast turns red, most likely first."""
    now_h = float(nc.summary["now_h"])
    lines = []
    for g in nc.summary["forecast_gaps"]:
        name = gap_place(g, lang, places, nc.median.summary)  # the far side named as such
        prob = number(100 * g["probability_red"], lang)
        p50, p10 = g.get("p50_first_h"), g.get("p10_first_h")
        if p50 is not None:
            text = t("live.red_in", lang, name=name, h=number(p50 - now_h, lang), prob=prob)
        else:
            text = t("live.red_maybe", lang, name=name, prob=prob)
        if p10 is not None:
            text += " " + t("live.red_early", lang, h=number(p10 - now_h, lang))
        lines.append(plain(text))
    return lines


def _chart(lang: str, nc: Nowcast, places: RefData, start: object) -> None:
    """Observed (a solid line) against forecast (the P10–P90 band and the P50 line) for one
    facility and figure."""
    fc = nc.forecast
    facilities = list(dict.fromkeys(fc["facility"]))
    worst = [g["facility"] for g in nc.summary["forecast_gaps"] if g["facility"] in facilities]
    busiest = fc[fc["observed"]].groupby("facility")["p50"].sum().sort_values(ascending=False)
    first = worst[0] if worst else (str(busiest.index[0]) if len(busiest) else facilities[0])
    fid = st.selectbox(
        t("live.facility", lang),
        facilities,
        index=facilities.index(first),
        key="live_facility",
        format_func=lambda f: facility_label(f, lang, places, nc.median.summary),
    )
    mine = fc[fc["facility"] == fid]
    metrics = list(dict.fromkeys(mine["metric"]))
    kind = "checkpoint" if mine["kind"].iloc[0] == "checkpoint" else "centre"
    default = OBSERVED_METRIC[kind]
    metric = st.selectbox(
        t("live.metric", lang),
        metrics,
        index=metrics.index(default) if default in metrics else 0,
        key="live_metric",
        format_func=lambda m: t(f"live.metric.{m}", lang),
    )
    d = mine[mine["metric"] == metric].copy()
    d["when"] = pd.to_datetime(d["time"])
    d = d.replace([math.inf, -math.inf], float("nan"))
    observed, ahead = d[d["observed"]], d[~d["observed"]]
    x = alt.X("when:T", title=None, axis=alt.Axis(format="%d.%m %H:%M"))  # digits only
    band = (
        alt.Chart(ahead)
        .mark_area(opacity=0.3, color=COLOURS["amber"])
        .encode(x=x, y=alt.Y("p10:Q", title=t(f"live.metric.{metric}", lang)), y2="p90:Q")
    )
    median = (
        alt.Chart(ahead).mark_line(color=COLOURS["amber"], strokeDash=[4, 3]).encode(x=x, y="p50:Q")
    )
    seen = alt.Chart(observed).mark_line(color="#263238", strokeWidth=2).encode(x=x, y="p50:Q")
    st.altair_chart(band + median + seen, use_container_width=True)
    st.caption(t("live.chart_caption", lang))
