"""A stress study end to end: replications (and optionally a sweep or a reserve
recommendation) on a Dask client, summarised and saved to the run store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from tqdm import tqdm

from contingency.refdata import RefData
from contingency.results import write_run_files
from contingency.scenario import Scenario
from contingency.stress.reserves import Recommendation, recommend
from contingency.stress.runner import (
    Record,
    Replications,
    replicate,
    run_replications,
    seeds_for,
)
from contingency.stress.stats import facility_stats, long_table, totals
from contingency.stress.sweep import SweepSpec, breaking_points, envelope_png

if TYPE_CHECKING:
    from dask.distributed import Client


class StudyFailed(RuntimeError):
    """Every replication of a scenario (the baseline or a sweep or reserve variant) failed:
    there is nothing to summarise. ``failures`` holds each seed and its error."""

    def __init__(self, scenario: str, failures: list[Record]):
        self.failures = failures
        lines = [f"replication with seed {f['seed']} failed: {f['error']}" for f in failures]
        super().__init__(
            f"{scenario}: every replication failed ({len(failures)} of {len(failures)})\n"
            + "\n".join(lines)
        )


@dataclass
class Study:
    scenario: Scenario
    replications: int
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    failures: list[Record] = field(default_factory=list)
    sweep: SweepSpec | None = None
    recommendation: Recommendation | None = None

    def write_files(self, folder: Path) -> None:
        write_run_files(folder, self.tables, self.scenario, self.summary)
        if self.sweep is not None and "breaking_points" in self.tables:
            labels = {f: f for f in self.tables["breaking_points"]["facility"]}
            envelope_png(
                self.tables["breaking_points"],
                self.sweep,
                folder / "envelope.png",
                title=f"{self.scenario.name}: {self.sweep.lever}",
                labels=labels,
            )


def run_study(
    sc: Scenario,
    ref: RefData,
    client: Client,
    *,
    replications: int,
    sweep: SweepSpec | None = None,
    budget: float | None = None,
    progress: bool = False,
    on_progress: Callable[[float], object] | None = None,
    func: Callable[[Scenario, int], Record] = replicate,
) -> Study:
    """Replicate ``sc``; with ``sweep`` find breaking points; with ``budget`` recommend reserves.

    ``func`` runs one replication (scenario, seed) on a worker. Raises
    :class:`StudyFailed` when every replication of the scenario, or of any variant a sweep or
    a recommendation needs, failed: a summary of no replications would read as no gaps."""
    seeds = seeds_for(sc.seed, replications)
    reps = run_replications(
        sc, seeds, client, progress=progress, on_progress=on_progress, func=func
    )
    if not reps.records:
        raise StudyFailed(sc.name, reps.failures)
    study = Study(sc, replications, failures=reps.failures, sweep=sweep)
    long = long_table(reps.records)
    stats = facility_stats(long)
    study.tables = {"replications": long, "facilities": stats}

    variants = tqdm(desc=f"{sc.name}: variants", unit="variant", disable=not progress, delay=1.0)

    def evaluate(s: Scenario) -> list[Record]:
        out = run_replications(s, seeds, client, func=func)
        if not out.records:
            raise StudyFailed(s.name, out.failures)
        study.failures += out.failures
        variants.update(1)
        return out.records

    summary = _summary(sc, reps, stats, replications=replications)
    if sweep is not None:
        table, points = breaking_points(sc, ref, sweep, evaluate)
        study.tables["breaking_points"] = table
        study.tables["sweep_points"] = points
        summary["sweep"] = _sweep_summary(sweep, table)
    if budget is not None:
        rec = recommend(sc, ref, evaluate, budget=budget)
        study.recommendation = rec
        study.tables["reserve_ranking"] = rec.ranking
        study.tables["reserve_steps"] = rec.steps
        summary["reserves"] = _reserves_summary(rec, budget=budget)
    variants.close()
    summary["failed"] = _failed(study.failures)
    study.summary = summary
    return study


def _summary(
    sc: Scenario, reps: Replications, stats: pd.DataFrame, *, replications: int
) -> dict[str, Any]:
    """The study's ``summary.json`` before any sweep or reserve recommendation."""
    return {
        "scenario": sc.name,
        "kind": "stress",
        "seed": sc.seed,
        "replications": replications,
        "completed": len(reps.records),
        "failed": _failed(reps.failures),
        "thresholds": sc.thresholds.model_dump(),
        "facilities": _facilities(stats),
        "red_person_hours": totals(reps.records),
    }


def _failed(failures: list[Record]) -> list[dict[str, Any]]:
    return [{"seed": f["seed"], "error": f["error"]} for f in failures]


def _facilities(stats: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per facility: its kind and metric, peak percentiles, P(red), mean red person-hours."""
    return {
        str(r["facility"]): {
            "kind": r["kind"],
            "metric": r["metric"],
            "p50": round(float(r["p50"]), 3),
            "p90": round(float(r["p90"]), 3),
            "p95": round(float(r["p95"]), 3),
            "p_red": round(float(r["p_red"]), 3),
            "red_person_hours": round(float(r["red_person_hours"]), 1),
        }
        for r in stats.to_dict("records")
    }


def _sweep_summary(sweep: SweepSpec, table: pd.DataFrame) -> dict[str, Any]:
    return {
        "lever": sweep.lever,
        "low": sweep.lo,
        "high": sweep.hi,
        "red_above": sweep.red_above,
        "breaking_points": {
            str(r["facility"]): (
                None if pd.isna(r["breaking_point"]) else round(float(r["breaking_point"]), 3)
            )
            for r in table.to_dict("records")
        },
    }


def _reserves_summary(rec: Recommendation, *, budget: float) -> dict[str, Any]:
    return {
        "budget": budget,
        "baseline_red_person_hours": round(rec.baseline_rph, 1),
        "ranking": rec.ranking.round(3).to_dict("records"),
        "package": rec.package,
        "package_cost": rec.package_cost,
        "package_red_person_hours": round(rec.package_rph, 1),
    }
