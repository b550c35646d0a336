"""FRG truth test in d = 0 and the 1/N reconstruction of the exact action."""

import math

import numpy as np
import pytest

import nnqft as nq
from nnqft.action import frgcheck as F
from nnqft.action import series as se
from nnqft.action.theory import OneInputTheory

X = [0.7]


@pytest.mark.parametrize("act, N", [("erf", 3), ("tanh", 1), ("cos", 10)])
def test_grid_flow_from_exact_action_reaches_exact_gamma(act, N):
    # acceptance: |Gamma_flow - Gamma| <= 1e-6 on |phi| <= 2 sigma (measured 1e-10 .. 1e-12)
    th = OneInputTheory(nq.Network(act, width=N, sigma_w=1.5, sigma_b=0.5), X)
    r = F.flow_vs_exact(th)
    assert r["max_abs_error"] < 1e-6
    # negative control: S itself is not Gamma (the loops matter at this N)
    d = r["S"] - r["exact"]
    assert np.max(np.abs(d - d.mean())) > 1e-3


@pytest.mark.slow
def test_relu_box_flow_is_boundary_limited():
    # negative control of the relu truth test (tests/action/test_frg_tail.py): the old "box"
    # scheme (uniform grid on [-12 sigma, 12 sigma], free one-sided ends) fails the 1e-6
    # acceptance because relu's S grows only linearly in the tails (measured 2.4e-3 at N = 2;
    # L = 20 sigma stops at k ~ 0.3); docs/action.md section 6
    th = OneInputTheory(nq.Network("relu", width=2, sigma_w=1.5, sigma_b=0.5), X)
    r = F.flow_vs_exact(th, scheme="box")
    assert 1e-6 < r["max_abs_error"] < 5e-3


def test_taylor_of_action_matches_exact_values():
    th = OneInputTheory(nq.Network("erf", width=10, sigma_w=1.5, sigma_b=0.5), X)
    c = F.taylor_of_action(th, 8)
    f = 0.05 * math.sqrt(th.G2)
    S, _ = th.action([f])
    assert np.polynomial.polynomial.polyval(f, c) == pytest.approx(S[0], rel=1e-9)
    assert c[2] == pytest.approx(0.5 / th.G2 * (1 + 0), rel=0.2)  # Gaussian part dominates


def test_truncations_converge_at_large_width():
    # N = 100: the vertex expansion about 0 converges (error falls by > 10x from M = 4 to 8);
    # at N <= 10 it does not (docs/action.md section 6)
    th = OneInputTheory(nq.Network("erf", width=100, sigma_w=1.5, sigma_b=0.5), X)
    rows = F.truncation_table(th, orders=(4, 8))
    assert rows[1]["max_abs_error"] < rows[0]["max_abs_error"] / 10
    assert rows[1]["max_abs_error"] < 1e-5


@pytest.mark.parametrize("act", ["erf", "cos"])
def test_reconstruction_residuals_fall_like_N2_and_N3(act):
    # S - S_(1/N) ~ N^-2 and S - S_(1/N^2) ~ N^-3 at fixed f = sigma: fitted slopes over
    # N = 16..128 within 0.15 of -2 and -3 (measured -2.02 / -3.01 erf, -2.03 / -3.02 cos)
    Ns = [16, 32, 64, 128]
    r1, r2 = [], []
    for N in Ns:
        th = OneInputTheory(nq.Network(act, width=N, sigma_w=1.5, sigma_b=0.5), X)
        f = math.sqrt(th.G2)
        S, _ = th.action([f])
        G = se.theory_cumulants(th, 6)
        r1.append(abs(S[0] - se.perturbative_action(f, G[2], G[4], G[6], 1)))
        r2.append(abs(S[0] - se.perturbative_action(f, G[2], G[4], G[6], 2)))
    s1 = np.polyfit(np.log(Ns), np.log(r1), 1)[0]
    s2 = np.polyfit(np.log(Ns), np.log(r2), 1)[0]
    assert s1 == pytest.approx(-2.0, abs=0.15)
    assert s2 == pytest.approx(-3.0, abs=0.15)
