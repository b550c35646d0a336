"""Fixed points and exponents against closed forms and published values (docs/theory.md#critical-exponents, #reference-numbers)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnqft.frg as F
from nnqft.frg.polynomial import FixedPointSystem, complex_step_jacobian
from nnqft.frg.regulators import dimensionless_poles

NU_LITIM_N1 = 0.649561773880   # Bervillier, Juttner, Litim hep-th/0701172 (docs/theory.md#reference-numbers)
OMEGA_LITIM_N1 = 0.6557459391
NU_LITIM_N2 = 0.708211         # [L02]
OMEGA_LITIM_N2 = 0.671221


def test_lowest_order_about_minimum_closed_form():
    # docs/theory.md#reference-numbers: kappa = 4/3, u'' = 3/16, nu = 1/2 exactly (rounding only: 1e-14)
    fp = F.LPA(3, 1).fixed_point(order=2)
    assert fp.minimum == pytest.approx(4 / 3, rel=1e-14)
    assert fp.curvature == pytest.approx(3 / 16, rel=1e-14)
    assert fp.nu == pytest.approx(0.5, rel=1e-14)
    # and the second eigenvalue, by hand from the 2x2 stability matrix: omega = 1/3
    assert fp.omega == pytest.approx(1 / 3, rel=1e-12)


def test_litim_n1_order16_matches_published():
    # order-16 truncation about the minimum oscillates around the limit at the 1e-7 level
    # (see fp.convergence), so 1e-6 relative
    fp = F.LPA(3, 1).fixed_point(order=16)
    assert fp.nu == pytest.approx(NU_LITIM_N1, rel=1e-6)
    assert fp.omega == pytest.approx(OMEGA_LITIM_N1, rel=1e-6)
    assert len(fp.eigenvalues) == 16 and fp.eigenvalues[0] == pytest.approx(-1 / fp.nu)
    assert np.all(np.diff(np.real(fp.eigenvalues)) >= 0)
    assert [c["order"] for c in fp.convergence] == list(range(2, 17))


def test_litim_n2_matches_published():
    # [L02] quotes 6 digits: 2e-6 relative
    fp = F.LPA(3, 2).fixed_point(order=16)
    assert fp.nu == pytest.approx(NU_LITIM_N2, rel=2e-6)
    assert fp.omega == pytest.approx(OMEGA_LITIM_N2, rel=2e-6)


@pytest.mark.parametrize("regulator", ["litim", "exponential", "gaussian"])
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_exponents_converge_with_order(regulator, n):
    # the distance to the order-16 value shrinks with the order (2 -> 6 -> 10) and is below
    # 1e-5 (nu) / 1e-4 (omega, which converges more slowly) at order 12: the convergence the
    # acceptance asks for, per regulator and n (observed: ~4e-6 and ~5e-5 at worst)
    fp = F.LPA(3, n, regulator).fixed_point(order=16)
    seq = {c["order"]: c for c in fp.convergence}
    for key, tol in (("nu", 1e-5), ("omega", 1e-4)):
        err = {M: abs(seq[M][key] - seq[16][key]) for M in (2, 6, 10, 12)}
        assert err[2] > err[6] > err[10]
        assert err[12] < tol


def test_litim_gives_smallest_nu():
    # [L02]: the optimised (Litim) regulator gives the smallest nu among the three
    nus = {r: F.LPA(3, 1, r).fixed_point(order=12).nu for r in ("litim", "exponential", "gaussian")}
    assert nus["litim"] < nus["gaussian"] and nus["litim"] < nus["exponential"]


def test_nu_approaches_large_n_limit():
    # nu -> 1/(d-2) = 1 in d = 3 as n grows (the LPA is exact at n = infinity); the distance
    # falls monotonically and is ~ 1/n
    nus = [F.LPA(3, n).fixed_point(order=10).nu for n in (1, 4, 16, 64, 256)]
    dist = [abs(x - 1.0) for x in nus]
    assert all(a > b for a, b in zip(dist, dist[1:], strict=False))
    assert dist[-1] < 5e-3


@pytest.mark.parametrize("d", [3.0, 2.5, 3.6])
def test_gaussian_fixed_point_eigenvalues_exact(d):
    # at u = 0 the stability matrix is triangular with eigenvalues j (d-2) - d, j = 1..M
    # (canonical dimensions of rho^j); exact up to rounding (1e-12)
    M = 6
    system = FixedPointSystem(M, d, 1, dimensionless_poles("litim", F.P2Kinetic(), d), "zero")
    J = complex_step_jacobian(system.rhs, np.zeros(M))
    ev = np.sort(np.linalg.eigvals(J).real)
    np.testing.assert_allclose(ev, np.sort([j * (d - 2) - d for j in range(1, M + 1)]),
                               atol=1e-12)


def test_expansion_about_zero_avoids_gaussian_and_converges_slowly():
    # about rho = 0 the truncation converges slowly to the same limit (docs/theory.md#critical-exponents): order 12
    # within 1e-3 of the reference, and not the Gaussian point (which has nu = 1/2 exactly and
    # all couplings 0)
    fp = F.LPA(3, 1).fixed_point(order=12, expand_about="zero")
    assert np.max(np.abs(fp.couplings)) > 1e-2
    assert fp.nu == pytest.approx(NU_LITIM_N1, abs=1e-3)
    errs = [abs(c["nu"] - NU_LITIM_N1) for c in fp.convergence]
    assert errs[-1] < errs[0]


@settings(max_examples=6, deadline=None)
@given(s=st.floats(0.2, 5.0), reg=st.sampled_from(["litim", "gaussian"]))
def test_fixed_point_independent_of_field_normalisation(s, reg):
    # Z = s p^2 rescales the field: u(r) -> u(s r), so kappa -> kappa/s, u'' -> s^2 u'',
    # and the exponents are unchanged (agreement to Newton's accuracy, 1e-9)
    a = F.LPA(3, 1, reg).fixed_point(order=8)
    b = F.LPA(3, 1, reg, F.P2Kinetic(Z0=s)).fixed_point(order=8)
    assert b.nu == pytest.approx(a.nu, rel=1e-9)
    assert b.omega == pytest.approx(a.omega, rel=1e-9)
    assert b.kappa == pytest.approx(a.kappa / s, rel=1e-9)
    assert b.lam == pytest.approx(a.lam * s**2, rel=1e-9)
