"""Two-input density of gauss-net by Fourier inversion at J = 0 (docs/action.md section 4).

Truth: the exact kernel and fourth moments (closed forms, nnqft.exact_correlators) and the
one-input density of nnqft.action.theory (a different, one-dimensional method). One grid
(gauss-net N = 20, sigma_b = 0.3, inputs +-0.4, f in [-8, 8]^2 with spacing 0.4) serves all
checks; the trapezoidal sums in f are spectrally accurate at that spacing, so the measured
deviations are the truncation at |f| = 8 (heavy log-normal tails) and the inversion itself.
"""

import json

import numpy as np
import pytest

import nnqft as nq
from nnqft.action.theory import GammaUndefinedError, OneInputTheory
from nnqft.action.two import TwoInputTheory

NET = nq.Network("gauss", width=20, sigma_b=0.3)
X = [[0.4], [-0.4]]
H = 0.4
G = np.arange(-8.0, 8.0 + 1e-9, H)


@pytest.fixture(scope="module")
def grid():
    lp, err = TwoInputTheory(NET, X).grid_log_density(G, G)
    P = np.where(np.isfinite(lp), np.exp(lp), 0.0)
    F1, F2 = np.meshgrid(G, G, indexing="ij")
    return P, err, F1, F2


def _moments(P, F1, F2):
    m2 = [(P * F1 * F1).sum(), (P * F1 * F2).sum(), (P * F2 * F2).sum()]
    m4 = [(P * F1**a * F2**(4 - a)).sum() for a in (4, 3, 2, 1, 0)]
    return np.array(m2) * H * H, np.array(m4) * H * H


def test_normalisation_and_bulk_error(grid):
    P, err, F1, F2 = grid
    # measured 1 - 8e-9 (mass beyond |f| = 8); tolerance 1e-6
    assert abs(P.sum() * H * H - 1) < 1e-6
    bulk = (np.abs(F1) <= 2) & (np.abs(F2) <= 2)
    assert err[bulk].max() < 1e-7  # measured 6e-9


def _full_fourth(net):
    c = nq.exact_correlators(net, X, orders=(2, 4))
    K = np.array([[c.full(2)[0], c.full(2)[1]], [c.full(2)[1], c.full(2)[2]]])
    return K, np.asarray(c.full(4))


def test_moments_match_exact_correlators(grid):
    P, _, F1, F2 = grid
    m2, m4 = _moments(P, F1, F2)
    K, C4 = _full_fourth(NET)
    # second moments: measured relative deviation 1.7e-6 (truncation at |f| = 8); tol 2e-5
    assert np.allclose(m2, [K[0, 0], K[0, 1], K[1, 1]], rtol=2e-5, atol=0)
    # fourth moments E[f1^a f2^(4-a)]: measured 3.7e-5 relative; tolerance 3e-4
    assert np.allclose(m4, C4, rtol=3e-4, atol=0)
    # negative controls: a wrong bias variance changes the kernel, a wrong width (N = 10)
    # the fourth moments (the kernel does not depend on N); both fail the same tolerances
    K_bad, _ = _full_fourth(nq.Network("gauss", width=20, sigma_b=0.32))
    assert not np.allclose(m2, [K_bad[0, 0], K_bad[0, 1], K_bad[1, 1]], rtol=2e-5, atol=0)
    _, C4_bad = _full_fourth(nq.Network("gauss", width=10, sigma_b=0.3))
    assert not np.allclose(m4, C4_bad, rtol=3e-4, atol=0)


def test_marginal_matches_one_input_density(grid):
    P, _, _, _ = grid
    marg = P.sum(axis=1) * H
    inner = np.abs(G) <= 4
    lp1, e1 = OneInputTheory(NET, [X[0]]).log_density(G[inner])
    assert np.all(e1 < 1e-8)
    # measured max relative deviation 8.8e-7 for |f1| <= 4 (the f2 sum is cut at |f2| = 8)
    rel = np.abs(marg[inner] / np.exp(lp1) - 1)
    assert rel.max() < 1e-5
    lp_bad, _ = OneInputTheory(nq.Network("gauss", width=10, sigma_b=0.3),
                               [X[0]]).log_density(G[inner])
    assert np.abs(marg[inner] / np.exp(lp_bad) - 1).max() > 1e-3


def test_tilt_still_refused_and_cli_gamma_null(capsys):
    th = TwoInputTheory(NET, X)
    with pytest.raises(GammaUndefinedError, match="infinite"):
        th.w.evaluate(np.array([0.1, 0.0]))
    from nnqft.cli import main

    rc = main(["action", "--net", "gauss", "--width", "20", "--sigma-b", "0.3", "--inputs",
               "[0.4, -0.4]", "--phi", "[[0.0, 0.0], [0.5, 0.3]]", "--json", "--no-check"])
    assert rc == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["Gamma"] is None and "infinite for every real J" in obj["gamma_note"]
    assert abs(obj["S"][0]) < 1e-8 and obj["S"][1] > 0 and obj["accuracy"] < 1e-6
