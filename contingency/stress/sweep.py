"""Breaking points: for each facility, the lever value at which it crosses red.

A facility "is red" at a lever value when at least half of the replications there cross its
red threshold. Values are evaluated on a coarse grid, then each facility's bracket is bisected
to ``tol``; facilities that share a bracket share the evaluations. ``influx`` multiplies the
arrivals (red above the breaking point); ``lanes``, ``beds`` and ``buses`` multiply capacity
(red below it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from contingency.levers import centre_override, current_beds, current_lanes, lanes_override
from contingency.plotting import literal_text
from contingency.refdata import RefData
from contingency.scenario import Scenario, checkpoints_in_play, parse_scenario
from contingency.stress.stats import long_table

LEVERS = ("influx", "lanes", "beds", "buses")
RED_SHARE = 0.5


@dataclass(frozen=True)
class SweepSpec:
    lever: str
    lo: float
    hi: float

    @classmethod
    def parse(cls, text: str) -> SweepSpec:
        """``influx=0.5:3.0`` -> SweepSpec('influx', 0.5, 3.0)."""
        try:
            lever, rng = text.split("=", 1)
            lo, hi = (float(x) for x in rng.split(":", 1))
        except ValueError:
            raise ValueError(
                f"--sweep: write LEVER=LOW:HIGH, e.g. influx=0.5:3.0 (got {text!r})"
            ) from None
        if lever not in LEVERS:
            raise ValueError(f"--sweep: lever must be one of {', '.join(LEVERS)} (got {lever!r})")
        if not 0 < lo < hi <= 100:
            raise ValueError(f"--sweep: need 0 < LOW < HIGH <= 100 (got {lo}:{hi})")
        return cls(lever, lo, hi)

    @property
    def red_above(self) -> bool:
        return self.lever == "influx"


def apply_lever(sc: Scenario, ref: RefData, lever: str, x: float) -> Scenario:
    """``sc`` with one lever scaled by ``x`` (validated again)."""
    data = sc.model_dump(mode="json", exclude_defaults=True)
    if lever == "influx":
        data["influx_multiplier"] = sc.influx_multiplier * x
    elif lever == "buses":
        tr = sc.transport
        data["transport"] = {
            **data.get("transport", {}),
            "buses_per_day": max(0, round(tr.buses_per_day * x)),
            "onward_buses_per_day": max(0, round(tr.onward_buses_per_day * x)),
        }
    elif lever == "lanes":
        for cp in checkpoints_in_play(sc, ref):
            lanes = {
                m: (max(1, round(n * x)) if n else 0) for m, n in current_lanes(sc, ref, cp).items()
            }
            lanes_override(data, cp).update(lanes)
    elif lever == "beds":
        for cid in ref.centres.index:
            centre_override(data, cid)["beds"] = max(0, round(current_beds(sc, ref, cid) * x))
    else:
        raise ValueError(f"unknown lever {lever!r}")
    return parse_scenario(data, file=f"<{sc.name} {lever}x{x:g}>", ref=ref)


Evaluate = Callable[[Scenario], list[dict[str, Any]]]
"""Runs the replications of a scenario and returns their records."""

Bracket = tuple[float, float] | float
"""A facility's breaking point so far: an open interval (low, high) still to bisect, or a
settled value (NaN: never red in the range; a range end: red throughout)."""


def breaking_points(
    sc: Scenario,
    ref: RefData,
    spec: SweepSpec,
    evaluate: Evaluate,
    *,
    grid: int = 6,
    tol: float = 0.05,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per facility the breaking point (NaN where it never turns red in the range; the range
    end where it is red throughout), and every evaluated point with each facility's P(red)."""
    cache: dict[float, pd.Series] = {}

    def p_red(x: float) -> pd.Series:
        key = round(x, 6)
        if key not in cache:
            long = long_table(evaluate(apply_lever(sc, ref, spec.lever, x)))
            cache[key] = long.groupby("facility", sort=False)["red"].mean()
        return cache[key]

    def red(x: float, f: str) -> bool:
        return bool(p_red(x).get(f, 0.0) >= RED_SHARE)

    xs = [float(x) for x in np.linspace(spec.lo, spec.hi, grid)]
    grid_p = {x: p_red(x) for x in xs}
    facilities = list(dict.fromkeys(str(f) for s in grid_p.values() for f in s.index))
    brackets = {
        f: _grid_bracket([red(x, f) for x in xs], xs, red_above=spec.red_above) for f in facilities
    }
    _bisect(brackets, red, red_above=spec.red_above, tol=tol)
    rows = [
        {
            "facility": f,
            "breaking_point": (b[1] if spec.red_above else b[0]) if isinstance(b, tuple) else b,
            "lever": spec.lever,
            "red_above": spec.red_above,
            "red_throughout": not isinstance(b, tuple) and not pd.isna(b),
        }
        for f, b in brackets.items()
    ]
    points = pd.DataFrame(
        [
            {"x": x, "facility": f, "p_red": p}
            for x, s in sorted(cache.items())
            for f, p in s.items()
        ]
    )
    table = pd.DataFrame(rows).sort_values("breaking_point", na_position="last", kind="stable")
    return table.reset_index(drop=True), points


def _grid_bracket(states: list[bool], xs: list[float], *, red_above: bool) -> Bracket:
    """Where a facility turns red on the grid ``xs`` (``states``: red at each point)."""
    if not any(states):
        return float("nan")
    if red_above:
        if states[0]:
            return xs[0]
        k = states.index(True)
        return (xs[k - 1], xs[k])
    if states[-1]:
        return xs[-1]
    k = len(states) - 1 - states[::-1].index(True)
    return (xs[k], xs[k + 1])


def _bisect(
    brackets: dict[str, Bracket],
    red: Callable[[float, str], bool],
    *,
    red_above: bool,
    tol: float,
) -> None:
    """Halve every open bracket until narrower than ``tol``; facilities sharing a bracket share
    each midpoint (``red`` caches evaluations)."""
    while True:
        open_ = {f: b for f, b in brackets.items() if isinstance(b, tuple) and b[1] - b[0] > tol}
        if not open_:
            return
        for f, (a, b) in open_.items():
            mid = (a + b) / 2
            is_red = red(mid, f)
            if red_above:
                brackets[f] = (a, mid) if is_red else (mid, b)
            else:
                brackets[f] = (mid, b) if is_red else (a, mid)


def envelope_figure(
    table: pd.DataFrame, spec: SweepSpec, *, title: str, labels: Mapping[str, str]
) -> Figure:
    """The capacity envelope: per facility the safe and the red part of the lever range."""
    with literal_text():  # facility names and titles are drawn as written, `$` too
        shown = table.dropna(subset=["breaking_point"])
        fig = Figure(figsize=(9, 0.35 * max(4, len(shown)) + 1.5), dpi=120)
        ax = fig.subplots()
        points = [float(x) for x in shown["breaking_point"]]
        throughout = [bool(x) for x in shown["red_throughout"]]
        for i, (bp, red_throughout) in enumerate(zip(points, throughout, strict=True)):
            safe, red = (
                ((spec.lo, bp), (bp, spec.hi)) if spec.red_above else ((bp, spec.hi), (spec.lo, bp))
            )
            ax.barh(i, safe[1] - safe[0], left=safe[0], color="#2e7d32", alpha=0.7)
            ax.barh(i, red[1] - red[0], left=red[0], color="#c62828", alpha=0.8)
            mark = ("≤" if spec.red_above else "≥") if red_throughout else ""
            ax.text(bp, i, f" {mark}{bp:.2f}", va="center", fontsize=7)
        ax.set_yticks(range(len(shown)), [labels.get(f, f) for f in shown["facility"]], fontsize=7)
        ax.set_xlim(spec.lo, spec.hi)
        ax.set_xlabel(spec.lever)
        ax.set_title(title, fontsize=10)
        ax.invert_yaxis()
        fig.tight_layout()
    return fig


def envelope_png(
    table: pd.DataFrame,
    spec: SweepSpec,
    path: str | Path,
    *,
    title: str,
    labels: Mapping[str, str],
) -> None:
    """Save :func:`envelope_figure` as a PNG file at ``path``."""
    envelope_figure(table, spec, title=title, labels=labels).savefig(path)
