"""Multi-output networks as O(n) fields: (input, output) points and their correlators.

A network with n outputs, f_a(x) = b1_a + sum_j W1_aj h_j(x) with i.i.d. output rows W1_a and
biases b1_a, is an n-component field. Its law is invariant under f -> R f for R in O(n) when the
last-layer weights are normal (rotating the output rows leaves their joint law unchanged); for
other laws only under signed permutations of the outputs. Correlators carry output indices
(docs/vector.md):

    G2[(x, a), (y, b)] = delta_ab K(x, y).

**Points.** A point is a pair (input i, output a); it is stored as the combined index
p = i * n + a, so that sorted tuples of points are exactly the lexicographically sorted tuples of
(input, output) pairs and the scalar machinery (sorted tuples, :func:`nnqft.correlators.partition_sum`,
the moment-cumulant maps, :class:`nnqft.accumulate.MomentSums`) works unchanged on n_inputs * n
points.

**Exact, one hidden layer.** f - b1 = sum_j u_j is a sum of N i.i.d. vectors
u_j = (W1_aj h_j(x))_(x, a), so the joint cumulants of f are N times those of one term. A
moment of one term over points (x_1, a_1)..(x_k, a_k) factorises,
E[prod_i w_ai h(x_i)] = s^k E_out(a) C_k(x), with s^2 = sigma_w^2 / N, C_k the single-neuron
moments and E_out(a) = prod over distinct output values of e_m (m their multiplicity;
e_m = E[w^m] / E[w^2]^(m/2), zero for odd m). Hence, for every even order n >= 4,

    G_n,c = sigma_w^n N^(1 - n/2) B_n,
    B_n = sum over set partitions rho of the n points into even blocks
          (-1)^(|rho|-1) (|rho|-1)! prod_{R in rho} E_out(a_R) C_|R|(x_R).

For a normal law E_out(a_R) is the number of perfect matchings of R that pair equal outputs,
so B_4 = sum_3 delta delta [C4 - C2 C2] (the deltas of a pairing times the joint cumulant of
the Kh on the paired inputs); a non-normal law adds its diagonal terms, e.g.
c4 delta_abcd C4 at order 4 (e4 = 3 + c4 on a block with four equal outputs). With one
output this is the formula of :mod:`nnqft.exact`.

**Monte Carlo.** The raw estimator accumulates products over the flattened points. The
conditional one integrates out the output layer: given the last hidden layer, f is Gaussian with
covariance delta_ab Kh(x, y), so the connected 2k-point function is the sum over perfect
matchings of the points of the product of output deltas times the joint k-th cumulant of the Kh
entries on the paired inputs (:func:`matching_terms`).

References
----------
[HMS] Halverson, Maiti, Stoner, arXiv:2008.08601 (one-output correlators).
[PDLT] Roberts, Yaida, Hanin, The Principles of Deep Learning Theory, arXiv:2106.10165
(output-index delta structure of the finite-width corrections).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from .combinatorics import even_partitions, perfect_matchings, sorted_tuples, tuple_index
from .correlators import (
    Correlators,
    check_orders,
    full_from_connected,
    partition_sum,
    symmetric_tensor,
    wick_sum,
)
from .kernels import gp_kernel
from .networks import Network, as_inputs

__all__ = [
    "VectorCorrelators",
    "point_index",
    "point_pairs",
    "point_kernel",
    "output_moment_factor",
    "matching_terms",
    "flatten_outputs",
    "vector_brackets",
    "exact_vector_correlators",
    "perturbative_vector_correlators",
    "rotate_outputs",
    "check_points",
    "check_point_tuples",
    "MAX_POINT_TUPLES",
]


#: Largest number of sorted tuples of (input, output) points an order may have (index tables
#: of this many entries per matching or partition block, ~40 MB each).
MAX_POINT_TUPLES = 5_000_000


def check_point_tuples(n_points: int, order: int) -> int:
    """Refuse an order whose sorted tuples of points are too many to tabulate (one line)."""
    T = math.comb(n_points + order - 1, order)
    if T > MAX_POINT_TUPLES:
        raise ValueError(
            f"order {order} on {n_points} (input, output) points has {T} sorted tuples (limit "
            f"{MAX_POINT_TUPLES}); use fewer inputs or outputs, or the O(n) pairing amplitudes "
            "(nnqft.eft.on.exact_pairing_amplitudes), which do not depend on n")
    return T


# ---------------------------------------------------------------------------- points
def point_index(inputs, outputs, n_out: int) -> np.ndarray:
    """Combined index p = input * n_out + output of (input, output) pairs."""
    return np.asarray(inputs, dtype=np.int64) * n_out + np.asarray(outputs, dtype=np.int64)


def point_pairs(points: np.ndarray, n_out: int) -> np.ndarray:
    """(input, output) pairs of combined point indices: shape points.shape + (2,)."""
    p = np.asarray(points, dtype=np.int64)
    return np.stack([p // n_out, p % n_out], axis=-1)


def check_points(pairs, n_inputs: int, n_out: int) -> np.ndarray:
    """Validate (input, output) pairs (shape (..., 2)) and return combined indices.

    Raises ``ValueError`` naming the first index out of range.
    """
    a = np.asarray(pairs)
    if a.ndim < 1 or a.shape[-1] != 2 or not np.issubdtype(a.dtype, np.integer):
        raise ValueError("points must be integer [input_index, output_index] pairs")
    i, o = a[..., 0], a[..., 1]
    if np.any((i < 0) | (i >= n_inputs)):
        raise ValueError(f"input index out of range 0..{n_inputs - 1}: {int(i[(i < 0) | (i >= n_inputs)][0])}")
    if np.any((o < 0) | (o >= n_out)):
        raise ValueError(f"output index out of range 0..{n_out - 1}: {int(o[(o < 0) | (o >= n_out)][0])}")
    return point_index(i, o, n_out)


def point_kernel(K: np.ndarray, n_out: int) -> np.ndarray:
    """delta_ab K(x, y) on the combined points: kron(K, I_n)."""
    return np.kron(np.asarray(K, dtype=np.float64), np.eye(n_out))


def flatten_outputs(f: np.ndarray) -> np.ndarray:
    """Samples (m, n_inputs, n) -> (m, n_inputs * n) in combined point order; 2-d unchanged."""
    f = np.asarray(f)
    return f.reshape(f.shape[0], -1) if f.ndim == 3 else f


# ---------------------------------------------------------------------------- output factors
def output_moment_factor(outs: np.ndarray, n_out: int, e: dict[int, float]) -> np.ndarray:
    """E_out = prod over output values of e_m (m = multiplicity in each row of ``outs``).

    ``e`` maps even m to the standardised moment e_m of the last-layer law (e_0 = 1; odd m
    give 0).
    """
    outs = np.asarray(outs, dtype=np.int64)
    k = outs.shape[-1]
    table = np.zeros(k + 1)
    table[0] = 1.0
    for m in range(2, k + 1, 2):
        table[m] = e[m]
    counts = np.stack([(outs == a).sum(axis=-1) for a in range(n_out)], axis=-1)
    return np.prod(table[counts], axis=-1)


@lru_cache(maxsize=64)
def _moment_layout(n_inputs: int, n_out: int, k: int):
    """For sorted k-tuples of points: index of the input tuple among sorted input k-tuples and
    the output indices (cached, read-only)."""
    T = sorted_tuples(n_inputs * n_out, k)
    idx = tuple_index(T // n_out, n_inputs)
    outs = T % n_out
    idx.setflags(write=False)
    outs.setflags(write=False)
    return idx, outs


def _point_moments(C: dict[int, np.ndarray], n_inputs: int, n_out: int,
                   e: dict[int, float]) -> dict[int, np.ndarray]:
    """M_k(p) = E_out(a) C_k(x) over sorted k-tuples of points, for every k in C."""
    out = {}
    for k, Ck in C.items():
        idx, outs = _moment_layout(n_inputs, n_out, k)
        out[k] = output_moment_factor(outs, n_out, e) * np.asarray(Ck, dtype=np.float64)[idx]
    return out


@lru_cache(maxsize=64)
def matching_terms(n_inputs: int, n_out: int, n: int) -> tuple[tuple[np.ndarray, np.ndarray | None], ...]:
    """Per perfect matching of n points: (position of its input pairs among the sorted
    (n/2)-tuples of sorted input pairs, output-delta mask or None) for every sorted n-tuple of
    points (cached, read-only).

    The conditional estimator's connected function is
    sum over matchings of mask * kappa_{n/2}(Kh pairs)[position].
    """
    check_point_tuples(n_inputs * n_out, n)
    T = sorted_tuples(n_inputs * n_out, n)
    I, O = T // n_out, T % n_out
    P = n_inputs * (n_inputs + 1) // 2
    out = []
    for matching in perfect_matchings(n):
        pair_idx = np.stack([tuple_index(I[:, [a, b]], n_inputs) for a, b in matching], axis=1)
        idx = tuple_index(pair_idx, P)
        idx.setflags(write=False)
        mask = None
        if n_out > 1:
            mask = np.ones(len(T), dtype=bool)
            for a, b in matching:
                mask &= O[:, a] == O[:, b]
            mask = mask.astype(np.float64)
            mask.setflags(write=False)
        out.append((idx, mask))
    return tuple(out)


# ---------------------------------------------------------------------------- result type
class VectorCorrelators(Correlators):
    """Correlators of an n-output network over sorted tuples of (input, output) points.

    Values are stored over sorted tuples of combined points p = input * n + output
    (:meth:`point_tuples`); :meth:`tuples` gives the same tuples as [input, output] pairs,
    shape (T, order, 2). :meth:`tensor` is the full symmetric array over the n_inputs * n
    points (``split=True``: shape (n_inputs, n) * order). ``kernel`` is the input kernel K; the
    free two-point function is delta_ab K.
    """

    @property
    def outputs(self) -> int:
        return self.network.d_out

    @property
    def n_points(self) -> int:
        return self.n_inputs * self.outputs

    def point_tuples(self, n: int) -> np.ndarray:
        """Sorted tuples of combined point indices, shape (T, n)."""
        return sorted_tuples(self.n_points, n)

    def tuples(self, n: int) -> np.ndarray:
        """Sorted tuples of (input, output) pairs, shape (T, n, 2)."""
        return point_pairs(self.point_tuples(n), self.outputs)

    def gp(self, n: int) -> np.ndarray:
        """Free (Wick) value with propagator delta_ab K."""
        return wick_sum(point_kernel(self.kernel, self.outputs), self.point_tuples(n))

    def deviation(self, n: int) -> np.ndarray:
        """m_n = |G - G_GP| / G_GP per tuple; NaN where G_GP = 0 (odd output multiplicities)."""
        gp = self.gp(n)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(gp != 0, np.abs(self.full(n) - gp) / np.where(gp != 0, gp, 1.0),
                            np.nan)

    def tensor(self, kind: str, n: int, split: bool = False) -> np.ndarray:
        """Full symmetric array of "full", "connected", "gp" or "deviation" over the points.

        Shape (n_inputs * n_out,) * n with p = input * n_out + output, or with ``split``
        (n_inputs, n_out) * n (index order input_1, output_1, input_2, output_2, ...).
        """
        getters = {"full": self.full, "connected": self.connected, "gp": self.gp,
                   "deviation": self.deviation}
        if kind not in getters:
            raise ValueError(f"kind must be one of {sorted(getters)}, got {kind!r}")
        t = symmetric_tensor(getters[kind](n), self.n_points, n)
        return t.reshape((self.n_inputs, self.outputs) * n) if split else t

    def value(self, kind: str, points) -> float:
        """One entry of "full" or "connected" at a list of [input, output] pairs."""
        p = check_points(np.asarray(points), self.n_inputs, self.outputs)
        n = len(p)
        self._check(n)
        get = {"full": self.full, "connected": self.connected}[kind]
        return float(get(n)[tuple_index(p[None, :], self.n_points)[0]])

    _tuple_entry_dims = ("pair",)

    def to_dataset(self):
        """The one-output Dataset with [input, output] pairs as tuple entries (``pair`` dim)."""
        ds = super().to_dataset()
        ds.attrs["outputs"] = int(self.outputs)
        ds.attrs["convention"] = (
            "G^(n)[(x_1,a_1)..(x_n,a_n)] = E[f_a1(x_1)...f_an(x_n)] over sorted tuples of "
            "(input, output) pairs; connected = joint cumulants; errors are standard errors "
            "over batches")
        return ds


def make_correlators(**kw) -> Correlators:
    """A :class:`Correlators` (one output) or :class:`VectorCorrelators` (n > 1)."""
    cls = VectorCorrelators if kw["network"].d_out > 1 else Correlators
    return cls(**kw)


# ---------------------------------------------------------------------------- exact
def vector_brackets(net: Network, X, orders: Iterable[int] = (2, 4, 6), *,
                    moments: dict[int, np.ndarray] | None = None,
                    method: str = "auto") -> dict[int, np.ndarray]:
    """Width-independent brackets B_n over sorted tuples of points (module docstring).

    G_n,c = sigma_w^n N^(1 - n/2) B_n (n >= 4); B_2 = delta_ab C_2. One hidden layer, any
    number of outputs, normal law at any order and non-normal laws at orders <= 6.
    """
    from .exact import Brackets, partition_error_bound, weight_law_moments
    from .moments import moment_table_with_accuracy

    if net.depth != 1:
        raise ValueError("exact correlators need one hidden layer (depth 1); use Monte Carlo "
                         "(--networks M, or estimate_correlators in Python)")
    orders = check_orders(orders)
    X = as_inputs(X, net.d_in)
    n_x, n_out = X.shape[0], net.d_out
    check_point_tuples(n_x * n_out, max(orders))
    e = weight_law_moments(net.weight_law, max(orders))
    info = None
    if moments is None:
        moments, info = moment_table_with_accuracy(net, X, orders, method=method)
    M = _point_moments({k: moments[k] for k in orders}, n_x, n_out, e)
    P = n_x * n_out
    out = Brackets({2: M[2]})

    def coef(shape):
        return (-1) ** (len(shape) - 1) * math.factorial(len(shape) - 1)

    for n in orders:
        if n == 2:
            continue
        out[n] = partition_sum(M, P, n, ((coef(p), p) for p in even_partitions(n)))
    if info is not None:  # the moments' error bound, carried through the output factors
        F = {k: float(np.max(np.abs(output_moment_factor(_moment_layout(n_x, n_out, k)[1],
                                                          n_out, e)))) for k in orders}
        A = {k: float(np.max(np.abs(M[k]))) for k in orders}
        D = {k: F[k] * info["abs_error"][k] for k in orders}
        err = {2: D[2]}
        err.update({n: partition_error_bound(n, coef, A, D) for n in orders if n > 2})
        out.accuracy = {**info, "abs_error": err}
    return out


def exact_vector_correlators(net: Network, X, orders: Iterable[int] = (2, 4, 6), *,
                             brackets: dict[int, np.ndarray] | None = None,
                             method: str = "auto") -> VectorCorrelators:
    """Exact finite-width correlators of a one-hidden-layer network with n >= 1 outputs.

    Values over sorted tuples of (input, output) points; see the module docstring for the
    formula. For n = 1 use :func:`nnqft.exact.exact_correlators` (which this equals to
    rounding). Labelled as there (:func:`nnqft.exact.accuracy_meta`): ``meta["method"]``,
    ``"rule"``, ``"abs_error_estimate"``, ``"accuracy"`` per order; ``exact`` is True only
    when every order is accurate to 1e-10 relative (not for most quadratures, e.g. erf).
    """
    from .exact import accuracy_meta

    orders = check_orders(orders)
    X = as_inputs(X, net.d_in)
    if brackets is None:
        brackets = vector_brackets(net, X, orders, method=method)
    N = net.last_width
    sw, sb = net.sigma_w, net.sigma_b
    n_out = net.d_out
    P = X.shape[0] * n_out
    diag2 = point_kernel(np.ones((X.shape[0], X.shape[0])), n_out)
    T2 = sorted_tuples(P, 2)
    conn = {2: sb**2 * diag2[T2[:, 0], T2[:, 1]] + sw**2 * np.asarray(brackets[2])}
    for n in orders:
        if n > 2:
            conn[n] = sw**n * float(N) ** (1 - n / 2) * np.asarray(brackets[n])
    full = {n: full_from_connected(conn, P, n) for n in orders}
    is_exact, acc = accuracy_meta(net, orders, brackets, conn)
    return VectorCorrelators(
        inputs=X, network=net, orders=orders, kernel=gp_kernel(net, X), full_values=full,
        connected_values=conn, exact=is_exact, n_networks=None, estimator=None,
        meta={"engine": f"exact one-hidden-layer, {n_out} outputs (docs/vector.md)",
              "moments": method, **acc},
    )


def perturbative_vector_correlators(net: Network, X, orders: Iterable[int] = (2, 4)
                                    ) -> VectorCorrelators:
    """Leading-order 1/N theory ([PDLT]) of a deep network with n outputs.

    The output rows are i.i.d., so the delta structure is the one of the last layer at every
    depth: G2 = delta_ab (K + delta K) and G4_c = sum over the three pairings of
    d d U_(pair)(pair), with U the output-layer four-point vertex of
    :func:`nnqft.deep.theory.deep_theory` (its one-output sum over pairings is
    :func:`nnqft.perturbative_correlators`). Errors O(1/N^2) as there; exact at depth 1.
    """
    from .deep.theory import deep_theory

    orders = check_orders(orders)
    if max(orders) > 4:
        raise ValueError("the 1/N theory gives orders 2 and 4 only (G6_c is O(1/N^2))")
    X = as_inputs(X, net.d_in)
    n_x, n_out = X.shape[0], net.d_out
    th = deep_theory(net.replace(outputs=1), X)
    P = n_x * n_out
    Tp = sorted_tuples(n_x, 2)
    g2 = th.two_point()[Tp[:, 0], Tp[:, 1]]
    idx, mask = matching_terms(n_x, n_out, 2)[0]
    conn = {2: g2[idx] if mask is None else mask * g2[idx]}
    if 4 in orders:
        U = th.vertices[-1]
        Q = sorted_tuples(len(Tp), 2)
        Us = U[Q[:, 0], Q[:, 1]]
        val = np.zeros(len(sorted_tuples(P, 4)))
        for idx, mask in matching_terms(n_x, n_out, 4):
            val += Us[idx] if mask is None else mask * Us[idx]
        conn[4] = val
    full = {k: full_from_connected(conn, P, k) for k in orders}
    return VectorCorrelators(
        inputs=X, network=net, orders=orders, kernel=th.kernels[-1], full_values=full,
        connected_values={k: conn[k] for k in orders}, exact=False, n_networks=None,
        estimator=None,
        meta={"method": "one_over_n",
              "truncation": "leading order: G2 = K + K1/N, G4_c = O(1/N); errors O(1/N^2)",
              "width": net.last_width},
    )


# ---------------------------------------------------------------------------- O(n)
def rotate_outputs(tensor: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Apply R (n x n) to every output index of a split tensor of shape (n_x, n) * order."""
    t = np.asarray(tensor)
    order = t.ndim // 2
    for s in range(order):
        t = np.moveaxis(np.tensordot(R, t, axes=([1], [2 * s + 1])), 0, 2 * s + 1)
    return t
