"""The leading-order 1/N theory with output indices (nnqft.vector.perturbative_vector_correlators).

Truths: the exact one-hidden-layer engine (the 1/N theory is exact there), the one-output 1/N
theory of nnqft.deep (sum over pairings), and conditional Monte Carlo at depth 2 (z-scores with
a negative control: the same theory without output deltas).
"""

import numpy as np
import pytest

import nnqft as nq
from nnqft.combinatorics import tuple_index
from nnqft.vector import perturbative_vector_correlators

X3 = [-1.0, 0.4, 1.2]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_depth_one_equals_exact(n):
    net = nq.Network("erf", width=5, sigma_b=0.5, outputs=n)
    th = perturbative_vector_correlators(net, X3)
    ex = nq.exact_correlators(net, X3, orders=(2, 4))
    for k in (2, 4):
        scale = np.abs(ex.connected(k)).max()
        assert np.allclose(th.connected(k), ex.connected(k), rtol=0, atol=1e-12 * scale)


def test_all_equal_outputs_give_the_one_output_theory():
    net = nq.Network("tanh", width=20, depth=3, sigma_b=0.3, outputs=2)
    th = perturbative_vector_correlators(net, X3)
    one = nq.perturbative_correlators(net.replace(outputs=1), X3)
    T = th.tuples(4)
    same = np.all(T[..., 1] == 0, axis=1)
    assert np.allclose(th.connected(4)[same], one.connected(4), rtol=1e-13)


def test_depth_two_conditional_monte_carlo_vs_one_over_n():
    net = nq.Network("tanh", width=30, depth=2, sigma_b=0.3, outputs=2)
    X = X3[:2]
    th = perturbative_vector_correlators(net, X)
    mc = nq.estimate_correlators(net, X, orders=(2, 4), n_networks=40000, seed=5)
    e = mc.connected_err(4)
    ok = e > 0
    assert np.median(e[ok]) <= 0.1 * np.abs(th.connected(4)).max()
    # the O(1/N^2) truncation (about 1/N = 3% of G4_c) is below the Monte Carlo resolution here
    z = (mc.connected(4) - th.connected(4))[ok] / e[ok]
    assert np.abs(z).max() < 4.5
    assert np.all(th.connected(4)[~ok] == 0)
    one = nq.perturbative_correlators(net.replace(outputs=1), X)
    wrong = one.connected(4)[tuple_index(mc.tuples(4)[..., 0], 2)]
    assert np.abs((mc.connected(4) - wrong)[ok] / e[ok]).max() > 10
