"""The stress-test page of the board: replications on Dask, breaking points, reserves, stored
explorations of uncertain inputs (discovery boxes and sensitivity as charts), and the run store
(list and compare)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from contingency.board.auth import CONTROLLER
from contingency.board.numbers import number
from contingency.explore.study import KIND as EXPLORE
from contingency.explore.words import box_text, input_label
from contingency.i18n import t
from contingency.mapping.names import facility_label
from contingency.refdata import RefData
from contingency.results import LEDGER_FIELDS
from contingency.scenario import Scenario
from contingency.store import RunStore
from contingency.stress.sweep import LEVERS, SweepSpec


def _study(lang: str, sc: Scenario, ref: RefData) -> None:
    st.subheader(t("stress.title", lang))
    c1, c2, c3 = st.columns(3)
    reps = c1.number_input(t("stress.replications", lang), 1, 1000, 10, key="st_reps")
    workers = c2.number_input(t("stress.workers", lang), 1, 16, 2, key="st_workers")
    lever = c3.selectbox(
        t("stress.sweep", lang),
        ("none", *LEVERS),
        key="st_lever",
        format_func=lambda x: t("stress.sweep_none", lang) if x == "none" else x,
    )
    lo, hi = st.slider(t("stress.range", lang), 0.1, 5.0, (0.5, 3.0), 0.1, key="st_range")
    if sc.reserves:
        budget = st.number_input(t("stress.budget", lang), 0.0, 1e12, 0.0, key="st_budget")
    else:
        st.caption(t("stress.no_reserves", lang))
        budget = 0.0
    if st.button(t("stress.run", lang), key="st_run"):
        from contingency.stress.runner import dask_client
        from contingency.stress.study import StudyFailed, run_study

        bar = st.progress(0.0, text=t("stress.running", lang))
        try:
            with dask_client(workers=int(workers)) as client:
                study = run_study(
                    sc,
                    ref,
                    client,
                    replications=int(reps),
                    sweep=None if lever == "none" else SweepSpec(lever, lo, hi),
                    budget=budget or None,
                    on_progress=lambda f: bar.progress(f, text=t("stress.running", lang)),
                )
        except StudyFailed as exc:  # every replication failed: show why, store nothing
            bar.empty()
            for f in exc.failures:
                st.error(t("stress.failed", lang, seed=f["seed"], error=f["error"]))
            return
        bar.empty()
        stored = RunStore().save(
            study.write_files,
            scenario=sc.name,
            seed=sc.seed,
            kind="stress",
            summary={"gaps": [], "ledger": {}},
        )
        st.session_state["study"] = (study.summary, study.tables, stored.run_id, str(stored.path))
    if "study" in st.session_state:
        _show_study(lang, ref, *st.session_state["study"])


def _show_sweep(lang: str, ref: RefData, sweep: dict[str, Any], png: Path) -> None:
    """The capacity envelope (if drawn) and each facility's breaking point."""
    st.markdown(f"**{t('stress.envelope', lang)}**")
    if png.exists():
        st.image(str(png))
    bps = sweep["breaking_points"]
    st.dataframe(
        pd.DataFrame(
            {
                "name": [facility_label(f, lang, ref, {}) for f in bps],
                t("stress.breaking_point", lang): [
                    t("stress.never", lang) if v is None else v for v in bps.values()
                ],
            }
        ),
        hide_index=True,
        key="st_bps",
    )


def _show_study(
    lang: str,
    ref: RefData,
    summary: dict[str, Any],
    tables: dict[str, pd.DataFrame],
    run_id: str,
    path: str,
) -> None:
    st.success(
        t(
            "stress.completed",
            lang,
            done=summary["completed"],
            n=summary["replications"],
            run_id=run_id,
        )
    )
    for f in summary["failed"]:
        st.warning(t("stress.failed", lang, seed=f["seed"], error=f["error"]))
    fac = tables["facilities"].copy()
    fac.insert(0, "name", [facility_label(f, lang, ref, {}) for f in fac["facility"]])
    fac = fac.rename(columns={"p_red": t("stress.p_red", lang)}).round(3)
    st.markdown(f"**{t('stress.facilities', lang)}**")
    st.dataframe(fac, hide_index=True, key="st_facilities")
    rph = summary["red_person_hours"]
    st.write(
        t(
            "stress.rph",
            lang,
            mean=number(rph["mean"], lang),
            p50=number(rph["p50"], lang),
            p95=number(rph["p95"], lang),
        )
    )
    if "sweep" in summary:
        _show_sweep(lang, ref, summary["sweep"], Path(path) / "envelope.png")
    if "reserves" in summary:
        rv = summary["reserves"]
        st.markdown(f"**{t('stress.reserves', lang)}**")
        st.dataframe(pd.DataFrame(rv["ranking"]), hide_index=True, key="st_ranking")
        st.info(
            t(
                "stress.package",
                lang,
                budget=number(rv["budget"], lang),
                items=", ".join(rv["package"]) or "—",
                cost=number(rv["package_cost"], lang),
                left=number(rv["package_red_person_hours"], lang),
            )
        )


def discovery_bars(summary: dict[str, Any], lang: str, ref: RefData) -> pd.DataFrame:
    """One row per condition of each discovery box: the facility and input in ``lang``, and
    the condition's [low, high] as shares of the input's range (0 its low end, 1 its high)."""
    rows = []
    inputs = summary.get("inputs", {})
    for box in summary.get("discovery", []):
        for c in box["conditions"]:
            info = inputs.get(c["input"], {})
            lo, hi = info.get("low", c["range_low"]), info.get("high", c["range_high"])
            width = (hi - lo) or 1.0
            rows.append(
                {
                    "facility": facility_label(box["facility"], lang, ref, {}),
                    "input": input_label(str(info.get("field", c["input"])), lang, ref),
                    "from": (c["low"] - lo) / width,
                    "to": (c["high"] - lo) / width,
                    "low": c["low"],
                    "high": c["high"],
                }
            )
    return pd.DataFrame(rows, columns=["facility", "input", "from", "to", "low", "high"])


def sensitivity_bars(summary: dict[str, Any], output: str, lang: str, ref: RefData) -> pd.DataFrame:
    """One row per input and index of ``output``'s sensitivity: the input in ``lang``, the
    index's name (S1, ST, or the rank regression's score) and its value."""
    inputs = summary.get("inputs", {})
    sobol = summary.get("sensitivity_method") == "sobol"
    names = {"S1": t("explore.s1", lang), "ST": t("explore.st", lang)}
    rows = []
    for name, v in summary.get("sensitivity", {}).get(output, {}).items():
        label = input_label(str(inputs.get(name, {}).get("field", name)), lang, ref)
        for index in ("S1", "ST") if sobol else ("score",):
            index_name = names.get(index, t("explore.srrc", lang))
            rows.append({"input": label, "index": index_name, "value": v[index]})
    return pd.DataFrame(rows, columns=["input", "index", "value"])


def _output_label(output: str, lang: str, ref: RefData) -> str:
    if output == "red_person_hours":
        return t("explore.output_total", lang)
    facility = output.rsplit(".", 1)[0]
    return t("explore.output_peak", lang, facility=facility_label(facility, lang, ref, {}))


def _show_discovery(lang: str, ref: RefData, summary: dict[str, Any]) -> None:
    st.markdown(f"**{t('explore.discovery', lang)}**")
    bars = discovery_bars(summary, lang, ref)
    if bars.empty:
        st.caption(t("explore.discovery_none", lang))
        return
    chart = (
        alt.Chart(bars)
        .mark_bar()
        .encode(
            x=alt.X("from:Q", scale=alt.Scale(domain=[0, 1]), title=t("explore.range_share", lang)),
            x2="to:Q",
            y=alt.Y("input:N", title=None, axis=alt.Axis(labelLimit=320)),
            row=alt.Row(
                "facility:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")
            ),
            tooltip=[
                alt.Tooltip("facility:N", title=t("explore.facility", lang)),
                alt.Tooltip("input:N", title=t("explore.input", lang)),
                alt.Tooltip("low:Q", title=t("explore.low", lang), format=",.2f"),
                alt.Tooltip("high:Q", title=t("explore.high", lang), format=",.2f"),
            ],
        )
    )
    st.altair_chart(chart)
    st.caption(t("explore.discovery_caption", lang))
    for box in summary["discovery"]:
        st.text(box_text(box, summary.get("inputs", {}), lang, ref))


def _show_sensitivity(lang: str, ref: RefData, summary: dict[str, Any]) -> None:
    st.markdown(f"**{t('explore.sensitivity', lang)}**")
    outputs = list(summary.get("sensitivity", {}))
    if not outputs:
        st.caption(t("explore.sensitivity_none", lang))
        return
    output = st.selectbox(
        t("explore.output", lang),
        outputs,
        key="ex_output",
        format_func=lambda o: _output_label(o, lang, ref),
    )
    bars = sensitivity_bars(summary, output, lang, ref)
    chart = (
        alt.Chart(bars)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=t("explore.score", lang)),
            y=alt.Y("input:N", title=None, sort="-x", axis=alt.Axis(labelLimit=320)),
            color=alt.Color("index:N", title=None, legend=alt.Legend(orient="bottom")),
            yOffset="index:N",
            tooltip=["input:N", "index:N", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    st.altair_chart(chart, width="stretch")


def _show_explore_reserves(lang: str, ref: RefData, rv: dict[str, Any]) -> None:
    st.markdown(f"**{t('explore.reserves', lang)}**")
    table = pd.DataFrame(rv["ranking"])
    if not table.empty:
        table = table.rename(columns={"removed_mean": t("explore.removed_mean", lang)})
    st.dataframe(table, hide_index=True, key="ex_reserves")
    st.caption(
        t(
            "explore.reserves_about",
            lang,
            samples=number(rv["samples"], lang),
            runs=number(rv["runs"], lang),
            budget=number(rv["budget"], lang),
            items=", ".join(rv["package"]) or "—",
            cost=number(rv["package_cost"], lang),
        )
    )


def _explorations(lang: str, ref: RefData) -> None:
    """Stored explorations (``contingency explore``): when facilities go red, what drives
    the outcomes, and reserves across the samples."""
    st.subheader(t("explore.title", lang))
    store = RunStore()
    runs = store.list(kind=EXPLORE)
    if not runs:
        st.caption(t("explore.none", lang))
        return
    run_id = st.selectbox(t("explore.run", lang), [r.run_id for r in runs], key="ex_run")
    path = store.get(run_id).path / "summary.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    st.caption(
        t(
            "explore.about",
            lang,
            scenario=summary["scenario"],
            completed=number(summary["completed"], lang),
            runs=number(summary["runs"], lang),
            method=summary["method"],
            seed=summary["seed"],
        )
    )
    _show_discovery(lang, ref, summary)
    _show_sensitivity(lang, ref, summary)
    if "reserves" in summary:
        _show_explore_reserves(lang, ref, summary["reserves"])


def _store(lang: str) -> None:
    st.subheader(t("store.title", lang))
    store = RunStore()
    runs = store.list()
    if not runs:
        st.caption(t("store.none", lang))
        return
    table = pd.DataFrame([{k: v for k, v in r.__dict__.items() if k != "path"} for r in runs])
    st.dataframe(table, hide_index=True, key="store_table")
    plain = [r.run_id for r in runs if r.kind == "run"]
    if len(plain) >= 2:
        chosen = st.multiselect(
            t("store.compare", lang),
            plain,
            default=plain[:2],
            max_selections=2,
            key="store_compare",
        )
        if len(chosen) == 2:
            cols = {}
            for rid in chosen:
                s = json.loads((store.get(rid).path / "summary.json").read_text(encoding="utf-8"))
                cols[rid] = {
                    **{  # a run older than a field lacks it
                        t(f"ledger.{k}", lang): s["ledger"].get(k) for k in LEDGER_FIELDS
                    },
                    "red": sum(g["severity"] == "red" for g in s["gaps"]),
                    "amber": sum(g["severity"] == "amber" for g in s["gaps"]),
                }
            st.dataframe(pd.DataFrame(cols), key="store_diff")


def render_stress(lang: str, sc: Scenario, ref: RefData, *, role: str) -> None:
    """The stress page, for a controller only: a study costs many runs."""
    if role != CONTROLLER:
        st.error(t("auth.controller_only", lang))
        return
    _study(lang, sc, ref)
    _explorations(lang, ref)
    _store(lang)
