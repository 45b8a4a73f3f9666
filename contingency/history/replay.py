"""Replay a case: run its scenario (several replications when asked), compute every observable,
compare with the observed bands, score, and store the run with ``replay.json``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import numpy as np

from contingency.history.case import Case
from contingency.history.observables import modelled_value
from contingency.history.observation import Observation
from contingency.history.run_data import RunData
from contingency.history.score import Score, inside_band, log_ratio, score, within_2x
from contingency.results import RunResult, run_scenario
from contingency.scenario import Scenario
from contingency.store.runs import RunStore, StoredRun
from contingency.stress.runner import seeds_for

REPLAY_FILE = "replay.json"
NOTE_ZERO = "infinite miss: modelled 0 against an observed band above 0"
NOTE_NONE = "infinite miss: the model does not produce this value"


class ObservationRecord(TypedDict):
    """One observation compared with the model, as ``replay.json`` lists it."""

    observable: str
    target: str
    date_from: str
    date_to: str
    mode: str
    scope: str
    low: float
    high: float
    unit: str
    modelled: float | None
    """The median over replications, in ``unit`` (None: the model does not produce it)."""
    log_ratio: float | None
    """ln(modelled / nearest end of the band), 0 inside; None for an infinite miss."""
    inside_band: bool
    within_2x: bool
    source: str
    reliability: str
    note: str | None


@dataclass(frozen=True)
class Replay:
    """A replayed case: a record per observation, the score, and replication 1's run."""

    case: Case
    scenario: Scenario
    records: list[ObservationRecord]
    score: Score
    first: RunResult
    seeds: list[int]

    def as_json(self) -> dict[str, object]:
        """What ``replay.json`` holds."""
        return {
            "case": self.case.name,
            "scenario": self.scenario.name,
            "replications": len(self.seeds),
            "seeds": self.seeds,
            "observables": self.records,
            "score": self.score,
        }

    def write_files(self, folder: Path) -> None:
        """Replication 1's run files and ``replay.json``."""
        self.first.write_files(folder)
        (folder / REPLAY_FILE).write_text(
            json.dumps(self.as_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )

    def store(self, store: RunStore) -> StoredRun:
        """Save as a run of kind ``replay`` in ``store``."""
        return store.save(
            self.write_files,
            scenario=self.scenario.name,
            seed=self.seeds[0],
            kind="replay",
            summary=self.first.summary,
            note=f"replay of {self.case.name}",
        )


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.median(known)) if known else None


def record(obs: Observation, modelled: float | None, notes: tuple[str, ...]) -> ObservationRecord:
    """The comparison of one observation with the model's value."""
    ratio = log_ratio(modelled, obs.low, obs.high)
    if ratio is None:
        notes = (*notes, NOTE_NONE if modelled is None else NOTE_ZERO)
    return ObservationRecord(
        observable=obs.observable,
        target=obs.target,
        date_from=obs.date_from.isoformat(),
        date_to=obs.date_to.isoformat(),
        mode=obs.mode,
        scope=obs.scope,
        low=obs.low,
        high=obs.high,
        unit=obs.unit,
        modelled=None if modelled is None else round(modelled, 6),
        log_ratio=None if ratio is None else round(ratio, 6),
        inside_band=inside_band(ratio),
        within_2x=within_2x(ratio),
        source=obs.source,
        reliability=obs.reliability,
        note="; ".join(dict.fromkeys(notes)) or None,
    )


def replay_case(case: Case, *, replications: int = 1, scenario: Scenario | None = None) -> Replay:
    """Run ``case`` (or ``scenario`` in place of its own, e.g. with fitted parameters)
    ``replications`` times with seeds from the scenario's seed, and compare the median of each
    modelled value with its observed band."""
    sc = scenario or case.scenario
    seeds = seeds_for(sc.seed, replications)
    values: list[list[float | None]] = [[] for _ in case.observations]
    notes: list[tuple[str, ...]] = [() for _ in case.observations]
    first: RunResult | None = None
    for seed in seeds:
        result = run_scenario(sc, case.ref, seed=seed)
        first = first or result
        run = RunData(result.tables, result.summary)
        for i, obs in enumerate(case.observations):
            m = modelled_value(obs, run)
            values[i].append(m.value)
            notes[i] = (*notes[i], *m.notes)
    assert first is not None  # at least one replication
    records = [
        record(obs, _median(v), n)
        for obs, v, n in zip(case.observations, values, notes, strict=True)
    ]
    return Replay(case, sc, records, score(r["log_ratio"] for r in records), first, seeds)


# ---------------------------------------------------------------- tables as printed
def _num(x: float | None) -> str:
    if x is None:
        return "-"
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-2):
        return f"{x:.3g}"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def observation_lines(replay: Replay) -> list[str]:
    """The table ``observable | target | observed band | modelled | log ratio | inside band``."""
    lines = [
        f"{'observable':<26}{'target':<22}{'observed band':>24}{'modelled':>12}"
        f"{'log ratio':>11}  inside band"
    ]
    for r in replay.records:
        band = _num(r["low"]) if r["low"] == r["high"] else f"{_num(r['low'])}-{_num(r['high'])}"
        ratio = "inf miss" if r["log_ratio"] is None else f"{r['log_ratio']:+.2f}"
        lines.append(
            f"{r['observable']:<26}{r['target']:<22}{band + ' ' + r['unit']:>24}"
            f"{_num(r['modelled']):>12}{ratio:>11}  {'yes' if r['inside_band'] else 'no'}"
        )
    return lines


def score_text(s: Score) -> str:
    """``0.42 | 55 % | 30 % | 12``: median |log ratio|, within x2, inside band, n."""
    med = s["median_abs_log_ratio"]
    w2, wb = s["share_within_2x"], s["share_within_band"]
    return (
        f"{'inf' if med is None and s['n'] else _num(med):>8}"
        f"{'-' if w2 is None else f'{w2:.0%}':>10}"
        f"{'-' if wb is None else f'{wb:.0%}':>10}{s['n']:>5}"
    )


SCORE_HEADER = f"{'median |ln|':>8}{'within x2':>10}{'in band':>10}{'n':>5}"


def is_finite_score(s: Score) -> bool:
    med = s["median_abs_log_ratio"]
    return med is not None and math.isfinite(med)
