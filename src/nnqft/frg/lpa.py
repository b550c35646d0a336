"""The LPA facade: ``nnqft.frg.LPA(dim, components, regulator, kinetic)`` (design.md section 3)."""

from __future__ import annotations

import math

import numpy as np

from .fixedpoint import FixedPoint, polynomial_fixed_point
from .flow import FlowResult, integrate_polynomial
from .grid import grid_fixed_point, grid_flow
from .initial import check_order as _check_order
from .initial import minimum_couplings, phi_couplings
from .kinetic import Kinetic, as_kinetic
from .polynomial import (
    DimensionfulSystem,
    FixedPointSystem,
    complex_step_jacobian,
    phi_to_rho,
    rho_to_phi,
)
from .regulators import (
    check_regulator,
    dimensionful_poles,
    dimensionless_poles,
    threshold_function,
    v_d,
)

__all__ = ["LPA", "PhiFlowSystem", "phi_power_flow_system"]


class LPA:
    """Local potential approximation (eta = 0) for an O(n) scalar in d dimensions.

    Parameters
    ----------
    dim : real d >= 0.
    components : n >= 1 (n = 1: a single output; rho = phi^2/2).
    regulator : ``"litim"``, ``"exponential"``, ``"gaussian"`` (for Z = Z0 (p^2 + m2)) or
        ``"litim_spectral"`` (any monotone Z), docs/theory.md#regulators.
    kinetic : None (Z = p^2), ``P2Kinetic(Z0, m2)``, ``ExponentialKinetic(A, mu2)``, any
        ``Kinetic``, or a pair of callables (Z, dZ).

    Notes
    -----
    Flow (docs/theory.md#lpa-flow; [L01], [L02], [DUP]):
    d_t U = v_d k^d [(n-1) T_k(U') + T_k(U' + 2 rho U'')], T_k the regulator's threshold
    function (Litim: k^2 / (k^2 + m); litim_spectral: k^2 Z'(k^2) / (Z(k^2) + m)).
    """

    def __init__(self, dim: float = 3, components: int = 1, regulator: str = "litim",
                 kinetic=None):
        try:
            d = float(dim)
        except (TypeError, ValueError):
            raise ValueError(f"dim must be a real number >= 0, got {dim!r}") from None
        if not math.isfinite(d) or d < 0:
            raise ValueError(f"dim must be a real number >= 0, got {dim!r}")
        if isinstance(components, bool) or not isinstance(components, (int, np.integer)) \
                or components < 1:
            raise ValueError(f"components must be an integer >= 1, got {components!r}")
        self.dim = d
        self.components = int(components)
        self.kinetic: Kinetic = as_kinetic(kinetic)
        check_regulator(regulator, self.kinetic)
        self.regulator = regulator

    def __repr__(self) -> str:
        return (f"LPA(dim={self.dim:g}, components={self.components}, "
                f"regulator={self.regulator!r}, kinetic={self.kinetic!r})")

    # ----- dimensionless problem -------------------------------------------------------------
    def threshold(self, w, derivative: int = 0):
        """Dimensionless threshold function l(w) of this regulator (Z = p^2)."""
        return threshold_function(self.regulator, self.dim, w, derivative)

    def dimensionless_poles(self):
        """(a, b, c) with the dimensionless threshold function t(w) = sum a / (b + c w)."""
        return dimensionless_poles(self.regulator, self.kinetic, self.dim)

    def fixed_point_system(self, order: int, expand_about: str = "minimum") -> FixedPointSystem:
        """The dimensionless polynomial system (``.equations``, ``.rhs``, ``.beta``)."""
        _check_order(order)
        _check_about(expand_about)
        return FixedPointSystem(order, self.dim, self.components, self.dimensionless_poles(),
                                expand_about)

    def fixed_point(self, method: str = "polynomial", order: int = 16,
                    expand_about: str = "minimum", **kw) -> FixedPoint:
        """Wilson-Fisher fixed point and exponents.

        Parameters
        ----------
        method : ``"polynomial"`` (Newton on the order-M truncation, continuation in M),
            ``"grid"`` (Newton on a finite-difference grid in r; options ``n_points``,
            ``r_max``, ``fd_order``, ``seed`` = ``"quadratic"`` (default, independent of the
            polynomial method), ``"shooting"`` or ``"polynomial"``) or ``"shooting"`` (the
            fixed-point ODE for u'(r) shot from r = 0 in sigma = u'(0), eigenvalues by
            shooting the linearised problem; options ``bracket``, ``n_eigen``, ``rtol``,
            ``series_order``, ... of ``shooting.shooting_fixed_point``).
        order : truncation order M >= 2 (polynomial only; converged by 30-40 in double
            precision, a warning above ``fixedpoint.MAX_RELIABLE_ORDER`` = 40).
        expand_about : ``"minimum"`` (default) or ``"zero"`` (polynomial only).

        Returns
        -------
        FixedPoint (nu, omega, eigenvalues, every relevant theta, minimum, curvature,
        diagnostics). Raises ``ValueError`` for bad input and ``nnqft.errors.NumericalError``
        when the method fails on valid input (docs/frg.md#errors).
        """
        poles = self.dimensionless_poles()
        if method == "polynomial":
            _check_order(order)
            _check_about(expand_about)
            return polynomial_fixed_point(self.dim, self.components, poles, order, expand_about,
                                          regulator=self.regulator, **kw)
        if method == "grid":
            return grid_fixed_point(self, **kw)
        if method == "shooting":
            from .shooting import shooting_fixed_point

            return shooting_fixed_point(self.dim, self.components, poles, self.regulator, **kw)
        raise ValueError(f"unknown method {method!r}; choose polynomial, grid or shooting")

    # ----- dimensionful flows ----------------------------------------------------------------
    def poles_at(self, k):
        """(a, b, c) with the dimensionful threshold function T_k(m) = sum a / (b + c m) at k."""
        return dimensionful_poles(self.regulator, self.kinetic, self.dim, k)

    def flow_system(self, order: int, expand_about: str = "zero") -> DimensionfulSystem:
        """Dimensionful polynomial system d/dt, t = ln k, in rho-derivatives lambda_j."""
        _check_order(order)
        _check_about(expand_about)
        return DimensionfulSystem(order, self.dim, self.components, self.poles_at,
                                  v_d(self.dim), expand_about)

    def flow(self, initial, k_span, method: str = "polynomial", *, order: int | None = None,
             expand_about: str = "zero", blowup_threshold: float = 1e6,
             blowup_coupling: str | None = "auto", pole_tol: float = 1e-10, rtol: float = 1e-10,
             atol: float = 1e-12, n_points: int | None = None, solver: str = "Radau",
             **grid_options) -> FlowResult:
        """Integrate a dimensionful flow from ``k_span[0]`` to ``k_span[1]``.

        Parameters
        ----------
        initial : polynomial about zero: ``[u2, u4, ..., u2M]`` or ``{"u2": .., "u4": ..}`` with
            U = sum u_2j phi^(2j)/(2j)! ([ELS] convention, phi^2 = 2 rho for any n); about the
            minimum: ``[rho0, lambda2, ..., lambdaM]`` or ``{"rho0": .., "lambda2": ..}``
            (rho0 the minimum, lambda_j = U^(j)(rho0); ``"kappa"`` is accepted for ``"rho0"``);
            grid: a callable U'(rho) or ``{"u2":.., ...}`` (``frg.initial``).
        k_span : (k_start, k_end); polynomial flows may go either way, grid flows only down.
        n_points : polynomial: number of output scales (default 400); grid: number of grid
            points in rho (default 201; the output keeps 200 scales).
        method : ``"polynomial"`` or ``"grid"`` (grid options: ``rho_max``, ``n_points``,
            ``convexity_tol``).
        order : polynomial order M (default: the number of couplings given).
        blowup_threshold, blowup_coupling : the flow stops with status ``"diverged"`` and
            ``k_star`` when |coupling| passes the threshold (``"auto"``: u4 about zero, lambda2
            about the minimum; None: any coupling).
        pole_tol : the flow also stops when a denominator (Z(k^2) + U' + 2 rho U'')/Z(k^2)
            (relative) falls below this.

        Returns
        -------
        FlowResult (see its docstring for k_star).
        """
        if method == "grid":
            # the grid is a stiff system of n_points equations whose discretisation error
            # (~h^2, 1e-5 at 201 points) dwarfs a 1e-10 time tolerance: BDF runs at
            # min(1e4 rtol, 1e-6), and the diagnostics say so
            rtol_grid = min(rtol * 1e4, 1e-6)
            res = grid_flow(self, initial, k_span, rtol=rtol_grid, n_keep=200,
                            n_points=201 if n_points is None else n_points, **grid_options)
            res.diagnostics.update({"rtol": rtol_grid, "rtol_requested": rtol,
                                    "rtol_loosened": rtol_grid > rtol})
            return res
        if method != "polynomial":
            raise ValueError(f"unknown flow method {method!r}; choose polynomial or grid")
        n_points = 400 if n_points is None else n_points
        if grid_options:
            raise ValueError(f"unexpected options for a polynomial flow: {sorted(grid_options)}")
        _check_about(expand_about)
        if expand_about == "zero":
            u = phi_couplings(initial)
            M = _check_order(order if order is not None else len(u))
            u = np.concatenate([u, np.zeros(max(0, M - len(u)))])[:M]
            y0 = phi_to_rho(u)
            names = [f"u{2 * j}" for j in range(1, M + 1)]
            system = self.flow_system(M, "zero")
            bidx = _blow_index(blowup_coupling, names, "u4")
            res = integrate_polynomial(system, y0, k_span, to_output=lambda y, s: rho_to_phi(y),
                                       names=names, blowup_index=bidx,
                                       blowup_threshold=blowup_threshold, pole_tol=pole_tol,
                                       rtol=rtol, atol=atol, n_points=n_points, solver=solver)
        else:
            y0 = minimum_couplings(initial)
            M = _check_order(order if order is not None else len(y0))
            y0 = np.concatenate([y0, np.zeros(max(0, M - len(y0)))])[:M]
            if y0[0] < 0:
                raise ValueError("the minimum rho0 must be >= 0 (use expand_about='zero', "
                                 "--expand-about zero, in the symmetric phase)")
            names = ["rho0"] + [f"lambda{j}" for j in range(1, M + 1)]
            sys_min = self.flow_system(M, "minimum")
            sys_zero = self.flow_system(M, "zero")

            def out(y, s):
                if s is sys_min:
                    return np.concatenate([[y[0], 0.0], y[1:]])
                return np.concatenate([[0.0], y])

            def minimum_at_zero(t, y):
                return y[0]

            bidx = _blow_index(blowup_coupling, names, "lambda2")
            res = integrate_polynomial(sys_min, y0, k_span, to_output=out, names=names,
                                       blowup_index=bidx, blowup_threshold=blowup_threshold,
                                       pole_tol=pole_tol, rtol=rtol, atol=atol,
                                       n_points=n_points, solver=solver,
                                       switch=(minimum_at_zero, sys_zero, lambda y: y))
        res.attrs.update({"dim": self.dim, "components": self.components,
                          "regulator": self.regulator, "kinetic": repr(self.kinetic),
                          "expand_about": expand_about, "order": M})
        return res


def _check_about(expand_about):
    if expand_about not in ("minimum", "zero"):
        raise ValueError(f"expand_about must be 'minimum' or 'zero', got {expand_about!r}")


def _blow_index(name, names, default):
    if name is None:
        return None
    name = default if name == "auto" else name
    if name not in names:
        return None if name == default else _raise(f"blowup_coupling {name!r} not in {names}")
    return names.index(name)


def _raise(msg):
    raise ValueError(msg)


class PhiFlowSystem:
    """Flow of the [ELS] couplings u_2, ..., u_2M (U = sum u_2j phi^(2j)/(2j)!) about phi = 0.

    For the network <-> FRG bridge: integrate with any solver, in k (``rhs_k``, ``jac_k``) or in
    t = ln k (``rhs_t``, ``jac_t``). ``denominator(k, u)`` is the smallest relative propagator
    denominator (Z(k^2) + U''(0))/Z(k^2) over the poles (the flow has a pole where it reaches 0);
    use it with a blow-up threshold on |u4| as a terminal event to get k*, or simply call
    ``LPA.flow`` which does both.

    For n = 1, Litim, Z = p^2, M = 3 this is exactly the system of docs/theory.md#phi6-system
    (d_t u_2 = -v_d k^(d+2) u_4 / D^2, ...), derived mechanically.
    """

    def __init__(self, lpa: LPA, order: int):
        self.lpa = lpa
        self.order = _check_order(order)
        self._sys = lpa.flow_system(self.order, "zero")
        self.names = [f"u{2 * j}" for j in range(1, self.order + 1)]

    def rhs_t(self, t, u):
        return rho_to_phi(self._sys.rhs(t, phi_to_rho(np.asarray(u))))

    def rhs_k(self, k, u):
        return self.rhs_t(np.log(k), u) / k

    def jac_t(self, t, u):
        return complex_step_jacobian(lambda x: self.rhs_t(t, x), u)

    def jac_k(self, k, u):
        return self.jac_t(np.log(k), u) / k

    def denominator(self, k, u):
        return self._sys.rhs_and_denominator(np.log(k), phi_to_rho(np.asarray(u)))[1]


def phi_power_flow_system(order: int, dim: float = 1, components: int = 1,
                          regulator: str = "litim", kinetic=None) -> PhiFlowSystem:
    """Flow system of the phi^(2M) truncation about zero in [ELS] couplings u_2, ..., u_2M.

    ``order`` = M (phi^6: M = 3). Returns a ``PhiFlowSystem``.
    Example: ``phi_power_flow_system(3, dim=1, regulator="litim_spectral",
    kinetic=ExponentialKinetic(A, mu2)).rhs_k(k, [0.0, u4, u6])``.
    """
    return PhiFlowSystem(LPA(dim, components, regulator, kinetic), order)
