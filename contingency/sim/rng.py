"""Independent random streams, one per named component, all from one seed."""

from __future__ import annotations

import functools
import zlib

import numpy as np


def stream(seed: int, *names: str) -> np.random.Generator:
    """A generator for one component. The same (seed, names) always gives the same stream,
    whatever other components exist, so adding an inject or a checkpoint leaves the other
    streams untouched. (What ``np.random.default_rng`` makes of the seed sequence, built
    directly.)"""
    seq = np.random.SeedSequence(entropy=seed, spawn_key=_key(names))
    return np.random.Generator(np.random.PCG64(seq))


@functools.lru_cache(maxsize=4096)
def _key(names: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(zlib.crc32(n.encode("utf-8")) for n in names)
