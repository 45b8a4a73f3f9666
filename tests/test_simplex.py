"""The compiled network simplex returns the flow networkx's ``network_simplex`` returns, edge
for edge, ties included, on graphs shaped like a day's onward allocation and on general
ones; so :func:`~contingency.routing.allocate.allocate` places people as it did on networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contingency.routing.allocate import _SCALE, Allocation, allocate
from contingency.routing.simplex import Infeasible, min_cost_flow


def _networkx_allocate(
    supply: dict[str, int],
    seats: dict[str, int],
    capacity: dict[str, int],
    cost_h: dict[tuple[str, str], float],
) -> Allocation:
    """The allocation as it was written on networkx: the reference."""
    g = nx.DiGraph()
    movable = {o: min(n, seats.get(o, 0)) for o, n in supply.items() if n > 0}
    total = sum(movable.values())
    unplaced = {o: n - movable.get(o, 0) for o, n in supply.items() if n > 0}
    if total == 0:
        return Allocation({}, {o: n for o, n in unplaced.items() if n})
    worst = max(cost_h.values(), default=1.0)
    g.add_node("sink", demand=0)
    for o, n in movable.items():
        g.add_node(("o", o), demand=-n)
        g.add_edge(("o", o), "sink", weight=int(worst * _SCALE * 10) + 10_000, capacity=n)
    for r, cap in capacity.items():
        if cap > 0:
            g.add_edge(("r", r), "sink", weight=0, capacity=cap)
    for (o, r), hours in cost_h.items():
        if o in movable and capacity.get(r, 0) > 0:
            g.add_edge(("o", o), ("r", r), weight=round(hours * _SCALE), capacity=movable[o])
    g.nodes["sink"]["demand"] = total
    flow = nx.network_simplex(g)[1]
    flows: dict[tuple[str, str], int] = {}
    for o in movable:
        for dest, f in flow[("o", o)].items():
            if f <= 0:
                continue
            if dest == "sink":
                unplaced[o] += f
            else:
                flows[(o, dest[1])] = f
    return Allocation(flows, {o: n for o, n in unplaced.items() if n})


def _day(rng: np.random.Generator) -> tuple[dict, dict, dict, dict]:
    """A day's allocation with few distinct costs (many ties), some origins without seats,
    some regions full and some pairs unreachable."""
    origins = [f"c{k}" for k in range(rng.integers(1, 30))]
    regions = [f"r{k}" for k in range(rng.integers(1, 20))]
    supply = {o: int(rng.integers(0, 3000)) for o in origins}
    seats = {o: int(rng.choice([0, 100, 500, 10**9])) for o in origins}
    capacity = {r: int(rng.choice([0, 50, 2000, 20000])) for r in regions}
    cost = {
        (o, r): float(rng.choice([1.0, 2.5, 2.5, 7.25, 12.0]))
        for o in origins
        for r in regions
        if rng.random() > 0.1
    }
    return supply, seats, capacity, cost


@pytest.mark.parametrize("seed", range(40))
def test_allocate_places_as_networkx_did(seed: int):
    supply, seats, capacity, cost = _day(np.random.default_rng(seed))
    assert allocate(supply, seats, capacity, cost) == _networkx_allocate(
        supply, seats, capacity, cost
    )


@pytest.mark.parametrize("seed", range(20))
def test_allocate_takes_pairs_in_any_order_as_networkx_did(seed: int):
    """Pairs given with origins interleaved (and pairs of unknown origins or regions):
    each origin's edges follow its pairs in the order given, as a DiGraph holds them."""
    rng = np.random.default_rng(1000 + seed)
    supply, seats, capacity, cost = _day(rng)
    pairs = [*cost.items(), (("elsewhere", "r0"), 99.0), (("c0", "nowhere"), 0.5)]
    shuffled = dict(pairs[k] for k in rng.permutation(len(pairs)))
    got = allocate(supply, seats, capacity, shuffled)
    assert got == _networkx_allocate(supply, seats, capacity, shuffled)
    assert list(got.flows) == sorted(got.flows, key=lambda p: list(supply).index(p[0]))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(2, 9))
def test_min_cost_flow_is_networkxs_on_general_graphs(data: st.DataObject, n: int):
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    chosen = data.draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=30, unique=True))
    caps = data.draw(st.lists(st.integers(1, 20), min_size=len(chosen), max_size=len(chosen)))
    weights = data.draw(st.lists(st.integers(-3, 6), min_size=len(chosen), max_size=len(chosen)))
    supply = data.draw(st.lists(st.integers(-8, 8), min_size=n - 1, max_size=n - 1))
    demand = [*supply, -sum(supply)]
    g = nx.DiGraph()
    for u, d in enumerate(demand):
        g.add_node(u, demand=d)
    for (u, v), c, w in zip(chosen, caps, weights, strict=True):
        g.add_edge(u, v, capacity=c, weight=w)
    rows = [(u, v, d["capacity"], d["weight"]) for u, v, d in g.edges(data=True)]
    src, tgt, cap, weight = (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
    try:
        expected = nx.network_simplex(g)[1]
    except nx.NetworkXUnfeasible:
        with pytest.raises(Infeasible):
            min_cost_flow(np.array(demand), src, tgt, cap, weight)
        return
    got = min_cost_flow(np.array(demand), src, tgt, cap, weight)
    assert got.tolist() == [expected[u][v] for u, v in g.edges()]


@pytest.mark.parametrize(
    ("sources", "targets", "capacity"),
    [([0], [1], [0]), ([0, 1], [1, 1], [5, 5])],
    ids=["no_capacity", "self_loop"],
)
def test_edges_networkx_would_leave_out_are_refused(sources, targets, capacity):
    """An edge of no capacity or a loop would stall the compiled search: refused, not run."""
    with pytest.raises(ValueError, match="leave"):
        min_cost_flow(
            np.array([-1, 1]),
            np.array(sources),
            np.array(targets),
            np.array(capacity),
            np.zeros(len(sources), dtype=np.int64),
        )
