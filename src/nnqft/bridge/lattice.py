"""Finite data sets: lattice mode counts and the mode-sum Litim flow (docs/theory.md#finite-data-sets).

[ELS] ("Area vs Radius") note that a finite input set resolves only finitely many momenta.
Inputs on a cubic lattice of spacing a_0 with N_0 points on each side of the origin (2 N_0 per
axis, at half-integer multiples of a_0 as the [ELS] inputs +-0.002, +-0.006, +-0.01 with
a_0 = 0.004, N_0 = 3) span a box L = 2 a_0 N_0. The available momenta are p = 2 pi n / L with
n in Z^d and |p_i| <= pi / a_0, i.e. -N_0 < n_i <= N_0 per axis: the 2 N_0 independent
Fourier modes of 2 N_0 points (the two ends +-N_0 of the Brillouin zone are the same mode and
are counted once).

- :func:`mode_count`: the number of lattice momenta with |p| <= k, against the continuum
  count v_d (k L)^d (the volume of the k-ball times L^d / (2 pi)^d).
- :func:`mode_sum_flow`: the dimensionful Litim LPA flow (Z = p^2, set-up (b)) with the loop
  integral int d^dp/(2 pi)^d replaced by the mode sum (1/L^d) sum_n. With the Litim regulator
  the integrand is constant for |p| < k, so the flow becomes
  d_t U = (N(k) / L^d) k^2 / (k^2 + U'') instead of v_d k^d k^2 / (k^2 + U''): the continuum
  right-hand side times w(k) = N(k) / (L^d v_d k^d). The zero mode p = 0 is always inside the
  Litim window; ``zero_mode="include"`` (default) counts it, ``"exclude"`` drops it (then
  nothing flows below the first nonzero shell 2 pi / L). N(k) jumps at the shell radii, so the
  flow is integrated piecewise between shells (Radau on each smooth piece).

With the [ELS] inputs the first nonzero mode, 2 pi / 0.024 = 262, lies above k = 100, so only the
zero mode counts; lattices that resolve mu (a_0 mu <= 0.5, L mu >= 20) are also provided
(:func:`resolving_lattice`).
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np

__all__ = ["Lattice", "resolving_lattice", "ELS_LATTICE", "mode_count", "continuum_count",
           "mode_sum_flow"]


class Lattice:
    """Input lattice: spacing ``a0``, ``n0`` points on each side of the origin per axis, dim d."""

    def __init__(self, a0: float, n0: int, d: int = 1):
        if not (a0 > 0 and math.isfinite(a0)):
            raise ValueError(f"a0 must be a positive number, got {a0!r}")
        if int(n0) < 1 or int(d) < 1:
            raise ValueError("n0 and d must be positive integers")
        self.a0, self.n0, self.d = float(a0), int(n0), int(d)

    @property
    def L(self) -> float:
        return 2.0 * self.a0 * self.n0

    @property
    def points(self) -> np.ndarray:
        """The inputs: (n + 1/2) a0 for n = -n0..n0-1 per axis, shape ((2 n0)^d, d)."""
        axis = (np.arange(-self.n0, self.n0) + 0.5) * self.a0
        return np.array(list(product(axis, repeat=self.d)))

    def momenta_norms(self) -> np.ndarray:
        """|p| of every lattice momentum (n_i in (-n0, n0]), sorted."""
        n = np.arange(-self.n0 + 1, self.n0 + 1)
        grids = np.meshgrid(*([n] * self.d), indexing="ij")
        n2 = sum(g.astype(float) ** 2 for g in grids).ravel()
        return np.sort(2 * math.pi / self.L * np.sqrt(n2))

    def __repr__(self) -> str:
        return f"Lattice(a0={self.a0:g}, n0={self.n0}, d={self.d}, L={self.L:g})"


#: The [ELS] inputs +-0.002, +-0.006, +-0.01 as a lattice.
ELS_LATTICE = Lattice(0.004, 3, 1)


def resolving_lattice(mu: float, d: int = 1, a0_mu: float = 0.5, L_mu: float = 20.0) -> Lattice:
    """Smallest lattice with a_0 mu <= a0_mu and L mu >= L_mu."""
    a0 = a0_mu / mu
    n0 = math.ceil(L_mu / (2 * a0 * mu) - 1e-12)
    return Lattice(a0, n0, d)


def mode_count(lat: Lattice, k, zero_mode: str = "include") -> np.ndarray:
    """Number of lattice momenta with |p| <= k (array over k)."""
    if zero_mode not in ("include", "exclude"):
        raise ValueError("zero_mode must be 'include' or 'exclude'")
    norms = lat.momenta_norms()
    k = np.asarray(k, dtype=float)
    cnt = np.searchsorted(norms, k * (1 + 1e-12), side="right")
    return cnt - (1 if zero_mode == "exclude" else 0)


def continuum_count(lat: Lattice, k) -> np.ndarray:
    """v_d (k L)^d: the continuum number of modes inside radius k."""
    from ..frg import v_d

    return v_d(lat.d) * (np.asarray(k, dtype=float) * lat.L) ** lat.d


def mode_sum_flow(lat: Lattice, initial: dict, k_span=(1e-10, 100.0), *,
                  zero_mode: str = "include", order: int | None = None,
                  blowup_threshold: float = 1e6, rtol: float = 1e-8, atol: float = 1e-10,
                  n_points: int = 60):
    """Litim LPA flow (Z = p^2, polynomial about phi = 0) with the lattice mode sum.

    ``initial``: {"u2", "u4", "u6", ...} (canonical set-up (b) couplings). Returns a
    :class:`nnqft.frg.FlowResult` assembled from the smooth pieces between mode shells (status
    ``"diverged"`` with ``k_star`` if a piece diverges).
    """
    from ..frg import LPA, FlowResult, v_d
    from ..frg.flow import integrate_polynomial
    from ..frg.polynomial import DimensionfulSystem, phi_to_rho, rho_to_phi

    names_in = sorted(initial, key=lambda s: int(s[1:]))
    u = np.array([initial[n] for n in names_in], dtype=float)
    M = len(u) if order is None else int(order)
    u = np.concatenate([u, np.zeros(max(0, M - len(u)))])[:M]
    names = [f"u{2 * j}" for j in range(1, M + 1)]
    lpa = LPA(dim=lat.d, components=1, regulator="litim")
    vd = v_d(lat.d)
    k0, k1 = map(float, k_span)
    norms = lat.momenta_norms()
    if zero_mode == "exclude":
        norms = norms[1:]
    shells = np.unique(norms[(norms > k0) & (norms < k1)])
    edges = np.concatenate([[k0], shells, [k1]])
    u_phi = u.copy()  # current couplings in the phi convention (kept exact where nothing flows)
    y = phi_to_rho(u)
    ks, vals = [], []
    status, k_star, message = "completed", None, "reached the end of k_span"
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        n_modes = int(mode_count(lat, 0.5 * (a + b), zero_mode))
        if n_modes == 0:  # nothing flows on this piece
            ks.append(np.array([a, b]))
            vals.append(np.array([u_phi] * 2))
            continue

        def poles(k, n_modes=n_modes):
            A, B, C = lpa.poles_at(k)
            return A * (n_modes / (lat.L**lat.d * vd * k**lat.d)), B, C

        system = DimensionfulSystem(M, lat.d, 1, poles, vd, "zero")
        res = integrate_polynomial(system, y, (a, b), to_output=lambda yy, s: rho_to_phi(yy),
                                   names=names, blowup_index=1 if M >= 2 else 0,
                                   blowup_threshold=blowup_threshold, rtol=rtol, atol=atol,
                                   n_points=max(3, n_points // len(edges)))
        ks.append(res.k)
        vals.append(res.values)
        if res.status != "completed":
            status, k_star, message = res.status, res.k_star, res.message
            break
        u_phi = res.values[-1]
        y = phi_to_rho(u_phi)
    k = np.concatenate(ks)
    v = np.concatenate(vals)
    keep = np.concatenate([[True], np.diff(k) > 0])
    return FlowResult(k=k[keep], names=names, values=v[keep], status=status, k_star=k_star,
                      message=message, method="polynomial (lattice mode sum)",
                      diagnostics={"zero_mode": zero_mode, "L": lat.L, "a0": lat.a0,
                                   "n0": lat.n0, "n_shells": int(len(shells))})
