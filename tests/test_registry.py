"""The domain registries: every inject kind has strings, a target check, a handler and (where
the board offers it live) a live-add round trip; per-mode data is keyed by the mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from contingency.domain import LaneMode, Mode, TargetKind
from contingency.errors import ScenarioError
from contingency.levers import apply_levers
from contingency.resources import SCENARIOS_DIR
from contingency.scenario import dump_scenario, load_scenario, parse_scenario
from contingency.scenario.plan import checkpoints_in_play, resolve
from contingency.scenario.schema import (
    INJECT_CLASSES,
    INJECT_KINDS,
    LIVE_KINDS,
    Scenario,
    SurgeInject,
    inject_kind,
)
from contingency.scenario.targets import target_choices, target_problem
from contingency.sim.injects import border_action, downstream_action

I18N = Path(__file__).resolve().parent.parent / "contingency" / "i18n"
PARAMS: dict[str, dict[str, Any]] = {
    "surge": {"multiplier": 2.0},
    "lanes": {"car": 1},
    "processing": {"multiplier": 0.5},
    "centre_capacity": {"beds": 10},
    "mobile_unit": {"beds": 10},
}
"""Parameters of an example inject, for the kinds that need some."""


SITE = {
    "id": "school_test",
    "kind": "reception",
    "name": {"ru": "Школа", "kk": "Мектеп", "en": "School"},
    "node": "shymkent",
    "region": "KZ-79",
    "places": 100,
    "intake_per_hour": 20,
    "stay_days_mean": 7,
    "opens_at_h": None,
}
"""A temporary site, so that every target kind (``site`` too) has something to name."""


@pytest.fixture(scope="module")
def smoke() -> Scenario:
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml")
    data = sc.model_dump(mode="json", exclude_defaults=True)
    data["add_centres"] = [SITE]
    return parse_scenario(data)


def _sites(sc: Scenario) -> list[str]:
    return [a.id for a in sc.add_centres]


def _example(cls: type, target: str, at_h: float = 5.0) -> dict[str, Any]:
    kind = inject_kind(cls)
    inj: dict[str, Any] = {"at_h": at_h, "kind": kind, "target": target}
    if kind in PARAMS:
        inj["params"] = PARAMS[kind]
    return inj


def _target(cls: type, sc: Scenario, ref) -> str:
    in_play = checkpoints_in_play(sc, ref)
    return target_choices(cls.target_kind, in_play=in_play, ref=ref, sites=_sites(sc))[0]


def test_registry_is_the_union():
    assert len(set(INJECT_KINDS)) == len(INJECT_CLASSES) == 10
    assert tuple(inject_kind(c) for c in INJECT_CLASSES if c.live) == LIVE_KINDS


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
@pytest.mark.parametrize("kind", INJECT_KINDS)
def test_every_kind_has_strings(kind, lang):
    catalogue = json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))
    assert catalogue.get(f"inject.{kind}")


@pytest.mark.parametrize("cls", INJECT_CLASSES, ids=INJECT_KINDS)
def test_every_kind_has_a_target_check(cls, smoke, ref):
    in_play = set(checkpoints_in_play(smoke, ref))
    graph = ref.road_graph()
    good = _target(cls, smoke, ref)
    sites = set(_sites(smoke))
    ok = target_problem(cls.target_kind, good, in_play=in_play, ref=ref, graph=graph, sites=sites)
    assert ok is None
    bad = target_problem(
        cls.target_kind, "atlantis", in_play=in_play, ref=ref, graph=graph, sites=sites
    )
    assert bad is not None
    data = smoke.model_dump(mode="json", exclude_defaults=True)
    data["injects"] = [_example(cls, "atlantis")]
    with pytest.raises(ScenarioError, match=r"injects\.0\.target: .*\(got 'atlantis'\)"):
        parse_scenario(data, ref=ref)


@pytest.mark.parametrize("cls", INJECT_CLASSES, ids=INJECT_KINDS)
def test_every_kind_has_a_handler(cls, smoke, ref):
    inj = cls.model_validate(_example(cls, _target(cls, smoke, ref)))
    acts = [border_action(inj), downstream_action(inj)]
    if isinstance(inj, SurgeInject):  # surges act on arrivals
        assert acts == [None, None]
    else:
        assert sum(a is not None for a in acts) == 1


@pytest.mark.parametrize("cls", [c for c in INJECT_CLASSES if c.live], ids=[k for k in LIVE_KINDS])
def test_live_kind_round_trip(cls, smoke, ref):
    inj = _example(cls, _target(cls, smoke, ref))
    with_live = apply_levers(smoke, ref, injects=[inj])
    again = parse_scenario(yaml.safe_load(dump_scenario(with_live)), ref=ref)
    assert again == with_live
    assert inject_kind(type(again.injects[-1])) == inj["kind"]


def test_board_offers_the_live_kinds():
    from contingency.board import exercise_panel

    assert exercise_panel.LIVE_KINDS == LIVE_KINDS


def test_every_target_kind_has_choices(smoke, ref):
    for kind in TargetKind:
        in_play = checkpoints_in_play(smoke, ref)
        assert target_choices(kind, in_play=in_play, ref=ref, sites=_sites(smoke))


# ---------------------------------------------------------------- modes
def test_flat_processing_keys_read_as_per_mode(smoke, ref):
    data = smoke.model_dump(mode="json", exclude_defaults=True)
    cp = checkpoints_in_play(smoke, ref)[0]
    flat = {"car_min_per_vehicle": 3.0, "bus_min_per_person": 0.5, "pedestrian_min_per_person": 1}
    nested = {"car": {"min_per_vehicle": 3.0}, "bus": {"min_per_person": 0.5}}
    nested["pedestrian"] = {"min_per_person": 1}
    old = parse_scenario({**data, "checkpoint_overrides": {cp: {"processing": flat}}}, ref=ref)
    new = parse_scenario({**data, "checkpoint_overrides": {cp: {"processing": nested}}}, ref=ref)
    assert old == new
    minutes = resolve(new, ref).checkpoints[cp].processing
    assert minutes[Mode.car].min_per_vehicle == 3.0
    assert minutes[Mode.bus].min_per_person == 0.5
    assert minutes[Mode.pedestrian].min_per_person == 1.0
    assert minutes[Mode.car].min_per_person == ref.processing[cp][Mode.car].min_per_person


def test_mode_mix_is_keyed_by_mode_with_defaults(smoke, ref):
    data = smoke.model_dump(mode="json", exclude_defaults=True)
    data["mode_mix"] = {
        "car": {"share": 0.6, "occupancy": {1: 1.0}},
        "bus": {"share": 0.3, "occupancy": {40: 1.0}},
    }
    sc = parse_scenario(data, ref=ref)
    assert list(sc.mode_mix) == list(Mode)
    assert sc.mode_mix[Mode.pedestrian].share == pytest.approx(0.1)
    data["mode_mix"]["car"]["share"] = 0.7
    with pytest.raises(ScenarioError, match="mode_mix: car \\+ bus \\+ pedestrian shares"):
        parse_scenario(data, ref=ref)


def test_lanes_are_keyed_by_lane_mode(smoke, ref):
    data = smoke.model_dump(mode="json", exclude_defaults=True)
    cp = checkpoints_in_play(smoke, ref)[0]
    data["checkpoint_overrides"] = {cp: {"lanes": {"truck": 5, "car": 7}}}
    lanes = resolve(parse_scenario(data, ref=ref), ref).checkpoints[cp].lanes
    assert lanes[LaneMode.truck] == 5 and lanes[LaneMode.car] == 7
    assert lanes[LaneMode.bus] == ref.lanes[cp][LaneMode.bus]
    data["checkpoint_overrides"] = {cp: {"lanes": {"plane": 1}}}
    with pytest.raises(ScenarioError, match=rf"checkpoint_overrides\.{cp}\.lanes\.plane: "):
        parse_scenario(data, ref=ref)
