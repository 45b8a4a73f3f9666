"""The gap timeline (spans of amber and red hours, "red in N h") and the shortfalls at a moment
(what a red facility lacks, the reserve beside it), and the board panels drawing them."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from contingency import SCENARIOS_DIR
from contingency.domain import Mode, ProcessingMinutes
from contingency.metrics.shortfalls import (
    Shortfall,
    best_reserve,
    lane_work_min,
    lanes_needed,
    shortfalls,
)
from contingency.metrics.timeline import coming, facilities_in_trouble, gap_spans
from contingency.scenario import load_scenario
from contingency.scenario.schema import Reserve, Thresholds, Transport

NAN = float("nan")


def _spans(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "facility": f,
                "kind": "centre",
                "metric": "occupancy_ratio",
                "severity": s,
                "start_h": a,
                "end_h": b,
            }
            for f, s, a, b in rows
        ]
    )


# ------------------------------------------------------------------ spans
def test_spans_agree_with_the_runs_gaps(south_base):
    """Every gap of ``summary.json`` starts where its facility's first span of that metric
    and severity starts; an amber gap has no red span; spans of one metric never overlap."""
    sc, res = south_base
    spans = gap_spans(res.tables, sc.thresholds)
    assert res.summary["gaps"]
    for g in res.summary["gaps"]:
        mine = spans[(spans["facility"] == g["facility"]) & (spans["metric"] == g["metric"])]
        at_worst = mine[mine["severity"] == g["severity"]]
        assert int(at_worst["start_h"].min()) == g["first_h"], g
        if g["severity"] == "amber":
            assert not (mine["severity"] == "red").any(), g
    keyed = {(g["facility"], g["metric"]) for g in res.summary["gaps"]}
    assert set(zip(spans["facility"], spans["metric"], strict=True)) == keyed
    for _, one in spans.groupby(["facility", "metric"]):
        one = one.sort_values("start_h")
        assert (one["start_h"].iloc[1:].to_numpy() > one["end_h"].iloc[:-1].to_numpy()).all()
    red_first = [g["facility"] for g in res.summary["gaps"] if g["severity"] == "red"]
    order = facilities_in_trouble(spans)
    assert order[: len(set(red_first))] == list(dict.fromkeys(red_first))


def _tiny_tables(waits: list[float]) -> dict[str, pd.DataFrame]:
    hours = list(range(1, len(waits) + 1))
    cps = pd.DataFrame({"time_h": hours, "checkpoint": "cp", "wait_max_h": waits})
    centres = pd.DataFrame(
        {
            "time_h": hours,
            "centre": "c",
            "kind": "reception",
            "capacity": 10,
            "occupancy": 5,
            "overflow": 0,
            "registration_queue": 0,
        }
    )
    ledger = pd.DataFrame({"time_h": hours})
    return {"checkpoints_hourly": cps, "centres_hourly": centres, "ledger_hourly": ledger}


def test_consecutive_hours_at_one_severity_make_one_span():
    """Over the threshold, not at it: 6 h is not amber, 24 h is amber, not red; a missing
    value counts as no wait."""
    tables = _tiny_tables([0, 7, 7, 30, 30, NAN, 7, 6, 24, 25])
    spans = gap_spans(tables, Thresholds())
    got = list(spans[["severity", "start_h", "end_h"]].itertuples(index=False, name=None))
    assert got == [
        ("amber", 2, 3),
        ("red", 4, 5),
        ("amber", 7, 7),
        ("amber", 9, 9),
        ("red", 10, 10),
    ]
    assert set(spans["metric"]) == {"max_wait_h"}


def test_a_missing_hour_ends_a_span():
    tables = _tiny_tables([30.0] * 6)
    tables["checkpoints_hourly"] = tables["checkpoints_hourly"].drop(index=2)  # hour 3
    spans = gap_spans(tables, Thresholds())
    assert list(zip(spans["start_h"], spans["end_h"], strict=True)) == [(1, 2), (4, 6)]


def test_unmet_onward_demand_is_red_for_the_day_its_figure_holds():
    tables = _tiny_tables([0.0] * 72)
    tables["unmet_daily"] = pd.DataFrame(
        {"time_h": [24, 72], "centre": ["c", "c"], "persons": [5, 0]}
    )
    spans = gap_spans(tables, Thresholds())
    got = list(spans[["metric", "severity", "start_h", "end_h"]].itertuples(index=False, name=None))
    assert got == [("unmet_onward_demand", "red", 24, 47)]


def test_red_in_n_hours_counts_to_the_next_red_hour():
    spans = _spans(
        [
            ("a", "amber", 10, 19),
            ("a", "red", 20, 30),
            ("b", "red", 5, 8),
            ("b", "red", 40, 50),
            ("c", "red", 1, 100),
            ("d", "amber", 1, 100),
        ]
    )
    assert coming(spans, 12) == {"a": 8, "b": 28}
    assert coming(spans, 6) == {"a": 14}  # b is red now
    assert coming(spans, 60) == {}
    assert facilities_in_trouble(spans) == ["c", "b", "a", "d"]


def test_red_in_n_hours_on_the_default_scenario(south_base):
    sc, res = south_base
    far = next(g for g in res.summary["gaps"] if g["metric"] == "far_wait_h")
    before = int(far["first_h"]) - 29
    assert coming(gap_spans(res.tables, sc.thresholds), before)[far["facility"]] == 29


# ------------------------------------------------------------------ shortfalls
def test_lane_work_counts_the_queue_and_the_next_window():
    minutes = {m: ProcessingMinutes(2.0, 1.0) for m in Mode}
    groups = pd.DataFrame(
        [
            # (mode, persons, reached our control, started there, turned back, diverted at)
            *[("car", 4, 4.0, NAN, False, NAN)] * 10,  # queuing at hour 5: 10 x 6 min
            *[("car", 4, 5.5, NAN, False, NAN)] * 5,  # arriving within the hour: 5 x 6 min
            ("car", 4, 6.5, NAN, False, NAN),  # after the window
            ("car", 4, 4.0, 4.5, False, NAN),  # served already
            ("car", 4, NAN, NAN, True, NAN),  # turned back (at the far side)
            ("car", 4, 3.0, NAN, False, 4.0),  # gone to another crossing
            ("pedestrian", 1, 4.0, NAN, False, NAN),  # 3 minutes, on foot
        ],
        columns=["mode", "persons", "far_end_h", "start_h", "turned_back", "diverted_h"],
    )
    work = lane_work_min(groups, minutes, time_h=5, window_h=1.0)
    assert work == {Mode.car: 90.0, Mode.bus: 0.0, Mode.pedestrian: 3.0}
    assert lanes_needed(work[Mode.car], 1.0) == 2
    far = groups.assign(arrive_h=groups["far_end_h"].fillna(4.0), far_start_h=groups["start_h"])
    assert lane_work_min(far, minutes, time_h=5, window_h=1.0, side="far")[Mode.car] == 90.0
    assert lanes_needed(60.0, 1.0) == 1
    assert lanes_needed(60.1, 1.0) == 2


def _reserve(rid: str, kind: str, target: str | None, amount: int, unit_cost: float, mode=None):
    return Reserve(id=rid, kind=kind, target=target, amount=amount, unit_cost=unit_cost, mode=mode)


def test_the_best_reserve_covers_most_per_unit_of_cost():
    cheap_small = _reserve("small", "beds", "x", 100, 1.0)  # covers 100 for 100
    dear_big = _reserve("big", "mobile_unit", "n", 500, 300.0)  # covers 150 for 300
    assert best_reserve([dear_big, cheap_small], 150) == ("small", 100)
    assert best_reserve([dear_big, cheap_small], 1000) == ("big", 500)
    assert best_reserve([], 10) == (None, 0)
    assert best_reserve([cheap_small], 0) == (None, 0)


@pytest.fixture(scope="module")
def smoke(ref):
    return load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)


def test_beds_and_buses_missing_at_a_centre_and_its_region(smoke, ref):
    """Hand-made hour, red above 0.9 people a bed: centre A holds 250 people in 100 beds
    (278 beds needed, 178 missing), B 20 in 50; the region lacks 178 beds; 200 people ready to
    leave at A need 5 buses where A has one (B's idle bus does not serve A: 4 missing, not 3).
    The mobile unit in the region covers
    178 at 300, cheaper per bed than 100 beds at 10 each; a unit in another region is no
    candidate."""
    a_node = "saryagash"
    other = next(n for n, r in ref.road_nodes["region_iso"].items() if r != "KZ-61")
    sc = smoke.model_copy(
        update={
            "transport": Transport(bus_seats=45, onward_buses_per_day=1),
            "thresholds": Thresholds(occupancy_amber=0.8, occupancy_red=0.9),
            "reserves": [
                _reserve("beds_a", "beds", "cen_a", 100, 10.0),
                _reserve("unit_here", "mobile_unit", a_node, 500, 300.0),
                _reserve("unit_far", "mobile_unit", other, 5000, 1.0),
            ],
        }
    )
    centres = pd.DataFrame(
        {
            "time_h": 7,
            "centre": ["cen_a", "cen_b"],
            "kind": "reception",
            "region": "KZ-61",
            "node": [a_node, "other"],
            "capacity": [100, 50],
            "occupancy": [100, 20],
            "overflow": [140, 0],
            "registration_queue": [10, 0],
            "ready_to_leave": [200, 0],
            "is_open": [1, 1],
        }
    )
    cps = pd.DataFrame(
        {"time_h": [7], "checkpoint": ["kaplanbek"], "wait_max_h": [1.0], "far_wait_max_h": [1.0]}
    )
    rows = shortfalls({"checkpoints_hourly": cps, "centres_hourly": centres}, sc, ref, 7)
    assert rows == [
        Shortfall("cen_a", "reception", "facility", "beds", None, 178, 100, "unit_here", 178),
        Shortfall("KZ-61", "region", "region", "beds", None, 178, 150, "unit_here", 178),
        Shortfall("KZ-61", "region", "region", "buses_per_day", None, 4, 2, None, 0),
    ]


def test_lanes_missing_take_the_reserve_of_their_mode_on_our_side_only(smoke, ref):
    """A red wait at both controls of a crossing with one car lane open and a day's queue of
    cars: lanes are missing at both; our side gets the car-lane reserve (not the cheaper
    pedestrian one), the far side (the neighbour's) none."""
    sc = smoke.model_copy(
        update={
            "reserves": [
                _reserve("cars", "lanes", "kaplanbek", 3, 30.0, mode=Mode.car),
                _reserve("booths", "lanes", "kaplanbek", 6, 1.0, mode=Mode.pedestrian),
            ]
        }
    )
    n = 2000
    groups = pd.DataFrame(
        {
            "checkpoint": "kaplanbek",
            "mode": "car",
            "persons": [3] * n,
            "arrive_h": [1.0] * n,
            "far_start_h": NAN,
            "far_end_h": [2.0] * n,
            "start_h": NAN,
            "turned_back": False,
            "diverted_h": NAN,
        }
    )
    lanes = {f"{p}lanes_{m.value}": 1 for p in ("", "far_") for m in Mode}
    cps = pd.DataFrame(
        [
            {
                "time_h": 30,
                "checkpoint": "kaplanbek",
                "wait_max_h": 30.0,
                "far_wait_max_h": 30.0,
                **lanes,
            }
        ]
    )
    centres = pd.DataFrame(
        columns=[
            "time_h",
            "centre",
            "kind",
            "region",
            "node",
            "capacity",
            "occupancy",
            "overflow",
            "registration_queue",
            "ready_to_leave",
            "is_open",
        ]
    )
    tables = {"checkpoints_hourly": cps, "centres_hourly": centres, "groups": groups}
    rows = [r for r in shortfalls(tables, sc, ref, 30) if r.mode is Mode.car]
    near = {r.resource: r for r in rows if r.side == "near"}
    far = {r.resource: r for r in rows if r.side == "far"}
    assert near["lanes"].missing > 3 and near["lanes"].have == 1
    assert (near["lanes"].reserve, near["lanes"].reserve_covers) == ("cars", 3)
    assert near["lane_hours"].missing == 24 * near["lanes"].missing
    assert near["lane_hours"].reserve_covers == 72
    assert far["lanes"].missing > 0 and far["lanes"].reserve is None
    # our control closed at that hour (a decision): no lanes asked there, the far side's kept
    closed = cps.assign(**{f"lanes_{m.value}": 0 for m in Mode})
    tables = {**tables, "checkpoints_hourly": closed}
    sides = {r.side for r in shortfalls(tables, sc, ref, 30) if r.resource == "lanes"}
    assert sides == {"far"}


def test_nothing_missing_before_anything_is_red(south_base, ref):
    sc, res = south_base
    assert shortfalls(res.tables, sc, ref, 1) == []


# ------------------------------------------------------------------ the board panels
def _panels(res, ref, lang, time_h):
    from contingency.board.timeline_panel import draw_gap_timeline, draw_shortfalls

    draw_gap_timeline(lang, res, ref, time_h)
    draw_shortfalls(lang, res, ref, time_h)


def _board(res, ref, lang: str, time_h: int) -> AppTest:
    at = AppTest.from_function(_panels, args=(res, ref, lang, time_h), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_panels_draw_in_their_keyed_containers(south_base, ref, lang):
    from contingency.board.numbers import number
    from contingency.i18n import t
    from contingency.mapping.names import facility_label

    _sc, res = south_base
    at = _board(res, ref, lang, 150)
    keys = [b.proto.id.rsplit("-", 1)[-1] for b in at.main.children.values()]
    assert keys == ["gap_timeline", "shortfalls"]
    timeline, table = at.main.children[0], at.dataframe[0].value
    chart = next(e for e in timeline.children.values() if e.type == "vega_lite_chart")
    marks = [layer["mark"]["type"] for layer in json.loads(chart.proto.spec)["layer"]]
    assert marks == ["bar", "rule", "tick"]  # spans, the moment, "red in N h" labels
    assert t("shortfalls.missing", lang) in table.columns
    places = list(table[t("shortfalls.place", lang)])
    assert facility_label("tar_saryagash", lang, ref, res.summary) in places
    assert not any(p in places for p in ("tar_saryagash", "KZ-61"))
    reserves = " ".join(table[t("shortfalls.reserve", lang)])
    assert "mobile_saryagash" not in reserves
    assert facility_label("KZ-61", lang, ref, res.summary) in places
    assert number(16582, lang) in set(table[t("shortfalls.missing", lang)])  # Babel digits
    name = facility_label("tar_saryagash", lang, ref, res.summary)
    row = table[table[t("shortfalls.place", lang)] == name].iloc[0]
    node = ref.road_nodes.at["saryagash", "name_en" if lang == "en" else "name_ru"]
    assert number(3000, lang) in row[t("shortfalls.reserve", lang)]
    assert node in row[t("shortfalls.reserve", lang)]
    assert row[t("shortfalls.covers", lang)] == number(3000, lang)
    lanes = t("shortfalls.r.lanes", lang, mode=t("mode.car", lang))
    assert lanes in set(table[t("shortfalls.resource", lang)])
    rows_drawn = json.loads(chart.proto.spec)["layer"][0]["encoding"]["y"]["sort"]
    assert name in rows_drawn and "tar_saryagash" not in rows_drawn
    assert len(rows_drawn) == 15


def test_the_timeline_says_what_turns_red_and_when(south_base, ref):
    from contingency.i18n import t
    from contingency.mapping.names import facility_label

    _sc, res = south_base
    at = _board(res, ref, "ru", 100)
    text = " ".join(c.value for c in at.caption)
    red_in_18 = t("gaps.coming", "ru", severity=t("severity.red", "ru"), hours="18")
    assert red_in_18 in text
    chart = next(e for e in at.main.children[0].children.values() if e.type == "vega_lite_chart")
    notes = json.loads(chart.proto.spec)["layer"][2]["encoding"]["y"]["axis"]["labelExpr"]
    place = facility_label("reh_shymkent_bozaryk", "ru", ref, res.summary)
    assert json.dumps({place: red_in_18}, ensure_ascii=False)[1:-1] in notes
    assert t("timeline.more", "ru", n=23) in text


def test_nothing_red_shows_a_success_message(south_base, ref):
    from contingency.i18n import t

    _sc, res = south_base
    at = _board(res, ref, "en", 1)
    assert t("shortfalls.none", "en") in [s.value for s in at.success]


def _timeline_against(res, before, ref, time_h):
    from contingency.board.timeline_panel import draw_gap_timeline

    draw_gap_timeline("ru", res, ref, time_h, before=before)


def test_the_timeline_outlines_the_gaps_before_a_decision(south_base, ref):
    """The decision's effect on the timeline: the baseline's gaps as dashed outlines over the
    run's bars (review: the delta view had no timeline difference)."""
    from contingency.i18n import t

    _sc, res = south_base
    at = AppTest.from_function(_timeline_against, args=(res, res, ref, 150), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    chart = next(e for e in at.main.children[0].children.values() if e.type == "vega_lite_chart")
    layers = json.loads(chart.proto.spec)["layer"]
    outline = [x for x in layers if x["mark"].get("filled") is False]
    assert len(outline) == 1 and outline[0]["mark"]["strokeDash"] == [3, 2]
    assert t("timeline.before", "ru") in " ".join(c.value for c in at.caption)
