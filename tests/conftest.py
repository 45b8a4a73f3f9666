from __future__ import annotations

import os
import tempfile
from collections.abc import Callable

import pytest
from click.testing import Result
from typer.testing import CliRunner

from contingency import SCENARIOS_DIR
from contingency.refdata import RefData, load_refdata
from contingency.results import RunResult, run_scenario
from contingency.scenario import Scenario, load_scenario


@pytest.fixture(scope="session")
def ref() -> RefData:
    return load_refdata()


@pytest.fixture(scope="session")
def south_base(ref: RefData) -> tuple[Scenario, RunResult]:
    """``south_conflict`` and its run with its own seed, made once for the tests that only read
    it (never change the tables it holds)."""
    sc = load_scenario(SCENARIOS_DIR / "south_conflict.yaml", ref=ref)
    return sc, run_scenario(sc, ref)


# Every run a test makes (CLI, board, subprocesses) goes to a throwaway run store.
os.environ.setdefault("CONTINGENCY_RUNS", tempfile.mkdtemp(prefix="contingency-test-runs-"))


@pytest.fixture(scope="session")
def cli() -> Callable[..., Result]:
    """The command line run in this process: ``cli("validate", path)`` gives a click ``Result``
    (``exit_code``, ``stdout``, ``stderr``). Any exception other than an exit is raised again:
    from a subprocess it would have reached the user as a traceback."""
    from contingency.cli import app

    runner = CliRunner()

    def invoke(
        *args: object, env: dict[str, str] | None = None, input: str | None = None
    ) -> Result:
        res = runner.invoke(app, [str(a) for a in args], env=env, input=input)
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            raise res.exception
        return res

    return invoke


def choose_live_inject(at, kind: str, target: str, *, day: int = 1, hour: int = 10):
    """On a board under streamlit's ``AppTest``: move to ``day`` and ``hour`` and pick an
    inject ``kind`` and ``target`` on the live exercise control (not yet added)."""
    at.slider(key="day").set_value(day).run()
    at.slider(key="hour").set_value(hour).run()
    at.selectbox(key="ex_kind").set_value(kind).run()
    at.selectbox(key="ex_target").set_value(target)
    return at


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright (the end-to-end test's set-up)."""
    from test_e2e_board import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
