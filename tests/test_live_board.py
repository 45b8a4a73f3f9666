"""The board's live mode: a feed folder under the feeds root, the nowcast made from it, its
forecast red lines, the map ahead and the observed-against-forecast chart."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from contingency import PROJECT_ROOT, SCENARIOS_DIR
from contingency.board.live_page import feed_folders, latest_hour, signature
from contingency.feed.simulate import simulate_feed
from contingency.i18n import t
from contingency.results import run_scenario
from contingency.scenario import load_scenario

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture(scope="module")
def feeds(tmp_path_factory, ref) -> Path:
    root = tmp_path_factory.mktemp("feeds")
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    run = run_scenario(sc, ref, seed=sc.seed).save(root.parent / "smoke-run")
    simulate_feed(Path(run), root / "smoke")
    (root / "empty").mkdir()  # no record files: not offered
    return root


def test_feed_folders_are_those_with_records_and_their_latest_hour(feeds, ref):
    assert feed_folders(feeds) == ["smoke"]
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    latest = latest_hour(feeds / "smoke", sc)
    assert latest is not None and 1 <= latest <= sc.horizon_days * 24 + 12  # late records
    before = signature(feeds / "smoke")
    (feeds / "smoke" / "records_29990101T00.csv").write_text("record_id\n", encoding="utf-8")
    assert signature(feeds / "smoke") != before  # new records: a new nowcast
    (feeds / "smoke" / "records_29990101T00.csv").unlink()


def test_the_live_section_shows_the_nowcast_of_a_feed(feeds, monkeypatch, tmp_path):
    monkeypatch.setenv("CONTINGENCY_FEEDS", str(feeds))
    monkeypatch.setenv("CONTINGENCY_RUNS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    at.selectbox(key="scenario").set_value("smoke.yaml").run()
    at.radio(key="view").set_value("live").run()
    at.number_input(key="live_reps").set_value(3)
    at.number_input(key="live_h").set_value(12).run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(c.value for c in at.caption)
    assert t("live.chart_caption", "ru") in text
    assert "Сейчас:" in text and "Прогонов: 3" in text
    at.slider(key="live_ahead").set_value(6).run()  # the map six hours ahead
    assert not at.exception, [e.value for e in at.exception]
    assert "медианный прогон" in " ".join(c.value for c in at.caption)
