"""Regulators and LPA threshold functions (docs/theory.md#regulators; [L01], [L02], [DUP]).

For Z = p^2 a regulator is R_k(p) = k^2 y r(y), y = p^2/k^2, and the LPA loop integral is

    (1/2) int d^dp/(2 pi)^d d_t R_k / (p^2 + R_k + m) = v_d k^d l(m / k^2),
    l(w) = (d/2) int_0^inf dy y^(d/2 - 1) N(y) / (P(y) + w),
    N(y) = -y^2 r'(y),   P(y) = y (1 + r(y)),

normalised so that Litim gives l(w) = 1/(1 + w) exactly ([L01]). Regulators:

- ``litim``: r = (1/y - 1) theta(1 - y): N = theta(1 - y), P = 1 on the support, closed form.
- ``exponential``: y r = y / (e^y - 1): N = y^2 e^y / (e^y - 1)^2, P = y / (1 - e^-y).
- ``gaussian``: y r = e^-y: N = (1 + y) e^-y, P = y + e^-y.
- ``litim_spectral``: R = (Z(k^2) - Z(p^2)) theta(k^2 - p^2) for any kinetic function; closed
  form (1/2) v_d k^d k^2 Z'(k^2) / (Z(k^2) + m) in ratio form.

The two non-Litim threshold functions are computed by Gauss-Jacobi quadrature with weight
y^(d/2-1) on [0, y_max] (exact treatment of the endpoint singularity for any real d > 0; the
integrands decay like y^2 e^-y, so y_max = 50 leaves < 1e-18). At d = 0 the measure
(d/2) y^(d/2-1) dy tends to a unit mass at y = 0, so l(w) = N(0)/(P(0) + w) = 1/(1 + w) for all
three regulators. Every threshold function is thus a sum of simple poles
l(w) = sum_i a_i / (b_i + w), which is what the series machinery expands.
"""

from __future__ import annotations

from functools import lru_cache
from math import gamma, pi

import numpy as np
from scipy.special import roots_jacobi

from .kinetic import Kinetic, P2Kinetic

__all__ = ["REGULATORS", "P2_REGULATORS", "v_d", "threshold_poles", "threshold_function",
           "regulator_profile", "check_regulator", "dimensionful_poles",
           "dimensionless_poles"]

REGULATORS = ("litim", "exponential", "gaussian", "litim_spectral")
#: regulators defined for Z = Z0 (p^2 + m2) only
P2_REGULATORS = ("litim", "exponential", "gaussian")


def v_d(d: float) -> float:
    """Loop factor v_d = 1 / (2^d pi^(d/2) Gamma(d/2 + 1)) (v_1 = 1/pi, v_3 = 1/(6 pi^2))."""
    return 1.0 / (2.0**d * pi ** (d / 2) * gamma(d / 2 + 1))


def regulator_profile(regulator: str, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N(y), P(y)) of a Z = p^2 regulator; see the module docstring."""
    y = np.asarray(y, dtype=float)
    if regulator == "litim":
        return (y < 1).astype(float), np.where(y < 1, 1.0, y)
    if regulator == "exponential":
        with np.errstate(over="ignore", invalid="ignore"):
            q = np.where(y > 0, y / np.expm1(np.where(y > 0, y, 1.0)), 1.0)
            N = q * q * np.exp(np.minimum(y, 700.0))
            P = np.where(y > 0, y / -np.expm1(-np.where(y > 0, y, 1.0)), 1.0)
        return N, P
    if regulator == "gaussian":
        return (1.0 + y) * np.exp(-y), y + np.exp(-y)
    raise ValueError(f"unknown regulator {regulator!r}; choose one of {', '.join(REGULATORS)}")


@lru_cache(maxsize=64)
def _quadrature(regulator: str, d: float, n_nodes: int, y_max: float):
    if d == 0:
        N0, P0 = regulator_profile(regulator, np.array([0.0]))
        return N0, P0
    beta = d / 2 - 1
    x, w = roots_jacobi(n_nodes, 0.0, beta)
    y = y_max * (1 + x) / 2
    weights = (d / 2) * (y_max / 2) ** (beta + 1) * w
    N, P = regulator_profile(regulator, y)
    return weights * N, P


def threshold_poles(regulator: str, d: float, n_nodes: int = 160, y_max: float = 50.0):
    """Poles (a_i, b_i) with l(w) = sum_i a_i / (b_i + w) for a Z = p^2 regulator.

    Litim is the single exact pole (1, 1); the others come from the quadrature described in the
    module docstring (160 nodes reproduce ``scipy.integrate.quad`` to ~1e-13 for w >= -0.5).
    """
    if regulator in ("litim", "litim_spectral"):
        return np.array([1.0]), np.array([1.0])
    a, b = _quadrature(regulator, float(d), int(n_nodes), float(y_max))
    return a.copy(), b.copy()


def threshold_function(regulator: str, d: float, w, derivative: int = 0, **kw):
    """l(w) (or its ``derivative``-th derivative) of a Z = p^2 regulator in d dimensions."""
    a, b = threshold_poles(regulator, d, **kw)
    w = np.asarray(w, dtype=float)
    j = derivative
    fact = float(np.prod(np.arange(1, j + 1))) * (-1.0) ** j
    return fact * np.sum(a / (b + w[..., None]) ** (j + 1), axis=-1)


def check_regulator(regulator: str, kinetic: Kinetic) -> None:
    """Raise ValueError when ``regulator`` is unknown or undefined for ``kinetic``."""
    if regulator not in REGULATORS:
        raise ValueError(f"unknown regulator {regulator!r}; choose one of {', '.join(REGULATORS)}")
    if regulator in P2_REGULATORS and not isinstance(kinetic, P2Kinetic):
        raise ValueError(f"regulator {regulator!r} is defined for Z = Z0 (p^2 + m2) only, not for "
                         f"{type(kinetic).__name__}; use 'litim_spectral'")


def dimensionful_poles(regulator: str, kinetic: Kinetic, d: float, k: float):
    """(a, b, c) with (1/2) int d_t R / (Z + R + m) = v_d k^d sum_i a_i / (b_i + c_i m).

    ``litim`` (with Z0 (p^2 + m2)) and ``litim_spectral``: one pole a = k^2 Z'(k^2)/Z(k^2),
    b = 1, c = 1/Z(k^2) (ratio form: no overflow for steep Z). ``exponential``/``gaussian`` with
    Z = Z0 (p^2 + m2), R = Z0 k^2 r(y): a_i, b_i = P_i + m2/k^2, c = 1/(Z0 k^2).
    """
    k2 = k * k
    if regulator in ("litim", "litim_spectral"):
        a = np.array([k2 * float(kinetic.dlogZ(k2))])
        return a, np.array([1.0]), np.array([float(kinetic.inv(k2))])
    a, P = threshold_poles(regulator, d)
    return a, P + kinetic.m2 / k2, np.full_like(P, 1.0 / (kinetic.Z0 * k2))


def dimensionless_poles(regulator: str, kinetic: Kinetic, d: float):
    """(a, b, c) of the dimensionless flow: t(w) = sum a_i / (b_i + c w), c = 1/Z0."""
    if kinetic.has_scale:
        raise ValueError("a kinetic function with a scale of its own (mass m2 or mu) has no "
                         "dimensionless fixed point")
    if not isinstance(kinetic, P2Kinetic):  # pragma: no cover - has_scale covers the others
        raise ValueError("dimensionless flows need Z = Z0 p^2")
    a, b = threshold_poles(regulator, d)
    return a, b, np.full_like(b, 1.0 / kinetic.Z0)
