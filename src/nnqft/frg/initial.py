"""Initial conditions of polynomial and grid flows: parsing and checking (``LPA.flow``).

Two parametrisations of a polynomial potential (docs/frg.md):

- about phi = 0, the [ELS] couplings U = sum_j u_(2j) phi^(2j) / (2j)!: a list
  ``[u2, u4, ..., u2M]`` or a mapping ``{"u2": .., "u4": ..}``;
- about the running minimum rho_0 of U(rho), rho = phi^2/2: a list ``[rho0, lambda2, ...,
  lambdaM]`` or a mapping ``{"rho0": .., "lambda2": ..}`` with lambda_j = U^(j)(rho_0)
  (``"kappa"`` is accepted for ``"rho0"``: its name before the sextic coupling of the effective
  theory, also called kappa, made it ambiguous).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["check_order", "phi_couplings", "minimum_couplings"]


def check_order(order) -> int:
    """The polynomial order M as an int >= 2 (ValueError otherwise)."""
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 2:
        raise ValueError(f"order must be an integer >= 2, got {order!r}")
    return int(order)


def phi_couplings(initial) -> np.ndarray:
    """[u2, u4, ..., u2M] from a list or a mapping of [ELS] couplings (ValueError if malformed)."""
    if isinstance(initial, Mapping):
        keys = sorted(initial, key=lambda s: int(str(s)[1:]) if str(s)[1:].isdigit() else -1)
        bad = [k for k in keys if not (str(k).startswith("u") and str(k)[1:].isdigit()
                                       and int(str(k)[1:]) % 2 == 0 and int(str(k)[1:]) >= 2)]
        if bad:
            raise ValueError(f"initial couplings must be named u2, u4, u6, ...; got {bad}")
        M = max(int(str(k)[1:]) for k in keys) // 2
        u = np.zeros(M)
        for k_, v in initial.items():
            u[int(str(k_)[1:]) // 2 - 1] = float(v)
        return u
    u = np.asarray(initial, dtype=float).ravel()
    if len(u) < 1 or not np.all(np.isfinite(u)):
        raise ValueError("initial couplings must be a non-empty list of finite numbers")
    return u


def minimum_couplings(initial) -> np.ndarray:
    """[rho0, lambda2, ..., lambdaM] from a list or a mapping (ValueError if malformed)."""
    if isinstance(initial, Mapping):
        initial = dict(initial)
        if "rho0" not in initial and "kappa" in initial:
            initial["rho0"] = initial.pop("kappa")
        if "rho0" not in initial:
            raise ValueError("initial couplings about the minimum need 'rho0' (the minimum)")
        js = [int(k[6:]) for k in initial if k.startswith("lambda") and k[6:].isdigit()]
        if not js or min(js) < 2:
            raise ValueError("initial couplings about the minimum: rho0, lambda2, lambda3, ...")
        y = np.zeros(max(js))
        y[0] = float(initial["rho0"])
        for j in js:
            y[j - 1] = float(initial[f"lambda{j}"])
        return y
    y = np.asarray(initial, dtype=float).ravel()
    if len(y) < 2 or not np.all(np.isfinite(y)):
        raise ValueError("initial about the minimum: [rho0, lambda2, ...] (finite numbers)")
    return y
