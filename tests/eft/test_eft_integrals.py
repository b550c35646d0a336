"""Vertex integrals I_n and the exchange integral J against independent truth.

Tolerances: the closed forms are exact; the cubature is a composite Gauss-Legendre rule whose
measured error is <= 1e-13 (d = 1, 2) and <= 1e-11 (d = 3) on these integrands, so the asserted
1e-10 / 1e-8 leave two orders of margin while still failing for a misplaced break point (the
Lambda = 1e5 Gauss case returns 0 with adaptive quadrature, a relative error of 1).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from nnqft import Network
from nnqft.combinatorics import sorted_tuples
from nnqft.eft import (
    cubature_rule,
    delta_kernel,
    exchange_integral,
    exchange_matrix,
    exchange_sums,
    vertex_integral,
    vertex_integrals,
    vertex_log_derivatives,
)

GAUSS_1D = np.array([-0.01, -0.006, -0.002, 0.002, 0.006, 0.01])[:, None]
GAUSS_2D = 0.01 * np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
RELU_1D = (0.2 * np.arange(1, 7))[:, None]


def gauss_I4_formula(net, P):
    """docs/theory.md#vertex-integrals: I_4 = sw^(8-d) (pi d/2)^(d/2) exp(-sw^2 (Q - |S|^2/4) / (2d))."""
    d = net.d_in
    sw = net.sigma_w
    S = P.sum(axis=0)
    Q = float(np.sum(P * P))
    return sw ** (8 - d) * (math.pi * d / 2) ** (d / 2) * math.exp(
        -(sw**2) * (Q - S @ S / 4) / (2 * d))


@pytest.mark.parametrize("d, X", [(1, GAUSS_1D), (2, GAUSS_2D)])
@pytest.mark.parametrize("sigma_w", [1.0, 3.0])
def test_gauss_I4_cubature_matches_closed_form_infinite(d, X, sigma_w):
    net = Network("gauss", width=10, d_in=d, sigma_w=sigma_w)
    T = sorted_tuples(len(X), 4)
    ref = np.array([gauss_I4_formula(net, X[t]) for t in T])
    closed = vertex_integrals(net, X, T, math.inf, method="closed")
    cub = vertex_integrals(net, X, T, math.inf, method="cubature")
    np.testing.assert_allclose(closed, ref, rtol=1e-13)
    np.testing.assert_allclose(cub, ref, rtol=1e-10)


@pytest.mark.parametrize("d, X", [(1, GAUSS_1D), (2, GAUSS_2D)])
@pytest.mark.parametrize("cutoff", [1e5, 1e3])
def test_gauss_I4_large_finite_cutoff(d, X, cutoff):
    """The trap of the reference code: a huge finite box around a narrow integrand."""
    net = Network("gauss", width=10, d_in=d)
    T = sorted_tuples(len(X), 4)
    ref = np.array([gauss_I4_formula(net, X[t]) for t in T])  # box >> width: = infinite value
    cub = vertex_integrals(net, X, T, cutoff, method="cubature")
    np.testing.assert_allclose(cub, ref, rtol=1e-10)
    # naive adaptive quadrature over the huge interval misses the peak (the published bug)
    if d == 1 and cutoff >= 1e4:
        naive = quad(lambda y: float(np.prod(delta_kernel(net, X[[0, 0, 0, 0]], [[y]]))),
                     -cutoff, cutoff)[0]
        assert abs(naive / ref[0] - 1) > 0.5


@pytest.mark.parametrize("cutoff", [0.3, 1.0, 2.5])
def test_gauss_finite_closed_form_vs_cubature(cutoff):
    """Finite-box closed form (products of erf) and y^2 moment against cubature, d = 1, 2, 3."""
    for d in (1, 2, 3):
        net = Network("gauss", width=10, d_in=d, sigma_w=1.7)
        X = np.random.default_rng(d).uniform(-0.8, 0.8, size=(3, d))
        T = sorted_tuples(3, 4)
        for moment in (0, 2):
            a = vertex_integrals(net, X, T, cutoff, method="closed", moment=moment)
            b = vertex_integrals(net, X, T, cutoff, method="cubature", moment=moment)
            np.testing.assert_allclose(b, a, rtol=1e-10 if d < 3 else 1e-8)


@pytest.mark.parametrize("act, sb", [("relu", 0.5), ("erf", 1.0),
                                     pytest.param("tanh", 0.5, marks=pytest.mark.slow)])
def test_cubature_against_adaptive_quad_1d(act, sb):
    """Independent truth: scipy quad with break points at 0 and the inputs, epsrel 1e-13."""
    net = Network(act, width=10, sigma_b=sb)
    X = np.array([[-1.0], [0.2], [0.7], [1.2]])
    T = sorted_tuples(4, 4)[[0, 5, 17, 34]]
    for L in (3.0, 100.0):
        got = vertex_integrals(net, X, T, L)
        for t, g in zip(T, got, strict=True):
            f = lambda y, t=t: float(np.prod(delta_kernel(net, X[t], [[y]])[:, 0]))  # noqa: E731
            ref = quad(f, -L, L, points=[-1.0, 0.0, 0.2, 0.7, 1.2], epsabs=0,
                       epsrel=1e-13, limit=500)[0]
            assert g == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_relu_homogeneous_equals_cubature(d):
    """ReLU, sigma_b = 0: the homogeneous (surface) form and the pyramid cubature agree."""
    X = {1: RELU_1D, 2: np.array([[.5, .5], [.5, 1], [1, .5], [1, 1]]),
         3: np.array([[.2, .2, .2], [1, 1, .2], [.2, 1, 1], [1, .2, 1]])}[d]
    net = Network("relu", width=20, d_in=d, sigma_b=0.0)
    T = sorted_tuples(len(X), 4)
    cutoffs = (7.0, 1e5) if d == 3 else (7.0, 316.0, 1e5)
    for L in cutoffs:
        a = vertex_integrals(net, X, T, L, method="homogeneous")
        b = vertex_integrals(net, X, T, L, method="cubature")
        np.testing.assert_allclose(b, a, rtol=1e-9)


def test_relu_positive_inputs_closed_form_d1():
    """d = 1, sigma_b = 0, x > 0: Delta = sw^4 x y / 2 for y > 0 and 0 for y < 0, so
    I_4 = (sw^4/2)^4 prod x_i Lambda^5 / 5 exactly."""
    net = Network("relu", width=20, sigma_b=0.0, sigma_w=1.3)
    T = sorted_tuples(6, 4)
    ref = (net.sigma_w**4 / 2) ** 4 * np.prod(RELU_1D[T, 0], axis=1) * 100.0**5 / 5
    for method in ("homogeneous", "cubature"):
        np.testing.assert_allclose(vertex_integrals(net, RELU_1D, T, 100.0, method=method),
                                   ref, rtol=1e-12)


@pytest.mark.parametrize("act, sb", [("relu", 0.5), ("erf", 1.0), ("gauss", 1.0)])
def test_log_derivative_matches_finite_difference(act, sb):
    net = Network(act, width=10, sigma_b=sb)
    X = np.array([[0.1], [0.4], [0.9]])
    T = sorted_tuples(3, 4)
    for L in (2.0, 50.0):
        h = 1e-4
        fd = (vertex_integrals(net, X, T, L * math.exp(h))
              - vertex_integrals(net, X, T, L * math.exp(-h))) / (2 * h)
        # central difference error ~ h^2 * third log-derivative: 1e-8 relative here
        np.testing.assert_allclose(vertex_log_derivatives(net, X, T, L), fd, rtol=1e-6,
                                   atol=1e-12 * np.max(np.abs(fd)))


def test_exchange_closed_form_vs_cubature():
    net = Network("gauss", width=10, sigma_w=1.4)
    X = np.array([[-0.3], [0.1], [0.5]])
    np.testing.assert_allclose(exchange_matrix(net, X, math.inf, method="cubature"),
                               exchange_matrix(net, X, math.inf), rtol=1e-10)


def test_exchange_relu_positive_closed_form():
    """ReLU d = 1, sigma_b = 0, x > 0: only y, z > 0 contribute and every Delta is bilinear,
    J(abc|def) = (1/2)^7 prod x (int_0^L y^4)(int_0^L z^4) = prod x L^10 / (2^7 25)."""
    net = Network("relu", width=20, sigma_b=0.0)
    X = RELU_1D[:3]
    L = 10.0
    pa, pb = X[[0, 1, 2], 0], X[[0, 0, 2], 0]
    ref = np.prod(pa) * np.prod(pb) * L**10 / (2**7 * 25)
    assert exchange_integral(net, pa, pb, L) == pytest.approx(ref, rel=1e-12)
    M = exchange_matrix(net, X, L)
    T3 = sorted_tuples(3, 3)
    ref_M = np.outer(np.prod(X[T3, 0], 1), np.prod(X[T3, 0], 1)) * L**10 / (2**7 * 25)
    np.testing.assert_allclose(M, ref_M, rtol=1e-12)
    # sum over the 10 splits into triples
    T6 = sorted_tuples(3, 6)
    np.testing.assert_allclose(exchange_sums(net, X, L),
                               10 * np.prod(X[T6, 0], 1) * L**10 / (2**7 * 25), rtol=1e-12)


def test_vertex_integral_shapes_and_dedup():
    net = Network("gauss", width=10)
    one = vertex_integral(net, [0.1, 0.2, 0.2, 0.3], math.inf)
    assert isinstance(one, float)
    many = vertex_integral(net, [[0.1, 0.2, 0.2, 0.3], [0.0, 0.0, 0.0, 0.0]], math.inf)
    assert many.shape == (2,) and many[0] == pytest.approx(one, rel=1e-15)
    net2 = Network("gauss", width=10, d_in=2)
    v = vertex_integral(net2, [[0.1, 0.0], [0.0, 0.1]], 5.0)
    assert isinstance(v, float) and v > 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cutoff": 0.0}, "cutoff"),
        ({"cutoff": -1.0}, "cutoff"),
        ({"cutoff": float("nan")}, "cutoff"),
        ({"cutoff": "abc"}, "cutoff"),
        ({"points": [0.1, float("nan")]}, "finite"),
        ({"net": Network("relu", width=3), "cutoff": math.inf}, "diverges"),
        ({"net": Network("erf", width=3), "cutoff": math.inf}, "diverges"),
        ({"net": Network("relu", width=3, d_in=4), "points": np.ones((4, 4)),
          "cutoff": 5.0}, "d <= 3"),
    ],
)
def test_bad_input(kwargs, match):
    args = {"net": Network("gauss", width=3), "points": [0.1, 0.2], "cutoff": 10.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        vertex_integral(args["net"], args["points"], args["cutoff"])


def test_bad_tuples_and_methods():
    net = Network("erf", width=3)
    X = [[0.1], [0.2]]
    with pytest.raises(ValueError, match="indices"):
        vertex_integrals(net, X, [[0, 1, 2, 1]], 10.0)
    with pytest.raises(ValueError, match="closed form"):
        vertex_integrals(net, X, [[0, 1, 1, 1]], 10.0, method="closed")
    with pytest.raises(ValueError, match="homogeneous"):
        vertex_integrals(net, X, [[0, 1, 1, 1]], 10.0, method="homogeneous")
    with pytest.raises(ValueError, match="method"):
        vertex_integrals(net, X, [[0, 1, 1, 1]], 10.0, method="bogus")
    with pytest.raises(ValueError, match="d <= 3"):
        cubature_rule(Network("erf", width=3, d_in=4), np.ones((2, 4)), 1.0)
    # closed forms work in any d
    net5 = Network("gauss", width=3, d_in=5)
    assert vertex_integrals(net5, np.zeros((1, 5)), [[0, 0, 0, 0]], math.inf)[0] > 0
