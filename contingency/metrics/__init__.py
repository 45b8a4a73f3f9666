"""Capacity gaps (thresholds) and needs (Sphere minimums) from a run's tables."""
