"""Reference geography and facility data read from ``maps/``."""

from contingency.refdata.load import RefData, load_refdata

__all__ = ["RefData", "load_refdata"]
