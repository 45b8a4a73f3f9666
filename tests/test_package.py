"""The package installed from a wheel, run from another folder, gives the checkout's run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from contingency.resources import PROJECT_ROOT

_SOURCES = ("contingency", "pyproject.toml", "README.md", "maps", "scenarios", "static")


def _sh(*cmd: object, cwd: Path, env: dict[str, str] | None = None) -> str:
    res = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, f"{cmd}\n{res.stdout}\n{res.stderr}"
    return res.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment holding only the wheel; the dependencies come from this
    environment's site-packages through a .pth file (nothing is downloaded)."""
    if not (PROJECT_ROOT / "pyproject.toml").is_file():
        pytest.skip("needs a source checkout")
    tmp = tmp_path_factory.mktemp("package")
    src = tmp / "src"  # a copy, so that building leaves nothing in the checkout
    for name in _SOURCES:
        here = PROJECT_ROOT / name
        if here.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(here, src / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(here, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _sh(*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", src, cwd=tmp)
    (wheel,) = (tmp / "dist").glob("contingency-*.whl")
    venv = tmp / "venv"
    _sh(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    python = venv / "bin" / "python"
    site = Path(
        _sh(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp
        ).strip()
    )
    (site / "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _sh(*pip, "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=tmp)
    return venv


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CONTINGENCY_RUNS")}
    return {**env, **extra}


def test_the_wheel_holds_the_data_and_is_imported_from_it(installed, tmp_path):
    code = (
        "import contingency, contingency.resources as r;"
        "print(contingency.__file__);"
        "print(*(p.name for p in sorted(r.MAPS_DIR.iterdir())));"
        "print(*(p.name for p in r.bundled_scenarios()));"
        "print((r.LEAFLET_DIR / 'leaflet.js').stat().st_size > 100_000)"
    )
    out = _sh(installed / "bin" / "python", "-c", code, cwd=tmp_path, env=_env()).splitlines()
    assert Path(out[0]).is_relative_to(installed)  # not the checkout
    assert not (Path(out[0]).parent / "data" / "maps").is_symlink()
    assert out[1].split() == sorted(p.name for p in (PROJECT_ROOT / "maps").iterdir())
    assert out[2].split() == sorted(p.name for p in (PROJECT_ROOT / "scenarios").glob("*.yaml"))
    assert out[3] == "True"


def test_run_by_name_from_another_folder_matches_the_checkout(installed, tmp_path, cli):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    contingency = installed / "bin" / "contingency"
    _sh(
        contingency,
        "run",
        "smoke",
        "--runs-dir",
        tmp_path / "wheel-runs",
        cwd=elsewhere,
        env=_env(),
    )
    assert cli("run", "smoke", "--runs-dir", tmp_path / "checkout-runs").exit_code == 0
    (from_wheel,) = (tmp_path / "wheel-runs").glob("*/summary.json")
    (from_checkout,) = (tmp_path / "checkout-runs").glob("*/summary.json")
    assert from_wheel.read_bytes() == from_checkout.read_bytes()
    listing = _sh(contingency, "scenarios", "--lang", "en", cwd=elsewhere, env=_env())
    assert "Smoke test" in listing
