"""Changes to a scenario without editing its YAML: the board's levers and live injects, and the
overrides that stress sweeps and reserves write. Every change goes back through the one
validation gateway."""

from __future__ import annotations

from typing import Any

from contingency.domain import LaneMode, Mode
from contingency.refdata import RefData
from contingency.scenario import Scenario, parse_scenario
from contingency.scenario.plan import resolve, resolve_centre, resolve_checkpoint


def apply_levers(
    sc: Scenario,
    ref: RefData,
    *,
    influx_multiplier: float | None = None,
    buses_per_day: int | None = None,
    onward_buses_per_day: int | None = None,
    lanes: dict[str, dict[str, int]] | None = None,
    beds: dict[str, int] | None = None,
    injects: list[dict[str, Any]] | None = None,
) -> Scenario:
    """A new scenario with the board's levers and live injects applied (validated again).

    ``lanes`` maps checkpoint -> {mode: lanes}; ``beds`` maps centre -> beds; only values that
    differ from what the scenario already gives are written as overrides.
    """
    data = sc.model_dump(mode="json", exclude_defaults=True)
    if influx_multiplier is not None:
        data["influx_multiplier"] = influx_multiplier
    transport = data.setdefault("transport", {})
    if buses_per_day is not None:
        transport["buses_per_day"] = int(buses_per_day)
    if onward_buses_per_day is not None:
        transport["onward_buses_per_day"] = int(onward_buses_per_day)
    plan = resolve(sc, ref)
    for cp, modes in (lanes or {}).items():
        current = resolve_checkpoint(sc, ref, cp).lanes
        changed = {m: int(v) for m, v in modes.items() if int(v) != current[LaneMode(m)]}
        if changed:
            lanes_override(data, cp).update(changed)
    for cid, n in (beds or {}).items():
        if int(n) != plan.beds[cid]:
            centre_override(data, cid)["beds"] = int(n)
    if injects:
        data["injects"] = [*data.get("injects", []), *injects]
    return parse_scenario(data, file=f"<{sc.name}>", ref=ref)


def current_lanes(sc: Scenario, ref: RefData, cp: str) -> dict[str, int]:
    """Lanes of each simulated mode at ``cp`` from the reference data and the scenario's
    overrides."""
    lanes = resolve_checkpoint(sc, ref, cp).lanes
    return {m.value: lanes[LaneMode(m)] for m in Mode}


def current_beds(sc: Scenario, ref: RefData, cid: str) -> int:
    """Beds at centre ``cid`` from the reference data and the scenario's overrides."""
    return resolve_centre(sc, ref, cid).beds


def lanes_override(data: dict[str, Any], cp: str) -> dict[str, int]:
    """The lanes override of ``cp`` in a scenario mapping (created empty if missing)."""
    ov = data.setdefault("checkpoint_overrides", {}).setdefault(cp, {})
    lanes: dict[str, int] = ov.setdefault("lanes", {})
    return lanes


def centre_override(data: dict[str, Any], cid: str) -> dict[str, Any]:
    """The override of centre ``cid`` in a scenario mapping (created empty if missing)."""
    return data.setdefault("centre_overrides", {}).setdefault(cid, {})
