"""Runs for the board, kept per scenario text and seed so a repeat is instant.

The computation reports progress to the page, so it cannot sit inside ``st.cache_data`` (which
replays page elements); a small process-wide store shared by all sessions holds the results.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import streamlit as st
import yaml

from contingency.refdata import load_refdata
from contingency.results import RunResult, run_scenario
from contingency.scenario import parse_scenario

MAX_KEPT = 32


class _Store:
    def __init__(self) -> None:
        self.results: OrderedDict[tuple[str, int], RunResult] = OrderedDict()
        self.lock = threading.Lock()


@st.cache_resource
def _store() -> _Store:
    return _Store()


def cached_run(
    scenario_yaml: str, seed: int, on_progress: Callable[[float], None] | None = None
) -> RunResult:
    """Run the scenario given as YAML text with ``seed``; the same text and seed are run once."""
    key = (hashlib.sha256(scenario_yaml.encode("utf-8")).hexdigest(), int(seed))
    store = _store()
    with store.lock:
        if key in store.results:
            store.results.move_to_end(key)
            return store.results[key]
    ref = load_refdata()
    sc = parse_scenario(yaml.safe_load(scenario_yaml), file="<board>", ref=ref)
    result = run_scenario(sc, ref, seed=seed, on_progress=on_progress)
    try:
        result.store(note="board")
    except OSError as exc:  # the board still shows the run; saving is reported, not fatal
        st.warning(f"{exc}")
    with store.lock:
        store.results[key] = result
        while len(store.results) > MAX_KEPT:
            store.results.popitem(last=False)
    return result
