"""Every exception type the toolkit raises on purpose.

Each error carries a list of :class:`Problem` so a caller can show every problem at once, one
line each, in the form ``FILE: field.path: what is wrong (got X)``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import reprlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from contingency.i18n.messages import message_text
from contingency.suggest import closest, known_keys


class Text(str):
    """A message in English that keeps its catalogue key and values, so that it can be shown
    in another language (:func:`contingency.i18n.problems.localized`)."""

    key: str
    values: Mapping[str, Any]

    def __new__(cls, english: str, key: str, values: Mapping[str, Any]) -> Text:
        text = super().__new__(cls, english)
        text.key, text.values = key, dict(values)
        return text

    def __reduce__(self) -> tuple[type[Text], tuple[str, str, dict[str, Any]]]:
        return Text, (str(self), self.key, dict(self.values))


def msg(key: str, /, **values: Any) -> Text:
    """The message ``key`` (``problem.<name>`` in the catalogues) with ``values``, in English.

    ``hint`` is a close known name or None, ``choices`` texts to list with "or" (see
    :mod:`contingency.i18n.messages`); numbers stay numbers, so each language writes them.
    """
    return Text(message_text(key, values, "en"), key, values)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file; ``key`` and ``values`` say it in any language
    (``key`` is None for a message that has English only)."""

    file: str
    field: str
    message: str
    got: Any = None
    has_got: bool = False
    key: str | None = dataclasses.field(default=None, compare=False)
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)

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
    """Build a :class:`Problem`; pass the offending value as a fourth argument to quote it. A
    message made by :func:`msg` gives the problem its key and values."""
    key, values = (message.key, message.values) if isinstance(message, Text) else (None, {})
    if args:
        return Problem(file, field, message, args[0], True, key=key, values=values)
    return Problem(file, field, message, key=key, values=values)


_MESSAGES = {
    "extra_forbidden": "unknown key (check the spelling)",
    "missing": "is required",
    "model_type": "input should be a valid dictionary",  # pydantic names the model class
    "model_attributes_type": "input should be a valid dictionary",
}
_KEYS = {
    "missing": "problem.missing",
    "extra_forbidden": "problem.unknown_key_check",
    "greater_than_equal": "problem.ge",
    "greater_than": "problem.gt",
    "less_than_equal": "problem.le",
    "less_than": "problem.lt",
    "int_parsing": "problem.int_parsing",
    "int_type": "problem.int_type",
    "int_from_float": "problem.int_from_float",
    "int_parsing_size": "problem.int_parsing_size",
    "float_parsing": "problem.float_parsing",
    "float_type": "problem.float_type",
    "finite_number": "problem.finite_number",
    "bool_parsing": "problem.bool_parsing",
    "bool_type": "problem.bool_type",
    "string_type": "problem.string_type",
    "string_pattern_mismatch": "problem.string_pattern",
    "string_too_long": "problem.string_too_long",
    "string_too_short": "problem.string_too_short",
    "literal_error": "problem.one_of",
    "enum": "problem.one_of",
    "union_tag_invalid": "problem.tag_invalid",
    "union_tag_not_found": "problem.tag_not_found",
    "list_type": "problem.list_type",
    "dict_type": "problem.dict_type",
    "model_type": "problem.dict_type",
    "model_attributes_type": "problem.dict_type",
    "too_long": "problem.too_long",
    "too_short": "problem.too_short",
    "datetime_from_date_parsing": "problem.datetime",
    "datetime_parsing": "problem.datetime",
    "datetime_type": "problem.datetime",
}
"""The catalogue key of each pydantic error type that scenario and CSV files produce."""
_TYPE_KINDS = {
    "problem.string_type": "problem.kind_string",
    "problem.list_type": "problem.kind_list",
    "problem.dict_type": "problem.kind_dict",
    "problem.int_type": "problem.kind_integer",
    "problem.float_type": "problem.kind_number",
    "problem.bool_type": "problem.kind_boolean",
}
"""Wrong-type messages that merge into one when a field may be either of two types."""
_UNION_LABELS = {
    "str", "int", "float", "bool", "none", "list", "dict", "literal", "datetime", "date",
    "constrained-str", "constrained-int", "constrained-float", "function-after",
    "function-before", "function-plain", "function-wrap", "tagged-union",
}  # fmt: skip
"""Names pydantic puts in a field path for the member of a union an error comes from."""


def _split_expected(expected: str) -> list[str]:
    """``'a', 'b' or 'c'`` as ``["'a'", "'b'", "'c'"]``."""
    head, _, last = expected.rpartition(" or ")
    return [*head.split(", "), last] if head else expected.split(", ")


def _pydantic_text(err: Any, loc: list[str], model: type[BaseModel] | None) -> str:
    """The message of one pydantic error, with its key and values where it has one."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    english = _MESSAGES.get(kind, err["msg"].removeprefix("Value error, "))
    english = english[0].lower() + english[1:] if english else english
    if kind == "value_error":
        cause = ctx.get("error")
        if isinstance(cause, ValueError) and cause.args and isinstance(cause.args[0], Text):
            return cause.args[0]
        if "message_key" in ctx:  # a PydanticCustomError raised with its key
            values = {k: v for k, v in ctx.items() if k != "message_key"}
            return Text(english, ctx["message_key"], values)
        return english
    if kind == "extra_forbidden" and model is not None and loc:
        return msg("problem.unknown_key", hint=closest(loc[-1], known_keys(model, loc[:-1])))
    if kind == "union_tag_invalid":  # pydantic quotes the tag, of any length
        tag, tags = quote(ctx.get("tag")), ctx.get("expected_tags", "")
        hint = closest(ctx.get("tag"), [t.strip("'") for t in tags.split(", ")])
        said = f"{tag} (did you mean {hint!r}?)" if hint else tag  # before the list, never cut
        english = (
            f"input tag {said} found using 'kind' does not match any of the expected tags: {tags}"
        )
        return Text(english, _KEYS[kind], {"tag": tag, "choices": tags.split(", "), "hint": hint})
    key = _KEYS.get(kind)
    if key is None:
        return english
    values = {k: v for k, v in ctx.items() if isinstance(v, int | float | str)}
    if "expected" in values:
        values["choices"] = _split_expected(str(values.pop("expected")))
    return Text(english, key, values)


def _is_union_label(part: str) -> bool:
    return part in _UNION_LABELS or ("[" in part and part.endswith("]"))


def _merged(problems: list[Problem]) -> list[Problem]:
    """Wrong-type problems of one field (a value that may be of either of two types) as one:
    ``leaving.via: input should be a valid string or a valid list``."""
    out: list[Problem] = []
    for p in problems:
        last = out[-1] if out else None
        if (
            last is not None
            and last.field == p.field
            and (last.key in _TYPE_KINDS or last.key == "problem.wrong_type")
            and p.key in _TYPE_KINDS
        ):
            kinds = [*last.values.get("kinds", [_TYPE_KINDS[str(last.key)]]), _TYPE_KINDS[p.key]]
            text = msg("problem.wrong_type", kinds=kinds)
            out[-1] = problem(last.file, last.field, text, *((last.got,) if last.has_got else ()))
        else:
            out.append(p)
    return out


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
    unions, dropped from paths where pydantic puts them (``injects.0.surge.params``), and so
    are the names of union members (``leaving.via.list[ViaShare]``): a value that may be of
    two types and is neither is one problem. With ``model``, an unknown key names the closest
    known one.
    """
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if p != "[key]"]  # a bad mapping key: its own path
        loc = [p for i, p in enumerate(loc) if not (p in tags and i > 0 and loc[i - 1].isdigit())]
        loc = [p for i, p in enumerate(loc) if not (i > 0 and _is_union_label(p))]
        field = ".".join(loc) or "(top level)"
        if prefix:
            field = f"{prefix}: {field}"
        message = _pydantic_text(err, loc, model)
        if err["type"] == "missing":
            out.append(problem(file, field, message))
        else:
            out.append(problem(file, field, message, err.get("input")))
    return _merged(out)


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
