"""Careless and hostile input: every bad file is a ScenarioError with field paths (exit 2 on the
command line), never a traceback, a hang, a memory blow-up or a silent substitution.

(a) a table of hand-made bad scenarios, (b) hypothesis mutations of the bundled scenarios,
(c) the alias bomb under resource limits in a subprocess (bounded by RLIMIT_AS and RLIMIT_CPU,
not by wall-clock asserts), plus the bounded upload parse of the board.
"""

from __future__ import annotations

import copy
import json
import math
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contingency import SCENARIOS_DIR
from contingency.errors import Problem, ScenarioError
from contingency.scenario import checkpoints_in_play, load_scenario, parse_scenario
from contingency.scenario import load as scenario_load
from contingency.scenario.influx import (
    hourly_totals,
    largest_remainder,
    largest_remainder_rows,
    planned_days,
)
from contingency.scenario.load import load_scenario_bytes, parse_yaml_bytes
from contingency.sim.arrivals import hourly_persons
from contingency.sim.internal import InternalOrigins

# The bounds the schema states (contingency.scenario.schema), as users read them in messages.
MAX_LANES = 200
MAX_SEED = 2**32 - 1
MAX_TOTAL_PERSONS = 20_000_000

SMOKE = SCENARIOS_DIR / "smoke.yaml"
SMOKE_TEXT = SMOKE.read_text(encoding="utf-8")
BUNDLED = sorted(SCENARIOS_DIR.glob("*.yaml"))

ALIAS_BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{k}: &{k} [{','.join(['*' + p] * 9)}]"
            for p, k in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "",
    ]
)


def _smoke() -> dict:
    return yaml.safe_load(SMOKE_TEXT)


def _with(**changes) -> str:
    """Smoke scenario YAML with dotted paths (``a__b__0`` for ``a.b.0``) set to values."""
    data = _smoke()
    for path, value in changes.items():
        keys = path.split("__")
        node = data
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
        last = keys[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _surges(n: int, multiplier: float) -> list[dict]:
    return [
        {"at_h": 0, "kind": "surge", "target": "zhibek_zholy", "params": {"multiplier": multiplier}}
        for _ in range(n)
    ]


def _deep(opening: str, closing: str, depth: int) -> str:
    return "description: " + opening * depth + closing * depth + "\n"


def _line_of(text: str, prefix: str) -> int:
    """The 1-based line of ``text`` that starts with ``prefix``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(prefix))


# (case id, YAML text, field path the problem is reported at, words the message contains)
CASES = [
    ("alias_bomb", ALIAS_BOMB, "line 1, column 4", "YAML aliases and anchors are not allowed"),
    (
        "one_alias",
        SMOKE_TEXT.replace("trigger: other", "trigger: &t other\nnote_again: *t"),
        "line 12, column 10",
        "YAML aliases and anchors are not allowed",
    ),
    (
        "duplicate_top_key",
        SMOKE_TEXT + "horizon_days: 30\n",
        "horizon_days",
        f"key given twice (on lines {_line_of(SMOKE_TEXT, 'horizon_days:')} and "
        f"{len(SMOKE_TEXT.splitlines()) + 1})",
    ),
    (
        "duplicate_nested_key",
        SMOKE_TEXT.replace(
            "  kaplanbek: {curve:", "  zhibek_zholy: {daily: [1]}\n  kaplanbek: {curve:"
        ),
        "influx.zhibek_zholy",
        f"key given twice (on lines {_line_of(SMOKE_TEXT, '  zhibek_zholy:')} and "
        f"{_line_of(SMOKE_TEXT, '  zhibek_zholy:') + 1})",
    ),
    ("merge_key", SMOKE_TEXT + "<<: {horizon_days: 3}\n", "<<", "merge keys"),
    ("deep_list", _deep("[", "]", 100_000), "line 1, column", "nested more than"),
    ("deep_map", _deep("{a: ", "}", 5_000), "line 1, column", "nested more than"),
    ("deep_block", "a:\n" + "".join("  " * i + "- \n" for i in range(1, 400)), "line", "nested"),
    ("binary_tag", SMOKE_TEXT.replace("name: smoke", "name: !!binary c21va2U="), "name", "tag"),
    (
        "python_tag",
        SMOKE_TEXT.replace("name: smoke", "name: !!python/object/apply:os.getcwd []"),
        "name",
        "tag",
    ),
    ("int_2_63", _with(horizon_days=2**63), "horizon_days", "less than or equal to 365"),
    ("seed_2_64", _with(seed=2**64), "seed", f"less than or equal to {MAX_SEED}"),
    (
        "daily_2_63",
        _with(influx__zhibek_zholy__daily=[2**63, 5]),
        "influx.zhibek_zholy.daily.0",
        "less than or equal to",
    ),
    (
        "int_4301_digits",
        SMOKE_TEXT.replace("seed: 7", "seed: " + "7" * 4301),
        "seed",
        "4,301 digits",
    ),
    (
        "int_4301_digits_in_list",
        SMOKE_TEXT.replace("[3000, 2000]", "[3000, " + "2" * 4301 + "]"),
        "influx.zhibek_zholy.daily.1",
        "4,301 digits",
    ),
    (
        "sexagesimal_monster",
        SMOKE_TEXT.replace("seed: 7", "seed: " + ":".join(["59"] * 3000)),
        "seed",
        "digits",
    ),
    (
        "bad_date",
        SMOKE_TEXT.replace("start: 2027-01-01T00:00:00", "start: 2027-13-45"),
        "start",
        "not a valid date",
    ),
    (
        "year_9999",
        SMOKE_TEXT.replace("start: 2027-01-01T00:00:00", "start: 9999-12-31T00:00:00"),
        "start",
        "year must be from 1900 to 2200",
    ),
    ("year_1", _with(start="0001-01-01T00:00:00"), "start", "year must be from 1900 to 2200"),
    ("multiplier_nan", _with(influx_multiplier=math.nan), "influx_multiplier", "finite number"),
    (
        "surge_duration_inf",
        _with(injects__2__params__duration_h=math.inf),
        "injects.2.params.duration_h",
        "finite number",
    ),
    ("surge_at_inf", _with(injects__2__at_h=math.inf), "injects.2.at_h", "finite number"),
    ("wait_red_inf", _with(thresholds__wait_red_h=math.inf), "thresholds.wait_red_h", "finite"),
    (
        "penalty_nan",
        _with(routing__other_penalty_h=math.nan),
        "routing.other_penalty_h",
        "finite number",
    ),
    (
        "region_weight_inf",
        _with(routing__region_weights={"KZ-11": math.inf}),
        "routing.region_weights.KZ-11",
        "finite number",
    ),
    (
        "curve_start_inf",
        _with(influx__kaplanbek__curve__start_day=math.inf),
        "influx.kaplanbek.curve.start_day",
        "finite number",
    ),
    (
        "processing_inf",
        _with(
            checkpoint_overrides__zhibek_zholy__processing={"car": {"min_per_vehicle": math.inf}}
        ),
        "checkpoint_overrides.zhibek_zholy.processing.car.min_per_vehicle",
        "finite number",
    ),
    (
        "occupancy_weight_nan",
        _with(mode_mix={"car": {"share": 1.0, "occupancy": {1: math.nan}}}),
        "mode_mix.car.occupancy.1",
        "finite number",
    ),
    (
        "reserve_cost_inf",
        _with(reserves=[{"id": "r", "kind": "buses", "amount": 5, "unit_cost": math.inf}]),
        "reserves.0.unit_cost",
        "finite number",
    ),
    (
        "lanes_override_1e9",
        _with(checkpoint_overrides__zhibek_zholy__lanes={"car": 10**9}),
        "checkpoint_overrides.zhibek_zholy.lanes.car",
        f"less than or equal to {MAX_LANES}",
    ),
    (
        "surge_extra_lanes_1e9",
        _with(
            checkpoint_overrides__zhibek_zholy__surge={
                "extra_lanes": {"pedestrian": 10**9},
                "queue_threshold_persons": 100,
            }
        ),
        "checkpoint_overrides.zhibek_zholy.surge.extra_lanes.pedestrian",
        f"less than or equal to {MAX_LANES}",
    ),
    (
        "lanes_inject_1e9",
        _with(injects__3__params={"car": 10**9}),
        "injects.3.params.car",
        f"less than or equal to {MAX_LANES}",
    ),
    (
        "lanes_reserve_huge",
        _with(
            reserves=[
                {
                    "id": "r",
                    "kind": "lanes",
                    "target": "zhibek_zholy",
                    "mode": "car",
                    "amount": 100_000,
                    "unit_cost": 1,
                }
            ]
        ),
        "reserves.0",
        f"at most {MAX_LANES} lanes",
    ),
    (
        "waiting_area_huge",
        _with(checkpoint_overrides__zhibek_zholy__waiting_area_persons=10**15),
        "checkpoint_overrides.zhibek_zholy.waiting_area_persons",
        "less than or equal to",
    ),
    (
        "centre_beds_huge",
        _with(centre_overrides={"srh_shymkent": {"beds": 10**15}}),
        "centre_overrides.srh_shymkent.beds",
        "less than or equal to",
    ),
    (
        "inject_beds_huge",
        _with(injects__6__params__beds=10**15),
        "injects.6.params.beds",
        "less than or equal to",
    ),
    (
        "region_capacity_huge",
        _with(region_capacity={"KZ-11": 10**15}),
        "region_capacity.KZ-11",
        "less than or equal to",
    ),
    (
        "two_times_100m",
        _with(
            influx={
                "zhibek_zholy": {"curve": {"total_persons": 100_000_000}},
                "kaplanbek": {"curve": {"total_persons": 100_000_000}},
            }
        ),
        "influx.zhibek_zholy.curve.total_persons",
        f"less than or equal to {MAX_TOTAL_PERSONS}",
    ),
    (
        "two_times_15m_over_budget",
        _with(
            horizon_days=30,
            influx={
                "zhibek_zholy": {"curve": {"total_persons": 15_000_000, "half_life_days": 30}},
                "kaplanbek": {"curve": {"total_persons": 15_000_000, "half_life_days": 30}},
            },
        ),
        "influx",
        f"more than the {MAX_TOTAL_PERSONS:,}",
    ),
    (
        "multiplier_over_budget",
        _with(
            horizon_days=30,
            influx={"zhibek_zholy": {"curve": {"total_persons": 5_000_000, "half_life_days": 30}}},
            influx_multiplier=50,
        ),
        "influx",
        f"more than the {MAX_TOTAL_PERSONS:,}",
    ),
    (
        "stacked_surges",
        _with(injects=_surges(12, 100.0)),
        "injects.1.params.multiplier",
        "with this surge",
    ),
    (
        "hourly_profile_1e307",
        _with(hourly_profile=[1e307] * 24),
        "hourly_profile.0",
        "less than or equal to",
    ),
    ("hourly_profile_inf", _with(hourly_profile=[math.inf] * 24), "hourly_profile.0", "finite"),
    (
        "curve_beyond_horizon",
        _with(influx__kaplanbek__curve__start_day=5),
        "influx.kaplanbek.curve.start_day",
        "the curve starts after the horizon",
    ),
    (
        "curve_that_never_arrives",
        _with(
            influx__kaplanbek__curve={
                "total_persons": 500,
                "start_day": 0.5,
                "ramp_days": 0,
                "plateau_days": 0,
                "half_life_days": 1e-9,
            }
        ),
        "influx.kaplanbek.curve",
        "none of its 500 persons arrive",
    ),
    (
        "daily_longer_than_any_horizon",
        _with(influx__zhibek_zholy__daily=[1] * 400),
        "influx.zhibek_zholy.daily",
        "at most 365",
    ),
    ("influx_wrong_type", _with(influx=[1, 2]), "influx", "valid dictionary"),
    ("injects_wrong_type", _with(injects={"a": 1}), "injects", "valid list"),
    ("nested_list_for_int", _with(horizon_days=[[[[1]]]]), "horizon_days", "valid integer"),
    ("long_string_name", _with(name="x" * 100_000), "name", "at most 80"),
    (
        "negative_beds",
        _with(injects__6__params__beds=-1),
        "injects.6.params.beds",
        "greater than or equal to 0",
    ),
]


def _lines(text: str) -> list[str]:
    return text.strip().splitlines()


def _matches(lines: list[str], file: str, field: str, words: str) -> bool:
    return any(line.startswith(f"{file}: {field}") and words in line for line in lines)


@pytest.mark.parametrize(
    ("text", "field", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_scenario_is_a_scenario_error_with_a_field_path(text, field, words, tmp_path, ref):
    f = tmp_path / "bad.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:  # any other exception fails the test
        load_scenario(f, ref=ref)
    lines = _lines(str(err.value))
    assert _matches(lines, str(f), field, words), lines
    assert all(p.field for p in err.value.problems), lines
    assert all(len(line) < 600 for line in lines), "an error line quotes too much"


def _limits(memory_bytes: int = 1 << 30, cpu_s: int = 60):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))

    return apply


def _cli_bounded(*args: str, memory_bytes: int = 1 << 30, cpu_s: int = 60):
    return subprocess.run(
        [sys.executable, "-m", "contingency", *args],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_limits(memory_bytes, cpu_s),
    )


def test_cli_validate_every_bad_case_exit_2_one_line_each_never_a_traceback(tmp_path):
    files = []
    for name, text, _, _ in CASES:
        f = tmp_path / f"{name}.yaml"
        f.write_text(text, encoding="utf-8")
        files.append(f)
    res = _cli_bounded("validate", *map(str, files))
    assert res.returncode == 2, res.stderr[-2000:]
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    lines = _lines(res.stderr)
    for f, (_, _, field, words) in zip(files, CASES, strict=True):
        assert _matches(lines, str(f), field, words), (f.name, [x for x in lines if f.name in x])
    assert all(": " in line.removeprefix(str(tmp_path)) for line in lines)


# ------------------------------------------------------------------ (c) resources, not clocks
def test_alias_bomb_validates_within_1_gib_and_20_cpu_seconds(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB, encoding="utf-8")
    assert bomb.stat().st_size < 700
    res = _cli_bounded("validate", str(bomb), memory_bytes=1 << 30, cpu_s=20)
    assert res.returncode == 2, (res.returncode, res.stderr[-1000:])
    assert "Traceback" not in res.stderr
    assert res.stderr.strip() == (
        f"{bomb}: line 1, column 4: YAML aliases and anchors are not allowed"
    )


# ------------------------------------------------------------------ the board's upload path
def test_upload_parse_reads_good_files_and_refuses_the_bomb():
    ok, problems = scenario_load.parse_yaml_bytes_bounded(SMOKE_TEXT.encode(), file="up.yaml")
    assert problems == [] and ok == _smoke()
    data, problems = scenario_load.parse_yaml_bytes_bounded(ALIAS_BOMB.encode(), file="up.yaml")
    assert data is None
    assert [str(p) for p in problems] == [
        "up.yaml: line 1, column 4: YAML aliases and anchors are not allowed"
    ]


def test_upload_parse_reports_time_and_memory_limits():
    slow = ("a: [" + ",".join(["0"] * 300_000) + "]\n").encode()
    data, problems = scenario_load.parse_yaml_bytes_bounded(slow, file="up.yaml", timeout_s=0.2)
    assert data is None and len(problems) == 1
    assert str(problems[0]).startswith("up.yaml: (top level): reading the file took longer than")
    data, problems = scenario_load.parse_yaml_bytes_bounded(
        slow, file="up.yaml", memory_bytes=8 << 20
    )
    assert data is None and len(problems) == 1
    assert "MB of memory" in str(problems[0]), problems


def test_load_scenario_bytes_refuses_the_bomb(ref):
    with pytest.raises(ScenarioError, match="YAML aliases and anchors are not allowed"):
        load_scenario_bytes(ALIAS_BOMB.encode(), file="up.yaml", ref=ref)


def _board():
    from streamlit.testing.v1 import AppTest

    from contingency import PROJECT_ROOT

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=180)
    at.query_params["scenario"] = "smoke.yaml"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_board_upload_of_the_bomb_shows_the_problem():
    at = _board()
    at.file_uploader(key="upload").set_value(("b.yaml", ALIAS_BOMB.encode(), "application/x-yaml"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # in the page's language (Russian)
    assert "b.yaml: строка 1, позиция 4: ссылки и якоря YAML не допускаются" in at.error[0].value


def test_board_seed_and_lever_widgets_share_the_schema_bounds():
    at = _board()
    assert at.number_input(key="seed").proto.max == MAX_SEED
    assert at.number_input(key="lv_buses").proto.max == 100_000
    assert at.number_input(key="lv_onward").proto.max == 100_000
    editors = {d.proto.id.rsplit("-", 1)[-1]: json.loads(d.proto.columns) for d in at.dataframe}
    for key, columns, most in (
        ("lv_lanes", ("car", "bus", "pedestrian"), MAX_LANES),
        ("lv_beds", ("beds",), 1_000_000),
    ):
        for c in columns:
            config = editors[key][c]
            assert config["required"] is True
            assert config["type_config"]["min_value"] == 0
            assert config["type_config"]["max_value"] == most


def test_levers_refuse_50_million_lanes_and_beds(ref):
    from contingency.levers import apply_levers

    sc = load_scenario(SMOKE, ref=ref)
    with pytest.raises(ScenarioError) as err:
        apply_levers(
            sc,
            ref,
            lanes={"zhibek_zholy": {"car": 50_000_000}},
            beds={"srh_shymkent": 50_000_000},
            buses_per_day=50_000_000,
        )
    text = str(err.value)
    assert (
        f"checkpoint_overrides.zhibek_zholy.lanes.car: input should be less than or equal to {MAX_LANES}"
        in text
    )
    assert "centre_overrides.srh_shymkent.beds: input should be less than or equal to" in text
    assert "transport.buses_per_day: input should be less than or equal to" in text


# ------------------------------------------------------------------ CLI seed
@pytest.mark.parametrize("seed", ["-1", "1e23", str(MAX_SEED + 1), "7" * 5000, "seven"])
def test_cli_run_seed_out_of_range_exit_2_one_line(cli, seed):
    res = cli("run", SMOKE, "--seed", seed)
    assert res.exit_code == 2, res.stderr[-1000:]
    assert "Traceback" not in res.stderr
    lines = _lines(res.stderr)
    assert len(lines) == 1 and lines[0].startswith(
        f"--seed: must be a whole number from 0 to {MAX_SEED} (got "
    ), lines
    assert len(lines[0]) < 200


# ------------------------------------------------------------------ exact splits
@pytest.mark.parametrize(
    "weights",
    [
        [1e6] * 24,
        [1e308] * 24,
        [1e6] + [1e-300] * 23,
        [5e-324] * 24,
        [0.0] * 23 + [1e-300],
        [1e6, 0.0] * 12,
        list(np.geomspace(1e-300, 1e6, 24)),
    ],
    ids=["max", "beyond_max", "one_big", "denormal", "one_tiny", "alternate", "geomspace"],
)
@pytest.mark.parametrize("total", [0, 1, 23, 24, 25, 9_999_999, 20_000_000])
def test_hourly_split_is_exact_at_the_extremes(weights, total):
    out = largest_remainder(np.asarray(weights, dtype=float), total)
    assert int(out.sum()) == total and (out >= 0).all()
    assert (out[np.asarray(weights) == 0] == 0).all()
    hours = hourly_totals(np.array([total, total // 3]), list(weights))
    assert int(hours.sum()) == total + total // 3


@given(
    data=st.data(),
    cols=st.integers(1, 6),
    rows=st.integers(0, 12),
)
@settings(max_examples=300, deadline=None)
def test_row_splits_are_the_one_at_a_time_splits(data, cols, rows):
    weight = st.one_of(
        st.sampled_from([0.0, 1e-300, 5e-324, 0.1, 1 / 3, 0.25, 1e6, 1e308]),
        st.floats(0, 1e6, allow_nan=False),
    )
    weights = np.array(
        data.draw(
            st.lists(st.lists(weight, min_size=cols, max_size=cols), min_size=rows, max_size=rows)
        ),
        dtype=float,
    ).reshape(rows, cols)
    totals = np.array(
        data.draw(st.lists(st.integers(0, 10**7), min_size=rows, max_size=rows)), dtype=np.int64
    )
    got = largest_remainder_rows(weights, totals)
    for r in range(rows):
        assert got[r].tolist() == largest_remainder(weights[r], int(totals[r])).tolist()


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=60))
@settings(max_examples=400, deadline=None)
def test_splitting_whole_counts_by_themselves_gives_them_back(counts):
    """Seats enough for everyone waiting give each place its own count: the bus dispatch
    skips the split then (``Downstream._dispatch``)."""
    want = np.array(counts, dtype=float)
    got = np.minimum(largest_remainder(want, int(want.sum())), want).astype(int)
    assert got.tolist() == counts


# ------------------------------------------------------------------ (b) hypothesis mutations
_BUNDLED_DATA = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in BUNDLED}


def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path


_LEAVES = {name: sorted(_leaves(d), key=str) for name, d in _BUNDLED_DATA.items()}

HOSTILE = st.sampled_from(
    [
        2**63,
        2**64 + 1,
        10**30,
        -1,
        -(2**63) - 1,
        0,
        math.inf,
        -math.inf,
        math.nan,
        1e308,
        -1e-308,
        5e-324,
        "x" * 5_000,
        "",
        None,
        True,
        [],
        {},
        [[[[1]]]],
        {"a": {"b": {"c": [1, 2, 3]}}},
        "2027-13-45",
        "9999-12-31T00:00:00",
        10**7,
        100,
        201,
    ]
)


def _total_persons(sc, ref) -> int:
    """Persons the engine will generate, computed the engine's own way."""
    total = 0
    for cp in checkpoints_in_play(sc, ref):
        hours = hourly_persons(sc, cp)
        assert (hours >= 0).all(), "negative arrivals"
        total += int(hours.sum())
    return total + InternalOrigins(sc, ref).displaced


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(_BUNDLED_DATA)),
    changes=st.lists(st.tuples(st.integers(0, 10**6), HOSTILE), min_size=1, max_size=3),
    through_yaml=st.booleans(),
)
def test_mutated_bundled_scenarios_validate_or_name_the_field(name, changes, through_yaml, ref):
    data = _mutated(name, changes)
    try:
        if through_yaml:
            raw = yaml.safe_dump(data, allow_unicode=True).encode("utf-8")
            parsed, problems = parse_yaml_bytes(raw, file="m.yaml")
            if problems:
                raise ScenarioError(problems)
            sc = parse_scenario(parsed, file="m.yaml", ref=ref)
        else:
            sc = parse_scenario(data, file="m.yaml", ref=ref)
    except ScenarioError as exc:
        assert exc.problems
        for p in exc.problems:
            assert isinstance(p, Problem) and p.field, str(p)
            assert len(str(p)) < 500
        return
    total = _total_persons(sc, ref)
    assert 0 <= total <= MAX_TOTAL_PERSONS
    for cp in sc.influx:
        assert (planned_days(sc, cp) >= 0).all()


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenarios_are_inside_every_bound(path, ref):
    sc = load_scenario(Path(path), ref=ref)
    assert 0 < _total_persons(sc, ref) <= MAX_TOTAL_PERSONS


def _mutated(name: str, changes: list[tuple[int, object]]) -> dict:
    data = copy.deepcopy(_BUNDLED_DATA[name])
    leaves = _LEAVES[name]
    for pick, value in changes:
        path = leaves[pick % len(leaves)]
        node = data
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    return data


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=st.lists(
        st.tuples(
            st.sampled_from(sorted(_BUNDLED_DATA)),
            st.lists(st.tuples(st.integers(0, 10**6), HOSTILE), min_size=1, max_size=3),
        ),
        min_size=30,
        max_size=30,
    )
)
def test_mutated_scenarios_through_the_cli_under_resource_limits(batch, tmp_path_factory):
    """The same mutations as above, as files a user hands to ``validate`` in one process
    bounded by 1 GiB and 60 CPU seconds: exit 0 or 2, never a traceback, every line
    ``FILE: field: problem``."""
    folder = tmp_path_factory.mktemp("mutated")
    files = []
    for i, (name, changes) in enumerate(batch):
        f = folder / f"m{i:02d}.yaml"
        f.write_text(yaml.safe_dump(_mutated(name, changes), allow_unicode=True), encoding="utf-8")
        files.append(f)
    res = _cli_bounded("validate", *map(str, files), memory_bytes=1 << 30, cpu_s=60)
    assert res.returncode in (0, 2), (res.returncode, res.stderr[-2000:])
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    for line in _lines(res.stderr):
        assert line.startswith(str(folder)), line
        file, field, message = [*line.split(": ", 2), "", ""][:3]
        assert file.endswith(".yaml") and field and message, line
    if res.returncode == 0:  # all valid: each said so
        ok = {line.split(": ")[0] for line in res.stdout.splitlines() if line.endswith(": ok")}
        assert ok == {str(f) for f in files}
    else:
        assert _lines(res.stderr)
