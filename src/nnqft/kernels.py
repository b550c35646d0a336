"""Infinite-width (Gaussian-process) kernels: closed forms, layer recursion, momentum space.

docs/theory.md#kernels. With m(x, y) = sigma_b^2 + sigma_w^2 x.y / d:

- erf:   K = sigma_b^2 + (2 sigma_w^2 / pi) asin(2 m_xy / sqrt((1 + 2 m_xx)(1 + 2 m_yy)))
- relu:  K = sigma_b^2 + (sigma_w^2 / 2 pi) sqrt(m_xx m_yy) (sin t + (pi - t) cos t)
- gauss, cos: K = sigma_b^2 + sigma_w^2 exp(-sigma_w^2 |x - y|^2 / (2 d))

Deeper networks apply the layer map K -> sigma_b^2 + sigma_w^2 E[phi(u) phi(v)] with (u, v)
Gaussian of covariance K; erf and relu use the closed-form duals (arc-sine, arc-cosine), tanh
uses a polar quadrature (:func:`polar_pair_expectation`: angles split where u = 0 or v = 0,
Gauss-Legendre on each arc and in the radius), ~1e-13 against adaptive quadrature for kernel
values up to ~10 (tests/test_kernels.py). Plain 96-node Gauss-Hermite
(:func:`gaussian_pair_expectation`) is only ~1e-4 accurate for tanh at k = 7, because tanh has
poles near the real axis at large scale.

References: [HMS] arXiv:2008.08601 (appendix); Williams, "Computing with infinite networks"
(1997) for erf; Cho & Saul (2009) for the arc-cosine kernel; [H21] arXiv:2112.04527 for cos.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from .networks import Network, activation_fn, as_inputs

__all__ = [
    "gp_kernel",
    "layer_map",
    "gaussian_pair_expectation",
    "polar_pair_expectation",
    "polar_pair_nodes",
    "momentum_kernel",
    "kinetic_parameters",
]

_GH_NODES = 96


def _gh(n: int):
    x, w = hermegauss(n)
    return x, w / np.sqrt(2.0 * np.pi)


def gaussian_pair_expectation(phi, k11, k12, k22, n_nodes: int = _GH_NODES) -> np.ndarray:
    """E[phi(u) phi(v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]), by tensor Gauss-Hermite.

    Broadcasts over the shapes of k11, k12, k22. Exponentially accurate for smooth phi; for
    kinks (relu) the error decays only algebraically, so use the closed forms there.
    """
    k11, k12, k22 = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (k11, k12, k22)))
    x, w = _gh(n_nodes)
    a = np.sqrt(np.maximum(k11, 0.0))
    safe = a > 0
    c1 = np.where(safe, k12 / np.where(safe, a, 1.0), 0.0)
    c2 = np.sqrt(np.maximum(k22 - c1**2, 0.0))
    s = x[:, None]
    t = x[None, :]
    W = w[:, None] * w[None, :]
    u = a[..., None, None] * s
    v = c1[..., None, None] * s + c2[..., None, None] * t
    return np.sum(W * phi(u) * phi(v), axis=(-2, -1))


def polar_pair_nodes(k11, k12, k22, n_nodes: int = 48, n_radial: int = 64,
                     rho_max: float = 9.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes (u, v) and weights w of the polar rule of :func:`polar_pair_expectation`.

    Returns arrays of shape (..., K) (the broadcast shape of k11, k12, k22, then the nodes), so
    that several integrands can share one rule: E[g(u, v)] = sum(w * g(u, v), axis=-1).
    """
    k11, k12, k22 = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (k11, k12, k22)))
    a = np.sqrt(np.maximum(k11, 0.0))
    safe = a > 0
    c1 = np.where(safe, k12 / np.where(safe, a, 1.0), 0.0)
    c2 = np.sqrt(np.maximum(k22 - c1**2, 0.0))
    # kink angles: u = a cos t = 0; v = c1 cos t + c2 sin t = 0
    t_v = np.arctan2(c1, -c2)
    kinks = np.stack([np.full(a.shape, np.pi / 2), np.full(a.shape, -np.pi / 2), t_v,
                      t_v + np.pi], axis=-1) % (2 * np.pi)
    breaks = np.sort(np.concatenate([np.zeros(a.shape + (1,)), kinks,
                                     np.full(a.shape + (1,), 2 * np.pi)], axis=-1), axis=-1)
    xg, wg = np.polynomial.legendre.leggauss(n_nodes)
    xg, wg = (xg + 1) / 2, wg / 2
    lo, hi = breaks[..., :-1, None], breaks[..., 1:, None]
    th = (lo + (hi - lo) * xg).reshape(a.shape + (-1,))
    wt = ((hi - lo) * wg).reshape(a.shape + (-1,)) / (2 * np.pi)
    xr, wr = np.polynomial.legendre.leggauss(n_radial)
    rho = rho_max * (xr + 1) / 2
    wr = rho_max * wr / 2 * rho * np.exp(-(rho**2) / 2)
    u = (a[..., None] * np.cos(th))[..., None] * rho
    v = (c1[..., None] * np.cos(th) + c2[..., None] * np.sin(th))[..., None] * rho
    w = wt[..., None] * wr
    shape = a.shape + (-1,)
    return u.reshape(shape), v.reshape(shape), w.reshape(shape)


def polar_pair_expectation(phi, k11, k12, k22, n_nodes: int = 48, n_radial: int = 64,
                           rho_max: float = 9.0) -> np.ndarray:
    """E[phi(u) phi(v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]) by polar quadrature.

    (u, v) = L g, g ~ N(0, I_2) in polar coordinates g = rho (cos t, sin t): the circle is split
    at the four angles where u or v vanish (where phi(rho .) is steep or kinked) with
    ``n_nodes`` Gauss-Legendre nodes per arc; rho in [0, rho_max] with ``n_radial`` nodes against
    the density rho exp(-rho^2 / 2) (cut-off tail e^(-40.5)). Broadcasts over k11, k12, k22.
    """
    u, v, w = polar_pair_nodes(k11, k12, k22, n_nodes, n_radial, rho_max)
    return np.sum(w * phi(u) * phi(v), axis=-1)


def layer_map(activation: str, k11, k12, k22) -> np.ndarray:
    """E[phi(u) phi(v)] under N(0, [[k11, k12], [k12, k22]]) for a pointwise activation."""
    k11, k12, k22 = (np.asarray(a, dtype=np.float64) for a in (k11, k12, k22))
    if activation == "erf":
        arg = 2.0 * k12 / np.sqrt((1.0 + 2.0 * k11) * (1.0 + 2.0 * k22))
        return (2.0 / np.pi) * np.arcsin(np.clip(arg, -1.0, 1.0))
    if activation == "relu":
        norm = np.sqrt(k11 * k22)
        pos = norm > 0
        cos_t = np.clip(np.where(pos, k12 / np.where(pos, norm, 1.0), 1.0), -1.0, 1.0)
        t = np.arccos(cos_t)
        return np.where(
            pos, norm * (np.sin(t) + (np.pi - t) * cos_t) / (2.0 * np.pi), 0.0
        )
    return polar_pair_expectation(activation_fn(activation), k11, k12, k22)


def gp_kernel(net: Network, X, Y=None) -> np.ndarray:
    """Infinite-width kernel K(x, y) of the network output, shape (n_X, n_Y).

    Parameters
    ----------
    net : Network
        Any activation and depth; for one hidden layer this is also the exact finite-width
        2-point function.
    X, Y : array_like
        Inputs (n, d_in); ``Y`` defaults to ``X``.
    """
    X = as_inputs(X, net.d_in)
    Y = X if Y is None else as_inputs(Y, net.d_in)
    sw2, sb2 = net.sigma_w**2, net.sigma_b**2
    if net.activation in ("gauss", "cos"):
        d2 = np.sum((X[:, None, :] - Y[None, :, :]) ** 2, axis=-1)
        return sb2 + sw2 * np.exp(-sw2 * d2 / (2.0 * net.d_in))
    kxy = net.pre_activation_cov(X, Y)
    kxx = sb2 + sw2 * np.sum(X * X, axis=1) / net.d_in
    kyy = sb2 + sw2 * np.sum(Y * Y, axis=1) / net.d_in
    for _ in range(net.depth):
        kxy = sb2 + sw2 * layer_map(net.activation, kxx[:, None], kxy, kyy[None, :])
        kxx_new = sb2 + sw2 * layer_map(net.activation, kxx, kxx, kxx)
        kyy = sb2 + sw2 * layer_map(net.activation, kyy, kyy, kyy)
        kxx = kxx_new
    return kxy


def kinetic_parameters(net: Network) -> dict:
    """Momentum-space kinetic data of a translation-invariant kernel (gauss and cos).

    Returns ``{"A": A, "mu2": mu^2, "Z0": A / mu^2}`` with K_w(p)^(-1) = A exp(p^2 / mu^2),
    A = sigma_w^(d-2) (2 pi d)^(-d/2), mu^2 = 2 sigma_w^2 / d (docs/theory.md#momentum-space).
    """
    if net.activation not in ("gauss", "cos"):
        raise ValueError(
            f"momentum-space kernel needs a translation-invariant kernel (gauss or cos), "
            f"not {net.activation}"
        )
    d = net.d_in
    A = net.sigma_w ** (d - 2) * (2.0 * np.pi * d) ** (-d / 2.0)
    mu2 = 2.0 * net.sigma_w**2 / d
    return {"A": A, "mu2": mu2, "Z0": A / mu2}


def momentum_kernel(net: Network, p) -> np.ndarray:
    """K_w(p) = sigma_w^(2-d) (2 pi d)^(d/2) exp(-p^2 / mu^2), the Fourier transform of K - sigma_b^2.

    ``p`` holds momenta of shape (..., d_in) for d_in > 1; for d_in = 1 any array of p.
    The constant sigma_b^2 is a zero mode (a delta function at p = 0) and is left out.
    """
    kp = kinetic_parameters(net)
    p = np.asarray(p, dtype=np.float64)
    p2 = p**2 if net.d_in == 1 else np.sum(p**2, axis=-1)
    return np.exp(-p2 / kp["mu2"]) / kp["A"]
