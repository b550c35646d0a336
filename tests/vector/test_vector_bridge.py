"""O(n) bridge (nnqft.bridge.on): IR data of n-output networks, O(n) LPA flows, large n.

Truths: the one-output bridge (identical at n = 1); the n-independence of the normal-law
amplitudes (u4, u6 equal the one-output values to rounding); Monte Carlo z-scores; the closed
forms of the Goldstone and radial masses against finite differences of U(rho); the 1/n approach
of the scaled network flows to the n = infinity LPA.
"""

import numpy as np
import pytest

import nnqft as nq
from nnqft.bridge import flow_from_ir, ir_data
from nnqft.bridge.on import (
    large_n_flows,
    mode_masses,
    mode_weights,
    on_flow_from_ir,
    on_ir_data,
    on_ir_dict,
)

GAUSS = nq.Network("gauss", width=20, sigma_b=0.5)


def test_one_output_is_todays_bridge():
    a = on_ir_data(GAUSS, [0.01, 0.02], order=6)
    b = ir_data(GAUSS, [0.01, 0.02], order=6)
    assert a.to_dict() == b.to_dict()


@pytest.mark.parametrize("n", [2, 3, 10])
def test_normal_law_ir_data_independent_of_n(n):
    a = on_ir_data(GAUSS.replace(outputs=n), [0.01, 0.02], order=6)
    b = ir_data(GAUSS, [0.01, 0.02], order=6)
    assert a.u4 == pytest.approx(b.u4, rel=1e-12) and a.u6 == pytest.approx(b.u6, rel=1e-10)
    d = on_ir_dict(a)
    assert d["outputs"] == n and d["modes"]["goldstone"] == n - 1


def test_monte_carlo_ir_data_vs_exact():
    net = GAUSS.replace(width=3, outputs=3, sigma_b=0.3)
    X = [-0.1, 0.1]
    ex = on_ir_data(net, X, order=4)
    mc = on_ir_data(net, X, order=4, n_networks=40000, seed=3)
    assert mc.u4_err <= 0.1 * abs(ex.u4)
    assert abs(mc.u4 - ex.u4) / mc.u4_err < 4.5
    assert abs(mc.u4 - 3 * ex.u4) / mc.u4_err > 10  # negative control: vertex lambda, not /3


def test_mode_masses_against_finite_differences():
    c = {"u2": 0.7, "u4": -1.3, "u6": 5.0}
    rho = np.linspace(0.0, 2.0, 7)

    def U(r):
        return c["u2"] * r + c["u4"] * (2 * r) ** 2 / 24 + c["u6"] * (2 * r) ** 3 / 720

    h = 1e-4
    Up = (U(rho + h) - U(rho - h)) / (2 * h)
    Upp = (U(rho + h) - 2 * U(rho) + U(rho - h)) / h**2
    m = mode_masses(c, rho)
    assert np.allclose(m["goldstone"], Up, atol=1e-7)
    assert np.allclose(m["radial"], Up + 2 * rho * Upp, atol=1e-5)
    w = mode_weights(1)
    assert w["goldstone"] == 0 and w["goldstone_share_quartic_flow"] == 0


def test_flow_components_one_matches_scalar_flow_and_goldstones_speed_divergence():
    net = nq.Network("gauss", width=100, sigma_b=1.0)
    ir1 = ir_data(net, None, order=6)
    kw = dict(n_points=100, rtol=1e-8, atol=1e-10)
    ref = flow_from_ir(ir1, "b", 6, **kw)
    one = on_flow_from_ir(ir1, "b", 6, **kw)
    assert one.k_star == ref.k_star and np.array_equal(one.coupling("u4"), ref.coupling("u4"))
    four = on_flow_from_ir(on_ir_data(net.replace(outputs=4), None, order=6), "b", 6, **kw)
    assert ref.k_star is not None and four.k_star is not None
    assert four.k_star < ref.k_star  # (n + 8) u4^2: more Goldstone loops, earlier divergence


def test_large_n_network_flows_approach_the_infinite_n_lpa():
    res = large_n_flows(nq.Network("gauss", width=10, sigma_b=0.5), None, ns=(2, 8, 32),
                        base_width=10, order=6, n_points=100)
    d = np.array(res["u4_max_rel_diff"])
    assert np.all(np.diff(d) < 0)
    # 1/n approach: each factor 4 in n cuts the difference by at least ~3
    assert d[1] / d[2] > 3.0 and d[0] / d[1] > 2.5
    assert d[-1] < 0.02
    # the scaled IR coupling n u4 is the same for every n (widths N = 10 n)
    s = [x["u4"] for x in res["scaled_ir"]]
    assert np.allclose(s, s[0], rtol=1e-12)


def test_passive_reading_starts_at_the_ir_data():
    """At the lowest scale the flowed u4 is the IR coupling and sigma_W(k) is sigma_W; higher
    up the O(n) flow and the networks at sigma_W(k) part ways (the passive reading fails)."""
    from nnqft.bridge.on import on_passive_reading

    net = nq.Network("gauss", width=20, sigma_b=0.5, outputs=2)
    ir = on_ir_data(net, None, order=4)
    f = on_flow_from_ir(ir, "b", 4, n_points=100, rtol=1e-8, atol=1e-10)
    r = on_passive_reading(f, ir, n_k=4, k_min=1e-3)
    assert r["sigma_w"][0] == pytest.approx(1.0, rel=1e-9)
    assert r["u4_flow"][0] == pytest.approx(ir.to_canonical().u4, rel=1e-8)
    assert r["u4_networks"][0] == pytest.approx(ir.to_canonical().u4, rel=1e-8)
    assert abs(r["u4_flow"][-1] / r["u4_networks"][-1] - 1) > 0.3
