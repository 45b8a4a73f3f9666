"""The far side of each crossing (the neighbour's exit control, before ours) on the board and in
the exports: the checkpoint symbol (a disc in the worse side's colour, a ring for the far side, a
label with the queue in km), the popup and GeoJSON per side, far-side gaps named as such, a run
made before the far side was modelled, the ``processing`` inject and the side choice on the
live exercise control, and far-side gaps on the command line. Expected figures are read from
the run's own tables, never from the code under test."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import choose_live_inject
from jinja2.utils import htmlsafe_json_dumps
from matplotlib.collections import PathCollection
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from contingency import PROJECT_ROOT, SCENARIOS_DIR
from contingency.i18n import LANGUAGES, catalogue, t
from contingency.i18n.numbers import number
from contingency.mapping.crossings import far_ring
from contingency.mapping.export import Run
from contingency.mapping.export import render as render_export
from contingency.mapping.layers import build_layers, headline, time_of, to_geojson
from contingency.mapping.names import gap_place
from contingency.mapping.static import draw_layers, plt
from contingency.mapping.status import COLOURS
from contingency.mapping.webmap import build_map, checkpoint_rows, text_html
from contingency.results import RunResult, run_scenario
from contingency.scenario import load_scenario, load_scenario_bytes

END_H = 48  # the end of the smoke scenario's second (last) day: queues on both sides
FAR_COLUMNS = (
    "far_queue_persons",
    "far_queue_groups",
    "far_queue_vehicles",
    "far_queue_km",
    "far_wait_p95_h",
    "far_wait_max_h",
    "far_lanes_car",
    "far_lanes_bus",
    "far_lanes_pedestrian",
)
NEWER_COLUMNS = (*FAR_COLUMNS, "queue_vehicles", "queue_km", "presented", "turned_back")
"""Columns a run made before two-sided crossings does not have."""


@pytest.fixture(scope="module")
def smoke(ref) -> RunResult:
    return run_scenario(load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref), ref)


@pytest.fixture(scope="module")
def run_dir(smoke, tmp_path_factory) -> Path:
    return smoke.save(tmp_path_factory.mktemp("runs") / "smoke")


@pytest.fixture(scope="module")
def old_run_dir(smoke, tmp_path_factory) -> Path:
    """The smoke run as a run folder written before the far side was modelled."""
    out = smoke.save(tmp_path_factory.mktemp("runs") / "old-smoke")
    path = out / "checkpoints_hourly.parquet"
    pd.read_parquet(path).drop(columns=list(NEWER_COLUMNS)).to_parquet(path, index=False)
    return out


def _row(smoke: RunResult, cp: str, time_h: int) -> dict:
    cps = smoke.tables["checkpoints_hourly"]
    return cps[(cps["checkpoint"] == cp) & (cps["time_h"] == time_h)].to_dict("records")[0]


def _item(layers, cp: str) -> dict:
    return next(c for c in layers.checkpoints if c["id"] == cp)


def test_each_checkpoint_shows_both_sides_at_the_hour(smoke, ref):
    layers = build_layers(smoke.tables, smoke.summary, ref, END_H)
    assert len(layers.checkpoints) == 10
    for c in layers.checkpoints:
        r = _row(smoke, c["id"], END_H)
        assert c["queue_persons"] == r["queue_persons"]
        assert c["queue_vehicles"] == r["queue_vehicles"]
        assert c["queue_km"] == round(r["queue_km"], 2)
        assert c["far_queue_persons"] == r["far_queue_persons"]
        assert c["far_queue_vehicles"] == r["far_queue_vehicles"]
        assert c["far_queue_km"] == round(r["far_queue_km"], 2)
        assert c["far_wait_h"] == round(r["far_wait_max_h"], 2)
        assert c["far_lanes"] == {m: r[f"far_lanes_{m}"] for m in ("car", "bus", "pedestrian")}
    zz = _item(layers, "zhibek_zholy")
    assert zz["partner"] == ref.checkpoints.at["zhibek_zholy", "neighbour_checkpoint"]
    assert zz["far_queue_persons"] > 0 and zz["far_queue_km"] > 0  # the smoke run's queue


def test_the_symbol_takes_the_colour_of_the_worse_side(smoke, ref):
    """An hour when our side is within the amber threshold and the far side is over it (each
    threshold in turn, written into the smoke run's table): the symbol is the far side's
    colour, its ring too, and our side keeps its own status."""
    th = smoke.summary["thresholds"]
    amber, red = th["wait_amber_h"], th["wait_red_h"]
    for far_wait, far in ((amber + 1, "amber"), (red + 1, "red")):
        tables = dict(smoke.tables)
        cps = tables["checkpoints_hourly"].copy()
        at = (cps["checkpoint"] == "kaplanbek") & (cps["time_h"] == END_H)
        cps.loc[at, "wait_max_h"] = amber / 2
        cps.loc[at, "far_wait_max_h"] = far_wait
        tables["checkpoints_hourly"] = cps
        c = _item(build_layers(tables, smoke.summary, ref, END_H), "kaplanbek")
        assert (c["near_status"], c["far_status"], c["status"]) == ("green", far, far)
        assert c["colour"] == c["far_colour"] == COLOURS[far]
        assert far_ring(c)


def test_turned_back_and_diversions_are_summed_from_the_start(smoke, ref):
    tables = dict(smoke.tables)
    cps = tables["checkpoints_hourly"].drop(
        columns=["diverted_in", "diverted_out"], errors="ignore"
    )
    kap = cps["checkpoint"] == "kaplanbek"
    cps["turned_back"] = 0
    cps.loc[kap & (cps["time_h"] == 3), "turned_back"] = 5
    cps.loc[kap & (cps["time_h"] == 10), "turned_back"] = 7
    tables["checkpoints_hourly"] = cps
    at = {h: _item(build_layers(tables, smoke.summary, ref, h), "kaplanbek") for h in (2, 8, 10)}
    assert [at[h]["turned_back"] for h in (2, 8, 10)] == [0, 5, 12]
    assert at[10]["diverted_in"] is None and at[10]["diverted_out"] is None  # not in the run
    cps["diverted_in"] = 0
    cps["diverted_out"] = 0
    cps.loc[kap & (cps["time_h"] == 4), "diverted_in"] = 30
    cps.loc[kap & (cps["time_h"] == 9), "diverted_out"] = 12
    early = _item(build_layers(tables, smoke.summary, ref, 3), "kaplanbek")
    assert (early["diverted_in"], early["diverted_out"]) == (0, 0)
    _, rows = checkpoint_rows(early, "en")
    assert t("f.diverted_in", "en") not in {r[0] for r in rows}  # only where it happened
    c = _item(build_layers(tables, smoke.summary, ref, 10), "kaplanbek")
    assert (c["turned_back"], c["diverted_in"], c["diverted_out"]) == (12, 30, 12)
    _, rows = checkpoint_rows(c, "en")
    shown = {r[0]: r[1] for r in rows}
    assert shown[t("f.turned_back", "en")] == "12"
    assert shown[t("f.diverted_in", "en")] == "30"
    assert shown[t("f.diverted_out", "en")] == "12"


def test_popup_lists_each_side_in_every_language(smoke, ref):
    c = _item(build_layers(smoke.tables, smoke.summary, ref, END_H), "zhibek_zholy")
    r = _row(smoke, "zhibek_zholy", END_H)
    for lang in LANGUAGES:
        header, rows = checkpoint_rows(c, lang)
        assert header == ["", t("side.near", lang), t("side.far", lang)]
        by_label = {row[0]: row[1:] for row in rows}
        for label, near, far, shown in (
            ("f.queue_persons", "queue_persons", "far_queue_persons", 0),
            ("f.queue_vehicles", "queue_vehicles", "far_queue_vehicles", 0),
            ("f.queue_km", "queue_km", "far_queue_km", 2),
            ("f.wait_h", "wait_max_h", "far_wait_max_h", 2),
        ):
            # figures in the page's language: 1 590 and 0,62 in Russian, 1,590 and 0.62 in English
            expected = [number(r[near], lang, digits=shown), number(r[far], lang, digits=shown)]
            assert by_label[t(label, lang)] == expected
        # the far side named in the page's language: Гишткуприк in Russian, Gisht Kuprik in English
        assert by_label[t("f.partner", lang)] == [c.get(f"partner_{lang}") or c["partner"]]
        assert lang == "en" or by_label[t("f.partner", lang)] != [c["partner"]]
        assert t("f.turned_back", lang) in by_label
        for key in ("side.near", "side.far", "f.queue_km", "f.turned_back", "map.km_far"):
            assert key in catalogue(lang), (lang, key)  # no English fallback


def _km_label(lang: str, near_km: float, far_km: float) -> str:
    """The queue label as the page's language writes it (``5,7 км`` in Russian)."""
    near, far = number(near_km, lang, digits=1), number(far_km, lang, digits=1)
    return f"{t('map.km_near', lang, km=near)} · {t('map.km_far', lang, km=far)}"


def test_html_map_draws_the_ring_the_km_label_and_the_popup(smoke, ref):
    layers = build_layers(smoke.tables, smoke.summary, ref, END_H)
    r = _row(smoke, "zhibek_zholy", END_H)
    ringed = [c for c in layers.checkpoints if far_ring(c)]
    assert "zhibek_zholy" in {c["id"] for c in ringed}
    run = Run("smoke", smoke.scenario, smoke.tables, smoke.summary)
    for lang in LANGUAGES:
        html = render_export(run, "html", lang=lang, day=2, ref=ref).decode()
        assert html.count('"className": "checkpoint-far"') == 2 * len(ringed)  # edge and colour
        label = _km_label(lang, r["queue_km"], r["far_queue_km"])
        assert _in_script(label) in html
        for key in ("side.near", "side.far", "f.queue_km", "f.partner"):
            assert _in_script(t(key, lang)) in html, (lang, key)
        assert text_html(t("legend.far_ring", lang)) in html  # the legend is page HTML


def _in_script(text: str) -> str:
    """``text`` as the map's script holds it: escaped as HTML text, in a JSON string."""
    return str(htmlsafe_json_dumps(text_html(text)))[1:-1]


def test_static_map_draws_the_ring_and_the_km_label(smoke, ref):
    layers = build_layers(smoke.tables, smoke.summary, ref, END_H)
    zz = _item(layers, "zhibek_zholy")
    fig, ax = plt.subplots()
    try:
        draw_layers(ax, layers, ref, lang="ru", thresholds=smoke.summary["thresholds"])
        rings = [
            pc
            for pc in ax.collections
            if isinstance(pc, PathCollection)
            and len(pc.get_facecolors()) == 0
            and tuple(pc.get_offsets()[0]) == (zz["map_lon"], zz["map_lat"])
        ]
        texts = [x.get_text() for x in ax.texts]
    finally:
        plt.close(fig)
    assert len(rings) == 2  # a dark edge under the far side's colour
    r = _row(smoke, "zhibek_zholy", END_H)
    assert f"Жибек Жолы\n{_km_label('ru', r['queue_km'], r['far_queue_km'])}" in texts


def test_a_far_side_gap_is_named_as_such_in_every_language(smoke, ref):
    far = [g for g in smoke.summary["gaps"] if g["metric"] == "far_wait_h"]
    assert far and far[0]["facility"] == "zhibek_zholy"
    g = far[0]
    # the neighbour's post in the page's own script (maps/checkpoints.csv
    # neighbour_checkpoint_ru, _kk): no Latin name on a Russian or Kazakh page
    assert gap_place(g, "ru", ref, smoke.summary) == (
        "Сопредельная сторона пункта Жибек Жолы (выездной контроль соседа: Гишткуприк)"
    )
    assert gap_place(g, "kk", ref, smoke.summary) == (
        "Жібек жолы пунктінің арғы беті (көрші елдің шығу бақылауы: Гишткуприк)"
    )
    assert gap_place(g, "en", ref, smoke.summary) == (
        "Far side of Zhibek Zholy (neighbour's exit control: Gisht Kuprik)"
    )
    near = next(x for x in smoke.summary["gaps"] if x["metric"] == "max_wait_h")
    assert gap_place(near, "en", ref, smoke.summary) == "Zhibek Zholy"
    nameless = ref.checkpoints.copy()
    nameless["neighbour_checkpoint"] = ""
    nameless["partner"] = None
    bare = dataclasses.replace(ref, checkpoints=nameless)
    assert gap_place(g, "en", bare, smoke.summary) == (
        "Far side of Zhibek Zholy (neighbour's exit control)"
    )


def test_the_briefing_names_the_far_side_gap(smoke, ref, tmp_path):
    run = Run("smoke", smoke.scenario, smoke.tables, smoke.summary)
    path = tmp_path / "briefing.pdf"
    path.write_bytes(render_export(run, "briefing", lang="en", ref=ref))
    text = " ".join(PdfReader(path).pages[1].extract_text().split())
    assert (
        "Far side of Zhibek Zholy (neighbour's exit control: Gisht Kuprik) — longest wait, h:"
        in text
    )


def test_geojson_carries_both_sides(cli, run_dir, smoke):
    out = run_dir / "both.geojson"
    res = cli("export", run_dir, "--format", "geojson", "--day", "2", "--out", out)
    assert res.exit_code == 0, res.stderr
    gj = json.loads(out.read_text(encoding="utf-8"))
    props = {
        f["properties"]["id"]: f["properties"]
        for f in gj["features"]
        if f["properties"]["layer"] == "checkpoint"
    }
    zz, r = props["zhibek_zholy"], _row(smoke, "zhibek_zholy", END_H)
    assert zz["far_queue_persons"] == r["far_queue_persons"]
    assert zz["far_queue_vehicles"] == r["far_queue_vehicles"]
    assert zz["far_queue_km"] == round(r["far_queue_km"], 2)
    assert zz["queue_km"] == round(r["queue_km"], 2)
    assert zz["far_wait_h"] == round(r["far_wait_max_h"], 2)
    assert zz["far_lanes_car"] == r["far_lanes_car"] and "far_lanes" not in zz
    assert zz["turned_back"] == int(
        smoke.tables["checkpoints_hourly"]
        .query("checkpoint == 'zhibek_zholy' and time_h <= @END_H")["turned_back"]
        .sum()
    )
    assert {"near_status", "far_status", "status", "partner"} <= set(zz)


@pytest.mark.parametrize("fmt", ["png", "pdf", "html", "geojson", "csv", "briefing"])
def test_a_run_made_before_the_far_side_still_exports(cli, old_run_dir, fmt):
    res = cli("export", old_run_dir, "--format", fmt, "--lang", "en")
    assert res.exit_code == 0, res.stderr
    made = Path(res.stdout.strip())
    assert made.stat().st_size > 1000
    if fmt == "geojson":
        gj = json.loads(made.read_text(encoding="utf-8"))
        cps = [f["properties"] for f in gj["features"] if f["properties"]["layer"] == "checkpoint"]
        assert len(cps) == 10
        for p in cps:
            assert p["far_wait_h"] is None and p["far_queue_km"] is None
            assert p["queue_km"] is None and p["turned_back"] is None
            assert p["far_status"] == "none" and p["status"] == p["near_status"]
    if fmt == "html":
        assert "checkpoint-far" not in made.read_text(encoding="utf-8")


def test_an_old_run_popup_shows_our_side_only(smoke, ref):
    tables = dict(smoke.tables)
    tables["checkpoints_hourly"] = tables["checkpoints_hourly"].drop(columns=list(NEWER_COLUMNS))
    c = _item(build_layers(tables, smoke.summary, ref, END_H), "zhibek_zholy")
    header, rows = checkpoint_rows(c, "en")
    assert header == []
    by_label = {row[0]: row[1:] for row in rows}
    assert by_label["Queue, persons"] == [f"{c['queue_persons']:,}"]
    assert by_label["Queue, km"] == ["—"]  # not in that run
    assert "Turned back at the far side (so far)" not in by_label


def test_partner_names_reach_the_map_as_text(smoke, ref):
    payload = '<img src=x onerror="globalThis.__pwned=1">`${globalThis.__pwned=1}`'
    planted = ref.checkpoints.copy()
    planted["neighbour_checkpoint"] = payload
    planted_ref = dataclasses.replace(ref, checkpoints=planted)
    layers = build_layers(smoke.tables, smoke.summary, planted_ref, END_H)
    assert _item(layers, "zhibek_zholy")["partner"] == payload
    html = (
        build_map(layers, planted_ref, lang="en", thresholds=smoke.summary["thresholds"])
        .get_root()
        .render()
    )
    assert payload not in html and str(htmlsafe_json_dumps(payload))[1:-1] not in html
    assert _in_script(payload) in html  # shown, as the text it is
    assert "Far side of Zhibek Zholy" in gap_place(
        next(g for g in smoke.summary["gaps"] if g["metric"] == "far_wait_h"),
        "en",
        planted_ref,
        smoke.summary,
    )
    props = next(
        f["properties"]
        for f in to_geojson(layers, planted_ref)["features"]
        if f["properties"].get("id") == "zhibek_zholy"
    )
    assert props["partner"] == payload  # GeoJSON holds the name as data, for GIS tools


# ------------------------------------------------------------------ the board (AppTest)
APP = str(PROJECT_ROOT / "app.py")


def _smoke_board() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.selectbox(key="scenario").set_value("smoke.yaml").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_board_gap_list_names_the_far_side():
    at = _smoke_board()
    table = next(d.value for d in at.dataframe if t("gaps.facility", "ru") in d.value.columns)
    places = set(table[t("gaps.facility", "ru")])
    assert "Сопредельная сторона пункта Жибек Жолы (выездной контроль соседа: Гишткуприк)" in places
    assert "Жибек Жолы" in places  # our side's gap stays under the checkpoint's own name


def test_the_processing_inject_has_its_widget(ref):
    """``processing`` on the live exercise control: a multiplier and the side; the board then
    shows the run with it from that hour on."""
    from contingency.board import exercise_panel as page
    from contingency.levers import apply_levers

    assert "processing" in page.LIVE_KINDS
    at = choose_live_inject(_smoke_board(), "processing", "zhibek_zholy")
    at.number_input(key="ex_proc_mult").set_value(0.4)
    at.selectbox(key="ex_side").set_value("far")
    assert at.selectbox(key="ex_side").label == t("exercise.side", "ru")
    at.button(key="ex_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    inj = at.session_state["live_injects"][-1]
    assert inj["kind"] == "processing" and inj["at_h"] == 11.0
    assert inj["params"] == {"multiplier": 0.4, "side": "far"}
    at.slider(key="day").set_value(2).run()
    at.slider(key="hour").set_value(23).run()
    shown = next(m.value for m in at.metric if m.label == t("head.waiting_border", "ru"))
    base = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    with_inject = run_scenario(apply_levers(base, ref, injects=[inj]), ref)
    without = run_scenario(base, ref)
    now = time_of(2, 23)
    expected = headline(with_inject.tables, now)["waiting_border"]
    assert int(shown.replace("\xa0", "").replace(",", "")) == expected
    assert expected != headline(without.tables, now)["waiting_border"]


SIDED_KINDS = ("checkpoint_close", "checkpoint_open", "lanes", "processing")
"""The inject kinds that act on one side of a crossing (``params.side``)."""


def test_the_live_control_offers_the_side_for_the_sided_kinds():
    """Our control by default; both sides named in the board's language; no side for a kind
    that has none."""
    from contingency.board import exercise_panel as page

    at = _smoke_board()
    offered = set()
    for kind in page.LIVE_KINDS:
        at.selectbox(key="ex_kind").set_value(kind).run()
        assert not at.exception, [e.value for e in at.exception]
        if any(s.key == "ex_side" for s in at.selectbox):
            offered.add(kind)
            side = at.selectbox(key="ex_side")
            assert side.label == t("exercise.side", "ru")
            assert side.options == [t("side.near", "ru"), t("side.far", "ru")]
            assert side.value == "near"
    assert offered == {k for k in SIDED_KINDS if k in page.LIVE_KINDS}
    assert {"checkpoint_close", "checkpoint_open"} <= offered


def _with_inject(line: str) -> bytes:
    """The smoke scenario with one more inject, written as a planner writes it."""
    text = (SCENARIOS_DIR / "smoke.yaml").read_text(encoding="utf-8")
    assert text.count("\ninjects:\n") == 1
    return text.replace("\ninjects:\n", f"\ninjects:\n  - {line}\n").encode("utf-8")


def _board_tables(at: AppTest) -> tuple[pd.DataFrame, dict]:
    """The hourly checkpoint table and the summary of the run the board shows (its CSV export)."""
    at.selectbox(key="exp_fmt").set_value("csv")
    at.button(key="exp_prepare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    _, data = at.session_state["export_file"]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        cps = pd.read_csv(z.open("checkpoints_hourly.csv"))
        summary = json.loads(z.read("summary.json"))
    return cps, summary


def test_a_far_side_close_on_the_board_is_the_one_written_in_a_scenario(ref):
    """Closing Zhibek Zholy's far side from the live control at hour 11: the board's run is the
    run of the same inject written in the scenario, and not the run of closing our side."""
    at = choose_live_inject(_smoke_board(), "checkpoint_close", "zhibek_zholy")
    at.selectbox(key="ex_side").set_value("far")
    at.button(key="ex_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    inj = at.session_state["live_injects"][-1]
    assert inj["kind"] == "checkpoint_close" and inj["at_h"] == 11.0
    assert inj["params"] == {"side": "far"}
    log = next(d.value for d in at.dataframe if t("injects.side", "ru") in d.value.columns)
    closes = log[log[t("injects.kind", "ru")] == t("inject.checkpoint_close", "ru")]
    assert t("side.far", "ru") in set(closes[t("injects.side", "ru")])  # the log says which side
    shown, summary = _board_tables(at)

    def written(side: str) -> RunResult:
        raw = _with_inject(
            f"{{at_h: 11, kind: checkpoint_close, target: zhibek_zholy, params: {{side: {side}}}}}"
        )
        return run_scenario(load_scenario_bytes(raw, file=f"close-{side}.yaml", ref=ref), ref)

    far, near = written("far"), written("near")
    cols = ["checkpoint", "time_h", *FAR_COLUMNS, "queue_persons", "queue_km", "wait_max_h"]

    def zz(cps: pd.DataFrame) -> pd.DataFrame:
        picked = cps.loc[cps["checkpoint"] == "zhibek_zholy", cols]
        return picked.reset_index(drop=True)

    pd.testing.assert_frame_equal(
        zz(shown), zz(far.tables["checkpoints_hourly"]), check_dtype=False
    )
    assert summary["checkpoints"] == far.summary["checkpoints"]
    assert summary["gaps"] == far.summary["gaps"]
    at_far, at_near = (zz(r.tables["checkpoints_hourly"]).set_index("time_h") for r in (far, near))
    pd.testing.assert_frame_equal(at_far.loc[:10], at_near.loc[:10])  # before it, the same
    assert (at_far["far_queue_persons"] != at_near["far_queue_persons"]).any()
    assert at_far["far_queue_persons"].sum() > at_near["far_queue_persons"].sum()


def test_run_prints_a_far_side_gap_in_words(cli, smoke, tmp_path):
    res = cli("run", "smoke", "--runs-dir", tmp_path / "runs")
    assert res.exit_code == 0, res.stderr
    far = next(g for g in smoke.summary["gaps"] if g["metric"] == "far_wait_h")
    near = next(
        g
        for g in smoke.summary["gaps"]
        if g["metric"] == "max_wait_h" and g["facility"] == "zhibek_zholy"
    )
    lines = res.stdout.splitlines()
    assert (
        f"    {far['severity']:<6}Far side of Zhibek Zholy (neighbour's exit control: Gisht Kuprik):"
        f" longest wait {far['value']:.1f} h, from {far['first_time'][:10]} {far['first_time'][11:16]}"
    ) in lines
    assert any(
        line.startswith(
            f"    {near['severity']:<6}Zhibek Zholy: longest wait {near['value']:.1f} h"
        )
        for line in lines
    )
    assert "far_wait_h" not in res.stdout and "max_wait_h" not in res.stdout
