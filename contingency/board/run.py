"""Runs for the board, kept per scenario and seed so a repeat is instant.

The computation reports progress to the page, so it cannot sit inside ``st.cache_data`` (which
replays page elements); a small process-wide store shared by all sessions holds the results.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import streamlit as st

from contingency.refdata import load_refdata
from contingency.results import RunResult, run_scenario
from contingency.scenario import Scenario, scenario_digest

MAX_KEPT = 32


class _Store:
    def __init__(self) -> None:
        self.results: OrderedDict[tuple[str, int], RunResult] = OrderedDict()
        self.lock = threading.Lock()


@st.cache_resource
def _store() -> _Store:
    return _Store()


def scenario_key(sc: Scenario) -> str:
    """A stable digest of everything in ``sc``: equal scenarios, equal keys."""
    return scenario_digest(sc)


def cached_run(
    sc: Scenario, seed: int, *, on_progress: Callable[[float], object] | None = None
) -> RunResult:
    """Run ``sc`` (validated already) with ``seed``; the same scenario and seed are run once."""
    key = (scenario_key(sc), int(seed))
    store = _store()
    with store.lock:
        if key in store.results:
            store.results.move_to_end(key)
            return store.results[key]
    result = run_scenario(sc, load_refdata(), seed=seed, on_progress=on_progress)
    try:
        result.store(note="board")
    except OSError as exc:  # the board still shows the run; saving is reported, not fatal
        st.warning(f"{exc}")
    with store.lock:
        store.results[key] = result
        while len(store.results) > MAX_KEPT:
            store.results.popitem(last=False)
    return result
