"""Leading-order 1/N theory of deep MLPs: kernel, NLO kernel and four-point vertex recursions.

Network (docs/deep.md section 1): z^(1) = W^(1) x + b^(1), z^(l+1) = W^(l+1) phi(z^(l)) + b^(l+1),
W^(l+1) ~ N(0, sigma_w^2 / N_l), output f = z^(L+1). Conditioned on layer l, the neurons of layer
l + 1 are i.i.d. Gaussian with covariance

    Ghat^(l+1)_ab = sigma_b^2 + (sigma_w^2 / N_l) sum_j phi(z_j^(l)(x_a)) phi(z_j^(l)(x_b)).

The law of total covariance then gives, to leading order in 1/N (docs/deep.md section 2; [PDLT]
ch. 4), with U^(l) the four-point cumulant E[z_i z_i z_j z_j]_c (i != j) of layer l
(U^(1) = 0, delta^(1) = 0):

    K^(l+1)_ab     = sigma_b^2 + sigma_w^2 g_ab,                 g_ab = <phi_a phi_b>_K(l)
    U^(l+1)_(ab)(cd) = (sigma_w^4 / N_l) [<phi_a phi_b phi_c phi_d>_K(l) - g_ab g_cd]
                     + sigma_w^4 sum_{p in (ab), q in (cd)} dg_ab/dK_p U^(l)_pq dg_cd/dK_q
    delta^(l+1)_ab = sigma_w^2 [ sum_p dg_ab/dK_p delta^(l)_p
                                 + (1/2) sum_{p,q} d^2 g_ab / dK_p dK_q U^(l)_pq ]

where p, q run over the three entries (aa, ab, bb) of the 2 x 2 block on which g_ab depends.
The output has G2 = K^(L+1) + delta^(L+1) and G4_c(a,b,c,d) = U_(ab)(cd) + U_(ac)(bd) + U_(ad)(bc).
With equal widths N, U = V / N and delta = K1 / N in the notation of [PDLT].

References
----------
[PDLT] Roberts, Yaida, Hanin, *The Principles of Deep Learning Theory* (2022), sections 4.1-4.3
(four-point vertex and NLO metric recursions), ch. 5 (criticality).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..combinatorics import sorted_tuples, tuple_index
from ..correlators import Correlators, check_orders, full_from_connected
from ..networks import Network, as_inputs
from .gauss import DEEP_ACTIVATIONS, diag_map, four_point, pair_map

__all__ = ["DeepTheory", "deep_theory", "perturbative_correlators", "check_network"]


def check_network(net: Network) -> None:
    """Refuse networks the 1/N theory does not cover (one-line reasons)."""
    if net.activation not in DEEP_ACTIVATIONS:
        raise ValueError(f"the 1/N theory covers erf, relu and tanh networks, not "
                         f"{net.activation}-net (use --method exact for one hidden layer)")
    if net.d_out != 1:
        raise ValueError(f"the 1/N theory needs d_out = 1, got d_out = {net.d_out}")
    if net.weight_law != "normal":
        raise ValueError(f"the 1/N theory needs normal weights, not {net.weight_law!r}")


@dataclass(frozen=True)
class DeepTheory:
    """Output of :func:`deep_theory`.

    Attributes
    ----------
    kernels : list of ndarray (n, n)
        K^(1), ..., K^(L+1) (the last is the output's infinite-width kernel).
    vertices : list of ndarray (P, P)
        U^(1), ..., U^(L+1) over sorted input pairs (absolute, width factors included).
    deltas : list of ndarray (n, n)
        delta^(1), ..., delta^(L+1): the 1/N shift of the two-point function.
    pairs : ndarray (P, 2)
        Sorted pairs a <= b indexing the vertices.
    widths : tuple of int
    """

    kernels: list
    vertices: list
    deltas: list
    pairs: np.ndarray
    widths: tuple

    @property
    def n_inputs(self) -> int:
        return self.kernels[0].shape[0]

    def g4_connected(self, layer: int = -1) -> np.ndarray:
        """G4_c = U_(ab)(cd) + U_(ac)(bd) + U_(ad)(bc) over sorted 4-tuples of a layer."""
        U = self.vertices[layer]
        n = self.n_inputs
        T = sorted_tuples(n, 4)
        out = np.zeros(len(T))
        for (i, j), (k, l) in (((0, 1), (2, 3)), ((0, 2), (1, 3)), ((0, 3), (1, 2))):
            p = tuple_index(T[:, [i, j]], n)
            q = tuple_index(T[:, [k, l]], n)
            out += U[p, q]
        return out

    def two_point(self, layer: int = -1) -> np.ndarray:
        """K + delta (the two-point function to first order in 1/N) at a layer, (n, n)."""
        return self.kernels[layer] + self.deltas[layer]


def _pair_data(activation, K, pairs):
    """g, gradient (P, 3), Hessian (P, 3, 3) of every pair; coincident points use diag_map."""
    a, b = pairs[:, 0], pairs[:, 1]
    g, grad, hess = pair_map(activation, K[a, a], K[a, b], K[b, b])
    same = a == b
    if np.any(same):
        gd, g1, g2 = diag_map(activation, K[a[same], a[same]])
        g = g.copy()
        g[same] = gd
        grad = grad.copy()
        hess = hess.copy()
        grad[same] = 0.0
        grad[same, 0] = g1
        hess[same] = 0.0
        hess[same, 0, 0] = g2
    return g, grad, hess


def deep_theory(net: Network, X) -> DeepTheory:
    """Run the kernel, NLO-kernel and vertex recursions through all layers of ``net``.

    Parameters
    ----------
    net : Network
        erf, relu or tanh; any depth, widths, sigma_w, sigma_b, d_in; d_out = 1, normal weights.
    X : array_like, shape (n_inputs, d_in)

    Returns
    -------
    DeepTheory
    """
    check_network(net)
    X = as_inputs(X, net.d_in)
    n = X.shape[0]
    sw2, sb2 = net.sigma_w**2, net.sigma_b**2
    pairs = sorted_tuples(n, 2)
    P = len(pairs)
    pidx = np.zeros((n, n), dtype=np.int64)
    pidx[pairs[:, 0], pairs[:, 1]] = np.arange(P)
    pidx[pairs[:, 1], pairs[:, 0]] = np.arange(P)
    # the three block entries (aa, ab, bb) of each pair, as pair indices
    blk = np.stack([pidx[pairs[:, 0], pairs[:, 0]], np.arange(P),
                    pidx[pairs[:, 1], pairs[:, 1]]], axis=1)
    T4 = sorted_tuples(n, 4)
    # (ab, cd) -> sorted 4-tuple position
    quad = tuple_index(np.concatenate([np.broadcast_to(pairs[:, None, :], (P, P, 2)),
                                       np.broadcast_to(pairs[None, :, :], (P, P, 2))],
                                      axis=-1).reshape(-1, 4), n).reshape(P, P)
    K = net.pre_activation_cov(X)
    U = np.zeros((P, P))
    delta = np.zeros((n, n))
    kernels, vertices, deltas = [K], [U], [delta]
    for l in range(net.depth):
        N_l = net.widths[l]
        g, grad, hess = _pair_data(net.activation, K, pairs)
        # four-point term
        F4 = four_point(net.activation, K, T4)
        U_new = (sw2**2 / N_l) * (F4[quad] - g[:, None] * g[None, :])
        # propagated vertex: D U D^T with D[ab, p] = dg_ab / dK_p
        D = np.zeros((P, P))
        np.add.at(D, (np.repeat(np.arange(P), 3), blk.ravel()), grad.ravel())
        if np.any(U):
            U_new = U_new + sw2**2 * (D @ U @ D.T)
        # NLO kernel
        dvec = delta[pairs[:, 0], pairs[:, 1]]
        Ublk = U[blk[:, :, None], blk[:, None, :]]
        dnew = sw2 * (D @ dvec + 0.5 * np.einsum("pij,pij->p", hess, Ublk))
        K_new = np.empty((n, n))
        K_new[pairs[:, 0], pairs[:, 1]] = sb2 + sw2 * g
        K_new[pairs[:, 1], pairs[:, 0]] = sb2 + sw2 * g
        delta = np.empty((n, n))
        delta[pairs[:, 0], pairs[:, 1]] = dnew
        delta[pairs[:, 1], pairs[:, 0]] = dnew
        K, U = K_new, 0.5 * (U_new + U_new.T)
        kernels.append(K)
        vertices.append(U)
        deltas.append(delta)
    return DeepTheory(kernels, vertices, deltas, pairs, tuple(net.widths))


def perturbative_correlators(net: Network, X, orders=(2, 4)) -> Correlators:
    """Two- and four-point functions of a deep network from the leading-order 1/N theory.

    Parameters
    ----------
    net : Network
        erf, relu or tanh MLP of any depth (``net.depth`` hidden layers), d_out = 1, normal
        weights; per-layer widths allowed.
    X : array_like, shape (n_inputs, d_in)
    orders : iterable of int
        Subset of (2, 4); order 6 is O(1/N^2) and not part of the leading-order theory.

    Returns
    -------
    Correlators
        ``full(2)`` = K + K1/N, ``connected(4)`` = G4_c at leading order, ``full(4)`` from them;
        no error bars (``exact`` is False: the result is truncated at O(1/N^2) for G2 and G4_c);
        ``meta["method"] = "one_over_n"``. At depth 1 the two-point function is exact and G4_c
        equals :func:`nnqft.exact_correlators` (the recursion's single term is the exact
        one-layer formula); ``meta["one_layer_check"]`` then records the largest difference to
        the exact engine (built-in check).
    """
    orders = check_orders(orders)
    if max(orders) > 4:
        raise ValueError("the 1/N theory gives orders 2 and 4 only (G6_c is O(1/N^2)); "
                         "use --order 2 or 4")
    X = as_inputs(X, net.d_in)
    th = deep_theory(net, X)
    n = X.shape[0]
    T2 = sorted_tuples(n, 2)
    g2 = th.two_point()[T2[:, 0], T2[:, 1]]
    conn = {2: g2}
    if 4 in orders:
        conn[4] = th.g4_connected()
    full = {k: full_from_connected(conn, n, k) for k in orders}
    N = net.last_width
    K_out = th.kernels[-1]
    meta = {"method": "one_over_n",
            "truncation": "leading order: G2 = K + K1/N, G4_c = O(1/N); errors O(1/N^2)",
            "K1": (N * th.deltas[-1]).tolist(), "width": N}
    if net.depth == 1 and 4 in orders:
        # built-in check: one hidden layer is exact; compare with the exact engine
        from ..exact import exact_correlators

        ex = exact_correlators(net, X, orders=(2, 4))
        scale = max(float(np.max(np.abs(ex.connected(4)))), 1e-300)
        meta["one_layer_check"] = {
            "max_rel_diff_G4c": float(np.max(np.abs(conn[4] - ex.connected(4))) / scale),
            "max_abs_diff_G2": float(np.max(np.abs(conn[2] - ex.connected(2))))}
    return Correlators(
        inputs=X, network=net, orders=orders, kernel=K_out,
        full_values=full, connected_values={k: conn[k] for k in orders},
        exact=False, n_networks=None, estimator=None, meta=meta,
    )
