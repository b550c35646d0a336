"""Exact one-input theory: density, action, effective action against independent truth.

Independent truths: nnqft.exact_correlators (single-neuron moments by a different quadrature,
nnqft.moments) for the moments of p and the vertices of Gamma; sampled networks
(nnqft.sample_outputs) for the distribution (Kolmogorov-Smirnov); a refined rule and a second
Legendre method (golden-section search instead of Newton) for the numerics.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial.legendre import leggauss

import nnqft as nq
from nnqft.action import series as se
from nnqft.action.theory import GammaUndefinedError, OneInputTheory, SingularDensityError

X = [0.7]


def _grid(th, span, singular_zero=False):
    """Composite Gauss-Legendre nodes/weights on [0, span * sigma_f] (geometric near 0)."""
    s = math.sqrt(th.G2)
    inner = np.geomspace(1e-7, 1, 15) if singular_zero else np.array([0.5, 1.0])
    edges = np.concatenate([[0.0], inner, np.linspace(1, span, span)[1:]]) * s
    x, w = leggauss(16)
    lo, hi = edges[:-1, None], edges[1:, None]
    return ((lo + (hi - lo) * (x + 1) / 2).ravel(), ((hi - lo) * w / 2).ravel())


CASES = [("erf", 0.5, 3), ("tanh", 1.0, 1), ("cos", 0.5, 1), ("relu", 1.0, 10), ("relu", 0.5, 2),
         pytest.param("erf", 0.0, 2, marks=pytest.mark.slow), ("cos", 0.0, 3)]


@pytest.mark.parametrize("act, sb, N", CASES)
def test_normalisation_and_moments_match_exact_correlators(act, sb, N):
    # p even: integrate 2 x int_0^inf. Tolerance 1e-9 relative: the density is good to ~1e-14
    # (refined-rule test below); the rest is the outer quadrature and the span (relu tails are
    # exponential, so span 40 sigma for relu).
    net = nq.Network(act, width=N, sigma_w=1.5, sigma_b=sb)
    th = OneInputTheory(net, X)
    f, w = _grid(th, 40 if act == "relu" else 15, singular_zero=(sb == 0))
    p = np.exp(th.log_density(f)[0])
    c = nq.exact_correlators(net, [X], orders=(2, 4, 6))
    assert 2 * w @ p + th.atom == pytest.approx(1.0, abs=1e-9)
    for n in (2, 4, 6):
        assert 2 * w @ (p * f**n) == pytest.approx(c.full(n)[0], rel=1e-8)


def test_moment_test_has_power():
    # negative control: the Gaussian of the same variance fails the 4th-moment check by far
    net = nq.Network("erf", width=3, sigma_w=1.5, sigma_b=0.5)
    th = OneInputTheory(net, X)
    f, w = _grid(th, 15)
    g = np.exp(-f**2 / (2 * th.G2)) / math.sqrt(2 * math.pi * th.G2)
    c = nq.exact_correlators(net, [X], orders=(2, 4))
    assert abs(2 * w @ (g * f**4) / c.full(4)[0] - 1) > 1e-2


@pytest.mark.parametrize("act, sb, N", [("erf", 0.5, 3), ("gauss", 0.3, 3), ("relu", 0.0, 2),
                                        ("erf", 0.0, 2), ("tanh", 0.05, 5)])
def test_refined_rule_agrees(act, sb, N):
    # the accuracy claim: |S - S_refined| <= 1e-10 on |f| <= 6 sigma (measured ~1e-14, gauss
    # ~1e-10); tails checked in test_far_tail_is_accurate
    net = nq.Network(act, width=N, sigma_w=1.5, sigma_b=sb)
    th, th2 = OneInputTheory(net, X), OneInputTheory(net, X, refine=2)
    f = np.array([0.05, 0.5, 1.0, 2.5, 4.0, 6.0]) * math.sqrt(th.G2)
    a, ea = th.log_density(f)
    b, _ = th2.log_density(f)
    assert np.max(np.abs(a - b)) < 1e-9
    assert np.all(ea < 1e-10)


def test_far_tail_is_accurate():
    # saddle-shifted inversion keeps relative accuracy where p ~ e^-200 (no cancellation)
    net = nq.Network("erf", width=3, sigma_w=1.5, sigma_b=0.5)
    th, th2 = OneInputTheory(net, X), OneInputTheory(net, X, refine=2)
    f = np.array([10.0, 20.0]) * math.sqrt(th.G2)
    a, _ = th.log_density(f)
    b, _ = th2.log_density(f)
    assert a[1] < -100
    assert np.max(np.abs(a - b) / np.abs(a)) < 1e-12


def test_singular_densities_are_reported():
    th = OneInputTheory(nq.Network("erf", width=1, sigma_b=0.0), X)
    with pytest.raises(SingularDensityError, match="singular"):
        th.log_density([0.0])
    assert np.isfinite(th.log_density([0.3])[0][0])  # finite away from 0
    relu = OneInputTheory(nq.Network("relu", width=4, sigma_b=0.0), X)
    assert relu.atom == pytest.approx(2.0**-4)
    with pytest.raises(SingularDensityError):
        relu.log_density([0.0])


@pytest.mark.parametrize("act, sb, N", [("erf", 0.3, 1), ("relu", 0.5, 2)])
def test_ks_against_sampled_networks(act, sb, N):
    # KS test of the exact CDF against 20000 sampled networks (seed 0): the exact law passes
    # (D below the 1e-3 critical value 1.95/sqrt(n)), the Gaussian of the same variance (the
    # negative control) fails it
    net = nq.Network(act, width=N, sigma_w=1.5, sigma_b=sb)
    th = OneInputTheory(net, X)
    n = 20000
    y = np.sort(nq.sample_outputs(net, [X], n, seed=0)[:, 0])
    s = math.sqrt(th.G2)
    grid = np.linspace(-12 * s, 12 * s, 193)  # CDF by 8-node Gauss-Legendre per panel
    xg, wg = leggauss(8)
    lo, hi = grid[:-1, None], grid[1:, None]
    nodes = (lo + (hi - lo) * (xg + 1) / 2)
    pn = np.exp(th.log_density(nodes.ravel())[0]).reshape(nodes.shape)
    cdf = np.concatenate([[0.0], np.cumsum(pn @ wg * (grid[1] - grid[0]) / 2)])
    assert cdf[-1] == pytest.approx(1.0, abs=1e-6)  # tail mass beyond 12 sigma is negligible
    F = np.interp(y, grid, cdf)
    emp_hi, emp_lo = np.arange(1, n + 1) / n, np.arange(n) / n
    D = max(np.max(emp_hi - F), np.max(F - emp_lo))
    crit = 1.95 / math.sqrt(n)
    assert D < crit
    from scipy.special import ndtr

    G = ndtr(y / s)
    Dg = max(np.max(emp_hi - G), np.max(G - emp_lo))
    assert Dg > crit


CASES_G = [("erf", 0.5, 3), ("tanh", 1.0, 1), ("cos", 1.0, 5), ("relu", 0.5, 2), ("erf", 0.0, 4)]


@pytest.mark.parametrize("act, sb, N", CASES_G)
def test_gamma_newton_vs_brent(act, sb, N):
    # two Legendre methods: Newton on W'(J) = phi and golden section on J phi - W(J)
    th = OneInputTheory(nq.Network(act, width=N, sigma_w=1.5, sigma_b=sb), X)
    phi = np.linspace(-5, 5, 11) * math.sqrt(th.G2)
    assert np.max(np.abs(th.gamma(phi) - th.gamma_direct(phi))) < 1e-10


@pytest.mark.parametrize("act, sb, N", CASES_G)
def test_vertices_from_exact_gamma_match_algebraic(act, sb, N):
    # Gamma from the Legendre transform at 60 Chebyshev points of |phi| <= 0.6 sigma, fitted by
    # a degree-30 polynomial: Gamma_2, Gamma_4, Gamma_6 against the closed forms built from the
    # exact G2, G4c, G6c of nnqft.exact_correlators (measured agreement 1e-12, 1e-8, 1e-5)
    net = nq.Network(act, width=N, sigma_w=1.5, sigma_b=sb)
    th = OneInputTheory(net, X)
    c = nq.exact_correlators(net, [X], orders=(2, 4, 6))
    V = se.vertices_from_cumulants(*(c.connected(n)[0] for n in (2, 4, 6)))
    r = 0.6 * math.sqrt(th.G2)
    x = np.cos(np.pi * (np.arange(60) + 0.5) / 60) * r
    fit = np.polynomial.Chebyshev.fit(x, th.gamma(x), 30).convert(kind=np.polynomial.Polynomial)
    got = {k: fit.coef[k] * math.factorial(k) for k in (2, 4, 6)}
    assert got[2] == pytest.approx(V[2], rel=1e-10)
    assert got[4] == pytest.approx(V[4], rel=1e-6, abs=1e-9)
    assert got[6] == pytest.approx(V[6], rel=2e-4, abs=1e-6 * abs(V[4]))
    # negative control: the sign convention matters (Gamma_4 = +G4c/G2^4 fails)
    if abs(V[4]) > 1e-6:
        assert got[4] != pytest.approx(-V[4], rel=1e-3)


def test_series_cumulants_and_reversion():
    net = nq.Network("erf", width=3, sigma_w=1.5, sigma_b=0.5)
    th = OneInputTheory(net, X)
    G = se.theory_cumulants(th, 8)
    c = nq.exact_correlators(net, [X], orders=(2, 4, 6, 8))
    for n in (2, 4, 6, 8):
        assert G[n] == pytest.approx(c.connected(n)[0], rel=1e-11)
    V = se.legendre_series(G, 8)
    V2 = se.vertices_from_cumulants(G[2], G[4], G[6], G[8])
    for n in (2, 4, 6, 8):
        assert V[n] == pytest.approx(V2[n], rel=1e-12)


def test_relu_radius_and_gauss_refusal():
    net = nq.Network("relu", width=4, sigma_w=1.5, sigma_b=0.5)
    th = OneInputTheory(net, X)
    m = 0.5**2 + 1.5**2 * 0.7**2
    assert th.j_radius == pytest.approx(math.sqrt(4 / (1.5**2 * m)), rel=1e-14)
    assert np.isfinite(th.W(0.999 * th.j_radius))
    with pytest.raises(ValueError, match="infinite"):
        th.W(1.001 * th.j_radius)
    # W' grows without bound at the radius, so Gamma exists for every phi
    assert th.solve_J([1e3])[0] < th.j_radius
    g = OneInputTheory(nq.Network("gauss", width=3, sigma_b=0.3), X)
    with pytest.raises(GammaUndefinedError, match="infinite for every real J"):
        g.gamma([0.1])


@settings(max_examples=15, deadline=None)
@given(act=st.sampled_from(["erf", "tanh", "cos", "relu"]), N=st.integers(1, 50),
       sb=st.floats(0.2, 2.0), sw=st.floats(0.3, 3.0), f=st.floats(0.01, 4.0))
def test_properties_symmetry_convexity(act, N, sb, sw, f):
    # S and Gamma are even; Gamma is convex; Gamma <= S - S(0) is not required, but both are
    # >= 0 (minimum at 0: the law is a centred Gaussian scale mixture, unimodal at 0)
    th = OneInputTheory(nq.Network(act, width=N, sigma_w=sw, sigma_b=sb), X)
    s = math.sqrt(th.G2)
    S, _ = th.action(np.array([f, -f]) * s)
    assert S[0] == pytest.approx(S[1], abs=1e-12) and S[0] > 0
    g = th.gamma(np.array([-f, -f / 2, 0, f / 2, f]) * s)
    assert g[0] == pytest.approx(g[4], abs=1e-12)
    assert np.all(np.diff(g, 2) > 0)
