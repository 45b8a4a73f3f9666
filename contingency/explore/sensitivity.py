"""Which inputs drive each output: Sobol first- and total-order indices (SALib) over
Saltelli's design, or, over a Latin hypercube, standardised rank regression coefficients
(SRRC: the outputs' ranks regressed on the inputs' ranks, all scaled to unit variance; the
score is the coefficient's absolute value, rank 1 the largest). SRRC reads monotonic effects
well and says little where an output depends on inputs jointly."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

Indices = dict[str, dict[str, dict[str, float]]]
"""Output -> input -> ``{"S1", "ST"}`` or ``{"rank", "score"}``."""


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks of each column (ties share their mean rank), scaled to mean 0 and variance 1;
    a constant column is all 0."""
    ranks = pd.DataFrame(values).rank(method="average").to_numpy(dtype=float)
    sd = ranks.std(axis=0)
    return (ranks - ranks.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def rank_regression(inputs: pd.DataFrame, outputs: pd.DataFrame) -> Indices:
    """SRRC of each output (a column of ``outputs``) on the inputs; an output that does not
    vary is left out."""
    x = _ranks(inputs.to_numpy(dtype=float))
    out: Indices = {}
    for name in outputs.columns:
        y = outputs[name].to_numpy(dtype=float)
        if np.ptp(y) == 0:
            continue
        coef, *_ = np.linalg.lstsq(x, _ranks(y[:, None])[:, 0], rcond=None)
        order = np.argsort(-np.abs(coef), kind="stable")
        rank = {int(j): r + 1 for r, j in enumerate(order)}
        out[str(name)] = {
            str(col): {"rank": rank[j], "score": round(float(abs(coef[j])), 4)}
            for j, col in enumerate(inputs.columns)
        }
    return out


def sobol_indices(names: list[str], outputs: pd.DataFrame, *, seed: int) -> Indices:
    """Sobol first- (S1) and total-order (ST) indices of each output over Saltelli's design
    of ``names`` (rows of ``outputs`` in the design's order); an output that does not vary is
    left out."""
    from SALib.analyze import sobol

    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    out: Indices = {}
    for name in outputs.columns:
        y = outputs[name].to_numpy(dtype=float)
        if np.ptp(y) == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
        out[str(name)] = {
            n: {"S1": round(float(res["S1"][j]), 4), "ST": round(float(res["ST"][j]), 4)}
            for j, n in enumerate(names)
        }
    return out
