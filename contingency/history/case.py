"""A case of a past influx: its folder, loaded and checked in one place.

A case folder ``scenarios/history/<case>/`` holds ``scenario.yaml`` (inputs only, read through
the one scenario gateway, with the map pack it names), ``observations.csv`` and ``SOURCES.md``
(and usually its map pack, ``pack/``). Every problem is collected and raised once, one line
each: ``scenarios/history/x/observations.csv: line 4: high: must not be below low (120) (got
100)``.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from contingency.errors import InputError, Problem, problem, pydantic_problems
from contingency.history.observables import CENTRE, CHECKPOINT, OBSERVABLES, REGION
from contingency.history.observation import ALL, COLUMNS, OPTIONAL_COLUMNS, Observation
from contingency.refdata import RefData
from contingency.scenario import Scenario, checkpoints_in_play, load_scenario_with_ref

SCENARIO_FILE = "scenario.yaml"
OBSERVATIONS_FILE = "observations.csv"
SOURCES_FILE = "SOURCES.md"
MAX_CSV_BYTES = 1_000_000
"""``observations.csv`` larger than this is refused (a case holds tens of rows)."""


@dataclass(frozen=True)
class Case:
    """A checked case: the scenario, the reference data it runs with, the observations."""

    folder: Path
    scenario: Scenario
    ref: RefData
    observations: tuple[Observation, ...]

    @property
    def name(self) -> str:
        return self.folder.name


def case_folders(root: Path) -> list[Path]:
    """The case folders under ``root`` (sub-folders not starting with ``.`` or ``_``), by
    name."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def load_case(folder: str | Path) -> Case:
    """Load and check the case in ``folder``.

    Raises
    ------
    InputError
        Listing every problem of the folder, its scenario, its map pack and its observations.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([problem(str(folder), "", "no such case folder")])
    problems: list[Problem] = []
    loaded = _load_scenario(folder / SCENARIO_FILE, problems)
    rows = _read_observations(folder / OBSERVATIONS_FILE, problems)
    if loaded is not None:
        sc, ref = loaded
        problems += _check_against_case(str(folder / OBSERVATIONS_FILE), rows, sc, ref)
    if not (folder / SOURCES_FILE).is_file():
        problems.append(
            problem(str(folder / SOURCES_FILE), "", "is missing: a case lists its sources")
        )
    if problems or loaded is None:
        raise InputError(problems)
    return Case(folder, loaded[0], loaded[1], tuple(rows))


def _load_scenario(path: Path, problems: list[Problem]) -> tuple[Scenario, RefData] | None:
    """The case's scenario and the reference data of the map pack it names (the bundled pack
    when it names none), through the one scenario gateway."""
    try:
        return load_scenario_with_ref(path)
    except InputError as exc:
        problems.extend(exc.problems)
        return None


# ---------------------------------------------------------------- observations.csv
def _read_observations(path: Path, problems: list[Problem]) -> list[Observation]:
    """The rows of ``observations.csv`` that pass the row model; a problem per bad cell."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(problem(file, "", f"cannot open file: {exc.strerror or exc}"))
        return []
    if len(raw) > MAX_CSV_BYTES:
        problems.append(problem(file, "", f"file is larger than {MAX_CSV_BYTES:,} bytes", len(raw)))
        return []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(problem(file, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [c.strip() for c in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL_COLUMNS]
    problems.extend(problem(file, f"line 1: {c}", "column is missing") for c in missing)
    problems.extend(problem(file, f"line 1: {c}", "unknown column", c) for c in unknown)
    if missing or unknown:
        return []
    rows: list[Observation] = []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            why = f"has {len(cells)} cells, the header {len(header)}"
            problems.append(problem(file, f"line {line}", why))
            continue
        data: dict[str, Any] = dict(zip(header, cells, strict=True))
        try:
            rows.append(Observation.model_validate({**data, "line": line}))
        except ValidationError as exc:
            problems.extend(pydantic_problems(file, exc, prefix=f"line {line}"))
    if not rows and not problems:
        problems.append(problem(file, "", "no observations"))
    return rows


def _target_kind(target: str, sc: Scenario, ref: RefData) -> str | None:
    """What ``target`` names in the case: a checkpoint in play, a centre, a region, or all."""
    if target == ALL:
        return ALL
    if target in checkpoints_in_play(sc, ref):
        return CHECKPOINT
    if target in ref.centres.index:
        return CENTRE
    if target in ref.regions.index:
        return REGION
    return None


def _check_against_case(
    file: str, rows: list[Observation], sc: Scenario, ref: RefData
) -> list[Problem]:
    """The observable's name, its target, its unit and its dates, against the registry, the
    case's reference data and the scenario's horizon."""
    out: list[Problem] = []
    horizon_h = sc.horizon_days * 24.0
    for obs in rows:
        at = f"line {obs.line}"
        spec = OBSERVABLES.get(obs.observable)
        if spec is None:
            close = difflib.get_close_matches(obs.observable, list(OBSERVABLES), n=1)
            hint = f" (did you mean {close[0]}?)" if close else " (see the observables table)"
            out.append(
                problem(file, f"{at}: observable", f"unknown observable{hint}", obs.observable)
            )
            continue
        kind = _target_kind(obs.target, sc, ref)
        if kind is None:
            why = "unknown target: not a checkpoint in play, a centre or a region of the case"
            out.append(problem(file, f"{at}: target", why, obs.target))
        elif kind not in spec.targets:
            takes = " or ".join(sorted(spec.targets))
            why = f"{obs.observable} takes {takes} as its target, not a {kind}"
            out.append(problem(file, f"{at}: target", why, obs.target))
        if spec.accepts(obs.unit) is None:
            units = ", ".join(dict.fromkeys([spec.unit, *spec.units]))
            why = f"{obs.observable} is measured in {units}"
            out.append(problem(file, f"{at}: unit", why, obs.unit))
        t0, t1 = obs.hours_from(sc.start)
        if t1 <= 0 or t0 >= horizon_h:
            why = (
                f"the dates lie outside the scenario's {sc.horizon_days} days from "
                f"{sc.start.date()}"
            )
            out.append(problem(file, f"{at}: date_from", why, str(obs.date_from)))
    return out
