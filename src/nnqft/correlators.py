"""The :class:`Correlators` result type, Wick sums and the moment-to-cumulant map.

Correlators are stored over sorted index tuples only (docs/theory.md#correlators): with n_x inputs the
order-n function has C(n_x + n - 1, n) independent entries. Exact results carry no errors;
Monte Carlo results carry standard errors and, optionally, jackknife (leave-one-batch-out)
replicates from which errors of derived quantities are computed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from .combinatorics import (
    MAX_ORDER,
    cumulant_partitions,
    even_partitions,
    perfect_matchings,
    sorted_tuples,
    tuple_index,
)
from .networks import Network

__all__ = ["Correlators", "wick_sum", "connected_from_full", "full_from_connected",
           "partition_sum", "block_index",
           "jackknife_error", "symmetric_tensor", "check_orders"]


def wick_sum(K: np.ndarray, tuples: np.ndarray) -> np.ndarray:
    """Sum over the (n-1)!! perfect matchings of products of K: the free (Gaussian) n-point value."""
    tuples = np.asarray(tuples)
    out = np.zeros(len(tuples))
    for matching in perfect_matchings(tuples.shape[1]):
        term = np.ones(len(tuples))
        for a, b in matching:
            term = term * K[tuples[:, a], tuples[:, b]]
        out += term
    return out


@lru_cache(maxsize=1024)
def block_index(n_inputs: int, order: int, block: tuple[int, ...]) -> np.ndarray:
    """Positions, in ``sorted_tuples(n_inputs, len(block))``, of every sorted order-``order``
    tuple restricted to the positions in ``block`` (cached, read-only)."""
    T = sorted_tuples(n_inputs, order)
    idx = tuple_index(T[:, list(block)], n_inputs)
    idx.setflags(write=False)
    return idx


def partition_sum(values: dict[int, np.ndarray], n_inputs: int, order: int, terms) -> np.ndarray:
    """sum over (coef, partition) in ``terms`` of coef * prod_B values[|B|][tuple restricted to B].

    ``values[k]`` holds a symmetric function over ``sorted_tuples(n_inputs, k)`` (trailing axis);
    leading axes (e.g. jackknife replicates) broadcast. This one loop gives the moment-cumulant
    maps in both directions and the exact brackets.
    """
    n_t = len(sorted_tuples(n_inputs, order))
    lead = np.asarray(values[max(values)]).shape[:-1]
    out = np.zeros(lead + (n_t,))
    for coef, partition in terms:
        if coef == 0:
            continue
        term = np.full(lead + (n_t,), float(coef))
        for block in partition:
            term = term * np.asarray(values[len(block)])[..., block_index(n_inputs, order, block)]
        out += term
    return out


def connected_from_full(full: dict[int, np.ndarray], n_inputs: int, order: int) -> np.ndarray:
    """Joint cumulants of a zero-mean symmetric process from its full moments.

    ``full[k]`` holds the order-k moments over ``sorted_tuples(n_inputs, k)`` for every even
    k <= order (trailing axes); leading axes (e.g. jackknife replicates) broadcast. Uses the
    moment-to-cumulant formula over set partitions into even blocks:
    G4_c = G4 - sum_3 G2 G2, G6_c = G6 - sum_15 G4 G2 + 2 sum_15 G2 G2 G2, and so on.
    """
    return partition_sum(full, n_inputs, order, cumulant_partitions(order))


def full_from_connected(connected: dict[int, np.ndarray], n_inputs: int, order: int) -> np.ndarray:
    """Full moments of a zero-mean symmetric process from its connected functions.

    G_n = sum over set partitions into even blocks of products of connected functions
    (the inverse of :func:`connected_from_full`); leading axes broadcast.
    """
    return partition_sum(connected, n_inputs, order, ((1, p) for p in even_partitions(order)))


def jackknife_error(replicates: np.ndarray) -> np.ndarray:
    """Jackknife standard error from leave-one-out replicates along axis 0.

    sigma^2 = (B - 1)/B sum_b (theta_b - mean theta)^2.
    """
    r = np.asarray(replicates, dtype=np.float64)
    B = r.shape[0]
    return np.sqrt((B - 1) / B * np.sum((r - r.mean(axis=0)) ** 2, axis=0))


def symmetric_tensor(values: np.ndarray, n_inputs: int, order: int) -> np.ndarray:
    """Expand values over sorted tuples into the full symmetric (n_inputs,)*order array."""
    grid = np.indices((n_inputs,) * order).reshape(order, -1).T
    idx = tuple_index(grid, n_inputs)
    return np.asarray(values)[idx].reshape((n_inputs,) * order)


@dataclass
class Correlators:
    """n-point and connected correlators of a network ensemble over sorted input tuples.

    Attributes
    ----------
    inputs : ndarray, shape (n_inputs, d_in)
    network : Network
    orders : tuple of int
        Even orders held (2 is always present).
    kernel : ndarray, shape (n_inputs, n_inputs)
        The infinite-width kernel K (for the free values ``gp``).
    exact : bool
        True only for values exact to rounding or to 1e-10 relative (the exact engine with
        closed-form or exact-rule moments); False for Monte Carlo and for the exact engine on
        lower-accuracy quadrature, whose ``meta`` then gives ``method`` ("quadrature") and
        ``accuracy`` / ``abs_error_estimate`` per order. Results of the exact engine
        (``n_networks`` None) carry no ``*_err``.
    n_networks : int or None
        Number of sampled networks (None when exact).
    estimator : str or None
        "raw" or "conditional" for Monte Carlo; None for exact results.
    meta : dict
        Seed, block size, number of batches, heavy-tail diagnostics, method notes.
    """

    inputs: np.ndarray
    network: Network
    orders: tuple[int, ...]
    kernel: np.ndarray
    full_values: dict[int, np.ndarray]
    connected_values: dict[int, np.ndarray]
    full_errors: dict[int, np.ndarray] | None = None
    connected_errors: dict[int, np.ndarray] | None = None
    full_replicates: dict[int, np.ndarray] | None = None
    connected_replicates: dict[int, np.ndarray] | None = None
    exact: bool = False
    n_networks: int | None = None
    estimator: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ access
    @property
    def n_inputs(self) -> int:
        return self.inputs.shape[0]

    def _check(self, n: int) -> None:
        if n not in self.orders:
            raise ValueError(f"order {n} not computed; available orders: {list(self.orders)}")

    def tuples(self, n: int) -> np.ndarray:
        """Sorted index tuples of order n, shape (T, n)."""
        return sorted_tuples(self.n_inputs, n)

    def full(self, n: int) -> np.ndarray:
        """G^(n) over sorted tuples."""
        self._check(n)
        return self.full_values[n]

    def connected(self, n: int) -> np.ndarray:
        """Connected G^(n)_c over sorted tuples (equal to full for n = 2)."""
        self._check(n)
        return self.connected_values[n]

    def gp(self, n: int) -> np.ndarray:
        """Free (Wick) value of G^(n) from the infinite-width kernel."""
        return wick_sum(self.kernel, self.tuples(n))

    def deviation(self, n: int) -> np.ndarray:
        """Normalised deviation m_n = |G - G_GP| / G_GP per tuple ([HMS])."""
        gp = self.gp(n)
        return np.abs(self.full(n) - gp) / gp

    def full_err(self, n: int) -> np.ndarray | None:
        self._check(n)
        return None if self.full_errors is None else self.full_errors[n]

    def connected_err(self, n: int) -> np.ndarray | None:
        self._check(n)
        return None if self.connected_errors is None else self.connected_errors[n]

    def replicates(self, kind: str, n: int) -> np.ndarray | None:
        """Jackknife leave-one-batch-out replicates (B, T) of "full" or "connected"; None if exact."""
        self._check(n)
        store = {"full": self.full_replicates, "connected": self.connected_replicates}
        if kind not in store:
            raise ValueError(f"kind must be 'full' or 'connected', got {kind!r}")
        return None if store[kind] is None else store[kind][n]

    def tensor(self, kind: str, n: int) -> np.ndarray:
        """Full symmetric (n_inputs,)*n array of "full", "connected", "gp" or "deviation"."""
        getters = {"full": self.full, "connected": self.connected, "gp": self.gp,
                   "deviation": self.deviation}
        if kind not in getters:
            raise ValueError(f"kind must be one of {sorted(getters)}, got {kind!r}")
        return symmetric_tensor(getters[kind](n), self.n_inputs, n)

    # ------------------------------------------------------------------ xarray
    _tuple_entry_dims: ClassVar[tuple[str, ...]] = ()  # extra dims of one tuple entry (vector: "pair")

    def to_dataset(self):
        """An xarray Dataset holding everything needed to rebuild this object."""
        import xarray as xr

        data_vars = {"inputs": (("input", "dim"), self.inputs), "kernel": (("input", "input_b"), self.kernel)}
        for n in self.orders:
            t, p = f"tuple{n}", f"pos{n}"
            data_vars[f"tuples_{n}"] = ((t, p, *self._tuple_entry_dims), np.asarray(self.tuples(n)))
            data_vars[f"full_{n}"] = ((t,), self.full(n))
            data_vars[f"connected_{n}"] = ((t,), self.connected(n))
            data_vars[f"gp_{n}"] = ((t,), self.gp(n))
            if self.full_errors is not None:
                data_vars[f"full_err_{n}"] = ((t,), self.full_errors[n])
                data_vars[f"connected_err_{n}"] = ((t,), self.connected_errors[n])
            if self.full_replicates is not None:
                data_vars[f"full_rep_{n}"] = (("batch", t), self.full_replicates[n])
                data_vars[f"connected_rep_{n}"] = (("batch", t), self.connected_replicates[n])
        attrs = {
            "network": json.dumps(self.network.canonical(), sort_keys=True),
            "orders": json.dumps(list(self.orders)),
            "exact": int(self.exact),
            "n_networks": -1 if self.n_networks is None else int(self.n_networks),
            "estimator": self.estimator or "exact",
            "meta": json.dumps(self.meta, sort_keys=True, default=str),
            "convention": "G^(n) = E[f(x_1)...f(x_n)] over sorted tuples i_1 <= ... <= i_n; "
            "connected = joint cumulants; errors are standard errors over batches",
        }
        return xr.Dataset(data_vars, attrs=attrs)

    @classmethod
    def from_dataset(cls, ds) -> Correlators:
        """Rebuild from :meth:`to_dataset` output."""
        params = json.loads(ds.attrs["network"])
        if isinstance(params.get("width"), list):
            params["width"] = tuple(params["width"])
        net = Network(**params)
        if cls is Correlators and net.d_out > 1:  # several outputs (docs/vector.md)
            from .vector import VectorCorrelators

            return VectorCorrelators.from_dataset(ds)
        orders = tuple(json.loads(ds.attrs["orders"]))
        has_err = f"full_err_{orders[0]}" in ds
        has_rep = f"full_rep_{orders[0]}" in ds
        get = lambda name: np.asarray(ds[name].values, dtype=np.float64)  # noqa: E731
        n_net = int(ds.attrs["n_networks"])
        return cls(
            inputs=get("inputs"),
            network=net,
            orders=orders,
            kernel=get("kernel"),
            full_values={n: get(f"full_{n}") for n in orders},
            connected_values={n: get(f"connected_{n}") for n in orders},
            full_errors={n: get(f"full_err_{n}") for n in orders} if has_err else None,
            connected_errors={n: get(f"connected_err_{n}") for n in orders} if has_err else None,
            full_replicates={n: get(f"full_rep_{n}") for n in orders} if has_rep else None,
            connected_replicates={n: get(f"connected_rep_{n}") for n in orders} if has_rep else None,
            exact=bool(int(ds.attrs["exact"])),
            n_networks=None if n_net < 0 else n_net,
            estimator=None if ds.attrs["estimator"] == "exact" else str(ds.attrs["estimator"]),
            meta=json.loads(ds.attrs["meta"]),
        )


def check_orders(orders) -> tuple[int, ...]:
    """Validate requested correlator orders: even integers 2..MAX_ORDER (12); 2 is always
    included. The cap is set by cost (:data:`nnqft.combinatorics.MAX_ORDER`)."""
    try:
        ords = sorted({int(o) for o in orders})
    except (TypeError, ValueError):
        raise ValueError(f"orders must be even integers >= 2, got {orders!r}") from None
    if not ords:
        raise ValueError("orders must name at least one even order >= 2")
    for o in ords:
        if o < 2 or o % 2:
            raise ValueError(f"order must be an even integer >= 2, got {o}")
    if ords[-1] > MAX_ORDER:
        raise ValueError(f"order {ords[-1]} is above the largest supported order {MAX_ORDER}")
    if any(float(o) != int(o) for o in orders):
        raise ValueError(f"orders must be integers, got {orders!r}")
    full = sorted(set(range(2, max(ords) + 1, 2)))
    return tuple(full)

