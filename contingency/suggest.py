"""'Did you mean ...?' for a misspelt key or id: the closest known name, if one is close."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Collection, Sequence
from typing import Any

from pydantic import BaseModel

CUTOFF = 0.6
"""How alike (difflib ratio) a known name must be to be offered."""


def closest(given: object, known: Collection[str]) -> str | None:
    """The known name closest to ``given``, if one is close enough (else None)."""
    if not isinstance(given, str) or not known:
        return None
    close = difflib.get_close_matches(given, list(known), n=1, cutoff=CUTOFF)
    return close[0] if close else None


def did_you_mean(given: object, known: Collection[str]) -> str:
    """`` (did you mean 'x'?)`` for the known name closest to ``given``, or ``""`` (in English;
    a message made with ``errors.msg(..., hint=closest(...))`` says it in any language)."""
    close = closest(given, known)
    return f" (did you mean {close!r}?)" if close else ""


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models a field's annotation may hold, looking through unions, lists,
    dicts (their values) and ``Annotated``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if origin in (typing.Union, types.UnionType, list, tuple, dict):
        args = typing.get_args(annotation)
        if origin is dict:
            args = args[1:]
        return [m for a in args for m in _models(a)]
    return []


def known_keys(model: type[BaseModel], loc: Sequence[str]) -> set[str]:
    """The keys allowed where ``loc`` (a field path, list indexes and mapping keys included)
    points, under ``model``: every model the path may reach is looked into."""
    current: list[type[BaseModel]] = [model]
    for part in loc:
        nxt: list[type[BaseModel]] = []
        for m in current:
            field = m.model_fields.get(part)
            if field is not None:
                nxt += _models(field.annotation)
            else:  # an index, a mapping key or a union tag: stay at this level
                nxt.append(m)
        current = list(dict.fromkeys(nxt))
        if not current:
            return set()
    return {name for m in current for name in m.model_fields}
