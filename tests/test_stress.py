"""Stress testing on a real Dask LocalCluster, the run store, breaking points, reserves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from functools import partial
from pathlib import Path

import cloudpickle
import numpy as np
import pytest

from contingency import SCENARIOS_DIR
from contingency.scenario import load_scenario, parse_scenario
from contingency.store import RunStore
from contingency.stress.reserves import recommend
from contingency.stress.runner import replicate, run_replications, seeds_for
from contingency.stress.stats import facility_stats, long_table
from contingency.stress.sweep import SweepSpec, breaking_points

HORIZON_H = 240
RED_WAIT_H = 24.0
BASE_PER_HOUR = 100  # persons
CAPACITY_PER_HOUR = 120  # 2 booths x 60 persons an hour


def one_checkpoint(ref, **extra):
    """Pedestrians one by one through 2 booths of exactly 1 min: a D/D/2 queue fed at 100 an
    hour for 10 days. Past utilisation 1 the backlog grows at (lambda - 120) an hour, and the
    longest wait at the end is H (1 - 1/rho). It passes the 24 h red line when
    rho > 1 / (1 - 24/240) = 10/9, i.e. at an influx multiplier of (10/9) x (120/100) = 4/3."""
    data = {
        "name": "one_checkpoint",
        "trigger": "other",
        "start": "2027-01-01T00:00:00",
        "horizon_days": HORIZON_H // 24,
        "seed": 11,
        "checkpoints": ["zhibek_zholy"],
        "influx": {"zhibek_zholy": {"daily": [BASE_PER_HOUR * 24] * (HORIZON_H // 24)}},
        "hourly_profile": [1.0] * 24,
        "mode_mix": {
            "car": {"share": 0.0, "occupancy": {1: 1.0}},
            "bus": {"share": 0.0, "occupancy": {30: 1.0}},
            "pedestrian": {"share": 1.0, "occupancy": {1: 1.0}},
        },
        "population": {
            "needs_shelter_share": 0.0,
            "own_arrangements_share": 0.0,
            "leaving_country_share": 1.0,
            "vulnerable_share": 0.0,
        },
        "checkpoint_overrides": {
            "zhibek_zholy": {
                "lanes": {"car": 0, "bus": 0, "pedestrian": 2},
                "processing": {"pedestrian_min_per_person": 1.0, "cv": 0.0},
                "waiting_area_persons": 1_000_000,
                "baseline": dict.fromkeys(
                    ("inbound_persons_per_day", "outbound_persons_per_day", "trucks_per_day"), 0
                ),  # the influx alone, as worked out above
            }
        },
        "thresholds": {"wait_amber_h": 6.0, "wait_red_h": RED_WAIT_H},
        **extra,
    }
    return parse_scenario(data, ref=ref)


@pytest.fixture(scope="module")
def client():
    from contingency.stress.runner import dask_client

    with dask_client(workers=2) as c:
        yield c


def test_seeds_are_independent_and_reproducible():
    a, b = seeds_for(5, 10), seeds_for(5, 10)
    assert a == b and len(set(a)) == 10 and seeds_for(6, 10) != a


def test_replications_give_distributions(client, ref):
    """Each seed draws its own service times: the same people present themselves at the far side
    in every replication (how many of them have passed it by the horizon depends on the service
    draws), but the longest wait at Zhibek Zholy differs from one replication to the next."""
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    seeds = seeds_for(sc.seed, 6)
    reps = run_replications(sc, seeds, client)
    assert len(reps.records) == 6 and not reps.failures
    assert sorted(r["seed"] for r in reps.records) == sorted(seeds)
    assert len({r["presented"] for r in reps.records}) == 1  # hourly arrivals are exact
    long = long_table(reps.records)
    peaks = long.loc[long["facility"] == "zhibek_zholy", "peak"].to_numpy()
    assert len(peaks) == 6 and len(set(peaks)) == 6
    zz = facility_stats(long).set_index("facility").loc["zhibek_zholy"]
    assert peaks.min() <= zz["p50"] < zz["p90"] < zz["p95"] <= peaks.max()
    assert zz["p50"] == pytest.approx(np.median(peaks)) and 0 <= zz["p_red"] <= 1


def _fail_for_one_seed(text: str, seed: int) -> dict:
    if seed == FAILING_SEED:
        raise RuntimeError("broken replication")
    return replicate(text, seed)


def _die_once(marker_dir: str, text: str, seed: int) -> dict:
    marker = Path(marker_dir) / f"died-{seed}"
    if seed == DYING_SEED and not marker.exists():
        marker.write_text("x")
        os._exit(1)  # the worker process dies mid-run
    return replicate(text, seed)


FAILING_SEED = seeds_for(7, 4)[1]
DYING_SEED = seeds_for(7, 4)[2]
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def test_a_failing_replication_reports_its_seed_and_the_rest_complete(client, ref):
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    reps = run_replications(sc, seeds_for(7, 4), client, func=_fail_for_one_seed)
    assert len(reps.records) == 3
    assert reps.failures[0]["seed"] == FAILING_SEED
    assert "broken replication" in reps.failures[0]["error"]


def test_a_dead_worker_has_its_replication_retried(client, ref, tmp_path):
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    reps = run_replications(sc, seeds_for(7, 4), client, func=partial(_die_once, str(tmp_path)))
    assert (tmp_path / f"died-{DYING_SEED}").exists()  # the worker really died once
    assert len(reps.records) == 4 and not reps.failures


def test_sweep_finds_the_hand_computed_breaking_point(client, ref):
    sc = one_checkpoint(ref)
    seeds = seeds_for(sc.seed, 2)
    table, points = breaking_points(
        sc,
        ref,
        SweepSpec.parse("influx=0.8:2.0"),
        lambda s: run_replications(s, seeds, client).records,
        tol=0.02,
    )
    bp = table.set_index("facility").at["zhibek_zholy", "breaking_point"]
    assert bp == pytest.approx(4 / 3, abs=0.03)
    low = points[(points["x"] < 1.25) & (points["facility"] == "zhibek_zholy")]
    assert (low["p_red"] == 0).all() and len(low) >= 2


def test_capacity_sweep_is_red_below_its_breaking_point(client, ref):
    # at influx x1.6 (160 an hour), booths are the capacity: red while 2 x lanes x 60 x (1 - 0.1)
    # < 160, i.e. the lanes multiplier must reach about 1.48; rounding to whole booths makes
    # 2 booths (x < 1.25) red and 3 booths (x >= 1.25) safe.
    sc = one_checkpoint(ref, influx_multiplier=1.6)
    seeds = seeds_for(sc.seed, 2)
    table, _ = breaking_points(
        sc,
        ref,
        SweepSpec.parse("lanes=0.5:3.0"),
        lambda s: run_replications(s, seeds, client).records,
        tol=0.02,
    )
    bp = table.set_index("facility").at["zhibek_zholy", "breaking_point"]
    assert 1.2 <= bp <= 1.25 + 0.02


def test_reserves_are_ranked_and_packaged_within_budget(client, ref):
    reserves = [
        {
            "id": "two_booths",
            "kind": "lanes",
            "target": "zhibek_zholy",
            "mode": "pedestrian",
            "amount": 2,
            "unit_cost": 10,
        },
        {
            "id": "one_booth",
            "kind": "lanes",
            "target": "zhibek_zholy",
            "mode": "pedestrian",
            "amount": 1,
            "unit_cost": 4,
        },
        {"id": "buses", "kind": "buses", "amount": 100, "unit_cost": 1},
    ]
    sc = one_checkpoint(ref, influx_multiplier=1.6, reserves=reserves)
    seeds = seeds_for(sc.seed, 2)
    rec = recommend(sc, ref, lambda s: run_replications(s, seeds, client).records, budget=12)
    assert rec.baseline_rph > 0
    order = list(rec.ranking["reserve"])
    assert order[0] == "one_booth" and order[-1] == "buses"
    assert rec.ranking.set_index("reserve").at["buses", "removed"] == 0
    assert rec.package == ["one_booth"] and rec.package_cost <= 12
    assert rec.package_rph == pytest.approx(0)


def test_store_lists_resolves_and_cleans(tmp_path, ref):
    from contingency.results import run_scenario

    store = RunStore(tmp_path)
    res = run_scenario(load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref), ref)
    stored = store.save(res.write_files, scenario="smoke", seed=7, summary=res.summary)
    assert [r.run_id for r in store.list()] == [stored.run_id]
    assert store.resolve(stored.run_id) == stored.path
    meta = (stored.path / "meta.json").read_text()
    assert '"simpy"' in meta and '"seed": 7' in meta
    assert stored.arrived == res.summary["ledger"]["arrived"]


def test_store_survives_a_killed_writer(tmp_path):
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from contingency.store import RunStore

        def slow(folder: Path) -> None:
            (folder / "summary.json").write_text("{{}}")
            (folder / "half.parquet").write_bytes(b"x" * 1000)
            print("writing", flush=True)
            time.sleep(60)

        RunStore({str(tmp_path)!r}).save(slow, scenario="smoke", seed=1)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    store = RunStore(tmp_path)
    assert store.list() == []
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith((".tmp-", "index.sqlite"))]
    assert store.clean() == 1
    ok = store.save(lambda f: (f / "summary.json").write_text("{}"), scenario="smoke", seed=2)
    assert [r.run_id for r in store.list()] == [ok.run_id]


def test_cli_stress_prints_percentiles_and_stores_the_run(cli, tmp_path):
    """In its own process: the command starts and stops a Dask cluster of its own."""
    env = {**os.environ, "CONTINGENCY_RUNS": str(tmp_path)}
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "contingency",
            "stress",
            str(SCENARIOS_DIR / "smoke.yaml"),
            "--replications",
            "3",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert "3 of 3 replications completed" in res.stdout
    header = next(line for line in res.stdout.splitlines() if "facility" in line)
    assert header.split()[-4:] == ["p50", "p90", "p95", "p_red"]
    listing = cli("runs", env={"CONTINGENCY_RUNS": str(tmp_path)})
    assert listing.exit_code == 0 and "stress" in listing.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--replications", "0"], "Invalid value for '--replications'"),
        (["--sweep", "influx"], "--sweep: write LEVER=LOW:HIGH"),
        (
            ["--sweep", "walls=1:2"],
            "--sweep: lever must be one of influx, lanes, beds, buses (got 'walls')",
        ),
        (["--budget", "10"], "reserves: the scenario lists no candidate reserves"),
    ],
)
def test_cli_stress_bad_options(cli, args, message, tmp_path):
    res = cli(
        "stress", SCENARIOS_DIR / "smoke.yaml", *args, env={"CONTINGENCY_RUNS": str(tmp_path)}
    )
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.stderr
    assert RunStore(tmp_path).list() == []


def test_cli_stress_with_sweep_and_budget_stores_the_envelope(tmp_path, ref):
    from contingency.scenario import dump_scenario

    reserves = [
        {
            "id": "one_booth",
            "kind": "lanes",
            "target": "zhibek_zholy",
            "mode": "pedestrian",
            "amount": 1,
            "unit_cost": 4,
        }
    ]
    sc = one_checkpoint(ref, influx_multiplier=1.6, reserves=reserves)
    f = tmp_path / "one.yaml"
    f.write_text(dump_scenario(sc), encoding="utf-8")
    runs = tmp_path / "runs"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "contingency",
            "stress",
            str(f),
            "--replications",
            "2",
            "--workers",
            "2",
            "--sweep",
            "influx=0.5:1.2",
            "--budget",
            "10",
            "--runs-dir",
            str(runs),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert "breaking points (influx 0.5:1.2, red at or above)" in res.stdout
    lines = res.stdout.splitlines()
    after = lines[next(i for i, line in enumerate(lines) if "breaking points" in line) + 1 :]
    bp = next(line for line in after if line.strip().startswith("zhibek_zholy"))
    assert float(bp.split()[-1]) == pytest.approx(4 / 3 / 1.6, abs=0.06)  # relative to the base 1.6
    assert "package within 10: one_booth" in res.stdout
    stored = RunStore(runs).list(kind="stress")[0]
    assert (stored.path / "envelope.png").stat().st_size > 1000
    assert (stored.path / "breaking_points.parquet").exists()
