"""Board page logic through Streamlit's AppTest: load, bad upload, languages, time, levers,
live exercise injects."""

from __future__ import annotations

import pytest
import yaml
from conftest import choose_live_inject
from streamlit.testing.v1 import AppTest

from contingency import PROJECT_ROOT, SCENARIOS_DIR
from contingency.i18n import catalogue
from contingency.mapping.layers import time_of
from contingency.refdata import load_refdata
from contingency.results import run_scenario
from contingency.scenario.load import load_scenario

APP = str(PROJECT_ROOT / "app.py")


def _app(scenario: str = "smoke.yaml") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    if scenario != at.selectbox(key="scenario").value:
        at.selectbox(key="scenario").set_value(scenario).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metric(at: AppTest, key: str, lang: str = "ru") -> str:
    label = catalogue(lang)[key]
    return next(m.value for m in at.metric if m.label == label)


def test_default_scenario_loads_in_russian():
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="scenario").value == "south_conflict.yaml"
    assert at.title[0].value == catalogue("ru")["app.title"]
    assert len(at.metric) == 7  # the moment's five figures and the run's two peaks
    arrived = _metric(at, "head.arrived")
    # Russian digits: a no-break space between thousands (Babel, CLDR), never a comma
    assert "," not in arrived and "\xa0" in arrived
    assert int(arrived.replace("\xa0", "")) > 0


def test_bad_upload_shows_field_errors_not_a_traceback():
    at = _app()
    data = yaml.safe_load((SCENARIOS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    data["horizon_days"] = -2
    data["colour"] = "red"
    at.file_uploader(key="upload").set_value(
        ("exercise.yaml", yaml.safe_dump(data).encode(), "application/x-yaml")
    )
    at.run()
    assert not at.exception
    text = at.error[0].value
    assert catalogue("ru")["app.scenario_invalid"] in text
    # in the page's language (Russian here), every problem at once
    assert "exercise.yaml: horizon_days: должно быть не меньше 1 (получено -2)" in text
    assert "exercise.yaml: colour: неизвестный ключ" in text
    at.file_uploader(key="upload").set_value(("x.yaml", b"name: [oops", "application/x-yaml"))
    at.run()
    assert not at.exception and "ошибка в разметке YAML" in at.error[0].value


def test_good_upload_is_used():
    at = _app()
    raw = (SCENARIOS_DIR / "smoke.yaml").read_bytes()
    at.file_uploader(key="upload").set_value(("mine.yaml", raw, "application/x-yaml"))
    at.run()
    assert not at.exception and not at.error
    assert any("mine.yaml" in i.value for i in at.sidebar.info)


@pytest.mark.parametrize("lang", ["kk", "en", "ru"])
def test_language_switch_changes_every_label(lang):
    at = _app()
    at.selectbox(key="lang").set_value(lang).run()
    assert not at.exception
    cat = catalogue(lang)
    assert at.title[0].value == cat["app.title"]
    labels = {m.label for m in at.metric}
    assert labels == {
        cat[k]
        for k in (
            "head.arrived",
            "head.waiting_border",
            "head.longest_wait",
            "head.overflow",
            "head.unmet",
            "head.peak_wait",
            "head.peak_without_bed",
        )
    }
    assert at.slider(key="day").label == cat["time.day"]


def test_time_slider_and_steps_move_the_board():
    at = _app()
    at.slider(key="day").set_value(1).run()
    at.slider(key="hour").set_value(2).run()
    early = int(_metric(at, "head.arrived").replace("\xa0", "").replace(",", ""))
    at.slider(key="day").set_value(2).run()
    later = int(_metric(at, "head.arrived").replace("\xa0", "").replace(",", ""))
    assert later > early
    at.button(key="t_fwd").click().run()
    assert (at.slider(key="day").value, at.slider(key="hour").value) == (2, 8)
    at.button(key="t_back").click().run()
    assert (at.slider(key="day").value, at.slider(key="hour").value) == (2, 2)


def test_levers_change_the_run():
    at = _app()
    at.slider(key="day").set_value(2).run()
    at.slider(key="hour").set_value(23).run()
    before = int(_metric(at, "head.arrived").replace("\xa0", "").replace(",", ""))
    at.slider(key="lv_mult").set_value(2.0)
    at.button(key="FormSubmitter:levers_form-" + catalogue("ru")["levers.apply"]).click().run()
    assert not at.exception
    after = int(_metric(at, "head.arrived").replace("\xa0", "").replace(",", ""))
    # The lever doubles the influx: twice the persons present themselves at the far side. The
    # headline's "arrived" is the ledger's, the persons past the far side, which the far side's
    # capacity caps: it must be what the doubled run gives at that hour, more than before.
    assert at.session_state["levers"]["influx_multiplier"] == 2.0
    ref = load_refdata()
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    once = run_scenario(sc, ref)
    twice = run_scenario(sc.model_copy(update={"influx_multiplier": 2.0}), ref)
    assert twice.summary["demand"]["presented"] == pytest.approx(
        2 * once.summary["demand"]["presented"], rel=0.01
    )
    led_once = once.tables["ledger_hourly"].set_index("time_h")["arrived"]
    led_twice = twice.tables["ledger_hourly"].set_index("time_h")["arrived"]
    now = time_of(2, 23)
    assert (before, after) == (led_once[now], led_twice[now])
    assert after > before


def test_live_inject_is_logged_and_saved():
    at = choose_live_inject(_app(), "checkpoint_close", "zhibek_zholy")
    at.text_input(key="ex_by").input("Duty officer Sarsenov")
    at.button(key="ex_add").click().run()
    assert not at.exception
    live = at.session_state["live_injects"]
    assert live == [
        {
            "at_h": 11.0,
            "kind": "checkpoint_close",
            "target": "zhibek_zholy",
            "by": "Duty officer Sarsenov",
            "note": None,
            "params": {"side": "near"},  # our control unless the far side is chosen
        }
    ]
    tables = [d.value.to_string() for d in at.dataframe]
    # the log names the target as the page's language does, not by its id
    assert any("Duty officer Sarsenov" in t and "Жибек Жолы" in t for t in tables)
    at.button(key="ex_undo").click().run()
    assert at.session_state["live_injects"] == []


def test_export_download_on_the_board():
    at = _app()
    at.selectbox(key="exp_fmt").set_value("geojson")
    at.button(key="exp_prepare").click().run()
    assert not at.exception
    name, data = at.session_state["export_file"]
    assert name.endswith(".geojson") and b'"FeatureCollection"' in data


def test_saved_exercise_replays_to_the_same_result(ref):
    from contingency.levers import apply_levers
    from contingency.results import run_scenario
    from contingency.scenario import dump_scenario, load_scenario, load_scenario_bytes

    base = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    live = apply_levers(
        base,
        ref,
        influx_multiplier=1.5,
        lanes={"zhibek_zholy": {"car": 5}},
        injects=[
            {
                "at_h": 7.0,
                "kind": "mobile_unit",
                "target": "saryagash",
                "params": {"beds": 800},
                "by": "controller",
            }
        ],
    )
    saved = dump_scenario(live).encode("utf-8")
    replay = load_scenario_bytes(saved, file="exercise.yaml", ref=ref)
    assert replay == live
    a, b = run_scenario(live, ref), run_scenario(replay, ref)
    assert a.summary == b.summary


def test_stress_page_runs_replications_on_dask_and_lists_stored_runs():
    at = _app()
    at.radio(key="view").set_value("stress").run()
    assert not at.exception
    at.number_input(key="st_reps").set_value(2)
    at.number_input(key="st_workers").set_value(1)
    at.button(key="st_run").click().run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    summary, tables, run_id, _ = at.session_state["study"]
    assert summary["completed"] == 2 and not summary["failed"]
    assert {"p50", "p90", "p95"} <= set(tables["facilities"].columns)
    assert any(run_id in s.value for s in at.success)
    stored = [d.value for d in at.dataframe if "run_id" in d.value.columns]
    assert stored and run_id in set(stored[0]["run_id"])


def test_board_time_covers_every_hour_of_the_horizon():
    from contingency.mapping.layers import day_hour, time_of

    horizon_days = 30
    assert day_hour(1) == (1, 0) and day_hour(horizon_days * 24) == (horizon_days, 23)
    assert all(time_of(*day_hour(h)) == h for h in range(1, horizon_days * 24 + 1))
