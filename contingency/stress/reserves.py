"""Reserve recommendation: rank candidate reserves by red-gap person-hours removed per unit
cost, and build a package within a budget by greedy selection with re-simulation (each step
re-runs the package with every remaining candidate, on the same seeds, so the gains account
for what the package already fixes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from contingency.levers import centre_override, current_beds, current_lanes, lanes_override
from contingency.refdata import RefData
from contingency.scenario import Scenario, parse_scenario
from contingency.scenario.schema import Reserve

Evaluate = Callable[[Scenario], list[dict]]


def with_reserves(sc: Scenario, ref: RefData, reserves: list[Reserve]) -> Scenario:
    """``sc`` with the reserves committed from the start (validated again)."""
    data = sc.model_dump(mode="json", exclude_defaults=True)
    injects = data.setdefault("injects", [])
    for r in reserves:
        if r.kind == "lanes":
            assert r.target is not None and r.mode is not None  # the schema requires both
            lanes = lanes_override(data, r.target)
            mode = r.mode.value
            lanes[mode] = lanes.get(mode, current_lanes(sc, ref, r.target)[mode]) + r.amount
        elif r.kind == "beds":
            assert r.target is not None
            ov = centre_override(data, r.target)
            ov["beds"] = ov.get("beds", current_beds(sc, ref, r.target)) + r.amount
        elif r.kind == "buses":
            tr = data.setdefault("transport", {})
            tr["buses_per_day"] = tr.get("buses_per_day", sc.transport.buses_per_day) + r.amount
        else:
            injects.append(
                {
                    "at_h": 0.0,
                    "kind": "mobile_unit",
                    "target": r.target,
                    "params": {"beds": r.amount},
                    "by": "reserve",
                    "note": r.id,
                }
            )
    return parse_scenario(data, file=f"<{sc.name} + reserves>", ref=ref)


def _mean_rph(records: list[dict]) -> float:
    return sum(r["red_person_hours"] for r in records) / len(records) if records else float("nan")


@dataclass(frozen=True)
class Recommendation:
    baseline_rph: float
    ranking: pd.DataFrame
    """Per candidate alone: cost, red person-hours with it, removed, removed per unit cost."""
    package: list[str]
    package_cost: float
    package_rph: float
    steps: pd.DataFrame
    """The greedy steps: chosen reserve, its marginal gain and the package's red person-hours."""


def _ranking(sc: Scenario, ref: RefData, evaluate: Evaluate, *, base: float) -> pd.DataFrame:
    """Each candidate alone against the baseline, best removed per unit cost first."""
    rows = []
    for r in sc.reserves:
        rph = _mean_rph(evaluate(with_reserves(sc, ref, [r])))
        rows.append(
            {
                "reserve": r.id,
                "kind": r.kind,
                "target": r.target,
                "amount": r.amount,
                "cost": r.cost,
                "red_person_hours": rph,
                "removed": base - rph,
                "removed_per_cost": (base - rph) / r.cost,
            }
        )
    ranking = pd.DataFrame(
        rows,
        columns=[
            "reserve",
            "kind",
            "target",
            "amount",
            "cost",
            "red_person_hours",
            "removed",
            "removed_per_cost",
        ],
    )
    return ranking.sort_values("removed_per_cost", ascending=False, kind="stable").reset_index(
        drop=True
    )


def recommend(sc: Scenario, ref: RefData, evaluate: Evaluate, *, budget: float) -> Recommendation:
    """Rank ``sc.reserves`` and propose a package costing at most ``budget``."""
    base = _mean_rph(evaluate(sc))
    ranking = _ranking(sc, ref, evaluate, base=base)
    chosen: list[Reserve] = []
    current, spent, steps = base, 0.0, []
    gains = dict(zip(ranking["reserve"], ranking["removed"], strict=True))  # first step: alone
    while True:
        options = [r for r in sc.reserves if r not in chosen and spent + r.cost <= budget + 1e-9]
        if not options:
            break
        if chosen:  # re-simulate each remaining option on top of the package
            gains = {
                r.id: current - _mean_rph(evaluate(with_reserves(sc, ref, [*chosen, r])))
                for r in options
            }
        best = max(options, key=lambda r: (gains[r.id] / r.cost, -r.cost))
        if gains[best.id] <= 0:
            break
        chosen.append(best)
        spent += best.cost
        current -= gains[best.id]
        steps.append(
            {
                "reserve": best.id,
                "cost": best.cost,
                "gain": gains[best.id],
                "package_red_person_hours": current,
                "spent": spent,
            }
        )
    return Recommendation(
        base,
        ranking,
        [r.id for r in chosen],
        spent,
        current,
        pd.DataFrame(
            steps, columns=["reserve", "cost", "gain", "package_red_person_hours", "spent"]
        ),
    )
