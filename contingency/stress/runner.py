"""Replications of a scenario on Dask distributed: a LocalCluster by default, or an existing
cluster by scheduler address. A worker that dies has its tasks retried elsewhere by the
scheduler; a replication that fails returns its seed and error while the rest complete."""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from contingency.scenario import Scenario

if TYPE_CHECKING:
    from dask.distributed import Client

RETRIES = 2


def seeds_for(base_seed: int, n: int) -> list[int]:
    """``n`` independent seeds derived from ``base_seed`` (``SeedSequence.spawn``)."""
    children = np.random.SeedSequence(base_seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


Record = dict[str, Any]
"""What one replication sends back: its figures (:func:`replication_record`), or its seed and
error."""


def replicate(sc: Scenario, seed: int) -> Record:
    """One replication of ``sc`` (validated already; runs on a worker, which receives it
    pickled, and reads the map pack its ``maps`` names, an absolute path, else the bundled
    one, cached in the worker between tasks): returns its figures (a lean run, equal to a
    full run's :func:`~contingency.stress.metrics.replication_record`) or its seed and
    error."""
    from contingency.scenario import scenario_refdata
    from contingency.stress.metrics import lean_replication

    try:
        return lean_replication(sc, scenario_refdata(sc), seed=seed)
    except Exception as exc:  # reported per replication; the others go on
        return {
            "seed": seed,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=5),
        }


def replicate_full(sc: Scenario, seed: int) -> Record:
    """:func:`replicate` as it ran before lean runs: a full run with every lane pool on the
    SimPy schedule, all tables and the summary, then its figures (the benchmark's "before")."""
    from contingency.results import run_scenario
    from contingency.scenario import scenario_refdata
    from contingency.stress.metrics import replication_record

    return replication_record(run_scenario(sc, scenario_refdata(sc), seed=seed, settle=False))


@dataclass
class Replications:
    records: list[Record]
    failures: list[Record]


class SchedulerUnreachable(ConnectionError):
    """No Dask scheduler answered at the address given."""

    def __init__(self, address: str, reason: str):
        self.address = address
        super().__init__(f"cannot reach {address} ({reason})")


@contextlib.contextmanager
def dask_client(
    *, workers: int | None = None, scheduler: str | None = None, connect_timeout_s: float = 10.0
) -> Iterator[Client]:
    """A Dask client: to ``scheduler`` if given (:class:`SchedulerUnreachable` when it does not
    answer within ``connect_timeout_s`` seconds or the address is malformed), else to a new
    LocalCluster of ``workers`` single-threaded worker processes (the simulation holds the GIL)."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=connect_timeout_s)
        except (OSError, ValueError, TypeError) as exc:
            raise SchedulerUnreachable(scheduler, f"{type(exc).__name__}: {exc}") from exc
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers or 2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def run_replications(
    sc: Scenario,
    seeds: list[int],
    client: Client,
    *,
    progress: bool = False,
    on_progress: Callable[[float], object] | None = None,
    func: Callable[[Scenario, int], Record] = replicate,
) -> Replications:
    """Run one replication per seed on ``client`` (``func(sc, seed)`` on a worker); collect
    records and failures."""
    from dask.distributed import as_completed

    futures = [client.submit(func, sc, s, pure=False, retries=RETRIES) for s in seeds]
    seed_of = {f.key: s for f, s in zip(futures, seeds, strict=True)}
    records: list[Record] = []
    failures: list[Record] = []
    bar = tqdm(
        total=len(futures),
        desc=f"{sc.name} x{len(seeds)}",
        unit="run",
        delay=1.0,
        disable=not progress,
    )
    for i, fut in enumerate(as_completed(futures), start=1):
        try:
            rec = fut.result()
        except Exception as exc:  # the task itself failed after its retries (e.g. workers died)
            rec = {"seed": seed_of[fut.key], "error": f"{type(exc).__name__}: {exc}"}
        (failures if "error" in rec else records).append(rec)
        bar.update(1)
        if on_progress is not None:
            on_progress(i / len(futures))
    bar.close()
    records.sort(key=lambda r: seeds.index(r["seed"]))
    failures.sort(key=lambda r: seeds.index(r["seed"]))
    return Replications(records, failures)
