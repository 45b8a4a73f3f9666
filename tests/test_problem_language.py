"""Validation problems in Russian, Kazakh and English: keyed messages, numbers by the locale,
no internal class names, ``validate --lang``."""

from __future__ import annotations

import copy
import pickle
import re
import string
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from contingency import SCENARIOS_DIR
from contingency.board.numbers import number
from contingency.errors import InputError, Problem, msg, problem
from contingency.i18n import catalogue
from contingency.i18n.messages import message_text
from contingency.i18n.problems import localized, problems_text
from contingency.refdata import RefData
from contingency.scenario import schema
from contingency.scenario.load import parse_scenario, parse_yaml_bytes

SMOKE = yaml.safe_load((SCENARIOS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
Change = Callable[[dict[str, Any]], Any]


def _inject(**inj: Any) -> Change:
    return lambda d: d["injects"].append({"at_h": 1, "target": "x", **inj})


BAD: dict[str, Change] = {
    "unknown key": lambda d: d.update(horizon_dayz=3),
    "missing": lambda d: d.pop("trigger"),
    "below": lambda d: d.update(horizon_days=0),
    "above": lambda d: d.update(horizon_days=1000),
    "not an int": lambda d: d.update(horizon_days="two"),
    "fraction": lambda d: d.update(horizon_days=2.5),
    "not a number": lambda d: d.update(influx_multiplier="x"),
    "infinite": lambda d: d.update(influx_multiplier=float("inf")),
    "not a bool": lambda d: d.update(centre_overrides={"a": {"active": "maybe"}}),
    "not a string": lambda d: d.update(name=5),
    "pattern": lambda d: d.update(name="Bad Name"),
    "too long": lambda d: d.update(name="a" * 100),
    "literal": lambda d: d.update(routing={"dispatch": "weekly"}),
    "enum": lambda d: d.update(trigger="war"),
    "bad kind": _inject(kind="checkpoint_clos"),
    "no kind": _inject(),
    "inject not a mapping": lambda d: d["injects"].append(5),
    "not a list": lambda d: d.update(injects={"a": 1}),
    "model not a mapping": lambda d: d.update(transport=[1]),
    "lanes not a mapping": lambda d: d.update(checkpoint_overrides={"x": {"lanes": [1]}}),
    "union": lambda d: d.update(leaving={"via": 5}),
    "union of text": lambda d: d.update(description=5),
    "datetime": lambda d: d.update(start="yesterday"),
    "24 weights": lambda d: d.update(hourly_profile=[1] * 3),
    "zero weights": lambda d: d.update(hourly_profile=[0] * 24),
    "shares": lambda d: d.update(mode_mix={"car": {"share": 0.5, "occupancy": {1: 1}}}),
    "dispositions": lambda d: d.update(population={"needs_shelter_share": 0.9}),
    "one influx": lambda d: d["influx"].update(x={"daily": [1], "curve": {"total_persons": 1}}),
    "empty series": lambda d: d["influx"].update(x={"series": []}),
    "reserve target": lambda d: d.update(
        reserves=[{"id": "r", "kind": "beds", "amount": 1, "unit_cost": 1}]
    ),
    "reserve mode": lambda d: d.update(
        reserves=[{"id": "r", "kind": "lanes", "target": "kaplanbek", "amount": 1, "unit_cost": 1}]
    ),
    "reserve twice": lambda d: d.update(
        reserves=[{"id": "r", "kind": "buses", "amount": 1, "unit_cost": 1}] * 2
    ),
    "lane mode key": _inject(kind="lanes", params={"plane": 2}),
    "processing key": lambda d: d.update(checkpoint_overrides={"x": {"processing": {"plane": {}}}}),
    "from_h order": lambda d: d.update(
        checkpoint_overrides={
            "x": {"far_side": {"turn_back_share": [{"from_h": 3, "share": 0.1}] * 2}}
        }
    ),
    "via shares": lambda d: d.update(leaving={"via": [{"checkpoint": "a", "share": 0.5}]}),
    "thresholds": lambda d: d.update(thresholds={"wait_amber_h": 30, "wait_red_h": 10}),
    "checkpoint twice": lambda d: d.update(checkpoints=["kaplanbek", "kaplanbek"]),
    "no checkpoints": lambda d: d.update(checkpoints=[]),
    "year": lambda d: d.update(start="1800-01-01T00:00:00"),
    "site place": lambda d: d.update(
        add_centres=[
            {
                "id": "sch",
                "kind": "reception",
                "name": {"ru": "a", "kk": "a", "en": "a"},
                "region": "KZ-XX",
                "places": 5,
                "intake_per_hour": 5,
            }
        ]
    ),
    "unknown checkpoint": lambda d: d.update(checkpoints=["zhibek_zholi", "kaplanbek"]),
    "unknown centre": lambda d: d.update(centre_overrides={"srh_shymkentt": {"beds": 1}}),
    "unknown region": lambda d: d.update(region_capacity={"KZ-XXX": 1}),
    "target": _inject(kind="checkpoint_close", target="kaplanbekk"),
    "after the horizon": _inject(kind="checkpoint_close", target="kaplanbek", at_h=100),
    "road written": _inject(kind="road_close", target="shymkent"),
    "road node": _inject(kind="road_close", target="shymkent--nowhere"),
    "node": _inject(kind="mobile_unit", target="shymkentt", params={"beds": 5}),
    "site": _inject(kind="open_site", target="sch"),
    "wait at": lambda d: d.update(leaving={"wait_at": "nowhere"}),
    "registration": lambda d: d.update(registration={"at": "nowhere", "per_hour": 5}),
    "too many persons": lambda d: d["influx"].update(zhibek_zholy={"daily": [9_000_000] * 3}),
}
BAD_YAML = {
    "alias": b"a: &x 1\nb: *x\n",
    "tag": b"name: !!python/object 1\n",
    "merge": b"a: {x: 1}\nb:\n  <<: {y: 2}\n",
    "twice": b"name: a\nname: b\n",
    "malformed": b"name: [a\n",
    "not utf-8": b"name: \xff\n",
    "not a mapping": b"- 1\n",
    "digits": b"seed: " + b"1" * 200 + b"\n",
    "date": b"start: 2027-02-30\n",
}
STILL_ENGLISH = {
    "surge at_h": (
        _inject(kind="surge", target="kaplanbek", at_h=1.5, params={"multiplier": 2}),
        "a surge starts on a whole hour (at_h 1.5)",
    ),
    "on foot": (
        lambda d: d.update(
            checkpoint_overrides={"x": {"processing": {"pedestrian": {"min_per_vehicle": 1}}}}
        ),
        "pedestrian has no vehicle: give min_per_person only",
    ),
    "override only": (
        lambda d: d.update(add_checkpoints=[{"id": "a", "shifts": []}]),
        "'shifts' of an added checkpoint is set in checkpoint_overrides.<id>",
    ),
}
"""Messages that have English only (their Russian and Kazakh lines say so in a lead-in)."""
ALLOWED_LATIN = {"YAML", "UTF"}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]+")


def _problems(change: Change, ref: RefData) -> list[Problem]:
    data = copy.deepcopy(SMOKE)
    change(data)
    with pytest.raises(InputError) as caught:
        parse_scenario(data, file="s.yaml", ref=ref)
    return caught.value.problems


def _all_bad(ref: RefData) -> list[Problem]:
    out = [p for change in BAD.values() for p in _problems(change, ref)]
    for raw in BAD_YAML.values():
        out += parse_yaml_bytes(raw, file="s.yaml")[1]
    return out


def _words_left(text: str, values: dict[str, Any]) -> set[str]:
    """Latin words of ``text`` that are not quoted, not a value and not allowed."""
    for v in values.values():
        for part in v if isinstance(v, list | tuple) else [v]:
            text = text.replace(str(part), " ")
    text = re.sub(r"'[^']*'", " ", text)
    return set(LATIN_WORD.findall(text)) - ALLOWED_LATIN


def test_every_bad_input_gives_keyed_problems_in_russian_and_kazakh(ref: RefData) -> None:
    problems = _all_bad(ref)
    assert len(problems) >= len(BAD) + len(BAD_YAML)
    for p in problems:
        assert p.key is not None, str(p)
        for lang in ("ru", "kk"):
            text = message_text(p.key, p.values, lang)
            assert not _words_left(text, dict(p.values)), (lang, text)
            assert localized(p, lang).startswith(f"{p.file}: ")


def test_messages_left_in_english_are_listed_and_get_a_lead_in(ref: RefData) -> None:
    for change, english in STILL_ENGLISH.values():
        (p,) = [q for q in _problems(change, ref) if q.key is None]
        assert p.message == english
        ru = localized(p, "ru")
        assert ru.startswith("s.yaml: ") and "ошибка (описание только на английском)" in ru
        assert english in ru


def test_every_problem_key_is_in_all_three_languages_with_the_same_fields() -> None:
    en = {k: v for k, v in catalogue("en").items() if k.startswith("problem.")}
    assert len(en) > 100
    fields = string.Formatter()
    for lang in ("ru", "kk"):
        cat = catalogue(lang)
        for key, text in en.items():
            assert cat.get(key), (lang, key)
            names = {f for _, f, _, _ in fields.parse(cat[key]) if f is not None}
            en_names = {f for _, f, _, _ in fields.parse(text) if f is not None}
            assert names <= en_names, (lang, key)  # a language may leave a detail out
            specs = [s for _, f, s, c in fields.parse(cat[key]) if f is not None and (s or c)]
            assert not specs, (lang, key)  # numbers come written by the locale


SAMPLE = {
    "unknown key": "s.yaml: horizon_dayz: unknown key (did you mean 'horizon_days'?) (got 3)",
    "missing": "s.yaml: trigger: is required",
    "above": "s.yaml: horizon_days: input should be less than or equal to 365 (got 1000)",
    "shares": (
        "s.yaml: mode_mix: car + bus + pedestrian shares must sum to 1 (sum is 0.8) "
        "(got {'car': {'share': 0.5, 'occupancy': {1: 1}}})"
    ),
    "unknown checkpoint": (
        "s.yaml: checkpoints.0: unknown checkpoint id (did you mean 'zhibek_zholy'?) "
        "(got 'zhibek_zholi')"
    ),
    "after the horizon": "s.yaml: injects.7.at_h: is after the horizon (48 h) (got 100.0)",
    "reserve mode": (
        "s.yaml: reserves.0: a lanes reserve needs a 'mode' (car, bus or pedestrian) (got "
        "{'id': 'r', 'kind': 'lanes', 'target': 'kaplanbek', 'amou...)"
    ),
    "too many persons": (
        "s.yaml: injects.2.params.multiplier: with this surge 20,814,500 persons arrive in all, "
        "more than the 20,000,000 one run can simulate (got 2.0)"
    ),
    "checkpoint twice": (
        "s.yaml: checkpoints: lists a checkpoint twice: kaplanbek (got ['kaplanbek', 'kaplanbek'])"
    ),
}


@pytest.mark.parametrize("case", sorted(SAMPLE))
def test_english_lines_are_what_they_were(case: str, ref: RefData) -> None:
    (p,) = _problems(BAD[case], ref)[:1]
    assert str(p) == SAMPLE[case]
    assert localized(p, "en") == str(p)


def test_yaml_problems_keep_their_english_and_have_keys() -> None:
    (p,) = parse_yaml_bytes(BAD_YAML["twice"], file="y.yaml")[1]
    assert str(p) == "y.yaml: name: key given twice (on lines 1 and 2)"
    assert localized(p, "ru") == "y.yaml: name: ключ указан дважды (строки 1 и 2)"
    (p,) = parse_yaml_bytes(BAD_YAML["alias"], file="y.yaml")[1]
    assert localized(p, "kk").startswith("y.yaml: 1-жол, 4-позиция: ")


def test_numbers_are_written_by_the_locale(ref: RefData) -> None:
    (p,) = _problems(BAD["above"], ref)
    assert localized(p, "ru") == (
        f"s.yaml: horizon_days: должно быть не больше 365 (получено {number(1000, 'ru')})"
    )
    (p,) = _problems(BAD["too many persons"], ref)
    kk = localized(p, "kk")
    assert number(20_814_500, "kk") in kk and number(20_000_000, "kk") in kk
    (p,) = _problems(BAD["shares"], ref)
    assert "(сумма 0,8)" in localized(p, "ru")


def test_did_you_mean_in_every_language(ref: RefData) -> None:
    (p,) = _problems(BAD["bad kind"], ref)
    assert "(did you mean 'checkpoint_close'?)" in str(p)
    assert "(возможно, имелось в виду 'checkpoint_close'?)" in localized(p, "ru")
    (p,) = _problems(BAD["target"], ref)
    assert "('kaplanbek' болуы мүмкін бе?)" in localized(p, "kk")


def test_a_value_of_either_type_is_one_problem_without_type_names(ref: RefData) -> None:
    (p,) = _problems(BAD["union"], ref)
    assert str(p) == "s.yaml: leaving.via: input should be a valid string or a valid list (got 5)"
    assert (
        localized(p, "ru") == "s.yaml: leaving.via: должно быть так: текст или список (получено 5)"
    )


MODEL_NAMES = {
    name
    for name, obj in vars(schema).items()
    if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not BaseModel
}
UNION_LABEL = re.compile(r"constrained-|function-|(list|dict|literal)\[")
"""What pydantic puts in a field path for the member of a union."""
PATHS = [
    ("transport",),
    ("routing",),
    ("leaving",),
    ("leaving", "via"),
    ("description",),
    ("registration",),
    ("population",),
    ("mode_mix",),
    ("mode_mix", "car"),
    ("influx", "zhibek_zholy"),
    ("influx", "zhibek_zholy", "mode_mix"),
    ("influx", "zhibek_zholy", "hourly_profile"),
    ("checkpoint_overrides", "kaplanbek"),
    ("checkpoint_overrides", "kaplanbek", "far_side"),
    ("checkpoint_overrides", "kaplanbek", "processing"),
    ("checkpoint_overrides", "kaplanbek", "far_side", "turn_back_share"),
    ("injects", 0),
    ("injects", 0, "params"),
    ("injects", 3, "params"),
    ("reserves",),
    ("add_centres",),
    ("thresholds",),
]
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=VALUES)
def test_no_internal_class_names_reach_the_reader(
    path: tuple[str | int, ...], value: Any, ref: RefData
) -> None:
    data: Any = copy.deepcopy(SMOKE)
    data.setdefault("reserves", [])
    holder = data
    for part in path[:-1]:
        holder = holder.setdefault(part, {}) if isinstance(part, str) else holder[part]
    holder[path[-1]] = value
    try:
        parse_scenario(data, file="s.yaml", ref=ref)
    except InputError as exc:
        for p in exc.problems:
            for line in (str(p), localized(p, "ru"), localized(p, "kk")):
                head = line.split(" (got ")[0].split(" (получено ")[0].split(" (берілгені ")[0]
                assert "instance of" not in head and not UNION_LABEL.search(p.field), line
                assert not {w for w in re.findall(r"\w+", head) if w in MODEL_NAMES}, line


def test_problems_text_is_what_the_board_lists(ref: RefData) -> None:
    data = copy.deepcopy(SMOKE)
    BAD["unknown key"](data)
    BAD["enum"](data)
    with pytest.raises(InputError) as caught:
        parse_scenario(data, file="s.yaml", ref=ref)
    exc = caught.value
    assert problems_text(exc, "en") == [str(p) for p in exc.problems]
    ru = problems_text(exc, "ru")
    assert len(ru) == 2 and all(line.startswith("s.yaml: ") for line in ru)
    assert "неизвестный ключ" in "\n".join(ru)


def test_a_keyed_message_survives_pickling() -> None:
    p = problem("f.yaml", "x", msg("problem.after_horizon_h", horizon_h=48), 100)
    back = pickle.loads(pickle.dumps(p))
    assert back == p and back.key == "problem.after_horizon_h" and back.values == {"horizon_h": 48}
    assert str(back) == "f.yaml: x: is after the horizon (48 h) (got 100)"


def test_validate_lists_every_problem_in_the_language_asked(cli: Any, tmp_path: Any) -> None:
    bad = tmp_path / "bad.yaml"
    data = copy.deepcopy(SMOKE)
    BAD["unknown key"](data)
    BAD["enum"](data)
    BAD["model not a mapping"](data)
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    en = cli("validate", bad)
    assert en.exit_code == 2
    en_lines = en.stderr.strip().splitlines()
    assert len(en_lines) == 3 and all(line.startswith(f"{bad}: ") for line in en_lines)
    assert any("did you mean 'horizon_days'" in line for line in en_lines)
    assert cli("validate", bad, "--lang", "en").stderr == en.stderr
    ru = cli("validate", bad, "--lang", "ru")
    assert ru.exit_code == 2
    ru_lines = ru.stderr.strip().splitlines()
    assert len(ru_lines) == 3 and "возможно, имелось в виду 'horizon_days'" in ru.stderr
    assert not any("Transport" in line for line in en_lines + ru_lines)
    ok = cli("validate", "smoke", "--lang", "kk")
    assert ok.exit_code == 0 and ok.stdout.strip().endswith(": қате жоқ")
