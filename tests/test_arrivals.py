"""Arrivals: a crossing's own mode mix and hourly profile over time, time-stamped counts
(``series``), and groups that are never split. Every figure below is worked out by hand in the
comment beside it."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from contingency.errors import ScenarioError
from contingency.scenario import Mode
from contingency.scenario.influx import planned_days, planned_hours
from contingency.scenario.load import dump_scenario, parse_scenario
from contingency.scenario.plan import resolve
from contingency.scenario.schema import MAX_TOTAL_PERSONS
from contingency.sim.arrivals import checkpoint_groups, hourly_persons, make_groups, split_by_mode
from contingency.sim.border import group_service_hours
from contingency.sim.engine import simulate

CP = "zhibek_zholy"
ONE = {1: 1.0}
BUS40 = {40: 1.0}


def _mix(car: float, bus: float, pedestrian: float, **sizes: dict[int, float]) -> dict:
    """Shares by mode; group sizes ``car_sizes=...`` etc. (one person unless given)."""
    shares = {"car": car, "bus": bus, "pedestrian": pedestrian}
    return {m: {"share": s, "occupancy": sizes.get(f"{m}_sizes", ONE)} for m, s in shares.items()}


def _data(influx: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A two-day scenario at two checkpoints, flat hourly profile, cars and buses half each."""
    data: dict[str, Any] = {
        "name": "arrivals",
        "trigger": "other",
        "start": "2027-01-01T00:00:00",
        "horizon_days": 2,
        "seed": 3,
        "checkpoints": [CP, "kaplanbek"],
        "influx": {CP: influx},
        "hourly_profile": [1.0] * 24,
        "mode_mix": _mix(0.5, 0.5, 0.0),
    }
    data.update(top)
    return data


def _load(data: dict[str, Any], ref):
    return parse_scenario(copy.deepcopy(data), file="t.yaml", ref=ref)


def _per_hour(groups, n_hours: int) -> np.ndarray:
    return np.bincount(
        np.floor(groups.arrive_h).astype(int), weights=groups.persons, minlength=n_hours
    ).astype(int)


# ---------------------------------------------------------------- a group is one group
def test_a_bus_straddling_an_hour_is_one_group_checked_once(ref):
    # 60 bus persons planned: 30 in hour 0, 30 in hour 1; every bus carries 40.
    # The first bus holds persons 0..39: its last person is planned in hour 1, so the whole
    # bus arrives in hour 1 (before this rule it was cut into 30 in hour 0 and 10 in hour 1,
    # two vehicle checks). The second bus would hold persons 40..79, but the day has only 60:
    # as the day's last group it takes the 20 left, also in hour 1. Two buses, two checks.
    sc = _load(
        _data(
            {"daily": [60]},
            hourly_profile=[1.0, 1.0] + [0.0] * 22,
            mode_mix=_mix(0.0, 1.0, 0.0, bus_sizes=BUS40),
            checkpoint_overrides={
                CP: {"processing": {"cv": 0, "bus": {"min_per_vehicle": 6, "min_per_person": 0.5}}}
            },
        ),
        ref,
    )
    assert hourly_persons(sc, CP)[:3].tolist() == [30, 30, 0]
    g = checkpoint_groups(sc, CP)[Mode.bus]
    assert g.persons.tolist() == [40, 20]
    assert np.floor(g.arrive_h).tolist() == [1, 1]
    # (6 min per bus + 0.5 min x 40) / 60 and (6 + 0.5 x 20) / 60: 26 and 16 minutes
    svc = group_service_hours(sc, resolve(sc, ref).checkpoints[CP], mode=Mode.bus, groups=g)
    assert svc * 60 == pytest.approx([26.0, 16.0])
    assert svc.sum() * 60 == pytest.approx(2 * 6 + 0.5 * 60)  # the vehicle part twice, not 3x


def test_the_engine_processes_the_straddling_bus_once(ref):
    # the same 60 bus persons through the whole border stage: two rows in the groups table,
    # one per bus, each served once at our control: 26 and 16 minutes
    sc = _load(
        _data(
            {"daily": [60]},
            hourly_profile=[1.0, 1.0] + [0.0] * 22,
            mode_mix=_mix(0.0, 1.0, 0.0, bus_sizes=BUS40),
            checkpoint_overrides={
                CP: {"processing": {"cv": 0, "bus": {"min_per_vehicle": 6, "min_per_person": 0.5}}}
            },
        ),
        ref,
    )
    groups = simulate(sc, ref, route=False).groups
    buses = groups[(groups["checkpoint"] == CP) & (groups["mode"] == "bus")]
    assert buses["persons"].tolist() == [40, 20]
    assert (buses["service_h"] * 60).tolist() == pytest.approx([26.0, 16.0])


def test_days_are_exact_and_hours_fall_short_of_the_plan_by_less_than_a_group(ref):
    # 50 bus persons a day over a flat profile: 50 / 24 = 2 r 2, so hours 0 and 1 get 3 and
    # hours 2..23 get 2 (cumulative: 3, 6, 8, ..., hour k ends at 6 + 2(k-1)).
    # Bus 1 (persons 0..39): person 39 is planned in hour 18 (ends at 38 and 40) -> hour 18.
    # Bus 2 takes the 10 left in the day (persons 40..49): person 49 in hour 23 -> hour 23.
    # Day 2 repeats it: hours 42 and 47. Each day brings exactly its 50.
    sc = _load(_data({"daily": [50, 50]}, mode_mix=_mix(0.0, 1.0, 0.0, bus_sizes=BUS40)), ref)
    planned = hourly_persons(sc, CP)
    assert planned[:3].tolist() == [3, 3, 2] and planned.sum() == 100
    g = checkpoint_groups(sc, CP)[Mode.bus]
    assert g.persons.tolist() == [40, 10, 40, 10]
    assert np.floor(g.arrive_h).tolist() == [18, 23, 42, 47]
    got = _per_hour(g, 48)
    assert got.reshape(2, 24).sum(axis=1).tolist() == [50, 50]
    short = np.cumsum(planned) - np.cumsum(got)  # persons planned by each hour, not yet arrived
    assert short.min() == 0 and short.max() == 38  # by the end of hour 17: 38 planned, 0 come


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_no_group_is_split_whatever_the_sizes(seed, ref):
    occupancy = {1: 0.2, 2: 0.3, 5: 0.3, 45: 0.2}
    mix = _mix(1.0, 0.0, 0.0, car_sizes=occupancy)
    sc = _load(_data({"daily": [1]}, horizon_days=3, seed=seed, mode_mix=mix), ref)
    rng = np.random.default_rng(seed)
    planned = rng.integers(0, 60, size=72) * (rng.random(72) < 0.7)  # three days, with gaps
    g = make_groups(planned, sc, Mode.car, "test")
    got = _per_hour(g, 72)
    assert (got.reshape(3, 24).sum(axis=1) == planned.reshape(3, 24).sum(axis=1)).all()
    short = np.cumsum(planned) - np.cumsum(got)
    assert short.min() >= 0 and short.max() < 45  # never ahead; behind by less than one group
    assert (got[planned == 0] == 0).all()  # no group in an hour with nobody planned
    assert (~np.isin(g.persons, list(occupancy))).sum() <= 3  # only a day's last group is cut


# ---------------------------------------------------------------- a crossing's own mix
def test_a_crossing_mix_from_an_hour_lets_people_walk_from_then(ref):
    # Scenario-wide: cars (1 person) and buses (40) half each, nobody on foot. At CP from
    # hour 12: half cars (now 2 a car), half on foot, no buses. 240 a day over a flat
    # profile: 10 an hour, 5 + 5. Day 0: buses 5 x 12 = 60 persons in hours 0..11, then none;
    # on foot 5 x 12 = 60 from hour 12; cars 60 singles before hour 12, 30 pairs after.
    later = {"from_h": 12, **_mix(0.5, 0.0, 0.5, car_sizes={2: 1.0})}
    data = _data(
        {"daily": [240, 0], "mode_mix": [later]}, mode_mix=_mix(0.5, 0.5, 0.0, bus_sizes=BUS40)
    )
    data["influx"]["kaplanbek"] = {"daily": [240, 0]}
    sc = _load(data, ref)
    by_mode = split_by_mode(hourly_persons(sc, CP), sc, checkpoint=CP)
    assert by_mode[Mode.bus][:24].tolist() == [5] * 12 + [0] * 12
    assert by_mode[Mode.pedestrian][:24].tolist() == [0] * 12 + [5] * 12
    groups = checkpoint_groups(sc, CP)
    walk, bus, car = groups[Mode.pedestrian], groups[Mode.bus], groups[Mode.car]
    assert walk.persons.sum() == 60 and walk.arrive_h.min() >= 12
    # buses: 60 persons: one 40 (person 39 planned in hour 7: 5 an hour) and the day's last 20
    assert bus.persons.tolist() == [40, 20] and np.floor(bus.arrive_h).tolist() == [7, 11]
    early = car.arrive_h < 12
    assert set(car.persons[early].tolist()) == {1} and car.persons[early].sum() == 60
    assert car.persons[~early].tolist() == [2] * 30
    # the other crossing keeps the scenario's mix: no one on foot there
    assert checkpoint_groups(sc, "kaplanbek")[Mode.pedestrian].persons.sum() == 0


def test_a_crossing_mix_given_once_holds_from_the_start(ref):
    sc = _load(_data({"daily": [100, 0], "mode_mix": _mix(0.0, 0.0, 1.0)}), ref)
    by_mode = split_by_mode(hourly_persons(sc, CP), sc, checkpoint=CP)
    assert by_mode[Mode.pedestrian].sum() == 100 and by_mode[Mode.car].sum() == 0


# ---------------------------------------------------------------- a crossing's own profile
def test_a_crossing_profile_changing_within_a_day(ref):
    # 240 a day. Day 0: the scenario's flat profile, 10 an hour. From hour 30 (06 h of day 1)
    # a profile with nobody 00-12 h: day 1 is weighted 1 in hours 24..29 (still the flat one),
    # 0 in 30..35, 1 in 36..47: 18 hours, 240 / 18 = 13 r 6, the 6 to the first hours 24..29.
    later = [{"from_h": 30, "weights": [0.0] * 12 + [1.0] * 12}]
    sc = _load(_data({"daily": [240, 240], "hourly_profile": later}), ref)
    hours = planned_hours(sc, CP)
    assert hours[:24].tolist() == [10] * 24
    assert hours[24:].tolist() == [14] * 6 + [0] * 6 + [13] * 12
    assert planned_days(sc, CP).tolist() == [240, 240]


def test_a_crossing_profile_given_once(ref):
    # weights 2 by night (00-12 h), 1 by day: 360 = 12 x 2w + 12 x w, w = 10
    sc = _load(_data({"daily": [360, 0], "hourly_profile": [2.0] * 12 + [1.0] * 12}), ref)
    assert planned_hours(sc, CP)[:24].tolist() == [20] * 12 + [10] * 12


# ---------------------------------------------------------------- time-stamped counts
SERIES = [
    {"at": "2027-01-01T02:00:00", "persons": 20},  # no offset: the scenario's time
    {"at": "2027-01-01T03:30:00+05:00", "persons": 30},
    {"at": "2027-01-01T00:00:00Z", "persons": 50},  # 05:00 at +05:00
]


def test_a_series_places_each_count_between_its_point_and_the_one_before(ref):
    # start 00:00 at +05:00, flat profile.
    # 20 between the start and 02:00: hours 0, 1 -> 10, 10.
    # 30 between 02:00 and 03:30: hour 2 whole, half of hour 3 -> 20, 10.
    # 50 between 03:30 and 05:00: half of hour 3, hour 4 whole -> 50/3 = 16.7, 33.3 -> 17, 33.
    sc = _load(_data({"series": SERIES}, start="2027-01-01T00:00:00+05:00"), ref)
    hours = planned_hours(sc, CP)
    assert hours[:6].tolist() == [10, 10, 20, 10 + 17, 33, 0] and hours.sum() == 100
    assert planned_days(sc, CP).tolist() == [100, 0]
    g = checkpoint_groups(sc, CP)
    assert sum(int(x.persons.sum()) for x in g.values()) == 100


def test_a_series_follows_the_profile_and_never_loses_a_count(ref):
    # Nobody by profile 00-06 h. 8 between 00:00 and 04:00: the profile gives these hours no
    # weight, so they are shared evenly, 2 an hour. 40 between 04:00 and 08:00: only 06 and
    # 07 h have weight -> 20, 20.
    points = [
        {"at": "2027-01-01T04:00:00", "persons": 8},
        {"at": "2027-01-01T08:00:00", "persons": 40},
    ]
    sc = _load(_data({"series": points}, hourly_profile=[0.0] * 6 + [1.0] * 18), ref)
    assert planned_hours(sc, CP)[:9].tolist() == [2, 2, 2, 2, 0, 0, 20, 20, 0]


def test_a_series_is_scaled_by_the_multiplier_exactly(ref):
    # x1.5: 20 + 30 = 50 -> 75, shared 30 and 45 (20 and 30 over hours 0-1 and 2-3)
    points = [
        {"at": "2027-01-01T02:00:00", "persons": 20},
        {"at": "2027-01-01T04:00:00", "persons": 30},
    ]
    sc = _load(_data({"series": points}, influx_multiplier=1.5), ref)
    assert planned_hours(sc, CP)[:5].tolist() == [15, 15, 23, 22, 0]


def test_a_series_may_start_with_a_point_at_the_start(ref):
    points = [
        {"at": "2027-01-01T00:00:00", "persons": 0},
        {"at": "2027-01-02T00:00:00", "persons": 48},
    ]
    sc = _load(_data({"series": points}), ref)
    assert planned_hours(sc, CP).tolist() == [2] * 24 + [0] * 24


# ---------------------------------------------------------------- validation, field by field
def _series(*points: tuple[str, int]) -> dict[str, Any]:
    return {"series": [{"at": at, "persons": n} for at, n in points]}


BIG = MAX_TOTAL_PERSONS // 2
BAD: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    (
        {"daily": [1], "mode_mix": [{"from_h": 12}, {"from_h": 6}]},
        {},
        "influx.zhibek_zholy.mode_mix.1.from_h: must be after the previous entry's from_h (12)",
    ),
    (
        {"daily": [1], "mode_mix": [{"from_h": 0, **_mix(0.5, 0.5, 0.5)}]},
        {},
        "influx.zhibek_zholy.mode_mix.0: car + bus + pedestrian shares must sum to 1",
    ),
    (
        {"daily": [1], "mode_mix": [{"from_h": 0, "horse": {"share": 0, "occupancy": ONE}}]},
        {},
        "influx.zhibek_zholy.mode_mix.0: unknown key 'horse'",
    ),
    (
        {"daily": [1], "mode_mix": {"car": {"share": 2, "occupancy": ONE}}},
        {},
        "influx.zhibek_zholy.mode_mix.car.share: input should be less than or equal to 1",
    ),
    (
        {"daily": [1], "mode_mix": [{"from_h": 48}]},
        {},
        "influx.zhibek_zholy.mode_mix.0.from_h: is at or after the end of the horizon (48 h)",
    ),
    (
        {"daily": [1], "hourly_profile": [1.0] * 23},
        {},
        "influx.zhibek_zholy.hourly_profile: must list 24 hourly weights (got 23)",
    ),
    (
        {"daily": [1], "hourly_profile": [{"from_h": 3, "weights": [1.0] * 25}]},
        {},
        "influx.zhibek_zholy.hourly_profile.0.weights: must list 24 hourly weights (got 25)",
    ),
    (
        {
            "daily": [1],
            "hourly_profile": [
                {"from_h": 5, "weights": [1.0] * 24},
                {"from_h": 5, "weights": [1.0] * 24},
            ],
        },
        {},
        "influx.zhibek_zholy.hourly_profile.1.from_h: must be after the previous entry's from_h (5)",
    ),
    (
        {"daily": [1], "hourly_profile": [{"from_h": 0, "weights": [0.0] * 24}]},
        {},
        "influx.zhibek_zholy.hourly_profile.0.weights: hourly weights must not all be zero",
    ),
    (
        {
            "daily": [0, 5],
            "hourly_profile": [
                {"from_h": 24, "weights": [0.0] * 12 + [1.0] * 12},
                {"from_h": 36, "weights": [1.0] * 12 + [0.0] * 12},
            ],
        },
        {},
        "influx.zhibek_zholy.hourly_profile: on day 1 the profiles in force give every hour "
        "weight 0, so its 5 persons have no hour to arrive in",
    ),
    (
        _series(("2027-01-01T06:00:00", 5), ("2027-01-01T05:00:00", 5)),
        {},
        "influx.zhibek_zholy.series.1.at: must be after the previous point (2027-01-01T06:00:00)",
    ),
    (
        _series(("2027-01-01T06:00:00", 5), ("2027-01-03T00:30:00", 7)),
        {},
        "influx.zhibek_zholy.series.1.at: is after the horizon (48 h from the start), so its 7 "
        "persons would never arrive",
    ),
    (
        _series(("2026-12-31T23:00:00", 5)),
        {},
        "influx.zhibek_zholy.series.0.at: is before the start",
    ),
    (
        _series(("2027-01-01T00:00:00", 5)),
        {},
        "influx.zhibek_zholy.series.0.at: is the start itself",
    ),
    (
        _series(("2027-01-01T06:00:00+05:00", 5)),
        {},
        "influx.zhibek_zholy.series.0.at: has a UTC offset and 'start' has none",
    ),
    (
        _series(("2027-01-01T06:00:00", MAX_TOTAL_PERSONS + 1)),
        {},
        "influx.zhibek_zholy.series.0.persons: input should be less than or equal to 20000000",
    ),
    (
        {"series": []},
        {},
        "influx.zhibek_zholy.series: list should have at least 1 item",
    ),
    (
        {"daily": [1], **_series(("2027-01-01T06:00:00", 5))},
        {},
        "influx.zhibek_zholy: give exactly one of 'daily' (a list of daily totals), 'curve' or "
        "'series' (time-stamped counts)",
    ),
    (
        {"curve": {"total_persons": 5}, **_series(("2027-01-01T06:00:00", 5))},
        {},
        "influx.zhibek_zholy: give exactly one of",
    ),
    (
        {"hourly_profile": [1.0] * 24},
        {},
        "influx.zhibek_zholy: give exactly one of",
    ),
    (  # over 10,000,000 on one day
        _series(("2027-01-01T12:00:00", BIG), ("2027-01-01T23:00:00", BIG)),
        {},
        "influx.zhibek_zholy: more than 10,000,000 arrivals on day 0 (got 20000000)",
    ),
    (  # the budget counts a series: 10,000,000 + 10,000,000 + 5 > 20,000,000
        _series(("2027-01-02T00:00:00", BIG), ("2027-01-03T00:00:00", BIG)),
        {"_kaplanbek": {"daily": [5]}},
        "influx: 20,000,005 persons arrive in all, more than the 20,000,000",
    ),
    (  # and its hours under a surge: 10,000,000 / 24 = 416,666 r 16, so hours 0..15 have
        # 416,667; doubled for hours 0..5: +2,500,002 over 10,000,000 + 8,000,000
        _series(("2027-01-02T00:00:00", BIG)),
        {
            "_kaplanbek": {"daily": [8_000_000]},
            "injects": [
                {
                    "at_h": 0,
                    "kind": "surge",
                    "target": CP,
                    "params": {"multiplier": 2.0, "duration_h": 6},
                }
            ],
        },
        "injects.0.params.multiplier: with this surge 20,500,002 persons arrive in all",
    ),
]


@pytest.mark.parametrize(("influx", "top", "expected"), BAD, ids=[b[2][:60] for b in BAD])
def test_each_new_key_is_refused_with_its_field_path(influx, top, expected, ref):
    top = dict(top)
    data = _data(influx, **{k: v for k, v in top.items() if not k.startswith("_")})
    if "_kaplanbek" in top:
        data["influx"]["kaplanbek"] = top["_kaplanbek"]
    with pytest.raises(ScenarioError) as err:
        _load(data, ref)
    lines = [str(p) for p in err.value.problems]
    assert any(line.startswith(f"t.yaml: {expected}") for line in lines), lines


def test_the_new_keys_are_saved_and_read_back_unchanged(ref):
    """``dump_scenario`` (the board's "save the exercise") keeps every new key as it was."""
    later = [{"from_h": 12, **_mix(0.5, 0.0, 0.5)}]
    profile = [{"from_h": 3, "weights": [1.0] * 24}]
    data = _data(
        {"series": SERIES, "mode_mix": later, "hourly_profile": profile},
        start="2027-01-01T00:00:00+05:00",
    )
    data["influx"]["kaplanbek"] = {
        "daily": [5],
        "mode_mix": _mix(0.2, 0.3, 0.5, bus_sizes=BUS40),
        "hourly_profile": [2.0] * 24,
    }
    sc = _load(data, ref)
    assert _load(yaml.safe_load(dump_scenario(sc)), ref) == sc


def _lay_out_reference(persons_per_hour, schedule, mode, rng) -> np.ndarray:
    """Group sizes as the layout was first written, group by group in Python (the module
    docstring's rules), drawing uniforms a block at a time."""
    ends = np.cumsum(persons_per_hour).tolist()
    u: list[float] = []
    out: list[int] = []
    pos = 0
    cuts = sorted({*range(0, len(ends), 24), *(h for h, _ in schedule if h < len(ends))})
    for h0, h1 in zip(cuts, [*cuts[1:], len(ends)], strict=True):
        block_end = ends[h1 - 1]
        if pos >= block_end:
            continue
        day_end = ends[min((h0 // 24 + 1) * 24, len(ends)) - 1]
        spec = [mix for h, mix in schedule if h <= h0][-1][mode]
        sizes = np.fromiter(spec.occupancy.keys(), dtype=np.int64)
        cdf = np.fromiter(spec.occupancy.values(), dtype=float)
        cdf = (cdf / cdf.sum()).cumsum()
        cdf /= cdf[-1]
        laid = 0
        while laid < block_end - pos:
            if len(out) == len(u):
                u.extend(rng.random(7).tolist())
            out.append(int(sizes[cdf.searchsorted(u[len(out)], side="right")]))
            laid += out[-1]
        cut = max(0, pos + laid - day_end)
        out[-1] -= cut
        pos += laid - cut
    return np.array(out, dtype=np.int64)


_OCCUPANCY = st.dictionaries(st.integers(1, 60), st.integers(1, 9), min_size=1, max_size=5).map(
    lambda w: {k: v / sum(w.values()) for k, v in w.items()}
)


@settings(max_examples=120, deadline=None)
@given(
    hours=st.lists(st.integers(0, 400), min_size=1, max_size=24 * 4),
    changes=st.lists(st.tuples(st.integers(1, 95), _OCCUPANCY), max_size=3),
    first=_OCCUPANCY,
    seed=st.integers(0, 2**32 - 1),
)
def test_the_compiled_layout_lays_out_groups_as_written_in_python(hours, changes, first, seed):
    from contingency.scenario.schema import ModeSpec
    from contingency.sim.arrivals import _lay_out

    def mix(occupancy: dict[int, float]) -> dict[Mode, ModeSpec]:
        return {m: ModeSpec(share=1 / 3, occupancy=occupancy) for m in Mode}

    schedule = [(0, mix(first)), *sorted((h, mix(o)) for h, o in dict(changes).items())]
    persons = np.array(hours, dtype=np.int64)
    got = _lay_out(persons, schedule, mode=Mode.car, rng=np.random.default_rng(seed))
    want = _lay_out_reference(persons, schedule, Mode.car, np.random.default_rng(seed))
    assert got.tolist() == want.tolist()
    assert got.sum() == persons.sum()


@settings(max_examples=200, deadline=None)
@given(
    hours=st.lists(st.integers(0, 50), min_size=1, max_size=60),
    sizes=st.lists(st.integers(1, 9), max_size=200),
)
def test_each_group_falls_in_the_hour_of_its_last_person(hours, sizes):
    from contingency.sim.arrivals import _hours_of_last

    ends = np.cumsum(np.array(hours, dtype=np.int64))
    size = np.array(sizes, dtype=np.int64)
    want = np.searchsorted(ends, np.cumsum(size) - 1, side="right")
    assert _hours_of_last(ends, size).tolist() == want.tolist()


@settings(max_examples=200, deadline=None)
@given(
    hours=st.lists(st.integers(0, 30), max_size=400).map(sorted),
    seed=st.integers(0, 2**32 - 1),
    edges=st.booleans(),
)
def test_arrival_times_in_order_are_the_sorted_times(hours, seed, edges):
    from contingency.sim.arrivals import _in_time_order

    hour = np.array(hours, dtype=np.int64)
    u = np.random.default_rng(seed).random(len(hour))
    if edges and len(u):  # the extremes of a uniform, and ties
        u[:: max(1, len(u) // 3)] = np.nextafter(1.0, 0.0)
        u[1::5] = 0.0
    assert _in_time_order(hour, u).tolist() == np.sort(hour + u).tolist()
