"""Truncated power-series arithmetic: the machinery that derives flow equations mechanically.

A series is a 1-d array ``c`` of Taylor coefficients, ``f(x) = sum_j c[j] x^j``, truncated at
``x^(len(c) - 1)``. Every operation keeps that length. Arrays may be complex, so that a
complex-step derivative passes through every formula (Jacobians to machine precision).
"""

from __future__ import annotations

from math import factorial

import numpy as np

__all__ = ["mul", "deriv", "compose_poles", "taylor_to_derivatives", "derivatives_to_taylor",
           "reexpand"]


def mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Product of two series, truncated at the length of ``a``."""
    return np.convolve(a, b)[: len(a)]


def deriv(a: np.ndarray) -> np.ndarray:
    """Derivative d/dx; the top coefficient becomes 0 (the truncation)."""
    out = np.zeros_like(a)
    out[:-1] = a[1:] * np.arange(1, len(a))
    return out


def compose_poles(m: np.ndarray, a, b, c) -> tuple[np.ndarray, np.ndarray]:
    """Series of ``T(m(x)) = sum_i a_i / (b_i + c_i m(x))``.

    Every threshold function of this package is such a sum of simple poles (one term for the
    Litim regulators, the quadrature nodes otherwise), so its Taylor expansion about
    ``m0 = m(0)`` is ``sum_j [sum_i a_i (-c_i)^j / D_i^(j+1)] (m - m0)^j`` with
    ``D_i = b_i + c_i m0``.

    Returns
    -------
    series, D : the series of T(m(x)) and the denominators D_i (for divergence checks).
    """
    a = np.atleast_1d(a)
    b = np.atleast_1d(b)
    c = np.broadcast_to(np.atleast_1d(c), b.shape)
    m0 = m[0]
    D = b + c * m0
    delta = m.copy()
    delta[0] = 0.0
    N = len(m)
    out = np.zeros(N, dtype=np.result_type(m, D, a))
    q = a / D
    ratio = -c / D
    power = np.zeros(N, dtype=out.dtype)
    power[0] = 1.0
    for j in range(N):
        out = out + np.sum(q) * power
        q = q * ratio
        power = mul(power, delta)
        if j + 1 < N and not np.any(power):
            break
    return out, D


def taylor_to_derivatives(c: np.ndarray) -> np.ndarray:
    """Taylor coefficients -> derivatives f^(j)(0) = j! c_j."""
    return np.asarray(c) * np.array([factorial(j) for j in range(len(c))], dtype=float)


def derivatives_to_taylor(d: np.ndarray) -> np.ndarray:
    """Derivatives f^(j)(0) -> Taylor coefficients d_j / j!."""
    return np.asarray(d) / np.array([factorial(j) for j in range(len(d))], dtype=float)


def reexpand(deriv_at_x0: np.ndarray, shift: float) -> np.ndarray:
    """Derivatives of a polynomial at ``x0 + shift`` from its derivatives at ``x0``.

    ``f^(j)(x0 + s) = sum_{i >= j} f^(i)(x0) s^(i-j) / (i-j)!`` (exact for a polynomial).
    """
    d = np.asarray(deriv_at_x0)
    M = len(d)
    out = np.zeros(M, dtype=d.dtype)
    for j in range(M):
        out[j] = sum(d[i] * shift ** (i - j) / factorial(i - j) for i in range(j, M))
    return out
