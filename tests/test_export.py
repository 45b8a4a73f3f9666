"""Exports of a saved smoke run: every format, as files a council briefer or a GIS user opens."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import shape

from contingency import SCENARIOS_DIR
from contingency.i18n import t as ptext
from contingency.mapping.export import PNG_DPI, PNG_SIZE_IN
from contingency.results import run_scenario
from contingency.scenario import load_scenario


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, ref):
    out = tmp_path_factory.mktemp("runs") / "smoke-run"
    run_scenario(load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref), ref).save(out)
    return out


def _export(cli, run_dir, *args: str) -> Result:
    return cli("export", run_dir, *args)


@pytest.fixture(scope="module")
def files(cli, run_dir):
    made = {}
    for fmt in ("png", "pdf", "html", "geojson", "csv", "briefing"):
        marking = "Қызмет бабында пайдалану үшін"
        res = _export(cli, run_dir, "--format", fmt, "--lang", "kk", "--marking", marking)
        assert res.exit_code == 0, res.stderr
        made[fmt] = res.stdout.strip()
    return made


def test_png_is_a_real_image_of_the_expected_size(files):
    with Image.open(files["png"]) as img:
        img.load()
        assert img.format == "PNG"
        assert img.size == (int(PNG_SIZE_IN[0] * PNG_DPI), int(PNG_SIZE_IN[1] * PNG_DPI))
        colours = img.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 50  # a drawn map, not a blank page


def test_pdf_map_has_one_page_with_kazakh_text(files):
    reader = PdfReader(files["pdf"])
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Қуат тапшылығы" in text
    assert "Қызмет бабында пайдалану үшін" in text  # the marking line
    assert "CC BY 4.0" in text


def test_briefing_has_two_pages_and_kazakh_letters_in_the_text_layer(files):
    reader = PdfReader(files["briefing"])
    assert len(reader.pages) == 2
    text = "\n".join(p.extract_text() for p in reader.pages)
    for letter in ("Қ", "Ө", "ү"):
        assert letter in text
    assert "Ведомствоаралық үйлестіру кеңесіне" in text
    assert "Негізгі тапшылықтар" in text and "Сценарийдің негізгі жорамалдары" in text
    assert "Келді" in text  # a headline figure's label
    assert ptext("head.peak_wait", "kk") in text and ptext("head.peak_without_bed", "kk") in text


def test_geojson_validates_and_carries_gap_attributes(files):
    gj = json.loads(Path(files["geojson"]).read_text(encoding="utf-8"))
    assert gj["type"] == "FeatureCollection"
    layers = pd.Series([f["properties"]["layer"] for f in gj["features"]]).value_counts()
    assert layers["region"] == 20 and layers["checkpoint"] == 10 and layers["centre"] >= 30
    for f in gj["features"]:
        assert shape(f["geometry"]).is_valid
        assert f["properties"]["layer"] in ("corridor", "road_closed") or f["properties"][
            "status"
        ] in (
            "green",
            "amber",
            "red",
            "none",
        )
    region = next(f["properties"] for f in gj["features"] if f["properties"]["layer"] == "region")
    assert {"capacity", "allocated", "remaining", "utilisation", "priority"} <= set(region)
    cp = next(f["properties"] for f in gj["features"] if f["properties"]["layer"] == "checkpoint")
    assert {"wait_h", "queue_persons", "held_beyond_border", "colour"} <= set(cp)
    lon, lat = next(
        f["geometry"]["coordinates"]
        for f in gj["features"]
        if f["properties"]["layer"] == "checkpoint"
    )
    assert 46 < lon < 88 and 40 < lat < 56  # GeoJSON order: lon, lat


def test_html_is_standalone_and_offline(files):
    html = Path(files["html"]).read_text(encoding="utf-8")
    assert "<script src=" not in html and '<link rel="stylesheet" href="http' not in html
    assert "L.map(" in html and "Leaflet" in html
    assert 'class="contingency-legend"' in html or "contingency-legend" in html


def test_csv_zip_has_the_tables(files):
    with zipfile.ZipFile(files["csv"]) as z:
        names = set(z.namelist())
        assert {
            "checkpoints_hourly.csv",
            "centres_hourly.csv",
            "ledger_hourly.csv",
            "needs_daily.csv",
            "flows_daily.csv",
            "summary.json",
        } <= names
        ledger = pd.read_csv(io.BytesIO(z.read("ledger_hourly.csv")))
    assert len(ledger) == 48 and ledger["arrived"].iloc[-1] > 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--format", "bmp"],
            "'--format': Value error, 'bmp' is not one of 'png', 'pdf', 'html', 'geojson', 'csv', "
            "'briefing'",
        ),
        (
            ["--format", "png", "--lang", "de"],
            "'--lang': Value error, 'de' is not one of 'ru', 'kk', 'en'",
        ),
        (["--format", "png", "--day", "0"], "'--day': Input should be greater than or equal to 1"),
        (["--format", "png", "--day", "9"], "--day must be between 1 and 2 (got 9)"),
    ],
)
def test_bad_export_arguments_are_clear(cli, run_dir, args, expected):
    res = _export(cli, run_dir, *args)
    flat = " ".join(res.stderr.replace("│", " ").split())  # typer draws a box around usage errors
    assert res.exit_code == 2 and expected in flat and "Traceback" not in res.stderr


def test_not_a_run_folder(cli, tmp_path):
    res = _export(cli, tmp_path, "--format", "png")
    assert (
        res.exit_code == 2
        and "not a run folder (no summary.json) nor a run id in the store" in res.stderr
    )


def test_day_option_selects_the_moment(cli, run_dir, tmp_path):
    out = tmp_path / "day1.geojson"
    res = _export(cli, run_dir, "--format", "geojson", "--day", "1", "--out", str(out))
    assert res.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["time_h"] == 24


def test_without_day_the_export_shows_the_default_moment(cli, run_dir, tmp_path):
    """The moment the board opens on (the worst border moment), not the hour of greatest
    pressure."""
    from contingency.mapping.export import load_run
    from contingency.mapping.moments import default_moment

    out = tmp_path / "default.geojson"
    res = _export(cli, run_dir, "--format", "geojson", "--out", str(out))
    assert res.exit_code == 0
    shown = json.loads(out.read_text(encoding="utf-8"))["time_h"]
    assert shown == default_moment(load_run(run_dir).tables)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--day", "1", "--hour", "0"], "'--hour': Input should be greater than or equal to 1"),
        (["--day", "1", "--hour", "25"], "'--hour': Input should be less than or equal to 24"),
    ],
)
def test_bad_hour_is_clear(cli, run_dir, args, expected):
    res = _export(cli, run_dir, "--format", "png", *args)
    flat = " ".join(res.stderr.replace("│", " ").split())
    assert res.exit_code == 2 and expected in flat, flat


def test_gap_values_read_as_hours_percent_and_persons():
    from contingency.metrics.gaps import format_gap_value

    assert format_gap_value({"metric": "max_wait_h", "value": 235.134}) == "235.1"
    assert format_gap_value({"metric": "occupancy_ratio", "value": 23.06}) == "23.06"  # per bed
    assert format_gap_value({"metric": "unmet_onward_demand", "value": 1200}) == "1,200"
