"""The smoke scenario's whole summary.json, compared with a stored golden copy.

Any change in any figure fails here. When a change of behaviour is deliberate, regenerate the
golden file and say why in the commit: ``.venv/bin/python tests/golden/regenerate.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from contingency import SCENARIOS_DIR

GOLDEN = Path(__file__).resolve().parent / "golden" / "smoke_summary.json"


def test_smoke_summary_matches_the_golden_one(cli, tmp_path):
    out = tmp_path / "run"
    res = cli("run", SCENARIOS_DIR / "smoke.yaml", "--out", out, "--runs-dir", tmp_path / "runs")
    assert res.exit_code == 0, res.stderr
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert list(summary) == list(golden)
    for key in golden:
        assert summary[key] == golden[key], key
