"""IR data: small-input limits, reference numbers, normalisations, tree integrals, Monte Carlo.

Independent truths: the closed-form small-input limits of docs/theory.md#sextic-coupling, #active-reading (derived
from C_n = exp(n^2 sb^2/2 - n sb^2) at x = 0 and the Gaussian vertex integrals), the reference
numbers of docs/theory.md#reference-numbers, the eft exchange integrals (a different closed form), and
exact correlators for Monte Carlo.
"""

import math

import numpy as np
import pytest

import nnqft as nq
from nnqft.bridge import (
    check_same_normalisation,
    gauss_tree_integral,
    ir_data,
    small_input_kappa,
    small_input_lambda,
)
from nnqft.combinatorics import equal_splits, sorted_tuples
from nnqft.eft.integrals import exchange_sums, vertex_integrals

ELS_X = [-0.01, -0.006, -0.002, 0.002, 0.006, 0.01]


def _small_inputs(d, sw, eps=1e-4):
    """Three inputs with sigma_w |x| / sqrt(d) <= eps."""
    base = np.array([[1.0, -0.3], [-0.6, 0.8], [0.2, 0.1]])[:, :d]
    base = base / np.max(np.linalg.norm(base, axis=1))
    return base * eps * math.sqrt(d) / sw


@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("sw,sb", [(0.5, 1.0), (1.0, 1.0), (3.0, 0.3), (12.0, 1.5), (1.7, 0.0)])
def test_lambda_small_input_limit(d, sw, sb):
    # Acceptance: -3 (e^(4 sb^2) - 1) (2/(pi d))^(d/2) sw^(d-4) / N for sw |x|/sqrt(d) <= 1e-4,
    # to 1e-6 relative (the finite-input correction is O((sw |x|)^2 / d) ~ 1e-8).
    net = nq.Network("gauss", width=7, d_in=d, sigma_w=sw, sigma_b=sb)
    X = _small_inputs(d, sw)
    ir = ir_data(net, X, order=4)
    ref = -3 * math.expm1(4 * sb**2) * (2 / (math.pi * d)) ** (d / 2) * sw ** (d - 4) / 7
    if sb == 0.0:  # the coupling vanishes with sigma_b at small inputs; compare absolutely
        assert abs(ir.u4) <= 1e-6 * abs(small_input_lambda(net.replace(sigma_b=1.0)))
        return
    assert ir.u4 == pytest.approx(ref, rel=1e-6)
    assert small_input_lambda(net) == pytest.approx(ref, rel=1e-14)
    # the x = 0 evaluation (X=None) is the limit itself
    assert ir_data(net, None, order=4).u4 == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("sw,sb", [(1.0, 1.0), (2.5, 0.3), (0.7, 1.2)])
def test_kappa_small_input_limit(d, sw, sb):
    net = nq.Network("gauss", width=5, d_in=d, sigma_w=sw, sigma_b=sb)
    ir = ir_data(net, _small_inputs(d, sw), order=6)
    e4, e12 = math.exp(4 * sb**2), math.exp(12 * sb**2)
    ref = -((3 / (math.pi * d)) ** (d / 2)) * (
        15 * (e12 - 3 * e4 + 2) - 90 * (16 / 15) ** (d / 2) * (e4 - 1) ** 2) * sw ** (d - 6) / 25
    assert ir.u6 == pytest.approx(ref, rel=1e-6)
    assert small_input_kappa(net) == pytest.approx(ref, rel=1e-13)


def test_reference_numbers():
    # docs/theory.md#reference-numbers
    net = nq.Network("gauss", width=1, sigma_w=1.0, sigma_b=1.0)
    assert ir_data(net, None, order=4).u4 == pytest.approx(-128.295, abs=5e-4)
    assert ir_data(net, None).u6 == pytest.approx(-2.1224e6, rel=5e-5)
    ir3 = ir_data(net.replace(width=3), ELS_X)
    assert ir3.u6 == pytest.approx(-235833, abs=1.0)
    assert math.log10(abs(ir3.u4)) == pytest.approx(1.631, abs=5e-4)
    assert ir3.u4_err is None and ir3.exact
    # canonical factors at d = 1, sigma_w = 1: 1/Z0^2 = 25.1, 1/Z0^3 = 126
    can = ir3.to_canonical()
    # Z0 = (d/2) (2 pi d)^(-d/2) sigma_w^(d-4) = 1/(2 sqrt(2 pi)): 1/Z0^2 = 8 pi = 25.13
    assert can.u4 / ir3.u4 == pytest.approx(8 * math.pi, rel=1e-12)
    assert can.u6 / ir3.u6 == pytest.approx(126.0, abs=0.01)
    assert can.u2 == 2.0 and ir3.u2 == 0.0


def test_normalisation_conversion_and_no_mixing():
    net = nq.Network("gauss", width=10, d_in=2, sigma_w=2.3, sigma_b=0.8)
    ir = ir_data(net, [[0.1, 0.0], [0.0, 0.2]])
    Z0 = nq.kinetic_parameters(net)["Z0"]
    assert Z0 == pytest.approx((2 / 2) * (2 * math.pi * 2) ** -1 * 2.3 ** (2 - 4), rel=1e-14)
    can = ir.to_canonical()
    assert can.normalisation == "canonical" and ir.normalisation == "raw"
    assert can.u4 == pytest.approx(ir.u4 / Z0**2, rel=1e-14)
    assert can.u6 == pytest.approx(ir.u6 / Z0**3, rel=1e-14)
    assert can.u2 == pytest.approx(2 * 2.3**2 / 2, rel=1e-14)
    back = can.to_raw()
    assert back.u4 == pytest.approx(ir.u4, rel=1e-14) and back.u2 == 0.0
    assert check_same_normalisation(ir, back) == "raw"
    with pytest.raises(ValueError, match="refusing to compare raw and canonical"):
        check_same_normalisation(ir, can)
    d = ir.to_dict()
    assert d["u4_canonical"] == pytest.approx(can.u4) and d["u4"] == pytest.approx(ir.u4)


def test_tree_integrals_against_eft():
    net = nq.Network("gauss", width=3, sigma_w=1.7, sigma_b=1.0)
    X = nq.as_inputs([0.1, -0.3, 0.5, 0.7])
    T6 = sorted_tuples(4, 6)
    J = sum(gauss_tree_integral(net, X, [T6[:, list(A)], T6[:, list(B)]], [(0, 1)])
            for A, B in equal_splits(6))
    np.testing.assert_allclose(J, exchange_sums(net, X, math.inf), rtol=1e-12)
    np.testing.assert_allclose(gauss_tree_integral(net, X, [T6], []),
                               vertex_integrals(net, X, T6, math.inf), rtol=1e-12)


def test_octic_tree_integrals_at_origin():
    # at x = 0 the chain integrals are det(P)^(-d/2) (2 pi l^2)^(m d/2) sigma_w^(2 n_Delta)
    d, sw = 2, 1.3
    net = nq.Network("gauss", width=3, d_in=d, sigma_w=sw)
    X = np.zeros((1, d))
    t = np.zeros((1, 3), dtype=int)
    t2 = np.zeros((1, 2), dtype=int)
    l2 = d / sw**2
    val = gauss_tree_integral(net, X, [t, t2, t], [(0, 1), (1, 2)])[0]
    assert val == pytest.approx(sw**20 * (2 * math.pi * l2) ** (3 * d / 2) / 56 ** (d / 2),
                                rel=1e-13)


def test_u8_present_and_refused_for_monte_carlo():
    net = nq.Network("gauss", width=3)
    ir = ir_data(net, None, order=8)
    assert ir.u8 is not None and ir.u8 < 0
    assert ir.to_canonical().u8 == pytest.approx(ir.u8 / ir.Z0**4)
    with pytest.raises(ValueError, match="exact"):
        ir_data(net, None, order=8, n_networks=100)


def test_monte_carlo_ir_data_tame_regime():
    # Conditional Monte Carlo against exact values in the tame regime (sb^2 + sw^2 x^2 <= 0.1):
    # z-scores < 4.5 with power (error <= 10% of the value).
    net = nq.Network("gauss", width=10, sigma_w=1.0, sigma_b=0.3)
    X = [0.01, 0.1]
    ex = ir_data(net, X)
    mc = ir_data(net, X, n_networks=20000, seed=3)
    assert not mc.exact and mc.estimator == "conditional"
    assert mc.u4_err <= 0.1 * abs(ex.u4)
    assert abs(mc.u4 - ex.u4) / mc.u4_err < 4.5
    assert mc.u4_replicates.shape == (64,)
    # negative control: a coupling 20% off is rejected
    assert abs(mc.u4 - 1.2 * ex.u4) / mc.u4_err > 4.5


def test_refuses_non_translation_invariant_kernel():
    with pytest.raises(ValueError, match="translation-invariant"):
        ir_data(nq.Network("erf", width=3), [0.1])
