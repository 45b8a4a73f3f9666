"""Scenario schema, loading, cross-reference checks and the validate command."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from contingency import DEFAULT_SCENARIO, SCENARIOS_DIR
from contingency.errors import ScenarioError
from contingency.scenario import (
    daily_totals,
    dump_scenario,
    hourly_totals,
    load_scenario,
    parse_scenario,
)
from contingency.scenario.influx import planned_days
from contingency.scenario.schema import InfluxCurve, InfluxSpec
from contingency.sim.internal import InternalOrigins

BUNDLED = sorted(SCENARIOS_DIR.glob("*.yaml"))
SMOKE = SCENARIOS_DIR / "smoke.yaml"


def test_at_least_four_scenarios_and_smoke():
    names = {p.stem for p in BUNDLED}
    assert "smoke" in names and len(names - {"smoke"}) >= 4


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenarios_validate(path, ref):
    sc = load_scenario(path, ref=ref)
    assert sc.name == path.stem
    crossing = sum(int(planned_days(sc, cp).sum()) for cp in sc.influx)
    assert crossing + InternalOrigins(sc, ref).displaced > 0


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_round_trip(path, ref, tmp_path):
    sc = load_scenario(path, ref=ref)
    out = tmp_path / path.name
    out.write_text(dump_scenario(sc), encoding="utf-8")
    assert load_scenario(out, ref=ref) == sc


def test_default_checkpoints_are_the_ten(ref):
    data = yaml.safe_load(SMOKE.read_text(encoding="utf-8"))
    data.pop("checkpoints", None)
    data["influx"] = {"tazhen": {"daily": [10]}}
    data["injects"] = []
    data.pop("checkpoint_overrides")
    sc = parse_scenario(data, ref=ref)
    assert sc.checkpoints is None and "tazhen" in ref.modernised_ids


@settings(max_examples=60, deadline=None)
@example(total=1000, horizon=5, start=4.49, ramp=3.0, plateau=0.0, half=1.0)
@example(total=1000, horizon=5, start=4.5, ramp=3.0, plateau=0.0, half=1.0)
@example(total=1000, horizon=5, start=7.0, ramp=0.0, plateau=0.0, half=0.1)
@example(total=7, horizon=60, start=0.0, ramp=0.0, plateau=0.0, half=0.1)
@given(
    total=st.integers(0, 5_000_000),
    horizon=st.integers(1, 60),
    start=st.floats(0, 10),
    ramp=st.floats(0, 10),
    plateau=st.floats(0, 10),
    half=st.floats(0.1, 20),
)
def test_curve_totals_are_exact(total, horizon, start, ramp, plateau, half):
    spec = InfluxSpec(
        curve=InfluxCurve(
            total_persons=total,
            start_day=start,
            ramp_days=ramp,
            plateau_days=plateau,
            half_life_days=half,
        )
    )
    days = daily_totals(spec, horizon)
    assert len(days) == horizon and (days >= 0).all()
    # Day d counts the curve at its midpoint d + 0.5: every person arrives within the horizon
    # once some midpoint lies after the start (start < horizon - 0.5), and nobody otherwise.
    assert days.sum() == (total if start < horizon - 0.5 else 0)
    hours = hourly_totals(days, [1.0] * 24)
    assert hours.sum() == days.sum()


def test_curve_shape_ramps_peaks_and_decays():
    spec = InfluxSpec(
        curve=InfluxCurve(total_persons=100_000, ramp_days=3, plateau_days=2, half_life_days=2)
    )
    days = daily_totals(spec, 20)
    assert days.sum() == 100_000
    assert days[0] < days[1] < days[2] <= days[3]
    assert days[3] == days[4]
    assert np.all(np.diff(days[5:]) <= 0)


def _smoke() -> dict:
    return yaml.safe_load(SMOKE.read_text(encoding="utf-8"))


def _set(data: dict, path: str, value) -> dict:
    keys = path.split(".")
    node = data
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


# (what to change, value, the exact line expected after the file name)
BAD = [
    ("horizon_days", -3, "horizon_days: input should be greater than or equal to 1 (got -3)"),
    (
        "horizon_days",
        "a week",
        "horizon_days: input should be a valid integer, unable to parse string as an integer (got 'a week')",
    ),
    (
        "trigger",
        "war",
        "trigger: input should be 'conflict', 'disaster', 'sanctions_mobilisation' or 'other' (got 'war')",
    ),
    ("horizn_days", 3, "horizn_days: unknown key (did you mean 'horizon_days'?) (got 3)"),
    (
        "influx.zhibek_zholy.daily.0",
        -5,
        "influx.zhibek_zholy.daily.0: input should be greater than or equal to 0 (got -5)",
    ),
    (
        "influx.zhibek_zholy",
        {"daily": [1], "curve": {"total_persons": 5}},
        "influx.zhibek_zholy: give exactly one of 'daily' (a list of daily totals), 'curve'",
    ),
    (
        "influx.zhibek_zholy.daily.0",
        20_000_000,
        "influx.zhibek_zholy: more than 10,000,000 arrivals on day 0 (got 20000000)",
    ),
    ("influx.atlantis", {"daily": [5]}, "influx.atlantis: unknown checkpoint id (got 'atlantis')"),
    (
        "influx.syrym",
        {"daily": [5]},
        "influx.syrym: checkpoint is not in this scenario's 'checkpoints' list (got 'syrym')",
    ),
    (
        "checkpoint_overrides",
        {"kaplanbek": {"lanes": {"car": 0}}},
        "checkpoint_overrides.kaplanbek.lanes.car: 0 lanes for car arrivals at a checkpoint with arrivals (got 0)",
    ),
    (
        "checkpoint_overrides.zhibek_zholy.lanes",
        {"car": -2},
        "checkpoint_overrides.zhibek_zholy.lanes.car: input should be greater than or equal to 0 (got -2)",
    ),
    (
        "population",
        {"needs_shelter_share": 0.9},
        "population: needs_shelter_share + own_arrangements_share + leaving_country_share must sum to 1 (sum is 1.55)",
    ),
    (
        "injects.0.target",
        "nowhere",
        "injects.0.target: not a checkpoint in this scenario (got 'nowhere')",
    ),
    (
        "injects.2.params.multiplier",
        -1,
        "injects.2.params.multiplier: input should be greater than 0 (got -1)",
    ),
    (
        "injects.0.kind",
        "explode",
        "injects.0: input tag 'explode' found using 'kind' does not match any of the expected tags",
    ),
    (
        "injects.4.target",
        "shymkent--atlantis",
        "injects.4.target: unknown road node 'atlantis' (got 'shymkent--atlantis')",
    ),
    (
        "injects.4.target",
        "shymkent",
        "injects.4.target: a road is written as 'node--node' (got 'shymkent')",
    ),
    (
        "injects.6.target",
        "ghost_centre",
        "injects.6.target: unknown centre id (got 'ghost_centre')",
    ),
    ("injects.0.at_h", 1000, "injects.0.at_h: is after the horizon (48 h) (got 1000.0)"),
    (
        "region_capacity",
        {"KZ-99": 10},
        "region_capacity.KZ-99: unknown region code (did you mean 'KZ-79'?) (got 'KZ-99')",
    ),
    ("hourly_profile", [1, 2, 3], "hourly_profile: must list 24 hourly weights (got 3)"),
    (
        "mode_mix",
        {"car": {"share": 1.0, "occupancy": {1: 0.5}}},
        "mode_mix.car.occupancy: group-size weights must sum to 1 (sum is 0.5)",
    ),
    ("injects.2.at_h", 10.5, "injects.2: a surge starts on a whole hour (at_h 10.5)"),
    (
        "checkpoint_overrides.zhibek_zholy.shifts.0.start_h",
        8,
        "checkpoint_overrides.zhibek_zholy.shifts.0: a shift from 8 to 8 h covers no hours",
    ),
    (
        "checkpoints",
        ["zhibek_zholy", "atlantis"],
        "checkpoints.1: unknown checkpoint id (got 'atlantis')",
    ),
    (
        "reserves",
        [{"id": "x", "kind": "lanes", "target": "zhibek_zholy", "amount": 1, "unit_cost": 1}],
        "reserves.0: a lanes reserve needs a 'mode' (car, bus or pedestrian)",
    ),
    (
        "reserves",
        [{"id": "x", "kind": "beds", "target": "nowhere", "amount": 1, "unit_cost": 1}],
        "reserves.0.target: unknown centre id (got 'nowhere')",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "expected"), BAD, ids=[b[0] + "=" + str(b[1])[:20] for b in BAD]
)
def test_bad_input_gives_clear_line(path, value, expected, tmp_path, ref):
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(_set(_smoke(), path, value)), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(f, ref=ref)
    lines = str(err.value).splitlines()
    assert any(line.startswith(f"{f}: {expected}") for line in lines), lines


def test_every_problem_is_reported_at_once(tmp_path, ref):
    data = _smoke()
    data["horizon_days"] = 0
    data["trigger"] = "war"
    data["colour"] = "red"
    f = tmp_path / "many.yaml"
    f.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(f, ref=ref)
    assert len(err.value.problems) == 3


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name: [unclosed\n", "line 2, column 1: malformed YAML"),
        ("- just\n- a list\n", "(top level): a scenario must be a mapping of keys (got 'list')"),
        ("", "(top level): a scenario must be a mapping of keys (got 'NoneType')"),
    ],
)
def test_unreadable_files(content, expected, tmp_path, ref):
    f = tmp_path / "x.yaml"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(ScenarioError, match=None) as err:
        load_scenario(f, ref=ref)
    assert str(err.value).startswith(f"{f}: {expected}")


def test_unknown_checkpoint_named_twice_is_an_error_not_a_crash(tmp_path, ref):
    data = _smoke()
    data["checkpoints"] = ["zhibek_zholy", "kaplanbek", "atlantis"]
    data["influx"]["atlantis"] = {"daily": [10]}
    f = tmp_path / "x.yaml"
    f.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(f, ref=ref)
    assert f"{f}: influx.atlantis: unknown checkpoint id (got 'atlantis')" in str(err.value)


def test_a_folder_is_not_a_scenario(tmp_path, ref):
    with pytest.raises(ScenarioError, match="not a file"):
        load_scenario(tmp_path, ref=ref)


def test_file_too_large(tmp_path, ref):
    f = tmp_path / "big.yaml"
    f.write_text("# " + "x" * 1_100_000 + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="larger than 1,000,000 bytes"):
        load_scenario(f, ref=ref)


def test_cli_validate_ok():
    """The real ``python -m contingency`` entry point, in its own process."""
    res = subprocess.run(
        [sys.executable, "-m", "contingency", "validate", *map(str, BUNDLED)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.count(": ok") == len(BUNDLED)


def test_cli_validate_bad_exit_2_one_line_each(cli, tmp_path):
    data = _smoke()
    data["horizon_days"] = -1
    data["influx"]["atlantis"] = {"daily": [1]}
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(data), encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    res = cli("validate", f, missing, SMOKE)
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert lines[0] == f"{f}: horizon_days: input should be greater than or equal to 1 (got -1)"
    assert lines[1].startswith(f"{missing}: cannot open file")
    assert "Traceback" not in res.stderr
    assert len(lines) == 2


def test_cli_bad_yaml_never_tracebacks(cli, tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_bytes(b"\xff\xfe garbage: [")
    res = cli("validate", f)
    assert res.exit_code == 2 and "Traceback" not in res.stderr
    assert res.stderr.startswith(f"{f}: file is not UTF-8 text")


def test_the_boards_default_is_a_bundled_scenario_that_validates(ref):
    assert DEFAULT_SCENARIO.name == "south_conflict.yaml"  # named in the README
    assert DEFAULT_SCENARIO.name in {p.name for p in BUNDLED}
    assert load_scenario(DEFAULT_SCENARIO, ref=ref).name == "south_conflict"


def test_validate_reports_schema_and_reference_problems_in_one_pass(tmp_path, cli):
    """Before: a schema error hid every cross-reference problem (unknown ids, times after the
    horizon) until it was fixed, so a writer met the problems one round at a time."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ntitle: {ru: Плохой, en: Bad}\nstart: 2027-03-01T00:00:00\n"
        "horizon_days: 5\nseed: 1\ntrigger: other\ntransprot: {buses_per_day: 5}\n"
        "checkpoints: [zhibek_zholi]\ninflux:\n  zhibek_zholy: {daily: [100, 200]}\n"
        "injects:\n  - {at_h: 5, kind: checkpoint_clos, target: zhibek_zholy}\n"
        "  - {at_h: 500, kind: checkpoint_close, target: zhibek_zholy}\n",
        encoding="utf-8",
    )
    out = cli("validate", str(bad))
    assert out.exit_code == 2
    lines = out.output.splitlines()
    assert any("transprot: unknown key (did you mean 'transport'?)" in x for x in lines)
    assert any("injects.0: input tag 'checkpoint_clos'" in x for x in lines)
    assert any(
        "checkpoints.0: unknown checkpoint id (did you mean 'zhibek_zholy'?)" in x for x in lines
    )
    assert any("injects.1.at_h: is after the horizon (120 h)" in x for x in lines)  # its own index
