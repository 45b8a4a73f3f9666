"""contingency: plan a mass influx of people across Kazakhstan's road borders.

Data flows one way: scenario -> simulation -> routing -> gaps/needs -> board and exports.
"""

from pathlib import Path

__version__ = "0.1.0"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAPS_DIR = PROJECT_ROOT / "maps"
SCENARIOS_DIR = PROJECT_ROOT / "scenarios"
DEFAULT_SCENARIO = SCENARIOS_DIR / "south_conflict.yaml"
