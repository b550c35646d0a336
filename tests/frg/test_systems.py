"""Mechanically derived flow systems against the hand-written ones of docs/theory.md#phi6-system."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnqft.frg as F
from nnqft.frg.polynomial import phi_to_rho, rho_to_phi


def _hand_phi6(k, u, d):
    """docs/theory.md#phi6-system, n = 1, Litim, Z = p^2 (u_8 = 0): typed in, as the reference."""
    u2, u4, u6 = u
    D = k * k + u2
    c = F.v_d(d) * k ** (d + 2)
    return np.array([-c * u4 / D**2,
                     c * (-u6 / D**2 + 6 * u4**2 / D**3),
                     c * (30 * u4 * u6 / D**3 - 90 * u4**3 / D**4)])


@pytest.mark.parametrize("d", [1.0, 3.0, 2.4])
def test_phi6_system_equals_written_one(d):
    # acceptance: coefficients 6, 30, 90 derived mechanically (agreement to rounding, 1e-12)
    sysm = F.phi_power_flow_system(3, dim=d)
    rng = np.random.default_rng(1)
    for _ in range(20):
        k = rng.uniform(0.1, 3)
        u = np.array([rng.uniform(0.0, 2), rng.normal(), rng.normal() * 10])
        np.testing.assert_allclose(sysm.rhs_t(np.log(k), u), _hand_phi6(k, u, d),
                                   rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(sysm.rhs_k(k, u), _hand_phi6(k, u, d) / k, rtol=1e-12)


def test_phi8_adds_the_u8_term():
    # at order 4 the u6 equation gets -u8/D^2 (docs/theory.md#phi6-system: "u_8 = 0 at this order")
    sys3, sys4 = F.phi_power_flow_system(3, dim=1), F.phi_power_flow_system(4, dim=1)
    u = np.array([0.7, -0.3, 2.0, 5.0])
    k = 0.9
    D = k * k + u[0]
    diff = sys4.rhs_t(np.log(k), u)[:3] - sys3.rhs_t(np.log(k), u[:3])
    np.testing.assert_allclose(diff, [0, 0, -F.v_d(1) * k**3 * u[3] / D**2], atol=1e-13)


def test_phi_rho_conversion_roundtrip():
    # U = sum u_2j phi^2j/(2j)! = sum lambda_j rho^j/j! with rho = phi^2/2, checked pointwise
    u = np.array([0.3, -1.2, 4.0, 7.0])
    lam = phi_to_rho(u)
    phi = 0.37
    rho = phi**2 / 2
    from math import factorial
    U_phi = sum(u[j - 1] * phi ** (2 * j) / factorial(2 * j) for j in range(1, 5))
    U_rho = sum(lam[j - 1] * rho**j / factorial(j) for j in range(1, 5))
    assert U_phi == pytest.approx(U_rho, rel=1e-14)
    np.testing.assert_allclose(rho_to_phi(lam), u, rtol=1e-15)


@pytest.mark.parametrize("u40, sigma, u4, u6", [(-0.0736, 1.1096, -4.484, 19.26),
                                                 (-63.0, 1.706, -27.95, None)])
def test_els_as_published_flow(u40, sigma, u4, u6):
    # docs/theory.md#the-published-flow reference numbers (given to 4-5 digits): tolerance 1e-3 relative
    res = F.LPA(dim=1).flow([2.0, u40, 50.0], (1e-10, 100.0))
    assert res.status == "completed"
    fin = res.final
    assert np.sqrt(fin["u2"] / 2) == pytest.approx(sigma, rel=1e-3)
    assert fin["u4"] == pytest.approx(u4, rel=1e-3)
    if u6 is not None:
        assert fin["u6"] == pytest.approx(u6, rel=1e-3)


def test_litim_spectral_with_p2_equals_litim():
    # litim_spectral reduces to Litim for Z = p^2 (docs/theory.md#lpa-flow): same flow to 1e-9
    a = F.LPA(1, regulator="litim").flow([1.0, -0.5, 3.0], (1e-3, 10.0))
    b = F.LPA(1, regulator="litim_spectral").flow([1.0, -0.5, 3.0], (1e-3, 10.0))
    np.testing.assert_allclose(a.values[-1], b.values[-1], rtol=1e-9)


def test_exponential_kinetic_does_not_overflow_at_k100():
    # Z = A exp(k^2/mu^2) = exp(5000) overflows float64, the ratio form does not; the flow
    # derivative must be finite and, for u = 0, exactly v_d k^d (k^2/mu^2) (u2 = 0 equation:
    # d_t U(0) is not carried, so check d_t u2 = -v_d k^d (k^2/mu^2) e^(-k^2/mu^2) u4/A -> 0)
    kin = F.ExponentialKinetic(A=0.08, mu2=2.0)
    sysm = F.phi_power_flow_system(3, dim=1, regulator="litim_spectral", kinetic=kin)
    with np.errstate(over="raise"):
        r = sysm.rhs_k(100.0, [0.0, -40.0, -2e4])
    assert np.all(np.isfinite(r))
    res = F.LPA(1, 1, "litim_spectral", kin).flow([0.0, -4.0, -10.0], (1e-10, 100.0))
    assert res.status == "completed" and np.all(np.isfinite(res.values))


def test_exponential_kinetic_matches_generic_callable_at_moderate_k():
    # the ratio form and the plain (Z, dZ) callables agree where Z does not overflow (1e-12)
    A, mu2 = 0.3, 2.0
    kin = F.ExponentialKinetic(A, mu2)
    plain = (lambda p2: A * np.exp(p2 / mu2), lambda p2: A * np.exp(p2 / mu2) / mu2)
    s1 = F.phi_power_flow_system(3, 1, 1, "litim_spectral", kin)
    s2 = F.phi_power_flow_system(3, 1, 1, "litim_spectral", plain)
    u = [0.1, -2.0, 5.0]
    np.testing.assert_allclose(s1.rhs_k(1.7, u), s2.rhs_k(1.7, u), rtol=1e-12)


@settings(max_examples=4, deadline=None)
@given(s=st.floats(0.3, 3.0), reg=st.sampled_from(["litim", "litim_spectral", "exponential"]))
def test_dimensionful_flow_independent_of_field_normalisation(s, reg):
    # phi -> s phi: Z -> s^2 Z, u_2j -> s^(2j) u_2j; the flowed couplings must scale the same way
    # (exact symmetry of the flow; tolerance 1e-7 from the two independent ODE solves)
    u0 = np.array([0.8, -0.6, 2.0])
    a = F.LPA(2.0, 1, reg).flow(u0, (0.05, 5.0))
    kin = F.P2Kinetic(Z0=s**2)
    scale = s ** (2 * np.arange(1, 4))
    b = F.LPA(2.0, 1, reg, kin).flow(u0 * scale, (0.05, 5.0))
    np.testing.assert_allclose(b.values[-1] / scale, a.values[-1], rtol=1e-7)
