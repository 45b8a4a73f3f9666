"""The feed format: one record per crossing, as CSV or Parquet files in a folder.

Columns: ``record_id``, ``checkpoint_id``, ``crossed_at`` (ISO 8601 with a UTC offset),
``direction`` (``in`` | ``out``), ``person_key`` (a salted hash: 32 to 128 hexadecimal digits,
never a name or a document number), ``citizenship`` (ISO 3166-1 alpha-3), ``mode`` (``car`` |
``bus`` | ``pedestrian`` | ``truck``), ``vehicle_key`` and ``group_key`` (hashed, optional).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from contingency.errors import Problem, problem

RECORD_COLUMNS = (
    "record_id",
    "checkpoint_id",
    "crossed_at",
    "direction",
    "person_key",
    "citizenship",
    "mode",
    "vehicle_key",
    "group_key",
)
HASHED = r"^[0-9a-f]{32,128}$"
"""What a salted key looks like: lower-case hexadecimal digits (a SHA-256 has 64)."""
UNHASHED = "does not look like a salted hash (32-128 lower-case hexadecimal digits)"

ALPHA3 = {"CN": "CHN", "KG": "KGZ", "RU": "RUS", "TM": "TKM", "UZ": "UZB", "KZ": "KAZ"}
"""ISO 3166-1 alpha-2 to alpha-3 for the neighbours of the bundled map pack."""


class CrossingRecord(BaseModel):
    """One crossing of one person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record_id: Annotated[str, Field(min_length=1, max_length=100)]
    checkpoint_id: Annotated[str, Field(min_length=1, max_length=100)]
    crossed_at: datetime
    direction: Literal["in", "out"]
    person_key: Annotated[str, Field(pattern=HASHED)]
    citizenship: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    mode: Literal["car", "bus", "pedestrian", "truck"]
    vehicle_key: Annotated[str, Field(pattern=HASHED)] | None = None
    group_key: Annotated[str, Field(pattern=HASHED)] | None = None

    @field_validator("crossed_at")
    @classmethod
    def _with_offset(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("give the time with its UTC offset, e.g. 2027-03-01T06:15:00+05:00")
        return v


def salted(salt: str, *parts: object) -> str:
    """The salted SHA-256 of ``parts`` (hexadecimal): how keys are made from identities."""
    text = "\x1f".join(str(p) for p in (salt, *parts))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_table(path: Path) -> pd.DataFrame:
    """A feed file (CSV or Parquet) with every cell as text, as written (empty cells empty)."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path).astype(str)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
"""A time's UTC offset at its end (``Z``, ``+05:00``, ``+0500``)."""


def times_with_offset(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``raw`` ISO 8601 texts as UTC times, and which of them are valid times that carry their
    UTC offset (a feed's times must: a bare time is ambiguous across posts' clocks)."""
    when = pd.to_datetime(raw, errors="coerce", utc=True, format="ISO8601")
    return when, when.notna() & raw.str.contains(OFFSET)


def missing_columns(shown: str, raw: pd.DataFrame, needed: Collection[str]) -> list[Problem]:
    """The header problem of a feed file that lacks any of the ``needed`` columns (none:
    an empty list); such a file's rows are all refused."""
    missing = [c for c in needed if c not in raw.columns]
    if not missing:
        return []
    return [problem(shown, "(header)", f"missing column(s): {', '.join(missing)}")]


def field_problems(
    shown: str,
    raw: pd.DataFrame,
    checks: Mapping[str, tuple[pd.Series, str]],
    *,
    hidden: Collection[str] = (),
) -> tuple[np.ndarray, list[Problem]]:
    """Which rows of a feed file pass every check, and a problem per failing field naming the
    file's line (``checks``: column -> (passes, why not)). Values of ``hidden`` columns are
    never quoted (refused keys may be names or document numbers)."""
    good = np.ones(len(raw), dtype=bool)
    out: list[Problem] = []
    for col, (check, why) in checks.items():
        ok = check.fillna(False).to_numpy(dtype=bool)
        for i in np.flatnonzero(~ok):
            value = "(refused: not shown)" if col in hidden else raw[col].iloc[i]
            out.append(problem(shown, f"line {i + 2}: {col}", why, value))
        good &= ok
    return good, out
