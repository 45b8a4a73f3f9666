"""The bundled library of past influxes: every case loads whole, as the issue sets its floor."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from contingency.history.case import case_folders, load_case
from contingency.resources import HISTORY_DIR

CASES = case_folders(HISTORY_DIR)
RESERVED = ("kazakhstan", "poland", "georgia", "armenia")


def test_the_library_holds_at_least_six_cases():
    assert len(CASES) >= 6, [c.name for c in CASES]


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_case_loads_with_eight_observations_from_two_sources(folder):
    case = load_case(folder)
    assert len(case.observations) >= 8
    hosts = {
        urlparse(url.strip()).hostname
        for o in case.observations
        for url in o.source.split(";")
        if url.strip()
    }
    assert len(hosts) >= 2, hosts
    assert (folder / "pack" / "SOURCES.md").is_file()


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_case_is_not_one_kept_for_independent_checking(folder):
    assert not any(word in folder.name for word in RESERVED)
