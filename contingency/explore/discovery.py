"""Scenario discovery: the box of input conditions under which a facility turns red, found by
PRIM (the EMA Workbench's ``ema_workbench.analysis.prim``) over the samples of an exploration.

Of the boxes along PRIM's peeling trajectory, the one kept is the one with the best balance of
coverage (the share of the red samples inside the box) and density (the share of the samples
inside the box that are red): the highest harmonic mean of the two, the fewer restricted inputs
on a tie. A side of an input the box cuts by less than :data:`MIN_CUT` of its range is left
free (a box says what matters), and coverage and density are those of the box so stated.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_DENSITY = 0.5
"""PRIM's threshold: a box in which a facility is red in fewer samples than this is no box."""
MIN_CUT = 0.05
"""The least share of an input's range a side of a box must cut off to count as a condition."""
PEEL_ALPHA = 0.05
"""The share of the samples PRIM peels off at each step."""


@dataclass(frozen=True)
class Condition:
    """An input restricted to [low, high] within its range [range_low, range_high]."""

    input: str
    low: float
    high: float
    range_low: float
    range_high: float

    @property
    def above(self) -> bool:
        """Only the low side is restricted: the input above ``low``."""
        return self.low > self.range_low and self.high >= self.range_high

    @property
    def below(self) -> bool:
        """Only the high side is restricted: the input below ``high``."""
        return self.high < self.range_high and self.low <= self.range_low


@dataclass(frozen=True)
class Box:
    """The conditions under which a facility turns red, with coverage and density."""

    facility: str
    conditions: list[Condition]
    coverage: float
    density: float

    def as_dict(self) -> dict[str, object]:
        """As ``summary.json`` holds it."""
        return {
            "facility": self.facility,
            "conditions": [dataclasses.asdict(c) for c in self.conditions],
            "coverage": round(self.coverage, 3),
            "density": round(self.density, 3),
        }


def _quiet_prim(x: pd.DataFrame, y: np.ndarray) -> object:
    """PRIM's peeling and pasting, without the workbench's log lines and the warnings it
    raises under pandas 3 (about its own code)."""
    logging.getLogger("EMA").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        p = prim.Prim(x, y, threshold=MIN_DENSITY, peel_alpha=PEEL_ALPHA)
        return p.find_box()


def find_box(
    facility: str,
    inputs: pd.DataFrame,
    red: pd.Series,
    *,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> Box | None:
    """The box in which ``facility`` is red (``red``: one bool per sample, as ``inputs``'s
    rows); None when it is red in no sample or in every one, or PRIM finds no box at least
    :data:`MIN_DENSITY` dense. ``bounds`` are the inputs' ranges (else the samples' extent)."""
    y = red.to_numpy(dtype=bool)
    if not y.any() or y.all():
        return None
    x = inputs.reset_index(drop=True).astype(float)
    box = _quiet_prim(x, y)
    traj = box.peeling_trajectory  # type: ignore[attr-defined]
    f1 = 2 * traj["coverage"] * traj["density"] / (traj["coverage"] + traj["density"])
    best = traj.assign(f1=f1.round(6)).sort_values(["f1", "res_dim"], ascending=[False, True])
    i = int(best.index[0])
    if float(traj.loc[i, "density"]) < MIN_DENSITY:
        return None
    lims = box.box_lims[i]  # type: ignore[attr-defined]
    conditions = []
    for name in x.columns:
        r_lo, r_hi = (bounds or {}).get(str(name), (float(x[name].min()), float(x[name].max())))
        cut = MIN_CUT * (r_hi - r_lo)
        lo, hi = float(lims.loc[0, name]), float(lims.loc[1, name])
        lo, hi = (lo if lo - r_lo >= cut else r_lo), (hi if r_hi - hi >= cut else r_hi)
        if lo > r_lo or hi < r_hi:
            conditions.append(Condition(str(name), lo, hi, r_lo, r_hi))
    if not conditions:
        return None
    inside = np.ones(len(x), dtype=bool)
    for c in conditions:
        inside &= (x[c.input] >= c.low).to_numpy() & (x[c.input] <= c.high).to_numpy()
    coverage, density = (y & inside).sum() / y.sum(), (y & inside).sum() / max(inside.sum(), 1)
    return Box(facility, conditions, float(coverage), float(density))


def discover(
    inputs: pd.DataFrame,
    red: pd.DataFrame,
    *,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> list[Box]:
    """A box for each facility (a column of ``red``) that turns red in some samples but not
    in all, where PRIM finds one; the best-covered first."""
    found = (find_box(str(f), inputs, red[f], bounds=bounds) for f in red.columns)
    boxes = [b for b in found if b is not None]
    return sorted(boxes, key=lambda b: (-b.coverage * b.density, b.facility))
