"""Exact one-input theory of a one-hidden-layer network: W(J), Gamma(phi), p(f), S(f).

Conditionally on the hidden layer, f = b1 + sum_j W1_j h_j is normal with variance
sigma_b^2 + (sigma_w^2 / N) sum_j h_j^2; the N neurons are i.i.d., so (docs/action.md section 1)

    phi(t) = E[exp(i t f)] = exp(-sigma_b^2 t^2 / 2) M(-c t^2)^N,
    W(J)   = log E[exp(J f)] = sigma_b^2 J^2 / 2 + N log M(c J^2),       c = sigma_w^2 / (2 N),

with M(a) = E[exp(a h^2)] the single-neuron generating function (:mod:`nnqft.action.neuron`).

Effective action: Gamma(phi) = sup_J [J phi - W(J)], found by a safeguarded Newton iteration
on W'(J) = phi (W is convex; W' is odd and increasing). relu: W is finite only for
|J| < J_R = (N / (sigma_w^2 m(x, x)))^(1/2) and diverges there, so the supremum is still
attained inside; gauss: W(J) = +inf for every J != 0 (log-normal h^2), Gamma does not exist.

Density (docs/action.md section 2): shifting the Fourier contour to the saddle point t = -i J*,
W'(J*) = f, gives the exact identity

    p(f) = exp(W(J*) - J* f) p_J*(f),
    p_J(f) = (1/pi) int_0^inf Re[ e^{i u (sigma_b^2 J - f)} e^{-sigma_b^2 u^2 / 2}
             (M(c (J + i u)^2) / M(c J^2))^N ] du,

where p_J is the density of the exponentially tilted law at its own mean, an O(1) number: so
S(f) = -log p(f) = Gamma(f) - log p_J*(f) keeps its relative accuracy in the far tails (no
cancellation). The integrand is bounded by exp(-sigma_b^2 u^2 / 2). For sigma_b = 0 that bound
is gone (the integrand decays only like u^-N), and for Gauss-net no tilt exists: there the
contour [0, inf) is rotated to arg t = -beta (beta = pi/8), where e^{-itf} decays like
exp(-t f sin beta) and phi stays bounded (it is a function of t^2 with Re t^2 > 0); the price is
cancellation, a relative error ~ 1e-16 / (f sin beta p(f)), reported per point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..networks import Network, as_inputs
from .neuron import NeuronLaw, neuron_law

__all__ = ["OneInputTheory", "SingularDensityError", "GammaUndefinedError", "check_network"]

_EPS = np.finfo(float).eps
#: Rotation angle of the contour for sigma_b = 0 and Gauss-net.
BETA = math.pi / 8
#: Integrands below this fraction of their value at the origin are dropped.
_TINY = 1e-18
#: Points within this many tilted standard deviations of a tilted mean share its tilt.
_BLOCK = 0.5


class SingularDensityError(ValueError):
    """The density is infinite at the requested point (S - S(0) undefined)."""


class GammaUndefinedError(ValueError):
    """W(J) is infinite for every J != 0: the effective action does not exist."""


def check_network(net: Network) -> None:
    """Refuse what the exact theory does not cover (one line each)."""
    if net.depth != 1:
        raise ValueError(f"the exact action needs one hidden layer, got depth {net.depth}")
    if net.weight_law != "normal":
        raise ValueError("the exact action needs a normal last layer (conditionally Gaussian "
                         f"output), got weight law {net.weight_law!r}")
    if net.d_out != 1:
        raise ValueError(f"the exact action needs d_out = 1, got {net.d_out}")


@dataclass
class _Quad:
    u: np.ndarray
    w: np.ndarray


@lru_cache(maxsize=16)
def _gl01(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    return (x + 1) / 2, w / 2


def _gl_panels(breaks: np.ndarray, n: int) -> _Quad:
    x, w = _gl01(n)
    lo, hi = breaks[:-1, None], breaks[1:, None]
    return _Quad((lo + (hi - lo) * x).ravel(), ((hi - lo) * w).ravel())


class OneInputTheory:
    """The exact theory of one network output at one input.

    Parameters
    ----------
    net : Network
        One hidden layer, normal last layer, d_out = 1; any activation.
    x : array_like
        The input (d_in numbers).
    refine : int
        Accuracy knob: 1 (default) or 2 (a finer rule everywhere, for accuracy estimates).
    """

    def __init__(self, net: Network, x, *, refine: int = 1):
        check_network(net)
        self.net = net
        self.x = as_inputs(x, net.d_in)
        if self.x.shape[0] != 1:
            raise ValueError("OneInputTheory takes exactly one input")
        self.refine = int(refine)
        # real-argument work (W, Newton, Legendre) needs no grading towards h = 0: shallow rule
        self.law: NeuronLaw = neuron_law(net, self.x, refine=self.refine, tau_max=1.0)
        self._laws: dict[int, NeuronLaw] = {}
        self.N = net.last_width
        self.sw2 = net.sigma_w**2
        self.sb2 = net.sigma_b**2
        self.c = self.sw2 / (2 * self.N)
        self.G2 = self.sb2 + self.sw2 * float(self.law.moments(1)[1])

    # ------------------------------------------------------------------ W and its derivatives
    @property
    def j_radius(self) -> float:
        """sup |J| with W(J) finite: inf (bounded h), (N / (sigma_w^2 m))^(1/2) (relu), 0 (gauss)."""
        return math.sqrt(self.law.a_max / self.c) if math.isfinite(self.law.a_max) else math.inf

    @property
    def atom(self) -> float:
        """Mass of an atom at f = 0: 2^-N for relu with sigma_b = 0 (all neurons dead), else 0."""
        return self.law.p_zero**self.N if self.sb2 == 0 else 0.0

    def W(self, J, deriv: int = 0) -> np.ndarray:
        """W(J) (deriv 0), W'(J) (1) or W''(J) (2)."""
        J = np.asarray(J, dtype=float)
        a = self.c * J * J
        if deriv == 0:
            return self.sb2 * J * J / 2 + self.N * self.law.log_mgf(a, 0)
        k1 = self.law.log_mgf(a, 1)
        if deriv == 1:
            return J * (self.sb2 + self.sw2 * k1)
        k2 = self.law.log_mgf(a, 2)
        return self.sb2 + self.sw2 * k1 + 2 * self.sw2 * self.c * J * J * k2

    def _W12(self, J) -> tuple[np.ndarray, np.ndarray]:
        """(W'(J), W''(J)) from one pass over the neuron rule (the Newton step of solve_J)."""
        J = np.asarray(J, dtype=float)
        k1, k2 = self.law.mean_var(self.c * J * J)
        return J * (self.sb2 + self.sw2 * k1), \
            self.sb2 + self.sw2 * k1 + 2 * self.sw2 * self.c * J * J * k2

    def _require_gamma(self) -> None:
        if self.net.activation == "gauss":
            raise GammaUndefinedError(
                "Gamma does not exist for gauss-net: W(J) = log E[exp(J f)] is infinite for every "
                "real J != 0 (log-normal hidden units), so Gamma has only a formal vertex series")

    def solve_J(self, phi, *, tol: float = 1e-14, max_iter: int = 200) -> np.ndarray:
        """J*(phi) with W'(J*) = phi: safeguarded Newton (bisection on a bracket)."""
        self._require_gamma()
        phi = np.atleast_1d(np.asarray(phi, dtype=float))
        sgn, t = np.sign(phi), np.abs(phi)
        R = self.j_radius
        lo = np.zeros_like(t)
        hi = np.full_like(t, R) if np.isfinite(R) else self._bracket_by_doubling(t)
        J = np.minimum(t / self.G2, 0.5 * (lo + hi))
        # iterate only on the points not yet converged (t = 0 is J = 0)
        act = np.flatnonzero(t > 0)
        for _ in range(max_iter):
            if act.size == 0:
                break
            Ja, ta = J[act], t[act]
            W1, W2 = self._W12(Ja)
            g = W1 - ta
            lo[act] = np.where(g <= 0, Ja, lo[act])
            hi[act] = np.where(g >= 0, Ja, hi[act])
            Jn = Ja - g / W2
            # a Newton iterate on the bracket's end (the root to rounding) is kept
            out = ~((Jn >= lo[act]) & (Jn <= hi[act]))
            Jn = np.where(out, 0.5 * (lo[act] + hi[act]), Jn)
            done = (np.abs(Jn - Ja) <= tol * np.maximum(np.abs(Jn), 1e-300)) | (g == 0)
            J[act] = Jn
            act = act[~done]
        else:  # pragma: no cover - the bracket guarantees convergence
            raise RuntimeError("Newton iteration for W'(J) = phi did not converge")
        return sgn * np.where(t == 0, 0.0, J)

    def _bracket_by_doubling(self, t: np.ndarray) -> np.ndarray:
        """Upper ends J >= 0 with W'(J) >= t (W entire: start at 2 t / G2, double until)."""
        hi = np.maximum(2 * t / self.G2, 1e-300)
        for _ in range(2000):
            bad = self.W(hi, 1) < t
            if not bad.any():
                break
            hi = np.where(bad, 2 * hi, hi)
        return hi

    def gamma(self, phi) -> np.ndarray:
        """Gamma(phi) - Gamma(0) = J* phi - W(J*) (Gamma(0) = -W(0) = 0)."""
        phi = np.atleast_1d(np.asarray(phi, dtype=float))
        J = self.solve_J(phi)
        return J * phi - self.W(J)

    def gamma_direct(self, phi) -> np.ndarray:
        """Second method: maximise J phi - W(J) by golden-section search (no W', no W'').

        Vectorised over the points: J phi - W(J) is concave, so the bracket [0, hi] (hi from
        the relu radius, or doubled until W'(hi) >= |phi|) shrinks by the golden ratio per
        step; 64 steps leave 4e-14 hi, and the maximum value is then exact to rounding.
        """
        self._require_gamma()
        phi = np.atleast_1d(np.asarray(phi, dtype=float))
        t = np.abs(phi)
        if np.isfinite(self.j_radius):
            hi = np.full_like(t, self.j_radius * (1 - 1e-12))
        else:
            hi = self._bracket_by_doubling(t)
        g = (math.sqrt(5) - 1) / 2

        def f(j):
            return j * t - self.W(j)

        a, b = np.zeros_like(t), hi
        c, d = b - g * (b - a), a + g * (b - a)
        fc, fd = f(c), f(d)
        for _ in range(64):
            left = fc >= fd  # the maximum lies in [a, d]
            a, b = np.where(left, a, c), np.where(left, d, b)
            c_new = np.where(left, b - g * (b - a), d)
            d_new = np.where(left, c, a + g * (b - a))
            c, d = c_new, d_new
            fx = f(np.where(left, c, d))  # one new evaluation per point and step
            fc, fd = np.where(left, fx, fd), np.where(left, fc, fx)
        out = np.maximum(np.maximum(fc, fd), 0.0)
        return np.where(t == 0, 0.0, out)

    # ------------------------------------------------------------------ density
    def _law_for(self, tau_max: float) -> NeuronLaw:
        """The neuron rule graded deep enough for |a| <= tau_max (cached by bucket)."""
        if self.law.kind != "rule" or self.net.activation == "gauss":
            return self.law
        key = int(math.ceil(math.log2(max(tau_max, 1.0)))) if math.isfinite(tau_max) else 999
        if key not in self._laws:
            self._laws[key] = neuron_law(self.net, self.x, refine=self.refine,
                                         tau_max=2.0**key if key < 999 else math.inf)
        return self._laws[key]

    def _tilted_density(self, f, J: float) -> tuple[np.ndarray, np.ndarray]:
        """p_J(f) for the points ``f`` sharing the tilt J (Mode A) and relative error estimates.

        The identity p(f) = exp(W(J) - J f) p_J(f) holds for every real J; the caller picks J
        so that each f lies within about one tilted standard deviation of the tilted mean
        W'(J), where p_J(f) is O(1). The tilted characteristic function g(u) does not depend
        on f, so it is evaluated once per tilt on the u panels and the points differ only by
        the phase exp(-i u f).
        """
        f = np.atleast_1d(np.asarray(f, dtype=float))
        Wpp = float(self.W(J, 2)) if self.net.activation != "gauss" else self.G2
        s = 1.0 / math.sqrt(Wpp)
        a0 = self.c * J * J
        u_max = math.sqrt(2 * math.log(1 / _TINY) / self.sb2)
        law = self._law_for(self.c * (J * J + u_max * u_max))
        lin = self.sb2 * J - f  # residual linear phases (0 at the saddle; -f without tilt)
        width = min(s, 1.0 / max(float(np.max(np.abs(lin))), 1e-300)) / self.refine
        span = self.c * (u_max * u_max + 2 * abs(J) * u_max)
        n_nodes = 12 * self.refine
        total, absum, u0 = np.zeros(f.size), np.zeros(f.size), 0.0
        while u0 < u_max:
            breaks = u0 + width * np.arange(0, 5)
            q = _gl_panels(breaks, n_nodes)
            tau = self.c * (J + 1j * q.u) ** 2
            g = np.exp(1j * q.u * self.sb2 * J - self.sb2 * q.u**2 / 2) * law.ratio(
                a0, tau, tau_span=span) ** self.N
            re = (np.exp(-1j * np.multiply.outer(f, q.u)) * g).real
            total += (re * q.w).sum(axis=1)
            absum += (np.abs(re) * q.w).sum(axis=1)
            u0 = breaks[-1]
            if np.max(np.abs(g)) < _TINY:
                break
        p = total / math.pi
        return p, 10 * _EPS * absum / np.maximum(np.abs(total), 1e-300)

    def _tilt_blocks(self, f: np.ndarray, Js: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """Group the points into blocks sharing one tilt: (indices, J) with every f of a block
        within _BLOCK tilted standard deviations of the block's tilted mean W'(J)."""
        order = np.argsort(f, kind="stable")
        sd = np.sqrt(self.W(Js, 2))  # W''(J): the variance of the tilted law
        blocks, i = [], 0
        while i < order.size:
            j = i
            while j + 1 < order.size and f[order[j + 1]] - f[order[i]] <= _BLOCK * sd[order[i]]:
                j += 1
            while j > i:  # the tilted law may be narrower at the middle point: shrink
                mid = order[(i + j) // 2]
                if np.max(np.abs(f[order[i:j + 1]] - f[mid])) <= _BLOCK * sd[mid]:
                    break
                j -= 1
            blocks.append((order[i:j + 1], float(Js[order[(i + j) // 2]])))
            i = j + 1
        return blocks

    def _rotated_density(self, f) -> tuple[np.ndarray, np.ndarray]:
        """p(f) - atom on the rotated contour (Mode B, f != 0) and relative error estimates.

        The points ``f`` share one set of panels (phi(t) on the ray does not depend on f): the
        panel widths are capped by 1 / max|f| and the ray runs to the end needed by min|f|, so
        the caller passes points within a factor ~2 of each other.
        """
        f = np.abs(np.atleast_1d(np.asarray(f, dtype=float)))
        sf = math.sqrt(self.G2)
        b, s_beta = BETA, math.sin(BETA)
        v_end = math.log(1 / _TINY) / (float(f.min()) * s_beta)
        cap = 1.0 / float(f.max())
        breaks = [0.0]
        while breaks[-1] < v_end:
            v = breaks[-1]
            breaks.append(v + min(max(0.5 / sf, 0.2 * v), cap) / self.refine)
        q = _gl_panels(np.asarray(breaks), 10 * self.refine)
        t = q.u * np.exp(-1j * b)
        law = self._law_for(math.inf)
        phi = np.exp(-self.sb2 * t * t / 2) * law.ratio(0.0, -self.c * t * t) ** self.N
        phi = (phi - self.atom) * np.exp(-1j * b)
        val = np.exp(-1j * np.multiply.outer(f, t)) * phi
        total = (val.real * q.w).sum(axis=1) / math.pi
        absum = (np.abs(val) * q.w).sum(axis=1) / math.pi
        return total, 10 * _EPS * absum / np.maximum(np.abs(total), 1e-300)

    def _density_at_zero_heavy(self) -> tuple[float, float]:
        """p(0) for sigma_b = 0 (phi decays only algebraically): exp-sinh rule in t."""
        if self.N == 1 and self.net.activation != "gauss":
            raise SingularDensityError(
                "the density is singular at f = 0 (sigma_b = 0, N = 1: p(0) = E[(2 pi "
                "sigma_w^2 h^2)^(-1/2)] diverges), so S(f) - S(0) is undefined")
        if self.net.activation == "relu":
            raise SingularDensityError(
                "the density is singular at f = 0 (relu, sigma_b = 0: besides the atom 2^-N of "
                "all-dead layers, the event 'one neuron alive' gives p ~ log(1/|f|)), so "
                "S(f) - S(0) is undefined")
        h = 1.0 / (32 * self.refine)
        k = np.arange(-5.0, 4.5 + 1e-12, h)
        sf = math.sqrt(self.G2)
        t = np.exp(0.5 * math.pi * np.sinh(k)) / sf
        wt = h * 0.5 * math.pi * np.cosh(k) * t
        law = self._law_for(math.inf)
        phi = (np.exp(-self.sb2 * t * t / 2) * law.ratio(0.0, -self.c * t * t)
               ** self.N).real - self.atom
        total = float(wt @ phi) / math.pi
        return total, 1e-10  # exp-sinh: measured error (tests) well below this bound

    @property
    def mode(self) -> str:
        """"tilted" (saddle-shifted contour; needs sigma_b > 0, not too small against the output
        scale) or "rotated" (sigma_b = 0, tiny sigma_b, or Gauss-net without bias)."""
        if self.sb2 > 0 and math.sqrt(2 * math.log(1 / _TINY) * self.G2 / self.sb2) <= 400:
            return "tilted"
        return "rotated"

    def log_density(self, f) -> tuple[np.ndarray, np.ndarray]:
        """log p(f) of the continuous part and an estimated relative accuracy per point.

        Raises :class:`SingularDensityError` at f = 0 where p(0) is infinite (sigma_b = 0, N = 1).
        """
        f = np.atleast_1d(np.asarray(f, dtype=float))
        logp, err = np.empty_like(f), np.empty_like(f)
        gauss = self.net.activation == "gauss"
        tilted = self.mode == "tilted"
        if tilted:
            if gauss:  # no tilt exists: J = 0 for every point
                blocks = [(np.arange(f.size), 0.0)]
            else:
                blocks = self._tilt_blocks(f, self.solve_J(f))
            for idx, J in blocks:
                p, e = self._tilted_density(f[idx], J)
                shift = float(self.W(J)) - J * f[idx] if J != 0 else np.zeros(idx.size)
                pos = p > 0
                logp[idx] = np.where(pos, shift + np.log(np.where(pos, p, 1.0)), -math.inf)
                err[idx] = np.where(pos, e, math.inf)
            return logp, err
        af = np.abs(f)
        groups = [np.flatnonzero(af == 0)] if np.any(af == 0) else []
        order = np.argsort(af, kind="stable")
        order = order[af[order] > 0]
        i = 0
        while i < order.size:  # blocks of |f| within a factor 2 share the rotated panels
            j = int(np.searchsorted(af[order], 2 * af[order[i]], side="right"))
            groups.append(order[i:j])
            i = j
        for idx in groups:
            if af[idx[0]] == 0:
                p0, e0 = self._density_at_zero_heavy()
                p, e = np.full(idx.size, p0), np.full(idx.size, e0)
            else:
                p, e = self._rotated_density(f[idx])
            pos = p > 0
            logp[idx] = np.where(pos, np.log(np.where(pos, p, 1.0)), -math.inf)
            err[idx] = np.where(pos, e, math.inf)
        return logp, err

    def action(self, f) -> tuple[np.ndarray, np.ndarray]:
        """S(f) - S(0) = -log p(f) + log p(0) and its estimated absolute accuracy."""
        f = np.atleast_1d(np.asarray(f, dtype=float))
        lp, e = self.log_density(f)
        lp0, e0 = self.log_density(np.zeros(1))
        return lp0[0] - lp, e + e0[0]
