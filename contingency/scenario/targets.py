"""What an inject's or a reserve's ``target`` may name, by its :class:`TargetKind`: the check
the scenario loader makes and the choices the board offers, side by side."""

from __future__ import annotations

from typing import assert_never

import networkx as nx

from contingency.domain import TargetKind
from contingency.errors import msg
from contingency.refdata import RefData
from contingency.suggest import closest


def road_key(target: str) -> tuple[str, str] | None:
    """The two nodes of a road written ``node--node`` (None when it is not written so)."""
    parts = target.split("--")
    return (parts[0], parts[1]) if len(parts) == 2 else None


def _road_problem(target: str, graph: nx.Graph) -> str | None:
    edge = road_key(target)
    if edge is None:
        return msg("problem.road_format")
    if graph.has_edge(*edge):
        return None
    bad = [n for n in edge if n not in graph]
    return msg("problem.unknown_node_named", node=repr(bad[0])) if bad else msg("problem.no_road")


def target_problem(
    kind: TargetKind,
    target: str,
    *,
    in_play: set[str],
    ref: RefData,
    graph: nx.Graph,
    sites: set[str] = frozenset(),  # type: ignore[assignment]
) -> str | None:
    """Why ``target`` cannot be a target of ``kind`` (None when it can).

    ``in_play`` holds the scenario's checkpoints; ``graph`` is ``ref.road_graph()``; ``sites``
    the temporary sites the scenario adds.
    """
    match kind:
        case TargetKind.checkpoint:
            if target in in_play:
                return None
            return msg("problem.not_in_scenario", hint=closest(target, in_play))
        case TargetKind.centre:
            if target in ref.centres.index:
                return None
            return msg("problem.unknown_centre", hint=closest(target, set(ref.centres.index)))
        case TargetKind.node:
            if target in graph:
                return None
            return msg("problem.unknown_node", hint=closest(target, set(map(str, graph.nodes))))
        case TargetKind.road:
            return _road_problem(target, graph)
        case TargetKind.site:
            if target in sites:
                return None
            return msg("problem.not_a_site", hint=closest(target, sites))
        case _:
            assert_never(kind)


def target_choices(
    kind: TargetKind,
    *,
    in_play: list[str],
    ref: RefData,
    sites: list[str] = [],  # noqa: B006
) -> list[str]:
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
        case TargetKind.site:
            return list(sites)
        case _:
            assert_never(kind)
