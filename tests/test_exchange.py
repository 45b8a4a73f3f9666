"""Data other agencies read: the HXL tables, the GeoPackage (read back with the library that
wrote it), the regions' p-codes and their crosswalk, and the council's file names."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from pydantic import ValidationError

from contingency import SCENARIOS_DIR
from contingency.mapping.exchange import (
    GPKG_LAYERS,
    HXL_FACILITIES,
    HXL_REGIONS,
    facility_table,
    gpkg_bytes,
    hxl_csv,
    region_table,
)
from contingency.mapping.export import Run, _layers, hour_date, load_run, render
from contingency.refdata.rows import RegionRow
from contingency.resources import MAPS_DIR
from contingency.results import run_scenario
from contingency.scenario import load_scenario

HXL_TAG = re.compile(r"^#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*$")
"""A hashtag with its attributes, as the HXL standard spells them."""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, ref):
    out = tmp_path_factory.mktemp("runs") / "smoke-run"
    run_scenario(load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref), ref).save(out)
    return out


@pytest.fixture(scope="module")
def exported(cli, run_dir):
    """The run's GeoJSON, HXL zip and GeoPackage at the end of day 2, under their default
    names."""
    made = {}
    for fmt in ("geojson", "hxl", "gpkg"):
        res = cli("export", run_dir, "--format", fmt, "--day", "2")
        assert res.exit_code == 0, res.stderr
        made[fmt] = Path(res.stdout.strip())
    return made


def _features(path: Path) -> dict[str, list[dict]]:
    by_layer: dict[str, list[dict]] = {}
    for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
        by_layer.setdefault(f["properties"]["layer"], []).append(f)
    return by_layer


def _hxl(z: zipfile.ZipFile, name: str) -> tuple[list[str], list[str], list[dict[str, str]]]:
    """A table's header row, hashtag row and data rows (by header)."""
    rows = list(csv.reader(io.StringIO(z.read(name).decode("utf-8"))))
    header, tags, data = rows[0], rows[1], rows[2:]
    return header, tags, [dict(zip(header, r, strict=True)) for r in data]


# ---------------------------------------------------------------- GeoPackage


def test_the_geopackage_opens_with_its_layers(exported):
    path = exported["gpkg"]
    layers = {str(name): str(kind) for name, kind in pyogrio.list_layers(path)}
    assert layers == GPKG_LAYERS  # the smoke run closes no road and names no inside origin
    gj = _features(exported["geojson"])
    counts = {
        "regions": len(gj["region"]),
        "checkpoints": len(gj["checkpoint"]),
        "centres": sum(len(gj.get(k, [])) for k in ("centre", "transit", "site")),
        "corridors": len(gj.get("corridor", [])),
    }
    for name, n in counts.items():
        frame = pyogrio.read_dataframe(path, layer=name)
        assert len(frame) == n, name
        assert frame.crs.to_epsg() == 4326
    assert counts["regions"] == 20 and counts["checkpoints"] == 10 and counts["centres"] >= 30


def test_the_geopackage_holds_the_geojson_properties(exported):
    path = exported["gpkg"]
    gj = _features(exported["geojson"])
    regions = pyogrio.read_dataframe(path, layer="regions").set_index("id")
    assert regions.loc["KZ-75", "pcode"] == "KZ75" and regions.loc["KZ-10", "pcode"] == "KZ10"
    first = gj["region"][0]["properties"]
    for key, value in first.items():
        if key != "id":
            assert regions.loc[first["id"], key] == value, key
    cps = pyogrio.read_dataframe(path, layer="checkpoints").set_index("id")
    for f in gj["checkpoint"]:
        p = f["properties"]
        row = cps.loc[p["id"]]
        assert row["wait_h"] == pytest.approx(p["wait_h"]) and row["status"] == p["status"]
        assert [row.geometry.x, row.geometry.y] == pytest.approx(f["geometry"]["coordinates"])
    centres = pyogrio.read_dataframe(path, layer="centres")
    assert set(centres.columns) >= {"present", "capacity", "symbol", "region", "status"}


def test_other_layers_join_the_package_and_an_empty_base_layer_keeps_its_fields(tmp_path):
    def feature(layer: str, geometry: dict, **props) -> dict:
        return {"type": "Feature", "geometry": geometry, "properties": {"layer": layer, **props}}

    line = {"type": "LineString", "coordinates": [[76.9, 43.2], [77.1, 43.9]]}
    point = {"type": "Point", "coordinates": [76.9, 43.2]}
    square = [[[60, 45], [61, 45], [61, 46], [60, 46], [60, 45]]]
    gj = {
        "type": "FeatureCollection",
        "features": [
            feature("region", {"type": "Polygon", "coordinates": square}, id="TL-A"),
            feature("checkpoint", point, id="cp", wait_h=2.5),
            feature("transit", point, id="hub", present=40),
            feature("site", point, id="school", present=7),
            feature("road_closed", line, id="a--b", closed_h=3.0),
            feature("internal_origin", point, id="KZ-75", displaced=900),
        ],
    }
    path = tmp_path / "x.gpkg"
    path.write_bytes(gpkg_bytes(gj))
    layers = {str(name): str(kind) for name, kind in pyogrio.list_layers(path)}
    assert layers == {
        **GPKG_LAYERS,
        "closed_roads": "LineString",
        "internal_origins": "Point",
    }
    assert sorted(pyogrio.read_dataframe(path, layer="centres")["id"]) == ["hub", "school"]
    corridors = pyogrio.read_dataframe(path, layer="corridors")
    assert len(corridors) == 0 and {"from", "to", "road_ref", "persons"} <= set(corridors)
    origins = pyogrio.read_dataframe(path, layer="internal_origins")
    assert origins.loc[0, "displaced"] == 900


# ---------------------------------------------------------------- HXL


def test_the_hxl_tables_have_their_hashtag_row(exported):
    with zipfile.ZipFile(exported["hxl"]) as z:
        assert sorted(z.namelist()) == ["about.json", "facilities.csv", "regions.csv"]
        for name, columns in (("regions.csv", HXL_REGIONS), ("facilities.csv", HXL_FACILITIES)):
            header, tags, rows = _hxl(z, name)
            assert header == [c for c, _ in columns]
            assert tags == [t for _, t in columns]
            assert all(HXL_TAG.match(tag) for tag in tags), tags
            assert rows
        about = json.loads(z.read("about.json"))
    assert about["scenario"] == "smoke" and about["time_h"] == 48


def test_the_hxl_regions_carry_p_codes_names_and_people(exported):
    gj = _features(exported["geojson"])
    with zipfile.ZipFile(exported["hxl"]) as z:
        _, tags, regions = _hxl(z, "regions.csv")
        _, _, facilities = _hxl(z, "facilities.csv")
    assert "#adm1+code" in tags and "#affected+idps" in tags and "#adm1+name+i_kk" in tags
    by_iso = {r["iso"]: r for r in regions}
    assert len(by_iso) == 20
    assert by_iso["KZ-75"]["pcode"] == "KZ75" and by_iso["KZ-10"]["name_kk"] == "Абай облысы"
    present: dict[str, int] = {}
    for kind in ("centre", "transit", "site"):
        for f in gj.get(kind, []):
            p = f["properties"]
            present[p["region"]] = present.get(p["region"], 0) + p["present"]
    assert sum(present.values()) > 0
    for iso, r in by_iso.items():
        assert int(r["present"]) == present.get(iso, 0), iso
        assert r["moment"] == "2027-01-03T00:00:00"
    kinds = pd.Series([f["kind"] for f in facilities]).value_counts()
    assert kinds["checkpoint"] == len(gj["checkpoint"])
    assert sum(kinds.get(k, 0) for k in ("centre", "transit", "site")) == sum(
        len(gj.get(k, [])) for k in ("centre", "transit", "site")
    )
    kaplanbek = next(f for f in facilities if f["id"] == "kaplanbek")
    assert kaplanbek["pcode"] == "KZ61" and kaplanbek["capacity"] == ""
    assert float(kaplanbek["lat"]) == pytest.approx(41.4582, abs=0.01)


def test_hxl_cells_are_safe_to_open_in_a_spreadsheet():
    table = pd.DataFrame([{"pcode": "KZ75", "name_ru": "=HYPERLINK(1)", "present": -5}])
    text = hxl_csv(table, [("pcode", "#adm1+code"), ("name_ru", "#adm1+name"), ("present", "#x")])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["#adm1+code", "#adm1+name", "#x"]  # tags start with '#': left alone
    assert rows[2] == ["KZ75", "'=HYPERLINK(1)", "-5"]


def test_a_pack_without_p_codes_leaves_the_code_empty(south_base, ref):
    sc, res = south_base
    run = Run("r", sc, res.tables, res.summary)
    bare = dataclasses.replace(ref, regions=ref.regions.drop(columns="pcode"))
    layers = _layers(run, bare, 48)
    assert set(region_table(layers, bare, moment="m")["pcode"]) == {""}
    assert set(facility_table(layers, bare, moment="m")["pcode"]) == {""}
    gj = json.loads(render(run, "geojson", time_h=48, ref=bare))
    assert {f["properties"]["pcode"] for f in gj["features"] if "pcode" in f["properties"]} == {""}


def test_a_later_moment_puts_corridors_in_the_package(south_base, ref, tmp_path):
    sc, res = south_base
    run = Run("r", sc, res.tables, res.summary)
    last = int(res.tables["ledger_hourly"]["time_h"].max())
    path = tmp_path / "late.gpkg"
    path.write_bytes(render(run, "gpkg", time_h=last, ref=ref))
    corridors = pyogrio.read_dataframe(path, layer="corridors")
    gj = json.loads(render(run, "geojson", time_h=last, ref=ref))
    lines = [f for f in gj["features"] if f["properties"]["layer"] == "corridor"]
    assert len(corridors) == len(lines) > 0
    assert corridors["persons"].sum() == sum(f["properties"]["persons"] for f in lines)


# ---------------------------------------------------------------- p-codes


def test_every_region_has_a_p_code_and_a_crosswalk_row(ref):
    with (MAPS_DIR / "pcode_crosswalk.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_iso = {r["iso_3166_2"]: r for r in rows}
    assert set(by_iso) == set(ref.regions.index)
    for iso, pcode in ref.regions["pcode"].items():
        assert pcode == "KZ" + iso.removeprefix("KZ-") == by_iso[iso]["pcode"]
    same = [r["letter_code_pre2022"] for r in rows if r["relation"] == "same"]
    assert len(same) == len(set(same)) == 17  # the 17 units of before 2022, one code each
    parent = {r["iso_3166_2"]: r["letter_code_pre2022"] for r in rows if r["relation"] == "parent"}
    # the 2022 regions carry the code of the region each was split from
    assert parent == {"KZ-10": "KZ-VOS", "KZ-33": "KZ-ALM", "KZ-62": "KZ-KAR"}
    assert {by_iso[i]["letter_code_pre2022"] for i in ("KZ-63", "KZ-19", "KZ-35")} == {
        "KZ-VOS",
        "KZ-ALM",
        "KZ-KAR",
    }


@pytest.mark.parametrize("pcode", ["kz75", "KZ-75", "K", "KZ 75"])
def test_a_malformed_p_code_is_refused(ref, pcode):
    row = {k: str(v) for k, v in ref.regions.loc["KZ-75"].items()}
    assert RegionRow.model_validate(row).pcode == "KZ75"
    with pytest.raises(ValidationError, match="pcode"):
        RegionRow.model_validate({**row, "pcode": pcode})


# ---------------------------------------------------------------- file names


def test_hxl_and_gpkg_take_the_council_names(exported):
    # day 2 ends at midnight: the hour shown is 23:00-24:00 of 2027-01-02
    assert exported["hxl"].name == "smoke_hxl_20270102.zip"
    assert exported["gpkg"].name == "smoke_gpkg_20270102.gpkg"
    assert exported["geojson"].name == "smoke-geojson-day2-ru.geojson"  # the earlier contract


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["--format", "geojson", "--day", "1"], "smoke_geojson_20270101.geojson"),
        (["--format", "geojson", "--day", "2", "--hour", "1"], "smoke_geojson_20270102.geojson"),
        (["--format", "csv", "--day", "1", "--hour", "24"], "smoke_csv_20270101.zip"),
    ],
)
def test_council_names_for_every_format(cli, run_dir, tmp_path, args, name):
    res = cli("export", run_dir, *args, "--council-names", "--out", tmp_path)
    assert res.exit_code == 0, res.stderr
    assert Path(res.stdout.strip()) == tmp_path / name
    assert (tmp_path / name).stat().st_size > 0


def test_the_date_in_a_name_is_that_of_the_hour_shown(run_dir):
    run = load_run(run_dir)
    assert hour_date(run, 1) == date(2027, 1, 1)
    assert hour_date(run, 24) == date(2027, 1, 1)  # 23:00-24:00
    assert hour_date(run, 25) == date(2027, 1, 2)


def test_the_people_of_a_region_are_those_of_all_its_centres(south_base, ref):
    sc, res = south_base
    run = Run("r", sc, res.tables, res.summary)
    last = int(res.tables["ledger_hourly"]["time_h"].max())
    hourly = res.tables["centres_hourly"]
    now = hourly[hourly["time_h"] == last]
    people = (
        (now["occupancy"] + now["overflow"] + now["registration_queue"])
        .groupby(now["region"])
        .sum()
    )
    assert (now.groupby("region")["occupancy"].apply(lambda s: (s > 0).sum()) > 1).any()
    table = region_table(_layers(run, ref, last), ref, moment="m").set_index("iso")
    for iso, row in table.iterrows():
        assert row["present"] == people.get(iso, 0), iso
