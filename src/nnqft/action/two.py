"""Exact density p(f1, f2) and action S = -log p of a one-hidden-layer network on two inputs.

Same identity as at one input (docs/action.md sections 2 and 4), in two dimensions: for any real
J where W is finite,

    p(f) = exp(W(J) - J.f) p_J(f),
    p_J(f) = (2 pi)^-2 int d^2t exp(W(J + i t) - W(J) - i t.m_J) exp(-i t.(f - m_J)),

m_J = grad W(J) the mean of the tilted law. At the saddle J*, grad W(J*) = f, p_J*(f) is the
density of the tilted law at its own mean, an O(1) number, so S keeps its relative accuracy in
the tails. The tilted characteristic function is evaluated with the neuron rule of
:class:`nnqft.action.multi.MultiInputW` (pre-activations of rank <= d_in + 1; relu, refused on two inputs,
would use its radial part (1 - 2 c z^2)^(-r/2) on the principal branch). The t integral is a tensor rule in whitened coordinates t = Q L^(-1/2) u
(W''(J) = Q L Q^T): composite Gauss-Legendre panels (8 nodes) of width min(max(1.5, 0.2 |u|), 3 / |D|max) (D the
whitened offsets f - m_J of the points sharing the tilt), on the square |u_i| <= U, U the largest radius (along the two
principal axes) where the integrand is still above 1e-13 / |u| (its decay is only algebraic, ~ (1 + u^2 / N)^(-N/2), along directions where the
bias gives no damping); the half plane u_2 >= 0 suffices (phi(-t) = conj phi(t)).

Several points can share one tilt J (``block``): the identity is exact for any J, and p_J(f)
stays O(1) while f is within a couple of standard deviations of m_J, so a grid is evaluated with
one characteristic-function table per block of points (the benchmark's 100 x 100 grid).
"""

from __future__ import annotations

import math

import numpy as np

from ..moments import GH_NODES, RELU_GL_NODES, SMOOTH_GL_NODES
from ..networks import Network
from .multi import MultiInputW, solve_J
from .theory import GammaUndefinedError, SingularDensityError, check_network

__all__ = ["TwoInputTheory"]

_CORE = 6.0
_TAIL = 1e-13
_U_CAP = 2e4


def _gl(n):
    x, w = np.polynomial.legendre.leggauss(n)
    return (x + 1) / 2, w / 2


class TwoInputTheory:
    """The exact joint law of the outputs at two inputs (one hidden layer, normal last layer).

    Parameters
    ----------
    net : Network
        depth 1, normal last layer, N >= 2; erf, tanh or cos. Refused: gauss (no tilt), relu
        (line components of mass ~ q^N: configurations where every live neuron is live at one
        input only), N = 1 (log singularity on the diagonal), a singular 2x2 kernel.
    X : array_like, shape (2, d_in)
    refine : int
        1 (default) or 2: halves the t panels and doubles the neuron-rule nodes (accuracy
        estimates).
    nodes_refine : bool
        With refine = 2: also double the neuron-rule nodes (False: refine the t rule only).
    """

    def __init__(self, net: Network, X, *, refine: int = 1, nodes_refine: bool = True):
        check_network(net)
        if net.activation == "gauss":
            raise GammaUndefinedError(
                "the two-input density of gauss-net is not implemented: W(J) is infinite for "
                "every real J != 0, so there is no saddle-point tilt")
        if net.last_width < 2:
            raise SingularDensityError(
                "the two-input density is singular on the diagonal for N = 1 (f1 - f2 = "
                "w (h1 - h2) has a log-divergent density at 0), so S is undefined")
        if net.activation == "relu":
            raise SingularDensityError(
                "the two-input relu density is not absolutely continuous: when every live neuron "
                "is live at one input only or no neuron is live, f lies on a line (mass ~ q^N), "
                "so S on two inputs is undefined")
        self.refine = int(refine)
        self.t_refine = self.refine
        nodes = None
        if self.refine > 1 and nodes_refine:  # about twice the neuron-rule nodes per axis
            nodes = {"relu": 2 * RELU_GL_NODES, "cos": 2 * GH_NODES[1]}.get(
                net.activation, 2 * SMOOTH_GL_NODES)
        self.w = MultiInputW(net, X, nodes=nodes)
        if self.w.k != 2:
            raise ValueError(f"TwoInputTheory takes exactly two inputs, got {self.w.k}")
        K = self.w.evaluate(np.zeros(2))[2]
        ev = np.linalg.eigvalsh(K)
        if ev[0] <= 1e-10 * ev[1]:
            raise SingularDensityError(
                "the 2x2 kernel is singular (coincident or degenerate inputs): the joint density "
                "lives on a line, so S on two inputs is undefined")
        self.net = net
        self.K = K

    # ------------------------------------------------------------------ tilted char. function
    def _tilted_weights(self, J):
        w = self.w
        g = J @ w.H
        F = w._F(g)[0]
        lw = w.logw + F
        p = np.exp(lw - lw.max())
        return g, F, p / p.sum()

    def _log_phi(self, J, g, F, p, T):
        """log E_J[exp(i t.F)] - i t.m_J is not subtracted here: returns W(J+it) - W(J) for the
        rows t of T (shape (n, 2))."""
        w = self.w
        out = np.empty(len(T), dtype=complex)
        step = max(1, 2_000_000 // max(1, w.H.shape[1]))
        for s in range(0, len(T), step):
            gam = T[s:s + step] @ w.H  # (n, K)
            z = g[None, :] + 1j * gam
            if w.r is None:
                dF = w.c * (-gam * gam + 2j * g[None, :] * gam)
            else:
                dF = -(w.r / 2) * np.log(1 - 2 * w.c * z * z) - F[None, :]
            out[s:s + step] = np.log(np.exp(dF) @ p)
        sJ, st = J.sum(), T.sum(axis=1)
        return w.N * out + w.sb2 * ((sJ + 1j * st) ** 2 - sJ * sJ) / 2

    def _axis_nodes(self, U, dmax=0.0):
        """Positive-half panel nodes/weights on [0, U]; widths capped by 3 / dmax so that the
        phase exp(-i u.D) of the farthest point of a block (|D| <= dmax) stays resolved."""
        breaks = [0.0]
        cap = 3.0 / max(dmax, 1e-300)
        while breaks[-1] < U:
            v = breaks[-1]
            breaks.append(v + min(max(1.5, 0.2 * v), cap) / self.t_refine)
        b = np.asarray(breaks)
        x, wq = _gl(8)
        lo, hi = b[:-1, None], b[1:, None]
        return (lo + (hi - lo) * x).ravel(), ((hi - lo) * wq).ravel()

    def _table(self, J, fs):
        """Whitened tensor rule and the tilted characteristic function on it."""
        W0, m, Hs = self.w.evaluate(J)
        lam, Q = np.linalg.eigh(Hs)
        A = Q / np.sqrt(lam)  # t = A u
        g, F, p = self._tilted_weights(J)
        U = 0.0
        for ang in (0.0, np.pi / 2):  # decay along the two principal axes
            d = A @ np.array([math.cos(ang), math.sin(ang)])
            u = _CORE
            while True:
                val = abs(np.exp(self._log_phi(J, g, F, p, np.outer([u], d))[0]))
                if val * u < _TAIL:
                    break
                u *= 1.25
                if u > _U_CAP:
                    raise FloatingPointError(
                        "the tilted characteristic function decays too slowly (it falls like "
                        "|t|^-N along some direction); use a wider network")
            U = max(U, u)
        U = [U, U]
        dmax = float(np.max(np.abs((fs - m) @ A))) if len(fs) else 0.0
        u1, w1 = self._axis_nodes(U[0], dmax)
        u2, w2 = self._axis_nodes(U[1], dmax)
        u1, w1 = np.concatenate([-u1[::-1], u1]), np.concatenate([w1[::-1], w1])
        G1, G2 = np.meshgrid(u1, u2, indexing="ij")
        Uu = np.stack([G1.ravel(), G2.ravel()], axis=1)
        Wt = np.outer(w1, w2).ravel() * 2  # half plane u2 >= 0, times 2 (Re part is even)
        T = Uu @ A.T
        lphi = self._log_phi(J, g, F, p, T) - 1j * (T @ m)
        return W0, m, A, Uu, Wt, np.exp(lphi), float(np.prod(lam))

    def _density_block(self, J, fs):
        """log p at the points fs (shape (P, 2)) using one tilt J."""
        W0, m, A, Uu, Wt, ph, detH = self._table(J, fs)
        D = (fs - m) @ A  # u.(A^T (f - m)) = t.(f - m)
        # Re[ph e^{-i u.D}] summed with weights
        ph_w = Wt * ph
        val = np.empty(len(fs))
        step = max(1, 20_000_000 // len(Uu))
        for s in range(0, len(fs), step):
            arg = Uu @ D[s:s + step].T  # (n, chunk)
            val[s:s + step] = ph_w.real @ np.cos(arg) + ph_w.imag @ np.sin(arg)
        absum = (np.abs(ph_w)).sum()
        pJ = val / (4 * math.pi**2 * math.sqrt(detH))
        err = 1e2 * np.finfo(float).eps * absum / np.maximum(np.abs(val), 1e-300)
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = W0 - fs @ J + np.log(pJ)
        return lp, err

    def solve_J(self, f):
        """Saddle points J* with grad W(J*) = f (damped Newton, nnqft.action.multi)."""
        return np.array([solve_J(self.w, ph) for ph in np.atleast_2d(f)])

    def log_density(self, f, *, block: np.ndarray | None = None):
        """log p(f) at points f (shape (P, 2)) and an estimated relative error per point.

        ``block`` (shape (P,), integer labels): points with the same label share the tilt of the
        saddle point of their mean; default: every point its own saddle point (exact tilt).
        """
        f = np.atleast_2d(np.asarray(f, dtype=float))
        labels = np.arange(len(f)) if block is None else np.asarray(block)
        lp, err = np.empty(len(f)), np.empty(len(f))
        for lab in np.unique(labels):
            sel = labels == lab
            J = solve_J(self.w, f[sel].mean(axis=0))
            lp[sel], err[sel] = self._density_block(J, f[sel])
        return lp, err

    def action(self, f, *, block=None):
        """S(f) - S(0) = log p(0) - log p(f) and its estimated absolute error."""
        lp, e = self.log_density(f, block=block)
        lp0, e0 = self.log_density(np.zeros((1, 2)))
        return lp0[0] - lp, e + e0[0]

    def grid_action(self, f1, f2, *, blocks: int = 10):
        """S - S(0) on the tensor grid f1 x f2 (shape (len(f1), len(f2))), one tilt per block of
        about len/blocks x len/blocks points."""
        F1, F2 = np.meshgrid(f1, f2, indexing="ij")
        b1 = np.minimum(np.arange(len(f1)) * blocks // len(f1), blocks - 1)
        b2 = np.minimum(np.arange(len(f2)) * blocks // len(f2), blocks - 1)
        lab = (b1[:, None] * blocks + b2[None, :]).ravel()
        pts = np.stack([F1.ravel(), F2.ravel()], axis=1)
        S, e = self.action(pts, block=lab)
        return S.reshape(F1.shape), e.reshape(F1.shape)

