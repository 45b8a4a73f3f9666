"""Changes to a scenario without editing its YAML: the board's levers and live injects, and the
overrides that stress sweeps and reserves write. Every change goes back through the one
validation gateway."""

from __future__ import annotations

from typing import Any

from contingency.refdata import RefData
from contingency.scenario import Scenario, parse_scenario


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
    for cp, modes in (lanes or {}).items():
        current = current_lanes(sc, ref, cp)
        changed = {m: int(v) for m, v in modes.items() if int(v) != current[m]}
        if changed:
            lanes_override(data, cp).update(changed)
    for cid, n in (beds or {}).items():
        if int(n) != current_beds(sc, ref, cid):
            centre_override(data, cid)["beds"] = int(n)
    if injects:
        data["injects"] = [*data.get("injects", []), *injects]
    return parse_scenario(data, file=f"<{sc.name}>", ref=ref)


def current_lanes(sc: Scenario, ref: RefData, cp: str) -> dict[str, int]:
    """Lanes by mode at ``cp`` from the reference data and the scenario's overrides."""
    from contingency.sim.border import resolve_checkpoint

    return {m.value: n for m, n in resolve_checkpoint(sc, ref, cp).lanes.items()}


def current_beds(sc: Scenario, ref: RefData, cid: str) -> int:
    ov = sc.centre_overrides.get(cid)
    if ov and ov.beds is not None:
        return ov.beds
    return int(ref.centres.at[cid, "beds"])


def lanes_override(data: dict, cp: str) -> dict[str, int]:
    """The lanes override of ``cp`` in a scenario mapping (created empty if missing)."""
    ov = data.setdefault("checkpoint_overrides", {}).setdefault(cp, {})
    return ov.setdefault("lanes", {})


def centre_override(data: dict, cid: str) -> dict:
    """The override of centre ``cid`` in a scenario mapping (created empty if missing)."""
    return data.setdefault("centre_overrides", {}).setdefault(cid, {})
