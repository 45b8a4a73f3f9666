"""contingency: plan a mass influx of people across Kazakhstan's road borders.

Data flows one way: scenario -> simulation -> routing -> gaps/needs -> board and exports.
"""

from contingency.resources import DEFAULT_SCENARIO, MAPS_DIR, PROJECT_ROOT, SCENARIOS_DIR

__version__ = "0.1.0"

__all__ = ["DEFAULT_SCENARIO", "MAPS_DIR", "PROJECT_ROOT", "SCENARIOS_DIR", "__version__"]
