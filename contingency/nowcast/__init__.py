"""The nowcast: the model follows the live feed up to ``now``, then forecasts the next hours
with their uncertainty (P10/P50/P90 per facility and hour)."""
