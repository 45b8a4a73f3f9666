"""A run saved as a plain folder (``run --out DIR``), written whole or not at all.

The folder may be new, empty, or an earlier run folder holding only files this toolkit writes
(see :mod:`contingency.store.folders`).
"""

from __future__ import annotations

import re
from pathlib import Path

from contingency.results import RUN_FILES, RUN_PACK, RUN_PACK_FILES, TABLES, RunResult
from contingency.store.folders import check_replaceable, write_folder

_TABLE_FILES = frozenset(f"{name}.parquet" for name in TABLES)
_PACK_FILES = frozenset({RUN_PACK, *(f"{RUN_PACK}/{name}" for name in RUN_PACK_FILES)})
_EXPORT_FILE = re.compile(
    r"exports/[a-z0-9_\-]+-(map|briefing|geojson|csv)-(peak|day\d+)-[a-z]{2}"
    r"\.(png|pdf|html|geojson|zip)"
)  # the default names of ``contingency.mapping.export.export``


def run_file(rel: str) -> bool:
    """Whether ``rel`` (a path inside a run folder) is one that saving or exporting writes."""
    return (
        rel in RUN_FILES
        or rel in _TABLE_FILES
        or rel in _PACK_FILES
        or rel == "exports"
        or _EXPORT_FILE.fullmatch(rel) is not None
    )


def check_run_folder(out_dir: str | Path) -> Path:
    """``out_dir`` made absolute, if :func:`save_run_folder` may write there: a new or empty
    folder, or an earlier run folder holding only files this toolkit writes.

    Raises
    ------
    OSError
        Naming the folder (``filename``) and why it is refused (``strerror``).
    """
    out = Path(out_dir).resolve()
    check_replaceable(out, owned=run_file, required=RUN_FILES)
    return out


def save_run_folder(result: RunResult, out_dir: str | Path) -> Path:
    """Write ``result`` into ``out_dir`` through a temporary folder beside it, renamed into
    place when complete: the folder holds a complete result or is as it was.

    ``out_dir`` may be new, an empty folder or an earlier run folder (see
    :func:`check_run_folder`); anything else raises :class:`OSError` and nothing is written.
    """
    out = check_run_folder(out_dir)
    return write_folder(out, result.write_files, owned=run_file, required=RUN_FILES)
