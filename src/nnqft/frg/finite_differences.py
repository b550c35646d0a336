"""Finite differences on (non-uniform) one-dimensional grids.

Used by the grid (method of lines) fixed points and flows (``frg.grid``) and by the
zero-dimensional benchmark (``frg.zerodim``). ``fd_weights`` gives Fornberg's weights for one
stencil, ``fd_matrix`` the dense differentiation matrix of a given accuracy order with centred
stencils inside and shifted stencils of the same order at the ends (docs/frg.md).
"""

from __future__ import annotations

import numpy as np

__all__ = ["fd_weights", "fd_matrix"]


def fd_weights(z: float, x: np.ndarray, m: int) -> np.ndarray:
    """Fornberg's weights for the m-th derivative at z from nodes x.

    B. Fornberg, "Generation of finite difference formulas on arbitrarily spaced grids",
    Math. Comp. 51 (1988) 699: the recursion over nodes and derivative orders, exact for
    polynomials of degree len(x) - 1.
    """
    n = len(x)
    c = np.zeros((n, m + 1))
    c1, c4 = 1.0, x[0] - z
    c[0, 0] = 1.0
    for i in range(1, n):
        mn = min(i, m)
        c2, c5, c4 = 1.0, c4, x[i] - z
        for j in range(i):
            c3 = x[i] - x[j]
            c2 *= c3
            if j == i - 1:
                for k in range(mn, 0, -1):
                    c[i, k] = c1 * (k * c[i - 1, k - 1] - c5 * c[i - 1, k]) / c2
                c[i, 0] = -c1 * c5 * c[i - 1, 0] / c2
            for k in range(mn, -1, -1):
                c[j, k] = (c4 * c[j, k] - (k * c[j, k - 1] if k else 0.0)) / c3
        c1 = c2
    return c[:, m]


def fd_matrix(x: np.ndarray, deriv: int, order: int) -> np.ndarray:
    """Dense finite-difference matrix of the ``deriv``-th derivative, accuracy ``order`` (even).

    Centred stencils of ``order + 1`` points inside; near the ends, shifted stencils of
    ``order + deriv`` points (what a one-sided stencil needs for the same order).
    """
    n = len(x)
    wc = min(order + 1, n)
    wb = min(order + deriv, n)
    half = wc // 2
    D = np.zeros((n, n))
    for i in range(n):
        if half <= i < n - half:
            idx = np.arange(i - half, i + half + 1)
        else:
            lo = 0 if i < half else n - wb
            idx = np.arange(lo, lo + wb)
        D[i, idx] = fd_weights(x[i], x[idx], deriv)
    return D
