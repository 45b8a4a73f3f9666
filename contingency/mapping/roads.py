"""Roads closed at one moment of a run: each ``road_close`` inject of the scenario in force
(not yet undone by a ``road_open`` of the same road), drawn between its two nodes."""

from __future__ import annotations

from typing import TypedDict

from contingency.refdata import RefData
from contingency.scenario import Scenario
from contingency.scenario.schema import RoadClose, RoadOpen
from contingency.scenario.targets import road_key

CLOSED_ROAD_COLOUR = "#c62828"


class ClosedRoadItem(TypedDict):
    """A road closed at the hour shown."""

    id: str
    """The road as the inject names it, ``node--node``."""
    name_ru: str
    name_kk: str
    name_en: str
    """Its two ends by name (``Алматы — Конаев``); road nodes have no Kazakh names of their own,
    so the Kazakh one uses the Russian names."""
    road_ref: str | None
    """The highway's number (``A-2``) where the map pack gives one."""
    closed_h: float
    """Hours from the start when it closed."""
    coords: list[list[float]]
    """[[lat, lon], [lat, lon]]."""


def closed_roads(sc: Scenario | None, ref: RefData, *, time_h: int) -> list[ClosedRoadItem]:
    """The roads closed at the end of hour ``time_h``: a ``road_close`` inject at ``at_h`` is
    in force from the hour it falls in (``at_h < time_h``) until a ``road_open`` of the same
    road. A road whose nodes ``ref`` cannot place is left off the map."""
    if sc is None:
        return []
    since: dict[frozenset[str], tuple[str, float]] = {}
    for inj in sorted(sc.injects, key=lambda i: i.at_h):
        if inj.at_h >= time_h or not isinstance(inj, RoadClose | RoadOpen):
            continue
        ends = road_key(inj.target)
        if ends is None:
            continue
        if isinstance(inj, RoadClose):
            since.setdefault(frozenset(ends), (inj.target, inj.at_h))
        else:
            since.pop(frozenset(ends), None)
    nodes = {str(n["_id"]): n for n in ref.road_nodes.reset_index(names="_id").to_dict("records")}
    refs = _road_refs(ref)
    out: list[ClosedRoadItem] = []
    for target, at_h in since.values():
        a, b = road_key(target) or ("", "")
        if a not in nodes or b not in nodes:
            continue
        na, nb = nodes[a], nodes[b]
        ru = f"{na.get('name_ru') or na['name_en']} — {nb.get('name_ru') or nb['name_en']}"
        out.append(
            ClosedRoadItem(
                id=target,
                name_ru=ru,
                name_kk=ru,
                name_en=f"{na['name_en']} — {nb['name_en']}",
                road_ref=refs.get(frozenset((a, b))),
                closed_h=float(at_h),
                coords=[
                    [float(na["lat"]), float(na["lon"])],
                    [float(nb["lat"]), float(nb["lon"])],
                ],
            )
        )
    return out


def _road_refs(ref: RefData) -> dict[frozenset[str], str]:
    e = ref.road_edges
    return {
        frozenset((str(a), str(b))): str(r)
        for a, b, r in zip(e["from"], e["to"], e["road_ref"], strict=True)
        if isinstance(r, str) and r
    }
