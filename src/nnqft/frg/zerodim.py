"""Zero dimensions: the exact benchmark of the Wetterich flow (docs/theory.md#zero-dimensions).

In d = 0 the field is one number and the effective action is known to machine precision:
Gamma = Legendre transform of W(J) = log int dphi exp(-S(phi) + J phi). The Wetterich flow with
R_k = k^2,

    d_k U_k(phi) = (1/2) d_k R_k / (R_k + U_k''(phi)) = k / (k^2 + U_k''(phi)),

started at U_Lambda = S + (1/2) ln(Lambda^2 + S'') (the one-loop term: U_Lambda = S alone is only
right up to ~S''/(2 Lambda^2)) carries U to Gamma at k = 0 up to O(lambda/Lambda^4) and an
additive constant. ``flow_effective_action`` solves it by the method of lines (finite
differences of order ``fd_order`` on a uniform grid on [-L, L], one-sided stencils of the same
order at the ends, Radau in k from Lambda to 0); ``exact_effective_action`` by quadrature and a
root of W'(J) = phi.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import logsumexp

from ..errors import NumericalError
from .finite_differences import fd_matrix  # re-exported: its home before frg.finite_differences

__all__ = ["QuarticAction", "exact_effective_action", "flow_effective_action", "compare",
           "fd_matrix"]


@dataclass(frozen=True)
class QuarticAction:
    """S(phi) = m2 phi^2/2 + lam phi^4/4! (lam > 0 for a normalisable measure)."""

    m2: float
    lam: float

    def __post_init__(self):
        if not self.lam > 0:
            raise ValueError(f"QuarticAction: lam must be > 0 (normalisable), got {self.lam}")

    def S(self, phi):
        return self.m2 * phi**2 / 2 + self.lam * phi**4 / 24

    def d2S(self, phi):
        return self.m2 + self.lam * phi**2 / 2


def exact_effective_action(phi, action: QuarticAction, n_quad: int = 6001,
                           span: float | None = None) -> np.ndarray:
    """Gamma(phi) = sup_J [J phi - W(J)] with W by trapezoidal quadrature (spectrally accurate
    for this smooth, super-exponentially decaying integrand) and Brent's method on W'(J) = phi."""
    phi = np.atleast_1d(np.asarray(phi, dtype=float))
    if span is None:
        span = 4.0 * max(1.0, float(np.max(np.abs(phi)))) + 10.0
    x = np.linspace(-span, span, n_quad)
    h = x[1] - x[0]
    Sx = action.S(x)

    def moments(J):
        e = -Sx + J * x
        lw = logsumexp(e) + np.log(h)
        p = np.exp(e - lw) * h
        mean = float(np.sum(p * x))
        var = float(np.sum(p * (x - mean) ** 2))
        return lw, mean, var

    from scipy.optimize import brentq

    out = np.empty_like(phi)
    for i, target in enumerate(phi):
        # W'(J) = <phi>_J increases monotonically: bracket, then Brent to full precision
        lo, hi = -1.0, 1.0
        while moments(lo)[1] > target:
            lo *= 2
        while moments(hi)[1] < target:
            hi *= 2
        J = brentq(lambda j, t=target: moments(j)[1] - t, lo, hi, xtol=1e-15, rtol=1e-15)
        W = moments(J)[0]
        out[i] = J * target - W
    return out


def flow_effective_action(action: QuarticAction, Lambda: float = 100.0, L: float = 8.0,
                          n_points: int = 321, fd_order: int = 8, rtol: float = 1e-11,
                          atol: float = 1e-12, one_loop_start: bool = True):
    """Flow U_k from k = Lambda to 0 on a grid of [-L, L]; returns (phi, Gamma(phi) = U_0).

    ``one_loop_start=False`` starts from U_Lambda = S (for comparison only: off by ~S''/(2 Lambda^2)).
    Boundary treatment: none imposed; U'' at the ends uses one-sided stencils of the same order.
    Where the potential is steep (large |phi|) U'' is large and the flow k/(k^2 + U'') small, so
    boundary errors stay there; keep the compared interval well inside [-L, L].
    """
    if not Lambda > 0:
        raise ValueError(f"Lambda must be > 0, got {Lambda}")
    phi = np.linspace(-L, L, n_points)
    from scipy import sparse

    D2 = sparse.csr_matrix(fd_matrix(phi, 2, fd_order))
    U0 = action.S(phi) + (0.5 * np.log(Lambda**2 + action.d2S(phi)) if one_loop_start else 0.0)
    if np.any(Lambda**2 + action.d2S(phi) <= 0):
        raise ValueError("Lambda^2 + S'' must be > 0 on the grid: raise Lambda")

    def rhs(k, U):
        return k / (k * k + D2 @ U)

    def jac(k, U):
        den = k * k + D2 @ U
        return sparse.diags(-k / den**2) @ D2

    def pole(k, U):
        return float(np.min(k * k + D2 @ U))

    pole.terminal = True
    sol = solve_ivp(rhs, (Lambda, 0.0), U0, method="Radau", jac=jac, rtol=rtol, atol=atol,
                    events=pole)
    if sol.status != 0:
        raise NumericalError(f"zero-dimensional flow stopped at k = {sol.t[-1]:.4g}: "
                             f"{sol.message}", "raise Lambda or L, or refine the grid")
    return phi, sol.y[:, -1]


def compare(action: QuarticAction, interval=(-2.0, 2.0), Lambda: float = 100.0, **kw) -> dict:
    """Max |Gamma_flow - Gamma_exact| on grid points of ``interval`` after removing the mean
    difference (the additive constant)."""
    phi, G = flow_effective_action(action, Lambda=Lambda, **kw)
    sel = (phi >= interval[0] - 1e-12) & (phi <= interval[1] + 1e-12)
    ex = exact_effective_action(phi[sel], action)
    diff = G[sel] - ex
    diff -= np.mean(diff)
    return {"max_abs_error": float(np.max(np.abs(diff))), "phi": phi[sel], "flow": G[sel],
            "exact": ex, "Lambda": Lambda, "interval": tuple(interval)}
