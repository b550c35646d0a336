"""Slow: the 1/N theory against Monte Carlo on the grid of the issue (docs/deep.md section 6).

erf, tanh, relu at L = 2, 3, 4 and N = 50, 100, 200, 400 on 3 inputs, 2 10^4 networks each
(conditional estimator): every tuple within |z| < 5 of the leading-order G4_c and of
G2 = K + K1/N, except relu at L / N > 0.03 (an expected failure: its O(L^2/N^2) terms). The measured table and the fitted residual powers are in docs/deep.md; they come
from ``nnqft reproduce pdlt`` (full).
"""

import warnings

import numpy as np
import pytest

import nnqft as nq

INPUTS = np.array([[0.3], [0.7], [-0.5]])
NETS = {"erf": (0.5, 1.3), "tanh": (0.3, 1.2), "relu": (0.3, 1.4)}


RELU_REASON = ("relu's O(L^2/N^2) corrections exceed 5 standard errors of 2e4 networks at "
               "L/N > 0.03 (measured in docs/deep.md section 6; they fall like 1/N)")


@pytest.mark.slow
@pytest.mark.parametrize("act", sorted(NETS))
@pytest.mark.parametrize("L", [2, 3, 4])
@pytest.mark.parametrize("N", [50, 100, 200, 400])
def test_one_over_n_against_monte_carlo(act, L, N, request):
    if act == "relu" and L / N > 0.03:
        request.applymarker(pytest.mark.xfail(reason=RELU_REASON, strict=False))
    sb, sw = NETS[act]
    net = nq.Network(act, width=N, depth=L, sigma_b=sb, sigma_w=sw)
    th = nq.perturbative_correlators(net, INPUTS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mc = nq.estimate_correlators(net, INPUTS, orders=(2, 4), n_networks=20_000,
                                     seed=1000 * L + N)
    z4 = (mc.connected(4) - th.connected(4)) / mc.connected_err(4)
    z2 = (mc.full(2) - th.full(2)) / mc.full_err(2)
    assert np.max(np.abs(z4)) < 5, z4
    assert np.max(np.abs(z2)) < 5, z2
