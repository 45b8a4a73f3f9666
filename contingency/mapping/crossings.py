"""Checkpoints on the map: each crossing at one hour, our control (near side) and the
neighbour's exit control before it (far side), with queues in persons, vehicles and km."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, NotRequired, TypedDict

import pandas as pd

from contingency.domain import LaneMode, Mode
from contingency.i18n import t
from contingency.i18n.numbers import number
from contingency.mapping.names import partner_name
from contingency.mapping.status import COLOURS, status, worse
from contingency.refdata import RefData
from contingency.summary import RunSummary


class CheckpointItem(TypedDict):
    """A crossing at one hour: our control (near side) and the neighbour's exit control before
    it (far side). A figure the run's tables do not hold (a run made before the far side was
    modelled) is ``None``."""

    id: str
    name_ru: str
    name_kk: str
    name_en: str
    partner: str | None
    partner_ru: NotRequired[str | None]
    partner_kk: NotRequired[str | None]
    """The crossing's name on the far side."""
    lat: float
    lon: float
    modernised: bool
    wait_h: float
    """Longest wait at our control, h."""
    queue_persons: int
    held_beyond_border: int
    arrived_h: int
    lanes: dict[str, int]
    """Open lanes per mode (by the mode's value); flat ``lanes_MODE`` keys in GeoJSON and CSV."""
    queue_vehicles: int | None
    queue_km: float | None
    far_wait_h: float | None
    """Longest wait at the far side, h."""
    far_queue_persons: int | None
    far_queue_vehicles: int | None
    far_queue_km: float | None
    far_lanes: dict[str, int] | None
    """Open lanes per mode at the far side; flat ``far_lanes_MODE`` keys in GeoJSON and CSV."""
    turned_back: int | None
    """Persons turned back at the far side from the start up to this hour."""
    diverted_in: int | None
    diverted_out: int | None
    """Persons who came from or went to another crossing up to this hour."""
    near_closed: bool
    """Our control has no lane open at this hour (closed)."""
    far_closed: bool
    """The far side has no lane open at this hour (a run without it: False)."""
    closed: bool
    """Closed on either side: the map marks it with a ✕ whatever its wait."""
    near_status: str
    far_status: str
    status: str
    """The worse side's status against the wait thresholds; ``colour`` is its colour."""
    colour: str
    far_colour: str
    map_lat: NotRequired[float]
    map_lon: NotRequired[float]


def checkpoint_items(
    cps: pd.DataFrame, summary: RunSummary, ref: RefData, *, time_h: int
) -> list[CheckpointItem]:
    """Each checkpoint of ``cps`` (``checkpoints_hourly``) at the end of hour ``time_h``, its
    status that of the worse side against the wait thresholds. A checkpoint that ``ref`` cannot
    place is left out (its figures stay in the tables)."""
    th = summary["thresholds"]
    places = ref.checkpoints.reset_index(names="_id").to_dict("records")
    by_id = {str(p["_id"]): p for p in places}
    so_far = _so_far(cps, time_h)
    checkpoints: list[CheckpointItem] = []
    for r in cps[cps["time_h"] == time_h].to_dict("records"):
        cp = str(r["checkpoint"])
        row = by_id.get(cp)
        if row is None:  # no longer in maps/: nowhere to draw it
            continue
        wait = _wait_h(r, "wait_max_h") or 0.0
        far_wait = _wait_h(r, "far_wait_max_h")
        amber, red = th["wait_amber_h"], th["wait_red_h"]
        near_st = status(wait, amber, red)
        far_st = "none" if far_wait is None else status(far_wait, amber, red)
        st = worse(near_st, far_st)
        done = so_far.get(cp, {})
        lanes = {m.value: int(r[f"lanes_{m.value}"]) for m in Mode}
        far_lanes = _lanes(r, "far_lanes_")
        near_closed = _closed(r, "lanes_")
        far_closed = far_lanes is not None and _closed(r, "far_lanes_")
        checkpoints.append(
            CheckpointItem(
                id=cp,
                name_ru=row["name_ru"],
                name_kk=row["name_kk"],
                name_en=row["name_en"],
                partner=partner_name(row),
                partner_ru=partner_name(row, "ru"),
                partner_kk=partner_name(row, "kk"),
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                modernised=bool(row["modernised"]),
                wait_h=round(wait, 2),
                queue_persons=int(r["queue_persons"]),
                held_beyond_border=int(r["held_beyond_border"]),
                arrived_h=int(r["arrived"]),
                lanes=lanes,
                queue_vehicles=_count(r, "queue_vehicles"),
                queue_km=_km(r, "queue_km"),
                far_wait_h=None if far_wait is None else round(far_wait, 2),
                far_queue_persons=_count(r, "far_queue_persons"),
                far_queue_vehicles=_count(r, "far_queue_vehicles"),
                far_queue_km=_km(r, "far_queue_km"),
                far_lanes=far_lanes,
                turned_back=done.get("turned_back"),
                diverted_in=done.get("diverted_in"),
                diverted_out=done.get("diverted_out"),
                near_closed=near_closed,
                far_closed=far_closed,
                closed=near_closed or far_closed,
                near_status=near_st,
                far_status=far_st,
                status=st,
                colour=COLOURS[st],
                far_colour=COLOURS[far_st],
            )
        )
    return checkpoints


def far_ring(c: CheckpointItem) -> bool:
    """Whether the map rings ``c`` for its far side: people or vehicles queue there, or its
    wait is over a threshold (a run that does not model the far side has no ring)."""
    queue = (c["far_queue_persons"], c["far_queue_vehicles"], c["far_queue_km"])
    return c["far_wait_h"] is not None and (
        any(x for x in queue) or c["far_status"] in ("amber", "red")
    )


LABEL_MIN_KM = 1.0
"""The map labels a checkpoint's queue in km once either side's queue is this long (shorter
ones are in the popup): crossings a few km apart stay legible at the national scale."""


def queue_km_label(c: CheckpointItem, lang: str) -> str:
    """The queue length in km on each side that has one (0.1 km or more), as a map label:
    ``"our side 0.2 km · far side 3.8 km"``; empty when neither side's queue reaches
    :data:`LABEL_MIN_KM`."""
    sides = (("map.km_near", c["queue_km"]), ("map.km_far", c["far_queue_km"]))
    if max((km or 0.0 for _, km in sides), default=0.0) < LABEL_MIN_KM:
        return ""
    return " · ".join(
        t(key, lang, km=number(km, lang, digits=1))
        for key, km in sides
        if km is not None and round(km, 1) > 0
    )


_SO_FAR_COLUMNS = ("turned_back", "diverted_in", "diverted_out")
"""Hourly counts a checkpoint item shows summed from the start (each only if the run has it)."""


def _so_far(cps: pd.DataFrame, time_h: int) -> dict[str, dict[str, int]]:
    cols = [c for c in _SO_FAR_COLUMNS if c in cps]
    if not cols:
        return {}
    sums = cps.loc[cps["time_h"] <= time_h].groupby("checkpoint")[cols].sum()
    return {str(cp): {str(c): int(v) for c, v in row.items()} for cp, row in sums.iterrows()}


def _wait_h(r: Mapping[Hashable, Any], col: str) -> float | None:
    """An hourly wait in h: ``None`` if the run has no such column, 0 if no one waited."""
    if col not in r:
        return None
    v = r[col]
    return float(v) if pd.notna(v) else 0.0


def _lanes(r: Mapping[Hashable, Any], prefix: str) -> dict[str, int] | None:
    cols = [f"{prefix}{m.value}" for m in Mode]
    if not all(c in r for c in cols):
        return None
    return {m.value: int(r[c]) for m, c in zip(Mode, cols, strict=True)}


def _closed(r: Mapping[Hashable, Any], prefix: str) -> bool:
    """No lane of any lane mode (trucks' included, where the run has them) is open."""
    return not any(int(r[c]) for m in LaneMode if (c := f"{prefix}{m.value}") in r)


def _count(r: Mapping[Hashable, Any], col: str) -> int | None:
    return int(r[col]) if col in r and pd.notna(r[col]) else None


def _km(r: Mapping[Hashable, Any], col: str) -> float | None:
    return round(float(r[col]), 2) if col in r and pd.notna(r[col]) else None
