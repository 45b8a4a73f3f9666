"""Stress runs that must fail loudly (every replication failed, bad options, an unreachable
scheduler) and exports that must carry user text safely (``$`` drawn literally by matplotlib,
no spreadsheet formulas in CSV cells)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile

import cloudpickle
import pandas as pd
import pytest
import typer
from pypdf import PdfReader

from contingency import SCENARIOS_DIR
from contingency.refdata import load_refdata
from contingency.refdata.load import MAPS_DIR
from contingency.results import run_scenario
from contingency.scenario import load_scenario, parse_scenario
from contingency.store import RunStore
from contingency.stress.runner import seeds_for

SMOKE = SCENARIOS_DIR / "smoke.yaml"


def _always_fails(text: str, seed: int) -> dict:
    raise RuntimeError(f"engine broke for seed {seed}")


cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def client():
    from contingency.stress.runner import dask_client

    with dask_client(workers=1) as c:
        yield c


# ------------------------------------------------------------ every replication failed
def test_study_with_every_replication_failed_raises_with_each_seed(client, ref):
    from contingency.stress.study import StudyFailed, run_study

    sc = load_scenario(SMOKE, ref=ref)
    with pytest.raises(StudyFailed) as info:
        run_study(sc, ref, client, replications=3, func=_always_fails)
    seeds = seeds_for(sc.seed, 3)
    assert [f["seed"] for f in info.value.failures] == seeds
    assert all(f"engine broke for seed {s}" in str(info.value) for s in seeds)


def test_cli_stress_with_every_replication_failed_exits_1_and_stores_nothing(
    client, ref, tmp_path, capsys
):
    from contingency.cli import _run_stress

    sc = load_scenario(SMOKE, ref=ref)
    with pytest.raises(typer.Exit) as info:
        _run_stress(
            sc,
            ref,
            replications=2,
            workers=None,
            scheduler=client.scheduler.address,
            sweep=None,
            budget=None,
            runs_dir=tmp_path,
            func=_always_fails,
        )
    assert info.value.exit_code == 1
    err = capsys.readouterr().err
    for s in seeds_for(sc.seed, 2):
        assert f"replication with seed {s} failed: RuntimeError: engine broke for seed {s}" in err
    assert "every replication failed" in err and "nothing stored" in err
    assert RunStore(tmp_path).list() == []
    assert "0 red" not in err


# ------------------------------------------------------------ bad options
def _stress(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "contingency", "stress", str(SMOKE), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**os.environ},
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "-1"], "'--workers': Input should be greater than or equal to 1"),
        (["--workers", "0"], "'--workers': Input should be greater than or equal to 1"),
        (["--workers", "65"], "'--workers': Input should be less than or equal to 64"),
        (
            ["--replications", "10001"],
            "'--replications': Input should be less than or equal to 10000",
        ),
        (
            ["--replications", "100000000000000000000000"],
            "'--replications': Input should be less than or equal to 10000",
        ),
        (["--sweep", "influx=nan:2"], "--sweep: need 0 < LOW < HIGH <= 100"),
        (["--sweep", "influx=1:inf"], "--sweep: need 0 < LOW < HIGH <= 100"),
        (["--sweep", "influx=2:1"], "--sweep: need 0 < LOW < HIGH <= 100"),
        (["--sweep", "influx=1:2:3"], "--sweep: write LEVER=LOW:HIGH"),
        (["--budget", "nan"], "--budget: must be a finite number above 0 (got nan)"),
        (["--budget", "inf"], "--budget: must be a finite number above 0 (got inf)"),
        (["--budget", "0"], "--budget: must be a finite number above 0 (got 0.0)"),
        (["--budget", "-5"], "--budget: must be a finite number above 0 (got -5.0)"),
    ],
)
def test_cli_stress_bad_values_exit_2_without_starting(cli, monkeypatch, args, message):
    def no_cluster(**_):
        pytest.fail(f"stress {' '.join(args)} started a Dask cluster")

    monkeypatch.setattr("contingency.stress.runner.dask_client", no_cluster)
    res = cli("stress", SMOKE, *args)
    assert res.exit_code == 2, res.stderr
    assert message in _flat(res.stderr) and "Traceback" not in res.stderr


def _flat(text: str) -> str:
    """stderr without the box typer draws around usage errors, on one line."""
    return " ".join(text.replace("│", " ").split())


def test_cli_stress_sweep_beyond_what_a_scenario_accepts_is_an_input_error(tmp_path, ref):
    # the smoke scenario at influx x60 is valid; the sweep's top (x60 x 2 = 120) is over 100
    from contingency.scenario import dump_scenario

    sc = load_scenario(SMOKE, ref=ref)
    data = sc.model_dump(mode="json", exclude_defaults=True)
    data["influx_multiplier"] = 60.0
    f = tmp_path / "big.yaml"
    f.write_text(dump_scenario(parse_scenario(data, ref=ref)), encoding="utf-8")
    res = subprocess.run(
        [sys.executable, "-m", "contingency", "stress", str(f), "--sweep", "influx=0.5:2"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert res.returncode == 2, res.stderr
    assert "--sweep: influx x2 gives an invalid scenario: " in res.stderr
    assert "influx_multiplier" in res.stderr and "Traceback" not in res.stderr


def test_cli_stress_unreachable_scheduler_is_reported_in_one_line():
    res = _stress("--scheduler", "tcp://127.0.0.1:1", "--replications", "1")
    assert res.returncode == 2, res.stderr
    assert "--scheduler: cannot reach tcp://127.0.0.1:1 (" in res.stderr
    assert "Traceback" not in res.stderr


# ------------------------------------------------------------ `$` drawn literally
DOLLAR_TITLE = "Budget $5 to $10"  # two `$`: mathtext would drop them and set 5 to in italics
MARKINGS = ["Cost $5 and $x^2$ {a}_b", "Fee $a_b_c$ {a}_b"]  # the second does not parse as math


@pytest.fixture(scope="module")
def dollar_run(tmp_path_factory, ref):
    sc = load_scenario(SMOKE, ref=ref)
    data = sc.model_dump(mode="json", exclude_defaults=True)
    data["title"] = {"ru": DOLLAR_TITLE, "kk": DOLLAR_TITLE, "en": DOLLAR_TITLE}
    out = tmp_path_factory.mktemp("runs") / "dollar-run"
    run_scenario(parse_scenario(data, ref=ref), ref).save(out)
    return out


def _pdf_text(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(path).pages)


@pytest.mark.parametrize("marking", MARKINGS)
def test_dollar_signs_in_title_and_marking_are_drawn_literally(dollar_run, tmp_path, marking):
    from contingency.mapping.export import export

    for fmt in ("png", "pdf", "briefing"):
        out = export(dollar_run, fmt, lang="en", out=tmp_path / f"x-{fmt}", marking=marking)
        assert out.stat().st_size > 1000
        if fmt != "png":
            text = _pdf_text(out)
            assert marking in text, text[:300]
            assert DOLLAR_TITLE in text


def test_envelope_chart_draws_dollar_signs_literally(tmp_path):
    from contingency.stress.sweep import SweepSpec, envelope_png

    table = pd.DataFrame([{"facility": "a", "breaking_point": 1.5, "red_throughout": False}])
    path = tmp_path / "envelope.png"
    envelope_png(
        table,
        SweepSpec.parse("influx=1:2"),
        path,
        title="run $a_b_c$: influx",
        labels={"a": "$x^$ gate"},
    )
    assert path.stat().st_size > 1000


# ------------------------------------------------------------ CSV formulas neutralised
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def formula_ref(tmp_path_factory):
    maps = tmp_path_factory.mktemp("maps") / "maps"
    shutil.copytree(MAPS_DIR, maps)
    centres = pd.read_csv(maps / "centres.csv", dtype=str, keep_default_na=False)
    centres.loc[0, ["name_ru", "name_en"]] = [FORMULA, "@SUM(1+1)*cmd|' /C calc'!A0"]
    centres.to_csv(maps / "centres.csv", index=False)
    cps = pd.read_csv(maps / "checkpoints.csv", dtype=str, keep_default_na=False)
    cps.loc[cps["modernised"] == "true", "name_en"] = "+1+cmd|' /C calc'!A0"
    cps.to_csv(maps / "checkpoints.csv", index=False)
    return load_refdata(maps)


def test_csv_export_neutralises_formulas_and_keeps_numbers(formula_ref):
    from contingency.mapping.export import Run, render

    ref = formula_ref
    res = run_scenario(load_scenario(SMOKE, ref=ref), ref)
    extra = pd.DataFrame(
        {
            "delta_persons": [-5, 3],
            "mixed": [-7, "-2+3+cmd|' /C calc'!A0"],
            "note": ["\tindent", "\rreturn"],
        }
    )
    run = Run("formula-run", res.scenario, {**res.tables, "extra": extra}, res.summary)
    data = render(run, "csv", lang="en", ref=ref)
    seen_formula = False
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if not name.endswith(".csv"):
                continue
            raw = z.read(name).decode("utf-8")
            for row in csv.reader(io.StringIO(raw, newline="")):  # as a spreadsheet reads it
                for cell in row:
                    assert not cell.startswith(("=", "+", "@", "\t", "\r")), (name, cell)
                    if cell.startswith("-"):
                        float(cell)  # only a negative number may start with a minus
            if FORMULA.replace('"', '""') in raw:
                seen_formula = True
                assert ("'" + FORMULA).replace('"', '""') in raw
        extra_back = list(csv.DictReader(io.StringIO(z.read("extra.csv").decode(), newline="")))
        centres = pd.read_csv(io.BytesIO(z.read(f"centres_at_h{_peak(run)}.csv")))
    assert seen_formula
    assert "'" + FORMULA in set(centres["name_ru"])
    assert [r["delta_persons"] for r in extra_back] == ["-5", "3"]  # numbers stay numbers
    assert [r["mixed"] for r in extra_back] == ["-7", "'-2+3+cmd|' /C calc'!A0"]
    assert [r["note"] for r in extra_back] == ["'\tindent", "'\rreturn"]


def _peak(run) -> int:
    from contingency.mapping.layers import peak_hour

    return peak_hour(run.tables)
