"""Replaying past influxes: case folders, observables, scores, replay and calibration."""
