"""The situational board page. Widgets carry stable keys so tests can drive them; the logic
lives in importable functions (levers, runs, layers, map)."""

from __future__ import annotations

import hashlib
import os
import re
import threading

import pandas as pd
import streamlit as st
import yaml
from streamlit_folium import st_folium

from contingency.board.auth import CONTROLLER
from contingency.board.decisions import Decisions, current, decide, merged_levers, operator
from contingency.board.delta_panel import draw_delta
from contingency.board.exercise_panel import (
    exercise_log,
    follow,
    inject_controls,
    inject_log,
    linked_exercise,
    undo_button,
)
from contingency.board.gap_list import gap_row, gaps_at
from contingency.board.levers_panel import draw_levers, lever_values, reset_levers
from contingency.board.live_page import render_live
from contingency.board.login import session_role
from contingency.board.markdown import plain as _plain
from contingency.board.numbers import number
from contingency.board.run import cached_run
from contingency.board.stress_page import render_stress
from contingency.board.timeline_panel import draw_gap_timeline, draw_shortfalls
from contingency.errors import InputError
from contingency.i18n import LANGUAGES, t
from contingency.i18n.problems import problems_text
from contingency.levers import apply_levers
from contingency.mapping.export import (
    COUNCIL_NAMED,
    FORMATS,
    MARKING_ENV,
    SUFFIX,
    Run,
    council_file_name,
)
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
from contingency.mapping.webmap import build_map, legend_for
from contingency.refdata import RefData, load_refdata
from contingency.resources import DEFAULT_SCENARIO, SCENARIOS_DIR, bundled_scenarios
from contingency.results import LEDGER_FIELDS, RunResult
from contingency.scenario import (
    Scenario,
    load_scenario,
    load_scenario_bytes,
)
from contingency.scenario.schema import (
    MAX_SEED,
)
from contingency.scenario.sites import with_scenario_places
from contingency.store.exercise import Exercise, state_scenario

LANGUAGE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}
_VIEWER_RUNS = threading.Lock()
"""Viewers' runs go one at a time: many wall displays opening one scenario make one run."""
STEP_H = 6


def _scenario_files() -> list[str]:
    names = [p.name for p in bundled_scenarios()]
    default = DEFAULT_SCENARIO.name
    return [default, *[n for n in names if n != default]] if default in names else names


@st.cache_data
def _scenario_titles(lang: str) -> dict[str, str]:
    """Each bundled scenario's title in ``lang`` (its file name when its title cannot be read:
    the file is then reported when picked)."""
    titles = {}
    for path in bundled_scenarios():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            title = data.get("title") or {}
            titles[path.name] = str(title.get(lang) or title.get("ru") or path.name)
        except (OSError, yaml.YAMLError, AttributeError):
            titles[path.name] = path.name
    return titles


def _code(text: str) -> str:
    """``text`` as a markdown code span that no backtick inside it can end."""
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def _show_problems(lang: str, exc: InputError, *, header: str = "app.scenario_invalid") -> None:
    """Every problem of ``exc``, one per line, in the page's language."""
    lines = problems_text(exc, lang)
    st.error(t(header, lang) + "\n\n" + "\n".join(f"- {_code(line)}" for line in lines))


def _base_scenario(lang: str, ref: RefData, *, uploads: bool = True) -> tuple[Scenario | None, str]:
    """The scenario picked or uploaded (uploads only when ``uploads``), and an identity that
    changes when it does."""
    files = _scenario_files()
    wanted = st.query_params.get("scenario")
    if "scenario" not in st.session_state and wanted in files:  # a link may name the scenario
        st.session_state["scenario"] = wanted
    titles = _scenario_titles(lang)
    choice = st.sidebar.selectbox(
        t("app.scenario", lang), files, key="scenario", format_func=lambda f: titles.get(f, f)
    )
    if not uploads:  # a viewer: the bundled scenarios only
        return _bundled(lang, ref, choice)
    with st.sidebar.expander(t("app.upload", lang)):  # its widget's own words are English
        upload = st.file_uploader(t("app.upload", lang), type=["yaml", "yml"], key="upload")
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
        ss.pop("before_last", None)
        ss["seed"] = sc.seed
        if not scen_id.startswith("exercise:"):  # sharing an exercise keeps the moment shown
            ss.pop("day", None)
        reset_levers(sc, scen_id)


def _run(lang: str, sc: Scenario, seed: int, *, shared: bool = False) -> RunResult:
    """The run of ``sc`` with ``seed``, with a progress bar. ``shared``: a viewer's run, one at
    a time (many wall displays opening one scenario make one run, shared by every session)."""
    bar = st.progress(0.0, text=t("app.running", lang))

    def progress(f: float) -> None:
        bar.progress(min(1.0, f), text=t("app.running", lang))

    if shared:
        with _VIEWER_RUNS:
            result = cached_run(sc, seed, on_progress=progress)
    else:
        result = cached_run(sc, seed, on_progress=progress)
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
    cols = st.columns([1.0] * len(HEADLINE_KEYS) + [1.5, 1.5])  # a peak says where and when
    for col, key in zip(cols[: len(HEADLINE_KEYS)], HEADLINE_KEYS, strict=True):
        value = figures[key]
        col.metric(
            t(f"head.{key}", lang),
            number(value, lang, digits=1 if isinstance(value, float) else 0),
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
        number(p["wait_h"], lang, digits=1),
        t("head.where_when", lang, where=where, when=at_label(start, p["wait_time_h"])),
        delta_color="off",
        delta_arrow="off",  # where and when, not a change
    )
    cols[-1].metric(
        t("head.peak_without_bed", lang),
        number(p["without_bed"], lang),
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
    st.dataframe(
        table, hide_index=True, height=min(300, 35 * (len(rows) + 1) + 3), key="gaps_table"
    )


def _exports(lang: str, sc: Scenario, res: RunResult, time_h: int, d: Decisions) -> None:
    """Files for the council: maps, tables, the briefing and the after-action report (which
    re-runs the exercise inject by inject, with progress; a shared exercise's log gives each
    inject its real time and operator)."""
    with st.expander(t("export.download", lang)):
        c1, c2 = st.columns([1, 2])
        fmt = c1.selectbox(
            t("export.format", lang),
            FORMATS,
            key="exp_fmt",
            format_func=lambda f: t(f"export.fmt.{f}", lang),
        )
        marking = c2.text_input(
            t("export.marking", lang), os.environ.get(MARKING_ENV, ""), key="exp_marking"
        )
        if st.button(t("export.prepare", lang), key="exp_prepare"):
            run = Run(f"{sc.name}-s{res.summary['seed']}", res.scenario, res.tables, res.summary)
            bar = st.progress(0.0, text=t("app.running", lang))
            data = render_export(
                run,
                fmt,
                lang=lang,
                time_h=time_h,
                marking=marking or None,
                log=d.exercise.entries() if d.exercise is not None else (),
                on_progress=lambda f: bar.progress(min(1.0, f), text=t("app.running", lang)),
            )
            bar.empty()
            if fmt in COUNCIL_NAMED:  # <scenario>_<product>_<YYYYMMDD>: a council pack sorts
                name = council_file_name(run, fmt, time_h)
            else:
                moment = "" if fmt == "after_action" else f"-h{time_h}"
                name = f"{sc.name}-{fmt}{moment}-{lang}{SUFFIX[fmt]}"
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
                "": [number(int(now[k]), lang) for k in fields],
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


def _wall_style(wall: bool) -> None:
    """A compact page so the map sits above the fold; on a wall display (``?wall=1``) no
    sidebar, title or controls either. The style is the board's own constant text."""
    css = (
        ".block-container{padding-top:1.6rem;padding-bottom:1rem}"
        "h1{font-size:1.45rem !important;padding:0 0 .1rem 0 !important}"
        "h3{font-size:1.1rem !important;padding:0 !important}"
        "[data-testid='stMetricValue']{font-size:1.9rem}"
        "[data-testid='stMetric'] label p{font-size:.85rem}"
    )
    if wall:
        css += "section[data-testid='stSidebar'],[data-testid='stSidebarCollapsedControl']"
        css += "{display:none}"
    st.markdown(f"<style>{css}</style>", unsafe_allow_html=True)


def render() -> None:
    """Draw the page. A controller gets every control; a viewer (a wall display) the board of a
    bundled scenario as written, or of the shared exercise its link names, with time and
    language, and nothing that starts new work."""
    st.set_page_config(page_title="contingency", layout="wide")
    if "lang" not in st.session_state and st.query_params.get("lang") in LANGUAGES:
        st.session_state["lang"] = st.query_params["lang"]  # a wall display's link
    lang = st.sidebar.selectbox(
        "Язык / Тіл / Language", LANGUAGES, key="lang", format_func=LANGUAGE_NAMES.__getitem__
    )
    wall = st.query_params.get("wall") == "1"
    _wall_style(wall)
    if not wall:
        st.title(t("app.title", lang))
    role = session_role(lang)
    if role is None:  # the login form or why the board serves nothing is shown instead
        return
    controller = role == CONTROLLER and not wall  # a wall display shows, it does not steer
    view = _section(lang) if controller else "board"  # a viewer has no stress or live page
    ref = load_refdata()
    ex = linked_exercise(lang)
    if ex is False:
        return
    opened = _open(lang, ref, ex, controller=controller)
    if opened is None:
        return
    base, seed = opened
    d = current(ex, session=controller)
    tiles = st.sidebar.text_input(
        t("app.tiles_url", lang), os.environ.get("CONTINGENCY_TILES", ""), key="tiles"
    )
    st.subheader(_plain(base.title_in(lang)))
    if d.skipped:
        st.warning(t("exercise.skipped_lines", lang, n=d.skipped))
    if controller:
        _levers(lang, base, ref, d, seed)
    try:
        sc = apply_levers(base, ref, **d.now.levers, injects=d.now.injects)
    except InputError as exc:  # a state that no longer validates (another map pack, a bug):
        _show_problems(lang, exc)  # still offer the way out, and keep following
        if controller:
            undo_button(lang, base, ref, d, seed=seed, time_h=_shown_h())
        follow(d)
        return
    if view == "stress":
        render_stress(lang, sc, ref, role=role)
        return
    if view == "live":
        render_live(lang, sc, ref)
        return
    res = _run(lang, sc, seed, shared=not controller)
    before = _baseline(lang, base, ref, d, seed, shared=not controller) if d.any else None
    _board(lang, sc, res, ref, controller=controller, tiles=tiles, base=base, d=d,
           before=before, seed=seed)  # fmt: skip
    follow(d)


def _section(lang: str) -> str:
    """The controller's section: the board, the stress test or live operations."""
    _keep_section(lang)
    view = st.sidebar.radio(
        t("view.title", lang),
        ("board", "stress", "live"),
        key="view",
        format_func=lambda v: t(f"view.{v}", lang),
    )
    st.session_state["section"] = view
    return str(view)


def _levers(lang: str, base: Scenario, ref: RefData, d: Decisions, seed: int) -> None:
    """The levers, showing the figures in force (a shared exercise's, whoever set them); an
    Apply keeps only what this controller changed, checked before it is kept."""
    try:
        shown_sc = apply_levers(base, ref, **d.now.levers)
    except InputError:
        shown_sc = base
    ss = st.session_state
    if ss.get("levers_shown") != (ss.get("scen_id"), d.version):  # new figures in force
        ss["levers_shown"] = (ss.get("scen_id"), d.version)
        if d.exercise is not None:
            reset_levers(shown_sc, f"{ss.get('scen_id')}:{d.version}")
    applied = draw_levers(lang, shown_sc, ref)
    if applied is None:
        return
    shown = lever_values(shown_sc, ref)
    levers = merged_levers(d.now.levers, shown, applied)
    who = operator(t("exlog.local_operator", lang))
    try:
        decide(
            d,
            "levers",
            base=base,
            ref=ref,
            seed=seed,
            exercise_h=_shown_h(),
            who=who,
            levers=levers,
        )
    except InputError as exc:
        _show_problems(lang, exc, header="exercise.refused")
        return
    st.rerun()


def _open(
    lang: str, ref: RefData, ex: Exercise | None, *, controller: bool
) -> tuple[Scenario, int] | None:
    """The scenario before any decision and the seed: the shared exercise's, or the one picked
    (a viewer: bundled files only) with the sidebar's seed; None when it cannot be loaded."""
    if ex is not None:
        try:
            started, seed = ex.scenario(ref), int(ex.meta()["seed"])
        except InputError as exc:
            _show_problems(lang, exc)
            return None
        st.sidebar.info(t("exercise.following", lang, id=ex.id))
        _reset_for(f"exercise:{ex.id}", started)
        return started, seed
    base, scen_id = _base_scenario(lang, ref, uploads=controller)
    if base is None:
        return None
    _reset_for(scen_id, base)
    if not controller:  # a viewer: the bundled scenario as written, with its own seed
        return base, base.seed
    st.sidebar.number_input(t("app.seed", lang), 0, MAX_SEED, key="seed")
    return base, int(st.session_state["seed"])


def _shown_h() -> int:
    ss = st.session_state
    return time_of(int(ss.get("day", 1)), int(ss.get("hour", 0)))


def _baseline(
    lang: str, base: Scenario, ref: RefData, d: Decisions, seed: int, *, shared: bool
) -> RunResult | None:
    """The run the decisions are measured against: before the latest decision, or the
    scenario as written (the page's choice), with the same seed."""
    choice = st.session_state.get("delta_base", "last")
    state = d.before_last if choice == "last" and d.before_last is not None else None
    try:
        sc = base if state is None else state_scenario(base, ref, state)
    except InputError:
        sc = base
    return _run(lang, sc, seed, shared=shared)


def _board(
    lang: str,
    sc: Scenario,
    res: RunResult,
    ref: RefData,
    *,
    controller: bool,
    tiles: str,
    base: Scenario,
    d: Decisions,
    before: RunResult | None,
    seed: int,
) -> None:
    """The board of one run: time, headline, map with the gaps beside it, the gap timeline,
    shortfalls, the decisions' effect, the exercise, exports and charts."""
    _follow_time(d, res, sc.horizon_days)
    time_h = _time_controls(lang, sc)
    places = with_scenario_places(sc, ref)  # names of the crossings and sites it adds
    _headline(lang, res, time_h, places)
    left, right = st.columns([5, 2])
    layers = build_layers(res.tables, res.summary, ref, time_h, scenario=sc)
    thresholds = res.summary["thresholds"]
    with left:
        fmap = build_map(
            layers,
            ref,
            lang=lang,
            thresholds=thresholds,
            assets="board",
            tiles_url=tiles or None,
            legend=False,  # beside the map, where it covers nothing
        )
        st_folium(fmap, height=600, use_container_width=True, returned_objects=[], key="map")
    with right:
        _gaps(lang, res, places, time_h)
        with st.expander(t("legend.title", lang), expanded=False):
            st.html(legend_for(layers, lang, thresholds))
    draw_gap_timeline(lang, res, ref, time_h, before=before)
    draw_shortfalls(lang, res, ref, time_h)
    st.caption(_plain(sc.description_in(lang)))
    if before is not None:
        _delta(lang, before, res, places, time_h)
    exercise_log(lang, d, sc, ref)
    inject_log(lang, sc, ref, time_h)
    if controller:  # injects re-run the scenario; exports are drawn on demand
        inject_controls(lang, sc, base, ref, time_h, d, seed=seed)
        _exports(lang, sc, res, time_h, d)
    _charts(lang, res, places, time_h)


def _follow_time(d: Decisions, res: RunResult, horizon_days: int) -> None:
    """The moment shown: on opening, the worst border moment (as exports do); on a shared
    exercise, the hour after each new decision, on every screen following it, so its effect
    shows without a click."""
    ss = st.session_state
    if "day" not in ss:
        ss["day"], ss["hour"] = day_hour(default_moment(res.tables))
        ss["followed"] = d.decided
        return
    if d.latest_h is not None and ss.get("followed", 0) != d.decided:
        ss["followed"] = d.decided
        ss["day"], ss["hour"] = day_hour(min(horizon_days * 24, int(d.latest_h) + 1))


def _delta(lang: str, before: RunResult, res: RunResult, ref: RefData, time_h: int) -> None:
    """The effect of the decisions: against the run before the latest one, or the scenario
    as written (the page's choice), up to the moment shown."""
    draw_delta(lang, before, res, ref, time_h)
    st.radio(
        t("delta.against", lang),
        ("last", "written"),
        key="delta_base",
        horizontal=True,
        format_func=lambda v: t(f"delta.against.{v}", lang),
    )
