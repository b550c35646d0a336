"""The one-input next-to-leading order (1/N^2) chain and the truncation estimate (nnqft.deep.nlo).

Independent truths: the exact deep relu moments (sigma_b = 0: (1 + 5/N)^L; any sigma_b: the affine
chi-square chain, checked itself against Monte Carlo), exact rational moments of the chain of a
polynomial activation phi(z) = z^p (which exercises every term of the expansion: relu's layer
map is linear and leaves the curvature terms at zero), and the multi-input leading-order
recursion of nnqft.deep.theory for the O(1) and O(1/N) parts.
"""

import warnings
from fractions import Fraction
from math import comb

import numpy as np
import pytest

import nnqft as nq
from nnqft.deep.nlo import (
    _chain,
    _moment_derivatives,
    one_input_series,
    relu_one_input_exact,
    truncation_estimate,
)
from nnqft.deep.theory import deep_theory


@pytest.mark.parametrize("L", [1, 2, 3, 5])
@pytest.mark.parametrize("N", [7, 50])
def test_relu_critical_kurtosis_coefficients(L, N):
    # sigma_b = 0: Var(S_L) / E[S_L]^2 = (1 + 5/N)^L - 1 = 5L/N + 25 L (L - 1) / 2 / N^2 + ...
    net = nq.Network("relu", width=N, depth=L, sigma_b=0.0, sigma_w=1.3)
    s = one_input_series(net, [0.8])
    K = s["mean"][0]
    assert s["mean"][1] == 0.0 and s["mean"][2] == 0.0
    np.testing.assert_allclose(s["var"][1] * N / K**2, 5 * L, rtol=1e-13)
    np.testing.assert_allclose(s["var"][2] * N**2 / K**2, 12.5 * L * (L - 1), rtol=1e-13,
                               atol=1e-13)


def test_depth_one_has_no_next_order():
    # one hidden layer: G4_c = 3 Var(S_1) is exactly the O(1/N) term, G2 exactly K
    for act in ("erf", "relu", "tanh"):
        s = one_input_series(nq.Network(act, width=10, depth=1, sigma_b=0.4, sigma_w=1.5), [0.9])
        assert s["var"][2] == 0.0 and s["mean"][1] == 0.0 and s["mean"][2] == 0.0
        ex = nq.exact_correlators(nq.Network(act, width=10, depth=1, sigma_b=0.4, sigma_w=1.5),
                                  [[0.9]], orders=(2, 4))
        np.testing.assert_allclose(s["g4c"][1], ex.connected(4)[0], rtol=1e-9)


def test_relu_with_bias_against_exact_chain_third_order():
    # NLO truncation error is O(1/N^3): relative to G4_c (O(1/N)) it falls like 1/N^2
    rel = []
    for N in (100, 200, 400, 800):
        net = nq.Network("relu", width=N, depth=4, sigma_b=0.3, sigma_w=1.4)
        s = one_input_series(net, [0.7])
        g2, g4 = relu_one_input_exact(net, [0.7])
        np.testing.assert_allclose(s["g2"].sum(), g2, rtol=1e-13)
        rel.append((g4 - s["g4c"].sum()) / g4)
        # the leading order alone misses by the O(1/N) relative next order
        assert abs(g4 - s["g4c"][1]) / g4 > 5 * abs(rel[-1])
    ratios = np.array(rel[:-1]) / np.array(rel[1:])
    assert np.all((ratios > 3.7) & (ratios < 4.3)), ratios


def test_relu_exact_chain_against_monte_carlo():
    # the affine chain at sigma_b != 0 (not covered by relu_moments) against the network
    net = nq.Network("relu", width=5, depth=3, sigma_b=0.6, sigma_w=1.3)
    g2, g4 = relu_one_input_exact(net, [0.8])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mc = nq.estimate_correlators(net, [[0.8]], orders=(2, 4), n_networks=40_000, seed=3)
    z2 = (mc.full(2)[0] - g2) / mc.full_err(2)[0]
    z4 = (mc.connected(4)[0] - g4) / mc.connected_err(4)[0]
    assert abs(z2) < 4 and abs(z4) < 4, (z2, z4)
    # negative control: the leading-order G4_c misses at this width (L/N = 0.6)
    lo = one_input_series(net, [0.8])["g4c"][1]
    assert abs(mc.connected(4)[0] - lo) / mc.connected_err(4)[0] > 5


def _double_factorial(n):
    out = 1
    while n > 1:
        out *= n
        n -= 2
    return out


def _power_chain_exact(p, s0, sw2, sb2, N, L):
    """Exact E[S_L], Var(S_L) for phi(z) = z^p: S_l = sb2 + S_(l-1)^p Y_l, rational arithmetic."""
    need = [2 * p ** (L - l) for l in range(L + 1)]  # moment orders needed at layer l
    kmax = need[1]
    # raw moments of X = xi^(2p), then of sum of N copies (through cumulants)
    mx = [Fraction(_double_factorial(2 * p * r - 1)) for r in range(kmax + 1)]
    kx = [Fraction(0)] * (kmax + 1)
    for n in range(1, kmax + 1):
        kx[n] = mx[n] - sum(comb(n - 1, k - 1) * kx[k] * mx[n - k] for k in range(1, n))
    ms = [Fraction(1)] + [Fraction(0)] * kmax
    for n in range(1, kmax + 1):
        ms[n] = sum(comb(n - 1, k - 1) * N * kx[k] * ms[n - k] for k in range(1, n + 1))
    my = [(sw2 / N) ** k * ms[k] for k in range(kmax + 1)]
    mom = [s0**m for m in range(need[0] + 1)]
    for l in range(1, L + 1):
        mom = [sum(comb(m, k) * sb2 ** (m - k) * mom[p * k] * my[k] for k in range(m + 1))
               for m in range(need[l] + 1)]
    return float(mom[1]), float(mom[2] - mom[1] ** 2)


def _power_moments(p, s):
    D = np.zeros((3, 7))
    for k in (1, 2, 3):
        e = p * k
        c = float(_double_factorial(2 * e - 1))
        for n in range(min(e, 6) + 1):
            D[k - 1, n] = c * float(np.prod(np.arange(e - n + 1, e + 1))) * s ** (e - n)
    return D


@pytest.mark.parametrize("p, L, s0, sw2, sb2, N0", [
    (2, 3, Fraction(1, 2), Fraction(1, 3), Fraction(1, 10), 4000),
    (3, 2, Fraction(1, 2), Fraction(1, 8), Fraction(1, 5), 20000),
    (4, 2, Fraction(1, 2), Fraction(1, 50), Fraction(1, 10), 100000),
])
def test_chain_against_exact_polynomial_activation(p, L, s0, sw2, sb2, N0):
    # phi = z^p: the layer map c1(s) = sb2 + sw2 (2p-1)!! s^p is curved, so every term of the
    # expansion (c1'', c1''', c1'''' and the third cumulant) contributes
    errs, nlo = [], []
    for N in (N0, 2 * N0, 4 * N0):
        m, var = _power_chain_exact(p, s0, sw2, sb2, N, L)
        s = _chain(float(s0), (N,) * L, float(sw2), float(sb2), lambda x: _power_moments(p, x))
        assert abs(m - s["mean"].sum()) <= 0.05 * abs(s["mean"][2]) + 1e-15
        errs.append(var - s["var"].sum())
        nlo.append(s["var"][2])
        # the O(1/N^2) term is what the leading order misses, to O(1/N^3)
        assert abs(var - s["var"][:2].sum() - s["var"][2]) < 0.2 * abs(s["var"][2])
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    assert np.all((ratios > 6.5) & (ratios < 9.5)), ratios  # O(1/N^3): 8 per doubling


def test_moment_derivatives_quadrature():
    # He-polynomial derivatives against the relu closed form and erf's arcsine form
    import nnqft.deep.nlo as nlo

    xi, w = nlo._gauss_rule()
    from numpy.polynomial.hermite_e import hermeval

    s = 0.7
    D = _moment_derivatives("relu", s)
    p2 = np.maximum(np.sqrt(s) * xi, 0.0) ** 2
    for n in range(7):
        he = hermeval(xi, [0.0] * (2 * n) + [1.0]) / (2 * s) ** n
        for k in (1, 2, 3):
            assert abs(np.sum(w * p2**k * he) - D[k - 1, n]) < 1e-11 * max(1.0, abs(D[k - 1, n]))
    f = lambda t: 2 / np.pi * np.arcsin(2 * t / (1 + 2 * t))  # noqa: E731
    De = _moment_derivatives("erf", 0.8)
    h = 1e-3
    assert abs(De[0, 0] - f(0.8)) < 1e-14
    assert abs(De[0, 1] - (f(0.8 + h) - f(0.8 - h)) / (2 * h)) < 1e-6
    assert abs(De[0, 2] - (f(0.8 + h) - 2 * f(0.8) + f(0.8 - h)) / h**2) < 1e-5


@pytest.mark.parametrize("act, sb, sw", [("erf", 0.5, 1.3), ("tanh", 0.3, 1.2),
                                         ("relu", 0.3, 1.4)])
def test_leading_orders_equal_multi_input_theory(act, sb, sw):
    net = nq.Network(act, width=(40, 60, 50), depth=3, sigma_b=sb, sigma_w=sw)
    th = deep_theory(net, [[0.7]])
    s = one_input_series(net, [0.7])
    np.testing.assert_allclose(s["mean"][0], th.kernels[-1][0, 0], rtol=1e-13)
    np.testing.assert_allclose(s["mean"][1], th.deltas[-1][0, 0], rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(s["g4c"][1], th.g4_connected()[0], rtol=1e-9)


def test_truncation_estimate_bounds_relu_on_a_ray():
    # sigma_b = 0, inputs on one ray: every tuple has the exact relative correction
    # r = [(1 + 5/N)^L - 1 - 5L/N] / (5L/N); the estimate rho / (1 - rho), rho = 5 (L - 1) / (2N)
    # the O(1/N^2) part, bounds it
    N, L = 50, 4
    net = nq.Network("relu", width=N, depth=L, sigma_b=0.0, sigma_w=1.4)
    X = [[0.3], [0.7], [1.2]]
    th = nq.perturbative_correlators(net, X)
    t = truncation_estimate(net, X)
    ex = nq.deep.exact_relu_correlators(net, X, orders=(2, 4))
    err = np.abs(ex.connected(4) - th.connected(4))
    r = ((1 + 5 / N) ** L - 1 - 5 * L / N) / (5 * L / N)
    rho = 5 * (L - 1) / (2 * N)
    np.testing.assert_allclose(t["rho4"], rho, rtol=1e-12)
    np.testing.assert_allclose(err / np.abs(th.connected(4)), r, rtol=1e-9)
    assert np.all(t["sigma4"] >= err) and np.all(t["sigma4"] < 1.15 * err)
    assert np.all(t["sigma2"] == 0.0)
    # zero input with sigma_b = 0: everything vanishes, no error
    assert truncation_estimate(nq.Network("tanh", width=10, depth=3, sigma_b=0.0),
                               [[0.0], [0.5]])["rho4"][0] == 0.0


def test_truncation_estimate_bounds_exact_relu_chain_with_bias():
    # sigma_b > 0 at one input: rho / (1 - rho) against the exact chain, whenever rho < 1
    worst = 0.0
    for sb, sw in [(0.3, 1.4), (0.5, 1.2), (1.0, 1.5), (0.1, 1.41), (0.5, 1.6), (2.0, 1.3)]:
        for L in (2, 3, 4, 6, 8):
            for N in (10, 20, 50, 100, 400):
                for x in (0.3, -0.5, 2.0):
                    net = nq.Network("relu", width=N, depth=L, sigma_b=sb, sigma_w=sw)
                    g4 = relu_one_input_exact(net, [x])[1]
                    lo = one_input_series(net, [x])["g4c"][1]
                    t = truncation_estimate(net, [[x]], g2=[1.0], g4c=[lo])
                    if t["rho4"][0] < 1:
                        worst = max(worst, abs(g4 - lo) / t["sigma4"][0])
    assert worst <= 1.0, worst
