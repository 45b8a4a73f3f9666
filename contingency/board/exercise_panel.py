"""The exercise on the board: the inject log, the controller's live injects, a shared exercise
(started here, followed on any screen opened with ``?exercise=<id>``) and its log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

import pandas as pd
import streamlit as st
from pydantic import BaseModel

from contingency.board.decisions import Decisions, after, decide, operator
from contingency.board.targets import target_label
from contingency.domain import LaneMode
from contingency.errors import InputError
from contingency.i18n import t
from contingency.i18n.problems import problems_text
from contingency.levers import current_beds
from contingency.refdata import RefData
from contingency.scenario import Scenario, checkpoints_in_play, dump_scenario
from contingency.scenario.plan import resolve_checkpoint
from contingency.scenario.schema import (
    INJECT_BY_KIND,
    LIVE_KINDS,
    MAX_BEDS,
    MAX_LANES,
    MAX_PROCESSING_MULTIPLIER,
    AnyInject,
    Side,
)
from contingency.scenario.sites import with_scenario_places
from contingency.scenario.targets import target_choices
from contingency.store.exercise import MAX_NOTE, Exercise, ExerciseState, check_id

FOLLOW_EVERY_S = 3
"""How often a screen following an exercise looks at its log, seconds."""


def linked_exercise(lang: str) -> Exercise | Literal[False] | None:
    """The exercise named by the page's link (``?exercise=<id>``); None when the link names
    none; False when it names one that is not in the store (the reason has been shown)."""
    wanted = st.query_params.get("exercise")
    if not wanted:
        return None
    try:
        ex = Exercise(check_id(wanted))
    except InputError:
        st.error(t("exercise.bad_link", lang))
        return False
    if not ex.exists():
        st.error(t("exercise.unknown", lang))
        return False
    return ex


def follow(d: Decisions) -> None:
    """Keep this screen on the exercise: every few seconds, redraw the page when the log has
    changed since it was drawn (a wall display needs no click)."""
    ex = d.exercise
    if ex is None:
        return

    @st.fragment(run_every=timedelta(seconds=FOLLOW_EVERY_S))
    def watch() -> None:
        if ex.version() != d.version:
            st.rerun()

    watch()


def inject_log(lang: str, sc: Scenario, ref: RefData, time_h: int) -> None:
    """Every inject of the run (written in the scenario or added live), in time order."""
    st.markdown(f"**{t('injects.title', lang)}**")
    if not sc.injects:
        st.caption(t("injects.none", lang))
        return
    places = with_scenario_places(sc, ref)
    rows = [
        {
            t("injects.time", lang): _at(sc.start, i.at_h),
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


def exercise_log(lang: str, d: Decisions, sc: Scenario, ref: RefData) -> None:
    """The shared exercise's log (key ``exercise_log``): real time, exercise time, operator,
    what was done and the note."""
    with st.container(key="exercise_log"):
        st.markdown(f"**{t('exlog.title', lang)}**")
        if d.exercise is None:
            st.caption(t("exlog.none", lang))
            return
        st.caption(t("exlog.id", lang, id=d.exercise.id))
        places = with_scenario_places(sc, ref)
        rows = [
            {
                t("exlog.real_time", lang): _clock(e.real_time),
                t("exlog.exercise_time", lang): _at(sc.start, e.exercise_h),
                t("exlog.operator", lang): e.operator,
                t("exlog.action", lang): _what(lang, e.action, e.inject, sc, places),
                t("exlog.note", lang): e.note,
            }
            for e in reversed(d.exercise.entries())
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="exercise_log_table")


def _at(start: datetime, hours: float) -> str:
    """A point in exercise time on the clock (``2027-03-03 10:00``)."""
    return (start + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


def _clock(iso: str) -> str:
    """An ISO time in UTC as ``YYYY-MM-DD HH:MM:SS UTC``."""
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return iso


def _what(
    lang: str, action: str, inject: dict[str, Any] | None, sc: Scenario, places: RefData
) -> str:
    if action == "inject" and inject is not None:
        kind = str(inject.get("kind", ""))
        target = inject.get("target")
        cls = INJECT_BY_KIND.get(kind)
        if cls is None:
            return kind
        name = target_label(cls.target_kind, target, lang, sc=sc, ref=places) if target else ""
        return f"{t(f'inject.{kind}', lang)}: {name}" if name else t(f"inject.{kind}", lang)
    return t(f"exlog.action.{action}", lang)


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


def _params(lang: str, kind: str, target: str | None, sc: Scenario, places: RefData) -> dict:
    """The inputs of an inject of ``kind`` on ``target``, drawn; their values."""
    params: dict[str, Any] = {}
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
    return params


def inject_controls(
    lang: str, sc: Scenario, base: Scenario, ref: RefData, time_h: int, d: Decisions, *, seed: int
) -> None:
    """The controller's live injects at the moment shown, the undo, the start of a shared
    exercise and the exercise saved as a scenario. ``base`` is the scenario before any
    decision (a shared exercise starts from it); ``seed`` the run's."""
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
        params = _params(lang, kind, target, sc, places)
        by = st.text_input(t("exercise.by", lang), key="ex_by", max_chars=200)
        note = st.text_input(t("exercise.note", lang), key="ex_note", max_chars=MAX_NOTE)
        who = operator(t("exlog.local_operator", lang))
        c1, c2 = st.columns(2)
        if c1.button(t("exercise.add", lang), key="ex_add", disabled=target is None):
            inj: dict[str, Any] = {"at_h": float(time_h), "kind": kind, "target": target}
            inj.update({"by": by or None, "note": note or None})
            if params:
                inj["params"] = params
            try:
                decide(d, "inject", **_on(base, ref, seed, time_h, who), inject=inj, note=note)
            except InputError as exc:  # refused: the scenario with it would not validate
                st.error(t("exercise.refused", lang) + "\n\n" + _listed(exc, lang))
            else:
                when = _at(sc.start, time_h)
                st.session_state["ex_message"] = t(
                    "exercise.added", lang, what=t(f"inject.{kind}", lang), when=when
                )
                st.rerun()
        undo_button(lang, base, ref, d, seed=seed, time_h=time_h, column=c2)
        if msg := st.session_state.pop("ex_message", None):
            st.success(msg)
        _share(lang, base, ref, time_h, d, who)
        st.download_button(
            t("exercise.save", lang),
            dump_scenario(sc).encode("utf-8"),
            file_name=f"{sc.name}-exercise.yaml",
            mime="application/x-yaml",
            key="ex_save",
        )


def _on(base: Scenario, ref: RefData, seed: int, time_h: float, who: str) -> dict[str, Any]:
    """The arguments of :func:`decide` that say on what, when and by whom."""
    return {"base": base, "ref": ref, "seed": seed, "exercise_h": float(time_h), "who": who}


def _listed(exc: InputError, lang: str) -> str:
    return "\n".join(f"- {line}" for line in problems_text(exc, lang))


def undo_button(
    lang: str,
    base: Scenario,
    ref: RefData,
    d: Decisions,
    *,
    seed: int,
    time_h: int,
    column: Any = None,
) -> None:
    """Undo the latest inject in force (also offered when the board cannot be drawn)."""
    where = column if column is not None else st
    if where.button(t("exercise.undo", lang), key="ex_undo", disabled=not d.now.injects):
        who = operator(t("exlog.local_operator", lang))
        try:
            decide(d, "undo", **_on(base, ref, seed, time_h, who))
        except InputError as exc:
            st.error(t("exercise.refused", lang) + "\n\n" + _listed(exc, lang))
            return
        st.rerun()


def _share(lang: str, base: Scenario, ref: RefData, time_h: int, d: Decisions, who: str) -> None:
    """Start a shared exercise from this board (its decisions so far come along), or show the
    link of the one this screen is on."""
    if d.exercise is not None:
        st.info(t("exercise.shared", lang, link=f"?exercise={d.exercise.id}"))
        return
    if not st.button(t("exercise.share", lang), key="ex_share"):
        return
    seed = int(st.session_state["seed"])
    ex = Exercise.start(base, seed=seed, operator=who, exercise_h=float(time_h))
    shared = Decisions(ExerciseState(), None, ex)
    if d.now.levers:
        decide(shared, "levers", **_on(base, ref, seed, time_h, who), levers=d.now.levers)
        shared = Decisions(ExerciseState(levers=d.now.levers), None, ex)
    for inj in d.now.injects:
        note = str(inj.get("note") or "")
        decide(shared, "inject", **_on(base, ref, seed, inj["at_h"], who), inject=inj, note=note)
        shared = Decisions(after(shared, "inject", inject=inj, levers=None), None, ex)
    st.query_params["exercise"] = ex.id
    st.rerun()
