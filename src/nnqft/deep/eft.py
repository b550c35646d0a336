"""EFT couplings of deep networks from the leading-order 1/N theory (docs/deep.md section 9).

The tree-level matching of docs/theory.md (lambda = -G4_c / I_4 per sorted 4-tuple, legs
Delta = K - sigma_b^2, S = ... + lambda/4! phi^4) needs only G4_c and the kernel, so it applies
to deep networks with the 1/N theory as the source of G4_c: lambda is then O(1/N) and exact to
that order. :func:`deep_couplings` and :func:`deep_running` wrap :func:`nnqft.eft.couplings` and
:func:`nnqft.eft.running`; :func:`sigma_w_scan` is the sigma_W reading of [ELS] (the tuple-mean
coupling against sigma_W and its log-log slope) for deep networks. The exact source stays
one-hidden-layer only (or deep relu with sigma_b = 0 on one ray).
"""

from __future__ import annotations

import math

import numpy as np

from ..networks import Network
from .theory import perturbative_correlators

__all__ = ["deep_couplings", "deep_running", "sigma_w_scan"]


def deep_couplings(net: Network, X, cutoff: float):
    """:class:`nnqft.eft.CouplingFit` of lambda = -G4_c / I_4 with G4_c from the 1/N theory."""
    from ..eft import couplings

    return couplings(perturbative_correlators(net, X), net, cutoff)


def deep_running(net: Network, X, cutoffs):
    """:func:`nnqft.eft.running` (lambda against the cutoff) with the 1/N theory as source."""
    from ..eft import running

    return running(perturbative_correlators(net, X), net, cutoffs)


def sigma_w_scan(net: Network, X, cutoff: float, sigma_ws) -> dict:
    """Tuple-mean lambda against sigma_W at fixed cutoff, and the log-log slope ([ELS] reading).

    Returns ``{"sigma_w": [...], "lambda_mean": [...], "slope": s}`` with s the least-squares
    slope of log|lambda_mean| against log sigma_W.
    """
    sws = np.asarray(sigma_ws, dtype=np.float64)
    lam = np.array([deep_couplings(net.replace(sigma_w=float(s)), X, cutoff).mean for s in sws])
    slope = float(np.polyfit(np.log(sws), np.log(np.abs(lam)), 1)[0]) if len(sws) > 1 else math.nan
    return {"sigma_w": sws.tolist(), "lambda_mean": lam.tolist(), "slope": slope}
