"""Sample designs over a scenario's ranges: a Latin hypercube, or Saltelli's design for Sobol
indices. The same seed gives the same samples."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from contingency.scenario.ranges import Range

Method = Literal["lhs", "sobol"]
METHODS: tuple[Method, ...] = ("lhs", "sobol")


def runs_needed(method: Method, samples: int, inputs: int) -> int:
    """How many runs a design of ``samples`` over ``inputs`` ranges takes: ``samples`` for a
    Latin hypercube, ``samples x (inputs + 2)`` for Saltelli's design (first and total order)."""
    return samples if method == "lhs" else samples * (inputs + 2)


def unit_design(method: Method, samples: int, inputs: int, *, seed: int) -> np.ndarray:
    """Points in the unit hypercube, one row per run (see :func:`runs_needed`)."""
    if method == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=inputs, rng=np.random.default_rng(seed)).random(samples)
    from SALib.sample import sobol

    names = [f"x{i}" for i in range(inputs)]
    problem = {"num_vars": inputs, "names": names, "bounds": [[0.0, 1.0]] * inputs}
    points: np.ndarray = sobol.sample(problem, samples, calc_second_order=False, seed=seed)
    return points


def design(
    ranges: dict[str, Range], samples: int, *, method: Method = "lhs", seed: int = 1
) -> pd.DataFrame:
    """The values of every ranged field (columns, by field path) for each run (rows): points
    of the unit design mapped through each range's distribution."""
    paths = list(ranges)
    unit = unit_design(method, samples, len(paths), seed=seed)
    return pd.DataFrame(
        {p: [ranges[p].at(float(u)) for u in unit[:, j]] for j, p in enumerate(paths)}
    )
