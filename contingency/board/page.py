"""The board page. Widgets carry stable keys so tests can drive them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from contingency import DEFAULT_SCENARIO, SCENARIOS_DIR
from contingency.errors import InputError
from contingency.i18n import LANGUAGES, t
from contingency.refdata import load_refdata
from contingency.scenario import daily_totals, load_scenario


def _scenario_files() -> list[str]:
    names = sorted(p.name for p in SCENARIOS_DIR.glob("*.yaml"))
    default = DEFAULT_SCENARIO.name
    return [default, *[n for n in names if n != default]] if default in names else names


def render() -> None:
    """Draw the page."""
    st.set_page_config(page_title="contingency", layout="wide")
    lang = st.sidebar.selectbox(t("app.language"), LANGUAGES, key="lang")
    st.title(t("app.title", lang))
    choice = st.sidebar.selectbox(t("app.scenario", lang), _scenario_files(), key="scenario")
    ref = load_refdata()
    try:
        sc = load_scenario(SCENARIOS_DIR / choice, ref=ref)
    except InputError as exc:
        st.error(t("app.scenario_invalid", lang))
        st.code("\n".join(str(p) for p in exc.problems))
        return
    title = (sc.title or {}).get(lang, sc.name)
    st.subheader(title)
    st.write(sc.description)
    days = {
        cp: daily_totals(spec, sc.horizon_days, multiplier=sc.influx_multiplier)
        for cp, spec in sc.influx.items()
    }
    cols = st.columns(4)
    cols[0].metric(t("app.trigger", lang), sc.trigger.value)
    cols[1].metric(t("app.start", lang), sc.start.strftime("%Y-%m-%d"))
    cols[2].metric(t("app.horizon_days", lang), sc.horizon_days)
    cols[3].metric(t("app.total_arrivals", lang), f"{sum(int(d.sum()) for d in days.values()):,}")
    name_col = f"name_{lang}"
    table = pd.DataFrame(
        {
            "id": list(days),
            "name": [ref.checkpoints.at[cp, name_col] for cp in days],
            "persons": [int(d.sum()) for d in days.values()],
        }
    )
    st.markdown(f"**{t('app.influx_by_checkpoint', lang)}**")
    st.dataframe(table, hide_index=True, key="influx_table")
    st.markdown(f"**{t('app.daily_arrivals', lang)}**")
    st.line_chart(pd.DataFrame(days))
    st.info(t("app.placeholder", lang))
