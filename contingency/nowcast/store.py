"""A nowcast in the run store: a run of kind ``nowcast`` holding the median replication's
tables (so it draws like any run), ``forecast_hourly.parquet`` and ``summary.json`` with its
``nowcast`` part."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from contingency.nowcast.run import Nowcast
from contingency.results import write_run_files
from contingency.store import RunStore
from contingency.store.runs import KINDS, StoredRun

KIND = "nowcast"
assert KIND in KINDS
FORECAST_FILE = "forecast_hourly.parquet"
FORECAST_COLUMNS = ("facility", "kind", "time", "time_h", "metric", "p10", "p50", "p90", "observed")


def nowcast_summary(nc: Nowcast) -> dict[str, Any]:
    """The run's ``summary.json``: the median replication's, with ``nowcast`` added."""
    return {**nc.median.summary, "nowcast": nc.summary}


def save_nowcast(nc: Nowcast, store: RunStore) -> StoredRun:
    """Store ``nc`` as a run of kind ``nowcast``."""
    summary = nowcast_summary(nc)

    def write(folder: Path) -> None:
        write_run_files(folder, nc.median.tables, nc.median.scenario, summary)
        nc.forecast.to_parquet(folder / FORECAST_FILE, index=False)

    return store.save(
        write, scenario=nc.median.scenario.name, seed=nc.median.scenario.seed, kind=KIND,
        summary=summary,
    )  # fmt: skip


def load_nowcast(run_dir: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The forecast table and the ``nowcast`` summary of a stored nowcast."""
    run_dir = Path(run_dir)
    forecast = pd.read_parquet(run_dir / FORECAST_FILE)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    return forecast, summary["nowcast"]
