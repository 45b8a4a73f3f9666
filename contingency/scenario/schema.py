"""The scenario schema: pydantic models, one per YAML section.

Units live in names: ``_h`` hours, ``_days`` days, ``_min`` minutes, ``_share`` a fraction
0..1. Simulation time is hours from ``start``. Unknown keys are errors everywhere.

Every number is bounded by what the engine can do (the ``MAX_*`` constants below, which the
board's widgets and the command line read too); infinity and NaN are refused everywhere. The
total persons a scenario brings is checked against :data:`MAX_TOTAL_PERSONS` in ``load``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, get_args, overload

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from contingency.domain import CentreKind, LaneMode, Mode, ProcessingMinutes, TargetKind
from contingency.errors import msg, quote
from contingency.i18n import t
from contingency.suggest import closest

MAX_DAILY_ARRIVALS = 10_000_000
"""More arrivals than this at one checkpoint on one day is treated as a typo."""
MAX_TOTAL_PERSONS = 20_000_000
"""Most persons one scenario may bring, after ``influx_multiplier`` and surge injects. The
engine needs about 216 MB per million persons (groups, their attributes and times), so this is
about 4.3 GB, what a planning workstation can give one run. It is also about the whole
population of Kazakhstan and over sixteen times the largest bundled scenario (1.2 million)."""
MAX_HORIZON_DAYS = 365
MAX_HORIZON_H = MAX_HORIZON_DAYS * 24
MAX_ADDED_CENTRES = 200
MAX_LANES = 200
"""Most lanes of one mode at one checkpoint (in the data, an override, a surge or an inject).
The engine runs one SimPy process per lane that may ever open; the reference data has at most
8 lanes at one checkpoint."""
MAX_WAITING_AREA_PERSONS = 1_000_000
"""A waiting area for a million people is beyond any border site."""
MAX_BEDS = 1_000_000
"""Beds at one centre; the largest bundled centre has 2,000."""
MAX_INTAKE_PER_HOUR = 100_000.0
MAX_BUSES_PER_DAY = 100_000
MAX_MINUTES = 24 * 60.0
"""Processing minutes per group or per person: a day."""
MAX_BASELINE_PERSONS_PER_DAY = 200_000
"""Ordinary travellers one way through one checkpoint in a day: the busiest road crossings
in the world carry about 100,000 persons a day; the bundled data's largest is 12,431."""
MAX_BASELINE_TRUCKS_PER_DAY = 20_000
"""Ordinary freight trucks through one checkpoint in a day (both directions); the bundled
data's largest is 750."""
MAX_ACCESS_H = 48.0
"""Travel time from an added checkpoint to its road node."""
MAX_ADDED_CHECKPOINTS = 100
MAX_WEIGHT = 1_000_000.0
"""Largest hourly-profile weight (weights are relative: a larger range adds nothing, and sums
of weights near the float limit lose arrivals)."""
MAX_ROUTING_WEIGHT = 1_000.0
MAX_COST = 1e12
MAX_SEED = 2**32 - 1
"""Seeds from 0 to 2**32 - 1: the seeds stress replications draw (``SeedSequence.spawn``) are
in this range, and the board's number input holds it exactly. The schema, the command line's
``--seed`` and the board share this bound."""
YEARS = (1900, 2200)
"""First and last year a scenario may start in (its horizon must fit in the calendar)."""

Share = Annotated[float, Field(ge=0.0, le=1.0)]
LaneCount = Annotated[int, Field(ge=0, le=MAX_LANES)]
Beds = Annotated[int, Field(ge=0, le=MAX_BEDS)]
Persons = Annotated[int, Field(ge=0, le=MAX_TOTAL_PERSONS)]
Minutes = Annotated[float, Field(gt=0.0, le=MAX_MINUTES)]
Hours = Annotated[float, Field(ge=0.0, le=MAX_HORIZON_H)]
IntakePerHour = Annotated[float, Field(gt=0.0, le=MAX_INTAKE_PER_HOUR)]
RoutingWeight = Annotated[float, Field(gt=0.0, le=MAX_ROUTING_WEIGHT)]
BaselinePersons = Annotated[int, Field(ge=0, le=MAX_BASELINE_PERSONS_PER_DAY)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True
    )


class Trigger(StrEnum):
    conflict = "conflict"
    disaster = "disaster"
    sanctions_mobilisation = "sanctions_mobilisation"
    other = "other"


# ---------------------------------------------------------------- influx
class InfluxCurve(_Model):
    """Ramp up linearly, hold a plateau, then decay with a half-life; scaled to a total."""

    total_persons: Persons
    start_day: Annotated[float, Field(ge=0, le=MAX_HORIZON_DAYS)] = 0.0
    ramp_days: Annotated[float, Field(ge=0, le=365)] = 2.0
    plateau_days: Annotated[float, Field(ge=0, le=365)] = 3.0
    half_life_days: Annotated[float, Field(gt=0, le=365)] = 5.0


def _default_hourly_profile() -> list[float]:
    # More arrivals by day than by night: a planning assumption, flat 06-22 h, low at night.
    return [0.4] * 6 + [1.0] * 16 + [0.4] * 2


# ---------------------------------------------------------------- who and how
class ModeSpec(_Model):
    """Share of persons arriving by this mode and the group-size distribution."""

    share: Share
    occupancy: dict[Annotated[int, Field(ge=1, le=120)], Share]

    @field_validator("occupancy")
    @classmethod
    def _weights_sum_to_one(cls, v: dict[int, float]) -> dict[int, float]:
        total = sum(v.values())
        if not v or abs(total - 1.0) > 1e-6:
            raise ValueError(msg("problem.group_sizes_sum", total=total))
        return v

    @property
    def mean_group_size(self) -> float:
        return sum(k * w for k, w in self.occupancy.items())


def default_mode_mix() -> dict[Mode, ModeSpec]:
    """The mode mix a scenario gets for every mode it does not give (a planning assumption)."""
    return {
        Mode.car: ModeSpec(share=0.7, occupancy={1: 0.15, 2: 0.25, 3: 0.25, 4: 0.2, 5: 0.15}),
        Mode.bus: ModeSpec(share=0.2, occupancy={20: 0.2, 30: 0.3, 40: 0.3, 50: 0.2}),
        Mode.pedestrian: ModeSpec(share=0.1, occupancy={1: 0.3, 2: 0.2, 3: 0.2, 4: 0.2, 5: 0.1}),
    }


def _fill_modes(v: Any) -> Any:
    """Modes a mapping leaves out take their default."""
    if not isinstance(v, dict):
        return v
    return {**{m.value: s for m, s in default_mode_mix().items() if m.value not in v}, **v}


def _shares_sum_to_one(v: dict[Mode, ModeSpec]) -> dict[Mode, ModeSpec]:
    total = sum(spec.share for spec in v.values())
    if abs(total - 1.0) > 1e-6:
        names = " + ".join(m.value for m in Mode)
        raise ValueError(msg("problem.shares_sum", names=names, total=total))
    return {m: v[m] for m in Mode}  # in mode order


ModeMix = Annotated[
    dict[Mode, ModeSpec], BeforeValidator(_fill_modes), AfterValidator(_shares_sum_to_one)
]
"""Share and group sizes of every mode, keyed by the mode (modes not given take defaults)."""


# ---------------------------------------------------------------- influx per crossing
HourOfRun = Annotated[int, Field(ge=0, le=MAX_HORIZON_H)]
"""A whole hour counted from ``start``."""
Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT)]


def _weights_24(v: list[float]) -> list[float]:
    if len(v) != 24:
        raise ValueError(msg("problem.hours_24", n=len(v)))
    if sum(v) <= 0:
        raise ValueError(msg("problem.hours_zero"))
    return v


HourlyProfile = Annotated[list[Weight], AfterValidator(_weights_24)]
"""24 relative weights, hour 0 (00-01 h) first."""


class ProfileFrom(_Model):
    """From hour ``from_h`` of the run on, this hourly profile."""

    from_h: HourOfRun
    weights: HourlyProfile


class ModeMixFrom(_Model):
    """From hour ``from_h`` of the run on, this mode mix: the modes beside ``from_h``, as in
    the scenario's ``mode_mix`` (modes left out take their defaults)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, ModeSpec] = Field(init=False)

    from_h: HourOfRun

    @model_validator(mode="before")
    @classmethod
    def _fill(cls, v: Any) -> Any:
        return _fill_modes(v)

    @model_validator(mode="after")
    def _a_mix(self) -> ModeMixFrom:
        extra = self.__pydantic_extra__ or {}
        unknown = [k for k in extra if k not in Mode.__members__]
        if unknown:
            modes = ", ".join(m.value for m in Mode)
            hint = closest(unknown[0], ["from_h", *Mode.__members__])
            raise ValueError(
                msg("problem.unknown_key_from_h", key=quote(unknown[0]), modes=modes, hint=hint)
            )
        _shares_sum_to_one({Mode(k): spec for k, spec in extra.items()})
        return self

    @property
    def mix(self) -> dict[Mode, ModeSpec]:
        """The mode mix of this entry, in mode order."""
        extra = self.__pydantic_extra__ or {}
        return {m: extra[m.value] for m in Mode}


def _from_h_increasing(entries: list[ModeMixFrom] | list[ProfileFrom]) -> None:
    """Entries must be listed in time order, each from a later hour than the one before."""
    for i in range(1, len(entries)):
        before, now = entries[i - 1].from_h, entries[i].from_h
        if now <= before:
            key = "problem.after_previous_from_h"  # the key rides along for other languages
            ctx = {"before": before, "message_key": key}
            error = PydanticCustomError("value_error", t(key, "en"), ctx)
            detail = InitErrorDetails(type=error, loc=(i, "from_h"), input=now)
            raise ValidationError.from_exception_data("entries", [detail])


def _one_or_entries(one: TypeAdapter[Any], entries: TypeAdapter[Any]) -> BeforeValidator:
    """Read either one value (checked by ``one``) or a list of ``{from_h, ...}`` mappings
    (checked by ``entries``, in time order): each problem keeps its own field path."""

    def pick(v: Any) -> Any:
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            out = entries.validate_python(v)
            _from_h_increasing(out)
            return out
        return one.validate_python(v)

    return BeforeValidator(pick)


_MAX_ENTRIES = MAX_HORIZON_H
CrossingMix = Annotated[
    ModeMix | list[ModeMixFrom],
    _one_or_entries(
        TypeAdapter(ModeMix),
        TypeAdapter(Annotated[list[ModeMixFrom], Field(max_length=_MAX_ENTRIES)]),
    ),
]
"""A crossing's mode mix: one (as ``mode_mix``) or a list of ``{from_h, car, bus, ...}``."""
CrossingProfile = Annotated[
    HourlyProfile | list[ProfileFrom],
    _one_or_entries(
        TypeAdapter(HourlyProfile),
        TypeAdapter(Annotated[list[ProfileFrom], Field(max_length=_MAX_ENTRIES)]),
    ),
]
"""A crossing's hourly profile: 24 weights, or a list of ``{from_h, weights}``."""


class SeriesPoint(_Model):
    """``persons`` arrived since the previous point (the first point: since ``start``), as
    counted at ``at`` (an ISO time; without a UTC offset it is in the scenario's time)."""

    at: datetime
    persons: Persons


class InfluxSpec(_Model):
    """Arrivals at one checkpoint: a table of daily totals, a parametric curve or time-stamped
    counts (exactly one of ``daily``, ``curve``, ``series``), with the crossing's own mode mix
    and hourly profile where given (else the scenario's). A list of ``{from_h, ...}`` entries
    changes the mix or the profile from that hour on; before the first entry the scenario's
    applies. The hours between two points of a series share its persons by the hourly
    profile (evenly where the profile gives them no weight)."""

    daily: Annotated[list[Persons], Field(max_length=MAX_HORIZON_DAYS)] | None = None
    curve: InfluxCurve | None = None
    series: Annotated[list[SeriesPoint], Field(min_length=1, max_length=MAX_HORIZON_H)] | None = (
        None
    )
    mode_mix: CrossingMix | None = None
    hourly_profile: CrossingProfile | None = None
    population: PopulationMix | None = None
    """Who arrives here (else the scenario's ``population``)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> InfluxSpec:
        if sum(x is not None for x in (self.daily, self.curve, self.series)) != 1:
            raise ValueError(msg("problem.exactly_one_influx"))
        return self


DISPOSITIONS = ("needs_shelter_share", "own_arrangements_share", "leaving_country_share")
"""The exclusive shares of a population mix, which sum to 1."""
POPULATION_SHARES = ("vulnerable_share", *DISPOSITIONS, "rehabilitation_share_of_vulnerable")


def _dispositions_problem(shares: dict[str, float]) -> str | None:
    total = sum(shares[k] for k in DISPOSITIONS)
    if abs(total - 1.0) > 1e-6:
        return msg("problem.dispositions_sum", names=" + ".join(DISPOSITIONS), total=total)
    return None


class PopulationFrom(_Model):
    """The population mix from day ``from_day`` (0 = the first day) on: the shares it gives
    replace those in force; the three dispositions are given all together or not at all."""

    from_day: Annotated[int, Field(ge=0, le=MAX_HORIZON_DAYS)]
    vulnerable_share: Share | None = None
    needs_shelter_share: Share | None = None
    own_arrangements_share: Share | None = None
    leaving_country_share: Share | None = None
    rehabilitation_share_of_vulnerable: Share | None = None

    @model_validator(mode="after")
    def _all_three_or_none(self) -> PopulationFrom:
        given = [getattr(self, k) for k in DISPOSITIONS]
        if any(v is None for v in given) and any(v is not None for v in given):
            raise ValueError(msg("problem.all_or_none", names=", ".join(DISPOSITIONS)))
        if all(v is not None for v in given):
            problem = _dispositions_problem({k: getattr(self, k) for k in DISPOSITIONS})
            if problem:
                raise ValueError(problem)
        return self


class PopulationMix(_Model):
    """Who arrives. Shelter, own arrangements and leaving are exclusive and sum to 1;
    vulnerability cuts across them. ``by_day`` changes shares from given days on (who needs
    a bed changes over an event)."""

    vulnerable_share: Share = 0.15
    needs_shelter_share: Share = 0.35
    own_arrangements_share: Share = 0.45
    leaving_country_share: Share = 0.20
    rehabilitation_share_of_vulnerable: Share = 0.5
    """Of the vulnerable people needing shelter, the share triaged to rehabilitation."""
    by_day: Annotated[list[PopulationFrom], Field(max_length=MAX_HORIZON_DAYS)] = []

    @model_validator(mode="after")
    def _dispositions_sum_to_one(self) -> PopulationMix:
        problem = _dispositions_problem({k: getattr(self, k) for k in DISPOSITIONS})
        if problem:
            raise ValueError(problem)
        days = [s.from_day for s in self.by_day]
        for i in range(1, len(days)):
            if days[i] <= days[i - 1]:
                raise ValueError(msg("problem.by_day_order", i=i, before=days[i - 1]))
        return self

    def on_day(self, day: int) -> dict[str, float]:
        """The five shares in force on ``day``."""
        shares = {k: float(getattr(self, k)) for k in POPULATION_SHARES}
        for step in self.by_day:
            if step.from_day > day:
                break
            shares.update({k: v for k in POPULATION_SHARES if (v := getattr(step, k)) is not None})
        return shares


# ---------------------------------------------------------------- facilities
def _drop_unset(v: Any) -> Any:
    """``car: null`` in a lanes mapping means the same as leaving ``car`` out."""
    return {k: n for k, n in v.items() if n is not None} if isinstance(v, dict) else v


Lanes = Annotated[dict[LaneMode, LaneCount], BeforeValidator(_drop_unset)]
"""Lanes by lane mode (``car``, ``bus``, ``truck``, ``pedestrian``); a mode left out keeps what
it had. ``truck`` lanes serve ordinary freight trucks (see ``baseline``)."""

PerPersonMinutes = Annotated[float, Field(ge=0, le=MAX_MINUTES)]


class ModeProcessing(_Model):
    """Minutes per group (the vehicle: a fixed part) and per person, for one mode."""

    min_per_vehicle: Minutes | None = None
    min_per_person: PerPersonMinutes | None = None


ON_FOOT = Mode.pedestrian
"""The mode with no vehicle: its groups take per-person time only, which must be above 0."""


def _nest_flat_processing(v: Any) -> Any:
    """The earlier flat keys (``car_min_per_vehicle``, ``pedestrian_min_per_person``, ...) read
    as ``{car: {min_per_vehicle: ...}}``, so older scenarios and stored runs still load."""
    if not isinstance(v, dict):
        return v
    out: dict[str, Any] = {}
    for key, value in v.items():
        mode, _, part = str(key).partition("_min_per_")
        if part in ("vehicle", "person") and mode in Mode.__members__:
            nested = out.setdefault(mode, {})
            if isinstance(nested, dict):
                nested[f"min_per_{part}"] = value
        else:
            out[key] = value
    return out


class Processing(_Model):
    """Processing minutes by mode (``car: {min_per_vehicle, min_per_person}``, ...) and the
    coefficient of variation shared by all modes. Modes are the keys beside ``cv``."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, ModeProcessing] = Field(init=False)

    cv: Annotated[float, Field(ge=0, le=3)] | None = None
    """Coefficient of variation of processing time (0 = fixed; 1 = exponential)."""

    @model_validator(mode="before")
    @classmethod
    def _flat_keys(cls, v: Any) -> Any:
        return _nest_flat_processing(v)

    @model_validator(mode="after")
    def _modes_known(self) -> Processing:
        extra = self.__pydantic_extra__ or {}
        unknown = [k for k in extra if k not in Mode.__members__]
        if unknown:
            modes = ", ".join(m.value for m in Mode)
            hint = closest(unknown[0], ["cv", *Mode.__members__])
            raise ValueError(
                msg("problem.unknown_key_cv", key=quote(unknown[0]), modes=modes, hint=hint)
            )
        on_foot = extra.get(ON_FOOT.value)
        if on_foot is not None and on_foot.min_per_vehicle is not None:
            raise ValueError(f"{ON_FOOT.value} has no vehicle: give min_per_person only")
        if on_foot is not None and on_foot.min_per_person == 0:
            raise ValueError(f"{ON_FOOT.value}.min_per_person must be greater than 0")
        return self

    def for_mode(self, mode: Mode) -> ModeProcessing | None:
        """The minutes this override gives for ``mode`` (None: none given)."""
        return (self.__pydantic_extra__ or {}).get(mode.value)

    def over(self, minutes: dict[Mode, ProcessingMinutes]) -> dict[Mode, ProcessingMinutes]:
        """``minutes`` with the figures this override gives in their place."""
        out = dict(minutes)
        for m in Mode:
            given = self.for_mode(m)
            if given is None:
                continue
            base = out[m]
            out[m] = ProcessingMinutes(
                base.min_per_vehicle if given.min_per_vehicle is None else given.min_per_vehicle,
                base.min_per_person if given.min_per_person is None else given.min_per_person,
            )
        return out


MAX_PROCESSING_MULTIPLIER = 100.0
ProcessingMultiplier = Annotated[float, Field(gt=0.0, le=MAX_PROCESSING_MULTIPLIER)]
"""A factor on processing times: below 1 faster (extra staff, simplified checks), above 1
slower (new entry or exit checks)."""


class Shift(_Model):
    """Hours of the day [start_h, end_h) when ``lanes_open_share`` of the lanes work
    (``end_h`` below ``start_h`` wraps past midnight), with processing times multiplied by
    ``processing_multiplier`` and ``truck_lanes_to_cars`` truck lanes opened to cars."""

    start_h: Annotated[int, Field(ge=0, le=23)]
    end_h: Annotated[int, Field(ge=1, le=24)]
    lanes_open_share: Share
    processing_multiplier: ProcessingMultiplier = 1.0
    truck_lanes_to_cars: Annotated[int, Field(ge=0, le=MAX_LANES)] = 0
    """Truck lanes that serve cars instead during the shift (at most the truck lanes open)."""

    @model_validator(mode="after")
    def _not_empty(self) -> Shift:
        if self.start_h == self.end_h:
            raise ValueError(msg("problem.shift_empty", start=self.start_h, end=self.end_h))
        return self


class Surge(_Model):
    """Extra lanes that open ``activation_delay_h`` after the queue passes a threshold."""

    extra_lanes: Lanes
    queue_threshold_persons: Annotated[int, Field(ge=1, le=MAX_TOTAL_PERSONS)]
    activation_delay_h: Annotated[float, Field(ge=0, le=240)] = 6.0


# ---------------------------------------------------------------- the two sides of a crossing
class Side(StrEnum):
    """The two controls of a crossing, in series: people pass the far side first."""

    near = "near"
    """Our entry control."""
    far = "far"
    """The neighbour's exit control, before ours."""


class TurnBackFrom(_Model):
    """From hour ``from_h`` of the run on, ``share`` of the groups reaching the far-side
    control are refused or give up (until the next entry)."""

    from_h: HourOfRun
    share: Share


TurnBackShare = Annotated[
    Share | list[TurnBackFrom],
    _one_or_entries(
        TypeAdapter(Share),
        TypeAdapter(Annotated[list[TurnBackFrom], Field(min_length=1, max_length=_MAX_ENTRIES)]),
    ),
]
"""A share of groups turned back at the far side: one number for the whole run, or a list of
``{from_h, share}`` (0 before the first entry)."""


class Approach(_Model):
    """The road a checkpoint's queue stands on: a queue of N vehicles is N x vehicle length
    (``maps/vehicles.csv``) / ``queue_lanes`` long. ``shared_with_trucks``: trucks queue on
    the same road, so their vehicles count in its length."""

    queue_lanes: Annotated[int, Field(ge=1, le=20)] = 1
    shared_with_trucks: bool = False


class FarSide(_Model):
    """The neighbour's exit control at a crossing, passed before ours. A section left out is
    the same as ours (after our overrides); ``processing`` modes left out are ours too."""

    lanes: Lanes | None = None
    processing: Processing | None = None
    shifts: Annotated[list[Shift], Field(max_length=24)] | None = None
    turn_back_share: TurnBackShare = 0.0
    approach: Approach | None = None
    """The neighbour's approach road (ours when left out)."""


class Baseline(_Model):
    """Ordinary traffic on a usual day: travellers entering and leaving, and freight trucks
    (both directions together). A figure left out keeps the map pack's (``maps/checkpoints.csv``
    ``baseline_*`` columns); ``mode_mix`` left out is the scenario's ``mode_mix``."""

    inbound_persons_per_day: BaselinePersons | None = None
    outbound_persons_per_day: BaselinePersons | None = None
    trucks_per_day: Annotated[int, Field(ge=0, le=MAX_BASELINE_TRUCKS_PER_DAY)] | None = None
    mode_mix: ModeMix | None = None


class Diversion(_Model):
    """Groups who know the queues and go to another crossing on the same border.

    ``informed_share`` of the groups heading for a crossing (spread evenly, as turn-backs)
    look, on reaching it, at every crossing in play on the same neighbour's border within
    ``max_detour_h`` of driving, as the queues stood ``info_delay_h`` hours before (nothing
    known before then), and go to the one whose expected wait plus the drive is shortest if
    that beats staying. A closed crossing is never chosen. The drive is the great-circle
    distance x the road detour factor at ``detour_speed_kmh`` (the neighbour's roads are not
    in ``maps/``). Default: nobody diverts."""

    informed_share: Share = 0.0
    max_detour_h: Annotated[float, Field(gt=0, le=72)] = 6.0
    info_delay_h: Annotated[float, Field(ge=0, le=72)] = 1.0
    detour_speed_kmh: Annotated[float, Field(gt=0, le=130)] = 60.0
    """An assumption: an average speed on the neighbour's roads, border traffic included."""


class CheckpointOverride(_Model):
    lanes: Lanes | None = None
    shifts: Annotated[list[Shift], Field(max_length=24)] | None = None
    processing: Processing | None = None
    waiting_area_persons: Annotated[int, Field(ge=0, le=MAX_WAITING_AREA_PERSONS)] | None = None
    surge: Surge | None = None
    baseline: Baseline | None = None
    far_side: FarSide | None = None
    """The neighbour's exit control (the same as ours where not given)."""
    approach: Approach | None = None


OVERRIDE_ONLY = ("shifts", "waiting_area_persons", "surge")
"""Keys of a checkpoint override that an added checkpoint takes from ``checkpoint_overrides``
only (one place for each figure)."""


class Names(_Model):
    """A name in the three languages of the board."""

    ru: Annotated[str, Field(min_length=1, max_length=200)]
    kk: Annotated[str, Field(min_length=1, max_length=200)]
    en: Annotated[str, Field(min_length=1, max_length=200)]


def _drop_override_only(schema: dict[str, Any]) -> None:
    props = schema.get("properties", {})
    for key in OVERRIDE_ONLY:
        props.pop(key, None)


class AddedCheckpoint(CheckpointOverride):
    """A crossing the scenario brings (not in the map pack): a planned post or a foreign case.

    It is used as a map-pack checkpoint is: in ``checkpoints``, ``influx``,
    ``checkpoint_overrides`` (shifts, surge, waiting area: set there, not here) and injects.
    Its road node ``id`` joins ``node`` (the nearest road node that is not a checkpoint when
    omitted) by a road of ``access_h`` hours. ``lanes`` are required (modes left out have
    none); processing minutes left out are the map pack's default for a post without a
    published throughput (6 min a car, 12 a bus, 1 / 1.5 / 2 min a person by car, bus, on
    foot: planning assumptions). The sections shared with ``checkpoint_overrides`` have the
    same keys and types there and here.
    """

    model_config = ConfigDict(json_schema_extra=_drop_override_only)

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=60)]
    name: Names
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    region: Annotated[str, Field(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")]
    """ISO 3166-2 code of the region the post stands in (a region of the map pack)."""
    node: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    access_h: Annotated[float, Field(gt=0, le=MAX_ACCESS_H)]
    """Travel time from the post to ``node``, hours."""
    neighbour: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    """ISO 3166-1 alpha-2 code of the country on the other side."""
    partner: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """The crossing's name on the other side."""

    @model_validator(mode="before")
    @classmethod
    def _not_override_only(cls, v: Any) -> Any:
        if isinstance(v, dict):
            for key in OVERRIDE_ONLY:
                if key in v:
                    raise ValueError(
                        f"'{key}' of an added checkpoint is set in checkpoint_overrides.<id>"
                    )
        return v

    @model_validator(mode="after")
    def _has_lanes(self) -> AddedCheckpoint:
        if self.lanes is None:
            modes = ", ".join(m.value for m in LaneMode)
            raise ValueError(msg("problem.added_needs_lanes", modes=modes))
        return self


StayDays = Annotated[float, Field(gt=0, le=365)]
StayHours = Annotated[float, Field(gt=0, le=24 * 30)]


class CentreOverride(_Model):
    beds: Beds | None = None
    intake_per_hour: IntakePerHour | None = None
    stay_days_mean: StayDays | None = None
    stay_hours_mean: StayHours | None = None
    """Mean stay in hours (a transit hub's), in place of ``stay_days_mean``."""
    active: bool = True


class AddedCentre(_Model):
    """A temporary site the scenario brings (a school, sports hall, sanatorium, tent camp,
    modular town: ``maps/site_types.csv`` gives typical figures): a centre like those of the map
    pack, at road node ``node`` or at ``lat``/``lon`` (then the nearest road node), closed
    until ``opens_at_h`` (None: until an ``open_site`` inject opens it)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=60)]
    kind: CentreKind
    name: Names
    node: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    region: Annotated[str, Field(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")]
    places: Beds
    intake_per_hour: IntakePerHour
    stay_days_mean: StayDays | None = None
    stay_hours_mean: StayHours | None = None
    opens_at_h: Hours | None = 0.0

    @model_validator(mode="after")
    def _where_and_how_long(self) -> AddedCentre:
        if self.node is None and (self.lat is None or self.lon is None):
            raise ValueError(msg("problem.node_or_point"))
        if (self.stay_days_mean is None) == (self.stay_hours_mean is None):
            raise ValueError(msg("problem.one_stay"))
        return self

    @property
    def stay_days(self) -> float:
        return (
            self.stay_days_mean
            if self.stay_days_mean is not None
            else ((self.stay_hours_mean or 0.0) / 24.0)
        )


class Transport(_Model):
    bus_seats: Annotated[int, Field(ge=1, le=120)] = 45
    buses_per_day: Annotated[int, Field(ge=0, le=MAX_BUSES_PER_DAY)] = 300
    """Buses per day carrying sheltered people from checkpoints to centres (national pool)."""
    onward_buses_per_day: Annotated[int, Field(ge=0, le=MAX_BUSES_PER_DAY)] = 50
    """Buses per day from each centre (reception, rehabilitation, mobile unit) carrying people
    onward to regions."""


class Routing(_Model):
    """Onward allocation weights: cost per person = travel hours x weight (+ a penalty for
    regions outside the northern/eastern resettlement priority)."""

    priority_weight: RoutingWeight = 0.5
    other_weight: RoutingWeight = 1.0
    other_penalty_h: Annotated[float, Field(ge=0, le=10_000)] = 48.0
    region_weights: dict[str, RoutingWeight] = {}
    """Per-region weight in place of the two above (ISO 3166-2 code -> weight)."""
    dispatch: Literal["daily", "hourly"] = "daily"
    """How often people ready to leave centres and transit hubs are placed in regions (each
    centre's onward seats per day shared over the hours when hourly)."""


class Onward(_Model):
    """People who move on by themselves: ``self_transport_share`` of those needing shelter
    who came by car drive on, to a region chosen by the onward cost model (``region``) or to
    the nearest centre or transit hub with room (``centre``), without bus seats."""

    self_transport_share: Share = 0.0
    self_transport_to: Literal["region", "centre"] = "region"


class RegistrationPoint(_Model):
    """``share`` of the persons arriving at ``at`` (a checkpoint in play: those who crossed
    there; a centre: those arriving there, before its own intake) register there first, at
    most ``per_hour`` an hour, in order of arrival."""

    at: Annotated[str, Field(min_length=1, max_length=100)]
    per_hour: IntakePerHour
    share: Share = 1.0


def _one_or_list(one: TypeAdapter[Any], many: TypeAdapter[Any]) -> BeforeValidator:
    """Read one mapping (checked by ``one``) or a list of them (``many``): each problem keeps
    its own field path."""

    def pick(v: Any) -> Any:
        return one.validate_python(v) if isinstance(v, dict) else many.validate_python(v)

    return BeforeValidator(pick)


Registrations = Annotated[
    RegistrationPoint | list[RegistrationPoint],
    _one_or_list(
        TypeAdapter(RegistrationPoint),
        TypeAdapter(Annotated[list[RegistrationPoint], Field(max_length=100)]),
    ),
]


class ViaShare(_Model):
    checkpoint: Annotated[str, Field(min_length=1, max_length=100)]
    share: Share


class Leaving(_Model):
    """People leaving the country stay ``transit_h`` hours (on their own, or at centre
    ``wait_at``, taking its places), then leave through ``via`` (a checkpoint, or a list of
    checkpoints with shares; None: where they came in)."""

    transit_h: Annotated[float, Field(ge=0, le=24 * 30)] = 0.0
    via: Annotated[str, Field(min_length=1, max_length=100)] | list[ViaShare] | None = None
    wait_at: Annotated[str, Field(min_length=1, max_length=100)] | None = None

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Leaving:
        if isinstance(self.via, list):
            total = sum(v.share for v in self.via)
            if not self.via or abs(total - 1.0) > 1e-6:
                raise ValueError(msg("problem.via_sum", total=total))
        return self


class Thresholds(_Model):
    wait_amber_h: Annotated[float, Field(gt=0, le=MAX_HORIZON_H)] = 6.0
    wait_red_h: Annotated[float, Field(gt=0, le=MAX_HORIZON_H)] = 24.0
    # People per bed never exceed the total persons of a run: a threshold above that is "never".
    occupancy_amber: Annotated[float, Field(gt=0, le=MAX_TOTAL_PERSONS)] = 0.9
    occupancy_red: Annotated[float, Field(gt=0, le=MAX_TOTAL_PERSONS)] = 1.0

    @model_validator(mode="after")
    def _amber_below_red(self) -> Thresholds:
        if self.wait_amber_h > self.wait_red_h:
            raise ValueError(msg("problem.amber_wait"))
        if self.occupancy_amber > self.occupancy_red:
            raise ValueError(msg("problem.amber_occupancy"))
        return self


# ---------------------------------------------------------------- injects
class _InjectBase(_Model):
    """An inject: its class declares what its ``target`` names and whether the board offers
    it during a live exercise; what it does lives in ``contingency.sim.injects``."""

    target_kind: ClassVar[TargetKind]
    live: ClassVar[bool] = True
    """Offered on the board's live exercise control."""

    at_h: Hours
    """Hours from the scenario start."""
    target: str
    by: str | None = None
    note: str | None = None


class NoParams(_Model):
    pass


class SideParams(_Model):
    """Which control of the crossing an inject acts on (ours unless ``far``)."""

    side: Side = Side.near


class LanesParams(_Model):
    """Lanes by lane mode, as in a checkpoint's ``lanes`` (a mode left out keeps what it
    had), beside ``side``."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, LaneCount] = Field(init=False)

    side: Side = Side.near

    @model_validator(mode="before")
    @classmethod
    def _unset(cls, v: Any) -> Any:
        return _drop_unset(v)

    @model_validator(mode="after")
    def _modes_known(self) -> LanesParams:
        unknown = [k for k in self.__pydantic_extra__ or {} if k not in LaneMode.__members__]
        if unknown:
            modes = ", ".join(m.value for m in LaneMode)
            hint = closest(unknown[0], ["side", *LaneMode.__members__])
            raise ValueError(
                msg("problem.unknown_key_side", key=quote(unknown[0]), modes=modes, hint=hint)
            )
        return self

    @property
    def lanes(self) -> dict[LaneMode, int]:
        """The lanes given, by lane mode."""
        return {LaneMode(k): n for k, n in (self.__pydantic_extra__ or {}).items()}

    @overload
    def get(self, mode: LaneMode) -> int | None: ...
    @overload
    def get(self, mode: LaneMode, default: int) -> int: ...
    def get(self, mode: LaneMode, default: int | None = None) -> int | None:
        """The lanes given for ``mode`` (``default`` when not given), as ``dict.get``."""
        return self.lanes.get(mode, default)


class ProcessingParams(_Model):
    multiplier: ProcessingMultiplier
    side: Side = Side.near


class SurgeParams(_Model):
    multiplier: Annotated[float, Field(gt=0, le=100)]
    duration_h: Annotated[float, Field(gt=0, le=MAX_HORIZON_H)] | None = None


class CentreCapacityParams(_Model):
    beds: Beds


class MobileUnitParams(_Model):
    beds: Annotated[int, Field(ge=1, le=100_000)]
    centre_kind: CentreKind = CentreKind.reception
    intake_per_hour: IntakePerHour = 50.0
    stay_days_mean: StayDays = 14.0
    stay_hours_mean: StayHours | None = None
    """Mean stay in hours, in place of ``stay_days_mean`` (a transit unit)."""


class CheckpointClose(_InjectBase):
    target_kind = TargetKind.checkpoint
    kind: Literal["checkpoint_close"]
    params: SideParams = SideParams()


class CheckpointOpen(_InjectBase):
    target_kind = TargetKind.checkpoint
    kind: Literal["checkpoint_open"]
    params: SideParams = SideParams()


class SurgeInject(_InjectBase):
    """Arrivals at ``target`` multiplied from ``at_h`` (a whole hour, since arrivals are
    planned per hour) for ``duration_h`` hours (to the end if not given)."""

    target_kind = TargetKind.checkpoint
    kind: Literal["surge"]
    params: SurgeParams

    @model_validator(mode="after")
    def _whole_hours(self) -> SurgeInject:
        if self.at_h != int(self.at_h):
            raise ValueError(f"a surge starts on a whole hour (at_h {self.at_h})")
        d = self.params.duration_h
        if d is not None and d != int(d):
            raise ValueError(f"a surge lasts whole hours (duration_h {d})")
        return self


class LanesInject(_InjectBase):
    target_kind = TargetKind.checkpoint
    kind: Literal["lanes"]
    params: LanesParams


class ProcessingInject(_InjectBase):
    """Processing times at one side of ``target`` multiplied by ``multiplier`` for groups
    starting service from ``at_h`` on (extra staff or simplified checks below 1, new checks
    above 1). It sets the side's multiplier: a later one replaces it (1 restores); a shift's
    ``processing_multiplier`` applies on top."""

    target_kind = TargetKind.checkpoint
    kind: Literal["processing"]
    params: ProcessingParams


class RoadClose(_InjectBase):
    target_kind = TargetKind.road
    kind: Literal["road_close"]
    params: NoParams = NoParams()


class RoadOpen(_InjectBase):
    target_kind = TargetKind.road
    kind: Literal["road_open"]
    params: NoParams = NoParams()


class CentreCapacity(_InjectBase):
    target_kind = TargetKind.centre
    kind: Literal["centre_capacity"]
    params: CentreCapacityParams


class MobileUnit(_InjectBase):
    """A mobile reception unit opens at a road node (``target``) with ``beds``."""

    target_kind = TargetKind.node
    kind: Literal["mobile_unit"]
    params: MobileUnitParams


class OpenSite(_InjectBase):
    """A temporary site of ``add_centres`` (``target``) opens now."""

    target_kind = TargetKind.site
    kind: Literal["open_site"]
    params: dict[str, Any] = Field(default_factory=dict, max_length=0)


AnyInject = (
    CheckpointClose
    | CheckpointOpen
    | SurgeInject
    | LanesInject
    | ProcessingInject
    | RoadClose
    | RoadOpen
    | CentreCapacity
    | MobileUnit
    | OpenSite
)
"""Every inject kind: the one registry. A new kind is a class above, added here, plus its
handlers in ``contingency.sim.injects`` and its strings (``inject.<kind>``)."""
Inject = Annotated[AnyInject, Field(discriminator="kind")]
INJECT_CLASSES: tuple[type[_InjectBase], ...] = get_args(AnyInject)


def inject_kind(cls: type[_InjectBase]) -> str:
    """The ``kind`` tag of an inject class."""
    tag: str = get_args(cls.model_fields["kind"].annotation)[0]
    return tag


INJECT_KINDS: tuple[str, ...] = tuple(inject_kind(c) for c in INJECT_CLASSES)
INJECT_BY_KIND: dict[str, type[_InjectBase]] = dict(zip(INJECT_KINDS, INJECT_CLASSES, strict=True))
LIVE_KINDS: tuple[str, ...] = tuple(inject_kind(c) for c in INJECT_CLASSES if c.live)
"""Kinds the board offers during a live exercise, in registry order."""


# ---------------------------------------------------------------- reserves
ReserveKind = Literal["lanes", "mobile_unit", "beds", "buses"]
RESERVE_TARGETS: dict[str, TargetKind | None] = {
    "lanes": TargetKind.checkpoint,
    "beds": TargetKind.centre,
    "mobile_unit": TargetKind.node,
    "buses": None,
}
"""What a reserve's ``target`` names, by its kind (``buses`` has none)."""


class Reserve(_Model):
    """A reserve a planner could commit, with its unit cost (any one currency, used for all).

    ``lanes``: ``amount`` extra lanes of ``mode`` at checkpoint ``target``, each lane costing
    ``unit_cost``; ``beds``: ``amount`` extra beds at centre ``target``, per bed; ``buses``:
    ``amount`` extra buses a day in the national transfer pool, per bus; ``mobile_unit``: one
    mobile reception unit of ``amount`` beds at road node ``target``, costing ``unit_cost``.
    """

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]+$", max_length=60)]
    kind: ReserveKind
    target: str | None = None
    mode: Mode | None = None
    amount: Annotated[int, Field(ge=1, le=100_000)]
    unit_cost: Annotated[float, Field(gt=0, le=MAX_COST)]

    @property
    def cost(self) -> float:
        """What committing this reserve costs."""
        return self.unit_cost if self.kind == "mobile_unit" else self.unit_cost * self.amount

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Reserve:
        if self.kind != "buses" and not self.target:
            raise ValueError(msg("problem.reserve_target", kind=self.kind))
        if self.kind == "lanes" and self.mode is None:
            raise ValueError(msg("problem.reserve_mode", choices=[m.value for m in Mode]))
        if self.kind == "lanes" and self.amount > MAX_LANES:
            raise ValueError(msg("problem.reserve_lanes", limit=MAX_LANES, amount=self.amount))
        return self


# ---------------------------------------------------------------- the scenario
class Scenario(_Model):
    """A complete, schema-valid scenario. Cross-references are checked in ``load``."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_\-]+$", max_length=80)]
    """Short id: lower-case letters, digits, '_' and '-'."""
    title: dict[Literal["ru", "kk", "en"], str] | None = None
    """The title shown on the board, per language."""
    description: str | dict[Literal["ru", "kk", "en"], str] = ""
    """One text, or one per language."""
    trigger: Trigger
    """What drives the influx: conflict, disaster, sanctions_mobilisation or other."""
    start: datetime
    """Hour 0 of the run (ISO date and time)."""
    horizon_days: Annotated[int, Field(ge=1, le=MAX_HORIZON_DAYS)]
    """Days simulated."""
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 1
    """Random seed: the same scenario and seed give the same run."""
    maps: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    """The map pack (a folder with the files and columns of ``maps/``), relative to the
    scenario file; the bundled Kazakhstan pack when omitted. After loading, its absolute path."""
    checkpoints: list[str] | None = None
    """Checkpoints in play; those the map pack marks modernised (in the bundled pack, the ten
    modernised ones) when omitted."""
    influx: dict[str, InfluxSpec]
    """Arrivals per checkpoint: 'daily' totals, a 'curve' (total_persons, start_day, ramp_days,
    plateau_days, half_life_days) or a 'series' of time-stamped counts."""
    influx_multiplier: Annotated[float, Field(gt=0, le=100)] = 1.0
    """Scales every influx."""
    hourly_profile: list[Annotated[float, Field(ge=0, le=MAX_WEIGHT)]] = Field(
        default_factory=_default_hourly_profile
    )
    mode_mix: ModeMix = Field(default_factory=default_mode_mix)
    """How people come (car, bus, on foot): the share of persons and the group sizes."""
    population: PopulationMix = PopulationMix()
    """Who arrives: vulnerable, needing shelter, with own arrangements, leaving the country."""
    checkpoint_overrides: dict[str, CheckpointOverride] = {}
    """Per checkpoint: lanes, shifts, processing, waiting area, surge lanes, ordinary traffic
    (baseline), the far side and the approach road."""
    add_checkpoints: Annotated[list[AddedCheckpoint], Field(max_length=MAX_ADDED_CHECKPOINTS)] = []
    """Crossings the scenario brings, not in the map pack."""
    centre_overrides: dict[str, CentreOverride] = {}
    """Per centre: places (beds), intake per hour, stay, active or not."""
    region_capacity: dict[str, Persons] = {}
    """Persons each region (ISO 3166-2 code) can absorb, in place of the map pack's figure."""
    transport: Transport = Transport()
    """Buses from checkpoints to centres and from centres onward."""
    routing: Routing = Routing()
    """Onward placement in regions: weights by national priority, how often."""
    thresholds: Thresholds = Thresholds()
    """When a facility is amber or red."""
    diversion: Diversion = Diversion()
    """Informed groups switching to a quicker crossing on the same border."""
    onward: Onward = Onward()
    """People who move on by themselves, by car."""
    registration: Registrations = []
    """One registration point or a list of them (see :attr:`registration_points`)."""
    leaving: Leaving = Leaving()
    """People leaving the country: how long they transit, where they wait, where they go."""
    add_centres: Annotated[list[AddedCentre], Field(max_length=MAX_ADDED_CENTRES)] = []
    """Temporary sites the scenario brings (schools, sports halls, tent camps, ...)."""
    internal_origins: Annotated[dict[str, InfluxSpec], Field(max_length=100)] = {}
    """Displaced people inside the country, keyed by a road node id or a region code (same
    syntax as ``influx``): they enter transit and reception without crossing a border."""
    injects: list[Inject] = []
    """Events at given hours: closures, surges, lanes, processing, roads, places, sites."""
    reserves: list[Reserve] = []
    """Candidate reserves for stress testing and recommendation."""

    def title_in(self, lang: str) -> str:
        """The title in ``lang`` (else Russian, else English, else the name)."""
        t: dict[str, str] = {k: v for k, v in (self.title or {}).items()}
        return t.get(lang) or t.get("ru") or t.get("en") or self.name

    def description_in(self, lang: str) -> str:
        d = self.description
        if isinstance(d, str):
            return d
        by_lang: dict[str, str] = {k: v for k, v in d.items()}
        return by_lang.get(lang) or by_lang.get("ru") or by_lang.get("en") or ""

    @property
    def registration_points(self) -> list[RegistrationPoint]:
        """``registration`` as a list."""
        r = self.registration
        return [r] if isinstance(r, RegistrationPoint) else list(r)

    @field_validator("start")
    @classmethod
    def _start_in_calendar(cls, v: datetime) -> datetime:
        if not YEARS[0] <= v.year <= YEARS[1]:
            raise ValueError(msg("problem.year_range", first=str(YEARS[0]), last=str(YEARS[1])))
        return v

    @field_validator("hourly_profile")
    @classmethod
    def _profile_24(cls, v: list[float]) -> list[float]:
        if len(v) != 24:
            raise ValueError(msg("problem.hours_24", n=len(v)))
        if sum(v) <= 0:
            raise ValueError(msg("problem.hours_zero"))
        return v

    @field_validator("checkpoints")
    @classmethod
    def _unique(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            if not v:
                raise ValueError(msg("problem.checkpoints_empty"))
            dupes = sorted(x for x, n in Counter(v).items() if n > 1)
            if dupes:
                ids = ", ".join(dupes[:5])
                if len(dupes) > 5:
                    raise ValueError(
                        msg("problem.checkpoints_twice_more", ids=ids, more=len(dupes) - 5)
                    )
                raise ValueError(msg("problem.checkpoints_twice", ids=ids))
        return v
