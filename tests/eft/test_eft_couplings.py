"""Couplings lambda and kappa against exact values, synthetic truth and Monte Carlo.

Tolerances: exact correlators and closed-form / exact-by-construction integrals give agreement
to rounding (rtol 1e-12 .. 1e-9 depending on the number of operations); reference numbers of
docs/theory.md#reference-numbers are quoted to 4 digits and tested at that precision.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from eft_synthetic import make_correlators

from nnqft import Network
from nnqft.correlators import jackknife_error
from nnqft.eft import (
    couplings,
    exchange_sums,
    sextic_couplings,
    to_els,
    to_hms,
    vertex_integrals,
)
from nnqft.exact import exact_correlators, exact_correlators_widths

RELU_1D = 0.2 * np.arange(1, 7)
GAUSS_HMS = [-0.01, -0.006, -0.002, 0.002, 0.006, 0.01]
ERF_HMS = [0.002, 0.004, 0.006, 0.008, 0.010, 0.012]
RELU_2D = [[0.5, 0.5], [0.5, 1.0], [1.0, 0.5], [1.0, 1.0]]
RELU_3D = [[0.2, 0.2, 0.2], [1, 1, 0.2], [0.2, 1, 1], [1, 0.2, 1]]


def test_relu_d1_lambda_N_Lambda5_is_minus_300_on_every_tuple():
    """docs/theory.md#reference-numbers: lambda N Lambda^5 = -300 (the [HMS] code's 12.5)."""
    for N in (2, 20, 1000):
        net = Network("relu", width=N, sigma_b=0.0)
        c = exact_correlators(net, RELU_1D, orders=(2, 4))
        for L in np.geomspace(7, 1e5, 5):
            fit = couplings(c, net, L)
            np.testing.assert_allclose(fit.lam * N * L**5, -300.0, rtol=1e-11)
            assert fit.spread * N * L**5 < 1e-9
            assert to_hms(fit.mean * N * L**5, code=True) == pytest.approx(12.5, rel=1e-11)


@pytest.mark.parametrize("d, X", [(2, RELU_2D), (3, RELU_3D)])
def test_relu_lambda_scaling_is_cutoff_independent_per_tuple(d, X):
    net = Network("relu", width=20, d_in=d, sigma_b=0.0)
    c = exact_correlators(net, X, orders=(2, 4))
    ref = couplings(c, net, 7.0).lam * 20 * 7.0 ** (d + 4)
    for L in (100.0, 1e5):
        fit = couplings(c, net, L, method="cubature" if d == 2 else "auto")
        np.testing.assert_allclose(fit.lam * 20 * L ** (d + 4), ref, rtol=1e-9)
    if d == 2:  # docs/theory.md#reference-numbers: "about -451 to -385"
        assert ref.min() == pytest.approx(-451, abs=1) and ref.max() == pytest.approx(-385, abs=1)
    assert ref.max() - ref.min() > 50  # non-local: it varies across tuples


@pytest.mark.parametrize("act, X, L", [("gauss", GAUSS_HMS, math.inf), ("erf", ERF_HMS, 100.0),
                                       ("relu", RELU_1D, 100.0), ("cos", GAUSS_HMS, math.inf)])
def test_lambda_times_N_independent_of_N(act, X, L):
    net = Network(act, width=2)
    cs = exact_correlators_widths(net, X, [2, 5, 100, 1000], orders=(2, 4))
    ref = couplings(cs[0], None, L).lam * 2
    for c in cs[1:]:
        np.testing.assert_allclose(couplings(c, None, L).lam * c.network.width, ref, rtol=1e-12)


def test_reference_values_gauss_erf():
    """docs/theory.md#reference-numbers: Gauss lambda N = -128.3 ([HMS] code 5.346), Erf -4.451 (0.185)."""
    g = couplings(exact_correlators(Network("gauss", width=1), GAUSS_HMS, orders=(2, 4)))
    assert g.mean == pytest.approx(-128.3, abs=0.05)
    assert to_hms(g.mean, code=True) == pytest.approx(5.346, abs=5e-4)
    e = couplings(exact_correlators(Network("erf", width=1), ERF_HMS, orders=(2, 4)), None, 100)
    assert e.mean == pytest.approx(-4.451, abs=5e-4)
    assert to_hms(e.mean, code=True) == pytest.approx(0.185, abs=5e-4)


def test_gauss_small_input_limits():
    """lambda N -> -3 (e^(4 sb^2) - 1)(2/(pi d))^(d/2) sw^(d-4); kappa N^2 -> formula of
    docs/theory.md#sextic-coupling. Corrections are O((sw |x|)^2 / d) ~ 1e-8 at |x| <= 1e-4 sw^-1."""
    for d, sw, sb in ((1, 1.0, 1.0), (1, 2.5, 0.7), (2, 1.3, 1.0)):
        X = 1e-4 / sw * np.array([[-1, 0.5][:d], [0.3, -0.2][:d], [1, 1][:d]])
        net = Network("gauss", width=7, d_in=d, sigma_w=sw, sigma_b=sb)
        s = sextic_couplings(exact_correlators(net, X), net, math.inf)
        lam_ref = -3 * (math.exp(4 * sb**2) - 1) * (2 / (math.pi * d)) ** (d / 2) * sw ** (d - 4)
        kap_ref = -(3 / (math.pi * d)) ** (d / 2) * (
            15 * (math.exp(12 * sb**2) - 3 * math.exp(4 * sb**2) + 2)
            - 90 * (16 / 15) ** (d / 2) * (math.exp(4 * sb**2) - 1) ** 2) * sw ** (d - 6)
        np.testing.assert_allclose(s.quartic.lam * 7, lam_ref, rtol=1e-6)
        np.testing.assert_allclose(s.kappa * 49, kap_ref, rtol=1e-6)
    # the headline: -2.1224e6 at sb = sw = d = 1 and [ELS] inputs -235,833 at N = 3
    s = sextic_couplings(exact_correlators(Network("gauss", width=3), GAUSS_HMS))
    assert s.mean == pytest.approx(-235_833, abs=1)


def _synthetic_tree(net, X, L, lam, kappa):
    X = np.asarray(X, float).reshape(len(X), net.d_in)
    from nnqft.combinatorics import sorted_tuples

    n = len(X)
    I4 = vertex_integrals(net, X, sorted_tuples(n, 4), L)
    I6 = vertex_integrals(net, X, sorted_tuples(n, 6), L)
    J10 = exchange_sums(net, X, L)
    K = np.asarray(net.sigma_b**2 + np.zeros(1))  # unused: G2 = kernel
    del K
    from nnqft import gp_kernel
    from nnqft.combinatorics import sorted_tuples as st

    G2 = gp_kernel(net, X)[st(n, 2)[:, 0], st(n, 2)[:, 1]]
    return {2: G2, 4: -lam * I4, 6: -kappa * I6 + lam**2 * J10}


@pytest.mark.parametrize("act, L", [("gauss", math.inf), ("relu", 10.0), ("erf", 5.0)])
def test_tree_level_decomposition_recovers_known_couplings(act, L):
    net = Network(act, width=10)
    X = [0.1, 0.35, 0.8]
    lam, kappa = -3.7, 52.0
    c = make_correlators(net, X, _synthetic_tree(net, X, L, lam, kappa))
    s = sextic_couplings(c, net, L)
    np.testing.assert_allclose(s.quartic.lam, lam, rtol=1e-10)
    np.testing.assert_allclose(s.kappa, kappa, rtol=1e-8)
    assert s.spread < 1e-7 * abs(kappa) and s.quartic.spread < 1e-10 * abs(lam)
    assert s.mean_err is None and s.kappa_err is None


def test_jackknife_errors_from_replicates():
    """Errors are the jackknife over replicates of lambda (and of kappa with lambda_bar
    recomputed on every replicate), checked against a direct computation."""
    rng = np.random.default_rng(3)
    net = Network("gauss", width=10)
    X = [0.1, 0.35, 0.8]
    conn = _synthetic_tree(net, X, math.inf, -3.7, 52.0)
    B = 64
    reps = {n: conn[n] * (1 + 0.01 * rng.standard_normal((B, len(conn[n]))))
            for n in (4, 6)}
    c = make_correlators(net, X, conn, replicates=reps)
    s = sextic_couplings(c, net, math.inf)
    q = s.quartic
    lam_reps = -reps[4] / q.I4
    np.testing.assert_allclose(q.lam_err, jackknife_error(lam_reps), rtol=1e-12)
    assert q.mean_err == pytest.approx(float(jackknife_error(lam_reps.mean(1))), rel=1e-12)
    kreps = -(reps[6] - (lam_reps.mean(1) ** 2)[:, None] * s.J10) / s.I6
    np.testing.assert_allclose(s.kappa_err, jackknife_error(kreps), rtol=1e-12)
    assert s.mean_err == pytest.approx(float(jackknife_error(kreps.mean(1))), rel=1e-12)
    assert s.spread_err is not None and q.spread_err is not None


def test_monte_carlo_lambda_agrees_with_exact():
    """Conditional estimator, 4e4 networks: every tuple within 4.5 sigma of the exact value,
    and the test has power: the errors are ~1% of lambda and a 10% wrong value fails."""
    from nnqft.estimate import estimate_correlators

    net = Network("relu", width=20, sigma_b=0.0)
    c = estimate_correlators(net, RELU_1D, orders=(2, 4, 6), n_networks=40_000, seed=11)
    fit = couplings(c, net, 100.0)
    exact = couplings(exact_correlators(net, RELU_1D), net, 100.0)
    z = (fit.lam - exact.lam) / fit.lam_err
    assert np.max(np.abs(z)) < 4.5
    assert np.max(fit.lam_err / np.abs(fit.lam)) < 0.1
    assert abs(fit.mean - exact.mean) < 4.5 * fit.mean_err
    assert abs(fit.mean - 1.1 * exact.mean) > 4.5 * fit.mean_err  # negative control
    s = sextic_couplings(c, net, 100.0)
    se = sextic_couplings(exact_correlators(net, RELU_1D), net, 100.0)
    assert abs(s.mean - se.mean) < 4.5 * s.mean_err
    assert s.mean_err < 0.1 * abs(se.mean)


def test_conversions():
    assert to_hms(-300.0) == -12.5 and to_hms(-300.0, code=True) == 12.5
    assert to_els(-4.0) == -4.0 and to_els(50.0, order=6) == 50.0
    net = Network("gauss", width=3)
    Z0 = (1 / 2) * (2 * math.pi) ** -0.5  # (d/2)(2 pi d)^(-d/2) sw^(d-4) at d = sw = 1
    assert to_els(-42.77, normalisation="canonical", net=net) == pytest.approx(-42.77 / Z0**2)
    assert to_els(1.0, order=6, normalisation="canonical", net=net) == pytest.approx(Z0**-3)
    with pytest.raises(ValueError):
        to_els(1.0, order=5)
    with pytest.raises(ValueError):
        to_els(1.0, normalisation="canonical")


def test_couplings_bad_input():
    net = Network("relu", width=20, sigma_b=0.0)
    c = exact_correlators(net, RELU_1D, orders=(2, 4))
    with pytest.raises(ValueError, match="cutoff"):
        couplings(c, net, 0.0)
    with pytest.raises(ValueError, match="diverges"):
        couplings(c, net, math.inf)
    with pytest.raises(ValueError, match="sigma_b"):
        couplings(c, Network("relu", width=20, sigma_b=0.5), 10.0)
    with pytest.raises(ValueError, match="orders 4 and 6"):
        sextic_couplings(c, net, 10.0)
    with pytest.raises(ValueError, match="shape"):
        couplings(c, net, 10.0, I4=np.ones(3))
    c2 = exact_correlators(net, RELU_1D, orders=(2,))
    with pytest.raises(ValueError, match="order 4"):
        couplings(c2, net, 10.0)


def test_to_dict_contract():
    c = exact_correlators(Network("gauss", width=10), GAUSS_HMS, orders=(2, 4))
    d = couplings(c).to_dict()
    assert d["convention"] == "S = ... + lambda/4! phi^4"
    assert d["cutoff"] is None and d["lambda_err"] is None and d["exact"] is True
    assert len(d["tuples"]) == len(d["lambda"]) == len(d["I4"]) == 126
