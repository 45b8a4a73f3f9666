"""Every exception type the toolkit raises on purpose.

Each error carries a list of :class:`Problem` so a caller can show every problem at once, one
line each, in the form ``FILE: field.path: what is wrong (got X)``.
"""

from __future__ import annotations

import itertools
import math
import reprlib
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from contingency.suggest import did_you_mean, known_keys


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    file: str
    field: str
    message: str
    got: Any = None
    has_got: bool = False

    def __str__(self) -> str:
        # Keys and values from a file may be any length: every part of the line is bounded.
        message = _clip(self.message, 240)
        text = (
            f"{self.file}: {_clip(self.field, 120)}: {message}"
            if self.field
            else f"{self.file}: {message}"
        )
        if self.has_got:
            text += f" (got {quote(self.got)})"
        return text


def problem(file: str, field: str, message: str, *args: Any) -> Problem:
    """Build a :class:`Problem`; pass the offending value as a fourth argument to quote it."""
    if args:
        return Problem(file, field, message, args[0], True)
    return Problem(file, field, message)


_MESSAGES = {
    "extra_forbidden": "unknown key (check the spelling)",
    "missing": "is required",
}


def pydantic_problems(
    file: str,
    exc: ValidationError,
    *,
    prefix: str = "",
    tags: Collection[str] = (),
    model: type[BaseModel] | None = None,
) -> list[Problem]:
    """One :class:`Problem` per error pydantic found in ``file`` (a scenario or a CSV row).

    ``prefix`` goes before each field path (``line 7``); ``tags`` are the tags of tagged
    unions, dropped from paths where pydantic puts them (``injects.0.surge.params``); with
    ``model``, an unknown key names the closest known one.
    """
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if p != "[key]"]  # a bad mapping key: its own path
        loc = [p for i, p in enumerate(loc) if not (p in tags and i > 0 and loc[i - 1].isdigit())]
        field = ".".join(loc) or "(top level)"
        if prefix:
            field = f"{prefix}: {field}"
        message = _MESSAGES.get(err["type"], err["msg"].removeprefix("Value error, "))
        if err["type"] == "union_tag_invalid":  # pydantic quotes the tag, of any length
            ctx = err.get("ctx", {})
            message = (
                f"input tag {quote(ctx.get('tag'))} found using 'kind' does not match any of "
                f"the expected tags: {ctx.get('expected_tags')}"
            )
        message = message[0].lower() + message[1:] if message else message
        if err["type"] == "extra_forbidden" and model is not None and loc:
            message = f"unknown key{did_you_mean(loc[-1], known_keys(model, loc[:-1]))}"
        if err["type"] == "missing":
            out.append(problem(file, field, message))
        else:
            out.append(problem(file, field, message, err.get("input")))
    return out


class _BoundedRepr(reprlib.Repr):
    """``repr`` that looks at a bounded part of a value, however big or deep it is (a quoted
    value may be a 1 MB list or a nested structure from a hostile file)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxtuple = self.maxlist = self.maxarray = self.maxdeque = 6
        self.maxdict = self.maxset = self.maxfrozenset = 4
        self.maxstring = self.maxlong = self.maxother = 60

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 200:  # repr of an int over 4,300 digits raises ValueError
            digits = int(x.bit_length() * math.log10(2)) + 1
            return f"<integer of about {digits:,} digits>"
        return super().repr_int(x, level)

    def repr_dict(self, x: dict, level: int) -> str:  # in file order, without sorting it all
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        shown = itertools.islice(x.items(), self.maxdict)
        pieces = [f"{self.repr1(k, level - 1)}: {self.repr1(v, level - 1)}" for k, v in shown]
        if len(x) > self.maxdict:
            pieces.append("...")
        return "{" + ", ".join(pieces) + "}"

    def repr_instance(self, x: Any, level: int) -> str:
        try:
            return super().repr_instance(x, level)
        except Exception:  # a broken __repr__ must not hide the problem being reported
            return f"<{type(x).__name__}>"


_repr = _BoundedRepr()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def quote(value: Any, limit: int = 60) -> str:
    """``repr`` of ``value`` as an error quotes it: at most ``limit`` characters, computed from
    a bounded part of the value."""
    return _clip(_repr.repr(value), limit)


class InputError(ValueError):
    """Bad input: carries every problem found, formatted one per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ScenarioError(InputError):
    """A scenario file is malformed, inconsistent or refers to unknown ids."""


class ReferenceDataError(InputError):
    """A file in maps/ is malformed or inconsistent."""


class LedgerError(RuntimeError):
    """The people ledger does not balance: a person was lost or counted twice."""
