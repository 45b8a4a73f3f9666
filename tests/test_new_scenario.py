"""``contingency new``: a commented template with every key that validates as written."""

from __future__ import annotations

import yaml

from contingency.scenario import load_scenario
from contingency.scenario.schema import Scenario


def test_new_writes_a_template_with_every_key_that_validates(cli, tmp_path, monkeypatch, ref):
    monkeypatch.chdir(tmp_path)
    res = cli("new", "drill")
    assert res.exit_code == 0, res.stderr
    path = tmp_path / "drill.yaml"
    text = path.read_text(encoding="utf-8")
    for key in Scenario.model_fields:  # every top-level key, set or commented
        assert f"\n{key}:" in text or f"\n# {key}:" in text, key
    sc = load_scenario(path, ref=ref)
    assert sc.name == "drill"
    assert cli("validate", str(path)).exit_code == 0
    assert yaml.safe_load(text)["name"] == "drill"


def test_new_never_overwrites(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "drill.yaml").write_text("mine", encoding="utf-8")
    res = cli("new", "drill")
    assert res.exit_code == 2 and "exists" in res.stderr
    assert (tmp_path / "drill.yaml").read_text(encoding="utf-8") == "mine"


def test_new_refuses_a_bad_name(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli("new", "../escape")
    assert res.exit_code == 2
    assert not any(tmp_path.parent.glob("escape.yaml"))


def test_validate_offers_the_closest_key_and_id(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: t\ntrigger: other\nstart: 2027-01-01T00:00:00\nhorizon_days: 2\n"
        "influx: {zhibek_zholy: {daily: [10, 10]}}\ntransprt: {bus_seats: 40}\n",
        encoding="utf-8",
    )
    res = cli("validate", str(bad))
    assert res.exit_code == 2
    assert "transprt: unknown key (did you mean 'transport'?)" in res.stderr
    bad.write_text(
        "name: t\ntrigger: other\nstart: 2027-01-01T00:00:00\nhorizon_days: 2\n"
        "influx: {zhibek_zholy: {daily: [10, 10]}, kaplanbk: {daily: [1, 1]}}\n",
        encoding="utf-8",
    )
    res = cli("validate", str(bad))
    assert "influx.kaplanbk: unknown checkpoint id (did you mean 'kaplanbek'?)" in res.stderr


def test_the_commented_examples_validate_when_used(ref):
    from contingency.scenario import parse_scenario
    from contingency.scenario.template import EXAMPLES, REQUIRED_EXAMPLE

    data = {"name": "drill", **REQUIRED_EXAMPLE, **EXAMPLES}
    data.pop("maps")  # names a folder beside the file
    data["checkpoints"] = ["zhibek_zholy", "kaplanbek", "planned_post"]
    data["influx"] = {**data["influx"], "kaplanbek": {"daily": [10]}}
    sc = parse_scenario(data, ref=ref)
    assert {a.id for a in sc.add_centres} == {"school_1"}
