"""Saved runs: one folder per run (scenario copy, seed, package versions, Parquet tables,
``summary.json``), listed in an SQLite index.

A run is written into a hidden temporary folder and renamed into place when complete; only
then is it added to the index, in one transaction. A writer killed at any point leaves at most
a hidden temporary folder, which listings ignore and ``clean`` removes.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

RUNS_ENV = "CONTINGENCY_RUNS"
INDEX = "index.sqlite"
PACKAGES = ("contingency", "simpy", "pandas", "numpy", "networkx", "pydantic", "dask", "streamlit")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    scenario TEXT NOT NULL,
    seed INTEGER,
    created TEXT NOT NULL,
    arrived INTEGER,
    red_gaps INTEGER,
    amber_gaps INTEGER,
    note TEXT
)
"""


def default_runs_dir() -> Path:
    """``$CONTINGENCY_RUNS`` if set, else ``runs/`` under the working directory."""
    return Path(os.environ.get(RUNS_ENV) or "runs")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            continue
    return out


@dataclass(frozen=True)
class StoredRun:
    run_id: str
    kind: str
    scenario: str
    seed: int | None
    created: str
    arrived: int | None
    red_gaps: int | None
    amber_gaps: int | None
    note: str | None
    path: Path


class RunStore:
    """A folder of runs and its index."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_runs_dir()
        self.root.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.root / INDEX, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def new_id(self, scenario: str, seed: int | None, kind: str = "run") -> str:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        return f"{stamp}-{kind}-{scenario}" + (f"-s{seed}" if seed is not None else "")

    def save(
        self,
        write: Callable[[Path], None],
        *,
        scenario: str,
        seed: int | None,
        kind: str = "run",
        summary: dict | None = None,
        note: str | None = None,
        run_id: str | None = None,
    ) -> StoredRun:
        """Create a run folder by calling ``write(tmp_folder)``, then move it into place and
        index it. ``summary`` (if given) supplies the figures shown in listings."""
        run_id = run_id or self.new_id(scenario, seed, kind)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{run_id}-", dir=self.root))
        try:
            write(tmp)
            meta = {
                "run_id": run_id,
                "kind": kind,
                "scenario": scenario,
                "seed": seed,
                "created": datetime.now().isoformat(timespec="seconds"),
                "versions": versions(),
                "note": note,
            }
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
            final = self.root / run_id
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        gaps = (summary or {}).get("gaps", [])
        row = (
            run_id,
            kind,
            scenario,
            seed,
            meta["created"],
            (summary or {}).get("ledger", {}).get("arrived"),
            sum(g["severity"] == "red" for g in gaps),
            sum(g["severity"] == "amber" for g in gaps),
            note,
        )
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?)", row)
        return self.get(run_id)

    def list(self, *, kind: str | None = None, scenario: str | None = None) -> list[StoredRun]:
        """Complete runs, newest first (an index row whose folder is gone is skipped)."""
        query, args = "SELECT * FROM runs WHERE 1=1", []
        if kind:
            query, args = query + " AND kind = ?", [*args, kind]
        if scenario:
            query, args = query + " AND scenario = ?", [*args, scenario]
        with self._db() as db:
            rows = db.execute(query + " ORDER BY created DESC, run_id DESC", args).fetchall()
        runs = [StoredRun(*r, path=self.root / r[0]) for r in rows]
        return [r for r in runs if (r.path / "meta.json").is_file()]

    def get(self, run_id: str) -> StoredRun:
        with self._db() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None or not (self.root / run_id / "meta.json").is_file():
            raise KeyError(f"{self.root}: no complete run {run_id!r}")
        return StoredRun(*row, path=self.root / row[0])

    def resolve(self, ref: str | Path) -> Path:
        """A run folder from a path or a run id in this store."""
        p = Path(ref)
        if (p / "summary.json").is_file():
            return p
        return self.get(str(ref)).path

    def clean(self) -> int:
        """Remove temporary folders left by interrupted writers; return how many."""
        n = 0
        for p in self.root.glob(".tmp-*"):
            shutil.rmtree(p, ignore_errors=True)
            n += 1
        return n
