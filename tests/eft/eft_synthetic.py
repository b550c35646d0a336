"""Helpers for the eft tests: synthetic Correlators built from known couplings."""

from __future__ import annotations

import numpy as np

from nnqft import Network, gp_kernel
from nnqft.combinatorics import sorted_tuples
from nnqft.correlators import Correlators, connected_from_full, jackknife_error


def full_from_connected(conn: dict, n_inputs: int, orders) -> dict:
    """Moments from cumulants (zero mean): sum over even set partitions of products."""
    from nnqft.combinatorics import even_partitions, tuple_index

    out = {}
    for n in orders:
        T = sorted_tuples(n_inputs, n)
        lead = np.asarray(conn[n]).shape[:-1]
        tot = np.zeros(lead + (len(T),))
        for part in even_partitions(n):
            term = np.ones(lead + (len(T),))
            for block in part:
                term = term * np.asarray(conn[len(block)])[..., tuple_index(T[:, list(block)],
                                                                            n_inputs)]
            tot += term
        out[n] = tot
    return out


def make_correlators(net: Network, X, conn: dict, *, replicates: dict | None = None) -> Correlators:
    """A Correlators object with the given connected values (orders 2, 4[, 6]).

    ``replicates``: optional {n: (B, T_n)} leave-one-out replicates of the connected functions;
    then the object is "Monte Carlo" with jackknife errors.
    """
    X = np.asarray(X, dtype=float).reshape(len(X), net.d_in)
    orders = tuple(sorted(conn))
    full = full_from_connected(conn, len(X), orders)
    kw = {}
    if replicates is not None:
        rep_conn = {n: replicates.get(n, np.broadcast_to(conn[n], (next(iter(
            replicates.values())).shape[0],) + np.shape(conn[n]))) for n in orders}
        rep_full = full_from_connected(rep_conn, len(X), orders)
        kw = dict(
            full_errors={n: jackknife_error(rep_full[n]) for n in orders},
            connected_errors={n: jackknife_error(rep_conn[n]) for n in orders},
            full_replicates=rep_full, connected_replicates=rep_conn,
        )
    c = Correlators(inputs=X, network=net, orders=orders, kernel=gp_kernel(net, X),
                    full_values=full, connected_values=dict(conn), exact=replicates is None,
                    n_networks=None if replicates is None else 1000, **kw)
    # sanity: our moment construction inverts the library's cumulant map
    for n in orders:
        if n > 2:
            np.testing.assert_allclose(connected_from_full(full, len(X), n), conn[n],
                                       rtol=1e-9, atol=1e-12 * np.max(np.abs(full[n])))
    return c
