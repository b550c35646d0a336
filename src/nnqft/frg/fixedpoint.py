"""Fixed points of the dimensionless LPA and their critical exponents ([L02], [DUP]).

Newton's method on the polynomial system, seeded so that it cannot collapse onto the Gaussian
fixed point: the lowest truncation about the minimum (order 2) is solved as one scalar equation
for s = 2 kappa lambda whose only roots are non-trivial (the Gaussian point has kappa = 0, which
that reduction excludes), and each higher order starts from the previous solution (continuation
in the order). Expansions about rho = 0 start from the converged about-minimum potential
re-expanded at rho = 0, never from zero.

Exponents: the eigenvalues of the stability matrix dG/dp of the flow of the parameters p at the
fixed point are -theta_i; the vacuum energy is not a parameter, so its mode (theta = d) is
excluded by construction. nu = 1/theta_1 for the one relevant Z2-even direction, and omega is
the smallest positive eigenvalue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import factorial

import numpy as np
from scipy.optimize import brentq

from . import series as S
from .polynomial import FixedPointSystem, complex_step_jacobian

__all__ = ["FixedPoint", "newton", "polynomial_fixed_point", "exponents_from_matrix"]


@dataclass
class FixedPoint:
    """A non-Gaussian fixed point of the dimensionless LPA and its exponents.

    Attributes
    ----------
    nu, omega : critical exponents (nu = -1/e_0 for the one negative eigenvalue e_0; omega the
        smallest positive eigenvalue).
    eigenvalues : eigenvalues of the stability matrix (= -theta), ascending by real part, vacuum
        mode excluded. Real when the imaginary parts vanish to 1e-10, complex otherwise.
    kappa : the minimum r_0 of u(r); lam : u''(kappa). Units U = v_d k^d u, rho = v_d k^(d-2) r
        (divided by Z0 for P2Kinetic(Z0)).
    couplings : the parameter vector ([kappa, lambda_2..lambda_M] or [lambda_1..lambda_M]).
    potential : callable r -> u'(r) (the derivative of the fixed-point potential; for a grid
        the interpolant) and ``r``/``du`` arrays on a grid of [0, 3 kappa] for plotting.
    convergence : list of dicts {order, nu, omega, kappa, lambda} for each order reached (for
        polynomial methods), so that convergence with the order can be read off.
    method, order, expand_about, dim, components, regulator : how it was obtained.
    """

    nu: float
    omega: float
    eigenvalues: np.ndarray
    kappa: float
    lam: float
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

    @property
    def theta(self) -> np.ndarray:
        """Critical exponents theta_i = -eigenvalues."""
        return -self.eigenvalues

    def to_dict(self) -> dict:
        """JSON-ready summary (the ``nnqft frg exponents`` contract plus extras).

        ``eigenvalues`` are the real parts (ascending); ``eigenvalues_imag`` the imaginary parts
        (high-order truncations have complex pairs far in the irrelevant spectrum).
        """
        ev = np.asarray(self.eigenvalues)
        return {"nu": self.nu, "omega": self.omega,
                "eigenvalues": [float(x) for x in np.real(ev)],
                "eigenvalues_imag": [float(x) for x in np.imag(ev)],
                "fixed_point": {"kappa": self.kappa, "lambda": self.lam},
                "method": self.method, "order": self.order, "expand_about": self.expand_about,
                "dim": self.dim, "components": self.components, "regulator": self.regulator,
                "couplings": [float(x) for x in self.couplings],
                "convergence": self.convergence}


def newton(f, x0, tol: float = 1e-13, max_iter: int = 100, jac=None):
    """Damped Newton with a complex-step Jacobian and backtracking on |f|.

    Converged when |f| < tol or when the Newton step is below 1e-11 relative to |x| (the
    equations of high orders carry j! factors, so |f| alone is not scale-free).
    Returns (x, converged, iterations, |f|).
    """
    x = np.asarray(x0, dtype=float).copy()
    jac = jac or (lambda z: complex_step_jacobian(f, z))
    fx = np.real(f(x))
    nrm = np.linalg.norm(fx)
    if not np.isfinite(nrm):
        return x, False, 0, nrm
    for it in range(1, max_iter + 1):
        J = jac(x)
        try:
            step = np.linalg.solve(J, -fx)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(J, -fx, rcond=None)[0]
        small = np.linalg.norm(step) <= 1e-11 * (1 + np.linalg.norm(x))
        alpha = 1.0
        while True:
            xn = x + alpha * step
            with np.errstate(all="ignore"):
                fn = np.real(f(xn))
            nn = np.linalg.norm(fn)
            if np.isfinite(nn) and (nn < nrm * (1 - 1e-4 * alpha) or nn == 0):
                break
            alpha *= 0.5
            if alpha < 1e-6:
                return x, bool(small or nrm < tol), it, nrm
        x, fx, nrm = xn, fn, nn
        if nrm < tol or small:
            return x, True, it, nrm
    return x, nrm < tol, max_iter, nrm


def exponents_from_matrix(J: np.ndarray):
    """Eigenvalues (ascending), nu and omega from a stability matrix."""
    ev = np.linalg.eigvals(J)
    ev = ev[np.argsort(ev.real)]
    if np.all(np.abs(ev.imag) <= 1e-10 * (1 + np.abs(ev.real))):
        ev = ev.real
    neg = [e for e in np.real(ev) if e < 0]
    pos = [e for e in np.real(ev) if e > 0]
    nu = -1.0 / max(neg) if neg else float("nan")
    if len(neg) > 1:  # the relevant Z2-even one is the least negative beyond the mass? keep -1/max
        nu = -1.0 / max(neg)
    omega = min(pos) if pos else float("nan")
    return ev, nu, omega


def _t_derivs(poles, w: float, jmax: int):
    """t^(j)(w) for j = 0..jmax of t(w) = sum a/(b + c w)."""
    a, b, c = poles
    D = b + c * w
    return [float(np.sum(a * (-c) ** j * factorial(j) / D ** (j + 1))) for j in range(jmax + 1)]


def lowest_order_seed(d: float, n: int, poles):
    """Closed-form reduction of the order-2 truncation about the minimum.

    With u = (lambda/2)(r - kappa)^2 the equations beta' = beta'' = 0 at kappa give
    kappa = -[(n-1) t'(0) + 3 t'(s)]/(d-2), lambda = (4-d)/[(n-1) t''(0) + 9 t''(s)] with
    s = 2 kappa lambda, and s solves s = 2 kappa(s) lambda(s). (Litim, d = 3, n = 1:
    t = 1/(1+w) gives s = 1/2, kappa = 4/3, lambda = 3/16 exactly.)
    """
    if not 2 < d < 4:
        raise ValueError(f"the LPA has a non-Gaussian (Wilson-Fisher) fixed point for 2 < d < 4 "
                         f"only; got d = {d}")

    def parts(s):
        t0 = _t_derivs(poles, 0.0, 2)
        ts = _t_derivs(poles, s, 2)
        kappa = -((n - 1) * t0[1] + 3 * ts[1]) / (d - 2)
        lam = (4 - d) / ((n - 1) * t0[2] + 9 * ts[2])
        return kappa, lam

    def g(s):
        kappa, lam = parts(s)
        return s - 2 * kappa * lam

    grid = np.concatenate([np.linspace(1e-6, 1, 200), np.geomspace(1.0, 1e3, 200)[1:]])
    vals = np.array([g(s) for s in grid])
    idx = np.where(np.sign(vals[:-1]) != np.sign(vals[1:]))[0]
    if not len(idx):
        raise ValueError("no Wilson-Fisher seed found at order 2")
    i = idx[0]
    s = brentq(g, grid[i], grid[i + 1], xtol=1e-15, rtol=1e-15)
    kappa, lam = parts(s)
    return np.array([kappa, lam])


def _fixed_point_from(system: FixedPointSystem, p, method, regulator, convergence, diag):
    J = complex_step_jacobian(system.rhs, p)
    ev, nu, omega = exponents_from_matrix(J)
    if system.about_minimum:
        kappa, lam = float(p[0]), float(p[1])
        coeffs_min = np.concatenate([[0.0, 0.0], p[1:]])  # derivatives u^(j)(kappa), j = 0..M
    else:
        der0 = np.concatenate([[0.0], p])
        kappa, lam = _minimum_of(der0)
        coeffs_min = None
    deriv_at = (lambda r: _poly_du(coeffs_min, kappa, r)) if coeffs_min is not None else (
        lambda r: _poly_du(np.concatenate([[0.0], p]), 0.0, r))
    r = np.linspace(0, 3 * max(kappa, 1e-3), 200)
    return FixedPoint(nu=float(nu), omega=float(omega), eigenvalues=ev, kappa=kappa, lam=lam,
                      couplings=np.asarray(p, dtype=float), method=method, order=system.M,
                      expand_about="minimum" if system.about_minimum else "zero",
                      dim=system.d, components=system.n, regulator=regulator,
                      potential=deriv_at, r=r, du=deriv_at(r), convergence=convergence,
                      diagnostics=diag)


def _poly_du(der: np.ndarray, r0: float, r):
    """u'(r) of the polynomial with derivatives der[j] = u^(j)(r0)."""
    x = np.asarray(r, dtype=float) - r0
    return sum(der[j] * x ** (j - 1) / factorial(j - 1) for j in range(1, len(der)))


def _minimum_of(der0: np.ndarray):
    """Minimum kappa >= 0 of a polynomial given by its derivatives at 0, and u'' there."""
    M = len(der0) - 1
    c = S.derivatives_to_taylor(der0)
    dpoly = np.polynomial.Polynomial(c).deriv()
    roots = [z.real for z in dpoly.roots() if abs(z.imag) < 1e-9 and z.real >= 0]
    dd = dpoly.deriv()
    roots = [z for z in roots if dd(z) > 0]
    if not roots:
        return 0.0, float(der0[2]) if M >= 2 else float("nan")
    kappa = min(roots)
    return float(kappa), float(dd(kappa))


def polynomial_fixed_point(d, n, poles, order, expand_about="minimum", regulator="",
                           seed=None, tol=1e-13):
    """Wilson-Fisher fixed point of the order-M truncation with exponents and the order sequence.

    Continuation in the order from the seed of ``lowest_order_seed`` (about the minimum); about
    zero, each order starts from the about-minimum solution at order max(M, 10) re-expanded at
    rho = 0 (the Gaussian point u = 0 would otherwise attract Newton). Raises ValueError if Newton
    fails or lands on the Gaussian fixed point.
    """
    if order < 2:
        raise ValueError(f"order must be >= 2, got {order}")
    convergence = []
    if expand_about == "minimum":
        p = lowest_order_seed(d, n, poles) if seed is None else np.asarray(seed, float)
        start = len(p)
        fp = None
        for M in range(start, order + 1):
            if len(p) < M:
                p = np.concatenate([p, np.zeros(M - len(p))])
            system = FixedPointSystem(M, d, n, poles, "minimum")
            p, ok, it, res = newton(system.equations, p, tol=tol)
            if not ok:
                raise ValueError(f"Newton did not converge at order {M} (|F| = {res:.2e})")
            if p[0] <= 0 or p[1] <= 0:
                raise ValueError(f"Newton left the broken-phase solution at order {M}")
            fp = _fixed_point_from(system, p, "polynomial", regulator, convergence,
                                   {"newton_iterations": it, "residual": res})
            convergence.append({"order": M, "nu": fp.nu, "omega": fp.omega,
                                "kappa": fp.kappa, "lambda": fp.lam})
        return fp
    if expand_about != "zero":
        raise ValueError(f"expand_about must be 'minimum' or 'zero', got {expand_about!r}")
    ref = polynomial_fixed_point(d, n, poles, max(order, 10), "minimum", regulator)
    der_min = np.concatenate([[0.0, 0.0], ref.couplings[1:]])
    der0 = S.reexpand(der_min, -ref.kappa)
    fp = None
    for M in range(2, order + 1):
        system = FixedPointSystem(M, d, n, poles, "zero")
        p = der0[1:M + 1].copy()
        p, ok, it, res = newton(system.equations, p, tol=tol)
        if not ok:
            continue
        if np.max(np.abs(p)) < 1e-8:
            raise ValueError(f"Newton fell onto the Gaussian fixed point at order {M}")
        fp = _fixed_point_from(system, p, "polynomial", regulator, convergence,
                               {"newton_iterations": it, "residual": res})
        convergence.append({"order": M, "nu": fp.nu, "omega": fp.omega,
                            "kappa": fp.kappa, "lambda": fp.lam})
    if fp is None or fp.order != order:
        raise ValueError(f"no fixed point found about zero at order {order}")
    return fp
