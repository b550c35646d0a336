"""Exact one-hidden-layer correlators (docs/theory.md#exact-finite-width) against independent computations."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from scipy import integrate, special

from nnqft.combinatorics import multiplicities, perfect_matchings, sorted_tuples, tuple_index
from nnqft.correlators import connected_from_full
from nnqft.exact import connected_brackets, exact_correlators, exact_correlators_widths
from nnqft.moments import single_neuron_moment_table
from nnqft.networks import Network

RELU_HMS = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2]
GAUSS_HMS = [-0.01, -0.006, -0.002, 0.002, 0.006, 0.01]
ERF_HMS = [0.002, 0.004, 0.006, 0.008, 0.010, 0.012]


@pytest.mark.parametrize("act", ["erf", "relu", "tanh", "gauss", "cos"])
@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("N", [1, 7, 1000])
def test_two_point_is_kernel_at_every_width(act, d, N):
    """G2 = K exactly at every N; 1e-6 relative covers rank-3 erf/tanh rules (d = 2 + bias,
    stated accuracy ~1e-6); the other cases agree to ~1e-13."""
    X = np.random.default_rng(1).uniform(-1, 1, size=(3, d))
    c = exact_correlators(Network(act, width=N, d_in=d), X, orders=(2,))
    assert np.max(np.abs(c.full(2) - c.gp(2))) < 1e-6 * np.max(np.abs(c.gp(2)))


def test_relu_m4_is_5_over_N():
    """ReLU, sigma_b = 0, d = 1, positive inputs: m_4 = 5/N exactly (docs/theory.md#reference-numbers);
    the two-point rule is exact, so 1e-12 holds with room to spare (measured ~4e-15)."""
    for N in (2, 5, 20, 1000):
        c = exact_correlators(Network("relu", width=N), RELU_HMS, orders=(4,))
        assert np.max(np.abs(c.deviation(4) - 5.0 / N)) < 1e-12


def test_hms_reference_values():
    """docs/theory.md#reference-numbers: Gauss sigma_b = 1 m_4 = 13.40/N; Erf m_4 = 0.0563/N.

    Both the unweighted mean over sorted tuples (13.3994) and the multiplicity-weighted mean
    over all 6^4 ordered tuples (13.3989) round to 13.40; we test the unweighted one, the
    project's convention (design.md section 4). Tolerance: half a unit of the last quoted digit.
    """
    for N in (1, 10, 1000):
        g = exact_correlators(Network("gauss", width=N, sigma_b=1.0), GAUSS_HMS, orders=(4,))
        assert abs(g.deviation(4).mean() * N - 13.40) < 0.005
        w = multiplicities(6, 4)
        assert abs(np.sum(w * g.deviation(4)) / w.sum() * N - 13.40) < 0.005
        e = exact_correlators(Network("erf", width=N, sigma_b=1.0), ERF_HMS, orders=(4,))
        assert abs(e.deviation(4).mean() * N - 0.0563) < 0.00005


def test_written_order_4_and_6_formulas():
    """The general partition formula reproduces the brackets written in docs/theory.md#exact-finite-width
    (normal law and uniform law with its c4, c6 terms) to rounding (1e-12 relative)."""
    X = [[-0.5], [0.2], [0.9]]
    for law in ("normal", "uniform"):
        net = Network("erf", width=4, weight_law=law)
        C = single_neuron_moment_table(net, X, (2, 4, 6))
        B = connected_brackets(net, X, (6,), moments=C)
        c4, c6 = (0.0, 0.0) if law == "normal" else (-6 / 5, 48 / 7)
        for n in (4, 6):
            T = sorted_tuples(3, n)
            ref = np.zeros(len(T))
            for r, t in enumerate(T):
                Cn = C[n][r]
                if n == 4:
                    pairs = sum(C[2][tuple_index(t[list(a)], 3)] * C[2][tuple_index(t[list(b)], 3)]
                                for a, b in (((0, 1), (2, 3)), ((0, 2), (1, 3)), ((0, 3), (1, 2))))
                    ref[r] = (3 + c4) * Cn - pairs
                else:
                    s42 = sum(C[4][tuple_index(t[list(A)], 3)] * C[2][tuple_index(t[list(Bs)], 3)]
                              for A in itertools.combinations(range(6), 4)
                              for Bs in [tuple(i for i in range(6) if i not in A)])
                    s222 = 0.0
                    for m in perfect_matchings(6):
                        s222 += math.prod(C[2][tuple_index(t[list(p)], 3)] for p in m)
                    ref[r] = (15 + c6 + 15 * c4) * Cn - (3 + c4) * s42 + 2 * s222
            assert np.allclose(B[n], ref, rtol=1e-12, atol=1e-15)


def _brute_moments_uniform(Cfun, tup, N, sw, sb, law):
    """E[f(x_t1)...f(x_tn)] by expanding f = b1 + sum_j W_j h_j over all (N+1)^n assignments of
    the legs to the bias or a neuron, with the raw moments of b1 and W_j and the i.i.d.
    factorisation over neurons (E over h of the legs on neuron j is C_|S_j|)."""
    n = len(tup)
    var_w = sw**2 / N
    if law == "normal":
        wmom = lambda k: 0.0 if k % 2 else var_w ** (k // 2) * math.prod(range(1, k, 2))  # noqa: E731
    else:
        a = math.sqrt(3 * var_w)
        wmom = lambda k: 0.0 if k % 2 else a**k / (k + 1)  # noqa: E731
    bmom = lambda k: 0.0 if k % 2 else sb**k * math.prod(range(1, k, 2))  # noqa: E731
    total = 0.0
    for assign in itertools.product(range(N + 1), repeat=n):
        term = bmom(sum(1 for a in assign if a == 0))
        if term == 0:
            continue
        for j in range(1, N + 1):
            legs = [tup[i] for i in range(n) if assign[i] == j]
            if legs:
                term *= wmom(len(legs)) * Cfun(tuple(sorted(legs)))
            if term == 0:
                break
        total += term
    return total


@pytest.mark.parametrize("law", ["normal", "uniform"])
def test_against_brute_force_expansion(law):
    """Order 4 and 6, N = 2, 2 inputs: full correlators from the brute-force expansion over
    (N+1)^n leg assignments (independent of the cumulant algebra) agree to 1e-12 relative.
    Gauss-net is used so that the C_k are closed forms (no quadrature error)."""
    X = [[-0.3], [0.5]]
    N, sw, sb = 2, 1.2, 0.7
    net = Network("gauss", width=N, sigma_w=sw, sigma_b=sb, weight_law=law)
    C = single_neuron_moment_table(net, X, range(1, 7))

    def Cfun(t):
        return C[len(t)][tuple_index(np.array(t), 2)]

    c = exact_correlators(net, X, orders=(6,))
    for n in (2, 4, 6):
        T = sorted_tuples(2, n)
        brute = np.array([_brute_moments_uniform(Cfun, tuple(t), N, sw, sb, law) for t in T])
        assert np.allclose(c.full(n), brute, rtol=1e-12, atol=0)
    # and the uniform law changes G4_c (a negative control for the c4 term)
    if law == "uniform":
        cn = exact_correlators(net.replace(weight_law="normal"), X, orders=(4,))
        assert np.all(np.abs(cn.connected(4) - c.connected(4)) > 1e-3 * np.abs(c.connected(4)))


@pytest.mark.parametrize("act", ["erf", "relu"])
def test_N1_G4c_against_quadrature(act):
    """N = 1: f = b1 + W h, so G4 = E_h[Wick sum of Kh], Kh = sb^2 + sw^2 h h'. The h-average is
    done by scipy dblquad over (w0, b0) (independent of nnqft.moments); G4_c then follows from
    the moment-to-cumulant map. Agreement 1e-8 relative (dblquad tolerance 1e-11; relu kinks)."""
    sw, sb = 1.1, 0.6
    net = Network(act, width=1, sigma_w=sw, sigma_b=sb)
    X = np.array([-0.4, 0.9])
    phi = special.erf if act == "erf" else (lambda z: max(z, 0.0))
    T4 = sorted_tuples(2, 4)

    def E(fn):
        def g(b, w):
            h = [phi(w * x + b) for x in X]
            return fn(h) * np.exp(-w**2 / (2 * sw**2) - b**2 / (2 * sb**2)) / (2 * np.pi * sw * sb)
        return integrate.dblquad(g, -9 * sw, 9 * sw, -9 * sb, 9 * sb,
                                 epsabs=1e-12, epsrel=1e-11)[0]

    def wick4(h, t):
        K = lambda a, b: sb**2 + sw**2 * h[a] * h[b]  # noqa: E731
        return K(t[0], t[1]) * K(t[2], t[3]) + K(t[0], t[2]) * K(t[1], t[3]) + \
            K(t[0], t[3]) * K(t[1], t[2])

    G2 = np.array([E(lambda h, t=t: sb**2 + sw**2 * h[t[0]] * h[t[1]])
                   for t in sorted_tuples(2, 2)])
    G4 = np.array([E(lambda h, t=t: wick4(h, t)) for t in T4])
    ref = connected_from_full({2: G2, 4: G4}, 2, 4)
    c = exact_correlators(net, X, orders=(4,))
    assert np.allclose(c.connected(4), ref, rtol=1e-8, atol=1e-12)


def test_widths_reuse_and_scaling():
    """G4_c ~ 1/N and G6_c ~ 1/N^2 exactly; exact_correlators_widths equals separate calls."""
    net = Network("erf", width=1)
    cs = exact_correlators_widths(net, ERF_HMS, [1, 10, 100])
    for c, N in zip(cs, [1, 10, 100], strict=True):
        ref = exact_correlators(net.replace(width=N), ERF_HMS)
        assert np.allclose(c.full(6), ref.full(6), rtol=1e-14)
        assert np.allclose(c.connected(4) * N, cs[0].connected(4), rtol=1e-12)
        assert np.allclose(c.connected(6) * N**2, cs[0].connected(6), rtol=1e-12)
        # erf moments come from quadrature: labelled with their method and accuracy (G6_c is
        # good to ~1e-9 here, above the 1e-10 tolerance of "exact")
        assert c.meta["method"] == "quadrature" and c.meta["accuracy"][6] < 1e-8
        assert c.exact == (max(c.meta["accuracy"].values()) <= 1e-10)
        assert c.full_err(4) is None and c.estimator is None


def test_order_8_and_performance():
    """Order 8 works for the normal law (full = moments by the cumulant map round trip), and
    6 inputs at order 6 take well under a second in d = 1."""
    net = Network("relu", width=3)
    t0 = time.perf_counter()
    c = exact_correlators(net, RELU_HMS, orders=(6,))
    assert time.perf_counter() - t0 < 1.0
    c8 = exact_correlators(net, RELU_HMS[:3], orders=(8,))
    back = connected_from_full({k: c8.full(k) for k in (2, 4, 6, 8)}, 3, 8)
    assert np.allclose(back, c8.connected(8), rtol=1e-10, atol=1e-12 * np.abs(c8.full(8)).max())
    assert c.orders == (2, 4, 6)


def test_bad_input():
    X = [0.1, 0.2]
    with pytest.raises(ValueError, match="one hidden layer"):
        exact_correlators(Network("erf", width=3, depth=2), X)
    with pytest.raises(ValueError, match="one hidden layer"):
        exact_correlators(Network("erf", width=3, depth=2, outputs=2), X)
    for orders in ((3,), (0,), (2, 5), (-2,)):
        with pytest.raises(ValueError):
            exact_correlators(Network("erf", width=3), X, orders=orders)
    with pytest.raises(ValueError):
        exact_correlators(Network("erf", width=3, weight_law="uniform"), X, orders=(8,))
    with pytest.raises(ValueError):
        exact_correlators(Network("erf", width=3), [0.1, float("nan")])
    with pytest.raises(ValueError):
        exact_correlators(Network("erf", width=3, d_in=2), [[0.1, 0.2, 0.3]])
    for bad in (dict(width=0), dict(width=-2), dict(activation="sigmoid")):
        with pytest.raises(ValueError):
            Network(**{"activation": "erf", "width": 3, **bad})
