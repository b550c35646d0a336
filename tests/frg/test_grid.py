"""Grid (method of lines) fixed points and flows against the polynomial method."""

import numpy as np
import pytest

import nnqft.frg as F

NU_REF = 0.649561773880      # docs/theory.md#reference-numbers
OMEGA_REF = 0.6557459391


def test_grid_fixed_point_converges_at_second_order():
    # second-order finite differences: the error of nu and omega against the published value
    # falls as h^2; empirical order from N = 81, 161, 321 within 0.3 of 2 (observed 2.00 for nu,
    # 2.2 and 2.06 for omega, still pre-asymptotic)
    errs = {}
    for N in (81, 161, 321):
        fp = F.LPA(3, 1).fixed_point(method="grid", n_points=N)
        errs[N] = (abs(fp.nu - NU_REF), abs(fp.omega - OMEGA_REF))
    for i in range(2):
        for a, b in ((81, 161), (161, 321)):
            order = np.log2(errs[a][i] / errs[b][i])
            assert order == pytest.approx(2.0, abs=0.3)
    # and it agrees with the polynomial method to the grid's accuracy (~1e-5 at N = 161)
    poly = F.LPA(3, 1).fixed_point(order=16)
    assert abs(F.LPA(3, 1).fixed_point(method="grid", n_points=161).nu - poly.nu) < 2e-5


def test_grid_fixed_point_n2_agrees_with_polynomial():
    # N = 161: grid error ~1e-5 (second order), polynomial order 16 ~1e-7
    g = F.LPA(3, 2, "exponential").fixed_point(method="grid", n_points=161)
    p = F.LPA(3, 2, "exponential").fixed_point(order=16)
    assert g.nu == pytest.approx(p.nu, abs=5e-5)
    assert g.omega == pytest.approx(p.omega, abs=5e-4)


def test_grid_flow_symmetric_phase_agrees_with_polynomial():
    # symmetric phase, flowed down; U'(0) from the grid (h = 0.5/200) against the order-8
    # polynomial truncation (converged to ~1e-6 here): agreement to 1e-4 (grid error ~ h^2)
    lpa = F.LPA(3, 1)
    g = lpa.flow([0.3, 2.0], (5.0, 0.05), method="grid", rho_max=0.5, n_points=201)
    p = lpa.flow([0.3, 2.0] + [0.0] * 6, (5.0, 0.05))
    assert g.status == "completed" and p.status == "completed"
    assert g.values[-1][0] == pytest.approx(p.final["u2"], abs=1e-4)


@pytest.mark.slow
def test_grid_flow_broken_phase_stops_at_convexity():
    # broken phase: the inner region flattens towards convexity as k -> 0 and the flow must stop
    # with a diagnostic instead of running through the pole
    res = F.LPA(3, 1).flow([-0.3, 2.0], (5.0, 1e-3), method="grid", rho_max=0.5)
    assert res.status == "convexity" and 1e-3 < res.k_star < 5.0
    assert "convexity" in res.message


def test_grid_flow_broken_phase_quick():
    # the same stop on a coarse grid (fast default test)
    res = F.LPA(3, 1).flow([-0.3, 2.0], (5.0, 1e-3), method="grid", rho_max=0.5, n_points=41,
                           convexity_tol=0.05)
    assert res.status == "convexity" and res.k_star > 1e-3
    assert res.k[-1] == pytest.approx(res.k_star)


def test_upward_grid_flow_is_refused():
    with pytest.raises(ValueError, match="UV down only"):
        F.LPA(3).flow([0.3, 2.0], (0.05, 5.0), method="grid")
