"""The full potential on a grid: fixed points and dimensionful flows by the method of lines.

Variable: w = u'(r) (or U'(rho) for flows), so the vacuum energy never enters. Flow
(docs/theory.md#dimensionless-flow, differentiated once in r):

    d_t w = -2 w + (d-2) r w' + d/dr [ (n-1) t(w) + t(w + 2 r w') ]          (dimensionless)
    d_t U' = v_d k^d d/drho [ (n-1) T_k(U') + T_k(U' + 2 rho U'') ]          (dimensionful)

Discretisation: uniform grid on [0, r_max], finite differences of order ``fd_order`` (default 2)
with centred stencils inside and one-sided stencils of the same order at both ends.
Boundary treatment at large field: none is imposed. There the threshold terms are suppressed
(t(w) ~ 1/w with w large) and the equation is dominated by the first-order scaling part
-2 w + (d-2) r w', whose characteristics leave the domain at r_max when flowing towards the IR;
the one-sided stencils extrapolate the interior, which is consistent with that outflow. At r = 0
the equation is regular (the 2 r w' factor) and no condition is needed either. r_max must be
large compared with the minimum (default 4 r_0, r_0 the minimum) so that the boundary error stays small.

Flows on a grid run from the UV down only: towards larger k the equation is a backward heat
equation whose grid-scale modes explode (docs/theory.md#flow-direction).
"""

from __future__ import annotations

from math import factorial

import numpy as np
from scipy import sparse
from scipy.integrate import solve_ivp

from ..errors import NumericalError
from .finite_differences import fd_matrix
from .fixedpoint import FixedPoint, classify_spectrum, lowest_order_seed, newton
from .flow import FlowResult
from .initial import phi_couplings
from .polynomial import phi_to_rho
from .regulators import v_d

__all__ = ["grid_fixed_point", "grid_flow", "GRID_UPWARD_MESSAGE", "GRID_SEEDS"]

GRID_UPWARD_MESSAGE = ("grid flows run from the UV down only: integrated towards larger k the "
                       "LPA is a backward heat equation whose grid-scale modes explode (finer "
                       "grids fail sooner); integrate a polynomial truncation upwards instead, or "
                       "solve the inverse problem (docs/theory.md#flow-direction)")


def _T(m, poles):
    a, b, c = poles
    return np.sum(a / (b + np.multiply.outer(m, c)), axis=-1)


def _dimensionless_rhs(w, r, D1, n, d, poles):
    wp = D1 @ w
    g = _T(w + 2 * r * wp, poles)
    if n != 1:
        g = g + (n - 1) * _T(w, poles)
    return -2 * w + (d - 2) * r * wp + D1 @ g


def _banded_jacobian(f, x, band):
    """Complex-step Jacobian of a banded map with column colouring (band + 1 evaluations)."""
    N = len(x)
    J = np.zeros((N, N))
    h = 1e-30
    for c in range(band):
        cols = np.arange(c, N, band)
        xc = x.astype(complex)
        xc[cols] += 1j * h
        col = np.imag(f(xc)) / h
        for j in cols:
            lo, hi = max(0, j - band // 2), min(N, j + band // 2 + 1)
            J[lo:hi, j] = col[lo:hi]
    return J


GRID_SEEDS = ("quadratic", "shooting", "polynomial")


def _seed(lpa, seed: str, seed_order: int):
    """Initial w(r) = u'(r) for the grid Newton and the minimum r_0 it implies."""
    poles = lpa.dimensionless_poles()
    if seed == "quadratic":
        r0, lam2 = lowest_order_seed(lpa.dim, lpa.components, poles)
        return (lambda r: lam2 * (r - r0)), float(r0), (
            f"order-2 closed form u' = lambda_2 (r - r_0), r_0 = {r0:.6g}, lambda_2 = {lam2:.6g} "
            "(no higher-order polynomial input)")
    if seed == "shooting":
        sh = lpa.fixed_point(method="shooting", n_eigen=1)
        r_e = sh.diagnostics["r_e"]
        slope = sh.curvature

        def w0(r):
            r = np.asarray(r, dtype=float)
            inside = sh.potential(np.minimum(r, r_e))
            # beyond r_e: the large-field scaling solution w ~ r^(2/(d-2)) matched at r_e
            p = 2.0 / (lpa.dim - 2.0)
            w_e = float(sh.potential(r_e))
            outside = w_e * (np.maximum(r, r_e) / r_e) ** p if w_e > 0 else slope * (r - r_e)
            return np.where(r <= r_e, inside, outside)

        return w0, float(sh.minimum), (f"shooting solution (sigma = {sh.couplings[0]:.12g}) "
                                       f"up to r_e = {r_e:.4g}, large-field scaling beyond")
    if seed == "polynomial":
        poly = lpa.fixed_point(method="polynomial", order=seed_order)
        return poly.potential, float(poly.minimum), (
            f"polynomial fixed point of order {seed_order} (not an independent check)")
    raise ValueError(f"unknown grid seed {seed!r}; choose one of {', '.join(GRID_SEEDS)}")


def grid_fixed_point(lpa, n_points: int = 201, r_max: float | None = None, fd_order: int = 2,
                     seed: str = "quadratic", seed_order: int = 12, tol: float = 1e-12,
                     smooth_tol: float = 0.1) -> FixedPoint:
    """Fixed point on a grid by Newton; exponents from the discretised stability matrix.

    Parameters
    ----------
    n_points, fd_order : grid size and finite-difference order.
    r_max : grid end (default 4 r_0, r_0 the minimum found on a 41-point pre-grid of
        [0, 6 r_0,seed]; no other method's solution sets it).
    seed : where Newton starts. ``"quadratic"`` (default): the order-2 closed form
        u' = lambda_2 (r - r_0) of ``lowest_order_seed``, which Newton on the grid takes to the
        fixed point in 5-7 steps, so the grid result is an independent check of the
        polynomial method; ``"shooting"``: the shooting solution (independent too, slower);
        ``"polynomial"``: the order-``seed_order`` polynomial fixed point (the old default).
    tol : Newton tolerance on max |F| (absolute; the equation's terms are O(1)).
    smooth_tol : eigenvector filter (below).

    Notes
    -----
    The discretised stability matrix also has grid-scale (sawtooth, odd-even) eigenvectors
    whose eigenvalues are artefacts (one tends to -1 as h -> 0 at first order). Only smooth
    eigenvectors are kept: max |second difference| / max |v| < ``smooth_tol`` (physical modes:
    O(h^2)). The filter, the number of modes it dropped, the seed and the tolerances are in
    ``diagnostics``; nu and omega come from ``classify_spectrum`` on the kept modes.
    """
    if n_points < 20:
        raise ValueError(f"n_points must be >= 20, got {n_points}")
    w_seed, r0_seed, seed_text = _seed(lpa, seed, seed_order)
    poles = lpa.dimensionless_poles()
    n, d = lpa.components, lpa.dim
    band = 4 * (fd_order + 1) + 1

    def solve(r, w0):
        D1 = sparse.csr_matrix(fd_matrix(r, 1, fd_order))

        def F(w):
            return _dimensionless_rhs(w, r, D1, n, d, poles)

        jac = lambda w: _banded_jacobian(F, w, band)  # noqa: E731
        w, ok, it, res = newton(F, w0, jac=jac, tol=tol)
        if not ok:
            raise NumericalError(f"grid fixed point: Newton did not converge from the "
                                 f"{seed} seed (|F| = {res:.2e})",
                                 "try another --grid-seed, fewer --grid-points or "
                                 "--method polynomial")
        return w, it, res, D1, jac

    r_max_auto = r_max is None
    pre = None
    if r_max_auto:
        r_pre = np.linspace(0.0, 6.0 * r0_seed, 41)
        w_pre, *_ = solve(r_pre, w_seed(r_pre))
        pre = _minimum_on_grid(r_pre, w_pre, fd_matrix(r_pre, 1, fd_order))[0]
        r_max = 4.0 * pre
        w_start = np.interp(np.linspace(0.0, r_max, n_points), r_pre, w_pre)
        if r_max > r_pre[-1]:
            w_start = w_seed(np.linspace(0.0, r_max, n_points))
    else:
        r_max = float(r_max)
        w_start = w_seed(np.linspace(0.0, r_max, n_points))
    r = np.linspace(0.0, r_max, n_points)
    w, it, res, D1, jac = solve(r, w_start)
    J = jac(w)
    ev_all, V = np.linalg.eig(J)
    smooth = np.array([np.max(np.abs(np.diff(V[:, i], 2))) < smooth_tol * np.max(np.abs(V[:, i]))
                       for i in range(len(ev_all))])
    ev, nu, omega, info = classify_spectrum(np.diag(ev_all[smooth]))
    r0, curv = _minimum_on_grid(r, w, D1)
    diagnostics = {"n_points": n_points, "r_max": r_max, "fd_order": fd_order,
                   "newton_iterations": it, "residual": res, "tolerance": tol,
                   "seed": seed, "seed_description": seed_text, "pre_grid_minimum": pre,
                   "eigenvector_filter": f"max|second difference of v| < {smooth_tol:g} max|v|",
                   "modes_kept": int(np.sum(smooth)), "modes_dropped": int(np.sum(~smooth)),
                   "spectrum": info}
    return FixedPoint(nu=float(nu), omega=float(omega), eigenvalues=ev, minimum=r0,
                      curvature=curv, couplings=w, method="grid", order=None,
                      expand_about=None, dim=d, components=n, regulator=lpa.regulator,
                      potential=lambda x: np.interp(x, r, w), r=r, du=w,
                      diagnostics=diagnostics, relevant=info["relevant"])


def _minimum_on_grid(r, w, D1):
    """r_0 by linear interpolation of w = 0, and u'' = w' there."""
    i = int(np.argmax(w > 0)) if np.any(w > 0) else len(r) - 1
    r0 = float(r[i - 1] - w[i - 1] * (r[i] - r[i - 1]) / (w[i] - w[i - 1])) if i > 0 else 0.0
    return r0, float(np.interp(r0, r, D1 @ w))


def grid_flow(lpa, initial, k_span, *, rho_max: float | None = None, n_points: int = 201,
              fd_order: int = 2, convexity_tol: float = 1e-3, blowup_threshold: float = 1e8,
              rtol: float = 1e-6, atol: float = 1e-10, n_keep: int = 200) -> FlowResult:
    """Dimensionful flow of U'(rho) on a grid from k_span[0] down to k_span[1] (BDF).

    ``initial``: callable U'(rho) or a mapping/sequence of [ELS] couplings u2, u4, ... (converted
    to U'(rho)). Stops with status ``"convexity"`` when min over the grid of
    (Z(k^2) + U' + 2 rho U'')/Z(k^2) falls below ``convexity_tol`` (the broken phase approaching
    the flat, convex inner region), or ``"diverged"`` when |U'| passes ``blowup_threshold`` or
    the solver fails; k_star is the scale where it stopped.
    """
    k0, k1 = map(float, k_span)
    if not (k0 > 0 and k1 > 0):
        raise ValueError(f"k_span must be positive scales, got {k_span}")
    if k1 >= k0:
        raise ValueError(GRID_UPWARD_MESSAGE)
    if rho_max is None:
        rho_max = 1.0
    rho = np.linspace(0.0, float(rho_max), n_points)
    if callable(initial):
        w0 = np.asarray(initial(rho), dtype=float)
    else:
        derivs = phi_to_rho(phi_couplings(initial))  # U^(j+1)(0), j = 0..M-1
        w0 = sum(derivs[j] * rho**j / factorial(j) for j in range(len(derivs)))
    D1 = sparse.csr_matrix(fd_matrix(rho, 1, fd_order))
    n, d, vd = lpa.components, lpa.dim, v_d(lpa.dim)

    def rel_den(t, w):
        k = np.exp(t)
        a, b, c = lpa.poles_at(k)
        m = w + 2 * rho * (D1 @ w)
        return float(np.min((b[0] + c[0] * m) / b[0]))

    def rhs(t, w):
        k = np.exp(t)
        poles = lpa.poles_at(k)
        g = _T(w + 2 * rho * (D1 @ w), poles)
        if n != 1:
            g = g + (n - 1) * _T(w, poles)
        return vd * k**d * (D1 @ g)

    def convex(t, w):
        return rel_den(t, w) - convexity_tol

    def blow(t, w):
        return blowup_threshold - float(np.max(np.abs(w)))

    convex.terminal = blow.terminal = True
    band = 4 * (fd_order + 1) + 1
    pattern = sparse.csr_matrix(np.abs(np.linalg.matrix_power(
        (np.abs(D1.toarray()) > 0).astype(float), 2)) > 0)
    t0, t1 = np.log(k0), np.log(k1)
    with np.errstate(all="ignore"):
        sol = solve_ivp(rhs, (t0, t1), w0, method="BDF", jac_sparsity=pattern, rtol=rtol,
                        atol=atol, events=[convex, blow], t_eval=np.linspace(t0, t1, n_keep))
    ts, ws = list(sol.t), list(sol.y.T)
    status, k_star, reason, msg = "completed", None, None, "reached the end of k_span"
    if sol.status == 1:
        i = 0 if len(sol.t_events[0]) else 1
        te, ye = sol.t_events[i][0], sol.y_events[i][0]
        ts.append(te)
        ws.append(ye)
        k_star = float(np.exp(te))
        if i == 0:
            status, reason = "convexity", "convexity"
            msg = (f"stopped at k = {k_star:.6g}: the potential reached the convexity regime "
                   f"(min (Z + U' + 2 rho U'')/Z < {convexity_tol:g})")
        else:
            status, reason = "diverged", "blowup"
            msg = f"flow diverged at k* = {k_star:.6g}: |U'| passed {blowup_threshold:g}"
    elif sol.status == -1:
        status, reason = "diverged", "solver"
        k_star = float(np.exp(sol.t[-1]))
        msg = f"the solver failed near k = {k_star:.6g}: {sol.message}"
    del band
    return FlowResult(k=np.exp(np.array(ts)), names=["dU"], values=np.array(ws), status=status,
                      k_star=k_star, message=msg, method="grid", rho=rho,
                      diagnostics={"reason": reason, "n_points": n_points, "rho_max": rho_max,
                                   "fd_order": fd_order, "convexity_tol": convexity_tol,
                                   "nfev": int(sol.nfev)},
                      attrs={"dim": lpa.dim, "components": n, "regulator": lpa.regulator})
