"""Reception pathways: transit hubs, needs that change, own transport, temporary sites, places
cut below the people in them, displacement inside the country, registration and people
leaving. Each test has a figure worked out by hand from a small scenario."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from contingency.errors import ScenarioError
from contingency.results import run_scenario
from contingency.scenario import parse_scenario

CP = "zhibek_zholy"
QUIET = {"inbound_persons_per_day": 0, "outbound_persons_per_day": 0, "trucks_per_day": 0}
CARS = {
    "car": {"share": 1.0, "occupancy": {2: 1.0}},
    "bus": {"share": 0.0, "occupancy": {30: 1.0}},
    "pedestrian": {"share": 0.0, "occupancy": {1: 1.0}},
}
ALL_SHELTER = {
    "vulnerable_share": 0.0,
    "needs_shelter_share": 1.0,
    "own_arrangements_share": 0.0,
    "leaving_country_share": 0.0,
}


def _data(**top: Any) -> dict[str, Any]:
    """Two-person cars at Zhibek Zholy, processed fast (12 lanes, 1 min), no ordinary
    traffic; everyone needs shelter unless ``population`` says otherwise."""
    data: dict[str, Any] = {
        "name": "pathways",
        "trigger": "other",
        "start": "2027-01-01T00:00:00",
        "horizon_days": 3,
        "seed": 5,
        "checkpoints": [CP],
        "influx": {CP: {"daily": [2400, 2400, 2400]}},
        "hourly_profile": [1.0] * 24,
        "mode_mix": copy.deepcopy(CARS),
        "population": dict(ALL_SHELTER),
        "checkpoint_overrides": {
            CP: {
                "lanes": {"car": 12},
                "processing": {"cv": 0, "car": {"min_per_vehicle": 1.0, "min_per_person": 0}},
                "baseline": dict(QUIET),
                "waiting_area_persons": 1_000_000,
            }
        },
        "transport": {"bus_seats": 45, "buses_per_day": 2000, "onward_buses_per_day": 2000},
    }
    data.update(top)
    return data


def _run(data: dict[str, Any], ref):
    return run_scenario(parse_scenario(copy.deepcopy(data), file="t.yaml", ref=ref), ref)


HUB = {
    "id": "hub_saryagash",
    "kind": "transit",
    "name": {"ru": "Транзитный пункт", "kk": "Транзиттік пункт", "en": "Transit hub"},
    "node": "saryagash",
    "region": "KZ-61",
    "places": 100,
    "intake_per_hour": 100,
    "stay_hours_mean": 4,
}


def test_a_transit_hub_of_100_places_and_4_hour_stays_passes_about_600_a_day(ref):
    """100 places / 4 h x 24 h = 600 people a day, when it is kept full (2,400 a day come)
    and people leave it every hour (``routing.dispatch: hourly``). The hub is the nearest
    place to the crossing, so it fills first; the rest go on to reception centres."""
    res = _run(_data(add_centres=[HUB], routing={"dispatch": "hourly"}), ref)
    c = res.tables["centres_hourly"].set_index(["centre", "time_h"]).loc["hub_saryagash"]
    day2 = int(c.loc[48, "turnover"] - c.loc[24, "turnover"])
    assert 540 <= day2 <= 660
    assert res.summary["centres"]["hub_saryagash"]["kind"] == "transit"
    assert res.summary["centres"]["hub_saryagash"]["turnover_persons"] == c["turnover"].iloc[-1]
    assert c["occupancy"].max() <= 100
    led = res.tables["ledger_hourly"]
    assert (led["in_transit_hubs"] > 0).any()
    # daily routing keeps the hub's people a day: it passes far fewer
    daily = _run(_data(add_centres=[HUB]), ref)
    d = daily.tables["centres_hourly"].set_index(["centre", "time_h"]).loc["hub_saryagash"]
    assert int(d.loc[48, "turnover"] - d.loc[24, "turnover"]) <= 200


def test_a_shelter_share_by_day_shows_in_who_arrives(ref):
    """Needs shelter 0.1 on days 0-1, 0.4 from day 2 (the rest own arrangements): the
    share of arriving persons needing a place follows it (1,200 groups a day)."""
    pop = {
        "vulnerable_share": 0.0,
        "needs_shelter_share": 0.1,
        "own_arrangements_share": 0.9,
        "leaving_country_share": 0.0,
        "by_day": [
            {
                "from_day": 2,
                "needs_shelter_share": 0.4,
                "own_arrangements_share": 0.6,
                "leaving_country_share": 0.0,
            }
        ],
    }
    res = _run(_data(population=pop), ref)
    g = res.tables["groups"]
    day = (g["arrive_h"] // 24).astype(int)
    share = g.groupby(day)["to_reception"].sum() / g.groupby(day)["persons"].sum()
    assert share[0] == pytest.approx(0.1, abs=0.03) and share[1] == pytest.approx(0.1, abs=0.03)
    assert share[2] == pytest.approx(0.4, abs=0.04)
    c = res.tables["centres_hourly"].groupby("time_h")["intake"].sum()
    assert c.loc[49:72].sum() > 2.5 * c.loc[1:24].sum()


def test_a_checkpoint_population_overrides_the_scenarios(ref):
    data = _data()
    data["influx"][CP]["population"] = {
        **ALL_SHELTER,
        "needs_shelter_share": 0.0,
        "own_arrangements_share": 1.0,
    }
    res = _run(data, ref)
    assert res.tables["groups"]["to_reception"].sum() == 0
    assert res.summary["ledger"]["self_arranged"] == res.summary["ledger"]["arrived"]


def test_own_transport_reaches_regions_without_bus_seats(ref):
    """No buses at all, everyone by car needs shelter and drives on: all reach a region by
    the cost model, none use a seat; regions report them as ``self_transport``."""
    data = _data(
        onward={"self_transport_share": 1.0, "self_transport_to": "region"},
        transport={"bus_seats": 45, "buses_per_day": 0, "onward_buses_per_day": 0},
        horizon_days=3,
    )
    data["influx"][CP] = {"daily": [600, 0, 0]}
    res = _run(data, ref)
    led = res.summary["ledger"]
    assert led["arrived"] == 600 and led["relocated"] == 600
    assert sum(r["self_transport"] for r in res.summary["regions"].values()) == 600
    assert res.tables["needs_daily"] is not None
    assert (res.tables["centres_hourly"]["intake"] == 0).all()  # nobody went by bus


def test_own_transport_to_a_centre_uses_no_seats(ref):
    data = _data(
        onward={"self_transport_share": 1.0, "self_transport_to": "centre"},
        transport={"bus_seats": 45, "buses_per_day": 0, "onward_buses_per_day": 0},
    )
    data["influx"][CP] = {"daily": [600, 0, 0]}
    res = _run(data, ref)
    assert res.tables["centres_hourly"]["intake"].sum() == 600


def test_a_site_opening_at_hour_30_takes_nobody_before_it(ref):
    site = {
        **HUB,
        "id": "school_saryagash",
        "kind": "reception",
        "places": 300,
        "stay_hours_mean": None,
        "stay_days_mean": 10,
        "opens_at_h": 30,
    }
    res = _run(_data(add_centres=[site]), ref)
    c = res.tables["centres_hourly"].set_index(["centre", "time_h"]).loc["school_saryagash"]
    assert c.loc[:30, "occupancy"].max() == 0 and c.loc[:30, "registration_queue"].max() == 0
    assert c.loc[31:, "occupancy"].max() > 0
    assert c.loc[30, "is_open"] == 0 and c.loc[31, "is_open"] == 1
    # one that waits for an inject opens when the inject fires
    never = {**site, "opens_at_h": None}
    inj = [{"at_h": 40, "kind": "open_site", "target": "school_saryagash"}]
    res = _run(_data(add_centres=[never], injects=inj), ref)
    c = res.tables["centres_hourly"].set_index(["centre", "time_h"]).loc["school_saryagash"]
    assert c.loc[:40, "occupancy"].max() == 0 and c.loc[41:, "occupancy"].max() > 0


def test_places_cut_below_occupancy_move_people_and_the_ledger_holds(ref):
    """The Turkistan reception point is cut to 10 places at hour 30: from the next hour it
    holds at most 10 in places; the others are taken elsewhere by bus, none dropped (the
    ledger balances every hour, or the run fails)."""
    first = _run(_data(), ref)
    c = first.tables["centres_hourly"]
    full = c[(c["time_h"] == 30) & (c["occupancy"] > 100)].sort_values("occupancy").iloc[-1]
    cid = str(full["centre"])
    cut = [{"at_h": 30.5, "kind": "centre_capacity", "target": cid, "params": {"beds": 10}}]
    res = _run(_data(injects=cut), ref)
    c = res.tables["centres_hourly"].set_index(["centre", "time_h"]).loc[cid]
    assert c.loc[30, "occupancy"] > 10 and c.loc[31:, "occupancy"].max() <= 10
    led = res.tables["ledger_hourly"].set_index("time_h")
    assert led.loc[31, "in_transit"] >= c.loc[30, "occupancy"] - 10  # moved, on their way
    assert res.summary["ledger"]["arrived"] == first.summary["ledger"]["arrived"]


def test_internal_origins_enter_reception_without_any_checkpoint(ref):
    """1,000 people displaced in Almaty city on day 0 (all need a place): the ledger's
    arrived counts them, no checkpoint sees anyone, and they reach centres by bus."""
    data = _data(influx={}, internal_origins={"almaty": {"daily": [1000, 0, 0]}})
    res = _run(data, ref)
    cps = res.tables["checkpoints_hourly"]
    assert cps["arrived"].sum() == 0 and cps["presented"].sum() == 0
    assert res.summary["ledger"]["arrived"] == 1000
    assert res.summary["internal"]["displaced"] == 1000
    assert 0 < res.summary["internal"]["entered_reception"] <= 1000
    assert (
        res.tables["centres_hourly"]["intake"].sum()
        >= res.summary["internal"]["entered_reception"] - 1000
    )
    by_region = _run(_data(influx={}, internal_origins={"KZ-75": {"daily": [10, 0, 0]}}), ref)
    assert by_region.summary["internal"]["displaced"] == 10


def test_a_registration_point_at_the_checkpoint_lets_through_its_rate(ref):
    """100 persons an hour cross; the point registers 60 an hour: a backlog of 40 an hour
    builds (2,400 - 1,440 = 960 by hour 24), and nobody reaches a transfer faster."""
    data = _data(registration={"at": CP, "per_hour": 60, "share": 1.0})
    res = _run(data, ref)
    reg = res.tables["registration_hourly"].set_index("time_h")
    assert (reg["registered"] <= 60).all()
    assert 900 <= reg.loc[24, "waiting"] <= 960
    led = res.tables["ledger_hourly"].set_index("time_h")
    assert led.loc[24, "registering"] == reg.loc[24, "waiting"]


def test_people_leaving_transit_then_leave_by_the_named_crossing(ref):
    pop = {**ALL_SHELTER, "needs_shelter_share": 0.0, "leaving_country_share": 1.0}
    data = _data(population=pop, leaving={"transit_h": 12, "via": CP})
    data["influx"][CP] = {"daily": [240, 0, 0]}
    res = _run(data, ref)
    led = res.tables["ledger_hourly"].set_index("time_h")
    assert led.loc[6, "left_country"] == 0 and led.loc[6, "leaving_in_transit"] > 0
    assert res.summary["ledger"]["left_country"] == 240
    assert res.summary["left_via"] == {CP: 240}


BAD = [
    (
        "population",
        {**ALL_SHELTER, "by_day": [{"from_day": 1, "needs_shelter_share": 0.5}]},
        "population.by_day.0",
        "give all of",
    ),
    ("routing", {"dispatch": "weekly"}, "routing.dispatch", "'daily' or 'hourly'"),
    ("onward", {"self_transport_share": 2}, "onward.self_transport_share", "less than"),
    ("registration", {"at": "atlantis", "per_hour": 10}, "registration.at", "neither"),
    ("registration", {"at": CP, "per_hour": 0}, "registration.per_hour", "greater than"),
    ("leaving", {"via": "atlantis"}, "leaving.via", "not a checkpoint"),
    ("leaving", {"via": [{"checkpoint": CP, "share": 0.5}]}, "leaving", "sum to 1"),
    ("add_centres", [{**HUB, "node": "atlantis"}], "add_centres.0.node", "unknown road node"),
    ("add_centres", [{**HUB, "stay_days_mean": 2}], "add_centres.0", "exactly one"),
    ("add_centres", [{**HUB, "id": "ka_shymkent"}], "add_centres.0.id", "clashes"),
    ("add_centres", [{**HUB, "kind": "hotel"}], "add_centres.0.kind", "input should be"),
    ("internal_origins", {"atlantis": {"daily": [5]}}, "internal_origins.atlantis", "neither"),
    (
        "injects",
        [{"at_h": 3, "kind": "open_site", "target": "ka_shymkent"}],
        "injects.0.target",
        "not a site",
    ),
]


@pytest.mark.parametrize(("key", "value", "field", "words"), BAD, ids=[b[2] for b in BAD])
def test_validate_names_each_new_key_with_its_field_path(key, value, field, words, ref):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_data(**{key: value}), file="bad.yaml", ref=ref)
    lines = str(err.value).splitlines()
    assert any(line.startswith(f"bad.yaml: {field}") and words in line for line in lines), lines


def test_the_ledger_balances_with_every_pathway_at_once(ref):
    data = _data(
        add_centres=[HUB],
        routing={"dispatch": "hourly"},
        onward={"self_transport_share": 0.3},
        registration=[{"at": CP, "per_hour": 80}],
        leaving={"transit_h": 6},
        internal_origins={"shymkent": {"daily": [300, 300, 0]}},
        population={
            **ALL_SHELTER,
            "needs_shelter_share": 0.6,
            "own_arrangements_share": 0.2,
            "leaving_country_share": 0.2,
        },
    )
    res = _run(data, ref)
    led = res.tables["ledger_hourly"]
    fields = [c for c in led.columns if c not in ("time_h", "arrived")]
    assert (led[fields].sum(axis=1) == led["arrived"]).all()
    assert np.all(np.diff(led["arrived"]) >= 0)


def test_a_cut_after_people_left_from_a_centre_moves_everyone_above_the_places(ref):
    """People leaving the country wait 2 h at the centre that also takes the sheltered; by
    hour 30 hundreds have gone on. Cutting its places to 0 then moves everyone in a place but
    the people leaving who are still there (at most those who crossed in hours 29-31): those
    who already left are not counted as still there (before, nobody was moved)."""
    pop = {**ALL_SHELTER, "needs_shelter_share": 0.5, "leaving_country_share": 0.5}
    first = _run(_data(population=pop), ref)
    c = first.tables["centres_hourly"]
    cid = str(c[c["time_h"] == 30].sort_values("occupancy")["centre"].iloc[-1])
    leaving = {"transit_h": 2, "wait_at": cid}
    cut = [{"at_h": 30.5, "kind": "centre_capacity", "target": cid, "params": {"beds": 0}}]
    res = _run(_data(population=pop, leaving=leaving, injects=cut), ref)
    c = res.tables["centres_hourly"].set_index(["centre", "time_h"]).loc[cid]
    g = res.tables["groups"]
    still_leaving = int(g.loc[(g["end_h"] > 28) & (g["end_h"] <= 31), "leaving"].sum())
    assert c.loc[30, "occupancy"] > 5 * still_leaving
    assert c.loc[31, "occupancy"] <= still_leaving
