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
    "MAX_ORDER",
    "check_max_order",
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
    """All Bell(n) set partitions of 0..n-1 (used for n <= MAX_ORDER / 2: Kh cumulants)."""
    if n > 10:
        raise ValueError(f"all set partitions of {n} points are too many (Bell(10) = 115975)")

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


#: Highest correlator order the library computes (see :func:`check_max_order`). Cost grows
#: like the number of even set partitions (1, 4, 31, 379, 6556, 150349, 4373461 for
#: n = 2..14) times the number of sorted tuples. Measured with 6 inputs on one core: the
#: exact engine takes ~2 s at n = 10 and 30-45 s at n = 12 (150349 partitions x 6188
#: tuples, twice); n = 14 would be 29x more partitions on 2.5x more tuples (~1 hour). The
#: conditional Monte Carlo at n = 12 accumulates C(26, 6) = 230230 Kh monomials.
MAX_ORDER = 12


def check_max_order(n: int) -> int:
    """Refuse orders above :data:`MAX_ORDER` with a one-line message (before any enumeration)."""
    if n > MAX_ORDER:
        raise ValueError(
            f"order {n} is above the largest supported order {MAX_ORDER} (the number of even "
            f"set partitions grows faster than exponentially: 150349 at 12, 4373461 at 14)"
        )
    return n


def _even_partitions_iter(items: tuple[int, ...]):
    """Partitions of ``items`` into blocks of even size, enumerated directly.

    The block holding the first item takes it plus an odd number of the others; the rest is
    partitioned recursively. Only even partitions are ever built (no filtering of all Bell(n)
    set partitions).
    """
    if not items:
        yield ()
        return
    first, rest = items[0], items[1:]
    for size in range(1, len(rest) + 1, 2):
        for others in itertools.combinations(rest, size):
            remaining = tuple(i for i in rest if i not in others)
            block = (first,) + others
            for p in _even_partitions_iter(remaining):
                yield (block,) + p


@lru_cache(maxsize=32)
def even_partitions(n: int) -> tuple[tuple[tuple[int, ...], ...], ...]:
    """Set partitions of 0..n-1 whose blocks all have even size (each partition a tuple of
    sorted blocks, in sorted order). ``n`` odd gives none; ``n`` above :data:`MAX_ORDER` is
    refused."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    check_max_order(n)
    if n % 2:
        return ()
    return tuple(tuple(sorted(p)) for p in _even_partitions_iter(tuple(range(n))))


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
