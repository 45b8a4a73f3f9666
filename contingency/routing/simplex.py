"""The network simplex method of networkx (``network_simplex``), step for step, compiled.

The same initial spanning tree (an artificial root joined to every node), the same block
search for the entering edge (blocks of ceil(sqrt(edges)) edges, the first edge of least
reduced cost in a block), the same leaving edge (the first of least residual capacity walking
the cycle backwards) and the same tree updates, on integer costs and capacities: so it returns
the very flow networkx returns, ties included (the test suite compares them), at a fraction of
the cost. Nodes are 0..n-1 and edges are given as arrays in the order networkx would read them
from the graph (``G.edges``), edges of capacity 0 left out as networkx leaves them out.
"""

from __future__ import annotations

import math

import numba
import numpy as np


class Infeasible(ValueError):
    """No flow satisfies every node's demand."""


def min_cost_flow(
    demand: np.ndarray,
    sources: np.ndarray,
    targets: np.ndarray,
    capacity: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    """The flow on each edge of a least-cost flow meeting ``demand`` (negative: supply), as
    ``networkx.network_simplex`` finds it. Every capacity is finite and positive.

    Raises
    ------
    Infeasible
        When no flow meets the demands.
    """
    if demand.sum() != 0:
        raise Infeasible("total node demand is not zero")
    if len(capacity) and capacity.min() <= 0:
        raise ValueError("every edge needs a positive capacity (leave out those of none)")
    if np.any(sources == targets):
        raise ValueError("an edge from a node to itself (leave it out)")
    flow, ok = _simplex(
        np.ascontiguousarray(demand, dtype=np.int64),
        np.ascontiguousarray(sources, dtype=np.int64),
        np.ascontiguousarray(targets, dtype=np.int64),
        np.ascontiguousarray(capacity, dtype=np.int64),
        np.ascontiguousarray(weight, dtype=np.int64),
    )
    if not ok:
        raise Infeasible("no flow satisfies all node demands")
    return flow


_NONE = -1
"""No node or edge (networkx's ``None``): the root's parent, a detached subtree's."""


@numba.njit(cache=True)
def _simplex(
    demand: np.ndarray,
    src_in: np.ndarray,
    tgt_in: np.ndarray,
    cap_in: np.ndarray,
    w_in: np.ndarray,
) -> tuple[np.ndarray, bool]:
    """networkx's ``network_simplex`` on nodes 0..n-1 (the root is node n); the flow on each
    edge and whether every demand is met."""
    n, m = len(demand), len(src_in)
    src, tgt, cap, w, flow = _with_artificial_edges(demand, src_in, tgt_in, cap_in, w_in)
    tree = _initial_tree(demand, m, w[m])
    parent, parent_edge, size, nxt, prv, last, pot = tree
    wn = np.empty(2 * n + 4, dtype=np.int64)  # the cycle's nodes and edges
    we = np.empty(2 * n + 4, dtype=np.int64)
    work = np.empty((3, n + 2), dtype=np.int64)
    if m > 0:
        block = math.ceil(math.sqrt(m))
        blocks = (m + block - 1) // block
        misses, first = 0, 0
        while misses < blocks:
            # the entering edge: the first of least reduced cost in this block
            best, best_c = -1, 0
            for step in range(block):  # from ``first`` on, wrapping past the last edge
                k = first + step
                if k >= m:
                    k -= m
                c = w[k] - pot[src[k]] + pot[tgt[k]]
                if flow[k] != 0:
                    c = -c
                if best < 0 or c < best_c:
                    best, best_c = k, c
            first = first + block if first + block <= m else first + block - m
            if best_c >= 0:
                misses += 1
                continue
            misses = 0
            i = best
            p, q = (src[i], tgt[i]) if flow[i] == 0 else (tgt[i], src[i])
            len_n, len_e = _find_cycle(i, p, q, parent, parent_edge, size, wn, we, work)
            j, s, t, r = _find_leaving_edge(wn, we, len_n, len_e, src, tgt, cap, flow)
            _augment_flow(wn, we, min(len_n, len_e), src, flow, r)
            if i != j:
                if parent[t] != s:
                    s, t = t, s
                if _index(we, len_e, i) > _index(we, len_e, j):
                    p, q = q, p
                _remove_edge(s, t, parent, parent_edge, size, nxt, prv, last)
                _make_root(q, parent, parent_edge, size, nxt, prv, last, work[2])
                _add_edge(i, p, q, parent, parent_edge, size, nxt, prv, last)
                _update_potentials(i, p, q, tgt, w, pot, nxt, last)
    ok = not np.any(flow[m:] != 0)
    return flow[:m].copy(), ok


@numba.njit(cache=True)
def _with_artificial_edges(
    demand: np.ndarray, src_in: np.ndarray, tgt_in: np.ndarray, cap_in: np.ndarray, w_in: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The edges with one artificial edge between each node and the root after them (of
    networkx's "faux infinite" capacity and cost), and the initial flow: each node's demand
    on its artificial edge."""
    n, m = len(demand), len(src_in)
    src = np.empty(m + n, dtype=np.int64)
    tgt = np.empty(m + n, dtype=np.int64)
    cap = np.empty(m + n, dtype=np.int64)
    w = np.empty(m + n, dtype=np.int64)
    src[:m], tgt[:m], cap[:m], w[:m] = src_in, tgt_in, cap_in, w_in
    for i in range(n):
        if demand[i] > 0:
            src[m + i], tgt[m + i] = n, i
        else:
            src[m + i], tgt[m + i] = i, n
    faux_inf = 3 * max(cap_in.sum(), np.abs(w_in).sum(), np.abs(demand).sum())
    if faux_inf == 0:
        faux_inf = 1
    cap[m:], w[m:] = faux_inf, faux_inf
    flow = np.zeros(m + n, dtype=np.int64)
    flow[m:] = np.abs(demand)
    return src, tgt, cap, w, flow


@numba.njit(cache=True)
def _initial_tree(
    demand: np.ndarray, m: int, faux_inf: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """networkx's first spanning tree (every node a child of the root by its artificial edge,
    threaded in order): parents, parent edges, subtree sizes, the depth-first thread (next,
    previous, last descendant) and the node potentials."""
    n = len(demand)
    root = n
    parent = np.full(n + 1, root, dtype=np.int64)
    parent[root] = _NONE
    parent_edge = np.empty(n + 1, dtype=np.int64)
    parent_edge[:n] = np.arange(m, m + n)
    parent_edge[root] = _NONE
    size = np.ones(n + 1, dtype=np.int64)
    size[root] = n + 1
    nxt = np.empty(n + 1, dtype=np.int64)
    prv = np.empty(n + 1, dtype=np.int64)
    last = np.empty(n + 1, dtype=np.int64)
    for i in range(n):
        nxt[i] = i + 1
        prv[i] = i - 1 if i > 0 else root
        last[i] = i
    if n > 0:
        nxt[n - 1] = root
    nxt[root] = 0
    prv[root] = n - 1
    last[root] = n - 1 if n > 0 else root
    pot = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        pot[i] = faux_inf if demand[i] <= 0 else -faux_inf
    return parent, parent_edge, size, nxt, prv, last, pot


@numba.njit(cache=True)
def _find_cycle(
    i: int,
    p: int,
    q: int,
    parent: np.ndarray,
    parent_edge: np.ndarray,
    size: np.ndarray,
    wn: np.ndarray,
    we: np.ndarray,
    work: np.ndarray,
) -> tuple[int, int]:
    """The nodes (``wn``) and edges (``we``) of the cycle edge ``i`` = (p, q) closes in the
    tree, from p to q; returns how many of each."""
    a, b = p, q  # find_apex: the lowest common ancestor
    sa, sb = size[a], size[b]
    while True:
        while sa < sb:
            a = parent[a]
            sa = size[a]
        while sa > sb:
            b = parent[b]
            sb = size[b]
        if sa == sb:
            if a == b:
                break
            a = parent[a]
            sa = size[a]
            b = parent[b]
            sb = size[b]
    apex = a
    path_n, path_e = work[0], work[1]
    nn, ne = 1, 0
    x = p
    path_n[0] = x
    while x != apex:  # trace_path(p, apex)
        path_e[ne] = parent_edge[x]
        ne += 1
        x = parent[x]
        path_n[nn] = x
        nn += 1
    for k in range(nn):  # reversed
        wn[k] = path_n[nn - 1 - k]
    for k in range(ne):
        we[k] = path_e[ne - 1 - k]
    len_n, len_e = nn, ne
    if not (len_e == 1 and we[0] == i):
        we[len_e] = i
        len_e += 1
    x = q
    while x != apex:  # trace_path(q, apex) without its last node
        wn[len_n] = x
        len_n += 1
        we[len_e] = parent_edge[x]
        len_e += 1
        x = parent[x]
    return len_n, len_e


@numba.njit(cache=True)
def _find_leaving_edge(
    wn: np.ndarray,
    we: np.ndarray,
    len_n: int,
    len_e: int,
    src: np.ndarray,
    tgt: np.ndarray,
    cap: np.ndarray,
    flow: np.ndarray,
) -> tuple[int, int, int, int]:
    """The cycle's edge of least residual capacity, the first walking it backwards: the
    edge, its end s on the cycle and its other end t, and that capacity."""
    j, s, best_r = -1, -1, 0
    for k in range(min(len_n, len_e)):
        e, node = we[len_e - 1 - k], wn[len_n - 1 - k]
        r = cap[e] - flow[e] if src[e] == node else flow[e]
        if j < 0 or r < best_r:
            j, s, best_r = e, node, r
    t = tgt[j] if src[j] == s else src[j]
    return j, s, t, best_r


@numba.njit(cache=True)
def _augment_flow(
    wn: np.ndarray, we: np.ndarray, pairs: int, src: np.ndarray, flow: np.ndarray, f: int
) -> None:
    """Push ``f`` units round the cycle."""
    for k in range(pairs):
        e = we[k]
        if src[e] == wn[k]:
            flow[e] += f
        else:
            flow[e] -= f


@numba.njit(cache=True)
def _index(values: np.ndarray, n: int, v: int) -> int:
    """Where ``v`` first stands among the first ``n`` values (-1: nowhere)."""
    for k in range(n):
        if values[k] == v:
            return k
    return -1


@numba.njit(cache=True)
def _remove_edge(
    s: int,
    t: int,
    parent: np.ndarray,
    parent_edge: np.ndarray,
    size: np.ndarray,
    nxt: np.ndarray,
    prv: np.ndarray,
    last: np.ndarray,
) -> None:
    """Cut the tree edge (s, t), t a child of s."""
    size_t = size[t]
    prev_t = prv[t]
    last_t = last[t]
    next_last_t = nxt[last_t]
    parent[t] = _NONE
    parent_edge[t] = _NONE
    nxt[prev_t] = next_last_t
    prv[next_last_t] = prev_t
    nxt[last_t] = t
    prv[t] = last_t
    _resize_ancestors(s, -size_t, last_t, prev_t, parent, size, last)


@numba.njit(cache=True)
def _make_root(
    q: int,
    parent: np.ndarray,
    parent_edge: np.ndarray,
    size: np.ndarray,
    nxt: np.ndarray,
    prv: np.ndarray,
    last: np.ndarray,
    ancestors: np.ndarray,
) -> None:
    """Make ``q`` the root of its (cut off) subtree."""
    na = 0
    x = q
    while x != _NONE:
        ancestors[na] = x
        na += 1
        x = parent[x]
    for k in range(na - 1, 0, -1):  # from the top down
        p, c = ancestors[k], ancestors[k - 1]
        size_p = size[p]
        last_p = last[p]
        prev_c = prv[c]
        last_c = last[c]
        next_last_c = nxt[last_c]
        parent[p] = c
        parent[c] = _NONE
        parent_edge[p] = parent_edge[c]
        parent_edge[c] = _NONE
        size[p] = size_p - size[c]
        size[c] = size_p
        nxt[prev_c] = next_last_c
        prv[next_last_c] = prev_c
        nxt[last_c] = c
        prv[c] = last_c
        if last_p == last_c:
            last[p] = prev_c
            last_p = prev_c
        prv[p] = last_c
        nxt[last_c] = p
        nxt[last_p] = c
        prv[c] = last_p
        last[c] = last_p


@numba.njit(cache=True)
def _add_edge(
    i: int,
    p: int,
    q: int,
    parent: np.ndarray,
    parent_edge: np.ndarray,
    size: np.ndarray,
    nxt: np.ndarray,
    prv: np.ndarray,
    last: np.ndarray,
) -> None:
    """Hang the subtree rooted at ``q`` under ``p`` by edge ``i``."""
    last_p = last[p]
    next_last_p = nxt[last_p]
    size_q = size[q]
    last_q = last[q]
    parent[q] = p
    parent_edge[q] = i
    nxt[last_p] = q
    prv[q] = last_p
    prv[next_last_p] = last_q
    nxt[last_q] = next_last_p
    _resize_ancestors(p, size_q, last_p, last_q, parent, size, last)


@numba.njit(cache=True)
def _resize_ancestors(
    x: int,
    by: int,
    was_last: int,
    now_last: int,
    parent: np.ndarray,
    size: np.ndarray,
    last: np.ndarray,
) -> None:
    """From ``x`` up to its root: subtree sizes change ``by`` nodes, and a last descendant
    ``was_last`` becomes ``now_last`` (a subtree cut off below, or hung on)."""
    while x != _NONE:
        size[x] += by
        if last[x] == was_last:
            last[x] = now_last
        x = parent[x]


@numba.njit(cache=True)
def _update_potentials(
    i: int, p: int, q: int, tgt: np.ndarray, w: np.ndarray, pot: np.ndarray, nxt: np.ndarray,
    last: np.ndarray,
) -> None:  # fmt: skip
    """Shift the potentials of the subtree under ``q`` (joined to ``p`` by edge ``i``) so the
    edge's reduced cost is 0."""
    d = pot[p] - w[i] - pot[q] if q == tgt[i] else pot[p] + w[i] - pot[q]
    x = q
    stop = last[q]
    pot[x] += d
    while x != stop:
        x = nxt[x]
        pot[x] += d
