"""Reference geography and facility data read from ``maps/``."""

from contingency.refdata.load import PACK_FILES, RefData, load_refdata

__all__ = ["PACK_FILES", "RefData", "load_refdata"]
