"""The nowcast: a simulated feed read up to hour T, then replications forecast what follows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from contingency import SCENARIOS_DIR
from contingency.nowcast.forecast import fit_trend, forecast_hours
from contingency.nowcast.observe import influx_from_crossings
from contingency.nowcast.run import forecast_gaps
from contingency.nowcast.store import FORECAST_COLUMNS, load_nowcast
from contingency.results import run_scenario
from contingency.scenario import load_scenario
from contingency.sim.rng import stream
from contingency.store import RunStore

T = 30
HORIZON_H = 24
START = pd.Timestamp("2027-01-01T00:00:00+05:00")


@pytest.fixture(scope="module")
def live(tmp_path_factory, ref, cli):
    """The smoke run, its feed (ingested; half the persons cross again) and a nowcast of it at
    hour T, stored."""
    root = tmp_path_factory.mktemp("nowcast")
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    run_scenario(sc, ref).save(root / "run")
    feed = root / "feed"
    assert (
        cli("feed", "simulate", root / "run", "--out", feed, "--repeat-share", 0.5).exit_code == 0
    )
    assert cli("feed", "ingest", feed).exit_code == 0
    res = cli("nowcast", "smoke", "--feed", feed, "--now", "2027-01-02T06:30+05:00",
              "--replications", 4, "--horizon-h", HORIZON_H, "--workers", 1,
              "--runs-dir", root / "runs")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    (stored,) = RunStore(root / "runs").list(kind="nowcast")
    return {"root": root, "feed": feed, "run": stored.path, "stdout": res.stdout}


def test_observed_hours_equal_the_feeds_hourly_counts(live):
    forecast, _ = load_nowcast(live["run"])
    hourly = pd.read_parquet(live["feed"] / "ingested" / "hourly.parquet")
    hourly = hourly[hourly["direction"] == "in"]
    hourly = hourly.assign(
        time_h=((hourly["hour"] - START) / pd.Timedelta(hours=1)).astype(int) + 1
    )
    feed = hourly[hourly["time_h"] <= T].groupby(["checkpoint_id", "time_h"])
    seen = forecast[forecast["observed"]].set_index(["facility", "time_h", "metric"])
    for metric, column in (
        ("crossings_in", "crossings"),
        ("first_crossings_in", "first_crossings"),
    ):
        got = seen.xs(metric, level="metric")["p50"].astype(int).to_dict()
        assert got == feed[column].sum().to_dict()
        assert (
            seen.xs(metric, level="metric")["p10"] == seen.xs(metric, level="metric")["p90"]
        ).all()
    queues = pd.read_parquet(live["root"] / "run" / "checkpoints_hourly.parquet")
    queues = queues[queues["time_h"] <= T].set_index(["checkpoint", "time_h"])["far_queue_vehicles"]
    got = seen.xs("far_queue_vehicles", level="metric")["p50"].astype(int)
    assert got.to_dict() == queues.astype(int).to_dict()


def test_forecast_hours_follow_now_and_the_quantiles_are_ordered(live):
    forecast, nowcast = load_nowcast(live["run"])
    assert tuple(forecast.columns) == FORECAST_COLUMNS
    assert (forecast["p10"] <= forecast["p50"]).all() and (forecast["p50"] <= forecast["p90"]).all()
    ahead = forecast[~forecast["observed"]]
    assert ahead["time_h"].min() == T + 1 and ahead["time_h"].max() == T + HORIZON_H
    assert forecast.loc[forecast["observed"], "time_h"].max() == T
    assert {"wait_max_h", "queue_persons", "load", "present"} <= set(ahead["metric"])
    first = forecast.loc[forecast["time_h"] == T + 1, "time"].iloc[0]
    assert first == "2027-01-02T07:00:00+05:00"
    assert nowcast["now"] == "2027-01-02T06:00:00+05:00" and nowcast["replications"] == 4
    assert nowcast["repeat_crossings"] > 0  # repeat crossers are in the feed by now
    for key in ("records", "unique_persons", "repeat_crossings", "forecast_gaps"):
        assert key in nowcast
    summary = json.loads((live["run"] / "summary.json").read_text(encoding="utf-8"))
    assert summary["ledger"]["arrived"] > 0  # the median replication draws like any run
    assert "forecast gaps:" in live["stdout"]


def test_a_bad_now_exits_2_with_one_clear_line(live, cli, tmp_path):
    res = cli("nowcast", "smoke", "--feed", live["feed"], "--now", "yesterday", "--workers", 1)
    assert res.exit_code == 2
    assert "--now: not an ISO 8601 time" in res.stderr and "Traceback" not in res.stderr
    res = cli("nowcast", "smoke", "--feed", live["feed"], "--now", "2026-12-31T10:00")
    assert res.exit_code == 2 and "is not after the scenario's start" in res.stderr
    late = tmp_path / "late"
    late.mkdir()
    for f in sorted(live["feed"].glob("records_*.csv")):
        rows = pd.read_csv(f, dtype=str, keep_default_na=False)
        rows[rows["crossed_at"] >= "2027-01-01T10"].to_csv(late / f.name, index=False)
    res = cli("nowcast", "smoke", "--feed", late, "--now", "2027-01-01T05:00+05:00", "--workers", 1)
    assert res.exit_code == 2
    assert "is before the feed's first record (2027-01-01" in res.stderr


def test_first_red_times_are_quantiles_over_every_replication():
    """Three replications of ten go red: P(red) 0.3, P10 the earliest red hour of the ten,
    P50 and P90 null (fewer than half, fewer than 90 % go red)."""
    records = []
    for i in range(10):
        wait = [30.0 if i < 3 and h >= 20 + i else 1.0 for h in range(19, 25)]
        records.append(
            {
                "checkpoints": pd.DataFrame(
                    {
                        "checkpoint": "x",
                        "time_h": range(19, 25),
                        "wait_max_h": wait,
                        "far_wait_max_h": 0.0,
                    }
                ),
                "centres": pd.DataFrame(
                    {"centre": "c", "kind": "transit", "time_h": range(19, 25), "load": 0.5}
                ),
            }
        )
    thresholds = {"wait_red_h": 24.0, "occupancy_red": 1.0}
    (gap,) = forecast_gaps(records, thresholds, start=START.to_pydatetime())
    assert gap["facility"] == "x" and gap["metric"] == "max_wait_h"
    assert gap["probability_red"] == 0.3
    assert gap["p10_first_h"] == 20.0  # the first of ten is the P10: red from hour 20
    assert gap["p10_first_time"] == "2027-01-01T20:00:00+05:00"
    assert gap["p50_first_time"] is None and gap["p90_first_time"] is None


def test_influx_from_crossings_never_counts_ordinary_catching_up():
    first = np.array([10, 2, 18, 30])
    ordinary = np.array([10, 10, 10, 10])
    assert influx_from_crossings(first, ordinary).tolist() == [0, 0, 0, 20]


def test_the_forecast_is_lognormal_around_a_damped_trend_and_seeded():
    growing = np.repeat([100.0, 200.0, 400.0, 800.0], 24) / 24
    fit = fit_trend(growing)
    assert fit.trend > 0 and fit.days == 4
    weights = np.ones(72)
    a = forecast_hours(fit, stream(1, "nowcast", "x"), weights=weights)
    b = forecast_hours(fit, stream(1, "nowcast", "x"), weights=weights)
    assert (a == b).all() and a.sum() > 0
    days = [forecast_hours(fit, stream(s, "n"), weights=weights)[:24].sum() for s in range(200)]
    p10, p50, p90 = np.percentile(days, [10, 50, 90])
    assert 800 < p10 < p50 < p90 < 1600  # the doubling goes on, damped, and spreads
