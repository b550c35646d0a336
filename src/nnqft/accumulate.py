"""Mergeable float64 moment accumulators over sorted index tuples.

A :class:`MomentSums` holds, for a vector-valued sample v (length m), the count and the sums of
the monomials v_{i1} ... v_{ik} over all sorted tuples i1 <= ... <= ik for each requested order
k, plus three tail weights used by the heavy-tail diagnostic (sum, sum of squares and maximum of
w = sum_i |v_i|^k_top per sample). Accumulators merge by addition; merging is associative, and the
library always folds blocks in block order so that results are bit-identical however the work
was split.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .combinatorics import sorted_tuples, tuple_index

__all__ = ["MomentSums", "monomial_sums"]


def _halves(m: int, k: int):
    """Index maps (a-part, b-part) such that monomial(t) = M_a[:, ia] * M_b[:, ib]."""
    T = sorted_tuples(m, k)
    a = (k + 1) // 2
    ia = tuple_index(T[:, :a], m)
    ib = tuple_index(T[:, a:], m) if k - a > 0 else None
    return a, k - a, ia, ib


_HALF_CACHE: dict[tuple[int, int], tuple] = {}


def _monomials(V: np.ndarray, k: int) -> np.ndarray:
    """All order-k monomials over sorted tuples, shape (B, T_k) (small k only)."""
    m = V.shape[1]
    T = sorted_tuples(m, k)
    out = V[:, T[:, 0]].copy()
    for j in range(1, k):
        out *= V[:, T[:, j]]
    return out


def monomial_sums(V: np.ndarray, orders) -> dict[int, np.ndarray]:
    """Sums over samples of all monomials of the rows of V, for each order in ``orders``.

    Parameters
    ----------
    V : ndarray, shape (B, m)
        B samples of an m-vector.
    orders : iterable of int
        Orders k >= 1.

    Returns
    -------
    dict k -> ndarray (C(m + k - 1, k),)
        sum_b prod_j V[b, t_j] over sorted tuples t (lexicographic order of
        :func:`nnqft.combinatorics.sorted_tuples`).

    Notes
    -----
    An order-k sum is one matrix product of the order-ceil(k/2) and order-floor(k/2) monomial
    matrices (BLAS; callers fix the BLAS thread count so that results are reproducible).
    """
    V = np.asarray(V, dtype=np.float64)
    m = V.shape[1]
    cache: dict[int, np.ndarray] = {}

    def mono(k):
        if k not in cache:
            cache[k] = _monomials(V, k)
        return cache[k]

    out = {}
    for k in orders:
        if k == 1:
            out[k] = V.sum(axis=0)
            continue
        key = (m, k)
        if key not in _HALF_CACHE:
            _HALF_CACHE[key] = _halves(m, k)
        a, b, ia, ib = _HALF_CACHE[key]
        G = mono(a).T @ mono(b)
        out[k] = G[ia, ib]
    return out


@dataclass
class MomentSums:
    """Count, monomial sums and tail weights of a set of samples (mergeable).

    Attributes
    ----------
    count : int
    sums : dict[int, ndarray]
        Order k -> sums over samples of the monomials over sorted k-tuples.
    w_sum, w2_sum, w_max : float
        Sum, sum of squares and maximum over samples of the tail weight
        w = sum_i |v_i|^k_top (k_top the highest order accumulated).
    """

    count: int
    sums: dict[int, np.ndarray]
    w_sum: float = 0.0
    w2_sum: float = 0.0
    w_max: float = 0.0
    orders: tuple[int, ...] = field(default=())

    @classmethod
    def from_samples(cls, V: np.ndarray, orders) -> MomentSums:
        orders = tuple(sorted(set(int(k) for k in orders)))
        V = np.asarray(V, dtype=np.float64)
        w = np.sum(np.abs(V) ** orders[-1], axis=1)
        return cls(
            count=V.shape[0],
            sums=monomial_sums(V, orders),
            w_sum=float(w.sum()),
            w2_sum=float(np.sum(w * w)),
            w_max=float(w.max()) if len(w) else 0.0,
            orders=orders,
        )

    @classmethod
    def zeros_like(cls, other: MomentSums) -> MomentSums:
        return cls(0, {k: np.zeros_like(v) for k, v in other.sums.items()}, orders=other.orders)

    def merge(self, other: MomentSums) -> MomentSums:
        """A new accumulator holding both (associative; fold in a fixed order)."""
        if self.orders != other.orders:
            raise ValueError("cannot merge accumulators of different orders")
        return MomentSums(
            count=self.count + other.count,
            sums={k: self.sums[k] + other.sums[k] for k in self.sums},
            w_sum=self.w_sum + other.w_sum,
            w2_sum=self.w2_sum + other.w2_sum,
            w_max=max(self.w_max, other.w_max),
            orders=self.orders,
        )

    # ------------------------------------------------------------- serialisation
    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat dict of numpy arrays (for ``np.savez`` checkpoints)."""
        out = {
            "count": np.array(self.count, dtype=np.int64),
            "orders": np.array(self.orders, dtype=np.int64),
            "tail": np.array([self.w_sum, self.w2_sum, self.w_max], dtype=np.float64),
        }
        for k, v in self.sums.items():
            out[f"sum{k}"] = v
        return out

    @classmethod
    def from_arrays(cls, arrays) -> MomentSums:
        orders = tuple(int(k) for k in np.asarray(arrays["orders"]))
        tail = np.asarray(arrays["tail"], dtype=np.float64)
        return cls(
            count=int(arrays["count"]),
            sums={k: np.asarray(arrays[f"sum{k}"], dtype=np.float64) for k in orders},
            w_sum=float(tail[0]),
            w2_sum=float(tail[1]),
            w_max=float(tail[2]),
            orders=orders,
        )
