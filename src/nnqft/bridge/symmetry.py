"""Translation invariance of the finite-width ensembles (docs/theory.md#translation-invariance).

The Gauss-net kernel depends on x - y only, but its finite-N connected functions do not: with
Sigma_ij = sigma_b^2 + sigma_w^2 x_i . x_j / d, C_4 = exp((1/2) sum_ik Sigma_ik - sum_i Sigma_ii)
depends on S = sum_i x_i, and under a common shift x_i -> x_i + s it picks up the factor
exp(sigma_w^2 (2 S.s + 4 |s|^2) / d) (while sum_3 C_2 C_2 is invariant). The cos-net of [H21] is
translation invariant at every N: its moments depend on differences of inputs only.

:func:`shift_violation` measures the effect on the exact connected 4-point function (and on the
couplings) as numbers; the cos-net's violation is rounding error.
"""

from __future__ import annotations

import math

import numpy as np

from ..networks import Network, as_inputs

__all__ = ["shift_violation"]


def shift_violation(net: Network, X, shifts, order: int = 4) -> list[dict]:
    """Relative change of the exact connected ``order``-point function under common shifts.

    For each shift s (a number for d = 1, or a d-vector) returns
    ``max_rel`` = max over sorted tuples |G_c(x + s) - G_c(x)| / max |G_c(x)|,
    ``max_rel_tuple`` = max over tuples (where G_c(x) != 0) |G_c(x + s) / G_c(x) - 1|, and the relative change of
    the tuple-mean coupling lambda (order 4, Lambda = inf).
    """
    from ..eft.couplings import couplings
    from ..exact import exact_correlators

    X = as_inputs(X, net.d_in)
    orders = tuple(range(2, order + 1, 2))
    c0 = exact_correlators(net, X, orders=orders)
    g0 = c0.connected(order)
    lam0 = couplings(c0, net, math.inf).mean if order >= 4 else None
    ok = np.abs(g0) > 1e-12 * np.max(np.abs(g0))  # tuples where G_c does not vanish
    out = []
    for s in shifts:
        sv = np.broadcast_to(np.asarray(s, dtype=float), (net.d_in,))
        c1 = exact_correlators(net, X + sv[None, :], orders=orders)
        g1 = c1.connected(order)
        row = {
            "shift": sv.tolist(),
            "max_rel": float(np.max(np.abs(g1 - g0)) / np.max(np.abs(g0))),
            "max_rel_tuple": float(np.max(np.abs(g1[ok] / g0[ok] - 1.0))),
        }
        if lam0 is not None:
            lam1 = couplings(c1, net, math.inf).mean
            row["lambda_rel_change"] = float(lam1 / lam0 - 1.0)
        out.append(row)
    return out
