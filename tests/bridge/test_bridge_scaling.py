"""sigma_W as the RG scale (active reading): exact slopes, finite-input correction, Monte Carlo.

Independent truths: the reference numbers of docs/theory.md#els-intercept, #reference-numbers (N = 3 slope -2.9988
and log10|u4| = 1.631 for the unweighted tuple mean; -3.0030 for the multiplicity-weighted one),
the exact scaling lambda ~ sigma_w^(d-4) in the small-input limit, and exact values for Monte
Carlo (z-scores < 4.5, with slope errors <= 0.05 for power).
"""

import math

import numpy as np
import pytest

import nnqft as nq
from nnqft.bridge.scaling import (
    ELS_INPUTS,
    ELS_SIGMA_WS,
    active_slopes,
    exact_coupling_scan,
    local_slope,
    loglog_fit,
    mc_coupling_scan,
)
from nnqft.combinatorics import multiplicities
from nnqft.eft.couplings import couplings
from nnqft.exact import exact_correlators


def test_exact_slope_els_reference():
    scan = exact_coupling_scan(widths=(3, 1000))
    assert len(ELS_SIGMA_WS) == 39 and ELS_SIGMA_WS[-1] == 20.0
    r3, r1000 = active_slopes(scan)
    assert r3["slope"] == pytest.approx(-2.9988, abs=5e-5)
    assert r3["log10_abs_u4_at_first_sigma_w"] == pytest.approx(1.631, abs=5e-4)
    # the finite-input correction, shown explicitly: slope - (d - 4)
    assert r3["correction"] == pytest.approx(r3["slope"] + 3, abs=1e-15)
    assert 0.001 < r3["correction"] < 0.0015
    # N only shifts the intercept (G4_c ~ 1/N exactly)
    assert r1000["slope"] == pytest.approx(r3["slope"], abs=1e-12)
    assert r3["intercept"] - r1000["intercept"] == pytest.approx(math.log10(1000 / 3), abs=1e-12)
    # canonical slope: 4 - d plus the same correction (Z0 ~ sigma_w^(d-4) exactly)
    c3 = active_slopes(scan, "canonical")[0]
    assert c3["slope"] == pytest.approx(3 + r3["correction"], abs=1e-12)


def test_weighted_mean_gives_the_other_published_number():
    # docs/theory.md#weighted-and-unweighted-means: the multiplicity-weighted tuple mean gives -3.0030 instead
    u = []
    for s in ELS_SIGMA_WS:
        net = nq.Network("gauss", width=3, sigma_w=float(s))
        q = couplings(exact_correlators(net, ELS_INPUTS, orders=(2, 4)), net, math.inf)
        w = multiplicities(6, 4)
        u.append(np.sum(w * q.lam) / np.sum(w))
    assert loglog_fit(ELS_SIGMA_WS, u)["slope"] == pytest.approx(-3.0030, abs=5e-5)


@pytest.mark.parametrize("d", [1, 2])
def test_local_slope_tends_to_d_minus_4(d):
    # at sigma_w |x| / sqrt(d) ~ 1e-6 the local slope is d - 4 up to ~1e-10
    X = np.full((2, d), 1e-6) * np.array([[1.0], [-0.5]])
    s = local_slope("gauss", d, 1.0, X, [1.0])
    assert s[0] == pytest.approx(d - 4, abs=1e-7)
    sc = local_slope("gauss", d, 1.0, X, [1.0], normalisation="canonical")
    assert sc[0] == pytest.approx(4 - d, abs=1e-7)
    # at the [ELS] inputs and sigma_w = 20 the correction is visible (order (sigma_w x)^2)
    s20 = local_slope("gauss", 1, 1.0, ELS_INPUTS, [20.0])[0]
    assert 0.005 < s20 + 3 < 0.02


def test_cos_net_scaling():
    # cos-net small-input lambda = -(3/2) (2/(pi d))^(d/2) sw^(d-4) / N (C4(0) = 3/2, C2 = 1)
    scan = exact_coupling_scan("cos", sigma_ws=[1.0, 4.0], widths=(5,), inputs=[[0.0]])
    ref = -1.5 * (2 / math.pi) ** 0.5 * np.array([1.0, 4.0]) ** -3 / 5
    np.testing.assert_allclose(scan.u4[0], ref, rtol=1e-12)


def test_monte_carlo_slope_tame_regime():
    # sigma_b = 0.3 (tame), N = 3, conditional estimator, 4000 networks per sigma_W, 39 points:
    # the jackknife slope error is ~0.007 (<= 0.05 required) and the slope agrees with exact.
    mc = mc_coupling_scan(widths=(3,), sigma_b=0.3, n_networks=4000, seed=11)
    ex = exact_coupling_scan(widths=(3,), sigma_b=0.3)
    m, e = active_slopes(mc)[0], active_slopes(ex)[0]
    assert m["source"] == "monte_carlo" and m["estimator"] == "conditional"
    assert m["n_networks"] == 4000 and "jackknife" in m["error_method"]
    assert m["slope_err"] <= 0.05
    assert abs(m["slope"] - e["slope"]) / m["slope_err"] < 4.5
    assert 0 <= m["heavy_tail_fired"] <= m["heavy_tail_points"]  # the verdict is recorded
    # negative control: a slope of -2.5 (a wrong power) is rejected
    assert abs(m["slope"] + 2.5) / m["slope_err"] > 4.5


@pytest.mark.slow
def test_monte_carlo_slope_tame_regime_wide():
    mc = mc_coupling_scan(widths=(1000,), sigma_b=0.3, n_networks=2000, seed=5)
    ex = exact_coupling_scan(widths=(1000,), sigma_b=0.3)
    m, e = active_slopes(mc)[0], active_slopes(ex)[0]
    assert m["slope_err"] <= 0.05
    assert abs(m["slope"] - e["slope"]) / m["slope_err"] < 4.5


def test_loglog_fit_error_propagation():
    # a known power law with independent errors: slope error by linear propagation
    s = np.array([1.0, 2.0, 4.0, 8.0])
    u = 3.0 * s**-2
    f = loglog_fit(s, u, u4_err=0.01 * u)
    assert f["slope"] == pytest.approx(-2, abs=1e-12)
    assert f["intercept"] == pytest.approx(math.log10(3), abs=1e-12)
    x = np.log10(s)
    c = (x - x.mean()) / np.sum((x - x.mean()) ** 2)
    assert f["slope_err"] == pytest.approx(np.sqrt(np.sum(c**2)) * 0.01 / math.log(10), rel=1e-12)
