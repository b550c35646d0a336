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
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp

from ..frg import zerodim
from .series import legendre_series, theory_cumulants
from .theory import OneInputTheory

__all__ = ["flow_vs_exact", "taylor_of_action", "truncated_flow", "truncation_table"]


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


def flow_vs_exact(theory: OneInputTheory, *, Lambda: float = 100.0, L_sigma: float = 12.0,
                  n_points: int = 481, fd_order: int = 6, compare_sigma: float = 2.0) -> dict:
    """Grid flow from the exact S at Lambda to k = 0 against the exact Gamma.

    The grid is [-L, L] with L = ``L_sigma`` sigma_f (sigma_f^2 = G2); Gamma is compared on
    |phi| <= ``compare_sigma`` sigma_f after removing the mean difference (additive constant).
    Returns max |Gamma_flow - Gamma_exact| and the curves.
    """
    s = math.sqrt(theory.G2)
    act = _GridAction(theory, L_sigma * s, n_points, fd_order)
    phi, G = zerodim.flow_effective_action(act, Lambda=Lambda, L=L_sigma * s, n_points=n_points,
                                           fd_order=fd_order)
    sel = np.abs(phi) <= compare_sigma * s + 1e-12
    ex = theory.gamma(phi[sel])
    d = G[sel] - ex
    d -= d.mean()
    return {"max_abs_error": float(np.max(np.abs(d))), "phi": phi[sel], "flow": G[sel] - G[sel].mean() + ex.mean(),
            "exact": ex, "S": act._S[sel], "S_err": act.S_err, "Lambda": Lambda,
            "interval": compare_sigma * s}


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


def _series_mul(a, b, n):
    return np.convolve(a, b)[: n + 1]


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
