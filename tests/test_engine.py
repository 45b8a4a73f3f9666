"""The flow engine: queueing theory, injects, conservation of people, determinism."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import simpy
import yaml

from contingency import SCENARIOS_DIR
from contingency.errors import LedgerError
from contingency.refdata import load_refdata
from contingency.results import load_result, run_scenario
from contingency.scenario import Mode, load_scenario, parse_scenario
from contingency.sim import centres as centres_mod
from contingency.sim.arrivals import make_groups, split_by_mode
from contingency.sim.border import build_border, service_hours
from contingency.sim.checkpoint import LanePool
from contingency.sim.engine import LEDGER_FIELDS, simulate

BUNDLED = sorted(SCENARIOS_DIR.glob("*.yaml"))


def erlang_c_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue of an M/M/c queue (h)."""
    a = lam / mu
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) / (1 - a / c)
    return tail / (head + tail) / (c * mu - lam)


MMC_LANES, MMC_MU = 4, 1.0
MMC_LAMBDA = 0.9 * MMC_LANES * MMC_MU


def mmc_samples(reps: int = 4, n: int = 500_000):
    """``reps`` samples of ``n`` single-person groups: Poisson arrivals at ``MMC_LAMBDA`` an
    hour and exponential service at ``MMC_MU``: (arrival hours, persons, service hours)."""
    for rep in range(reps):
        rng = np.random.default_rng([2026, rep])
        arrive = np.cumsum(rng.exponential(1 / MMC_LAMBDA, n))
        persons = np.ones(n, dtype=np.int64)
        yield arrive, persons, service_hours(persons, 60.0 / MMC_MU, 0.0, 1.0, rng)


def test_mmc_mean_wait_matches_erlang_c():
    """4 lanes, Poisson arrivals, exponential service, utilisation 0.9: 2 million groups."""
    waits = []
    for arrive, persons, service in mmc_samples():
        env = simpy.Environment()
        pool = LanePool(env, arrive, persons, service, max_lanes=MMC_LANES)
        pool.start()
        pool.set_open_lanes(MMC_LANES)
        env.run()
        waits.append((pool.start_h - arrive)[len(arrive) // 50 :].mean())  # drop the warm-up
    expected = erlang_c_wait(MMC_LANES, MMC_LAMBDA, MMC_MU)
    assert np.mean(waits) == pytest.approx(expected, rel=0.03)


def _smoke_data() -> dict:
    """``smoke.yaml`` without ordinary traffic, so the figures below are the influx's alone."""
    data = yaml.safe_load((SCENARIOS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    quiet = {"inbound_persons_per_day": 0, "outbound_persons_per_day": 0, "trucks_per_day": 0}
    for cp in load_refdata().modernised_ids:  # the checkpoints smoke puts in play
        data.setdefault("checkpoint_overrides", {}).setdefault(cp, {})["baseline"] = quiet
    return data


def test_closure_holds_queue_and_backlog_clears(ref):
    data = _smoke_data()
    data["injects"] = [
        {"at_h": 6, "kind": "checkpoint_close", "target": "kaplanbek"},
        {"at_h": 20, "kind": "checkpoint_open", "target": "kaplanbek"},
    ]
    data["influx"]["kaplanbek"] = {"daily": [1500, 0]}
    sc = parse_scenario(data, ref=ref)
    env = simpy.Environment()
    runs = build_border(env, sc, ref)
    env.run(until=sc.horizon_days * 24)
    pools = runs["kaplanbek"].pools.values()
    starts = np.concatenate([p.start_h for p in pools])
    arrivals = np.concatenate([p.arrive_h for p in pools])
    assert not ((starts >= 6) & (starts < 20)).any()  # nothing starts while closed
    assert ((arrivals >= 6) & (arrivals < 20)).sum() > 0  # yet people kept arriving
    assert np.isfinite(starts).all()  # and everyone was processed after reopening
    out = simulate(sc, ref)
    kap = out.checkpoints[out.checkpoints["checkpoint"] == "kaplanbek"].set_index("time_h")
    assert kap.loc[8:20, "processed"].sum() == 0
    assert kap.loc[20, "queue_persons"] > 0
    assert kap.loc[48, "queue_persons"] == 0
    assert kap.loc[19, "lanes_car"] == 0 and kap.loc[21, "lanes_car"] > 0


def test_shifts_and_surge_lanes(ref):
    data = _smoke_data()
    data["injects"] = []
    data["checkpoint_overrides"] = {
        "zhibek_zholy": {
            "lanes": {"car": 2, "bus": 1, "pedestrian": 2},
            "shifts": [
                {"start_h": 22, "end_h": 6, "lanes_open_share": 0.5},
                {"start_h": 6, "end_h": 22, "lanes_open_share": 1.0},
            ],
            "surge": {
                "extra_lanes": {"car": 3},
                "queue_threshold_persons": 300,
                "activation_delay_h": 2,
            },
            # a far side far faster than ours, so the queue forms at our control
            "far_side": {"lanes": {"car": 50, "bus": 20, "pedestrian": 50}},
        }
    }
    data["influx"]["zhibek_zholy"] = {"daily": [20000, 0]}
    sc = parse_scenario(data, ref=ref)
    out = simulate(sc, ref)
    zz = out.checkpoints[out.checkpoints["checkpoint"] == "zhibek_zholy"].set_index("time_h")
    # hour 1 (00-01 h): night shift, half of 2 car lanes; the queue soon passes 300 persons
    assert zz.loc[1, "lanes_car"] == 1
    first_over = zz.index[zz["queue_persons"] > 300][0]
    surged = zz.index[zz["lanes_car"] >= 4]
    assert len(surged) and surged[0] >= first_over + 2  # opens only after the delay


def test_hourly_totals_exact_and_groups_not_persons(ref):
    sc = load_scenario(SCENARIOS_DIR / "south_conflict.yaml", ref=ref)
    hours = np.zeros(48, dtype=np.int64)
    hours[3], hours[4], hours[10] = 1000, 37, 5000
    by_mode = split_by_mode(hours, sc)
    assert sum(by_mode.values()).tolist() == hours.tolist()
    g = make_groups(by_mode[Mode.car], sc, Mode.car, "test")
    assert g.persons.sum() == by_mode[Mode.car].sum()
    per_hour = np.bincount(np.floor(g.arrive_h).astype(int), weights=g.persons, minlength=48)
    # groups are never split: days are exact, hours fall short by less than one group
    planned = by_mode[Mode.car]
    assert (per_hour.reshape(2, 24).sum(axis=1) == planned.reshape(2, 24).sum(axis=1)).all()
    short = np.cumsum(planned) - np.cumsum(per_hour)
    assert short.min() >= 0 and short.max() < g.persons.max()
    assert len(g) < g.persons.sum() / 2  # cars carry groups, not single persons
    parts = g.to_reception + g.to_rehabilitation + g.self_arranged + g.leaving
    assert (parts == g.persons).all()


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_ledger_balances_every_hour(path, ref):
    sc = load_scenario(path, ref=ref)
    led = simulate(sc, ref).ledger
    assert len(led) == sc.horizon_days * 24
    rest = led[list(LEDGER_FIELDS[1:])].sum(axis=1)
    assert (rest == led["arrived"]).all()
    assert (led[list(LEDGER_FIELDS)] >= 0).all().all()
    assert led["arrived"].iloc[-1] > 0


def test_ledger_error_is_loud(ref, monkeypatch):
    real = centres_mod.Downstream.ledger

    def lose_one(self):
        out = real(self)
        out["relocated"] -= 1
        return out

    monkeypatch.setattr(centres_mod.Downstream, "ledger", lose_one)
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    with pytest.raises(LedgerError, match="ledger does not balance at hour 1"):
        simulate(sc, ref)


def test_same_seed_same_summary_other_seed_differs(ref):
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    a = run_scenario(sc, ref).summary
    b = run_scenario(sc, ref).summary
    c = run_scenario(sc, ref, seed=sc.seed + 1).summary
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert json.dumps(a, sort_keys=True) != json.dumps(c, sort_keys=True)


def test_needs_follow_sphere(ref):
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    res = run_scenario(sc, ref)
    centres = res.tables["centres_hourly"]
    cid = centres.loc[centres["occupancy"].idxmax(), "centre"]
    c = centres[centres["centre"] == cid]
    peak = int((c["occupancy"] + c["overflow"] + c["registration_queue"]).max())
    got = res.summary["needs"][cid]
    assert got["water_l"] == 15 * peak
    assert got["food_kcal"] == 2100 * peak
    assert got["covered_space_m2"] == pytest.approx(3.5 * peak)
    assert got["latrines"] == math.ceil(peak / 20)
    assert got["buses"] >= 1
    region = res.summary["centres"][cid]["region"]
    assert res.summary["needs_by_region"][region]["water_l"] >= got["water_l"]


def test_gaps_use_scenario_thresholds(ref):
    data = _smoke_data()
    sc = parse_scenario(data, ref=ref)
    loose = parse_scenario(
        {
            **data,
            "thresholds": {
                "wait_amber_h": 500,
                "wait_red_h": 900,
                "occupancy_amber": 500,
                "occupancy_red": 900,
            },
        },
        ref=ref,
    )
    strict = run_scenario(sc, ref).summary["gaps"]
    assert strict and all(g["severity"] in ("amber", "red") for g in strict)
    assert run_scenario(loose, ref).summary["gaps"] == []


def test_cli_run_writes_tables_and_summary(cli, tmp_path):
    out = tmp_path / "run"
    res = cli("run", SCENARIOS_DIR / "smoke.yaml", "--seed", "3", "--out", out)
    assert res.exit_code == 0, res.stderr
    tables, summary = load_result(out)
    assert {
        "checkpoints_hourly",
        "centres_hourly",
        "ledger_hourly",
        "needs_daily",
        "flows_daily",
        "corridors_daily",
        "regions",
    } <= set(tables)
    assert {"scenario", "seed", "ledger", "checkpoints", "centres", "gaps", "needs"} <= set(summary)
    assert summary["seed"] == 3 and summary["scenario"] == "smoke"
    assert list(summary["ledger"]) == list(LEDGER_FIELDS)
    cp = next(iter(summary["checkpoints"].values()))
    assert {"arrived", "processed", "max_wait_h", "p95_wait_h", "max_queue_persons"} <= set(cp)
    ce = next(iter(summary["centres"].values()))
    assert {
        "kind",
        "capacity",
        "peak_occupancy",
        "overflow_person_days",
        "first_overflow_day",
    } <= set(ce)
    for g in summary["gaps"]:
        assert {"facility", "kind", "severity", "metric", "value", "first_time"} <= set(g)
    assert (out / "scenario.yaml").exists()


def _tables_until(res, t_h: int) -> dict[str, pd.DataFrame]:
    out = {}
    for name in ("checkpoints_hourly", "centres_hourly", "ledger_hourly"):
        df = res.tables[name]
        df = df[df["time_h"] <= t_h]
        if name == "centres_hourly":
            df = df[~df["centre"].str.startswith("mobile_")]
        out[name] = df.reset_index(drop=True)
    return out


@pytest.mark.parametrize(
    "inject",
    [
        {"kind": "checkpoint_close", "target": "zhibek_zholy"},
        {"kind": "surge", "target": "zhibek_zholy", "params": {"multiplier": 2.0}},
        {"kind": "road_close", "target": "saryagash--shymkent"},
        {"kind": "mobile_unit", "target": "saryagash", "params": {"beds": 5000}},
        {"kind": "lanes", "target": "kaplanbek", "params": {"car": 1}},
        {"kind": "checkpoint_open", "target": "kaplanbek"},
        {"kind": "road_open", "target": "shymkent--taraz"},
        {"kind": "centre_capacity", "target": "tar_saryagash", "params": {"beds": 6000}},
    ],
    ids=lambda i: i["kind"],
)
def test_live_inject_leaves_the_past_exactly_as_it_was(ref, south_base, inject):
    sc, base = south_base
    t_h = 100
    data = sc.model_dump(mode="json", exclude_defaults=True)
    data["injects"] = [*data.get("injects", []), {"at_h": t_h, "by": "controller", **inject}]
    live = run_scenario(parse_scenario(data, ref=ref), ref)
    before, after = _tables_until(base, t_h), _tables_until(live, t_h)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], check_dtype=False)
    if inject["kind"] not in ("checkpoint_open", "road_open"):  # opening what is open: no change
        assert not base.tables["ledger_hourly"].equals(live.tables["ledger_hourly"])


def test_mobile_unit_opens_and_takes_people(ref):
    data = _smoke_data()
    data["injects"] = [
        {"at_h": 5, "kind": "mobile_unit", "target": "saryagash", "params": {"beds": 3000}}
    ]
    res = run_scenario(parse_scenario(data, ref=ref), ref)
    c = res.tables["centres_hourly"]
    unit = c[c["centre"] == "mobile_1_saryagash"].set_index("time_h")
    assert unit.loc[4, "capacity"] == 0 and unit.loc[6, "capacity"] == 3000
    assert unit["occupancy"].max() > 0
    assert unit.loc[:5, "occupancy"].max() == 0
    assert res.summary["centres"]["mobile_1_saryagash"]["lat"] == pytest.approx(
        ref.road_nodes.at["saryagash", "lat"]
    )


def test_unused_bus_seats_are_not_banked(ref):
    data = _smoke_data()
    data["influx"] = {"zhibek_zholy": {"daily": [0, 0, 3000]}}
    data["horizon_days"] = 4
    data["injects"] = []
    data["transport"] = {"bus_seats": 45, "buses_per_day": 5, "onward_buses_per_day": 10}
    data["population"] = {
        "needs_shelter_share": 1.0,
        "own_arrangements_share": 0.0,
        "leaving_country_share": 0.0,
    }
    out = simulate(parse_scenario(data, ref=ref), ref)
    per_day = 5 * 45
    # 9.375 seats an hour; after two idle days at most two hours' worth (18.75) is in hand when
    # the crowd comes at hour 49, and people wait at the transfer all day long from then on:
    # day 2 moves floor(18.75 + 23 x 9.375) = 234, day 3 exactly 24 x 9.375 = 225. Seats
    # banked over the idle days would move 48 x 9.375 = 450 more on day 2.
    moved = out.transported.set_index("day").sum(axis=1)
    assert moved.to_dict() == {0: 0, 1: 0, 2: 234, 3: 225}
    led = out.ledger.set_index("time_h")
    arrived_by_day3 = led.loc[72, "arrived"]
    assert (
        arrived_by_day3 - led.loc[72, "in_transit"] - led.loc[72, "waiting_at_checkpoints"]
        <= per_day * 1.1
    )


def test_regions_preferred_counts_each_person_once(south_base):
    _, res = south_base
    regions = res.tables["regions"]
    centres = res.tables["centres_hourly"]
    ready_end = centres.loc[centres["time_h"] == centres["time_h"].max(), "ready_to_leave"].sum()
    assert regions["preferred"].sum() == regions["allocated"].sum() + ready_end


def test_centre_intake_respects_the_registration_rate(ref):
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    c = run_scenario(sc, ref).tables["centres_hourly"]
    rate = ref.centres["intake_per_hour"]
    known = c[c["centre"].isin(rate.index)]
    assert (known["intake"] <= known["centre"].map(rate).apply(math.ceil)).all()
    end = c[c["time_h"] == c["time_h"].max()]
    assert c["intake"].sum() >= (end["occupancy"] + end["overflow"]).sum() > 0
