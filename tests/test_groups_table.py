"""The per-group table (``groups.parquet``): the hourly checkpoint figures and the whole-run
persons-weighted p95 wait can be recomputed from it exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contingency import SCENARIOS_DIR
from contingency.results import TABLES, load_result, run_scenario
from contingency.scenario import Mode, load_scenario
from contingency.sim.engine import GROUP_FIELDS, weighted_p95


@pytest.fixture(scope="module")
def saved(tmp_path_factory, ref):
    """The smoke run saved and read back: (tables, summary, hours in the horizon)."""
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    out = tmp_path_factory.mktemp("runs") / "smoke"
    run_scenario(sc, ref).save(out)
    tables, summary = load_result(out)
    return tables, summary, sc.horizon_days * 24


def test_the_groups_table_is_stored_with_one_row_per_group(saved):
    tables, summary, _ = saved
    assert "groups" in TABLES
    groups = tables["groups"]
    assert list(groups.columns) == [
        "checkpoint",
        "mode",
        "arrive_h",
        "persons",
        *GROUP_FIELDS,
        "start_h",
        "service_h",
        "end_h",
        "turned_back",
        "far_start_h",
        "far_service_h",
        "far_end_h",
        "diverted_to",
        "diverted_from",
        "diverted_h",
    ]
    assert set(groups["mode"]) <= {m.value for m in Mode}
    assert (groups["persons"] > 0).all()
    who = groups[["to_reception", "to_rehabilitation", "self_arranged", "leaving"]].sum(axis=1)
    assert (who == groups["persons"]).all()  # everyone in a group goes exactly one way
    started = groups["start_h"].notna()
    assert (groups.loc[started, "start_h"] >= groups.loc[started, "arrive_h"]).all()
    assert groups.loc[~started, "end_h"].isna().all()
    entered = groups["far_end_h"].notna()  # passed the far side: reached our control
    assert (groups.loc[started, "far_end_h"] <= groups.loc[started, "start_h"]).all()
    persons = groups[entered].groupby("checkpoint")["persons"].sum()
    presented = groups[groups["diverted_from"] == ""].groupby("checkpoint")["persons"].sum()
    for cp, figures in summary["checkpoints"].items():
        assert persons.get(cp, 0) == figures["arrived"]
        assert presented.get(cp, 0) == figures["presented"]


def _hourly_from_groups(g: pd.DataFrame, n_hours: int) -> pd.DataFrame:
    """Arrived and processed per hour, queue at the end of each hour and the longest wait at
    our control, recomputed from one checkpoint's groups as the hourly table defines them (a
    group arrives at our control when its far-side service ends)."""
    hours = np.arange(1, n_hours + 1)
    arrive, persons = g["far_end_h"].to_numpy(), g["persons"].to_numpy()
    start, end = g["start_h"].to_numpy(), g["end_h"].to_numpy()
    started = ~np.isnan(start)
    rows = []
    for h in hours:
        in_hour = (arrive > h - 1) & (arrive <= h)
        done = started & (end > h - 1) & (end <= h)
        began = started & (np.ceil(start).clip(1, n_hours) == h)
        waiting = (arrive <= h) & ~(started & (start <= h))
        waits = [*(start[began] - arrive[began]), *(h - arrive[waiting])]
        rows.append(
            {
                "time_h": h,
                "arrived": int(persons[in_hour].sum()),
                "processed": int(persons[done].sum()),
                "queue_persons": int(persons[waiting].sum()),
                "wait_max_h": max(waits) if waits else 0.0,
            }
        )
    return pd.DataFrame(rows)


def test_hourly_checkpoint_figures_are_recomputed_exactly_from_the_groups(saved):
    tables, _, n_hours = saved
    hourly = tables["checkpoints_hourly"]
    groups = tables["groups"]
    for cp, g in groups.groupby("checkpoint", sort=False):
        mine = _hourly_from_groups(g, n_hours)
        theirs = hourly[hourly["checkpoint"] == cp].reset_index(drop=True)
        for col in ("arrived", "processed", "queue_persons"):
            assert mine[col].tolist() == theirs[col].tolist(), (cp, col)
        assert mine["wait_max_h"].tolist() == theirs["wait_max_h"].fillna(0.0).tolist(), cp


def _p95_by_hand(wait: np.ndarray, persons: np.ndarray) -> float:
    """The persons-weighted p95 as first written: the smallest wait at or below which 95 % of
    the persons lie."""
    if len(wait) == 0:
        return 0.0
    order = np.argsort(wait)
    cw = np.cumsum(persons.astype(float)[order])
    return float(wait[order][np.searchsorted(cw, 0.95 * cw[-1])])


def test_p95_wait_in_the_summary_is_the_persons_weighted_p95_of_the_groups(saved):
    tables, summary, n_hours = saved
    for cp, every in tables["groups"].groupby("checkpoint", sort=False):
        g = every[every["far_end_h"].notna()]  # the wait at our control, of those who came
        start = g["start_h"].to_numpy()
        wait = np.where(np.isnan(start), n_hours - g["far_end_h"], start - g["far_end_h"])
        persons = g["persons"].to_numpy()
        assert summary["checkpoints"][cp]["p95_wait_h"] == round(_p95_by_hand(wait, persons), 3)
        assert weighted_p95(wait, persons.astype(float)) == _p95_by_hand(wait, persons)


@given(
    st.lists(
        st.tuples(
            st.floats(0, 500, allow_nan=False, allow_subnormal=False), st.integers(1, 10_000)
        ),
        min_size=0,
        max_size=60,
    )
)
def test_numpy_weighted_quantile_matches_the_hand_written_p95(pairs):
    wait = np.array([w for w, _ in pairs], dtype=float)
    persons = np.array([p for _, p in pairs], dtype=np.int64)
    assert weighted_p95(wait, persons.astype(float)) == _p95_by_hand(wait, persons)
