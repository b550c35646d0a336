"""FRG truth tests in zero dimensions: the Wetterich flow started from the exact network action.

A network output at one input is a zero-dimensional field theory with the exact action
S(f) = -log p(f) (:mod:`nnqft.action.theory`). The exact Wetterich flow d_k U = k / (k^2 + U'')
(R_k = k^2), started at U_Lambda = S + (1/2) log(Lambda^2 + S'') (the one-loop start of
docs/frg.md), must end at the exact Gamma = Legendre transform of W; the grid solver is
:func:`nnqft.frg.zerodim.flow_effective_action` (called, not changed). Polynomial truncations of
the same flow (U = sum_{j <= M/2} g_2j phi^2j / (2j)!) are integrated from the Taylor
coefficients of U_Lambda, which are exact: S's derivatives at 0 come from the moments of the
characteristic function, p^(2n)(0) = (1/pi) int_0^inf (-t^2)^n phi(t) dt (docs/action.md
section 6).

Relu nets have exponential tails (W(J) is finite only for |J| < J_R), so S and Gamma grow
linearly and their curvature falls like N / (2 phi^2): a boundary perturbation of the flow then
spreads over a distance ~ phi (docs/action.md section 6), and no uniform box with free ends
isolates the compared region. The "tail" scheme (:func:`flow_on_grid`, :func:`tail_grid`) puts
the ends far out on a sinh-mapped grid and holds them at the one-loop value of the flowing
potential, S + (1/2) log(k^2 + S''), exact up to O((k B)^-4) at the end B; the error made once
k B ~ 1 cannot reach the compared region. Exact truths at k > 0: :func:`regulated_gamma`
(Gamma_k as the Legendre transform of the regulated W_k, by quadrature of the exact density),
:func:`regulated_curvature` (Gamma_k''(0) from the hidden-layer mixture, no density) and, at
N = 1, :func:`regulated_gamma_one_neuron` (Gamma_k from the hidden unit alone). They check the
flow at finite k and follow Gauss-net, which has every Gamma_k but no Gamma
(:func:`gauss_net_flow`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.integrate import solve_ivp
from scipy.special import logsumexp

from ..errors import NumericalError
from ..frg import zerodim
from ..frg.finite_differences import fd_matrix
from .series import legendre_series, theory_cumulants
from .theory import OneInputTheory

__all__ = ["flow_vs_exact", "flow_on_grid", "tail_grid", "tail_boundary", "regulated_gamma",
           "regulated_curvature", "regulated_gamma_one_neuron", "gauss_net_flow",
           "taylor_of_action", "truncated_flow", "truncation_table"]


class _GridAction:
    """Duck-typed action for zerodim.flow_effective_action: exact S and S'' on a fixed grid."""

    def __init__(self, theory: OneInputTheory, L: float, n_points: int, fd_order: int):
        self.phi = np.linspace(-L, L, n_points)
        S, err = theory.action(self.phi)
        self.S_err = float(np.max(err))
        self._S = S
        D2 = zerodim.fd_matrix(self.phi, 2, fd_order)
        self._d2S = D2 @ S

    def _check(self, phi):
        if phi.shape != self.phi.shape or not np.allclose(phi, self.phi, rtol=0, atol=1e-12):
            raise ValueError("_GridAction is defined on its own grid only")

    def S(self, phi):
        self._check(phi)
        return self._S

    def d2S(self, phi):
        self._check(phi)
        return self._d2S


def tail_grid(scale: float, B: float, dxi: float = 0.025) -> tuple[np.ndarray, np.ndarray]:
    """Nodes phi = scale sinh(xi) for xi uniform on [-asinh(B/scale), asinh(B/scale)].

    Spacing ~ scale dxi near 0 and a constant fraction dxi of |phi| in the tails (where U
    varies like a line plus a logarithm); an odd number of nodes, so phi = 0 is one. Returns
    the nodes and the trapezoid weights of the rule int dphi = int scale cosh(xi) dxi.
    """
    if not (scale > 0 and B > scale and dxi > 0):
        raise ValueError(f"tail_grid needs 0 < scale < B and dxi > 0, got {scale}, {B}, {dxi}")
    xm = math.asinh(B / scale)
    m = int(math.ceil(xm / dxi))
    xi = np.linspace(-xm, xm, 2 * m + 1)
    w = scale * np.cosh(xi) * (xi[1] - xi[0])
    w[[0, -1]] /= 2
    return scale * np.sinh(xi), w


def tail_boundary(S_end, d2S_end, k: float, B: float):
    """One-loop value of the flowing potential at the grid ends (docs/action.md section 6).

    U_k(B) = S(B) + (1/2) log(k^2 + S''(B)) + O((k B)^-4) when k B >> 1 (the loop expansion
    about S in powers of S^(n) / (k^2 + S'')^(n/2) ~ (k B)^-n; the constant is the one of the
    one-loop start U_Lambda, so no offset arises). Where k^2 + S'' ~ 1/B^2 or below (k B <~ 1,
    and S'' < 0 in relu's N = 1 tail) the formula is no longer right; the argument of the log is
    floored smoothly, (kappa + (kappa^2 + 4 / B^4)^(1/2)) / 2, which changes it by a relative
    O((k B)^-4) where it is right and keeps it positive where it is not.
    """
    kap = k * k + np.asarray(d2S_end, dtype=float)
    return np.asarray(S_end) + 0.5 * np.log(0.5 * (kap + np.sqrt(kap * kap + 4.0 / B**4)))


def flow_on_grid(phi, S, *, Lambda: float = 100.0, fd_order: int = 6, boundary: str = "tail",
                 k_out=(0.0,), rtol: float = 1e-11, atol: float = 1e-12) -> dict:
    """Wetterich flow d_k U = k / (k^2 + U'') on given nodes, from U_Lambda = S + (1/2)
    log(Lambda^2 + S''), by the method of lines (Fornberg differences of order ``fd_order`` on
    the possibly non-uniform nodes, Radau in k).

    ``boundary``: "tail" holds the two end nodes at :func:`tail_boundary` (Dirichlet, for
    grids whose ends lie far in the tails, k B >> 1 over the part of the flow that matters);
    "free" imposes nothing (one-sided stencils at the ends, as in
    :func:`nnqft.frg.zerodim.flow_effective_action`). Returns {k: U_k on the nodes} for each k in
    ``k_out`` (0 <= k < Lambda).
    """
    phi = np.asarray(phi, dtype=float)
    S = np.asarray(S, dtype=float)
    ks = sorted({float(k) for k in k_out}, reverse=True)
    if not (ks and 0 <= ks[-1] and ks[0] < Lambda):
        raise ValueError(f"k_out must lie in [0, Lambda = {Lambda}), got {list(k_out)}")
    if boundary not in ("tail", "free"):
        raise ValueError(f"boundary must be 'tail' or 'free', got {boundary!r}")
    D2f = fd_matrix(phi, 2, fd_order)
    d2S = D2f @ S
    if np.any(Lambda**2 + d2S <= 0):
        raise ValueError("Lambda^2 + S'' must be > 0 on the grid: raise Lambda")
    U0 = S + 0.5 * np.log(Lambda**2 + d2S)
    B = float(np.max(np.abs(phi)))
    ends = [0, -1]
    if boundary == "tail":
        D2 = sparse.csr_matrix(D2f[1:-1, 1:-1])
        Db = D2f[1:-1][:, ends]
        y0 = U0[1:-1]

        def lap(k, U):
            return D2 @ U + Db @ tail_boundary(S[ends], d2S[ends], k, B)
    else:
        D2 = sparse.csr_matrix(D2f)
        y0 = U0

        def lap(k, U):
            return D2 @ U

    reached = [Lambda]

    def rhs(k, U):
        reached[0] = min(reached[0], k)
        return k / (k * k + lap(k, U))

    def jac(k, U):
        return sparse.diags(-k / (k * k + lap(k, U)) ** 2) @ D2

    def pole(k, U):
        return float(np.min(k * k + lap(k, U)))

    pole.terminal = True
    sol = solve_ivp(rhs, (Lambda, ks[-1]), y0, method="Radau", jac=jac, rtol=rtol, atol=atol,
                    t_eval=ks, events=pole)
    if sol.status != 0 or sol.y.shape[1] != len(ks):
        raise NumericalError(f"zero-dimensional flow ({boundary} boundary) stopped at "
                             f"k = {reached[0]:.4g}: {sol.message}",
                             "refine the grid, or move the ends further into the tails")
    out = {}
    for i, k in enumerate(ks):
        U = np.empty_like(S)
        if boundary == "tail":
            U[1:-1] = sol.y[:, i]
            U[ends] = tail_boundary(S[ends], d2S[ends], k, B)
        else:
            U[:] = sol.y[:, i]
        out[k] = U
    return out


def regulated_gamma(nodes, weights, S, k: float, phi) -> np.ndarray:
    """Exact Gamma_k(phi) (up to a constant) for k > 0 from the action S on quadrature nodes.

    In d = 0 the flowing effective action with R_k = k^2 is exactly (docs/action.md section 6)
    Gamma_k(phi) = sup_J [J phi - W_k(J)] - k^2 phi^2 / 2 with
    W_k(J) = log int df exp(-S(f) - k^2 f^2 / 2 + J f); W_k is computed with the rule
    (``nodes``, ``weights``) and W_k'(J) = phi solved by Brent's method. Refuses (ValueError)
    when the tilted integrand is not negligible (< 1e-16 of its peak) at the ends of the rule.
    """
    from scipy.optimize import brentq

    if not k > 0:
        raise ValueError(f"regulated_gamma needs k > 0 (Gamma_0 is the plain Legendre "
                         f"transform), got {k}")
    f = np.asarray(nodes, dtype=float)
    base = -np.asarray(S, dtype=float) - 0.5 * k * k * f * f + np.log(weights)

    def stats(J):
        e = base + J * f
        lw = logsumexp(e)
        p = np.exp(e - lw)
        return lw, float(p @ f), e

    out = []
    for target in np.atleast_1d(np.asarray(phi, dtype=float)):
        lo, hi = -1.0, 1.0
        while stats(lo)[1] > target:
            lo *= 2
        while stats(hi)[1] < target:
            hi *= 2
        J = brentq(lambda j, t=target: stats(j)[1] - t, lo, hi, xtol=1e-15, rtol=1e-15)
        lw, _, e = stats(J)
        if max(e[0], e[-1]) > e.max() - math.log(1e16):
            raise ValueError(f"regulated_gamma: the integrand at k = {k:g}, phi = {target:g} "
                             "reaches the ends of the rule; raise k or widen the rule")
        out.append(J * target - lw - 0.5 * k * k * target * target)
    return np.asarray(out)


def regulated_curvature(theory: OneInputTheory, k: float, n_nodes: int = 120) -> float:
    """Exact Gamma_k''(0) = 1 / <f^2>_k - k^2 from the hidden-layer mixture (no density needed).

    <f^2>_k = E[f^2 e^{-k^2 f^2 / 2}] / E[e^{-k^2 f^2 / 2}]. Given the hidden layer f is normal
    with variance v = sigma_b^2 + (sigma_w^2 / N) sum_j h_j^2, so the two expectations are
    E_v[(1 + k^2 v)^(-1/2)] and E_v[v (1 + k^2 v)^(-3/2)]; writing
    (1 + k^2 v)^(-p) = int_0^inf s^(p-1) e^{-s (1 + k^2 v)} ds / Gamma(p) makes the v average
    factorise over neurons, E_v[e^{-s k^2 v}] = e^{-s k^2 sigma_b^2} M(-s k^2 sigma_w^2 / N)^N,
    and E_v[v e^{-s k^2 v}] is that times sigma_b^2 + sigma_w^2 <h^2>_a (a = -s k^2 sigma_w^2 / N,
    the tilted neuron mean). Generalised Gauss-Laguerre in s (weights s^(-1/2) e^{-s} and
    s^(1/2) e^{-s}). Finite for every net, Gauss-net included (a <= 0).
    """
    from scipy.special import gamma as gamma_fn
    from scipy.special import roots_genlaguerre

    if not k > 0:
        raise ValueError(f"regulated_curvature needs k > 0, got {k}")
    th, N, k2 = theory, theory.N, k * k
    sw2n = th.sw2 / N

    lam = 1 + k2 * th.G2  # s = t / lam: the integrand then lives on t = O(1) at any k

    def G(t):
        s = t / lam
        a = -s * k2 * sw2n
        return np.exp(t - s * (1 + k2 * th.sb2) + N * th.law.log_mgf(a, 0)), a

    t0, w0 = roots_genlaguerre(n_nodes, -0.5)
    t1, w1 = roots_genlaguerre(n_nodes, 0.5)
    Z = float(w0 @ G(t0)[0]) / gamma_fn(0.5) * lam**-0.5
    g1, a1 = G(t1)
    Y = float(w1 @ (g1 * (th.sb2 + th.sw2 * th.law.log_mgf(a1, 1)))) / gamma_fn(1.5) * lam**-1.5
    return Z / Y - k2


def regulated_gamma_one_neuron(theory: OneInputTheory, k: float, phi) -> tuple:
    """Exact Gamma_k(phi) - Gamma_k(0) at N = 1 from the hidden unit alone (no density, no S).

    Given the hidden unit f ~ N(0, v), v = sigma_b^2 + sigma_w^2 h^2, so
    int p(f) e^{J f - k^2 f^2 / 2} df = E_h[(1 + k^2 v)^(-1/2) exp(J^2 v / (2 (1 + k^2 v)))]:
    W_k(J) is a one-dimensional average over the neuron rule, finite for every J when k > 0
    even where W = W_0 is not (Gauss-net). Gamma_k(phi) = J phi - W_k(J) - k^2 phi^2 / 2 at
    W_k'(J) = phi (Brent). Returns (Gamma_k - Gamma_k(0), J) at each phi. Refuses where the
    tilted weight of the rule's last node exceeds 1e-16 (the rule would be too short).
    """
    from scipy.optimize import brentq

    if theory.N != 1:
        raise ValueError(f"regulated_gamma_one_neuron needs N = 1, got N = {theory.N}")
    if not k > 0:
        raise ValueError(f"regulated_gamma_one_neuron needs k > 0, got {k}")
    law = theory.law
    if law.kind != "rule":
        raise ValueError("regulated_gamma_one_neuron uses the neuron rule (erf, tanh, gauss)")
    v = theory.sb2 + theory.sw2 * law.v
    lw = np.log(law.w) - 0.5 * np.log1p(k * k * v)
    r = v / (1 + k * k * v)
    last = int(np.argmax(law.v))

    def stats(J):
        e = lw + 0.5 * J * J * r
        L = logsumexp(e)
        return L, J * float(np.exp(e - L) @ r), e

    G, Js = [], []
    for target in np.abs(np.atleast_1d(np.asarray(phi, dtype=float))):
        J = 0.0
        if target > 0:
            hi = 1.0
            while stats(hi)[1] < target:
                hi *= 2
            J = brentq(lambda j, t=target: stats(j)[1] - t, 0.0, hi, xtol=1e-15, rtol=1e-15)
        L, _, e = stats(J)
        if e[last] > e.max() - math.log(1e16):
            raise ValueError(f"regulated_gamma_one_neuron: the tilted weight reaches the end of "
                             f"the neuron rule at k = {k:g}, phi = {target:g}; raise k")
        G.append(J * target - L - 0.5 * k * k * target * target)
        Js.append(J)
    G0 = -stats(0.0)[0]
    return np.asarray(G) - G0, np.asarray(Js)


def _interp(x, y, z: float) -> float:
    """y at z by Lagrange interpolation on the 8 nodes nearest z (8th order, like the flow)."""
    from ..frg.finite_differences import fd_weights

    i = int(np.clip(np.searchsorted(x, z) - 4, 0, len(x) - 8))
    return float(fd_weights(z, x[i:i + 8], 0) @ y[i:i + 8])


def gauss_net_flow(theory: OneInputTheory, *, B_sigma: float = 40.0, dxi: float = 0.05,
                   k_out=(1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.0),
                   Lambda: float = 100.0) -> dict:
    """Flow from the exact S of a net without Gamma (Gauss-net) towards k = 0 on a tail grid.

    For each k in ``k_out``: the flow's U_k''(0) (8th-order difference) against the exact
    1 / <f^2>_k - k^2 (:func:`regulated_curvature`), U_k(sigma) - U_k(0) and U_k(2 sigma) - U_k(0),
    and at N = 1 the exact Gamma_k (:func:`regulated_gamma_one_neuron`, k > 0) with the flow's
    max deviation from it on |phi| <= 2 sigma and the position J / k^2 of the tail mode of the
    regulated measure at phi = 2 sigma. docs/action.md section 6 reads the result: the flow
    is exact while the tail mode of the regulated measure (at f ~ J / k^2) lies inside the box,
    and its k = 0 end is the Gamma of the theory cut off at B, which moves with B; the exact
    Gamma_k flattens to a constant as k -> 0.
    """
    from ..frg.finite_differences import fd_weights

    s = math.sqrt(theory.G2)
    phi, _ = tail_grid(2 * s, B_sigma * s, dxi)
    S, err = theory.action(phi)
    Us = flow_on_grid(phi, S, Lambda=Lambda, k_out=k_out)
    i0 = len(phi) // 2
    c2 = fd_weights(0.0, phi[i0 - 4:i0 + 5], 2)
    sel = np.abs(phi) <= 2 * s + 1e-12
    rows = []
    for k in sorted(Us, reverse=True):
        U = Us[k] - Us[k][i0]
        row = {"k": k, "flow_curvature": float(c2 @ Us[k][i0 - 4:i0 + 5]),
               "exact_curvature": float(regulated_curvature(theory, k)) if k > 0 else
               1.0 / theory.G2,
               "flow_at_sigma": _interp(phi, U, s), "flow_at_2sigma": _interp(phi, U, 2 * s)}
        if k > 0 and theory.N == 1:
            g, J = regulated_gamma_one_neuron(theory, k, phi[sel])
            row["exact_at_sigma"] = float(regulated_gamma_one_neuron(theory, k, [s])[0][0])
            g2, J2 = regulated_gamma_one_neuron(theory, k, [2 * s])
            row["exact_at_2sigma"] = float(g2[0])
            # the regulated measure's tail mode (hidden variance v >> 1/k^2) sits at f = J / k^2
            row["tail_mode_at_2sigma"] = float(J2[0]) / (k * k)
            row["max_abs_error"] = float(np.max(np.abs(U[sel] - g)))
        rows.append(row)
    return {"rows": rows, "B": B_sigma * s, "sigma": s, "n_points": len(phi),
            "S_err": float(np.max(err)), "one_over_G2": 1.0 / theory.G2}


def flow_vs_exact(theory: OneInputTheory, *, scheme: str | None = None, Lambda: float = 100.0,
                  L_sigma: float | None = None, n_points: int = 481, fd_order: int = 6,
                  dxi: float = 0.025, boundary: str = "tail",
                  compare_sigma: float = 2.0) -> dict:
    """Grid flow from the exact S at Lambda to k = 0 against the exact Gamma.

    ``scheme`` "box" (default for bounded activations): uniform grid on [-L, L], L = ``L_sigma``
    sigma_f (default 12; sigma_f^2 = G2), ``n_points`` nodes, free ends
    (:func:`nnqft.frg.zerodim.flow_effective_action`). "tail" (default for relu): sinh-mapped
    nodes (:func:`tail_grid`, scale 2 sigma_f, step ``dxi``) out to B = ``L_sigma`` sigma_f
    (default 200) and the ``boundary`` treatment of :func:`flow_on_grid` ("tail": the one-loop
    Dirichlet values; "free": none, for comparison). Gamma is compared on
    |phi| <= ``compare_sigma`` sigma_f after removing the mean difference (additive constant).
    Returns max |Gamma_flow - Gamma_exact| and the curves.
    """
    if scheme is None:
        scheme = "tail" if theory.net.activation == "relu" else "box"
    if scheme not in ("box", "tail"):
        raise ValueError(f"scheme must be 'box' or 'tail', got {scheme!r}")
    s = math.sqrt(theory.G2)
    if scheme == "box":
        L = (12.0 if L_sigma is None else L_sigma) * s
        act = _GridAction(theory, L, n_points, fd_order)
        phi, G = zerodim.flow_effective_action(act, Lambda=Lambda, L=L, n_points=n_points,
                                               fd_order=fd_order)
        S, S_err = act._S, act.S_err
    else:
        L = (200.0 if L_sigma is None else L_sigma) * s
        phi, _ = tail_grid(2 * s, L, dxi)
        S, err = theory.action(phi)
        S_err = float(np.max(err))
        G = flow_on_grid(phi, S, Lambda=Lambda, fd_order=fd_order, boundary=boundary)[0.0]
    sel = np.abs(phi) <= compare_sigma * s + 1e-12
    ex = theory.gamma(phi[sel])
    d = G[sel] - ex
    d -= d.mean()
    return {"max_abs_error": float(np.max(np.abs(d))), "phi": phi[sel],
            "flow": G[sel] - G[sel].mean() + ex.mean(), "exact": ex, "S": S[sel],
            "S_err": S_err, "Lambda": Lambda, "interval": compare_sigma * s, "scheme": scheme,
            "L": L, "n_points": len(phi), "boundary": "free" if scheme == "box" else boundary}


def taylor_of_action(theory: OneInputTheory, order: int) -> np.ndarray:
    """Taylor coefficients s_n (n = 0..order) of S(f) - S(0) = sum s_n f^n at f = 0.

    p^(2n)(0) = (1/pi) int_0^inf (-1)^n t^2n phi(t) dt by Gauss-Legendre panels (needs
    sigma_b > 0 so that phi decays like a Gaussian); then S = -log p as a series.
    """
    if theory.sb2 <= 0:
        raise ValueError("Taylor coefficients of S need sigma_b > 0 (S is not smooth at 0 "
                         "otherwise)")
    u_max = math.sqrt(2 * math.log(1e30) / theory.sb2)
    n_pan = 400
    x, w = np.polynomial.legendre.leggauss(16)
    edges = np.linspace(0, u_max, n_pan + 1)
    t = (edges[:-1, None] + (edges[1:] - edges[:-1])[:, None] * (x + 1) / 2).ravel()
    wt = ((edges[1:] - edges[:-1])[:, None] * w / 2).ravel()
    law = theory._law_for(theory.c * u_max**2)
    phi = (np.exp(-theory.sb2 * t * t / 2) * law.ratio(0.0, -theory.c * t * t) ** theory.N).real
    K = order // 2
    pd = np.array([(-1) ** n * (wt @ (t ** (2 * n) * phi)) / math.pi for n in range(K + 1)])
    # p(f) = sum_n pd[n] f^2n / (2n)!; S - S(0) = -log(p / p(0))
    q = np.array([pd[n] / math.factorial(2 * n) / pd[0] for n in range(K + 1)])
    lg = np.zeros(K + 1)
    for k in range(1, K + 1):
        lg[k] = (k * q[k] - sum(j * lg[j] * q[k - j] for j in range(1, k))) / k
    out = np.zeros(order + 1)
    out[0::2] = -lg
    return out


def _series_inv(a, n):
    out = np.zeros(n + 1)
    out[0] = 1 / a[0]
    for k in range(1, n + 1):
        out[k] = -sum(a[j] * out[k - j] for j in range(1, min(k, len(a) - 1) + 1)) / a[0]
    return out


def truncated_flow(coeffs_uv: np.ndarray, order: int, Lambda: float,
                   about: float = 0.0) -> tuple[np.ndarray, str]:
    """Polynomial truncation of d_k U = k / (k^2 + U'') at order M = ``order`` about phi = 0.

    U = sum_{n <= M} u_n phi^n (Taylor coefficients). The right-hand side is expanded to phi^M;
    coefficients above M are dropped (the truncation). Integrated from Lambda to 0 (Radau).
    Returns the k = 0 coefficients and a status ("completed" or the reason it stopped).
    """
    M = order

    def rhs(k, u):
        # U'' series
        d2 = np.array([(n + 2) * (n + 1) * u[n + 2] for n in range(M - 1)] + [0.0, 0.0])
        d2[0] += k * k
        inv = _series_inv(d2, M)
        return k * inv

    def pole(k, u):
        return k * k + 2 * u[2]

    pole.terminal = True
    sol = solve_ivp(rhs, (Lambda, 0.0), coeffs_uv[: M + 1].astype(float), method="Radau",
                    rtol=1e-12, atol=1e-14, events=pole)
    status = "completed" if sol.status == 0 else f"stopped at k = {sol.t[-1]:.3g} ({sol.message})"
    return sol.y[:, -1], status


def truncation_table(theory: OneInputTheory, orders=(4, 6, 8, 10, 12, 14, 16),
                     Lambda: float = 100.0, compare_sigma: float = 1.0) -> list[dict]:
    """Error of polynomial truncations (about 0 = the minimum, see docs) against the exact Gamma.

    For each order M: max |Gamma_M - Gamma| on |phi| <= compare_sigma sigma_f (additive constant
    removed), and the relative errors of Gamma_4 and Gamma_6 against the exact vertices.
    """
    top = max(orders)
    sco = taylor_of_action(theory, top + 2)
    # U_Lambda = S + (1/2) log(Lambda^2 + S''): Taylor coefficients
    d2 = np.array([(n + 2) * (n + 1) * sco[n + 2] for n in range(top + 1)])
    arg = d2.copy()
    arg[0] += Lambda**2
    q = arg / arg[0]
    lg = np.zeros(top + 1)
    for k in range(1, top + 1):
        lg[k] = (k * q[k] - sum(j * lg[j] * q[k - j] for j in range(1, k))) / k
    uv = sco[: top + 1] + 0.5 * lg
    s = math.sqrt(theory.G2)
    phi = np.linspace(-compare_sigma * s, compare_sigma * s, 41)
    exact = theory.gamma(phi)
    G = theory_cumulants(theory, 8)
    V = legendre_series(G, 8)
    rows = []
    for M in orders:
        u0, status = truncated_flow(uv, M, Lambda)
        gM = np.polynomial.polynomial.polyval(phi, u0)
        d = gM - exact
        d -= d.mean()
        rows.append({"order": M, "status": status, "max_abs_error": float(np.max(np.abs(d))),
                     "Gamma4_rel_error": float(u0[4] * 24 / V[4] - 1),
                     "Gamma6_rel_error": float(u0[6] * 720 / V[6] - 1) if M >= 6 else None})
    return rows
