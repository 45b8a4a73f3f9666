"""The situational board page. Widgets carry stable keys so tests can drive them; the logic
lives in importable functions (levers, runs, layers, map)."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from datetime import timedelta

import pandas as pd
import streamlit as st
from pydantic import BaseModel
from streamlit_folium import st_folium

from contingency.board.auth import CONTROLLER
from contingency.board.gap_list import gap_row, gaps_at
from contingency.board.levers_panel import draw_levers, reset_levers
from contingency.board.login import session_role
from contingency.board.run import cached_run
from contingency.board.stress_page import render_stress
from contingency.board.targets import target_label
from contingency.domain import LaneMode
from contingency.errors import InputError
from contingency.i18n import LANGUAGES, t
from contingency.levers import apply_levers, current_beds
from contingency.mapping.export import FORMATS, MARKING_ENV, SUFFIX, Run
from contingency.mapping.export import render as render_export
from contingency.mapping.layers import (
    HEADLINE_KEYS,
    build_layers,
    day_hour,
    headline,
    time_of,
)
from contingency.mapping.moments import at_label, default_moment, moment_label, peaks
from contingency.mapping.names import facility_label, gap_place
from contingency.mapping.status import COLOURS
from contingency.mapping.webmap import build_map
from contingency.refdata import RefData, load_refdata
from contingency.resources import DEFAULT_SCENARIO, SCENARIOS_DIR, bundled_scenarios
from contingency.results import LEDGER_FIELDS, RunResult
from contingency.scenario import (
    Scenario,
    checkpoints_in_play,
    dump_scenario,
    load_scenario,
    load_scenario_bytes,
)
from contingency.scenario.plan import resolve_checkpoint
from contingency.scenario.schema import (
    INJECT_BY_KIND,
    LIVE_KINDS,
    MAX_BEDS,
    MAX_LANES,
    MAX_PROCESSING_MULTIPLIER,
    MAX_SEED,
    AnyInject,
    Side,
)
from contingency.scenario.sites import with_scenario_places
from contingency.scenario.targets import target_choices

LANGUAGE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}
_MARKDOWN_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")
_VIEWER_RUNS = threading.Lock()
"""Viewers' runs go one at a time: many wall displays opening one scenario make one run."""
STEP_H = 6


def _scenario_files() -> list[str]:
    names = [p.name for p in bundled_scenarios()]
    default = DEFAULT_SCENARIO.name
    return [default, *[n for n in names if n != default]] if default in names else names


def _plain(text: str) -> str:
    """``text`` for a markdown element, shown as the text it is: every ASCII punctuation mark
    is backslash-escaped, so no image (fetched from outside), link, HTML, emphasis or formula
    is made of a scenario's own words."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\g<0>", text)


def _code(text: str) -> str:
    """``text`` as a markdown code span that no backtick inside it can end."""
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def _show_problems(lang: str, exc: InputError, *, header: str = "app.scenario_invalid") -> None:
    st.error(t(header, lang) + "\n\n" + "\n".join(f"- {_code(str(p))}" for p in exc.problems))


def _base_scenario(lang: str, ref: RefData, *, uploads: bool = True) -> tuple[Scenario | None, str]:
    """The scenario picked or uploaded (uploads only when ``uploads``), and an identity that
    changes when it does."""
    files = _scenario_files()
    wanted = st.query_params.get("scenario")
    if "scenario" not in st.session_state and wanted in files:  # a link may name the scenario
        st.session_state["scenario"] = wanted
    choice = st.sidebar.selectbox(t("app.scenario", lang), files, key="scenario")
    if not uploads:  # a viewer: the bundled scenarios only
        return _bundled(lang, ref, choice)
    upload = st.sidebar.file_uploader(t("app.upload", lang), type=["yaml", "yml"], key="upload")
    if upload is not None:
        raw = upload.getvalue()
        try:
            sc = load_scenario_bytes(raw, file=upload.name, ref=ref)
        except InputError as exc:
            _show_problems(lang, exc)
            return None, ""
        st.sidebar.info(t("app.using_upload", lang, name=_code(upload.name)))
        return sc, "upload:" + hashlib.sha256(raw).hexdigest()
    return _bundled(lang, ref, choice)


def _bundled(lang: str, ref: RefData, choice: str) -> tuple[Scenario | None, str]:
    try:
        return load_scenario(SCENARIOS_DIR / choice, ref=ref), "file:" + choice
    except InputError as exc:
        _show_problems(lang, exc)
        return None, ""


def _reset_for(scen_id: str, sc: Scenario) -> None:
    ss = st.session_state
    if ss.get("scen_id") != scen_id:
        ss["scen_id"] = scen_id
        ss["levers"] = {}
        ss["live_injects"] = []
        ss["seed"] = sc.seed
        ss.pop("day", None)
        reset_levers(sc, scen_id)


def _run(lang: str, sc: Scenario, seed: int) -> RunResult:
    bar = st.progress(0.0, text=t("app.running", lang))
    result = cached_run(
        sc,
        seed,
        on_progress=lambda f: bar.progress(min(1.0, f), text=t("app.running", lang)),
    )
    bar.empty()
    return result


def _step(delta_h: int, horizon_days: int) -> None:
    ss = st.session_state
    now = max(1, min(horizon_days * 24, time_of(ss["day"], ss["hour"]) + delta_h))
    ss["day"], ss["hour"] = day_hour(now)


def _time_controls(lang: str, sc: Scenario) -> int:
    c0, c1, c2, c3 = st.columns([1, 4, 3, 1])
    c0.button(t("time.back", lang), key="t_back", on_click=_step, args=(-STEP_H, sc.horizon_days))
    day = c1.slider(t("time.day", lang), 1, sc.horizon_days, key="day")
    hour = c2.slider(t("time.hour", lang), 0, 23, key="hour")
    c3.button(t("time.forward", lang), key="t_fwd", on_click=_step, args=(STEP_H, sc.horizon_days))
    time_h = time_of(day, hour)
    st.caption(moment_label(sc.start, time_h, lang))  # the exports label a moment the same way
    return time_h


def _headline(lang: str, res: RunResult, time_h: int, ref: RefData) -> None:
    """The moment's five figures, then the run's peaks with where and when."""
    figures = headline(res.tables, time_h)
    cols = st.columns(len(HEADLINE_KEYS) + 2)
    for col, key in zip(cols[: len(HEADLINE_KEYS)], HEADLINE_KEYS, strict=True):
        value = figures[key]
        col.metric(
            t(f"head.{key}", lang), f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
        )
    p = peaks(res.tables)
    start = res.scenario.start
    where = (
        facility_label(p["wait_checkpoint"], lang, ref, res.summary)
        if p["wait_checkpoint"]
        else "—"
    )
    cols[-2].metric(
        t("head.peak_wait", lang),
        f"{p['wait_h']:,.1f}",
        t("head.where_when", lang, where=where, when=at_label(start, p["wait_time_h"])),
        delta_color="off",
        delta_arrow="off",  # where and when, not a change
    )
    cols[-1].metric(
        t("head.peak_without_bed", lang),
        f"{p['without_bed']:,}",
        t("head.when", lang, when=at_label(start, p["without_bed_time_h"])),
        delta_color="off",
        delta_arrow="off",  # where and when, not a change
    )


def _gaps(lang: str, res: RunResult, ref: RefData, time_h: int) -> None:
    st.markdown(f"**{t('gaps.title', lang)}**")
    gaps = res.summary["gaps"]
    if not gaps:
        st.success(t("gaps.none", lang))
        return
    seen = gaps_at(gaps, res.tables, res.summary["thresholds"], time_h)
    rows = [gap_row(g, lang, gap_place(g.gap, lang, ref, res.summary)) for g in seen]
    colour = {t(f"severity.{s}", lang): COLOURS[s] for s in ("red", "amber")}
    table = pd.DataFrame(rows).style.map(
        lambda v: (
            f"background-color: {colour[v]}; color: white; font-weight: bold" if v in colour else ""
        ),
        subset=[t("gaps.severity", lang)],
    )
    st.dataframe(table, hide_index=True, height=300, key="gaps_table")


def _inject_log(lang: str, sc: Scenario, ref: RefData, time_h: int) -> None:
    st.markdown(f"**{t('injects.title', lang)}**")
    if not sc.injects:
        st.caption(t("injects.none", lang))
        return
    places = with_scenario_places(sc, ref)
    rows = [
        {
            t("injects.time", lang): (sc.start + timedelta(hours=i.at_h)).strftime(
                "%Y-%m-%d %H:%M"
            ),
            t("injects.kind", lang): t(f"inject.{i.kind}", lang),
            t("injects.target", lang): target_label(
                i.target_kind, i.target, lang, sc=sc, ref=places
            ),
            t("injects.side", lang): t(f"side.{side}", lang) if (side := _side_of(i)) else "",
            t("injects.by", lang): i.by or "",
            t("injects.note", lang): i.note or "",
            t("injects.fired", lang): "✓" if i.at_h <= time_h else "",
        }
        for i in sorted(sc.injects, key=lambda i: i.at_h)
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="inject_log")


def _side_of(inj: AnyInject) -> str | None:
    """The side of the crossing ``inj`` acts on, or ``None`` for a kind without one."""
    side = getattr(inj.params, "side", None)
    return None if side is None else str(side)


def _takes_side(kind: str) -> bool:
    """Whether an inject of ``kind`` acts on one side of a crossing (its params have ``side``:
    our control, or the far side, the neighbour's exit control)."""
    params = INJECT_BY_KIND[kind].model_fields["params"].annotation
    return (
        isinstance(params, type) and issubclass(params, BaseModel) and "side" in params.model_fields
    )


def live_targets(sc: Scenario, ref: RefData) -> dict[str, list[str]]:
    """The targets the board offers for each live inject kind in ``sc``: the crossings in play,
    every centre (the sites the scenario adds among them), road nodes and edges, and for
    ``open_site`` the scenario's sites (none when it adds none)."""
    places = with_scenario_places(sc, ref)
    in_play = checkpoints_in_play(sc, places)
    sites = [a.id for a in sc.add_centres]
    return {
        kind: target_choices(
            INJECT_BY_KIND[kind].target_kind, in_play=in_play, ref=places, sites=sites
        )
        for kind in LIVE_KINDS
    }


def _exercise(lang: str, sc: Scenario, ref: RefData, time_h: int) -> None:
    with st.expander(t("exercise.title", lang), expanded=False):
        offered = live_targets(sc, ref)
        kind = st.selectbox(
            t("exercise.kind", lang),
            LIVE_KINDS,
            key="ex_kind",
            format_func=lambda k: t(f"inject.{k}", lang),
        )
        places = with_scenario_places(sc, ref)
        target_kind = INJECT_BY_KIND[kind].target_kind
        target = st.selectbox(
            t("exercise.target", lang),
            offered[kind],
            key="ex_target",
            format_func=lambda x: target_label(target_kind, x, lang, sc=sc, ref=places),
        )
        if not offered[kind]:  # open_site in a scenario that adds no sites
            st.caption(t("exercise.no_sites", lang))
        params: dict = {}
        if kind == "surge":
            params["multiplier"] = st.number_input(
                t("exercise.multiplier", lang), 0.1, 20.0, 2.0, 0.1, key="ex_mult"
            )
            dur = st.number_input(t("exercise.duration_h", lang), 0, 24 * 365, 0, key="ex_dur")
            if dur:
                params["duration_h"] = float(dur)
        if kind == "processing":
            params["multiplier"] = float(
                st.number_input(
                    t("exercise.processing_multiplier", lang),
                    0.05,
                    MAX_PROCESSING_MULTIPLIER,
                    0.5,
                    0.05,
                    key="ex_proc_mult",
                )
            )
        if _takes_side(kind):
            params["side"] = st.selectbox(
                t("exercise.side", lang),
                [s.value for s in Side],
                key="ex_side",
                format_func=lambda s: t(f"side.{s}", lang),
            )
        if kind == "lanes" and target is not None:
            now = resolve_checkpoint(sc, places, target).lanes
            cols = st.columns(len(LaneMode))
            for col, mode in zip(cols, LaneMode, strict=True):
                params[mode.value] = int(
                    col.number_input(
                        t(f"mode.{mode.value}", lang),
                        0,
                        MAX_LANES,
                        now[mode],
                        key=f"ex_lanes_{mode.value}_{target}",
                    )
                )
        if kind == "centre_capacity" and target is not None:
            params["beds"] = int(
                st.number_input(
                    t("exercise.places", lang),
                    0,
                    MAX_BEDS,
                    current_beds(sc, places, target),
                    key=f"ex_places_{target}",
                )
            )
        if kind == "mobile_unit":
            params["beds"] = int(
                st.number_input(t("exercise.beds", lang), 1, 100_000, 1000, 100, key="ex_beds")
            )
        by = st.text_input(t("exercise.by", lang), key="ex_by")
        note = st.text_input(t("exercise.note", lang), key="ex_note")
        c1, c2 = st.columns(2)
        if c1.button(t("exercise.add", lang), key="ex_add", disabled=target is None):
            inj = {
                "at_h": float(time_h),
                "kind": kind,
                "target": target,
                "by": by or None,
                "note": note or None,
            }
            if params:
                inj["params"] = params
            st.session_state["live_injects"].append(inj)
            when = (sc.start + timedelta(hours=time_h)).strftime("%Y-%m-%d %H:%M")
            st.session_state["ex_message"] = t(
                "exercise.added", lang, what=t(f"inject.{kind}", lang), when=when
            )
            st.rerun()
        if c2.button(
            t("exercise.undo", lang), key="ex_undo", disabled=not st.session_state["live_injects"]
        ):
            st.session_state["live_injects"].pop()
            st.rerun()
        if msg := st.session_state.pop("ex_message", None):
            st.success(msg)
        st.download_button(
            t("exercise.save", lang),
            dump_scenario(sc).encode("utf-8"),
            file_name=f"{sc.name}-exercise.yaml",
            mime="application/x-yaml",
            key="ex_save",
        )


def _exports(lang: str, sc: Scenario, res: RunResult, time_h: int) -> None:
    with st.expander(t("export.download", lang)):
        c1, c2 = st.columns([1, 2])
        fmt = c1.selectbox(t("export.format", lang), FORMATS, key="exp_fmt")
        marking = c2.text_input(
            t("export.marking", lang), os.environ.get(MARKING_ENV, ""), key="exp_marking"
        )
        if st.button(t("export.prepare", lang), key="exp_prepare"):
            run = Run(f"{sc.name}-s{res.summary['seed']}", res.scenario, res.tables, res.summary)
            data = render_export(run, fmt, lang=lang, time_h=time_h, marking=marking or None)
            name = f"{sc.name}-{fmt}-h{time_h}-{lang}{SUFFIX[fmt]}"
            st.session_state["export_file"] = (name, data)
        if ready := st.session_state.get("export_file"):
            name, data = ready
            st.download_button(
                t("export.get", lang, name=name), data, file_name=name, key="exp_get"
            )


def _charts(lang: str, res: RunResult, ref: RefData, time_h: int) -> None:
    st.subheader(t("charts.title", lang))
    cps = res.tables["checkpoints_hourly"]
    centres = res.tables["centres_hourly"]
    options = list(dict.fromkeys(cps["checkpoint"])) + [
        c
        for c, g in centres.groupby("centre", sort=False)
        if g["occupancy"].max() > 0 or g["overflow"].max() > 0
    ]
    fid = st.selectbox(
        t("charts.facility", lang),
        options,
        key="chart_facility",
        format_func=lambda f: facility_label(f, lang, ref, res.summary),
    )
    if fid in set(cps["checkpoint"]):
        d = cps[cps["checkpoint"] == fid].set_index("time_h")
        queues = {
            "queue_persons": "f.queue_persons",
            "far_queue_persons": "f.far_queue_persons",
            "held_beyond_border": "f.held_beyond_border",
        }
        waits = {"wait_max_h": "f.wait_h", "far_wait_max_h": "f.far_wait_h"}
        c1, c2 = st.columns(2)
        for col, series in ((c1, queues), (c2, waits)):
            shown = {c: t(key, lang) for c, key in series.items() if c in d}  # older runs: ours
            col.line_chart(d[list(shown)].rename(columns=shown))
    else:
        d = centres[centres["centre"] == fid].set_index("time_h")
        st.line_chart(
            d[["capacity", "occupancy", "overflow", "registration_queue"]].rename(
                columns={
                    "capacity": t("f.capacity", lang),
                    "occupancy": t("f.in_beds", lang),
                    "overflow": t("f.overflow", lang),
                    "registration_queue": t("f.registering", lang),
                }
            )
        )
    st.subheader(t("ledger.title", lang))
    led = res.tables["ledger_hourly"].set_index("time_h")
    fields = [k for k in LEDGER_FIELDS if k in led.columns]  # a run older than a field lacks it
    names = {k: t(f"ledger.{k}", lang) for k in fields}
    st.area_chart(led[fields[1:]].rename(columns=names))
    now = led.loc[[time_h], fields].to_dict("records")[0]
    st.dataframe(
        pd.DataFrame(
            {
                t("ledger.title", lang): [names[k] for k in fields],
                "": [f"{int(now[k]):,}" for k in fields],
            }
        ),
        hide_index=True,
        key="ledger_table",
    )


def _keep_section(lang: str) -> None:
    """Keep the section across a language switch. The radio's state is its option's label, so
    a browser sends the previous language's label, which no option has once the labels change:
    the section is set again from its language-independent id before the radio is drawn."""
    ss = st.session_state
    if ss.get("section_lang") != lang:
        if "section" in ss:
            ss["view"] = ss["section"]
        ss["section_lang"] = lang


def render() -> None:
    """Draw the page. A controller gets every control; a viewer (a wall display) the board of a
    bundled scenario as written, with time and language, and nothing that starts new work."""
    st.set_page_config(page_title="contingency", layout="wide")
    lang = st.sidebar.selectbox(
        "Язык / Тіл / Language", LANGUAGES, key="lang", format_func=LANGUAGE_NAMES.__getitem__
    )
    st.title(t("app.title", lang))
    role = session_role(lang)
    if role is None:  # the login form or why the board serves nothing is shown instead
        return
    controller = role == CONTROLLER
    view = "board"
    if controller:  # a viewer has no stress page
        _keep_section(lang)
        view = st.sidebar.radio(
            t("view.title", lang),
            ("board", "stress"),
            key="view",
            format_func=lambda v: t(f"view.{v}", lang),
        )
        st.session_state["section"] = view
    ref = load_refdata()
    base, scen_id = _base_scenario(lang, ref, uploads=controller)
    if base is None:
        return
    _reset_for(scen_id, base)
    if controller:
        st.sidebar.number_input(t("app.seed", lang), 0, MAX_SEED, key="seed")
    tiles = st.sidebar.text_input(
        t("app.tiles_url", lang), os.environ.get("CONTINGENCY_TILES", ""), key="tiles"
    )
    st.subheader(_plain(base.title_in(lang)))
    st.caption(_plain(base.description_in(lang)))
    if controller:
        if (applied := draw_levers(lang, base, ref)) is not None:
            st.session_state["levers"] = applied
        try:
            sc = apply_levers(
                base, ref, **st.session_state["levers"], injects=st.session_state["live_injects"]
            )
        except InputError as exc:
            _show_problems(lang, exc)
            return
        if view == "stress":
            render_stress(lang, sc, ref, role=role)
            return
        res = _run(lang, sc, int(st.session_state["seed"]))
    else:  # a viewer: the bundled scenario as written, with its own seed, never a run shaped
        # by a viewer; one run per file, shared by every session, viewers waiting their turn
        sc = base
        with _VIEWER_RUNS:
            res = _run(lang, sc, sc.seed)
    _board(lang, sc, res, ref, controller=controller, tiles=tiles)


def _board(
    lang: str, sc: Scenario, res: RunResult, ref: RefData, *, controller: bool, tiles: str
) -> None:
    """The board of one run: time, headline, map, gaps, injects, exports and charts."""
    if "day" not in st.session_state:  # open on the worst border moment, as exports do
        st.session_state["day"], st.session_state["hour"] = day_hour(default_moment(res.tables))
    time_h = _time_controls(lang, sc)
    _headline(lang, res, time_h, ref)
    left, right = st.columns([2, 1])
    with left:
        layers = build_layers(res.tables, res.summary, ref, time_h, scenario=sc)
        fmap = build_map(
            layers,
            ref,
            lang=lang,
            thresholds=res.summary["thresholds"],
            assets="board",
            tiles_url=tiles or None,
        )
        st_folium(fmap, height=620, use_container_width=True, returned_objects=[], key="map")
    with right:
        _gaps(lang, res, ref, time_h)
        _inject_log(lang, sc, ref, time_h)
    if controller:  # injects re-run the scenario; exports are drawn on demand
        _exercise(lang, sc, ref, time_h)
        _exports(lang, sc, res, time_h)
    _charts(lang, res, ref, time_h)
