"""Gamma on several inputs by convex optimisation (nnqft.action.multi)."""

import numpy as np
import pytest

import nnqft as nq
from nnqft.action.multi import MultiInputW, effective_action
from nnqft.action.theory import GammaUndefinedError, OneInputTheory


@pytest.mark.parametrize("act", ["erf", "tanh", "relu", "cos"])
def test_one_input_agrees_with_the_one_dimensional_theory(act):
    # two independent quadratures (moments.quadrature_rule vs the graded 1-d rule / closed forms)
    net = nq.Network(act, width=3, sigma_w=1.5, sigma_b=0.5)
    phi = np.array([0.3, 1.0, 3.0])
    g = effective_action(net, [[0.7]], phi[:, None])
    assert np.max(np.abs(g - OneInputTheory(net, [0.7]).gamma(phi))) < 1e-11


@pytest.mark.parametrize("act", ["erf", "relu", "cos"])
def test_hessian_of_W_is_the_kernel_and_gamma_is_convex(act):
    net = nq.Network(act, width=3, sigma_w=1.5, sigma_b=0.5)
    X = [[0.7], [-0.3], [0.2], [1.1]]
    w = MultiInputW(net, X)
    K = nq.exact_correlators(net, X, orders=(2,)).tensor("connected", 2)
    assert np.max(np.abs(w.evaluate(np.zeros(4))[2] - K)) < 1e-12
    # Gamma is convex along a line through 4-input field space
    d = np.array([0.5, 0.1, -0.2, 0.3])
    g = effective_action(net, X, np.outer(np.linspace(-2, 2, 9), d))
    assert np.all(np.diff(g, 2) > 0)
    # small phi: Gamma = phi.K^-1.phi / 2 + O(phi^4)
    p = 1e-4 * d
    assert effective_action(net, X, [p])[0] == pytest.approx(0.5 * p @ np.linalg.solve(K, p),
                                                            rel=1e-5)


def test_gauss_refused():
    with pytest.raises(GammaUndefinedError):
        MultiInputW(nq.Network("gauss", width=3), [[0.1], [0.2]])
