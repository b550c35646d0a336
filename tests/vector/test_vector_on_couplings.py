"""O(n) couplings (nnqft.eft.on): pairing amplitudes, quartic and sextic couplings, running.

Truths: the amplitudes read from the exact multi-output tensor against the closed expressions in
single-neuron moments; the one-output couplings of nnqft.eft (bit for bit at n = 1); synthetic
amplitudes built from a known local O(n) vertex (recovered exactly, with a wrong vertex
structure as negative control); the homogeneous ReLU slope -(d + 4) = -5 at d = 1; Monte Carlo
z-scores against exact.
"""

import math

import numpy as np
import pytest

import nnqft as nq
from nnqft.eft import couplings, running, sextic_couplings
from nnqft.eft.integrals import exchange_matrix, vertex_integrals
from nnqft.eft.on import (
    PairingAmplitudes,
    compatible_splits,
    exact_pairing_amplitudes,
    on_couplings,
    on_running,
    on_sextic_couplings,
    pairing_amplitudes,
)

X = [-0.5, 0.1, 0.7]


@pytest.mark.parametrize("m", [2, 3])
@pytest.mark.parametrize("act", ["gauss", "erf", "relu"])
def test_amplitudes_from_tensor_equal_moment_formula(act, m):
    net = nq.Network(act, width=5, sigma_b=0.5, outputs=m)
    c = nq.exact_correlators(net, X, orders=(2, 4, 6))
    for order in (4, 6) if m >= 3 else (4,):
        a, e = pairing_amplitudes(c, order), exact_pairing_amplitudes(net, X, order)
        assert np.allclose(a.values, e.values, rtol=0, atol=1e-13 * np.abs(e.values).max())
    assert np.abs(pairing_amplitudes(c, 4).diagonal).max() < 1e-13 * np.abs(e.values).max()


def test_uniform_law_diagonal_amplitude():
    net = nq.Network("erf", width=5, sigma_b=0.5, outputs=2, weight_law="uniform")
    a = pairing_amplitudes(nq.exact_correlators(net, X, orders=(2, 4)), 4)
    e = exact_pairing_amplitudes(net, X, 4)
    assert np.allclose(a.diagonal, e.diagonal, rtol=1e-12)
    assert np.abs(e.diagonal).min() > 0
    with pytest.raises(ValueError, match="normal"):
        exact_pairing_amplitudes(net, X, 6)


def test_too_few_outputs_refused():
    c = nq.exact_correlators(nq.Network("erf", width=5, outputs=2), X, orders=(2, 4, 6))
    with pytest.raises(ValueError, match="at least 3 outputs"):
        pairing_amplitudes(c, 6)


@pytest.mark.parametrize("exact", [True, False])
def test_one_output_reproduces_todays_couplings_exactly(exact):
    net = nq.Network("erf", width=5, sigma_b=0.3)
    if exact:
        c = nq.exact_correlators(net, X, orders=(2, 4, 6))
    else:
        c = nq.estimate_correlators(net, X, orders=(2, 4, 6), n_networks=2000, seed=3)
    ref, got = couplings(c, cutoff=4.0), on_couplings(c, cutoff=4.0)
    assert got.mean == ref.mean and got.spread == ref.spread
    assert np.array_equal(got.lam, ref.lam) and got.mean_err == ref.mean_err
    s_ref, s_got = sextic_couplings(c, cutoff=4.0), on_sextic_couplings(c, cutoff=4.0)
    assert s_got.mean == s_ref.mean and np.array_equal(s_got.kappa, s_ref.kappa)
    r_net = nq.Network("relu", width=4, sigma_b=0.0)
    rc = nq.exact_correlators(r_net, [0.3, 0.9], orders=(2, 4))
    cut = [10.0, 30.0, 100.0]
    assert on_running(rc, cutoffs=cut).slope == running(rc, cutoffs=cut).slope


@pytest.mark.parametrize("m", [2, 3, 4])
def test_normal_law_on_coupling_equals_one_output_coupling(m):
    """With a normal last layer the amplitudes do not depend on n, and the pairing mean
    -(A1 + A2 + A3) / I_4 is the one-output -G4_c / I_4."""
    net = nq.Network("gauss", width=5, sigma_b=0.5, outputs=m)
    c = nq.exact_correlators(net, X, orders=(2, 4, 6) if m >= 3 else (2, 4))
    ref = couplings(nq.exact_correlators(net.replace(outputs=1), X, orders=(2, 4, 6)))
    got = on_couplings(c)
    assert np.allclose(got.lam, ref.lam, rtol=1e-12)
    assert got.fit_quality["pairing_asymmetry"] > 0.01  # the pairings differ (C2 C2 terms)
    if m >= 3:
        s = on_sextic_couplings(c)
        s1 = sextic_couplings(nq.exact_correlators(net.replace(outputs=1), X, orders=(2, 4, 6)))
        assert np.allclose(s.kappa, s1.kappa, rtol=1e-10)


def _synthetic(net, lam, kappa=None, wrong=False):
    """Amplitudes of a local O(n) theory at tree level: A_p = -(lam/3) I_4 for every pairing
    (or, with ``wrong``, the whole -lam I_4 on the first pairing only); order 6:
    A_M = -(kappa/15) I_6 + (lam/3)^2 sum over the 6 compatible splits of J."""
    from nnqft.combinatorics import equal_splits, sorted_tuples, tuple_index

    Xa = nq.as_inputs(X)
    T4 = np.asarray(sorted_tuples(3, 4))
    I4 = vertex_integrals(net, Xa, T4, math.inf)
    vals = np.repeat((-(lam / 3) * I4)[:, None], 3, axis=1)
    if wrong:
        vals = np.zeros_like(vals)
        vals[:, 0] = -lam * I4
    a4 = PairingAmplitudes(4, T4, vals, None, None, np.zeros(len(T4)), None, 2, True, net, Xa)
    if kappa is None:
        return a4, None
    T6 = np.asarray(sorted_tuples(3, 6))
    I6 = vertex_integrals(net, Xa, T6, math.inf)
    Jm = exchange_matrix(net, Xa, math.inf)
    Js = np.stack([Jm[tuple_index(T6[:, list(A)], 3), tuple_index(T6[:, list(B)], 3)]
                   for A, B in equal_splits(6)], axis=1)
    Jc = np.stack([Js[:, list(s)].sum(axis=1) for s in compatible_splits()], axis=1)
    v6 = -(kappa / 15) * I6[:, None] + (lam / 3) ** 2 * Jc
    a6 = PairingAmplitudes(6, T6, v6, None, None, None, None, 3, True, net, Xa)
    return a4, a6


def test_local_on_vertex_recovered_and_wrong_structure_flagged():
    net = nq.Network("gauss", width=5, sigma_b=0.5)
    a4, a6 = _synthetic(net, lam=-2.5, kappa=40.0)
    q = on_couplings(a4)
    assert q.mean == pytest.approx(-2.5, rel=1e-13) and q.spread < 1e-12
    assert q.fit_quality["pairing_asymmetry"] < 1e-13
    s = on_sextic_couplings(a6, quartic=q)
    assert s.mean == pytest.approx(40.0, rel=1e-10) and s.matching_spread < 1e-8
    # negative control: the same total on one pairing is not an O(n) vertex
    bad = on_couplings(_synthetic(net, lam=-2.5, wrong=True)[0])
    assert bad.mean == pytest.approx(-2.5, rel=1e-13)
    assert bad.fit_quality["pairing_asymmetry"] > 1.0


def test_compatible_splits_count():
    cs = compatible_splits()
    assert len(cs) == 15 and all(len(s) == 6 for s in cs)
    # every split is compatible with 9 of the 15 matchings (3 x 3 pairings of its triples)
    counts = np.bincount([s for c in cs for s in c], minlength=10)
    assert np.all(counts == 9)


def test_relu_running_slope_all_pairings():
    net = nq.Network("relu", width=4, sigma_b=0.0, outputs=2)
    c = nq.exact_correlators(net, [0.3, 0.6, 0.9], orders=(2, 4))
    r = on_running(c, cutoffs=np.geomspace(10, 1000, 5))
    assert r.slope == pytest.approx(-5.0, abs=1e-6)
    lp = np.array([f.lam_pairings for f in r.fits])  # (C, T, 3)
    slopes = np.polyfit(np.log(r.cutoffs), np.log(np.abs(lp.reshape(len(lp), -1))), 1)[0]
    assert np.allclose(slopes, -5.0, atol=1e-6)


def test_monte_carlo_on_coupling_vs_exact():
    net = nq.Network("erf", width=3, sigma_b=0.5, outputs=2)
    Xs = [-0.4, 0.3]
    ex = on_couplings(nq.exact_correlators(net, Xs, orders=(2, 4)), cutoff=3.0)
    mc = on_couplings(nq.estimate_correlators(net, Xs, orders=(2, 4), n_networks=40000,
                                              seed=4), cutoff=3.0)
    assert mc.mean_err <= 0.1 * abs(ex.mean)
    assert abs(mc.mean - ex.mean) / mc.mean_err < 4.5
    z = (mc.lam - ex.lam) / mc.lam_err
    assert np.abs(z).max() < 4.5
    # negative control: the one-output coupling scaled by 3 (vertex lambda instead of lambda/3)
    assert abs(mc.mean - 3 * ex.mean) / mc.mean_err > 10
