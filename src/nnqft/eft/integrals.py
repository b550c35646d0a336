"""Vertex integrals of the tree-level effective action (docs/theory.md#vertex-integrals).

With Delta(x, y) = K(x, y) - sigma_b^2 (the output bias b1 drops out of every connected function
with n >= 3) and the cutoff box B_Lambda = [-Lambda, Lambda]^d (all of R^d for Lambda = inf)::

    I_n(x_1..x_n; Lambda) = int_{B_Lambda} d^d y  prod_i Delta(x_i, y)
    J(abc|def; Lambda)    = int_{B_Lambda} int_{B_Lambda} d^d y d^d z
                              Delta_ay Delta_by Delta_cy Delta(y, z) Delta_dz Delta_ez Delta_fz

Methods
-------
closed
    Gauss- and cos-nets (Delta = sigma_w^2 exp(-|x - y|^2 / (2 l^2)), l^2 = d / sigma_w^2): the
    product of legs is one Gaussian in y, so I_n is a product of one-dimensional error-function
    integrals for any cutoff, and J at Lambda = inf is a 2d-dimensional Gaussian integral. Any d.
homogeneous
    ReLU with sigma_b = 0 (any depth): Delta is homogeneous of degree 1 in y, so
    I_n(Lambda) = Lambda / (d + n) * (surface integral over the boundary of B_Lambda), and the
    radial integral is exact.
cubature
    Everything else (and a check of the two above): the box is cut into 2d pyramids with apex at
    the origin, one per face, y = s Lambda (sigma e_a + u), s in [0, 1], u in [-1, 1]^(d-1), with
    Jacobian Lambda^d s^(d-1). Each pyramid carries a tensor composite Gauss-Legendre rule with
    break points where the integrand has kinks or narrow structure: s = 0 (ReLU's conical point,
    graded geometrically from the smallest scale of the problem up to the boundary), the radial
    positions of the inputs, u = 0, and u at the directions of the inputs (ReLU with
    sigma_b = 0 has kinks along the rays through +-x_i; with sigma_b > 0 at the points x_i).
    Delta at the nodes comes from :func:`nnqft.kernels.gp_kernel` (any activation and depth),
    once per input and node, the layer recursion vectorised over all (input, node) pairs (tanh
    by the erf-mixture form of the layer map, docs/theory.md#deep-kernels); the tuple products
    are vectorised over tuples. d <= 3.

Accuracy (tested in ``tests/eft/test_integrals.py``): Gauss-net cubature equals the closed form
to <= 1e-10 relative in d = 1, 2 (Lambda = inf and finite, including Lambda = 1e5 where adaptive
quadrature returns 0) and <= 1e-8 in d = 3; ReLU cubature equals the homogeneous form to <= 1e-9
in d = 1, 2, 3; against adaptive ``scipy.integrate.quad`` (d = 1, erf and relu with
sigma_b > 0) to <= 1e-10.

References
----------
[HMS] Halverson, Maiti, Stoner, arXiv:2008.08601, section 4 (I_4 and the 6-point exchange term).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..combinatorics import equal_splits, sorted_tuples, tuple_index
from ..kernels import gp_kernel
from ..networks import Network, as_inputs

__all__ = [
    "MAX_CUBATURE_DIM",
    "check_cutoff",
    "delta_kernel",
    "cubature_rule",
    "vertex_integral",
    "vertex_integrals",
    "vertex_log_derivatives",
    "exchange_integral",
    "exchange_matrix",
    "exchange_sums",
    "gauss_tree_integral",
    "integral_method",
]

#: Largest input dimension handled by the cubature (closed forms work in any d).
MAX_CUBATURE_DIM = 3
_CLOSED = ("gauss", "cos")
_METHODS = ("auto", "closed", "homogeneous", "cubature")


# ---------------------------------------------------------------------------- validation
def check_cutoff(cutoff) -> float:
    """Validate a cutoff: a positive number or ``math.inf`` (returned as float)."""
    if isinstance(cutoff, bool):
        raise ValueError(f"cutoff must be a positive number or inf, got {cutoff!r}")
    try:
        L = float(cutoff)
    except (TypeError, ValueError):
        raise ValueError(f"cutoff must be a positive number or inf, got {cutoff!r}") from None
    if math.isnan(L) or L <= 0:
        raise ValueError(f"cutoff must be a positive number or inf, got {cutoff!r}")
    return L


def _check_net(net) -> Network:
    if not isinstance(net, Network):
        raise TypeError(f"net must be an nnqft.Network, got {type(net).__name__}")
    return net


def integral_method(net: Network, cutoff: float, method: str = "auto") -> str:
    """Resolve ``method`` ("auto", "closed", "homogeneous", "cubature") for a network and cutoff.

    Raises ``ValueError`` when the choice is impossible: an infinite cutoff for erf, relu or tanh
    (I_n diverges), "closed" for an activation without a closed form, "homogeneous" for a kernel
    that is not homogeneous, or cubature in d > 3.
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, got {method!r}")
    L = check_cutoff(cutoff)
    act = net.activation
    if math.isinf(L) and act not in _CLOSED:
        raise ValueError(
            f"I_n diverges for {act}-net at an infinite cutoff (Delta does not decay); "
            "give a finite cutoff"
        )
    homogeneous_ok = act == "relu" and net.sigma_b == 0.0
    if method == "auto":
        method = "closed" if act in _CLOSED else ("homogeneous" if homogeneous_ok else "cubature")
    if method == "closed" and act not in _CLOSED:
        raise ValueError(f"no closed form for {act}-net vertex integrals (gauss and cos only)")
    if method == "homogeneous" and not homogeneous_ok:
        raise ValueError("the homogeneous method needs relu with sigma_b = 0")
    if method in ("cubature", "homogeneous") and net.d_in > MAX_CUBATURE_DIM:
        raise ValueError(
            f"cubature is implemented for d <= {MAX_CUBATURE_DIM}, got d = {net.d_in}"
        )
    return method


def _check_tuples(tuples, n_inputs: int, order: int | None = None) -> np.ndarray:
    t = np.asarray(tuples)
    if t.ndim == 1:
        t = t[None, :]
    if t.ndim != 2 or t.shape[1] < 1:
        raise ValueError(f"tuples must have shape (T, n), got {t.shape}")
    if not np.issubdtype(t.dtype, np.integer):
        raise ValueError("tuples must hold integer input indices")
    if order is not None and t.shape[1] != order:
        raise ValueError(f"expected tuples of order {order}, got order {t.shape[1]}")
    if t.size and (t.min() < 0 or t.max() >= n_inputs):
        raise ValueError(f"tuple indices must lie in [0, {n_inputs - 1}]")
    return t.astype(np.int64)


# ---------------------------------------------------------------------------- Delta
def delta_kernel(net: Network, X, Y) -> np.ndarray:
    """Delta(x, y) = K(x, y) - sigma_b^2, shape (n_X, n_Y); chunked over Y to bound memory."""
    X = as_inputs(X, net.d_in)
    Y = np.asarray(Y, dtype=np.float64).reshape(-1, net.d_in)
    sb2 = net.sigma_b**2
    if net.activation in ("gauss", "cos"):
        d2 = np.sum((X[:, None, :] - Y[None, :, :]) ** 2, axis=-1)
        return net.sigma_w**2 * np.exp(-(net.sigma_w**2) * d2 / (2.0 * net.d_in))
    # (n_X, chunk) pair arrays; the tanh layer map bounds its own (pairs, 25, 25) temporaries
    chunk = max(1, 2**18 // max(1, X.shape[0]))
    out = np.empty((X.shape[0], Y.shape[0]))
    for s in range(0, Y.shape[0], chunk):
        out[:, s : s + chunk] = gp_kernel(net, X, Y[s : s + chunk]) - sb2
    return out


def _length_scale(net: Network) -> float:
    return math.sqrt(net.d_in) / net.sigma_w


# ---------------------------------------------------------------------------- cubature rule
@dataclass(frozen=True)
class CubatureRule:
    """Nodes and weights for int over [-L, L]^d, plus a rule for the boundary surface.

    ``nodes`` (Q, d), ``weights`` (Q,); ``surface_nodes`` (S, d), ``surface_weights`` (S,) with
    sum_s w_s F(y_s) ~ the surface integral of F over the boundary of the box (None for an
    infinite cutoff, where the box is a truncation of R^d).
    """

    cutoff: float
    box: float
    nodes: np.ndarray
    weights: np.ndarray
    surface_nodes: np.ndarray | None
    surface_weights: np.ndarray | None


def _gl(q: int):
    x, w = np.polynomial.legendre.leggauss(q)
    return x, w


def _composite(breaks: np.ndarray, q: int):
    x, w = _gl(q)
    a, b = breaks[:-1], breaks[1:]
    half = 0.5 * (b - a)
    mid = 0.5 * (a + b)
    nodes = (mid[:, None] + half[:, None] * x[None, :]).ravel()
    weights = (half[:, None] * w[None, :]).ravel()
    return nodes, weights


def _clean_breaks(pts, lo: float, hi: float, max_width: float | None = None) -> np.ndarray:
    p = np.asarray(sorted({float(v) for v in pts if lo <= v <= hi} | {lo, hi}))
    keep = [p[0]]
    for v in p[1:]:
        if v - keep[-1] > 1e-12 * max(1.0, abs(hi - lo)):
            keep.append(v)
    keep[-1] = hi
    p = np.asarray(keep)
    if max_width is not None:
        out = [p[0]]
        for a, b in zip(p[:-1], p[1:], strict=False):
            m = max(1, int(math.ceil((b - a) / max_width - 1e-9)))
            out.extend(a + (b - a) * np.arange(1, m + 1) / m)
        p = np.asarray(out)
    return p


def _default_q(d: int) -> tuple[int, int]:
    """Gauss-Legendre points per panel (radial s, face coordinates u) by dimension."""
    return {1: (20, 1), 2: (16, 16), 3: (10, 10)}[d]


def cubature_rule(net: Network, X, cutoff, *, q: tuple[int, int] | None = None,
                  surface_only: bool = False) -> CubatureRule:
    """Pyramid-decomposed composite Gauss-Legendre rule over [-L, L]^d adapted to inputs ``X``.

    See the module docstring. For an infinite cutoff (gauss and cos only) the box is
    [-R, R]^d with R = max |x|_inf + 12 l, outside which every leg is below exp(-72).

    Parameters
    ----------
    q : (int, int), optional
        Points per panel in the radial coordinate s and in each face coordinate u.
    surface_only : bool
        Build only the boundary rule (``nodes`` and ``weights`` are then empty).
    """
    net = _check_net(net)
    L = check_cutoff(cutoff)
    d = net.d_in
    if d > MAX_CUBATURE_DIM:
        raise ValueError(f"cubature is implemented for d <= {MAX_CUBATURE_DIM}, got d = {d}")
    X = as_inputs(X, d)
    qs, qu = _default_q(d) if q is None else q
    ell = _length_scale(net)
    xmax = float(np.max(np.abs(X)))
    if math.isinf(L):
        if net.activation not in _CLOSED:
            raise ValueError(f"I_n diverges for {net.activation}-net at an infinite cutoff")
        box = xmax + 12.0 * ell
    else:
        box = L
    # smallest length of the problem: the kernel scale, the bias scale, the inputs
    scales = [ell / 8.0]
    if net.sigma_b > 0 and net.activation not in _CLOSED:
        scales.append(net.sigma_b * ell / 4.0)
    nz = np.abs(X[X != 0])
    if nz.size:
        scales.append(float(nz.min()) / 4.0)
    s_min = min(scales) / box
    s_breaks = [0.0, 1.0]
    k = s_min
    while k < 1.0:
        s_breaks.append(k)
        k *= 2.0
    vol_nodes, vol_w, surf_nodes, surf_w = [], [], [], []
    for a in range(d):
        others = [b for b in range(d) if b != a]
        for sigma in (1.0, -1.0):
            sb = list(s_breaks) + [sigma * x / box for x in X[:, a] if 0 < sigma * x < box]
            s_n, s_w = _composite(_clean_breaks(sb, 0.0, 1.0), qs)
            u_grids = []
            for b in others:
                ub = [0.0]
                for xa, xb in zip(X[:, a], X[:, b], strict=False):
                    if xa != 0 and abs(xb / xa) < 1.0:
                        ub.append(xb / xa)
                u_grids.append(_composite(_clean_breaks(ub, -1.0, 1.0, max_width=0.5), qu))
            if u_grids:
                U = np.stack(np.meshgrid(*[g[0] for g in u_grids], indexing="ij"), -1)
                U = U.reshape(-1, d - 1)
                Wu = np.ones(U.shape[0])
                for wj in np.meshgrid(*[g[1] for g in u_grids], indexing="ij"):
                    Wu = Wu * wj.ravel()
            else:
                U = np.zeros((1, 0))
                Wu = np.ones(1)
            direction = np.zeros((U.shape[0], d))
            direction[:, a] = sigma
            direction[:, others] = U
            surf_nodes.append(box * direction)
            surf_w.append(box ** (d - 1) * Wu)
            if surface_only:
                continue
            # volume: y = s box direction, weight box^d s^(d-1) w_s w_u
            Y = (box * s_n[:, None, None]) * direction[None, :, :]
            W = (box**d) * (s_n ** (d - 1) * s_w)[:, None] * Wu[None, :]
            vol_nodes.append(Y.reshape(-1, d))
            vol_w.append(W.ravel())
    finite = not math.isinf(L)
    return CubatureRule(
        cutoff=L,
        box=box,
        nodes=np.concatenate(vol_nodes) if vol_nodes else np.zeros((0, d)),
        weights=np.concatenate(vol_w) if vol_w else np.zeros(0),
        surface_nodes=np.concatenate(surf_nodes) if finite else None,
        surface_weights=np.concatenate(surf_w) if finite else None,
    )


def _weighted_tuple_sums(D: np.ndarray, w: np.ndarray, tuples: np.ndarray) -> np.ndarray:
    """sum_q w_q prod_k D[t_k, q] for every tuple t, chunked over q (vectorised over tuples)."""
    T, n = tuples.shape
    Q = D.shape[1]
    out = np.zeros(T)
    chunk = max(256, 2**21 // max(1, T))
    for s in range(0, Q, chunk):
        Dc = D[:, s : s + chunk]
        P = Dc[tuples[:, 0]] * w[s : s + chunk]
        for k in range(1, n):
            P *= Dc[tuples[:, k]]
        out += P.sum(axis=1)
    return out


# ---------------------------------------------------------------------------- closed forms
def _gauss_tuple_stats(X: np.ndarray, tuples: np.ndarray):
    P = X[tuples]  # (T, n, d)
    S = P.sum(axis=1)
    Qs = np.sum(P * P, axis=(1, 2))
    return S, Qs


def _gauss_axis_integrals(m: np.ndarray, v: float, L: float):
    """G0 = int_{-L}^{L} exp(-(y - m)^2 / (2 v)) dy and its y^2 moment, per axis (T, d)."""
    r = math.sqrt(2.0 * v)
    if math.isinf(L):
        G0 = np.full_like(m, math.sqrt(2.0 * math.pi * v))
        G2 = G0 * (m * m + v)
        return G0, G2
    a = (-L - m) / r
    b = (L - m) / r
    # erf(b) - erf(a) without cancellation: both tails via erfc where it matters
    from scipy.special import erf, erfc

    diff = np.where(
        a > 0, erfc(a) - erfc(b), np.where(b < 0, erfc(-b) - erfc(-a), erf(b) - erf(a))
    )
    G0 = math.sqrt(math.pi * v / 2.0) * diff
    ea = np.exp(-(a * a))
    eb = np.exp(-(b * b))
    ta, tb = a * r, b * r  # centred limits
    G1 = v * (ea - eb)
    G2c = v * (ta * ea - tb * eb) + v * G0
    G2 = G2c + 2.0 * m * G1 + m * m * G0
    return G0, G2


def _gauss_vertex(net: Network, X, tuples, L: float, moment: int) -> np.ndarray:
    sw2 = net.sigma_w**2
    d = net.d_in
    ell2 = d / sw2
    n = tuples.shape[1]
    S, Qs = _gauss_tuple_stats(X, tuples)
    m = S / n
    pref = sw2**n * np.exp(-(Qs - np.sum(S * S, axis=1) / n) / (2.0 * ell2))
    G0, G2 = _gauss_axis_integrals(m, ell2 / n, L)
    base = np.prod(G0, axis=1)
    if moment == 0:
        return pref * base
    # int |y|^2 prod: sum_a G2_a prod_{b != a} G0_b
    tot = np.zeros(len(tuples))
    for a in range(d):
        tot += G2[:, a] * np.prod(np.delete(G0, a, axis=1), axis=1)
    return pref * tot


def _gauss_vertex_log_derivative(net: Network, X, tuples, L: float) -> np.ndarray:
    """dI_n/d ln(Lambda) for gauss/cos legs (closed form)."""
    if math.isinf(L):
        return np.zeros(len(tuples))
    sw2 = net.sigma_w**2
    d = net.d_in
    ell2 = d / sw2
    n = tuples.shape[1]
    S, Qs = _gauss_tuple_stats(X, tuples)
    m = S / n
    v = ell2 / n
    pref = sw2**n * np.exp(-(Qs - np.sum(S * S, axis=1) / n) / (2.0 * ell2))
    G0, _ = _gauss_axis_integrals(m, v, L)
    dG0 = np.exp(-((L - m) ** 2) / (2 * v)) + np.exp(-((L + m) ** 2) / (2 * v))
    tot = np.zeros(len(tuples))
    for a in range(d):
        tot += dG0[:, a] * np.prod(np.delete(G0, a, axis=1), axis=1)
    return L * pref * tot


# ---------------------------------------------------------------------------- public: I_n
def vertex_integrals(
    net: Network, X, tuples, cutoff, *, method: str = "auto", moment: int = 0,
    rule: CubatureRule | None = None,
) -> np.ndarray:
    """I_n over index tuples: ``I[t] = int_{[-L, L]^d} d^d y |y|^moment prod_k Delta(X[t_k], y)``.

    Parameters
    ----------
    net : Network
        Any activation (one hidden layer or deep); Delta = K - sigma_b^2 from the GP kernel.
    X : array_like, shape (n_inputs, d)
        Inputs.
    tuples : array_like of int, shape (T, n)
        Index tuples into ``X`` (any order n >= 1; typically the sorted tuples).
    cutoff : float
        Lambda > 0 or ``math.inf`` (gauss and cos only: erf/relu I_n diverge).
    method : {"auto", "closed", "homogeneous", "cubature"}
        See the module docstring; "auto" takes the closed form for gauss/cos, the homogeneous
        form for relu with sigma_b = 0 and the cubature otherwise.
    moment : {0, 2}
        Extra weight |y|^moment (2 for the y^2-weighted local term of [HMS] v2).
    rule : CubatureRule, optional
        A precomputed rule for the same inputs and cutoff.

    Returns
    -------
    ndarray, shape (T,)
    """
    net = _check_net(net)
    X = as_inputs(X, net.d_in)
    t = _check_tuples(tuples, X.shape[0])
    if moment not in (0, 2):
        raise ValueError(f"moment must be 0 or 2, got {moment!r}")
    method = integral_method(net, cutoff, method)
    L = check_cutoff(cutoff)
    if method == "closed":
        return _gauss_vertex(net, X, t, L, moment)
    if rule is None:
        rule = cubature_rule(net, X, L, surface_only=method == "homogeneous")
    if method == "homogeneous":
        Y, w = rule.surface_nodes, rule.surface_weights
        D = delta_kernel(net, X, Y)
        if moment:
            w = w * np.sum(Y * Y, axis=1)
        return (L / (net.d_in + t.shape[1] + moment)) * _weighted_tuple_sums(D, w, t)
    D = delta_kernel(net, X, rule.nodes)
    w = rule.weights
    if moment:
        w = w * np.sum(rule.nodes**2, axis=1)
    return _weighted_tuple_sums(D, w, t)


def vertex_log_derivatives(
    net: Network, X, tuples, cutoff, *, method: str = "auto", rule: CubatureRule | None = None
) -> np.ndarray:
    """dI_n/d ln(Lambda) = Lambda * (surface integral of prod_k Delta over the box boundary).

    Closed form for gauss/cos; zero at Lambda = inf; the surface rule of :func:`cubature_rule`
    otherwise. Used for the beta function beta = -lambda dln I_4 / dln Lambda.
    """
    net = _check_net(net)
    X = as_inputs(X, net.d_in)
    t = _check_tuples(tuples, X.shape[0])
    method = integral_method(net, cutoff, method)
    L = check_cutoff(cutoff)
    if method == "closed":
        return _gauss_vertex_log_derivative(net, X, t, L)
    if rule is None:
        rule = cubature_rule(net, X, L, surface_only=True)
    D = delta_kernel(net, X, rule.surface_nodes)
    return L * _weighted_tuple_sums(D, rule.surface_weights, t)


def _points_to_tuples(net: Network, points):
    """(n, d) or (T, n, d) points (d = 1 also (n,) or (T, n)) -> (unique X, tuples, single)."""
    P = np.asarray(points, dtype=np.float64)
    d = net.d_in
    if d == 1 and P.ndim in (1, 2):
        P = P[..., None]
    if P.ndim == 2:
        single, P = True, P[None]
    elif P.ndim == 3:
        single = False
    else:
        raise ValueError(
            "points must have shape (n, d) for one tuple or (T, n, d) for many "
            "(for d = 1 also (n,) or (T, n))"
        )
    if P.shape[-1] != d:
        raise ValueError(f"points have dimension {P.shape[-1]} but the network has d_in = {d}")
    if P.shape[1] < 1 or P.shape[0] < 1:
        raise ValueError("points must not be empty")
    if not np.all(np.isfinite(P)):
        raise ValueError("points must be finite (found NaN or infinity)")
    flat = P.reshape(-1, d)
    X, inv = np.unique(flat, axis=0, return_inverse=True)
    return X, inv.reshape(P.shape[0], P.shape[1]), single


def vertex_integral(net: Network, points, cutoff, *, method: str = "auto"):
    """I_n(x_1..x_n; Lambda) for one tuple of points or many (docs/theory.md#vertex-integrals).

    ``I_n = int_{[-Lambda, Lambda]^d} d^d y prod_i (K(x_i, y) - sigma_b^2)``; with the
    convention S = ... + lambda/4! phi^4 of this project, G4_c = -lambda I_4 at tree level.

    Parameters
    ----------
    net : Network
    points : array_like
        Shape (n, d) for one tuple or (T, n, d) for T tuples of input vectors; for d = 1 also
        (n,) or (T, n).
    cutoff : float
        Lambda > 0, or ``math.inf`` (gauss, cos).
    method : str
        "auto", "closed", "homogeneous" or "cubature" (see :func:`vertex_integrals`).

    Returns
    -------
    float for one tuple, ndarray (T,) for many.
    """
    net = _check_net(net)
    X, t, single = _points_to_tuples(net, points)
    out = vertex_integrals(net, X, t, cutoff, method=method)
    return float(out[0]) if single else out


# ---------------------------------------------------------------------------- exchange J
def gauss_tree_integral(net: Network, X, vertex_tuples, edges) -> np.ndarray:
    """Tree integral of Gaussian legs at Lambda = inf (Gauss- and cos-net kernels).

    ``int prod_v d^d y_v prod_v prod_{a in A_v} Delta(x_a, y_v) prod_{(v,w) in edges} Delta(y_v, y_w)``
    with Delta(x, y) = sigma_w^2 exp(-|x - y|^2 / (2 l^2)), l^2 = d / sigma_w^2. The exponent is
    a Gaussian in the vertex positions with precision P (per coordinate) = diag(n_v + deg_v) -
    adjacency, so the integral is, coordinate by coordinate,
    (2 pi l^2)^(m/2) det(P)^(-1/2) exp((b^T P^-1 b - q) / (2 l^2)), b_v = sum_{a in A_v} x_a,
    q = sum |x_a|^2, times sigma_w^(2 * number of Delta factors). One vertex without edges is
    I_n at Lambda = inf; two vertices joined by one edge are the exchange integral J(A|B).

    Parameters
    ----------
    vertex_tuples : list of int arrays (T, n_v)
        Input indices of the external legs on each vertex (the same T tuples for all vertices).
    edges : list of (v, w)
        Internal propagators (a tree).

    Returns
    -------
    ndarray (T,)
    """
    if net.activation not in _CLOSED:
        raise ValueError("closed-form tree integrals exist for gauss and cos kernels only")
    X = as_inputs(X, net.d_in)
    m = len(vertex_tuples)
    d = net.d_in
    sw2 = net.sigma_w**2
    ell2 = d / sw2
    P = np.zeros((m, m))
    n_delta = len(edges)
    legs = [X[np.asarray(t)] for t in vertex_tuples]  # (T, n_v, d) each
    for v, pts in enumerate(legs):
        P[v, v] += pts.shape[1]
        n_delta += pts.shape[1]
    for v, w in edges:
        P[v, v] += 1
        P[w, w] += 1
        P[v, w] -= 1
        P[w, v] -= 1
    Pinv = np.linalg.inv(P)
    detP = np.linalg.det(P)
    # b_v (T, d) and q (T,); explicit sums over the few legs beat strided axis reductions
    b = []
    for pts in legs:
        bv = pts[:, 0].copy()
        for k in range(1, pts.shape[1]):
            bv += pts[:, k]
        b.append(bv)
    q = sum(np.einsum("tkc,tkc->t", pts, pts) for pts in legs)
    # b^T P^-1 b over the vertex pairs (P symmetric); cheaper than an einsum for small m
    quad = sum(Pinv[v, v] * np.sum(b[v] * b[v], axis=1) for v in range(m))
    for v in range(m):
        for w in range(v + 1, m):
            quad = quad + 2.0 * Pinv[v, w] * np.sum(b[v] * b[w], axis=1)
    expo = (quad - q) / (2 * ell2)
    return sw2**n_delta * ((2 * math.pi * ell2) ** m / detP) ** (d / 2) * np.exp(expo)


def exchange_matrix(
    net: Network, X, cutoff, *, k: int = 3, method: str = "auto",
    rule: CubatureRule | None = None,
) -> np.ndarray:
    """J(A|B) for all pairs of sorted k-tuples A, B of inputs: (T_k, T_k), symmetric.

    ``J(A|B) = int int d^d y d^d z prod_{a in A} Delta(x_a, y) Delta(y, z) prod_{b in B} Delta(x_b, z)``
    with both vertices in [-Lambda, Lambda]^d. Closed form for gauss/cos at Lambda = inf; the
    cubature of :func:`cubature_rule` for y and z otherwise (cost Q^2 kernel evaluations, Q the
    number of nodes: fast for d = 1, minutes for d = 2).
    """
    net = _check_net(net)
    X = as_inputs(X, net.d_in)
    L = check_cutoff(cutoff)
    method = integral_method(net, L, method)
    T = np.asarray(sorted_tuples(X.shape[0], k))
    if method == "closed" and math.isinf(L):
        ii, jj = np.triu_indices(len(T))
        vals = gauss_tree_integral(net, X, [T[ii], T[jj]], [(0, 1)])
        M = np.zeros((len(T), len(T)))
        M[ii, jj] = vals
        M[jj, ii] = vals
        return M
    if rule is None:
        rule = cubature_rule(net, X, L)
    Y, w = rule.nodes, rule.weights
    D = delta_kernel(net, X, Y)  # (n_x, Q)
    P = np.ones((len(T), Y.shape[0]))
    for c in range(k):
        P = P * D[T[:, c]]
    Pw = P * w  # (T_k, Q)
    # G[t, q] = sum_p Delta(y_q, y_p) Pw[t, p], accumulated over row chunks
    Q = Y.shape[0]
    G = np.zeros((len(T), Q))
    chunk = max(1, 2**23 // Q)
    for s in range(0, Q, chunk):
        Dyz = delta_kernel(net, Y[s : s + chunk], Y)  # (chunk, Q)
        G[:, s : s + chunk] = Pw @ Dyz.T
    M = G @ Pw.T
    return 0.5 * (M + M.T)


def exchange_sums(
    net: Network, X, cutoff, *, method: str = "auto", tuples6=None,
    matrix: np.ndarray | None = None,
) -> np.ndarray:
    """sum over the 10 splits into triples of J(abc|def), for each sorted 6-tuple of inputs.

    Returns shape (T_6,) over ``sorted_tuples(n_inputs, 6)`` (or over ``tuples6``).
    """
    X = as_inputs(X, net.d_in)
    nx = X.shape[0]
    T6 = sorted_tuples(nx, 6) if tuples6 is None else _check_tuples(tuples6, nx, 6)
    M = exchange_matrix(net, X, cutoff, method=method) if matrix is None else matrix
    out = np.zeros(len(T6))
    for A, B in equal_splits(6):
        ia = tuple_index(T6[:, list(A)], nx)
        ib = tuple_index(T6[:, list(B)], nx)
        out += M[ia, ib]
    return out


def exchange_integral(net: Network, points_a, points_b, cutoff, *, method: str = "auto"):
    """J(abc|def) for one pair of point triples (each (3, d); (3,) for d = 1), or many
    ((T, 3, d) each). Any numbers of legs on the two vertices are allowed.
    """
    net = _check_net(net)
    Pa = np.asarray(points_a, dtype=np.float64)
    Pb = np.asarray(points_b, dtype=np.float64)
    Xa, ta, single = _points_to_tuples(net, Pa)
    Xb, tb, single_b = _points_to_tuples(net, Pb)
    if single != single_b or ta.shape[0] != tb.shape[0]:
        raise ValueError("points_a and points_b must hold the same number of tuples")
    X = np.concatenate([Xa, Xb])
    tb = tb + Xa.shape[0]
    L = check_cutoff(cutoff)
    method = integral_method(net, L, method)
    if method == "closed" and math.isinf(L):
        out = gauss_tree_integral(net, X, [ta, tb], [(0, 1)])
    else:
        rule = cubature_rule(net, X, L)
        Y, w = rule.nodes, rule.weights
        D = delta_kernel(net, X, Y)
        Pa_ = np.prod(D[ta], axis=1) * w
        Pb_ = np.prod(D[tb], axis=1) * w
        out = np.zeros(ta.shape[0])
        Q = Y.shape[0]
        chunk = max(1, 2**23 // Q)
        for s in range(0, Q, chunk):
            Dyz = delta_kernel(net, Y[s : s + chunk], Y)
            out += np.sum(Pa_[:, s : s + chunk] * (Pb_ @ Dyz.T), axis=1)
    return float(out[0]) if single else out
