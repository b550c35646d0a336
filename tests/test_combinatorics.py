"""Combinatorics and cumulant helpers against brute force; property tests."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nnqft.combinatorics import (
    _set_partitions,
    n_sorted_tuples,
    perfect_matchings,
    sorted_tuples,
    tuple_index,
)
from nnqft.correlators import connected_from_full, symmetric_tensor, wick_sum


def test_tuple_counts():
    assert [len(sorted_tuples(6, n)) for n in (2, 4, 6)] == [21, 126, 462]
    assert [n_sorted_tuples(6, n) for n in (2, 4, 6)] == [21, 126, 462]
    assert [len(perfect_matchings(n)) for n in (2, 4, 6, 8)] == [1, 3, 15, 105]


def test_wick_sum_brute_force():
    """Sum over n! orderings of K[t_p1, t_p2] K[t_p3, t_p4]... / (2^(n/2) (n/2)!)."""
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    K = A @ A.T
    for n in (2, 4, 6):
        T = sorted_tuples(4, n)
        brute = np.zeros(len(T))
        for r, t in enumerate(T):
            s = 0.0
            for p in itertools.permutations(range(n)):
                s += math.prod(K[t[p[2 * i]], t[p[2 * i + 1]]] for i in range(n // 2))
            brute[r] = s / (2 ** (n // 2) * math.factorial(n // 2))
        assert np.allclose(wick_sum(K, T), brute, rtol=1e-12)


def test_connected_from_full_vs_brute_cumulants():
    """Symmetrised (x and -x) non-Gaussian samples: connected_from_full on sample moments equals
    the joint cumulant over ALL set partitions (odd blocks included), to rounding (1e-10)."""
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(50, 3))
    S = np.concatenate([Z, Z**3 * 0.3 + Z[:, ::-1]], axis=1)[:, :3]
    S = np.concatenate([S, -S])  # exactly zero odd moments
    n_x = 3

    def moment(idx):
        return np.mean(np.prod(S[:, list(idx)], axis=1))

    full = {k: np.array([moment(t) for t in sorted_tuples(n_x, k)]) for k in (2, 4, 6)}
    for order in (4, 6):
        got = connected_from_full(full, n_x, order)
        for r, t in enumerate(sorted_tuples(n_x, order)):
            kappa = 0.0
            for part in _set_partitions(order):
                kappa += ((-1) ** (len(part) - 1) * math.factorial(len(part) - 1)
                          * math.prod(moment([t[i] for i in b]) for b in part))
            assert abs(got[r] - kappa) < 1e-10 * max(1.0, abs(kappa))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.data())
def test_tuple_index_round_trip(n_x, order, data):
    T = sorted_tuples(n_x, order)
    r = data.draw(st.integers(0, len(T) - 1))
    perm = data.draw(st.permutations(list(range(order))))
    assert tuple_index(T[r][list(perm)][None, :], n_x)[0] == r


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(2, 4), st.data())
def test_symmetric_tensor_invariant(n_x, order, data):
    vals = np.arange(n_sorted_tuples(n_x, order), dtype=float)
    A = symmetric_tensor(vals, n_x, order)
    perm = data.draw(st.permutations(list(range(order))))
    assert np.array_equal(A, np.transpose(A, perm))
