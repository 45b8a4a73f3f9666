from __future__ import annotations

import pytest

from contingency.refdata import RefData, load_refdata


@pytest.fixture(scope="session")
def ref() -> RefData:
    return load_refdata()
