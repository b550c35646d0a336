"""Combinatorics of symmetric correlators: sorted tuples, matchings, set splits, partitions.

Every table is built once per argument and cached (``functools.lru_cache``); arrays returned
are read-only so that a cached table cannot be modified by a caller.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np

__all__ = [
    "sorted_tuples",
    "n_sorted_tuples",
    "tuple_index",
    "multiplicities",
    "perfect_matchings",
    "subset_splits",
    "equal_splits",
    "even_partitions",
    "cumulant_partitions",
]


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def n_sorted_tuples(n_inputs: int, order: int) -> int:
    """C(n_inputs + order - 1, order): the number of independent entries of a symmetric tensor."""
    return math.comb(n_inputs + order - 1, order)


@lru_cache(maxsize=256)
def sorted_tuples(n_inputs: int, order: int) -> np.ndarray:
    """All sorted index tuples i_1 <= ... <= i_order, shape (T, order), lexicographic order."""
    if n_inputs < 1 or order < 1:
        raise ValueError("sorted_tuples needs n_inputs >= 1 and order >= 1")
    T = np.array(
        list(itertools.combinations_with_replacement(range(n_inputs), order)), dtype=np.int64
    ).reshape(-1, order)
    return _readonly(T)


def _codes(tuples: np.ndarray, n_inputs: int) -> np.ndarray:
    order = tuples.shape[-1]
    radix = n_inputs ** np.arange(order - 1, -1, -1, dtype=np.int64)
    return tuples @ radix


@lru_cache(maxsize=256)
def _sorted_codes(n_inputs: int, order: int) -> np.ndarray:
    return _readonly(_codes(sorted_tuples(n_inputs, order), n_inputs))


def tuple_index(tuples: np.ndarray, n_inputs: int) -> np.ndarray:
    """Position of each tuple (any order of its entries) in ``sorted_tuples(n_inputs, k)``."""
    t = np.sort(np.asarray(tuples, dtype=np.int64), axis=-1)
    order = t.shape[-1]
    codes = _sorted_codes(n_inputs, order)
    c = _codes(t, n_inputs)
    idx = np.searchsorted(codes, c)
    if np.any(idx >= len(codes)) or np.any(codes[np.minimum(idx, len(codes) - 1)] != c):
        raise ValueError("tuple entries out of range")
    return idx


@lru_cache(maxsize=256)
def multiplicities(n_inputs: int, order: int) -> np.ndarray:
    """Number of orderings of each sorted tuple: order! / prod(count_i!)."""
    T = sorted_tuples(n_inputs, order)
    out = np.empty(len(T), dtype=np.int64)
    fact = math.factorial(order)
    for r, t in enumerate(T):
        _, counts = np.unique(t, return_counts=True)
        out[r] = fact // math.prod(math.factorial(int(c)) for c in counts)
    return _readonly(out)


@lru_cache(maxsize=32)
def perfect_matchings(n: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    """The (n-1)!! perfect matchings of positions 0..n-1 (n even), each a tuple of pairs."""
    if n % 2:
        raise ValueError("perfect matchings need an even number of points")

    def rec(items):
        if not items:
            yield ()
            return
        a = items[0]
        for j in range(1, len(items)):
            rest = items[1:j] + items[j + 1 :]
            for m in rec(rest):
                yield ((a, items[j]),) + m

    return tuple(rec(tuple(range(n))))


@lru_cache(maxsize=64)
def subset_splits(n: int, k: int) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    """Ways to split positions 0..n-1 into a k-set and its complement (ordered: (k-set, rest)).

    For n = 6, k = 4: the 15 ways used in G6_c = G6 - sum_15 G4 G2 + ...
    """
    out = []
    for A in itertools.combinations(range(n), k):
        B = tuple(i for i in range(n) if i not in A)
        out.append((A, B))
    return tuple(out)


@lru_cache(maxsize=32)
def equal_splits(n: int) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    """Unordered splits of 0..n-1 (n even) into two n/2-sets: 3 for n = 4, 10 for n = 6.

    Each split is listed once, with position 0 in the first set.
    """
    if n % 2:
        raise ValueError("equal splits need an even number of points")
    m = n // 2
    return tuple((A, B) for A, B in subset_splits(n, m) if 0 in A)


@lru_cache(maxsize=32)
def _set_partitions(n: int) -> tuple[tuple[tuple[int, ...], ...], ...]:
    def rec(items):
        if not items:
            yield ()
            return
        first, rest = items[0], items[1:]
        for p in rec(rest):
            # put `first` in its own block or into an existing block
            yield ((first,),) + p
            for i in range(len(p)):
                yield p[:i] + ((first,) + p[i],) + p[i + 1 :]

    return tuple(tuple(sorted(p)) for p in rec(tuple(range(n))))


@lru_cache(maxsize=32)
def even_partitions(n: int) -> tuple[tuple[tuple[int, ...], ...], ...]:
    """Set partitions of 0..n-1 whose blocks all have even size."""
    return tuple(p for p in _set_partitions(n) if all(len(b) % 2 == 0 for b in p))


@lru_cache(maxsize=32)
def cumulant_partitions(n: int, even_only: bool = True):
    """Pairs (coefficient, partition) with kappa_n = sum coef * prod_B mu_B.

    The moment-to-cumulant formula: coef = (-1)^(|pi|-1) (|pi|-1)!. With ``even_only`` the
    partitions with odd blocks are dropped (a zero-mean symmetric process, odd moments = 0).
    """
    parts = even_partitions(n) if even_only else _set_partitions(n)
    return tuple(
        ((-1) ** (len(p) - 1) * math.factorial(len(p) - 1), p) for p in parts
    )
