"""Ranges in a scenario: read as their modes, checked at both ends, sampled by their
distributions, accepted by the published schema."""

from __future__ import annotations

import json

import pytest
import yaml

from contingency.errors import ScenarioError
from contingency.resources import DEFAULT_SCENARIO, SCENARIOS_DIR
from contingency.scenario import load_scenario, parse_scenario
from contingency.scenario.ranges import Range, input_names, load_ranges, parse_ranged

SMOKE = SCENARIOS_DIR / "smoke.yaml"


def _smoke(**changes: object) -> dict:
    data = yaml.safe_load(SMOKE.read_text(encoding="utf-8"))
    for path, value in changes.items():
        *way, last = path.split("__")
        node = data
        for k in way:
            node = node.setdefault(k, {})
        node[last] = value
    return data


def _problems(data: dict, ref) -> list[tuple[str, str | None, str]]:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data, file="x.yaml", ref=ref)
    return [(p.field, p.key, str(p)) for p in err.value.problems]


def test_a_run_of_a_scenario_with_ranges_uses_the_modes(ref, tmp_path):
    plain = parse_scenario(_smoke(), ref=ref)
    ranged = parse_scenario(
        _smoke(
            transport__buses_per_day={"low": 20, "mode": 40, "high": 80},
            population__needs_shelter_share={"low": 0.25, "high": 0.45},  # midpoint 0.35
        ),
        ref=ref,
    )
    assert ranged == plain
    assert ranged.transport.buses_per_day == 40


def test_a_midpoint_of_a_whole_field_is_rounded_half_up_and_samples_are_whole(ref):
    data = _smoke(transport__buses_per_day={"low": 20, "high": 41})
    r = parse_ranged(data, ref=ref)
    assert r.scenario.transport.buses_per_day == 31  # 30.5
    rng = r.ranges["transport.buses_per_day"]
    assert rng.whole
    values = {rng.at(u / 1000) for u in range(1001)}
    assert values == set(range(20, 42))  # every whole value, the ends too


def test_the_bundled_default_scenario_runs_at_its_modes_as_before():
    """The ranges added to south_conflict keep each number it had as the mode."""
    ranged = load_ranges(DEFAULT_SCENARIO)
    assert len(ranged.ranges) >= 5
    assert all(r.mode is not None for r in ranged.ranges.values())
    sc = load_scenario(DEFAULT_SCENARIO)
    assert sc == ranged.scenario
    assert sc.influx["zhibek_zholy"].curve.total_persons == 160_000
    assert sc.transport.buses_per_day == 400
    assert sc.population.needs_shelter_share == 0.40


def test_low_above_high_is_refused_with_file_and_field(ref):
    problems = _problems(_smoke(transport__buses_per_day={"low": 80, "high": 20}), ref)
    assert [(f, k) for f, k, _ in problems] == [("transport.buses_per_day", "problem.range_order")]
    assert problems[0][2].startswith("x.yaml: transport.buses_per_day: a range needs low <= mode")


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ({"low": 1}, "problem.range_form"),
        ({"low": 1, "high": "a lot"}, "problem.range_form"),
        ({"low": 10, "mode": 90, "high": 80}, "problem.range_order"),
    ],
)
def test_malformed_ranges_are_refused(ref, value, key):
    problems = _problems(_smoke(transport__buses_per_day=value), ref)
    assert [(f, k) for f, k, _ in problems] == [("transport.buses_per_day", key)]


def test_a_fractional_end_of_a_whole_field_is_refused(ref):
    problems = _problems(_smoke(transport__buses_per_day={"low": 20.5, "high": 40}), ref)
    assert [(f, k) for f, k, _ in problems] == [
        ("transport.buses_per_day.low", "problem.int_from_float")
    ]


def test_each_end_is_checked_as_the_number_would_be(ref):
    problems = _problems(_smoke(transport__buses_per_day={"low": -5, "mode": 40, "high": 80}), ref)
    assert [(f, k) for f, k, _ in problems] == [("transport.buses_per_day.low", "problem.ge")]
    share = {"low": 0.2, "mode": 0.35, "high": 1.5}
    problems = _problems(_smoke(population__needs_shelter_share=share), ref)
    assert ("population.needs_shelter_share.high", "problem.le") in [(f, k) for f, k, _ in problems]


def test_a_shelter_share_range_takes_its_room_from_the_other_shares(ref):
    r = parse_ranged(_smoke(population__needs_shelter_share={"low": 0.15, "high": 0.55}), ref=ref)
    low = r.scenario_at({"population.needs_shelter_share": 0.15}).population
    assert low.needs_shelter_share == 0.15
    # the defaults own 0.45 and leaving 0.20 keep their proportion
    assert low.own_arrangements_share == pytest.approx(0.85 * 0.45 / 0.65)
    assert low.leaving_country_share == pytest.approx(0.85 * 0.20 / 0.65)


def test_validate_reports_range_problems_like_other_problems(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    data = _smoke(transport__buses_per_day={"low": 80, "high": 20})
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    res = cli("validate", bad)
    assert res.exit_code == 2
    assert f"{bad}: transport.buses_per_day: a range needs low <= mode <= high" in res.stderr
    res = cli("validate", bad, "--lang", "ru")
    assert "в диапазоне должно быть low <= mode <= high" in res.stderr


def test_triangular_quantiles_follow_the_mode():
    r = Range(0.0, 10.0, 2.0)
    assert r.at(0.0) == 0.0 and r.at(1.0) == 10.0
    assert r.at(0.2) == pytest.approx(2.0)  # F(mode) = (2 - 0) / (10 - 0)
    assert Range(0.0, 10.0).at(0.5) == 5.0


def test_input_names_are_short_unless_they_clash():
    names = input_names(
        [
            "influx.zhibek_zholy.curve.total_persons",
            "transport.buses_per_day",
            "population.needs_shelter_share",
            "influx.kaplanbek.population.needs_shelter_share",
        ]
    )
    assert names["influx.zhibek_zholy.curve.total_persons"] == "zhibek_zholy.total_persons"
    assert names["transport.buses_per_day"] == "buses_per_day"
    assert names["population.needs_shelter_share"] == "needs_shelter_share"
    assert (
        names["influx.kaplanbek.population.needs_shelter_share"] == "kaplanbek.needs_shelter_share"
    )


def test_the_published_schema_accepts_a_range_where_a_number_is_and_checks_its_ends():
    import jsonschema

    schema = json.loads((SCENARIOS_DIR / "scenario.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)

    def errors(data: dict) -> list[str]:
        return [e.message for e in validator.iter_errors(json.loads(json.dumps(data, default=str)))]

    assert not errors(_smoke(transport__buses_per_day={"low": 20, "mode": 40, "high": 80}))
    assert errors(_smoke(transport__buses_per_day={"low": -1, "high": 80}))
    assert errors(_smoke(transport__buses_per_day={"low": 1, "hi": 80}))
    assert errors(_smoke(trigger={"low": 1, "high": 2}))  # not a number there
