"""Places a scenario brings besides crossings: temporary sites (``add_centres``) and the
origins of displacement inside the country (``internal_origins``).

:func:`with_scenario_places` is the one place where the reference data a scenario runs with is
made: the map pack, then the crossings it adds, then its temporary sites as rows of
``centres`` (``facility_type`` ``temporary_site``), so the plan, the engine, the checks and the
map treat a site like any centre.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

import pandas as pd

from contingency.errors import Problem, msg, problem
from contingency.refdata import RefData
from contingency.scenario.added import nearest_node, with_added_checkpoints
from contingency.scenario.schema import AddedCentre, Scenario

SITE_SOURCE = "scenario add_centres"
TEMPORARY_SITE = "temporary_site"


def site_node(a: AddedCentre, ref: RefData) -> str:
    """The road node a site stands at: the one it names, else the nearest to its point."""
    if a.node is not None:
        return a.node
    assert a.lat is not None and a.lon is not None  # the schema asks for one or the other
    return nearest_node(ref, a.lat, a.lon)


def _centre_row(a: AddedCentre, ref: RefData, columns: pd.Index) -> dict[str, Any]:
    node = site_node(a, ref)
    lat, lon = a.lat, a.lon
    if lat is None or lon is None:
        place = ref.road_nodes.loc[node].to_dict()
        lat, lon = float(place["lat"]), float(place["lon"])
    row = {
        "id": a.id,
        "kind": a.kind.value,
        "facility_type": TEMPORARY_SITE,
        "name_ru": a.name.ru,
        "name_kk": a.name.kk,
        "name_en": a.name.en,
        "region_iso": a.region,
        "lat": lat,
        "lon": lon,
        "node": node,
        "beds": a.places,
        "beds_assumption": True,
        "intake_per_hour": a.intake_per_hour,
        "stay_days_mean": a.stay_days,
        "status": "temporary site",
        "source": SITE_SOURCE,
    }
    return {c: row.get(c) for c in columns}


def with_added_centres(sc: Scenario, ref: RefData, *, skip: Collection[str] = ()) -> RefData:
    """``ref`` with the temporary sites ``sc`` adds as centres (``ref`` itself when none).
    Ids already in ``ref.centres`` and those in ``skip`` are left out, so the call may be
    repeated on its own result."""
    taken = set(skip) | set(ref.centres.index)
    rows = []
    for a in sc.add_centres:
        if a.id in taken:
            continue
        taken.add(a.id)
        rows.append(_centre_row(a, ref, ref.centres.columns))
    if not rows:
        return ref
    extra = pd.DataFrame(rows, columns=ref.centres.columns).set_index("id", drop=False)
    return replace(ref, centres=pd.concat([ref.centres, extra]))


def with_scenario_places(sc: Scenario, ref: RefData) -> RefData:
    """The reference data ``sc`` runs with: ``ref``, its added crossings, its added sites."""
    return with_added_centres(sc, with_added_checkpoints(sc, ref))


def site_ids(sc: Scenario) -> set[str]:
    """Ids of the temporary sites ``sc`` adds."""
    return {a.id for a in sc.add_centres}


def origin_node(key: str, ref: RefData) -> str | None:
    """The road node displaced people from ``key`` (a road node or a region code) start at:
    the node itself, or the region's centre node (None: neither)."""
    if key in ref.road_nodes.index:
        return key
    if key in ref.regions.index:
        return str(ref.regions.at[key, "centre_node"])
    return None


def site_problems(file: str, sc: Scenario, ref: RefData) -> tuple[list[Problem], set[str]]:
    """Problems with the sites and internal origins ``sc`` gives, and the site ids with any."""
    out: list[Problem] = []
    bad: set[str] = set()
    seen: set[str] = set()
    for i, a in enumerate(sc.add_centres):
        at = f"add_centres.{i}"
        found = []
        if a.id in ref.centres.index:
            found.append(problem(file, f"{at}.id", msg("problem.clashes_centre"), a.id))
        if a.id in seen:
            found.append(problem(file, f"{at}.id", msg("problem.added_twice"), a.id))
        if a.node is not None and a.node not in ref.road_nodes.index:
            why = msg("problem.unknown_node", hint=None)
            found.append(problem(file, f"{at}.node", why, a.node))
        if a.region not in ref.regions.index:
            why = msg("problem.unknown_region", hint=None)
            found.append(problem(file, f"{at}.region", why, a.region))
        if a.opens_at_h is not None and a.opens_at_h > sc.horizon_days * 24:
            late = msg("problem.after_horizon_h", horizon_h=sc.horizon_days * 24)
            found.append(problem(file, f"{at}.opens_at_h", late, a.opens_at_h))
        seen.add(a.id)
        if found:
            bad.add(a.id)
        out += found
    for key in sc.internal_origins:
        if origin_node(key, ref) is None:
            why = msg("problem.origin_unknown")
            out.append(problem(file, f"internal_origins.{key}", why, key))
    return out, bad
