"""Exercises in the run store: one exercise followed on several screens.

An exercise is a folder ``<runs>/exercises/<id>/`` holding the scenario it started from
(``scenario.yaml``, before any decision), its seed, and an append-only log (``log.jsonl``) of
what the controllers did: injects, their undoing and lever changes, each with the real time,
the exercise time and the operator. The state of the exercise (the levers and live injects in
force) is replayed from the log, so every screen that reads the folder shows the same board,
and a restarted board picks the exercise up where it was.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from contingency.errors import InputError, problem
from contingency.refdata import RefData
from contingency.scenario import Scenario, dump_scenario, load_scenario, scenario_digest
from contingency.store.runs import default_runs_dir

EXERCISES = "exercises"
"""The folder of exercises inside the run store."""
ID_PATTERN = re.compile(r"^ex-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")
"""An exercise id: ``ex-YYYYMMDD-HHMMSS-`` and six hex digits (safe as a folder name)."""
MAX_ENTRIES = 10_000
"""The latest log entries read from one exercise; older ones beyond are a damaged or hostile
file's."""
MAX_NOTE = 1000
"""Characters kept of a note or an operator's name."""

Action = Literal["start", "inject", "undo", "levers"]


@dataclass(frozen=True)
class LogEntry:
    """One line of an exercise log."""

    real_time: str
    """When it was done, ISO 8601 in UTC."""
    exercise_h: float
    """The moment of the exercise it was done at, hours from the scenario start."""
    operator: str
    action: Action
    inject: dict[str, Any] | None = None
    """The inject added (``inject``), as in a scenario's ``injects``."""
    note: str = ""
    levers: dict[str, Any] | None = None
    """The levers applied (``levers``), as :func:`contingency.levers.apply_levers` takes them."""
    digest: str | None = None
    """The digest of the scenario in force after this entry (its seed the exercise's): a run
    of that scenario is this exercise's, up to this entry."""


@dataclass(frozen=True)
class ExerciseState:
    """What is in force in an exercise after its log: levers and live injects."""

    levers: dict[str, Any] = field(default_factory=dict)
    injects: list[dict[str, Any]] = field(default_factory=list)


def exercises_dir(runs_dir: str | Path | None = None) -> Path:
    """The folder of exercises in the run store ``runs_dir`` (the default store if None)."""
    return Path(runs_dir if runs_dir is not None else default_runs_dir()) / EXERCISES


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_id(exercise_id: str) -> str:
    """``exercise_id`` if it is one (a link may carry anything); else an error."""
    if not ID_PATTERN.fullmatch(exercise_id):
        raise InputError(
            [problem("exercise", "id", "is not an exercise id (ex-YYYYMMDD-HHMMSS-xxxxxx)")]
        )
    return exercise_id


class Exercise:
    """One exercise folder: its start scenario, seed and log."""

    def __init__(self, exercise_id: str, runs_dir: str | Path | None = None):
        self.id = check_id(exercise_id)
        self.path = exercises_dir(runs_dir) / self.id

    @classmethod
    def start(
        cls,
        scenario: Scenario,
        *,
        seed: int,
        operator: str,
        exercise_h: float = 0.0,
        runs_dir: str | Path | None = None,
    ) -> Exercise:
        """A new exercise on ``scenario`` (before any decision) with ``seed``."""
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        ex = cls(f"ex-{stamp}-{secrets.token_hex(3)}", runs_dir)
        tmp = ex.path.with_name(f".tmp-{ex.id}")
        tmp.mkdir(parents=True)
        (tmp / "scenario.yaml").write_text(dump_scenario(scenario), encoding="utf-8")
        meta = {"id": ex.id, "scenario": scenario.name, "seed": int(seed), "created": now_utc()}
        (tmp / "exercise.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        (tmp / "log.jsonl").touch()
        os.replace(tmp, ex.path)
        ex.append(LogEntry(now_utc(), exercise_h, operator, "start"))
        return ex

    def exists(self) -> bool:
        return (self.path / "exercise.json").is_file()

    @property
    def log_path(self) -> Path:
        return self.path / "log.jsonl"

    def meta(self) -> dict[str, Any]:
        """``exercise.json``: id, scenario name, seed and when it was created."""
        try:
            data = json.loads((self.path / "exercise.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(
                [problem(str(self.path / "exercise.json"), "", f"cannot be read ({exc})")]
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("seed"), int):
            raise InputError([problem(str(self.path / "exercise.json"), "seed", "is missing")])
        return data

    def scenario(self, ref: RefData) -> Scenario:
        """The scenario the exercise started from, validated again."""
        return load_scenario(self.path / "scenario.yaml", ref=ref)

    def version(self) -> tuple[int, int]:
        """Changes whenever the log does: (size, modification time in ns)."""
        try:
            st = self.log_path.stat()
        except OSError:
            return (-1, -1)
        return (st.st_size, st.st_mtime_ns)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.path / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def append(self, entry: LogEntry) -> None:
        """Add ``entry`` to the log, durably, one whole line (writers take turns; a line left
        unfinished by a crash is closed first, so it cannot swallow this one)."""
        entry = replace(entry, note=entry.note[:MAX_NOTE], operator=entry.operator[:MAX_NOTE])
        line = json.dumps(asdict(entry), ensure_ascii=False, sort_keys=True) + "\n"
        with self._locked(), open(self.log_path, "a+b") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() > 0:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    f.write(b"\n")
            f.write(line.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())

    def read(self) -> tuple[list[LogEntry], int]:
        """The log, oldest first (at most the latest :data:`MAX_ENTRIES`), and how many lines
        could not be read (cut short by a crash, or damaged)."""
        entries: deque[LogEntry] = deque(maxlen=MAX_ENTRIES)
        skipped = 0
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if not line.strip():
                        continue
                    try:
                        entries.append(_entry(json.loads(line)))
                    except (ValueError, TypeError, KeyError, AttributeError):
                        skipped += 1
        except OSError:
            return [], 0
        return list(entries), skipped

    def entries(self) -> list[LogEntry]:
        """The log, oldest first; lines that cannot be read are left out (see :meth:`read`)."""
        return self.read()[0]

    def state(self) -> ExerciseState:
        """The levers and live injects in force after the whole log."""
        return replay(self.entries())


def _entry(data: Mapping[str, Any]) -> LogEntry:
    action = data["action"]
    if action not in ("start", "inject", "undo", "levers"):
        raise ValueError(action)
    return LogEntry(
        real_time=str(data["real_time"]),
        exercise_h=float(data["exercise_h"]),
        operator=str(data.get("operator") or ""),
        action=action,
        inject=dict(data["inject"]) if isinstance(data.get("inject"), dict) else None,
        note=str(data.get("note") or ""),
        levers=dict(data["levers"]) if isinstance(data.get("levers"), dict) else None,
        digest=str(data["digest"]) if data.get("digest") else None,
    )


def replay(entries: list[LogEntry]) -> ExerciseState:
    """The state after ``entries``: the last levers applied and the injects not undone (an undo
    takes back the latest inject still in force)."""
    levers: dict[str, Any] = {}
    injects: list[dict[str, Any]] = []
    for e in entries:
        if e.action == "inject" and e.inject is not None:
            injects.append(e.inject)
        elif e.action == "undo" and injects:
            injects.pop()
        elif e.action == "levers" and e.levers is not None:
            levers = e.levers
    return ExerciseState(levers=levers, injects=injects)


def list_exercises(runs_dir: str | Path | None = None) -> list[Exercise]:
    """The exercises in the store, newest first."""
    root = exercises_dir(runs_dir)
    try:
        names = sorted(
            (p.name for p in root.iterdir() if ID_PATTERN.fullmatch(p.name)), reverse=True
        )
    except OSError:
        return []
    return [ex for n in names if (ex := Exercise(n, runs_dir)).exists()]


def state_scenario(base: Scenario, ref: RefData, state: ExerciseState) -> Scenario:
    """``base`` with the exercise's levers and live injects in force (validated again)."""
    from contingency.levers import apply_levers

    return apply_levers(base, ref, **state.levers, injects=state.injects)


def exercise_log_for_run(
    run_scenario: Scenario, seed: int, ref: RefData, runs_dir: str | Path | None = None
) -> list[LogEntry]:
    """The log of the exercise whose board showed a run of ``run_scenario`` with ``seed``: its
    entries up to the latest one whose state is that scenario; [] when no exercise in the store
    ``runs_dir`` made it. Entries carry the digest of their state; a log written without them
    is replayed against ``ref`` (the run's map pack)."""
    key = scenario_digest(run_scenario.model_copy(update={"seed": seed}))  # a stored run's
    # scenario carries the seed it ran with
    for ex in list_exercises(runs_dir):
        try:
            if ex.meta()["seed"] != seed:
                continue
        except InputError:
            continue
        entries = ex.entries()
        for end in range(len(entries), 0, -1):
            if entries[end - 1].digest == key:
                return entries[:end]
        if any(e.digest for e in entries):
            continue
        found = _replayed(ex, entries, key, seed, ref)
        if found:
            return found
    return []


def _replayed(
    ex: Exercise, entries: list[LogEntry], key: str, seed: int, ref: RefData
) -> list[LogEntry]:
    """The entries up to the latest one whose replayed state has digest ``key``."""
    try:
        base = ex.scenario(ref)
    except InputError:
        return []
    for end in range(len(entries), 0, -1):
        try:
            sc = state_scenario(base, ref, replay(entries[:end]))
        except InputError:
            continue
        if scenario_digest(sc.model_copy(update={"seed": seed})) == key:
            return entries[:end]
    return []
