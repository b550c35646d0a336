"""Fixed points of the dimensionless LPA and their critical exponents ([L02], [DUP]).

Newton's method on the polynomial system, seeded so that it cannot collapse onto the Gaussian
fixed point: the lowest truncation about the minimum (order 2) is solved as one scalar equation
for s = 2 r_0 lambda_2 (r_0 the minimum, lambda_2 = u''(r_0)) whose only roots are non-trivial
(the Gaussian point has r_0 = 0, which that reduction excludes), and each higher order starts
from the previous solution (continuation in the order). Expansions about rho = 0 start from the
converged about-minimum potential re-expanded at rho = 0, never from zero. Newton works on the
scaled problem of ``window_weights`` (equations and unknowns weighted by their effect on the
potential over a window around the minimum), which is what lets the continuation go beyond
order 16 (docs/frg.md).

Exponents: the eigenvalues of the stability matrix dG/dp of the flow of the parameters p at the
fixed point are -theta_i; the vacuum energy is not a parameter, so its mode (theta = d) is
excluded by construction. nu = 1/theta_1 for the most relevant physical Z2-even direction and
omega is the smallest positive eigenvalue (``classify_spectrum``, which also lists every
relevant direction).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from math import factorial

import numpy as np
from scipy.optimize import brentq

from ..errors import NumericalError
from . import series as S
from .polynomial import FixedPointSystem, complex_step_jacobian

__all__ = ["FixedPoint", "newton", "polynomial_fixed_point", "exponents_from_matrix",
           "classify_spectrum", "window_weights", "lowest_order_seed", "MAX_RELIABLE_ORDER"]

#: above this polynomial order double-precision rounding starts to move the exponents
#: (measured: docs/frg.md, table of nu and omega by order)
MAX_RELIABLE_ORDER = 40


@dataclass
class FixedPoint:
    """A non-Gaussian fixed point of the dimensionless LPA and its exponents.

    Attributes
    ----------
    nu, omega : critical exponents. nu = 1/theta_1 for the thermal direction: the most relevant
        physical (moving the mass direction, not the vacuum) Z2-even eigendirection (see
        ``classify_spectrum``); omega = the smallest positive eigenvalue among the physical ones.
    eigenvalues : eigenvalues of the stability matrix (= -theta), ascending by real part, vacuum
        mode excluded. Real when the imaginary parts vanish to 1e-10, complex otherwise.
    relevant : theta > 0 of every relevant eigendirection found, largest first (the one that
        comes first); more than one means a multicritical point or spurious modes of a
        truncation beyond double precision, and ``diagnostics["spectrum"]`` gives each one's
        share on the mass direction.
    minimum : the minimum r_0 of u(r) (0 in the symmetric phase); curvature : u''(r_0).
        Units U = v_d k^d u, rho = v_d k^(d-2) r (divided by Z0 for P2Kinetic(Z0)).
        ``kappa`` and ``lam`` are the same numbers under their historical names (read-only);
        ``to_dict`` writes both.
    couplings : the parameter vector ([r_0, lambda_2..lambda_M] or [lambda_1..lambda_M],
        lambda_j = u^(j) at the expansion point).
    potential : callable r -> u'(r) (the derivative of the fixed-point potential; for a grid
        the interpolant) and ``r``/``du`` arrays on a grid of [0, 3 r_0] for plotting.
    convergence : list of dicts {order, nu, omega, minimum, curvature, kappa, lambda,
        relevant} for each order reached (polynomial method), so that convergence with the
        order can be read off.
    diagnostics : how it was obtained and how far to trust it: Newton iterations and scaled
        residual, the seed, the eigenvector filter (grid), tolerances that were loosened.
    method, order, expand_about, dim, components, regulator : how it was obtained.
    """

    nu: float
    omega: float
    eigenvalues: np.ndarray
    minimum: float
    curvature: float
    couplings: np.ndarray
    method: str
    order: int | None
    expand_about: str | None
    dim: float
    components: int
    regulator: str
    potential: object = None
    r: np.ndarray | None = None
    du: np.ndarray | None = None
    convergence: list = field(default_factory=list)
    diagnostics: dict = field(default_factory=dict)
    relevant: list = field(default_factory=list)

    @property
    def kappa(self) -> float:
        """The minimum r_0 (historical name; ``minimum`` is the same number)."""
        return self.minimum

    @property
    def lam(self) -> float:
        """u''(r_0) (historical name; ``curvature`` is the same number)."""
        return self.curvature

    @property
    def theta(self) -> np.ndarray:
        """Critical exponents theta_i = -eigenvalues."""
        return -self.eigenvalues

    def to_dict(self) -> dict:
        """JSON-ready summary (the ``nnqft frg exponents`` contract plus extras).

        ``eigenvalues`` are the real parts (ascending); ``eigenvalues_imag`` the imaginary parts
        (high-order truncations have complex pairs far in the irrelevant spectrum).
        ``fixed_point`` keeps the documented keys ``kappa`` (the minimum) and ``lambda``
        (u'' there) and adds the same numbers as ``minimum`` and ``curvature``.
        """
        ev = np.asarray(self.eigenvalues)
        return {"nu": self.nu, "omega": self.omega,
                "eigenvalues": [float(x) for x in np.real(ev)],
                "eigenvalues_imag": [float(x) for x in np.imag(ev)],
                "relevant": [float(x) for x in self.relevant],
                "fixed_point": {"kappa": self.minimum, "lambda": self.curvature,
                                "minimum": self.minimum, "curvature": self.curvature},
                "method": self.method, "order": self.order, "expand_about": self.expand_about,
                "dim": self.dim, "components": self.components, "regulator": self.regulator,
                "couplings": [float(x) for x in self.couplings],
                "convergence": self.convergence,
                "diagnostics": self.diagnostics}


def newton(f, x0, tol: float = 1e-13, max_iter: int = 100, jac=None, f_scale=None,
           x_scale=None, step_tol: float = 1e-11, min_iter: int = 0,
           floor_tol: float | None = None):
    """Damped Newton with a complex-step Jacobian and backtracking on a scaled residual.

    Parameters
    ----------
    f, x0 : the equations and the start.
    tol : converged when the scaled residual ``sum_j |f_j| f_scale_j`` is below ``tol``.
    jac : Jacobian callable (default: complex step).
    f_scale, x_scale : positive weights of the equations and of the unknowns (default 1). The
        linear solve uses the equilibrated matrix diag(f_scale) J diag(1/x_scale), the line
        search the scaled residual.
    step_tol : also converged when the scaled step ``sum |dx_j| x_scale_j`` falls below
        ``step_tol`` times ``sum |x_j| x_scale_j`` (the equations' rounding floor reached).
    min_iter : take at least this many Newton steps (a continuation that appends a coupling
        must solve for it even when the residual starts below ``tol``).
    floor_tol : when the line search can no longer decrease the residual (it sits on the
        rounding floor of the equations), accept if the scaled residual is below this
        (default ``tol``).

    Returns
    -------
    (x, converged, iterations, scaled residual).
    """
    x = np.asarray(x0, dtype=float).copy()
    jac = jac or (lambda z: complex_step_jacobian(f, z))
    ws = np.ones(len(x)) if f_scale is None else np.asarray(f_scale, dtype=float)
    xs = np.ones(len(x)) if x_scale is None else np.asarray(x_scale, dtype=float)

    def norm(v):
        return float(np.sum(np.abs(v) * ws))

    fx = np.real(f(x))
    nrm = norm(fx)
    if not np.isfinite(nrm):
        return x, False, 0, nrm
    floor_tol = tol if floor_tol is None else floor_tol
    if nrm < tol and min_iter <= 0:
        return x, True, 0, nrm
    for it in range(1, max_iter + 1):
        J = jac(x)
        A = ws[:, None] * J / xs[None, :]
        try:
            step = np.linalg.solve(A, -ws * fx) / xs
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(A, -ws * fx, rcond=None)[0] / xs
        small = np.sum(np.abs(step) * xs) <= step_tol * (np.sum(np.abs(x) * xs) + 1e-300)
        alpha = 1.0
        while True:
            xn = x + alpha * step
            with np.errstate(all="ignore"):
                fn = np.real(f(xn))
            nn = norm(fn)
            if np.isfinite(nn) and (nn < nrm * (1 - 1e-4 * alpha) or nn == 0):
                break
            alpha *= 0.5
            if alpha < 1e-6:
                return x, bool(small or nrm < floor_tol), it, nrm
        x, fx, nrm = xn, fn, nn
        if (nrm < tol or small) and it >= min_iter:
            return x, True, it, nrm
    return x, nrm < tol, max_iter, nrm


def classify_spectrum(J: np.ndarray, weights=None, mass_components=None,
                      min_mass_share: float = 0.1):
    """Eigenvalues of a stability matrix, the thermal exponent nu and omega, by eigenvectors.

    Parameters
    ----------
    J : stability matrix dG/dp at the fixed point (parameters p; the vacuum energy is not a
        parameter in this package, so its mode theta = d never appears).
    weights : positive weights w_j such that sum_j |v_j| w_j measures the change of u'(r) that
        the eigenvector v makes on the window where the truncation is trusted (default 1).
    mass_components : indices of the parameters that make the mass direction (the minimum r_0
        and u''(r_0) about the minimum; u'(0) and u''(0) about zero). None: every eigenvector
        counts as physical (the grid, whose sawtooth modes are filtered before).
    min_mass_share : an eigenvector whose weighted share on ``mass_components`` is below this
        does not move the potential where it matters; it is not used for nu or omega.

    Returns
    -------
    eigenvalues : ascending by real part (real when the imaginary parts vanish to 1e-10).
    nu, omega : nu = 1/theta_1, theta_1 the largest theta = -Re(eigenvalue) among the physical
        relevant directions; omega the smallest positive real part among the physical ones
        (nan when there is none).
    info : dict with ``relevant`` (every theta > 0, largest first), ``relevant_mass_share``
        (the weighted share of each eigenvector on the mass direction, None without
        ``mass_components``), ``n_relevant_physical``, ``min_mass_share``.

    Notes
    -----
    Why the most relevant one: every direction of the polynomial, grid and shooting problems
    is a function of rho, so Z2-even, and the vacuum mode is absent, so a physical relevant
    direction is a scaling field of the Z2-even sector. At the Wilson-Fisher point there is
    exactly one (the temperature, theta_1 = 1/nu); where several appear, at a multicritical
    point, the leading thermal exponent y_1 = 1/nu is by definition the largest of them, and
    the others (theta_2 < theta_1) are subleading relevant fields. Taking the *least* relevant
    one, as a "least negative eigenvalue" rule does, would report a subleading field as nu.

    Why the mass share: a truncation driven beyond what double precision resolves (order ~80
    at d = 3) grows spurious relevant eigenvalues (theta = 17.5, 14.5 +- 25i, ...) whose
    eigenvectors live on intermediate couplings and hardly move the minimum or the mass
    (weighted share <= 0.011, against 0.95 for the thermal direction, 0.63 for omega's and
    0.15 for the next one at every order from 6 to 60). Taking the most relevant eigenvalue
    blindly would report one of them as nu.
    """
    ev, V = np.linalg.eig(J)
    order = np.argsort(ev.real, kind="stable")
    ev, V = ev[order], V[:, order]
    if np.all(np.abs(ev.imag) <= 1e-10 * (1 + np.abs(ev.real))):
        ev = ev.real
    w = np.ones(J.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    a = np.abs(V) * w[:, None]
    tot = np.sum(a, axis=0)
    tot[tot == 0] = 1.0
    if mass_components is None:
        share = None
        physical = np.ones(len(ev), dtype=bool)
    else:
        share = np.sum(a[list(mass_components)], axis=0) / tot
        physical = share >= min_mass_share
    re = np.real(ev)
    rel = [i for i in range(len(ev)) if re[i] < 0]  # ascending: most relevant first
    rel_phys = [i for i in rel if physical[i]]
    irr_phys = [i for i in range(len(ev)) if re[i] > 0 and physical[i]]
    nu = -1.0 / re[rel_phys[0]] if rel_phys else float("nan")
    omega = float(re[irr_phys[0]]) if irr_phys else float("nan")
    info = {"relevant": [float(-re[i]) for i in rel],
            "relevant_mass_share": None if share is None else [float(share[i]) for i in rel],
            "n_relevant_physical": len(rel_phys),
            "min_mass_share": min_mass_share if share is not None else None}
    return ev, float(nu), float(omega), info


def exponents_from_matrix(J: np.ndarray):
    """Eigenvalues (ascending), nu and omega from a stability matrix (``classify_spectrum``
    with unit weights)."""
    ev, nu, omega, _ = classify_spectrum(J)
    return ev, nu, omega


def _t_derivs(poles, w: float, jmax: int):
    """t^(j)(w) for j = 0..jmax of t(w) = sum a/(b + c w)."""
    a, b, c = poles
    D = b + c * w
    return [float(np.sum(a * (-c) ** j * factorial(j) / D ** (j + 1))) for j in range(jmax + 1)]


def lowest_order_seed(d: float, n: int, poles):
    """Closed-form reduction of the order-2 truncation about the minimum.

    With u = (lambda_2/2)(r - r_0)^2 the equations beta' = beta'' = 0 at r_0 give
    r_0 = -[(n-1) t'(0) + 3 t'(s)]/(d-2), lambda_2 = (4-d)/[(n-1) t''(0) + 9 t''(s)] with
    s = 2 r_0 lambda_2, and s solves s = 2 r_0(s) lambda_2(s). (Litim, d = 3, n = 1:
    t = 1/(1+w) gives s = 1/2, r_0 = 4/3, lambda_2 = 3/16 exactly.) Returns [r_0, lambda_2].
    """
    if not 2 < d < 4:
        raise ValueError(f"the LPA has a non-Gaussian (Wilson-Fisher) fixed point for 2 < d < 4 "
                         f"only; got d = {d}")

    def parts(s):
        t0 = _t_derivs(poles, 0.0, 2)
        ts = _t_derivs(poles, s, 2)
        r0 = -((n - 1) * t0[1] + 3 * ts[1]) / (d - 2)
        lam2 = (4 - d) / ((n - 1) * t0[2] + 9 * ts[2])
        return r0, lam2

    def g(s):
        r0, lam2 = parts(s)
        return s - 2 * r0 * lam2

    grid = np.concatenate([np.linspace(1e-6, 1, 200), np.geomspace(1.0, 1e3, 200)[1:]])
    vals = np.array([g(s) for s in grid])
    idx = np.where(np.sign(vals[:-1]) != np.sign(vals[1:]))[0]
    if not len(idx):
        raise NumericalError("no Wilson-Fisher seed found: the order-2 reduction "
                             "s = 2 r_0(s) lambda_2(s) has no root for s in (0, 1000]",
                             "try --method shooting (or another --regulator)")
    i = idx[0]
    s = brentq(g, grid[i], grid[i + 1], xtol=1e-15, rtol=1e-15)
    r0, lam2 = parts(s)
    return np.array([r0, lam2])


def window_weights(p: np.ndarray, about_minimum: bool, radius: float):
    """Weights that make the polynomial fixed-point problem scale-free (``newton``).

    The equations F_j = beta^(j)(r_e) (j = 1..M, r_e the expansion point) get the weight
    radius^j / j!, so that sum_j |F_j| w_j bounds |beta(r) - beta(r_e)| on the window
    |r - r_e| <= radius: the j! that the j-th derivative carries (and the growth of the
    derivatives with j) no longer decides convergence, which an absolute tolerance on F_j did
    (it stopped the continuation at order 16). The unknowns lambda_j = u^(j)(r_e) get
    radius^(j-1)/(j-1)! (their contribution to u'(r) on the window) and the minimum r_0 the
    weight lambda_2 (the shift of u' it causes), so that a scaled step bounds the change of
    u'(r) on the window.
    """
    M = len(p)
    f_w = np.array([radius**j / factorial(j) for j in range(1, M + 1)])
    if about_minimum:  # p = [r0, lambda_2, ..., lambda_M]
        x_w = np.array([abs(p[1]) if M > 1 else 1.0]
                       + [radius ** (j - 1) / factorial(j - 1) for j in range(2, M + 1)])
    else:  # p = [lambda_1, ..., lambda_M]
        x_w = np.array([radius ** (j - 1) / factorial(j - 1) for j in range(1, M + 1)])
    return f_w, x_w


def _fixed_point_from(system: FixedPointSystem, p, method, regulator, convergence, diag,
                      radius):
    J = complex_step_jacobian(system.rhs, p)
    _, x_w = window_weights(p, system.about_minimum, radius)
    ev, nu, omega, info = classify_spectrum(J, weights=x_w, mass_components=(0, 1))
    if system.about_minimum:
        r0, curv = float(p[0]), float(p[1])
        coeffs_min = np.concatenate([[0.0, 0.0], p[1:]])  # derivatives u^(j)(r0), j = 0..M
    else:
        der0 = np.concatenate([[0.0], p])
        r0, curv = _minimum_of(der0)
        coeffs_min = None
    deriv_at = (lambda r: _poly_du(coeffs_min, r0, r)) if coeffs_min is not None else (
        lambda r: _poly_du(np.concatenate([[0.0], p]), 0.0, r))
    r = np.linspace(0, 3 * max(r0, 1e-3), 200)
    diag = dict(diag, spectrum=info)
    return FixedPoint(nu=float(nu), omega=float(omega), eigenvalues=ev, minimum=r0,
                      curvature=curv, couplings=np.asarray(p, dtype=float), method=method,
                      order=system.M, expand_about="minimum" if system.about_minimum else "zero",
                      dim=system.d, components=system.n, regulator=regulator,
                      potential=deriv_at, r=r, du=deriv_at(r), convergence=convergence,
                      diagnostics=diag, relevant=info["relevant"])


def _poly_du(der: np.ndarray, r0: float, r):
    """u'(r) of the polynomial with derivatives der[j] = u^(j)(r0)."""
    x = np.asarray(r, dtype=float) - r0
    return sum(der[j] * x ** (j - 1) / factorial(j - 1) for j in range(1, len(der)))


def _minimum_of(der0: np.ndarray):
    """Minimum r_0 >= 0 of a polynomial given by its derivatives at 0, and u'' there."""
    M = len(der0) - 1
    c = S.derivatives_to_taylor(der0)
    dpoly = np.polynomial.Polynomial(c).deriv()
    roots = [z.real for z in dpoly.roots() if abs(z.imag) < 1e-9 and z.real >= 0]
    dd = dpoly.deriv()
    roots = [z for z in roots if dd(z) > 0]
    if not roots:
        return 0.0, float(der0[2]) if M >= 2 else float("nan")
    r0 = min(roots)
    return float(r0), float(dd(r0))


def _record(fp: FixedPoint) -> dict:
    return {"order": fp.order, "nu": fp.nu, "omega": fp.omega, "minimum": fp.minimum,
            "curvature": fp.curvature, "kappa": fp.minimum, "lambda": fp.curvature,
            "relevant": list(fp.relevant)}


def polynomial_fixed_point(d, n, poles, order, expand_about="minimum", regulator="",
                           seed=None, tol=1e-15, floor_tol=1e-11):
    """Wilson-Fisher fixed point of the order-M truncation with exponents and the order sequence.

    Continuation in the order from the seed of ``lowest_order_seed`` (about the minimum); about
    zero, each order starts from the about-minimum solution at order max(M, 10) re-expanded at
    rho = 0 (the Gaussian point u = 0 would otherwise attract Newton).

    Convergence is judged on the scaled problem of ``window_weights`` (window radius: the
    current minimum r_0): after at least one Newton step, the bound on |beta(r)| over the
    window must fall below ``tol`` (the terms of beta are O(1): t(0) = 1 for Litim, so 1e-15
    is a few rounding units; the floor measured at orders 30-40 is ~1e-16), or the Newton step
    must stop changing u'(r) on the window beyond 1e-11 relative, or Newton must stall (no
    decrease possible) below ``floor_tol``. With it the continuation reaches order 40 and more
    in double precision (the top couplings are then poorly determined, but they change u' on
    the window by less than rounding, and nu, omega converge; docs/frg.md).

    In double precision the exponents reach a plateau (d = 3, Litim, n = 1: nu within 1e-11,
    omega within 1e-9 of the published values from order ~30 to ~42) and then drift as rounding
    takes over (4e-7 in nu at order 60; the plateau ends near order 34 for the exponential
    regulator): orders above ``MAX_RELIABLE_ORDER`` give a warning and a diagnostic.

    Raises ``NumericalError`` (an exit-1 failure, not bad input) if Newton fails, leaves the
    broken phase or lands on the Gaussian fixed point.
    """
    if order < 2:
        raise ValueError(f"order must be >= 2, got {order}")
    if order > MAX_RELIABLE_ORDER:
        warnings.warn(f"polynomial order {order} > {MAX_RELIABLE_ORDER}: double-precision "
                      f"rounding dominates the highest orders and the exponents drift (see "
                      f"'convergence'); orders 30-40 are the converged plateau", stacklevel=3)
    convergence = []
    hint = ("try a lower --order, or --method shooting / grid for an independent solution")
    if expand_about == "minimum":
        p = lowest_order_seed(d, n, poles) if seed is None else np.asarray(seed, float)
        radius = float(p[0])
        start = len(p)
        fp = None
        for M in range(start, order + 1):
            if len(p) < M:
                p = np.concatenate([p, np.zeros(M - len(p))])
            system = FixedPointSystem(M, d, n, poles, "minimum")
            radius = float(p[0])
            f_w, x_w = window_weights(p, True, radius)
            p, ok, it, res = newton(system.equations, p, tol=tol, f_scale=f_w, x_scale=x_w,
                                    min_iter=1, floor_tol=floor_tol)
            if not ok:
                raise NumericalError(f"polynomial fixed point: Newton did not converge at order "
                                     f"{M} (scaled residual {res:.2e})", hint)
            if p[0] <= 0 or p[1] <= 0:
                raise NumericalError(f"polynomial fixed point: Newton left the broken-phase "
                                     f"solution at order {M}", hint)
            fp = _fixed_point_from(system, p, "polynomial", regulator, convergence,
                                   {"newton_iterations": it, "scaled_residual": res,
                                    "tolerance": tol, "floor_tolerance": floor_tol, "window_radius": radius,
                                    "seed": "order-2 closed form, continuation in the order",
                                    "beyond_reliable_order": order > MAX_RELIABLE_ORDER},
                                   radius)
            convergence.append(_record(fp))
        return fp
    if expand_about != "zero":
        raise ValueError(f"expand_about must be 'minimum' or 'zero', got {expand_about!r}")
    ref = polynomial_fixed_point(d, n, poles, max(order, 10), "minimum", regulator)
    der_min = np.concatenate([[0.0, 0.0], ref.couplings[1:]])
    der0 = S.reexpand(der_min, -ref.minimum)
    radius = float(ref.minimum)
    fp = None
    for M in range(2, order + 1):
        system = FixedPointSystem(M, d, n, poles, "zero")
        p = der0[1:M + 1].copy()
        f_w, x_w = window_weights(p, False, radius)
        p, ok, it, res = newton(system.equations, p, tol=tol, f_scale=f_w, x_scale=x_w,
                                min_iter=1, floor_tol=floor_tol)
        if not ok:
            continue
        if np.max(np.abs(p)) < 1e-8:
            raise NumericalError(f"polynomial fixed point about zero: Newton fell onto the "
                                 f"Gaussian fixed point at order {M}",
                                 "expand about the minimum (--expand-about minimum)")
        fp = _fixed_point_from(system, p, "polynomial", regulator, convergence,
                               {"newton_iterations": it, "scaled_residual": res,
                                "tolerance": tol, "floor_tolerance": floor_tol, "window_radius": radius,
                                "seed": f"about-minimum solution of order {max(order, 10)} "
                                        "re-expanded at rho = 0"}, radius)
        convergence.append(_record(fp))
    if fp is None or fp.order != order:
        raise NumericalError(f"no polynomial fixed point found about zero at order {order}",
                             "expand about the minimum (--expand-about minimum) or lower --order")
    return fp
