"""Read and check a map pack: the CSV and GeoJSON files of ``maps/`` or of any folder with the
same files and columns (a scenario names one with ``maps: <folder>``).

Each CSV row is validated by its pydantic row model (:mod:`.rows`), with every problem
collected into one :class:`~contingency.errors.ReferenceDataError`, one line each
(``maps/checkpoints.csv: line 7: lat: input should be a valid number (got 'north')``, or the
pack's own file: ``scenarios/history/x/pack/checkpoints.csv: line 3: ...``); code after this
trusts the tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
from pydantic import ValidationError

from contingency.domain import LaneMode, Mode, ProcessingMinutes
from contingency.errors import Problem, ReferenceDataError, problem, pydantic_problems
from contingency.refdata.rows import (
    TABLES,
    CheckpointLaneRow,
    CheckpointProcessingRow,
    CsvRow,
)
from contingency.resources import MAPS_DIR

MODERNISED_CHECKPOINTS = 10
"""Checkpoints the bundled Kazakhstan pack marks modernised (checked for that pack only)."""
PACK_FILES = (
    *(f"{name}.csv" for name in TABLES),
    "regions.geojson",
)
"""The files every map pack holds (``SOURCES.md`` beside them says where they come from)."""


@dataclass(frozen=True)
class RefData:
    """The reference tables of one map pack, indexed by id. Coordinates are WGS 84 degrees.
    ``maps_dir`` is the pack's folder, resolved (absolute).

    ``lanes`` and ``processing`` hold the per-mode figures of each checkpoint
    (``maps/checkpoint_lanes.csv``, ``maps/checkpoint_processing.csv``).
    """

    maps_dir: Path
    regions: pd.DataFrame
    checkpoints: pd.DataFrame
    centres: pd.DataFrame
    road_nodes: pd.DataFrame
    road_edges: pd.DataFrame
    sphere: pd.DataFrame
    _geojson: dict[str, Any] = field(default_factory=dict, repr=False)
    lanes: dict[str, dict[LaneMode, int]] = field(default_factory=dict)
    """Checkpoint id -> lane mode -> lanes."""
    processing: dict[str, dict[Mode, ProcessingMinutes]] = field(default_factory=dict)
    """Checkpoint id -> mode -> processing minutes."""

    @property
    def is_bundled(self) -> bool:
        """True for the bundled Kazakhstan pack (``maps/``)."""
        return self.maps_dir == MAPS_DIR.resolve()

    @property
    def modernised_ids(self) -> list[str]:
        """The checkpoints marked modernised, in file order: the ten modernised road
        checkpoints in the bundled pack; a scenario that lists no checkpoints uses these."""
        return list(self.checkpoints.index[self.checkpoints["modernised"]])

    @property
    def regions_geojson(self) -> dict[str, Any]:
        return self._geojson

    def road_graph(self) -> nx.Graph:
        """Undirected road graph: nodes carry lat/lon, edges ``length_km``, ``speed_kmh``,
        ``travel_h`` and ``road_ref``. A fresh copy each call, free to modify."""
        g = nx.Graph()
        for nid, row in self.road_nodes.iterrows():
            g.add_node(nid, lat=row["lat"], lon=row["lon"], kind=row["kind"])
        e = self.road_edges
        for a, b, length_km, speed_kmh, road_ref in zip(
            e["from"], e["to"], e["length_km"], e["speed_kmh"], e["road_ref"], strict=True
        ):
            g.add_edge(
                a,
                b,
                length_km=length_km,
                speed_kmh=speed_kmh,
                travel_h=length_km / speed_kmh,
                road_ref=road_ref,
            )
        return g


# ---------------------------------------------------------------- reading one table
def _required_columns(model: type[CsvRow]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items() if f.is_required()]


def _read_rows(
    path: Path, name: str, problems: list[Problem], *, shown: Path
) -> tuple[list[CsvRow], list[str]]:
    """The valid rows of ``<pack>/<name>.csv`` and its header; a problem per bad cell, naming
    the file inside ``shown`` (the pack folder as the caller named it)."""
    model, _ = TABLES[name]
    file = str(shown / path.name)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        problems.append(problem(file, "", f"cannot read CSV: {exc}"))
        return [], []
    header = [str(c) for c in raw.columns]
    missing = [c for c in _required_columns(model) if c not in header]
    problems.extend(problem(file, c, "column is missing") for c in missing)
    if missing:
        return [], header
    rows = []
    for i, cells in enumerate(raw.to_dict(orient="records")):
        try:
            rows.append(model.model_validate(cells))
        except ValidationError as exc:
            problems.extend(pydantic_problems(file, exc, prefix=f"line {i + 2}"))
    return rows, header


def _frame(rows: list[CsvRow], header: list[str], key: str) -> pd.DataFrame:
    records = [r.model_dump(mode="json", by_alias=True) for r in rows]
    table = pd.DataFrame(records, columns=header) if records else pd.DataFrame(columns=header)
    return table.set_index(key, drop=False) if key else table


def _duplicates(file: str, table: pd.DataFrame, key: str) -> Iterator[Problem]:
    if key and table[key].duplicated().any():
        for dup in sorted(set(table.loc[table[key].duplicated(), key])):
            yield problem(file, key, "duplicate id", dup)


# ---------------------------------------------------------------- per-mode tables
def _lanes(
    rows: list[CheckpointLaneRow], file: str, problems: list[Problem]
) -> dict[str, dict[LaneMode, int]]:
    out: dict[str, dict[LaneMode, int]] = {}
    for r in rows:
        by_mode = out.setdefault(r.checkpoint_id, {})
        if r.mode in by_mode:
            problems.append(problem(file, f"{r.checkpoint_id}.{r.mode}", "listed twice"))
        by_mode[r.mode] = r.lanes
    return out


def _processing(
    rows: list[CheckpointProcessingRow], file: str, problems: list[Problem]
) -> dict[str, dict[Mode, ProcessingMinutes]]:
    out: dict[str, dict[Mode, ProcessingMinutes]] = {}
    for r in rows:
        by_mode = out.setdefault(r.checkpoint_id, {})
        if r.mode in by_mode:
            problems.append(problem(file, f"{r.checkpoint_id}.{r.mode}", "listed twice"))
        by_mode[r.mode] = ProcessingMinutes(r.min_per_vehicle or 0.0, r.min_per_person)
    return out


def _check_per_mode(ref: RefData, d: Path, problems: list[Problem]) -> None:
    """Every checkpoint has one row per mode in each per-mode table, and nothing else."""
    known = set(ref.checkpoints.index)
    tables: tuple[tuple[str, dict[str, Any], tuple[str, ...]], ...] = (
        ("checkpoint_lanes.csv", ref.lanes, tuple(LaneMode)),
        ("checkpoint_processing.csv", ref.processing, tuple(Mode)),
    )
    for name, table, modes in tables:
        file = str(d / name)
        for cp in sorted(set(table) - known):
            problems.append(problem(file, "checkpoint_id", "unknown checkpoint", cp))
        for cp in ref.checkpoints.index:
            for m in modes:
                if m not in table.get(cp, {}):
                    problems.append(problem(file, f"{cp}.{m}", "no row for this mode"))


# ---------------------------------------------------------------- cross-references
def _check_places(ref: RefData, d: Path, problems: list[Problem]) -> None:
    isos = set(ref.regions.index)
    nodes = set(ref.road_nodes.index)
    for table, file, iso_col in (
        (ref.checkpoints, "checkpoints.csv", "oblast_iso"),
        (ref.centres, "centres.csv", "region_iso"),
    ):
        for rid, row in table.iterrows():
            if row[iso_col] not in isos:
                problems.append(
                    problem(str(d / file), f"{rid}.{iso_col}", "unknown region", row[iso_col])
                )
            if row["node"] not in nodes:
                problems.append(
                    problem(str(d / file), f"{rid}.node", "unknown road node", row["node"])
                )
    for iso, row in ref.regions.iterrows():
        if row["centre_node"] not in nodes:
            problems.append(
                problem(
                    str(d / "regions.csv"),
                    f"{iso}.centre_node",
                    "unknown road node",
                    row["centre_node"],
                )
            )


def _cross_check(ref: RefData, d: Path, problems: list[Problem]) -> None:
    """Dangling ids between the tables; ``d`` is the pack folder as the caller named it."""
    _check_places(ref, d, problems)
    nodes = set(ref.road_nodes.index)
    for i, row in ref.road_edges.iterrows():
        for end in ("from", "to"):
            if row[end] not in nodes:
                problems.append(
                    problem(
                        str(d / "roads_edges.csv"),
                        f"line {int(str(i)) + 2}: {end}",
                        "unknown road node",
                        row[end],
                    )
                )
    _check_per_mode(ref, d, problems)
    n_mod = int(ref.checkpoints["modernised"].sum())
    if ref.is_bundled and n_mod != MODERNISED_CHECKPOINTS:
        problems.append(
            problem(
                str(d / "checkpoints.csv"),
                "modernised",
                f"exactly {MODERNISED_CHECKPOINTS} checkpoints must be marked modernised",
                n_mod,
            )
        )


def _read_geojson(path: Path, problems: list[Problem], *, shown: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        problems.append(problem(str(shown / path.name), "", f"cannot read GeoJSON: {exc}"))
        return {}
    return data


_CACHE: dict[Path, tuple[tuple[tuple[int, int], ...], RefData]] = {}
"""Resolved pack folder -> (the files' modification stamps, its reference data)."""


def _stamp(folder: Path) -> tuple[tuple[int, int], ...]:
    """Modification time and size of each pack file (a changed file is read again)."""
    out = []
    for name in PACK_FILES:
        try:
            st = (folder / name).stat()
        except OSError:
            out.append((-1, -1))
        else:
            out.append((st.st_mtime_ns, st.st_size))
    return tuple(out)


def load_refdata(maps_dir: str | Path | None = None) -> RefData:
    """Load and check the map pack in ``maps_dir`` (None: the bundled Kazakhstan pack,
    ``maps/``). Cached per resolved folder while its files stay unchanged.

    Problems name the pack's files as ``maps_dir`` names them
    (``scenarios/history/x/pack/checkpoints.csv: line 3: lat: ...``).

    Raises
    ------
    ReferenceDataError
        With one problem per bad cell, missing column, duplicate id or dangling reference,
        or one line when ``maps_dir`` is not a folder.
    """
    shown = MAPS_DIR if maps_dir is None else Path(maps_dir)
    folder = shown.resolve()
    if not folder.is_dir():
        raise ReferenceDataError([problem(str(shown), "", "no such map pack folder")])
    stamp = _stamp(folder)
    hit = _CACHE.get(folder)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    ref = _load(folder, shown)
    _CACHE[folder] = (stamp, ref)
    return ref


def _load(folder: Path, shown: Path) -> RefData:
    """Read and check every file of the pack in ``folder``; problems name ``shown``."""
    problems: list[Problem] = []
    rows: dict[str, list[Any]] = {}
    tables: dict[str, pd.DataFrame] = {}
    for name, (_, key) in TABLES.items():
        rows[name], header = _read_rows(folder / f"{name}.csv", name, problems, shown=shown)
        if key and key not in header:  # unreadable or headless: its problem is reported
            continue
        tables[name] = _frame(rows[name], header, key)
        problems.extend(_duplicates(str(shown / f"{name}.csv"), tables[name], key))
    lanes = _lanes(rows["checkpoint_lanes"], str(shown / "checkpoint_lanes.csv"), problems)
    processing = _processing(
        rows["checkpoint_processing"], str(shown / "checkpoint_processing.csv"), problems
    )
    geojson = _read_geojson(folder / "regions.geojson", problems, shown=shown)
    if problems:
        raise ReferenceDataError(problems)
    ref = RefData(
        maps_dir=folder,
        regions=tables["regions"],
        checkpoints=tables["checkpoints"],
        centres=tables["centres"],
        road_nodes=tables["roads_nodes"],
        road_edges=tables["roads_edges"],
        sphere=tables["sphere"],
        _geojson=geojson,
        lanes=lanes,
        processing=processing,
    )
    _cross_check(ref, shown, problems)
    if problems:
        raise ReferenceDataError(problems)
    return ref
