"""Fitting a few named parameters to a case's observations, kept apart from the scores.

Each parameter is searched alone, in the order given, from the values fitted before it: a grid
of :data:`GRID` points over its range, then :data:`REFINE` points between the grid neighbours
of the best one (log-spaced for multipliers). An evaluation is one replication with the
scenario's first replay seed (the same seed for every value, so differences come from the
parameter). The objective is the case's median absolute log ratio (ties: more within x2, then
more inside the band). A fitted value scores only *other* cases (:func:`leave_one_out`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from contingency.history.case import Case
from contingency.history.replay import replay_case
from contingency.history.score import Score
from contingency.levers import lanes_override
from contingency.refdata import RefData
from contingency.scenario import Scenario, checkpoints_in_play, parse_scenario
from contingency.scenario.plan import resolve_checkpoint
from contingency.stress.sweep import apply_lever

GRID = 5
REFINE = 4


@dataclass(frozen=True)
class Param:
    """A parameter calibration may fit: how it changes a scenario, its range, its neutral
    value (the scenario as written), and whether it is searched on a log scale."""

    name: str
    apply: Callable[[dict[str, Any], Scenario, RefData, float], None]
    low: float
    high: float
    log: bool
    doc: str

    def neutral(self, sc: Scenario) -> float:
        return sc.population.needs_shelter_share if self.name == "shelter_share" else 1.0


def _processing(data: dict[str, Any], sc: Scenario, ref: RefData, x: float) -> None:
    for cp in checkpoints_in_play(sc, ref):
        plan = resolve_checkpoint(sc, ref, cp)
        ov = data.setdefault("checkpoint_overrides", {}).setdefault(cp, {})
        minutes: dict[str, Any] = {"cv": plan.cv}
        for mode, p in plan.processing.items():
            m: dict[str, float] = {"min_per_person": p.min_per_person * x}
            if p.min_per_vehicle > 0:
                m["min_per_vehicle"] = p.min_per_vehicle * x
            else:  # a mode on foot: minutes per person only, and never zero
                m["min_per_person"] = max(m["min_per_person"], 1e-3)
            minutes[mode.value] = m
        ov["processing"] = minutes


def _lanes(data: dict[str, Any], sc: Scenario, ref: RefData, x: float) -> None:
    scaled = apply_lever(sc, ref, "lanes", x)
    for cp in checkpoints_in_play(sc, ref):
        lanes = resolve_checkpoint(scaled, ref, cp).lanes
        lanes_override(data, cp).update({m.value: n for m, n in lanes.items()})


def _shelter_share(data: dict[str, Any], sc: Scenario, ref: RefData, x: float) -> None:
    pop = sc.population
    rest = pop.own_arrangements_share + pop.leaving_country_share
    own = pop.own_arrangements_share / rest if rest > 0 else 1.0
    data["population"] = {
        **data.get("population", {}),
        "needs_shelter_share": x,
        "own_arrangements_share": (1 - x) * own,
        "leaving_country_share": (1 - x) * (1 - own),
    }


def _influx(data: dict[str, Any], sc: Scenario, ref: RefData, x: float) -> None:
    data["influx_multiplier"] = sc.influx_multiplier * x


PARAMS: dict[str, Param] = {
    p.name: p
    for p in (
        Param(
            "processing",
            _processing,
            0.25,
            4.0,
            True,
            "multiplies every processing time (per vehicle and per person) at every "
            "checkpoint in play",
        ),
        Param(
            "lanes",
            _lanes,
            0.25,
            4.0,
            True,
            "multiplies the lanes of every mode at every checkpoint in play (at least 1 where "
            "there were any)",
        ),
        Param(
            "shelter_share",
            _shelter_share,
            0.02,
            0.95,
            False,
            "sets population.needs_shelter_share; own arrangements and leaving keep their "
            "ratio and take the rest",
        ),
        Param("influx", _influx, 0.25, 4.0, True, "multiplies influx_multiplier"),
    )
}
"""The parameters calibration may fit, by name."""


def apply_params(sc: Scenario, ref: RefData, values: Mapping[str, float]) -> Scenario:
    """``sc`` with each named parameter set to its value (validated again)."""
    data = sc.model_dump(mode="json", exclude_defaults=True)
    for name, x in values.items():
        PARAMS[name].apply(data, sc, ref, x)
    shown = ", ".join(f"{k}={v:.3g}" for k, v in values.items())
    return parse_scenario(data, file=f"<{sc.name} {shown}>", ref=ref)


def _badness(s: Score) -> tuple[float, float, float]:
    med = s["median_abs_log_ratio"]
    return (
        math.inf if med is None else med,
        -(s["share_within_2x"] or 0.0),
        -(s["share_within_band"] or 0.0),
    )


@dataclass(frozen=True)
class Fit:
    """A calibration: the fitted values, the score before and after, every evaluation."""

    case: str
    values: dict[str, float]
    before: Score
    after: Score
    evaluations: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "params": {n: {"value": v, "doc": PARAMS[n].doc} for n, v in self.values.items()},
            "score_before": self.before,
            "score_after": self.after,
            "evaluations": self.evaluations,
        }


def _points(p: Param, lo: float, hi: float, n: int, *, ends: bool) -> list[float]:
    xs = (
        np.geomspace(lo, hi, n + (0 if ends else 2))
        if p.log
        else np.linspace(lo, hi, n + (0 if ends else 2))
    )
    pts = [float(x) for x in xs]
    return pts if ends else pts[1:-1]


def calibrate(case: Case, names: Sequence[str]) -> Fit:
    """Fit the parameters ``names`` (keys of :data:`PARAMS`) to ``case``'s observations."""
    values: dict[str, float] = {}
    evaluations: list[dict[str, Any]] = []
    cache: dict[tuple[tuple[str, float], ...], Score] = {}

    def evaluate(trial: dict[str, float]) -> Score:
        key = tuple(sorted((k, round(v, 9)) for k, v in trial.items()))
        if key not in cache:
            sc = apply_params(case.scenario, case.ref, trial) if trial else case.scenario
            cache[key] = replay_case(case, scenario=sc).score
            evaluations.append({"values": dict(trial), "score": cache[key]})
        return cache[key]

    before = evaluate({})
    for name in names:
        p = PARAMS[name]
        grid = _points(p, p.low, p.high, GRID, ends=True)
        neutral = p.neutral(case.scenario)
        tried = {x: evaluate({**values, name: x}) for x in [*grid, neutral]}
        best = min(tried, key=lambda x: _badness(tried[x]))
        k = grid.index(best) if best in grid else None
        if k is not None:
            lo = grid[max(0, k - 1)]
            hi = grid[min(len(grid) - 1, k + 1)]
            for x in _points(p, lo, hi, REFINE, ends=False):
                tried[x] = evaluate({**values, name: x})
            best = min(tried, key=lambda x: _badness(tried[x]))
        values[name] = best
    after = evaluate(values) if values else before
    return Fit(case.name, values, before, after, evaluations)


@dataclass(frozen=True)
class LeaveOneOut:
    """One case scored before any fitting and with the mean of the other cases' fits."""

    case: str
    before: Score
    values: dict[str, float]
    """The mean of the values fitted on every other case."""
    after: Score


def leave_one_out(
    cases: Sequence[Case], names: Sequence[str], *, before: Mapping[str, Score]
) -> list[LeaveOneOut]:
    """Fit ``names`` on each case alone; score each case with the mean of the *other* cases'
    fitted values (never with its own). ``before``: each case's score before fitting."""
    fits = {c.name: calibrate(c, names) for c in cases}
    out = []
    for c in cases:
        others = [f.values for n, f in fits.items() if n != c.name]
        if not others:
            continue
        mean = {k: float(np.mean([v[k] for v in others])) for k in names}
        sc = apply_params(c.scenario, c.ref, mean)
        out.append(LeaveOneOut(c.name, before[c.name], mean, replay_case(c, scenario=sc).score))
    return out
