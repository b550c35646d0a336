"""Scale-adapted tanh four-point rules (docs/deep.md, section 3) against independent truth.

References: scipy's adaptive Gauss-Kronrod (QUADPACK) nested over the Gaussian's factors with
break points at the sign changes (``_lowrank_ref`` of test_deep_tanh_accuracy.py; shares no
nodes or code with the rules under test), on blocks whose expectation is a product of
one- and two-dimensional ones (independent sub-blocks), with largest eigenvalues up to 20
(sigma_w ~ 3 kernels). Tolerance 1e-9 relative, the accuracy target of the 1/N theory (the
rules' own two-rule control aims at 1e-10). Each case has a negative control: the same rule
with too few nodes misses the tolerance, so the comparison can fail.
"""

import math

import numpy as np
import pytest
from test_deep_tanh_accuracy import _lowrank_ref

from nnqft.deep import gauss
from nnqft.deep.gauss import _factor, _tanh_axes_rule, _tanh_polar_rule, four_point

TOL = 1e-9


def _rot(t):
    return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


def _block(lams, t):
    return _rot(t) @ np.diag(lams) @ _rot(t).T


@pytest.mark.parametrize("lams", [(20.0, 7.0), (20.0, 0.01), (6.0, 5.0)])
def test_rank2_polar_vs_nested_quadrature(lams):
    # four distinct points in a plane and the pair patterns (2, 2), (3, 1): polar rule
    Lr = np.array([[1.0, 0.2], [0.7, -0.6], [-0.3, 0.9], [0.5, 0.5]]) @ _rot(0.3)
    Lr = Lr @ np.diag(np.sqrt(lams)) / np.linalg.norm(Lr, axis=0)
    K = Lr @ Lr.T
    got = four_point("tanh", K, np.array([[0, 1, 2, 3], [0, 0, 3, 3], [1, 1, 1, 2]]))
    refs = [_lowrank_ref(Lr, (1, 1, 1, 1)), _lowrank_ref(Lr[[0, 3]], (2, 2)),
            _lowrank_ref(Lr[[1, 2]], (3, 1))]
    np.testing.assert_allclose(got, refs, rtol=TOL)
    # negative control: the first polar rule at 6 angular nodes per arc misses 1e-9
    L = _factor(K)
    assert abs(_tanh_polar_rule(L, (1, 1, 1, 1), 6, 8) / refs[0] - 1) > TOL


def test_rank3_adaptive_vs_nested_quadrature():
    # rank 3: points 0, 1 in a 2-d block (eigenvalues 20, 3), point 2 independent (variance 4;
    # a factor orthogonal to all others is the hard case of the axes rule, docs/deep.md):
    # E[tanh z0 tanh z1 tanh^2 z2] = E[tanh z0 tanh z1] E[tanh^2 z2]
    A = _block((20.0, 3.0), 0.4)
    K3 = np.zeros((3, 3))
    K3[:2, :2], K3[2, 2] = A, 4.0
    got3 = four_point("tanh", K3, np.array([[0, 1, 2, 2]]))[0]
    ref3 = _lowrank_ref(np.linalg.cholesky(A), (1, 1)) * _lowrank_ref(
        np.array([[2.0]]), (2,))
    assert got3 == pytest.approx(ref3, rel=TOL)
    # negative control: the axes rule with 13 nodes on the outer axis misses 1e-9
    L3 = gauss._tanh_inner_axis(_factor(K3))
    assert abs(_tanh_axes_rule(L3, (1, 1, 2), [13, 13], 17, False) / ref3 - 1) > TOL


@pytest.mark.slow  # ~5 s for the rule, ~10 s for the nested reference
def test_rank4_adaptive_vs_nested_quadrature():
    # rank 4: two independent 2 x 2 blocks, points interleaved, eigenvalues (16, 5) and (9, 2)
    A, B = _block((16.0, 5.0), 0.4), _block((9.0, 2.0), -1.1)
    K = np.zeros((4, 4))
    K[np.ix_([0, 2], [0, 2])], K[np.ix_([1, 3], [1, 3])] = A, B
    got = four_point("tanh", K, np.array([[0, 1, 2, 3]]))[0]
    ref = _lowrank_ref(np.linalg.cholesky(A), (1, 1)) * _lowrank_ref(np.linalg.cholesky(B), (1, 1))
    assert got == pytest.approx(ref, rel=TOL)
    # negative control: the axes rule with few nodes on the outer axes misses 1e-9
    L = _factor(K)
    L = L[:, np.argsort(-np.linalg.norm(L, axis=0))]
    assert abs(_tanh_axes_rule(L, (1, 1, 1, 1), [36, 36, 36], 17, False) / ref - 1) > TOL


def test_small_eigenvalue_table_rule_vs_fine_rule(rng):
    """Largest eigenvalue <= 0.3: one table rule, no error control; against the uniform rule
    at 80 outer and 40 inner nodes (~1e-15 there), anisotropic blocks of rank 2-4."""
    cases = [((0.3, 0.05, 1e-3, 1e-5), (1, 1, 1, 1)), ((0.29, 0.2, 0.1, 0.02), (1, 1, 1, 1)),
             ((0.1, 1e-4, 1e-6), (1, 1, 2)), ((0.25, 0.25), (2, 2)), ((0.25, 0.25), (1, 3))]
    for scales, m in cases:
        Q = np.linalg.qr(rng.normal(size=(len(scales), len(scales))))[0]
        K = Q @ np.diag(scales) @ Q.T
        L = _factor(K)
        got = gauss._tanh_product_adaptive(L, m)
        ref = gauss._tanh_rule(L, m, 80, 40)
        size = math.prod(min(1.0, K[i, i]) ** (m[i] / 2) for i in range(len(m)))
        assert abs(got - ref) <= 1e-13 * max(abs(ref), size)


@pytest.mark.slow  # ~25 s: the earlier (uniform) rule takes ~12 s on this block
def test_network_block_adaptive_vs_uniform():
    """The rank-4 output kernel of a sigma_w = 3 network at depth 9 (eigenvalues 13.5, 6.0, 4.4, 1.7)
    by both rules; they share only the inner split rule."""
    import nnqft as nq

    net = nq.Network("tanh", width=100, depth=9, sigma_w=3.0, sigma_b=0.3)
    K = nq.gp_kernel(net, np.array([[0.3], [0.7], [-0.5], [1.0]]))
    T = np.array([[0, 1, 2, 3]])
    new = four_point("tanh", K, T)[0]
    old = gauss._tanh_product_uniform(_factor(K), (1, 1, 1, 1))
    assert new == pytest.approx(old, rel=TOL)
