"""Dimensionful polynomial flows: directions, divergence detection (k*), datasets."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import nnqft.frg as F


def test_upward_flow_divergence_reports_k_star():
    # a strongly negative phi^6 coupling drives |u4| through 1e6 at a finite scale; k* is where
    # the last stored |u4| equals the threshold (event location, 1e-6 relative), and an
    # event-free integration (independent solve) crosses 1e6 at the same k (1e-4 relative)
    res = F.LPA(1).flow([2.0, -63.0, -3e4], (1e-10, 100.0))
    assert res.status == "diverged" and res.diagnostics["reason"] == "blowup"
    assert 1e-10 < res.k_star < 100
    assert abs(res.coupling("u4")[-1]) == pytest.approx(1e6, rel=1e-6)
    assert res.k[-1] == pytest.approx(res.k_star, rel=1e-12)
    sysm = F.phi_power_flow_system(3, dim=1)
    sol = solve_ivp(sysm.rhs_t, (np.log(1e-10), np.log(res.k_star) + 0.002), [2.0, -63.0, -3e4],
                    method="LSODA", rtol=1e-11, atol=1e-12, dense_output=True)
    t = np.linspace(np.log(res.k_star) - 0.01, sol.t[-1], 20001)
    u4 = sol.sol(t)[1]
    i = np.argmax(np.abs(u4) > 1e6)
    assert np.exp(t[i]) == pytest.approx(res.k_star, rel=1e-4)


def test_pole_detection():
    # flowing down from k = 1 with D = k^2 + u2 and u2 < 0 fixed-ish: k^2 + u2 reaches 0 near
    # k = sqrt(-u2); the flow must stop there with reason "pole", not run through it
    res = F.LPA(3).flow([-0.25, 0.0, 0.0], (1.0, 0.01), blowup_threshold=1e30, pole_tol=1e-6)
    assert res.status == "diverged" and res.diagnostics["reason"] == "pole"
    # u2 = -0.25 stays put (u4 = u6 = 0: d_t u2 = 0), so the pole sits at exactly k = 0.5;
    # pole_tol = 1e-6 on D / k^2 puts the stop within ~1e-6 relative of it
    assert res.k_star == pytest.approx(0.5, rel=1e-5)


def test_downward_and_upward_polynomial_flows_are_inverse():
    # integrate down, then back up from the end point: the start is recovered (1e-7)
    lpa = F.LPA(3, 2, "exponential")
    down = lpa.flow([0.5, 1.0, 0.3], (2.0, 0.5))
    up = lpa.flow(down.values[-1], (0.5, 2.0))
    np.testing.assert_allclose(up.values[-1], [0.5, 1.0, 0.3], rtol=1e-7)


def test_minimum_flow_matches_zero_flow_and_switches():
    # the same potential flowed about its running minimum and about 0 (order 6 both): U'(0)
    # and U''(0) agree (truncations differ at O(rho0^5) terms: 1e-4) once rho0 has reached 0
    lpa = F.LPA(3, 1)
    mn = lpa.flow({"rho0": 0.02, "lambda2": 1.0}, (10.0, 1.0), expand_about="minimum", order=6)
    assert "switched_to_zero_at_k" in mn.diagnostics
    # the same initial potential about zero: U = (1/2)(rho - 0.02)^2 -> lambda1 = -0.02, lambda2 = 1
    u0 = F.polynomial.rho_to_phi(np.array([-0.02, 1.0] + [0.0] * 4))
    zr = lpa.flow(u0, (10.0, 1.0))
    lam_zero = F.polynomial.phi_to_rho(zr.values[-1])
    fin = mn.final
    assert fin["rho0"] == 0.0
    # the old name of the minimum is still accepted as input
    old = lpa.flow({"kappa": 0.02, "lambda2": 1.0}, (10.0, 1.0), expand_about="minimum", order=6)
    assert old.final == fin
    assert fin["lambda1"] == pytest.approx(lam_zero[0], rel=1e-4)
    assert fin["lambda2"] == pytest.approx(lam_zero[1], rel=1e-4)


def test_to_dataset_roundtrip(tmp_path):
    res = F.LPA(1).flow([2.0, -0.0736, 50.0], (1e-10, 100.0), n_points=50)
    ds = res.to_dataset()
    assert ds.attrs["status"] == "completed"
    p = tmp_path / "f.nc"
    ds.to_netcdf(p, engine="h5netcdf")
    import xarray as xr

    back = xr.open_dataset(p, engine="h5netcdf")
    np.testing.assert_array_equal(back["u4"].values, res.coupling("u4"))
    back.close()
