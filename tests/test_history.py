"""The replay harness: observables on hand-made runs, the score arithmetic, malformed case
folders, and replay / replay --all on a tiny synthetic case (tests/data/history_tiny)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from contingency.cli import app
from contingency.history.observables import (
    CAR_QUEUE_M,
    OBSERVABLES,
    modelled_value,
)
from contingency.history.observation import Observation
from contingency.history.run_data import RunData
from contingency.history.score import log_ratio, pooled_score, score

TINY = Path(__file__).parent / "data" / "history_tiny"
RECORD_KEYS = {
    "observable",
    "target",
    "date_from",
    "date_to",
    "mode",
    "scope",
    "low",
    "high",
    "unit",
    "modelled",
    "log_ratio",
    "inside_band",
    "within_2x",
    "source",
    "reliability",
    "note",
}
ISSUE_OBSERVABLES = {
    "entries_total",
    "entries_peak_day",
    "entries_day",
    "vehicles_per_day",
    "share_by_checkpoint",
    "max_wait_h",
    "max_queue_vehicles",
    "max_queue_km",
    "persons_queuing_peak",
    "days_to_clear_queue",
    "persons_in_centres_peak",
    "centre_turnover",
    "time_site_full_h",
    "registration_backlog_peak",
    "share_needing_shelter",
    "share_own_arrangements",
    "share_leaving",
    "arrival_time_p10_h",
    "arrival_time_p50_h",
    "arrival_time_p90_h",
}


def obs(observable: str, target: str = "a", **kw: object) -> Observation:
    data: dict[str, object] = {
        "observable": observable,
        "target": target,
        "date_from": "2030-01-01",
        "date_to": "2030-01-02",
        "low": 1,
        "high": 1,
        "unit": OBSERVABLES[observable].unit,
        "source": "https://example.org/x",
        "reliability": "high",
    }
    return Observation.model_validate({**data, **kw})


# ---------------------------------------------------------------- a hand-made run
def _group(cp: str, mode: str, arrive: float, start: float, persons: int, **who: int) -> dict:
    return {
        "checkpoint": cp,
        "mode": mode,
        "arrive_h": arrive,
        "persons": persons,
        "vulnerable": 0,
        "to_reception": who.get("shelter", 0),
        "to_rehabilitation": 0,
        "self_arranged": who.get("own", persons - who.get("shelter", 0)),
        "leaving": 0,
        "start_h": start,
        "service_h": 0.5,
        "end_h": start + 0.5,
    }


@pytest.fixture
def run() -> RunData:
    """Two days from 2030-01-01 00:00. Checkpoint a: ten cars arrive at 0.5 h, one lane serves
    one car an hour from 1 h (car k starts at k + 1 h, crosses at k + 1.5 h), 3 persons each, 1
    of whom needs shelter; a bus of 40 arrives at 2 h and starts at 12 h. Checkpoint b: 20
    persons on foot arrive at 30 h and cross at once. Centre c1 (20 beds, region R): 10 present
    for hours 1-10, 25 for hours 11-20 (5 of them registering), empty after."""
    groups = [_group("a", "car", 0.5, k + 1.0, 3, shelter=1) for k in range(10)]
    groups.append(_group("a", "bus", 2.0, 12.0, 40, shelter=10))
    groups.append(_group("b", "pedestrian", 30.0, 30.0, 20))
    hours = range(1, 49)
    centres = pd.DataFrame(
        {
            "time_h": list(hours),
            "centre": "c1",
            "kind": "reception",
            "region": "R",
            "node": "n",
            "capacity": 20,
            "occupancy": [10 if h <= 10 else 20 if h <= 20 else 0 for h in hours],
            "overflow": 0,
            "registration_queue": [5 if 10 < h <= 20 else 0 for h in hours],
            "ready_to_leave": 0,
            "intake": [10 if h == 1 else 15 if h == 11 else 0 for h in hours],
        }
    )
    tables = {"groups": pd.DataFrame(groups), "centres_hourly": centres}
    return RunData(tables, {"start": "2030-01-01T00:00:00", "horizon_days": 2})


def test_registry_holds_every_observable_of_the_issue() -> None:
    assert set(OBSERVABLES) == ISSUE_OBSERVABLES
    for o in OBSERVABLES.values():
        assert o.compute.__doc__ and "Unit:" in o.compute.__doc__, o.name


def value(o: Observation, run: RunData) -> float | None:
    return modelled_value(o, run).value


def test_entries_and_shares(run: RunData) -> None:
    # day 1: ten cars (30) and the bus (40) cross; day 2: the 20 on foot at b
    assert value(obs("entries_total", "all"), run) == 90
    assert value(obs("entries_total", "a", mode="car"), run) == 30
    assert value(obs("entries_peak_day", "all"), run) == 70
    assert value(obs("entries_day", "all", date_to="2030-01-01"), run) == 70
    assert value(obs("entries_day", "all"), run) == 45  # 90 over two days
    assert value(obs("vehicles_per_day", "a", date_to="2030-01-01"), run) == 11
    assert value(obs("share_by_checkpoint", "b"), run) == pytest.approx(20 / 90)
    assert value(obs("share_needing_shelter", "a"), run) == pytest.approx(20 / 70)
    assert value(obs("share_needing_shelter", "a", unit="%"), run) == pytest.approx(2000 / 70)
    assert value(obs("share_own_arrangements", "a"), run) == pytest.approx(50 / 70)
    assert value(obs("share_leaving", "all"), run) == 0


def test_a_known_queue(run: RunData) -> None:
    # the bus waits 12 - 2 = 10 h; the last car 10 - 0.5 = 9.5 h
    assert value(obs("max_wait_h", "a"), run) == 10
    assert value(obs("max_wait_h", "a", mode="car"), run) == 9.5
    # at 1 h: nine cars queue (car 0 started at 1 h); at 2 h eight cars and the bus
    assert value(obs("max_queue_vehicles", "a"), run) == 9
    assert value(obs("persons_queuing_peak", "a"), run) == 8 * 3 + 40
    km = modelled_value(obs("max_queue_km", "a", mode="car"), run)
    assert km.value == pytest.approx(9 * CAR_QUEUE_M / 1000)
    assert km.notes  # the assumed vehicle lengths are stated
    # the queue peaks at 2 h (64 persons) and is empty from 12 h (the bus starts)
    assert value(obs("days_to_clear_queue", "a"), run) == pytest.approx(12 / 24)
    assert value(obs("arrival_time_p50_h", "a"), run) == 2.0  # 40 of 70 persons at 2 h
    assert value(obs("arrival_time_p10_h", "a"), run) == 0.5


def test_a_known_occupancy_series(run: RunData) -> None:
    assert value(obs("persons_in_centres_peak", "c1"), run) == 25
    assert value(obs("persons_in_centres_peak", "R"), run) == 25
    assert value(obs("persons_in_centres_peak", "all", date_from="2030-01-02"), run) == 0
    assert value(obs("time_site_full_h", "c1"), run) == 10  # hours 11-20
    assert value(obs("registration_backlog_peak", "all"), run) == 5
    assert value(obs("centre_turnover", "c1"), run) == 25


def test_what_the_model_cannot_do_is_flagged(run: RunData) -> None:
    gross = modelled_value(obs("entries_total", "all", scope="gross"), run)
    assert gross.value == 90 and any("baseline traffic" in n for n in gross.notes)
    truck = modelled_value(obs("vehicles_per_day", "a", mode="truck"), run)
    assert truck.value is None and any("trucks" in n for n in truck.notes)
    late = modelled_value(obs("entries_total", "all", date_to="2030-01-05"), run)
    assert late.value == 90 and any("clipped" in n for n in late.notes)


# ---------------------------------------------------------------- the score
def test_log_ratio_by_hand() -> None:
    assert log_ratio(150, 100, 200) == 0.0
    assert log_ratio(100, 100, 200) == 0.0
    assert log_ratio(50, 100, 200) == pytest.approx(math.log(0.5))
    assert log_ratio(600, 100, 200) == pytest.approx(math.log(3))
    assert log_ratio(0, 100, 200) is None  # infinite miss
    assert log_ratio(None, 100, 200) is None
    assert log_ratio(0, 0, 10) == 0.0
    assert log_ratio(5, 0, 0) is None


def test_score_by_hand() -> None:
    # inside (0), exactly x2 below (ln 0.5), x3 above (ln 3), a zero (inf)
    s = score([0.0, math.log(0.5), math.log(3), None])
    assert s["n"] == 4
    assert s["share_within_band"] == 0.25
    assert s["share_within_2x"] == 0.5  # the x2 boundary counts as within
    # sorted |ln|: 0, 0.693, 1.099, inf -> median (0.693 + 1.099) / 2
    assert s["median_abs_log_ratio"] == pytest.approx((math.log(2) + math.log(3)) / 2)
    assert score([None, None, 0.0])["median_abs_log_ratio"] is None  # an infinite median
    assert score([])["n"] == 0
    pooled = pooled_score([[0.0, 0.0], [math.log(4)]])
    assert pooled["median_abs_log_ratio"] == 0.0 and pooled["n"] == 3


# ---------------------------------------------------------------- case folders and the CLI
def _copy_case(tmp: Path, name: str = "case_a") -> Path:
    dest = tmp / name
    shutil.copytree(TINY, dest)
    return dest


BAD_ROWS = [
    ("entries_totl,all,2030-05-01,2030-05-03,1,2,persons", "line 2: observable", "entries_totl"),
    ("entries_total,all,2030-05-01,2030-05-03,9,2,persons", "line 2: high", "2"),
    ("entries_total,all,2030-05-32,2030-05-03,1,2,persons", "line 2: date_from", "2030-05-32"),
    ("entries_total,nowhere,2030-05-01,2030-05-03,1,2,persons", "line 2: target", "nowhere"),
    ("entries_total,all,2030-05-01,2030-05-03,1,2,litres", "line 2: unit", "litres"),
    ("entries_total,all,2031-05-01,2031-05-03,1,2,persons", "line 2: date_from", "2031-05-01"),
]


@pytest.mark.parametrize(("row", "field", "got"), BAD_ROWS)
def test_a_malformed_case_exits_2_with_file_line_and_field(
    tmp_path: Path, row: str, field: str, got: str
) -> None:
    case = _copy_case(tmp_path)
    header = "observable,target,date_from,date_to,low,high,unit,source,reliability"
    (case / "observations.csv").write_text(
        f"{header}\n{row},https://example.org/x,high\n", encoding="utf-8"
    )
    res = CliRunner().invoke(app, ["replay", str(case), "--runs-dir", str(tmp_path / "runs")])
    assert res.exit_code == 2, res.output
    assert f"{case / 'observations.csv'}: {field}:" in res.stderr
    assert f"(got '{got}')" in res.stderr or f"(got {got})" in res.stderr


def test_every_problem_at_once_and_missing_sources(tmp_path: Path) -> None:
    case = _copy_case(tmp_path)
    (case / "SOURCES.md").unlink()
    header = "observable,target,date_from,date_to,low,high,unit,source,reliability"
    rows = [
        "nope,all,2030-05-01,2030-05-03,1,2,persons,https://example.org/x,high",
        "entries_total,all,2030-05-01,2030-05-03,1,2,persons,not a url,sure",
    ]
    (case / "observations.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["replay", str(case), "--runs-dir", str(tmp_path / "runs")])
    assert res.exit_code == 2
    for part in ("line 2: observable", "line 3: source", "line 3: reliability", "SOURCES.md"):
        assert part in res.stderr, part


def test_replay_writes_replay_json(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    res = CliRunner().invoke(app, ["replay", str(TINY), "--runs-dir", str(runs)])
    assert res.exit_code == 0, res.output
    assert "observed band" in res.output and "log ratio" in res.output
    (folder,) = [p for p in runs.iterdir() if "-replay-" in p.name]
    data = json.loads((folder / "replay.json").read_text(encoding="utf-8"))
    assert data["case"] == "history_tiny"
    assert set(data["score"]) >= {
        "median_abs_log_ratio",
        "share_within_2x",
        "share_within_band",
        "n",
    }
    assert data["score"]["n"] == len(data["observables"]) == 8
    for r in data["observables"]:
        assert set(r) == RECORD_KEYS
    truck = next(r for r in data["observables"] if r["mode"] == "truck")
    assert truck["log_ratio"] is None and not truck["inside_band"] and truck["note"]
    assert (folder / "groups.parquet").is_file() and (folder / "summary.json").is_file()


def test_replay_all_on_a_folder_of_two_cases(tmp_path: Path) -> None:
    _copy_case(tmp_path / "cases", "case_a")
    _copy_case(tmp_path / "cases", "case_b")
    res = CliRunner().invoke(
        app, ["replay", "--all", str(tmp_path / "cases"), "--runs-dir", str(tmp_path / "runs")]
    )
    assert res.exit_code == 0, res.output
    assert "case_a" in res.output and "case_b" in res.output and "pooled" in res.output
    assert len([p for p in (tmp_path / "runs").iterdir() if "-replay-" in p.name]) == 2
