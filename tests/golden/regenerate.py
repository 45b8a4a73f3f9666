"""Write tests/golden/smoke_summary.json from the code as it is now.

Only when a change of behaviour is deliberate (say why in the commit):

    .venv/bin/python tests/golden/regenerate.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from contingency import SCENARIOS_DIR

GOLDEN = Path(__file__).resolve().parent / "smoke_summary.json"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "contingency", "run", str(SCENARIOS_DIR / "smoke.yaml")]
        subprocess.run([*cmd, "--out", str(out), "--runs-dir", str(Path(tmp) / "runs")], check=True)
        shutil.copyfile(out / "summary.json", GOLDEN)
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    main()
