"""The shape of ``summary.json``: a run's headline figures, typed.

The keys are a contract read by later tooling: add keys, never rename them. The summary is
serialised with :func:`json.dumps` as built, so the key order below is the file's order.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from contingency.ledger import Ledger
from contingency.metrics.gaps import Gap


class CheckpointSummary(TypedDict):
    arrived: int
    processed: int
    max_wait_h: float
    p95_wait_h: float
    """Persons-weighted 95th percentile of the wait over the run."""
    max_queue_persons: int
    max_held_beyond_border: int


class CentreSummary(TypedDict):
    kind: str
    name_ru: str
    name_en: str
    node: str
    lat: float
    lon: float
    region: str
    capacity: int
    """Beds at the end of the run."""
    peak_occupancy: int
    """Most people present (in beds, in overflow and registering)."""
    peak_in_beds: int
    peak_load: float | None
    """Most people per bed (None where it is undefined)."""
    overflow_person_days: float
    first_overflow_day: int | None


class RegionSummary(TypedDict):
    allocated: int
    capacity: int
    remaining: int
    gap: int
    """Persons who preferred the region beyond its capacity."""
    priority: bool


Corridor = TypedDict("Corridor", {"from": str, "to": str, "road_ref": str, "persons": int})
"""Persons moved over one road edge during the run (``from`` is a keyword, hence this form)."""

Needs = dict[str, dict[str, float]]
"""{facility: {resource: peak per day}}."""


class RunSummary(TypedDict):
    """``summary.json`` of one run."""

    scenario: str
    seed: int
    start: str
    """ISO date and time of hour 0."""
    horizon_days: int
    ledger: Ledger
    """The ledger at the last hour."""
    checkpoints: dict[str, CheckpointSummary]
    centres: dict[str, CentreSummary]
    gaps: list[Gap]
    """Red first, then by when each starts."""
    regions: dict[str, RegionSummary]
    corridors: list[Corridor]
    unreachable_regions: list[tuple[str, str]]
    """(origin centre, region) pairs with no road between them (JSON: two-item lists)."""
    thresholds: dict[str, float]
    needs: Needs
    needs_by_region: Needs
    run_id: NotRequired[str]
    """Set when read back from a stored run (the folder name if the file lacks it)."""
