"""Map packs: a scenario names a folder with the files and columns of ``maps/`` (``maps: pack``)
and everything that checks or runs it uses that pack; without ``maps`` the bundled pack is used.

The test pack ``tests/data/pack_min/`` is made-up geography: two regions, two checkpoints
(``west_gate``, ``east_gate``), one centre of each kind, five road nodes and four edges.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from contingency import SCENARIOS_DIR
from contingency.errors import ReferenceDataError, ScenarioError
from contingency.refdata import load_refdata
from contingency.scenario import (
    dump_scenario,
    load_scenario,
    load_scenario_bytes,
    load_scenario_with_ref,
    scenario_refdata,
)

DATA = Path(__file__).resolve().parent / "data"
PACK = DATA / "pack_min"
PACK_CHECKPOINTS = {"west_gate", "east_gate"}


def _case(tmp_path: Path, *, pack: str = "pack_min") -> Path:
    """A copy of the test scenario and its pack in ``tmp_path``, naming the pack ``pack``."""
    shutil.copytree(PACK, tmp_path / "pack_min")
    text = (DATA / "pack_min.yaml").read_text(encoding="utf-8")
    path = tmp_path / "pack_min.yaml"
    path.write_text(text.replace("maps: pack_min", f"maps: {pack}"), encoding="utf-8")
    return path


def test_any_pack_folder_loads_and_is_cached_per_folder(ref):
    pack = load_refdata(PACK)
    assert set(pack.checkpoints.index) == PACK_CHECKPOINTS
    assert set(pack.regions.index) == {"TL-A", "TL-B"}
    assert pack.modernised_ids == ["west_gate", "east_gate"] and not pack.is_bundled
    assert pack.maps_dir == PACK and pack.road_graph().number_of_edges() == 4
    assert load_refdata(PACK) is pack and load_refdata(str(PACK)) is pack  # one per folder
    assert load_refdata() is ref and ref.is_bundled and len(ref.modernised_ids) == 10


def test_a_changed_pack_file_is_read_again(tmp_path):
    shutil.copytree(PACK, tmp_path / "p")
    first = load_refdata(tmp_path / "p")
    centres = tmp_path / "p" / "centres.csv"
    centres.write_text(
        centres.read_text(encoding="utf-8").replace(",300,true,", ",350,true,"), encoding="utf-8"
    )
    again = load_refdata(tmp_path / "p")
    assert again is not first and again.centres.at["rec_alpha", "beds"] == 350


def test_scenario_with_a_pack_validates_and_runs_with_it(cli, tmp_path):
    path = DATA / "pack_min.yaml"
    res = cli("validate", path)
    assert res.exit_code == 0, res.stderr
    sc, pack = load_scenario_with_ref(path)
    assert sc.maps == str(PACK) and pack is load_refdata(PACK)
    assert scenario_refdata(sc) is pack
    out = tmp_path / "run"
    res = cli("run", path, "--out", out, "--runs-dir", tmp_path / "runs")
    assert res.exit_code == 0, res.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["checkpoints"]) == PACK_CHECKPOINTS  # Kazakhstan's are not there
    assert set(summary["centres"]) == {"rec_alpha", "rehab_beta"}
    assert summary["demand"]["presented"] == 3700  # everyone the pack scenario brings
    assert summary["demand"]["entered"] == summary["ledger"]["arrived"]
    stored = (out / "scenario.yaml").read_text(encoding="utf-8")
    assert f"maps: {PACK}" in stored  # absolute: the run names its pack wherever it goes


def test_a_stress_replication_runs_on_the_scenario_pack():
    from contingency.stress.runner import replicate

    sc = load_scenario(DATA / "pack_min.yaml")
    rec = replicate(sc, 5)
    assert "error" not in rec, rec.get("error")
    assert rec["presented"] == 3700  # everyone the pack scenario brings
    assert {f["facility"] for f in rec["facilities"]} >= PACK_CHECKPOINTS


def _region_lons(path: Path) -> dict[str, list[float]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        f["properties"]["id"]: [x for x, _ in f["geometry"]["coordinates"][0]]
        for f in data["features"]
        if f["properties"]["layer"] == "region"
    }


def test_a_run_carries_its_pack_and_never_exports_on_another_map(cli, tmp_path):
    from contingency.mapping.export import load_run, run_refdata

    path = _case(tmp_path)
    out = tmp_path / "run"
    assert cli("run", path, "--out", out, "--runs-dir", tmp_path / "runs").exit_code == 0
    assert sorted(p.name for p in (out / "pack").iterdir()) == sorted(
        [*(p.name for p in PACK.iterdir() if p.suffix in (".csv", ".geojson")), "SOURCES.md"]
    )
    shutil.rmtree(tmp_path / "pack_min")  # the pack the run was made with is gone
    ref = run_refdata(load_run(out))
    assert not ref.is_bundled and ref.maps_dir == (out / "pack").resolve()
    res = cli("export", out, "--format", "geojson", "--out", tmp_path / "a.geojson")
    assert res.exit_code == 0, res.stderr
    lons = _region_lons(tmp_path / "a.geojson")
    assert set(lons) == {"TL-A", "TL-B"}
    assert min(lons["TL-A"]) == pytest.approx(60.0) and max(lons["TL-A"]) == pytest.approx(61.0)
    # a run folder moved without its pack copy: refused, never drawn on Kazakhstan's map
    shutil.rmtree(out / "pack")
    res = cli("export", out, "--format", "geojson", "--out", tmp_path / "b.geojson")
    assert res.exit_code == 2 and "map pack is gone" in res.stderr
    assert not (tmp_path / "b.geojson").exists()


def test_a_run_with_its_pack_can_be_replaced_by_a_new_one(cli, tmp_path):
    path = _case(tmp_path)
    out = tmp_path / "run"
    for _ in range(2):
        res = cli("run", path, "--out", out, "--runs-dir", tmp_path / "runs")
        assert res.exit_code == 0, res.stderr
    assert (out / "pack" / "checkpoints.csv").is_file()


@pytest.mark.parametrize(
    "damage",
    ["empty_folder", "junk_header", "empty_file", "missing_file", "missing_column"],
)
def test_a_pack_with_missing_parts_exits_2_naming_the_file(cli, tmp_path, monkeypatch, damage):
    _case(tmp_path)
    pack = tmp_path / "pack_min"
    if damage == "empty_folder":
        for f in pack.iterdir():
            f.unlink()
    elif damage == "junk_header":
        (pack / "checkpoints.csv").write_text("nonsense\n1\n", encoding="utf-8")
    elif damage == "empty_file":
        (pack / "sphere.csv").write_bytes(b"")
    elif damage == "missing_file":
        (pack / "sphere.csv").unlink()
    else:
        table = pd.read_csv(pack / "centres.csv", dtype=str, keep_default_na=False)
        table.drop(columns=["id"]).to_csv(pack / "centres.csv", index=False)
    monkeypatch.chdir(tmp_path)
    for command in ("validate", "run"):
        res = cli(command, "pack_min.yaml")
        assert res.exit_code == 2, res.stderr
        assert res.stderr.startswith("pack_min/"), res.stderr


@pytest.mark.parametrize(
    ("file", "column", "value", "message"),
    [
        ("checkpoints.csv", "lat", "north", "line 3: lat: input should be a valid number"),
        ("centres.csv", "beds", "-5", "line 2: beds: input should be greater than or equal to 0"),
        ("roads_edges.csv", "to", "atlantis", "line 3: to: unknown road node (got 'atlantis')"),
        (
            "checkpoints.csv",
            "baseline_car_share",
            "0.5",
            "line 3: baseline_pedestrian_share: baseline_car_share, baseline_bus_share and "
            "baseline_pedestrian_share must all be given and sum to 1 (sum is 0.5)",
        ),
    ],
)
def test_a_broken_pack_exits_2_naming_its_file_line_and_field(
    cli, tmp_path, monkeypatch, file, column, value, message
):
    path = _case(tmp_path)
    table_path = tmp_path / "pack_min" / file
    table = pd.read_csv(table_path, dtype=str, keep_default_na=False)
    if column not in table.columns:
        table[column] = ""  # a column this pack does not have: given on one row only
    table.at[1 if file != "centres.csv" else 0, column] = value
    table.to_csv(table_path, index=False)
    monkeypatch.chdir(tmp_path)  # file names as the user typed them: relative
    for command in ("validate", "run"):
        res = cli(command, "pack_min.yaml")
        assert res.exit_code == 2
        lines = res.stderr.splitlines()
        assert any(x.startswith(f"pack_min/{file}: {message}") for x in lines), res.stderr
    with pytest.raises(ReferenceDataError, match=re.escape(f"pack_min/{file}: {message}")):
        load_scenario(path)


def test_a_missing_pack_folder_is_a_field_path_error(cli, tmp_path):
    path = _case(tmp_path, pack="no_such_pack")
    res = cli("validate", path)
    assert res.exit_code == 2
    assert f"{path}: maps: no such folder (got 'no_such_pack')" in res.stderr
    res = cli("stress", path, "--replications", "2")
    assert res.exit_code == 2 and "maps: no such folder" in res.stderr


def test_a_scenario_is_checked_against_its_pack(cli, tmp_path):
    path = _case(tmp_path)
    text = path.read_text(encoding="utf-8").replace("east_gate:", "zhibek_zholy:")
    path.write_text(text, encoding="utf-8")
    res = cli("validate", path)
    assert res.exit_code == 2
    assert "influx.zhibek_zholy: unknown checkpoint id (got 'zhibek_zholy')" in res.stderr


def test_an_upload_may_not_name_a_pack():
    raw = (DATA / "pack_min.yaml").read_bytes()
    with pytest.raises(ScenarioError) as err:
        load_scenario_bytes(raw, file="up.yaml")
    assert str(err.value) == (
        "up.yaml: maps: only scenario files on disk may name a map pack (got 'pack_min')"
    )


def test_a_stored_scenario_names_its_pack_by_absolute_path(tmp_path):
    sc = load_scenario(_case(tmp_path))
    assert sc.maps == str((tmp_path / "pack_min").resolve())
    copy = tmp_path / "elsewhere" / "copy.yaml"
    copy.parent.mkdir()
    copy.write_text(dump_scenario(sc), encoding="utf-8")
    assert load_scenario(copy) == sc


def test_without_maps_the_bundled_pack_is_used(ref):
    sc, used = load_scenario_with_ref(SCENARIOS_DIR / "smoke.yaml")
    assert sc.maps is None and used is ref
    assert "maps" not in dump_scenario(sc)
