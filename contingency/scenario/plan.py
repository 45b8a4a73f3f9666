"""The resolved plan: the reference data with a scenario's overrides applied, computed once.

The engine, the levers, the checks and the benchmark read the effective lanes, processing,
beds, intake and stay from here, never from ``maps/`` and the overrides separately.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from contingency.domain import LaneMode, Mode, ProcessingMinutes
from contingency.refdata import RefData
from contingency.scenario.added import added_ids, override_for
from contingency.scenario.schema import (
    Approach,
    CheckpointOverride,
    ModeSpec,
    Scenario,
    Shift,
    Surge,
)
from contingency.scenario.sites import with_scenario_places

DEFAULT_CV = 0.5
"""Coefficient of variation of processing time when neither data nor scenario gives one."""
DEFAULT_WAITING_AREA = 5000
"""Persons a checkpoint's waiting area holds when maps/ gives no figure (assumption)."""


@dataclass(frozen=True)
class BaselinePlan:
    """Ordinary traffic at one checkpoint on a usual day: the map pack's ``baseline_*``
    columns (0 where a pack has none), then ``checkpoint_overrides.<id>.baseline``."""

    inbound_persons_per_day: int
    outbound_persons_per_day: int
    trucks_per_day: int
    """Both directions together."""
    mode_mix: dict[Mode, ModeSpec]
    """How the travellers come: the override's ``mode_mix``, else the map pack's shares
    (``baseline_<mode>_share``) with the scenario's group sizes, else the scenario's mix."""


@dataclass(frozen=True)
class SidePlan:
    """One control of a crossing: lanes, processing minutes by mode, their coefficient of
    variation and the shifts (None: open all day with all lanes)."""

    lanes: dict[LaneMode, int]
    processing: dict[Mode, ProcessingMinutes]
    cv: float
    shifts: list[Shift] | None

    @property
    def truck_processing(self) -> ProcessingMinutes:
        """A freight truck's processing: the car's minutes per vehicle (the bundled figures
        are derived from design throughput counting trucks and cars alike), none per person."""
        return ProcessingMinutes(self.processing[Mode.car].min_per_vehicle, 0.0)


@dataclass(frozen=True)
class CheckpointPlan:
    """One checkpoint as the scenario runs it: reference data, then its overrides."""

    id: str
    node: str
    lanes: dict[LaneMode, int]
    """Base lanes by lane mode (``truck`` lanes serve freight trucks)."""
    processing: dict[Mode, ProcessingMinutes]
    cv: float
    waiting_area_persons: int
    shifts: list[Shift] | None
    surge: Surge | None
    baseline: BaselinePlan
    far: SidePlan | None = None
    """The neighbour's exit control as the scenario gives it; None: the same as ours."""
    turn_back: tuple[tuple[float, float], ...] = ()
    """``(from_h, share)``: from hour ``from_h`` on, ``share`` of the groups reaching the far
    side are turned back (none: nobody)."""
    approach: Approach = field(default_factory=Approach)
    """The road our queue stands on."""
    far_approach: Approach | None = None
    """The road the far-side queue stands on (None: like ours)."""

    @property
    def near_side(self) -> SidePlan:
        """Our control."""
        return SidePlan(self.lanes, self.processing, self.cv, self.shifts)

    @property
    def far_side(self) -> SidePlan:
        """The neighbour's exit control (ours where the scenario gives none)."""
        return self.far or self.near_side

    @property
    def min_per_group(self) -> dict[Mode, float]:
        return {m: p.min_per_vehicle for m, p in self.processing.items()}

    @property
    def min_per_person(self) -> dict[Mode, float]:
        return {m: p.min_per_person for m, p in self.processing.items()}


@dataclass(frozen=True)
class CentrePlan:
    """One centre from ``maps/centres.csv`` as the scenario runs it (inactive ones left out)."""

    id: str
    kind: str
    node: str
    region: str
    beds: int
    intake_per_hour: float
    stay_days_mean: float
    opens_at_h: float | None = 0.0
    """When it opens: 0 from the start (map-pack centres), an hour (a temporary site), or
    None (a site an ``open_site`` inject opens)."""


@dataclass(frozen=True)
class Plan:
    """Every checkpoint in play and every active centre, resolved once."""

    checkpoints: dict[str, CheckpointPlan]
    centres: dict[str, CentrePlan]
    beds: dict[str, int]
    """Beds of every centre in ``maps/`` after overrides, inactive ones included."""


def checkpoints_in_play(sc: Scenario, ref: RefData) -> list[str]:
    """The checkpoints a scenario names; when it names none, the ten modernised ones and the
    crossings it adds."""
    if sc.checkpoints is not None:
        return sc.checkpoints
    return ref.modernised_ids + [a for a in added_ids(sc) if a not in ref.modernised_ids]


def _processing(sc: Scenario, ref: RefData, cp: str) -> tuple[dict[Mode, ProcessingMinutes], float]:
    minutes = dict(ref.processing[cp])
    ov = override_for(sc, cp)
    p = ov.processing if ov else None
    if p is None:
        return minutes, DEFAULT_CV
    return p.over(minutes), DEFAULT_CV if p.cv is None else p.cv


def _far_side(ov: CheckpointOverride | None, near: SidePlan) -> SidePlan | None:
    """The far side as ``ov.far_side`` gives it, each section left out the same as ``near``
    (None: no far side given, the same as ours)."""
    far = ov.far_side if ov else None
    if far is None or far.model_fields_set <= {"turn_back_share", "approach"}:
        return None
    p = far.processing
    return SidePlan(
        lanes={**near.lanes, **(far.lanes or {})},
        processing=near.processing if p is None else p.over(near.processing),
        cv=near.cv if p is None or p.cv is None else p.cv,
        shifts=near.shifts if far.shifts is None else far.shifts,
    )


def _turn_back(ov: CheckpointOverride | None) -> tuple[tuple[float, float], ...]:
    """``far_side.turn_back_share`` as steps ``(from_h, share)`` in time order (none: 0)."""
    given = ov.far_side.turn_back_share if ov and ov.far_side else 0.0
    if isinstance(given, list):
        return tuple((float(s.from_h), s.share) for s in given)
    return ((0.0, given),) if given > 0 else ()


def resolve_checkpoint(sc: Scenario, ref: RefData, cp: str) -> CheckpointPlan:
    """Checkpoint ``cp`` (a known id or a crossing ``sc`` adds) with the scenario's overrides
    applied."""
    ref = with_scenario_places(sc, ref)
    row = ref.checkpoints.loc[cp]
    assert isinstance(row, pd.Series)  # ids are unique
    ov = override_for(sc, cp)
    lanes = {**ref.lanes[cp], **(ov.lanes if ov and ov.lanes else {})}
    minutes, cv = _processing(sc, ref, cp)
    given = row.get("waiting_area_persons")  # a column maps/ may add
    area = DEFAULT_WAITING_AREA if given is None or pd.isna(given) else int(given)
    if ov and ov.waiting_area_persons is not None:
        area = ov.waiting_area_persons
    return CheckpointPlan(
        id=cp,
        node=str(row["node"]),
        lanes={m: lanes[m] for m in LaneMode},
        processing=minutes,
        cv=cv,
        waiting_area_persons=area,
        shifts=ov.shifts if ov else None,
        surge=ov.surge if ov else None,
        baseline=_baseline(sc, row, ov),
        far=_far_side(
            ov,
            SidePlan({m: lanes[m] for m in LaneMode}, minutes, cv, ov.shifts if ov else None),
        ),
        turn_back=_turn_back(ov),
        approach=(ov.approach if ov else None) or Approach(),
        far_approach=ov.far_side.approach if ov and ov.far_side else None,
    )


BASELINE_KEYS = ("inbound_persons_per_day", "outbound_persons_per_day", "trucks_per_day")
"""Figures of a baseline; the map pack's column is ``baseline_<key>``."""


def _baseline(sc: Scenario, row: pd.Series, ov: CheckpointOverride | None) -> BaselinePlan:
    given = ov.baseline if ov else None
    figures: dict[str, int] = {}
    for key in BASELINE_KEYS:
        value = getattr(given, key) if given is not None else None
        if value is None:
            cell = row.get(f"baseline_{key}")  # a pack without the column has none
            value = 0 if cell is None or pd.isna(cell) else int(cell)
        figures[key] = value
    if given is not None and given.mode_mix is not None:
        mix = dict(given.mode_mix)
    else:
        mix = _pack_mix(row, sc.mode_mix)
    return BaselinePlan(
        inbound_persons_per_day=figures["inbound_persons_per_day"],
        outbound_persons_per_day=figures["outbound_persons_per_day"],
        trucks_per_day=figures["trucks_per_day"],
        mode_mix=mix,
    )


def _pack_mix(row: pd.Series, scenario_mix: dict[Mode, ModeSpec]) -> dict[Mode, ModeSpec]:
    """Ordinary travellers' mode shares from the map pack (``baseline_<mode>_share``) with
    the scenario's group sizes; the scenario's mix where the pack has no shares."""
    cells = [row.get(f"baseline_{m.value}_share") for m in Mode]
    if any(c is None or pd.isna(c) for c in cells):
        return dict(scenario_mix)
    return {
        m: ModeSpec(share=float(c or 0.0), occupancy=scenario_mix[m].occupancy)
        for m, c in zip(Mode, cells, strict=True)
    }


def resolve_centre(sc: Scenario, ref: RefData, cid: str) -> CentrePlan:
    """Centre ``cid`` (a known id) with the scenario's overrides applied."""
    row = ref.centres.loc[cid]
    assert isinstance(row, pd.Series)  # ids are unique
    return _centre(sc, cid, row)


def _centre(sc: Scenario, cid: str, row: pd.Series) -> CentrePlan:
    ov = sc.centre_overrides.get(cid)
    site = next((a for a in sc.add_centres if a.id == cid), None)
    stay = float(row["stay_days_mean"])
    if ov and ov.stay_hours_mean:
        stay = ov.stay_hours_mean / 24.0
    elif ov and ov.stay_days_mean:
        stay = ov.stay_days_mean
    return CentrePlan(
        id=cid,
        kind=str(row["kind"]),
        node=str(row["node"]),
        region=str(row["region_iso"]),
        beds=ov.beds if ov and ov.beds is not None else int(row["beds"]),
        intake_per_hour=ov.intake_per_hour
        if ov and ov.intake_per_hour
        else float(row["intake_per_hour"]),
        stay_days_mean=stay,
        opens_at_h=site.opens_at_h if site is not None else 0.0,
    )


def resolve(sc: Scenario, ref: RefData) -> Plan:
    """The scenario's checkpoints in play (known ids only, the crossings it adds included) and
    centres, overrides applied."""
    ref = with_scenario_places(sc, ref)
    checkpoints = {
        cp: resolve_checkpoint(sc, ref, cp)
        for cp in checkpoints_in_play(sc, ref)
        if cp in ref.checkpoints.index
    }
    every = {str(cid): _centre(sc, str(cid), row) for cid, row in ref.centres.iterrows()}
    active = {
        cid: c
        for cid, c in every.items()
        if (ov := sc.centre_overrides.get(cid)) is None or ov.active
    }
    return Plan(checkpoints, active, {cid: c.beds for cid, c in every.items()})
