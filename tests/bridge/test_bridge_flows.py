"""Flows from the IR: [ELS] as published, set-ups (a) and (b), k*, passive reading.

Independent truths: the published [ELS] flow numbers (docs/theory.md#the-published-flow), an independent
integration of the phi^6 system with the coefficients typed from docs/theory.md#phi6-system (only in
this test), the Litim flow for Z = p^2 (litim_spectral must equal it), and the k* values quoted
in docs/theory.md#divergence-scale.
"""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import nnqft as nq
from nnqft.bridge import ir_data
from nnqft.bridge.flows import (
    ELS_PUBLISHED,
    compare_flows,
    els_as_published,
    flow_from_ir,
    passive_reading,
)
from nnqft.frg import LPA, P2Kinetic

ELS_X = [-0.01, -0.006, -0.002, 0.002, 0.006, 0.01]


def _typed_system(k_end, u0):
    """docs/theory.md#phi6-system system (d = 1, Litim), integrated independently of nnqft.frg."""
    vd = 1 / math.pi

    def rhs(t, u):
        k = math.exp(t)
        u2, u4, u6 = u
        D = k * k + u2
        f = vd * k**3
        return [-f * u4 / D**2, f * (-u6 / D**2 + 6 * u4**2 / D**3),
                f * (30 * u4 * u6 / D**3 - 90 * u4**3 / D**4)]

    s = solve_ivp(rhs, (math.log(1e-10), math.log(k_end)), u0, method="Radau", rtol=1e-11,
                  atol=1e-12)
    return s.y[:, -1]


@pytest.mark.parametrize("N", [1000, 3])
def test_els_as_published_reproduces_numbers(N):
    f = els_as_published(N)
    assert f.typed_in and "TYPED IN" in f.label and f.normalisation == "els_as_published"
    ref = ELS_PUBLISHED["results"][N]
    fin = f.result.final
    assert f.status == "completed" and f.k[-1] == pytest.approx(100.0)
    assert f.sigma_w_of_k()[-1] == pytest.approx(ref["sigma_w_100"], rel=1e-3)
    assert fin["u4"] == pytest.approx(ref["u4_100"], rel=1e-3)
    if "u6_100" in ref:
        assert fin["u6"] == pytest.approx(ref["u6_100"], rel=1e-3)
    # and agrees with the independently typed system to solver accuracy
    u = _typed_system(100.0, [2.0, ELS_PUBLISHED["u4_0"][N], 50.0])
    np.testing.assert_allclose([fin["u2"], fin["u4"], fin["u6"]], u, rtol=1e-7)


def test_litim_spectral_equals_litim_for_p2():
    init = {"u2": 2.0, "u4": -0.5, "u6": 3.0}
    a = LPA(1, 1, "litim").flow(init, (1e-10, 100.0), order=3, n_points=50)
    b = LPA(1, 1, "litim_spectral", kinetic=P2Kinetic()).flow(init, (1e-10, 100.0), order=3,
                                                             n_points=50)
    np.testing.assert_allclose(a.k, b.k, rtol=0)
    np.testing.assert_allclose(b.values, a.values, rtol=1e-12, atol=0)


@pytest.mark.parametrize("N,k_ref", [(1000, 2.4), (3, 0.18)])
def test_k_star_setup_b(N, k_ref):
    # docs/theory.md#divergence-scale: |u4| passes 1e6 near k = 2.4, 0.62, 0.18 for N = 1000, 100, 3
    ir = ir_data(nq.Network("gauss", width=N), ELS_X)
    f = flow_from_ir(ir, "b", 6, rtol=1e-8, atol=1e-10, n_points=60)
    assert f.status == "diverged" and f.k_star == pytest.approx(k_ref, rel=0.05)
    assert f.normalisation == "canonical"
    assert f.initial["u2"] == pytest.approx(2.0) and f.initial["u4"] == pytest.approx(
        ir.to_canonical().u4)
    # u2 hardly moves before k*: sigma_W(k) stays within 2% of its IR value up to k*/2
    below = f.k <= 0.5 * f.k_star
    assert np.max(np.abs(f.sigma_w_of_k()[below] - 1.0)) < 0.02


def test_setup_a_uses_raw_data_and_spectral_litim():
    ir = ir_data(nq.Network("gauss", width=1000), ELS_X)
    f = flow_from_ir(ir, "a", 6, rtol=1e-8, atol=1e-10, n_points=60)
    assert f.normalisation == "raw" and f.initial["u2"] == 0.0
    assert f.initial["u4"] == pytest.approx(ir.u4)
    assert f.result.attrs["regulator"] == "litim_spectral"
    assert f.status == "diverged" and f.k_star is not None
    with pytest.raises(ValueError, match="set-up"):
        f.sigma_w_of_k()


def test_tame_flows_complete_and_compare_below_k_star():
    ir = ir_data(nq.Network("gauss", width=1000, sigma_b=0.3), ELS_X)
    fa = flow_from_ir(ir, "a", 6, rtol=1e-8, atol=1e-12, n_points=60)
    fb = flow_from_ir(ir, "b", 6, rtol=1e-8, atol=1e-12, n_points=60)
    assert fa.status == fb.status == "completed"
    cmp = compare_flows(fa, fb, k_min=1e-4)
    assert cmp["normalisation"] == "canonical"
    # deep in the IR both start from the same canonical coupling
    assert cmp["u4"][0][0] == pytest.approx(cmp["u4"][1][0], rel=1e-6)
    with pytest.raises(ValueError, match="inconsistent"):
        compare_flows(fa, els_as_published(1000))


def test_passive_reading_matches_networks_in_the_ir():
    ir = ir_data(nq.Network("gauss", width=1000, sigma_b=0.3), ELS_X)
    fb = flow_from_ir(ir, "b", 6, rtol=1e-8, atol=1e-12, n_points=60)
    p = passive_reading(fb, ir, n_k=4, k_min=1e-4)
    assert p["normalisation"] == "canonical"
    assert p["sigma_w"][0] == pytest.approx(1.0, abs=1e-6)
    assert p["u4_flow"][0] == pytest.approx(p["u4_networks"][0], rel=1e-5)
    with pytest.raises(ValueError):
        passive_reading(flow_from_ir(ir, "a", 6, rtol=1e-8, n_points=20), ir)


def test_order_8_needs_u8():
    ir = ir_data(nq.Network("gauss", width=3), ELS_X)  # order 6 only
    with pytest.raises(ValueError, match="u8"):
        flow_from_ir(ir, "b", 8)


def test_grid_inverse_problem_tame_and_none():
    # tame data: the grid inverse problem finds a UV potential, and it agrees with the UV values
    # of the independent upward polynomial flow (phi^6, same set-up) to 1e-3
    from nnqft.bridge.inverse import inverse_grid

    ir = ir_data(nq.Network("gauss", width=1000, sigma_b=0.3), ELS_X)
    r = inverse_grid(ir, max_nfev=15)
    assert r["status"] == "found" and r["max_rel_residual"] <= 1e-3
    up = flow_from_ir(ir, "b", 6, k_span=(1e-3, 100.0), rtol=1e-10, atol=1e-14, n_points=20)
    np.testing.assert_allclose(r["uv"], [up.result.final[n] for n in ("u2", "u4", "u6")],
                               rtol=1e-3)
