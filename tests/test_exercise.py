"""One exercise on several screens: the log in the run store, its replay, and the board that
starts an exercise on one screen and shows it on another opened with ``?exercise=<id>``."""

from __future__ import annotations

import json

import pytest
from conftest import choose_live_inject
from streamlit.testing.v1 import AppTest

from contingency import PROJECT_ROOT, SCENARIOS_DIR
from contingency.errors import InputError
from contingency.i18n import t
from contingency.mapping.layers import day_hour
from contingency.results import run_scenario
from contingency.scenario import load_scenario
from contingency.store.exercise import (
    Exercise,
    LogEntry,
    exercise_log_for_run,
    list_exercises,
    now_utc,
    replay,
    state_scenario,
)

APP = str(PROJECT_ROOT / "app.py")
CLOSE = {"at_h": 12.0, "kind": "checkpoint_close", "target": "zhibek_zholy", "by": "HQ"}


@pytest.fixture
def smoke(ref):
    return load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)


def test_the_log_survives_a_new_reader_and_replays_to_the_same_state(tmp_path, smoke):
    ex = Exercise.start(smoke, seed=7, operator="duty", runs_dir=tmp_path)
    ex.append(LogEntry(now_utc(), 12, "duty", "inject", inject=CLOSE, note="road flooded"))
    ex.append(LogEntry(now_utc(), 13, "duty", "levers", levers={"buses_per_day": 50}))
    again = Exercise(ex.id, tmp_path)  # as a restarted board would open it
    assert [e.action for e in again.entries()] == ["start", "inject", "levers"]
    assert again.state().injects == [CLOSE]
    assert again.state().levers == {"buses_per_day": 50}
    assert again.meta()["seed"] == 7
    assert again.scenario(_ref()) == smoke
    assert [e.id for e in list_exercises(tmp_path)] == [ex.id]


def _ref():
    from contingency.refdata import load_refdata

    return load_refdata()


def test_undo_takes_back_the_latest_inject_still_in_force():
    other = {**CLOSE, "at_h": 20.0}
    log = [
        LogEntry("t", 0, "a", "start"),
        LogEntry("t", 12, "a", "inject", inject=CLOSE),
        LogEntry("t", 20, "a", "inject", inject=other),
        LogEntry("t", 21, "a", "undo"),
    ]
    assert replay(log).injects == [CLOSE]
    assert (
        replay([*log, LogEntry("t", 22, "a", "undo"), LogEntry("t", 23, "a", "undo")]).injects == []
    )


def test_a_line_cut_short_by_a_crash_is_skipped_not_fatal(tmp_path, smoke):
    ex = Exercise.start(smoke, seed=1, operator="duty", runs_dir=tmp_path)
    ex.append(LogEntry(now_utc(), 12, "duty", "inject", inject=CLOSE))
    with ex.log_path.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"action": "inject", "real_time": "x"})[:20])  # no newline, cut
    assert [e.action for e in ex.entries()] == ["start", "inject"]


@pytest.mark.parametrize("bad", ["../../etc", "ex-1", "ex-20270101-000000-zzzzzz", ""])
def test_a_link_naming_no_exercise_is_refused(bad, tmp_path):
    with pytest.raises(InputError):
        Exercise(bad, tmp_path)


def test_the_log_of_a_run_is_found_from_the_run_alone(tmp_path, ref, smoke):
    ex = Exercise.start(smoke, seed=3, operator="duty", runs_dir=tmp_path)
    ex.append(LogEntry(now_utc(), 12, "duty", "inject", inject=CLOSE, note="why"))
    ex.append(LogEntry(now_utc(), 14, "duty", "undo"))
    with_close = state_scenario(smoke, ref, replay(ex.entries()[:2]))
    found = exercise_log_for_run(with_close, 3, ref, runs_dir=tmp_path)
    assert [e.action for e in found] == ["start", "inject"]
    assert found[-1].note == "why"
    assert exercise_log_for_run(with_close, 4, ref, runs_dir=tmp_path) == []  # another seed
    stored = run_scenario(with_close, ref, seed=3).save(tmp_path / "run")
    from contingency.mapping.export import load_run

    again = load_run(stored).scenario  # the scenario read back from the run folder
    assert exercise_log_for_run(again, 3, ref, runs_dir=tmp_path) == found


def _table(at: AppTest, column_key: str):
    """The table on the page with the column ``column_key`` names (in Russian)."""
    name = t(column_key, "ru")
    return next(d.value for d in at.dataframe if name in d.value.columns)


def test_an_exercise_started_on_one_screen_shows_on_another(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTINGENCY_RUNS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.selectbox(key="scenario").set_value("smoke.yaml").run()
    choose_live_inject(at, "checkpoint_close", "zhibek_zholy", day=1, hour=12)
    at.text_input(key="ex_by").set_value("Дежурный")
    at.text_input(key="ex_note").set_value("паводок на подъезде")
    at.button(key="ex_add").click().run()
    at.button(key="ex_share").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (ex,) = list_exercises(tmp_path)
    assert at.query_params["exercise"] == [ex.id] or at.query_params["exercise"] == ex.id
    assert [e.action for e in ex.entries()] == ["start", "inject"]

    wall = AppTest.from_file(APP, default_timeout=300)
    wall.query_params["exercise"] = ex.id
    wall.run()
    assert not wall.exception, [e.value for e in wall.exception]
    log = _table(wall, "exlog.operator")
    assert "паводок на подъезде" in log.to_string()
    assert "Дежурный" in _table(wall, "injects.by").to_string()

    # the controller undoes it; the wall shows the change at its next look at the log
    at.button(key="ex_undo").click().run()
    wall.run()
    assert "Дежурный" not in _table(wall, "injects.by").to_string()  # no longer in force
    # every screen moved to the hour after the latest decision (the undo)
    undo = ex.entries()[-1]
    assert undo.action == "undo"
    shown = (wall.slider(key="day").value, wall.slider(key="hour").value)
    assert shown == day_hour(int(undo.exercise_h) + 1) != day_hour(48)
    assert len(_table(wall, "exlog.operator")) == 3


def test_a_wall_display_link_shows_the_board_without_controls(tmp_path, monkeypatch):
    """``?wall=1``: no sidebar controls that steer, no levers, no inject control, no exports."""
    monkeypatch.setenv("CONTINGENCY_RUNS", str(tmp_path))
    wall = AppTest.from_file(APP, default_timeout=300)
    wall.query_params["wall"] = "1"
    wall.query_params["scenario"] = "smoke.yaml"
    wall.query_params["lang"] = "kk"
    wall.run()
    assert not wall.exception, [e.value for e in wall.exception]
    keys = {getattr(w, "key", None) for w in (*wall.button, *wall.selectbox, *wall.number_input)}
    assert not keys & {"ex_add", "ex_share", "exp_prepare", "seed", "lv_buses"}
    assert wall.selectbox(key="lang").value == "kk"
    assert {"day", "hour"} <= {s.key for s in wall.slider}  # time still moves


def test_a_decision_that_would_not_validate_is_refused_and_not_logged(tmp_path, ref, smoke):
    """Before: an inject the widgets allowed (three ×20 surges) was logged although the
    scenario with it no longer validated; every screen on the exercise then showed only the
    error, with no undo, for good."""
    from contingency.board.decisions import current, decide

    ex = Exercise.start(smoke, seed=1, operator="duty", runs_dir=tmp_path)
    bad = {"at_h": 5.0, "kind": "checkpoint_close", "target": "no_such_post"}
    with pytest.raises(InputError):
        decide(
            current(ex, session=False),
            "inject",
            base=smoke,
            ref=ref,
            seed=1,
            exercise_h=5,
            who="duty",
            inject=bad,
        )
    assert [e.action for e in ex.entries()] == ["start"]
    decide(
        current(ex, session=False),
        "inject",
        base=smoke,
        ref=ref,
        seed=1,
        exercise_h=12,
        who="duty",
        inject=CLOSE,
    )
    (start, added) = ex.entries()
    assert added.digest  # the state it leads to, so a stored run finds this log fast
    sc = state_scenario(smoke, ref, replay([start, added]))
    assert exercise_log_for_run(sc, 1, ref, runs_dir=tmp_path) == [start, added]


def test_an_entry_after_a_torn_line_is_kept(tmp_path, smoke):
    """Before: after a crash left half a line, the next entry was written onto that line and
    both were lost."""
    ex = Exercise.start(smoke, seed=1, operator="duty", runs_dir=tmp_path)
    with ex.log_path.open("a", encoding="utf-8") as f:
        f.write('{"action": "inj')  # no newline: a writer killed mid-line
    ex.append(LogEntry(now_utc(), 12, "second", "inject", inject=CLOSE))
    entries, skipped = ex.read()
    assert [e.operator for e in entries] == ["duty", "second"] and skipped == 1


def test_an_apply_keeps_what_another_screen_changed_meanwhile():
    """Before: a controller's Apply wrote every lever as its screen showed them, undoing a
    change another controller had made in the meantime."""
    from contingency.board.decisions import merged_levers

    now = {"buses_per_day": 10, "lanes": {"kaplanbek": {"car": 4, "bus": 1}}}  # A's, in force
    shown = {
        "buses_per_day": 40,
        "onward_buses_per_day": 5,
        "lanes": {"kaplanbek": {"car": 2, "bus": 1}},
    }
    applied = {**shown, "onward_buses_per_day": 3}  # B changed the onward buses only
    assert merged_levers(now, shown, applied) == {**now, "onward_buses_per_day": 3}
