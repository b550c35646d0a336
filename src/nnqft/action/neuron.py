"""The single-neuron moment generating function M(a) = E[exp(a h(x)^2)] at one input.

At one input x the pre-activation of a hidden neuron is z = sigma y, y ~ N(0, 1), with
sigma^2 = m(x, x) = sigma_b^2 + sigma_w^2 |x|^2 / d (docs/action.md section 1). Everything the
exact one-input theory needs is the law of v = h(z)^2 through

    M(a) = E[exp(a v)],   a complex with Re a <= 0 (characteristic functions), or real
    a >= 0 where finite (generating functions, tilted densities).

Closed forms:

- relu: P(z < 0) = 1/2 and v = z^2 on z > 0, so M(a) = 1/2 + (1/2) (1 - 2 a sigma^2)^(-1/2)
  (principal branch; finite for Re a < 1 / (2 sigma^2), which is where relu's W(J) stops);
- cos: h = sqrt(2) cos(theta) with theta uniform (w x + b is uniform mod 2 pi because b is), so
  v = 1 + cos(2 theta) and M(a) = e^a I_0(a) (modified Bessel function; entire).

erf, tanh and gauss use a composite Gauss-Legendre rule in y on [-12, 12] (the normal weight
beyond is below 1e-31): panels graded geometrically towards the zero y = 0 of erf and tanh
(ratio 2 from 1e-14 to 1, then width 1/4), so that exp(a v) stays resolved when |a| is large
(the integrand then lives in a layer of width ~ |a|^(-1/2) around the zero); gauss
(h = exp(z - sigma^2) > 0) gets uniform panels of width 1/(4 max(1, sigma)) on [-12, 12].
Measured (tests/action/test_neuron.py): the moments E[v^n] of the rule agree with
:func:`nnqft.moments.single_neuron_moments` (an independent polar/Gauss-Hermite rule) to 1e-13,
and M(a) at large complex a with a 2x refined rule to 1e-14.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy import special
from scipy.linalg import eigh_tridiagonal

from ..networks import Network, as_inputs

__all__ = ["NeuronLaw", "neuron_law"]

#: Gauss-Legendre nodes per panel of the y rule.
PANEL_NODES = 10
#: Half-width of the y range (normal weight beyond: < 1e-31).
Y_MAX = 12.0


@lru_cache(maxsize=8)
def _gl(n: int):
    x, w = leggauss(n)
    return (x + 1) / 2, w / 2


def _panel_rule(breaks: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = _gl(n)
    lo, hi = breaks[:-1, None], breaks[1:, None]
    return (lo + (hi - lo) * x).ravel(), ((hi - lo) * w).ravel()


def _y_rule(kind: str, sigma: float, refine: int = 1, depth: int = 47
            ) -> tuple[np.ndarray, np.ndarray]:
    """Nodes y and weights (normal density included) of the rule for erf/tanh/gauss."""
    n = PANEL_NODES * refine
    if kind == "graded":  # symmetric integrand: y >= 0, weights doubled
        geo = 2.0 ** np.arange(-depth, 1, 1.0 / refine)  # 2^-depth .. 1
        uni = np.arange(1.0, Y_MAX + 1e-12, 0.5 / refine)
        breaks = np.unique(np.concatenate([[0.0], geo, uni]))
        y, w = _panel_rule(breaks, n)
        w = 2 * w
    else:
        step = 0.125 / max(1.0, sigma) / refine
        breaks = np.arange(-Y_MAX, Y_MAX + 1e-12, step)
        y, w = _panel_rule(breaks, n)
    w = w * np.exp(-y * y / 2) / math.sqrt(2 * math.pi)
    return y, w


@dataclass(frozen=True)
class NeuronLaw:
    """Law of v = h(x)^2 for one hidden neuron at one input (see the module docstring).

    Attributes
    ----------
    kind : "relu", "cos" or "rule"
    sigma2 : pre-activation variance m(x, x)
    v, w : rule nodes (values of h^2) and weights (sum 1); empty for the closed forms
    a_max : sup of real a with M(a) finite (inf except relu: 1 / (2 sigma2))
    """

    kind: str
    sigma2: float
    v: np.ndarray
    w: np.ndarray
    a_max: float
    p_zero: float  # P(v = 0): 1/2 for relu, 0 otherwise

    # ---------------------------------------------------------------- complex M (ratios)
    def ratio(self, a0, tau, tau_span: float | None = None):
        """M(tau) / M(a0) for real a0 (broadcast) and complex tau, computed stably.

        |M(tau) / M(Re tau)| <= 1, so for Re tau <= a0 the result has modulus <= 1.
        ``tau_span`` (>= max |tau - a0|) fixes the size of the Gauss rule used for erf/tanh,
        so that successive calls share one rule.
        """
        a0 = np.asarray(a0, dtype=float)
        tau = np.asarray(tau, dtype=complex)
        if self.kind == "relu":
            s2 = self.sigma2
            num = 0.5 + 0.5 / np.sqrt(1 - 2 * tau * s2)
            den = 0.5 + 0.5 / np.sqrt(1 - 2 * a0 * s2)
            return num / den
        if self.kind == "cos":
            # e^tau I0(tau) / (e^a0 I0(a0)), I0(z) = ive(0, z) e^{|Re z|}
            lg = (tau + np.abs(tau.real) - 2 * a0)
            big = (np.abs(tau) > 1e6) & (tau.real <= 0)
            safe = np.where(big, 0.0, tau)
            out = np.exp(np.where(big, 0.0, lg)) * special.ive(0, safe)
            # |tau| > 1e6, Re tau <= 0: e^tau I0(tau) = e^-w I0(w), w = -tau, Hankel expansion
            # 1/sqrt(2 pi w) (1 + 1/(8w) + 9/(128 w^2) + 225/(3072 w^3)), error ~ |w|^-4
            w = -np.where(big, tau, 1.0)
            asym = (1 + 1 / (8 * w) + 9 / (128 * w**2) + 225 / (3072 * w**3)) / np.sqrt(
                2 * np.pi * w)
            out = np.where(big, asym * np.exp(-2 * a0), out)
            return out / special.ive(0, a0)
        # rule: tilt the weights by exp(a0 v), then average exp((tau - a0) v)
        span = float(np.max(np.abs(tau - a0))) if tau.size else 0.0
        span = max(span, tau_span or 0.0)
        if a0.ndim == 0 and self.v.size and self._gauss_size(span) is not None:
            x, wt = self.gauss_rule(float(a0), span)
            return (np.exp(np.multiply.outer(tau - a0, x)) * wt).sum(axis=-1)
        a0b, taub = np.broadcast_arrays(a0, tau)
        out = np.empty(taub.shape, dtype=complex)
        flat_a0, flat_tau, flat_out = a0b.ravel(), taub.ravel(), out.reshape(-1)
        for a in np.unique(flat_a0):
            sel = flat_a0 == a
            lw = np.log(self.w) + a * self.v
            wt = np.exp(lw - lw.max())
            wt /= wt.sum()
            flat_out[sel] = (np.exp(np.outer(flat_tau[sel] - a, self.v)) * wt).sum(axis=-1)
        return out

    def _gauss_size(self, tau_span: float) -> int | None:
        """Nodes of the compressed Gauss rule for |tau - a0| <= tau_span, or None when the
        compression would not save much (then the full rule is used)."""
        vmax = float(np.max(self.v))
        if vmax > 2.0:  # gauss-net: unbounded v, no polynomial compression
            return None
        half = tau_span * vmax / 2
        n = math.ceil((half + 6 * math.sqrt(half) + 20) / 2) + 10
        return n if n <= len(self.v) // 4 else None

    def gauss_rule(self, a0: float, tau_span: float) -> tuple[np.ndarray, np.ndarray]:
        """Gauss quadrature (nodes in v, weights) of the tilted law w_k exp(a0 v_k) / M(a0).

        Built by the discretised Stieltjes procedure on the rule (which has many more nodes
        than the Gauss rule needs). exp(t v) for |t| <= tau_span on v in [0, v_max] needs
        Chebyshev degree ~ t v_max / 2 + 6 (t v_max / 2)^(1/2) + 20 for 1e-16; an n-point Gauss
        rule integrates degree 2n - 1 exactly, so n = that degree / 2 + 10 nodes (capped by the
        rule size) keep the rule's accuracy (tests: agreement with the full rule to 1e-14).
        """
        vmax = float(np.max(self.v))
        n = self._gauss_size(tau_span)
        if n is None:
            raise ValueError("tau_span too large for a compressed rule")
        key = (a0, n)
        cache = self.__dict__.setdefault("_gauss_cache", {})
        if key in cache:
            return cache[key]
        lw = np.log(self.w) + a0 * self.v
        wt = np.exp(lw - lw.max())
        wt /= wt.sum()
        # Stieltjes: orthonormal polynomials on the discrete measure (centre v for stability)
        vc = self.v - vmax / 2
        alpha, beta = np.zeros(n), np.zeros(n)
        p_prev = np.zeros_like(vc)
        p = np.ones_like(vc)
        nrm_prev = 1.0
        for j in range(n):
            nrm = wt @ (p * p)
            alpha[j] = (wt @ (vc * p * p)) / nrm
            if j:
                beta[j] = nrm / nrm_prev
            p_next = (vc - alpha[j]) * p - (beta[j] if j else 0.0) * p_prev
            p_prev, p, nrm_prev = p, p_next, nrm
            scale = math.sqrt(max(wt @ (p * p), 1e-300))
            p, p_prev, nrm_prev = p / scale, p_prev / scale, nrm_prev / scale**2
        x, V = eigh_tridiagonal(alpha, np.sqrt(beta[1:]))
        rule = (x + vmax / 2, V[0] ** 2)
        if len(cache) > 512:
            cache.clear()
        cache[key] = rule
        return rule

    # ---------------------------------------------------------------- real log M and derivatives
    def log_mgf(self, a, deriv: int = 0) -> np.ndarray:
        """kappa(a) = log M(a) (deriv 0), kappa'(a) = <v>_a (1) or kappa''(a) = Var_a(v) (2),
        for real a < a_max (vectorised)."""
        a = np.asarray(a, dtype=float)
        if np.any(a >= self.a_max) if self.kind == "relu" else np.any(a > self.a_max):
            raise ValueError(f"M(a) = E[exp(a h^2)] is infinite for a beyond {self.a_max:g}")
        if self.kind == "relu":
            s2 = self.sigma2
            q = 1 - 2 * a * s2
            M = 0.5 + 0.5 * q**-0.5
            if deriv == 0:
                return np.log(M)
            M1 = 0.5 * s2 * q**-1.5
            if deriv == 1:
                return M1 / M
            M2 = 1.5 * s2**2 * q**-2.5
            return M2 / M - (M1 / M) ** 2
        if self.kind == "cos":
            if deriv == 0:
                return a + np.abs(a) + np.log(special.ive(0, a))
            r = special.ive(1, a) / special.ive(0, a)  # I1/I0
            if deriv == 1:
                return 1 + r
            small = np.abs(a) < 1e-4
            r_over_a = np.where(small, 0.5 - a**2 / 16, r / np.where(small, 1.0, a))
            return 1 - r_over_a - r**2
        shp = a.shape
        af = a.ravel()
        lw = np.log(self.w)[None, :] + np.outer(af, self.v)
        mx = lw.max(axis=1, keepdims=True)
        e = np.exp(lw - mx)
        s0 = e.sum(axis=1)
        if deriv == 0:
            return (np.log(s0) + mx[:, 0]).reshape(shp)
        m1 = (e * self.v).sum(axis=1) / s0
        if deriv == 1:
            return m1.reshape(shp)
        m2 = (e * self.v**2).sum(axis=1) / s0
        return (m2 - m1**2).reshape(shp)

    def mean_var(self, a) -> tuple[np.ndarray, np.ndarray]:
        """(kappa'(a), kappa''(a)) = (<v>_a, Var_a(v)) from one pass over the rule (the same
        numbers as log_mgf(a, 1) and log_mgf(a, 2); used by the Newton step for J*)."""
        if self.kind != "rule":
            return self.log_mgf(a, 1), self.log_mgf(a, 2)
        a = np.asarray(a, dtype=float)
        if np.any(a > self.a_max):
            raise ValueError(f"M(a) = E[exp(a h^2)] is infinite for a beyond {self.a_max:g}")
        lw = np.log(self.w)[None, :] + np.outer(a.ravel(), self.v)
        e = np.exp(lw - lw.max(axis=1, keepdims=True))
        s0 = e.sum(axis=1)
        m1 = (e * self.v).sum(axis=1) / s0
        m2 = (e * (self.v * self.v)).sum(axis=1) / s0
        return m1.reshape(a.shape), (m2 - m1**2).reshape(a.shape)

    def moments(self, n_max: int) -> np.ndarray:
        """E[v^n] = E[h^(2n)] for n = 0..n_max."""
        n = np.arange(n_max + 1)
        if self.kind == "relu":
            # E[z^(2n); z > 0] = sigma^(2n) (2n - 1)!! / 2 for n >= 1; n = 0: 1
            dfac = np.array([math.prod(range(1, 2 * k, 2)) for k in n], dtype=float)
            out = 0.5 * self.sigma2**n * dfac
            out[0] = 1.0
            return out
        if self.kind == "cos":
            # E[(2 cos^2 theta)^n] = 2^n binom(2n, n) / 4^n = binom(2n, n) / 2^n
            return np.array([math.comb(2 * k, k) / 2.0**k for k in n], dtype=float)
        return np.array([np.sum(self.w * self.v**k) for k in n])


def neuron_law(net: Network, x, *, refine: int = 1, tau_max: float = math.inf) -> NeuronLaw:
    """The :class:`NeuronLaw` of ``net`` at the single input ``x`` (shape (d_in,) or (1, d_in)).

    ``refine`` > 1 multiplies the panel density and the nodes per panel (accuracy checks).
    ``tau_max`` bounds the |a| at which M(a) will be evaluated; the geometric grading of the
    erf/tanh rule towards y = 0 stops at 2^-depth with 2^-depth <= 1e-3 / (sigma |tau_max|^(1/2))
    (a layer far thinner than the width ~ (sigma^2 |a|)^(-1/2) where exp(a h^2) varies), and at
    2^-47 ~ 7e-15 when ``tau_max`` is infinite.
    """
    X = as_inputs(x, net.d_in)
    if X.shape[0] != 1:
        raise ValueError(f"neuron_law takes one input, got {X.shape[0]}")
    s2 = float(net.pre_activation_cov(X)[0, 0])
    act = net.activation
    empty = np.zeros(0)
    if act == "cos":
        return NeuronLaw("cos", s2, empty, empty, math.inf, 0.0)
    if s2 <= 0:
        raise ValueError("the pre-activation variance m(x, x) is 0 (x = 0 and sigma_b = 0): "
                         "every hidden unit is constant and the output law is degenerate")
    if act == "relu":
        return NeuronLaw("relu", s2, empty, empty, 1.0 / (2 * s2), 0.5)
    sigma = math.sqrt(s2)
    if act in ("erf", "tanh"):
        depth = 47
        if math.isfinite(tau_max):
            depth = int(min(47, max(4, math.ceil(math.log2(1e3 * sigma * math.sqrt(
                max(tau_max, 1.0)))))))
        y, w = _y_rule("graded", sigma, refine, depth)
        h = special.erf(sigma * y) if act == "erf" else np.tanh(sigma * y)
        return NeuronLaw("rule", s2, h * h, w / w.sum(), math.inf, 0.0)
    if act == "gauss":
        y, w = _y_rule("uniform", sigma, refine)
        v = np.exp(2 * (sigma * y - s2))
        # W(J) is infinite for every real J != 0 (log-normal v): a_max = 0
        return NeuronLaw("rule", s2, v, w / w.sum(), 0.0, 0.0)
    raise ValueError(f"no neuron law for activation {act!r}")  # pragma: no cover
