from __future__ import annotations

import os
import tempfile

import pytest

from contingency.refdata import RefData, load_refdata


@pytest.fixture(scope="session")
def ref() -> RefData:
    return load_refdata()


# Every run a test makes (CLI, board, subprocesses) goes to a throwaway run store.
os.environ.setdefault("CONTINGENCY_RUNS", tempfile.mkdtemp(prefix="contingency-test-runs-"))
