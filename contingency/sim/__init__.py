"""The flow engine: checkpoints (SimPy, one event per group) -> transfers -> centres."""
