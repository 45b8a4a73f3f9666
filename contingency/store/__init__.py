"""The run store: every run saved as a folder and indexed in SQLite."""

from contingency.store.runs import RunStore, default_runs_dir

__all__ = ["RunStore", "default_runs_dir"]
