"""A decision's effect: a run against its baseline (the same scenario and seed without it), in
figures, per facility, in gaps and in plain words; and the board's panel that shows it."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from contingency import SCENARIOS_DIR
from contingency.metrics.delta import FIGURE_KEYS, MAX_SENTENCES, compare, sentences
from contingency.results import RunResult, run_scenario
from contingency.scenario import Scenario, load_scenario

CLOSE_AT_H = 6.0


@pytest.fixture(scope="module")
def smoke(ref) -> Scenario:
    return load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)


@pytest.fixture(scope="module")
def closure(smoke, ref) -> tuple[RunResult, RunResult]:
    """The smoke scenario without injects, and with only Kaplanbek closed at 06:00 (never
    opened again), same seed."""
    close = next(i for i in smoke.injects if i.kind == "checkpoint_close")
    assert close.target == "kaplanbek"
    base = run_scenario(smoke.model_copy(update={"injects": []}), ref)
    closed = smoke.model_copy(update={"injects": [close.model_copy(update={"at_h": CLOSE_AT_H})]})
    return base, run_scenario(closed, ref)


def _peak_wait(res: RunResult, cp: str) -> float:
    cps = res.tables["checkpoints_hourly"]
    rows = cps[cps["checkpoint"] == cp]
    return round(float(rows[["wait_max_h", "far_wait_max_h"]].max().max()), 1)


def _processed(res: RunResult, cp: str) -> float:
    cps = res.tables["checkpoints_hourly"]
    return float(cps.loc[cps["checkpoint"] == cp, "processed"].sum())


def test_a_closure_shows_its_wait_and_its_persons_at_the_checkpoint(closure, ref):
    base, closed = closure
    delta = compare(base, closed, ref)
    wait = {c.key: c for c in delta.wait_h}["kaplanbek"]
    assert (wait.base, wait.run) == (_peak_wait(base, "kaplanbek"), _peak_wait(closed, "kaplanbek"))
    assert wait.change > 0  # people queue at the closed post
    processed = {c.key: c for c in delta.processed}["kaplanbek"]
    assert processed.change == _processed(closed, "kaplanbek") - _processed(base, "kaplanbek")
    assert processed.change < 0
    assert delta.wait_h[0].key == "kaplanbek"  # the largest change first
    assert [c.key for c in delta.figures] == list(FIGURE_KEYS)
    peak = delta.figure("peak_wait")
    assert peak.run == max(_peak_wait(closed, cp) for cp in ("kaplanbek", "zhibek_zholy"))


def test_gaps_opened_and_closed_swap_with_the_runs(closure, ref):
    base, closed = closure
    forward, back = compare(base, closed, ref), compare(closed, base, ref)
    key = lambda g: (g["facility"], g["metric"])  # noqa: E731
    assert [key(g) for g in forward.opened] == [key(g) for g in back.closed]
    assert [key(g) for g in forward.worsened] == [key(g) for g in back.eased]
    base_gaps = {key(g): g["severity"] for g in base.summary["gaps"]}
    closed_gaps = {key(g): g["severity"] for g in closed.summary["gaps"]}
    worse = {k for k, s in closed_gaps.items() if s == "red" and base_gaps.get(k) == "amber"}
    assert {key(g) for g in forward.worsened} == worse
    assert {key(g) for g in forward.opened} == set(closed_gaps) - set(base_gaps)
    assert forward.opened or forward.worsened  # the closure makes a gap worse somewhere


def test_nothing_changes_before_the_decision_takes_effect(closure, ref):
    base, closed = closure
    before = compare(base, closed, ref, time_h=int(CLOSE_AT_H))
    assert before.time_h == int(CLOSE_AT_H)
    assert all(c.change == 0 for c in before.figures)
    assert not (before.wait_h and before.wait_h[0].change)
    assert sentences(before, "ru", ref, closed.summary) == []
    after = compare(base, closed, ref, time_h=int(CLOSE_AT_H) + 12)
    assert any(c.change for c in after.figures)


def test_a_run_against_itself_has_no_effect(closure, ref):
    base, _ = closure
    same = compare(base, base, ref)
    assert not (same.opened or same.closed or same.worsened or same.eased)
    assert all(c.change == 0 for c in (*same.figures, *same.wait_h, *same.processed))
    assert sentences(same, "en", ref, base.summary) == []


def test_sentences_name_places_in_the_page_language(closure, ref):
    base, closed = closure
    delta = compare(base, closed, ref)
    ru = sentences(delta, "ru", ref, closed.summary)
    assert 0 < len(ru) <= MAX_SENTENCES
    wait = {c.key: c for c in delta.wait_h}["kaplanbek"]
    assert ru[0] == f"+{round(wait.change)} ч ожидания на пункте пропуска «Капланбек»"
    assert any(s.startswith("−") and "«Капланбек»" in s for s in ru)  # a true minus
    for s in ru:
        assert not re.search(r"[A-Za-z_]", s), s  # no id and no English word
    en = sentences(delta, "en", ref, closed.summary)
    assert en[0] == f"+{round(wait.change)} h of waiting at Kaplanbek"
    kk = sentences(delta, "kk", ref, closed.summary)
    assert "Қапланбек" in kk[0] and "сағ" in kk[0]


def _panel_app() -> None:
    from contingency import SCENARIOS_DIR
    from contingency.board.delta_panel import draw_delta
    from contingency.refdata import load_refdata
    from contingency.results import run_scenario
    from contingency.scenario import load_scenario

    ref = load_refdata()
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    base = run_scenario(sc.model_copy(update={"injects": []}), ref)
    draw_delta("ru", base, run_scenario(sc, ref), ref, 48)


def _keys(node) -> list[str]:
    found = [node.key] if getattr(node, "key", None) else []
    for child in getattr(node, "children", {}).values():
        found += _keys(child)
    return found


def test_the_panel_renders_under_its_key():
    at = AppTest.from_function(_panel_app, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "delta" in _keys(at.main)
    assert at.markdown[0].value == "**Эффект решений**"
    table = at.dataframe[0].value
    assert list(table.columns) == ["Показатель", "До решений", "Сейчас", "Изменение"]
    assert len(table) == len(FIGURE_KEYS)
    assert "ч ожидания на пункте пропуска" in at.markdown[1].value
