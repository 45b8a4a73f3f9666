"""The domain enumerations, each in one home: travel modes, lane kinds, facility kinds and
what an inject targets. Per-mode and per-kind data elsewhere are mappings keyed by these.

Nothing here imports from the rest of the package, so every layer (reference data, schema,
engine, board) can read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Mode(StrEnum):
    """How people arrive at a checkpoint; each mode has its own lanes and processing times."""

    car = "car"
    bus = "bus"
    pedestrian = "pedestrian"


class LaneMode(StrEnum):
    """Lanes a checkpoint has, by mode. ``truck`` lanes are recorded (freight is not
    simulated); every :class:`Mode` is also a lane mode."""

    car = "car"
    bus = "bus"
    truck = "truck"
    pedestrian = "pedestrian"


class CentreKind(StrEnum):
    """Kinds of centre people are taken to after the border."""

    reception = "reception"
    rehabilitation = "rehabilitation"
    transit = "transit"
    """A short-stay hub (hours): people rest, register and move on to a region."""


class TargetKind(StrEnum):
    """What an inject's (or a reserve's) ``target`` names."""

    checkpoint = "checkpoint"
    """A checkpoint in play in the scenario."""
    centre = "centre"
    """A centre id from ``maps/centres.csv``."""
    road = "road"
    """A road edge written ``node--node``."""
    node = "node"
    """A road-network node."""
    site = "site"
    """A temporary site the scenario adds (``add_centres``)."""


@dataclass(frozen=True)
class ProcessingMinutes:
    """Processing time of one group of one mode: a fixed part per group (vehicle) plus a part
    per person, in minutes."""

    min_per_vehicle: float
    min_per_person: float
