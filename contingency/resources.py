"""Files that ship inside the package, found with :mod:`importlib.resources`: the reference
data (``maps/``), the bundled scenarios (``scenarios/``) and the vendored Leaflet
(``static/vendor/leaflet/``).

In a source checkout those folders stay at the top of the project, where people edit them, and
``contingency/data/`` holds relative links to them (``data/maps -> ../../maps``); building a
wheel copies the files the links point to into the package. An installed package and a
checkout therefore read the same files through the same names.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SCENARIO_SUFFIX = ".yaml"
DEFAULT_SCENARIO_NAME = "south_conflict"
"""The board's default scenario."""


def _data_dir(name: str) -> Path:
    """The folder ``contingency/data/<name>`` on disk (links resolved)."""
    folder = files("contingency") / "data" / name
    if not isinstance(folder, Path):  # a zip import: the data must be real files
        raise RuntimeError(f"contingency/data/{name}: the package must be installed as files")
    return folder.resolve()


PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The source checkout the package runs from (``app.py`` and ``.streamlit/`` live there); in an
installed package, the folder that holds it."""
MAPS_DIR = _data_dir("maps")
SCENARIOS_DIR = _data_dir("scenarios")
HISTORY_DIR = SCENARIOS_DIR / "history"
"""Cases of past influxes (``scenarios/history/<case>/``), replayed by ``contingency replay``."""
LEAFLET_DIR = _data_dir("leaflet")
DEFAULT_SCENARIO = SCENARIOS_DIR / f"{DEFAULT_SCENARIO_NAME}{SCENARIO_SUFFIX}"
SCHEMA_FILE_NAME = "scenario.schema.json"
"""The JSON Schema of a scenario, published beside the bundled scenarios."""


def bundled_scenarios() -> list[Path]:
    """Every bundled scenario file, sorted by name."""
    return sorted(SCENARIOS_DIR.glob(f"*{SCENARIO_SUFFIX}"))


def bundled_scenario(name: str) -> Path | None:
    """The bundled scenario called ``name`` (``smoke`` or ``smoke.yaml``), or None when there is
    none. Only a bare file name is looked up, never a path."""
    stem = name.removesuffix(SCENARIO_SUFFIX)
    if not stem or stem.startswith(".") or Path(stem).name != stem:
        return None
    path = SCENARIOS_DIR / f"{stem}{SCENARIO_SUFFIX}"
    return path if path.is_file() else None


def scenario_path(given: Path) -> Path:
    """A scenario argument as a file: ``given`` when it is a file, else the bundled scenario of
    that name, else ``given`` unchanged (the loader then reports it missing)."""
    if given.is_file():
        return given
    return bundled_scenario(str(given)) or given
