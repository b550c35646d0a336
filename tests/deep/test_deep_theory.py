"""The leading-order 1/N theory of deep networks against exact results and Monte Carlo.

- depth 1: the recursion's single term is the exact one-layer formula, so it must agree with
  nnqft.exact_correlators to the accuracy of the Gaussian integrals (1e-10; tanh 1e-8);
- relu, sigma_b = 0, one input: the exact kurtosis is prod (1 + 5/N_l), so the leading order is
  G4_c / (3 K^2) = sum_l 5 / N_l and K1 = 0 (to rounding);
- Monte Carlo (conditional estimator, fixed seeds): |z| < 4.5 on every tuple, and negative
  controls (the last-layer-only vertex; G2 = K without K1) fail by |z| > 5.
"""

import warnings

import numpy as np
import pytest

import nnqft as nq
from nnqft.combinatorics import sorted_tuples
from nnqft.correlators import wick_sum
from nnqft.deep import deep_theory, four_point, pair_map


@pytest.mark.parametrize(
    "act,sb,X,tol",
    [
        ("erf", 1.0, [[0.3], [0.7], [-0.5], [1.1]], 1e-10),
        ("relu", 0.0, [[0.3], [0.7], [-0.5], [1.1]], 1e-10),
        ("relu", 0.4, [[0.3], [0.7], [-0.5]], 1e-10),
        ("tanh", 0.3, [[0.3], [0.7], [-0.5]], 1e-8),
        ("relu", 0.0, [[0.5, 1.0], [1.0, 0.2], [-0.3, 0.8]], 1e-10),
    ],
)
def test_depth_one_equals_exact(act, sb, X, tol):
    X = np.array(X)
    net = nq.Network(act, width=30, depth=1, sigma_b=sb, sigma_w=1.3, d_in=X.shape[1])
    c = nq.perturbative_correlators(net, X)
    e = nq.exact_correlators(net, X, orders=(2, 4))
    scale = np.max(np.abs(e.connected(4)))
    np.testing.assert_allclose(c.connected(4), e.connected(4), atol=tol * scale, rtol=0)
    np.testing.assert_allclose(c.full(2), e.full(2), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(c.full(4), e.full(4), rtol=1e-9)
    assert c.meta["method"] == "one_over_n"
    assert c.meta["one_layer_check"]["max_rel_diff_G4c"] < tol


@pytest.mark.parametrize("widths", [(50,) * 4, (10, 20, 40), (7,)])
def test_relu_single_input_leading_kurtosis(widths):
    net = nq.Network("relu", width=widths, sigma_b=0.0, sigma_w=1.7)
    c = nq.perturbative_correlators(net, [[0.8]])
    K = c.kernel[0, 0]
    assert c.connected(4)[0] / (3 * K**2) == pytest.approx(sum(5 / N for N in widths), rel=1e-13)
    assert c.full(2)[0] == pytest.approx(K, rel=1e-14)


def test_width_scaling_is_linear():
    X = [[0.2], [0.9]]
    a = deep_theory(nq.Network("tanh", width=(10, 20, 30), sigma_b=0.2, sigma_w=1.1), X)
    b = deep_theory(nq.Network("tanh", width=(20, 40, 60), sigma_b=0.2, sigma_w=1.1), X)
    np.testing.assert_allclose(a.g4_connected(), 2 * b.g4_connected(), rtol=1e-12)
    np.testing.assert_allclose(a.deltas[-1], 2 * b.deltas[-1], rtol=1e-12, atol=1e-16)


def test_refusals():
    with pytest.raises(ValueError, match="erf, relu and tanh"):
        nq.perturbative_correlators(nq.Network("gauss", width=5), [[0.1]])
    with pytest.raises(ValueError, match="orders 2 and 4"):
        nq.perturbative_correlators(nq.Network("erf", width=5, depth=2), [[0.1]], orders=(6,))


def _mc(net, X, M, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nq.estimate_correlators(net, X, orders=(2, 4), n_networks=M, seed=seed)


def test_monte_carlo_four_point_erf_depth3():
    X = np.array([[0.3], [0.7], [-0.5]])
    net = nq.Network("erf", width=30, depth=3, sigma_b=0.5, sigma_w=1.3)
    c = nq.perturbative_correlators(net, X)
    m = _mc(net, X, 20_000, 7)
    err = m.connected_err(4)
    assert np.max(err / np.abs(c.connected(4))) < 0.1  # power: <= 10 % errors
    z = (m.connected(4) - c.connected(4)) / err
    assert np.max(np.abs(z)) < 4.5, z
    # negative control: the one-layer formula applied to the last layer (no propagated vertex)
    th = deep_theory(net, X)
    K = th.kernels[-2]
    T4, P = sorted_tuples(3, 4), sorted_tuples(3, 2)
    g = pair_map("erf", K[P[:, 0], P[:, 0]], K[P[:, 0], P[:, 1]], K[P[:, 1], P[:, 1]])[0]
    G = np.zeros((3, 3))
    G[P[:, 0], P[:, 1]] = G[P[:, 1], P[:, 0]] = g
    naive = net.sigma_w**4 / 30 * (3 * four_point("erf", K, T4) - wick_sum(G, T4))
    assert np.max(np.abs((m.connected(4) - naive) / err)) > 5


def test_monte_carlo_two_point_relu_nlo_kernel():
    X = np.array([[0.3], [0.7], [-0.5]])
    net = nq.Network("relu", width=30, depth=3, sigma_b=0.3, sigma_w=1.4)
    c = nq.perturbative_correlators(net, X)
    m = _mc(net, X, 20_000, 11)
    z = (m.full(2) - c.full(2)) / m.full_err(2)
    assert np.max(np.abs(z)) < 4.5, z
    z0 = (m.full(2) - m.gp(2)) / m.full_err(2)  # negative control: G2 = K (no K1 / N)
    assert np.max(np.abs(z0)) > 5, z0
