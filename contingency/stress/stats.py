"""Distributions over replications: per facility P50/P90/P95 of the peak and P(red)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def long_table(records: list[dict]) -> pd.DataFrame:
    """One row per replication and facility."""
    rows = [{"seed": r["seed"], **f} for r in records for f in r["facilities"]]
    return pd.DataFrame(
        rows, columns=["seed", "facility", "kind", "metric", "peak", "red", "red_person_hours"]
    )


def facility_stats(long: pd.DataFrame) -> pd.DataFrame:
    """Per facility: kind, metric, p50, p90, p95 of the peak, p_red, mean red person-hours."""
    if long.empty:
        return pd.DataFrame(
            columns=["facility", "kind", "metric", "p50", "p90", "p95", "p_red", "red_person_hours"]
        )
    g = long.groupby(["facility", "kind", "metric"], sort=False)
    out = g["peak"].quantile(np.array([0.5, 0.9, 0.95])).unstack()
    out.columns = ["p50", "p90", "p95"]
    out["p_red"] = g["red"].mean()
    out["red_person_hours"] = g["red_person_hours"].mean()
    out = out.reset_index()
    return out.sort_values(["p_red", "p95"], ascending=[False, False], kind="stable").reset_index(
        drop=True
    )


def totals(records: list[dict]) -> dict[str, float]:
    s = pd.Series([r["red_person_hours"] for r in records], dtype=float)
    if s.empty:
        return {"mean": 0.0, "p50": 0.0, "p90": 0.0, "p95": 0.0}
    return {
        "mean": float(s.mean()),
        "p50": float(s.quantile(0.5)),
        "p90": float(s.quantile(0.9)),
        "p95": float(s.quantile(0.95)),
    }
