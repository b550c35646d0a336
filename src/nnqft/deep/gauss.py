"""Gaussian expectations for the deep finite-width recursions (docs/deep.md, section 3).

Two families of integrals over a zero-mean Gaussian layer are needed:

- the **pair map** g(k11, k12, k22) = E[phi(u) phi(v)], (u, v) ~ N(0, [[k11, k12], [k12, k22]]),
  with its gradient and Hessian in (k11, k12, k22) (:func:`pair_map`). By Price's theorem
  dg/dk12 = E[phi'(u) phi'(v)] and dg/dk11 = E[phi''(u) phi(v)] / 2, so the derivatives are the
  expectations of derivative products that appear in the 1/N recursions. erf and relu use the
  closed forms (arc-sine and arc-cosine kernels) differentiated analytically; the delta functions
  in the second derivatives of relu products are thereby integrated exactly. tanh uses a polar
  quadrature split at the lines u = 0, v = 0, sized by the pair's variance (:data:`PAIR_RULES`;
  accuracy in docs/deep.md).
- the **four-point function** E[phi(z_a) phi(z_b) phi(z_c) phi(z_d)] on a 4 x 4 covariance of
  any rank (:func:`four_point`):

  * erf: erf(z) = 2 P(xi < sqrt(2) z) - 1 with an independent xi ~ N(0, 1) per factor turns the
    product into a signed sum of orthant probabilities of w = sqrt(2) z - xi, whose covariance
    I + 2 K is never singular. Orthant probabilities of 1-3 variables are elementary; the
    4-variable one is a 1-d integral (Plackett's identity, :func:`orthant_probability`).
  * relu: Gaussian integration by parts (Stein) reduces E[prod z_i^m_i theta(z_i)] to lower
    exponents and to Gaussians conditioned on z_k = 0 (the delta functions of theta'), ending
    in orthant probabilities (:func:`relu_product_moment`). Covariances of rank below the
    number of distinct points (collinear pre-activations, e.g. d_in = 1 with sigma_b = 0) use
    the exact homogeneous angular rules of :mod:`nnqft.moments` instead.
  * tanh: node counts set per axis from its scale (a Gauss-Hermite rule needs ~s^2 nodes on an
    axis of scale s): rank 2 by a polar rule split at the sign-change lines; ranks 1, 3, 4 by
    an inner axis (split where a factor changes sign, chosen so that it smooths every factor)
    and tensor Gauss-Hermite on the others, with counts from a measured table or per-axis
    probes; above a largest eigenvalue 0.3 two rules that differ on every axis must agree to
    1e-10 (:func:`_tanh_product_adaptive`). The earlier uniform rule is kept
    (:data:`TANH_METHOD`).

References
----------
Plackett, Biometrika 41 (1954) 351 (orthant probabilities); Cho & Saul (2009) (arc-cosine
kernel); Williams (1997) (arc-sine kernel); [PDLT] Roberts, Yaida, Hanin, *The Principles of Deep
Learning Theory* (2022), ch. 4-5.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numpy.polynomial.legendre import leggauss
from scipy import special

from ..errors import NumericalError
from ..kernels import polar_pair_nodes
from ..moments import angular_rule  # exact kink-split angular rules (rank <= 3)

__all__ = [
    "pair_map",
    "diag_map",
    "four_point",
    "orthant_probability",
    "relu_product_moment",
    "DEEP_ACTIVATIONS",
]

#: Activations with a 1/N theory at any depth.
DEEP_ACTIVATIONS = ("erf", "relu", "tanh")

_TWO_PI = 2.0 * math.pi
#: Gauss-Legendre nodes in u (t = 1 - u^2) for the 4-variable orthant integral.
ORTHANT_NODES = 48
#: tanh four-point functions: Gauss-Hermite nodes on the largest outer axis, Gauss-Legendre nodes
#: per piece on the split inner axis (docs/deep.md states the measured accuracy).
TANH_GH_NODES = 32
TANH_GL_NODES = 12
#: Largest covariance eigenvalue up to which the base tanh rule is used as it is (~1e-14).
TANH_SMALL_EIG = 0.3
#: Two-rule error control of the tanh four-point function above TANH_SMALL_EIG.
TANH_RTOL = 1e-10
TANH_ATOL = 1e-14
#: Accepted change between the two finest rules when the node cap is reached (the target).
TANH_CAP_RTOL = 1e-9
TANH_MAX_GH_NODES = 400
#: First (outer, inner) node counts of the refinement sequence.
TANH_REFINE_START = (TANH_GH_NODES, TANH_GL_NODES)
#: Quadrature points evaluated at once by the tanh rule (memory bound).
TANH_CHUNK = 2_000_000
#: Which tanh rules are used: "adaptive" (scale-adapted node counts per axis and per pair, the
#: default) or "uniform" (the earlier rules: one refinement factor for all axes of the
#: four-point rule, one polar rule for all pairs; kept for benchmarks/bench_deep.py's
#: before/after ratio and as a second method in the tests).
TANH_METHOD = "adaptive"
#: Relative eigenvalue below which a covariance direction counts as absent.
RANK_TOL = 1e-11


# ============================================================================ derivatives
def _tanh_derivs(z):
    t = np.tanh(z)
    s = 1.0 - t * t
    return (t, s, -2.0 * t * s, s * (6.0 * t * t - 2.0), 8.0 * t * s * (2.0 - 3.0 * t * t))


def _erf_derivs(z):
    e1 = (2.0 / math.sqrt(math.pi)) * np.exp(-z * z)
    return (special.erf(z), e1, -2.0 * z * e1, (4.0 * z * z - 2.0) * e1,
            (-8.0 * z**3 + 12.0 * z) * e1)


@lru_cache(maxsize=64)
def _gl01(n: int):
    x, w = leggauss(n)
    return (x + 1.0) / 2.0, w / 2.0


# ============================================================================ pair map
#: Polar pair rules (Gauss-Legendre nodes per arc, radial nodes) by the pair's largest variance:
#: (upper bound, counts). Measured worst relative error (floor 1e-3) of all derivative products
#: E[phi^(i)(u) phi^(j)(v)], i + j <= 4, against a (200, 260) rule on 30 random pairs at each
#: bound, correlations up to 1 - 1e-12: 2e-11, 2e-11, 3e-12, 4e-11, 2e-12 (docs/deep.md, section 3).
PAIR_RULES = ((0.35, (24, 32)), (1.1, (32, 48)), (4.0, (48, 64)), (25.0, (64, 96)),
              (math.inf, (96, 128)))


def _pair_quadrature(derivs, k11, k12, k22):
    k11, k12, k22 = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (k11, k12, k22)))
    kmax = np.maximum(k11, k22)
    g = np.empty(k11.shape)
    grad = np.empty(k11.shape + (3,))
    hess = np.empty(k11.shape + (3, 3))
    lower = -math.inf
    # TANH_METHOD "uniform": the earlier single rule (48, 64) for every pair (benchmarks)
    rules = ((math.inf, (48, 64)),) if TANH_METHOD == "uniform" else PAIR_RULES
    for bound, (n_ang, n_rad) in rules:
        sel = (kmax > lower) & (kmax <= bound)
        lower = bound
        if not np.any(sel):
            continue
        u, v, w = polar_pair_nodes(k11[sel], k12[sel], k22[sel], n_ang, n_rad)
        du, dv = derivs(u), derivs(v)

        def E(i, j, du=du, dv=dv, w=w):
            return np.sum(w * du[i] * dv[j], axis=-1)

        g[sel] = E(0, 0)
        grad[sel] = np.stack([0.5 * E(2, 0), E(1, 1), 0.5 * E(0, 2)], axis=-1)
        h11, h12, h13 = 0.25 * E(4, 0), 0.5 * E(3, 1), 0.25 * E(2, 2)
        h22, h23, h33 = E(2, 2), 0.5 * E(1, 3), 0.25 * E(0, 4)
        hess[sel] = np.stack([np.stack([h11, h12, h13], -1), np.stack([h12, h22, h23], -1),
                              np.stack([h13, h23, h33], -1)], -2)
    return g, grad, hess


def _pair_erf(k11, k12, k22):
    A, B = 1.0 + 2.0 * k11, 1.0 + 2.0 * k22
    sab = np.sqrt(A * B)
    r = 2.0 * k12 / sab
    one = np.ones_like(r)
    dr = np.stack([-r / A, 2.0 / sab * one, -r / B], axis=-1)
    d2 = np.zeros(r.shape + (3, 3))
    d2[..., 0, 0] = 3.0 * r / A**2
    d2[..., 2, 2] = 3.0 * r / B**2
    d2[..., 0, 2] = d2[..., 2, 0] = r / (A * B)
    d2[..., 0, 1] = d2[..., 1, 0] = -2.0 / (sab * A)
    d2[..., 1, 2] = d2[..., 2, 1] = -2.0 / (sab * B)
    q = np.sqrt(1.0 - r * r)
    g = (2.0 / math.pi) * np.arcsin(r)
    g1 = (2.0 / math.pi) / q
    g2 = (2.0 / math.pi) * r / q**3
    grad = g1[..., None] * dr
    hess = g2[..., None, None] * dr[..., :, None] * dr[..., None, :] + g1[..., None, None] * d2
    return g, grad, hess


#: 1 - rho below which two relu pre-activations count as collinear in the Hessian.
RELU_COLLINEAR_TOL = 1e-8


def _pair_relu(k11, k12, k22):
    """Arc-cosine kernel g = s J(rho), s = sqrt(k11 k22), and its derivatives.

    J(rho) = (sqrt(1 - rho^2) + (pi - acos rho) rho) / (2 pi), J' = (pi - acos rho) / (2 pi),
    J'' = 1 / (2 pi sqrt(1 - rho^2)) (the delta-function term E[delta(u) delta(v)] k11 k22).
    At rho -> 1 the J'' term multiplies the variance of rho, which vanishes there faster than
    J'' grows (docs/deep.md); it is dropped for 1 - rho < RELU_COLLINEAR_TOL.
    """
    s = np.sqrt(k11 * k22)
    pos = s > 0
    ss = np.where(pos, s, 1.0)
    rho = np.clip(np.where(pos, k12 / ss, 1.0), -1.0, 1.0)
    ac = np.arccos(rho)
    q = np.sqrt(np.maximum(1.0 - rho * rho, 0.0))
    J = (q + (math.pi - ac) * rho) / _TWO_PI
    J1 = (math.pi - ac) / _TWO_PI
    far = (1.0 - np.abs(rho)) > RELU_COLLINEAR_TOL
    J2 = np.where(far, 1.0 / (_TWO_PI * np.where(far, q, 1.0)), 0.0)
    k11s, k22s = np.where(pos, k11, 1.0), np.where(pos, k22, 1.0)
    # s derivatives
    ds = np.stack([0.5 * s / k11s, np.zeros_like(s), 0.5 * s / k22s], axis=-1)
    d2s = np.zeros(s.shape + (3, 3))
    d2s[..., 0, 0] = -0.25 * s / k11s**2
    d2s[..., 2, 2] = -0.25 * s / k22s**2
    d2s[..., 0, 2] = d2s[..., 2, 0] = 0.25 * s / (k11s * k22s)
    # rho derivatives (rho = k12 / s)
    dr = np.stack([-0.5 * rho / k11s, 1.0 / ss, -0.5 * rho / k22s], axis=-1)
    d2r = np.zeros(s.shape + (3, 3))
    d2r[..., 0, 0] = 0.75 * rho / k11s**2
    d2r[..., 2, 2] = 0.75 * rho / k22s**2
    d2r[..., 0, 2] = d2r[..., 2, 0] = 0.25 * rho / (k11s * k22s)
    d2r[..., 0, 1] = d2r[..., 1, 0] = -0.5 / (ss * k11s)
    d2r[..., 1, 2] = d2r[..., 2, 1] = -0.5 / (ss * k22s)
    g = s * J
    grad = ds * J[..., None] + s[..., None] * J1[..., None] * dr
    outer = lambda a, b: a[..., :, None] * b[..., None, :]  # noqa: E731
    hess = (d2s * J[..., None, None] + (outer(ds, dr) + outer(dr, ds)) * J1[..., None, None]
            + s[..., None, None] * (J2[..., None, None] * outer(dr, dr)
                                    + J1[..., None, None] * d2r))
    zero = ~pos
    if np.any(zero):
        g = np.where(zero, 0.0, g)
        # k11 = 0 or k22 = 0: phi(u) phi(v) vanishes identically along that axis; only the
        # k12 derivative survives at first order (E[theta(u) theta(v)] = 1/4 at k11 -> 0)
        grad = np.where(zero[..., None], 0.0, grad)
        hess = np.where(zero[..., None, None], 0.0, hess)
    return g, grad, hess


def pair_map(activation: str, k11, k12, k22):
    """g = E[phi(u) phi(v)], its gradient and Hessian in (k11, k12, k22).

    Parameters
    ----------
    activation : {"erf", "relu", "tanh"}
    k11, k12, k22 : array_like
        Entries of the 2 x 2 covariance (broadcast together).

    Returns
    -------
    g : ndarray (...,)
    grad : ndarray (..., 3)
        (dg/dk11, dg/dk12, dg/dk22).
    hess : ndarray (..., 3, 3)

    Notes
    -----
    For coincident points (u = v) use :func:`diag_map`, the function of one variance.
    """
    k11, k12, k22 = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (k11, k12, k22)))
    if activation == "erf":
        return _pair_erf(k11, k12, k22)
    if activation == "relu":
        return _pair_relu(k11, k12, k22)
    if activation == "tanh":
        return _pair_quadrature(_tanh_derivs, k11, k12, k22)
    raise ValueError(f"no pair map for activation {activation!r}; choose erf, relu or tanh")


def diag_map(activation: str, k):
    """E[phi(u)^2], u ~ N(0, k), and its first two derivatives in k.

    erf: (2/pi) asin(2k / (1 + 2k)); relu: k / 2; tanh: quadrature of
    E[(phi^2)''] / 2 and E[(phi^2)''''] / 4 (Price's theorem).
    """
    k = np.asarray(k, dtype=np.float64)
    if activation == "relu":
        return 0.5 * k, np.full(k.shape, 0.5), np.zeros(k.shape)
    if activation == "erf":
        A = 1.0 + 2.0 * k
        r = 2.0 * k / A
        dr = 2.0 / A**2
        d2r = -8.0 / A**3
        q = np.sqrt(1.0 - r * r)
        g1 = (2.0 / math.pi) / q
        return (2.0 / math.pi) * np.arcsin(r), g1 * dr, (2.0 / math.pi) * r / q**3 * dr**2 + g1 * d2r
    if activation == "tanh":
        g, grad, hess = _pair_quadrature(_tanh_derivs, k, k, k)
        return g, grad.sum(-1), hess.sum((-1, -2))
    raise ValueError(f"no pair map for activation {activation!r}; choose erf, relu or tanh")


# ============================================================================ orthants
def _corr(K):
    d = np.sqrt(np.einsum("...ii->...i", K))
    return K / (d[..., :, None] * d[..., None, :])


def _orthant_small(R):
    """P(z > 0) for correlation matrices R (..., n, n), n <= 3 (elementary)."""
    n = R.shape[-1]
    if n == 0:
        return np.ones(R.shape[:-2])
    if n == 1:
        return np.full(R.shape[:-2], 0.5)
    if n == 2:
        return 0.25 + np.arcsin(np.clip(R[..., 0, 1], -1, 1)) / _TWO_PI
    s = sum(np.arcsin(np.clip(R[..., i, j], -1, 1)) for i, j in ((0, 1), (0, 2), (1, 2)))
    return 0.125 + s / (4.0 * math.pi)


def _orthant4(R, n_nodes: int = ORTHANT_NODES):
    """P(z > 0) for 4 x 4 correlation matrices by Plackett's identity.

    Along R(t) = I + t (R - I), dP/dt = sum_{i<j} R_ij phi_2(0, 0; t R_ij)
    P(z_k > 0, z_l > 0 | z_i = z_j = 0), an elementary integrand; P(0) = 1/16. The t integral
    uses t = 1 - u^2 and Gauss-Legendre in u, which absorbs the square-root end-point
    behaviour of nearly singular R.
    """
    xu, wu = _gl01(n_nodes)
    t = 1.0 - xu**2
    wt = 2.0 * xu * wu
    I4 = np.eye(4)
    Rt = I4 + t.reshape((-1,) + (1,) * R.ndim) * (R[None] - I4)  # (n_t, ..., 4, 4)
    total = np.zeros((n_nodes,) + R.shape[:-2])
    for (i, j) in itertools.combinations(range(4), 2):
        k, l = (m for m in range(4) if m not in (i, j))
        r = Rt[..., i, j]
        det = 1.0 - r * r
        # conditional covariance of (k, l) given (i, j)
        a_ki, a_kj = Rt[..., k, i], Rt[..., k, j]
        a_li, a_lj = Rt[..., l, i], Rt[..., l, j]
        inv = 1.0 / np.maximum(det, 1e-300)

        def quad(p_i, p_j, q_i, q_j, r=r, inv=inv):
            return (p_i * q_i + p_j * q_j - r * (p_i * q_j + p_j * q_i)) * inv

        ckk = 1.0 - quad(a_ki, a_kj, a_ki, a_kj)
        cll = 1.0 - quad(a_li, a_lj, a_li, a_lj)
        ckl = Rt[..., k, l] - quad(a_ki, a_kj, a_li, a_lj)
        den = np.sqrt(np.maximum(ckk * cll, 1e-300))
        pc = np.clip(ckl / den, -1.0, 1.0)
        dens = 1.0 / (_TWO_PI * np.sqrt(np.maximum(det, 1e-300)))
        total += R[..., i, j] * dens * (0.25 + np.arcsin(pc) / _TWO_PI)
    return 1.0 / 16.0 + np.tensordot(wt, total, axes=(0, 0))


def orthant_probability(K):
    """P(z_1 > 0, ..., z_n > 0) for z ~ N(0, K), K of shape (..., n, n), n <= 4.

    n <= 3: elementary (Sheppard); n = 4: Plackett's identity with a 1-d Gauss-Legendre rule
    (:data:`ORTHANT_NODES` nodes; 1e-13 against the one-factor integral
    int phi(t) prod Phi(a_i t / sqrt(1 - a_i^2)) dt for |a_i| < 0.9, exactly 1/5 at equal
    correlations 1/2; tests/deep/test_deep_gauss.py).
    """
    K = np.asarray(K)
    K = K if K.dtype == np.longdouble else K.astype(np.float64)
    n = K.shape[-1]
    if n == 0:
        return np.ones(K.shape[:-2], dtype=K.dtype)
    R = _corr(K)
    if n <= 3:
        return _orthant_small(R)
    if n == 4:
        return _orthant4(R)
    raise ValueError(f"orthant probabilities for n <= 4 only, got {n}")


# ============================================================================ four-point
def _erf_product(K):
    """E[prod_a erf(z_a)] for z ~ N(0, K), K (..., n, n), n <= 4, any rank."""
    n = K.shape[-1]
    C = np.eye(n) + 2.0 * K
    out = np.zeros(K.shape[:-2])
    for size in range(n + 1):
        for S in itertools.combinations(range(n), size):
            sub = C[..., list(S), :][..., :, list(S)]
            out = out + (-1.0) ** (n - size) * 2.0**size * orthant_probability(sub)
    return out


def _condition(K, k):
    """Covariance of the other variables given z_k = 0 (k removed)."""
    keep = [i for i in range(K.shape[-1]) if i != k]
    kk = K[..., k, k]
    safe = np.where(kk > 0, kk, 1.0)
    col = K[..., keep, k]
    Kc = K[..., keep, :][..., :, keep] - col[..., :, None] * col[..., None, :] / safe[..., None, None]
    return Kc


def relu_product_moment(K, m) -> np.ndarray:
    """E[prod_i z_i^m_i theta(z_i)] for z ~ N(0, K), K (..., n, n) of full rank, n <= 4.

    Stein's identity E[z_i F] = sum_k K_ik E[d_k F] applied to one factor z_i: d_k of
    z_k^m theta(z_k) is m z_k^(m-1) theta(z_k) for m >= 1 and the delta function delta(z_k) for
    m = 0, which conditions the Gaussian on z_k = 0 with weight 1/sqrt(2 pi K_kk). The
    recursion ends in orthant probabilities. With m_i = 1 for all i this is
    E[relu(z_1) ... relu(z_n)]; repeated points are given as exponents (relu^2 = z^2 theta).
    """
    K = np.asarray(K)
    K = K if K.dtype == np.longdouble else K.astype(np.float64)  # longdouble: accuracy checks
    m = tuple(int(v) for v in m)
    memo: dict = {}

    def rec(Kc, ms, key):
        if key in memo:
            return memo[key]
        if all(v == 0 for v in ms):
            val = orthant_probability(Kc)
            memo[key] = val
            return val
        i = max(range(len(ms)), key=lambda j: ms[j])
        res = np.zeros(Kc.shape[:-2])
        base = list(ms)
        base[i] -= 1
        labels = key[1]
        # k = i
        if ms[i] >= 2:
            nm = list(base)
            nm[i] -= 1
            res = res + Kc[..., i, i] * (ms[i] - 1) * rec(Kc, tuple(nm), (key[0], labels, tuple(nm)))
        else:
            kc = _condition(Kc, i)
            nm = tuple(v for j, v in enumerate(base) if j != i)
            nl = tuple(v for j, v in enumerate(labels) if j != i)
            res = res + np.sqrt(np.maximum(Kc[..., i, i], 0.0) / _TWO_PI) * rec(
                kc, nm, (tuple(sorted(key[0] + (labels[i],))), nl, nm))
        for k in range(len(ms)):
            if k == i:
                continue
            if base[k] >= 1:
                nm = list(base)
                nm[k] -= 1
                res = res + Kc[..., i, k] * base[k] * rec(Kc, tuple(nm), (key[0], labels, tuple(nm)))
            else:
                kc = _condition(Kc, k)
                nm = tuple(v for j, v in enumerate(base) if j != k)
                nl = tuple(v for j, v in enumerate(labels) if j != k)
                kk = Kc[..., k, k]
                w = Kc[..., i, k] / np.sqrt(_TWO_PI * np.where(kk > 0, kk, np.inf))
                res = res + w * rec(kc, nm, (tuple(sorted(key[0] + (labels[k],))), nl, nm))
        memo[key] = res
        return res

    labels = tuple(range(len(m)))
    return rec(K, m, ((), labels, m))


@lru_cache(maxsize=256)
def _gh(n: int):
    x, w = hermegauss(n)
    return x, w / math.sqrt(_TWO_PI)


def _relu_lowrank(L, m):
    """E[prod relu(L_i . g)^m_i], g ~ N(0, I_r), r <= 3: exact angular rule times chi moments."""
    r = L.shape[1]
    order = int(sum(m))
    if r == 0:
        return 0.0
    E, W = angular_rule(L, 16)
    H = np.maximum(L @ E, 0.0)
    P = np.prod(H ** np.asarray(m)[:, None], axis=0)
    radial = math.exp(0.5 * order * math.log(2.0) + special.gammaln((r + order) / 2.0)
                      - special.gammaln(r / 2.0))
    return float(P @ W) * radial


def _factor(K):
    """L (n, r) with L L^T = K, r the numerical rank (eigenvalues > RANK_TOL * max)."""
    lam, V = np.linalg.eigh(K)
    top = max(lam[-1], 0.0)
    keep = lam > RANK_TOL * top if top > 0 else np.zeros(len(lam), bool)
    return V[:, keep] * np.sqrt(lam[keep])


def _tanh_product_uniform(L, m, rtol: float = TANH_RTOL):
    """E[prod tanh(L_i . g)^m_i] with two-rule error control (docs/deep.md, section 3).

    Largest covariance eigenvalue <= :data:`TANH_SMALL_EIG`: the base rule
    (:data:`TANH_GH_NODES`, :data:`TANH_GL_NODES`), measured at ~1e-14 there. Larger: starting
    from :data:`TANH_REFINE_START`, the outer and inner node counts are multiplied by 1.5 and
    1.25 until two successive rules agree to ``rtol`` relative to max(|value|, size), size =
    prod_i min(1, K_ii)^(m_i / 2) the product's magnitude without cancellations (absolute below
    :data:`TANH_ATOL`), with at most :data:`TANH_MAX_GH_NODES` outer nodes (numpy's
    Gauss-Hermite weights overflow beyond ~400); the finer value is returned. At the cap a change
    up to :data:`TANH_CAP_RTOL` (the accuracy target) is accepted. Not converging raises ``nnqft.errors.NumericalError``.
    """
    if L.shape[1] == 0:
        return 0.0
    lam = float(np.max(np.sum(L * L, axis=0)))
    if lam <= TANH_SMALL_EIG:
        return _tanh_rule(L, m)
    return _refine(lambda n_o, n_i: _tanh_rule(L, m, n_o, n_i), TANH_REFINE_START, (1.5, 1.25),
                   (TANH_MAX_GH_NODES, math.inf), _tanh_size(L, m), rtol,
                   f"largest covariance eigenvalue {lam:.3g}")


def _tanh_size(L, m) -> float:
    """The product's size without cancellations, prod_i min(1, K_ii)^(m_i / 2) (|tanh(u_i)| ~
    min(1, sd(u_i))): the scale of the tanh rules' tolerances."""
    return math.prod(min(1.0, float(np.sum(L[i] ** 2))) ** (0.5 * m[i]) for i in range(len(m)))


def _refine(rule, counts, factors, caps, size: float, rtol: float, what: str) -> float:
    """Two-rule error control: ``rule(*counts)`` with the node counts multiplied by ``factors``
    (rounded up) until two successive values agree to ``rtol`` relative to max(|value|, size)
    (absolute below :data:`TANH_ATOL`); the finer value is returned. Once the next step would
    pass a count's cap in ``caps``, a change up to :data:`TANH_CAP_RTOL` is accepted (the change
    bounds the coarser rule's error; the returned one is finer still) and a larger one raises
    ``NumericalError`` (``what`` completes its message)."""
    prev = rule(*counts)
    while True:
        counts = tuple(math.ceil(f * k) for f, k in zip(factors, counts, strict=True))
        cur = rule(*counts)
        change = abs(cur - prev)
        if change <= max(rtol * max(abs(cur), size), TANH_ATOL):
            return cur
        if any(f * k > c for f, k, c in zip(factors, counts, caps, strict=True)):
            if change <= max(TANH_CAP_RTOL * max(abs(cur), size), TANH_ATOL):
                return cur
            raise NumericalError(
                f"tanh four-point quadrature did not converge (|change| {change:.1e} at "
                f"{counts} nodes, {what})",
                "use a smaller sigma_w or depth, or --method monte-carlo")
        prev = cur


def _tanh_rule(L, m, n_outer: int = TANH_GH_NODES, n_inner: int = TANH_GL_NODES,
               rho_max: float = 9.0):
    """E[prod tanh(L_i . g)^m_i], g ~ N(0, I_r), in the principal axes of L (largest first).

    The largest axis g_1 is integrated on [-9, 9] by Gauss-Legendre pieces split at the points
    where some tanh(L_i . g) changes sign (there it is steep); the remaining r - 1 axes, over which
    the inner integral is a Gaussian-smoothed (entire) function, by tensor Gauss-Hermite with
    nodes per axis ~ n_outer (lambda_j / lambda_1)^(1/4), pruning nodes of weight < 1e-18.
    """
    r = L.shape[1]
    if r == 0:
        return 0.0
    scale = np.linalg.norm(L, axis=0)
    order = np.argsort(-scale)
    L, scale = L[:, order], scale[order]
    a = L[:, 0]
    if r > 1:
        grids, weights = [], []
        for j in range(1, r):
            n = int(max(6, math.ceil(n_outer * math.sqrt(scale[j] / scale[0]))))
            x, w = _gh(n)
            grids.append(x)
            weights.append(w)
        G = np.stack([g.ravel() for g in np.meshgrid(*grids, indexing="ij")], axis=0)
        W = np.prod(np.stack([w.ravel() for w in np.meshgrid(*weights, indexing="ij")], 0), 0)
        keep = W > 1e-18 * W.max()
        G, W = G[:, keep], W[keep]
        B = L[:, 1:] @ G  # (n, K_o)
    else:
        B, W = np.zeros((L.shape[0], 1)), np.ones(1)
    safe = np.where(np.abs(a) > 0, a, 1.0)
    x, w = _gl01(n_inner)
    total = 0.0
    chunk = max(1, TANH_CHUNK // (13 * n_inner))  # bounds the memory of the fine rules
    for c0 in range(0, len(W), chunk):
        Bc, Wc = B[:, c0:c0 + chunk], W[c0:c0 + chunk]
        t0 = np.where(np.abs(a[:, None]) > 0, -Bc / safe[:, None], -2 * rho_max)
        fixed = np.linspace(-rho_max, rho_max, 9)[:, None] * np.ones((1, Bc.shape[1]))
        breaks = np.sort(np.concatenate([fixed, np.clip(t0, -rho_max, rho_max)], axis=0),
                         axis=0).T
        lo, hi = breaks[:, :-1, None], breaks[:, 1:, None]
        t = (lo + (hi - lo) * x).reshape(len(Wc), -1)  # (K_o, pieces * n_inner)
        wt = ((hi - lo) * w).reshape(len(Wc), -1) * np.exp(-0.5 * t * t) / math.sqrt(_TWO_PI)
        P = np.ones_like(t)
        for i in range(L.shape[0]):
            P = P * np.tanh(a[i] * t + Bc[i][:, None]) ** m[i]
        total += float(np.sum(P * wt, axis=1) @ Wc)
    return total


# ---------------------------------------------------------------- tanh: scale-adapted rule
#: Gauss-Hermite node counts n(s) that integrate E[prod_i tanh(b_i + c_i g)], |c_i| <= s,
#: g ~ N(0, 1), to 1e-12 and 1e-14 absolute (measured on 40 random products of 1-4 factors,
#: |b_i| <= 2, against adaptive quadrature; docs/deep.md section 3). tanh has poles at
#: +-i pi / 2, so n grows like s^2 for large s.
TANH_GH_TABLE_S = (0.001, 0.003, 0.01, 0.03, 0.06, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
TANH_GH_TABLE_12 = (2, 3, 4, 4, 6, 7, 11, 15, 31, 52, 95)
TANH_GH_TABLE_14 = (3, 3, 4, 5, 7, 8, 13, 19, 38, 67, 127)
#: Largest axis scale up to which the largest axis is integrated by Gauss-Hermite (table) rather
#: than by Gauss-Legendre pieces split at the sign changes.
TANH_GH_INNER_MAX_S = 1.0
#: Node sequences of the per-axis probes (outer Gauss-Hermite axes; inner Gauss-Legendre nodes
#: per piece).
TANH_PROBE_GH = (6, 9, 13, 18, 26, 36, 51, 72, 102, 144, 204, 288, 365)
#: Most Gauss-Hermite nodes on one axis (numpy's weights overflow from ~375 nodes).
TANH_GH_LIMIT = 365
#: Most Gauss-Legendre nodes per piece on the split inner axis.
TANH_MAX_GL_NODES = 48
TANH_PROBE_GL = (8, 10, 12, 14, 17, 20, 24, 29, 35, 42)
#: Share of the tolerance given to each per-axis probe.
TANH_PROBE_SHARE = 0.5
#: Outer node factor between successive rules after a failed two-rule check (the inner count
#: grows by 1.25). With Gauss-Hermite errors ~exp(-c sqrt(n)), a change below 1e-10 between n
#: and 1.25 n leaves the finer rule ~15 times more accurate than the change.
TANH_REFINE = 1.25
#: Relative weight below which outer tensor nodes are dropped: the integrand is bounded by 1 and
#: the dropped nodes lie where the Gaussian mass is < 1e-15 (radius ~8.6 in 3 dimensions).
TANH_PRUNE = 1e-16
#: Gauss-Hermite nodes on the other outer axes during a probe.
TANH_PROBE_BASE = 6


def _gh_count(s: float, table) -> int:
    """Table node count for scale s (the next tabulated scale up; s > 1 extrapolated as s^2)."""
    for s_tab, n in zip(TANH_GH_TABLE_S, table, strict=True):
        if s <= s_tab:
            return n
    return math.ceil(table[-1] * s * s)


def _tanh_inner(a, B, m, n_inner: int, gh: bool, rho_max: float = 9.0):
    """Inner integrals E_t[prod_i tanh(a_i t + B_i)^m_i], t ~ N(0, 1), per column of B (n, K).

    ``gh``: n_inner-node Gauss-Hermite; otherwise Gauss-Legendre pieces (n_inner nodes each) on
    [-rho_max, rho_max] split at the sign changes t = -B_i / a_i and 8 fixed pieces.
    """
    if gh:
        x, w = _gh(n_inner)
        P = np.ones((B.shape[1], n_inner))
        for i in range(len(a)):
            P = P * np.tanh(a[i] * x + B[i][:, None]) ** m[i]
        return P @ w
    x, w = _gl01(n_inner)
    safe = np.where(np.abs(a) > 0, a, 1.0)
    out = np.empty(B.shape[1])
    chunk = max(1, TANH_CHUNK // (13 * n_inner))  # bounds the memory of the fine rules
    fixed = np.linspace(-rho_max, rho_max, 9)[:, None]
    for c0 in range(0, B.shape[1], chunk):
        Bc = B[:, c0:c0 + chunk]
        t0 = np.where(np.abs(a[:, None]) > 0, -Bc / safe[:, None], -2 * rho_max)
        breaks = np.sort(np.concatenate([np.broadcast_to(fixed, (9, Bc.shape[1])),
                                         np.clip(t0, -rho_max, rho_max)], axis=0), axis=0).T
        lo, hi = breaks[:, :-1, None], breaks[:, 1:, None]
        t = (lo + (hi - lo) * x).reshape(Bc.shape[1], -1)
        wt = ((hi - lo) * w).reshape(Bc.shape[1], -1) * np.exp(-0.5 * t * t) / math.sqrt(_TWO_PI)
        P = np.ones_like(t)
        for i in range(len(a)):
            P = P * np.tanh(a[i] * t + Bc[i][:, None]) ** m[i]
        out[c0:c0 + chunk] = np.sum(P * wt, axis=1)
    return out


def _tanh_axes_rule(L, m, counts, n_inner: int, gh: bool) -> float:
    """E[prod tanh(L_i . g)^m_i] with ``counts[j]`` Gauss-Hermite nodes on the outer axis j + 1.

    ``L`` (n, r): column 0 the inner axis, the others outer axes (any orthonormal frame of g).
    The outer axes form a tensor Gauss-Hermite grid with nodes of weight < :data:`TANH_PRUNE`
    of the largest pruned; the inner axis is :func:`_tanh_inner`.
    """
    a = L[:, 0]
    if L.shape[1] == 1:
        return float(_tanh_inner(a, np.zeros((L.shape[0], 1)), m, n_inner, gh)[0])
    grids, weights = zip(*(_gh(int(n)) for n in counts), strict=True)
    idx = np.stack([i.ravel() for i in np.meshgrid(*(np.arange(int(n)) for n in counts),
                                                   indexing="ij")], axis=0)
    G = np.stack([x[i] for x, i in zip(grids, idx, strict=True)], axis=0)
    W = np.prod(np.stack([w[i] for w, i in zip(weights, idx, strict=True)], axis=0), axis=0)
    if sum(m) % 2 == 0:
        # the integrand is even in g and the rules are symmetric (inner rule at -g' = the
        # mirror of the one at g'): keep one node of each mirror pair, with twice the weight
        d = 2 * idx - (np.asarray(counts)[:, None] - 1)  # 0 on the mirror axis
        nz = d != 0
        lead = d[np.argmax(nz, axis=0), np.arange(d.shape[1])]
        half = lead > 0
        W = np.where(half, 2.0 * W, W)
        G, W = G[:, half | ~nz.any(axis=0)], W[half | ~nz.any(axis=0)]
    keep = W > TANH_PRUNE * W.max()
    G, W = G[:, keep], W[keep]
    return float(_tanh_inner(a, L[:, 1:] @ G, m, n_inner, gh) @ W)


def _tanh_probe(values, seq, tol):
    """First (coarse, fine) neighbours of ``seq`` whose ``values(n)`` agree to ``tol``(value).

    Returns the pair, or (last two, False) when the sequence ends first.
    """
    prev = values(seq[0])
    for k in range(1, len(seq)):
        cur = values(seq[k])
        if abs(cur - prev) <= tol(cur):
            return seq[k - 1], seq[k], True
        prev = cur
    return seq[-2], seq[-1], False


def _tanh_inner_axis(L):
    """Rotate g (isotropic, so any orthonormal basis will do) so that the first axis smooths
    every factor: the split inner integral over t turns tanh(a_i t + B_i) into a function of
    the outer axes that is steep on the scale sqrt(1 + a_i^2) / |c_i| (c_i the outer part of
    L_i), so the first axis is chosen among the principal axes and the signed sums of the
    normalised L_i to minimise max_i |c_i| / sqrt(1 + a_i^2); the outer axes are the principal
    axes of the rest, largest first."""
    n, r = L.shape
    norms = np.linalg.norm(L, axis=1)
    U = L / np.where(norms > 0, norms, 1.0)[:, None]
    cands = [e for e in np.linalg.svd(L, full_matrices=False)[2]]
    for signs in itertools.product((1.0, -1.0), repeat=n - 1):
        v = U[0] + np.asarray(signs) @ U[1:]
        if np.linalg.norm(v) > 1e-8:
            cands.append(v / np.linalg.norm(v))

    def steep(e):
        a = L @ e
        c = np.sqrt(np.maximum(norms**2 - a * a, 0.0))
        return float(np.max(c / np.sqrt(1.0 + a * a)))

    e = min(cands, key=steep)
    Q = np.linalg.qr(np.column_stack([e, np.eye(r)]))[0][:, :r]  # first column +-e
    R = L @ Q
    rest = R[:, 1:]
    if r > 1:
        _, _, Vt = np.linalg.svd(rest, full_matrices=False)
        rest = rest @ Vt.T
    return np.column_stack([R[:, 0], rest])


def _next_in(k: int) -> int:
    """The entry after k in :data:`TANH_PROBE_GL` (k * 1.25 beyond it)."""
    return next((q for q in TANH_PROBE_GL if q > k), math.ceil(1.25 * k))


def _tanh_product_adaptive(L, m, rtol: float = TANH_RTOL):
    """E[prod tanh(L_i . g)^m_i] with node counts adapted to each principal axis's scale.

    The integrand is steep only across the hyperplanes where a factor changes sign, on the
    scale 1 / |L_ij| along axis j; a Gauss-Hermite rule needs ~s^2 nodes on an axis of scale s
    (the poles of tanh at +-i pi / 2), so one node count for all axes wastes most of the work
    on the small axes. Node counts (docs/deep.md, section 3):

    - largest eigenvalue <= :data:`TANH_SMALL_EIG`: Gauss-Hermite on every principal axis with
      the 1e-14 table count (:data:`TANH_GH_TABLE_14`) at 1.4 times the axis scale; one rule.
    - rank 2 otherwise: :func:`_tanh_product_polar`.
    - otherwise two rules, coarse and fine: from the 1e-12 and 1e-14 tables when every axis
      scale is <= :data:`TANH_GH_INNER_MAX_S`; else in the frame of :func:`_tanh_inner_axis`
      from per-axis probes (a rule varying one axis along :data:`TANH_PROBE_GH` or
      :data:`TANH_PROBE_GL`, :data:`TANH_PROBE_BASE` nodes on the other outer axes; the first
      neighbours that agree to :data:`TANH_PROBE_SHARE` of the tolerance; the inner count one
      step further). The fine value is returned if the two full rules agree to ``rtol``
      relative to max(|value|, size) (size: :func:`_tanh_size`); otherwise
      both are refined (outer x :data:`TANH_REFINE`, inner x 1.25; every axis changes between
      the two compared rules, so the change bounds the error of each) until an axis reaches
      its cap (:data:`TANH_GH_LIMIT` or :data:`TANH_MAX_GH_NODES` Gauss-Hermite nodes,
      :data:`TANH_MAX_GL_NODES` per inner piece), where a change up to
      :data:`TANH_CAP_RTOL` is accepted and a larger one raises ``NumericalError``.
    """
    if L.shape[1] == 0:
        return 0.0
    scale = np.linalg.norm(L, axis=0)
    order = np.argsort(-scale)
    L, scale = L[:, order], scale[order]
    lam = float(scale[0] ** 2)
    if lam <= TANH_SMALL_EIG:
        # no second rule here: the table counts at 1.4 times the scale (margin, measured)
        return _tanh_axes_rule(L, m, [_gh_count(1.4 * s, TANH_GH_TABLE_14) for s in scale[1:]],
                               _gh_count(1.4 * scale[0], TANH_GH_TABLE_14), True)
    if L.shape[1] == 2:
        return _tanh_product_polar(L, m, rtol)
    size = _tanh_size(L, m)

    def tol(v, share=1.0):
        return max(share * rtol * max(abs(v), size), TANH_ATOL)

    if scale[0] <= TANH_GH_INNER_MAX_S:
        gh = True
        coarse = [_gh_count(s, TANH_GH_TABLE_12) for s in scale]
        fine = [max(_gh_count(s, TANH_GH_TABLE_14), k + 1) for s, k in zip(scale, coarse,
                                                                             strict=True)]
    else:
        gh = False
        L = _tanh_inner_axis(L)
        r = L.shape[1]
        seq = tuple(k for k in TANH_PROBE_GH if k <= min(TANH_MAX_GH_NODES, TANH_GH_LIMIT))
        base = [TANH_PROBE_BASE] * (r - 1)
        c_in, f_in, _ = _tanh_probe(lambda k: _tanh_axes_rule(L, m, base, k, False),
                                    TANH_PROBE_GL, lambda v: tol(v, TANH_PROBE_SHARE))
        counts = []
        for j in range(r - 1):
            def along(k, j=j):
                return _tanh_axes_rule(L, m, base[:j] + [k] + base[j + 1:], f_in, False)

            counts.append(_tanh_probe(along, seq, lambda v: tol(v, TANH_PROBE_SHARE))[:2])
        # the inner probe sees only 6 nodes per outer axis: one step of margin (its cost is
        # linear in the inner count; a failed two-rule check costs a full refinement)
        c_in, f_in = f_in, _next_in(f_in)
        coarse = [c_in] + [cf[0] for cf in counts]
        fine = [f_in] + [cf[1] for cf in counts]
    limit = min(TANH_MAX_GH_NODES, TANH_GH_LIMIT)
    prev = _tanh_axes_rule(L, m, coarse[1:], coarse[0], gh)
    while True:
        cur = _tanh_axes_rule(L, m, fine[1:], fine[0], gh)
        change = abs(cur - prev)
        if change <= tol(cur):
            return cur
        nxt = [min(math.ceil(1.25 * fine[0]), limit if gh else TANH_MAX_GL_NODES)]
        nxt += [min(math.ceil(TANH_REFINE * k), limit) for k in fine[1:]]
        if any(k1 == k0 for k1, k0 in zip(nxt, fine, strict=True)):  # an axis at its cap
            if change <= max(TANH_CAP_RTOL * max(abs(cur), size), TANH_ATOL):
                return cur  # the change bounds the coarser rule's error; cur is finer still
            raise NumericalError(
                f"tanh four-point quadrature did not converge (|change| {change:.1e} at "
                f"{max(fine[1:], default=fine[0])} nodes, largest covariance eigenvalue "
                f"{lam:.3g})", "use a smaller sigma_w or depth, or --method monte-carlo")
        prev, fine = cur, nxt


#: Polar rule for rank-2 tanh blocks: first (angular per arc, radial) Gauss-Legendre counts.
TANH_POLAR_START = (24, 32)
TANH_POLAR_MAX = (200, 260)


def _tanh_polar_rule(L, m, n_ang: int, n_rad: int, rho_max: float = 9.0) -> float:
    """E[prod tanh(L_i . g)^m_i], g ~ N(0, I_2), in polar coordinates g = rho (cos t, sin t).

    All sign-change lines L_i . g = 0 pass through the origin, so the circle is split at their
    2 n angles (the integrand is steep only across them) with ``n_ang`` Gauss-Legendre nodes
    per arc; rho in [0, rho_max] with ``n_rad`` nodes against rho exp(-rho^2 / 2) (as
    :func:`nnqft.kernels.polar_pair_nodes` for two points).
    """
    zeros = np.arctan2(L[:, 0], -L[:, 1])
    br = np.sort(np.concatenate([[0.0, 2 * np.pi], zeros % (2 * np.pi),
                                 (zeros + np.pi) % (2 * np.pi)]))
    x, w = _gl01(n_ang)
    lo, hi = br[:-1, None], br[1:, None]
    th = (lo + (hi - lo) * x).ravel()
    wt = ((hi - lo) * w).ravel() / _TWO_PI
    xr, wr = _gl01(n_rad)
    rho = rho_max * xr
    wr = rho_max * wr * rho * np.exp(-0.5 * rho * rho)
    S = L @ np.stack([np.cos(th), np.sin(th)])  # (n, n_theta)
    P = np.ones((len(th), n_rad))
    for i in range(L.shape[0]):
        P = P * np.tanh(S[i][:, None] * rho[None, :]) ** m[i]
    return float(wt @ P @ wr)


def _tanh_product_polar(L, m, rtol: float = TANH_RTOL):
    """Rank-2 blocks: :func:`_tanh_polar_rule` refined (x 1.5 in both counts) from
    :data:`TANH_POLAR_START` until two successive rules agree to ``rtol`` relative to
    max(|value|, size); a change up to :data:`TANH_CAP_RTOL` accepted at
    :data:`TANH_POLAR_MAX`, else ``NumericalError``."""
    return _refine(lambda n_a, n_r: _tanh_polar_rule(L, m, n_a, n_r), TANH_POLAR_START,
                   (1.5, 1.5), TANH_POLAR_MAX, _tanh_size(L, m), rtol, "polar rule")


def _tanh_product(L, m, rtol: float = TANH_RTOL):
    """E[prod tanh(L_i . g)^m_i], g ~ N(0, I_r), by the rule :data:`TANH_METHOD` selects."""
    if TANH_METHOD == "uniform":
        return _tanh_product_uniform(L, m, rtol)
    return _tanh_product_adaptive(L, m, rtol)


def _distinct(t):
    labels, counts = np.unique(np.asarray(t), return_counts=True)
    return tuple(int(v) for v in labels), tuple(int(c) for c in counts)


def four_point(activation: str, K: np.ndarray, tuples: np.ndarray) -> np.ndarray:
    """E[phi(z_a) phi(z_b) phi(z_c) phi(z_d)] for z ~ N(0, K) at the given index tuples.

    Parameters
    ----------
    activation : {"erf", "relu", "tanh"}
    K : ndarray (n, n)
        Covariance of the layer's pre-activations at all inputs (any rank).
    tuples : ndarray (T, 4)
        Index tuples (any order; repeated indices allowed).

    Returns
    -------
    ndarray (T,)
    """
    K = np.asarray(K, dtype=np.float64)
    tuples = np.asarray(tuples)
    out = np.empty(len(tuples))
    if activation == "erf":
        Ks = K[tuples[:, :, None], tuples[:, None, :]]
        return _erf_product(Ks)
    if activation not in ("relu", "tanh"):
        raise ValueError(f"no four-point function for {activation!r}; choose erf, relu or tanh")
    groups: dict = {}
    for r, t in enumerate(tuples):
        labels, counts = _distinct(t)
        groups.setdefault(counts, []).append((r, labels))
    for counts, members in groups.items():
        rows = np.array([r for r, _ in members])
        lab = np.array([l for _, l in members])
        Ks = K[lab[:, :, None], lab[:, None, :]]
        if activation == "relu":
            lam = np.linalg.eigvalsh(Ks)
            top = np.maximum(lam[:, -1], 1e-300)
            full = lam[:, 0] > 1e-9 * top
            if np.any(full):
                out[rows[full]] = relu_product_moment(Ks[full], counts)
            for q in np.flatnonzero(~full):
                out[rows[q]] = _relu_lowrank(_factor(Ks[q]), counts)
        else:
            for q in range(len(rows)):
                out[rows[q]] = _tanh_product(_factor(Ks[q]), counts)
    return out
