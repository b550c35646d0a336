"""GP kernels (docs/theory.md#kernels) against independent quadrature."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from nnqft.kernels import (
    gaussian_pair_expectation,
    gp_kernel,
    layer_map,
    momentum_kernel,
    polar_pair_expectation,
    tanh_erf_mixture,
    tanh_pair_expectation,
)
from nnqft.networks import Network


def _dblquad_pair(phi, k11, k12, k22):
    """E[phi(u) phi(v)] by scipy dblquad over (g1, g2) ~ N(0, I) with (u, v) = L g."""
    a = np.sqrt(k11)
    c1 = k12 / a
    c2 = np.sqrt(max(k22 - c1**2, 0.0))
    f = lambda g2, g1: phi(a * g1) * phi(c1 * g1 + c2 * g2) * np.exp(-(g1**2 + g2**2) / 2) / (2 * np.pi)  # noqa: E731
    return integrate.dblquad(f, -10, 10, -10, 10, epsabs=1e-13, epsrel=1e-12)[0]


@pytest.mark.parametrize("k", [(1.0, 0.3, 2.0), (2.5, -1.9, 1.7), (0.2, 0.19, 0.2)])
def test_erf_relu_closed_forms(k):
    """Arc-sine / arc-cosine duals vs Gauss-Hermite (erf, smooth: 1e-9), the kink-split polar
    rule (relu: exact on each arc, 1e-12) and dblquad (relu: only ~1e-7, it misses the kinks)."""
    assert abs(layer_map("erf", *k) - gaussian_pair_expectation(special.erf, *k, n_nodes=200)) < 1e-9
    assert abs(layer_map("relu", *k) - polar_pair_expectation(lambda z: np.maximum(z, 0), *k)) < 1e-12
    relu = lambda z: max(z, 0.0)  # noqa: E731
    assert abs(layer_map("relu", *k) - _dblquad_pair(relu, *k)) < 1e-6


@pytest.mark.parametrize("k", [(1.0, 0.3, 2.0), (7.0, 7.0, 7.0), (9.0, -6.0, 5.0)])
def test_tanh_layer_map_accuracy(k):
    """tanh layer map (polar rule) vs dblquad: 1e-10 absolute up to k ~ 10. Plain 96-node
    Gauss-Hermite misses by ~1e-4 at k = 7 (kept as a documented negative control)."""
    ref = _dblquad_pair(np.tanh, *k)
    assert abs(layer_map("tanh", *k) - ref) < 1e-10
    assert abs(polar_pair_expectation(np.tanh, *k) - ref) < 1e-10
    if k[0] == 7.0:
        assert abs(gaussian_pair_expectation(np.tanh, *k) - ref) > 1e-5


def test_deep_erf_reference_value():
    """erf, depth 2, sigma_w = 1.5, sigma_b = 0.3, x = 1: K = 1.298 (docs/theory.md#deep-kernels),
    re-derived by iterating the diagonal recursion with scipy quad (independent of the
    arc-sine form); 1e-9 between the two, 5e-4 to the quoted 3-digit value."""
    sw, sb = 1.5, 0.3
    net = Network("erf", width=5, depth=2, sigma_w=sw, sigma_b=sb)
    k = sb**2 + sw**2 * 1.0
    for _ in range(2):
        e = integrate.quad(lambda g, k=k: special.erf(np.sqrt(k) * g) ** 2 * np.exp(-g * g / 2)
                           / np.sqrt(2 * np.pi), -12, 12, epsabs=1e-14)[0]
        k = sb**2 + sw**2 * e
    K = gp_kernel(net, [1.0])[0, 0]
    assert abs(K - k) < 1e-9
    assert abs(K - 1.298) < 5e-4


@pytest.mark.parametrize("depth", [2, 3])
def test_deep_tanh_offdiagonal(depth):
    """Depth 2-3 tanh off-diagonal kernel vs a recursion done with dblquad (1e-9)."""
    sw, sb = 1.3, 0.4
    net = Network("tanh", width=5, depth=depth, sigma_w=sw, sigma_b=sb)
    X = np.array([[-0.7], [1.1]])
    m = net.pre_activation_cov(X)
    k11, k12, k22 = m[0, 0], m[0, 1], m[1, 1]
    for _ in range(depth):
        k11, k12, k22 = (sb**2 + sw**2 * _dblquad_pair(np.tanh, k11, k11, k11),
                         sb**2 + sw**2 * _dblquad_pair(np.tanh, k11, k12, k22),
                         sb**2 + sw**2 * _dblquad_pair(np.tanh, k22, k22, k22))
    K = gp_kernel(net, X)
    assert np.allclose(K, [[k11, k12], [k12, k22]], atol=1e-9)


@pytest.mark.parametrize("d", [1, 2])
def test_momentum_kernel_is_fourier_transform(d):
    """K_w(p) = int d^d x e^(-i p.x) (K(x, 0) - sigma_b^2) by quad/dblquad; 1e-9 relative."""
    net = Network("gauss", width=3, d_in=d, sigma_w=1.4)
    kw = lambda *x: gp_kernel(net, [list(x)], [[0.0] * d])[0, 0] - net.sigma_b**2  # noqa: E731
    for p in (0.0, 0.7, 1.9):
        if d == 1:
            val = integrate.quad(lambda x, p=p: np.cos(p * x) * kw(x), -30, 30, epsabs=1e-13)[0]
            pk = momentum_kernel(net, p)
        else:
            val = integrate.dblquad(lambda y, x, p=p: np.cos(p * x) * kw(x, y), -15, 15, -15, 15,
                                    epsabs=1e-12)[0]
            pk = momentum_kernel(net, np.array([p, 0.0]))
        assert abs(val - pk) < 1e-9 * abs(pk)


# ---------------------------------------------------------------- tanh: erf scale mixture
def _nested_quad_pair(k11, k12, k22):
    """E[tanh(u) tanh(v)] by nested adaptive quad, u = a g1, v = c1 g1 + c2 g2, with break
    points at the steep strips (independent of both the polar rule and the erf mixture)."""
    sq = np.sqrt(2 * np.pi)
    a = np.sqrt(k11)
    c1 = k12 / a
    c2 = np.sqrt(k22 - c1**2)

    def inner(g1):
        z0 = -c1 * g1 / c2
        pts = [p for p in (z0 - 3 / c2, z0, z0 + 3 / c2) if -12 < p < 12]
        f = lambda g2: np.tanh(c1 * g1 + c2 * g2) * np.exp(-g2 * g2 / 2) / sq  # noqa: E731
        return integrate.quad(f, -12, 12, points=pts or None, epsabs=1e-15, epsrel=1e-14,
                              limit=400)[0]

    f = lambda g1: np.tanh(a * g1) * np.exp(-g1 * g1 / 2) / sq * inner(g1)  # noqa: E731
    return integrate.quad(f, -12, 12, points=[-3 / a, 0.0, 3 / a], epsabs=1e-15, epsrel=1e-14,
                          limit=400)[0]


def test_tanh_erf_mixture_sup_error():
    """tanh(z) = sum_j w_j erf(b_j z) to < 5e-15 on a dense grid of [0, 80] (odd in z; beyond
    80 every term is 1 and sum w = 1 to 1e-15). Control: the same trapezoid rule with twice the
    step (every other node, doubled weights) is off by > 1e-8, so the bound is the rule's."""
    b, w = tanh_erf_mixture()
    assert len(b) == 25 and np.all(w > 0)
    assert abs(w.sum() - 1.0) < 1e-15
    z = np.linspace(0.0, 80.0, 400_001)
    assert np.abs(special.erf(np.outer(z, b)) @ w - np.tanh(z)).max() < 5e-15
    coarse = special.erf(np.outer(z, b[::2])) @ (2 * w[::2])
    assert np.abs(coarse - np.tanh(z)).max() > 1e-8


@pytest.mark.parametrize("k", [(1.1, 0.4, 2.0), (1.49, -8.0, 101.0), (1.09, 30.0, 10001.0),
                               (101.0, 60.0, 50.0)])
def test_tanh_pair_mixture_vs_adaptive_quadrature(k):
    """Mixture layer map vs nested adaptive quad: 1e-13 absolute from k ~ 1 to k ~ 1e4 (the
    first-layer kernels of the EFT integrals at cutoff 100). Control (documented in
    nnqft.kernels): the polar rule errs by > 1e-8 at k = 1e4, so the test can tell them apart."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        ref = _nested_quad_pair(*k)
    assert abs(tanh_pair_expectation(*k) - ref) < 1e-13
    assert abs(layer_map("tanh", *k) - ref) < 1e-13
    if k[2] > 1e4:
        assert abs(polar_pair_expectation(np.tanh, *k) - ref) > 1e-8


@pytest.mark.parametrize("k", [0.3, 7.0, 400.0, 1e4])
def test_tanh_pair_mixture_diagonal(k):
    """E[tanh(u)^2], u ~ N(0, k) (the diagonal recursion) vs 1-d adaptive quad: 1e-14."""
    s = np.sqrt(k)
    f = lambda g: np.tanh(s * g) ** 2 * np.exp(-g * g / 2) * np.sqrt(2 / np.pi)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        ref = integrate.quad(f, 0, 12, points=[1 / s, 3 / s], epsabs=1e-16, epsrel=1e-15,
                             limit=200)[0]
    assert abs(tanh_pair_expectation(k, k, k) - ref) < 1e-14


@settings(max_examples=40, deadline=None)
@given(k11=st.floats(0.0, 20.0), k22=st.floats(0.0, 20.0), rho=st.floats(-1.0, 1.0))
def test_tanh_pair_mixture_equals_polar_rule(k11, k22, rho):
    """Random covariances (rank 0 to 2, kernel values <= 20, where the polar rule is ~1e-13):
    the two methods agree to 1e-12 absolute (|E[tanh tanh]| <= 1)."""
    k12 = rho * np.sqrt(k11 * k22)
    assert abs(tanh_pair_expectation(k11, k12, k22)
               - polar_pair_expectation(np.tanh, k11, k12, k22)) < 1e-12


def _gp_kernel_polar(net, X):
    """The former per-pair path of gp_kernel for tanh: the same recursion with the polar rule."""
    sw2, sb2 = net.sigma_w**2, net.sigma_b**2
    kxy = net.pre_activation_cov(X)
    kd = np.diag(kxy).copy()
    for _ in range(net.depth):
        kxy = sb2 + sw2 * polar_pair_expectation(np.tanh, kd[:, None], kxy, kd[None, :])
        kd = sb2 + sw2 * polar_pair_expectation(np.tanh, kd, kd, kd)
    return kxy


@settings(max_examples=15, deadline=None)
@given(depth=st.integers(1, 3), d=st.integers(1, 2), sw=st.floats(0.5, 2.0),
       sb=st.floats(0.0, 1.0), seed=st.integers(0, 2**31 - 1))
def test_deep_tanh_kernel_fast_equals_polar_path(depth, d, sw, sb, seed):
    """gp_kernel (mixture, all pairs at once) equals the old per-pair polar recursion on random
    inputs in [-2, 2]^d to 1e-11 relative (+1e-12 absolute): both are ~1e-13 per layer at these
    kernel values (<= 17), and each layer's map is Lipschitz with constant <= sigma_w^2 <= 4."""
    X = np.random.default_rng(seed).uniform(-2.0, 2.0, size=(4, d))
    net = Network("tanh", width=7, depth=depth, d_in=d, sigma_w=sw, sigma_b=sb)
    np.testing.assert_allclose(gp_kernel(net, X), _gp_kernel_polar(net, X), rtol=1e-11,
                               atol=1e-12)


def test_tanh_vertex_integrals_fast_kernel_equals_polar(monkeypatch):
    """EFT vertex integrals I_4 of a depth-2 tanh net at cutoff 3 (kernel values <= 10, where
    the polar rule is accurate): the fast kernel and the polar per-pair kernel give the same
    I_4 to 1e-11 relative on all 15 sorted 4-tuples of 3 inputs."""
    from nnqft import kernels
    from nnqft.combinatorics import sorted_tuples
    from nnqft.eft.integrals import cubature_rule, vertex_integrals

    net = Network("tanh", width=50, depth=2, sigma_w=1.2, sigma_b=0.5)
    X = np.array([[0.3], [0.7], [-0.5]])
    T = sorted_tuples(3, 4)
    rule = cubature_rule(net, X, 3.0, q=(8, 1))  # a coarser rule: only the kernels differ
    fast = vertex_integrals(net, X, T, 3.0, rule=rule)
    def polar_blocks(*k):  # the old path, in blocks of 128 pairs to bound memory
        k = np.broadcast_arrays(*(np.asarray(a, float) for a in k))
        flat = [a.ravel() for a in k]
        out = [polar_pair_expectation(np.tanh, *(a[s : s + 128] for a in flat))
               for s in range(0, flat[0].size, 128)]
        return np.concatenate(out).reshape(k[0].shape)

    monkeypatch.setattr(kernels, "tanh_pair_expectation", polar_blocks)
    slow = vertex_integrals(net, X, T, 3.0, rule=rule)
    np.testing.assert_allclose(fast, slow, rtol=1e-11)
