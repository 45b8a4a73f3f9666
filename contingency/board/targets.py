"""Names of live-inject targets as the page's language writes them: checkpoints, centres and
sites by name, road nodes by their town, roads as "Шымкент — Тараз"."""

from __future__ import annotations

from contingency.domain import TargetKind
from contingency.mapping.names import facility_label
from contingency.refdata import RefData
from contingency.scenario import Scenario
from contingency.scenario.targets import road_key


def node_name(node: str, lang: str, ref: RefData) -> str:
    """A road node's name in ``lang`` (Russian for Kazakh, which the map pack does not give;
    the id when it gives no name)."""
    if node not in ref.road_nodes.index:
        return node
    row = ref.road_nodes.loc[node]
    name = row.get("name_en") if lang == "en" else row.get("name_ru")
    if not isinstance(name, str) or not name.strip():
        name = row.get("name_en")
    return str(name) if isinstance(name, str) and name.strip() else node


def target_label(kind: TargetKind, target: str, lang: str, *, sc: Scenario, ref: RefData) -> str:
    """What a reader sees for ``target`` of an inject of target ``kind`` (``ref`` with the
    scenario's own places)."""
    if kind is TargetKind.site:
        site = next((a for a in sc.add_centres if a.id == target), None)
        return getattr(site.name, lang) if site is not None else target
    if kind is TargetKind.node:
        return node_name(target, lang, ref)
    if kind is TargetKind.road:
        edge = road_key(target)
        if edge is None:
            return target
        return " — ".join(node_name(n, lang, ref) for n in edge)
    return facility_label(target, lang, ref, {})
