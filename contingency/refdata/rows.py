"""One pydantic model per row of each CSV file in ``maps/``.

Cells arrive as text; an empty cell is ``None`` (an optional field) or a "field required"
problem. Columns a model does not name (notes, sources, confidence) are kept as text.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from contingency.domain import CentreKind, LaneMode, Mode

NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Count = Annotated[int, Field(ge=0)]


class CsvRow(BaseModel):
    """A row of a ``maps/`` table: text cells, empty cells as missing values."""

    model_config = ConfigDict(
        extra="allow", frozen=True, allow_inf_nan=False, str_strip_whitespace=True
    )

    @model_validator(mode="before")
    @classmethod
    def _empty_is_missing(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        named = {f.alias or name for name, f in cls.model_fields.items()}
        out = {}
        for k, v in data.items():
            text = v.strip() if isinstance(v, str) else v
            if k in named and text == "":
                continue  # missing: the field's default, or a "field required" problem
            out[k] = text
        return out


class RegionRow(CsvRow):
    iso: str
    pcode: Annotated[str, Field(pattern=r"^[A-Z]{2}[0-9A-Z]+$")] | None = None
    """The region's p-code in the OCHA COD-AB style (``KZ75``): what other agencies' tables join
    on (``maps/pcode_crosswalk.csv`` maps it to the letter codes used before 2022); a map pack
    may leave it out."""
    name_ru: str
    name_kk: str
    name_en: str
    admin_centre_en: str
    admin_centre_kk: str | None = None
    """The admin centre's Kazakh name (a map pack may leave it out)."""
    centre_lat: Latitude
    centre_lon: Longitude
    centre_node: str
    population: Annotated[int, Field(ge=0)]
    macro_region: str
    resettlement_priority: bool
    absorption_capacity: Annotated[int, Field(ge=0)]
    absorption_assumption: bool
    source: str


class CheckpointRow(CsvRow):
    id: str
    name_ru: str
    name_kk: str
    name_en: str
    neighbour_country: str
    oblast_iso: str
    lat: Latitude
    lon: Longitude
    coord_precision: str | None = None
    coord_confidence: str | None = None
    """``medium`` (error up to about 1 km) or ``low`` (several km); ``coord_basis`` and
    ``coord_source`` say how the point was placed."""
    partner: str | None = None
    """The crossing's name on the other side of the border."""
    neighbour_checkpoint_ru: str | None = None
    neighbour_checkpoint_kk: str | None = None
    """The far side's short name in Russian and Kazakh (``neighbour_checkpoint`` is English)."""
    modernised: bool
    design_vehicles_per_day: NonNegative | None = None
    design_persons_per_day: NonNegative | None = None
    freight_only: bool = False
    """A post for trucks only: a scenario may not send travellers there."""
    baseline_inbound_persons_per_day: Count | None = None
    baseline_outbound_persons_per_day: Count | None = None
    baseline_trucks_per_day: Count | None = None
    """Ordinary traffic on a usual day (both directions for trucks); ``baseline_basis`` says
    where each figure comes from, ``baseline_assumption`` whether any is assumed."""
    baseline_assumption: bool | None = None
    baseline_car_share: Annotated[float, Field(ge=0, le=1)] | None = None
    baseline_bus_share: Annotated[float, Field(ge=0, le=1)] | None = None
    baseline_pedestrian_share: Annotated[float, Field(ge=0, le=1)] | None = Field(
        default=None, validate_default=True
    )
    """How ordinary travellers come (``baseline_mix_basis`` says why); together 1."""
    node: str
    source: str
    confidence: str | None = None

    @field_validator("baseline_pedestrian_share")
    @classmethod
    def _baseline_shares_sum_to_one(cls, v: float | None, info: ValidationInfo) -> float | None:
        shares = (info.data.get("baseline_car_share"), info.data.get("baseline_bus_share"), v)
        given = [s for s in shares if s is not None]
        if given and (len(given) < 3 or abs(sum(given) - 1.0) > 1e-3):
            raise ValueError(
                "baseline_car_share, baseline_bus_share and baseline_pedestrian_share must all "
                f"be given and sum to 1 (sum is {sum(given):.4g})"
            )
        return v


class CheckpointLaneRow(CsvRow):
    """Lanes of one mode at one checkpoint (``maps/checkpoint_lanes.csv``)."""

    checkpoint_id: str
    mode: LaneMode
    lanes: Annotated[int, Field(ge=0)]
    lanes_assumption: bool
    lanes_basis: str | None = None


class CheckpointProcessingRow(CsvRow):
    """Processing minutes of one mode at one checkpoint (``maps/checkpoint_processing.csv``);
    no ``min_per_vehicle`` where the mode has no vehicle (on foot)."""

    checkpoint_id: str
    mode: Mode
    min_per_vehicle: NonNegative | None = None
    min_per_person: NonNegative
    processing_assumption: bool
    processing_basis: str | None = None


class CentreRow(CsvRow):
    id: str
    kind: CentreKind
    facility_type: str | None = None
    name_ru: str
    name_kk: str | None = None
    """The Kazakh name (a translation of the Russian one; see ``maps/SOURCES.md``); without it
    Kazakh pages show the Russian name."""
    name_en: str
    region_iso: str
    city: str | None = None
    lat: Latitude
    lon: Longitude
    node: str
    beds: Annotated[int, Field(ge=0)]
    beds_assumption: bool
    intake_per_hour: Positive
    stay_days_mean: Positive
    source: str


class RoadNodeRow(CsvRow):
    id: str
    kind: str
    name_en: str
    name_ru: str | None = None
    region_iso: str | None = None
    lat: Latitude
    lon: Longitude
    source: str | None = None


class RoadEdgeRow(CsvRow):
    from_: str = Field(alias="from")
    to: str
    road_ref: str | None = None
    length_km: Positive
    length_basis: str
    speed_kmh: Positive
    speed_assumption: bool
    source: str | None = None


class SphereRow(CsvRow):
    resource: str
    unit: str
    per_person_per_day: NonNegative
    source: str


TABLES: dict[str, tuple[type[CsvRow], str]] = {
    "regions": (RegionRow, "iso"),
    "checkpoints": (CheckpointRow, "id"),
    "checkpoint_lanes": (CheckpointLaneRow, ""),
    "checkpoint_processing": (CheckpointProcessingRow, ""),
    "centres": (CentreRow, "id"),
    "roads_nodes": (RoadNodeRow, "id"),
    "roads_edges": (RoadEdgeRow, ""),
    "sphere": (SphereRow, "resource"),
}
"""File stem in ``maps/`` -> (row model, id column; empty when rows have no single id)."""
