"""The result of one run: tidy tables plus ``summary.json``, and how both are built and read.

``summary.json`` keys are a contract read by later tooling: add keys, never rename them (their
shape is :class:`contingency.summary.RunSummary`). Saving a result into a folder or the run
store belongs to :mod:`contingency.store`.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import pandas as pd

from contingency.errors import LedgerError
from contingency.ledger import LEDGER_FIELDS, Ledger
from contingency.metrics.gaps import (
    Gap,
    centre_load,
    centre_present,
    find_gaps,
    gap_order,
    unmet_gaps,
)
from contingency.metrics.needs import daily_needs, peak_needs
from contingency.refdata import PACK_FILES, RefData
from contingency.scenario import Scenario, dump_scenario
from contingency.scenario.sites import with_scenario_places
from contingency.sim.engine import SimOutput, simulate
from contingency.summary import (
    BaselineTraffic,
    CentreSummary,
    CheckpointSummary,
    Corridor,
    Demand,
    Internal,
    RegionSummary,
    RunSummary,
)

if TYPE_CHECKING:
    from contingency.store import RunStore

__all__ = [
    "LEDGER_FIELDS",
    "TABLES",
    "RunResult",
    "RunSummary",
    "final_ledger",
    "load_result",
    "run_demand",
    "run_scenario",
    "summarise",
    "write_run_files",
]

TABLES = (
    "checkpoints_hourly",
    "centres_hourly",
    "ledger_hourly",
    "needs_daily",
    "flows_daily",
    "corridors_daily",
    "regions",
    "unmet_daily",
    "groups",
    "registration_hourly",
)
"""The tables of a run, each saved as ``NAME.parquet``."""
_ZSTD_TABLES = frozenset({"groups"})
"""Tables stored with zstd, which pays for large ones (the groups table: ~40 bytes a group)."""
TOP_CORRIDORS = 15
RUN_FILES = ("scenario.yaml", "summary.json")
RUN_PACK = "pack"
"""Where a run keeps a copy of the map pack its scenario named, so it stays drawable."""
RUN_PACK_FILES = (*PACK_FILES, "SOURCES.md", "vehicles.csv", "site_types.csv")
"""Files every saved run has: a folder holding them and nothing foreign is an earlier run."""


def write_run_files(
    folder: Path,
    tables: Mapping[str, pd.DataFrame],
    scenario: Scenario,
    summary: Mapping[str, object],
) -> None:
    """The files of any stored run: one Parquet file per table, the scenario, the summary."""
    for name, df in tables.items():
        compression: Literal["zstd", "snappy"] = "zstd" if name in _ZSTD_TABLES else "snappy"
        df.to_parquet(folder / f"{name}.parquet", index=False, compression=compression)
    (folder / "scenario.yaml").write_text(dump_scenario(scenario), encoding="utf-8")
    if scenario.maps is not None:  # a foreign pack travels with the run
        _copy_pack(Path(scenario.maps), folder / RUN_PACK)
    (folder / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )


def _copy_pack(pack: Path, dest: Path) -> None:
    dest.mkdir()
    for name in RUN_PACK_FILES:
        if (pack / name).is_file():
            shutil.copyfile(pack / name, dest / name)


@dataclass(frozen=True)
class RunResult:
    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    summary: RunSummary

    def write_files(self, folder: Path) -> None:
        """Write tables (Parquet), ``summary.json`` and ``scenario.yaml`` into ``folder``."""
        write_run_files(folder, self.tables, self.scenario, self.summary)

    def save(self, out_dir: str | Path) -> Path:
        """Same as :func:`contingency.store.run_folder.save_run_folder` (``self``, ``out_dir``)."""
        from contingency.store.run_folder import save_run_folder

        return save_run_folder(self, out_dir)

    def store(
        self, runs_dir: str | Path | RunStore | None = None, *, note: str | None = None
    ) -> Path:
        """Same as :meth:`contingency.store.RunStore.save_result`, in the store ``runs_dir`` (a
        :class:`RunStore`, a folder or the default); return the run's folder."""
        from contingency.store import RunStore

        store = runs_dir if isinstance(runs_dir, RunStore) else RunStore(runs_dir)
        return store.save_result(self, note=note).path


def check_run_folder(out_dir: str | Path) -> Path:
    """Same as :func:`contingency.store.run_folder.check_run_folder`."""
    from contingency.store.run_folder import check_run_folder as check

    return check(out_dir)


def load_result(run_dir: str | Path) -> tuple[dict[str, pd.DataFrame], RunSummary]:
    """Tables and summary of a saved run."""
    run_dir = Path(run_dir)
    tables = {
        n: pd.read_parquet(run_dir / f"{n}.parquet")
        for n in TABLES
        if (run_dir / f"{n}.parquet").exists()
    }
    summary = cast(RunSummary, json.loads((run_dir / "summary.json").read_text(encoding="utf-8")))
    summary.setdefault("run_id", run_dir.name)
    return tables, summary


def run_scenario(
    sc: Scenario,
    ref: RefData,
    *,
    seed: int | None = None,
    progress: bool = False,
    on_progress: Callable[[float], object] | None = None,
    settle: bool = True,
) -> RunResult:
    """Simulate ``sc`` (with ``seed`` in place of the scenario's own, if given) and summarise
    (``settle``: see :func:`~contingency.sim.engine.simulate`)."""
    if seed is not None:
        sc = sc.model_copy(update={"seed": seed})
    ref = with_scenario_places(sc, ref)  # the crossings and sites the scenario brings
    out = simulate(sc, ref, progress=progress, on_progress=on_progress, settle=settle)
    needs = daily_needs(out.centres, out.transported, ref.sphere, bus_seats=sc.transport.bus_seats)
    tables = {
        "checkpoints_hourly": out.checkpoints,
        "centres_hourly": out.centres,
        "ledger_hourly": out.ledger,
        "needs_daily": needs,
        "flows_daily": out.flows,
        "corridors_daily": out.corridors,
        "regions": out.regions,
        "unmet_daily": out.unmet,
        "groups": out.groups,
        "registration_hourly": out.registration,
    }
    return RunResult(sc, tables, summarise(sc, ref, out, needs=needs))


def summarise(sc: Scenario, ref: RefData, out: SimOutput, *, needs: pd.DataFrame) -> RunSummary:
    """The ``summary.json`` of a simulated run (``needs``: the ``needs_daily`` table)."""
    ledger = final_ledger(out)
    return RunSummary(
        scenario=sc.name,
        seed=sc.seed,
        start=sc.start.isoformat(),
        horizon_days=sc.horizon_days,
        ledger=ledger,
        demand=run_demand(out, ledger),
        baseline=BaselineTraffic(
            inbound=int(out.waits["baseline_inbound"].sum()),
            outbound=int(out.waits["baseline_outbound"].sum()),
            trucks=int(out.waits["baseline_trucks"].sum()),
        ),
        checkpoints=_checkpoint_summaries(out),
        centres=_centre_summaries(out, ref),
        gaps=_gaps(sc, out),
        regions=_region_summaries(out),
        corridors=_top_corridors(out),
        unreachable_regions=sorted(
            {
                (str(o), str(r))
                for o, r in zip(out.unreachable["origin"], out.unreachable["region"], strict=True)
            }
        ),
        thresholds=sc.thresholds.model_dump(),
        needs=peak_needs(needs, "centre"),
        needs_by_region=peak_needs(needs, "region"),
        internal=Internal(
            displaced=int(out.internal.get("displaced", 0)),
            entered_reception=int(out.internal.get("entered_reception", 0)),
        ),
        left_via={str(k): int(v) for k, v in sorted(out.left_via.items())},
    )


def final_ledger(out: SimOutput) -> Ledger:
    """The ledger at the end of the run."""
    last = out.ledger.iloc[-1]
    return cast(Ledger, {k: int(last[k]) for k in LEDGER_FIELDS})


def run_demand(out: SimOutput, ledger: Ledger) -> Demand:
    """The influx's persons over the run, summed over the checkpoints.

    Raises
    ------
    LedgerError
        If presented persons are not entered + turned back + still beyond the border, or the
        persons entered are not the ledger's ``arrived``.
    """
    w = out.waits
    demand = Demand(
        presented=int(w["presented"].sum()),
        entered=int(w["entered"].sum()),
        turned_back=int(w["turned_back"].sum()),
        still_beyond_border=int(w["still_beyond_border"].sum()),
    )
    parts = demand["entered"] + demand["turned_back"] + demand["still_beyond_border"]
    internal = int(out.internal.get("displaced", 0))  # in the ledger, never at a border
    if parts != demand["presented"] or demand["entered"] + internal != ledger["arrived"]:
        raise LedgerError(f"demand does not balance: {demand}, ledger arrived {ledger['arrived']}")
    return demand


def _checkpoint_summaries(out: SimOutput) -> dict[str, CheckpointSummary]:
    waits = out.waits.set_index("checkpoint").to_dict("index")
    return {
        str(cp): _checkpoint_summary(t, waits[cp])
        for cp, t in out.checkpoints.groupby("checkpoint", sort=False)
    }


def _checkpoint_summary(t: pd.DataFrame, whole: Mapping[Any, Any]) -> CheckpointSummary:
    """One checkpoint's figures from its hourly rows ``t`` and its whole-run row ``whole``."""
    near_longer = t["queue_km"].max() >= t["far_queue_km"].max()
    return CheckpointSummary(
        arrived=int(t["arrived"].sum()),
        processed=int(t["processed"].sum()),
        max_wait_h=round(float(whole["max_wait_h"]), 3),
        p95_wait_h=round(float(whole["p95_wait_h"]), 3),
        max_queue_persons=int(t["queue_persons"].max()),
        max_held_beyond_border=int(t["held_beyond_border"].max()),
        far_side_max_wait_h=round(float(whole["far_max_wait_h"]), 3),
        far_side_p95_wait_h=round(float(whole["far_p95_wait_h"]), 3),
        far_side_max_queue_persons=int(t["far_queue_persons"].max()),
        max_queue_vehicles=int(t["queue_vehicles" if near_longer else "far_queue_vehicles"].max()),
        max_queue_km=round(float(max(t["queue_km"].max(), t["far_queue_km"].max())), 3),
        presented=int(whole["presented"]),
        turned_back=int(whole["turned_back"]),
        still_beyond_border=int(whole["still_beyond_border"]),
        baseline_persons=int(whole["baseline_inbound"] + whole["baseline_outbound"]),
        diverted_in=int(whole["diverted_in"]),
        diverted_out=int(whole["diverted_out"]),
    )


def _record(table: pd.DataFrame, key: str) -> dict[Any, Any]:
    """The row ``key`` of ``table`` as a dict of column -> value."""
    return table.loc[[key]].to_dict("records")[0]


def _centre_place(ref: RefData, cid: str, node: str) -> tuple[float, float, str, str]:
    if cid in ref.centres.index:
        row = _record(ref.centres, cid)
        return float(row["lat"]), float(row["lon"]), str(row["name_ru"]), str(row["name_en"])
    row = _record(ref.road_nodes, node)  # a mobile unit opened by an inject
    return (
        float(row["lat"]),
        float(row["lon"]),
        f"Мобильный пункт приёма: {row['name_ru'] or row['name_en']}",
        f"Mobile reception unit: {row['name_en']}",
    )


def _none_if_nan(x: float) -> float | None:
    return None if math.isnan(x) else x


def _centre_summaries(out: SimOutput, ref: RefData) -> dict[str, CentreSummary]:
    centres: dict[str, CentreSummary] = {}
    load = centre_load(out.centres)
    for cid, t in out.centres.groupby("centre", sort=False):
        present = centre_present(t)
        over_hours = t.loc[t["overflow"] > 0, "time_h"]
        node = str(t["node"].iloc[0])
        lat, lon, name_ru, name_en = _centre_place(ref, str(cid), node)
        centres[str(cid)] = CentreSummary(
            kind=str(t["kind"].iloc[0]),
            name_ru=name_ru,
            name_en=name_en,
            node=node,
            lat=lat,
            lon=lon,
            region=str(t["region"].iloc[0]),
            capacity=int(t["capacity"].iloc[-1]),
            peak_occupancy=int(present.max()),
            peak_in_beds=int(t["occupancy"].max()),
            peak_load=_none_if_nan(round(float(load.loc[t.index].max()), 3)),
            overflow_person_days=round(float(t["overflow"].sum()) / 24.0, 1),
            first_overflow_day=int((over_hours.to_numpy()[0] - 1) // 24 + 1)
            if len(over_hours)
            else None,
            turnover_persons=int(t["turnover"].iloc[-1]) if "turnover" in t else 0,
        )
    return centres


def _region_summaries(out: SimOutput) -> dict[str, RegionSummary]:
    return {
        str(row["region"]): RegionSummary(
            allocated=int(row["allocated"]),
            capacity=int(row["capacity"]),
            remaining=int(row["remaining"]),
            gap=int(max(0, row["preferred"] - row["capacity"])),
            priority=bool(row["priority"]),
            self_transport=int(row.get("self_transport", 0)),
        )
        for row in out.regions.to_dict("records")
    }


def _top_corridors(out: SimOutput) -> list[Corridor]:
    top = (
        out.corridors.groupby(["from", "to", "road_ref"], as_index=False)[["persons"]]
        .sum()
        .sort_values(["persons", "from", "to"], ascending=[False, True, True])
        .head(TOP_CORRIDORS)
    )
    return [
        {"from": r["from"], "to": r["to"], "road_ref": r["road_ref"], "persons": int(r["persons"])}
        for _, r in top.iterrows()
    ]


def _gaps(sc: Scenario, out: SimOutput) -> list[Gap]:
    gaps = find_gaps(out.checkpoints, out.centres, sc.thresholds, sc.start)
    gaps += unmet_gaps(out.unmet, out.centres, sc.start)
    return sorted(gaps, key=gap_order)
