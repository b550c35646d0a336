"""Zero dimensions: flowed Gamma against the exact Legendre transform (docs/theory.md#zero-dimensions)."""

import numpy as np
import pytest

from nnqft.frg import zerodim as Z


@pytest.mark.parametrize("m2, lam", [(1.0, 1.0), (0.5, 3.0), (-1.0, 1.0), (-2.0, 6.0)])
def test_flow_reproduces_exact_gamma(m2, lam):
    # acceptance: 1e-6 on phi in [-2, 2] from Lambda = 100, up to an additive constant
    r = Z.compare(Z.QuarticAction(m2, lam), interval=(-2.0, 2.0), Lambda=100.0)
    assert r["max_abs_error"] < 1e-6


def test_without_one_loop_start_error_is_order_S2_over_Lambda2():
    # negative control: starting from U_Lambda = S (no one-loop term) at Lambda = 10 is off by
    # ~ S''/(2 Lambda^2) ~ 1e-2 (docs/theory.md#zero-dimensions), far above the 1e-6 of the proper start
    act = Z.QuarticAction(1.0, 1.0)
    phi, G = Z.flow_effective_action(act, Lambda=10.0)
    phi2, G2 = Z.flow_effective_action(act, Lambda=10.0, one_loop_start=False)
    sel = np.abs(phi) <= 2
    ex = Z.exact_effective_action(phi[sel], act)
    bad = G2[sel] - ex
    bad -= bad.mean()
    assert np.max(np.abs(bad)) > 1e-3


def test_exact_gamma_is_convex_and_gaussian_limit():
    # lam -> small: Gamma -> S + const for a Gaussian (m2 phi^2/2); check curvature m2 (1e-3)
    act = Z.QuarticAction(2.0, 1e-6)
    phi = np.linspace(-1, 1, 11)
    g = Z.exact_effective_action(phi, act)
    c = np.polyfit(phi, g, 2)[0] * 2
    assert c == pytest.approx(2.0, rel=1e-3)
    dw = Z.QuarticAction(-2.0, 1.0)
    g2 = Z.exact_effective_action(np.linspace(-1, 1, 21), dw)
    assert np.all(np.diff(g2, 2) > 0)  # convex even for a double well


def test_fd_matrix_empirical_order():
    # second-derivative matrix of order p: error falls as h^p (empirical order within 0.5;
    # coarse grids for p = 8, before rounding ~ eps/h^2 takes over)
    for p in (4, 8):
        errs = []
        for n in ((41, 81) if p == 4 else (17, 33)):
            x = np.linspace(-1, 1, n)
            D2 = Z.fd_matrix(x, 2, p)
            errs.append(np.max(np.abs(D2 @ np.sin(2 * x) + 4 * np.sin(2 * x))))
        order = np.log2(errs[0] / errs[1])
        assert order == pytest.approx(p, abs=0.5)
