"""Criticality of deep networks: susceptibilities, critical (sigma_b, sigma_w), vertex vs depth.

For one input the kernel recursion K -> sigma_b^2 + sigma_w^2 <phi(z)^2>_K has, at a fixed
point K*, the parallel and perpendicular susceptibilities ([PDLT] section 5.1)

    chi_par(K)  = d K' / d K = sigma_w^2 d<phi^2>_K / dK = sigma_w^2 <phi'^2 + phi phi''>_K,
    chi_perp(K) = sigma_w^2 <phi'(z)^2>_K            (= d K'_ab / d K_ab at K_ab -> K).

Criticality is K* = sigma_b^2 + sigma_w^2 <phi^2>_K*, chi_par = chi_perp = 1. Given K*,
chi_perp = 1 fixes sigma_w, the fixed-point equation fixes sigma_b^2 = K* - sigma_w^2 <phi^2>;
the remaining condition chi_par - 1 = sigma_w^2 <phi phi''>_K* = 0 is solved for K* >= 0
(:func:`critical_point`). Known answers: tanh (0, 1) and erf (0, sqrt(pi)/2), both reached as
K* -> 0 (<phi phi''> < 0 for every K* > 0); relu (0, sqrt(2)) with every K* a fixed point
(phi phi'' = relu * delta = 0, scale invariance).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy import optimize

from ..networks import Network
from .gauss import DEEP_ACTIVATIONS, diag_map, pair_map
from .theory import deep_theory

__all__ = ["susceptibilities", "critical_point", "normalized_vertex"]


def _expectations(activation, K):
    """(<phi^2>, d<phi^2>/dK, <phi'^2>) at variance K (arrays)."""
    K = np.asarray(K, dtype=np.float64)
    if callable(activation):
        x, w = hermegauss(160)
        w = w / math.sqrt(2 * math.pi)
        z = np.sqrt(K)[..., None] * x
        h = 1e-5
        f = activation(z)
        f1 = (activation(z + h) - activation(z - h)) / (2 * h)
        f2 = (activation(z + h) - 2 * f + activation(z - h)) / h**2
        return (f * f) @ w, (f1 * f1 + f * f2) @ w, (f1 * f1) @ w
    g, g1, _ = diag_map(activation, K)
    _, grad, _ = pair_map(activation, K, K, K)
    return g, g1, grad[..., 1]


def susceptibilities(activation, sigma_w: float, K) -> tuple[np.ndarray, np.ndarray]:
    """(chi_par, chi_perp) at kernel value K for weight scale sigma_w.

    ``activation``: "erf", "relu", "tanh" (exact pair maps) or a callable phi (160-node
    Gauss-Hermite with finite-difference derivatives; smooth phi only).
    """
    _, g1, gp = _expectations(activation, K)
    return sigma_w**2 * g1, sigma_w**2 * gp


def critical_point(activation, k_min: float = 1e-6, k_max: float = 20.0, n_grid: int = 80,
                   tol: float = 1e-10) -> dict:
    """Critical (sigma_b, sigma_w) with chi_par = chi_perp = 1 (module docstring).

    Returns
    -------
    dict with "sigma_b", "sigma_w", "K_star" and "kind": "K*>0" (an isolated fixed point),
    "K*=0" (reached as K* -> 0: sigma_b = 0, sigma_w = 1 / |phi'(0)|) or "scale-invariant"
    (chi_par = chi_perp at every K*: a line of fixed points, reported at K* = 1).
    """
    if isinstance(activation, str) and activation not in DEEP_ACTIVATIONS:
        raise ValueError(f"criticality for erf, relu, tanh or a callable, not {activation!r}")

    def parts(K):
        g, g1, gp = _expectations(activation, K)
        sw2 = 1.0 / gp
        return sw2 * g1 - 1.0, K - sw2 * g, sw2

    grid = np.geomspace(k_min, k_max, n_grid)
    r, sb2, sw2 = parts(grid)
    if np.all(np.abs(r) < tol):
        rr, s, w = parts(np.array([1.0]))
        return {"sigma_b": math.sqrt(max(float(s[0]), 0.0)), "sigma_w": math.sqrt(float(w[0])),
                "K_star": 1.0, "kind": "scale-invariant"}
    ok = sb2 >= -1e-12
    sign = np.sign(r)
    for i in range(n_grid - 1):
        if ok[i] and ok[i + 1] and sign[i] * sign[i + 1] < 0:
            k = optimize.brentq(lambda t: float(parts(np.array([t]))[0][0]), grid[i], grid[i + 1],
                                xtol=1e-14)
            _, s, w = parts(np.array([k]))
            return {"sigma_b": math.sqrt(max(float(s[0]), 0.0)),
                    "sigma_w": math.sqrt(float(w[0])), "K_star": k, "kind": "K*>0"}
    # no root at K* > 0: the K* -> 0 limit if the residual vanishes there
    _, _, w0 = parts(np.array([1e-12]))
    if abs(r[0]) < 1e-3 and abs(sb2[0]) < 1e-3:
        return {"sigma_b": 0.0, "sigma_w": math.sqrt(float(w0[0])), "K_star": 0.0, "kind": "K*=0"}
    raise ValueError("no critical point found (chi_par = chi_perp = 1 has no solution with "
                     "sigma_b^2 >= 0 on the K* grid)")


def normalized_vertex(net: Network, x) -> np.ndarray:
    """V^(l) / (N K^(l)^2) = U^(l) / K^(l)^2 at one input, for layers l = 1..L+1.

    U is the four-point cumulant E[z_i z_i z_j z_j]_c (i != j) of layer l (width factors
    included); the output's G4_c / (3 G2^2) equals the last entry at leading order. Linear in
    depth at criticality, saturating or growing exponentially away from it ([PDLT] ch. 5).
    """
    th = deep_theory(net, np.atleast_2d(np.asarray(x, dtype=np.float64)))
    return np.array([U[0, 0] / K[0, 0] ** 2 for U, K in zip(th.vertices, th.kernels, strict=True)])
