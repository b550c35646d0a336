"""Exact density p(f1, f2) and action S = -log p of a one-hidden-layer network on two inputs.

Same identity as at one input (docs/action.md sections 2 and 4), in two dimensions: for any real
J where W is finite,

    p(f) = exp(W(J) - J.f) p_J(f),
    p_J(f) = (2 pi)^-2 int d^2t exp(W(J + i t) - W(J) - i t.m_J) exp(-i t.(f - m_J)),

m_J = grad W(J) the mean of the tilted law. At the saddle J*, grad W(J*) = f, p_J*(f) is the
density of the tilted law at its own mean, an O(1) number, so S keeps its relative accuracy in
the tails.

The t integral (docs/action.md section 4) is the trapezoidal rule on the lattice
t = A u, u in delta Z^2, with A the lower-triangular Cholesky factor of W''(J)^-1 (whitened
coordinates: t.W''(J) t = |u|^2). The integrand is analytic, so the lattice sum is exact up to
aliasing: it equals sum_n p~_J(D + 2 pi n / delta), p~_J the whitened tilted density and
D = A^T (f - m_J); delta = 2 pi / (2 |D|max + L0) keeps the images at least L0 = 14 whitened
units away. The integrand matters on a strip along the direction where the bias gives no damping
and it decays only like |u|^-N (a disc for sigma_b = 0): the significant set is found on a lattice
four times coarser, grown ring by ring (beyond the fourth ring only next to significant nodes of
the previous ring) until the estimated tail mass beyond the ring is below 1e-12; coarse cells are
then dropped, smallest first, while their total mass stays below 5e-12 (the full mass is
~ 2 pi), and the fine lattice is evaluated on the rest dilated by one coarse cell. Tail and
dropped mass go into the reported error. Because A is triangular, u.D =
u1 (A11 (f1 - m1) + A21 (f2 - m2)) + u2 A22 (f2 - m2), so on a tensor grid of f the lattice sum
factorises into two matrix products (the whole grid block at the cost of a few points).

The tilted characteristic function uses the neuron rule of
:class:`nnqft.action.multi.MultiInputW` (pre-activations of rank <= d_in + 1) in a compressed
form at refine = 1: erf/tanh at rank 2 with 16 angular nodes per arc and 32 radial nodes (2560
nodes, against 7680 for the moment engine), cos with 96 Gauss-Hermite nodes and 42 phases
(4032 against 7872; 48 nodes left errors of 2e-5 in S at |f_i| = 4 sigma_i). refine = 2 uses
the full rules (cos: 128 nodes and 82 phases), half the lattice spacing and
10x smaller mass budgets: the difference is the accuracy estimate (docs/action.md section 4).
Known limit (cos): the Gauss-Hermite rule in w under-resolves the characteristic function at
large |t|, so log p(0) is off by about 4e-6 with 96 nodes and 1.4e-6 with 128 (the
differences from 128 to 256 nodes fall like n^-3.5); S is then accurate to about 4e-6, and the
reported per-point error, which counts lattice tails and rounding only, does not see this.

gauss-net: W(J) is infinite for every real J != 0, but the identity holds at J = 0, where the
untilted characteristic function is finite for real t; all points then share J = 0 (one table,
lattice sized to their largest whitened radius), with a Gauss-Hermite neuron rule in the rank-2
pre-activations (64 nodes per axis, refine = 2: 96, nodes of weight < 1e-17 dropped). Accurate
in the bulk; the error relative to p grows like p(0) / p(f), so S is resolved (error < 1e-3)
while p(f) / p(0) >~ 1e-9 (docs/action.md section 4).

Several points can share one tilt J (``block``): the identity is exact for any J, and p_J(f)
stays O(1e-3) or more while f is within 3 whitened units of m_J, so a grid is cut into blocks of
whitened radius <= 3 with one lattice table each (:meth:`TwoInputTheory.grid_action`).
"""

from __future__ import annotations

import math

import numpy as np

from ..moments import quadrature_rule
from ..networks import Network
from .multi import MultiInputW, solve_J
from .theory import SingularDensityError, check_network

__all__ = ["TwoInputTheory", "relu_singular_parts"]

#: Aliasing margin: the images of a point sit >= L0 whitened units beyond the block.
_L0 = 14.0
#: Budget for the lattice mass dropped or truncated (the full mass is ~ 2 pi).
_EPS_SUM = 1e-11
#: Largest lattice radius (whitened units): beyond it the tail is too slow (small N).
_U_CAP = 600.0
#: Coarse-lattice stride used to find the significant nodes.
_STRIDE = 4
#: Whitened radius of a block of grid points sharing one tilt.
_DMAX = 3.0
#: Largest number of lattice nodes per table.
_MAX_NODES = 3_000_000
_NEIGH = np.array([(da, db) for da in (-1, 0, 1) for db in (-1, 0, 1)])


def relu_singular_parts(net: Network, X) -> dict:
    """The singular part of the two-input law of a one-layer relu network (docs/action.md 4).

    Conditionally on the hidden layer f is normal with covariance
    sigma_b^2 11^T + (sigma_w^2 / N) sum_j h_j h_j^T, h_j = (relu(z_j1), relu(z_j2)); it is
    singular when all h_j (and the bias direction (1, 1) if sigma_b > 0) are collinear. Per neuron
    the pre-activations (z1, z2) are centred normal with correlation rho, so the four states have
    P(both dead) = P(both live) = 1/4 + arcsin(rho) / (2 pi) =: q and P(only input 1 live) =
    P(only input 2 live) = 1/4 - arcsin(rho) / (2 pi) =: s (orthant probabilities).

    - sigma_b > 0: f lies on the diagonal f1 = f2 (f = b (1, 1)) exactly when every neuron is
      dead at both inputs: mass q^N, with the normal density N(0, sigma_b^2) along the line.
    - sigma_b = 0: atom at 0 of mass q^N; the f1 axis (f2 = 0, f1 != 0) carries
      (q + s)^N - q^N (no neuron live at input 2), the f2 axis the same.

    The remaining, absolutely continuous part is not computed: configurations with a single
    live neuron give it a logarithmic singularity along those lines (as for N = 1 with a smooth
    activation), which the Fourier inversion cannot resolve.

    Returns
    -------
    dict with ``rho``, ``q``, ``s``, ``lines`` (list of (description, mass)), ``atom`` (mass at
    f = 0), ``singular_mass`` and a one-line ``message``.
    """
    from ..networks import as_inputs

    Xa = as_inputs(X, net.d_in)
    m = net.pre_activation_cov(Xa)
    rho = float(np.clip(m[0, 1] / math.sqrt(m[0, 0] * m[1, 1]), -1.0, 1.0))
    q = 0.25 + math.asin(rho) / (2 * math.pi)
    s = 0.25 - math.asin(rho) / (2 * math.pi)
    N = net.last_width
    if net.sigma_b > 0:
        lines = [("diagonal f1 = f2 (every neuron dead at both inputs)", q**N)]
        atom = 0.0
    else:
        ax = (q + s) ** N - q**N
        lines = [("axis f2 = 0 (no neuron live at input 2)", ax),
                 ("axis f1 = 0 (no neuron live at input 1)", ax)]
        atom = q**N
    total = atom + sum(mass for _, mass in lines)
    parts = "; ".join(f"{d}: mass {mass:.6g}" for d, mass in lines)
    if atom:
        parts += f"; atom at f = 0: mass {atom:.6g}"
    msg = (f"the two-input relu law is not absolutely continuous: singular part of mass "
           f"{total:.6g} ({parts}), and the continuous part is log-divergent on those lines, "
           "so S on two inputs is not computed")
    return {"rho": rho, "q": q, "s": s, "lines": lines, "atom": atom, "singular_mass": total,
            "message": msg}


class TwoInputTheory:
    """The exact joint law of the outputs at two inputs (one hidden layer, normal last layer).

    Parameters
    ----------
    net : Network
        depth 1, normal last layer, N >= 2; erf, tanh, cos or gauss. gauss-net has no tilt
        (W infinite for J != 0): every point uses J = 0 and one lattice table, so the relative
        error grows like p(0) / p(f) in the tails (docs/action.md section 4). Refused: relu
        (singular parts on lines, masses in the message: :func:`relu_singular_parts`), N = 1
        (log singularity on the diagonal), a singular 2x2 kernel.
    X : array_like, shape (2, d_in)
    refine : int
        1 (default) or 2: full neuron rules, half the lattice spacing, 10x smaller tail and
        dropped-mass budgets (accuracy estimates).
    nodes_refine : bool
        With refine = 2: also use the full neuron rules (False: refine the t lattice only).
    """

    def __init__(self, net: Network, X, *, refine: int = 1, nodes_refine: bool = True):
        check_network(net)
        self.gauss = net.activation == "gauss"
        if net.last_width < 2:
            raise SingularDensityError(
                "the two-input density is singular on the diagonal for N = 1 (f1 - f2 = "
                "w (h1 - h2) has a log-divergent density at 0), so S is undefined")
        self.refine = int(refine)
        self.t_refine = self.refine
        self.eps = _EPS_SUM if self.refine == 1 else _EPS_SUM * 0.1
        # gauss-net: no tilt (W infinite for J != 0), J = 0 only; rule: Gauss-Hermite in the
        # rank-2 pre-activations, 64 nodes per axis (refine = 2: 96)
        self.w = MultiInputW(net, X, allow_gauss=True,
                             nodes=(96 if self.refine == 2 and nodes_refine else None)
                             if self.gauss else None)
        if self.w.k != 2:
            raise ValueError(f"TwoInputTheory takes exactly two inputs, got {self.w.k}")
        if self.gauss:  # drop the Gauss-Hermite nodes of weight < 1e-17 (~1/3 are kept)
            keep = self.w.logw > math.log(1e-17)
            self.w.H, self.w.logw = self.w.H[:, keep], self.w.logw[keep]
        elif self.refine == 1 or not nodes_refine:
            self._compress_rule(net)
        elif net.activation == "cos":  # refined cos rule: 128 Gauss-Hermite nodes, 82 phases
            rule = quadrature_rule(net, self.w.X, max_order=80, nodes=128)
            self.w.H = rule.H
            self.w.logw = np.log(np.maximum(rule.weights, 1e-300))
        K = self.w.evaluate(np.zeros(2))[2]
        ev = np.linalg.eigvalsh(K)
        if ev[0] <= 1e-10 * ev[1]:
            raise SingularDensityError(
                "the 2x2 kernel is singular (coincident or degenerate inputs): the joint density "
                "lives on a line, so S on two inputs is undefined")
        self.net = net
        self.K = K
        if net.activation == "relu":
            raise SingularDensityError(relu_singular_parts(net, X)["message"])

    def _compress_rule(self, net):
        """Replace the moment engine's neuron rule by the smaller one of the module docstring."""
        w = self.w
        if net.activation == "cos":
            rule = quadrature_rule(net, w.X, max_order=40, nodes=96)
        elif w.H.shape[1] == 7680:  # erf/tanh polar rule at rank 2 (24 x 5 arcs x 64 radial)
            rule = quadrature_rule(net, w.X, nodes=16)
        else:
            return
        w.H = rule.H
        w.logw = np.log(np.maximum(rule.weights, 1e-300))

    # ------------------------------------------------------------------ tilted char. function
    def _tilted_weights(self, J):
        w = self.w
        g = J @ w.H
        F = w._F(g)[0]
        lw = w.logw + F
        p = np.exp(lw - lw.max())
        return g, p / p.sum()

    def _phi(self, J, g, p, m, T):
        """exp(W(J + i t) - W(J) - i t.m_J) at the rows t of T (shape (n, 2))."""
        w = self.w
        out = np.empty(len(T), dtype=complex)
        step = max(1, 1_000_000 // max(1, w.H.shape[1]))
        for s in range(0, len(T), step):
            gam = T[s:s + step] @ w.H  # (n, K)
            amp = np.exp(-w.c * gam * gam)
            ph = (2 * w.c * g)[None, :] * gam
            out[s:s + step] = (amp * np.cos(ph)) @ p + 1j * ((amp * np.sin(ph)) @ p)
        sJ, st = J.sum(), T.sum(axis=1)
        with np.errstate(divide="ignore"):
            lphi = w.N * np.log(out) + w.sb2 * ((sJ + 1j * st) ** 2 - sJ * sJ) / 2 - 1j * (T @ m)
        return np.exp(lphi)

    def _table(self, J, dmax):
        """The lattice rule at tilt J for whitened offsets |D| <= dmax.

        Returns a dict with W0, m, A (t = A u), delta, the index arrays of the kept nodes and
        phi_J (e^{-i t.m} included) on them, and detH.
        """
        W0, m, Hs = self.w.evaluate(J)
        A = np.linalg.cholesky(np.linalg.inv(Hs))
        g, p = self._tilted_weights(J)
        delta = 2 * math.pi / (2 * dmax + _L0) / self.t_refine
        s = _STRIDE
        dc = s * delta
        # coarse lattice (half plane b >= 0), grown ring by ring: the first rings in full,
        # then only the ring nodes next to a significant node (|phi| > eps 1e-6) of the
        # previous ring (the significant set is a strip or a disc around the origin); stop when
        # the tail beyond ring r, estimated as (ring mass) r / (kappa - 1) with kappa the power
        # decay of the ring masses between r / 2 and r (at most N - 1: |phi| falls at least
        # like r^-N), is below eps / 10
        eps = self.eps
        thr = eps * 1e-6
        vals, rings, mass = [], [], []
        r = 0
        prev = np.zeros((0, 2), dtype=int)
        n_sig = 0
        tail = math.inf
        while True:
            if r <= 4:
                a = np.arange(-r, r + 1)
                b = np.arange(0, r + 1)
                top = np.stack([a, np.full_like(a, r)], 1)
                sides = np.concatenate([np.stack([np.full(r, -r), b[:-1]], 1),
                                        np.stack([np.full(r, r), b[:-1]], 1)])
                ring = np.concatenate([top, sides]) if r else np.zeros((1, 2), dtype=int)
            else:
                cand = (prev[:, None, :] + _NEIGH[None, :, :]).reshape(-1, 2)
                neg = cand[:, 1] < 0
                cand[neg] = -cand[neg]
                cand = cand[np.max(np.abs(cand), axis=1) == r]
                ring = np.unique(cand, axis=0)
            val = np.abs(self._phi(J, g, p, m, (dc * ring) @ A.T)) if len(ring) else np.zeros(0)
            vals.append(val)
            rings.append(ring)
            mass.append(2 * val.sum() * dc * dc)
            prev = ring[val > thr]
            if r >= 4:
                kappa = math.log(max(mass[r // 2], 1e-300) / max(mass[r], 1e-300)) / math.log(
                    r / (r // 2))
                kappa = min(kappa, self.w.N - 1.0)
                tail = mass[r] * r / (kappa - 1) if kappa > 1.5 else math.inf
                if len(prev) == 0 or (val.max() <= 1e-3 and tail <= eps / 10):
                    tail = min(tail, mass[r] * r)
                    break
            n_sig += len(prev)
            if (r + 1) * dc > _U_CAP or n_sig * _STRIDE**2 > _MAX_NODES:
                # slow algebraic tail (small N, sigma_b = 0): stop; the tail estimate (inf when
                # the ring masses do not yet decay faster than r^-1.5) goes into the error
                if r < 4:
                    tail = math.inf
                break
            r += 1
        R = r
        ring = np.concatenate(rings)
        val = np.concatenate(vals)
        cell = np.where(ring[:, 1] > 0, 2.0, 1.0) * dc * dc * val
        order = np.argsort(cell)
        cum = np.cumsum(cell[order])
        drop = order[cum <= eps / 2]  # dropped coarse cells: total mass <= eps / 2
        keep_c = np.ones(len(ring), dtype=bool)
        keep_c[drop] = False
        dropped = float(cum[len(drop) - 1]) if len(drop) else 0.0
        n_coarse = (2 * R + 1) * (R + 1)  # nodes never evaluated: below thr each
        dropped += (n_coarse - len(ring)) * thr * 2 * dc * dc
        M = np.zeros((2 * R + 3, R + 3), dtype=bool)  # index (a + R + 1, b + 1), b from -1
        for (ia, ib) in ring[keep_c].tolist():
            M[ia + R + 1, ib + 1] = True
            if ib == 1:  # the mirror of row 1 is row -1 (|phi(-u)| = |phi(u)|)
                M[-ia + R + 1, 0] = True
        Md = M.copy()  # dilate by one coarse cell
        for da in (-1, 0, 1):
            for db in (-1, 0, 1):
                Md[max(da, 0):M.shape[0] + min(da, 0), max(db, 0):M.shape[1] + min(db, 0)] |= \
                    M[max(-da, 0):M.shape[0] + min(-da, 0), max(-db, 0):M.shape[1] + min(-db, 0)]
        n = s * R + s // 2
        i = np.arange(-n, n + 1)
        j = np.arange(0, n + 1)
        ca = np.clip(np.rint(i / s).astype(int), -R, R) + R + 1
        cb = np.clip(np.rint(j / s).astype(int), 0, R) + 1
        keep = Md[ca[:, None], cb[None, :]]
        II, JJ = np.nonzero(keep)
        Uu = delta * np.stack([i[II], j[JJ]], 1)
        ph = self._phi(J, g, p, m, Uu @ A.T)
        wt = np.where(j[JJ] > 0, 2.0, 1.0) * delta**2
        return {"tail": tail + dropped, "W0": W0, "m": m, "A": A, "delta": delta, "i": i, "j": j,
                "II": II, "JJ": JJ, "Uu": Uu, "phw": wt * ph, "detH": float(np.linalg.det(Hs)), "n": n}

    def _finish(self, tab, val, absum, fJ):
        pJ = val / (4 * math.pi**2 * math.sqrt(tab["detH"]))
        err = (1e2 * np.finfo(float).eps * absum + tab["tail"]) / np.maximum(np.abs(val), 1e-300)
        pos = pJ > 0  # not resolved (below the rounding/truncation floor): -inf, error inf
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = np.where(pos, tab["W0"] - fJ + np.log(np.where(pos, pJ, 1.0)), -np.inf)
        return lp, np.where(pos, err, np.inf)

    def _density_block(self, J, fs):
        """log p at the points fs (shape (P, 2)) using one tilt J."""
        _, m0, Hs0 = self.w.evaluate(J)
        A0 = np.linalg.cholesky(np.linalg.inv(Hs0))
        dmax = float(np.max(np.linalg.norm((fs - m0) @ A0, axis=1))) if len(fs) else 0.0
        tab = self._table(J, dmax)
        D = (fs - tab["m"]) @ tab["A"]
        Uu, phw = tab["Uu"], tab["phw"]
        val = np.empty(len(fs))
        step = max(1, 10_000_000 // len(Uu))
        for s in range(0, len(fs), step):
            arg = Uu @ D[s:s + step].T
            val[s:s + step] = phw.real @ np.cos(arg) + phw.imag @ np.sin(arg)
        return self._finish(tab, val, np.abs(phw).sum(), fs @ J)

    def _density_grid(self, J, f1, f2, dmax):
        """log p on the tensor grid f1 x f2 using one tilt J (separable lattice sum)."""
        tab = self._table(J, dmax)
        m, A, delta = tab["m"], tab["A"], tab["delta"]
        n = tab["n"]
        Phi = np.zeros((2 * n + 1, n + 1), dtype=complex)
        Phi[tab["II"], tab["JJ"]] = tab["phw"]
        u1, u2 = delta * tab["i"], delta * tab["j"]
        y1, y2 = f1 - m[0], f2 - m[1]
        # u.D = u1 (A11 y1 + A21 y2) + u2 A22 y2
        E2 = np.exp(-1j * np.outer(u2, A[1, 1] * y2))  # (n2, P2)
        S1 = Phi @ E2  # (n1, P2)
        S1 = S1 * np.exp(-1j * np.outer(u1, A[1, 0] * y2))
        E1 = np.exp(-1j * np.outer(A[0, 0] * y1, u1))  # (P1, n1)
        val = (E1 @ S1).real  # (P1, P2)
        F1, F2 = np.meshgrid(f1, f2, indexing="ij")
        return self._finish(tab, val, np.abs(tab["phw"]).sum(), J[0] * F1 + J[1] * F2)

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
        if self.gauss:  # no tilt exists: J = 0 for every point, one lattice table
            labels = np.zeros(len(f), dtype=int)
        for lab in np.unique(labels):
            sel = labels == lab
            J = np.zeros(2) if self.gauss else solve_J(self.w, f[sel].mean(axis=0))
            lp[sel], err[sel] = self._density_block(J, f[sel])
        return lp, err

    def action(self, f, *, block=None):
        """S(f) - S(0) = log p(0) - log p(f) and its estimated absolute error."""
        lp, e = self.log_density(f, block=block)
        lp0, e0 = self.log_density(np.zeros((1, 2)))
        return lp0[0] - lp, e + e0[0]

    def grid_log_density(self, f1, f2, *, progress=None, dmax: float = _DMAX):
        """log p and its estimated error on the tensor grid f1 x f2 (shape (len(f1), len(f2))).

        The grid is cut recursively into rectangles whose corners lie within whitened distance
        ``dmax`` (default 3) of the tilted mean at the saddle point of the rectangle's centre;
        each rectangle is one lattice table and two matrix products. A larger ``dmax`` means
        fewer, finer tables and an accuracy relative to p at the block centre rather than at
        each point (enough for integrals of p).
        """
        f1 = np.asarray(f1, dtype=float)
        f2 = np.asarray(f2, dtype=float)
        lp = np.empty((len(f1), len(f2)))
        err = np.empty_like(lp)
        stack = [(0, len(f1), 0, len(f2))]
        while stack:
            a, b, c, d = stack.pop()
            centre = np.array([(f1[a] + f1[b - 1]) / 2, (f2[c] + f2[d - 1]) / 2])
            J = np.zeros(2) if self.gauss else solve_J(self.w, centre)
            _, m, Hs = self.w.evaluate(J)
            A = np.linalg.cholesky(np.linalg.inv(Hs))
            corners = np.array([[f1[x], f2[y]] for x in (a, b - 1) for y in (c, d - 1)])
            dist = float(np.max(np.linalg.norm((corners - m) @ A, axis=1)))
            if dist > dmax and (b - a > 1 or d - c > 1) and not self.gauss:
                ext1 = np.linalg.norm(np.array([f1[b - 1] - f1[a], 0.0]) @ A)
                ext2 = np.linalg.norm(np.array([0.0, f2[d - 1] - f2[c]]) @ A)
                if (ext1 >= ext2 and b - a > 1) or d - c == 1:
                    h = (a + b) // 2
                    stack += [(a, h, c, d), (h, b, c, d)]
                else:
                    h = (c + d) // 2
                    stack += [(a, b, c, h), (a, b, h, d)]
                continue
            lp[a:b, c:d], err[a:b, c:d] = self._density_grid(J, f1[a:b], f2[c:d], dist)
            if progress is not None:
                progress((b - a) * (d - c))
        return lp, err

    def grid_action(self, f1, f2, *, progress=None):
        """S - S(0) and its estimated absolute error on the tensor grid f1 x f2."""
        lp, e = self.grid_log_density(f1, f2, progress=progress)
        lp0, e0 = self.log_density(np.zeros((1, 2)))
        return lp0[0] - lp, e + e0[0]
