"""Reception pathways on the map: the symbol each centre takes (a transit hub and a temporary
site each have their own), when a site that is not open yet opens, and the origins of
displacement inside the country with the people displaced from each so far."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, NotRequired, TypedDict

import numpy as np
import pandas as pd

from contingency.domain import CentreKind
from contingency.refdata import RefData
from contingency.scenario import Scenario
from contingency.scenario.sites import TEMPORARY_SITE, origin_node
from contingency.sim.internal import InternalOrigins

CENTRE = "centre"
TRANSIT = "transit"
SITE = "site"
ORIGIN = "internal_origin"
NOT_OPEN = "not_open"
"""Symbols on the map besides regions, checkpoints and corridors (also the GeoJSON ``layer``
of their features); ``not_open`` is a site drawn hollow and grey."""
ORIGIN_COLOUR = "#6a1b9a"
NOT_OPEN_FILL = "#ffffff"
NOT_OPEN_STROKE = "#616161"


class OriginItem(TypedDict):
    """An origin of displacement inside the country (``internal_origins``) at one hour."""

    id: str
    """The scenario's key: a road node or a region's ISO code."""
    name_ru: str
    name_kk: str | None
    name_en: str
    node: str
    """The road node the displaced start out from (a region's centre node)."""
    region: str
    lat: float
    lon: float
    displaced: int
    """Persons displaced from here from the start up to this hour (as planned)."""
    displaced_total: int
    """Persons displaced from here over the whole run (as planned)."""
    map_lat: NotRequired[float]
    map_lon: NotRequired[float]


def centre_symbol(kind: str, *, temporary_site: bool) -> str:
    """The symbol a centre takes: ``transit`` for a transit hub (temporary or not), ``site``
    for another temporary site, else ``centre``."""
    if kind == CentreKind.transit:
        return TRANSIT
    return SITE if temporary_site else CENTRE


def temporary_sites(sc: Scenario | None, ref: RefData) -> set[str]:
    """Ids of the temporary sites: those ``sc`` adds, and rows of ``ref.centres`` marked so."""
    ids = {a.id for a in sc.add_centres} if sc is not None else set()
    if "facility_type" in ref.centres.columns:
        marked = ref.centres["facility_type"] == TEMPORARY_SITE
        ids |= {str(c) for c in ref.centres.index[marked.fillna(False).astype(bool)]}
    return ids


def first_open_hours(centres_hourly: pd.DataFrame) -> dict[str, int]:
    """The first hour (``time_h``) each centre is open in the run; a centre never open is left
    out. A run made before centres could open late has them all open from hour 1."""
    if "is_open" not in centres_hourly.columns:
        return {str(c): 1 for c in centres_hourly["centre"].unique()}
    rows = centres_hourly[centres_hourly["is_open"] > 0]
    return {str(c): int(h) for c, h in rows.groupby("centre")["time_h"].min().items()}


def origin_items(sc: Scenario | None, ref: RefData, *, time_h: int) -> list[OriginItem]:
    """The internal origins of ``sc`` at the end of hour ``time_h``; an origin that the map
    cannot place (a node or region the reference data lacks) is left off."""
    if sc is None or not sc.internal_origins:
        return []
    items: list[OriginItem] = []
    for key, spec in sc.internal_origins.items():
        node = origin_node(key, ref)
        if node is None or node not in ref.road_nodes.index:
            continue
        alone = sc.model_copy(update={"internal_origins": {key: spec}})
        arrived = InternalOrigins(alone, ref).arrived
        place = ref.road_nodes.loc[node].to_dict()
        names = _origin_names(key, place, ref)
        items.append(
            OriginItem(
                id=key,
                name_ru=names["ru"] or key,
                name_kk=names["kk"],
                name_en=names["en"] or key,
                node=node,
                region=str(place["region_iso"]),
                lat=float(place["lat"]),
                lon=float(place["lon"]),
                displaced=int(arrived[min(max(time_h, 0), len(arrived) - 1)]),
                displaced_total=int(arrived[-1]),
            )
        )
    return items


def _origin_names(key: str, place: Mapping[Hashable, Any], ref: RefData) -> dict[str, str | None]:
    """A region's names for a region key, else the road node's (no Kazakh name recorded)."""
    row = ref.regions.loc[key].to_dict() if key in ref.regions.index else place
    return {lang: _text(row.get(f"name_{lang}")) for lang in ("ru", "kk", "en")}


def _text(v: object) -> str | None:
    return v if isinstance(v, str) and v.strip() else None


def symbols_shown(centres: Iterable[Mapping[str, Any]], origins: Iterable[OriginItem]) -> set[str]:
    """The pathway symbols a map of these items shows, for its legend (``transit``, ``site``,
    ``not_open``, ``internal_origin``)."""
    out: set[str] = set()
    for c in centres:
        if not is_drawn(c):
            continue
        if c["symbol"] != CENTRE:
            out.add(c["symbol"])
        if not c["is_open"]:
            out.add(NOT_OPEN)
    if any(True for _ in origins):
        out.add(ORIGIN)
    return out


def is_drawn(c: Mapping[str, Any]) -> bool:
    """Whether the map draws a centre: one with places or people, and every temporary site
    (open or not); a mobile unit not yet deployed has neither and is left off."""
    return bool(c["capacity"] or c["present"] or c["temporary_site"])


def displaced_size(displaced: int) -> float:
    """How much bigger an origin's symbol grows with the people displaced so far (0 to 1)."""
    return float(min(1.0, np.sqrt(max(displaced, 0)) / 300))
