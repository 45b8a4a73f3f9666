"""Reception pathways on the board and in the exports: transit hubs and temporary sites with
their own symbols (a site not open yet hollow and grey, with when it opens), the origins of
displacement inside the country with the people displaced so far, their legend lines, GeoJSON
layers and CSV rows, names escaped, an older run without the new columns, the new ledger
fields and the ``open_site`` inject on the live exercise control. Expected figures are read
from the run's own tables or worked out by hand from the scenario."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.colors import to_hex
from matplotlib.markers import MarkerStyle
from streamlit.testing.v1 import AppTest
from test_escaping import PAYLOADS, visit_map
from test_pathways import HUB, _data

from contingency import PROJECT_ROOT
from contingency.i18n import LANGUAGES, catalogue, t
from contingency.ledger import LEDGER_FIELDS
from contingency.mapping.export import Run
from contingency.mapping.export import render as render_export
from contingency.mapping.layers import Layers, build_layers
from contingency.mapping.sites import NOT_OPEN_FILL, ORIGIN_COLOUR, OriginItem
from contingency.mapping.static import draw_layers, plt
from contingency.mapping.webmap import build_map, legend_html
from contingency.refdata import RefData
from contingency.results import RunResult, run_scenario
from contingency.scenario import parse_scenario
from contingency.scenario.schema import LIVE_KINDS, Scenario

APP = str(PROJECT_ROOT / "app.py")
SCHOOL = {
    **HUB,
    "id": "school_saryagash",
    "kind": "reception",
    "name": {"ru": "Школа № 5", "kk": "№ 5 мектеп", "en": "School No. 5"},
    "places": 300,
    "stay_hours_mean": None,
    "stay_days_mean": 10,
    "opens_at_h": 30,
}
"""A school opened as a reception site at hour 30: open from the hour ending at 31."""
CAMP = {
    **SCHOOL,
    "id": "camp_shymkent",
    "name": {"ru": "Палаточный лагерь", "kk": "Шатыр қалашығы", "en": "Tent camp"},
    "node": "shymkent",
    "region": "KZ-79",
    "places": 2000,
    "opens_at_h": None,
}
"""A tent camp that opens only when an ``open_site`` inject says so."""
ALMATY = {"almaty": {"daily": [3000, 2000, 0]}}
"""An earthquake in Almaty city: 3,000 displaced on day 1, 2,000 on day 2, an even profile."""
EARLY_H = 20
"""Hour shown: the hub is busy, the school not open yet, 20 x 125 = 2,500 displaced."""


def _scenario_data() -> dict:
    return _data(
        add_centres=[HUB, SCHOOL, CAMP],
        routing={"dispatch": "hourly"},
        internal_origins=copy.deepcopy(ALMATY),
    )


@pytest.fixture(scope="module")
def scenario(ref) -> Scenario:
    return parse_scenario(_scenario_data(), file="pathways.yaml", ref=ref)


@pytest.fixture(scope="module")
def result(scenario, ref) -> RunResult:
    return run_scenario(scenario, ref)


@pytest.fixture(scope="module")
def run(result) -> Run:
    return Run("pathways", result.scenario, result.tables, result.summary)


def _layers(result: RunResult, ref: RefData, time_h: int) -> Layers:
    return build_layers(result.tables, result.summary, ref, time_h, scenario=result.scenario)


def _centre(layers: Layers, cid: str) -> dict:
    return dict(next(c for c in layers.centres if c["id"] == cid))


def _hourly(result: RunResult, cid: str, time_h: int) -> dict:
    c = result.tables["centres_hourly"]
    return c[(c["centre"] == cid) & (c["time_h"] == time_h)].to_dict("records")[0]


# ---------------------------------------------------------------- layers
def test_a_transit_hub_is_its_own_symbol_with_its_turnover(result, ref):
    hub = _centre(_layers(result, ref, EARLY_H), "hub_saryagash")
    row = _hourly(result, "hub_saryagash", EARLY_H)
    assert hub["symbol"] == "transit" and hub["kind"] == "transit"
    assert hub["temporary_site"] and hub["is_open"] and hub["opens_h"] == 1
    assert hub["turnover"] == row["turnover"] > hub["capacity"] == 100  # passes many a day
    assert hub["present"] == row["occupancy"] + row["overflow"] + row["registration_queue"]
    assert hub["name_kk"] == HUB["name"]["kk"]  # the scenario's Kazakh name


def test_a_site_not_open_yet_is_grey_and_says_when_it_opens(result, ref):
    early = _layers(result, ref, EARLY_H)
    school, camp = _centre(early, "school_saryagash"), _centre(early, "camp_shymkent")
    assert school["symbol"] == camp["symbol"] == "site"
    assert not school["is_open"] and school["present"] == 0
    assert school["status"] == "none" and school["load"] is None
    assert school["opens_h"] == 31  # opens at hour 30: open in the hour ending at 31
    assert camp["opens_h"] is None  # no inject opens it in this run
    later = _centre(_layers(result, ref, 40), "school_saryagash")
    assert later["is_open"] and later["status"] != "none"


def test_an_internal_origin_shows_the_people_displaced_so_far(result, ref):
    layers = _layers(result, ref, EARLY_H)
    (origin,) = layers.origins
    node = ref.road_nodes.loc["almaty"]
    assert origin["id"] == origin["node"] == "almaty"
    assert (origin["lat"], origin["lon"]) == (node["lat"], node["lon"])
    assert origin["displaced"] == 2500 and origin["displaced_total"] == 5000
    assert set(origin) - {"map_lat", "map_lon"} == set(OriginItem.__annotations__) - {
        "map_lat",
        "map_lon",
    }
    led = result.tables["ledger_hourly"].set_index("time_h")
    assert led.loc[EARLY_H, "arrived"] >= 2500  # in the ledger's arrived with the border's
    assert _layers(result, ref, 48).origins[0]["displaced"] == 5000


def test_a_region_origin_is_drawn_at_its_centre_node(ref):
    data = _data(influx={}, internal_origins={"KZ-75": {"daily": [24, 0, 0]}})
    res = run_scenario(parse_scenario(data, file="t.yaml", ref=ref), ref)
    (origin,) = _layers(res, ref, 6).origins
    assert origin["id"] == "KZ-75" and origin["node"] == ref.regions.at["KZ-75", "centre_node"]
    assert origin["name_kk"] == ref.regions.at["KZ-75", "name_kk"]
    assert origin["displaced"] == 6


def test_without_the_scenario_a_map_has_no_origins_and_the_sites_in_ref(result, ref):
    """The map pack a run is drawn with may itself mark a centre as a temporary site."""
    plain = build_layers(result.tables, result.summary, ref, EARLY_H)
    assert plain.origins == []
    assert _centre(plain, "school_saryagash")["symbol"] == "centre"
    assert _centre(plain, "hub_saryagash")["symbol"] == "transit"  # a kind, not a scenario fact
    from contingency.scenario.sites import with_scenario_places

    marked = build_layers(
        result.tables, result.summary, with_scenario_places(result.scenario, ref), EARLY_H
    )
    assert _centre(marked, "school_saryagash")["symbol"] == "site"


def test_a_run_made_before_sites_opened_late_still_draws(result, ref):
    tables = dict(result.tables)
    tables["centres_hourly"] = tables["centres_hourly"].drop(columns=["turnover", "is_open"])
    layers = build_layers(tables, result.summary, ref, EARLY_H)
    hub = _centre(layers, "hub_saryagash")
    assert hub["is_open"] and hub["turnover"] is None and hub["opens_h"] == 1
    html = build_map(layers, ref, lang="en", thresholds=result.summary["thresholds"])
    assert "Passed through" not in html.get_root().render()


# ---------------------------------------------------------------- exports
def test_geojson_carries_a_layer_per_pathway_symbol(run, ref):
    gj = json.loads(render_export(run, "geojson", time_h=EARLY_H, ref=ref))
    by_id = {f["properties"].get("id"): f for f in gj["features"]}
    assert by_id["hub_saryagash"]["properties"]["layer"] == "transit"
    assert by_id["hub_saryagash"]["properties"]["turnover"] > 100
    school = by_id["school_saryagash"]["properties"]
    assert school["layer"] == "site" and school["is_open"] is False and school["opens_h"] == 31
    origin = by_id["almaty"]
    assert origin["properties"]["layer"] == "internal_origin"
    assert origin["properties"]["displaced"] == 2500
    node = ref.road_nodes.loc["almaty"]
    assert origin["geometry"]["coordinates"] == [node["lon"], node["lat"]]
    assert sum(f["properties"]["layer"] == "centre" for f in gj["features"]) >= 30


def test_csv_zip_lists_the_origins(run, ref):
    with zipfile.ZipFile(io.BytesIO(render_export(run, "csv", time_h=EARLY_H, ref=ref))) as z:
        origins = pd.read_csv(io.BytesIO(z.read(f"internal_origins_at_h{EARLY_H}.csv")))
        centres = pd.read_csv(io.BytesIO(z.read(f"centres_at_h{EARLY_H}.csv")))
        assert "registration_hourly.csv" in z.namelist()
    assert origins.loc[0, "displaced"] == 2500
    assert set(centres.loc[centres["temporary_site"], "id"]) == {
        "hub_saryagash",
        "school_saryagash",
        "camp_shymkent",
    }


def test_html_export_draws_each_symbol_with_its_figures(run, ref):
    html = render_export(run, "html", lang="en", time_h=EARLY_H, ref=ref).decode()
    for css in ("centre-transit", "centre-site", "internal-origin"):
        assert f'"className": "{css}"' in html
    assert "stroke-dasharray" in html and NOT_OPEN_FILL in html  # a site not open yet
    assert ORIGIN_COLOUR in html
    for text in (
        "Transit hub (temporary site: transit hub)",  # the tooltip
        "Passed through (so far)",
        "not open yet; opens on day 2, 06:00",
        "not open yet; opens when ordered",
        "Tent camp (temporary site: reception centre)",
        "Almaty (displacement inside the country)",
        "People displaced (so far)",
        "2,500",
        "5,000",
    ):
        assert text in html, text
    for key in ("legend.transit", "legend.site", "legend.not_open", "legend.internal_origin"):
        assert t(key, "en") in html


def test_legend_lines_only_for_what_the_map_shows(ref):
    th = {"wait_amber_h": 6, "wait_red_h": 24, "occupancy_amber": 0.9, "occupancy_red": 1.0}
    plain = legend_html("ru", th)
    assert t("legend.transit", "ru") not in plain and t("legend.site", "ru") not in plain
    full = legend_html("ru", th, symbols={"transit", "site", "not_open", "internal_origin"})
    for key in ("legend.transit", "legend.site", "legend.not_open", "legend.internal_origin"):
        assert t(key, "ru") in full


def _marker_at(ax, lon: float, lat: float) -> tuple[np.ndarray, str]:
    """The marker outline and fill colour of the point drawn at ``lon``, ``lat``."""
    for c in ax.collections:
        offsets = c.get_offsets()
        if len(offsets) == 1 and np.allclose(offsets[0], [lon, lat]):
            return c.get_paths()[0].vertices, to_hex(c.get_facecolor()[0])
    raise AssertionError(f"nothing drawn at {lon}, {lat}")


def _outline(marker: str) -> np.ndarray:
    style = MarkerStyle(marker)
    return style.get_path().transformed(style.get_transform()).vertices


@pytest.mark.parametrize("lang", LANGUAGES)
def test_static_map_draws_each_symbol_and_its_legend_line(result, ref, lang):
    layers = _layers(result, ref, EARLY_H)
    fig, ax = plt.subplots()
    draw_layers(ax, layers, ref, lang=lang, thresholds=result.summary["thresholds"])
    legend = {x.get_text() for x in ax.get_legend().get_texts()}
    at = {
        x["id"]: _marker_at(ax, x["map_lon"], x["map_lat"])
        for x in [*layers.centres, *layers.origins]
        if x["id"] in ("hub_saryagash", "school_saryagash", "almaty")
    }
    plt.close(fig)
    for key in ("legend.transit", "legend.site", "legend.not_open", "legend.internal_origin"):
        assert t(key, lang) in legend
    hub, school, origin = at["hub_saryagash"], at["school_saryagash"], at["almaty"]
    assert (
        np.allclose(hub[0], _outline("D")) and hub[1] == _centre(layers, "hub_saryagash")["colour"]
    )
    assert np.allclose(school[0], _outline("^")) and school[1] == NOT_OPEN_FILL  # hollow
    assert np.allclose(origin[0], _outline("*")) and origin[1] == ORIGIN_COLOUR


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_static_exports_render(run, ref, fmt):
    data = render_export(run, fmt, lang="kk", time_h=EARLY_H, ref=ref)
    assert data[:4] in (b"\x89PNG", b"%PDF")


# ---------------------------------------------------------------- escaping
def _planted(run: Run, ref: RefData, payload: str) -> tuple[Run, RefData]:
    """The run with ``payload`` in the sites' names and the origin's road node name."""
    names = {"ru": f"site {payload}", "kk": f"site {payload}", "en": f"site {payload}"}
    sites = [
        a.model_copy(update={"name": a.name.model_copy(update=names)})
        for a in run.scenario.add_centres
    ]
    scenario = run.scenario.model_copy(update={"add_centres": sites})
    summary = copy.deepcopy(run.summary)
    for cid in ("hub_saryagash", "school_saryagash", "camp_shymkent"):
        summary["centres"][cid]["name_ru"] = summary["centres"][cid]["name_en"] = names["ru"]
    nodes = ref.road_nodes.copy()
    nodes.loc["almaty", ["name_ru", "name_en"]] = f"origin {payload}"
    return Run(run.run_id, scenario, run.tables, summary), dataclasses.replace(
        ref, road_nodes=nodes
    )


@pytest.mark.parametrize("kind", PAYLOADS)
def test_site_and_origin_names_are_text(run, ref, kind):
    payload = PAYLOADS[kind]
    planted, planted_ref = _planted(run, ref, payload)
    for lang in LANGUAGES:
        html = render_export(planted, "html", lang=lang, time_h=EARLY_H, ref=planted_ref).decode()
        assert payload not in html
    assert "&#36;{globalThis" in html or kind != "template"


@pytest.mark.parametrize("kind", PAYLOADS)
def test_planted_site_and_origin_names_run_nothing_in_chromium(run, ref, browser, tmp_path, kind):
    payload = PAYLOADS[kind]
    planted, planted_ref = _planted(run, ref, payload)
    path = tmp_path / "map.html"
    path.write_bytes(render_export(planted, "html", lang="en", time_h=EARLY_H, ref=planted_ref))
    seen = visit_map(
        browser,
        path,
        count="() => ['.centre-transit svg', '.centre-site svg', '.internal-origin svg']"
        ".map(s => document.querySelectorAll(s).length)",
        settle_ms=300,
        after_ms=800,
    )
    errors = seen.dialogs + seen.errors
    shapes, opened, pwned, body = seen.counted, seen.opened, seen.pwned, seen.body
    assert pwned is None and errors == [], errors
    assert shapes == [1, 2, 1]  # the hub, the two sites, the origin
    assert opened > 100  # every tooltip and popup
    assert f"origin {payload}" in body and f"site {payload}" in body  # shown, as text


# ---------------------------------------------------------------- strings
def test_every_catalogue_has_the_same_keys():
    keys = {lang: set(catalogue(lang)) for lang in LANGUAGES}
    assert keys["kk"] == keys["ru"] == keys["en"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_new_fields_and_kinds_have_strings_in_every_language(lang):
    cat = catalogue(lang)
    wanted = [f"ledger.{k}" for k in LEDGER_FIELDS]
    wanted += ["kind.transit", "kind.site", "kind.internal_origin", "inject.open_site"]
    wanted += ["legend.transit", "legend.site", "legend.not_open", "legend.internal_origin"]
    wanted += ["f.places", "f.present", "f.turnover", "f.opens_at", "f.displaced"]
    assert [k for k in wanted if not cat.get(k)] == []


# ---------------------------------------------------------------- the board
def _board(data: dict | None = None) -> AppTest:
    """The board on the smoke scenario, or on ``data`` uploaded as a YAML file."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.selectbox(key="scenario").set_value("smoke.yaml").run()
    if data is not None:
        raw = yaml.safe_dump(data, allow_unicode=True).encode("utf-8")
        at.file_uploader(key="upload").set_value(("pathways.yaml", raw, "application/x-yaml"))
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_the_board_opens_a_scenario_with_sites_and_internal_origins():
    at = _board(_scenario_data())
    ledger = next(d.value for d in at.dataframe if t("ledger.title", "ru") in d.value.columns)
    shown = set(ledger[t("ledger.title", "ru")])
    assert {t(f"ledger.{k}", "ru") for k in LEDGER_FIELDS} == shown
    at.selectbox(key="exp_fmt").set_value("geojson")
    at.button(key="exp_prepare").click().run()
    assert not at.exception
    _, data = at.session_state["export_file"]
    layers = {f["properties"]["layer"] for f in json.loads(data)["features"]}
    assert {"transit", "site", "internal_origin"} <= layers


def test_open_site_offers_the_scenarios_sites_and_opens_one():
    at = _board(_scenario_data())
    at.slider(key="day").set_value(1).run()
    at.slider(key="hour").set_value(10).run()
    at.selectbox(key="ex_kind").set_value("open_site").run()
    assert not at.exception
    target = at.selectbox(key="ex_target")
    names = [HUB["name"]["ru"], SCHOOL["name"]["ru"], CAMP["name"]["ru"]]
    assert [o.split(" (")[0] for o in target.options] == names  # by name, not by id
    target.set_value("camp_shymkent")
    at.button(key="ex_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["live_injects"][-1] == {
        "at_h": 11.0,
        "kind": "open_site",
        "target": "camp_shymkent",
        "by": None,
        "note": None,
    }


def test_open_site_without_sites_offers_nothing_to_open():
    at = _board()
    assert "open_site" in LIVE_KINDS
    at.selectbox(key="ex_kind").set_value("open_site").run()
    assert not at.exception
    assert at.selectbox(key="ex_target").options == []
    assert at.button(key="ex_add").disabled
    assert any(c.value == t("exercise.no_sites", "ru") for c in at.caption)
