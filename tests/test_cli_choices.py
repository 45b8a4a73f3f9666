"""The command line's choices and ranges, bundled scenarios by name, and the published schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest

from contingency import cli as cli_module
from contingency.resources import (
    PROJECT_ROOT,
    SCENARIOS_DIR,
    SCHEMA_FILE_NAME,
    bundled_scenario,
    bundled_scenarios,
    scenario_path,
)

SCHEMA_FILE = SCENARIOS_DIR / SCHEMA_FILE_NAME


def _flat(text: str) -> str:
    """stderr without the box typer draws around usage errors, on one line."""
    return " ".join(text.replace("│", " ").split())


def test_choices_are_the_package_enumerations():
    from contingency.board.auth import ROLES
    from contingency.i18n import LANGUAGES
    from contingency.mapping.export import FORMATS

    assert get_args(cli_module.ExportFormat) == FORMATS
    assert get_args(cli_module.Language) == LANGUAGES
    assert get_args(cli_module.Role) == ROLES


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["export", "RUN", "--format", "bmp"], "'--format'"),
        (["export", "RUN", "--format", "png", "--lang", "de"], "'--lang'"),
        (["export", "RUN", "--format", "png", "--day", "0"], "'--day'"),
        (["stress", "smoke", "--replications", "0"], "'--replications'"),
        (["stress", "smoke", "--replications", "10001"], "'--replications'"),
        (["stress", "smoke", "--workers", "65"], "'--workers'"),
        (["bench", "--part", "everything"], "'--part'"),
        (["users", "add", "duty", "--role", "admin", "--file", "users.toml"], "'--role'"),
        (["scenarios", "--lang", "de"], "'--lang'"),
        (["board", "--port", "0"], "'--port'"),
    ],
)
def test_bad_choice_or_range_exits_2_naming_the_option(cli, args, option):
    res = cli(*args)
    assert res.exit_code == 2, res.output
    assert f"Invalid value for {option}" in _flat(res.stderr)


def test_a_bundled_scenario_is_found_by_name():
    smoke = SCENARIOS_DIR / "smoke.yaml"
    assert bundled_scenario("smoke") == bundled_scenario("smoke.yaml") == smoke
    assert scenario_path(Path("smoke")) == scenario_path(Path("smoke.yaml")) == smoke
    assert [p.name for p in bundled_scenarios()] == sorted(
        p.name for p in SCENARIOS_DIR.glob("*.yaml")
    )


@pytest.mark.parametrize("name", ["", ".yaml", "../maps/regions", "scenarios/smoke", "nope"])
def test_only_bare_names_of_bundled_scenarios_are_looked_up(name):
    assert bundled_scenario(name) is None
    assert scenario_path(Path(name or "x")) == Path(name or "x")


def test_a_file_given_wins_over_a_bundled_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "smoke").write_text("name: mine\n", encoding="utf-8")
    assert scenario_path(Path("smoke")) == Path("smoke")


def test_validate_takes_bundled_names(cli):
    res = cli("validate", "smoke", "south_conflict.yaml")
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [
        f"{SCENARIOS_DIR / 'smoke.yaml'}: ok",
        f"{SCENARIOS_DIR / 'south_conflict.yaml'}: ok",
    ]


def test_an_unknown_scenario_name_is_one_line_and_exit_2(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli("validate", "no_such_scenario")
    assert res.exit_code == 2 and "no_such_scenario" in res.stderr
    assert "Traceback" not in res.output


def test_scenarios_lists_every_bundled_one_with_its_title(cli):
    res = cli("scenarios", "--lang", "en")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["name", "trigger", "days", "title"]
    assert [line.split()[0] for line in lines[1:]] == [p.stem for p in bundled_scenarios()]
    smoke = next(line for line in lines if line.startswith("smoke "))
    assert smoke.split()[1:] == ["other", "2", "Smoke", "test"]
    assert "Проверочный сценарий" in cli("scenarios").stdout  # Russian by default


def test_published_schema_is_the_generated_one(cli, tmp_path):
    """After a schema change: ``contingency schema --out scenarios/scenario.schema.json``."""
    generated = cli_module.scenario_schema_json()
    assert SCHEMA_FILE.read_text(encoding="utf-8") == generated, (
        "regenerate it: python -m contingency schema --out scenarios/scenario.schema.json"
    )
    assert cli("schema").stdout == generated
    out = tmp_path / "s.json"
    assert cli("schema", "--out", out).exit_code == 0
    assert out.read_text(encoding="utf-8") == generated


def test_bundled_scenarios_pass_the_published_schema():
    """An editor using the schema shows no false error on a bundled scenario."""
    import jsonschema
    import yaml

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for path in bundled_scenarios():
        data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
        assert not errors, f"{path.name}: {errors[:5]}"


def test_checkout_links_point_at_the_top_level_folders():
    links = PROJECT_ROOT / "contingency" / "data"
    if not (links / "maps").is_symlink():
        pytest.skip("an installed package holds copies, not links")
    assert (links / "maps").resolve() == PROJECT_ROOT / "maps"
    assert (links / "scenarios").resolve() == PROJECT_ROOT / "scenarios"
    assert (links / "leaflet").resolve() == PROJECT_ROOT / "static" / "vendor" / "leaflet"
    for name in ("maps", "scenarios", "leaflet"):
        assert not Path((links / name).readlink()).is_absolute()  # a clone anywhere works
