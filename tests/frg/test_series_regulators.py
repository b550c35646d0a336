"""Series arithmetic and threshold functions against independent computations."""

import numpy as np
import pytest
from scipy.integrate import quad

from nnqft.frg import series as S
from nnqft.frg.regulators import regulator_profile, threshold_function, v_d


def test_mul_deriv_match_numpy_polynomials():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=6), rng.normal(size=6)
    full = np.polynomial.polynomial.polymul(a, b)[:6]
    # exact arithmetic up to rounding: 1e-14 relative
    np.testing.assert_allclose(S.mul(a, b), full, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(S.deriv(a)[:-1], np.polynomial.polynomial.polyder(a), rtol=1e-14)


def test_compose_poles_is_the_taylor_series():
    # T(m) = sum a/(b + c m) with m(x) = m0 + m1 x + m2 x^2: compare the series with the
    # Taylor coefficients of the exact function computed by high-order finite differences
    # through numpy's polyfit of samples at tiny x (independent route); 1e-7 relative is
    # the accuracy of the fit.
    a, b, c = np.array([1.0, 0.5]), np.array([1.0, 2.0]), np.array([0.7, 0.7])
    m = np.array([0.3, 0.8, -0.4, 0.0, 0.0])
    ser, D = S.compose_poles(m, a, b, c)
    x = np.linspace(-0.05, 0.05, 41)
    mx = m[0] + m[1] * x + m[2] * x**2
    f = np.sum(a / (b + c * mx[:, None]), axis=1)
    fit = np.polynomial.polynomial.polyfit(x, f, 10)[:5]
    np.testing.assert_allclose(ser, fit, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(D, b + c * m[0], rtol=1e-15)


def test_reexpand_is_exact_for_polynomials():
    p = np.polynomial.Polynomial([1.0, -2.0, 0.5, 0.25, -0.1])
    der0 = np.array([p.deriv(j)(0.0) for j in range(5)])
    der1 = S.reexpand(der0, 0.7)
    np.testing.assert_allclose(der1, [p.deriv(j)(0.7) for j in range(5)], rtol=1e-13, atol=1e-14)


def test_v_d_values():
    # closed forms quoted in docs/theory.md#regulators
    assert v_d(1) == pytest.approx(1 / np.pi, rel=1e-15)
    assert v_d(3) == pytest.approx(1 / (6 * np.pi**2), rel=1e-14)
    assert v_d(0) == 1.0


@pytest.mark.parametrize("regulator", ["exponential", "gaussian"])
@pytest.mark.parametrize("d", [1.0, 2.5, 3.0, 4.0])
@pytest.mark.parametrize("w", [-0.5, 0.0, 2.0])
def test_threshold_quadrature_against_adaptive_quad(regulator, d, w):
    # l(w) = (d/2) int y^(d/2-1) N/(P + w) dy by scipy.quad (independent adaptive quadrature,
    # its own error ~1e-11 at the y^(d/2-1) endpoint for d < 2): agree to 1e-9
    def f(y):
        N, P = regulator_profile(regulator, np.array([y]))
        return (d / 2) * y ** (d / 2 - 1) * N[0] / (P[0] + w)

    ref = quad(f, 0, 1, limit=200)[0] + quad(f, 1, np.inf, limit=200)[0]
    assert threshold_function(regulator, d, w) == pytest.approx(ref, rel=1e-9)


def test_threshold_quadrature_converges_with_nodes():
    # the Gauss-Jacobi rule converges geometrically: 80 -> 160 nodes changes l by < 1e-12
    # (a few ulps of l ~ 2.3 summed over the nodes), 20 -> 160 by far more
    a = threshold_function("exponential", 3.0, 0.3, n_nodes=80)
    b = threshold_function("exponential", 3.0, 0.3, n_nodes=160)
    c = threshold_function("exponential", 3.0, 0.3, n_nodes=20)
    assert abs(a - b) < 1e-12 < abs(c - b)


@pytest.mark.parametrize("regulator", ["litim", "exponential", "gaussian"])
def test_threshold_d0_limit_and_litim_closed_form(regulator):
    # at d = 0 every regulator gives 1/(1+w); Litim gives 1/(1+w) in any d; the quadrature at
    # small d approaches the d = 0 limit (O(d) difference)
    w = np.array([-0.3, 0.0, 1.5])
    np.testing.assert_allclose(threshold_function(regulator, 0.0, w), 1 / (1 + w), rtol=1e-14)
    np.testing.assert_allclose(threshold_function("litim", 2.7, w), 1 / (1 + w), rtol=1e-15)
    small = threshold_function(regulator, 1e-3, w)
    np.testing.assert_allclose(small, 1 / (1 + w), rtol=1e-2)


def test_threshold_derivative_matches_finite_difference():
    h = 1e-5
    f = lambda w: threshold_function("gaussian", 3.0, w)  # noqa: E731
    fd = (f(0.2 + h) - f(0.2 - h)) / (2 * h)
    # central difference error ~ h^2 l''' ~ 1e-10
    assert threshold_function("gaussian", 3.0, 0.2, derivative=1) == pytest.approx(fd, rel=1e-8)
