"""Checkpoint positions and partners, freight-only posts, baseline traffic, and the crossings a
scenario brings (``add_checkpoints``)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pytest

from contingency import MAPS_DIR
from contingency.domain import LaneMode, Mode
from contingency.errors import ScenarioError
from contingency.refdata import RefData, load_refdata
from contingency.results import run_scenario
from contingency.scenario import parse_scenario, scenario_refdata
from contingency.scenario.added import with_added_checkpoints
from contingency.scenario.plan import resolve
from contingency.scenario.schema import default_mode_mix

SHARED_COORDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "checkpoints_coords.csv"
PACK_MIN = Path(__file__).parent / "data" / "pack_min"

# id: (lat, lon, coord_confidence, partner): the second-pass positions (checkpoints_coords.csv)
POSITIONS: dict[str, tuple[float, float, str, str]] = {
    "kaplanbek": (41.4582, 69.2120, "medium", "Navoi / Navoiy (UZ post 27008, Tashkent district, Chuvalachi)"),
    "kazygurt": (41.5250, 69.4065, "medium", "S. Nazhimov / Maysky (UZ post 27009, Qibray district, May village)"),
    "atameken": (40.8370, 68.5625, "medium", "Sirdaryo (UZ post 24004 on R-35 'Syrdarya-Ilyich' road km 12; CarGoRuqsat calls the pair 'Atameken - Gulistan')"),
    "zhibek_zholy": (41.4732, 69.3565, "medium", "Gisht Kuprik / Chernyaevka (UZ post 27021, Tashkent district)"),
    "b_konysbayev": (40.9720, 68.7270, "medium", "Yallama (UZ post 27001, Chinaz district, Yallama village)"),
    "tazhen": (44.8975, 55.9930, "medium", "Daut-Ata / Dovud ota (UZ post 35004, Kungrad district, A-380 km 1204)"),
    "temir_baba": (41.9400, 52.7000, "low", "Garabogaz / Karabugaz (TM)"),
    "alakol": (45.1950, 82.5480, "low", "Alashankou (road port)"),
    "kolzhat": (43.6370, 80.6070, "low", "Dulata (都拉塔, Qapqal county)"),
    "maikapchagai": (47.4750, 85.6100, "low", "Jeminay / Jimunai (吉木乃, 'Zimunai')"),
    "bakhty": (46.6794, 82.7768, "medium", "Baketu / Bakhtu (巴克图, Tacheng; 'Pokitu')"),
    "nur_zholy": (44.1950, 80.3700, "low", "Khorgos (霍尔果斯 road port)"),
    "kordai": (43.0365, 74.7075, "medium", "Ak-Zhol (Акжол-автодорожный)"),
    "karasu": (43.0080, 74.8620, "low", "Ak-Tilek (Ак-Тилек-автодорожный), near Khunchi, Issyk-Ata district"),
    "syrym": (51.6780, 51.0025, "medium", "Mashtakovo (RU, Orenburg oblast, A-300)"),
    "zhaisan": (50.8700, 56.1550, "low", "Sagarchin (RU, Orenburg oblast, R-239)"),
    "kairak": (54.0080, 61.6800, "low", "Bugristoye (RU, Troitsk district, A-310)"),
    "zhana_zhol": (55.0000, 68.2150, "low", "Petukhovo (RU, Kurgan oblast, R-254)"),
    "kurmangazy": (46.7350, 48.9900, "low", "Karaozek / Karauzek (RU, Krasny Yar district, Astrakhan oblast)"),
}  # fmt: skip


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


# ---------------------------------------------------------------- positions and partners
def test_positions_and_partners_of_all_19_posts(ref: RefData) -> None:
    cps = ref.checkpoints
    assert set(cps.index) == set(POSITIONS)
    for cp, (lat, lon, confidence, partner) in POSITIONS.items():
        row = cps.loc[cp]
        assert (row["lat"], row["lon"]) == (lat, lon), cp
        assert row["coord_confidence"] == confidence, cp
        assert row["partner"] == partner, cp
        assert row["coord_basis"] and row["coord_source"], cp
        assert row["coord_assumption"] == ("true" if confidence == "low" else "false"), cp


@pytest.mark.skipif(not SHARED_COORDS.is_file(), reason="the research file is not beside")
def test_project_copy_matches_the_research_file(ref: RefData) -> None:
    with SHARED_COORDS.open(encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(ref.checkpoints.index)
    for cp, r in rows.items():
        mine = ref.checkpoints.loc[cp]
        assert (mine["lat"], mine["lon"]) == (float(r["lat"]), float(r["lon"])), cp
        assert mine["partner"] == r["partner_crossing_name"], cp
        assert mine["coord_confidence"] == r["confidence"], cp
        assert (mine["coord_basis"], mine["coord_source"]) == (r["basis"], r["source"]), cp


def test_the_four_big_moves() -> None:
    """Temir-Baba, Kalzhat, Atameken and Tazhen left their town proxies by 50-156 km."""
    old = {  # the proxies of the first pass: Zhanaozen, Chunja, Saryagash, Beyneu
        "temir_baba": (43.34116, 52.86192, 156),
        "kolzhat": (43.53889, 79.46778, 92),
        "atameken": (41.46042, 69.16791, 86),
        "tazhen": (45.31667, 55.2, 78),
    }
    for cp, (lat, lon, km) in old.items():
        new_lat, new_lon, *_ = POSITIONS[cp]
        assert _km(lat, lon, new_lat, new_lon) == pytest.approx(km, abs=1), cp


def test_each_post_joins_the_roads_at_its_place(ref: RefData) -> None:
    nodes, g = ref.road_nodes, ref.road_graph()
    for cp, row in ref.checkpoints.iterrows():
        node = nodes.loc[row["node"]]
        assert (node["lat"], node["lon"]) == (row["lat"], row["lon"]), cp
        assert g.degree(row["node"]) >= 1, cp


def test_access_roads_worked_by_hand(ref: RefData) -> None:
    """Kolzhat (43.6370 N 80.6070 E) to Chunja (43.53889 N 79.46778 E), its old proxy: 92.4 km
    great-circle x 1.16 = 107 km; the roads measured to Chunja stay there (240 km to Almaty).
    Temir-Baba keeps the published 164 km Zhanaozen-border road, now ending at the border."""
    g = ref.road_graph()
    assert g.edges["kolzhat", "chunja"]["length_km"] == 107
    assert g.edges["chunja", "almaty"]["length_km"] == 240
    assert not g.has_edge("kolzhat", "almaty")
    assert g.edges["zhanaozen", "temir_baba"]["length_km"] == 164
    # Atameken is in Maktaaral, 86 km from Saryagash: 85.5 km x 1.16 = 99 km
    assert g.edges["atameken", "saryagash"]["length_km"] == 99
    estimates = ref.road_edges[ref.road_edges["length_basis"] == "estimate"]
    assert estimates["speed_assumption"].all()


# ---------------------------------------------------------------- freight-only posts
BASE: dict[str, Any] = {
    "name": "t",
    "trigger": "other",
    "start": "2027-01-01T00:00:00",
    "horizon_days": 2,
    "influx": {"kordai": {"daily": [100, 0]}},
    "checkpoints": ["kordai", "karasu"],
}


def _problems(data: dict[str, Any], ref: RefData | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data, file="s.yaml", ref=ref)
    return [str(p) for p in err.value.problems]


def test_karasu_is_the_freight_only_post(ref: RefData) -> None:
    assert list(ref.checkpoints.index[ref.checkpoints["freight_only"]]) == ["karasu"]
    assert "freight-only" in ref.checkpoints.at["karasu", "freight_basis"]


def test_a_freight_only_post_in_play_without_travellers_is_valid(ref: RefData) -> None:
    assert parse_scenario(BASE, ref=ref).checkpoints == ["kordai", "karasu"]


def test_travellers_to_a_freight_only_post_are_refused(ref: RefData) -> None:
    data = {
        **BASE,
        "influx": {"karasu": {"daily": [100, 0]}},
        "injects": [{"at_h": 2, "kind": "surge", "target": "karasu", "params": {"multiplier": 2}}],
        "checkpoint_overrides": {"karasu": {"baseline": {"outbound_persons_per_day": 50}}},
    }
    why = "a freight-only checkpoint takes no travellers"
    assert _problems(data, ref) == [
        f"s.yaml: influx.karasu: {why} (got 'karasu')",
        f"s.yaml: injects.0.target: {why} (got 'karasu')",
        f"s.yaml: checkpoint_overrides.karasu.baseline.outbound_persons_per_day: {why} (got 50)",
    ]


# ---------------------------------------------------------------- baseline traffic
def test_baseline_columns_sourced_or_flagged(ref: RefData) -> None:
    cps = ref.checkpoints
    assert cps["baseline_basis"].str.len().gt(0).all()
    # Zhibek Zholy: 4.5 mln persons in H1 2023 over 181 days = 24,862 a day, half each way
    assert cps.at["zhibek_zholy", "baseline_inbound_persons_per_day"] == 12431
    # Karasu: ~700 trucks a day, published; no travellers at a freight-only post
    karasu = cps.loc["karasu"]
    assert (karasu["baseline_trucks_per_day"], karasu["baseline_assumption"]) == (700, False)
    assert karasu["baseline_inbound_persons_per_day"] == 0
    assert cps.drop(index="karasu")["baseline_assumption"].all()


def test_baseline_resolves_data_then_override(ref: RefData) -> None:
    mix = {"car": {"share": 1.0, "occupancy": {2: 1.0}}, "bus": {"share": 0.0, "occupancy": {30: 1.0}},
           "pedestrian": {"share": 0.0, "occupancy": {1: 1.0}}}  # fmt: skip
    data = {
        **BASE,
        "checkpoint_overrides": {
            "kordai": {"baseline": {"inbound_persons_per_day": 1000}},
            "karasu": {"baseline": {"trucks_per_day": 900, "mode_mix": mix}},
        },
    }
    sc = parse_scenario(data, ref=ref)
    plan = resolve(sc, ref)
    kordai, karasu = plan.checkpoints["kordai"].baseline, plan.checkpoints["karasu"].baseline
    # Kordai in the data: 50 % of 25,000 persons/day each way, 625 trucks; inbound overridden
    assert (kordai.inbound_persons_per_day, kordai.outbound_persons_per_day) == (1000, 6250)
    assert kordai.trucks_per_day == 625
    # the pack's shares for ordinary travellers (30 % by car, 70 % on foot), the scenario's sizes
    shares = {m.value: spec.share for m, spec in kordai.mode_mix.items()}
    assert shares == {"car": 0.3, "bus": 0.0, "pedestrian": 0.7}
    assert all(
        kordai.mode_mix[m].occupancy == default_mode_mix()[m].occupancy for m in kordai.mode_mix
    )
    assert (karasu.inbound_persons_per_day, karasu.trucks_per_day) == (0, 900)
    assert karasu.mode_mix[next(iter(karasu.mode_mix))].share == 1.0


def test_a_pack_without_baseline_columns_has_none() -> None:
    pack = load_refdata(PACK_MIN)
    cp = str(pack.checkpoints.index[0])
    data = {**BASE, "maps": str(PACK_MIN), "checkpoints": [cp], "influx": {}}
    sc = parse_scenario(data, ref=pack)
    b = resolve(sc, pack).checkpoints[cp].baseline
    assert (b.inbound_persons_per_day, b.outbound_persons_per_day, b.trucks_per_day) == (0, 0, 0)


@pytest.mark.parametrize(
    ("baseline", "expected"),
    [
        ({"inbound_persons_per_day": 200_001}, "inbound_persons_per_day: input should be less than or equal to 200000"),
        ({"trucks_per_day": -1}, "trucks_per_day: input should be greater than or equal to 0"),
        ({"lorries": 3}, "lorries: unknown key"),
    ],
)  # fmt: skip
def test_baseline_bounds_with_field_paths(ref: RefData, baseline: dict, expected: str) -> None:
    data = {**BASE, "checkpoint_overrides": {"kordai": {"baseline": baseline}}}
    lines = _problems(data, ref)
    assert any(f"checkpoint_overrides.kordai.baseline.{expected}" in line for line in lines), lines


# ---------------------------------------------------------------- crossings a scenario brings
NEW_POST: dict[str, Any] = {
    "id": "ak_kol",
    "name": {"ru": "Ак-Коль", "kk": "Ақкөл", "en": "Ak-Kol"},
    "lat": 43.10,
    "lon": 74.90,
    "region": "KZ-31",
    "access_h": 0.5,
    "neighbour": "KG",
    "partner": "Ak-Kol (KG)",
    "lanes": {"car": 4, "bus": 2, "pedestrian": 4},
    "baseline": {"trucks_per_day": 40},
}
WITH_POST: dict[str, Any] = {
    **BASE,
    "checkpoints": ["kordai", "ak_kol"],
    "influx": {"kordai": {"daily": [100, 0]}, "ak_kol": {"daily": [500, 0]}},
    "add_checkpoints": [NEW_POST],
    "checkpoint_overrides": {"ak_kol": {"waiting_area_persons": 800}},
    "injects": [
        {"at_h": 30, "kind": "checkpoint_close", "target": "ak_kol"},
        {"at_h": 1, "kind": "mobile_unit", "target": "ak_kol", "params": {"beds": 100}},
    ],
}


def test_an_added_post_joins_the_reference_data(ref: RefData) -> None:
    """Ak-Kol (43.10 N 74.90 E) joins its nearest town or junction, ``kordai_jct``
    (43.045 N 74.705 E): 16.98 km great-circle x 1.16 = 19.7 km, taking access_h = 0.5 h."""
    sc = parse_scenario(WITH_POST, ref=ref)
    merged = scenario_refdata(sc, ref=ref)
    assert "ak_kol" in merged.checkpoints.index and "ak_kol" not in ref.checkpoints.index
    assert merged.checkpoints.at["ak_kol", "partner"] == "Ak-Kol (KG)"
    edge = merged.road_graph().edges["ak_kol", "kordai_jct"]
    assert edge["length_km"] == pytest.approx(19.7)
    assert edge["travel_h"] == pytest.approx(0.5)
    assert with_added_checkpoints(sc, merged) is merged  # merging twice changes nothing
    plan = resolve(sc, ref).checkpoints["ak_kol"]
    assert plan.lanes["car"] == 4 and plan.lanes["truck"] == 0
    assert plan.waiting_area_persons == 800  # checkpoint_overrides apply to it
    assert plan.processing["car"].min_per_vehicle == 6.0  # the pack's default minutes
    assert (plan.baseline.trucks_per_day, plan.baseline.inbound_persons_per_day) == (40, 0)


def test_an_added_post_runs_and_is_in_the_summary(ref: RefData, tmp_path: Path) -> None:
    sc = parse_scenario(WITH_POST, ref=ref)
    result = run_scenario(sc, ref)
    result.save(tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    post = summary["checkpoints"]["ak_kol"]
    assert post["arrived"] == 500 and post["processed"] == 500


def test_an_added_post_in_play_by_default(ref: RefData) -> None:
    data = {k: v for k, v in WITH_POST.items() if k != "checkpoints"}
    data["influx"] = {"ak_kol": {"daily": [500, 0]}}
    sc = parse_scenario(data, ref=ref)
    assert list(resolve(sc, ref).checkpoints) == [*ref.modernised_ids, "ak_kol"]


def _added(**changes: Any) -> dict[str, Any]:
    return {**WITH_POST, "add_checkpoints": [{**NEW_POST, **changes}]}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_added(id="kordai"), "add_checkpoints.0.id: clashes with a checkpoint of the map pack (got 'kordai')"),
        (_added(id="saryagash"), "add_checkpoints.0.id: clashes with a road node id (got 'saryagash')"),
        (_added(node="atlantis"), "add_checkpoints.0.node: unknown road node (got 'atlantis')"),
        (_added(region="KZ-99"), "add_checkpoints.0.region: unknown region code (got 'KZ-99')"),
        (_added(lat=51.1, lon=71.4), "add_checkpoints.0.lat: the point (51.1, 71.4) is 566 km outside region KZ-31 (got 51.1)"),
        (_added(lat=95), "add_checkpoints.0.lat: input should be less than or equal to 90"),
        (_added(neighbour="Kyrgyzstan"), "add_checkpoints.0.neighbour: string should match pattern"),
        (_added(access_h=0), "add_checkpoints.0.access_h: input should be greater than 0"),
        (_added(lanes=None), "add_checkpoints.0: an added checkpoint needs 'lanes'"),
        (_added(shifts=[]), "'shifts' of an added checkpoint is set in checkpoint_overrides.<id>"),
        ({**WITH_POST, "add_checkpoints": [NEW_POST, NEW_POST]}, "add_checkpoints.1.id: added twice (got 'ak_kol')"),
    ],
)  # fmt: skip
def test_bad_added_posts_with_field_paths(ref: RefData, data: dict, expected: str) -> None:
    lines = _problems(data, ref)
    assert any(expected in line for line in lines), lines


def test_a_clashing_post_is_not_merged_over_the_pack(ref: RefData) -> None:
    sc_data = _added(id="kordai")
    lines = _problems(sc_data, ref)
    assert not any("influx.kordai" in line for line in lines), lines
    assert MAPS_DIR.is_dir()


def test_an_added_posts_far_side_reaches_the_plan(ref: RefData) -> None:
    """``far_side`` of an added post has the keys and types of ``checkpoint_overrides``'."""
    data = _added(far_side={"lanes": {"car": 1}})
    plan = resolve(parse_scenario(data, ref=ref), ref).checkpoints["ak_kol"]
    assert plan.far is not None and plan.far.lanes["car"] == 1 and plan.lanes["car"] == 4


def test_every_post_carries_its_ordinary_traffic(ref: RefData) -> None:
    """A usual day must not overload a post that handles it every day: at our control the
    ordinary travellers (both ways, by the pack's shares in groups of the default mix) and
    trucks keep each lane mode below 80 % utilisation with the pack's lanes and minutes."""
    mix = default_mode_mix()
    for cp, row in ref.checkpoints.iterrows():
        both = row["baseline_inbound_persons_per_day"] + row["baseline_outbound_persons_per_day"]
        for m in Mode:
            size = mix[m].mean_group_size
            minutes = ref.processing[cp][m]
            work = both * row[f"baseline_{m.value}_share"] / size
            work *= minutes.min_per_vehicle + minutes.min_per_person * size
            lanes = ref.lanes[cp][LaneMode(m)]
            assert work <= 0.8 * 1440 * lanes, (cp, m, work / 1440 / max(lanes, 1))
        trucks = row["baseline_trucks_per_day"] * ref.processing[cp][Mode.car].min_per_vehicle
        assert trucks <= 0.8 * 1440 * ref.lanes[cp][LaneMode.truck], (cp, "truck")
