"""The board's "effect of the decisions" panel: the run on the board against its baseline (the
same scenario and seed before the levers and live injects), up to the moment shown. When it is
shown is the page's choice."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from contingency.board.markdown import plain as _plain
from contingency.board.numbers import number
from contingency.i18n import t
from contingency.mapping.moments import clock_span
from contingency.mapping.names import gap_place
from contingency.metrics.delta import (
    HOUR_FIGURES,
    compare,
    figure_label,
    hours_digits,
    sentences,
    signed,
)
from contingency.metrics.gaps import Gap
from contingency.refdata import RefData
from contingency.results import RunResult


def draw_delta(lang: str, base: RunResult, run: RunResult, ref: RefData, time_h: int) -> None:
    """The effect of the decisions up to the end of hour ``time_h``: the biggest effects in
    words, the figures before / now / change, and the gaps opened, closed, worsened or eased.
    ``base``: the run of the scenario before the decisions, with the same seed."""
    delta = compare(base, run, ref, time_h=time_h)
    with st.container(key="delta"):
        st.markdown(f"**{_plain(t('delta.title', lang))}**")
        st.caption(t("delta.caption", lang, moment=clock_span(run.scenario.start, delta.time_h)))
        said = sentences(delta, lang, ref, run.summary)
        if said:
            st.markdown("\n".join(f"- {_plain(s)}" for s in said))
        else:
            st.info(t("delta.none", lang))
        rows = []
        for c in delta.figures:
            digits = 1 if c.key in HOUR_FIGURES else 0
            rows.append(
                {
                    t("delta.figure", lang): figure_label(c.key, lang),
                    t("delta.base", lang): number(c.base, lang, digits=digits),
                    t("delta.now", lang): number(c.run, lang, digits=digits),
                    t("delta.change", lang): signed(
                        c.change, lang, digits=hours_digits(c.change) if digits else 0
                    )
                    or "0",
                }
            )
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="delta_figures")
        groups: tuple[tuple[str, tuple[Gap, ...]], ...] = (
            ("delta.gaps_opened", delta.opened),
            ("delta.gaps_closed", delta.closed),
            ("delta.gaps_worsened", delta.worsened),
            ("delta.gaps_eased", delta.eased),
        )
        for key, gaps in groups:
            if gaps:
                summary = base.summary if key == "delta.gaps_closed" else run.summary
                places = ", ".join(gap_place(g, lang, ref, summary) for g in gaps)
                st.markdown(f"{_plain(t(key, lang))}: {_plain(places)}")
