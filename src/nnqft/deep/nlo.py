"""Next-to-leading order (1/N^2) at one input, and the 1/N theory's truncation error.

At a single input x the whole deep network reduces to a scalar Markov chain (docs/deep.md
section 6). Write S_0 = K^(1)(x) = sigma_b^2 + sigma_w^2 |x|^2 / d_in and, for l = 1..L,

    S_l = sigma_b^2 + (sigma_w^2 / N_l) sum_{j=1..N_l} phi(sqrt(S_(l-1)) xi_j)^2,   xi_j ~ N(0, 1) i.i.d.

(given layer l - 1, the N_l pre-activations of layer l are i.i.d. N(0, S_(l-1)), and the next
layer's conditional variance is S_l). The output is f ~ N(0, S_L) given S_L, so exactly

    G2(x) = E[S_L],      G4_c(x, x, x, x) = 3 Var(S_L).

Given S_(l-1) = s the conditional cumulants of S_l are c1(s) = sigma_b^2 + sigma_w^2 M_1(s),
c2(s) = (sigma_w^4 / N_l)(M_2 - M_1^2), c3(s) = (sigma_w^6 / N_l^2)(M_3 - 3 M_2 M_1 + 2 M_1^3)
with M_k(s) = E[phi(sqrt(s) xi)^(2k)]. The law of total cumulance, with the Taylor expansion of
c1, c2, c3 about the mean mu of S_(l-1) (variance v = O(1/N), third cumulant k3 = O(1/N^2),
fourth central moment 3 v^2 + O(1/N^3)), gives to O(1/N^2)

    E[S_l]     = c1 + c1'' v / 2 + c1''' k3 / 6 + c1'''' v^2 / 8
    Var(S_l)   = c2 + c2'' v / 2 + c1'^2 v + c1' c1'' k3 + c1''^2 v^2 / 2 + c1' c1''' v^2
    k3(S_l)    = c3 + 3 c1' c2' v + c1'^3 k3 + 3 c1'^2 c1'' v^2

all derivatives at mu. Every quantity is carried as a truncated series in 1/N (orders 0, 1, 2;
the O(1/N) entry of Var(S_L) is the leading-order vertex, the O(1/N^2) entry the next order).
Derivatives of Gaussian expectations use d^n/ds^n E[F(sqrt(s) xi)] = (2s)^(-n) E[F He_2n(xi)]
(probabilists' Hermite polynomials), so no derivative of phi (relu: of its kink) is needed; relu
uses the closed forms M_k = (2k - 1)!! s^k / 2.

Checks (tests/deep/test_deep_nlo.py): for relu the chain is affine, S_l = sigma_b^2 +
S_(l-1) Y_l with Y_l = (sigma_w^2 / N_l) chi^2_(B_l), B_l ~ Binomial(N_l, 1/2), independent of
S_(l-1), so E[S_L] and E[S_L^2] are exact at any sigma_b (:func:`relu_one_input_exact`); with
sigma_b = 0 the normalised vertex is (1 + 5/N)^L - 1 = 5L/N + (25 L (L - 1) / 2) / N^2 + ...
The O(1) and O(1/N) entries equal the multi-input recursion of :mod:`nnqft.deep.theory`.

References
----------
[PDLT] Roberts, Yaida, Hanin, *The Principles of Deep Learning Theory* (2022), ch. 4;
[HN] Hanin, Nica, Commun. Math. Phys. 376 (2020) 287 (the deep relu chi-square chain).
"""

from __future__ import annotations

from math import comb

import numpy as np
from numpy.polynomial.hermite_e import hermeval

from ..combinatorics import sorted_tuples
from ..networks import Network, activation_fn, as_inputs
from .theory import check_network

__all__ = ["one_input_series", "relu_one_input_exact", "truncation_estimate"]

_ORDER = 3  # series entries: O(1), O(1/N), O(1/N^2)
_XI_MAX = 12.0  # standard-normal mass beyond 12 is 4e-33
_N_NODES = 200  # Gauss-Legendre nodes per half line (the integrands are split at xi = 0)


def _mul(*series):
    out = np.zeros(_ORDER)
    out[0] = 1.0
    for s in series:
        out = np.convolve(out, s)[:_ORDER]
    return out


def _shift(s, k):
    out = np.zeros(_ORDER)
    out[k:] = s[:_ORDER - k]
    return out


def _compose(derivs, n, delta):
    """f^(n)(mu0 + delta) as a series, from derivatives f^(j)(mu0); delta has no O(1) entry."""
    f = [derivs[n + j] if n + j < len(derivs) else np.nan for j in range(_ORDER)]
    out = np.zeros(_ORDER)
    out[0] = f[0]
    if delta[1] != 0.0 or delta[2] != 0.0:
        out[1] = f[1] * delta[1]
        out[2] = f[1] * delta[2] + 0.5 * f[2] * delta[1] ** 2
    return out


def _gauss_rule():
    x, w = np.polynomial.legendre.leggauss(_N_NODES)
    x = 0.5 * _XI_MAX * (x + 1.0)
    w = 0.5 * _XI_MAX * w * np.exp(-0.5 * x**2) / np.sqrt(2.0 * np.pi)
    return np.concatenate([-x[::-1], x]), np.concatenate([w[::-1], w])


def _moment_derivatives(activation: str, s: float, n_max: int = 6) -> np.ndarray:
    """D[k - 1, n] = d^n/ds^n E[phi(sqrt(s) xi)^(2k)], k = 1, 2, 3, n = 0..n_max."""
    D = np.zeros((3, n_max + 1))
    if activation == "relu":
        for k in (1, 2, 3):
            c = float(np.prod(np.arange(1, 2 * k, 2))) / 2.0  # E[relu(xi)^(2k)]
            for n in range(min(k, n_max) + 1):
                D[k - 1, n] = c * (np.prod(np.arange(k - n + 1, k + 1)) if n else 1.0) \
                    * s ** (k - n)
        return D
    if not s > 0.0:
        raise ValueError(f"the one-input chain needs a positive input variance, got {s}")
    xi, w = _gauss_rule()
    p2 = activation_fn(activation)(np.sqrt(s) * xi) ** 2
    for n in range(n_max + 1):
        he = hermeval(xi, [0.0] * (2 * n) + [1.0]) / (2.0 * s) ** n
        for k in (1, 2, 3):
            D[k - 1, n] = float(np.sum(w * p2**k * he))
    return D


def one_input_series(net: Network, x) -> dict:
    """E[S_L], Var(S_L) and the third cumulant of S_L at one input, as series in 1/N.

    Parameters
    ----------
    net : Network
        erf, relu or tanh, any depth and widths (d_out = 1, normal weights).
    x : array_like, shape (d_in,)
        One input.

    Returns
    -------
    dict
        ``mean``, ``var``, ``k3``: arrays of 3 entries, the O(1), O(1/N) and O(1/N^2) parts
        (width factors included, so their sum is the value to O(1/N^2)); ``g2`` = mean and
        ``g4c`` = 3 var (the output's G2(x) and G4_c(x, x, x, x)).
    """
    check_network(net)
    x = as_inputs(np.atleast_2d(np.asarray(x, dtype=float)), net.d_in)
    if x.shape[0] != 1:
        raise ValueError("one_input_series takes one input")
    s0 = float(net.pre_activation_cov(x)[0, 0])
    if s0 == 0.0 and net.sigma_b == 0.0:  # phi(0) = 0: every layer is exactly zero
        z = np.zeros(_ORDER)
        return {"mean": z, "var": z, "k3": z, "g2": z, "g4c": z}
    return _chain(s0, net.widths, net.sigma_w**2, net.sigma_b**2,
                  lambda s: _moment_derivatives(net.activation, s))


def _chain(s0, widths, sw2, sb2, moments) -> dict:
    """The truncated-series chain of the module docstring; ``moments(s)`` gives the (3, 7)
    array of d^n/ds^n M_k(s) (k = 1, 2, 3; n = 0..6)."""
    mu = np.array([s0, 0.0, 0.0])
    v = np.zeros(_ORDER)
    k3 = np.zeros(_ORDER)
    for N in widths:
        M1, M2, M3 = moments(mu[0])
        c1d = sw2 * M1.copy()
        c1d[0] += sb2
        n2 = len(M2)
        sq = np.array([sum(comb(n, j) * M1[j] * M1[n - j] for j in range(n + 1))
                       for n in range(n2)])
        C2d = sw2**2 * (M2 - sq) / N
        C3 = sw2**3 * (M3[0] - 3.0 * M2[0] * M1[0] + 2.0 * M1[0] ** 3) / N**2
        delta = np.array([0.0, mu[1], mu[2]])

        def c1(n, c1d=c1d, delta=delta):
            return _compose(c1d, n, delta)

        def c2(n, C2d=C2d, delta=delta):
            return _shift(_compose(C2d, n, delta), 1)

        vv = _mul(v, v)
        mu_new = c1(0) + 0.5 * _mul(c1(2), v) + _mul(c1(3), k3) / 6.0 + _mul(c1(4), vv) / 8.0
        v_new = (c2(0) + 0.5 * _mul(c2(2), v) + _mul(c1(1), c1(1), v) + _mul(c1(1), c1(2), k3)
                 + 0.5 * _mul(c1(2), c1(2), vv) + _mul(c1(1), c1(3), vv))
        k3_new = (_shift(np.array([C3, 0.0, 0.0]), 2) + 3.0 * _mul(c1(1), c2(1), v)
                  + _mul(c1(1), c1(1), c1(1), k3) + 3.0 * _mul(c1(1), c1(1), c1(2), vv))
        mu, v, k3 = mu_new, v_new, k3_new
    return {"mean": mu, "var": v, "k3": k3, "g2": mu.copy(), "g4c": 3.0 * v}


def relu_one_input_exact(net: Network, x) -> tuple[float, float]:
    """Exact G2(x) and G4_c(x, x, x, x) of a deep relu network at one input, any sigma_b.

    S_l = sigma_b^2 + S_(l-1) Y_l with Y_l = (sigma_w^2 / N_l) chi^2_(B_l) independent of
    S_(l-1) (docstring of this module; [HN]): E[Y] = sigma_w^2 / 2,
    E[Y^2] = (sigma_w^4 / 4)(1 + 5 / N_l), so the first two moments of S_L follow exactly.
    """
    if net.activation != "relu":
        raise ValueError(f"the exact one-input chain is for relu, not {net.activation}")
    check_network(net)
    x = as_inputs(np.atleast_2d(np.asarray(x, dtype=float)), net.d_in)
    sw2, sb2 = net.sigma_w**2, net.sigma_b**2
    m1 = float(net.pre_activation_cov(x)[0, 0])
    m2 = m1 * m1
    for N in net.widths:
        y1, y2 = sw2 / 2.0, sw2**2 * (1.0 + 5.0 / N) / 4.0
        m1, m2 = sb2 + m1 * y1, sb2**2 + 2.0 * sb2 * m1 * y1 + m2 * y2
    return m1, 3.0 * (m2 - m1 * m1)


def geometric_tail(r):
    """r / (1 - r), the higher orders summed as a geometric series of ratio r >= 0 (relative
    to the leading order); infinite where r >= 1 (the expansion has broken down)."""
    r = np.asarray(r, dtype=np.float64)
    return np.where(r < 1.0, r / (1.0 - np.where(r < 1.0, r, 0.0)), np.inf)


def truncation_estimate(net: Network, X, g2=None, g4c=None) -> dict:
    """Estimated truncation error of the leading-order 1/N theory, per sorted pair and 4-tuple.

    The next order is computed exactly only at one input (:func:`one_input_series`). Its size
    relative to the leading order, rho4(a) = [O(1/N^2) part] / [O(1/N) part] of G4_c(a,a,a,a)
    and rho2(a) = [O(1/N^2) part] / [O(1) + O(1/N) parts] of G2(a), summed as a geometric series
    for the higher orders, is used as the relative error of every tuple containing input a
    (largest over the tuple's inputs):

        sigma_th4(a,b,c,d) = r4 / (1 - r4) |G4_c^(1/N)(a,b,c,d)|,   r4 = max |rho4| over a, b, c, d,
        sigma_th2(a,b)     = r2 / (1 - r2) |G2^(1/N)(a,b)|,

    infinite where r >= 1 (the expansion has broken down). For relu with sigma_b = 0 on inputs
    of one ray it bounds the exact error of every tuple, rho / (1 - rho) >= [(1 + 5/N)^L - 1 -
    5L/N] / (5L/N) with rho = 5 (L - 1) / (2N) (successive terms of the binomial sum shrink by
    (L - k) (5/N) / (k + 1) <= rho for k >= 2); with sigma_b > 0 it bounds the exact one-input
    relu chain on the tested grid (tests/deep/test_deep_nlo.py). Tuples of different inputs
    have smaller relative corrections than the diagonal ones in the measured cases (docs/deep.md
    section 6), so there it is conservative.

    Parameters
    ----------
    net : Network
    X : array_like, shape (n_inputs, d_in)
    g2, g4c : array_like or None
        The leading-order G2 (sorted pairs) and G4_c (sorted 4-tuples); computed if None.

    Returns
    -------
    dict
        ``rho2``, ``rho4`` (per input), ``sigma2`` (sorted pairs), ``sigma4`` (sorted 4-tuples).
    """
    X = as_inputs(X, net.d_in)
    n = X.shape[0]
    if g2 is None or g4c is None:
        from .theory import perturbative_correlators

        c = perturbative_correlators(net, X)
        g2, g4c = c.full(2), c.connected(4)
    rho2 = np.zeros(n)
    rho4 = np.zeros(n)
    for a in range(n):
        s = one_input_series(net, X[a])
        g2a = s["mean"][0] + s["mean"][1]
        rho2[a] = s["mean"][2] / g2a if g2a != 0.0 else 0.0
        rho4[a] = s["var"][2] / s["var"][1] if s["var"][1] != 0.0 else 0.0
    T2, T4 = sorted_tuples(n, 2), sorted_tuples(n, 4)
    r2 = np.max(np.abs(rho2)[T2], axis=1)
    r4 = np.max(np.abs(rho4)[T4], axis=1)
    sigma2 = geometric_tail(r2) * np.abs(np.asarray(g2))
    sigma4 = geometric_tail(r4) * np.abs(np.asarray(g4c))
    return {"rho2": rho2, "rho4": rho4, "sigma2": sigma2, "sigma4": sigma4}
