"""Status against a green/amber/red threshold pair and its colours, shared by every layer."""

from __future__ import annotations

import math

COLOURS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", "none": "#9e9e9e"}
CLOSED_FILL = "#263238"
"""A closed checkpoint's disc: dark, with a white ✕ on it, whatever its wait."""
_STATUS_RANK = {"none": 0, "green": 1, "amber": 2, "red": 3}


def status(value: float | None, amber: float, red: float) -> str:
    """``red`` above ``red``, ``amber`` above ``amber``, else ``green``; ``none`` without a
    value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    return "red" if value > red else "amber" if value > amber else "green"


def worse(a: str, b: str) -> str:
    """The worse of two statuses (red over amber over green over none)."""
    return a if _STATUS_RANK[a] >= _STATUS_RANK[b] else b
