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
