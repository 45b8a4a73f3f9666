"""The typed outputs: ``summary.json``, its gaps and the map-layer items have exactly the keys
their types declare, in order; a stored run exports whatever today's ``maps/`` holds."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_type_hints

import pandas as pd
import pytest

from contingency import SCENARIOS_DIR
from contingency.ledger import LEDGER_FIELDS, Ledger
from contingency.mapping.export import FORMATS, export, load_run
from contingency.mapping.layers import (
    CentreItem,
    CheckpointItem,
    CorridorItem,
    RegionItem,
    build_layers,
    to_geojson,
)
from contingency.metrics.gaps import Gap
from contingency.results import RunResult, load_result, run_scenario
from contingency.scenario import Mode, load_scenario
from contingency.store import RunStore
from contingency.store.run_folder import save_run_folder
from contingency.summary import (
    CentreSummary,
    CheckpointSummary,
    Corridor,
    RegionSummary,
    RunSummary,
)


def _keys(typed: type) -> list[str]:
    return list(get_type_hints(typed))


@pytest.fixture(scope="module")
def smoke(ref) -> RunResult:
    return run_scenario(load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref), ref)


def test_the_ledger_fields_are_the_ledger_type():
    assert list(LEDGER_FIELDS) == _keys(Ledger)
    from contingency import results

    assert results.LEDGER_FIELDS is LEDGER_FIELDS


def test_summary_keys_are_the_declared_ones_in_order(south_base):
    s = south_base[1].summary
    assert list(s) == [k for k in _keys(RunSummary) if k != "run_id"]
    assert list(s["ledger"]) == list(LEDGER_FIELDS)
    parts = (
        (s["checkpoints"].values(), CheckpointSummary),
        (s["centres"].values(), CentreSummary),
        (s["regions"].values(), RegionSummary),
        (s["gaps"], Gap),
        (s["corridors"], Corridor),
    )
    for items, typed in parts:
        assert items, typed.__name__
        for item in items:
            assert list(item) == _keys(typed), typed.__name__


def test_summary_json_is_the_summary_as_built(smoke, tmp_path):
    saved = save_run_folder(smoke, tmp_path / "run")
    text = (saved / "summary.json").read_text(encoding="utf-8")
    assert text == json.dumps(smoke.summary, ensure_ascii=False, indent=2)
    _, summary = load_result(saved)
    assert summary["run_id"] == "run"
    assert json.loads(text) == {k: v for k, v in summary.items() if k != "run_id"}


def test_the_store_saves_a_result(smoke, tmp_path):
    store = RunStore(tmp_path / "store")
    stored = store.save_result(smoke, note="typed")
    assert stored.arrived == smoke.summary["ledger"]["arrived"]
    assert [r.run_id for r in store.list()] == [stored.run_id]
    assert (stored.path / "groups.parquet").is_file()


def test_layer_items_have_the_declared_keys_and_flat_lanes_in_geojson(south_base, ref):
    res = south_base[1]
    last_h = res.scenario.horizon_days * 24
    layers = build_layers(res.tables, res.summary, ref, last_h)
    drawn = {"map_lat", "map_lon"}
    for items, typed in (
        (layers.regions, RegionItem),
        (layers.checkpoints, CheckpointItem),
        (layers.centres, CentreItem),
        (layers.corridors, CorridorItem),
    ):
        assert items, typed.__name__
        for item in items:
            assert set(item) - drawn == set(_keys(typed)) - drawn, typed.__name__
    lanes = [f"lanes_{m.value}" for m in Mode]
    points = [
        f["properties"]
        for f in to_geojson(layers, ref)["features"]
        if f["properties"]["layer"] == "checkpoint"
    ]
    for props in points:
        assert "lanes" not in props
        keys = list(props)
        i = keys.index("arrived_h")
        assert keys[i + 1 : i + 1 + len(lanes)] == lanes


def _rename_ids(run_dir: Path, renames: dict[str, str]) -> None:
    """Give facilities of a stored run ids that today's maps/ does not have, everywhere the run
    names them (tables, summary, scenario)."""
    for table in run_dir.glob("*.parquet"):
        df = pd.read_parquet(table)
        for col in df.columns:
            if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
                df[col] = df[col].replace(renames)
        df.to_parquet(table, index=False)
    for name in ("summary.json", "scenario.yaml"):
        path = run_dir / name
        text = path.read_text(encoding="utf-8")
        for old, new in renames.items():
            text = re.sub(rf"(?<![a-z_]){old}(?![a-z_])", new, text)
        path.write_text(text, encoding="utf-8")


def test_a_run_whose_ids_left_maps_still_exports_every_format(smoke, ref, tmp_path):
    run_dir = save_run_folder(smoke, tmp_path / "old-run")
    renames = {"kaplanbek": "kaplanbek_closed", "srh_shymkent": "srh_shymkent_old"}
    assert all(
        old in smoke.summary["checkpoints"] or old in smoke.summary["centres"] for old in renames
    )
    _rename_ids(run_dir, renames)
    assert "kaplanbek_closed" not in ref.checkpoints.index
    run = load_run(run_dir)
    assert "kaplanbek_closed" in run.scenario.influx
    assert "srh_shymkent_old" in run.summary["centres"]
    for fmt in FORMATS:
        out = export(run_dir, fmt, lang="en")
        assert out.is_file() and out.stat().st_size > 0, fmt
