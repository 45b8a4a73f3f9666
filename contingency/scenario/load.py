"""The one gateway for scenario files: YAML -> schema -> cross-reference checks.

Every problem is collected and raised once as a :class:`ScenarioError`, one line each:
``scenarios/x.yaml: checkpoint_overrides.kaplanbek.lanes.car: must be >= 0 (got -2)``.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from contingency.domain import LaneMode
from contingency.errors import (
    InputError,
    Problem,
    ScenarioError,
    Text,
    msg,
    problem,
    pydantic_problems,
)
from contingency.refdata import RefData, load_refdata
from contingency.scenario import safe_yaml
from contingency.scenario.added import added_problems, with_added_checkpoints
from contingency.scenario.influx import (
    curve_weights,
    modes_planned,
    planned_days,
    planned_hours,
    planned_total,
)
from contingency.scenario.influx_checks import timing_problems
from contingency.scenario.plan import Plan, checkpoints_in_play, resolve
from contingency.scenario.ranges import has_ranges, parse_ranged
from contingency.scenario.safe_yaml import MAX_FILE_BYTES
from contingency.scenario.schema import (
    INJECT_KINDS,
    MAX_DAILY_ARRIVALS,
    MAX_TOTAL_PERSONS,
    RESERVE_TARGETS,
    LanesInject,
    Mode,
    Scenario,
    Side,
    SurgeInject,
)
from contingency.scenario.sites import (
    site_ids,
    site_problems,
    with_added_centres,
    with_scenario_places,
)
from contingency.scenario.targets import target_problem
from contingency.suggest import closest

__all__ = ["checkpoints_in_play"]  # re-exported: its home is the plan

MAX_PROBLEMS = 200
"""Problems listed for one file; a flood of them is cut short with a count of the rest."""
MAPS_NOT_ON_DISK = msg("problem.maps_not_on_disk")


def _check_ids(file: str, sc: Scenario, ref: RefData) -> list[Problem]:
    """Checkpoint, centre and region ids the scenario names outside injects and reserves."""
    out: list[Problem] = []
    known_cp = set(ref.checkpoints.index)
    used = set(checkpoints_in_play(sc, ref))
    for i, cp in enumerate(sc.checkpoints or []):
        if cp not in known_cp:
            why = msg("problem.unknown_checkpoint", hint=closest(cp, known_cp))
            out.append(problem(file, f"checkpoints.{i}", why, cp))
    for section, ids in (("influx", sc.influx), ("checkpoint_overrides", sc.checkpoint_overrides)):
        for cp in ids:
            if cp not in known_cp:
                why = msg("problem.unknown_checkpoint", hint=closest(cp, known_cp))
                out.append(problem(file, f"{section}.{cp}", why, cp))
            elif cp not in used:
                out.append(
                    problem(
                        file,
                        f"{section}.{cp}",
                        msg("problem.not_in_checkpoints_list"),
                        cp,
                    )
                )
    for cid in sc.centre_overrides:
        if cid not in ref.centres.index:
            why = msg("problem.unknown_centre", hint=closest(cid, set(ref.centres.index)))
            out.append(problem(file, f"centre_overrides.{cid}", why, cid))
    for iso in sc.region_capacity:
        if iso not in ref.regions.index:
            why = msg("problem.unknown_region", hint=closest(iso, set(ref.regions.index)))
            out.append(problem(file, f"region_capacity.{iso}", why, iso))
    for iso in sc.routing.region_weights:
        if iso not in ref.regions.index:
            why = msg("problem.unknown_region", hint=None)
            out.append(problem(file, f"routing.region_weights.{iso}", why, iso))
    return out


def _check_injects(file: str, sc: Scenario, ref: RefData, in_play: set[str]) -> list[Problem]:
    """Each inject within the horizon, its target of the kind its class declares."""
    out: list[Problem] = []
    graph = ref.road_graph()
    horizon_h = sc.horizon_days * 24
    for i, inj in enumerate(sc.injects):
        if inj.at_h > horizon_h:
            late = msg("problem.after_horizon_h", horizon_h=horizon_h)
            out.append(problem(file, f"injects.{i}.at_h", late, inj.at_h))
        why = target_problem(
            inj.target_kind, inj.target, in_play=in_play, ref=ref, graph=graph, sites=site_ids(sc)
        )
        if why is not None:
            out.append(problem(file, f"injects.{i}.target", why, inj.target))
    return out


def _check_reserves(file: str, sc: Scenario, ref: RefData, in_play: set[str]) -> list[Problem]:
    out: list[Problem] = []
    graph = ref.road_graph()
    seen: set[str] = set()
    for i, r in enumerate(sc.reserves):
        if r.id in seen:
            out.append(problem(file, f"reserves.{i}.id", msg("problem.reserve_id_twice"), r.id))
        seen.add(r.id)
        kind = RESERVE_TARGETS[r.kind]
        if kind is None or r.target is None:
            continue
        why = target_problem(kind, r.target, in_play=in_play, ref=ref, graph=graph)
        if why is not None:
            out.append(problem(file, f"reserves.{i}.target", why, r.target))
    return out


def _check_pathways(file: str, sc: Scenario, ref: RefData, in_play: set[str]) -> list[Problem]:
    """The places registration and leaving name: checkpoints in play or centres."""
    out: list[Problem] = []
    centres = set(ref.centres.index)
    one = not isinstance(sc.registration, list)
    for i, r in enumerate(sc.registration_points):
        if r.at not in in_play and r.at not in centres:
            why = msg("problem.not_checkpoint_nor_centre")
            at = "registration.at" if one else f"registration.{i}.at"
            out.append(problem(file, at, why, r.at))
    via = sc.leaving.via
    names = (
        [("leaving.via", via)]
        if isinstance(via, str)
        else [(f"leaving.via.{i}.checkpoint", v.checkpoint) for i, v in enumerate(via or [])]
    )
    for at, cp in names:
        if cp not in in_play:
            out.append(problem(file, at, msg("problem.not_in_scenario", hint=None), cp))
    if sc.leaving.wait_at is not None and sc.leaving.wait_at not in centres:
        why = msg("problem.unknown_centre", hint=None)
        out.append(problem(file, "leaving.wait_at", why, sc.leaving.wait_at))
    for cid in sc.centre_overrides:
        ov = sc.centre_overrides[cid]
        if ov.stay_days_mean is not None and ov.stay_hours_mean is not None:
            why = msg("problem.one_stay_override")
            out.append(problem(file, f"centre_overrides.{cid}.stay_hours_mean", why, None))
    return out


FREIGHT_ONLY = msg("problem.freight_only")


def _check_freight_only(file: str, sc: Scenario, ref: RefData) -> list[Problem]:
    """Travellers sent to a freight-only post: its influx, a surge there, ordinary travellers
    in its baseline override."""
    if "freight_only" not in ref.checkpoints.columns:
        return []
    freight = set(ref.checkpoints.index[ref.checkpoints["freight_only"].fillna(False).astype(bool)])
    out = [problem(file, f"influx.{cp}", FREIGHT_ONLY, cp) for cp in sc.influx if cp in freight]
    for i, inj in enumerate(sc.injects):
        if isinstance(inj, SurgeInject) and inj.target in freight:
            out.append(problem(file, f"injects.{i}.target", FREIGHT_ONLY, inj.target))
    for cp, ov in sc.checkpoint_overrides.items():
        if cp not in freight or ov.baseline is None:
            continue
        for key in ("inbound_persons_per_day", "outbound_persons_per_day"):
            if getattr(ov.baseline, key):
                at = f"checkpoint_overrides.{cp}.baseline.{key}"
                out.append(problem(file, at, FREIGHT_ONLY, getattr(ov.baseline, key)))
    return out


def check_references(file: str, sc: Scenario, ref: RefData) -> list[Problem]:
    """Problems with ids and numbers that only the reference data can judge; the crossings
    the scenario adds are checked against ``ref``, then count as checkpoints of it."""
    added, bad = added_problems(file, sc, ref)
    if bad:  # the rest is checked without them, and says nothing more of them
        kept = [a for a in sc.add_checkpoints if a.id not in bad]
        sc = sc.model_copy(update={"add_checkpoints": kept})
    ref = with_added_checkpoints(sc, ref)
    sites, bad_sites = site_problems(file, sc, ref)
    if bad_sites:
        sc = sc.model_copy(
            update={"add_centres": [a for a in sc.add_centres if a.id not in bad_sites]}
        )
    ref = with_added_centres(sc, ref)
    in_play = set(checkpoints_in_play(sc, ref))
    out = sites + _check_ids(file, sc, ref)
    out += _check_pathways(file, sc, ref, in_play)
    out += _check_freight_only(file, sc, ref)
    out += _check_injects(file, sc, ref, in_play)
    out += _check_reserves(file, sc, ref, in_play)
    out += _check_volumes(file, sc, resolve(sc, ref))
    out += _check_budget(file, sc, in_play & set(ref.checkpoints.index))
    gone = bad - set(ref.checkpoints.index)  # an id that clashes still names the pack's post
    return added + [p for p in out if not (isinstance(p.got, str) and p.got in gone)]


def _curve_outside_horizon(file: str, cp: str, sc: Scenario) -> Problem | None:
    """A curve none of whose persons arrive within the horizon (they would be dropped)."""
    curve = sc.influx[cp].curve
    if curve is None or curve.total_persons == 0:
        return None
    if curve_weights(curve, sc.horizon_days).sum() > 0:
        return None
    if curve.start_day >= sc.horizon_days:
        return problem(
            file,
            f"influx.{cp}.curve.start_day",
            f"the curve starts after the horizon ({sc.horizon_days} days), so none of its "
            f"{curve.total_persons:,} persons arrive",
            curve.start_day,
        )
    return problem(
        file,
        f"influx.{cp}.curve",
        f"none of its {curve.total_persons:,} persons arrive within the {sc.horizon_days}-day "
        "horizon (the curve starts too late or decays too fast)",
    )


def _lanes_ever(sc: Scenario, plan: Plan, cp: str, side: Side = Side.near) -> dict[Mode, int]:
    """Most lanes of each mode one side of ``cp`` has at any time: its base lanes (the far
    side's are ours unless ``far_side`` gives them) or a lanes inject on that side."""
    cpp = plan.checkpoints[cp]
    base = cpp.near_side if side is Side.near else cpp.far_side
    lanes = {m: base.lanes[LaneMode(m)] for m in Mode}
    for inj in sc.injects:
        if isinstance(inj, LanesInject) and inj.target == cp and inj.params.side is side:
            for m in Mode:
                lanes[m] = max(lanes[m], inj.params.get(LaneMode(m), 0))
    return lanes


def _check_volumes(file: str, sc: Scenario, plan: Plan) -> list[Problem]:
    out: list[Problem] = []
    for cp in sc.influx:
        if cp not in plan.checkpoints:
            continue
        if (lost := _curve_outside_horizon(file, cp, sc)) is not None:
            out.append(lost)
        if timing := timing_problems(file, sc, checkpoint=cp):
            out += timing
            continue
        days = planned_days(sc, cp)
        if days.max(initial=0) > MAX_DAILY_ARRIVALS:
            day = int(days.argmax())
            out.append(
                problem(
                    file,
                    f"influx.{cp}",
                    msg("problem.more_daily", limit=MAX_DAILY_ARRIVALS, day=day),
                    int(days[day]),
                )
            )
        if days.sum() == 0:
            continue
        out += _lane_problems(file, sc, plan, cp)
    return out


def _lane_problems(file: str, sc: Scenario, plan: Plan, cp: str) -> list[Problem]:
    """A mode with arrivals that one side of ``cp`` never has a lane for: ours, or the far
    side (people pass it first, so none would ever reach us). The far side is reported where
    the scenario gives it, or where its lanes (ours at the start) are never raised like ours;
    a side with none reported once, at ours, when the far side only copies it."""
    modes = modes_planned(sc, cp)
    near = _lanes_ever(sc, plan, cp, Side.near)
    far = _lanes_ever(sc, plan, cp, Side.far)
    far_given = plan.checkpoints[cp].far is not None
    out: list[Problem] = []
    for m in Mode:
        if m not in modes:
            continue
        if near[m] == 0:
            out.append(
                problem(
                    file,
                    f"checkpoint_overrides.{cp}.lanes.{m.value}",
                    msg("problem.no_lanes", mode=m.value),
                    0,
                )
            )
        if far[m] == 0 and (far_given or near[m] > 0):
            out.append(
                problem(
                    file,
                    f"checkpoint_overrides.{cp}.far_side.lanes.{m.value}",
                    msg("problem.no_far_lanes", mode=m.value),
                    0,
                )
            )
    return out


def _check_budget(file: str, sc: Scenario, used: set[str]) -> list[Problem]:
    """The persons the scenario brings, computed as the engine does (daily totals or series
    counts x multiplier, split by hour, surge injects applied in order; people displaced
    inside the country too), against :data:`MAX_TOTAL_PERSONS`."""
    per_cp: dict[str, float] = {cp: planned_total(sc, cp) for cp in sc.influx if cp in used}
    internal = sum(
        planned_total(sc.model_copy(update={"influx": {key: spec}}), key)
        for key, spec in sc.internal_origins.items()
    )
    total = sum(per_cp.values()) + internal
    if total > MAX_TOTAL_PERSONS:
        return [
            problem(
                file,
                "influx",
                msg("problem.too_many_persons", total=total, limit=MAX_TOTAL_PERSONS),
                total,
            )
        ]
    n_hours = sc.horizon_days * 24
    hours: dict[str, np.ndarray] = {}  # split by hour only where a surge needs it
    for i, inj in enumerate(sc.injects):
        if not isinstance(inj, SurgeInject) or inj.target not in per_cp:
            continue
        if inj.target not in hours:
            hours[inj.target] = planned_hours(sc, inj.target).astype(float)
        h = hours[inj.target]
        d = inj.params.duration_h
        last = n_hours if d is None else int(np.ceil(inj.at_h + d))
        h[int(np.floor(inj.at_h)) : last] *= inj.params.multiplier
        after = float(np.rint(h).sum())
        total += after - per_cp[inj.target]
        per_cp[inj.target] = after
        if total > MAX_TOTAL_PERSONS:
            return [
                problem(
                    file,
                    f"injects.{i}.params.multiplier",
                    msg("problem.too_many_persons_surge", total=total, limit=MAX_TOTAL_PERSONS),
                    inj.params.multiplier,
                )
            ]
    return []


def read_yaml(path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Read one scenario file as a mapping, or say why it cannot be read."""
    file = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, [problem(file, "", msg("problem.cannot_open", reason=exc.strerror))]
    if not path.is_file():
        return None, [problem(file, "", msg("problem.not_a_file"))]
    if size > MAX_FILE_BYTES:
        too_large = msg("problem.file_too_large", limit=MAX_FILE_BYTES)
        return None, [problem(file, "", too_large, size)]
    return parse_yaml_bytes(path.read_bytes(), file=file)


def _problems(file: str, raw: list[safe_yaml.RawProblem]) -> list[Problem]:
    return [
        problem(file, field, Text(message, key, values) if key else message, *got)
        for field, message, got, key, values in raw
    ]


def parse_yaml_bytes(raw: bytes, *, file: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse scenario YAML from bytes (a file or an upload) into a mapping, in this process.

    Aliases, anchors, duplicate keys, nesting deeper than ``safe_yaml.MAX_YAML_DEPTH`` and
    other things a scenario never needs are problems (see :mod:`.safe_yaml`).
    """
    data, raw_problems = safe_yaml.read_mapping(raw)
    return data, _problems(file, raw_problems)


def parse_yaml_bytes_bounded(
    raw: bytes,
    *,
    file: str,
    timeout_s: float = safe_yaml.UPLOAD_TIMEOUT_S,
    memory_bytes: int = safe_yaml.UPLOAD_MEMORY_BYTES,
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """:func:`parse_yaml_bytes` in a child process limited to ``memory_bytes`` (RLIMIT_AS
    above its start-up size) and ``timeout_s`` seconds, for files from outside (board
    uploads): whatever the file holds, the caller gets a mapping or problems, never a hang."""
    data, raw_problems = safe_yaml.read_mapping_bounded(
        raw, timeout_s=timeout_s, memory_bytes=memory_bytes
    )
    return data, _problems(file, raw_problems)


def load_scenario_bytes(raw: bytes, *, file: str, ref: RefData | None = None) -> Scenario:
    """Load, validate and cross-check a scenario given as bytes (e.g. an upload). The YAML is
    read in a child process with limits on time and memory
    (:func:`parse_yaml_bytes_bounded`). A ``maps:`` key is refused: only a scenario file on
    disk may name a map pack."""
    data, problems = parse_yaml_bytes_bounded(raw, file=file)
    if problems:
        raise ScenarioError(problems)
    assert data is not None
    if data.get("maps") is not None:  # bytes have no folder for a pack to be relative to
        raise ScenarioError([problem(file, "maps", MAPS_NOT_ON_DISK, data["maps"])])
    return parse_scenario(data, file=file, ref=ref)


def _at_most(problems: list[Problem], file: str) -> list[Problem]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    more = msg("problem.more_problems", rest=rest)
    return [*problems[:MAX_PROBLEMS], problem(file, "(top level)", more)]


def _pack(file: str, sc: Scenario, base_dir: Path | None) -> tuple[Scenario, RefData]:
    """The map pack ``sc.maps`` names (relative to ``base_dir``, the scenario file's folder)
    and the scenario with ``maps`` made absolute, so that it names the same pack wherever it is
    stored or sent (a stored run's ``scenario.yaml``, a stress worker)."""
    assert sc.maps is not None
    given = Path(sc.maps)
    if not given.is_absolute() and base_dir is None:
        raise ScenarioError([problem(file, "maps", MAPS_NOT_ON_DISK, sc.maps)])
    shown = given if base_dir is None else base_dir / given  # absolute `given` wins
    if not shown.is_dir():
        raise ScenarioError([problem(file, "maps", msg("problem.no_such_folder"), sc.maps)])
    ref = load_refdata(shown)  # ReferenceDataError names the pack's own files
    return sc.model_copy(update={"maps": str(ref.maps_dir)}), ref


def parse_scenario(
    data: dict[str, Any],
    *,
    file: str = "<scenario>",
    ref: RefData | None = None,
    base_dir: Path | None = None,
) -> Scenario:
    """Validate a mapping (e.g. from YAML or the board) into a :class:`Scenario`.

    The scenario is checked against the map pack its ``maps`` names (relative to
    ``base_dir``; an absolute path needs none), else against ``ref`` (default: the bundled
    pack). The returned scenario's ``maps`` is the pack's absolute path, or None.

    Raises
    ------
    ScenarioError
        Listing every schema and cross-reference problem.
    ReferenceDataError
        When the pack the scenario names is malformed (its files, lines and fields).
    """
    if has_ranges(data):  # numbers given as {low, mode, high}: checked at both ends, run at modes
        return parse_ranged(data, file=file, ref=ref, base_dir=base_dir).scenario
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = pydantic_problems(file, exc, tags=INJECT_KINDS, model=Scenario)
        problems += _references_of_the_rest(data, exc, file=file, ref=ref, base_dir=base_dir)
        raise ScenarioError(_at_most(problems, file)) from None
    if sc.maps is not None:
        sc, ref = _pack(file, sc, base_dir)
    problems = check_references(file, sc, ref or load_refdata())
    if problems:
        raise ScenarioError(_at_most(problems, file))
    return sc


def _references_of_the_rest(
    data: dict[str, Any],
    exc: ValidationError,
    *,
    file: str,
    ref: RefData | None,
    base_dir: Path | None,
) -> list[Problem]:
    """The cross-reference problems (unknown ids, times after the horizon…) of the parts of a
    scenario that passed the schema, so ``validate`` reports them in the same pass: the items
    and nested keys pydantic refused are left out and the rest is checked. Nothing when a
    top-level value was refused (a wrong horizon would make every time check misleading) or
    the rest does not validate either."""
    rest = copy.deepcopy(data)
    for err in exc.errors():
        loc = [p for p in err["loc"] if p != "[key]"]
        if len(loc) == 1 and err["type"] == "extra_forbidden":  # an unknown key: left out
            rest.pop(str(loc[0]), None)
            continue
        if len(loc) < 2 or (err["type"] == "missing" and len(loc) < 3):
            return []
        holder: Any = rest
        for part in loc[:1]:
            holder = holder.get(part) if isinstance(holder, dict) else None
        key = loc[1]
        if isinstance(holder, list) and isinstance(key, int) and key < len(holder):
            holder[key] = None
        elif isinstance(holder, dict):
            holder.pop(key, None)
        else:
            return []
    kept: dict[str, list[int]] = {}  # per list: the original index of each item kept
    for k, v in rest.items():
        if isinstance(v, list):
            kept[k] = [i for i, x in enumerate(v) if x is not None]
            rest[k] = [x for x in v if x is not None]
    try:
        sc = Scenario.model_validate(rest)
        if sc.maps is not None:
            sc, ref = _pack(file, sc, base_dir)
    except (ValidationError, InputError):
        return []
    return [_original_index(p, kept) for p in check_references(file, sc, ref or load_refdata())]


def _original_index(p: Problem, kept: dict[str, list[int]]) -> Problem:
    """``p`` with a list item's index as the file has it (items left out shift the rest)."""
    head, _, tail = p.field.partition(".")
    index, dot, after = tail.partition(".")
    if head in kept and index.isdigit() and int(index) < len(kept[head]):
        return dataclasses.replace(p, field=f"{head}.{kept[head][int(index)]}{dot}{after}")
    return p


def scenario_refdata(sc: Scenario, *, ref: RefData | None = None) -> RefData:
    """The reference data a loaded scenario runs with: the map pack its ``maps`` names (an
    absolute path after loading), else ``ref``, else the bundled pack; with the crossings the
    scenario adds (``add_checkpoints``)."""
    if sc.maps is not None:
        return with_scenario_places(sc, load_refdata(sc.maps))
    return with_scenario_places(sc, ref or load_refdata())


def load_scenario(path: str | Path, *, ref: RefData | None = None) -> Scenario:
    """Load, validate and cross-check one scenario YAML file, against the map pack its
    ``maps`` names (relative to the file's folder) or else ``ref`` (default: bundled)."""
    path = Path(path)
    data, problems = read_yaml(path)
    if problems:
        raise ScenarioError(problems)
    assert data is not None
    return parse_scenario(data, file=str(path), ref=ref, base_dir=path.parent)


def load_scenario_with_ref(
    path: str | Path, *, ref: RefData | None = None
) -> tuple[Scenario, RefData]:
    """:func:`load_scenario` and the reference data the scenario runs with (its map pack, else
    ``ref``, else the bundled pack): what every command that runs a scenario file needs."""
    sc = load_scenario(path, ref=ref)
    return sc, scenario_refdata(sc, ref=ref)


def validate_files(paths: list[Path], *, ref: RefData | None = None) -> list[Problem]:
    """Every problem in every file, the map packs they name included (empty when all are
    valid). A problem shared by several files (a broken pack) is listed once."""
    out: list[Problem] = []
    for p in paths:
        try:
            load_scenario(p, ref=ref)
        except InputError as exc:
            out += [q for q in exc.problems if q not in out]
    return out


def scenario_digest(sc: Scenario) -> str:
    """A stable digest of everything in ``sc`` (its JSON form): equal scenarios, equal digests."""
    return hashlib.sha256(sc.model_dump_json().encode("utf-8")).hexdigest()


def dump_scenario(sc: Scenario) -> str:
    """The scenario as YAML that loads back to an equal scenario."""
    data = sc.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("name", sc.name)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
