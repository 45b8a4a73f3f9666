"""Integrity of the reference data in maps/."""

from __future__ import annotations

import shutil
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from shapely.geometry import Point, shape
from shapely.ops import unary_union

from contingency import MAPS_DIR
from contingency.errors import ReferenceDataError
from contingency.refdata import load_refdata

KM_PER_DEG = 111.0
TOLERANCE_KM = 10.0


@pytest.fixture(scope="module")
def polygons(ref):
    return {f["properties"]["iso"]: shape(f["geometry"]) for f in ref.regions_geojson["features"]}


def _km_outside(geom, lat: float, lon: float) -> float:
    return geom.distance(Point(lon, lat)) * KM_PER_DEG


def test_twenty_regions_in_table_and_geojson(ref, polygons):
    assert len(ref.regions) == 20
    assert set(ref.regions.index) == set(polygons)
    assert {"KZ-10", "KZ-33", "KZ-62", "KZ-71", "KZ-75", "KZ-79"} <= set(polygons)


def test_ten_modernised_checkpoints(ref):
    assert len(ref.modernised_ids) == 10
    assert "zhibek_zholy" in ref.modernised_ids
    # The northern border with Russia is not among the ten.
    assert not (ref.checkpoints.loc[ref.modernised_ids, "neighbour_country"] == "RU").any()


def test_every_point_inside_kazakhstan(ref, polygons):
    country = unary_union(list(polygons.values()))
    tables = [
        (ref.regions, "centre_lat", "centre_lon"),
        (ref.checkpoints, "lat", "lon"),
        (ref.centres, "lat", "lon"),
        (ref.road_nodes, "lat", "lon"),
    ]
    outside = [
        (rid, round(_km_outside(country, row[la], row[lo]), 1))
        for table, la, lo in tables
        for rid, row in table.iterrows()
        if _km_outside(country, row[la], row[lo]) > TOLERANCE_KM
    ]
    assert outside == []


def test_every_checkpoint_in_its_oblast(ref, polygons):
    wrong = [
        (cp, row["oblast_iso"])
        for cp, row in ref.checkpoints.iterrows()
        if _km_outside(polygons[row["oblast_iso"]], row["lat"], row["lon"]) > TOLERANCE_KM
    ]
    assert wrong == []


def test_every_centre_in_its_region(ref, polygons):
    wrong = [
        (cid, row["region_iso"])
        for cid, row in ref.centres.iterrows()
        if _km_outside(polygons[row["region_iso"]], row["lat"], row["lon"]) > TOLERANCE_KM
    ]
    assert wrong == []


def test_road_graph_connected_and_joins_everything(ref):
    g = ref.road_graph()
    assert 40 <= g.number_of_nodes() <= 80
    assert nx.is_connected(g)
    needed = (
        set(ref.checkpoints["node"]) | set(ref.regions["centre_node"]) | set(ref.centres["node"])
    )
    assert needed <= set(g.nodes)
    assert all(d["length_km"] > 0 and d["speed_kmh"] > 0 for *_, d in g.edges(data=True))


def test_reception_centre_in_every_border_oblast(ref):
    border = set(ref.checkpoints["oblast_iso"])
    reception = set(ref.centres.loc[ref.centres["kind"] == "reception", "region_iso"])
    assert border - reception == set()


def test_named_rehabilitation_centres(ref):
    rehab = set(ref.centres.loc[ref.centres["kind"] == "rehabilitation", "region_iso"])
    # Akmola, Aktobe, Pavlodar, Zhetisu, Almaty region, Astana, Shymkent
    assert {"KZ-11", "KZ-15", "KZ-55", "KZ-33", "KZ-19", "KZ-71", "KZ-79"} <= rehab


def test_assumptions_are_flagged_and_sourced(ref):
    assert ref.regions["absorption_assumption"].all()
    assert ref.checkpoints["source"].str.len().gt(0).all()
    # beds with no published source are flagged as assumptions
    srh = ref.centres[ref.centres.index.str.startswith("srh_")]
    assert srh["beds_assumption"].all()
    assert (MAPS_DIR / "SOURCES.md").read_text(encoding="utf-8").count("CC BY 4.0") >= 1


def test_sphere_minimums(ref):
    s = ref.sphere["per_person_per_day"]
    assert s["water_l"] == 15 and s["food_kcal"] == 2100 and s["covered_space_m2"] == 3.5
    assert s["latrines"] == pytest.approx(1 / 20)


def _copy_maps(tmp_path: Path) -> Path:
    dest = tmp_path / "maps"
    shutil.copytree(MAPS_DIR, dest)
    return dest


def test_bad_cell_names_file_row_and_column(tmp_path):
    maps = _copy_maps(tmp_path)
    path = maps / "checkpoints.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    first = table.at[0, "id"]
    table.at[0, "lat"] = "north"
    table.to_csv(path, index=False)
    with pytest.raises(ReferenceDataError) as err:
        load_refdata(maps)
    assert f"{path}: line 2: lat: input should be a valid number" in str(err.value)
    assert "(got 'north')" in str(err.value) and first not in str(err.value)


def test_dangling_node_is_reported(tmp_path):
    maps = _copy_maps(tmp_path)
    path = maps / "roads_edges.csv"
    path.write_text(
        path.read_text(encoding="utf-8") + "atlantis,astana,X,10,estimate,90,true,,\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ReferenceDataError,
        match=r"roads_edges.csv: line \d+: from: unknown road node \(got 'atlantis'\)",
    ):
        load_refdata(maps)
