"""tanh four-point functions (docs/deep.md, section 3) against independent adaptive quadrature.

The reference is scipy's adaptive Gauss-Kronrod (QUADPACK) nested over the Gaussian's factors,
with break points where a tanh argument changes sign, requested to 1e-14 absolute and 1e-12 relative; it shares no
nodes or code with the tensor rule of :func:`nnqft.deep.gauss.four_point`. Covariances have a
largest eigenvalue up to 15 (sigma_w ~ 3 kernels), including rank 1 and rank 2 blocks of four
distinct points and a rank-4 block made of two independent 2 x 2 blocks (its expectation is the
product of two pair expectations). Tolerance 1e-9 relative: the accuracy target of the 1/N
theory; the rule's own two-rule error control aims at 1e-10 (measured errors ~1e-13).
"""

import math

import numpy as np
import pytest
from scipy import integrate

from nnqft.deep.gauss import four_point

TOL = 1e-9
_PHI = 1.0 / math.sqrt(2.0 * math.pi)


def _quad(f, lo, hi, points):
    pts = sorted(p for p in points if lo < p < hi)
    return integrate.quad(f, lo, hi, points=pts or None, epsabs=1e-14, epsrel=1e-12,
                          limit=400)[0]


def _gauss1(f, s):
    """E[f(g)], g ~ N(0, 1), f steep at 0 on the scale 1/s."""
    return _quad(lambda g: f(g) * _PHI * math.exp(-0.5 * g * g), -10.0, 10.0,
                 [0.0, -1.0 / s, 1.0 / s])


def _lowrank_ref(L, m):
    """E[prod_i tanh(L_i . g)^m_i], g ~ N(0, I_r), r = 1 or 2, by nested adaptive quadrature."""
    L = np.asarray(L, float)
    if L.shape[1] == 1:
        return _gauss1(lambda g: math.prod(math.tanh(a * g) ** k for a, k in zip(L[:, 0], m, strict=True)),
                       float(np.abs(L).max()))

    def inner(g1):
        b = L[:, 0] * g1
        zeros = [-bi / ci for bi, ci in zip(b, L[:, 1], strict=True) if ci != 0]

        def f(g2):
            return math.prod(math.tanh(x) ** k for x, k in zip(b + L[:, 1] * g2, m, strict=True)) * _PHI \
                * math.exp(-0.5 * g2 * g2)
        return _quad(f, -10.0, 10.0, zeros)

    return _quad(lambda g1: inner(g1) * _PHI * math.exp(-0.5 * g1 * g1), -10.0, 10.0, [0.0])


def _rot(t):
    return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


@pytest.mark.parametrize("lam", [1.0, 3.0, 10.0])
def test_tanh_rank2_four_distinct(lam):
    # four distinct points in a 2-d plane: largest eigenvalue lam, second 0.3 lam
    L = np.array([[1.0, 0.2], [0.7, -0.6], [-0.3, 0.9], [0.5, 0.5]])
    K = L @ L.T
    K *= lam / np.linalg.eigvalsh(K)[-1]
    Lr = L * math.sqrt(lam / np.linalg.eigvalsh(L @ L.T)[-1])
    got = four_point("tanh", K, np.array([[0, 1, 2, 3], [0, 0, 1, 2], [1, 1, 3, 3]]))
    refs = [_lowrank_ref(Lr, (1, 1, 1, 1)), _lowrank_ref(Lr[:3], (2, 1, 1)),
            _lowrank_ref(Lr[[1, 3]], (2, 2))]
    np.testing.assert_allclose(got, refs, rtol=TOL)


def test_tanh_rank1_large():
    # d_in = 1, sigma_b = 0 layer: K = s^2 x x^T, eigenvalue 15
    x = np.array([1.0, -0.4, 0.7, 0.2])
    K = np.outer(x, x) * 15.0 / (x @ x)
    Lr = (x * math.sqrt(15.0 / (x @ x)))[:, None]
    got = four_point("tanh", K, np.array([[0, 1, 2, 3], [0, 0, 2, 2]]))
    refs = [_lowrank_ref(Lr, (1, 1, 1, 1)), _lowrank_ref(Lr[[0, 2]], (2, 2))]
    np.testing.assert_allclose(got, refs, rtol=TOL)


@pytest.mark.slow  # ~15 s each: the rank-4 rule refines to ~250 nodes per axis
@pytest.mark.parametrize("lams", [(4.0, 1.0, 10.0, 0.5), (3.0, 2.9, 8.0, 0.05)])
def test_tanh_rank4_independent_blocks(lams):
    # two independent 2 x 2 blocks, points interleaved: E = E[tanh tanh]_A E[tanh tanh]_B
    A = _rot(0.4) @ np.diag(lams[:2]) @ _rot(0.4).T
    B = _rot(-1.1) @ np.diag(lams[2:]) @ _rot(-1.1).T
    K = np.zeros((4, 4))
    ia, ib = [0, 2], [1, 3]
    K[np.ix_(ia, ia)], K[np.ix_(ib, ib)] = A, B
    got = four_point("tanh", K, np.array([[0, 1, 2, 3]]))[0]
    pa = _lowrank_ref(np.linalg.cholesky(A), (1, 1))
    pb = _lowrank_ref(np.linalg.cholesky(B), (1, 1))
    assert got == pytest.approx(pa * pb, rel=TOL)


def test_tanh_negative_control():
    # the base rule without error control (what four_point used before) misses 1e-9 at lam = 10
    from nnqft.deep.gauss import _factor, _tanh_rule

    A = _rot(0.4) @ np.diag([10.0, 4.0]) @ _rot(0.4).T
    B = _rot(-1.1) @ np.diag([15.0, 1.0]) @ _rot(-1.1).T
    K = np.zeros((4, 4))
    K[np.ix_([0, 2], [0, 2])], K[np.ix_([1, 3], [1, 3])] = A, B
    ref = _lowrank_ref(np.linalg.cholesky(A), (1, 1)) * _lowrank_ref(np.linalg.cholesky(B), (1, 1))
    assert abs(_tanh_rule(_factor(K), (1, 1, 1, 1)) / ref - 1) > TOL


def test_tanh_nonconvergence_is_numerical_error(monkeypatch):
    # with the refinement capped at 50 nodes, eigenvalue 14 cannot reach 1e-10: NumericalError
    # (exit 1 on the command line), never a silently inaccurate number
    from nnqft.deep import gauss
    from nnqft.errors import NumericalError

    monkeypatch.setattr(gauss, "TANH_MAX_GH_NODES", 50)
    with pytest.raises(NumericalError, match="did not converge"):
        four_point("tanh", 10.0 * np.eye(4) + 1.0, np.array([[0, 1, 2, 3]]))
