"""Stress testing under deep uncertainty: sample a scenario's ranges, run each sample, find the
conditions under which each facility turns red (scenario discovery), which inputs drive the
outcomes (sensitivity), and which reserves help across the samples (robust reserves)."""
