"""Types of temporary site a headquarters may open: ``maps/site_types.csv`` (or a map pack's own).

Each row is one kind of building or camp (a school, a sports hall, a sanatorium, a tent camp, a
modular town...) with its typical and smallest and largest places, the hours it takes to open,
the typical stay and intake, and the kind of centre it serves (``reception``,
``rehabilitation`` or ``transit``). Most figures are planning assumptions: ``assumption`` says
whether any figure of the row is, ``basis`` says how each was set and ``source`` where it was
found. A scenario's added centres may start from these figures.

The file is optional: a pack without it has no site types (an empty mapping).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, ValidationInfo, field_validator

from contingency.domain import CentreKind
from contingency.errors import Problem, ReferenceDataError, problem, pydantic_problems
from contingency.refdata.rows import CsvRow, NonNegative, Positive
from contingency.resources import MAPS_DIR

SITE_TYPES_FILE = "site_types.csv"
TRANSIT = "transit"
"""The short-stay centre kind (hours, not days) a site type may serve."""
SITE_KINDS = frozenset({*(k.value for k in CentreKind), TRANSIT})
"""The centre kinds a site type may serve: every :class:`~contingency.domain.CentreKind` and
``transit``."""
HOURS_PER_DAY = 24.0

Places = Annotated[int, Field(gt=0)]


class SiteType(CsvRow):
    """One row of ``site_types.csv``: a kind of temporary site and its typical figures."""

    type: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    """Id of the site type (``school``, ``sports_hall``...)."""
    name_ru: str
    name_kk: str
    name_en: str
    kind: str
    """The centre kind the site serves: a :class:`~contingency.domain.CentreKind` value or
    ``transit``."""
    places_typical: Places
    places_min: Places
    places_max: Places
    """Persons the site holds at once: typical, smallest and largest seen or assumed."""
    lead_time_h: NonNegative
    """Hours from the decision to open until the site takes its first people."""
    stay_days_typical: Positive
    """Typical stay in days (a fraction of a day for ``transit``)."""
    intake_per_hour_typical: Positive
    """Persons the site can register and take in per hour."""
    assumption: bool
    """True where any figure of the row is a planning assumption."""
    basis: str
    """How each figure was set."""
    source: str | None = None
    """Where the figures were found (URLs separated by spaces)."""

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        if v not in SITE_KINDS:
            raise ValueError(f"must be one of {', '.join(sorted(SITE_KINDS))}")
        return v

    @field_validator("places_max")
    @classmethod
    def _places_in_order(cls, v: int, info: ValidationInfo) -> int:
        low, typical = info.data.get("places_min"), info.data.get("places_typical")
        if low is not None and typical is not None and not low <= typical <= v:
            raise ValueError(
                "places_min <= places_typical <= places_max must hold "
                f"(places_min {low}, places_typical {typical})"
            )
        return v

    @property
    def stay_hours_typical(self) -> float:
        """The typical stay in hours (what a ``transit`` centre states as its stay)."""
        return self.stay_days_typical * HOURS_PER_DAY


def site_types_file(maps_dir: Path | None = None) -> Path:
    """The site types file of the pack in ``maps_dir`` (the bundled pack by default); it may
    not exist."""
    return (maps_dir or MAPS_DIR) / SITE_TYPES_FILE


def site_types(maps_dir: Path | None = None) -> dict[str, SiteType]:
    """The site types of the pack in ``maps_dir`` (the bundled pack by default), by ``type``,
    in file order; empty where the pack has no ``site_types.csv``.

    Raises
    ------
    ReferenceDataError
        Every bad cell or row of the file, one problem each, naming the file, line and field.
    """
    path = site_types_file(maps_dir)
    if not path.exists():
        return {}
    return dict(_read(path.resolve(), str(path)))


def _required_columns() -> list[str]:
    return [name for name, f in SiteType.model_fields.items() if f.is_required()]


@lru_cache(maxsize=8)
def _read(path: Path, shown: str) -> tuple[tuple[str, SiteType], ...]:
    problems: list[Problem] = []
    out: dict[str, SiteType] = {}
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            header = list(reader.fieldnames or [])
            missing = [c for c in _required_columns() if c not in header]
            problems.extend(problem(shown, c, "column is missing") for c in missing)
            if not missing:
                for line, cells in enumerate(reader, start=2):
                    _add_row(out, cells, line, shown, problems)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(problem(shown, "", f"cannot read CSV: {exc}"))
    if problems:
        raise ReferenceDataError(problems)
    return tuple(out.items())


def _add_row(
    out: dict[str, SiteType], cells: dict[str, str], line: int, shown: str, problems: list[Problem]
) -> None:
    where = f"line {line}"
    try:
        text = {k: "" if v is None else v for k, v in cells.items() if k is not None}
        row = SiteType.model_validate(text)
    except ValidationError as exc:
        problems.extend(pydantic_problems(shown, exc, prefix=where))
        return
    if row.type in out:
        problems.append(problem(shown, f"{where}: type", "listed twice", row.type))
    else:
        out[row.type] = row
