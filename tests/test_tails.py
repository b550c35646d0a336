"""Heavy-tail check predicted from exact single-neuron moments (nnqft.tails).

The issue it fixes: Gauss-net (sigma_b = 1, N = 1000, [HMS] inputs) at 1000 networks gave 0.65x
and 0.71x the exact G4_c (seeds 100 and 103) with the sample diagnostic quiet, because the rare
networks that carry the variance were absent. The prediction does not look at the sample.
"""

import json
import math
import warnings

import numpy as np
import pytest
from scipy import special

import nnqft as nq
from cli_helpers import run_cli
from nnqft.estimate import FewBatchesWarning, HeavyTailWarning, estimate_correlators
from nnqft.tails import cumulant_influence, iid_mean_moments, predict_tail_check

HMS_GAUSS = [-0.01, -0.006, -0.002, 0.002, 0.006, 0.01]
HMS_ERF = [0.002, 0.004, 0.006, 0.008, 0.010, 0.012]
GAUSS1 = nq.Network("gauss", width=1000, sigma_b=1.0)
ERF = nq.Network("erf", width=1000)
GAUSS03 = nq.Network("gauss", width=1000, sigma_b=0.3)


def _diag_index(n_x, n):
    T = nq.combinatorics.sorted_tuples(n_x, n)
    return [int(np.flatnonzero(np.all(T == i, axis=1))[0]) for i in range(n_x)]


@pytest.mark.parametrize("estimator", ["conditional", "raw"])
@pytest.mark.parametrize("net,X", [
    (nq.Network("gauss", width=7, sigma_b=0.4), [0.3, -0.2]),
    (nq.Network("erf", width=5, sigma_b=0.5), [0.8, 1.5]),
    (nq.Network("relu", width=4, sigma_b=0.3), [0.7, -0.4]),
    (nq.Network("cos", width=3, sigma_b=0.5), [0.2, 1.0]),
])
def test_prediction_reproduces_exact_values(net, X, estimator):
    """The moment algebra (iid-mean cumulants, f | Kh normal, cumulant influence functions)
    gives back the exact engine's G_n,c on the diagonal tuples: 1e-10 relative for the closed
    forms (gauss, cos) and relu (exact radial factor); 1e-8 for erf, where the prediction uses
    the one-input (rank-1) quadrature rule and the exact engine the two-input one (each
    ~1e-10 to 1e-12 accurate, docs of nnqft.moments)."""
    ex = nq.exact_correlators(net, X, orders=(6,))
    for n in (4, 6):
        p = predict_tail_check(net, X, n, estimator, 1000)
        ref = ex.connected(n)[_diag_index(len(X), n)]
        tol = 1e-8 if net.activation == "erf" else 1e-10
        np.testing.assert_allclose(p["diagonal_values"], ref, rtol=tol,
                                   atol=tol * np.max(np.abs(ex.connected(4))))  # cos G6_c = 0


def test_moment_algebra_closed_forms():
    # mean of N i.i.d. exponentials (moments m!) is Gamma(N, 1/N): E[Y^m] = (N)_m / N^m
    N = 5
    mu = iid_mean_moments(np.array([math.factorial(m) for m in range(9)], float), N)
    ref = [math.prod(N + j for j in range(m)) / N**m for m in range(9)]
    np.testing.assert_allclose(mu, ref, rtol=1e-12)
    # influence of the plug-in variance of a centred variable: y^2 - E[y^2]
    np.testing.assert_allclose(cumulant_influence(np.array([1.0, 0.0, 2.0]), 2), [-2.0, 0, 1])
    # of the third cumulant of a centred variable: y^3 - 3 sigma^2 y - kappa_3
    np.testing.assert_allclose(cumulant_influence(np.array([1.0, 0.0, 2.0, 0.5]), 3),
                               [-0.5, -6.0, 0.0, 1.0])


def test_predicted_error_and_kurtosis_match_simulation():
    """Light tails (Erf-net, N = 3): the predicted standard error of G4_c at the diagonal tuples
    matches the jackknife error of 20000 networks (its own relative spread is ~9% with 64
    batches: tolerance 30%), and the predicted kurtosis of the per-network terms matches a
    direct simulation of 4 x 10^5 hidden layers (tolerance 5%; measured agreement 1%). A wrong
    width fails both (N x 4 for the error, N / 3 for the kurtosis)."""
    net, X, M = nq.Network("erf", width=3, sigma_b=0.5), [0.4, 1.2], 20000
    p = predict_tail_check(net, X, 4, "conditional", M)
    c = estimate_correlators(net, X, orders=(4,), n_networks=M, seed=5)
    jk = c.connected_err(4)[_diag_index(2, 4)]
    ratio = jk / np.array(p["diagonal_errors"])
    assert np.all(np.abs(ratio - 1) < 0.3), ratio
    wrong = predict_tail_check(net.replace(width=12), X, 4, "conditional", M)
    assert np.all(np.abs(jk / np.array(wrong["diagonal_errors"]) - 1) > 0.3)
    # direct simulation of Kh(x, x) - K(x, x) and of the influence (Y^2 - E Y^2)
    wrong = predict_tail_check(net.replace(width=1), X, 4, "conditional", M)
    rng = np.random.default_rng(1)
    S, N = 400_000, 3
    for i, x in enumerate(X):
        z = rng.normal(size=(S, N)) * math.sqrt(net.sigma_w**2 * x * x + net.sigma_b**2)
        h2 = special.erf(z) ** 2
        Y = h2.mean(axis=1) - h2.mean()
        psi = Y**2 - np.mean(Y**2)
        kurt = np.mean(psi**4) / np.mean(psi**2) ** 2
        assert abs(kurt / p["diagonal_kurtosis"][i] - 1) < 0.05, (kurt, p["diagonal_kurtosis"])
        assert abs(kurt / wrong["diagonal_kurtosis"][i] - 1) > 0.5


def _run(net, X, M, seed, orders=(4,)):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        c = estimate_correlators(net, X, orders=orders, n_networks=M, seed=seed)
    heavy = [w for w in rec if issubclass(w.category, HeavyTailWarning)]
    assert len(heavy) == int(c.meta["heavy_tail"]["fired"])  # one warning when it fires
    return c


SEEDS = range(100, 116)


def test_fires_at_1000_networks_for_every_seed():
    """Gauss-net sigma_b = 1 at 10^3 networks: the check fires for every seed (it is predicted,
    seed-free), including the seeds whose estimates are far too low (issue: seeds 100 and 103
    gave 0.65x and 0.71x exact with the sample criteria quiet)."""
    ex = nq.exact_correlators(GAUSS1, HMS_GAUSS, orders=(4,)).connected(4)
    ratios, sample_quiet = [], 0
    for seed in SEEDS:
        c = _run(GAUSS1, HMS_GAUSS, 1000, seed)
        d = c.meta["heavy_tail"]
        assert d["fired"] and d["predicted"]["fired"]
        assert c.meta["heavy_tail_check"] == "predicted"
        sample_quiet += not d["sample_fired"]
        ratios.append(float(np.median(c.connected(4) / ex)))
    # the failure is real: low estimates that the sample criteria alone do not see
    assert min(ratios) < 0.75 and sample_quiet >= 3, (ratios, sample_quiet)
    p = predict_tail_check(GAUSS1, HMS_GAUSS, 4, "conditional", 10**6)
    assert p["fired"] and p["kurtosis"] > 1e20  # no feasible sample size is enough


@pytest.mark.parametrize("net,X", [(ERF, HMS_ERF), (GAUSS03, HMS_GAUSS)],
                         ids=["erf-N1000", "gauss-sigma_b0.3"])
def test_quiet_for_light_tails_at_1000_networks(net, X):
    """No false alarm (predicted or sample) for Erf-net at N = 1000 on the [HMS] inputs and for
    Gauss-net at sigma_b = 0.3, at 10^3 networks over the same seeds; the estimates agree with
    the exact values (median z over tuples within 4)."""
    ex = nq.exact_correlators(net, X, orders=(4,)).connected(4)
    for seed in SEEDS:
        c = _run(net, X, 1000, seed)
        d = c.meta["heavy_tail"]
        assert not d["fired"], (seed, d["reasons"])
        assert d["predicted"]["kurtosis"] < 20  # Gaussian-like: 15
        z = (c.connected(4) - ex) / c.connected_err(4)
        assert abs(np.median(z)) < 4


def test_degenerate_inputs_do_not_fire():
    """relu with sigma_b = 0 at x = 0 (and erf with sigma_b = 0): h = 0 there for every network,
    so the per-network term vanishes; no false alarm from that input."""
    for net, X in [(nq.Network("relu", width=10), [0.0, 0.5, 1.0]),
                   (nq.Network("erf", width=10, sigma_b=0.0), [0.0, 0.5])]:
        for est in ("conditional", "raw"):
            p = predict_tail_check(net, X, 4, est, 1000)
            assert not p["fired"] and math.isfinite(p["kurtosis"]), (net, est, p["kurtosis"])
            assert p["diagonal_kurtosis"][0] == 1.0


def test_deep_networks_use_the_sample_check():
    c = _run(nq.Network("erf", width=20, depth=2), [0.3, 0.6], 2000, 0)
    assert c.meta["heavy_tail_check"] == "sample"
    assert c.meta["heavy_tail"]["predicted"] is None


def test_few_batches_are_flagged():
    with pytest.warns(FewBatchesWarning, match="not usable"):
        c = estimate_correlators(ERF, HMS_ERF, orders=(4,), n_networks=20, seed=0)
    assert c.meta["error_bar_usable"] is False
    c = estimate_correlators(ERF, HMS_ERF, orders=(4,), n_networks=64, seed=0)
    assert c.meta["error_bar_usable"] is True


def test_cli_reports_the_kind_of_check(capsys):
    status, out, err = run_cli(capsys, "correlators", "--net", "gauss", "--width", "1000",
                               "--sigma-b", "1", "--inputs", json.dumps(HMS_GAUSS), "--networks",
                               "1000", "--seed", "100", "--json", "--quiet")
    assert status == 0
    obj = json.loads(out)
    assert obj["heavy_tail_check"] == "predicted"
    assert obj["diagnostics"]["fired"] and obj["diagnostics"]["predicted"]["fired"]
    status, out, err = run_cli(capsys, "correlators", "--net", "erf", "--depth", "2", "--width",
                               "10", "--inputs", "[0.1, 0.3]", "--networks", "640", "--json",
                               "--quiet")
    assert status == 0 and json.loads(out)["heavy_tail_check"] == "sample"


@pytest.mark.parametrize("m", ["5", "63"])
def test_cli_refuses_fewer_than_64_networks(capsys, m):
    status, out, err = run_cli(capsys, "correlators", "--net", "erf", "--inputs", "[0.1]",
                               "--networks", m, "--json")
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "at least 64" in err


@pytest.mark.slow
@pytest.mark.parametrize("M", [1000, 2000])
def test_many_seeds(M):
    """50 seeds at 10^3 and 2 x 10^3 networks (the issue's cases: seeds 100 and 103 at 1000,
    seed 201 at 2000): Gauss-net at sigma_b = 1 fires every time; Erf-net at N = 1000 and
    Gauss-net at sigma_b = 0.3 never do (no false alarm from either kind of criterion)."""
    seeds = sorted(set(range(100, 150)) | {201})
    for seed in seeds:
        assert _run(GAUSS1, HMS_GAUSS, M, seed).meta["heavy_tail"]["fired"]
        assert not _run(ERF, HMS_ERF, M, seed).meta["heavy_tail"]["fired"], seed
        assert not _run(GAUSS03, HMS_GAUSS, M, seed).meta["heavy_tail"]["fired"], seed
