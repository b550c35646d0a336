"""Polynomial truncations of the LPA, derived mechanically by truncated power-series arithmetic.

The LPA flow of docs/theory.md#lpa-flow ([L01], [L02], [DUP]) is, for an O(n) field with
rho = phi^2/2,

    dimensionful:   d_t U  = v_d k^d [ (n-1) T_k(U') + T_k(U' + 2 rho U'') ]
    dimensionless:  d_t u  = -d u + (d-2) r u' + (n-1) t(u') + t(u' + 2 r u'')

with T_k and t sums of simple poles (see ``regulators``). Truncating U at order M in
x = rho - rho_0 (rho_0 = 0, or the running minimum rho_0) and Taylor-expanding the right-hand
side in x with ``series`` gives the flow of the derivatives lambda_j = U^(j)(rho_0) to any order
without typing in a single coefficient. About the running minimum (lambda_1 = 0):

    d_t rho_0 = -beta^(1)(rho_0) / lambda_2,
    d_t lambda_j = beta^(j)(rho_0) + lambda_(j+1) d_t rho_0     (lambda_(M+1) = 0),

where beta^(j) is the j-th derivative of the right-hand side at fixed rho. The field-independent
part of U (the vacuum energy) is never carried, so its eigenvalue (theta = d) never appears.

The [ELS] couplings of an n = 1 field, U = sum_j u_(2j) phi^(2j) / (2j)!, are related to the
rho-derivatives by lambda_j = u_(2j) / (2j - 1)!!  (phi^(2j)/(2j)! = rho^j / (j! (2j-1)!!)).
"""

from __future__ import annotations

from math import factorial

import numpy as np

from . import series as S

__all__ = ["beta_series", "phi_to_rho", "rho_to_phi", "FixedPointSystem", "DimensionfulSystem"]


def _double_factorial_odd(j: int) -> float:
    """(2j - 1)!! with (-1)!! = 1."""
    out = 1.0
    for i in range(1, 2 * j, 2):
        out *= i
    return out


def phi_to_rho(u: np.ndarray) -> np.ndarray:
    """[u_2, u_4, ..., u_2M] (phi convention) -> [lambda_1, ..., lambda_M] (rho derivatives at 0)."""
    u = np.asarray(u)
    return np.array([u[j - 1] / _double_factorial_odd(j) for j in range(1, len(u) + 1)],
                    dtype=u.dtype)


def rho_to_phi(params: np.ndarray) -> np.ndarray:
    """[lambda_1, ..., lambda_M] -> [u_2, ..., u_2M]."""
    params = np.asarray(params)
    return np.array([params[j - 1] * _double_factorial_odd(j) for j in range(1, len(params) + 1)],
                    dtype=params.dtype)


def beta_series(c: np.ndarray, rho0, n: int, poles, d: float | None = None):
    """Series in x = rho - rho0 of the loop part (and, if ``d`` is given, the scaling part).

    Parameters
    ----------
    c : (M+1,) Taylor coefficients of U (or u) about rho0 (c[0] is irrelevant).
    rho0 : expansion point.
    n : number of field components.
    poles : (a, b, c) of the threshold function.
    d : None for the dimensionful loop term (n-1) T(U') + T(U' + 2 rho U''); a number to add
        the dimensionless scaling terms -d u + (d - 2) r u'.

    Returns
    -------
    series : (M+1,) Taylor coefficients of the right-hand side; D_min : the smallest denominator
    b_i + c_i m0 relative to b_i among both propagators (a pole of the flow when it reaches 0).
    """
    a, b, cc = poles
    up = S.deriv(c)
    upp = S.deriv(up)
    r = np.zeros_like(c)
    r[0] = rho0
    if len(r) > 1:
        r[1] = 1.0
    radial = up + 2.0 * S.mul(r, upp)
    out, D1 = S.compose_poles(radial, a, b, cc)
    Dmin = np.min(np.real(D1) / b)
    if n != 1:
        g, D2 = S.compose_poles(up, a, b, cc)
        out = out + (n - 1) * g
        Dmin = min(Dmin, np.min(np.real(D2) / b))
    if d is not None:
        out = out - d * c + (d - 2) * S.mul(r, up)
    return out, Dmin


def _coeffs_from_derivs(params: np.ndarray, M: int, about_minimum: bool) -> np.ndarray:
    """Taylor coefficients c[0..M] from the parameter vector (see the classes)."""
    c = np.zeros(M + 1, dtype=params.dtype)
    if about_minimum:  # params = [rho_0, lambda_2..lambda_M]
        for j in range(2, M + 1):
            c[j] = params[j - 1] / factorial(j)
    else:  # params = [lambda_1..lambda_M]
        for j in range(1, M + 1):
            c[j] = params[j - 1] / factorial(j)
    return c


def _vector_field(beta, params, M, about_minimum):
    """d_t of the parameters from the beta series (see the module docstring)."""
    der = beta * np.array([factorial(j) for j in range(M + 1)], dtype=float)
    if not about_minimum:
        return der[1:]
    lam2 = params[1]
    dk = -der[1] / lam2
    out = np.empty(M, dtype=np.result_type(der, params))
    out[0] = dk
    for j in range(2, M + 1):
        nxt = params[j] if j < M else 0.0
        out[j - 1] = der[j] + nxt * dk
    return out


class FixedPointSystem:
    """The dimensionless polynomial system of order M (docs/theory.md#dimensionless-flow).

    Parameters are ``[rho_0, lambda_2, ..., lambda_M]`` about the minimum rho_0 or
    ``[lambda_1, ..., lambda_M]`` about zero, lambda_j = u^(j) at the expansion point, in the units
    U = v_d k^d u, rho = v_d k^(d-2) r.
    """

    def __init__(self, M: int, d: float, n: int, poles, expand_about: str = "minimum"):
        self.M, self.d, self.n, self.poles = int(M), float(d), int(n), poles
        self.about_minimum = expand_about == "minimum"

    def beta(self, params):
        c = _coeffs_from_derivs(np.asarray(params), self.M, self.about_minimum)
        rho0 = params[0] if self.about_minimum else 0.0
        return beta_series(c, rho0, self.n, self.poles, d=self.d)

    def equations(self, params):
        """Fixed-point equations beta^(j)(rho0) = 0, j = 1..M (no division by lambda_2)."""
        b, _ = self.beta(params)
        return b[1:] * np.array([factorial(j) for j in range(1, self.M + 1)], dtype=float)

    def rhs(self, params):
        """d_t of the parameters (the vector field whose Jacobian is the stability matrix)."""
        b, _ = self.beta(params)
        return _vector_field(b, np.asarray(params), self.M, self.about_minimum)


class DimensionfulSystem:
    """Dimensionful polynomial flow d/dt (t = ln k) of order M.

    Parameters ``[lambda_1..lambda_M]`` (about zero) or ``[rho_0, lambda_2..lambda_M]`` (about the
    running minimum), lambda_j = U^(j)(rho_0). ``pole_fn(k)`` gives the dimensionful poles.
    """

    def __init__(self, M: int, d: float, n: int, pole_fn, vd: float, expand_about: str = "zero"):
        self.M, self.d, self.n, self.pole_fn, self.vd = int(M), float(d), int(n), pole_fn, vd
        self.about_minimum = expand_about == "minimum"

    def rhs_and_denominator(self, t, params):
        k = float(np.exp(t))
        params = np.asarray(params)
        c = _coeffs_from_derivs(params, self.M, self.about_minimum)
        rho0 = params[0] if self.about_minimum else 0.0
        b, Dmin = beta_series(c, rho0, self.n, self.pole_fn(k))
        b = b * (self.vd * k**self.d)
        return _vector_field(b, params, self.M, self.about_minimum), Dmin

    def rhs(self, t, params):
        return self.rhs_and_denominator(t, params)[0]

    def jac(self, t, params):
        """Jacobian by complex step (exact to rounding: every formula is holomorphic)."""
        return complex_step_jacobian(lambda x: self.rhs(t, x), params)


def complex_step_jacobian(f, x, h: float = 1e-30) -> np.ndarray:
    """J_ij = Im f_i(x + i h e_j) / h."""
    x = np.asarray(x, dtype=float)
    cols = []
    for j in range(len(x)):
        xc = x.astype(complex)
        xc[j] += 1j * h
        cols.append(np.imag(f(xc)) / h)
    return np.array(cols).T
