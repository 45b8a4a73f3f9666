"""Ranges in a scenario: a number a planner is unsure of, written in its place as
``{low: a, high: b}`` (uniform) or ``{low: a, mode: m, high: b}`` (triangular).

Loading reads each range as its mode (the midpoint without one) and keeps the ranges by field
path, as problems name fields (``influx.zhibek_zholy.curve.total_persons``). A field that takes
whole numbers takes whole ends and a whole mode (a fraction there is refused like any fraction
there); a midpoint between whole ends is rounded half up, and samples are whole numbers, each
value in the range as likely as the distribution gives.

The scenario is checked at the modes, with every range at its low end and with every range at
its high end; a problem at a ranged field names the end (``...total_persons.low``), one
elsewhere is led by ``low ends:`` or ``high ends:``. A range on one of the exclusive shares of a
population mix (``needs_shelter_share``, ``own_arrangements_share``,
``leaving_country_share``) takes its room from the others of that mix, in proportion, so that
they still sum to 1.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from contingency.errors import Problem, ScenarioError, msg, problem, pydantic_problems
from contingency.scenario.schema import DISPOSITIONS, INJECT_KINDS, PopulationMix, Scenario

if TYPE_CHECKING:
    from contingency.refdata import RefData

RANGE_KEYS = ("low", "mode", "high")
Key = str | int
"""A mapping key or a list index on the way to a ranged number."""


@dataclass(frozen=True)
class Range:
    """A number given as a range: uniform on [low, high], or triangular with ``mode``."""

    low: float
    high: float
    mode: float | None = None
    whole: bool = False
    """The field takes whole numbers."""
    keys: tuple[Key, ...] = field(default=(), compare=False)
    """The way to the number in the scenario mapping."""

    @property
    def centre(self) -> float:
        """What a plain run uses: the mode, else the midpoint (rounded half up if whole)."""
        if self.mode is not None:
            return self.mode
        mid = (self.low + self.high) / 2
        return float(math.floor(mid + 0.5)) if self.whole else mid

    def at(self, u: float) -> float:
        """The value at quantile ``u`` in [0, 1] of the range's distribution. A whole field's
        distribution spans half a unit past each end, so that each whole value is as likely as
        the distribution gives, the ends too."""
        if self.high == self.low:
            return self.low
        pad = 0.5 if self.whole else 0.0
        a, b = self.low - pad, self.high + pad
        u = min(max(u, 0.0), 1.0)
        if self.mode is None:
            x = a + u * (b - a)
        else:
            c = self.mode
            if u < (c - a) / (b - a):
                x = a + math.sqrt(u * (b - a) * (c - a))
            else:
                x = b - math.sqrt((1.0 - u) * (b - a) * (b - c))
        if self.whole:
            return float(min(max(math.floor(x + 0.5), self.low), self.high))
        return min(max(x, self.low), self.high)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _looks_like_range(v: Any) -> bool:
    return (
        isinstance(v, dict)
        and ("low" in v or "high" in v)
        and all(isinstance(k, str) and k in RANGE_KEYS for k in v)
    )


def _walk(data: Any, keys: tuple[Key, ...] = ()) -> Iterator[tuple[tuple[Key, ...], Any]]:
    """Every range-like mapping in ``data`` with the keys on the way to it."""
    if _looks_like_range(data):
        yield keys, data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _walk(v, (*keys, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _walk(v, (*keys, i))


def has_ranges(data: Any) -> bool:
    """Whether a scenario mapping gives any number as a range."""
    return next(_walk(data), None) is not None


def field_path(keys: tuple[Key, ...]) -> str:
    """The field path problems use: ``influx.zhibek_zholy.curve.total_persons``."""
    return ".".join(str(k) for k in keys)


def _read_range(file: str, keys: tuple[Key, ...], raw: dict[str, Any]) -> Range | Problem:
    at = field_path(keys)
    if "low" not in raw or "high" not in raw or not all(_is_number(v) for v in raw.values()):
        return problem(file, at, msg("problem.range_form"), raw)
    low, high, mode = raw["low"], raw["high"], raw.get("mode")
    if not low <= (low if mode is None else mode) <= high or low > high:
        why = msg("problem.range_order", low=low, mode="-" if mode is None else mode, high=high)
        return problem(file, at, why)
    return Range(float(low), float(high), None if mode is None else float(mode), keys=keys)


def _put(data: Any, keys: tuple[Key, ...], value: float) -> None:
    """Set the number at ``keys`` in ``data`` (a mapping, changed in place)."""
    *way, last = keys
    for k in way:
        data = data[k]
    data[last] = value


def _get(data: Any, keys: tuple[Key, ...]) -> Any:
    for k in keys:
        data = data[k]
    return data


def _number(value: float, whole: bool) -> int | float:
    return int(value) if whole and value == int(value) else value


def _rebalanced(data: dict[str, Any], ranges: Mapping[str, Range]) -> None:
    """A population mix whose exclusive shares a range moved: the shares without a range
    scaled, in proportion, to the room the ranged ones leave (in place)."""
    mixes: dict[tuple[Key, ...], set[str]] = {}
    for r in ranges.values():
        if r.keys and r.keys[-1] in DISPOSITIONS:
            mixes.setdefault(r.keys[:-1], set()).add(str(r.keys[-1]))
    defaults = {k: PopulationMix.model_fields[k].default for k in DISPOSITIONS}
    for way, ranged in mixes.items():
        mix = _get(data, way)
        if not isinstance(mix, dict):
            continue
        shares = {k: mix.get(k, defaults[k]) for k in DISPOSITIONS}
        if not all(_is_number(v) for v in shares.values()):
            continue  # the schema says what is wrong
        if abs(sum(shares.values()) - 1.0) <= 1e-9:
            continue
        room = 1.0 - sum(shares[k] for k in ranged)
        rest = {k: v for k, v in shares.items() if k not in ranged}
        if sum(rest.values()) > 0 and room >= 0:
            mix.update({k: v * room / sum(rest.values()) for k, v in rest.items()})


@dataclass(frozen=True)
class Ranges:
    """The ranges of a scenario by field path, and what builds the scenario at other values."""

    ranges: dict[str, Range]
    data: dict[str, Any]
    """The scenario mapping with every range at its mode."""
    file: str
    ref: RefData | None = None
    base_dir: Path | None = None

    def data_at(self, values: Mapping[str, float]) -> dict[str, Any]:
        """The scenario mapping with the ranged fields in ``values`` (by field path) set."""
        data = copy.deepcopy(self.data)
        for at, value in values.items():
            r = self.ranges[at]
            _put(data, r.keys, _number(value, r.whole))
        _rebalanced(data, {k: self.ranges[k] for k in values})
        return data

    def scenario_at(self, values: Mapping[str, float], *, label: str = "sample") -> Scenario:
        """The scenario with the ranged fields in ``values`` set, validated and cross-checked
        (:class:`ScenarioError` when invalid)."""
        from contingency.scenario.load import parse_scenario

        data = self.data_at(values)
        return parse_scenario(
            data, file=f"{self.file} ({label})", ref=self.ref, base_dir=self.base_dir
        )


@dataclass(frozen=True)
class RangedScenario(Ranges):
    """A scenario at its modes (what a plain run uses) with its ranges."""

    scenario: Scenario = field(kw_only=True)


def _whole_fields(file: str, data: dict[str, Any], ranges: dict[str, Range]) -> set[str]:
    """The ranged fields that take whole numbers: those the schema refuses a fraction at."""
    probe = copy.deepcopy(data)
    for r in ranges.values():
        _put(probe, r.keys, r.low + 0.5)
    try:
        Scenario.model_validate(probe)
    except ValidationError as exc:
        found = pydantic_problems(file, exc, tags=INJECT_KINDS, model=Scenario)
        return {p.field for p in found if p.key == "problem.int_from_float" and p.field in ranges}
    return set()


def _problems_at(ranged: Ranges, end: str) -> list[Problem]:
    """Problems of the scenario with every range at ``end`` (``low``, ``mode``, ``high``),
    moved to the end's field where they are at a ranged field."""
    from contingency.scenario.load import parse_scenario

    rs = ranged.ranges
    values = {} if end == "mode" else {k: getattr(r, end) for k, r in rs.items()}
    data = ranged.data_at(values)
    try:
        parse_scenario(data, file=ranged.file, ref=ranged.ref, base_dir=ranged.base_dir)
    except ScenarioError as exc:
        out = []
        for p in exc.problems:
            if p.field in rs:
                if end == "mode" and rs[p.field].mode is None:
                    continue  # a midpoint is wrong only where an end is: the ends say so
                out.append(dataclasses.replace(p, field=f"{p.field}.{end}"))
            elif end == "mode":
                out.append(p)
            else:
                out.append(dataclasses.replace(p, field=f"{end} ends: {p.field}"))
        return out
    return []


def parse_ranged(
    data: dict[str, Any],
    *,
    file: str = "<scenario>",
    ref: RefData | None = None,
    base_dir: Path | None = None,
) -> RangedScenario:
    """Read the ranges of a scenario mapping and check it at the modes and at both ends.

    Raises
    ------
    ScenarioError
        Listing every problem: a malformed range, one whose ends are out of order, and what is
        wrong with the scenario at its modes or with its ranges at either end.
    """
    from contingency.scenario.load import parse_scenario

    ranges: dict[str, Range] = {}
    bad: list[Problem] = []
    for keys, raw in _walk(data):
        read = _read_range(file, keys, raw)
        if isinstance(read, Problem):
            bad.append(read)
        else:
            ranges[field_path(keys)] = read
    if bad:
        raise ScenarioError(bad)
    if not ranges:
        sc = parse_scenario(data, file=file, ref=ref, base_dir=base_dir)
        return RangedScenario({}, data, file, ref, base_dir, scenario=sc)
    at_modes = copy.deepcopy(data)
    for r in ranges.values():
        _put(at_modes, r.keys, r.centre)
    whole = _whole_fields(file, at_modes, ranges)
    ranges = {k: dataclasses.replace(r, whole=k in whole) for k, r in ranges.items()}
    for r in ranges.values():
        _put(at_modes, r.keys, _number(r.centre, r.whole))
    ranged = Ranges(ranges, at_modes, file, ref, base_dir)
    problems: list[Problem] = []
    for end in ("mode", "low", "high"):
        problems += [p for p in _problems_at(ranged, end) if p not in problems]
    if problems:
        raise ScenarioError(problems)
    sc = parse_scenario(at_modes, file=file, ref=ref, base_dir=base_dir)
    return RangedScenario(ranges, at_modes, file, ref, base_dir, scenario=sc)


def load_ranges(path: str | Path, *, ref: RefData | None = None) -> RangedScenario:
    """Load one scenario file with its ranges (none when it gives none), checked as
    :func:`parse_ranged` checks them."""
    from contingency.scenario.load import read_yaml

    path = Path(path)
    data, problems = read_yaml(path)
    if problems:
        raise ScenarioError(problems)
    assert data is not None
    return parse_ranged(data, file=str(path), ref=ref, base_dir=path.parent)


_GENERIC = frozenset(
    ("influx", "curve", "checkpoint_overrides", "centre_overrides", "population", "transport")
)
"""Path parts a short input name leaves out."""


def input_names(paths: list[str]) -> dict[str, str]:
    """A short readable name for each ranged field path (``zhibek_zholy.total_persons``,
    ``zhibek_zholy.car.min_per_vehicle``, ``buses_per_day``); the whole path where two
    short names would clash."""
    short = {p: ".".join(x for x in p.split(".") if x not in _GENERIC) or p for p in paths}
    clashes = {s for s in short.values() if list(short.values()).count(s) > 1}
    return {p: p if s in clashes else s for p, s in short.items()}


_SUBSCHEMAS = ("properties", "$defs", "patternProperties")
"""Keywords whose values map names to schemas."""
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_ONE_SCHEMA = ("items", "additionalProperties")


def _range_schema(number: dict[str, Any]) -> dict[str, Any]:
    """A number's JSON schema, or a range of such numbers."""
    outer: dict[str, Any] = {
        k: number[k] for k in ("title", "description", "default") if k in number
    }
    end = {k: v for k, v in number.items() if k not in outer}
    return {
        **outer,
        "anyOf": [
            end,
            {
                "type": "object",
                "properties": {k: end for k in RANGE_KEYS},
                "required": ["low", "high"],
                "additionalProperties": False,
            },
        ],
    }


def with_range_schemas(schema: dict[str, Any]) -> dict[str, Any]:
    """A scenario's JSON schema in which every number may also be a range (each end checked
    as the number is); names of mappings (``propertyNames``) stay as they are."""
    if schema.get("type") in ("number", "integer"):
        return _range_schema(schema)
    out = dict(schema)
    for key in _SUBSCHEMAS:
        if isinstance(schema.get(key), dict):
            out[key] = {k: with_range_schemas(v) for k, v in schema[key].items()}
    for key in _SCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            out[key] = [with_range_schemas(v) for v in schema[key]]
    for key in _ONE_SCHEMA:
        if isinstance(schema.get(key), dict):
            out[key] = with_range_schemas(schema[key])
    return out
