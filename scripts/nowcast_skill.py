"""Skill of the nowcast on simulated feeds, where the truth is known.

For each scenario: run it (the truth), write the feed that run would have produced, then at
several ``now`` points nowcast from the feed and check whether the truth lies inside the
P10-P90 band 24, 48 and 72 hours ahead, for checkpoint waits (``wait_max_h``, our control) and
centre loads (people per bed). Coverage is the share of facility-hours inside the band; a
well-calibrated band holds about 80 %. "Active" counts only facility-hours where the truth or
the band is above 0 (an idle facility is trivially inside a band of zeros).

    .venv/bin/python scripts/nowcast_skill.py --replications 20 --workers 2
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd

from contingency.feed.simulate import scenario_clock, simulate_feed
from contingency.metrics.gaps import centre_load
from contingency.nowcast.observe import observe
from contingency.nowcast.run import run_nowcast
from contingency.resources import SCENARIOS_DIR
from contingency.results import run_scenario
from contingency.scenario import load_scenario_with_ref
from contingency.stress.runner import dask_client

LEADS_H = (24, 48, 72)
NOW_DAYS = {"south_conflict": (3, 6, 10, 15), "exercise_crossings": (1, 2, 3, 4)}


def _truth(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The true run's checkpoint waits and centre loads: facility, time_h, metric, value."""
    cp = tables["checkpoints_hourly"]
    ce = tables["centres_hourly"]
    return pd.concat(
        [
            pd.DataFrame({"facility": cp["checkpoint"], "time_h": cp["time_h"],
                          "metric": "wait_max_h", "value": cp["wait_max_h"].fillna(0.0)}),
            pd.DataFrame({"facility": ce["centre"], "time_h": ce["time_h"],
                          "metric": "load", "value": centre_load(ce)}),
        ],
        ignore_index=True,
    )  # fmt: skip


def _scored(forecast: pd.DataFrame, truth: pd.DataFrame, now_h: int) -> pd.DataFrame:
    rows = forecast[~forecast["observed"] & forecast["metric"].isin(["wait_max_h", "load"])]
    rows = rows[rows["time_h"].isin([now_h + lead for lead in LEADS_H])]
    both = rows.merge(truth, on=["facility", "time_h", "metric"])
    inside = (both["p10"] <= both["value"] + 1e-9) & (both["value"] <= both["p90"] + 1e-9)
    active = (both["value"] > 0) | (both["p90"] > 0)
    return both.assign(lead_h=both["time_h"] - now_h, inside=inside, active=active)


def skill(name: str, *, replications: int, client, work: Path) -> pd.DataFrame:
    """Every scored facility-hour of ``name``'s nowcasts."""
    sc, ref = load_scenario_with_ref(SCENARIOS_DIR / f"{name}.yaml")
    truth_run = run_scenario(sc, ref)
    truth_run.save(work / name / "run")
    simulate_feed(work / name / "run", work / name / "feed")
    truth = _truth(truth_run.tables)
    start = scenario_clock(sc)
    parts = []
    for day in NOW_DAYS[name]:
        now_h = 24 * day + 12
        seen = observe(work / name / "feed", sc, ref, start=start, now_h=now_h)
        nc = run_nowcast(sc, seen, start=start, replications=replications, horizon_h=72,
                         client=client, progress=True)  # fmt: skip
        parts.append(_scored(nc.forecast, truth, now_h).assign(scenario=name, now_h=now_h))
    return pd.concat(parts, ignore_index=True)


def coverage_table(scored: pd.DataFrame) -> pd.DataFrame:
    """Coverage per scenario, metric and lead: all facility-hours and the active ones."""

    def one(t: pd.DataFrame) -> pd.Series:
        a = t[t["active"]]
        return pd.Series(
            {
                "n": len(t),
                "coverage": t["inside"].mean(),
                "n_active": len(a),
                "coverage_active": a["inside"].mean() if len(a) else float("nan"),
                "truth_below_p10": (a["value"] < a["p10"]).mean() if len(a) else float("nan"),
            }
        )

    keys = ["scenario", "metric", "lead_h"]
    return scored.groupby(keys).apply(one, include_groups=False).reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenarios", nargs="+", default=list(NOW_DAYS))
    parser.add_argument("--csv", type=Path, help="Also write every scored facility-hour here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, dask_client(workers=args.workers) as client:
        scored = pd.concat(
            [skill(n, replications=args.replications, client=client, work=Path(tmp))
             for n in args.scenarios],
            ignore_index=True,
        )  # fmt: skip
    if args.csv:
        scored.to_csv(args.csv, index=False)
    table = coverage_table(scored)
    print(table.round(3).to_string(index=False))
    totals = scored.groupby("lead_h")[["inside"]].mean()
    active = scored[scored["active"]].groupby("lead_h")["inside"].agg(["mean", "size"])
    print(totals.join(active).round(3).to_string())


if __name__ == "__main__":
    main()
