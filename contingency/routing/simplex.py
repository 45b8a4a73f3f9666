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


@numba.njit(cache=True)
def _simplex(
    demand: np.ndarray,
    src_in: np.ndarray,
    tgt_in: np.ndarray,
    cap_in: np.ndarray,
    w_in: np.ndarray,
) -> tuple[np.ndarray, bool]:
    n, m = len(demand), len(src_in)
    root, none = n, -1
    src = np.empty(m + n, dtype=np.int64)
    tgt = np.empty(m + n, dtype=np.int64)
    cap = np.empty(m + n, dtype=np.int64)
    w = np.empty(m + n, dtype=np.int64)
    src[:m], tgt[:m], cap[:m], w[:m] = src_in, tgt_in, cap_in, w_in
    for i in range(n):  # artificial edges between each node and the root
        if demand[i] > 0:
            src[m + i], tgt[m + i] = root, i
        else:
            src[m + i], tgt[m + i] = i, root
    faux_inf = 3 * max(cap_in.sum(), np.abs(w_in).sum(), np.abs(demand).sum())
    if faux_inf == 0:
        faux_inf = 1
    cap[m:], w[m:] = faux_inf, faux_inf

    flow = np.zeros(m + n, dtype=np.int64)
    flow[m:] = np.abs(demand)
    pot = np.empty(n + 1, dtype=np.int64)
    for i in range(n):
        pot[i] = faux_inf if demand[i] <= 0 else -faux_inf
    pot[n] = 0
    parent = np.full(n + 1, root, dtype=np.int64)
    parent[root] = none
    parent_edge = np.empty(n + 1, dtype=np.int64)
    parent_edge[:n] = np.arange(m, m + n)
    parent_edge[root] = none
    size = np.ones(n + 1, dtype=np.int64)
    size[root] = n + 1
    nxt = np.empty(n + 1, dtype=np.int64)  # depth-first thread
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

    wn = np.empty(2 * n + 4, dtype=np.int64)  # the cycle's nodes and edges
    we = np.empty(2 * n + 4, dtype=np.int64)
    tmp_n = np.empty(n + 2, dtype=np.int64)
    tmp_e = np.empty(n + 2, dtype=np.int64)
    anc = np.empty(n + 2, dtype=np.int64)

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
            if flow[i] == 0:
                p, q = src[i], tgt[i]
            else:
                p, q = tgt[i], src[i]

            # the cycle the entering edge closes (find_cycle)
            a, b = p, q
            sa, sb = size[a], size[b]
            while True:
                while sa < sb:
                    a = parent[a]
                    sa = size[a]
                while sa > sb:
                    b = parent[b]
                    sb = size[b]
                if sa == sb:
                    if a != b:
                        a = parent[a]
                        sa = size[a]
                        b = parent[b]
                        sb = size[b]
                    else:
                        break
            apex = a
            nn = 0
            ne = 0
            x = p
            tmp_n[nn] = x
            nn += 1
            while x != apex:
                tmp_e[ne] = parent_edge[x]
                ne += 1
                x = parent[x]
                tmp_n[nn] = x
                nn += 1
            len_n, len_e = 0, 0
            for k2 in range(nn - 1, -1, -1):
                wn[len_n] = tmp_n[k2]
                len_n += 1
            for k2 in range(ne - 1, -1, -1):
                we[len_e] = tmp_e[k2]
                len_e += 1
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

            # the leaving edge: least residual capacity, walking the cycle backwards
            pairs = min(len_n, len_e)
            j, s, best_r = -1, -1, 0
            for k2 in range(pairs):
                e, node = we[len_e - 1 - k2], wn[len_n - 1 - k2]
                r = cap[e] - flow[e] if src[e] == node else flow[e]
                if j < 0 or r < best_r:
                    j, s, best_r = e, node, r
            t = tgt[j] if src[j] == s else src[j]

            for k2 in range(pairs):  # augment along the cycle
                e, node = we[k2], wn[k2]
                if src[e] == node:
                    flow[e] += best_r
                else:
                    flow[e] -= best_r

            if i != j:
                if parent[t] != s:
                    s, t = t, s
                ii = -1
                jj = -1
                for k2 in range(len_e):
                    if ii < 0 and we[k2] == i:
                        ii = k2
                    if jj < 0 and we[k2] == j:
                        jj = k2
                if ii > jj:
                    p, q = q, p
                # remove_edge(s, t)
                size_t = size[t]
                prev_t = prv[t]
                last_t = last[t]
                next_last_t = nxt[last_t]
                parent[t] = none
                parent_edge[t] = none
                nxt[prev_t] = next_last_t
                prv[next_last_t] = prev_t
                nxt[last_t] = t
                prv[t] = last_t
                x = s
                while x != none:
                    size[x] -= size_t
                    if last[x] == last_t:
                        last[x] = prev_t
                    x = parent[x]
                # make_root(q)
                na = 0
                x = q
                while x != none:
                    anc[na] = x
                    na += 1
                    x = parent[x]
                for k2 in range(na - 1, 0, -1):
                    pp, qq = anc[k2], anc[k2 - 1]
                    size_p = size[pp]
                    last_p = last[pp]
                    prev_q = prv[qq]
                    last_q = last[qq]
                    next_last_q = nxt[last_q]
                    parent[pp] = qq
                    parent[qq] = none
                    parent_edge[pp] = parent_edge[qq]
                    parent_edge[qq] = none
                    size[pp] = size_p - size[qq]
                    size[qq] = size_p
                    nxt[prev_q] = next_last_q
                    prv[next_last_q] = prev_q
                    nxt[last_q] = qq
                    prv[qq] = last_q
                    if last_p == last_q:
                        last[pp] = prev_q
                        last_p = prev_q
                    prv[pp] = last_q
                    nxt[last_q] = pp
                    nxt[last_p] = qq
                    prv[qq] = last_p
                    last[qq] = last_p
                # add_edge(i, p, q)
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
                x = p
                while x != none:
                    size[x] += size_q
                    if last[x] == last_p:
                        last[x] = last_q
                    x = parent[x]
                # update_potentials(i, p, q)
                d = pot[p] - w[i] - pot[q] if q == tgt[i] else pot[p] + w[i] - pot[q]
                x = q
                stop_at = last[q]
                pot[x] += d
                while x != stop_at:
                    x = nxt[x]
                    pot[x] += d

    for k in range(m, m + n):
        if flow[k] != 0:
            return flow[:m].copy(), False
    return flow[:m].copy(), True
