"""The one gateway for scenario files: YAML -> schema -> cross-reference checks.

Every problem is collected and raised once as a :class:`ScenarioError`, one line each:
``scenarios/x.yaml: checkpoint_overrides.kaplanbek.lanes.car: must be >= 0 (got -2)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from contingency.errors import Problem, ScenarioError, problem
from contingency.refdata import RefData, load_refdata
from contingency.scenario.influx import daily_totals
from contingency.scenario.schema import (
    INJECT_KINDS,
    MAX_DAILY_ARRIVALS,
    LanesInject,
    Mode,
    Scenario,
)

MAX_FILE_BYTES = 1_000_000

_MESSAGES = {
    "extra_forbidden": "unknown key (check the spelling)",
    "missing": "is required",
}


def _format_pydantic(file: str, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        # A tagged union puts the tag in the path (injects.0.surge.params): drop it.
        loc = [
            p
            for i, p in enumerate(loc)
            if not (p in INJECT_KINDS and i > 0 and loc[i - 1].isdigit())
        ]
        field = ".".join(loc) or "(top level)"
        message = _MESSAGES.get(err["type"], err["msg"].removeprefix("Value error, "))
        message = message[0].lower() + message[1:] if message else message
        if err["type"] == "missing":
            out.append(problem(file, field, message))
        else:
            out.append(problem(file, field, message, err.get("input")))
    return out


def _edge_key(target: str) -> tuple[str, str] | None:
    parts = target.split("--")
    return (parts[0], parts[1]) if len(parts) == 2 else None


def checkpoints_in_play(sc: Scenario, ref: RefData) -> list[str]:
    """The checkpoints a scenario names, or the ten modernised ones when it names none."""
    return sc.checkpoints if sc.checkpoints is not None else ref.modernised_ids


def check_references(file: str, sc: Scenario, ref: RefData) -> list[Problem]:
    """Problems with ids and numbers that only the reference data can judge."""
    out: list[Problem] = []
    known_cp = set(ref.checkpoints.index)
    used = checkpoints_in_play(sc, ref)
    for i, cp in enumerate(sc.checkpoints or []):
        if cp not in known_cp:
            out.append(problem(file, f"checkpoints.{i}", "unknown checkpoint id", cp))
    for section, ids in (("influx", sc.influx), ("checkpoint_overrides", sc.checkpoint_overrides)):
        for cp in ids:
            if cp not in known_cp:
                out.append(problem(file, f"{section}.{cp}", "unknown checkpoint id", cp))
            elif cp not in used:
                out.append(
                    problem(
                        file,
                        f"{section}.{cp}",
                        "checkpoint is not in this scenario's 'checkpoints' list",
                        cp,
                    )
                )
    for cid in sc.centre_overrides:
        if cid not in ref.centres.index:
            out.append(problem(file, f"centre_overrides.{cid}", "unknown centre id", cid))
    for iso in sc.region_capacity:
        if iso not in ref.regions.index:
            out.append(problem(file, f"region_capacity.{iso}", "unknown region code", iso))
    for iso in sc.routing.region_weights:
        if iso not in ref.regions.index:
            out.append(problem(file, f"routing.region_weights.{iso}", "unknown region code", iso))
    graph = ref.road_graph()
    for i, inj in enumerate(sc.injects):
        where = f"injects.{i}.target"
        if inj.at_h > sc.horizon_days * 24:
            out.append(
                problem(
                    file,
                    f"injects.{i}.at_h",
                    f"is after the horizon ({sc.horizon_days * 24} h)",
                    inj.at_h,
                )
            )
        if inj.kind in ("checkpoint_close", "checkpoint_open", "surge", "lanes"):
            if inj.target not in used:
                out.append(problem(file, where, "not a checkpoint in this scenario", inj.target))
        elif inj.kind == "centre_capacity":
            if inj.target not in ref.centres.index:
                out.append(problem(file, where, "unknown centre id", inj.target))
        elif inj.kind == "mobile_unit":
            if inj.target not in graph:
                out.append(problem(file, where, "unknown road node", inj.target))
        else:
            edge = _edge_key(inj.target)
            if edge is None:
                out.append(problem(file, where, "a road is written as 'node--node'", inj.target))
            elif not graph.has_edge(*edge):
                bad = [n for n in edge if n not in graph]
                msg = f"unknown road node {bad[0]!r}" if bad else "no road joins these nodes"
                out.append(problem(file, where, msg, inj.target))
    seen: set[str] = set()
    for i, r in enumerate(sc.reserves):
        where = f"reserves.{i}.target"
        if r.id in seen:
            out.append(problem(file, f"reserves.{i}.id", "reserve id used twice", r.id))
        seen.add(r.id)
        if r.kind == "lanes" and r.target not in used:
            out.append(problem(file, where, "not a checkpoint in this scenario", r.target))
        elif r.kind == "beds" and r.target not in ref.centres.index:
            out.append(problem(file, where, "unknown centre id", r.target))
        elif r.kind == "mobile_unit" and r.target not in graph:
            out.append(problem(file, where, "unknown road node", r.target))
    out += _check_volumes(file, sc, ref, used)
    return out


def _check_volumes(file: str, sc: Scenario, ref: RefData, used: list[str]) -> list[Problem]:
    out: list[Problem] = []
    lane_cols = {Mode.car: "lanes_car", Mode.bus: "lanes_bus", Mode.pedestrian: "lanes_pedestrian"}
    for cp, spec in sc.influx.items():
        if cp not in used or cp not in ref.checkpoints.index:
            continue
        days = daily_totals(spec, sc.horizon_days, multiplier=sc.influx_multiplier)
        if days.max(initial=0) > MAX_DAILY_ARRIVALS:
            day = int(days.argmax())
            out.append(
                problem(
                    file,
                    f"influx.{cp}",
                    f"more than {MAX_DAILY_ARRIVALS:,} arrivals on day {day}",
                    int(days[day]),
                )
            )
        if days.sum() == 0:
            continue
        override = sc.checkpoint_overrides.get(cp)
        lanes_ever = {m: int(ref.checkpoints.at[cp, col]) for m, col in lane_cols.items()}
        if override and override.lanes:
            for m in lane_cols:
                v = getattr(override.lanes, m.value)
                if v is not None:
                    lanes_ever[m] = v
        for inj in sc.injects:
            if isinstance(inj, LanesInject) and inj.target == cp:
                for m in lane_cols:
                    lanes_ever[m] = max(lanes_ever[m], getattr(inj.params, m.value) or 0)
        for m in lane_cols:
            if sc.mode_mix.spec(m).share > 0 and lanes_ever[m] == 0:
                out.append(
                    problem(
                        file,
                        f"checkpoint_overrides.{cp}.lanes.{m.value}",
                        f"0 lanes for {m.value} arrivals at a checkpoint with arrivals",
                        0,
                    )
                )
    return out


def read_yaml(path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Read one scenario file as a mapping, or say why it cannot be read."""
    file = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, [problem(file, "", f"cannot open file: {exc.strerror}")]
    if not path.is_file():
        return None, [problem(file, "", "not a file")]
    if size > MAX_FILE_BYTES:
        return None, [problem(file, "", f"file is larger than {MAX_FILE_BYTES:,} bytes", size)]
    return parse_yaml_bytes(path.read_bytes(), file=file)


def parse_yaml_bytes(raw: bytes, *, file: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse scenario YAML from bytes (a file or an upload) into a mapping."""
    if len(raw) > MAX_FILE_BYTES:
        return None, [problem(file, "", f"file is larger than {MAX_FILE_BYTES:,} bytes", len(raw))]
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [problem(file, "", "file is not UTF-8 text")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [problem(file, where, f"malformed YAML: {reason}")]
    if not isinstance(data, dict):
        return None, [
            problem(
                file, "(top level)", "a scenario must be a mapping of keys", type(data).__name__
            )
        ]
    return data, []


def load_scenario_bytes(raw: bytes, *, file: str, ref: RefData | None = None) -> Scenario:
    """Load, validate and cross-check a scenario given as bytes (e.g. an upload)."""
    data, problems = parse_yaml_bytes(raw, file=file)
    if problems:
        raise ScenarioError(problems)
    assert data is not None
    return parse_scenario(data, file=file, ref=ref)


def parse_scenario(
    data: dict[str, Any], *, file: str = "<scenario>", ref: RefData | None = None
) -> Scenario:
    """Validate a mapping (e.g. from YAML or the board) into a :class:`Scenario`.

    Raises
    ------
    ScenarioError
        Listing every schema and cross-reference problem.
    """
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_pydantic(file, exc)) from None
    problems = check_references(file, sc, ref or load_refdata())
    if problems:
        raise ScenarioError(problems)
    return sc


def load_scenario(path: str | Path, *, ref: RefData | None = None) -> Scenario:
    """Load, validate and cross-check one scenario YAML file."""
    path = Path(path)
    data, problems = read_yaml(path)
    if problems:
        raise ScenarioError(problems)
    assert data is not None
    return parse_scenario(data, file=str(path), ref=ref)


def validate_files(paths: list[Path], *, ref: RefData | None = None) -> list[Problem]:
    """Every problem in every file (empty when all are valid)."""
    out: list[Problem] = []
    for p in paths:
        try:
            load_scenario(p, ref=ref)
        except ScenarioError as exc:
            out += exc.problems
    return out


def dump_scenario(sc: Scenario) -> str:
    """The scenario as YAML that loads back to an equal scenario."""
    data = sc.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("name", sc.name)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
