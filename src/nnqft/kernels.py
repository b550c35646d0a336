"""Infinite-width (Gaussian-process) kernels: closed forms, layer recursion, momentum space.

docs/theory.md#kernels. With m(x, y) = sigma_b^2 + sigma_w^2 x.y / d:

- erf:   K = sigma_b^2 + (2 sigma_w^2 / pi) asin(2 m_xy / sqrt((1 + 2 m_xx)(1 + 2 m_yy)))
- relu:  K = sigma_b^2 + (sigma_w^2 / 2 pi) sqrt(m_xx m_yy) (sin t + (pi - t) cos t)
- gauss, cos: K = sigma_b^2 + sigma_w^2 exp(-sigma_w^2 |x - y|^2 / (2 d))

Deeper networks apply the layer map K -> sigma_b^2 + sigma_w^2 E[phi(u) phi(v)] with (u, v)
Gaussian of covariance K; erf and relu use the closed-form duals (arc-sine, arc-cosine). tanh
uses its exact representation as a scale mixture of error functions,
tanh(z) = int erf(b z) dmu(b) (:func:`tanh_erf_mixture`; docs/theory.md#deep-kernels), which
turns E[tanh(u) tanh(v)] into a mixture of arc-sine kernels (:func:`tanh_pair_expectation`):
25 x 25 arc-sines per pair, error <= 2 sup|tanh - mixture| < 1e-14 absolute at every kernel
scale, about 300 times cheaper than the polar quadrature it replaced in :func:`layer_map`.
The polar quadrature (:func:`polar_pair_expectation`: angles split where u = 0 or v = 0,
Gauss-Legendre on each arc and in the radius) stays for general phi and for the derivative
products of :mod:`nnqft.deep.gauss`; for tanh it is ~1e-13 accurate for kernel values up to
~10, but its error grows with the scale (up to 3e-9 for k <= 200, 2e-7 for k <= 1000, 4e-6 at
k ~ 1e4, the first-layer kernels of the EFT integrals at large cutoffs; tests/test_kernels.py). Plain
96-node Gauss-Hermite (:func:`gaussian_pair_expectation`) is only ~1e-4 accurate for tanh at
k = 7, because tanh has poles near the real axis at large scale.

References: [HMS] arXiv:2008.08601 (appendix); Williams, "Computing with infinite networks"
(1997) for erf; Cho & Saul (2009) for the arc-cosine kernel; [H21] arXiv:2112.04527 for cos;
Andrews & Mallows, J. R. Stat. Soc. B 36 (1974) 99 and Stefanski, Stat. Probab. Lett. 11 (1991)
69 (the logistic density, sech^2 / 4, is a scale mixture of normals) for the tanh mixture.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from .networks import Network, activation_fn, as_inputs

__all__ = [
    "gp_kernel",
    "layer_map",
    "gaussian_pair_expectation",
    "polar_pair_expectation",
    "polar_pair_nodes",
    "tanh_erf_mixture",
    "tanh_pair_expectation",
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


# Trapezoid rule of the tanh mixture in t = ln b^2: t_j = _MIX_T0 + j _MIX_H, j < _MIX_N.
_MIX_T0, _MIX_H, _MIX_N = -3.4, 0.25, 25
# Pairs per block in tanh_pair_expectation: (block, 25, 25) temporaries of 2.5 MB stay in cache
# (measured 25 % faster than 2048, and 4 times faster than 8192 pairs per block).
_MIX_BLOCK = 512


def _sech2_mixing_density(s: np.ndarray) -> np.ndarray:
    """s nu(s), with sech^2(z) = int_0^inf e^(-s z^2) m(s) ds and nu(s) = m(s) sqrt(pi / (4 s)).

    nu(s) = (2 / s^2) F(1 / s), F(x) = sum_{k >= 1} (-1)^(k+1) k^2 e^(-k^2 x) (docs/theory.md#
    deep-kernels); for s > 1 the theta-function (Poisson) form
    F(x) = sqrt(pi) sum_{n >= 0} x^(-1/2) e^(-c_n / x) (c_n / x^2 - 1 / (2 x)),
    c_n = pi^2 (2n + 1)^2 / 4, which converges fast there.
    """
    s = np.asarray(s, dtype=np.float64)
    out = np.empty_like(s)
    k = np.arange(1, 41, dtype=np.float64)[:, None]
    small = s <= 1.0
    x = 1.0 / s[small]
    out[small] = 2.0 / s[small] * np.sum((-1.0) ** (k + 1) * k**2 * np.exp(-(k**2) * x), axis=0)
    x = 1.0 / s[~small]
    c = np.pi**2 * (2.0 * k - 1.0) ** 2 / 4.0
    F = np.sqrt(np.pi) * np.sum(x**-0.5 * np.exp(-c / x) * (c / x**2 - 0.5 / x), axis=0)
    out[~small] = 2.0 / s[~small] * F
    return out


@lru_cache(maxsize=1)
def tanh_erf_mixture() -> tuple[np.ndarray, np.ndarray]:
    """Nodes b_j and weights w_j with tanh(z) ~= sum_j w_j erf(b_j z) for every real z.

    tanh' = sech^2 is a Gaussian scale mixture (the logistic density is a scale mixture of
    normals, Andrews & Mallows 1974, Stefanski 1991): from sech^2(z) = 4 sum_{k>=1} (-1)^(k+1) k
    e^(-2k|z|) and e^(-a|z|) = int_0^inf a (4 pi s^3)^(-1/2) e^(-a^2 / (4 s)) e^(-s z^2) ds,
    integrating z gives tanh(z) = int_0^inf erf(sqrt(s) z) nu(s) ds, a probability density nu
    (docs/theory.md#deep-kernels). The trapezoid rule in t = ln s (step 1/4, 25 nodes from
    s = e^-3.4 to e^2.6) is exponentially accurate because nu decays double-exponentially in t
    at both ends: sup_z |tanh(z) - sum_j w_j erf(b_j z)| < 5e-15 (tests/test_kernels.py).

    Returns
    -------
    b, w : ndarray (25,)
        Read-only nodes b_j = e^(t_j / 2) and weights w_j = h s_j nu(s_j) (sum w_j = 1 to 1e-15).
    """
    t = _MIX_T0 + _MIX_H * np.arange(_MIX_N)
    s = np.exp(t)
    b, w = np.sqrt(s), _MIX_H * _sech2_mixing_density(s)
    b.setflags(write=False)
    w.setflags(write=False)
    return b, w


def tanh_pair_expectation(k11, k12, k22) -> np.ndarray:
    """E[tanh(u) tanh(v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]) via the erf mixture.

    With tanh ~= sum_j w_j erf(b_j .) (:func:`tanh_erf_mixture`) each term is Williams' arc-sine
    kernel: E[erf(b u) erf(c v)] = (2 / pi) asin(2 b c k12 / sqrt((1 + 2 b^2 k11)(1 + 2 c^2 k22))),
    so the expectation is a 25 x 25 double sum of arc-sines, at any kernel scale. Its error is at
    most 2 eps + eps^2 with eps = sup|tanh - mixture| < 5e-15, because |tanh| <= 1 (test against
    adaptive quadrature and the polar rule in tests/test_kernels.py). Broadcasts over the shapes
    of k11, k12, k22.
    """
    k11, k12, k22 = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (k11, k12, k22)))
    shape = k11.shape
    k11, k12, k22 = (a.ravel() for a in (k11, k12, k22))
    b, w = tanh_erf_mixture()
    out = np.empty(k11.shape)
    for s in range(0, k11.size, _MIX_BLOCK):
        sl = slice(s, s + _MIX_BLOCK)
        # alpha_j(k) = b_j sqrt(2 / (1 + 2 b_j^2 k)): the arc-sine argument is k12 alpha_i beta_j
        al = b * np.sqrt(2.0 / (1.0 + 2.0 * b**2 * np.maximum(k11[sl], 0.0)[:, None]))
        be = b * np.sqrt(2.0 / (1.0 + 2.0 * b**2 * np.maximum(k22[sl], 0.0)[:, None]))
        r = (k12[sl, None] * al)[:, :, None] * be[:, None, :]
        out[sl] = (np.arcsin(np.clip(r, -1.0, 1.0)) @ w) @ w
    return (2.0 / np.pi) * out.reshape(shape)


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
    if activation == "tanh":
        return tanh_pair_expectation(k11, k12, k22)
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
    same = Y is None
    Y = X if same else as_inputs(Y, net.d_in)
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
        kyy = kxx_new if same else sb2 + sw2 * layer_map(net.activation, kyy, kyy, kyy)
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
