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
    far_side_max_wait_h: float
    """Longest wait at the far side (the neighbour's exit control), still waiting included."""
    far_side_p95_wait_h: float
    far_side_max_queue_persons: int
    max_queue_vehicles: int
    """Most vehicles queuing at an hour's end, on the side with the longer queue."""
    max_queue_km: float
    """Longest queue at an hour's end in km (vehicles x length / queue lanes), either side."""
    presented: int
    """Persons who reached the far side; ``arrived`` are those who passed it (entered)."""
    turned_back: int
    still_beyond_border: int
    baseline_persons: int
    """Ordinary travellers (entering and leaving) processed at our control."""
    diverted_in: int
    diverted_out: int
    """Groups' persons who came from or went to another crossing (0 while diversion is not
    simulated)."""


class Demand(TypedDict):
    """Persons of the influx over the run: ``presented == entered + turned_back +
    still_beyond_border`` exactly, and ``entered`` is the ledger's ``arrived`` (less the
    people displaced inside the country, ``internal.displaced``)."""

    presented: int
    """Reached the far side of a crossing (a diverted group counted once, where it first
    headed)."""
    entered: int
    """Passed the far side and reached our control: the people ledger starts here."""
    turned_back: int
    """Refused or gave up at the far side."""
    still_beyond_border: int
    """Queuing or in service at the far side at the end of the run."""


class BaselineTraffic(TypedDict):
    """Ordinary travellers and freight trucks processed at our control over the run, counted
    apart from the influx (never in the ledger)."""

    inbound: int
    outbound: int
    trucks: int


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
    turnover_persons: int
    """People who took a place here during the run (many times the places at a transit hub)."""


class RegionSummary(TypedDict):
    allocated: int
    capacity: int
    remaining: int
    gap: int
    """Persons who preferred the region beyond its capacity."""
    priority: bool
    self_transport: int
    """People who drove here by themselves (included in ``allocated``)."""


class Internal(TypedDict):
    """Displaced people inside the country (``internal_origins``), also in the ledger's
    ``arrived``."""

    displaced: int
    entered_reception: int
    """Reached a centre or transit hub by the end of the run."""


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
    demand: Demand
    baseline: BaselineTraffic
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
    internal: Internal
    left_via: dict[str, int]
    """People who left the country, by the checkpoint they left through."""
    run_id: NotRequired[str]
    """Set when read back from a stored run (the folder name if the file lacks it)."""
