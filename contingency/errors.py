"""Every exception type the toolkit raises on purpose.

Each error carries a list of :class:`Problem` so a caller can show every problem at once, one
line each, in the form ``FILE: field.path: what is wrong (got X)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    file: str
    field: str
    message: str
    got: Any = None
    has_got: bool = False

    def __str__(self) -> str:
        text = (
            f"{self.file}: {self.field}: {self.message}"
            if self.field
            else f"{self.file}: {self.message}"
        )
        if self.has_got:
            text += f" (got {_short(self.got)})"
        return text


def problem(file: str, field: str, message: str, *args: Any) -> Problem:
    """Build a :class:`Problem`; pass the offending value as a fourth argument to quote it."""
    if args:
        return Problem(file, field, message, args[0], True)
    return Problem(file, field, message)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
