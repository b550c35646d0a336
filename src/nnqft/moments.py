"""Single-neuron moments C_n(x_1..x_n) = E[h(x_1) ... h(x_n)] of a one-hidden-layer network.

docs/theory.md#single-neuron-moments. One hidden neuron computes h(x) from z(x) = w.x + b with
w ~ N(0, sigma_w^2 / d I_d), b ~ N(0, sigma_b^2) (docs/theory.md#single-neuron-moments):

- erf, relu, tanh: h = phi(z);
- gauss: h = exp(z(x) - m(x, x)), m(x, y) = sigma_b^2 + sigma_w^2 x.y / d;
- cos: h = sqrt(2) cos(w.x + b) with b ~ Uniform[-pi, pi] ([H21]).

The pre-activations at n_x inputs are z = A u with u ~ N(0, I_{d+1}) and A = [sigma_w X / sqrt(d),
sigma_b] (n_x, d + 1). An SVD reduces A to L (n_x, r), r = rank <= d + 1 (r <= d when
sigma_b = 0), so every C_n is an r-dimensional Gaussian integral whatever n is. A quadrature
rule is a matrix H (n_x, K) of h at K nodes and weights w (K,); then
C_n(t) = s_n sum_k w_k prod_i H[t_i, k] over all sorted tuples t at once (s_n = 1 except for
relu, where the radial integral is done analytically, see below).

Methods and measured accuracy (relative to max |C_n|, orders n <= 6; checked in
tests/test_moments.py against closed forms, scipy adaptive quadrature or a 2x finer rule):

- gauss: closed form C_n = exp((1/2) sum_ik Sigma_ik - sum_i Sigma_ii) (docs/theory.md#single-neuron-moments).
  Quadrature path (``method="quadrature"``): tensor Gauss-Hermite, agrees to ~1e-13.
- cos: closed form C_2m = 2^(1-m) sum over the splits of the 2m points into two m-sets {A}, {B}
  of exp(-sigma_w^2 |sum_A x - sum_B x|^2 / (2 d)); odd moments vanish exactly (the uniform
  phase b kills every term whose phases do not cancel, and they never cancel for odd n).
  Quadrature path: Gauss-Hermite in w times the trapezoidal rule in b (exact for the
  trigonometric polynomial of degree n in b), agrees to ~1e-13.
- erf, tanh: polar rules for rank r <= 3: u = rho * theta with the angular rule of relu below
  (split where theta . L_i = 0, around which phi(rho theta . L_i) is steep) and Gauss-Legendre
  in rho on [0, 9] against the chi_r density. Measured against 2x-4x finer rules (tests): r <= 2
  (d = 1): ~1e-12 for pre-activation variances of order 1 (the [HMS] set-ups), only ~1e-5
  at sigma_w = 10 with |x| ~ 1 (erf is then nearly a step; C_2 against the arc-sine kernel); r = 3 (d = 2 with a bias, d = 3 without): ~1e-6 and ~1e-5 relative at orders
  4-6. r = 4: tensor Gauss-Hermite (20 nodes per axis), ~1e-3 only (documented fallback).
- relu: positively homogeneous, so with u = rho * theta (theta on the unit sphere S^(r-1)) the
  radial integral is analytic, E[rho^n] = 2^(n/2) Gamma((r + n)/2) / Gamma(r/2) (a chi law),
  and only the angular integral is numeric. r = 1: two points theta = +-1 (exact). r = 2: the
  circle is split at the 2 n_x kink angles (theta . L_i = 0) and each arc gets Gauss-Legendre
  (the integrand is a trigonometric polynomial on each arc): ~1e-15. r = 3: nested spherical
  coordinates; the inner azimuthal integral is split at the kinks exactly, the outer latitude
  integral is split at the latitudes where kink circles are tangent to a parallel or cross each
  other, with a cosine map on each piece that removes the (psi - psi_0)^(3/2) endpoint
  behaviour: ~1e-12. r >= 4 (d = 3 with sigma_b > 0): tensor Gauss-Hermite on the kinked
  integrand, algebraic convergence, ~1e-3 relative only (measured: C_2 vs the arc-cosine kernel
  4e-4; C_2..C_6 vs 28 nodes per axis up to 1e-3; documented fallback).

References
----------
[HMS] Halverson, Maiti, Stoner, arXiv:2008.08601.  [H21] Halverson, arXiv:2112.04527.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numpy.polynomial.legendre import leggauss
from scipy import special

from .combinatorics import equal_splits, sorted_tuples
from .networks import Network, as_inputs

__all__ = [
    "single_neuron_moments",
    "single_neuron_moment_table",
    "moment_table_with_accuracy",
    "MAX_RULE_NODES",
    "QuadratureRule",
    "quadrature_rule",
]

#: Gauss-Hermite nodes per axis for smooth activations, by rank r.
GH_NODES = {1: 96, 2: 64, 3: 32, 4: 20}
#: Gauss-Legendre nodes per smooth piece of the relu angular rules.
RELU_GL_NODES = 16
#: Block of quadrature nodes processed at once (bounds memory to T * block floats).
_NODE_BLOCK = 8192
#: Radial cut-off of the polar rules (P(chi_2 > 9) = e^(-40.5) ~ 3e-18).
RHO_MAX = 9.0
#: Nodes of the polar rules for erf and tanh (per arc, radial).
SMOOTH_GL_NODES, SMOOTH_RHO_NODES = 24, 64
SMOOTH_GL_NODES_3D, SMOOTH_RHO_NODES_3D = 10, 32
_RANK_TOL = 1e-12
#: Largest quadrature rule built (nodes; the matrix of h at the nodes has n_inputs times as many
#: entries). A rank-7 tensor Gauss-Hermite rule (d_in = 6 with a bias) would have 12^7 = 36M
#: nodes; rank 6 (12^6 = 3.0M) is the largest allowed.
MAX_RULE_NODES = 4_000_000
_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class QuadratureRule:
    """Values of h at quadrature nodes for a set of inputs.

    Attributes
    ----------
    H : ndarray, shape (n_inputs, K)
        h(x_i) at node k (for relu: the angular part relu(theta_k . L_i) only).
    weights : ndarray, shape (K,)
        Quadrature weights; they sum to 1 (a probability measure).
    radial_rank : int or None
        For relu, the rank r: C_n gets the factor E[rho^n] of a chi_r variable. None otherwise.
    """

    H: np.ndarray
    weights: np.ndarray
    radial_rank: int | None = None

    def scale(self, order: int) -> float:
        """Factor multiplying sum_k w_k prod_i H[t_i, k] for an order-``order`` moment."""
        if self.radial_rank is None:
            return 1.0
        r = self.radial_rank
        return math.exp(
            0.5 * order * math.log(2.0) + special.gammaln((r + order) / 2.0) - special.gammaln(r / 2.0)
        )

    def moments(self, tuples: np.ndarray) -> np.ndarray:
        """sum_k w_k prod_i H[t_i, k] times the radial factor, for tuples of shape (T, n)."""
        tuples = np.asarray(tuples)
        T, n = tuples.shape
        out = np.zeros(T)
        K = self.H.shape[1]
        for k0 in range(0, K, _NODE_BLOCK):
            Hb = self.H[:, k0 : k0 + _NODE_BLOCK]
            P = Hb[tuples[:, 0]].copy()
            for i in range(1, n):
                P *= Hb[tuples[:, i]]
            out += P @ self.weights[k0 : k0 + _NODE_BLOCK]
        return out * self.scale(n)


# ---------------------------------------------------------------------- basic rules
@lru_cache(maxsize=16)
def _gh(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = hermegauss(n)
    return x, w / math.sqrt(2.0 * math.pi)


@lru_cache(maxsize=16)
def _gl01(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre on [0, 1]."""
    x, w = leggauss(n)
    return (x + 1.0) / 2.0, w / 2.0


def _check_rule_size(K: int, r: int, what: str) -> None:
    if K > MAX_RULE_NODES:
        raise ValueError(
            f"exact moments would need a {what} of {K} nodes at rank {r} (input dimension plus "
            f"bias), above the limit {MAX_RULE_NODES}: use Monte Carlo (nnqft correlators "
            f"--networks M) or fewer input dimensions"
        )


def _gh_tensor(r: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor Gauss-Hermite for N(0, I_r): nodes (K, r), weights (K,), K = n^r."""
    _check_rule_size(n**r, r, f"tensor Gauss-Hermite rule ({n}^{r})")
    x, w = _gh(n)
    grids = np.meshgrid(*([x] * r), indexing="ij")
    U = np.stack([g.ravel() for g in grids], axis=1)
    wg = np.meshgrid(*([w] * r), indexing="ij")
    W = np.prod(np.stack([g.ravel() for g in wg], axis=1), axis=1)
    return U, W


def _factor(A: np.ndarray) -> np.ndarray:
    """L (n, r) with L L^T = A A^T and r the numerical rank of A (SVD)."""
    if A.size == 0 or not np.any(A):
        return np.zeros((A.shape[0], 0))
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    keep = s > _RANK_TOL * s[0]
    return U[:, keep] * s[keep]


def _split_pieces(breaks: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes on every piece between consecutive sorted breakpoints.

    ``breaks`` has shape (..., B) (sorted along the last axis); returns nodes and weights of
    shape (..., (B - 1) * m).
    """
    x, w = _gl01(m)
    lo, hi = breaks[..., :-1, None], breaks[..., 1:, None]
    nodes = lo + (hi - lo) * x
    weights = (hi - lo) * w
    shape = breaks.shape[:-1] + (-1,)
    return nodes.reshape(shape), weights.reshape(shape)


# ---------------------------------------------------------------------- angular rules
def _angular_rank2(L: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Circle rule split at the kink angles theta . L_i = 0 (uniform measure on S^1)."""
    alpha = np.arctan2(L[:, 1], L[:, 0])
    kinks = np.concatenate([alpha + np.pi / 2, alpha - np.pi / 2]) % (2 * np.pi)
    breaks = np.unique(np.concatenate([[0.0, 2 * np.pi], kinks]))
    th, wt = _split_pieces(breaks, m)
    return np.stack([np.cos(th), np.sin(th)]), wt / (2 * np.pi)


def _angular_rank3(L: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Sphere rule: latitude psi (split + cosine map) times azimuth phi (split at kinks)."""
    norms = np.linalg.norm(L, axis=1)
    nz = norms > 0
    Nrm = L[nz] / norms[nz, None]
    # latitudes where kink circles touch a parallel (extremal latitude) or cross each other
    lat = [np.arccos(np.clip(np.abs(Nrm[:, 2]), 0.0, 1.0))]
    for i in range(len(Nrm)):
        c = np.cross(Nrm[i], Nrm[i + 1 :])
        cn = np.linalg.norm(c, axis=1)
        ok = cn > 1e-12
        lat.append(np.arcsin(np.clip(np.abs(c[ok, 2]) / cn[ok], 0.0, 1.0)))
    lat = np.concatenate(lat)
    pb = np.unique(np.clip(np.concatenate([lat, -lat, [-np.pi / 2, np.pi / 2, 0.0]]),
                           -np.pi / 2, np.pi / 2))
    # cosine map on each latitude piece: psi = a + (b - a)(1 - cos(pi s)) / 2, s in [0, 1]
    s, ws = _gl01(m)
    a, b = pb[:-1, None], pb[1:, None]
    psi = (a + (b - a) * (1 - np.cos(np.pi * s)) / 2).ravel()
    wpsi = ((b - a) * np.pi * np.sin(np.pi * s) / 2 * ws).ravel() * np.cos(psi)
    # azimuthal kinks for each latitude: cos(psi)|p| cos(phi - alpha) + sin(psi) q = 0
    p, q = L[:, :2], L[:, 2]
    pn = np.linalg.norm(p, axis=1)
    alpha = np.arctan2(p[:, 1], p[:, 0])
    cp, sp = np.cos(psi)[:, None], np.sin(psi)[:, None]
    denom = cp * pn[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(denom > 0, -sp * q[None, :] / np.where(denom > 0, denom, 1.0), 2.0)
    delta = np.where(np.abs(c) <= 1.0, np.arccos(np.clip(c, -1.0, 1.0)), 0.0)
    kinks = np.concatenate([alpha + delta, alpha - delta], axis=1) % (2 * np.pi)
    n_psi = len(psi)
    breaks = np.sort(
        np.concatenate([np.zeros((n_psi, 1)), kinks, np.full((n_psi, 1), 2 * np.pi)], axis=1),
        axis=1,
    )
    phi, wphi = _split_pieces(breaks, m)  # (n_psi, K_phi)
    cpsi = np.cos(psi)[:, None]
    E = np.stack([cpsi * np.cos(phi), cpsi * np.sin(phi),
                  np.broadcast_to(np.sin(psi)[:, None], phi.shape)]).reshape(3, -1)
    W = (wpsi[:, None] * wphi).ravel() / (4 * np.pi)
    keep = W > 0
    return E[:, keep], W[keep]


def angular_rule(L: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Directions E (r, K) on S^(r-1) and weights (sum 1), split at the kinks theta . L_i = 0."""
    r = L.shape[1]
    if r == 1:
        return np.array([[1.0, -1.0]]), np.array([0.5, 0.5])
    if r == 2:
        return _angular_rank2(L, m)
    if r == 3:
        return _angular_rank3(L, m)
    raise ValueError(f"no angular rule for rank {r}")


def rho_density(rho: np.ndarray, r: int) -> np.ndarray:
    """Density of rho = |u|, u ~ N(0, I_r) (the chi_r law)."""
    return np.exp((r - 1) * np.log(np.maximum(rho, 1e-300)) - rho**2 / 2
                  - (r / 2 - 1) * math.log(2.0) - special.gammaln(r / 2))


def _smooth_polar_rule(L: np.ndarray, phi, m: int, m_rho: int) -> QuadratureRule:
    """Polar rule for smooth saturating phi (erf, tanh) at rank r <= 3.

    u = rho * theta: theta from :func:`angular_rule` (split where theta . L_i = 0, around which
    phi(rho theta . L_i) is steep), rho on [0, RHO_MAX] with Gauss-Legendre against the chi_r
    density.
    """
    x, w = _gl01(m_rho)
    rho = RHO_MAX * x
    wr = RHO_MAX * w * rho_density(rho, L.shape[1])
    E, wt = angular_rule(L, m)
    Z = (L @ E)[:, :, None] * rho  # (n, K_theta, K_rho)
    W = (wt[:, None] * wr).ravel()
    return QuadratureRule(phi(Z).reshape(len(L), -1), W)


def _relu_rule(L: np.ndarray, m: int, gh_nodes: int | None) -> QuadratureRule:
    r = L.shape[1]
    if r == 0:
        return QuadratureRule(np.zeros((L.shape[0], 1)), np.ones(1))
    if r <= 3:
        E, W = angular_rule(L, m)
        return QuadratureRule(np.maximum(L @ E, 0.0), W, radial_rank=r)
    U, W = _gh_tensor(r, gh_nodes or GH_NODES.get(r, 12))
    return QuadratureRule(np.maximum(L @ U.T, 0.0), W)


# ---------------------------------------------------------------------- public rule
def quadrature_rule(net: Network, X, max_order: int = 6, *, nodes: int | None = None
                    ) -> QuadratureRule:
    """The quadrature rule (h at nodes, weights) for the single-neuron integrals at inputs X.

    Parameters
    ----------
    net : Network
        One hidden layer; any activation.
    X : array_like, shape (n_inputs, d_in)
    max_order : int
        Highest moment order the rule must integrate (sets the number of phase nodes for cos).
    nodes : int, optional
        Override the nodes per axis (Gauss-Hermite) or per piece (relu Gauss-Legendre).

    Returns
    -------
    QuadratureRule with ``H`` of shape (n_inputs, K).
    """
    X = as_inputs(X, net.d_in)
    Xu, inverse = np.unique(X, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    d, sw, sb = net.d_in, net.sigma_w, net.sigma_b
    act = net.activation
    Aw = sw * Xu / math.sqrt(d)
    if act == "cos":
        L = _factor(Aw)
        r = L.shape[1]
        if r:
            U, W = _gh_tensor(r, nodes or GH_NODES.get(r, 12))
            phase = L @ U.T  # (n_u, K_w)
        else:
            phase, W = np.zeros((len(Xu), 1)), np.ones(1)
        M = int(max_order) + 2  # trapezoid in b, exact for trig. polynomials of degree < M
        bnodes = -np.pi + 2 * np.pi * (np.arange(M) + 0.5) / M
        H = math.sqrt(2.0) * np.cos(phase[:, :, None] + bnodes).reshape(len(Xu), -1)
        Wt = np.repeat(W, M) / M
        return QuadratureRule(H[inverse], Wt)
    A = np.concatenate([Aw, np.full((len(Xu), 1), sb)], axis=1)
    L = _factor(A)
    r = L.shape[1]
    if act == "relu":
        rule = _relu_rule(L, nodes or RELU_GL_NODES, nodes)
        return QuadratureRule(rule.H[inverse], rule.weights, rule.radial_rank)
    if act in ("erf", "tanh") and 1 <= r <= 3:
        phi = special.erf if act == "erf" else np.tanh
        m_ang = nodes or (SMOOTH_GL_NODES if r < 3 else SMOOTH_GL_NODES_3D)
        m_rho = 2 * nodes if nodes else (SMOOTH_RHO_NODES if r < 3 else SMOOTH_RHO_NODES_3D)
        rule = _smooth_polar_rule(L, phi, m_ang, m_rho)
        return QuadratureRule(rule.H[inverse], rule.weights)
    if r == 0:
        U, W = np.zeros((1, 0)), np.ones(1)
    else:
        U, W = _gh_tensor(r, nodes or GH_NODES.get(r, 12))
    Z = L @ U.T
    if act == "gauss":
        mxx = sb**2 + sw**2 * np.sum(Xu * Xu, axis=1) / d
        H = np.exp(Z - mxx[:, None])
    elif act == "erf":
        H = special.erf(Z)
    elif act == "tanh":
        H = np.tanh(Z)
    else:  # pragma: no cover - Network validates activations
        raise ValueError(f"unknown activation {act!r}")
    return QuadratureRule(H[inverse], W)


# ---------------------------------------------------------------------- closed forms
def _gauss_closed(net: Network, X: np.ndarray, tuples: np.ndarray) -> np.ndarray:
    Sigma = net.pre_activation_cov(X)
    n = tuples.shape[1]
    quad = np.zeros(len(tuples))
    for i in range(n):
        for k in range(n):
            quad += Sigma[tuples[:, i], tuples[:, k]]
    diag = np.sum(np.diag(Sigma)[tuples], axis=1)
    return np.exp(0.5 * quad - diag)


def _cos_closed(net: Network, X: np.ndarray, tuples: np.ndarray) -> np.ndarray:
    n = tuples.shape[1]
    if n % 2:
        return np.zeros(len(tuples))
    m = n // 2
    P = X[tuples]  # (T, n, d)
    out = np.zeros(len(tuples))
    for A, B in equal_splits(n):
        diff = P[:, list(A)].sum(axis=1) - P[:, list(B)].sum(axis=1)
        out += np.exp(-net.sigma_w**2 * np.sum(diff**2, axis=1) / (2.0 * net.d_in))
    return 2.0 ** (1 - m) * out


# ---------------------------------------------------------------------- public API
def _check(net: Network, order) -> int:
    if net.depth != 1:
        raise ValueError("single-neuron moments need one hidden layer")
    if isinstance(order, bool) or int(order) != order or order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    return int(order)


def single_neuron_moments(net: Network, X, order: int, *, method: str = "auto",
                          nodes: int | None = None) -> np.ndarray:
    """C_n(x_i1..x_in) = E[h(x_i1) ... h(x_in)] for one hidden neuron, over sorted tuples.

    Parameters
    ----------
    net : Network
        One hidden layer (``net.width`` is irrelevant: C_n does not depend on N).
    X : array_like, shape (n_inputs, d_in)
    order : int
        n >= 1.
    method : {"auto", "closed", "quadrature"}
        "auto" uses the closed form for gauss and cos and quadrature otherwise; "quadrature"
        forces the quadrature path (for checks); "closed" fails where there is none.
    nodes : int, optional
        Quadrature nodes per axis / per piece (see :func:`quadrature_rule`).

    Returns
    -------
    ndarray, shape (T,)
        Over ``sorted_tuples(n_inputs, order)``; T = C(n_inputs + order - 1, order).

    Notes
    -----
    docs/theory.md#single-neuron-moments; accuracy of each method in the module docstring.
    """
    return single_neuron_moment_table(net, X, (order,), method=method, nodes=nodes)[int(order)]


def single_neuron_moment_table(net: Network, X, orders, *, method: str = "auto",
                               nodes: int | None = None) -> dict[int, np.ndarray]:
    """Several orders of :func:`single_neuron_moments` sharing one quadrature rule.

    Returns ``{n: C_n over sorted_tuples(n_inputs, n)}`` for each n in ``orders``.
    """
    orders = sorted({_check(net, o) for o in orders})
    X = as_inputs(X, net.d_in)
    n_x = X.shape[0]
    if method not in ("auto", "closed", "quadrature"):
        raise ValueError(f"method must be 'auto', 'closed' or 'quadrature', got {method!r}")
    closed = {"gauss": _gauss_closed, "cos": _cos_closed}.get(net.activation)
    if method == "closed" and closed is None:
        raise ValueError(f"no closed form for {net.activation} moments; use method='quadrature'")
    if closed is not None and method != "quadrature":
        return {n: closed(net, X, sorted_tuples(n_x, n)) for n in orders}
    rule = quadrature_rule(net, X, max(orders), nodes=nodes)
    return {n: rule.moments(sorted_tuples(n_x, n)) for n in orders}


# ---------------------------------------------------------------------- accuracy
def _rule_rank(net: Network, X: np.ndarray) -> int:
    """Rank of the Gaussian behind the quadrature rule (as in :func:`quadrature_rule`)."""
    Xu = np.unique(X, axis=0)
    Aw = net.sigma_w * Xu / math.sqrt(net.d_in)
    if net.activation != "cos":
        Aw = np.concatenate([Aw, np.full((len(Xu), 1), net.sigma_b)], axis=1)
    return _factor(Aw).shape[1]


def _default_nodes(act: str, r: int) -> int:
    """The ``nodes`` value equivalent to the default rule (per axis or per piece)."""
    if act == "relu" and r <= 3:
        return RELU_GL_NODES
    if act in ("erf", "tanh") and 1 <= r <= 3:
        return SMOOTH_GL_NODES if r < 3 else SMOOTH_GL_NODES_3D
    return GH_NODES.get(r, 12)


def _rule_description(act: str, r: int) -> str:
    if act == "relu" and r <= 1:
        return "relu, rank <= 1: two-point angular rule with the analytic radial factor (exact)"
    if act == "relu" and r <= 3:
        return f"relu, rank {r}: angular rule split at the kinks, analytic radial factor"
    if act in ("erf", "tanh") and 1 <= r <= 3:
        return f"{act}, rank {r}: polar rule split at the kinks, Gauss-Legendre in the radius"
    if act == "cos":
        return f"cos, rank {r}: tensor Gauss-Hermite times the trapezoidal rule in the phase"
    return f"{act}, rank {r}: tensor Gauss-Hermite ({GH_NODES.get(r, 12)} nodes per axis)"


def moment_table_with_accuracy(net: Network, X, orders, *, method: str = "auto"
                               ) -> tuple[dict[int, np.ndarray], dict]:
    """:func:`single_neuron_moment_table` plus an estimate of its absolute error per order.

    Closed forms (gauss, cos) are exact up to rounding, estimated as k^2 eps max|C_k|. A
    quadrature result is compared with another rule of the same kind: a finer one for the
    angular and polar rules (1.5x the nodes per piece and radially at rank <= 2, 2x at rank 3;
    twice the difference bounds the default rule's error when the finer rule at least halves
    it), a coarser one for tensor Gauss-Hermite (3/4 of the
    nodes per axis, since a finer tensor rule costs (3/2)^r more; the difference is then an
    upper estimate, by about (4/3)^p for a rule converging like nodes^-p, e.g. relu's kinks).
    k eps max|C_k| is added for rounding. Where the rule is exact (relu at rank <= 1, trigonometric polynomials on the
    relu arcs at rank 2) the difference is at rounding level.

    Returns
    -------
    (moments, info)
        ``moments`` as :func:`single_neuron_moment_table`; ``info`` holds ``method``
        ("closed form" or "quadrature"), ``rule`` (a description), ``rank``, ``nodes`` (of the
        rule; None for closed forms), ``abs_error`` {k: estimated max |error| over tuples}.
    """
    orders = sorted({_check(net, o) for o in orders})
    X = as_inputs(X, net.d_in)
    closed = net.activation in ("gauss", "cos") and method != "quadrature"
    if closed:
        C = single_neuron_moment_table(net, X, orders, method=method)
        err = {k: k * k * _EPS * float(np.max(np.abs(C[k]))) for k in orders}
        return C, {"method": "closed form", "rule": f"{net.activation}: closed form",
                   "rank": None, "nodes": None, "abs_error": err}
    rule = quadrature_rule(net, X, max(orders))
    n_x = X.shape[0]
    C = {k: rule.moments(sorted_tuples(n_x, k)) for k in orders}
    scale = {k: float(np.max(np.abs(C[k]))) for k in orders}
    r = _rule_rank(net, X)
    n0 = _default_nodes(net.activation, r)
    gh = not ((net.activation == "relu" and r <= 3)
              or (net.activation in ("erf", "tanh") and 1 <= r <= 3))
    if not gh:  # angular / polar rules: finer per piece and radially (the radial nodes of
        # the rank-3 erf rule are 32 by default, so 2 n0 = 20 -> 40 keeps it finer there)
        other = math.ceil(1.5 * n0) if r < 3 else 2 * n0
    else:
        other = max(2, (3 * n0) // 4)  # tensor rules (large): 3/4 of the nodes per axis
    ref = single_neuron_moment_table(net, X, orders, method="quadrature", nodes=other)
    # finer reference: |e_default| <= 2 |difference| when the finer rule at least halves the
    # error; coarser reference: the difference itself over-estimates |e_default|
    factor = 2.0 if not gh else 1.0
    err = {k: factor * float(np.max(np.abs(C[k] - ref[k]))) + k * _EPS * scale[k]
           for k in orders}
    return C, {"method": "quadrature", "rule": _rule_description(net.activation, r),
               "rank": r, "nodes": int(rule.weights.size), "abs_error": err}
