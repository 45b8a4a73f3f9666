"""A commented scenario template with every key, written from the models (``contingency new``).

The template validates as it is: the required keys carry a small example, sections with
defaults are written out with their defaults, and every other key is a comment showing its
default and an example. Each key's comment is its description from the models (units live in
the names: ``_h`` hours, ``_days`` days, ``_min`` minutes, ``_share`` a fraction 0..1).
"""

from __future__ import annotations

import textwrap
from typing import Any

import yaml
from pydantic import BaseModel

from contingency.scenario.schema import Scenario

REQUIRED_EXAMPLE: dict[str, Any] = {
    "trigger": "other",
    "start": "2027-01-01T00:00:00",
    "horizon_days": 7,
    "influx": {"zhibek_zholy": {"daily": [2000, 3000, 3000, 2000, 1000, 500, 500]}},
}
"""Values of the keys a scenario must have (the name comes from the command line)."""

EXAMPLES: dict[str, Any] = {
    "title": {"ru": "Название", "kk": "Атауы", "en": "Title"},
    "maps": "maps",
    "checkpoints": ["zhibek_zholy", "kaplanbek"],
    "checkpoint_overrides": {
        "zhibek_zholy": {
            "lanes": {"car": 6, "bus": 2, "pedestrian": 10},
            "processing": {"car": {"min_per_vehicle": 3.0, "min_per_person": 0.5}},
            "far_side": {"lanes": {"car": 4}, "turn_back_share": 0.05},
            "baseline": {"inbound_persons_per_day": 6000},
        }
    },
    "add_checkpoints": [
        {
            "id": "planned_post",
            "name": {"ru": "Пункт", "kk": "Пункт", "en": "Post"},
            "lat": 40.9,
            "lon": 68.4,
            "region": "KZ-61",
            "access_h": 0.5,
            "neighbour": "UZ",
            "lanes": {"car": 2, "pedestrian": 4},
        }
    ],
    "centre_overrides": {"ka_shymkent": {"beds": 300}},
    "region_capacity": {"KZ-11": 20000},
    "registration": {"at": "zhibek_zholy", "per_hour": 60, "share": 1.0},
    "add_centres": [
        {
            "id": "school_1",
            "kind": "reception",
            "name": {"ru": "Школа", "kk": "Мектеп", "en": "School"},
            "node": "saryagash",
            "region": "KZ-61",
            "places": 300,
            "intake_per_hour": 50,
            "stay_days_mean": 14,
            "opens_at_h": 6,
        }
    ],
    "internal_origins": {"almaty": {"daily": [1000, 500]}},
    "injects": [
        {"at_h": 24, "kind": "checkpoint_close", "target": "kaplanbek", "params": {"side": "far"}},
        {"at_h": 36, "kind": "processing", "target": "zhibek_zholy", "params": {"multiplier": 0.7}},
    ],
    "reserves": [
        {"id": "zz_lanes", "kind": "lanes", "target": "zhibek_zholy", "mode": "car", "amount": 2,
         "unit_cost": 30},
    ],
}  # fmt: skip
"""Examples, commented out, for keys whose default is empty."""

WIDTH = 96


def _comment(text: str | None, indent: str) -> list[str]:
    if not text:
        return []
    flat = " ".join(text.replace("``", "'").split())
    return [f"{indent}# {line}" for line in textwrap.wrap(flat, WIDTH - len(indent) - 2)]


def _yaml(key: str, value: Any, indent: str, *, commented: bool = False) -> list[str]:
    """``key: value`` in YAML (a scalar on the line, a collection below it, innermost parts in
    flow style)."""
    mark = "# " if commented else ""
    dumped = yaml.safe_dump(
        value, allow_unicode=True, sort_keys=False, default_flow_style=None, width=WIDTH
    ).rstrip("\n")
    dumped = dumped.removesuffix("\n...")
    lines = dumped.splitlines()
    if not isinstance(value, dict | list) or len(lines) == 1:
        return [f"{indent}{mark}{key}: {lines[0]}", *(f"{indent}{mark}  {x}" for x in lines[1:])]
    return [f"{indent}{mark}{key}:", *(f"{indent}{mark}  {x}" for x in lines)]


def _section(model: BaseModel, indent: str) -> list[str]:
    """Each field of a section with its default, its description above it."""
    out: list[str] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        out += _comment(field.description, indent)
        if isinstance(value, BaseModel):
            out.append(f"{indent}{name}:")
            out += _section(value, indent + "  ")
        else:
            dumped = model.model_dump(mode="python", include={name})[name]
            out += _yaml(name, _plain(dumped), indent, commented=dumped is None)
    return out


def _plain(value: Any) -> Any:
    """Python values YAML writes plainly: enums as their value, datetimes as ISO text."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


def template(name: str) -> str:
    """The template of a scenario called ``name``."""
    sc = Scenario.model_validate({"name": name, **REQUIRED_EXAMPLE})
    lines = [
        f"# Scenario {name}: every key, with its default (or an example, commented out).",
        "# Check it with: contingency validate " + f"{name}.yaml",
        "",
    ]
    for key, field in Scenario.model_fields.items():
        value = getattr(sc, key)
        lines += _comment(field.description, "")
        if key == "name" or key in REQUIRED_EXAMPLE:
            given = sc.model_dump(mode="python", include={key}, exclude_none=True)[key]
            lines += _yaml(key, _plain(given), "")
        elif isinstance(value, BaseModel):
            lines.append(f"{key}:")
            lines += _section(value, "  ")
        elif key in EXAMPLES:
            lines += _yaml(key, EXAMPLES[key], "", commented=True)
        else:
            dumped = _plain(sc.model_dump(mode="python", include={key})[key])
            lines += _yaml(key, dumped, "", commented=dumped in (None, [], {}, ""))
        lines.append("")
    return "\n".join(lines)
