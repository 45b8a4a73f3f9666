"""Many different scenarios, one replication each, on a Dask client: the stress runner's
``replicate`` on a worker per job, a job that cannot be built (its scenario is invalid) or that
fails reported with its error while the rest complete."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tqdm import tqdm

from contingency.errors import InputError
from contingency.scenario import Scenario
from contingency.stress.runner import RETRIES, Record, replicate

if TYPE_CHECKING:
    from dask.distributed import Client

Job = tuple[Scenario, int] | str
"""A scenario and its seed, or why there is no scenario to run."""


def invalid(exc: InputError) -> str:
    """Why a job has no scenario: its problems, one after another."""
    return "invalid scenario: " + "; ".join(f"{p.field}: {p.message}" for p in exc.problems)


@dataclass
class Progress:
    """Runs done of all an exploration will make, shown as a bar and passed as a share."""

    total: int
    show: bool = False
    on_progress: Callable[[float], object] | None = None
    done: int = 0

    def __post_init__(self) -> None:
        self._bar = tqdm(total=self.total, unit="run", delay=1.0, disable=not self.show)

    def step(self, what: str) -> None:
        self.done += 1
        self._bar.set_description(what)
        self._bar.update(1)
        if self.on_progress is not None:
            self.on_progress(min(self.done / max(self.total, 1), 1.0))

    def close(self) -> None:
        self._bar.close()


def run_jobs(
    client: Client,
    jobs: Sequence[Job],
    seeds: Sequence[int],
    *,
    progress: Progress,
    what: str,
    func: Callable[[Scenario, int], Record] = replicate,
) -> list[Record]:
    """One record per job, in the jobs' order: ``func(scenario, seed)`` on a worker, or the
    job's seed and error (the scenario invalid, the task failed after its retries)."""
    from dask.distributed import as_completed

    records: list[Record | None] = [None] * len(jobs)
    futures = {}
    for i, job in enumerate(jobs):
        if isinstance(job, str):
            records[i] = {"seed": seeds[i], "error": job}
            progress.step(what)
        else:
            fut = client.submit(func, job[0], job[1], pure=False, retries=RETRIES)
            futures[fut.key] = (i, fut)
    for fut in as_completed([f for _, f in futures.values()]):
        i = futures[fut.key][0]
        try:
            records[i] = fut.result()
        except Exception as exc:  # the task failed after its retries (e.g. workers died)
            records[i] = {"seed": seeds[i], "error": f"{type(exc).__name__}: {exc}"}
        progress.step(what)
    return [
        r if r is not None else {"seed": s, "error": "not run"}
        for r, s in zip(records, seeds, strict=True)
    ]
