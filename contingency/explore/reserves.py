"""Robust reserves: each candidate reserve of the scenario committed in every one of the same
samples (the same inputs and seeds), ranked by the red person-hours it removes over them; a
package within the budget taken greedily from that ranking and run on the samples once more.

Each candidate re-runs every sample it is judged on: ``candidates x samples`` runs, plus
``samples`` for the package; :func:`reserve_samples` bounds them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from contingency.errors import InputError
from contingency.explore.runs import Job, Progress, invalid, run_jobs
from contingency.refdata import RefData
from contingency.scenario import Scenario
from contingency.scenario.schema import Reserve
from contingency.stress.reserves import with_reserves
from contingency.stress.runner import Record, replicate

if TYPE_CHECKING:
    from dask.distributed import Client

RESERVE_RUNS = 400
"""Runs the reserve ranking takes at most unless told otherwise (candidates + 1 package check,
each over the same samples)."""


def reserve_samples(candidates: int, valid: int, *, runs: int = RESERVE_RUNS) -> int:
    """How many samples each candidate is judged on: all ``valid`` ones, or fewer so that the
    candidates and the package check take at most ``runs`` runs (at least one sample)."""
    return max(1, min(valid, runs // (candidates + 1)))


def _with(sc: Scenario, ref: RefData, reserves: list[Reserve]) -> Scenario | str:
    try:
        return with_reserves(sc, ref, reserves)
    except InputError as exc:
        return invalid(exc)


def _jobs(
    scenarios: Sequence[Scenario], seeds: Sequence[int], ref: RefData, reserves: list[Reserve]
) -> list[Job]:
    out: list[Job] = []
    for sc, seed in zip(scenarios, seeds, strict=True):
        built = _with(sc, ref, reserves)
        out.append((built, seed) if isinstance(built, Scenario) else built)
    return out


def _removed(base: Sequence[Record], runs: Sequence[Record]) -> tuple[float, float, int]:
    """Red person-hours removed, in total and per sample, over the samples both ran."""
    pairs = [(b, r) for b, r in zip(base, runs, strict=True) if "error" not in b | r]
    total = sum(b["red_person_hours"] - r["red_person_hours"] for b, r in pairs)
    return total, (total / len(pairs) if pairs else 0.0), len(pairs)


def robust_reserves(
    client: Client,
    scenarios: Sequence[Scenario],
    seeds: Sequence[int],
    base: Sequence[Record],
    *,
    ref: RefData,
    reserves: list[Reserve],
    budget: float,
    progress: Progress,
    func: Callable[[Scenario, int], Record] = replicate,
) -> dict[str, Any]:
    """Rank ``reserves`` by red person-hours removed over ``scenarios`` (each run with its
    seed; ``base`` their records without a reserve) and check a package within ``budget``."""
    ranking: list[dict[str, Any]] = []
    for r in reserves:
        recs = run_jobs(
            client,
            _jobs(scenarios, seeds, ref, [r]),
            seeds,
            progress=progress,
            what=f"reserve {r.id}",
            func=func,
        )
        total, mean, n = _removed(base, recs)
        ranking.append(
            {
                "reserve": r.id,
                "kind": r.kind,
                "target": r.target,
                "amount": r.amount,
                "cost": r.cost,
                "samples": n,
                "removed_total": round(total, 1),
                "removed_mean": round(mean, 1),
                "removed_per_cost": round(mean / r.cost, 3),
            }
        )
    ranking.sort(key=lambda row: -row["removed_per_cost"])
    package: list[str] = []
    spent = 0.0
    for row in ranking:
        if row["removed_total"] > 0 and spent + row["cost"] <= budget + 1e-9:
            package.append(row["reserve"])
            spent += row["cost"]
    chosen = [r for r in reserves if r.id in package]
    package_total: float | None = None
    package_mean: float | None = None
    if chosen:
        recs = run_jobs(
            client,
            _jobs(scenarios, seeds, ref, chosen),
            seeds,
            progress=progress,
            what="reserve package",
            func=func,
        )
        removed_total, removed_mean, _ = _removed(base, recs)
        package_total, package_mean = round(removed_total, 1), round(removed_mean, 1)
    return {
        "budget": budget,
        "samples": len(scenarios),
        "runs": len(scenarios) * (len(reserves) + (1 if chosen else 0)),
        "ranking": ranking,
        "package": package,
        "package_cost": spent,
        "package_removed_total": package_total,
        "package_removed_mean": package_mean,
    }
