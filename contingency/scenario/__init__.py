"""Scenario schema, loading and cross-reference checks."""

from contingency.scenario.influx import daily_totals, hourly_totals
from contingency.scenario.load import (
    checkpoints_in_play,
    dump_scenario,
    load_scenario,
    load_scenario_bytes,
    load_scenario_with_ref,
    parse_scenario,
    scenario_digest,
    scenario_refdata,
    validate_files,
)
from contingency.scenario.schema import Mode, Scenario

__all__ = [
    "Mode",
    "Scenario",
    "checkpoints_in_play",
    "daily_totals",
    "dump_scenario",
    "hourly_totals",
    "load_scenario",
    "load_scenario_bytes",
    "load_scenario_with_ref",
    "parse_scenario",
    "scenario_digest",
    "scenario_refdata",
    "validate_files",
]
