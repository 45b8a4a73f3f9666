"""What every matplotlib picture of the toolkit shares: the non-interactive Agg backend, DejaVu
Sans (shipped with matplotlib, with Cyrillic and Kazakh letters), TrueType text in PDF files so
it stays searchable, and text drawn literally.

The static map, the briefing and the stress sweep's envelope each build their own figures.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
    }
)


@contextlib.contextmanager
def literal_text() -> Iterator[None]:
    """Draw every text created inside as written: titles, markings and names are user and
    data text, and ``$`` must not switch matplotlib into mathtext (``$x$`` would render as
    math, an unbalanced or invalid formula would fail the whole export)."""
    with matplotlib.rc_context({"text.parse_math": False}):
        yield
