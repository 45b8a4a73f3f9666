"""A stress study end to end: replications (and optionally a sweep or a reserve
recommendation) on a Dask client, summarised and saved to the run store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from contingency.refdata import RefData
from contingency.results import write_run_files
from contingency.scenario import Scenario
from contingency.stress.reserves import Recommendation, recommend
from contingency.stress.runner import replicate, run_replications, seeds_for
from contingency.stress.stats import facility_stats, long_table, totals
from contingency.stress.sweep import SweepSpec, breaking_points, envelope_png


class StudyFailed(RuntimeError):
    """Every replication of a scenario (the baseline or a sweep or reserve variant) failed:
    there is nothing to summarise. ``failures`` holds each seed and its error."""

    def __init__(self, scenario: str, failures: list[dict]):
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
    summary: dict = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)
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
    client,
    *,
    replications: int,
    sweep: SweepSpec | None = None,
    budget: float | None = None,
    progress: bool = False,
    on_progress: Callable[[float], None] | None = None,
    func: Callable[[str, int], dict] = replicate,
) -> Study:
    """Replicate ``sc``; with ``sweep`` find breaking points; with ``budget`` recommend reserves.

    ``func`` runs one replication (scenario YAML, seed) on a worker. Raises
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

    def evaluate(s: Scenario) -> list[dict]:
        out = run_replications(s, seeds, client, func=func)
        if not out.records:
            raise StudyFailed(s.name, out.failures)
        study.failures += out.failures
        variants.update(1)
        return out.records

    summary: dict = {
        "scenario": sc.name,
        "kind": "stress",
        "seed": sc.seed,
        "replications": replications,
        "completed": len(reps.records),
        "failed": [{"seed": f["seed"], "error": f["error"]} for f in reps.failures],
        "thresholds": sc.thresholds.model_dump(),
        "facilities": {
            r.facility: {
                "kind": r.kind,
                "metric": r.metric,
                "p50": round(r.p50, 3),
                "p90": round(r.p90, 3),
                "p95": round(r.p95, 3),
                "p_red": round(r.p_red, 3),
                "red_person_hours": round(r.red_person_hours, 1),
            }
            for r in stats.itertuples()
        },
        "red_person_hours": totals(reps.records),
    }
    if sweep is not None:
        table, points = breaking_points(sc, ref, sweep, evaluate)
        study.tables["breaking_points"] = table
        study.tables["sweep_points"] = points
        summary["sweep"] = {
            "lever": sweep.lever,
            "low": sweep.lo,
            "high": sweep.hi,
            "red_above": sweep.red_above,
            "breaking_points": {
                r.facility: (None if pd.isna(r.breaking_point) else round(r.breaking_point, 3))
                for r in table.itertuples()
            },
        }
    if budget is not None:
        rec = recommend(sc, ref, evaluate, budget=budget)
        study.recommendation = rec
        study.tables["reserve_ranking"] = rec.ranking
        study.tables["reserve_steps"] = rec.steps
        summary["reserves"] = {
            "budget": budget,
            "baseline_red_person_hours": round(rec.baseline_rph, 1),
            "ranking": rec.ranking.round(3).to_dict("records"),
            "package": rec.package,
            "package_cost": rec.package_cost,
            "package_red_person_hours": round(rec.package_rph, 1),
        }
    variants.close()
    summary["failed"] = [{"seed": f["seed"], "error": f["error"]} for f in study.failures]
    study.summary = summary
    return study
