"""The board's map as a wall display (issue 16): the legend outside the map, names written on
the map without clicking, a distinct symbol per kind of facility, a centre whose places were
cut marked, and a full-screen control served from the machine itself."""

from __future__ import annotations

import copy
import itertools
import json
import re

import pytest

from contingency.i18n import t as text
from contingency.mapping.layers import Layers, build_layers, item_name
from contingency.mapping.popups import text_html
from contingency.mapping.web_labels import NATIONAL_ZOOM, placed_boxes
from contingency.mapping.web_names import map_labels, place_map_labels, region_points
from contingency.mapping.webmap import (
    BOARD_FULLSCREEN_URL,
    BOARD_STATIC_URL,
    build_map,
    legend_for,
    legend_html,
)
from contingency.refdata import RefData


def t(key: str, lang: str) -> str:
    """A catalogue string as the map's HTML holds it (escaped)."""
    return text_html(text(key, lang))


SARYAGASH_H = 122
"""south_conflict at 122 h: queues at the three Saryagash crossings, Kaplanbek closed."""


@pytest.fixture(scope="module")
def south_layers(south_base, ref) -> Layers:
    sc, res = south_base
    return build_layers(res.tables, res.summary, ref, SARYAGASH_H, scenario=sc)


@pytest.fixture(scope="module")
def thresholds(south_base) -> dict:
    return south_base[1].summary["thresholds"]


def _html(layers: Layers, ref: RefData, th: dict, **kw) -> str:
    return build_map(layers, ref, thresholds=th, **kw).get_root().render()


def _icons(html: str) -> list[str]:
    """The HTML of every div icon on the map page (folium writes it as a JSON string)."""
    return [json.loads(m) for m in re.findall(r'"html": ("(?:[^"\\]|\\.)*")', html)]


def _placed(layers: Layers, ref: RefData, lang: str):
    labels = map_labels(layers, ref, lang=lang, radius_px={})
    return labels, place_map_labels(labels, [])


# ---------------------------------------------------------------- legend
def test_without_legend_the_map_holds_none_and_the_page_gets_it(south_layers, ref, thresholds):
    with_legend = _html(south_layers, ref, thresholds, lang="ru")
    assert with_legend.count("contingency-legend") == 1 and "position:absolute" in with_legend
    bare = _html(south_layers, ref, thresholds, lang="ru", legend=False)
    assert "contingency-legend" not in bare and t("legend.title", "ru") not in bare
    page = legend_for(south_layers, "ru", thresholds)
    assert "contingency-legend" in page and "position:absolute" not in page
    map_legend = re.search(r"<div class='contingency-legend.*?</div></div>", with_legend, re.S)
    assert map_legend is not None
    assert re.sub(r"style='[^']*'", "", page).count("<div") == re.sub(
        r"style='[^']*'", "", map_legend.group(0)
    ).count("<div")  # the same lines, in or beside the map


def test_legend_for_lists_the_symbols_the_layers_show(south_layers, thresholds):
    page = legend_for(south_layers, "en", thresholds)
    for key in ("legend.reception", "legend.rehabilitation", "legend.city", "legend.closed"):
        assert t(key, "en") in page, key
    assert t("legend.degraded", "en") not in page  # nothing was cut at 122 h
    degraded = _with_cut_centre(south_layers)
    assert t("legend.degraded", "en") in legend_for(degraded, "en", thresholds)
    plain = legend_html("en", thresholds)
    assert t("legend.rehabilitation", "en") not in plain
    assert t("legend.closed", "en") not in plain


# ---------------------------------------------------------------- names on the map
@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_every_checkpoint_region_and_city_is_named_in_the_page_language(
    south_layers, ref, thresholds, lang
):
    html = _html(south_layers, ref, thresholds, lang=lang, legend=False)
    labels = re.findall(r"class='map-label ([a-z-]+)[^']*'>([^<]*)", "".join(_icons(html)))
    by_kind: dict[str, set[str]] = {}
    for kind, written in labels:
        by_kind.setdefault(kind, set()).add(written)
    assert len(south_layers.checkpoints) == 10
    assert by_kind["checkpoint-name"] == {item_name(c, lang) for c in south_layers.checkpoints}
    regions = ref.regions
    for iso in ("KZ-11", "KZ-61", "KZ-63"):
        assert str(regions.at[iso, f"name_{lang}"]) in by_kind["region-name"]
    assert "Шымкент" in by_kind["city-name"] or "Shymkent" in by_kind["city-name"]
    cities = by_kind["city-name"]
    assert len(cities) == len(regions)  # each oblast's centre, the three cities included
    # remarks in brackets dropped; Kazakh pages name the cities in Kazakh
    assert {"ru": "Уральск", "kk": "Орал", "en": "Oral"}[lang] in cities
    if lang == "kk":
        assert {"Өскемен", "Петропавл", "Қонаев"} <= cities
    if lang == "kk":
        assert "Ақмола облысы" in by_kind["region-name"]


def test_no_two_labels_overlap_at_the_national_zoom(south_layers, ref):
    """Before: only the queue labels were placed; the Saryagash, Shymkent and Zhibek Zholy
    names piled up in the south. Every label shown at the national zoom is checked."""
    for lang in ("ru", "kk", "en"):
        labels, placed = _placed(south_layers, ref, lang)
        boxes = placed_boxes(labels, placed, zoom=NATIONAL_ZOOM)
        assert {f"cp:{c['id']}" for c in south_layers.checkpoints} <= set(boxes)
        for (a, x), (b, y) in itertools.combinations(boxes.items(), 2):
            apart = x[2] <= y[0] or y[2] <= x[0] or x[3] <= y[1] or y[3] <= x[1]
            assert apart, (lang, a, b)


def test_a_label_with_no_room_waits_for_a_closer_zoom(south_layers, ref):
    labels, placed = _placed(south_layers, ref, "ru")
    later = {k for k, p in placed.items() if p.min_zoom > NATIONAL_ZOOM}
    assert later and all(not k.startswith("cp:") for k in later)
    assert all(placed[f"cp:{c['id']}"].min_zoom == NATIONAL_ZOOM for c in south_layers.checkpoints)
    for zoom in (6.5, 8.0):  # a closer zoom adds labels, still clear of one another
        boxes = placed_boxes(labels, placed, zoom=zoom)
        for (a, x), (b, y) in itertools.combinations(boxes.items(), 2):
            apart = x[2] <= y[0] or y[2] <= x[0] or x[3] <= y[1] or y[3] <= x[1]
            if placed[a].min_zoom == zoom or placed[b].min_zoom == zoom:
                assert apart, (zoom, a, b)


def test_region_points_lie_inside_their_regions(ref):
    from shapely.geometry import Point, shape

    from contingency.mapping.layers import region_shapes

    shapes = region_shapes(ref)
    for iso, (lat, lon) in region_points(ref).items():
        assert shape(shapes[iso]).contains(Point(lon, lat)), iso


def test_planted_names_reach_the_labels_escaped(south_layers, ref, thresholds):
    layers = copy.deepcopy(south_layers)
    layers.checkpoints[0]["name_ru"] = "<img src=x onerror=alert(1)>"
    icons = "".join(_icons(_html(layers, ref, thresholds, lang="ru", legend=False)))
    assert "<img src=x" not in icons and "&lt;img src=x onerror=alert(1)&gt;" in icons


# ---------------------------------------------------------------- symbols
def test_each_kind_of_facility_has_its_own_symbol(south_layers, ref, thresholds):
    html = _html(south_layers, ref, thresholds, lang="ru", legend=False)
    kinds = {c["kind"] for c in south_layers.centres if c["symbol"] == "centre"}
    assert kinds == {"reception", "rehabilitation"}
    assert '"className": "checkpoint"' in html and '"weight": 3' in html  # a bold rim
    assert '"className": "centre centre-reception"' in html
    assert '"className": "centre-rehabilitation"' in html
    assert "points='10,10 90,10 90,90 10,90'" in "".join(_icons(html))  # a square
    assert '"className": "city"' in html
    rehab = [c for c in south_layers.centres if c["kind"] == "rehabilitation" and c["present"]]
    assert rehab
    assert html.count('"className": "centre-rehabilitation"') == sum(
        1 for c in south_layers.centres if c["kind"] == "rehabilitation" and _drawn(c)
    )


def _drawn(c) -> bool:
    return bool(c["capacity"] or c["present"] or c["temporary_site"])


def _with_cut_centre(layers: Layers) -> Layers:
    """``layers`` with one open centre's places cut below what it was planned to have."""
    out = copy.deepcopy(layers)
    centre = next(c for c in out.centres if c["is_open"] and c["capacity"] >= 100)
    centre["planned_capacity"] = centre["capacity"]  # type: ignore[typeddict-unknown-key]
    centre["capacity"] = centre["capacity"] // 4
    return out


def test_a_centre_whose_places_were_cut_is_ringed_dashed(south_layers, ref, thresholds):
    calm = _html(south_layers, ref, thresholds, lang="en", legend=False)
    assert "centre-degraded" not in calm
    cut = _html(_with_cut_centre(south_layers), ref, thresholds, lang="en")
    assert cut.count('"className": "centre-degraded"') == 1 and '"dashArray": "4 3"' in cut
    assert t("f.planned_places", "en") in cut and t("legend.degraded", "en") in cut


# ---------------------------------------------------------------- full screen, offline
_FETCHED = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*['"]?([^'")]+)""")


def _fetched(html: str) -> list[str]:
    """Addresses the page would load: script and link sources and CSS ``url()``s (links of
    ``<a>`` elements and XML namespaces are not loaded)."""
    html = re.sub(r"<a [^>]*>", "", html)
    return [a or b for a, b in _FETCHED.findall(html) if not (a or b).startswith("data:")]


@pytest.mark.parametrize("assets", ["board", "inline"])
def test_full_screen_control_is_served_from_the_machine(south_layers, ref, thresholds, assets):
    html = _html(south_layers, ref, thresholds, lang="kk", assets=assets)
    assert "new L.Control.FullScreen(" in html
    assert json.dumps(text("map.fullscreen", "kk")) in html  # titled in the page's language
    fetched = _fetched(html)
    if assets == "board":
        assert f"{BOARD_FULLSCREEN_URL}/Control.FullScreen.umd.js" in fetched
        assert all(a.startswith((BOARD_STATIC_URL, BOARD_FULLSCREEN_URL)) for a in fetched)
    else:
        assert "<script src=" not in html and "<link " not in html
        assert "leaflet-fullscreen-icon" in html
        assert html.index("L.Control.FullScreen = factory") < html.index(
            "new L.Control.FullScreen("
        )
    assert not [a for a in fetched if re.match(r"(https?:)?//", a)]


def test_the_map_draws_and_goes_full_screen_in_chromium(
    south_layers, ref, thresholds, browser, tmp_path
):
    path = tmp_path / "map.html"
    path.write_text(_html(south_layers, ref, thresholds, lang="ru", assets="inline"), "utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_timeout(500)
    shown = page.evaluate(
        "() => [...document.querySelectorAll('.map-label')]"
        ".filter(e => getComputedStyle(e).display !== 'none').length"
    )
    page.click(".leaflet-control-zoom-fullscreen")
    page.wait_for_timeout(300)
    full = page.evaluate("() => Object.values(window).find(v => v instanceof L.Map).isFullscreen")
    state = page.evaluate(
        "() => Object.values(window).find(v => v instanceof L.Map)._isFullscreen === true"
    )
    page.close()
    assert errors == []
    assert shown >= 10 + 17  # checkpoints and regions at least
    assert state or full


@pytest.mark.parametrize(("lang", "unit"), [("ru", "км"), ("kk", "км"), ("en", "km")])
def test_the_scale_bar_is_metric_and_written_in_the_page_language(
    south_layers, ref, thresholds, lang, unit
):
    """Before: Leaflet's scale wrote ``300 km`` and ``200 mi`` on Russian and Kazakh pages."""
    html = _html(south_layers, ref, thresholds, lang=lang, legend=False)
    assert "L.control.scale({imperial: false})" in html
    assert "L.control.scale()" not in html  # folium's own (metric and imperial) is off
    assert json.dumps({"km": unit, "m": "м" if lang != "en" else "m"}) in html
