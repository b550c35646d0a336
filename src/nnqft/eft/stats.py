"""Tuple means of per-tuple quantities with jackknife errors (docs/theory.md#correlators, #couplings).

Every summary in :mod:`nnqft.eft` and :mod:`nnqft.experiments` is an unweighted mean (or
standard deviation, ddof = 0) over the sorted tuples; its Monte Carlo error is the jackknife
error of the same statistic over the leave-one-batch-out replicates of the correlators
(:meth:`nnqft.correlators.Correlators.replicates`).
"""

from __future__ import annotations

import numpy as np

from ..correlators import Correlators, jackknife_error

__all__ = ["tuple_mean", "tuple_spread", "deviation", "mean_deviation"]


def tuple_mean(values, replicates=None) -> tuple[float, float | None]:
    """Unweighted mean over tuples and its jackknife error.

    ``values`` (T,); ``replicates`` (B, T) leave-one-batch-out replicates of the values, or
    None (exact data: the error is None).
    """
    mean = float(np.mean(values))
    if replicates is None:
        return mean, None
    return mean, float(jackknife_error(np.mean(replicates, axis=1)))


def tuple_spread(values, replicates=None) -> tuple[float, float | None]:
    """Standard deviation over tuples (ddof = 0) and its jackknife error (None without
    replicates)."""
    spread = float(np.std(values))
    if replicates is None:
        return spread, None
    return spread, float(jackknife_error(np.std(replicates, axis=1)))


def deviation(c: Correlators, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """m_n = |G_n - G_n,GP| / |G_n,GP| per tuple ([HMS]) and its replicates (B, T) or None."""
    gp = c.gp(n)
    agp = np.abs(gp)
    reps = c.replicates("full", n)
    return (np.abs(c.full(n) - gp) / agp,
            None if reps is None else np.abs(reps - gp) / agp)


def mean_deviation(c: Correlators, n: int) -> tuple[float, float | None]:
    """Tuple mean of m_n and its jackknife error (None for exact correlators)."""
    return tuple_mean(*deviation(c, n))
