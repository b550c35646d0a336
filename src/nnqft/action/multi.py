"""Gamma on several inputs: W(J) on k inputs and its Legendre transform by convex optimisation.

W(J) = sigma_b^2 (sum_i J_i)^2 / 2 + N log E[exp(c (J.h)^2)], c = sigma_w^2 / (2N), with
h = (h(x_1), ..., h(x_k)) for one neuron (docs/action.md section 4). The expectation uses the
quadrature rule of :func:`nnqft.moments.quadrature_rule` (rank <= d_in + 1 whatever k is):
smooth activations directly; relu through its analytic radial part,
E_rho[exp(c rho^2 g^2)] = (1 - 2 c g^2)^(-r/2) for a chi_r radius (finite only for
2 c g^2 < 1: the relu radius in J on every direction); cos with enough phase nodes for the
exponential. Gamma(phi) = max_J [J.phi - W(J)] by a damped Newton iteration on the concave
objective (gradient phi - W'(J), Hessian -W''(J)).
"""

from __future__ import annotations

import numpy as np

from ..moments import quadrature_rule
from ..networks import Network, as_inputs
from .theory import GammaUndefinedError, check_network

__all__ = ["MultiInputW", "effective_action", "solve_J"]


#: Why Gamma does not exist for gauss-net on several inputs (docs/action.md section 3).
GAUSS_NO_GAMMA = ("Gamma does not exist for gauss-net: W(J) is infinite for every real J != 0 "
                  "(log-normal hidden units)")


class MultiInputW:
    """W(J), its gradient and Hessian on k inputs (one hidden layer, normal last layer).

    gauss-net is refused (W infinite for J != 0) unless ``allow_gauss``: then only J = 0 is
    evaluated (W = 0, gradient 0, Hessian the kernel), for the untilted Fourier inversion.
    """

    def __init__(self, net: Network, X, *, nodes: int | None = None, allow_gauss: bool = False):
        check_network(net)
        # gauss-net: W is finite only at J = 0; allow_gauss keeps the neuron rule for the
        # untilted characteristic function (nnqft.action.two), and evaluate refuses J != 0
        self.gauss = net.activation == "gauss"
        if self.gauss and not allow_gauss:
            raise GammaUndefinedError(GAUSS_NO_GAMMA)
        self.net = net
        self.X = as_inputs(X, net.d_in)
        self.k = self.X.shape[0]
        rule = quadrature_rule(net, self.X, max_order=80, nodes=nodes)
        self.H = rule.H  # (k, K)
        self.logw = np.log(np.maximum(rule.weights, 1e-300))
        self.r = rule.radial_rank  # relu: radial part analytic
        self.N = net.last_width
        self.c = net.sigma_w**2 / (2 * self.N)
        self.sb2 = net.sigma_b**2

    def _F(self, g):
        c = self.c
        if self.r is None:
            return c * g * g, 2 * c * g, 2 * c * np.ones_like(g)
        q = 1 - 2 * c * g * g
        if np.any(q <= 0):
            return None
        r = self.r
        return -(r / 2) * np.log(q), 2 * r * c * g / q, 2 * r * c * (1 + 2 * c * g * g) / q**2

    def evaluate(self, J):
        """(W, gradient, Hessian) at J, or None outside relu's domain of finiteness."""
        J = np.asarray(J, dtype=float)
        if self.gauss and np.any(J != 0):
            raise GammaUndefinedError(
                "W(J) of gauss-net is infinite for every real J != 0 (log-normal hidden units)")
        g = J @ self.H
        out = self._F(g)
        if out is None:
            return None
        F, F1, F2 = out
        lw = self.logw + F
        mx = lw.max()
        e = np.exp(lw - mx)
        E = e.sum()
        p = e / E
        grad_l = self.H @ (p * F1)
        hess_l = (self.H * (p * (F2 + F1 * F1))) @ self.H.T - np.outer(grad_l, grad_l)
        one = np.ones(self.k)
        s = J.sum()
        W = self.sb2 * s * s / 2 + self.N * (np.log(E) + mx)
        return W, self.sb2 * s * one + self.N * grad_l, self.sb2 * np.outer(one, one) + \
            self.N * hess_l


def effective_action(net: Network, X, phi, *, tol: float = 1e-12, max_iter: int = 200,
                     nodes: int | None = None) -> np.ndarray:
    """Gamma(phi) - Gamma(0) on k inputs for field values phi of shape (P, k)."""
    w = MultiInputW(net, X, nodes=nodes)
    P = np.atleast_2d(np.asarray(phi, dtype=float))
    if P.shape[1] != w.k:
        raise ValueError(f"phi must have {w.k} components, got {P.shape[1]}")
    return np.array([(lambda J, ph: J @ ph - w.evaluate(J)[0])(solve_J(w, ph, tol=tol,
                                                                      max_iter=max_iter), ph)
                     for ph in P])


def solve_J(w: MultiInputW, ph, *, tol: float = 1e-12, max_iter: int = 200) -> np.ndarray:
    """J* with grad W(J*) = ph: damped Newton on the concave J.ph - W(J)."""
    ph = np.asarray(ph, dtype=float)
    J = np.zeros(w.k)
    W, g, Hs = w.evaluate(J)
    if np.max(np.abs(ph - g)) <= tol * max(1.0, np.max(np.abs(ph))):
        return J
    for _ in range(max_iter):
        grad = ph - g
        step = np.linalg.solve(Hs, grad)
        obj = J @ ph - W
        t = 1.0
        while True:
            trial = w.evaluate(J + t * step)
            if trial is not None and (J + t * step) @ ph - trial[0] >= obj - 1e-12 * (
                    1 + abs(obj)):
                break
            t /= 2
            if t < 1e-12:
                raise RuntimeError("Gamma: line search failed")
        J = J + t * step
        W, g, Hs = trial
        if np.max(np.abs(ph - g)) <= tol * max(1.0, np.max(np.abs(ph))):
            return J
    raise RuntimeError("Gamma: Newton iteration did not converge")
