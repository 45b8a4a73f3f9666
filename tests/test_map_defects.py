"""Defects of the maps and exports that misled (issue 16): closed checkpoints and roads, the
moment shown by default and the run's peaks, the clock of a scenario that does not start at
midnight and what ``--day`` shows, overlapping titles and labels, Kazakh centre names. Each
test's docstring says what the code showed before the fix."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.text import Text
from pypdf import PdfReader

from contingency import SCENARIOS_DIR
from contingency.i18n import t as ptext
from contingency.mapping.crossings import checkpoint_items, queue_km_label
from contingency.mapping.export import Run, _briefing_map_page, _texts, moment, render
from contingency.mapping.labels import text_extent
from contingency.mapping.layers import build_layers, peak_hour, to_geojson
from contingency.mapping.moments import default_moment, moment_label, peaks
from contingency.mapping.names import facility_label
from contingency.mapping.roads import CLOSED_ROAD_COLOUR, closed_roads
from contingency.mapping.static import draw_layers, plt
from contingency.mapping.status import CLOSED_FILL
from contingency.mapping.web_labels import label_boxes, place_labels
from contingency.mapping.webmap import _outer_radius, build_map
from contingency.refdata import load_refdata
from contingency.results import RunResult, run_scenario
from contingency.scenario import Scenario, load_scenario
from contingency.scenario.schema import RoadClose, RoadOpen

CLOSED_H = 122
"""south_conflict closes Kaplanbek (our side) at 120 h and opens it again at 132 h."""


@pytest.fixture(scope="module")
def south(south_base) -> tuple[Scenario, RunResult]:
    return south_base


@pytest.fixture(scope="module")
def south_run(south) -> Run:
    sc, res = south
    return Run("south", sc, res.tables, res.summary)


@pytest.fixture(scope="module")
def smoke(ref) -> tuple[Scenario, RunResult]:
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    return sc, run_scenario(sc, ref)


def _layers(run: Run, ref, time_h: int):
    return build_layers(run.tables, run.summary, ref, time_h, scenario=run.scenario)


# ---------------------------------------------------------------- defect 3: closures
def test_a_checkpoint_closed_on_our_side_is_marked_closed(south_run, ref):
    """Before: Kaplanbek, closed from 120 h, was an item with lanes 0/0/0 and a green disc; no
    field said it was closed and nothing on the maps marked it."""
    cps = south_run.tables["checkpoints_hourly"]
    row = cps[(cps["checkpoint"] == "kaplanbek") & (cps["time_h"] == CLOSED_H)].iloc[0]
    assert row[[c for c in cps if c.startswith("lanes_")]].sum() == 0  # the table says closed
    closed = {c["id"]: c for c in _layers(south_run, ref, CLOSED_H).checkpoints}
    assert closed["kaplanbek"]["closed"] and closed["kaplanbek"]["near_closed"]
    assert not closed["kaplanbek"]["far_closed"]
    assert [c for c in closed.values() if c["closed"]] == [closed["kaplanbek"]]
    before = {c["id"]: c for c in _layers(south_run, ref, 100).checkpoints}
    assert not any(c["closed"] for c in before.values())

    layers = _layers(south_run, ref, CLOSED_H)
    html = build_map(layers, ref, lang="ru", thresholds=south_run.summary["thresholds"])
    page = html.get_root().render()
    assert page.count("checkpoint-closed-mark") == 1 and "✕" in page
    assert ptext("legend.closed", "ru") in page
    calm = build_map(
        _layers(south_run, ref, 100), ref, lang="ru", thresholds=south_run.summary["thresholds"]
    )
    assert "checkpoint-closed-mark" not in calm.get_root().render()

    fig, ax = plt.subplots()
    draw_layers(ax, layers, ref, lang="ru", thresholds=south_run.summary["thresholds"])
    crosses = [c for c in ax.collections if c.get_paths() and _is_x_marker(c)]
    assert len(crosses) == 1
    discs = [c for c in ax.collections if _facecolour(c) == CLOSED_FILL]
    assert len(discs) == 1
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert ptext("legend.closed", "ru") in legend
    plt.close(fig)


def _facecolour(coll) -> str | None:
    from matplotlib.colors import to_hex

    fc = coll.get_facecolor()
    return to_hex(fc[0]) if len(fc) else None


def _is_x_marker(coll) -> bool:
    from matplotlib.colors import to_hex

    fc = coll.get_facecolor()
    return len(fc) == 1 and to_hex(fc[0]) == "#ffffff" and len(coll.get_paths()[0]) >= 12


def test_a_checkpoint_closed_at_the_far_side_is_marked_closed(smoke, ref):
    """Before: a crossing whose far side had no lane open was drawn by its wait alone."""
    _, res = smoke
    cps = res.tables["checkpoints_hourly"].copy()
    one = str(cps["checkpoint"].iloc[0])
    at = (cps["checkpoint"] == one) & (cps["time_h"] == 24)
    for col in [c for c in cps if c.startswith("far_lanes_")]:
        cps.loc[at, col] = 0
    items = {c["id"]: c for c in checkpoint_items(cps, res.summary, ref, time_h=24)}
    assert items[one]["closed"] and items[one]["far_closed"] and not items[one]["near_closed"]
    assert sum(c["closed"] for c in items.values()) == 1


def _with_injects(sc: Scenario, *injects) -> Scenario:
    return sc.model_copy(update={"injects": [*sc.injects, *injects]})


def test_a_closed_road_is_drawn_dashed_red_between_its_nodes(smoke, ref):
    """Before: a road closed by a road_close inject was not drawn at all (nor in GeoJSON)."""
    sc, res = smoke
    e = ref.road_edges.iloc[0]
    road = f"{e['from']}--{e['to']}"
    closing = _with_injects(
        sc,
        RoadClose(kind="road_close", at_h=5, target=road),
        RoadOpen(kind="road_open", at_h=30, target=f"{e['to']}--{e['from']}"),
    )
    assert closed_roads(closing, ref, time_h=5) == []  # at 5 h it has not happened yet
    assert closed_roads(closing, ref, time_h=31) == []  # reopened (written the other way)
    [item] = closed_roads(closing, ref, time_h=12)
    assert item["id"] == road and item["closed_h"] == 5
    node = ref.road_nodes.loc[str(e["from"])]
    assert item["coords"][0] == [float(node["lat"]), float(node["lon"])]

    run = Run("smoke", closing, res.tables, res.summary)
    layers = _layers(run, ref, 12)
    gj = to_geojson(layers, ref)
    [feature] = [f for f in gj["features"] if f["properties"]["layer"] == "road_closed"]
    assert feature["geometry"]["type"] == "LineString"
    page = build_map(layers, ref, lang="kk", thresholds=res.summary["thresholds"])
    html = page.get_root().render()
    assert '"className": "road-closed"' in html and '"dashArray": "8 6"' in html
    assert ptext("legend.road_closed", "kk") in html

    fig, ax = plt.subplots()
    draw_layers(ax, layers, ref, lang="en", thresholds=res.summary["thresholds"])
    dashed = [
        ln
        for ln in ax.lines
        if ln.get_color() == CLOSED_ROAD_COLOUR and ln.get_linestyle() not in ("-", "None")
    ]
    assert len(dashed) == 1
    assert ptext("legend.road_closed", "en") in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)


# ---------------------------------------------------------------- defect 4: default moment
def _crisis_tables(horizon_h: int = 240) -> dict[str, pd.DataFrame]:
    """A run whose border crisis peaks at 100 h (a 90 h wait, then cleared by 150 h) while the
    people without a bed only grow to the last hour."""
    hours = range(1, horizon_h + 1)
    wait = [max(0.0, 90.0 - abs(h - 100) * 1.8) for h in hours]
    cps = pd.DataFrame(
        {
            "time_h": list(hours) * 2,
            "checkpoint": ["a"] * horizon_h + ["b"] * horizon_h,
            "wait_max_h": wait + [w / 2 for w in wait],
            "far_wait_max_h": [0.0] * horizon_h + [0.0] * horizon_h,
            "queue_persons": [int(w * 100) for w in wait] * 2,
            "held_beyond_border": [0] * 2 * horizon_h,
            "far_queue_persons": [0] * 2 * horizon_h,
        }
    )
    led = pd.DataFrame(
        {
            "time_h": list(hours),
            "waiting_at_checkpoints": [int(w * 200) for w in wait],
            "held_beyond_border": [0] * horizon_h,
            "overflow_waiting": [h * 200 for h in hours],
        }
    )
    return {"checkpoints_hourly": cps, "ledger_hourly": led}


def test_the_default_moment_is_the_worst_border_moment_not_a_calm_end(smoke):
    """Before: exports without --day opened on ``peak_hour``, the hour of greatest pressure,
    which for a crisis whose overflow only accumulates is the last hour (240 here): the border
    crisis (90 h wait at 100 h) was invisible and the briefing said "max wait 0.0 h"."""
    tables = _crisis_tables()
    assert peak_hour(tables) == 240  # what the exports opened on
    assert default_moment(tables) == 100
    sc, res = smoke
    assert moment(Run("x", sc, tables, res.summary), None) == 100


def test_default_moment_ties_go_to_the_most_waiting_then_the_earliest():
    tables = _crisis_tables()
    cps = tables["checkpoints_hourly"]
    cps.loc[cps["time_h"].isin([100, 120]), "wait_max_h"] = 90.0
    cps.loc[(cps["time_h"] == 120) & (cps["checkpoint"] == "b"), "queue_persons"] = 99_999
    assert default_moment(tables) == 120
    cps.loc[cps["time_h"] == 120, "queue_persons"] = cps.loc[cps["time_h"] == 100, "queue_persons"]
    assert default_moment(tables) == 100


def test_default_moment_without_border_waits_is_the_worst_shelter_moment():
    tables = _crisis_tables()
    tables["checkpoints_hourly"]["wait_max_h"] = 0.0
    tables["checkpoints_hourly"]["queue_persons"] = 0
    assert default_moment(tables) == 240


def test_peaks_give_the_worst_wait_and_shelter_with_when_and_where():
    """Before: there was no peak figure at all; the headline gave the moment's figures only."""
    tables = _crisis_tables()
    p = peaks(tables)
    assert p == {
        "wait_h": 90.0,
        "wait_time_h": 100,
        "wait_checkpoint": "a",
        "wait_side": "near",
        "without_bed": 48_000,
        "without_bed_time_h": 240,
    }


def test_the_briefing_shows_the_peaks_beside_the_moment(south_run, ref):
    """Before: the briefing showed the five figures of the moment only."""
    data = render(south_run, "briefing", lang="ru", ref=ref)
    text = PdfReader(__import__("io").BytesIO(data)).pages[0].extract_text()
    p = peaks(south_run.tables)
    assert ptext("head.peak_wait", "ru") in text and ptext("head.peak_without_bed", "ru") in text
    assert f"{p['wait_h']:,.1f}" in text and f"{p['without_bed']:,}" in text
    assert "Жибек Жолы" in text or facility_label(str(p["wait_checkpoint"]), "ru", ref, {}) in text


# ---------------------------------------------------------------- defect 6: the clock
def test_the_moment_label_follows_the_scenario_start_on_the_clock():
    """Before: the labels showed the hour of the run's day as if the run started at 00:00
    (a run starting at 14:00 read "00:00" for its first hour) and exports labelled the end of
    day 1 as "day 1, 00:00"."""
    start = datetime(2027, 5, 1, 14, 0)
    assert moment_label(start, 1, "en") == "Shown: 2027-05-01 14:00–15:00 (day 1, hour 1)"
    assert moment_label(start, 10, "en") == "Shown: 2027-05-01 23:00–24:00 (day 1, hour 10)"
    assert moment_label(start, 24, "en").startswith("Shown: 2027-05-02 13:00–14:00 (day 1, ")
    assert ptext("export.day_end", "en", day=1) in moment_label(start, 24, "en")
    midnight = datetime(2027, 3, 1)
    assert "2027-03-03 23:00–24:00" in moment_label(midnight, 72, "ru")
    assert ptext("export.day_end", "ru", day=3) in moment_label(midnight, 72, "ru")


def test_exports_label_the_moment_with_the_same_function(south_run):
    sc = south_run.scenario
    for lang in ("ru", "kk", "en"):
        assert _texts(south_run, 121, lang, None).subtitle == moment_label(sc.start, 121, lang)


@pytest.fixture(scope="module")
def smoke_dir(smoke, tmp_path_factory) -> Path:
    return smoke[1].save(tmp_path_factory.mktemp("runs") / "smoke")


def test_export_day_shows_the_end_of_that_day_and_says_so(cli, smoke_dir, tmp_path):
    """Before: ``--day 1`` showed the end of day 1 (24 h) but labelled it "day 1, 00:00", read
    as its start; there was no way to pick an hour."""
    out = tmp_path / "d1.pdf"
    res = cli("export", smoke_dir, "--format", "pdf", "--day", "1", "--lang", "en", "--out", out)
    assert res.exit_code == 0, res.stderr
    text = PdfReader(out).pages[0].extract_text()
    assert "(day 1, hour 24)" in text and "end of day 1" in text

    gj = tmp_path / "d2h5.geojson"
    res = cli("export", smoke_dir, "--format", "geojson", "--day", "2", "--hour", "5", "--out", gj)
    assert res.exit_code == 0, res.stderr
    assert __import__("json").loads(gj.read_text(encoding="utf-8"))["time_h"] == 29

    res = cli("export", smoke_dir, "--format", "png", "--hour", "5")
    assert res.exit_code == 2 and "--hour needs --day" in res.stderr
    res = cli("export", "--help")
    flat = " ".join(res.stdout.replace("│", " ").split())
    assert "the situation at the END of that day" in flat


# ---------------------------------------------------------------- defect 8: layout
def _overlapping(texts: list[Text], renderer) -> list[tuple[str, str]]:
    boxes = [(t.get_text(), text_extent(t, renderer)) for t in texts]
    return [(a, b) for (a, x), (b, y) in itertools.combinations(boxes, 2) if x.overlaps(y)]


def test_the_ru_briefing_title_does_not_run_into_the_header(south_run, ref):
    """Before: the title "Дефицит мощностей: Вооружённый конфликт за южной границей" (14 pt)
    ran into the header "Справка для Межведомственного координационного совета" set at the top
    right on the same line."""
    for lang in ("ru", "kk", "en"):
        text = _texts(south_run, 121, lang, "Для служебного пользования")
        fig = _briefing_map_page(south_run, ref, 121, text=text, lang=lang)
        fig.canvas.draw()
        page_texts = [t for t in fig.texts if t.get_text().strip()]
        assert _overlapping(page_texts, fig.canvas.get_renderer()) == [], lang
        plt.close(fig)


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("time_h", [CLOSED_H, 300])
def test_no_two_labels_overlap_on_the_static_map(south_run, ref, lang, time_h):
    """Before: the three checkpoints at the Saryagash proxy point put their names (and queue
    labels) on top of one another, and region names sat under them."""
    layers = _layers(south_run, ref, time_h)
    fig = plt.figure(figsize=(11.69, 8.27), dpi=150)
    ax = fig.add_axes((0.02, 0.09, 0.96, 0.80))
    draw_layers(ax, layers, ref, lang=lang, thresholds=south_run.summary["thresholds"])
    fig.canvas.draw()
    labels = [t for t in ax.texts if t.get_visible() and t.get_text().strip()]
    names = " ".join(t.get_text() for t in labels)
    for c in layers.checkpoints:  # every checkpoint keeps its name
        assert str(c[f"name_{lang}"]) in names
    assert _overlapping(labels, fig.canvas.get_renderer()) == []
    plt.close(fig)


def test_no_two_queue_labels_overlap_on_the_web_map_at_national_zoom(south_run, ref):
    """Before: every queue label sat right of its checkpoint; at the national zoom the three
    Saryagash crossings' labels covered one another. Every sixth hour of the run is checked,
    and some of those hours have several labels."""
    crowded = 0
    for time_h in range(6, south_run.scenario.horizon_days * 24 + 1, 6):
        cps = _layers(south_run, ref, time_h).checkpoints
        points = [
            (c["id"], c["map_lat"], c["map_lon"], _outer_radius(c), queue_km_label(c, "ru"))
            for c in cps
        ]
        boxes = label_boxes(points, place_labels(points))
        crowded += len(boxes) >= 2
        for (a, x), (b, y) in itertools.combinations(boxes.items(), 2):
            apart = x[2] <= y[0] or y[2] <= x[0] or x[3] <= y[1] or y[3] <= x[1]
            assert apart, (time_h, a, b)
    assert crowded > 0


# ---------------------------------------------------------------- defect 7: Kazakh names
def test_centres_have_kazakh_names_and_kazakh_pages_use_them(ref):
    """Before: maps/centres.csv had no name_kk and Kazakh pages showed centres in Russian."""
    centres = load_refdata().centres
    assert centres["name_kk"].notna().all()
    assert (centres["name_kk"] != centres["name_ru"]).all()
    cid = "srh_akmola"
    label = facility_label(cid, "kk", ref, {})
    assert label.startswith(str(centres.at[cid, "name_kk"]))
    assert "Центр" not in label


def test_kazakh_exports_carry_no_raw_ids_or_english_metric_keys(south_run, ref):
    """Before: Kazakh exports named centres in Russian; the briefing is checked for raw ids and
    English metric keys (``occupancy_ratio``)."""
    data = render(south_run, "briefing", lang="kk", ref=ref)
    reader = PdfReader(__import__("io").BytesIO(data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "occupancy_ratio" not in text and "max_wait_h" not in text
    ids = [*ref.checkpoints.index, *ref.centres.index]
    assert [i for i in ids if str(i) in text] == []
    assert "Қандастарды бейімдеу" in text or "оңалту орталығы" in text
