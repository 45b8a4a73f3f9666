"""Exploring a scenario's ranges: sample designs, PRIM boxes, sensitivity, and the explore
command end to end on a real Dask LocalCluster."""

from __future__ import annotations

import json
import typing

import numpy as np
import pandas as pd
import pytest
import yaml

from contingency import cli as cli_module
from contingency.explore.design import METHODS, design
from contingency.explore.discovery import discover, find_box
from contingency.explore.sensitivity import rank_regression
from contingency.explore.words import box_text
from contingency.resources import SCENARIOS_DIR
from contingency.scenario.ranges import Range, parse_ranged
from contingency.store import RunStore

RANGES = {
    "transport.buses_per_day": Range(10, 60, 40, whole=True),
    "influx.kaplanbek.curve.total_persons": Range(1000, 6000, whole=True),
    "population.needs_shelter_share": Range(0.2, 0.6),
}


def _ranged_smoke(tmp_path=None) -> dict:
    data = yaml.safe_load((SCENARIOS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    data["transport"]["buses_per_day"] = {"low": 10, "mode": 40, "high": 60}
    data["influx"]["kaplanbek"]["curve"]["total_persons"] = {"low": 1000, "high": 6000}
    data.setdefault("population", {})["needs_shelter_share"] = {
        "low": 0.2,
        "mode": 0.35,
        "high": 0.6,
    }
    return data


def test_the_same_seed_gives_the_same_samples():
    a = design(RANGES, 20, seed=3)
    assert a.equals(design(RANGES, 20, seed=3))
    assert not a.equals(design(RANGES, 20, seed=4))
    assert list(a.columns) == list(RANGES)
    assert (a["transport.buses_per_day"] % 1 == 0).all()
    for path, r in RANGES.items():
        assert a[path].between(r.low, r.high).all()
    # a Latin hypercube: one sample in each of the 20 strata of every input
    strata = ((a["population.needs_shelter_share"] - 0.2) / 0.4 * 20).astype(int)
    assert sorted(strata) == list(range(20))
    sobol = design(RANGES, 8, method="sobol", seed=3)
    assert len(sobol) == 8 * (len(RANGES) + 2) and sobol.equals(
        design(RANGES, 8, method="sobol", seed=3)
    )


def _synthetic(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame({"x": rng.random(n), "y": rng.random(n), "z": rng.random(n)})


def test_prim_finds_a_box_planted_by_hand():
    x = _synthetic()
    box = find_box("post", x, x["x"] > 0.7)
    assert box is not None
    assert [c.input for c in box.conditions] == ["x"]
    (cond,) = box.conditions
    assert cond.low == pytest.approx(0.7, abs=0.03) and cond.above
    assert box.coverage > 0.9 and box.density > 0.9


def test_prim_finds_a_two_sided_box_and_none_where_nothing_varies():
    x = _synthetic()
    red = pd.DataFrame(
        {
            "both": (x["y"] < 0.3) & (x["z"] > 0.5),
            "never": False,
            "always": True,
        }
    )
    boxes = discover(x, red, bounds={"x": (0, 1), "y": (0, 1), "z": (0, 1)})
    assert [b.facility for b in boxes] == ["both"]
    conds = {c.input: c for c in boxes[0].conditions}
    assert set(conds) == {"y", "z"}
    assert conds["y"].high == pytest.approx(0.3, abs=0.05) and conds["y"].below
    assert conds["z"].low == pytest.approx(0.5, abs=0.05) and conds["z"].above


def test_a_box_reads_in_plain_words(ref):
    box = {
        "facility": "zhibek_zholy",
        "conditions": [
            {"input": "zz.total", "low": 208000.0, "high": 240000.0,
             "range_low": 120000.0, "range_high": 240000.0},
        ],
        "coverage": 0.86,
        "density": 0.91,
    }  # fmt: skip
    inputs = {"zz.total": {"field": "influx.zhibek_zholy.curve.total_persons", "low": 120000,
                           "mode": 160000, "high": 240000}}  # fmt: skip
    en = box_text(box, inputs, "en", ref)
    assert en == (
        "Zhibek Zholy goes red when Zhibek Zholy: persons arriving > 208,000 (1.3× the mode) "
        "(coverage 0.86, density 0.91)"
    )
    ru = box_text(box, inputs, "ru", ref)
    assert "Жибек Жолы" in ru and "208\xa0000" in ru and "охват 0,86" in ru


def test_rank_regression_ranks_the_input_that_drives_the_output_first():
    x = _synthetic()
    out = rank_regression(x, pd.DataFrame({"o": np.exp(5 * x["z"]) + x["x"], "flat": 1.0}))
    assert set(out) == {"o"}
    assert out["o"]["z"]["rank"] == 1 and out["o"]["z"]["score"] > 0.9
    assert out["o"]["y"]["score"] < 0.1


def test_explore_methods_match_the_command_line():
    assert typing.get_args(cli_module.ExploreMethod) == METHODS


@pytest.fixture(scope="module")
def client():
    from contingency.stress.runner import dask_client

    with dask_client(workers=2) as c:
        yield c


def test_the_same_seed_gives_the_same_results(client, ref):
    from contingency.explore.study import run_explore

    ranged = parse_ranged(_ranged_smoke(), file="smoke+ranges", ref=ref)
    a = run_explore(ranged, client, samples=4, seed=5)
    b = run_explore(ranged, client, samples=4, seed=5)
    assert a.samples.equals(b.samples)
    assert a.summary == b.summary
    assert a.summary["completed"] == 4 and not a.summary["failed"]
    table = a.samples
    assert list(table.columns[:2]) == ["sample", "seed"]
    assert {"buses_per_day", "kaplanbek.total_persons", "needs_shelter_share"} <= set(table.columns)
    assert {"zhibek_zholy.peak_wait_h", "zhibek_zholy.red_person_hours", "zhibek_zholy.red"} <= set(
        table.columns
    )
    assert table["kaplanbek.total_persons"].nunique() == 4  # the inputs vary by sample
    c = run_explore(ranged, client, samples=4, seed=6)
    assert not c.samples["buses_per_day"].equals(a.samples["buses_per_day"])


def test_explore_command_stores_a_run_of_kind_explore(cli, tmp_path):
    scenario = tmp_path / "smoke_ranges.yaml"
    scenario.write_text(yaml.safe_dump(_ranged_smoke(), allow_unicode=True), encoding="utf-8")
    runs = tmp_path / "runs"
    res = cli("explore", scenario, "--samples", "4", "--workers", "1", "--runs-dir", runs)
    assert res.exit_code == 0, res.stderr
    assert "smoke: 4 of 4 runs completed (lhs)" in res.stdout
    (stored,) = RunStore(runs).list(kind="explore")
    summary = json.loads((stored.path / "summary.json").read_text(encoding="utf-8"))
    assert {"discovery", "sensitivity", "inputs"} <= set(summary)
    assert summary["sensitivity_method"] == "srrc"
    assert len(pd.read_parquet(stored.path / "samples.parquet")) == 4


def test_explore_refuses_a_scenario_without_ranges_and_a_bad_sobol_size(cli, tmp_path):
    res = cli("explore", SCENARIOS_DIR / "smoke.yaml", "--runs-dir", tmp_path)
    assert res.exit_code == 2 and "gives no number as a range" in res.stderr
    scenario = tmp_path / "smoke_ranges.yaml"
    scenario.write_text(yaml.safe_dump(_ranged_smoke(), allow_unicode=True), encoding="utf-8")
    res = cli("explore", scenario, "--method", "sobol", "--samples", "6", "--runs-dir", tmp_path)
    assert res.exit_code == 2 and "power of two" in res.stderr


def _explore_summary() -> dict:
    return {
        "scenario": "south_conflict",
        "kind": "explore",
        "method": "lhs",
        "seed": 1,
        "samples": 10,
        "runs": 10,
        "completed": 10,
        "failed": [],
        "inputs": {
            "zhibek_zholy.total_persons": {
                "field": "influx.zhibek_zholy.curve.total_persons",
                "low": 120000.0,
                "mode": 160000.0,
                "high": 240000.0,
                "whole": True,
            },
            "buses_per_day": {
                "field": "transport.buses_per_day",
                "low": 250.0,
                "mode": 400.0,
                "high": 450.0,
                "whole": True,
            },
        },
        "discovery": [
            {
                "facility": "zhibek_zholy",
                "conditions": [
                    {
                        "input": "zhibek_zholy.total_persons",
                        "low": 180000.0,
                        "high": 240000.0,
                        "range_low": 120000.0,
                        "range_high": 240000.0,
                    },
                ],
                "coverage": 0.86,
                "density": 0.91,
            }
        ],
        "sensitivity_method": "srrc",
        "sensitivity": {
            "red_person_hours": {
                "zhibek_zholy.total_persons": {"rank": 1, "score": 0.9},
                "buses_per_day": {"rank": 2, "score": 0.1},
            }
        },
    }


def test_board_charts_read_the_boxes_within_each_inputs_range(ref):
    from contingency.board.stress_page import discovery_bars, sensitivity_bars

    bars = discovery_bars(_explore_summary(), "kk", ref)
    assert bars[["from", "to"]].values.tolist() == [[0.5, 1.0]]
    assert bars["facility"].iloc[0] == "Жібек жолы"
    assert bars["input"].iloc[0] == "Жібек жолы: келетін адамдар саны"
    sens = sensitivity_bars(_explore_summary(), "red_person_hours", "en", ref)
    assert sens.set_index("input")["value"].to_dict() == {
        "Zhibek Zholy: persons arriving": 0.9,
        "buses per day": 0.1,
    }


def test_board_stress_page_shows_a_stored_exploration(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    text = json.dumps(_explore_summary())
    RunStore(tmp_path).save(
        lambda folder: (folder / "summary.json").write_text(text, encoding="utf-8"),
        scenario="south_conflict",
        seed=1,
        kind="explore",
    )
    monkeypatch.setenv("CONTINGENCY_RUNS", str(tmp_path))

    def page() -> None:
        from contingency.board.stress_page import _explorations
        from contingency.refdata import load_refdata

        _explorations("ru", load_refdata())

    at = AppTest.from_function(page).run(timeout=60)
    assert not at.exception, [e.value for e in at.exception]
    sentences = [e.value for e in at.text]
    assert any(s.startswith("Жибек Жолы переходит в красную зону, когда") for s in sentences)
    assert at.selectbox(key="ex_output").options == ["человеко-часы в красной зоне, все объекты"]


def test_explore_is_a_kind_of_stored_run():
    from contingency.explore.study import KIND
    from contingency.store.runs import KINDS

    assert KIND in KINDS
