"""The levers on the board: the influx multiplier, buses, lanes per checkpoint and beds per
centre, changed without editing YAML. The widgets show the scenario on the board: a switch of
scenario or an upload puts every lever back to that scenario's figures."""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from contingency.domain import Mode
from contingency.i18n import t
from contingency.levers import current_beds, current_lanes
from contingency.mapping.names import facility_label
from contingency.refdata import RefData
from contingency.scenario import Scenario, checkpoints_in_play
from contingency.scenario.schema import MAX_BEDS, MAX_BUSES_PER_DAY, MAX_LANES

SCALAR_KEYS = ("lv_mult", "lv_buses", "lv_onward")
TABLE_KEYS = ("lv_lanes", "lv_beds")
_TAG = "_scenario"
"""A hidden column of the lever tables holding the scenario's identity: an editor's identity
follows its columns, so another scenario's table is a new editor with no edits carried over."""


def reset_levers(sc: Scenario, scen_id: str) -> None:
    """Put the lever widgets back to ``sc``'s figures (call when the scenario on the board
    changes, before the widgets are drawn)."""
    state = st.session_state
    state["lv_mult"] = float(sc.influx_multiplier)
    state["lv_buses"] = int(sc.transport.buses_per_day)
    state["lv_onward"] = int(sc.transport.onward_buses_per_day)
    state["lv_tag"] = hashlib.sha256(scen_id.encode("utf-8")).hexdigest()[:12]
    for key in TABLE_KEYS:
        state.pop(key, None)


def _counts(table: pd.DataFrame, most: int, labels: dict[str, str]) -> dict[str, Any]:
    """Column configs for a lever table of whole numbers from 0 to ``most`` (the schema's
    bound), none left empty, headed by ``labels``; the scenario tag hidden."""
    config: dict[str, Any] = {
        c: st.column_config.NumberColumn(
            labels.get(c, c), min_value=0, max_value=most, step=1, required=True
        )
        for c in table.columns
        if c != _TAG
    }
    config[_TAG] = None
    return config


def _named(rows: dict[str, dict[str, int]], names: dict[str, str], tag: str) -> pd.DataFrame:
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.Index([names[i] for i in table.index])
    table[_TAG] = tag
    return table


def draw_levers(lang: str, sc: Scenario, ref: RefData) -> dict[str, Any] | None:
    """Draw the levers; the values to apply when the controller presses Apply, else None."""
    tag = str(st.session_state.get("lv_tag", ""))
    with st.expander(t("levers.title", lang)), st.form("levers_form"):
        c1, c2, c3 = st.columns(3)
        mult = c1.slider(t("levers.influx_multiplier", lang), 0.25, 3.0, step=0.05, key="lv_mult")
        buses = c2.number_input(
            t("levers.buses_per_day", lang), 0, MAX_BUSES_PER_DAY, step=10, key="lv_buses"
        )
        onward = c3.number_input(
            t("levers.onward_buses", lang), 0, MAX_BUSES_PER_DAY, step=5, key="lv_onward"
        )
        cps = checkpoints_in_play(sc, ref)
        cp_names = {cp: facility_label(cp, lang, ref, {}) for cp in cps}
        lanes = _named({cp: current_lanes(sc, ref, cp) for cp in cps}, cp_names, tag)
        modes = {m.value: t(f"mode.{m.value}", lang) for m in Mode}
        st.caption(t("levers.lanes", lang))
        lanes_ed = st.data_editor(
            lanes, key="lv_lanes", width="stretch", column_config=_counts(lanes, MAX_LANES, modes)
        )
        cids = [str(c) for c in ref.centres.index]
        centre_names = {cid: facility_label(cid, lang, ref, {}) for cid in cids}
        beds = _named(
            {cid: {"beds": current_beds(sc, ref, cid)} for cid in cids}, centre_names, tag
        )
        st.caption(t("levers.beds", lang))
        beds_ed = st.data_editor(
            beds,
            key="lv_beds",
            width="stretch",
            height=240,
            column_config=_counts(beds, MAX_BEDS, {"beds": t("exercise.beds", lang)}),
        )
        if not st.form_submit_button(t("levers.apply", lang)):
            return None
    lanes_by_id = dict(zip(cp_names, lanes_ed.drop(columns=[_TAG]).to_dict("records"), strict=True))
    beds_by_id = dict(zip(centre_names, beds_ed["beds"], strict=True))
    return {
        "influx_multiplier": float(mult),
        "buses_per_day": int(buses),
        "onward_buses_per_day": int(onward),
        "lanes": {cp: {m: int(v) for m, v in row.items()} for cp, row in lanes_by_id.items()},
        "beds": {cid: int(n) for cid, n in beds_by_id.items()},
    }


def lever_values(sc: Scenario, ref: RefData) -> dict[str, Any]:
    """``sc``'s figures in the form :func:`draw_levers` returns them (what the widgets show)."""
    cps = checkpoints_in_play(sc, ref)
    return {
        "influx_multiplier": float(sc.influx_multiplier),
        "buses_per_day": int(sc.transport.buses_per_day),
        "onward_buses_per_day": int(sc.transport.onward_buses_per_day),
        "lanes": {
            cp: {str(m): int(v) for m, v in current_lanes(sc, ref, cp).items()} for cp in cps
        },
        "beds": {str(c): int(current_beds(sc, ref, str(c))) for c in ref.centres.index},
    }
