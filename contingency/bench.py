"""Benchmark, side by side in one process (figures, not asserts):

(a) the full pipeline on a generated 30-day, 1,000,000-person scenario over the ten checkpoints;
(b) a bare SimPy single-queue loop with one process per person (200,000 persons);
(c) Ciw running only the checkpoint stage of (a), one Ciw individual per group;
(h) peak memory of the full pipeline at 10,000,000 persons, in a child process;
(f), (g) like with like, in CPU seconds: our border stage against plain SimPy on the same
groups and Ciw one lane pool at a time; a stress replication before and after lean runs.
"""

from __future__ import annotations

import gc
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import psutil  # type: ignore[import-untyped]
import simpy

from contingency.domain import LaneMode
from contingency.refdata import RefData, load_refdata
from contingency.scenario import Mode, Scenario, parse_scenario
from contingency.scenario.plan import resolve

BENCH_PERSONS = 1_000_000
MODE_MIX = {
    "car": {"share": 0.70, "occupancy": {1: 0.15, 2: 0.25, 3: 0.25, 4: 0.20, 5: 0.15}},
    "bus": {"share": 0.20, "occupancy": {20: 0.15, 30: 0.30, 40: 0.35, 50: 0.20}},
    "pedestrian": {"share": 0.10, "occupancy": {1: 0.25, 2: 0.20, 3: 0.20, 4: 0.20, 5: 0.15}},
}


NO_ORDINARY_TRAFFIC = {
    "inbound_persons_per_day": 0,
    "outbound_persons_per_day": 0,
    "trucks_per_day": 0,
}


def bench_scenario(
    ref: RefData, persons: int = BENCH_PERSONS, *, ordinary: bool = False
) -> Scenario:
    """30 days, ``persons`` spread evenly over the ten modernised checkpoints, crisis lanes;
    ordinary traffic switched off unless ``ordinary`` (then the map pack's)."""
    ids = ref.modernised_ids
    each = persons // len(ids)
    influx = {
        cp: {
            "curve": {
                "total_persons": each + (persons - each * len(ids) if i == 0 else 0),
                "ramp_days": 3,
                "plateau_days": 10,
                "half_life_days": 6,
            }
        }
        for i, cp in enumerate(ids)
    }
    crisis = {
        "lanes": {"car": 6, "bus": 2, "pedestrian": 10},
        "processing": {
            "car": {"min_per_vehicle": 3.0, "min_per_person": 0.5},
            "bus": {"min_per_vehicle": 6.0, "min_per_person": 0.5},
            "pedestrian": {"min_per_person": 1.0},
        },
    }
    if not ordinary:
        crisis["baseline"] = NO_ORDINARY_TRAFFIC
    return parse_scenario(
        {
            "name": "bench_1m",
            "trigger": "other",
            "start": datetime(2027, 1, 1),
            "horizon_days": 30,
            "seed": 1,
            "influx": influx,
            "mode_mix": MODE_MIX,
            "checkpoint_overrides": dict.fromkeys(ids, crisis),
            "transport": {"bus_seats": 45, "buses_per_day": 1500, "onward_buses_per_day": 60},
        },
        file="<bench>",
        ref=ref,
    )


class _PeakRSS:
    """Sample this process's resident memory every 5 ms in a thread; ``peak_mb`` after exit."""

    def __enter__(self) -> _PeakRSS:
        self._process = psutil.Process()
        self.peak_mb = self._rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            self.peak_mb = max(self.peak_mb, self._rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._rss_mb())

    def _rss_mb(self) -> float:
        return self._process.memory_info().rss / 2**20


def full_pipeline(sc: Scenario, ref: RefData) -> int:
    from contingency.results import run_scenario

    res = run_scenario(sc, ref)
    with tempfile.TemporaryDirectory() as tmp:
        res.save(Path(tmp) / "run")
    return res.summary["ledger"]["arrived"]


def bare_simpy(persons: int = 200_000, lanes: int = 4, *, seed: int = 1) -> int:
    """One SimPy process per person through one queue of ``lanes`` servers at rho = 0.9."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / (0.9 * lanes), persons)
    service = rng.exponential(1.0, persons)
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=lanes)

    def person(i: int):
        with desk.request() as req:
            yield req
            yield env.timeout(service[i])

    def source():
        for i in range(persons):
            yield env.timeout(gaps[i])
            env.process(person(i))

    env.process(source())
    env.run()
    return persons


def ciw_checkpoints(sc: Scenario, ref: RefData) -> tuple[int, int]:
    """The checkpoint stage of ``sc`` in Ciw: one node per checkpoint and mode, the same
    arrival and processing times, one individual per group (lanes fixed at their base count)."""
    import ciw

    from contingency.sim.arrivals import checkpoint_groups
    from contingency.sim.border import group_service_hours

    arrivals, services, servers, persons, groups = [], [], [], 0, 0
    plan = resolve(sc, ref)
    for cp in ref.modernised_ids:
        setup = plan.checkpoints[cp]
        for m, g in checkpoint_groups(sc, cp).items():
            if len(g) == 0:
                continue
            svc = group_service_hours(sc, setup, mode=m, groups=g)
            gaps = np.diff(np.concatenate([[0.0], g.arrive_h]))
            arrivals.append(ciw.dists.Sequential([*map(float, gaps), 1e9]))
            services.append(ciw.dists.Sequential(list(map(float, svc))))
            servers.append(setup.lanes[LaneMode(m)])
            persons += int(g.persons.sum())
            groups += len(g)
    n = len(arrivals)
    net = ciw.create_network(
        arrival_distributions=arrivals,
        service_distributions=services,
        number_of_servers=servers,
        routing=[[0.0] * n for _ in range(n)],
    )
    ciw.seed(1)
    sim = ciw.Simulation(net)
    sim.simulate_until_max_time(sc.horizon_days * 24 * 4)
    return persons, groups


def run_bench(echo=print) -> dict[str, float]:
    """Run (a), (b), (c) and print µs per person, ratios and peak memory."""
    ref = load_refdata()
    sc = bench_scenario(ref)
    echo(f"(a) scenario: {BENCH_PERSONS:,} persons, 30 days, 10 modernised checkpoints")
    for m in Mode:
        spec = sc.mode_mix[m]
        sizes = ", ".join(f"{k}: {w:.0%}" for k, w in spec.occupancy.items())
        echo(f"    {m.value:<11}{spec.share:>5.0%} of persons; group size {sizes}")
    fig: dict[str, float] = {}
    full_pipeline(bench_scenario(ref, persons=2_000), ref)  # load the compiled code first
    gc.collect()
    with _PeakRSS() as mem:
        t = time.process_time()
        arrived = full_pipeline(sc, ref)
        fig["a_s"] = time.process_time() - t
    fig["a_us"] = fig["a_s"] / arrived * 1e6
    fig["a_peak_mb"] = mem.peak_mb
    gc.collect()
    with _PeakRSS() as mem:
        t = time.process_time()
        arrived_o = full_pipeline(bench_scenario(ref, ordinary=True), ref)
        fig["o_s"] = time.process_time() - t
    fig["o_us"] = fig["o_s"] / arrived_o * 1e6
    fig["o_peak_mb"] = mem.peak_mb
    gc.collect()
    with _PeakRSS() as mem:
        t = time.process_time()
        n_b = bare_simpy()
        fig["b_s"] = time.process_time() - t
    fig["b_us"] = fig["b_s"] / n_b * 1e6
    fig["b_peak_mb"] = mem.peak_mb
    gc.collect()
    with _PeakRSS() as mem:
        t = time.process_time()
        n_c, groups_c = ciw_checkpoints(sc, ref)
        fig["c_s"] = time.process_time() - t
    fig["c_us"] = fig["c_s"] / n_c * 1e6
    fig["c_peak_mb"] = mem.peak_mb
    echo("")
    rows = [
        ("(a) full pipeline (SimPy groups + centres + tables)", arrived, "a"),
        ("(a+) (a) with the pack's ordinary traffic on", arrived_o, "o"),
        ("(b) bare SimPy, one process per person", n_b, "b"),
        (f"(c) Ciw, checkpoint stage only, {groups_c:,} groups", n_c, "c"),
    ]
    echo(f"{'part':<52}{'persons':>11}{'CPU s':>10}{'µs/person':>11}{'peak MB':>10}")
    for label, n, k in rows:
        s, us, mb = fig[f"{k}_s"], fig[f"{k}_us"], fig[f"{k}_peak_mb"]
        echo(f"{label:<52}{n:>11,}{s:>10.2f}{us:>11.2f}{mb:>10.0f}")
    echo("(peak MB: resident memory of the whole process while the part ran)")
    echo("")
    fig["d_ms"] = routing_per_day(ref) * 1000
    n_origins = len(ref.centres)
    echo(
        f"(d) onward allocation, national graph, {n_origins} origins x 200 persons a day: "
        f"{fig['d_ms']:.1f} ms per simulated day"
    )
    echo("")
    echo(
        f"(a)/(b) µs per person: {fig['a_us'] / fig['b_us']:.3f}   (target <= 1; and <= 0.35, "
        "a third above the 0.26 of the one-sided crossing)"
    )
    ratio = fig["o_us"] / fig["a_us"]
    echo(f"(a+)/(a) µs per influx person: {ratio:.3f}   (the cost of ordinary traffic)")
    echo(f"(a)/(c) µs per person: {fig['a_us'] / fig['c_us']:.3f}   (target < 1)")
    echo(f"(a) peak resident memory of the process: {fig['a_peak_mb']:.0f} MB   (target < 2048 MB)")
    fig.update(_peak_10m(echo))
    return fig


def _peak_10m(echo=print) -> dict[str, float]:
    """(h): ``peak_mb_10m`` when the child process fits in memory (else nothing)."""
    peak, note = peak_mb_in_child(BENCH_PERSONS * 10)
    echo(f"(h) (a) at {BENCH_PERSONS * 10:,} persons, in a child process: {note}")
    return {} if peak is None else {"peak_mb_10m": peak}


CHILD_LIMIT_MB = 16 * 1024
"""Address space a child benchmark may take before it fails (the machine has 24 GB)."""


def peak_mb_in_child(persons: int, *, limit_mb: int = CHILD_LIMIT_MB) -> tuple[float | None, str]:
    """Peak resident memory (MB) of the full pipeline (a) on ``persons`` in a fresh child
    process capped at ``limit_mb`` of address space, and a line saying what happened (the
    peak, or how the child failed: then None)."""
    import json
    import subprocess
    import sys

    code = (
        "import json, resource; "
        "resource.setrlimit(resource.RLIMIT_AS, ({lim}, {lim})); "
        "from contingency.bench import _child_pipeline; "
        "print(json.dumps(_child_pipeline({n})))"
    ).format(lim=limit_mb * 2**20, n=persons)
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"failed after {wall:.0f} s under a {limit_mb:,} MB cap: {last}"
    res = json.loads(done.stdout.strip().splitlines()[-1])
    return res["peak_mb"], (
        f"peak {res['peak_mb']:,.0f} MB, {res['cpu_s']:.0f} CPU s, "
        f"{res['cpu_s'] / res['arrived'] * 1e6:.2f} µs per person"
    )


def _child_pipeline(persons: int) -> dict[str, float]:
    """(a) on ``persons`` in this (child) process: its peak resident memory (the kernel's
    high-water mark), CPU seconds and persons arrived."""
    import resource

    ref = load_refdata()
    sc = bench_scenario(ref, persons)
    t = time.process_time()
    arrived = full_pipeline(sc, ref)
    cpu_s = time.process_time() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"peak_mb": peak_mb, "cpu_s": cpu_s, "arrived": float(arrived)}


def routing_per_day(ref: RefData, days: int = 30) -> float:
    """Seconds per simulated day for the national allocation: every reception and
    rehabilitation centre has 200 people ready each day (fresh router, national graph; the
    regions fill up over the 30 days)."""
    from contingency.routing.network import RoadNetwork
    from contingency.routing.onward import Router

    sc = bench_scenario(ref, persons=10_000)
    router = Router(sc, ref, RoadNetwork(ref.road_graph()))
    ready = {str(cid): (str(node), 200) for cid, node in ref.centres["node"].items()}
    t = time.perf_counter()
    for day in range(days):
        router.route_day(day, ready)
    return (time.perf_counter() - t) / days


def stress_throughput(workers: int, replications: int = 16) -> float:
    """Replications per minute of the default scenario on a LocalCluster of ``workers``
    processes (cluster start-up and one warm-up replication per worker not counted)."""
    from contingency.resources import DEFAULT_SCENARIO
    from contingency.scenario import load_scenario
    from contingency.stress.runner import dask_client, replicate, run_replications, seeds_for

    ref = load_refdata()
    sc = load_scenario(DEFAULT_SCENARIO, ref=ref)
    with dask_client(workers=workers) as client:
        client.run(replicate, sc, 1)  # warm-up on every worker: imports, caches
        t = time.perf_counter()
        reps = run_replications(sc, seeds_for(2, replications), client)
        elapsed = time.perf_counter() - t
    assert not reps.failures, reps.failures
    return replications / elapsed * 60


def run_stress_bench(echo=print, replications: int = 16) -> dict[str, float]:
    """(e) replications per minute with 1 and 2 workers, side by side."""
    one = stress_throughput(1, replications)
    two = stress_throughput(2, replications)
    echo(f"(e) stress replications of the default scenario, {replications} per run:")
    echo(f"    1 worker : {one:6.1f} replications/min")
    echo(f"    2 workers: {two:6.1f} replications/min   ratio {two / one:.2f} (target >= 1.8)")
    return {"e_one": one, "e_two": two}


# ---------------------------------------------------------------- like with like
def border_stage(sc: Scenario, ref: RefData, *, settle: bool = True) -> tuple[int, int, float]:
    """Our border stage alone on ``sc`` (both sides, every lane pool, the hourly controllers;
    ``settle=False``: every pool on the SimPy schedule): groups, persons and CPU seconds."""
    from contingency.sim.border import run_border

    t = time.process_time()
    runs = run_border(sc, ref, settle=settle)
    seconds = time.process_time() - t
    groups = sum(len(g) for run in runs.values() for g in run.groups.values())
    persons = sum(int(g.persons.sum()) for run in runs.values() for g in run.groups.values())
    return groups, persons, seconds


PoolInput = tuple[np.ndarray, np.ndarray, np.ndarray, int]


def _pool_inputs(sc: Scenario, ref: RefData) -> list[PoolInput]:
    """Per checkpoint and mode: arrival times, far-side and near-side processing hours of the
    same groups our border stage draws, and the base lanes (the bench scenario has no shifts,
    injects or turn-backs, and its far side is ours)."""
    from contingency.sim.arrivals import checkpoint_groups
    from contingency.sim.border import Side, group_service_hours

    plan = resolve(sc, ref)
    out = []
    for cp, setup in plan.checkpoints.items():
        for m, g in checkpoint_groups(sc, cp).items():
            if len(g) == 0:
                continue
            far = group_service_hours(sc, setup, mode=m, groups=g, side=Side.far)
            near = group_service_hours(sc, setup, mode=m, groups=g)
            out.append((g.arrive_h, far, near, setup.lanes[LaneMode(m)]))
    return out


def simpy_same_groups(sc: Scenario, ref: RefData) -> tuple[int, float]:
    """The same groups through the same two controls in plain SimPy: one process per group,
    a ``simpy.Resource`` per lane pool and side. Groups and CPU seconds."""
    pools = _pool_inputs(sc, ref)
    env = simpy.Environment()

    def group(arrive: float, far_h: float, near_h: float, far, near):
        yield env.timeout(arrive)
        with far.request() as req:
            yield req
            yield env.timeout(far_h)
        with near.request() as req:
            yield req
            yield env.timeout(near_h)

    t = time.process_time()
    n = 0
    for arrive, far_h, near_h, lanes in pools:
        far, near = simpy.Resource(env, lanes), simpy.Resource(env, lanes)
        for a, f, s in zip(arrive.tolist(), far_h.tolist(), near_h.tolist(), strict=True):
            env.process(group(a, f, s, far, near))
            n += 1
    env.run(until=sc.horizon_days * 24)
    return n, time.process_time() - t


def ciw_per_pool(sc: Scenario, ref: RefData) -> tuple[int, int, float]:
    """Ciw, one simulation per lane pool (our control only, the same groups and processing
    times): groups, persons and CPU seconds (Ciw scans every node at each event, so pools are
    not put in one network)."""
    import ciw

    from contingency.sim.arrivals import checkpoint_groups

    plan = resolve(sc, ref)
    groups = persons = 0
    seconds = 0.0
    pools = _pool_inputs(sc, ref)
    sizes = [
        g.persons for cp in plan.checkpoints for g in checkpoint_groups(sc, cp).values() if len(g)
    ]
    for (arrive, _, near_h, lanes), size in zip(pools, sizes, strict=True):
        gaps = np.diff(np.concatenate([[0.0], arrive]))
        net = ciw.create_network(
            arrival_distributions=[ciw.dists.Sequential([*map(float, gaps), 1e9])],
            service_distributions=[ciw.dists.Sequential(list(map(float, near_h)))],
            number_of_servers=[max(lanes, 1)],
        )
        ciw.seed(1)
        t = time.process_time()
        ciw.Simulation(net).simulate_until_max_time(sc.horizon_days * 24 * 4)
        seconds += time.process_time() - t
        groups += len(arrive)
        persons += int(size.sum())
    return groups, persons, seconds


STRESS_REPLICATIONS = 9
"""Replications of each kind the stress CPU figure is the median of."""


def stress_cpu_per_replication(
    replications: int = STRESS_REPLICATIONS,
) -> tuple[float, float]:
    """CPU seconds per replication of the default scenario in this process, as a stress
    worker runs it (after one warm-up each, so reference data and caches are loaded): before
    (a full run, every lane pool on the SimPy schedule, all tables, the summary) and now (a
    lean run, settled pools), alternating seed by seed so both see the same machine; the
    median of ``replications`` each. CPU time: a busy machine cannot fake it."""
    from contingency.resources import DEFAULT_SCENARIO
    from contingency.scenario import load_scenario
    from contingency.stress.runner import replicate, replicate_full

    sc = load_scenario(DEFAULT_SCENARIO)
    cpu: dict[str, list[float]] = {"before": [], "now": []}
    replicate_full(sc, 1)
    replicate(sc, 1)
    for seed in range(2, 2 + replications):
        for key, func in (("before", replicate_full), ("now", replicate)):
            gc.collect()
            t = time.process_time()
            func(sc, seed)
            cpu[key].append(time.process_time() - t)
    return float(np.median(cpu["before"])), float(np.median(cpu["now"]))


def run_like_with_like(echo=print) -> dict[str, float]:
    """Side by side on the bench scenario's groups: our border stage against plain SimPy on
    the same groups, lanes and times, and our control's pools in Ciw one pool at a time; then
    CPU seconds per stress replication."""
    ref = load_refdata()
    sc = bench_scenario(ref)
    border_stage(bench_scenario(ref, persons=2_000), ref)  # load the compiled code first
    gc.collect()
    groups, persons, ours_s = border_stage(sc, ref)
    gc.collect()
    _, _, reference_s = border_stage(sc, ref, settle=False)
    gc.collect()
    n_simpy, simpy_s = simpy_same_groups(sc, ref)
    gc.collect()
    n_ciw, p_ciw, ciw_s = ciw_per_pool(sc, ref)
    fig = {
        "groups": float(groups),
        "border_us_per_group": ours_s / groups * 1e6,
        "border_simpy_schedule_us_per_group": reference_s / groups * 1e6,
        "simpy_same_groups_us_per_group": simpy_s / n_simpy * 1e6,
        "border_us_per_person": ours_s / persons * 1e6,
        "ciw_per_pool_us_per_person": ciw_s / p_ciw * 1e6,
        "ciw_per_pool_us_per_group": ciw_s / n_ciw * 1e6,
    }
    echo(f"(f) the same {groups:,} groups ({persons:,} persons), border stage only:")
    echo(f"    ours (both sides, controllers)     {fig['border_us_per_group']:8.2f} µs/group")
    reference_us = fig["border_simpy_schedule_us_per_group"]
    echo(f"    ours, every pool on SimPy's schedule {reference_us:6.2f} µs/group   (before)")
    simpy_us, ciw_us = fig["simpy_same_groups_us_per_group"], fig["ciw_per_pool_us_per_person"]
    echo(f"    plain SimPy, a process per group   {simpy_us:8.2f} µs/group")
    echo(f"    Ciw, one simulation per pool (our side only)   {ciw_us:8.2f} µs/person")
    echo(
        f"    ours / plain SimPy per group: "
        f"{fig['border_us_per_group'] / fig['simpy_same_groups_us_per_group']:.3f}   (goal <= 0.3)"
    )
    before, now = stress_cpu_per_replication()
    fig["stress_cpu_s_per_replication_before"] = before
    fig["stress_cpu_s_per_replication"] = now
    echo(
        f"(g) stress replication of the default scenario, median CPU s of "
        f"{STRESS_REPLICATIONS} each (same process, alternating):"
    )
    echo(f"    before (full run, SimPy schedule for every pool)   {before:6.2f}")
    echo(
        f"    now (lean run, settled pools, kept preparation)    {now:6.2f}   "
        f"{before / now:.1f}x fewer (goal 10x)"
    )
    return fig
