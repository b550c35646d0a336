"""Exact finite-width correlators of one-hidden-layer networks (docs/theory.md#exact-finite-width).

Conditioned on the hidden layer h, the output f = b1 + sum_j W1_j h_j has conditional cumulants
kappa_2(x, y | h) = Kh(x, y) = sigma_b^2 + (sigma_w^2 / N) sum_j h_j(x) h_j(y) and, for a
non-normal last-layer law, kappa_2m(x_1..x_2m | h) = c_2m sigma_w^(2m) N^(-m) sum_j prod h_j(x_i).
The law of total cumulance, with each conditional cumulant a sum of N i.i.d. neuron terms,
gives for every even order n >= 4 (``brackets``)::

    G_n,c(x_1..x_n) = sigma_w^n N^(1 - n/2) B_n,
    B_n = sum_{rho: set partitions of the n points into even blocks}
          (-1)^(|rho|-1) (|rho|-1)! prod_{R in rho} e_|R| C_|R|(x_R)

where C_k are the single-neuron moments (:mod:`nnqft.moments`) and e_2m = E[w^2m] / E[w^2]^m
are the standardised moments of the last-layer law (normal: (2m - 1)!!, i.e. 3, 15; in terms of
the cumulants c4, c6 of :func:`nnqft.networks.weight_law_cumulants`: e4 = 3 + c4,
e6 = 15 + 15 c4 + c6). For the normal law and n = 4, 6 this is the formula of docs/theory.md
#exact-finite-width: B4 = 3 C4 - sum_3 C2 C2, B6 = 15 C6 - 3 sum_15 C4 C2 + 2 sum_15 C2 C2 C2; the
non-normal extra terms are c4 C4 and (c6 + 15 c4) C6 - c4 sum_15 C4 C2. G2 = sigma_b^2 +
sigma_w^2 C2 (= the GP kernel at every N). Full correlators follow from the connected ones
by the cumulant-to-moment relation (sum over even set partitions of products).

References
----------
[HMS] Halverson, Maiti, Stoner, arXiv:2008.08601, section 3 and appendix.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from .combinatorics import even_partitions
from .correlators import Correlators, check_orders, partition_sum
from .kernels import gp_kernel
from .moments import moment_table_with_accuracy
from .networks import Network, as_inputs, weight_law_cumulants
from .progress import Progress

__all__ = [
    "EXACT_TOLERANCE",
    "Brackets",
    "exact_correlators",
    "exact_correlators_widths",
    "connected_brackets",
    "weight_law_moments",
    "accuracy_meta",
    "partition_error_bound",
]


def weight_law_moments(law: str, max_order: int) -> dict[int, float]:
    """Standardised even moments e_2m = E[w^2m] / E[w^2]^m of the last-layer law, 2m <= max_order.

    Normal: (2m - 1)!!. Other laws from their cumulants (c4, c6): e4 = 3 + c4,
    e6 = 15 + 15 c4 + c6; orders >= 8 are refused for non-normal laws.
    """
    out = {2: 1.0}
    for k in range(4, max_order + 1, 2):
        out[k] = float(math.prod(range(1, k, 2)))
    if law != "normal":
        if max_order >= 8:
            raise ValueError(
                f"exact correlators of order >= 8 need a normal last layer, not {law!r}"
            )
        c4, c6 = weight_law_cumulants(law)
        if max_order >= 4:
            out[4] = 3.0 + c4
        if max_order >= 6:
            out[6] = 15.0 + 15.0 * c4 + c6
    return out


#: A result is labelled ``exact`` when its estimated error, relative to the largest |value| of
#: each order, is at most this (closed forms and the exact relu rules are at ~1e-15).
EXACT_TOLERANCE = 1e-10
_EPS = float(np.finfo(np.float64).eps)


class Brackets(dict):
    """``{n: B_n over sorted tuples}`` with ``accuracy``: the moment method and rule and
    ``abs_error`` {n: estimated max |error| of B_n over tuples} (None where unknown, e.g. for
    moments given by the caller)."""

    accuracy: dict | None = None


@lru_cache(maxsize=16)
def _partition_shapes(n: int) -> tuple[tuple[tuple[int, ...], int], ...]:
    """Block-size multisets of the even set partitions of n points, with their counts."""
    return tuple(Counter(tuple(sorted(len(b) for b in p)) for p in even_partitions(n)).items())


def partition_error_bound(n: int, coef, A: dict[int, float], D: dict[int, float]) -> float:
    """Bound on the error of sum_p coef(p) prod_{b in p} V_|b|(tuple restricted to b) over all
    tuples, given max |V_k| <= A[k] and max |error of V_k| <= D[k]: first-order propagation
    plus n eps per product for rounding."""
    total = 0.0
    for shape, count in _partition_shapes(n):
        c = abs(coef(shape)) * count
        prod = math.prod(A[k] for k in shape)
        prop = sum(D[k] * math.prod(A[j] for i2, j in enumerate(shape) if i2 != i)
                   for i, k in enumerate(shape))
        total += c * (prop + (len(shape) + 1) * _EPS * prod)
    return total


def _validate(net: Network) -> None:
    if net.depth != 1:
        raise ValueError("exact correlators need one hidden layer (depth 1); use Monte Carlo "
                         "(--networks M, or estimate_correlators in Python)")
    if net.d_out != 1:
        raise ValueError(f"exact correlators need d_out = 1, got d_out = {net.d_out}")


def _counted(terms, bar):
    """Pass ``terms`` through, advancing a progress bar every 4096 of them."""
    k = 0
    for t in terms:
        yield t
        k += 1
        if k == 4096:
            bar.advance(k)
            k = 0
    bar.advance(k)


def connected_brackets(net: Network, X, orders: Iterable[int] = (2, 4, 6), *,
                       moments: dict[int, np.ndarray] | None = None,
                       method: str = "auto", _bar=None) -> dict[int, np.ndarray]:
    """Width-independent brackets B_n with G_n,c = sigma_w^n N^(1 - n/2) B_n (n >= 4).

    ``B_2`` is C_2 (then G_2 = sigma_b^2 + sigma_w^2 B_2). Computing them once and calling
    :func:`exact_correlators` with ``brackets=`` scans widths at no extra cost.

    Parameters
    ----------
    net : Network
        One hidden layer, d_out = 1 (width ignored).
    X : array_like, shape (n_inputs, d_in)
    orders : iterable of int
        Even orders; all even orders up to the largest are computed.
    moments : dict, optional
        Precomputed single-neuron moments {k: C_k over sorted tuples} for even k <= max order.
    method : str
        Passed to :func:`nnqft.moments.single_neuron_moment_table`.

    Returns
    -------
    dict {n: ndarray (T_n,)} over ``sorted_tuples(n_inputs, n)``; for d_out = n > 1 over the
    sorted tuples of (input, output) points (:func:`nnqft.vector.vector_brackets`).
    """
    if isinstance(net, Network) and net.d_out > 1:
        from .vector import vector_brackets

        return vector_brackets(net, X, orders, moments=moments, method=method)
    _validate(net)
    orders = check_orders(orders)
    X = as_inputs(X, net.d_in)
    n_x = X.shape[0]
    top = max(orders)
    e = weight_law_moments(net.weight_law, top)
    info = None
    if moments is None:
        moments, info = moment_table_with_accuracy(net, X, orders, method=method)
    out = Brackets({2: np.asarray(moments[2], dtype=np.float64)})

    def coef_shape(shape):
        k = len(shape)
        return (-1) ** (k - 1) * math.factorial(k - 1) * math.prod(e[b] for b in shape)

    for n in orders:
        if n == 2:
            continue
        terms = ((coef_shape([len(b) for b in p]), p) for p in even_partitions(n))
        out[n] = partition_sum(moments, n_x, n, terms if _bar is None else _counted(terms, _bar))
    if info is not None:
        A = {k: float(np.max(np.abs(moments[k]))) for k in orders}
        D = info["abs_error"]
        err = {2: D[2]}
        for n in orders:
            if n > 2:
                err[n] = partition_error_bound(n, coef_shape, A, D)
        out.accuracy = {**info, "abs_error": err}
    return out


def exact_correlators(net: Network, X, orders: Iterable[int] = (2, 4, 6), *,
                      brackets: dict[int, np.ndarray] | None = None,
                      method: str = "auto", progress: bool = False) -> Correlators:
    """Exact finite-width n-point and connected correlators of a one-hidden-layer network.

    Parameters
    ----------
    net : Network
        depth 1, d_out = 1; any activation; weight law "normal" (any even order) or
        "uniform" (orders <= 6).
    X : array_like, shape (n_inputs, d_in)
    orders : iterable of int
        Even orders >= 2; every even order up to the largest is included.
    brackets : dict, optional
        Output of :func:`connected_brackets` for the same net (any width) and X.
    method : str
        Moment method ("auto" or "quadrature"), see :mod:`nnqft.moments`.
    progress : bool
        Progress bar on stderr over the partition sums (shown from order 10 on, where they
        take seconds to a minute).

    Returns
    -------
    Correlators
        No errors; ``full(n)``, ``connected(n)`` over sorted tuples, shape (T_n,);
        ``meta["method"]`` ("closed form" or "quadrature"), ``meta["accuracy"]`` and
        ``meta["abs_error_estimate"]`` per order; ``exact`` is True only when every order is
        accurate to ``EXACT_TOLERANCE`` (1e-10) relative.

    Notes
    -----
    docs/theory.md#exact-finite-width (formula in the module docstring); valid at every width N.
    A network with d_out = n > 1 gives a :class:`nnqft.vector.VectorCorrelators` over sorted
    tuples of (input, output) pairs (:func:`nnqft.vector.exact_vector_correlators`).
    """
    if isinstance(net, Network) and net.d_out > 1:
        from .vector import exact_vector_correlators

        return exact_vector_correlators(net, X, orders, brackets=brackets, method=method)
    _validate(net)
    orders = check_orders(orders)
    X = as_inputs(X, net.d_in)
    n_x = X.shape[0]
    top = max(orders)
    n_terms = sum(len(even_partitions(n)) for n in orders)  # full from connected
    if brackets is None:
        n_terms += sum(len(even_partitions(n)) for n in orders if n > 2)
    with Progress("exact partition sums", n_terms, enabled=progress and top >= 10,
                  unit="partitions") as bar:
        if brackets is None:
            brackets = connected_brackets(net, X, orders, method=method, _bar=bar)
        conn, full = _assemble(net, orders, n_x, brackets, bar)
    return _labelled(net, X, orders, brackets, conn, full, method)


def _assemble(net, orders, n_x, brackets, bar):
    N = net.last_width
    sw, sb = net.sigma_w, net.sigma_b
    conn = {2: sb**2 + sw**2 * np.asarray(brackets[2])}
    for n in orders:
        if n > 2:
            conn[n] = sw**n * float(N) ** (1 - n / 2) * np.asarray(brackets[n])
    full = {n: partition_sum(conn, n_x, n, _counted(((1, p) for p in even_partitions(n)), bar))
            for n in orders}
    return conn, full


def accuracy_meta(net: Network, orders, brackets, conn: dict[int, np.ndarray]
                  ) -> tuple[bool, dict]:
    """``(exact, meta)`` for exact correlators ``conn`` built from ``brackets``.

    ``meta`` holds ``method`` and ``rule`` of the moments, ``abs_error_estimate`` and
    ``full_abs_error_estimate`` {n: estimated max |error| over tuples} and ``accuracy`` {n: that
    error relative to max |G_n,c|}; ``exact`` is True only when every order is accurate to
    :data:`EXACT_TOLERANCE`. Brackets without an ``accuracy`` attribute (given by the caller)
    give method "unknown" and ``exact`` False. Shared by the one-output and the vector engine
    (:func:`nnqft.vector.exact_vector_correlators`).
    """
    N = net.last_width
    sw = net.sigma_w
    acc = getattr(brackets, "accuracy", None)
    meta = {"tolerance": EXACT_TOLERANCE}
    if acc is None:
        meta.update(method="unknown (brackets or moments given without accuracy)",
                    abs_error_estimate=None, accuracy=None)
        is_exact = False
    else:
        scale = {2: sw**2}
        scale.update({n: sw**n * float(N) ** (1 - n / 2) for n in orders if n > 2})
        abs_err = {n: scale[n] * acc["abs_error"][n] + 4 * _EPS * float(np.max(np.abs(conn[n])))
                   for n in orders}
        A = {n: float(np.max(np.abs(conn[n]))) for n in orders}
        full_err = {n: partition_error_bound(n, lambda shape: 1, A, abs_err) for n in orders}
        rel = {n: abs_err[n] / A[n] if A[n] > 0 else 0.0 for n in orders}
        is_exact = all(r <= EXACT_TOLERANCE for r in rel.values())
        meta.update(method=acc["method"], rule=acc["rule"], abs_error_estimate=abs_err,
                    full_abs_error_estimate=full_err, accuracy=rel)
    return is_exact, meta


def _labelled(net, X, orders, brackets, conn, full, method) -> Correlators:
    is_exact, acc = accuracy_meta(net, orders, brackets, conn)
    meta = {"engine": "exact one-hidden-layer (docs/theory.md#exact-finite-width)",
            "moments": method, **acc}
    return Correlators(
        inputs=X,
        network=net,
        orders=orders,
        kernel=gp_kernel(net, X),
        full_values=full,
        connected_values=conn,
        exact=is_exact,
        n_networks=None,
        estimator=None,
        meta=meta,
    )


def exact_correlators_widths(net: Network, X, widths: Iterable[int],
                             orders: Iterable[int] = (2, 4, 6), *,
                             method: str = "auto") -> list[Correlators]:
    """:func:`exact_correlators` for several widths, computing the moments once."""
    br = connected_brackets(net, X, orders, method=method)
    return [exact_correlators(net.replace(width=int(w)), X, orders, brackets=br, method=method)
            for w in widths]
