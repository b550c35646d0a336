"""Monte Carlo estimators against the exact one-hidden-layer engine (docs/theory.md#estimators).

Every test: fixed seeds, a z-score per sorted tuple with |z| < 4.5, and a power requirement
(median standard error <= 10% of the largest |exact| value) so that the test can fail. A
negative control (the G4_c formula without its C2 C2 terms, the G6_c formula without its
C4 C2 and C2 C2 C2 terms) must fail the same test at the same sample size.

Sample sizes (chosen so the power requirement holds with margin):
- conditional: 40000 networks at N = 3 and N = 20 for orders 4 and 6;
- raw, order 4, N = 3: 100000 networks; raw, order 6, relu N = 3: 200000 networks. The raw
  estimator's relative error on G_n,c grows like N^(n/2 - 1) / sqrt(M), so at N = 20 it
  would need ~10^7 networks for order 4 and ~10^9 for order 6; it is not tested there.
"""

import numpy as np
import pytest

import nnqft as nq
from nnqft.estimate import estimate_correlators
from nnqft.exact import connected_brackets, exact_correlators

CASES = {
    # gauss in its tame regime: sigma_b^2 + sigma_w^2 |x|^2 / d <= 0.09 + 0.01 = 0.1
    "gauss": (dict(activation="gauss", sigma_b=0.3), [-0.1, 0.0, 0.05, 0.1]),
    "erf": (dict(activation="erf", sigma_b=0.5), [-1.0, -0.3, 0.4, 1.2]),
    "relu": (dict(activation="relu", sigma_b=0.3), [-0.5, 0.2, 0.7, 1.2]),
    "cos": (dict(activation="cos", sigma_b=0.5), [-1.0, 0.0, 0.5, 1.5]),
}


def _z(estimate, err, exact):
    return (estimate - exact) / err


def _check(c, exact_vals, n):
    err = c.connected_err(n)
    assert np.median(err) <= 0.1 * np.max(np.abs(exact_vals)), "test lacks power"
    z = _z(c.connected(n), err, exact_vals)
    return np.max(np.abs(z))


def _wrong(net, X, n):
    """Negative control: the brackets with the disconnected products dropped."""
    from nnqft.moments import single_neuron_moment_table

    C = single_neuron_moment_table(net, X, (2, 4, 6))
    N, sw = net.last_width, net.sigma_w
    if n == 4:
        return sw**4 / N * 3 * C[4]
    return sw**6 / N**2 * 15 * C[6]


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("width", [3, 20])
def test_conditional_matches_exact(name, width):
    kw, X = CASES[name]
    net = nq.Network(width=width, **kw)
    ex = exact_correlators(net, X, orders=(6,))
    c = estimate_correlators(net, X, orders=(6,), n_networks=40000, seed=width, estimator="conditional")
    assert not c.meta["heavy_tail"]["fired"]
    # 2-point function: exact equals the kernel; Monte Carlo agrees within errors
    T = c.tuples(2)
    np.testing.assert_allclose(ex.full(2), nq.gp_kernel(net, X)[T[:, 0], T[:, 1]], rtol=1e-12)
    assert np.max(np.abs(_z(c.full(2), c.full_err(2), ex.full(2)))) < 4.5
    for n in (4, 6):
        assert _check(c, ex.connected(n), n) < 4.5, (name, width, n)
        # the negative control fails at the same sample size
        assert np.max(np.abs(_z(c.connected(n), c.connected_err(n), _wrong(net, X, n)))) > 4.5


@pytest.mark.parametrize("name", sorted(CASES))
def test_raw_order4_matches_exact(name):
    kw, X = CASES[name]
    net = nq.Network(width=3, **kw)
    ex = exact_correlators(net, X, orders=(4,))
    c = estimate_correlators(net, X, orders=(4,), n_networks=100000, seed=7, estimator="raw")
    assert _check(c, ex.connected(4), 4) < 4.5
    assert np.max(np.abs(_z(c.connected(4), c.connected_err(4), _wrong(net, X, 4)))) > 4.5


def test_raw_order6_relu_matches_exact():
    kw, X = CASES["relu"]
    net = nq.Network(width=3, **kw)
    ex = exact_correlators(net, X, orders=(6,))
    c = estimate_correlators(net, X, orders=(6,), n_networks=200000, seed=8, estimator="raw")
    assert _check(c, ex.connected(6), 6) < 4.5
    assert _check(c, ex.connected(4), 4) < 4.5
    assert np.max(np.abs(_z(c.connected(6), c.connected_err(6), _wrong(net, X, 6)))) > 4.5


def test_uniform_last_layer_matches_raw_monte_carlo():
    """Uniform W1 (same variance): the weight-cumulant terms of docs/theory.md#non-normal-last-layer."""
    kw, X = CASES["relu"]
    net = nq.Network(width=3, weight_law="uniform", **kw)
    ex = exact_correlators(net, X, orders=(6,))
    c = estimate_correlators(net, X, orders=(6,), n_networks=200000, seed=9, estimator="raw")
    assert _check(c, ex.connected(4), 4) < 4.5
    assert _check(c, ex.connected(6), 6) < 4.5
    # negative control: the normal-law exact values are rejected at this sample size
    normal = exact_correlators(net.replace(weight_law="normal"), X, orders=(6,))
    z4 = _z(c.connected(4), c.connected_err(4), normal.connected(4))
    assert np.max(np.abs(z4)) > 4.5


def test_relu_m4_is_five_over_n():
    """ReLU, sigma_b = 0, positive inputs: m_4 = 5/N exactly (docs/theory.md#exact-finite-width)."""
    X = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2]
    for N in (2, 3, 20, 1000):
        c = exact_correlators(nq.Network("relu", width=N, sigma_b=0.0), X, orders=(4,))
        np.testing.assert_allclose(c.deviation(4), 5.0 / N, rtol=1e-12, atol=0)
    c = estimate_correlators(nq.Network("relu", width=3, sigma_b=0.0), X, orders=(4,),
                             n_networks=20000, seed=3)
    # deviation is a ratio: propagate the error of G4 to m_4 = (G4 - GP) / GP
    err = c.full_err(4) / c.gp(4)
    assert np.max(np.abs(c.deviation(4) - 5.0 / 3) / err) < 4.5


def test_brackets_scale_with_width():
    kw, X = CASES["erf"]
    br = connected_brackets(nq.Network(width=1, **kw), X, (6,))
    for N in (2, 50):
        c = exact_correlators(nq.Network(width=N, **kw), X, orders=(6,))
        np.testing.assert_allclose(c.connected(4) * N, c.network.sigma_w**4 * br[4], rtol=1e-12)
        np.testing.assert_allclose(c.connected(6) * N**2, c.network.sigma_w**6 * br[6], rtol=1e-12)
