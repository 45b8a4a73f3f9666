"""The resolved plan: the reference data with a scenario's overrides applied, computed once.

The engine, the levers, the checks and the benchmark read the effective lanes, processing,
beds, intake and stay from here, never from ``maps/`` and the overrides separately.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from contingency.domain import LaneMode, Mode, ProcessingMinutes
from contingency.refdata import RefData
from contingency.scenario.schema import Scenario, Shift, Surge

DEFAULT_CV = 0.5
"""Coefficient of variation of processing time when neither data nor scenario gives one."""
DEFAULT_WAITING_AREA = 5000
"""Persons a checkpoint's waiting area holds when maps/ gives no figure (assumption)."""


@dataclass(frozen=True)
class CheckpointPlan:
    """One checkpoint as the scenario runs it: reference data, then its overrides."""

    id: str
    node: str
    lanes: dict[LaneMode, int]
    """Base lanes by lane mode (``truck`` recorded, not simulated)."""
    processing: dict[Mode, ProcessingMinutes]
    cv: float
    waiting_area_persons: int
    shifts: list[Shift] | None
    surge: Surge | None

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


@dataclass(frozen=True)
class Plan:
    """Every checkpoint in play and every active centre, resolved once."""

    checkpoints: dict[str, CheckpointPlan]
    centres: dict[str, CentrePlan]
    beds: dict[str, int]
    """Beds of every centre in ``maps/`` after overrides, inactive ones included."""


def checkpoints_in_play(sc: Scenario, ref: RefData) -> list[str]:
    """The checkpoints a scenario names, or the ten modernised ones when it names none."""
    return sc.checkpoints if sc.checkpoints is not None else ref.modernised_ids


def _processing(sc: Scenario, ref: RefData, cp: str) -> tuple[dict[Mode, ProcessingMinutes], float]:
    minutes = dict(ref.processing[cp])
    ov = sc.checkpoint_overrides.get(cp)
    p = ov.processing if ov else None
    if p is None:
        return minutes, DEFAULT_CV
    for m in Mode:
        given = p.for_mode(m)
        if given is None:
            continue
        base = minutes[m]
        minutes[m] = ProcessingMinutes(
            base.min_per_vehicle if given.min_per_vehicle is None else given.min_per_vehicle,
            base.min_per_person if given.min_per_person is None else given.min_per_person,
        )
    return minutes, DEFAULT_CV if p.cv is None else p.cv


def resolve_checkpoint(sc: Scenario, ref: RefData, cp: str) -> CheckpointPlan:
    """Checkpoint ``cp`` (a known id) with the scenario's overrides applied."""
    row = ref.checkpoints.loc[cp]
    ov = sc.checkpoint_overrides.get(cp)
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
    )


def resolve_centre(sc: Scenario, ref: RefData, cid: str) -> CentrePlan:
    """Centre ``cid`` (a known id) with the scenario's overrides applied."""
    row = ref.centres.loc[cid]
    assert isinstance(row, pd.Series)  # ids are unique
    return _centre(sc, cid, row)


def _centre(sc: Scenario, cid: str, row: pd.Series) -> CentrePlan:
    ov = sc.centre_overrides.get(cid)
    return CentrePlan(
        id=cid,
        kind=str(row["kind"]),
        node=str(row["node"]),
        region=str(row["region_iso"]),
        beds=ov.beds if ov and ov.beds is not None else int(row["beds"]),
        intake_per_hour=ov.intake_per_hour
        if ov and ov.intake_per_hour
        else float(row["intake_per_hour"]),
        stay_days_mean=ov.stay_days_mean
        if ov and ov.stay_days_mean
        else float(row["stay_days_mean"]),
    )


def resolve(sc: Scenario, ref: RefData) -> Plan:
    """The scenario's checkpoints in play (known ids only) and centres, overrides applied."""
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
