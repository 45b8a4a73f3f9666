"""Board defects that misled users, each pinned by a test that failed before its fix."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
from babel.numbers import format_decimal
from streamlit.testing.v1 import AppTest

from contingency import SCENARIOS_DIR
from contingency.board.gap_list import gap_value
from contingency.i18n import t
from contingency.levers import apply_levers
from contingency.scenario import load_scenario

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = str(PROJECT_ROOT / "app.py")


def test_importing_app_py_has_no_side_effect(tmp_path):
    """Dask's spawned workers import the main script of the process that started them: that
    import must not render the board (which ran and stored the default scenario)."""
    runs = tmp_path / "runs"
    env = {**os.environ, "CONTINGENCY_RUNS": str(runs)}
    code = "import runpy; runpy.run_path('app.py', run_name='__mp_main__')"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()
    assert not runs.exists() or not any(p.name != "index.sqlite" for p in runs.iterdir())


def _board(scenario: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    if scenario is not None and scenario != at.selectbox(key="scenario").value:
        at.selectbox(key="scenario").set_value(scenario).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _apply_levers(at: AppTest) -> AppTest:
    return at.button(key="FormSubmitter:levers_form-" + t("levers.apply", "ru")).click().run()


def test_levers_follow_the_scenario_switched_to(ref):
    """Defect 1: the lever widgets kept their keys' values across a scenario switch, so after
    ``south_conflict`` -> ``north_mobilisation`` they showed 400/40 buses instead of 120/30 and
    Apply without an edit stored a run with the previous scenario's figures. Before the fix this
    test saw 400 in ``lv_buses``."""
    at = _board()
    assert at.number_input(key="lv_buses").value == 400
    at.number_input(key="lv_buses").set_value(410).run()  # an edit not applied
    at.selectbox(key="scenario").set_value("north_mobilisation.yaml").run()
    assert not at.exception, [e.value for e in at.exception]
    north = load_scenario(SCENARIOS_DIR / "north_mobilisation.yaml", ref=ref)
    assert at.number_input(key="lv_buses").value == north.transport.buses_per_day == 120
    assert at.number_input(key="lv_onward").value == north.transport.onward_buses_per_day == 30
    assert at.slider(key="lv_mult").value == north.influx_multiplier
    _apply_levers(at)
    assert not at.exception, [e.value for e in at.exception]
    levers = at.session_state["levers"]
    # Apply without an edit keeps nothing (only what the controller changed is kept) ...
    assert levers.get("buses_per_day", 120) == 120 and levers.get("onward_buses_per_day", 30) == 30
    assert apply_levers(north, ref, **levers) == north  # ... and changes nothing


def test_levers_follow_an_upload(ref):
    """Defect 1 after an upload: the levers show the uploaded scenario's figures. Before the fix
    they kept ``south_conflict``'s 400 buses a day."""
    at = _board()
    raw = (SCENARIOS_DIR / "smoke.yaml").read_bytes()
    at.file_uploader(key="upload").set_value(("mine.yaml", raw, "application/x-yaml")).run()
    assert not at.exception, [e.value for e in at.exception]
    smoke = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    assert at.number_input(key="lv_buses").value == smoke.transport.buses_per_day == 40
    _apply_levers(at)
    assert apply_levers(smoke, ref, **at.session_state["levers"]) == smoke


def _gap_table(at: AppTest, lang: str = "ru") -> pd.DataFrame:
    return next(d.value for d in at.dataframe if t("gaps.facility", lang) in d.value.columns)


def test_gap_values_carry_units_and_people_per_bed(south_base):
    """Defect 5: the gap list printed "13737 %" for 137 people per bed (``occupancy_ratio`` is
    people per bed, ``metrics/gaps.py``) and "92.5" without a unit. Before the fix the value
    column held ``f"{v:.0%}"`` and bare numbers, so this test found "%" and no unit."""
    _, res = south_base
    by_metric = {g["metric"]: g for g in res.summary["gaps"]}
    assert {"max_wait_h", "occupancy_ratio"} <= set(by_metric)
    at = _board()
    table = _gap_table(at)
    worst = table[t("gaps.value", "ru")].tolist()
    assert not [v for v in worst if "%" in v]
    load = by_metric["occupancy_ratio"]
    per_bed = format_decimal(load["value"], format="#,##0.0", locale="ru_RU")
    assert t("gaps.v.per_bed", "ru", value=per_bed) in worst
    wait = by_metric["max_wait_h"]
    hours = format_decimal(wait["value"], format="#,##0.0", locale="ru_RU")
    assert f"{hours} ч" in worst
    assert gap_value("unmet_onward_demand", 1200, "ru") == "1\xa0200 чел."  # persons
    assert gap_value("unmet_onward_demand", 1200, "en") == "1,200 people"


def test_gap_list_follows_the_time_shown(south_base):
    """Defect 5: the list showed every gap the same way whatever the time shown. Now the gaps
    open at the moment shown come first, those still to come say when ("red in 14 h") and the
    start is given on the scenario's clock in the page's language. Before the fix the table had
    no status column (a KeyError here)."""
    _, res = south_base
    gaps = res.summary["gaps"]
    later = max(g["first_h"] for g in gaps)
    first = min(g["first_h"] for g in gaps)
    shown_h = int(first) + (int(later) - int(first)) // 2  # some gaps open, some to come
    day, hour = (shown_h - 1) // 24 + 1, (shown_h - 1) % 24
    at = _board()
    at.slider(key="day").set_value(day).run()
    at.slider(key="hour").set_value(hour).run()
    assert not at.exception, [e.value for e in at.exception]
    table = _gap_table(at)
    status = table[t("gaps.status", "ru")].tolist()
    coming = [s for s in status if s.endswith(" ч") and " через " in s]
    assert coming, status
    kinds = [
        "open" if s.startswith("идёт") else "coming" if s in coming else "over" for s in status
    ]
    assert kinds == sorted(kinds, key=["open", "coming", "over"].index)  # open, then to come
    soonest = min((g for g in gaps if g["first_h"] > shown_h), key=lambda g: g["first_h"])
    in_h = format_decimal(soonest["first_h"] - shown_h, format="#,##0", locale="ru_RU")
    severity = t(f"severity.{soonest['severity']}", "ru")
    assert status[kinds.index("coming")] == f"{severity} через {in_h} ч"
    when = table[t("gaps.first_time", "ru")].tolist()
    assert all(w.startswith("сутки ") for w in when)
    assert not any("T" in w or re.search(r"\d{4}-\d{2}", w) for w in when)  # not an ISO stamp


def test_language_switch_keeps_the_section():
    """Defect 7: switching language cleared the section radio (the stress page fell back to the
    board). The radio keeps its value by a language-independent option id."""
    at = _board("smoke.yaml")
    at.radio(key="view").set_value("stress").run()
    assert at.radio(key="view").value == "stress"
    for lang in ("kk", "en", "ru"):
        at.selectbox(key="lang").set_value(lang).run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.radio(key="view").value == "stress", lang
        assert any(s.key == "st_run" for s in at.button)


def test_live_targets_are_chosen_by_name():
    """Defect 7 / every inject kind live: the target list showed raw ids (``kaplanbek``,
    ``almaty--konaev``); it now shows names in the page's language while the inject keeps the
    id. Before the fix the options were the ids themselves."""
    at = _board("smoke.yaml")
    at.selectbox(key="ex_kind").set_value("road_close").run()
    options = at.selectbox(key="ex_target").options
    assert options and all(" — " in o and "--" not in o for o in options)
    at.selectbox(key="ex_kind").set_value("checkpoint_close").run()
    assert "Жибек Жолы" in at.selectbox(key="ex_target").options
    assert "zhibek_zholy" not in at.selectbox(key="ex_target").options


def test_lanes_and_centre_capacity_live():
    """Every inject kind live: ``lanes`` (lanes per mode and the side) and ``centre_capacity``
    (places; fewer for damage) have their widgets."""
    from contingency.board import exercise_panel

    assert {"lanes", "centre_capacity"} <= set(exercise_panel.LIVE_KINDS)
    at = _board("smoke.yaml")
    at.slider(key="day").set_value(1).run()
    at.slider(key="hour").set_value(10).run()
    at.selectbox(key="ex_kind").set_value("lanes").run()
    at.selectbox(key="ex_target").set_value("zhibek_zholy").run()
    at.number_input(key="ex_lanes_car_zhibek_zholy").set_value(2)
    at.selectbox(key="ex_side").set_value("far")
    at.button(key="ex_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    lanes = at.session_state["live_injects"][-1]
    assert lanes["kind"] == "lanes" and lanes["target"] == "zhibek_zholy"
    assert lanes["params"]["car"] == 2 and lanes["params"]["side"] == "far"
    at.selectbox(key="ex_kind").set_value("centre_capacity").run()
    centre = at.selectbox(key="ex_target").value
    at.number_input(key=f"ex_places_{centre}").set_value(10)
    at.button(key="ex_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    cap = at.session_state["live_injects"][-1]
    assert cap == {
        "at_h": 11.0,
        "kind": "centre_capacity",
        "target": centre,
        "by": None,
        "note": None,
        "params": {"beds": 10},
    }


def test_the_board_opens_on_the_worst_border_moment_with_the_peaks_beside_it(ref):
    """Defect 4: the board opened on the hour of greatest pressure, for the default scenario
    its last hour, hiding the border crisis; it now opens where the exports do (the worst
    border moment) and shows the run's peak wait and peak without a bed with when."""
    from streamlit.testing.v1 import AppTest

    from contingency import DEFAULT_SCENARIO
    from contingency.mapping.layers import day_hour
    from contingency.mapping.moments import default_moment
    from contingency.results import run_scenario
    from contingency.scenario import load_scenario

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    labels = {m.label: m for m in at.metric}
    assert "Пик ожидания, ч" in labels and "Пик: без места" in labels
    assert labels["Пик ожидания, ч"].delta  # where and when
    run = run_scenario(load_scenario(DEFAULT_SCENARIO, ref=ref), ref)  # the board's run
    worst = default_moment(run.tables)
    assert worst < run.scenario.horizon_days * 24  # not the calm end
    assert (at.slider(key="day").value, at.slider(key="hour").value) == day_hour(worst)
