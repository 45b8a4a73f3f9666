"""Stress testing: replications on Dask, breaking points, reserve recommendations."""
