"""The result of one run: tidy tables plus ``summary.json``; save and load.

``summary.json`` keys are a contract read by later tooling: add keys, never rename them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from contingency.metrics.gaps import centre_load, centre_present, find_gaps, unmet_gaps
from contingency.metrics.needs import daily_needs, peak_needs
from contingency.refdata import RefData
from contingency.scenario import Scenario, dump_scenario
from contingency.sim.engine import LEDGER_FIELDS, simulate
from contingency.store.folders import check_replaceable, write_folder

if TYPE_CHECKING:
    from contingency.store import RunStore

TABLES = (
    "checkpoints_hourly",
    "centres_hourly",
    "ledger_hourly",
    "needs_daily",
    "flows_daily",
    "corridors_daily",
    "regions",
    "unmet_daily",
)
TOP_CORRIDORS = 15
RUN_FILES = ("scenario.yaml", "summary.json")
"""Files every saved run has: a folder holding them and nothing foreign is an earlier run."""
_EXPORT_FILE = re.compile(
    r"exports/[a-z0-9_\-]+-(map|briefing|geojson|csv)-(peak|day\d+)-[a-z]{2}"
    r"\.(png|pdf|html|geojson|zip)"
)  # the default names of ``contingency.mapping.export.export``


def _run_file(rel: str) -> bool:
    """Whether ``rel`` (a path inside a run folder) is one that saving or exporting writes."""
    return (
        rel in RUN_FILES
        or rel in {f"{name}.parquet" for name in TABLES}
        or rel == "exports"
        or _EXPORT_FILE.fullmatch(rel) is not None
    )


def check_run_folder(out_dir: str | Path) -> Path:
    """``out_dir`` made absolute, if :meth:`RunResult.save` may write there: a new or empty
    folder, or an earlier run folder holding only files this toolkit writes.

    Raises
    ------
    OSError
        Naming the folder (``filename``) and why it is refused (``strerror``).
    """
    out = Path(out_dir).resolve()
    check_replaceable(out, owned=_run_file, required=RUN_FILES)
    return out


def write_run_files(
    folder: Path, tables: dict[str, pd.DataFrame], scenario: Scenario, summary: dict
) -> None:
    """The files of any stored run: one Parquet file per table, the scenario, the summary."""
    for name, df in tables.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
    (folder / "scenario.yaml").write_text(dump_scenario(scenario), encoding="utf-8")
    (folder / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )


@dataclass(frozen=True)
class RunResult:
    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    summary: dict

    def write_files(self, folder: Path) -> None:
        """Write tables (Parquet), ``summary.json`` and ``scenario.yaml`` into ``folder``."""
        write_run_files(folder, self.tables, self.scenario, self.summary)

    def save(self, out_dir: str | Path) -> Path:
        """Write the run into ``out_dir`` through a temporary folder beside it, renamed into
        place when complete: the folder holds a complete result or is as it was.

        ``out_dir`` may be new, an empty folder or an earlier run folder (see
        :func:`check_run_folder`); anything else raises :class:`OSError` and nothing is written.
        """
        out = check_run_folder(out_dir)
        return write_folder(out, self.write_files, owned=_run_file, required=RUN_FILES)

    def store(
        self, runs_dir: str | Path | RunStore | None = None, *, note: str | None = None
    ) -> Path:
        """Save into the run store (a :class:`RunStore`, ``runs_dir`` or the default) and index
        it; return the folder."""
        from contingency.store import RunStore

        store = runs_dir if isinstance(runs_dir, RunStore) else RunStore(runs_dir)
        stored = store.save(
            self.write_files,
            scenario=self.scenario.name,
            seed=self.scenario.seed,
            summary=self.summary,
            note=note,
        )
        return stored.path


def load_result(run_dir: str | Path) -> tuple[dict[str, pd.DataFrame], dict]:
    """Tables and summary of a saved run."""
    run_dir = Path(run_dir)
    tables = {
        n: pd.read_parquet(run_dir / f"{n}.parquet")
        for n in TABLES
        if (run_dir / f"{n}.parquet").exists()
    }
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    summary.setdefault("run_id", run_dir.name)
    return tables, summary


def _centre_place(ref: RefData, cid: str, node: str) -> tuple[float, float, str, str]:
    if cid in ref.centres.index:
        row = ref.centres.loc[cid]
        return float(row["lat"]), float(row["lon"]), row["name_ru"], row["name_en"]
    row = ref.road_nodes.loc[node]  # a mobile unit opened by an inject
    return (
        float(row["lat"]),
        float(row["lon"]),
        f"Мобильный пункт приёма: {row['name_ru'] or row['name_en']}",
        f"Mobile reception unit: {row['name_en']}",
    )


def _none_if_nan(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def run_scenario(
    sc: Scenario,
    ref: RefData,
    *,
    seed: int | None = None,
    progress: bool = False,
    on_progress: Callable[[float], None] | None = None,
) -> RunResult:
    """Simulate ``sc`` (with ``seed`` in place of the scenario's own, if given) and summarise."""
    if seed is not None:
        sc = sc.model_copy(update={"seed": seed})
    out = simulate(sc, ref, progress=progress, on_progress=on_progress)
    needs = daily_needs(out.centres, out.transported, ref.sphere, bus_seats=sc.transport.bus_seats)
    last = out.ledger.iloc[-1]
    cp_sum = {}
    waits = out.waits.set_index("checkpoint")
    for cp, t in out.checkpoints.groupby("checkpoint", sort=False):
        cp_sum[cp] = {
            "arrived": int(t["arrived"].sum()),
            "processed": int(t["processed"].sum()),
            "max_wait_h": round(float(waits.at[cp, "max_wait_h"]), 3),
            "p95_wait_h": round(float(waits.at[cp, "p95_wait_h"]), 3),
            "max_queue_persons": int(t["queue_persons"].max()),
            "max_held_beyond_border": int(t["held_beyond_border"].max()),
        }
    centres = {}
    load = centre_load(out.centres)
    for cid, t in out.centres.groupby("centre", sort=False):
        present = centre_present(t)
        over_hours = t.loc[t["overflow"] > 0, "time_h"]
        lat, lon, name_ru, name_en = _centre_place(ref, cid, t["node"].iloc[0])
        centres[cid] = {
            "kind": t["kind"].iloc[0],
            "name_ru": name_ru,
            "name_en": name_en,
            "node": t["node"].iloc[0],
            "lat": lat,
            "lon": lon,
            "region": t["region"].iloc[0],
            "capacity": int(t["capacity"].iloc[-1]),
            "peak_occupancy": int(present.max()),
            "peak_in_beds": int(t["occupancy"].max()),
            "peak_load": _none_if_nan(round(float(load.loc[t.index].max()), 3)),
            "overflow_person_days": round(float(t["overflow"].sum()) / 24.0, 1),
            "first_overflow_day": int((over_hours.iloc[0] - 1) // 24 + 1)
            if len(over_hours)
            else None,
        }
    regions = {
        row.region: {
            "allocated": int(row.allocated),
            "capacity": int(row.capacity),
            "remaining": int(row.remaining),
            "gap": int(max(0, row.preferred - row.capacity)),
            "priority": bool(row.priority),
        }
        for row in out.regions.itertuples()
    }
    top = (
        out.corridors.groupby(["from", "to", "road_ref"], as_index=False)["persons"]
        .sum()
        .sort_values(["persons", "from", "to"], ascending=[False, True, True])
        .head(TOP_CORRIDORS)
    )
    corridors = [
        {"from": r["from"], "to": r["to"], "road_ref": r["road_ref"], "persons": int(r["persons"])}
        for _, r in top.iterrows()
    ]
    gaps = find_gaps(out.checkpoints, out.centres, sc.thresholds, sc.start)
    gaps += unmet_gaps(out.unmet, out.centres, sc.start)
    gaps.sort(key=lambda g: (g["severity"] != "red", g["first_h"], g["facility"]))
    summary = {
        "scenario": sc.name,
        "seed": sc.seed,
        "start": sc.start.isoformat(),
        "horizon_days": sc.horizon_days,
        "ledger": {k: int(last[k]) for k in LEDGER_FIELDS},
        "checkpoints": cp_sum,
        "centres": centres,
        "gaps": gaps,
        "regions": regions,
        "corridors": corridors,
        "unreachable_regions": sorted({(u.origin, u.region) for u in out.unreachable.itertuples()}),
        "thresholds": sc.thresholds.model_dump(),
        "needs": peak_needs(needs, "centre"),
        "needs_by_region": peak_needs(needs, "region"),
    }
    tables = {
        "checkpoints_hourly": out.checkpoints,
        "centres_hourly": out.centres,
        "ledger_hourly": out.ledger,
        "needs_daily": needs,
        "flows_daily": out.flows,
        "corridors_daily": out.corridors,
        "regions": out.regions,
        "unmet_daily": out.unmet,
    }
    return RunResult(sc, tables, summary)
