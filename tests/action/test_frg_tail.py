"""FRG truth test in d = 0 for relu (exponential tails) and the regulated Gamma_k.

docs/action.md section 6: relu's S and Gamma grow linearly, so a flow on a box with free ends is
boundary-limited (~1e-3); the "tail" scheme (sinh-mapped nodes out to B = 200 sigma, ends held
at the one-loop value S + (1/2) log(k^2 + S'')) reaches the exact Gamma.
"""

import math
from functools import lru_cache

import numpy as np
import pytest

import nnqft as nq
from nnqft.action import frgcheck as F
from nnqft.action.theory import OneInputTheory, SingularDensityError
from nnqft.errors import NumericalError

X = [0.7]
TOL = 1e-6  # acceptance: max |Gamma_flow - Gamma| on |phi| <= 2 sigma, additive constant removed


def _theory(act, N, sb=0.5, sw=1.5):
    return OneInputTheory(nq.Network(act, width=N, sigma_w=sw, sigma_b=sb), X)


@lru_cache(maxsize=4)
def _relu_grid(N, B_sigma=200.0, dxi=0.025):
    th = _theory("relu", N)
    s = math.sqrt(th.G2)
    phi, w = F.tail_grid(2 * s, B_sigma * s, dxi)
    S, _ = th.action(phi)
    return th, s, phi, w, S


def _err(th, s, phi, U, cs=2.0):
    sel = np.abs(phi) <= cs * s + 1e-12
    d = U[sel] - th.gamma(phi[sel])
    return float(np.max(np.abs(d - d.mean())))


@lru_cache(maxsize=4)
def _relu_flow(N, dxi=0.025):
    return F.flow_vs_exact(_theory("relu", N), dxi=dxi)


@pytest.mark.parametrize("N", [1, 3, 100])
def test_relu_tail_flow_reaches_exact_gamma(N):
    # measured (sigma_w = 1.5, sigma_b = 0.5, x = 0.7): N = 1: 2.7e-8, 3: 3.2e-9, 100: 8.3e-12
    r = _relu_flow(N)
    assert r["scheme"] == "tail" and r["boundary"] == "tail"
    assert r["max_abs_error"] < TOL


@pytest.mark.slow
@pytest.mark.parametrize("N", [2, 10])
def test_relu_tail_flow_reaches_exact_gamma_more_widths(N):
    # measured N = 2: 7.0e-9, N = 10: 3.7e-10; also on |phi| <= 8 sigma (5.8e-9, 1.2e-9)
    r = F.flow_vs_exact(_theory("relu", N), compare_sigma=8.0)
    assert r["max_abs_error"] < TOL


def test_relu_flow_matches_regulated_gamma_at_finite_k():
    # In d = 0 Gamma_k (R_k = k^2) is itself exact: the Legendre transform of the regulated W_k
    # minus k^2 phi^2 / 2. The flow must equal it at every k, not only at k = 0 (measured
    # 2.3e-8, 5.7e-8, 2.9e-8 at k = 2, 0.5, 0.1).
    th, s, phi, w, S = _relu_grid(1)
    ks = (2.0, 0.5, 0.1)
    Us = F.flow_on_grid(phi, S, k_out=ks)
    sel = np.abs(phi) <= 2 * s + 1e-12
    g0 = th.gamma(phi[sel])
    for k in ks:
        g = F.regulated_gamma(phi, w, S, k, phi[sel])
        d = Us[k][sel] - g
        assert np.max(np.abs(d - d.mean())) < TOL
        # control: Gamma_k at this k is far from Gamma_0, so the check discriminates
        d0 = g - g0
        assert np.max(np.abs(d0 - d0.mean())) > 1e-3


def test_regulated_curvature_mixture_matches_legendre_quadrature():
    # Gamma_k''(0) = 1/<f^2>_k - k^2 by the hidden-layer mixture (Laguerre, no density) vs the
    # second difference of regulated_gamma (density quadrature): two routes, agree to 1e-5
    # relative (the 8th-order difference on spacing 0.07 sigma dominates; measured <= 1e-6)
    from nnqft.frg.finite_differences import fd_weights

    th, s, phi, w, S = _relu_grid(1)
    i0 = len(phi) // 2
    c = fd_weights(0.0, phi[i0 - 4:i0 + 5], 2)
    for k in (2.0, 0.5, 0.1):
        g = F.regulated_gamma(phi, w, S, k, phi[i0 - 4:i0 + 5])
        assert c @ g == pytest.approx(F.regulated_curvature(th, k), rel=1e-5)
    # k -> 0: <f^2>_k -> G2
    assert F.regulated_curvature(th, 1e-4) == pytest.approx(1 / th.G2, rel=1e-6)


def test_relu_negative_controls_fail_the_tolerance():
    # (a) the right boundary values at the wrong place: ends at 12 sigma (the old box size).
    # Relu's curvature N/(2 phi^2) lets what the ends do at k B <~ 1 diffuse in (measured
    # 5.8e-3 at N = 1).
    r = F.flow_vs_exact(_theory("relu", 1), L_sigma=12.0)
    assert r["max_abs_error"] > 100 * TOL
    # (b) free ends (the old boundary treatment) on the far grid: the flow breaks down
    th, s, phi, w, S = _relu_grid(1)
    with pytest.raises(NumericalError):
        F.flow_on_grid(phi, S, boundary="free")


@pytest.mark.slow
def test_tail_flow_converges_at_the_stencil_order():
    # 6th-order differences on the sinh grid: halving the step divides the error by ~2^6
    # (measured 1.46e-6 -> 2.67e-8, ratio 55)
    e1 = _relu_flow(1, 0.05)["max_abs_error"]
    e2 = _relu_flow(1, 0.025)["max_abs_error"]
    assert 2**4.5 < e1 / e2 < 2**7.5


def test_relu_without_bias_is_singular():
    # sigma_b = 0: an atom 2^-N at f = 0 and p ~ log(1/|f|) next to it: no S to start from
    with pytest.raises(SingularDensityError):
        F.flow_vs_exact(_theory("relu", 2, sb=0.0))


def test_gauss_net_flow_is_exact_while_the_tail_mode_fits_then_the_box_decides():
    # Gauss-net has no Gamma (W = inf for J != 0) but every Gamma_k, k > 0, exists. At N = 1
    # Gamma_k is a one-dimensional average over the hidden unit (no density, no S), and the
    # regulated measure at phi has its tail mode at f = J / k^2 (docs/action.md section 6).
    # Predictions: the box flow equals Gamma_k while J / k^2 < B; it cannot once J / k^2 >> B;
    # Gamma_k(phi) - Gamma_k(0) -> 0 (flattening) while Gamma_k''(0) -> 1 / G2; the k = 0 end of
    # the box flow depends on B (no limit: no Gamma).
    th = _theory("gauss", 1, sb=0.3, sw=1.0)
    r = F.gauss_net_flow(th, B_sigma=40.0, dxi=0.05)
    B, rows = r["B"], r["rows"]
    inside = [w for w in rows if w["k"] > 0 and w["tail_mode_at_2sigma"] < B / 2]
    outside = [w for w in rows if w["k"] > 0 and w["tail_mode_at_2sigma"] > 2 * B]
    assert len(inside) >= 3 and len(outside) >= 2
    for w in inside:  # measured 1.2e-6 .. 1.4e-6 (dxi = 0.05; 2e-8 at dxi = 0.025)
        assert w["max_abs_error"] < 1e-5
        assert w["flow_curvature"] == pytest.approx(w["exact_curvature"], rel=1e-4)
    for w in outside:  # measured 3.7e-2 .. 0.27
        assert w["max_abs_error"] > 1e-3
    exact = [w["exact_at_sigma"] for w in rows if w["k"] > 0]
    assert all(a > b for a, b in zip(exact, exact[1:], strict=False))
    assert exact[-1] < 0.1 * exact[0]  # k = 0.01: 0.078 against 0.894 at k = 1
    k_small = rows[-2]
    assert k_small["k"] == 0.01
    assert k_small["exact_curvature"] == pytest.approx(r["one_over_G2"], rel=2e-3)
    end_40 = rows[-1]["flow_at_sigma"]
    end_10 = F.gauss_net_flow(th, B_sigma=10.0, dxi=0.05, k_out=(0.0,))["rows"][0]["flow_at_sigma"]
    assert end_10 - end_40 > 0.05  # measured 0.293 (B = 10 sigma) against 0.194 (40 sigma)
