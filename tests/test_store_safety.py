"""Saving runs never loses data: ``run --out`` refuses folders it did not write and replaces its
own atomically; the run store survives a read-only folder, a broken or missing index, a failed
index write and killed writers; exports refuse what they cannot draw instead of a traceback."""

from __future__ import annotations

import gc
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from contingency import SCENARIOS_DIR
from contingency.cli import app
from contingency.results import RunResult, run_scenario, write_run_files
from contingency.scenario import load_scenario
from contingency.store import RunStore

SMOKE = str(SCENARIOS_DIR / "smoke.yaml")


@pytest.fixture(scope="module")
def result(ref) -> RunResult:
    return run_scenario(load_scenario(SMOKE, ref=ref), ref)


@pytest.fixture
def umask_002():
    old = os.umask(0o002)
    yield
    os.umask(old)


def cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def _one_line(res) -> str:
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.output
    return lines[0]


def _store_runs(root: Path) -> list[str]:
    return [r.run_id for r in RunStore(root).list()]


# ------------------------------------------------------------------ 1. run --out DIR
def test_run_out_refuses_a_folder_of_other_files(tmp_path):
    out, store = tmp_path / "work", tmp_path / "store"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    res = cli("run", SMOKE, "--out", out, "--runs-dir", store)
    assert res.exit_code == 2
    assert _one_line(res).startswith(f"{out.resolve()}: ")
    assert _store_runs(store) == []  # refused before anything was written
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "mine"


def test_run_out_dot_keeps_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / "thesis.tex").write_text("years of work")
    monkeypatch.chdir(tmp_path)
    res = cli("run", SMOKE, "--out", ".", "--runs-dir", tmp_path / "store")
    assert res.exit_code == 2
    _one_line(res)
    assert (tmp_path / "thesis.tex").read_text() == "years of work"
    assert _store_runs(tmp_path / "store") == []  # refused before anything was written


def test_run_out_the_run_store_keeps_the_store(tmp_path, result):
    store = tmp_path / "store"
    kept = RunStore(store).save(
        result.write_files, scenario="smoke", seed=7, summary=result.summary
    )
    res = cli("run", SMOKE, "--out", store, "--runs-dir", store)
    assert res.exit_code == 2
    _one_line(res)
    assert _store_runs(store) == [kept.run_id]
    assert (kept.path / "summary.json").is_file()


def test_run_out_file_is_refused_with_one_line(tmp_path):
    out = tmp_path / "report.txt"
    out.write_text("keep")
    res = cli("run", SMOKE, "--out", out, "--runs-dir", tmp_path / "store")
    assert res.exit_code == 2
    assert _one_line(res).startswith(f"{out.resolve()}: ")
    assert out.read_text() == "keep"


def test_previous_run_folder_with_a_foreign_file_is_not_replaced(tmp_path, result):
    out = tmp_path / "out"
    result.save(out)
    (out / "my_notes.txt").write_text("mine")
    res = cli("run", SMOKE, "--out", out, "--runs-dir", tmp_path / "store")
    assert res.exit_code == 2
    assert "my_notes.txt" in _one_line(res)
    assert (out / "my_notes.txt").read_text() == "mine"
    assert (out / "summary.json").is_file()


def test_previous_run_folder_is_replaced_whole_with_its_exports(tmp_path, result):
    out = tmp_path / "out"
    result.save(out)
    (out / "exports").mkdir()
    (out / "exports" / "smoke-map-peak-ru.png").write_bytes(b"png")
    res = cli("run", SMOKE, "--seed", "11", "--out", out, "--runs-dir", tmp_path / "store")
    assert res.exit_code == 0, res.output
    assert json.loads((out / "summary.json").read_text())["seed"] == 11
    assert not (out / "exports").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "store"]  # nothing left aside


def test_failed_write_leaves_the_previous_run_untouched(tmp_path, result):
    out = tmp_path / "out"
    result.save(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    broken = RunResult(
        result.scenario, {**result.tables, "bad": pd.DataFrame({"x": [object()]})}, result.summary
    )
    with pytest.raises(Exception):  # noqa: B017 - whatever pyarrow raises
        broken.save(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_previous_run_survives_when_the_new_one_cannot_be_moved_in(tmp_path, result, monkeypatch):
    out = tmp_path / "out"
    result.save(out)
    newer = RunResult(result.scenario, result.tables, {**result.summary, "seed": 11})

    def refuse_new_run(move):
        def moved(src, dst, *args, **kwargs):
            summary = Path(src) / "summary.json"
            if Path(dst) == out and json.loads(summary.read_text())["seed"] == 11:
                raise OSError(28, "No space left on device", str(dst))
            return move(src, dst, *args, **kwargs)

        return moved

    monkeypatch.setattr(os, "rename", refuse_new_run(os.rename))
    monkeypatch.setattr(os, "replace", refuse_new_run(os.replace))
    with pytest.raises(OSError, match="No space"):
        newer.save(out)
    assert json.loads((out / "summary.json").read_text())["seed"] == result.summary["seed"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_run_and_store_folders_honour_the_umask(tmp_path, result, umask_002):
    saved = result.save(tmp_path / "out")
    stored = RunStore(tmp_path / "store").save(
        result.write_files, scenario="smoke", seed=7, summary=result.summary
    )
    for folder in (saved, stored.path):
        assert folder.stat().st_mode & 0o777 == 0o775
        assert (folder / "summary.json").stat().st_mode & 0o777 == 0o664


# ------------------------------------------------------------------ 6. the run store
def _as_read_only(root: Path, argv: list[str]) -> list[str]:
    """``argv`` run with ``root`` read-only. Root ignores file modes, so as root the store is
    bind-mounted read-only in a private mount namespace (EROFS stops root too)."""
    if os.geteuid() != 0:
        root.chmod(0o555)
        return argv
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare(1): cannot make a folder read-only")
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'
    return ["unshare", "--mount", "sh", "-c", script, str(root), *argv]


def test_read_only_store_can_be_listed(tmp_path, result):
    root = tmp_path / "store"
    stored = RunStore(root).save(
        result.write_files, scenario="smoke", seed=7, summary=result.summary
    )
    gc.collect()  # the writer is gone: no connection keeps the index's -wal/-shm files
    argv = [sys.executable, "-m", "contingency", "runs", "--runs-dir", str(root)]
    try:
        res = subprocess.run(_as_read_only(root, argv), capture_output=True, text=True, check=False)
    finally:
        root.chmod(0o755)
    assert res.returncode == 0, res.stderr
    assert stored.run_id in res.stdout
    assert "Traceback" not in res.stderr


def _corrupt_index(root: Path) -> None:
    for extra in ("-wal", "-shm"):
        Path(f"{root / 'index.sqlite'}{extra}").unlink(missing_ok=True)
    (root / "index.sqlite").write_bytes(b"this is not an SQLite database\n" * 200)


def test_corrupt_index_lists_from_folders_and_keeps_new_runs(tmp_path, result):
    store = tmp_path / "store"
    old = RunStore(store).save(result.write_files, scenario="smoke", seed=7, summary=result.summary)
    _corrupt_index(store)

    listed = cli("runs", "--runs-dir", store)
    assert listed.exit_code == 0, listed.output
    assert old.run_id in listed.stdout and "index.sqlite" in listed.stderr

    ran = cli("run", SMOKE, "--runs-dir", store)
    assert ran.exit_code == 0, ran.output
    assert "warning" in ran.stderr and "index.sqlite" in ran.stderr
    new_id = ran.stdout.strip().splitlines()[-1].removeprefix("  stored as ")
    assert (store / new_id / "summary.json").is_file()
    assert set(_store_runs(store)) == {old.run_id, new_id}

    exported = cli("export", old.run_id, "--format", "geojson", "--runs-dir", store)
    assert exported.exit_code == 0, exported.output
    assert Path(exported.stdout.strip()).is_file()

    rebuilt = cli("runs", "--reindex", "--runs-dir", store)
    assert rebuilt.exit_code == 0, rebuilt.output
    with sqlite3.connect(store / "index.sqlite") as db:
        assert {r[0] for r in db.execute("SELECT run_id FROM runs")} == {old.run_id, new_id}
    assert any(p.name.startswith("index.sqlite.broken-") for p in store.iterdir())  # kept


def test_deleted_index_still_lists_and_reindex_rebuilds_it(tmp_path, result):
    store = RunStore(tmp_path)
    a = store.save(result.write_files, scenario="smoke", seed=7, summary=result.summary)
    b = store.save(result.write_files, scenario="smoke", seed=8, summary=result.summary)
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    assert _store_runs(tmp_path) == [b.run_id, a.run_id]
    listed = RunStore(tmp_path).list()
    assert listed[0].arrived == result.summary["ledger"]["arrived"]
    res = cli("runs", "--reindex", "--runs-dir", tmp_path)
    assert res.exit_code == 0, res.output
    assert "2 run" in res.stdout
    with sqlite3.connect(tmp_path / "index.sqlite") as db:
        rows = dict(db.execute("SELECT run_id, arrived FROM runs").fetchall())
    assert rows == {r.run_id: result.summary["ledger"]["arrived"] for r in (a, b)}


def test_failed_index_write_keeps_the_run_listed(tmp_path, result):
    store = RunStore(tmp_path)
    first = store.save(result.write_files, scenario="smoke", seed=7, summary=result.summary)
    db = sqlite3.connect(tmp_path / "index.sqlite")
    db.execute(
        "CREATE TRIGGER full BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    db.commit()
    db.close()
    stored = store.save(result.write_files, scenario="smoke", seed=8, summary=result.summary)
    assert (stored.path / "summary.json").is_file()
    assert "disk full" in (store.index_error or "")
    assert _store_runs(tmp_path) == [stored.run_id, first.run_id]
    assert RunStore(tmp_path).resolve(stored.run_id) == stored.path


def test_stale_temporary_folders_are_cleaned_and_nothing_else(tmp_path):
    RunStore(tmp_path)
    two_hours_ago = time.time() - 7200
    stale = tmp_path / ".tmp-20260101-run-smoke-s1-ab12"
    fresh = tmp_path / ".tmp-20260101-run-smoke-s2-cd34"
    other = tmp_path / ".cache"
    for p in (stale, fresh, other):
        p.mkdir()
        (p / "summary.json").write_text("{}")
    for p in (stale / "summary.json", stale, other / "summary.json", other):
        os.utime(p, (two_hours_ago, two_hours_ago))
    RunStore(tmp_path)
    assert not stale.exists() and fresh.exists() and other.exists()

    stale.mkdir()
    os.utime(stale, (two_hours_ago, two_hours_ago))
    res = cli("runs", "--clean", "--runs-dir", tmp_path)
    assert res.exit_code == 0, res.output
    assert "removed 1" in res.stdout
    assert not stale.exists() and fresh.exists() and other.exists()


@pytest.mark.parametrize("command", ["runs", "export"])
def test_runs_dir_that_is_a_file_is_one_line(tmp_path, command):
    not_a_folder = tmp_path / "passwd"
    not_a_folder.write_text("root:x:0:0")
    args = ["export", "some-run-id", "--format", "png"] if command == "export" else ["runs"]
    res = cli(*args, "--runs-dir", not_a_folder)
    assert res.exit_code == 2
    assert str(not_a_folder) in _one_line(res)
    assert not_a_folder.read_text() == "root:x:0:0"


# ------------------------------------------------------------------ 9. exports
def test_export_of_a_stress_run_says_it_needs_a_simulation_run(tmp_path, result):
    store = RunStore(tmp_path)
    facilities = pd.DataFrame({"facility": ["zhibek_zholy"], "p95": [1.0], "p_red": [0.0]})
    stressed = store.save(
        lambda f: write_run_files(f, {"facilities": facilities}, result.scenario, {"seed": 1}),
        scenario="smoke",
        seed=1,
        kind="stress",
        summary={"gaps": [], "ledger": {}},
    )
    res = cli("export", stressed.run_id, "--format", "png", "--runs-dir", tmp_path)
    assert res.exit_code == 2
    assert "simulation run" in _one_line(res)


def test_export_out_an_existing_folder_writes_into_it(tmp_path, result):
    run_dir = result.save(tmp_path / "run")
    into = tmp_path / "for-the-council"
    into.mkdir()
    res = cli("export", run_dir, "--format", "geojson", "--lang", "en", "--out", into)
    assert res.exit_code == 0, res.output
    written = Path(res.stdout.strip())
    assert written.parent == into and written.name == "smoke-geojson-peak-en.geojson"
    assert json.loads(written.read_text())["type"] == "FeatureCollection"


def test_stored_scenario_over_the_upload_limit_still_exports(tmp_path, result):
    from contingency.scenario.load import MAX_FILE_BYTES

    # A scenario built on the board (levers, injects) never passed the upload limit.
    big = result.scenario.model_copy(update={"description": "д" * MAX_FILE_BYTES})
    run_dir = RunResult(big, result.tables, result.summary).save(tmp_path / "run")
    assert (run_dir / "scenario.yaml").stat().st_size > MAX_FILE_BYTES
    res = cli("export", run_dir, "--format", "geojson")
    assert res.exit_code == 0, res.output
