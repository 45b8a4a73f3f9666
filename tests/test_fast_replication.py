"""Cheaper stress replications give the same results.

Settled lane pools (served off the SimPy schedule between the controllers' events) start every
group of every bundled scenario at the time the SimPy model starts it; a lean replication
gives the figures of a full run; a tie between a group's event and a controller's falls back to
the SimPy schedule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from contingency.resources import SCENARIOS_DIR
from contingency.scenario import load_scenario, scenario_refdata
from contingency.sim.border import CheckpointRun, run_border
from contingency.sim.centres import Downstream
from contingency.sim.checkpoint import LanePool, SimultaneousEvents
from contingency.sim.engine import _cums_by_hour, _cums_sorted, simulate
from contingency.sim.settle import SettledState
from contingency.stress.metrics import lean_replication, replication_record
from contingency.stress.runner import replicate

BUNDLED = sorted(SCENARIOS_DIR.glob("*.yaml")) + sorted(
    SCENARIOS_DIR.glob("history/*/scenario.yaml")
)


def _pools(runs: dict[str, CheckpointRun]) -> list[tuple[str, LanePool]]:
    return [
        (f"{cp}/{side}/{lm.value}", pool)
        for cp, run in runs.items()
        for side in ("far", "near")
        for lm, pool in getattr(run, side).pools.items()
    ]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: Path(p).parent.name + "/" + p.stem)
def test_settled_pools_start_every_group_when_simpy_does(path: Path):
    sc = load_scenario(path)
    ref = scenario_refdata(sc)
    simpy_runs = run_border(sc, ref, settle=False)
    settled_runs = run_border(sc, ref)
    pairs = list(zip(_pools(simpy_runs), _pools(settled_runs), strict=True))
    for (name, a), (_, b) in pairs:
        assert not a.settled
        for field in ("start_h", "service_h", "arrive_h"):
            assert np.array_equal(getattr(a, field), getattr(b, field)), (name, field)
        assert (a.busy, a.queued_persons, len(a.queue)) == (b.busy, b.queued_persons, len(b.queue))
    if path.stem == "south_conflict":  # the default scenario takes the settled path
        assert all(b.settled for _, (_, b) in pairs)


def test_a_lean_replication_gives_the_full_runs_figures(south_base):
    sc, result = south_base
    lean = lean_replication(sc, scenario_refdata(sc), seed=sc.seed)
    assert lean == replication_record(result)


def test_replicate_gives_the_full_runs_figures_on_the_smoke_scenario(ref):
    from contingency.results import run_scenario

    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    full = replication_record(run_scenario(sc, ref, seed=7, settle=False))
    assert replicate(sc, 7) == full


def _settled_pair(arrive_h: list[float]) -> tuple[simpy.Environment, LanePool, LanePool]:
    env = simpy.Environment()
    n = len(arrive_h)
    persons = np.ones(n, dtype=np.int64)
    far = LanePool(env, np.asarray(arrive_h), persons, np.full(n, 0.25), max_lanes=1)
    near = LanePool(env, np.zeros(n), persons, np.full(n, 0.5), max_lanes=1)
    far.feed(near)
    for pool in (far, near):
        pool.settled = True
        pool.start()
    return env, far, near


def test_a_settled_pool_serves_in_order_and_catches_up_on_demand():
    env, far, near = _settled_pair([0.1, 0.2, 0.3])

    def control():
        far.set_open_lanes(1)
        near.set_open_lanes(1)
        yield env.timeout(2.0)
        near.set_open_lanes(1)

    env.process(control())
    env.run(until=3.0)
    far.settle(3.0, final=True)
    near.settle(3.0, final=True)
    assert far.start_h.tolist() == pytest.approx([0.1, 0.35, 0.6])
    assert near.arrive_h.tolist() == pytest.approx([0.35, 0.6, 0.85])
    assert near.start_h.tolist() == pytest.approx([0.35, 0.85, 1.35])


def test_an_arrival_at_a_controllers_instant_is_left_to_simpy():
    env, far, near = _settled_pair([0.5, 1.0])

    def control():
        far.set_open_lanes(1)
        near.set_open_lanes(1)
        yield env.timeout(1.0)
        far.set_open_lanes(0)  # the arrival at 1.0 would start before or after: SimPy decides

    env.process(control())
    with pytest.raises(SimultaneousEvents):
        env.run(until=2.0)


def test_run_border_falls_back_to_the_simpy_schedule(ref, monkeypatch):
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    expected = run_border(sc, ref, settle=False)

    def tie(state: SettledState, until: float, *args: object) -> float:
        raise SimultaneousEvents(until)

    monkeypatch.setattr(SettledState, "serve", tie)
    runs = run_border(sc, ref)
    for (name, a), (_, b) in zip(_pools(expected), _pools(runs), strict=True):
        assert not b.settled
        assert np.array_equal(a.start_h, b.start_h), name


def _random_pair(seed: int, *, settled: bool) -> tuple[LanePool, LanePool]:
    """A far pool feeding a near one (some groups start at the near one), 2 lanes at most
    each, lanes and processing multiplier changed every hour by a controller."""
    rng = np.random.default_rng(seed)
    n_far, n_own = 300, 60
    env = simpy.Environment()
    far = LanePool(
        env,
        np.sort(rng.uniform(0, 40, n_far)),
        rng.integers(1, 5, n_far),
        rng.gamma(2.0, 0.1, n_far),
        max_lanes=3,
    )
    own = np.sort(rng.uniform(0, 40, n_own))
    near = LanePool(
        env,
        np.concatenate([np.zeros(n_far), own]),
        rng.integers(1, 5, n_far + n_own),
        rng.gamma(2.0, 0.12, n_far + n_own),
        max_lanes=3,
    )
    far.feed(near)
    for pool in (far, near):
        pool.settled = settled
        pool.start()
    plan = rng.integers(0, 4, (48, 2))
    factor = rng.choice([1.0, 0.5, 1.5], 48)

    def control():
        for h in range(48):
            for pool, lanes in zip((far, near), plan[h], strict=True):
                pool.set_open_lanes(int(lanes))
                pool.multiplier = float(factor[h])
            yield env.timeout(1.0)

    env.process(control())
    env.run(until=48.0)
    if settled:
        far.settle(48.0, final=True)
        near.settle(48.0, final=True)
    return far, near


@pytest.mark.parametrize("seed", range(6))
def test_settled_pools_match_simpy_under_changing_lanes_and_multipliers(seed: int):
    pairs = zip(_random_pair(seed, settled=False), _random_pair(seed, settled=True), strict=True)
    for a, b in pairs:
        assert np.isfinite(a.start_h).sum() > 100
        for field in ("start_h", "service_h", "arrive_h"):
            assert np.array_equal(getattr(a, field), getattr(b, field)), field
        assert (a.busy, a.queued_persons, list(a.queue)) == (
            b.busy,
            b.queued_persons,
            list(b.queue),
        )


@settings(max_examples=200, deadline=None)
@given(
    times=st.lists(
        st.one_of(
            st.floats(-3, 60, allow_nan=False),
            st.sampled_from([0.0, 1.0, 24.0, 47.999999, 48.0, np.inf]),
        ),
        min_size=1,
        max_size=80,
    ),
    n_hours=st.integers(1, 50),
    data=st.data(),
)
def test_counts_by_the_hour_are_the_sorted_counts(times, n_hours, data):
    t = np.array(times)
    weights = {
        "persons": np.array(
            data.draw(st.lists(st.integers(0, 9), min_size=len(t), max_size=len(t)))
        ),
        "ones": np.ones(len(t), dtype=np.int64),
    }
    hours = np.arange(1, n_hours + 1, dtype=float)
    by_hour = _cums_by_hour(t, weights, n_hours)
    sorted_ = _cums_sorted(t, weights, hours)
    for k in weights:
        assert by_hour[k].dtype == sorted_[k].dtype
        assert by_hour[k].tolist() == sorted_[k].tolist(), k


FAR_SLOWER = {"multiplier": 1.7, "side": "far"}
FAR_LANES = {"car": 1, "pedestrian": 1, "side": "far"}


def _sleeping_controllers_scenario(ref, **zhibek_zholy):
    """The smoke scenario with shifts on both sides at one crossing and injects acting on
    the border at the start, on whole and on fractional hours, on both sides (and
    ``zhibek_zholy`` overrides added)."""
    import yaml

    from contingency.scenario.load import parse_scenario

    data = yaml.safe_load((SCENARIOS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    data["checkpoint_overrides"]["zhibek_zholy"].update(zhibek_zholy)
    data["checkpoint_overrides"]["kaplanbek"] = {
        "shifts": [
            {"start_h": 22, "end_h": 6, "lanes_open_share": 0.5, "processing_multiplier": 1.3},
            {"start_h": 6, "end_h": 22, "lanes_open_share": 1.0},
        ],
        "far_side": {"shifts": [{"start_h": 7, "end_h": 19, "lanes_open_share": 1.0}]},
    }
    data["injects"] += [
        {"at_h": 0, "kind": "lanes", "target": "kaplanbek", "params": {"car": 2}},
        {"at_h": 1, "kind": "processing", "target": "zhibek_zholy", "params": {"multiplier": 1.5}},
        {"at_h": 15.5, "kind": "processing", "target": "kaplanbek", "params": FAR_SLOWER},
        {"at_h": 22, "kind": "lanes", "target": "kaplanbek", "params": FAR_LANES},
        {"at_h": 27.25, "kind": "checkpoint_close", "target": "atameken"},
        {"at_h": 31, "kind": "checkpoint_open", "target": "atameken"},
    ]
    return parse_scenario(data, file="smoke.yaml", base_dir=SCENARIOS_DIR, ref=ref)


@pytest.mark.parametrize("settle", [False, True], ids=["simpy", "settled"])
def test_controllers_that_sleep_between_changes_run_as_hourly_ones(ref, monkeypatch, settle):
    """A controller of settled pools with no surge and no diversion wakes only at the hours
    where a shift or an inject can change something: every group starts, and every lane is
    logged, as when it woke every hour."""
    import contingency.sim.border as border

    sc = _sleeping_controllers_scenario(ref)
    ref = scenario_refdata(sc, ref=ref)
    sleeping = run_border(sc, ref, settle=settle)
    woken = [h for run in sleeping.values() if (h := border._wake_hours(run, [])) is not None]
    if settle:  # on the SimPy schedule every controller wakes every hour
        assert woken and max(len(h) for h in woken) < sc.horizon_days * 24 / 2
    else:
        assert not woken
    monkeypatch.setattr(border, "_wake_hours", lambda cp, at_h: None)
    hourly = run_border(sc, ref, settle=settle)
    for (name, a), (_, b) in zip(_pools(hourly), _pools(sleeping), strict=True):
        for field in ("start_h", "service_h", "arrive_h"):
            assert np.array_equal(getattr(a, field), getattr(b, field)), (name, field)
    for cp, run in hourly.items():
        for side in ("near", "far"):
            got, want = getattr(sleeping[cp], side).lanes_log, getattr(run, side).lanes_log
            assert all(np.array_equal(got[m], want[m]) for m in want), (cp, side)


def test_a_prepared_scenario_gives_each_replication_what_a_fresh_one_does(ref):
    """Replications of one scenario share its seed-free part (plan, planned persons, road
    network); a road closed in one replication is open again at the start of the next."""
    from contingency.sim import prepared

    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)  # closes and reopens a road
    sc = sc.model_copy(update={"injects": [i for i in sc.injects if i.kind != "road_open"]})
    ref = scenario_refdata(sc, ref=ref)
    prepared.forget()
    first = [lean_replication(sc, ref, seed=s) for s in (3, 4, 3)]
    kept = prepared.prepared_for(sc.model_copy(update={"seed": 99}), ref)
    assert kept is prepared.prepared_for(sc, ref)
    assert kept.network.closed  # the last replication left its road closed
    assert not Downstream(sc, ref, [], network=kept.network).network.closed
    prepared.forget()
    fresh = lean_replication(sc, ref, seed=3)
    assert first[0] == first[2] == fresh
    assert first[1] != first[0]
    other = sc.model_copy(update={"horizon_days": 1})
    with pytest.raises(ValueError, match="prepared for another scenario"):
        simulate(other, ref, prepared=kept)


def test_each_thread_keeps_its_own_preparation(ref):
    """Replications running in threads of one worker do not share a road network."""
    from concurrent.futures import ThreadPoolExecutor

    from contingency.sim import prepared

    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    ref = scenario_refdata(sc, ref=ref)
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda _: prepared.prepared_for(sc, ref), range(2)))
    here = prepared.prepared_for(sc, ref)
    assert len({id(p) for p in [*got, here]}) >= 2
    assert all(p.network is not here.network for p in got if p is not here)


@given(seed=st.integers(0, 2**32 - 1), names=st.lists(st.text(max_size=12), max_size=5))
@settings(max_examples=60, deadline=None)
def test_a_stream_is_what_default_rng_makes_of_its_seed_sequence(seed, names):
    import zlib

    from contingency.sim.rng import stream

    key = tuple(zlib.crc32(n.encode("utf-8")) for n in names)
    expected = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=key))
    assert stream(seed, *names).random(4).tolist() == expected.random(4).tolist()


def test_services_of_whole_hours_at_a_sleeping_controllers_hour_fall_back_to_simpy(
    ref, monkeypatch
):
    """Processing of exactly one hour (no variation) ends services at whole hours, where a
    shift changes the lanes: such ties are the SimPy schedule's to order, with every
    controller waking every hour, so every group starts as in the SimPy model."""
    import contingency.sim.border as border

    hour = {"min_per_vehicle": 60.0, "min_per_person": 0.0}
    processing = {"cv": 0.0, "car": hour, "bus": hour, "pedestrian": {"min_per_person": 60.0}}
    sc = _sleeping_controllers_scenario(ref, processing=processing)
    ref = scenario_refdata(sc, ref=ref)
    builds = []
    real_build = border.build_border
    monkeypatch.setattr(
        border, "build_border", lambda *a, **k: builds.append(k["settled"]) or real_build(*a, **k)
    )
    settled = run_border(sc, ref)
    assert builds == [True, False]  # a tie at a controller's hour: run again on SimPy's schedule
    monkeypatch.setattr(border, "_wake_hours", lambda cp, at_h: None)
    reference = run_border(sc, ref, settle=False)  # the SimPy model, controllers hourly
    for (name, a), (_, b) in zip(_pools(reference), _pools(settled), strict=True):
        assert np.array_equal(a.start_h, b.start_h), name
