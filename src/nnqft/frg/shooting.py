"""Shooting for the LPA fixed point and its eigenvalue problem (docs/theory.md#critical-exponents; [DUP]).

Variable w = u'(r) (eta = 0, O(n), real d, Z = Z0 p^2), so the vacuum energy never enters and its
eigenvalue theta = d never appears. The fixed-point equation d_t w = 0 reads

    E[w] = -2 w + (d-2) r w' + (n-1) t'(w) w' + t'(m) (3 w' + 2 r w'') = 0,    m = w + 2 r w',

with t the regulator's threshold function as a sum of simple poles (exact for Litim, the
package's Gauss-Jacobi quadrature otherwise; ``regulators``). It is a second-order ODE with a
regular singular point at r = 0: one solution family is regular there, the other behaves like
r^(-1/2). The regular family has one free parameter, sigma = w(0) = u'(0); its Taylor series is
generated order by order (the coefficient of r^k in E is linear in c_(k+1), with factor
(k+1) t'(sigma) (n + 2 + 2k)) with the truncated-series arithmetic of ``series``, and the ODE is
integrated outwards from a small r0 inside the radius of convergence (DOP853, adaptive,
rtol 1e-12).

Fixed point. For a generic sigma the solution does not survive to large r: on one side of the
Wilson-Fisher value sigma* w' blows up at a movable singularity r_s(sigma) (side "up"), on the
other w turns over (w' < 0) and runs into the threshold pole m -> -b/c (side "down"). The fixed
point is the sigma where the side flips; r_s diverges there (slowly: the growing mode is
~ exp(const r^(1 + 4/(d-2))) when t(m) ~ 1/m at large m, r^5 in d = 3). A scan of sigma
between the pole and 0 brackets the flip, bisection refines it to adjacent floating-point
numbers. The Gaussian fixed point sigma = 0 (another flip) is excluded by scanning sigma < 0
only. If the scan finds several flips, the one furthest from 0 is taken (a heuristic:
multicritical points, d < 3, branch off the Gaussian one at sigma = 0; none was seen in the
scans at d = 2.2 and 2.5, n = 1); ``bracket`` overrides the scan.

Exponents. A perturbation w -> w + e^(-theta t) v obeys the linearised equation

    (theta - 2) v + (d-2) r v' + (n-1) [t''(w) w' v + t'(w) v'] + t''(m) m' mu
        + t'(m) (3 v' + 2 r v'') = 0,        mu = v + 2 r v',  m' = 3 w' + 2 r w''.

Started from its regular series (v(0) = 1) and integrated together with w, v picks up the
same super-exponentially growing mode unless theta is an eigenvalue, where v grows only like the
power r^((2 - theta)/(d-2)) of the scaling part. The matching function

    f(theta) = r v' - p v,   p = (2 - theta)/(d-2),   at r = r_e,

(the growing-mode content at r_e: the power-law part nearly cancels; with v(0) = 1 it is
analytic in theta) changes sign at each eigenvalue; a scan in theta
brackets the roots and Brent's method refines them. r_e is where the fixed-point solution is
still known to a relative 1e-3 (``match_tol``): there the sigma-derivative of w (the theta = 0
solution) times the sigma uncertainty (the final bracket, at least 10 rtol |sigma|) reaches
1e-3 |w|, so the growing mode is amplified by ~1e9 and the shift of the root by the power-law
remainder is below the integration error. theta_1 > 0 gives
nu = 1/theta_1 and omega = -theta_2.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.integrate import ode
from scipy.interpolate import CubicHermiteSpline
from scipy.optimize import brentq

from ..errors import NumericalError
from . import series as S
from .fixedpoint import FixedPoint

__all__ = ["ShootingProblem", "shooting_fixed_point"]


class ShootingProblem:
    """The fixed-point ODE in w = u'(r) and its linearisation for one (d, n, regulator).

    Parameters
    ----------
    dim : real d with 2 < d < 4.
    components : n >= 1.
    poles : (a, b, c) with t(w) = sum_i a_i / (b_i + c_i w) (``dimensionless_poles``).
    """

    def __init__(self, dim: float, components: int, poles):
        a, b, c = (np.atleast_1d(np.asarray(x, dtype=float)) for x in poles)
        c = np.broadcast_to(c, b.shape).copy()
        self.d = float(dim)
        self.n = int(components)
        self.a, self.b, self.c = a, b, c
        #: the threshold pole: t(w) is singular at w = w_pole (the smallest -b_i/c_i)
        self.w_pole = float(np.max(-b / c))
        self._single = len(a) == 1
        self._p = (float(a[0]), float(b[0]), float(c[0])) if self._single else None
        self._ac, self._ac2 = a * c, 2 * a * c * c
        self.fast_rhs_w = self.make_rhs_w()

    # ----- threshold derivatives -------------------------------------------------------------
    def t1(self, x):
        """t'(x)."""
        if self._single:
            a, b, c = self._p
            return -a * c / (b + c * x) ** 2
        q = 1.0 / (self.b + self.c * x)
        return -float(np.dot(self._ac, q * q))

    def t2(self, x):
        """t''(x)."""
        if self._single:
            a, b, c = self._p
            return 2 * a * c * c / (b + c * x) ** 3
        q = 1.0 / (self.b + self.c * x)
        return float(np.dot(self._ac2, q * q * q))

    def t12(self, x):
        """(t'(x), t''(x))."""
        if self._single:
            return self.t1(x), self.t2(x)
        q = 1.0 / (self.b + self.c * x)
        q2 = q * q
        return -float(np.dot(self._ac, q2)), float(np.dot(self._ac2, q2 * q))

    def pole_distance(self, m) -> float:
        """min_i (b_i + c_i m) / b_i: 0 at the threshold pole."""
        if self._single:
            a, b, c = self._p
            return (b + c * m) / b
        return float(np.min((self.b + self.c * m) / self.b))

    # ----- right-hand sides ------------------------------------------------------------------
    def w2(self, r, w, wp):
        """w'' from E[w] = 0."""
        d, n = self.d, self.n
        tm = self.t1(w + 2 * r * wp)
        num = -2 * w + (d - 2) * r * wp + 3 * tm * wp
        if n != 1:
            num += (n - 1) * self.t1(w) * wp
        return -num / (2 * r * tm)

    def rhs_w(self, r, y):
        """(w, w')' for the fixed-point ODE."""
        return [y[1], self.w2(r, y[0], y[1])]

    def rhs_wv(self, r, y, theta):
        """(w, w', v, v')' for the fixed point and the perturbation with eigenvalue theta."""
        return self.make_rhs_wv(theta)(r, y)

    def make_rhs_wv(self, theta):
        """The right-hand side of ``rhs_wv`` at fixed theta as a fast closure (ODE solvers)."""
        d2, nm1, th2 = self.d - 2, self.n - 1, theta - 2
        if self._single:
            a, b, c = self._p
            ac, ac2 = a * c, 2 * a * c * c

            def f(r, y):
                w, wp, v, vp = y
                D = b + c * (w + 2 * r * wp)
                tm1 = -ac / (D * D)
                tm2 = ac2 / (D * D * D)
                num = -2 * w + d2 * r * wp + 3 * tm1 * wp
                lin = th2 * v + d2 * r * vp + 3 * tm1 * vp
                if nm1:
                    Dw = b + c * w
                    tw1 = -ac / (Dw * Dw)
                    num += nm1 * tw1 * wp
                    lin += nm1 * (ac2 / (Dw * Dw * Dw) * wp * v + tw1 * vp)
                den = 2 * r * tm1
                wpp = -num / den
                lin += tm2 * (3 * wp + 2 * r * wpp) * (v + 2 * r * vp)
                return [wp, wpp, vp, -lin / den]

            return f
        t12 = self.t12

        def g(r, y):
            w, wp, v, vp = y
            tm1, tm2 = t12(w + 2 * r * wp)
            num = -2 * w + d2 * r * wp + 3 * tm1 * wp
            lin = th2 * v + d2 * r * vp + 3 * tm1 * vp
            if nm1:
                tw1, tw2 = t12(w)
                num += nm1 * tw1 * wp
                lin += nm1 * (tw2 * wp * v + tw1 * vp)
            den = 2 * r * tm1
            wpp = -num / den
            lin += tm2 * (3 * wp + 2 * r * wpp) * (v + 2 * r * vp)
            return [wp, wpp, vp, -lin / den]

        return g

    def make_rhs_w(self):
        """Fast closure for ``rhs_w``."""
        d2, nm1 = self.d - 2, self.n - 1
        if self._single:
            a, b, c = self._p

            def f(r, y):
                w, wp = y
                D = b + c * (w + 2 * r * wp)
                tm1 = -a * c / (D * D)
                num = -2 * w + d2 * r * wp + 3 * tm1 * wp
                if nm1:
                    Dw = b + c * w
                    num -= nm1 * a * c / (Dw * Dw) * wp
                return [wp, -num / (2 * r * tm1)]

            return f
        return self.rhs_w

    # ----- regular series at r = 0 -----------------------------------------------------------
    def _E_series(self, w):
        """Series of E[w] (w a series in r, possibly complex)."""
        k = np.arange(len(w))
        m = w * (1 + 2 * k)
        tm, _ = S.compose_poles(m, self.a, self.b, self.c)
        loop = tm
        if self.n != 1:
            tw, _ = S.compose_poles(w, self.a, self.b, self.c)
            loop = loop + (self.n - 1) * tw
        return -2 * w + (self.d - 2) * k * w + S.deriv(loop)

    def series_w(self, sigma: float, order: int = 16) -> np.ndarray:
        """Taylor coefficients c_0..c_order of the regular solution with w(0) = sigma."""
        cs = np.zeros(order + 1)
        cs[0] = sigma
        t1 = self.t1(sigma)
        for k in range(order):
            cs[k + 1] = -self._E_series(cs)[k] / ((k + 1) * t1 * (self.n + 2 + 2 * k))
        return cs

    def series_v_operator(self, cw: np.ndarray) -> np.ndarray:
        """Matrix L of the linearised operator on series: (L v)_k = coefficient r^k of E'[w] v.

        Built by complex step through the series arithmetic, one column per coefficient."""
        h = 1e-30
        K = len(cw)
        L = np.zeros((K, K))
        for j in range(K):
            e = np.zeros(K, dtype=complex)
            e[j] = 1j * h
            L[:, j] = np.imag(self._E_series(cw + e)) / h
        return L

    def series_v(self, cw: np.ndarray, theta: float, L: np.ndarray | None = None) -> np.ndarray:
        """Taylor coefficients of the regular perturbation (v(0) = 1) about the series ``cw``.

        Coefficient r^k of E'[w] v + theta v = 0 is linear in v_(k+1); solved order by order."""
        L = self.series_v_operator(cw) if L is None else L
        K = len(cw) - 1
        cv = np.zeros(K + 1)
        cv[0] = 1.0
        for k in range(K):
            cv[k + 1] = -(L[k, :k + 1] @ cv[:k + 1] + theta * cv[k]) / L[k, k + 1]
        return cv


def _radius(cs: np.ndarray) -> float:
    """Crude radius-of-convergence estimate min_k |c_0 / c_k|^(1/k) (k >= 1) of a series."""
    scale = max(abs(cs[0]), 1e-300)
    est = [(scale / abs(cs[k])) ** (1.0 / k) for k in range(1, len(cs)) if cs[k] != 0]
    return min(est) if est else 1.0


def _eval(cs, r):
    return (np.polynomial.polynomial.polyval(r, cs),
            np.polynomial.polynomial.polyval(r, S.deriv(cs)))


class _Shot:
    """One integration outwards; records the accepted steps."""

    def __init__(self, side, r_end, rs, ys, nsteps):
        self.side, self.r_end, self.rs, self.ys, self.nsteps = side, r_end, rs, ys, nsteps


def _integrate(f, y0, r0, r_max, stop, rtol, atol, record=True):
    rs, ys = [r0], [np.array(y0, dtype=float)]
    state = {"side": None}

    def solout(r, y):
        if record and r > rs[-1]:
            rs.append(r)
            ys.append(np.array(y))
        why = stop(r, y)
        if why is not None:
            state["side"] = why
            if not record:
                rs.append(r)
                ys.append(np.array(y))
            return -1
        return 0

    s = ode(f).set_integrator("dop853", rtol=rtol, atol=atol, nsteps=200000)
    s.set_solout(solout)
    s.set_initial_value(y0, r0)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        s.integrate(r_max)
    side = state["side"]
    if side is None:
        side = "r_max" if s.successful() else "fail"
    if not record and side == "r_max":
        rs.append(s.t)
        ys.append(np.array(s.y))
    return side, rs, ys


class _Shooter:
    def __init__(self, prob: ShootingProblem, series_order: int, r_max: float, rtol: float,
                 blowup: float):
        self.p = prob
        self.K = series_order
        self.r_max = r_max
        self.rtol = rtol
        self.blowup = blowup
        self.calls = 0
        self._cache = {}

    def start(self, sigma):
        """Series, starting radius and linearised series operator for sigma (cached)."""
        if sigma not in self._cache:
            cs = self.p.series_w(sigma, self.K)
            self._cache = {sigma: (cs, 0.02 * _radius(cs), None)}
        return self._cache[sigma][:2]

    def operator(self, sigma):
        cs, r0, L = self._cache[sigma] if sigma in self._cache else (*self.start(sigma), None)
        if L is None:
            L = self.p.series_v_operator(cs)
            self._cache[sigma] = (cs, r0, L)
        return L

    def _stop_w(self, r, y):
        w, wp = y[0], y[1]
        if self.p.pole_distance(w + 2 * r * wp) < 1e-8 or self.p.pole_distance(w) < 1e-8:
            return "down"
        if wp < 0:
            return "down"
        if wp > self.blowup or w > self.blowup:
            return "up"
        return None

    def shoot(self, sigma, rtol=None, record=False) -> _Shot:
        """Classify sigma: 'up' (w' blows up), 'down' (w turns over), 'r_max' (survived)."""
        self.calls += 1
        rtol = self.rtol if rtol is None else rtol
        cs, r0 = self.start(sigma)
        y0 = list(_eval(cs, r0))
        side, rs, ys = _integrate(self.p.fast_rhs_w, y0, r0, self.r_max, self._stop_w, rtol,
                                  1e-3 * rtol, record)
        if side == "fail":  # step size collapsed at a movable singularity
            side = "up" if ys[-1][1] > 0 else "down"
        return _Shot(side, rs[-1], np.array(rs), np.array(ys), len(rs))

    def shoot_v(self, sigma, theta, r_end, record=False):
        """Integrate (w, w', v, v') to r_end; returns the final state (and the path)."""
        self.calls += 1
        cw, r0 = self.start(sigma)
        cv = self.p.series_v(cw, theta, self.operator(sigma))
        r0 = min(r0, 0.02 * _radius(cv))
        y0 = [*_eval(cw, r0), *_eval(cv, r0)]

        f = self.p.make_rhs_wv(theta)
        side, rs, ys = _integrate(f, y0, r0, r_end, lambda r, y: None, self.rtol,
                                  1e-3 * self.rtol, record)
        if side != "r_max":
            raise NumericalError(f"shooting: the perturbation at theta = {theta} could not be "
                                 f"integrated to r_e = {r_end} ({side} at r = {rs[-1]})",
                                 "use --method polynomial")
        return np.array(rs), np.array(ys)


def _match(theta, y, r, d):
    _, _, v, vp = y
    p = (2 - theta) / (d - 2)
    return r * vp - p * v


def shooting_fixed_point(dim: float, components: int, poles, regulator: str = "", *,
                         bracket=None, n_eigen: int = 3, series_order: int = 16,
                         rtol: float = 1e-12, r_max: float | None = None, n_scan: int = 16,
                         theta_min: float = -30.0, theta_step: float | None = None,
                         match_tol: float = 1e-3) -> FixedPoint:
    """Wilson-Fisher fixed point and exponents of the LPA by shooting (module docstring).

    Parameters
    ----------
    dim, components, poles, regulator : the problem (``LPA.fixed_point(method="shooting")``
        passes them).
    bracket : (sigma_lo, sigma_hi) with sigma = u'(0) enclosing the Wilson-Fisher value;
        default: scan ``n_scan`` values between the threshold pole and 0 and take the flip
        furthest from 0.
    n_eigen : how many eigenvalues (largest theta first) to find; >= 2 for omega.
    series_order : order of the regular series at r = 0 (start at 2 % of its radius).
    rtol : DOP853 relative tolerance (absolute 1e-3 rtol).
    r_max : integration limit of the sigma shots (default 1e3 / c, far beyond any r_s).
    theta_min, theta_step : the theta scan runs from just below d downwards in steps of
        ``theta_step`` (default min(0.25, (d-2)/4)) until ``n_eigen`` roots are found or
        ``theta_min`` is passed.
    match_tol : r_e is where sigma's uncertainty moves w by this relative amount.

    Returns
    -------
    FixedPoint with method "shooting": eigenvalues = -theta (ascending), nu = 1/theta_1,
    omega = -theta_2, minimum r_0 (zero of w) and curvature w'(r_0), couplings = [sigma*],
    potential (cubic Hermite interpolant of w up to r_e), and ``diagnostics`` with the sigma
    bracket, r_e, r_s, the scan and the number of integrations.
    """
    d, n = float(dim), int(components)
    if not 2 < d < 4:
        raise ValueError(f"the LPA has a non-Gaussian (Wilson-Fisher) fixed point for 2 < d < 4 "
                         f"only; got d = {d}")
    if n_eigen < 1:
        raise ValueError(f"n_eigen must be >= 1, got {n_eigen}")
    prob = ShootingProblem(d, n, poles)
    # Z = Z0 p^2: r scales like 1/Z0 = c (and w like Z0)
    r_max = 1e3 * float(np.min(prob.c)) if r_max is None else float(r_max)
    sh = _Shooter(prob, series_order, r_max, rtol, blowup=1e10)

    # ----- bracket sigma* ---------------------------------------------------------------------
    scan = []
    if bracket is None:
        xs = np.geomspace(0.98, 1e-3, n_scan)
        sig = prob.w_pole * xs  # from the pole towards 0
        sides = [sh.shoot(s, rtol=1e-8).side for s in sig]
        scan = [(float(s), sd) for s, sd in zip(sig, sides, strict=True)]
        flips = [i for i in range(len(sig) - 1)
                 if sides[i] == "up" and sides[i + 1] in ("down", "r_max")]
        if not flips:
            raise NumericalError("shooting: no sign flip of the singularity found between the "
                                 "threshold pole and sigma = 0",
                                 "pass bracket=(lo, hi) in Python, or use --method polynomial")
        i = flips[0]
        lo, hi = float(sig[i]), float(sig[i + 1])
    else:
        lo, hi = sorted(map(float, bracket))
        if hi >= 0 and lo <= 0:
            raise ValueError("bracket must exclude sigma = 0 (the Gaussian fixed point)")
        s_lo, s_hi = sh.shoot(lo).side, sh.shoot(hi).side
        if s_lo != "up" or s_hi == "up":
            raise ValueError(f"bracket {bracket} does not enclose a flip (sides {s_lo}, {s_hi})")
    bracket0 = (lo, hi)
    # bisection; loose tolerance while the bracket is wide
    it = 0
    while it < 200:
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:
            break
        tol = min(1e-6, max(rtol, 1e-4 * (hi - lo) / max(abs(mid), 1e-300)))
        shot = sh.shoot(mid, rtol=tol)
        if shot.side == "up":  # "r_max" (survived) only happens at sigma* itself
            lo = mid
        else:
            hi = mid
        it += 1
    sigma = 0.5 * (lo + hi) if lo < 0.5 * (lo + hi) < hi else lo
    up, down = sh.shoot(lo), sh.shoot(hi)
    r_s = float(max(up.r_end, down.r_end))

    # ----- r_e from the sigma-derivative (theta = 0 perturbation) ------------------------------
    dsig = max(hi - lo, 10 * rtol * abs(sigma))
    rs, ys = _safe_v(sh, sigma, r_s)
    w, wp, g = ys[:, 0], ys[:, 1], ys[:, 2]
    sep = np.abs(dsig * g) > match_tol * (np.abs(w) + np.abs(wp) * rs)
    if not np.any(sep):
        j = len(rs) - 1
    else:
        j = int(np.argmax(sep))
    r_e = float(rs[max(j, 1)])
    keep = rs <= r_e
    rs_k, ys_k = rs[keep], ys[keep]
    w_of = CubicHermiteSpline(rs_k, ys_k[:, 0], ys_k[:, 1])
    cw, r0 = sh.start(sigma)

    def potential(r):
        """u'(r) on [0, r_e] (series below r0, cubic Hermite on the DOP853 steps); nan beyond."""
        r = np.asarray(r, dtype=float)
        out = np.where(r < r0, np.polynomial.polynomial.polyval(r, cw),
                       w_of(np.clip(r, r0, r_e)))
        return np.where((r < 0) | (r > r_e), np.nan, out)

    # ----- minimum r_0 and u''(r_0): Newton on w from the nearest recorded step ---------------
    r0_min, curv = _minimum(sh, sigma, rs_k, ys_k, w_of)

    # ----- eigenvalues ------------------------------------------------------------------------
    step = theta_step if theta_step is not None else min(0.5, (d - 2) / 2)
    f_cache = {}

    def f(theta):
        if theta not in f_cache:
            _, yy = sh.shoot_v(sigma, theta, r_e)
            f_cache[theta] = _match(theta, yy[-1], r_e, d)
        return f_cache[theta]

    thetas = []
    th_hi = min(d - 1e-3, 2.0 + step)
    f_hi = f(th_hi)
    while len(thetas) < n_eigen and th_hi > theta_min:
        th_lo = th_hi - step
        f_lo = f(th_lo)
        if f_lo == 0:
            thetas.append(th_lo)
        elif np.sign(f_lo) != np.sign(f_hi):
            thetas.append(brentq(f, th_lo, th_hi, xtol=1e-14, rtol=1e-15))
        th_hi, f_hi = th_lo, f_lo
    thetas = np.array(thetas)
    ev = np.sort(-thetas)
    neg = [e for e in ev if e < 0]
    pos = [e for e in ev if e > 0]
    # nu from the most relevant direction (fixedpoint.classify_spectrum explains why); the scan
    # runs from theta ~ d downwards, so every relevant one below d is found first
    nu = -1.0 / min(neg) if neg else float("nan")
    omega = min(pos) if pos else float("nan")
    r_plot = np.linspace(0.0, min(3 * r0_min, r_e), 200)
    diag = {"sigma": sigma, "sigma_bracket": [lo, hi], "initial_bracket": list(bracket0),
            "bisection_steps": it, "r_s": r_s, "r_e": r_e, "r0": float(r0),
            "series_order": series_order, "rtol": rtol, "integrations": sh.calls,
            "theta_step": step, "scan": scan, "match_values": {float(k): float(v)
                                                                for k, v in f_cache.items()}}
    return FixedPoint(nu=float(nu), omega=float(omega), eigenvalues=ev, minimum=r0_min,
                      curvature=curv, relevant=[float(-e) for e in neg],
                      couplings=np.array([sigma]), method="shooting", order=None,
                      expand_about=None, dim=d, components=n, regulator=regulator,
                      potential=potential, r=r_plot, du=potential(r_plot),
                      diagnostics=diag)


def _safe_v(sh: _Shooter, sigma, r_s):
    """theta = 0 perturbation (d w / d sigma) up to just before r_s, recording the path."""
    r_end = r_s
    for _ in range(8):
        try:
            return sh.shoot_v(sigma, 0.0, r_end, record=True)
        except NumericalError:
            r_end *= 0.97
    raise NumericalError("shooting: cannot integrate the fixed-point solution",
                         "lower rtol or use --method polynomial")


def _minimum(sh: _Shooter, sigma, rs, ys, w_of):
    """The minimum r_0 (w(r_0) = 0) and w'(r_0) to integration accuracy (Newton on short shots)."""
    w = ys[:, 0]
    idx = np.where((w[:-1] < 0) & (w[1:] >= 0))[0]
    if not len(idx):
        return float("nan"), float("nan")
    i = int(idx[0])
    r_a, y_a = float(rs[i]), ys[i, :2]
    r = r_a - y_a[0] / y_a[1]
    if not rs[i] <= r <= rs[i + 1]:
        r = float(brentq(w_of, rs[i], rs[i + 1]))
    for _ in range(6):
        if r == r_a:
            yk = y_a
        else:
            s = ode(sh.p.fast_rhs_w).set_integrator("dop853", rtol=1e-14, atol=1e-16, nsteps=100000)
            s.set_initial_value(y_a, r_a)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yk = s.integrate(r)
        dr = -yk[0] / yk[1]
        r += dr
        if abs(dr) <= 1e-15 * max(abs(r), 1.0):
            break
    return float(r), float(yk[1])
