"""Names and titles are text, never markup or script: a run folder received from elsewhere or an
edited maps/*.csv may carry anything in a facility name, a road reference or a scenario title.

Payloads are planted in every text field that reaches the map (checkpoint, centre and region
names in the reference data and in the run's summary and tables, road references, the scenario
title and description, the marking line, the run id) and the map is checked twice: the HTML
holds no payload unescaped, and the exported HTML map, loaded in a real headless Chromium with
every tooltip and popup opened, runs none of them.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass

import pandas as pd
import pytest
from jinja2.utils import htmlsafe_json_dumps

from contingency import SCENARIOS_DIR
from contingency.mapping.export import Run
from contingency.mapping.export import render as render_export
from contingency.mapping.layers import build_layers
from contingency.mapping.webmap import build_map
from contingency.refdata import RefData
from contingency.results import run_scenario
from contingency.scenario import load_scenario

PAYLOADS = {
    "img": '<img src=x onerror="globalThis.__pwned=1;alert(1)">',
    "template": "${globalThis.__pwned=1}",
    "backtick": "`+(globalThis.__pwned=1)+`",
    "script": "</script><script>globalThis.__pwned=1;alert(1)</script>",
    "backslash": "\\u{zz} \\` \\${globalThis.__pwned=1} end\\",
    "quotes": '"\'><svg onload="globalThis.__pwned=1">',
}
NAME_COLUMNS = ("name_ru", "name_kk", "name_en")
DAY = 2  # the last day of the smoke scenario


@pytest.fixture(scope="module")
def smoke_run(ref) -> Run:
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    res = run_scenario(sc, ref)
    return Run("smoke", res.scenario, res.tables, res.summary)


def _planted(run: Run, ref: RefData, payload: str) -> tuple[Run, RefData]:
    """The run and a copy of the reference data with ``payload`` in every text field."""
    frames = {}
    for name in ("checkpoints", "centres", "regions"):
        df = getattr(ref, name).copy()
        for col in NAME_COLUMNS:
            if col in df.columns:
                df[col] = f"{name} {payload}"
        frames[name] = df
    planted_ref = dataclasses.replace(ref, **frames)
    summary = copy.deepcopy(run.summary)
    for info in summary["centres"].values():
        info["name_ru"] = info["name_en"] = f"centre {payload}"
    tables = dict(run.tables)
    edge = ref.road_edges.iloc[0]  # a corridor in use on the first day, so it is drawn
    moved = {"day": 0, "from": edge["from"], "to": edge["to"], "persons": 500, "road_ref": ""}
    corridors = pd.concat([tables["corridors_daily"], pd.DataFrame([moved])], ignore_index=True)
    corridors["road_ref"] = f"road {payload}"
    tables["corridors_daily"] = corridors
    title = f"title {payload}"
    scenario = run.scenario.model_copy(
        update={"title": {"ru": title, "kk": title, "en": title}, "description": payload}
    )
    return Run(f"run {payload}", scenario, tables, summary), planted_ref


def _html_export(run: Run, ref: RefData, payload: str) -> str:
    planted, planted_ref = _planted(run, ref, payload)
    return render_export(
        planted, "html", lang="ru", day=DAY, marking=payload, ref=planted_ref
    ).decode()


@pytest.mark.parametrize("kind", PAYLOADS)
def test_map_html_holds_no_payload_unescaped(smoke_run, ref, kind):
    payload = PAYLOADS[kind]
    html = _html_export(smoke_run, ref, payload)
    assert payload not in html
    planted, planted_ref = _planted(smoke_run, ref, payload)
    layers = build_layers(planted.tables, planted.summary, planted_ref, DAY * 24)
    assert layers.corridors and layers.centres and layers.checkpoints
    tiles_url = f"http://tiles.invalid/{{z}}/{{x}}/{{y}}.png#{payload}"
    board = build_map(
        layers,
        planted_ref,
        lang="en",
        thresholds=planted.summary["thresholds"],
        assets="board",
        tiles_url=tiles_url,
        title=f"title {payload}",
    )
    board_html = board.get_root().render()
    # the tile URL is data for Leaflet, written as an HTML-safe JSON string: inert there
    as_json = str(htmlsafe_json_dumps(tiles_url))
    assert as_json in board_html
    assert payload not in board_html.replace(as_json, "")
    assert "&amp;lt;" not in board_html and "&amp;#" not in board_html  # escaped once, not twice


def test_escaped_names_are_still_shown(smoke_run, ref):
    html = _html_export(smoke_run, ref, PAYLOADS["template"])
    assert "&#36;{globalThis.__pwned=1}" in html  # the name is there, as text


OPEN_EVERYTHING = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  if (!map) { return -1; }
  const where = l => l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
  const owners = l => [l, ...Object.values(l._eventParents || {})];
  const isOpen = (l, get) => owners(l).some(o => o[get] && o[get]() && o[get]().isOpen());
  let opened = 0;
  map.eachLayer(l => {
    if (l instanceof L.FeatureGroup || !(l.getLatLng || l.getBounds)) { return; }
    l.fire('mouseover', {latlng: where(l)}, true);  // as the pointer would: tooltips
    opened += isOpen(l, 'getTooltip');
    l.fire('click', {latlng: where(l)}, true);  // popups
    opened += isOpen(l, 'getPopup');
  });
  return opened;
}"""


@dataclass(frozen=True)
class Visit:
    """What opening a map page in Chromium showed: dialogs and script errors raised, the
    ``counted`` expression's value, tooltips and popups opened, ``__pwned``, the page text."""

    dialogs: list[str]
    errors: list[str]
    counted: object
    opened: int
    pwned: object
    body: str


def visit_map(browser, path, *, count: str, settle_ms: int = 500, after_ms: int = 1500) -> Visit:
    """Open ``path`` in ``browser``, evaluate ``count``, open every tooltip and popup, then
    wait ``after_ms`` for any planted handler to run."""
    dialogs: list[str] = []
    errors: list[str] = []
    page = browser.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_timeout(settle_ms)
    counted = page.evaluate(count)
    opened = page.evaluate(OPEN_EVERYTHING)
    page.wait_for_timeout(after_ms)  # let any planted image fail and its handler run
    pwned = page.evaluate("() => globalThis.__pwned")
    body = page.inner_text("body")
    page.close()
    return Visit(dialogs, errors, counted, opened, pwned, body)


@pytest.mark.parametrize("kind", PAYLOADS)
def test_exported_html_map_runs_no_planted_script_in_chromium(
    smoke_run, ref, browser, tmp_path, kind
):
    payload = PAYLOADS[kind]
    path = tmp_path / "map.html"
    path.write_text(_html_export(smoke_run, ref, payload), encoding="utf-8")
    seen = visit_map(
        browser,
        path,
        count="() => [document.querySelectorAll('path.region').length,"
        " document.querySelectorAll('path.checkpoint').length]",
    )
    dialogs, errors, drawn, opened, pwned, body = (
        seen.dialogs,
        seen.errors,
        seen.counted,
        seen.opened,
        seen.pwned,
        seen.body,
    )
    assert pwned is None, f"{kind}: planted script ran"
    assert dialogs == [], f"{kind}: planted script opened a dialog"
    assert errors == [], f"{kind}: the map script broke: {errors}"
    assert drawn == [20, 10], f"{kind}: map drew {drawn}"
    assert opened > 100  # every tooltip and popup of every layer
    assert f"title {payload}" in body  # the title is shown, as the text it is
