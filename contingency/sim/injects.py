"""What each inject kind does, one dispatcher per stage.

Each dispatcher matches every kind of :data:`~contingency.scenario.schema.AnyInject` and ends
in ``assert_never``, so the type checker names a kind a stage forgot. A kind that does not act
at a stage returns ``None`` there (surges act on arrivals: ``contingency.sim.arrivals``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, assert_never

from contingency.domain import LaneMode
from contingency.scenario.schema import (
    AnyInject,
    CentreCapacity,
    CheckpointClose,
    CheckpointOpen,
    LanesInject,
    MobileUnit,
    OpenSite,
    ProcessingInject,
    RoadClose,
    RoadOpen,
    Side,
    SurgeInject,
)

if TYPE_CHECKING:
    from contingency.sim.border import CheckpointRun
    from contingency.sim.centres import Downstream

BorderAction = Callable[["CheckpointRun"], None]
DownstreamAction = Callable[["Downstream", int], None]
"""What an inject does after the border, given the hour (1-based) it acts in."""


def border_action(inj: AnyInject) -> BorderAction | None:
    """What ``inj`` does to the checkpoint it targets at ``inj.at_h`` (None: nothing)."""
    match inj:
        case CheckpointClose():
            return _set_closed(inj.params.side, closed=True)
        case CheckpointOpen():
            return _set_closed(inj.params.side, closed=False)
        case LanesInject():
            return _set_lanes(inj)
        case ProcessingInject():
            return _set_processing(inj)
        case (
            SurgeInject() | RoadClose() | RoadOpen() | CentreCapacity() | MobileUnit() | OpenSite()
        ):
            return None
        case _:
            assert_never(inj)


def downstream_action(inj: AnyInject) -> DownstreamAction | None:
    """What ``inj`` does after the border, in the hour it happens (None: nothing)."""
    match inj:
        case CentreCapacity():
            return _set_beds(inj)
        case MobileUnit():
            return _open_mobile_unit(inj)
        case OpenSite():
            return _open_site(inj)
        case RoadClose():
            return _road(inj.target, is_open=False)
        case RoadOpen():
            return _road(inj.target, is_open=True)
        case (
            CheckpointClose()
            | CheckpointOpen()
            | LanesInject()
            | ProcessingInject()
            | SurgeInject()
        ):
            return None
        case _:
            assert_never(inj)


# ---------------------------------------------------------------- at the border
def _set_closed(side: Side, *, closed: bool) -> BorderAction:
    def apply(run: CheckpointRun) -> None:
        run.side(side).closed = closed

    return apply


def _set_lanes(inj: LanesInject) -> BorderAction:
    def apply(run: CheckpointRun) -> None:
        at = run.side(inj.params.side)
        for m in LaneMode:
            v = inj.params.get(m)
            if v is not None:
                at.base_lanes[m] = v

    return apply


def _set_processing(inj: ProcessingInject) -> BorderAction:
    """From now on the side's processing times are multiplied by ``multiplier`` (groups in
    service finish at the time they started with)."""

    def apply(run: CheckpointRun) -> None:
        run.side(inj.params.side).multiplier = inj.params.multiplier

    return apply


# ---------------------------------------------------------------- after the border
def _set_beds(inj: CentreCapacity) -> DownstreamAction:
    """The centre's places become ``beds``; people above them are moved, not dropped."""

    def apply(down: Downstream, h: int) -> None:
        if inj.target in down.centres:
            down.cut_places(inj.target, inj.params.beds, h)

    return apply


def _open_site(inj: OpenSite) -> DownstreamAction:
    def apply(down: Downstream, h: int) -> None:
        if inj.target in down.centres:
            down.centres[inj.target].is_open = True

    return apply


def _open_mobile_unit(inj: MobileUnit) -> DownstreamAction:
    def apply(down: Downstream, h: int) -> None:
        unit = down.mobile_unit(inj)
        unit.beds, unit.is_open = inj.params.beds, True

    return apply


def _road(target: str, *, is_open: bool) -> DownstreamAction:
    a, b = target.split("--")

    def apply(down: Downstream, h: int) -> None:
        (down.network.open if is_open else down.network.close)(a, b)

    return apply
