"""Board defects that misled users, each pinned by a test that failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_importing_app_py_has_no_side_effect(tmp_path):
    """Dask's spawned workers import the main script of the process that started them: that
    import must not render the board (which ran and stored the default scenario)."""
    runs = tmp_path / "runs"
    env = {**os.environ, "CONTINGENCY_RUNS": str(runs)}
    code = "import runpy; runpy.run_path('app.py', run_name='__mp_main__')"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()
    assert not runs.exists() or not any(p.name != "index.sqlite" for p in runs.iterdir())
