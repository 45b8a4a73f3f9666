"""Independent random streams, one per named component, all from one seed."""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, *names: str) -> np.random.Generator:
    """A generator for one component. The same (seed, names) always gives the same stream,
    whatever other components exist, so adding an inject or a checkpoint leaves the other
    streams untouched."""
    key = tuple(zlib.crc32(n.encode("utf-8")) for n in names)
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=key))
