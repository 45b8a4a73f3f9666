"""One row of a case's ``observations.csv``: what was observed, where, when, and how sure.

Cells arrive as text; the row model checks each on its own (a band with ``low <= high``, ISO
dates in order, a source URL, the closed vocabularies). What needs the case's scenario and
reference data (the observable's name, its target, its unit) is checked in
:mod:`contingency.history.case`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contingency.domain import LaneMode

COLUMNS = (
    "observable",
    "target",
    "date_from",
    "date_to",
    "low",
    "high",
    "unit",
    "source",
    "reliability",
)
"""Required columns of ``observations.csv``, in the order a case writes them."""
OPTIONAL_COLUMNS = ("mode", "scope")
"""Optional columns: ``mode`` (default ``all``) and ``scope`` (default ``influx``)."""
ALL = "all"
"""The target (and the mode) that means the whole run."""

ObsMode = LaneMode | Literal["all"]
Scope = Literal["influx", "gross"]
"""``influx``: the displaced people only; ``gross``: ordinary travellers included, as most
published border counts are."""
Reliability = Literal["high", "medium", "low"]
MAX_VALUE = 1e12
_URL_PREFIXES = ("https://", "http://")


class Observation(BaseModel):
    """One observed band: ``low`` to ``high`` (equal for a single figure) of ``observable`` at
    ``target`` over the dates ``date_from`` to ``date_to`` (inclusive)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, str_strip_whitespace=True
    )

    observable: Annotated[str, Field(min_length=1, max_length=60)]
    target: Annotated[str, Field(min_length=1, max_length=80)]
    date_from: date
    date_to: date
    low: Annotated[float, Field(ge=0, le=MAX_VALUE)]
    high: Annotated[float, Field(ge=0, le=MAX_VALUE)]
    unit: Annotated[str, Field(min_length=1, max_length=40)]
    source: Annotated[str, Field(min_length=1, max_length=2000)]
    reliability: Reliability
    mode: ObsMode = "all"
    scope: Scope = "influx"
    line: int = 0
    """Line of ``observations.csv`` the row came from (1 is the header)."""

    @model_validator(mode="before")
    @classmethod
    def _empty_is_default(cls, data: Any) -> Any:
        """An empty optional cell takes its default; an empty required cell is missing."""
        if not isinstance(data, dict):
            return data
        return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}

    @field_validator("date_from", "date_to", mode="before")
    @classmethod
    def _iso_date(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                return date.fromisoformat(v.strip())
            except ValueError:
                raise ValueError("must be an ISO date YYYY-MM-DD") from None
        return v

    @field_validator("source")
    @classmethod
    def _urls(cls, v: str) -> str:
        """One URL, or several separated by spaces or ``;``."""
        parts = [p for p in v.replace(";", " ").split() if p]
        if not parts or not all(p.startswith(_URL_PREFIXES) and len(p) > 8 for p in parts):
            raise ValueError("must be a URL (http:// or https://), or several separated by ';'")
        return v

    @field_validator("high")
    @classmethod
    def _band(cls, v: float, info: ValidationInfo) -> float:
        low = info.data.get("low")
        if low is not None and v < low:
            raise ValueError(f"must not be below low ({low:g})")
        return v

    @field_validator("date_to")
    @classmethod
    def _dates(cls, v: date, info: ValidationInfo) -> date:
        first = info.data.get("date_from")
        if first is not None and v < first:
            raise ValueError(f"must not be before date_from ({first})")
        return v

    @property
    def days(self) -> int:
        """Calendar days the observation covers (inclusive)."""
        return (self.date_to - self.date_from).days + 1

    def hours_from(self, start: datetime) -> tuple[float, float]:
        """The observation's dates as hours from ``start``: [midnight of ``date_from``,
        midnight after ``date_to``), not clipped to any horizon."""
        t0 = datetime.combine(self.date_from, time()) - start
        t1 = datetime.combine(self.date_to + timedelta(days=1), time()) - start
        return t0.total_seconds() / 3600.0, t1.total_seconds() / 3600.0
