"""Saved runs: one folder per run (scenario copy, seed, package versions, Parquet tables,
``summary.json``), listed in an SQLite index.

A run is written into a hidden temporary folder and renamed into place when complete; only
then is it added to the index, in one transaction. A writer killed at any point leaves at most
a hidden temporary folder, which listings ignore and ``clean`` removes (opening the store
removes those older than an hour).

The folders are the record; the index is a fast copy of what is in them. Listing reads the
index and adds complete folders it lacks, so a run whose index write failed, a deleted or broken
index, or a read-only store still lists every run; ``reindex`` rebuilds the index.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import platform
import shutil
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contingency.store.folders import TMP_PREFIX, write_folder

if TYPE_CHECKING:
    from contingency.results import RunResult

RUNS_ENV = "CONTINGENCY_RUNS"
KINDS = ("run", "stress", "nowcast", "explore")
"""Kinds of stored run: a simulated run, a stress study, a nowcast from the live feed (its
median replication's tables, ``forecast_hourly.parquet``; see :mod:`contingency.nowcast`), an
exploration of a scenario's ranges (``samples.parquet``; see :mod:`contingency.explore`)."""
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
_INSERT = "INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?)"
STALE_TMP_S = 3600.0
"""A temporary folder untouched this long (seconds) was left by a killed writer."""
_REINDEX_HINT = "'contingency runs --reindex' rebuilds it"


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


def _figures(summary: Mapping[str, Any]) -> tuple[int | None, int, int]:
    """Arrived, red gaps and amber gaps of a run summary, as listings show them."""
    ledger = summary.get("ledger")
    gaps = [g for g in summary.get("gaps") or [] if isinstance(g, dict)]
    return (
        ledger.get("arrived") if isinstance(ledger, dict) else None,
        sum(g.get("severity") == "red" for g in gaps),
        sum(g.get("severity") == "amber" for g in gaps),
    )


def _indexed(row: tuple[Any, ...], path: Path) -> StoredRun:
    """A run as the index lists it (a row in ``_SCHEMA`` order) in the folder ``path``."""
    run_id, kind, scenario, seed, created, arrived, red_gaps, amber_gaps, note = row
    return StoredRun(
        run_id, kind, scenario, seed, created, arrived, red_gaps, amber_gaps, note, path=path
    )


def _row(r: StoredRun) -> tuple[object, ...]:
    return (
        r.run_id,
        r.kind,
        r.scenario,
        r.seed,
        r.created,
        r.arrived,
        r.red_gaps,
        r.amber_gaps,
        r.note,
    )


class RunStore:
    """A folder of runs and its index.

    ``index_error`` says what went wrong with the index in the last operation that failed
    (None when nothing did); the runs are listed from their folders meanwhile.
    """

    def __init__(self, root: str | Path | None = None, *, clean_stale: bool = True):
        self.root = Path(root) if root is not None else default_runs_dir()
        self.index_error: str | None = None
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(
                errno.ENOTDIR, "not a folder (the run store is a folder of runs)", str(self.root)
            )
        self.root.mkdir(parents=True, exist_ok=True)
        if clean_stale:
            self.clean(max_age_s=STALE_TMP_S)

    # ---------------------------------------------------------------- the index
    @property
    def index_path(self) -> Path:
        return self.root / INDEX

    def _read_index(self, query: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of the index, opened read-only; [] (with ``index_error``) when unreadable."""
        if not self.index_path.is_file():
            return []
        uri = self.index_path.resolve().as_uri()
        failure: sqlite3.Error | None = None
        # A WAL database in a folder we cannot write opens only as immutable.
        for mode in ("mode=ro", "immutable=1"):
            try:
                with contextlib.closing(
                    sqlite3.connect(f"{uri}?{mode}", uri=True, timeout=30)
                ) as db:
                    return db.execute(query, args).fetchall()
            except sqlite3.Error as exc:
                failure = exc
        self.index_error = (
            f"{self.index_path}: cannot be read ({failure}); listing the run folders instead; "
            f"{_REINDEX_HINT}"
        )
        return []

    def _write_index(self, change: Callable[[sqlite3.Connection], object]) -> None:
        """Apply ``change`` to the index in one transaction (creating it if need be)."""
        with contextlib.closing(sqlite3.connect(self.index_path, timeout=30)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            with db:
                db.execute(_SCHEMA)
                change(db)

    # ---------------------------------------------------------------- the folders
    def _run_folders(self) -> list[Path]:
        """Complete run folders: not hidden, with ``meta.json`` (written last)."""
        try:
            entries = list(self.root.iterdir())
        except OSError:
            return []
        return [
            p
            for p in entries
            if not p.name.startswith(".") and p.is_dir() and (p / "meta.json").is_file()
        ]

    def _from_folder(self, path: Path) -> StoredRun | None:
        """A run as listed, read from its ``meta.json`` and ``summary.json``."""
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
            summary_file = path / "summary.json"
            summary = (
                json.loads(summary_file.read_text(encoding="utf-8"))
                if summary_file.is_file()
                else {}
            )
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or not isinstance(summary, dict):
            return None
        arrived, red, amber = _figures(summary)
        return StoredRun(
            path.name,
            str(meta.get("kind") or "run"),
            str(meta.get("scenario") or ""),
            meta.get("seed"),
            str(meta.get("created") or ""),
            arrived,
            red,
            amber,
            meta.get("note"),
            path=path,
        )

    # ---------------------------------------------------------------- public
    def new_id(self, scenario: str, seed: int | None, *, kind: str = "run") -> str:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        return f"{stamp}-{kind}-{scenario}" + (f"-s{seed}" if seed is not None else "")

    def save(
        self,
        write: Callable[[Path], None],
        *,
        scenario: str,
        seed: int | None,
        kind: str = "run",
        summary: Mapping[str, Any] | None = None,
        note: str | None = None,
        run_id: str | None = None,
    ) -> StoredRun:
        """Create a run folder by calling ``write(tmp_folder)``, then move it into place and
        index it. ``summary`` (if given) supplies the figures shown in listings.

        The folder is complete before the index is touched: if indexing fails the run is still
        saved and listed, and ``index_error`` says what failed.
        """
        run_id = run_id or self.new_id(scenario, seed, kind=kind)
        created = datetime.now().isoformat(timespec="seconds")
        meta = {
            "run_id": run_id,
            "kind": kind,
            "scenario": scenario,
            "seed": seed,
            "created": created,
            "versions": versions(),
            "note": note,
        }

        def write_all(folder: Path) -> None:
            write(folder)
            (folder / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")

        final = write_folder(self.root / run_id, write_all)
        stored = StoredRun(
            run_id, kind, scenario, seed, created, *_figures(summary or {}), note, final
        )
        try:
            self._write_index(lambda db: db.execute(_INSERT, _row(stored)))
        except sqlite3.Error as exc:
            self.index_error = (
                f"{self.index_path}: run {run_id} is saved in {final} but not recorded in the "
                f"index ({exc}); it is listed from its folder; {_REINDEX_HINT}"
            )
        return stored

    def save_result(self, result: RunResult, *, note: str | None = None) -> StoredRun:
        """Save a simulated run (its tables, scenario and summary) and index it."""
        return self.save(
            result.write_files,
            scenario=result.scenario.name,
            seed=result.scenario.seed,
            summary=result.summary,
            note=note,
        )

    def list(self, *, kind: str | None = None, scenario: str | None = None) -> list[StoredRun]:
        """Complete runs, newest first: the index's rows whose folder is there, and complete
        folders the index lacks."""
        rows = self._read_index("SELECT * FROM runs")
        runs = {r[0]: _indexed(r, self.root / r[0]) for r in rows}
        runs = {k: r for k, r in runs.items() if (r.path / "meta.json").is_file()}
        for path in self._run_folders():
            if path.name not in runs and (found := self._from_folder(path)) is not None:
                runs[path.name] = found
        chosen = [
            r
            for r in runs.values()
            if (not kind or r.kind == kind) and (not scenario or r.scenario == scenario)
        ]
        return sorted(chosen, key=lambda r: (r.created, r.run_id), reverse=True)

    def get(self, run_id: str) -> StoredRun:
        """The complete run ``run_id`` (from the index, else from its folder)."""
        path = self.root / run_id
        found = None
        plain_name = Path(run_id).name == run_id and not run_id.startswith(".")
        if plain_name and (path / "meta.json").is_file():
            rows = self._read_index("SELECT * FROM runs WHERE run_id = ?", (run_id,))
            found = _indexed(rows[0], path) if rows else self._from_folder(path)
        if found is None:
            raise KeyError(f"{self.root}: no complete run {run_id!r}")
        return found

    def resolve(self, ref: str | Path) -> Path:
        """A run folder from a path or a run id in this store."""
        p = Path(ref)
        if (p / "summary.json").is_file():
            return p
        return self.get(str(ref)).path

    def reindex(self) -> int:
        """Rebuild the index from the run folders; return how many runs it lists.

        An index SQLite cannot open as a database is kept aside as
        ``index.sqlite.broken-TIME`` and a new one made.

        Raises
        ------
        sqlite3.Error
            The index cannot be written (e.g. a read-only store).
        """
        runs = [r for p in self._run_folders() if (r := self._from_folder(p)) is not None]

        def fill(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM runs")
            db.executemany(_INSERT, [_row(r) for r in runs])

        try:
            self._write_index(fill)
        except sqlite3.DatabaseError as exc:
            if exc.sqlite_errorname not in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
                raise
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            for extra in ("", "-wal", "-shm"):
                old = Path(f"{self.index_path}{extra}")
                if old.exists():
                    os.rename(old, f"{self.index_path}.broken-{stamp}{extra}")
            self._write_index(fill)
        self.index_error = None
        return len(runs)

    def clean(self, *, max_age_s: float = 0.0) -> int:
        """Remove temporary folders (``.tmp-*``) left by interrupted writers; return how many.

        Only folders with nothing changed for ``max_age_s`` seconds go (every one by default:
        use that only when no writer is running). Nothing without the prefix is touched.
        """
        cutoff = time.time() - max_age_s
        n = 0
        for p in self.root.glob(f"{TMP_PREFIX}*"):
            if p.is_symlink() or not p.is_dir() or _newest_change(p) > cutoff:
                continue
            shutil.rmtree(p, ignore_errors=True)  # a writer of ours made it and all in it
            n += not p.exists()
        return n


def _newest_change(folder: Path) -> float:
    """The latest modification time (epoch seconds) of ``folder`` or anything in it."""
    newest = 0.0
    for dirpath, _dirnames, filenames in os.walk(folder):
        for path in (dirpath, *(os.path.join(dirpath, f) for f in filenames)):
            with contextlib.suppress(OSError):
                newest = max(newest, os.lstat(path).st_mtime)
    return newest
