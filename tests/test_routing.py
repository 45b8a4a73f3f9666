"""Onward routing: min-cost allocation, priority, capacity, closures, the national default."""

from __future__ import annotations

from itertools import pairwise

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from contingency import SCENARIOS_DIR
from contingency.results import run_scenario
from contingency.routing import RoadNetwork, allocate
from contingency.routing.onward import Router
from contingency.scenario import load_scenario
from contingency.scenario.schema import RoadClose


def test_known_optimum_on_a_small_case():
    # A has 10, B has 5; X takes 8, Y takes 10. Cheapest total: A->X 8, A->Y 2, B->Y 5 (cost 33).
    res = allocate(
        supply={"A": 10, "B": 5},
        seats={"A": 100, "B": 100},
        capacity={"X": 8, "Y": 10},
        cost_h={("A", "X"): 1, ("A", "Y"): 5, ("B", "X"): 2, ("B", "Y"): 3},
    )
    assert res.flows == {("A", "X"): 8, ("A", "Y"): 2, ("B", "Y"): 5}
    assert res.unplaced == {}


def test_short_capacity_and_seats_leave_people_unplaced_not_dropped():
    res = allocate({"A": 10, "B": 5}, {"A": 6, "B": 5}, {"X": 4}, {("A", "X"): 1, ("B", "X"): 2})
    assert sum(res.flows.values()) == 4
    assert sum(res.flows.values()) + sum(res.unplaced.values()) == 15
    assert res.unplaced["A"] >= 4  # 4 had no seat at A


@settings(max_examples=80, deadline=None)
@given(
    supply=st.dictionaries(st.sampled_from("ABCD"), st.integers(0, 500), min_size=1),
    capacity=st.dictionaries(st.sampled_from("WXYZ"), st.integers(0, 400), min_size=1),
    seats=st.integers(0, 600),
    data=st.data(),
)
def test_capacity_never_exceeded_and_everyone_counted(supply, capacity, seats, data):
    pairs = [(o, r) for o in supply for r in capacity]
    reachable = data.draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    cost = {p: data.draw(st.floats(0, 100)) for p in reachable}
    res = allocate(supply, dict.fromkeys(supply, seats), capacity, cost)
    for r, cap in capacity.items():
        assert sum(n for (_, rr), n in res.flows.items() if rr == r) <= cap
    for o, n in supply.items():
        out = sum(v for (oo, _), v in res.flows.items() if oo == o)
        assert out <= seats
        assert out + res.unplaced.get(o, 0) == n
    assert all(p in cost for p in res.flows)


def _router(ref, sc, **routing):
    sc = sc.model_copy(
        update={
            "routing": sc.routing.model_copy(update=routing),
            "transport": sc.transport.model_copy(update={"onward_buses_per_day": 5000}),
        }
    )
    return Router(sc, ref, RoadNetwork(ref.road_graph()))


def test_priority_weights_move_people_north_and_east(ref):
    sc = load_scenario(SCENARIOS_DIR / "south_conflict.yaml", ref=ref)
    priority = set(ref.regions.index[ref.regions["resettlement_priority"]])

    def share_to_priority(ready, **weights) -> float:
        placements, _ = _router(ref, sc, **weights).route_day(0, ready)
        placed = sum(p.persons for p in placements)
        return sum(p.persons for p in placements if p.region in priority) / placed

    south = {"tar_saryagash": ("saryagash", 30_000)}
    east = {"tar_ayagoz": ("ayagoz", 15_000)}
    neutral = {"priority_weight": 1.0, "other_penalty_h": 0.0}
    against = {"priority_weight": 5.0, "other_penalty_h": 0.0}
    # from the south, only the priority weighting sends people north and east
    assert share_to_priority(south) == 1.0 > share_to_priority(south, **neutral)
    # from the east, weighting against the priority regions sends some elsewhere
    assert share_to_priority(east, **neutral) > share_to_priority(east, **against)


def test_closure_reroutes_and_unreachable_is_reported(ref):
    net = RoadNetwork(ref.road_graph())
    before = net.path("shymkent", "astana")
    a, b = before[0], before[1]
    net.close(a, b)
    after = net.path("shymkent", "astana")
    assert after is not None and (a, b) not in pairwise(after)
    assert net.travel_h("shymkent")["astana"] >= nx.path_weight(
        ref.road_graph(), before, "travel_h"
    )
    net.open(a, b)
    assert net.path("shymkent", "astana") == before

    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    router = _router(ref, sc)
    for nb in list(ref.road_graph().neighbors("petropavl")):
        router.network.close("petropavl", nb)
    placements, unplaced = router.route_day(3, {"tar_saryagash": ("saryagash", 100)})
    assert {"day": 3, "origin": "tar_saryagash", "region": "KZ-59"} in router.unreachable
    assert all(p.region != "KZ-59" for p in placements)
    assert sum(p.persons for p in placements) + sum(unplaced.values()) == 100


def test_default_scenario_relocates_mostly_north_and_east(south_base):
    _, res = south_base
    regions = res.summary["regions"]
    allocated = sum(r["allocated"] for r in regions.values())
    to_priority = sum(r["allocated"] for r in regions.values() if r["priority"])
    priority_full = all(r["remaining"] == 0 for r in regions.values() if r["priority"])
    assert allocated > 0
    assert to_priority / allocated > 0.8 or priority_full
    assert all(r["allocated"] <= r["capacity"] for r in regions.values())
    # delivered people are relocated; the rest of the allocated are still on the road
    led = res.summary["ledger"]
    assert led["relocated"] <= allocated <= led["relocated"] + led["in_transit"]
    assert res.summary["corridors"] and res.summary["corridors"][0]["persons"] > 0


def test_road_close_inject_changes_routes(ref, south_base):
    sc, base_run = south_base
    base = base_run.tables["corridors_daily"]
    used = base.groupby(["from", "to"])["persons"].sum().idxmax()
    cut = sc.model_copy(
        update={
            "injects": [*sc.injects, RoadClose(at_h=0, kind="road_close", target="--".join(used))]
        }
    )
    moved = run_scenario(cut, ref).tables["corridors_daily"]
    on_cut = moved[(moved["from"] == used[0]) & (moved["to"] == used[1])]
    assert on_cut["persons"].sum() == 0
    assert moved["persons"].sum() > 0
