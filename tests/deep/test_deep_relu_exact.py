"""Exact deep ReLU moments (sigma_b = 0, inputs on one ray) against independent values.

- depth 1: equal to the exact one-hidden-layer correlators (orders up to 8) to rounding;
- kurtosis E[f^4] / (3 E[f^2]^2) = prod (1 + 5 / N_l), E[f^2] = the GP kernel;
- Monte Carlo (conditional estimator) at small widths: |z| < 4.5, and the leading-order 1/N
  value (a negative control) fails by |z| > 5.
"""

import warnings

import numpy as np
import pytest

import nnqft as nq
from nnqft.deep import exact_relu_correlators, relu_kurtosis, relu_moments


@pytest.mark.parametrize("N", [1, 3, 10])
def test_depth_one_equals_one_layer_exact(N):
    net = nq.Network("relu", width=N, sigma_b=0.0, sigma_w=1.3)
    X = [[0.4], [1.2]]
    a = exact_relu_correlators(net, X, orders=(2, 4, 6, 8))
    b = nq.exact_correlators(net, X, orders=(2, 4, 6, 8))
    for n in (2, 4, 6, 8):
        np.testing.assert_allclose(a.full(n), b.full(n), rtol=1e-12)
        np.testing.assert_allclose(a.connected(n), b.connected(n), rtol=1e-10)


@pytest.mark.parametrize("widths", [(3, 3, 3), (5, 8), (10,) * 5, (2, 7, 4, 9)])
def test_kurtosis_and_kernel(widths):
    net = nq.Network("relu", width=widths, sigma_b=0.0, sigma_w=1.1)
    m = relu_moments(net, [0.9], 8)
    assert m[4] / (3 * m[2] ** 2) == pytest.approx(relu_kurtosis(widths), rel=1e-14)
    assert m[2] == pytest.approx(nq.gp_kernel(net, [[0.9]])[0, 0], rel=1e-14)
    assert relu_kurtosis(widths) == pytest.approx(np.prod([1 + 5 / N for N in widths]))


def test_refusals():
    with pytest.raises(ValueError, match="deep relu with sigma_b = 0"):
        exact_relu_correlators(nq.Network("tanh", width=3, depth=2), [[0.1]])
    with pytest.raises(ValueError, match="one ray"):
        exact_relu_correlators(nq.Network("relu", width=3, depth=2, sigma_b=0.0),
                               [[0.1], [-0.2]])


def _check_mc(N, L, M, seed):
    net = nq.Network("relu", width=N, depth=L, sigma_b=0.0, sigma_w=1.4)
    X = [[0.5], [1.0]]
    e = exact_relu_correlators(net, X, orders=(2, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nq.estimate_correlators(net, X, orders=(2, 4), n_networks=M, seed=seed)
    z = (m.connected(4) - e.connected(4)) / m.connected_err(4)
    assert np.max(np.abs(z)) < 4.5, (N, L, z)
    z2 = (m.full(2) - e.full(2)) / m.full_err(2)
    assert np.max(np.abs(z2)) < 4.5, (N, L, z2)
    return net, m, e


def test_monte_carlo_small_width():
    net, m, e = _check_mc(3, 3, 20_000, 5)
    lo = nq.perturbative_correlators(net, [[0.5], [1.0]])  # negative control: 1/N theory
    assert np.max(np.abs((m.connected(4) - lo.connected(4)) / m.connected_err(4))) > 5


@pytest.mark.slow
@pytest.mark.parametrize("N", range(3, 11))
@pytest.mark.parametrize("L", range(1, 6))
def test_monte_carlo_grid(N, L):
    _check_mc(N, L, 20_000, 100 * N + L)
