"""The bridge's local IR potential against the exact Gamma on 1 to 4 inputs (cos-net).

Independent truths: the closed-form Gaussian tree integrals (nnqft.eft.gauss_tree_integral) for
the y quadrature; the exact Gamma of nnqft.action.multi (damped Newton on the exact W) and of
the one-input theory (a different quadrature); convergence orders in 1/N with negative controls.
"""

import math

import numpy as np
import pytest

import nnqft as nq
from nnqft.action.bridgecheck import (
    contract_sorted,
    interpolant_integrals,
    lpa_vs_exact,
    zero_mode_check,
)
from nnqft.action.multi import effective_action
from nnqft.action.theory import GammaUndefinedError, OneInputTheory
from nnqft.bridge.lattice import Lattice
from nnqft.combinatorics import multiplicities, sorted_tuples
from nnqft.eft.integrals import gauss_tree_integral

X3 = [[-0.5], [0.1], [0.6]]


def _slope(Ns, r):
    return np.polyfit(np.log(Ns), np.log(np.abs(r)), 1)[0]


def test_interpolant_integrals_match_closed_form_tree_integrals():
    # int psi^4, int psi^6 and the second-order term int int psi^3 C psi^3 (C the posterior
    # covariance) against sums of closed-form Gaussian tree integrals; trapezoid on Gaussians is
    # spectrally accurate, tolerance 1e-11 relative (rounding of the K^-1 contractions)
    net = nq.Network("cos", width=4, sigma_w=1.3, sigma_b=0.5)
    X = np.array(X3)
    g = interpolant_integrals(net, X)
    v, k = g["v"], 3
    for n in (4, 6):
        In = gauss_tree_integral(net, X, [sorted_tuples(k, n)], [])
        assert g["volumes"][n] == pytest.approx(contract_sorted(In, v, n), rel=1e-11)
    T3, m3 = sorted_tuples(k, 3), multiplicities(k, 3)
    w3 = m3 * np.prod(v[T3], axis=1)
    SJ = 0.0
    for i in range(len(T3)):
        J = gauss_tree_integral(net, X, [np.repeat(T3[i:i + 1], len(T3), 0), T3], [(0, 1)])
        SJ += w3[i] * (w3 @ J)
    leg = np.array([w3 @ gauss_tree_integral(net, X, [np.column_stack([T3, np.full(len(T3), a)])],
                                             []) for a in range(k)])
    closed = SJ - leg @ np.linalg.solve(g["K"], leg)
    psi3 = g["psi"] ** 3
    quad = g["h"] ** 2 * psi3 @ g["C"] @ psi3
    assert quad == pytest.approx(closed, rel=1e-10)
    # halving the grid step changes nothing at this level
    g2 = interpolant_integrals(net, X, step=0.0625)
    assert g2["volumes"][6] == pytest.approx(g["volumes"][6], rel=1e-13)


def test_one_input_prediction_is_exact_to_second_order():
    # at one input the second-order prediction reproduces Gamma_2, Gamma_4, Gamma_6 identically,
    # so exact - predicted ~ N^-3 (fitted slope within 0.15 of -3); negative control: the
    # first-order prediction (U at the interpolant only) misses the exchange term, slope -2
    Ns = np.array([16, 32, 64])
    r2, r1 = [], []
    for N in Ns:
        r = lpa_vs_exact(nq.Network("cos", width=int(N), sigma_w=1.0, sigma_b=0.5), [[0.3]], [1.0])
        r2.append(r.residual[0])
        r1.append(r.gamma_exact[0] - r.gamma_bridge_first[0])
        assert r.nonlocal4 == pytest.approx(0.0, abs=1e-12)  # one input: nothing non-local
    assert abs(_slope(Ns, r2) + 3) < 0.15
    assert abs(_slope(Ns, r1) + 2) < 0.15


def test_several_inputs_residual_is_the_nonlocal_term():
    # k = 3 inputs: exact - predicted = delta_4 phi^4 / N + O(1/N^2), delta_4 from the exact G4_c
    # and the closed-form I_4 (not from the Legendre transform). Subtracting it leaves a slope
    # within 0.2 of -2; negative control: without the subtraction the slope is -1
    Ns = np.array([16, 32, 64])
    rem, raw = [], []
    phi = 1.0
    for N in Ns:
        r = lpa_vs_exact(nq.Network("cos", width=int(N), sigma_w=1.0, sigma_b=0.5), X3, [phi])
        raw.append(r.residual[0])
        rem.append(r.residual[0] - r.nonlocal4 * phi**4 / N)
    assert abs(r.nonlocal4 / r.quartic_exact) > 0.3  # the test has power: delta_4 is large
    assert abs(_slope(Ns, rem) + 2) < 0.2
    assert abs(_slope(Ns, raw) + 1) < 0.1


def test_zero_mode_gamma_against_independent_routes():
    net = nq.Network("cos", width=5, sigma_w=1.2, sigma_b=0.7)
    Phi = np.array([0.3, 1.0, 2.0])
    # one input: the average is f itself; the one-input theory is a different quadrature
    z1 = zero_mode_check(net, [[0.3]], Phi, box=1.0)
    assert np.allclose(z1["gamma_exact"], OneInputTheory(net, [0.3]).gamma(Phi), atol=1e-10)
    # two inputs symmetric under exchange: the minimum of Gamma_X at fixed mean is at the
    # constant field, so Gamma_Phi(Phi) = Gamma_X(Phi, Phi) (damped Newton in 2-d)
    X = [[-0.4], [0.4]]
    z2 = zero_mode_check(net, X, Phi)
    assert np.allclose(z2["gamma_exact"], effective_action(net, X, np.outer(Phi, [1, 1])),
                       atol=1e-10)
    assert z2["curvature_exact"] == pytest.approx(4 / nq.gp_kernel(net, X).sum(), rel=1e-12)
    A = net.sigma_w ** -1 * (2 * math.pi) ** -0.5  # d = 1
    # lattice a0 = 0.8, n0 = 1: V = L = 2 a0 n0 = 1.6, the box of nnqft.bridge.lattice
    assert z2["V"] == pytest.approx(Lattice(0.8, 1).L)
    assert z2["curvature_bridge"] == pytest.approx(1.6 * A, rel=1e-12)


def test_refusals():
    with pytest.raises(GammaUndefinedError, match="gauss"):
        lpa_vs_exact(nq.Network("gauss", width=3), [[0.1]], [1.0])
    with pytest.raises(ValueError, match="translation-invariant"):
        lpa_vs_exact(nq.Network("erf", width=3), [[0.1]], [1.0])
    with pytest.raises(ValueError, match="d_in = 1"):
        lpa_vs_exact(nq.Network("cos", width=3, d_in=2), [[0.1, 0.2]], [1.0])
    with pytest.raises(ValueError, match="1 to 4 inputs"):
        lpa_vs_exact(nq.Network("cos", width=3), [[0.1], [0.2], [0.3], [0.4], [0.5]], [1.0])


def test_lattice_zero_mode_flow_is_the_zero_dimensional_flow():
    # docs/action.md section 9: on the [ELS] lattice only the zero mode is inside the Litim
    # window below k = 262, so the bridge's mode-sum flow is d_k U = (1/V) k / (k^2 + U''),
    # V = L: here its phi^6 truncation written out and integrated independently (Radau in
    # ln k); agreement to 1e-7 relative (ODE tolerances). Negative control: the continuum
    # prefactor v_1 k instead of 1/V gives a different flow
    from scipy.integrate import solve_ivp

    from nnqft.bridge.ir import ir_data
    from nnqft.bridge.lattice import ELS_LATTICE, mode_sum_flow

    net = nq.Network("cos", width=100, sigma_w=1.0, sigma_b=0.3)
    init = ir_data(net, ELS_LATTICE.points, order=6).to_canonical().couplings(6)
    res = mode_sum_flow(ELS_LATTICE, init, k_span=(1e-6, 50.0))
    assert res.status == "completed"
    got = np.array([res.final[n] for n in ("u2", "u4", "u6")])

    def flow(pref):
        def rhs(t, u):
            k = math.exp(t)
            u2, u4, u6 = u
            D, p = k * k + u2, pref(k) * k * k
            return [-p * u4 / D**2, p * (-u6 / D**2 + 6 * u4**2 / D**3),
                    p * (30 * u4 * u6 / D**3 - 90 * u4**3 / D**4)]
        sol = solve_ivp(rhs, (math.log(1e-6), math.log(50.0)), [init[n] for n in ("u2", "u4", "u6")],
                        method="Radau", rtol=1e-11, atol=1e-13)
        return sol.y[:, -1]

    assert np.allclose(got, flow(lambda k: 1 / ELS_LATTICE.L), rtol=1e-7)
    assert not np.allclose(got, flow(lambda k: k / math.pi), rtol=1e-2)
