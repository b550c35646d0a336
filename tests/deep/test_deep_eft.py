"""EFT couplings of deep networks with the 1/N theory as source."""

import numpy as np
import pytest

import nnqft as nq
from nnqft.deep import deep_couplings, deep_running, sigma_w_scan


def test_depth_one_equals_exact_source():
    net = nq.Network("erf", width=7, sigma_b=0.5)
    X = [[0.2], [0.6], [-0.4]]
    a = deep_couplings(net, X, 50.0)
    b = nq.eft.couplings(nq.exact_correlators(net, X, orders=(2, 4)), net, 50.0)
    np.testing.assert_allclose(a.lam, b.lam, rtol=1e-10)


def test_deep_relu_homogeneous_coupling():
    # relu, sigma_b = 0, d = 1, positive inputs: G4_c and I_4 are both proportional to prod x,
    # so lambda is the same on every tuple; I_4 ~ Lambda^(d + 4) gives slope -(d + 4) = -5
    net = nq.Network("relu", width=20, depth=3, sigma_b=0.0)
    X = [[0.2], [0.6], [1.0]]
    fit = deep_couplings(net, X, 100.0)
    assert fit.spread < 1e-10 * abs(fit.mean)
    run = deep_running(net, X, np.geomspace(10, 1000, 5))
    assert run.slope == pytest.approx(-5.0, abs=1e-6)


def test_sigma_w_scan_depth_one_against_exact():
    net = nq.Network("erf", width=20, depth=1, sigma_b=0.5)
    X = [[0.2], [0.6]]
    out = sigma_w_scan(net, X, 100.0, [1.0, 1.5, 2.0])
    for sw, lam in zip(out["sigma_w"], out["lambda_mean"], strict=True):
        n = net.replace(sigma_w=sw)
        ref = nq.eft.couplings(nq.exact_correlators(n, X, orders=(2, 4)), n, 100.0).mean
        assert lam == pytest.approx(ref, rel=1e-10)
    ref = np.polyfit(np.log(out["sigma_w"]), np.log(np.abs(out["lambda_mean"])), 1)[0]
    assert out["slope"] == pytest.approx(ref, rel=1e-12)
