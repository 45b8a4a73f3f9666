"""A crossing as two controls in series: the far side (the neighbour's exit control), then ours.

Each mechanism is pinned with figures worked out by hand: where the queue forms, processing
multipliers (inject and shift), closures and lanes on either side, turn-backs, vehicles and km,
the demand identity, Erlang-C through an infinitely fast far side, and validation of every new
key with its field path.

Most engine cases use one post with cars of one person each, processing times without
variation (``cv: 0``) and ten arrivals an hour for a day: our control takes 6 min a car
(0.1 h), the far side 12 min (0.2 h), one lane each.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import simpy
import yaml
from test_engine import MMC_LAMBDA, MMC_LANES, MMC_MU, erlang_c_wait, mmc_samples

from contingency import SCENARIOS_DIR
from contingency.errors import ScenarioError
from contingency.refdata.vehicles import vehicle_length_m
from contingency.results import run_scenario
from contingency.scenario import load_scenario, parse_scenario
from contingency.scenario.added import DETOUR_FACTOR, great_circle_km
from contingency.sim.border import turned_back
from contingency.sim.checkpoint import LanePool
from contingency.sim.engine import simulate

POST = "zhibek_zholy"
NO_ORDINARY_TRAFFIC = {
    "inbound_persons_per_day": 0,
    "outbound_persons_per_day": 0,
    "trucks_per_day": 0,
}
NEAR_H, FAR_H = 0.1, 0.2
BUNDLED = sorted(SCENARIOS_DIR.glob("*.yaml"))


SINGLE_CARS = {
    "car": {"share": 1.0, "occupancy": {1: 1.0}},
    "bus": {"share": 0.0, "occupancy": {30: 1.0}},
    "pedestrian": {"share": 0.0, "occupancy": {1: 1.0}},
}


def _one_post(*, horizon_days: int = 3, far: dict | None = None, **override) -> dict:
    """240 single-person cars on day 1 (10 an hour), one car lane each side, no variation."""
    data = yaml.safe_load((SCENARIOS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    data.update(
        horizon_days=horizon_days,
        checkpoints=[POST],
        influx={POST: {"daily": [240] + [0] * (horizon_days - 1)}},
        hourly_profile=[1.0] * 24,
        mode_mix=copy.deepcopy(SINGLE_CARS),
        injects=[],
        checkpoint_overrides={
            POST: {
                "lanes": {"car": 1, "bus": 1, "pedestrian": 1},
                "processing": {"cv": 0, "car": {"min_per_vehicle": 6.0, "min_per_person": 0}},
                "far_side": {
                    "processing": {"car": {"min_per_vehicle": 12.0}},
                    **(far or {}),
                },
                "baseline": dict(NO_ORDINARY_TRAFFIC),
                **override,
            }
        },
    )
    return data


def _run(data: dict, ref):
    res = run_scenario(parse_scenario(data, ref=ref), ref)
    hourly = res.tables["checkpoints_hourly"].set_index("time_h")
    return res, hourly, res.tables["groups"].sort_values("arrive_h").reset_index(drop=True)


# ---------------------------------------------------------------- two pools in series
def _series(arrive, far_h, near_h, *, far_lanes=1, near_lanes=1, probes=()):
    env = simpy.Environment()
    n = len(arrive)
    persons = np.ones(n, dtype=np.int64)
    far = LanePool(env, np.asarray(arrive, float), persons, np.asarray(far_h, float), far_lanes)
    near = LanePool(env, np.zeros(n), persons, np.asarray(near_h, float), near_lanes)
    far.feed(near)
    far.start()
    near.start()
    far.set_open_lanes(far_lanes)
    near.set_open_lanes(near_lanes)
    seen = []

    def probe():
        for t in probes:
            yield env.timeout(t - env.now)
            seen.append((env.now, far.queued_persons, near.queued_persons))

    env.process(probe())
    env.run()
    return far, near, seen


def test_a_slower_far_side_holds_the_queue_and_ours_stays_empty():
    """Three groups at 0 h; the far side takes 1 h each, ours 0.5 h. The far side serves them
    0-1, 1-2, 2-3 h; each reaches us as it leaves there and is served at once (1-1.5, 2-2.5,
    3-3.5 h): two wait at the far side at 0.5 h, one at 1.5 h, none at ours ever."""
    far, near, seen = _series([0.0, 0.0, 0.0], [1.0] * 3, [0.5] * 3, probes=(0.5, 1.5, 2.75))
    assert far.start_h.tolist() == [0.0, 1.0, 2.0]
    assert near.arrive_h.tolist() == [1.0, 2.0, 3.0]
    assert near.start_h.tolist() == near.arrive_h.tolist()
    assert seen == [(0.5, 2, 0), (1.5, 1, 0), (2.75, 0, 0)]


def test_a_fed_pool_serves_in_the_order_groups_leave_the_far_side():
    """Two far lanes: group 0 takes 3 h there, group 1 1 h, so group 1 reaches us first (1 h)
    and is served first; group 0 arrives at 3 h and waits for our one lane until 1 + 2.5 h."""
    _, near, _ = _series([0.0, 0.0], [3.0, 1.0], [2.5, 2.5], far_lanes=2)
    assert near.arrive_h.tolist() == [3.0, 1.0]
    assert near.start_h.tolist() == [3.5, 1.0]


def test_a_processing_multiplier_applies_to_groups_starting_after_it():
    """1 h services back to back from 0 h; the multiplier becomes 0.5 at 1.5 h. Group 1 (in
    service since 1 h) keeps its 1 h; group 2 starts at 2 h and takes 0.5 h; group 3 at 2.5."""
    env = simpy.Environment()
    pool = LanePool(env, np.zeros(4), np.ones(4, dtype=np.int64), np.ones(4), max_lanes=1)
    pool.start()
    pool.set_open_lanes(1)

    def staff():
        yield env.timeout(1.5)
        pool.multiplier = 0.5

    env.process(staff())
    env.run()
    assert pool.start_h.tolist() == [0.0, 1.0, 2.0, 2.5]
    assert pool.service_h.tolist() == [1.0, 1.0, 0.5, 0.5]


# ---------------------------------------------------------------- Erlang-C
def test_mmc_through_an_infinitely_fast_far_side_matches_erlang_c():
    """As ``test_engine``'s M/M/4 at utilisation 0.9, with a far side of as many lanes as it
    needs and no processing time in front: each group reaches our control the instant it
    arrives, so the waits are those of the one-sided queue, within 3 % of Erlang-C."""
    waits = []
    for arrive, persons, service in mmc_samples():
        n = len(arrive)
        env = simpy.Environment()
        far = LanePool(env, arrive, persons, np.zeros(n), max_lanes=64)
        near = LanePool(env, arrive.copy(), persons, service, max_lanes=MMC_LANES)
        far.feed(near)
        far.start()
        near.start()
        far.set_open_lanes(64)
        near.set_open_lanes(MMC_LANES)
        env.run()
        assert np.array_equal(near.arrive_h, arrive)
        waits.append((near.start_h - arrive)[n // 50 :].mean())  # drop the warm-up
    expected = erlang_c_wait(MMC_LANES, MMC_LAMBDA, MMC_MU)
    assert np.mean(waits) == pytest.approx(expected, rel=0.03)


# ---------------------------------------------------------------- the engine, both sides
def test_the_queue_forms_at_the_slower_far_side(ref):
    """10 cars an hour against 5 an hour at the far side: by 24 h at most 120 have started
    there (one each 0.2 h), and at least 115 (the lane can idle only before the first hour's
    cars are in), so 120 to 125 persons queue there. They leave it at least 0.2 h apart and
    take 0.1 h here: nobody ever waits at our control."""
    res, hourly, _ = _run(_one_post(), ref)
    assert 120 <= hourly.loc[24, "far_queue_persons"] <= 125
    assert (hourly["queue_persons"] == 0).all()
    cp = res.summary["checkpoints"][POST]
    assert cp["max_wait_h"] == 0.0 and cp["max_queue_persons"] == 0
    assert cp["far_side_max_queue_persons"] >= 120
    assert cp["far_side_max_wait_h"] > 20  # the last car of day 1 waits about 24 h there
    assert res.summary["demand"] == {
        "presented": 240,
        "entered": 240,
        "turned_back": 0,
        "still_beyond_border": 0,
    }


def test_people_still_at_the_far_side_are_beyond_the_border_not_in_the_ledger(ref):
    """Two days: the far side needs 240 x 0.2 = 48 h after its first car (after 0 h), so at
    48 h at least the last car has not left it."""
    res, hourly, groups = _run(_one_post(horizon_days=2), ref)
    demand, ledger = res.summary["demand"], res.summary["ledger"]
    assert demand["presented"] == 240 and demand["turned_back"] == 0
    assert demand["still_beyond_border"] >= 1
    assert demand["entered"] + demand["still_beyond_border"] == 240
    assert demand["entered"] == ledger["arrived"] == hourly["arrived"].sum()
    assert demand["entered"] == groups["far_end_h"].notna().sum()
    assert hourly["presented"].sum() == 240


def test_a_processing_inject_halves_the_service_time_from_its_hour(ref):
    """Ours at 10 h and the far side at 24 h, multiplier 0.5: 0.1 h becomes 0.05 h for cars
    starting at our control from 10 h; 0.2 h becomes 0.1 h at the far side from 24 h."""
    data = _one_post()
    data["injects"] = [
        {"at_h": 10, "kind": "processing", "target": POST, "params": {"multiplier": 0.5}},
        {
            "at_h": 24,
            "kind": "processing",
            "target": POST,
            "params": {"multiplier": 0.5, "side": "far"},
        },
    ]
    _, _, g = _run(data, ref)
    near_after = g["start_h"] >= 10
    assert near_after.any() and (~near_after).any()
    assert (g.loc[~near_after, "service_h"] == NEAR_H).all()
    assert (g.loc[near_after, "service_h"] == NEAR_H * 0.5).all()
    far_after = g["far_start_h"] >= 24
    assert far_after.any() and (~far_after).any()
    assert (g.loc[~far_after, "far_service_h"] == FAR_H).all()
    assert (g.loc[far_after, "far_service_h"] == FAR_H * 0.5).all()


def test_a_shift_processing_multiplier_applies_in_its_hours(ref):
    """Our shifts (and so the far side's): 0-12 h as usual, 12-24 h with processing x 3
    (ours: 0.1 h -> 0.3 h)."""
    shifts = [
        {"start_h": 0, "end_h": 12, "lanes_open_share": 1.0},
        {"start_h": 12, "end_h": 24, "lanes_open_share": 1.0, "processing_multiplier": 3.0},
    ]
    _, _, g = _run(_one_post(shifts=shifts), ref)
    started = g.dropna(subset=["start_h"])
    slow = (started["start_h"] % 24) >= 12
    assert slow.any() and (~slow).any()
    assert np.allclose(started.loc[slow, "service_h"], 0.3)
    assert (started.loc[~slow, "service_h"] == NEAR_H).all()


def test_closing_the_far_side_stops_it_and_leaves_ours_idle(ref):
    """The far side shut 5-10 h: nothing starts there then, so nothing reaches us after the
    last car in service there at 5 h leaves (by 5.2 h) until 10 h."""
    data = _one_post()
    side = {"side": "far"}
    data["injects"] = [
        {"at_h": 5, "kind": "checkpoint_close", "target": POST, "params": side},
        {"at_h": 10, "kind": "checkpoint_open", "target": POST, "params": side},
    ]
    _, hourly, g = _run(data, ref)
    assert not ((g["far_start_h"] >= 5) & (g["far_start_h"] < 10)).any()
    assert not ((g["far_end_h"] > 5 + FAR_H) & (g["far_end_h"] < 10)).any()
    assert (hourly.loc[7:10, "far_lanes_car"] == 0).all() and hourly.loc[11, "far_lanes_car"] == 1
    assert (hourly.loc[7:10, "lanes_car"] == 1).all()  # ours stays open


def test_a_lanes_inject_on_the_far_side_opens_lanes_there_only(ref):
    data = _one_post()
    data["injects"] = [
        {"at_h": 12, "kind": "lanes", "target": POST, "params": {"car": 2, "side": "far"}}
    ]
    _, hourly, _ = _run(data, ref)
    assert hourly.loc[12, "far_lanes_car"] == 1 and hourly.loc[13, "far_lanes_car"] == 2
    assert (hourly["lanes_car"] == 1).all()


def test_turn_back_exactly_a_quarter_spread_evenly():
    """At 0.25 the running sum of shares rounds up at the 2nd, 6th, 10th, ... group."""
    every = turned_back(np.arange(8.0), ((0.0, 0.25),))
    assert np.flatnonzero(every).tolist() == [1, 5]
    assert turned_back(np.arange(1000.0), ((0.0, 0.25),)).sum() == 250
    later = turned_back(np.arange(10.0), ((0.0, 0.0), (6.0, 0.5)))
    assert np.flatnonzero(later).tolist() == [6, 8]
    assert not turned_back(np.arange(5.0), ()).any()


def test_turn_back_a_quarter_of_the_groups_reaching_the_far_side(ref):
    """240 one-person cars, share 0.25: exactly 60 turned back, the 2nd, 6th, ... to arrive;
    they never queue and never enter."""
    res, hourly, g = _run(_one_post(far={"turn_back_share": 0.25}), ref)
    assert np.flatnonzero(g["turned_back"]).tolist() == list(range(1, 240, 4))
    assert g.loc[g["turned_back"], ["far_start_h", "far_end_h", "start_h"]].isna().all().all()
    assert res.summary["checkpoints"][POST]["turned_back"] == 60
    assert hourly["turned_back"].sum() == 60
    assert res.summary["demand"] == {
        "presented": 240,
        "entered": 180,
        "turned_back": 60,
        "still_beyond_border": 0,
    }


def test_turn_back_from_an_hour_on(ref):
    """Share 0.5 from 12 h: of the 120 cars arriving from then on, 60 are turned back."""
    far = {"turn_back_share": [{"from_h": 0, "share": 0.0}, {"from_h": 12, "share": 0.5}]}
    _, _, g = _run(_one_post(far=far), ref)
    assert g["turned_back"].sum() == 60
    assert (g.loc[g["turned_back"], "arrive_h"] >= 12).all()


def test_queues_in_vehicles_and_km(ref):
    """Cars take 6.5 m each (``maps/vehicles.csv``); ours queue on 2 lanes of road, the far
    side's on 1: km = vehicles x 6.5 / 1000 / lanes."""
    car_m = vehicle_length_m()["car"]
    assert car_m == 6.5
    data = _one_post(approach={"queue_lanes": 2}, far={"approach": {"queue_lanes": 1}})
    data["injects"] = [{"at_h": 2, "kind": "checkpoint_close", "target": POST}]  # ours shut
    res, hourly, _ = _run(data, ref)
    assert (hourly["queue_vehicles"] == hourly["queue_persons"]).all()  # one person a car
    assert np.allclose(hourly["queue_km"], hourly["queue_vehicles"] * car_m / 1000 / 2)
    assert np.allclose(hourly["far_queue_km"], hourly["far_queue_vehicles"] * car_m / 1000)
    cp = res.summary["checkpoints"][POST]
    km = max(hourly["queue_km"].max(), hourly["far_queue_km"].max())
    assert cp["max_queue_km"] == round(km, 3)
    assert cp["baseline_persons"] == cp["diverted_in"] == cp["diverted_out"] == 0
    assert res.summary["baseline"] == {"inbound": 0, "outbound": 0, "trucks": 0}


# ---------------------------------------------------------------- ordinary traffic
def _fast_far(**override) -> dict:
    """``_one_post`` with a far side that never holds anyone (64 car lanes, 12 min) and our
    car lane taking 3 min a car."""
    data = _one_post(horizon_days=2, far={"lanes": {"car": 64, "truck": 64}}, **override)
    data["checkpoint_overrides"][POST]["processing"]["car"]["min_per_vehicle"] = 3.0
    return data


def test_outbound_ordinary_traffic_lengthens_waits_on_our_shared_lanes(ref):
    """Our one car lane serves 20 cars an hour (3 min each). The influx brings 10 an hour:
    nobody waits long. 480 ordinary travellers leaving by car (single-person cars, 20 an
    hour) share the lane: 30 an hour come, 20 an hour leave, so by 23 h 690 have come and at
    most 20 x t + 1 have started by time t. An influx car arriving in hour 24 finds at least
    690 - 481 = 209 ahead and waits at least 209 / 20 = 10.45 h. At 24 h at least
    720 - 481 = 239 persons queue (both kinds). Outbound traffic never passes the far side."""
    quiet, _quiet_hourly, _ = _run(_fast_far(), ref)
    assert quiet.summary["checkpoints"][POST]["max_wait_h"] < 0.5
    busy_data = _fast_far(
        baseline={
            "inbound_persons_per_day": 0,
            "outbound_persons_per_day": 480,
            "trucks_per_day": 0,
            "mode_mix": SINGLE_CARS,
        }
    )
    busy, hourly, _ = _run(busy_data, ref)
    cp = busy.summary["checkpoints"][POST]
    assert cp["max_wait_h"] >= 10.45
    both = hourly.loc[24, "queue_persons"] + hourly.loc[24, "baseline_queue_persons"]
    assert 239 <= both <= 241
    assert hourly["far_queue_persons"].max() == 0 and hourly["far_queue_vehicles"].max() == 0
    # counted apart: never in the ledger, reported in baseline
    assert busy.summary["ledger"]["arrived"] == busy.summary["demand"]["entered"] == 240
    assert busy.summary["baseline"]["inbound"] == 0
    assert 960 - 241 <= busy.summary["baseline"]["outbound"] == cp["baseline_persons"] <= 960
    assert hourly["baseline_processed"].sum() == busy.summary["baseline"]["outbound"]


def test_inbound_ordinary_traffic_passes_both_sides_and_fills_the_road(ref):
    """240 ordinary single-person cars a day come in with the influx's 240 on day 1, through
    the far side; ours is shut from hour 2. The 20 cars of hour 1 are 1 h of work on our lane,
    all started by hour 2, and at most 2 / 0.05 + 1 = 41 start before the close: by 24 h at
    most 480 - 20 = 460 and at least 480 - 41 - those still at the far side (at most the
    arrivals of its last 12 min) stand on our road, each 6.5 m. The persons queue counts only
    the influx; the vehicles and km count every car on the road."""
    data = _fast_far(
        baseline={
            "inbound_persons_per_day": 240,
            "outbound_persons_per_day": 0,
            "trucks_per_day": 0,
            "mode_mix": SINGLE_CARS,
        }
    )
    data["injects"] = [{"at_h": 2, "kind": "checkpoint_close", "target": POST}]
    res, hourly, _ = _run(data, ref)
    at24 = hourly.loc[24]
    assert at24["queue_vehicles"] == at24["queue_persons"] + at24["baseline_queue_persons"]
    assert 415 <= at24["queue_vehicles"] <= 460
    assert at24["queue_persons"] > 0 and at24["baseline_queue_persons"] > 0
    assert at24["queue_km"] == pytest.approx(at24["queue_vehicles"] * 6.5 / 1000)
    assert res.summary["ledger"]["arrived"] == 240


def test_trucks_use_truck_lanes_and_a_shift_can_open_them_to_cars(ref):
    """48 trucks a day (24 each way) on our one truck lane leave the car lane alone; a shift
    opening that truck lane to cars gives cars two lanes and trucks none, so no truck is
    processed and cars clear twice as fast. Trucks stand on the cars' road only where the
    approach is shared."""
    trucks = {"inbound_persons_per_day": 0, "outbound_persons_per_day": 0, "trucks_per_day": 48}
    lanes = {"car": 1, "bus": 1, "truck": 1, "pedestrian": 1}
    res, hourly, _ = _run(_fast_far(baseline=trucks, lanes=lanes), ref)
    assert res.summary["baseline"]["trucks"] >= 96 - 2
    assert (hourly["lanes_truck"] == 1).all() and (hourly["lanes_car"] == 1).all()
    opened = _fast_far(
        baseline=trucks,
        lanes=lanes,
        shifts=[{"start_h": 0, "end_h": 24, "lanes_open_share": 1.0, "truck_lanes_to_cars": 1}],
    )
    res2, hourly2, _ = _run(opened, ref)
    assert (hourly2["lanes_truck"] == 0).all() and (hourly2["lanes_car"] == 2).all()
    assert res2.summary["baseline"]["trucks"] == 0
    assert 22 <= hourly2.loc[24, "truck_queue_vehicles"] <= 24  # inbound ones of day 1
    assert hourly2.loc[24, "queue_vehicles"] == hourly2.loc[24, "queue_persons"]  # own road
    shared = _fast_far(
        baseline=trucks,
        lanes=lanes,
        approach={"queue_lanes": 1, "shared_with_trucks": True},
        shifts=opened["checkpoint_overrides"][POST]["shifts"],
    )
    _, hourly3, _ = _run(shared, ref)
    at24 = hourly3.loc[24]
    assert at24["queue_vehicles"] == at24["queue_persons"] + at24["truck_queue_vehicles"]


def test_on_a_shared_one_file_road_a_stuck_truck_holds_up_the_cars_behind_it(ref):
    """Our truck lane is shut (0 lanes), so the first inbound truck to reach our control can
    never leave the road. On its own road nothing changes for cars; on a shared one-file road
    every car reaching our control after that truck waits behind it to the end of the run,
    while every car before it is processed. With two files the cars pass the first stuck
    truck, until a second one stops in the other file."""
    trucks = {"inbound_persons_per_day": 0, "outbound_persons_per_day": 0, "trucks_per_day": 48}
    lanes = {"car": 1, "bus": 1, "truck": 0, "pedestrian": 1}

    def run(approach):
        data = _fast_far(baseline=trucks, lanes=lanes, approach=approach)
        data["checkpoint_overrides"][POST]["far_side"]["lanes"]["truck"] = 64
        return _run(data, ref)

    _own_road, _, cars = run({"queue_lanes": 1, "shared_with_trucks": False})
    assert cars["start_h"].notna().all()
    _res, hourly, cars = run({"queue_lanes": 1, "shared_with_trucks": True})
    assert cars["start_h"].notna().any() and cars["start_h"].isna().any()
    last_served = cars.loc[cars["start_h"].notna(), "far_end_h"].max()
    first_stuck = cars.loc[cars["start_h"].isna(), "far_end_h"].min()
    assert last_served < first_stuck  # in the order they reached our control
    assert (cars.loc[cars["far_end_h"] > first_stuck, "start_h"].isna()).all()
    assert (
        hourly.loc[24, "queue_vehicles"]
        == hourly.loc[24, "queue_persons"] + hourly.loc[24, "truck_queue_vehicles"]
    )
    _, _, cars2 = run({"queue_lanes": 2, "shared_with_trucks": True})
    assert cars["start_h"].notna().sum() < cars2["start_h"].notna().sum() < len(cars2)


# ---------------------------------------------------------------- diversion
OTHER = "kaplanbek"  # 12 km west of Zhibek Zholy on the same (Uzbek) border


def _two_posts(diversion: dict, injects: list | None = None) -> dict:
    """``_one_post`` (a far side of 5 cars an hour against 10 coming) and an idle Kaplanbek
    with the same lanes and times; half the groups know the queues."""
    data = _one_post(horizon_days=2)
    data["checkpoints"] = [POST, OTHER]
    data["checkpoint_overrides"][OTHER] = data["checkpoint_overrides"][POST]
    data["diversion"] = diversion
    data["injects"] = injects or []
    return data


def test_diversion_moves_informed_groups_to_a_crossing_with_a_shorter_queue(ref):
    """Every other group is informed (120 of 240), and sees the queues as they stood an hour
    before. The 10 informed groups of hours 0-1 know nothing yet or see an empty queue (at
    hour 0), so they stay; from hour 2 the far-side queue here is several groups deep
    (expected wait over 1 h) against none at Kaplanbek, 12 km x 1.16 / 60 km/h = 0.23 h
    away, so the informed groups leave: at most 110, and (the queue here never empties while
    5 an hour come for 5 an hour served) at least 100. Each is counted once: presented
    here, diverted out here, diverted in and entered there."""
    res, _hourly, groups = _run(
        _two_posts({"informed_share": 0.5, "info_delay_h": 1.0, "max_detour_h": 6.0}), ref
    )
    here, there = res.summary["checkpoints"][POST], res.summary["checkpoints"][OTHER]
    assert 100 <= here["diverted_out"] <= 110
    assert there["diverted_in"] == here["diverted_out"] and here["diverted_in"] == 0
    assert here["presented"] == 240 and there["presented"] == 0
    assert res.summary["demand"]["presented"] == 240
    assert res.summary["demand"]["entered"] == res.summary["ledger"]["arrived"]
    moved = groups[groups["diverted_to"] != ""]
    assert set(moved["diverted_to"]) == {OTHER} and (moved["diverted_h"] >= 2).all()
    came = groups[groups["diverted_from"] == POST]
    assert len(came) == len(moved) and (came["checkpoint"] == OTHER).all()
    # each arrives there one drive after it chose
    a, b = ref.checkpoints.loc[POST], ref.checkpoints.loc[OTHER]
    drive_h = great_circle_km(a["lat"], a["lon"], b["lat"], b["lon"]) * DETOUR_FACTOR / 60
    assert 0.2 < drive_h < 0.25
    assert np.allclose(came["arrive_h"] - came["diverted_h"], drive_h)
    alone, _, _ = _run(_one_post(horizon_days=2), ref)
    assert here["far_side_max_wait_h"] < alone.summary["checkpoints"][POST]["far_side_max_wait_h"]


def test_diversion_never_goes_to_a_closed_or_too_distant_crossing(ref):
    closed = _two_posts(
        {"informed_share": 0.5, "info_delay_h": 1.0, "max_detour_h": 6.0},
        [{"at_h": 0, "kind": "checkpoint_close", "target": OTHER, "params": {"side": "far"}}],
    )
    res, _, _ = _run(closed, ref)
    assert res.summary["checkpoints"][POST]["diverted_out"] == 0
    too_far = _two_posts({"informed_share": 0.5, "info_delay_h": 1.0, "max_detour_h": 0.2})
    res, _, _ = _run(too_far, ref)
    assert res.summary["checkpoints"][POST]["diverted_out"] == 0


def test_vehicle_lengths_are_data_and_the_harness_reads_them():
    from contingency.history import observables

    lengths = vehicle_length_m()
    assert lengths == {"car": 6.5, "bus": 14.0, "truck": 18.5}
    assert lengths["car"] == observables.CAR_QUEUE_M
    assert lengths["bus"] == observables.BUS_QUEUE_M


# ---------------------------------------------------------------- every bundled scenario
@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_the_demand_identity_holds_in_every_bundled_scenario(path, ref):
    """presented - diverted out + diverted in == entered + turned_back + still_beyond_border
    at every checkpoint, presented == entered + turned_back + still_beyond_border in total, and
    entered is the ledger's arrived (over the first four days of each)."""
    sc = load_scenario(path, ref=ref)
    sc = sc.model_copy(update={"horizon_days": min(sc.horizon_days, 4)})
    out = simulate(sc, ref, route=False)
    w = out.waits
    here = w["presented"] - w["diverted_out"] + w["diverted_in"]
    assert (here == w["entered"] + w["turned_back"] + w["still_beyond_border"]).all()
    assert w["diverted_out"].sum() == w["diverted_in"].sum()
    total = w[["entered", "turned_back", "still_beyond_border"]].to_numpy().sum()
    assert w["presented"].sum() == total
    assert w["entered"].sum() + out.internal["displaced"] == out.ledger["arrived"].iloc[-1]
    per_cp = out.checkpoints.groupby("checkpoint")[["presented", "arrived"]].sum()
    whole = w.set_index("checkpoint").reindex(per_cp.index)
    assert per_cp["presented"].tolist() == whole["presented"].tolist()
    assert per_cp["arrived"].tolist() == whole["entered"].tolist()


# ---------------------------------------------------------------- validation
def _bad(path: str, value) -> dict:
    data = _one_post()
    node = data
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    return data


_OV = f"checkpoint_overrides.{POST}"
_INJ = {"at_h": 3, "target": POST}
BAD = [
    (f"{_OV}.far_side.lanes.car", -1, f"{_OV}.far_side.lanes.car", "greater than or equal"),
    (f"{_OV}.far_side.lanes.plane", 1, f"{_OV}.far_side.lanes.plane", "input should be"),
    (f"{_OV}.far_side.processing.lorry", {}, f"{_OV}.far_side.processing", "unknown key"),
    (f"{_OV}.far_side.turn_back_share", 1.5, f"{_OV}.far_side.turn_back_share", "less than"),
    (
        f"{_OV}.far_side.turn_back_share",
        [{"from_h": 5, "share": 0.1}, {"from_h": 2, "share": 0.1}],
        f"{_OV}.far_side.turn_back_share.1.from_h",
        "after the previous entry",
    ),
    (
        f"{_OV}.far_side.turn_back_share",
        [{"from_h": 5, "share": 2}],
        f"{_OV}.far_side.turn_back_share.0.share",
        "less than",
    ),
    (f"{_OV}.far_side.gates", 3, f"{_OV}.far_side.gates", "unknown key"),
    (
        f"{_OV}.far_side.shifts",
        [{"start_h": 0, "end_h": 24, "lanes_open_share": 1, "processing_multiplier": 0}],
        f"{_OV}.far_side.shifts.0.processing_multiplier",
        "greater than 0",
    ),
    (f"{_OV}.approach.queue_lanes", 0, f"{_OV}.approach.queue_lanes", "greater than or equal"),
    (f"{_OV}.approach.shared_with_trucks", "often", f"{_OV}.approach.shared_with_trucks", "bool"),
    (f"{_OV}.far_side.approach.lanes", 2, f"{_OV}.far_side.approach.lanes", "unknown key"),
    (
        "injects",
        [{**_INJ, "kind": "processing", "params": {"multiplier": 0}}],
        "injects.0.params.multiplier",
        "greater than 0",
    ),
    (
        "injects",
        [{**_INJ, "kind": "processing", "params": {"multiplier": 1e9}}],
        "injects.0.params.multiplier",
        "less than or equal",
    ),
    ("injects", [{**_INJ, "kind": "processing"}], "injects.0.params", "required"),
    (
        "injects",
        [{**_INJ, "kind": "processing", "params": {"multiplier": 2, "side": "middle"}}],
        "injects.0.params.side",
        "'near' or 'far'",
    ),
    (
        "injects",
        [{**_INJ, "kind": "checkpoint_close", "params": {"side": "other"}}],
        "injects.0.params.side",
        "'near' or 'far'",
    ),
    (
        "injects",
        [{**_INJ, "kind": "lanes", "params": {"car": 2, "side": "far", "plane": 1}}],
        "injects.0.params",
        "unknown key 'plane'",
    ),
    (
        "injects",
        [{**_INJ, "kind": "lanes", "params": {"car": 201, "side": "far"}}],
        "injects.0.params.car",
        "less than or equal to 200",
    ),
    ("diversion.informed_share", 1.5, "diversion.informed_share", "less than or equal"),
    ("diversion.max_detour_h", 0, "diversion.max_detour_h", "greater than 0"),
    ("diversion.info_delay_h", -1, "diversion.info_delay_h", "greater than or equal"),
    ("diversion.detour_speed_kmh", 500, "diversion.detour_speed_kmh", "less than or equal"),
    ("diversion.aware_share", 0.5, "diversion.aware_share", "unknown key"),
    (
        f"{_OV}.shifts",
        [{"start_h": 0, "end_h": 24, "lanes_open_share": 1, "truck_lanes_to_cars": -1}],
        f"{_OV}.shifts.0.truck_lanes_to_cars",
        "greater than or equal",
    ),
    (
        f"{_OV}.baseline.mode_mix.car",
        {"share": 1.0, "occupancy": {2: 0.5}},
        f"{_OV}.baseline.mode_mix.car.occupancy",
        "sum to 1",
    ),
    (f"{_OV}.baseline.trucks_per_day", -5, f"{_OV}.baseline.trucks_per_day", "greater than"),
]


@pytest.mark.parametrize(("at", "value", "field", "words"), BAD, ids=[b[2] for b in BAD])
def test_validate_names_each_new_key_with_its_field_path(at, value, field, words, ref):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_bad(at, value), file="bad.yaml", ref=ref)
    lines = str(err.value).splitlines()
    assert any(line.startswith(f"bad.yaml: {field}:") and words in line for line in lines), lines


def test_old_scenarios_and_new_keys_load_and_round_trip(ref):
    """A ``lanes`` inject's params are still the lane mapping; ``side`` sits beside it; a
    scenario written out and read back is the same."""
    from contingency.scenario import dump_scenario

    data = _one_post(far={"turn_back_share": [{"from_h": 3, "share": 0.2}]})
    data["injects"] = [
        {**_INJ, "kind": "lanes", "params": {"car": 2}},
        {**_INJ, "kind": "lanes", "params": {"car": 3, "side": "far"}},
        {**_INJ, "kind": "processing", "params": {"multiplier": 0.7, "side": "far"}},
        {**_INJ, "kind": "checkpoint_close", "params": {"side": "far"}},
        {**_INJ, "kind": "checkpoint_open"},
    ]
    sc = parse_scenario(data, ref=ref)
    assert sc.injects[0].params.get("car") == 2 and sc.injects[0].params.side == "near"
    assert sc.injects[1].params.lanes == {"car": 3}
    again = parse_scenario(yaml.safe_load(dump_scenario(sc)), ref=ref)
    assert again == sc
