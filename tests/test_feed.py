"""The smart-border feed: records a run would produce, and ingesting them back."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from contingency import SCENARIOS_DIR
from contingency.results import run_scenario
from contingency.scenario import parse_scenario

QUIET = {"inbound_persons_per_day": 0, "outbound_persons_per_day": 0, "trucks_per_day": 0}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, ref):
    """The smoke run without ordinary traffic, saved."""
    data = yaml.safe_load((SCENARIOS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    data["checkpoint_overrides"] = {
        cp: {**data.get("checkpoint_overrides", {}).get(cp, {}), "baseline": dict(QUIET)}
        for cp in ref.modernised_ids
    }
    out = tmp_path_factory.mktemp("feed") / "run"
    run_scenario(parse_scenario(data, ref=ref), ref).save(out)
    return out


def test_simulate_then_ingest_recovers_the_runs_arrivals_exactly_once(cli, run_dir, tmp_path):
    """Every person processed at our control is one first crossing in the hour the run
    counts it; repeat crossings and records delivered twice are linked, not counted again."""
    feed = tmp_path / "feed"
    res = cli("feed", "simulate", str(run_dir), "--out", str(feed), "--repeat-share", "0.3",
              "--late-share", "0.05")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    res = cli("feed", "ingest", str(feed))
    assert res.exit_code == 0, res.stderr
    hourly = pd.read_parquet(feed / "ingested" / "hourly.parquet")
    summary = json.loads((feed / "ingested" / "summary.json").read_text(encoding="utf-8"))
    run = pd.read_parquet(run_dir / "checkpoints_hourly.parquet")
    start = pd.Timestamp("2027-01-01T00:00:00+05:00")
    hourly["time_h"] = ((hourly["hour"] - start) / pd.Timedelta(hours=1)).astype(int) + 1
    first = (
        hourly[hourly["direction"] == "in"]
        .groupby(["checkpoint_id", "time_h"])["first_crossings"]
        .sum()
    )
    processed = run.set_index(["checkpoint", "time_h"])["processed"]
    processed = processed[processed > 0]
    assert first[first > 0].sort_index().to_dict() == processed.sort_index().to_dict()
    assert summary["duplicates"] > 0 and summary["repeat_crossings"] > 0
    persons = int(run["processed"].sum())
    assert summary["unique_persons"] == persons  # repeaters are the same people
    ins = hourly.loc[hourly["direction"] == "in", "crossings"].sum()
    assert ins == persons + summary["repeat_crossings"]


def test_a_malformed_file_names_file_line_and_field_and_keeps_good_rows(cli, run_dir, tmp_path):
    feed = tmp_path / "feed"
    assert cli("feed", "simulate", str(run_dir), "--out", str(feed)).exit_code == 0
    files = sorted(feed.glob("records_*.csv"))
    frame = pd.read_csv(files[5], dtype=str, keep_default_na=False)
    frame.loc[0, "crossed_at"] = "yesterday"
    frame.loc[1, "checkpoint_id"] = "atlantis"
    frame.loc[2, "person_key"] = "Ivanov Ivan 1985-03-02"
    frame.to_csv(files[5], index=False)
    good = sum(len(pd.read_csv(f, dtype=str)) for f in files) - 3
    res = cli("feed", "ingest", str(feed))
    assert res.exit_code == 2
    err = res.stderr
    assert f"{files[5]}: line 2: crossed_at: is not an ISO 8601 time" in err
    assert f"{files[5]}: line 3: checkpoint_id: unknown checkpoint id (got 'atlantis')" in err
    assert f"{files[5]}: line 4: person_key: does not look like a salted hash" in err
    assert "Ivanov" not in err  # an unhashed key is never echoed
    summary = json.loads((feed / "ingested" / "summary.json").read_text(encoding="utf-8"))
    assert summary["bad_rows"] == 3
    assert summary["records"] + summary["duplicates"] == good


def test_queue_observations_are_written_and_read_back_as_the_run_had_them(cli, run_dir, tmp_path):
    feed = tmp_path / "feed"
    assert cli("feed", "simulate", str(run_dir), "--out", str(feed)).exit_code == 0
    files = sorted(feed.glob("queues_*.csv"))
    assert [f.name for f in files] == ["queues_20270101.csv", "queues_20270102.csv",
                                       "queues_20270103.csv"]  # fmt: skip
    res = cli("feed", "ingest", str(feed))
    assert res.exit_code == 0, res.stderr
    queues = pd.read_parquet(feed / "ingested" / "queues_hourly.parquet")
    run = pd.read_parquet(run_dir / "checkpoints_hourly.parquet")
    start = pd.Timestamp("2027-01-01T00:00:00+05:00")
    queues["time_h"] = ((queues["hour_end"] - start) / pd.Timedelta(hours=1)).astype(int)
    for side, prefix in (("near", ""), ("far", "far_")):
        got = queues[queues["side"] == side].set_index(["checkpoint_id", "time_h"])
        want = run.set_index(["checkpoint", "time_h"])
        assert got["queue_vehicles"].to_dict() == want[f"{prefix}queue_vehicles"].to_dict()
        assert got["queue_km"].round(3).to_dict() == want[f"{prefix}queue_km"].round(3).to_dict()
    summary = json.loads((feed / "ingested" / "summary.json").read_text(encoding="utf-8"))
    assert summary["queue_observations"] == 2 * len(run)
    assert summary["bad_rows"] == 0  # no queue file read as records


def test_a_malformed_queue_row_names_file_line_and_field_and_keeps_good_rows(
    cli, run_dir, tmp_path
):
    feed = tmp_path / "feed"
    assert cli("feed", "simulate", str(run_dir), "--out", str(feed)).exit_code == 0
    path = sorted(feed.glob("queues_*.csv"))[0]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "side"] = "middle"
    frame.loc[3, "queue_vehicles"] = "-4"
    frame.loc[4, "observed_at"] = "2027-01-01T05:00"
    frame.to_csv(path, index=False)
    total = sum(len(pd.read_csv(f)) for f in feed.glob("queues_*.csv"))
    res = cli("feed", "ingest", str(feed))
    assert res.exit_code == 2
    assert f"{path}: line 2: side: must be 'near' or 'far' (got 'middle')" in res.stderr
    assert f"{path}: line 5: queue_vehicles: must be a whole number" in res.stderr
    assert f"{path}: line 6: observed_at: is not an ISO 8601 time with its UTC offset" in res.stderr
    summary = json.loads((feed / "ingested" / "summary.json").read_text(encoding="utf-8"))
    assert summary["queue_bad_rows"] == 3 and summary["bad_rows"] == 0
    assert summary["queue_observations"] == total - 3
    assert len(pd.read_parquet(feed / "ingested" / "queues_hourly.parquet")) == total - 3


def test_a_file_without_the_needed_columns_is_refused_whole_once(tmp_path):
    """Before: a records file missing columns stopped the reading with a KeyError, and a queue
    file missing columns counted each of its rows as bad twice."""
    from contingency.feed.ingest import ingest
    from contingency.feed.queues import ingest_queues

    (tmp_path / "records.csv").write_text("record_id,checkpoint_id\n1,zhibek_zholy\n2,x\n")
    (tmp_path / "queues_a.csv").write_text("checkpoint_id,observed_at\nzhibek_zholy,2027\n")
    records = ingest(tmp_path, {"zhibek_zholy"})
    queues = ingest_queues(tmp_path, {"zhibek_zholy"})
    assert (len(records.records), records.bad_rows) == (0, 2)
    assert (len(queues.observations), queues.bad_rows) == (0, 1)
    for found, absent in ((records, "crossed_at"), (queues, "queue_km")):
        (only,) = found.problems
        assert only.field == "(header)" and absent in only.message
