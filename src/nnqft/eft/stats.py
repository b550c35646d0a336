"""Tuple statistics with jackknife errors: moved to the core module :mod:`nnqft.stats`.

Kept as a re-export so that ``from nnqft.eft.stats import tuple_mean`` keeps working; new code
imports from :mod:`nnqft.stats`.
"""

from __future__ import annotations

from ..stats import deviation, mean_deviation, tuple_mean, tuple_spread

__all__ = ["tuple_mean", "tuple_spread", "deviation", "mean_deviation"]
