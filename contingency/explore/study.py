"""An exploration end to end: sample a scenario's ranges, run one replication per sample on a
Dask client (its seed derived from the sample's index), find the boxes in which facilities turn
red, rank the inputs that drive the outcomes, and optionally rank reserves over the samples.

It is stored as a run of kind ``explore``: ``samples.parquet`` (one row per sample: the inputs
by short name, then per facility ``<id>.peak_wait_h`` (a checkpoint) or ``<id>.peak_load`` (a
centre: people per bed), ``<id>.red_person_hours`` and ``<id>.red``) and ``summary.json``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from contingency.errors import InputError
from contingency.explore.design import Method, design
from contingency.explore.discovery import discover
from contingency.explore.reserves import reserve_samples, robust_reserves
from contingency.explore.runs import Job, Progress, invalid, run_jobs
from contingency.explore.sensitivity import Indices, rank_regression, sobol_indices
from contingency.scenario import Scenario, dump_scenario, scenario_refdata
from contingency.scenario.ranges import RangedScenario, input_names
from contingency.stress.runner import Record, replicate, seeds_for

if TYPE_CHECKING:
    from dask.distributed import Client

KIND = "explore"
TOTAL = "red_person_hours"
"""The output that sums every facility's red person-hours in a sample."""


class NoRanges(ValueError):
    """The scenario gives no number as a range: there is nothing to explore."""


@dataclass
class Exploration:
    scenario: Scenario
    samples: pd.DataFrame
    summary: dict[str, Any]

    def write_files(self, folder: Path) -> None:
        """``samples.parquet``, ``summary.json`` and the scenario at its modes."""
        self.samples.to_parquet(folder / "samples.parquet", index=False)
        (folder / "scenario.yaml").write_text(dump_scenario(self.scenario), encoding="utf-8")
        (folder / "summary.json").write_text(
            json.dumps(self.summary, ensure_ascii=False, indent=2), encoding="utf-8"
        )


def _peak_column(facility: dict[str, Any]) -> str:
    suffix = "peak_wait_h" if facility["metric"] == "max_wait_h" else "peak_load"
    return f"{facility['facility']}.{suffix}"


def samples_table(inputs: pd.DataFrame, seeds: list[int], records: list[Record]) -> pd.DataFrame:
    """One row per sample: its index, seed, inputs, total red person-hours and per facility
    peak, red person-hours and red; ``error`` where it has no result."""
    rows = []
    for i, rec in enumerate(records):
        row: dict[str, Any] = {"sample": i, "seed": seeds[i], "error": rec.get("error")}
        row[TOTAL] = rec.get(TOTAL)
        for f in rec.get("facilities", []):
            row[_peak_column(f)] = f["peak"]
            row[f"{f['facility']}.red_person_hours"] = f["red_person_hours"]
            row[f"{f['facility']}.red"] = f["red"]
        rows.append(row)
    out = pd.concat([inputs.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    first = ["sample", "seed", *inputs.columns, TOTAL]
    return out[first + [c for c in out.columns if c not in first]]


def _build(ranged: RangedScenario, values: pd.DataFrame, seeds: list[int]) -> list[Job]:
    """Each sample's scenario (validated) and seed, or why it is invalid."""
    jobs: list[Job] = []
    for i, row in enumerate(values.to_dict("records")):
        at = {str(k): float(v) for k, v in row.items()}
        try:
            jobs.append((ranged.scenario_at(at, label=f"sample {i}"), seeds[i]))
        except InputError as exc:
            jobs.append(invalid(exc))
    return jobs


def _sensitivity(
    table: pd.DataFrame, names: list[str], *, method: Method, seed: int
) -> tuple[Indices, str]:
    """Indices of the total and of each facility's peak where the facility is ever red."""
    ok = table[table["error"].isna()]
    reds = [c.removesuffix(".red") for c in table.columns if c.endswith(".red")]
    ever = [f for f in reds if ok[f"{f}.red"].astype(bool).any()]
    peaks = [c for f in ever for c in (f"{f}.peak_wait_h", f"{f}.peak_load") if c in ok]
    outputs = ok[[TOTAL, *peaks]].astype(float)
    if method == "sobol":
        if len(ok) < len(table):  # Saltelli's estimators need every run of the design
            return {}, "sobol: not computed, some samples have no result"
        return sobol_indices(names, outputs, seed=seed), "sobol"
    return rank_regression(ok[names], outputs), "srrc"


def _discovery(table: pd.DataFrame, ranged: RangedScenario, names: dict[str, str]) -> list[Any]:
    ok = table[table["error"].isna()]
    red = ok[[c for c in ok.columns if c.endswith(".red")]].astype(bool)
    red.columns = [c.removesuffix(".red") for c in red.columns]
    bounds = {names[p]: (r.low, r.high) for p, r in ranged.ranges.items()}
    inputs = ok[list(names.values())]
    return [b.as_dict() for b in discover(inputs, red, bounds=bounds)]


def _inputs(ranged: RangedScenario, names: dict[str, str]) -> dict[str, Any]:
    return {
        names[p]: {"field": p, "low": r.low, "mode": r.mode, "high": r.high, "whole": r.whole}
        for p, r in ranged.ranges.items()
    }


def run_explore(
    ranged: RangedScenario,
    client: Client,
    *,
    samples: int,
    method: Method = "lhs",
    seed: int | None = None,
    budget: float | None = None,
    reserve_runs: int | None = None,
    progress: bool = False,
    on_progress: Callable[[float], object] | None = None,
    func: Callable[[Scenario, int], Record] = replicate,
) -> Exploration:
    """Explore ``ranged``: ``samples`` points of a ``method`` design (Saltelli's takes
    ``samples x (inputs + 2)`` runs) from ``seed`` (default: the scenario's), one replication
    each; with ``budget``, robust reserves over at most ``reserve_runs`` more runs."""
    if not ranged.ranges:
        raise NoRanges(f"{ranged.file}: gives no number as a range ({{low, high}})")
    sc = ranged.scenario
    seed = sc.seed if seed is None else seed
    names = input_names(list(ranged.ranges))
    values = design(ranged.ranges, samples, method=method, seed=seed)
    seeds = seeds_for(seed, len(values))
    jobs = _build(ranged, values, seeds)
    n_valid = sum(not isinstance(j, str) for j in jobs)
    k = reserve_samples(len(sc.reserves), n_valid, runs=reserve_runs or 400) if budget else 0
    bar = Progress(len(jobs) + k * (len(sc.reserves) + 1), show=progress, on_progress=on_progress)
    records = run_jobs(client, jobs, seeds, progress=bar, what=sc.name, func=func)
    table = samples_table(values.rename(columns=names), seeds, records)
    sens, how = _sensitivity(table, list(names.values()), method=method, seed=seed)
    summary: dict[str, Any] = {
        "scenario": sc.name,
        "kind": KIND,
        "method": method,
        "seed": seed,
        "samples": samples,
        "runs": len(jobs),
        "completed": int(table["error"].isna().sum()),
        "failed": [
            {"sample": i, "seed": r["seed"], "error": r["error"]}
            for i, r in enumerate(records)
            if "error" in r
        ],
        "thresholds": sc.thresholds.model_dump(),
        "inputs": _inputs(ranged, names),
        "discovery": _discovery(table, ranged, names),
        "sensitivity_method": how,
        "sensitivity": sens,
    }
    if budget is not None:
        summary["reserves"] = _reserves(ranged, client, jobs, records, budget, k, bar, func)
    bar.close()
    return Exploration(sc, table, summary)


def _reserves(
    ranged: RangedScenario,
    client: Client,
    jobs: list[Job],
    records: list[Record],
    budget: float,
    k: int,
    bar: Progress,
    func: Callable[[Scenario, int], Record],
) -> dict[str, Any]:
    """Robust reserves over the first ``k`` samples that ran."""
    ran = [
        (j, r)
        for j, r in zip(jobs, records, strict=True)
        if not isinstance(j, str) and "error" not in r
    ][:k]
    scenarios = [j[0] for j, _ in ran if not isinstance(j, str)]
    seeds = [j[1] for j, _ in ran if not isinstance(j, str)]
    return robust_reserves(
        client,
        scenarios,
        seeds,
        [r for _, r in ran],
        ref=scenario_refdata(ranged.scenario, ref=ranged.ref),
        reserves=list(ranged.scenario.reserves),
        budget=budget,
        progress=bar,
        func=func,
    )
