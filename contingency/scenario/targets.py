"""What an inject's or a reserve's ``target`` may name, by its :class:`TargetKind`: the check
the scenario loader makes and the choices the board offers, side by side."""

from __future__ import annotations

from typing import assert_never

import networkx as nx

from contingency.domain import TargetKind
from contingency.refdata import RefData


def road_key(target: str) -> tuple[str, str] | None:
    """The two nodes of a road written ``node--node`` (None when it is not written so)."""
    parts = target.split("--")
    return (parts[0], parts[1]) if len(parts) == 2 else None


def _road_problem(target: str, graph: nx.Graph) -> str | None:
    edge = road_key(target)
    if edge is None:
        return "a road is written as 'node--node'"
    if graph.has_edge(*edge):
        return None
    bad = [n for n in edge if n not in graph]
    return f"unknown road node {bad[0]!r}" if bad else "no road joins these nodes"


def target_problem(
    kind: TargetKind, target: str, *, in_play: set[str], ref: RefData, graph: nx.Graph
) -> str | None:
    """Why ``target`` cannot be a target of ``kind`` (None when it can).

    ``in_play`` holds the scenario's checkpoints; ``graph`` is ``ref.road_graph()``.
    """
    match kind:
        case TargetKind.checkpoint:
            return None if target in in_play else "not a checkpoint in this scenario"
        case TargetKind.centre:
            return None if target in ref.centres.index else "unknown centre id"
        case TargetKind.node:
            return None if target in graph else "unknown road node"
        case TargetKind.road:
            return _road_problem(target, graph)
        case _:
            assert_never(kind)


def target_choices(kind: TargetKind, *, in_play: list[str], ref: RefData) -> list[str]:
    """Every valid target of ``kind``, as the board offers them."""
    match kind:
        case TargetKind.checkpoint:
            return list(in_play)
        case TargetKind.centre:
            return [str(c) for c in ref.centres.index]
        case TargetKind.node:
            return [str(n) for n in ref.road_nodes.index]
        case TargetKind.road:
            edges = zip(ref.road_edges["from"], ref.road_edges["to"], strict=True)
            return sorted(f"{a}--{b}" for a, b in edges)
        case _:
            assert_never(kind)
