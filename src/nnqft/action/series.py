"""Power series of the one-input theory: cumulants, 1PI vertices, perturbative actions.

docs/action.md sections 3 and 5. At one input W(J) = sum_k G_2k,c J^2k / (2k)! with
G_2k,c the exact connected correlators; its Legendre transform has the vertex expansion
Gamma(phi) = sum_k Gamma_2k phi^2k / (2k)!, and by series reversion

    Gamma_2 = 1 / G2,   Gamma_4 = -G4c / G2^4,   Gamma_6 = -G6c / G2^6 + 10 G4c^2 / G2^7,
    Gamma_8 = -(G8c G2^2 - 56 G2 G4c G6c + 280 G4c^3) / G2^10.

The perturbative (Edgeworth) action from G2, G4c, G6c: with sigma^2 = G2, x = f / sigma,
a = G4c / (24 sigma^4) = O(1/N) and b = G6c / (720 sigma^6) = O(1/N^2),

    p(f) = N(f; 0, G2) [1 + a He4(x) + b He6(x) + (a^2 / 2) He8(x) + O(N^-3)],

so S - S(0) = x^2 / 2 - [a (He4(x) - 3)]                                      (order 1/N)
            - [b (He6(x) + 15) + (a^2 / 2) (He8(x) - 105) - (a^2 / 2)(He4(x)^2 - 9)]   (1/N^2)

(He_n: probabilists' Hermite polynomials; He4(0) = 3, He6(0) = -15, He8(0) = 105).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import hermite_e as H

__all__ = ["cumulants_from_moments", "legendre_series", "vertices_from_cumulants",
           "perturbative_action", "theory_cumulants"]


def _series_log(m: np.ndarray) -> np.ndarray:
    """Coefficients of log(sum m_n a^n) (m_0 = 1) up to the same order."""
    n = len(m)
    out = np.zeros(n)
    for k in range(1, n):
        out[k] = (k * m[k] - sum(j * out[j] * m[k - j] for j in range(1, k))) / k
    return out


def cumulants_from_moments(mu: np.ndarray, sigma_w: float, sigma_b: float, N: int,
                           max_order: int) -> dict[int, float]:
    """G_2k,c at one input from the moments mu_n = E[h^2n] of one neuron (exact series).

    W(J) = sigma_b^2 J^2 / 2 + N log M(c J^2), M(a) = sum_n mu_n a^n / n!, c = sigma_w^2/(2N).
    """
    K = max_order // 2
    m = np.array([mu[n] / math.factorial(n) for n in range(K + 1)], dtype=float)
    lg = _series_log(m)  # coefficients of a^k
    c = sigma_w**2 / (2 * N)
    out = {}
    for k in range(1, K + 1):
        coef = N * lg[k] * c**k  # coefficient of J^2k
        if k == 1:
            coef += sigma_b**2 / 2
        out[2 * k] = coef * math.factorial(2 * k)
    return out


def theory_cumulants(theory, max_order: int = 12) -> dict[int, float]:
    """G_2k,c of a :class:`~nnqft.action.theory.OneInputTheory` up to ``max_order``."""
    mu = theory.law.moments(max_order // 2)
    return cumulants_from_moments(mu, theory.net.sigma_w, theory.net.sigma_b, theory.N,
                                  max_order)


def legendre_series(G: dict[int, float], max_order: int) -> dict[int, float]:
    """Gamma_2k from G_2k,c by reversion of phi = W'(J) (numerical series arithmetic)."""
    K = max_order // 2
    # W'(J) = sum_k G_2k J^(2k-1) / (2k-1)!: odd series; invert J = sum_k a_k phi^(2k-1)
    wprime = np.zeros(2 * K + 1)
    for k in range(1, K + 1):
        wprime[2 * k - 1] = G[2 * k] / math.factorial(2 * k - 1)
    Jser = np.zeros(2 * K + 1)
    Jser[1] = 1 / wprime[1]
    for n in range(3, 2 * K + 1, 2):  # fix the coefficient of phi^n
        comp = _compose(wprime, Jser, 2 * K)
        Jser[n] = -comp[n] / wprime[1]
    # Gamma'(phi) = J(phi): Gamma_2k / (2k-1)! = coefficient of phi^(2k-1)
    return {2 * k: Jser[2 * k - 1] * math.factorial(2 * k - 1) for k in range(1, K + 1)}


def _compose(outer: np.ndarray, inner: np.ndarray, n: int) -> np.ndarray:
    """Coefficients of outer(inner(x)) up to x^n (inner has no constant term)."""
    res = np.zeros(n + 1)
    power = np.zeros(n + 1)
    power[0] = 1.0
    for k in range(1, len(outer)):
        power = np.convolve(power, inner)[: n + 1]
        res += outer[k] * power
    return res


def vertices_from_cumulants(G2: float, G4: float, G6: float, G8: float | None = None
                            ) -> dict[int, float]:
    """The closed forms of Gamma_2..Gamma_8 (module docstring)."""
    out = {2: 1 / G2, 4: -G4 / G2**4, 6: -G6 / G2**6 + 10 * G4**2 / G2**7}
    if G8 is not None:
        out[8] = -(G8 * G2**2 - 56 * G2 * G4 * G6 + 280 * G4**3) / G2**10
    return out


def perturbative_action(f, G2: float, G4: float, G6: float, order: int) -> np.ndarray:
    """S(f) - S(0) of the Edgeworth expansion at order 0 (Gaussian), 1 (1/N) or 2 (1/N^2)."""
    f = np.asarray(f, dtype=float)
    s = math.sqrt(G2)
    x = f / s
    S = x * x / 2
    if order == 0:
        return S
    a = G4 / (24 * s**4)
    he4 = H.hermeval(x, [0, 0, 0, 0, 1])
    S = S - a * (he4 - 3)
    if order == 1:
        return S
    if order != 2:
        raise ValueError(f"order must be 0, 1 or 2, got {order}")
    b = G6 / (720 * s**6)
    he6 = H.hermeval(x, [0] * 6 + [1])
    he8 = H.hermeval(x, [0] * 8 + [1])
    return S - (b * (he6 + 15) + a * a / 2 * (he8 - 105) - a * a / 2 * (he4**2 - 9))
