"""Gaussian expectations of the deep 1/N theory against independent values.

Tolerances: closed forms and exact rules agree to rounding (1e-12 relative); the one-factor
orthant integral (scipy quad) is accurate to ~1e-14, hence 1e-13 there; finite
differences of the pair maps (step 1e-5) are accurate to ~1e-9.
"""

import math

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss
from scipy import special

from nnqft.deep.gauss import (
    _factor,
    _relu_lowrank,
    _tanh_rule,
    diag_map,
    four_point,
    orthant_probability,
    pair_map,
    relu_product_moment,
)


def _random_cov(rng, n, rank=None, scale=1.0):
    A = rng.normal(size=(n, rank or n))
    return scale * A @ A.T / (rank or n)


def test_orthant_equicorrelated_and_blocks(rng):
    # P_n(rho = 1/2) = 1/(n + 1) (exchangeable Gaussians: the largest of n+1 iid is equally likely)
    R = np.full((4, 4), 0.5) + 0.5 * np.eye(4)
    assert orthant_probability(R) == pytest.approx(0.2, abs=1e-14)
    B1, B2 = _random_cov(rng, 2), _random_cov(rng, 2)
    K = np.zeros((4, 4))
    K[:2, :2], K[2:, 2:] = B1, B2
    assert orthant_probability(K) == pytest.approx(
        orthant_probability(B1) * orthant_probability(B2), abs=1e-14)


def test_orthant_one_factor_model(rng):
    """R_ij = a_i a_j (i != j): z_i = a_i t + sqrt(1 - a_i^2) e_i, so
    P(z > 0) = int phi(t) prod Phi(a_i t / sqrt(1 - a_i^2)) dt, a 1-d integral (scipy quad)."""
    from scipy import integrate, stats

    for _ in range(3):
        a = rng.uniform(-0.9, 0.9, size=4)
        R = np.outer(a, a)
        np.fill_diagonal(R, 1.0)
        ref = integrate.quad(lambda t, a=a: stats.norm.pdf(t) * np.prod(
            stats.norm.cdf(a * t / np.sqrt(1 - a * a))), -12, 12, epsabs=1e-15, epsrel=1e-13)[0]
        assert orthant_probability(R) == pytest.approx(ref, abs=1e-13)


def test_relu_moment_independent_blocks(rng):
    B1, B2 = _random_cov(rng, 2), _random_cov(rng, 2)
    K = np.zeros((4, 4))
    K[:2, :2], K[2:, 2:] = B1, B2
    g1 = pair_map("relu", B1[0, 0], B1[0, 1], B1[1, 1])[0]
    g2 = pair_map("relu", B2[0, 0], B2[0, 1], B2[1, 1])[0]
    assert relu_product_moment(K, (1, 1, 1, 1)) == pytest.approx(g1 * g2, rel=1e-13)
    assert relu_product_moment(np.array([[2.0]]), (4,)) == pytest.approx(1.5 * 4.0, rel=1e-15)


@pytest.mark.parametrize("m", [(1, 1, 1), (2, 1, 1), (1, 2, 1)])
def test_relu_moment_vs_exact_angular_rule(rng, m):
    K = _random_cov(rng, 3)
    assert relu_product_moment(K, m) == pytest.approx(_relu_lowrank(_factor(K), m), rel=1e-11)


def test_relu_moment_rounding_near_degenerate():
    """Layer-2 relu kernels with eigenvalue ratios down to 1e-5: float64 vs long double."""
    import nnqft as nq

    X = np.array([[0.1], [0.2], [0.3], [0.4]])
    for sb in (0.5, 0.1):
        K = nq.gp_kernel(nq.Network("relu", width=10, sigma_b=sb, sigma_w=1.4), X)
        v = relu_product_moment(K, (1, 1, 1, 1))
        vl = relu_product_moment(K.astype(np.longdouble), (1, 1, 1, 1))
        assert abs(float(v / vl) - 1) < 1e-12


def test_four_point_relu_rank_one():
    # d_in = 1, sigma_b = 0: z(x) = x Z, E[prod relu(x_i Z)] = prod x_i E[Z^4; Z > 0] (x_i > 0)
    x = np.array([0.5, 1.0, 2.0])
    K = np.outer(x, x) * 0.7
    T = np.array([[0, 1, 2, 2], [0, 0, 1, 1], [1, 1, 1, 1]])
    expect = np.prod(x[T], axis=1) * 1.5 * 0.7**2
    np.testing.assert_allclose(four_point("relu", K, T), expect, rtol=1e-13)


def test_four_point_erf_vs_gauss_hermite(rng):
    # scale 0.2: tensor Gauss-Hermite (the reference) converges to ~1e-13 with 36 nodes
    K = _random_cov(rng, 4, scale=0.2)
    L = _factor(K)
    x, w = hermegauss(36)
    w = w / math.sqrt(2 * math.pi)
    G = np.stack(np.meshgrid(x, x, x, x, indexing="ij")).reshape(4, -1)
    W = np.prod(np.stack(np.meshgrid(w, w, w, w, indexing="ij")).reshape(4, -1), 0)
    T = np.array([[0, 1, 2, 3], [0, 0, 2, 3], [1, 1, 1, 3]])
    ref = [np.prod(special.erf(L[t] @ G), 0) @ W for t in T]
    np.testing.assert_allclose(four_point("erf", K, T), ref, rtol=1e-11)


@pytest.mark.parametrize("scale,tol", [(0.1, 1e-9), (1.0, 2e-5)])
def test_four_point_tanh_accuracy(rng, scale, tol):
    """Stated accuracy of the tanh rule (docs/deep.md) against a 2.5x finer rule."""
    K = _random_cov(rng, 4, scale=scale)
    L = _factor(K)
    coarse = _tanh_rule(L, (1, 1, 1, 1))
    fine = _tanh_rule(L, (1, 1, 1, 1), 80, 40)
    assert abs(coarse / fine - 1) < tol


@pytest.mark.parametrize("act", ["erf", "relu", "tanh"])
def test_pair_map_derivatives(act):
    k = np.array([1.3, 0.4, 0.8])
    g, grad, hess = pair_map(act, *k)
    h = 1e-5
    for i, e in enumerate(np.eye(3)):
        gp, gradp, _ = pair_map(act, *(k + h * e))
        gm, gradm, _ = pair_map(act, *(k - h * e))
        assert (gp - gm) / (2 * h) == pytest.approx(grad[i], abs=1e-8)
        np.testing.assert_allclose((gradp - gradm) / (2 * h), hess[i], atol=1e-8)
    g0, g1, g2 = diag_map(act, 1.1)
    assert g0 == pytest.approx(pair_map(act, 1.1, 1.1, 1.1)[0], rel=1e-12)
    h = 1e-4
    assert (diag_map(act, 1.1 + h)[0] - diag_map(act, 1.1 - h)[0]) / (2 * h) == pytest.approx(
        g1, abs=1e-7)
    assert (diag_map(act, 1.1 + h)[1] - diag_map(act, 1.1 - h)[1]) / (2 * h) == pytest.approx(
        g2, abs=1e-7)


def test_relu_price_theorem_collinear():
    # dg/dk12 = E[theta(u) theta(v)] = 1/2 for collinear u, v; (pi - t)/(2 pi) in general
    _, grad, _ = pair_map("relu", 1.0, 2.0, 4.0)
    assert grad[1] == pytest.approx(0.5, abs=1e-15)
    _, grad, _ = pair_map("relu", 1.0, 0.0, 1.0)
    assert grad[1] == pytest.approx(0.25, abs=1e-15)
