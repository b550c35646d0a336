"""Exact even moments of deep ReLU networks with sigma_b = 0 at one input (Hanin-Nica).

With sigma_b = 0 and relu, the neurons of layer l + 1 are, given layer l, i.i.d.
N(0, S_l) with S_l = (sigma_w^2 / N_l) sum_j relu(z_j^(l))^2. Given S_(l-1) the pre-activations
of layer l are sqrt(S_(l-1)) xi_j with xi_j i.i.d. N(0, 1), so

    S_l = S_(l-1) (sigma_w^2 / N_l) chi^2_(B_l),     B_l ~ Binomial(N_l, 1/2)

(relu keeps the B_l positive xi's, whose squares are independent chi^2_1 variables), with all
factors independent and S_0 = sigma_w^2 |x|^2 / d. The output f = z^(L+1) is N(0, S_L) given
S_L, hence for every m

    E[f^(2m)] = (2m - 1)!! S_0^m prod_l (sigma_w^2 / N_l)^m E[(chi^2_(B_l))^m],
    E[(chi^2_k)^m] = k (k + 2) ... (k + 2m - 2),

an exact finite sum over the binomial law (done in exact integer arithmetic). For m = 2 the
per-layer factor is N(N + 5) / 4, so E[f^4] / (3 E[f^2]^2) = prod_l (1 + 5 / N_l).

Inputs on one ray (x_i = c_i u, c_i >= 0) have f(x_i) = c_i f(u) (relu is positively
homogeneous, sigma_b = 0), which gives every correlator G_n(x_i1..x_in) = prod c_i E[f(u)^n].

References
----------
Hanin, Nica, *Products of many large random matrices and gradients in deep neural networks*,
Commun. Math. Phys. 376 (2020) 287, arXiv:1812.05994; [PDLT] section 5.5.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..combinatorics import sorted_tuples
from ..correlators import Correlators, check_orders, connected_from_full
from ..kernels import gp_kernel
from ..networks import Network, as_inputs

__all__ = ["relu_moments", "relu_kurtosis", "exact_relu_correlators", "check_exact_relu"]


def check_exact_relu(net: Network, X=None) -> None:
    """Raise ValueError (one line) unless the exact deep-ReLU moments cover this case."""
    if net.activation != "relu" or net.sigma_b != 0.0:
        raise ValueError(
            "exact correlators cover one hidden layer (any activation) or deep relu with "
            f"sigma_b = 0 at inputs on one ray; got {net.activation} with depth {net.depth}, "
            f"sigma_b = {net.sigma_b:g} (use --method one-over-n or monte-carlo)")
    if net.d_out != 1 or net.weight_law != "normal":
        raise ValueError("exact deep relu moments need d_out = 1 and normal weights")
    if X is not None:
        _ray(as_inputs(X, net.d_in))


def _ray(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(c, u): X = c u with c >= 0 and |u| = 1; ValueError unless the inputs lie on one ray."""
    norms = np.linalg.norm(X, axis=1)
    ref = int(np.argmax(norms))
    if norms[ref] == 0:
        return np.zeros(len(X)), np.zeros(X.shape[1])
    u = X[ref] / norms[ref]
    c = X @ u
    if np.any(c < -1e-12 * norms[ref]) or np.any(np.abs(X - c[:, None] * u) > 1e-12 * norms[ref]):
        raise ValueError("exact deep relu moments need all inputs on one ray from the origin "
                         "(x_i = c_i u with c_i >= 0); use --method one-over-n or monte-carlo")
    return np.maximum(c, 0.0), u


def _chi2_binomial_moment(N: int, m: int) -> Fraction:
    """E[(chi^2_B)^m] with B ~ Binomial(N, 1/2), exactly."""
    total = 0
    for k in range(N + 1):
        total += math.comb(N, k) * math.prod(k + 2 * i for i in range(m))
    return Fraction(total, 2**N)


def relu_moments(net: Network, x, max_order: int = 8) -> dict[int, float]:
    """Exact E[f(x)^n] for even n <= max_order (odd moments vanish).

    Parameters
    ----------
    net : Network
        relu, sigma_b = 0, any depth and widths, d_out = 1, normal weights.
    x : array_like, shape (d_in,)
        One input.
    max_order : int
        Largest even order.

    Returns
    -------
    dict {n: E[f^n]} for n = 2, 4, ..., max_order.
    """
    check_exact_relu(net)
    x = as_inputs(x, net.d_in)
    if x.shape[0] != 1:
        raise ValueError("relu_moments takes one input")
    s0 = Fraction(net.sigma_w**2) * Fraction(float(np.sum(x * x))) / net.d_in
    sw2 = Fraction(net.sigma_w**2)
    out = {}
    for n in range(2, int(max_order) + 1, 2):
        m = n // 2
        val = Fraction(math.prod(range(1, n, 2))) * s0**m
        for N in net.widths:
            val *= (sw2 / N) ** m * _chi2_binomial_moment(N, m)
        out[n] = float(val)
    return out


def relu_kurtosis(widths) -> float:
    """E[f^4] / (3 E[f^2]^2) = prod_l (1 + 5 / N_l) for deep relu with sigma_b = 0."""
    return float(math.prod(1 + Fraction(5, int(N)) for N in widths))


def exact_relu_correlators(net: Network, X, orders=(2, 4, 6)) -> Correlators:
    """Exact correlators of a deep relu network with sigma_b = 0 at inputs on one ray.

    G_n(x_i1..x_in) = prod_k c_ik E[f(u)^n] (module docstring); connected functions by the
    moment-to-cumulant formula. Any even order, any depth and widths.
    """
    check_exact_relu(net)
    orders = check_orders(orders)
    X = as_inputs(X, net.d_in)
    c, u = _ray(X)
    n_x = X.shape[0]
    mom = relu_moments(net, u[None, :], max(orders)) if np.any(u) else {
        n: 0.0 for n in range(2, max(orders) + 1, 2)}
    full = {}
    for n in orders:
        T = sorted_tuples(n_x, n)
        full[n] = np.prod(c[T], axis=1) * mom[n]
    conn = {n: connected_from_full(full, n_x, n) for n in orders}
    return Correlators(
        inputs=X, network=net, orders=orders, kernel=gp_kernel(net, X),
        full_values=full, connected_values=conn, exact=True, n_networks=None, estimator=None,
        meta={"method": "exact deep relu, sigma_b = 0 (Hanin-Nica chi-square product)"},
    )
