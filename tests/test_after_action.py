"""The after-action report: a PDF of the exercise's injects in time order (who, why, when) with
the measured effect of each against its baseline, the gaps and the figures at the end."""

from __future__ import annotations

import io

import pytest
import yaml
from pypdf import PdfReader

from contingency import SCENARIOS_DIR
from contingency.i18n import t
from contingency.mapping.after_action import after_action_pdf, remeasure
from contingency.mapping.export import FORMATS, SUFFIX, load_run, run_refdata
from contingency.metrics.delta import compare, sentences
from contingency.results import run_scenario
from contingency.scenario import load_scenario
from contingency.store.exercise import LogEntry

INJECTS = [  # written out of time order: the report puts them in order
    {
        "at_h": 12,
        "kind": "lanes",
        "target": "zhibek_zholy",
        "params": {"car": 4},
        "by": "Оперативный дежурный",
        "note": "Открыть резервные полосы",
    },
    {
        "at_h": 6,
        "kind": "checkpoint_close",
        "target": "kaplanbek",
        "by": "Штаб учения $ЧС_1$",  # drawn as written, not as a formula
        "note": "Инцидент на пункте",
    },
]


def _words(text: str) -> str:
    """``text`` with every run of white space (line breaks, no-break spaces) as one space."""
    return " ".join(text.split())


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return _words(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


@pytest.fixture(scope="module")
def two_injects(tmp_path_factory, cli):
    """A stored smoke run whose scenario holds two injects with who and why."""
    data = yaml.safe_load((SCENARIOS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    data["injects"] = INJECTS
    folder = tmp_path_factory.mktemp("aar")
    path = folder / "two_injects.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    res = cli("run", path, "--out", folder / "run")
    assert res.exit_code == 0, res.stderr
    return folder / "run"


def _effects(run_dir, ref, lang: str) -> list[list[str]]:
    """The effect sentences of each inject in time order, measured here on their own."""
    sc = load_run(run_dir).scenario
    first, second = sorted(sc.injects, key=lambda i: i.at_h)
    runs = [
        run_scenario(sc.model_copy(update={"injects": kept}), ref)
        for kept in ([], [first], [first, second])
    ]
    return [
        sentences(compare(runs[i], runs[i + 1], ref), lang, ref, runs[i + 1].summary)
        for i in range(2)
    ]


@pytest.mark.parametrize(
    ("lang", "title"), [("ru", "Отчёт по итогам учения"), ("en", "After-action report")]
)
def test_the_cli_writes_the_report(two_injects, cli, ref, tmp_path, lang, title):
    out = tmp_path / f"aar-{lang}.pdf"
    res = cli("export", two_injects, "--format", "after_action", "--lang", lang, "--out", out)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip() == str(out)
    text = _pdf_text(out.read_bytes())
    assert title in text
    for inj in INJECTS:  # who and why, as written
        assert inj["by"] in text and inj["note"] in text
    close, lanes = (text.index(t(f"inject.{k}", lang) + ":") for k in ("checkpoint_close", "lanes"))
    assert close < lanes  # time order, not the order written
    effects = _effects(two_injects, ref, lang)
    assert effects[0]  # the closure has an effect worth saying
    for said in effects:
        assert _words("; ".join(said)) in text
    assert text.index(_words(effects[0][0])) < lanes


def test_the_report_has_its_default_file_name(two_injects, cli):
    res = cli("export", two_injects, "--format", "after_action", "--lang", "kk")
    assert res.exit_code == 0, res.stderr
    path = two_injects / "exports" / f"smoke-after_action-kk{SUFFIX['after_action']}"
    assert res.stdout.strip() == str(path)
    assert "Оқу-жаттығу қорытындысы бойынша есеп" in _pdf_text(path.read_bytes())
    assert "after_action" in FORMATS


def test_the_log_gives_real_time_and_operator(two_injects):
    run = load_run(two_injects)
    log = [
        LogEntry("2026-03-02T09:15:00+00:00", 0.0, "Иванова", "start"),
        LogEntry("2026-03-02T09:40:00+00:00", 6.0, "Сейткали", "inject", inject=dict(INJECTS[1])),
        LogEntry("2026-03-02T09:41:00+00:00", 6.0, "Петров", "inject", inject={"kind": "surge"}),
    ]
    text = _pdf_text(after_action_pdf(run, run_refdata(run), lang="ru", log=log, marking="ДСП"))
    assert "Реальное время: 2026-03-02 09:40 UTC; оператор: Сейткали" in text
    assert "Петров" not in text and "Иванова" not in text  # no inject of theirs in the run
    assert text.count("Реальное время") == 1  # the lanes inject has no entry
    assert "ДСП" in text


def test_each_inject_is_measured_against_the_injects_before_it(ref):
    smoke = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    sc = smoke.model_copy(update={"injects": [smoke.injects[i] for i in (2, 0, 1)]})
    seen: list[float] = []
    measured = remeasure(sc, sc.seed, on_progress=seen.append)
    assert measured.problem is None
    assert len(measured.runs) == len(sc.injects) + 1
    assert seen[-1] == 1.0 and seen == sorted(seen)
    kinds = [[i.kind for i in r.scenario.injects] for r in measured.runs]
    assert kinds[0] == [] and kinds[1] == ["checkpoint_close"]
    assert kinds[2] == ["checkpoint_close", "checkpoint_open"]
    assert kinds[3] == ["surge", "checkpoint_close", "checkpoint_open"]  # as written
    full = run_scenario(sc, ref)
    assert measured.runs[-1].summary["ledger"] == full.summary["ledger"]


def test_a_scenario_that_no_longer_fits_the_map_is_not_run_again(ref):
    sc = load_scenario(SCENARIOS_DIR / "smoke.yaml", ref=ref)
    gone = sc.model_copy(
        update={"injects": [sc.injects[0].model_copy(update={"target": "x_gone"})]}
    )
    measured = remeasure(gone, sc.seed)
    assert measured.runs == () and measured.problem and "x_gone" in measured.problem
