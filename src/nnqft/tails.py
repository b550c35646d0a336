"""Predicted reliability of a Monte Carlo error bar, from exact single-neuron moments.

A diagnostic that looks only at the sample cannot see the rare networks that are absent from
it (Gauss-net at sigma_b = 1: at 10^3 networks the conditional estimate of G4_c is often 0.6x
to 0.8x the exact value with a quiet sample diagnostic). For one hidden layer the law of every
per-network summand is known exactly through the single-neuron moments C_m
(:mod:`nnqft.moments`), so the estimator's variance and the reliability of its error bar can be
predicted before sampling (docs/architecture.md, "Heavy tails").

Set-up. At a diagonal tuple (x_i, ..., x_i) of order n = 2k write Y = Kh(x_i, x_i) - K(x_i, x_i)
= (1/N) sum_j u_j with u = sigma_w^2 (h(x_i)^2 - C_2(x_i, x_i)), a mean of N i.i.d. centred
terms. Its raw moments E[u^m] = sigma_w^(2m) sum_s binom(m, s) C_2s (-C_2)^(m-s) need C_2s at
one point, and the cumulants of the mean are kappa_m(Y) = N^(1-m) kappa_m(u).

- conditional estimator: G_n,c(x_i..x_i) = (n-1)!! kappa_k(Y) and the estimator is (n-1)!!
  times the plug-in k-th cumulant of the M samples of Y;
- raw estimator: G_n,c(x_i..x_i) = kappa_n(f) of the output f, given Kh a centred normal, so
  E[f^2m] = (2m-1)!! E[Kh^m] with Kh = K + Y.

The plug-in k-th cumulant of M i.i.d. samples of a variable with moment generating function
M(t) has the influence function (the derivative of log E[e^(tY)] along a point mass at y)
psi_k(y) = d^k/dt^k [e^(ty) / M(t)] at t = 0 = sum_j binom(k, j) R_j y^(k-j), with R_j the
Taylor coefficients of 1/M(t) (R_0 = 1, R_m = -sum_(j<m) binom(m, j) mu_(m-j) R_j). E[psi] = 0;
Var(estimate) = E[psi^2] / M to leading order, and the error bar is the square root of a sample
mean of psi^2, whose own relative spread is sqrt((kurt - 1) / M) with kurt = E[psi^4] /
E[psi^2]^2. So E[psi^2] needs the moments of Y up to order 2k (single-neuron moments up to
order 4k = 2n) and kurt up to 4k (single-neuron moments up to order 4n: 16 for G4_c). These are
as exact as the fourth moments (closed forms for gauss and cos, quadrature otherwise).

The check. ``predicted_ess = M / kurt`` is Kish's effective sample size of the squared summands
psi^2 (the weights that make up the variance): when it is small, the variance (and the value)
is carried by networks so rare that a sample of M typically misses them, and then the estimate
is typically too small and its error bar too small as well. The check fires when the relative
spread of the estimated variance, sqrt((kurt - 1) / M), exceeds :data:`KURTOSIS_RATIO_LIMIT`
= 10 (predicted_ess below about 0.01), at the worst input. Measured kurt (order 4 / order 6,
conditional): Erf-net N = 1000 on the [HMS] inputs 15 / 93, Gauss-net sigma_b = 0.3 N = 1000
16 / 106, ReLU-net N = 3 229 / 3.5e3; Gauss-net sigma_b = 1 N = 1000 6e24 / 4e59, so it fires
at any feasible M. The raw estimator's summands are polynomials of degree n in the output and
have large kurtosis even for light tails (640 at order 4 and 3.5e4 at order 6 for Erf-net at
N = 1000): the check then asks for a few hundred networks at order 6.
"""

from __future__ import annotations

import math

import numpy as np

from .networks import Network, as_inputs

__all__ = ["predict_tail_check", "cumulant_influence", "iid_mean_moments",
           "KURTOSIS_RATIO_LIMIT"]

#: The check fires when sqrt((kurt - 1) / M), the relative standard deviation of the estimated
#: variance of the per-network terms, exceeds this, i.e. when M < (kurt - 1) / 100. Set in the
#: gap between the cases that the Monte Carlo tests verify by z-scores (largest
#: (kurt - 1) / M = 41: Gauss-net at sigma_b = 0.3, N = 3, order 6, 40000 networks) and
#: Gauss-net at sigma_b = 1 ((kurt - 1) / M > 10^18 at 10^6 networks).
KURTOSIS_RATIO_LIMIT = 10.0


def _moments_to_cumulants(mu: np.ndarray) -> np.ndarray:
    """Univariate cumulants kappa_1..kappa_K from raw moments mu_0..mu_K (mu_0 = 1)."""
    K = len(mu) - 1
    kap = np.zeros(K + 1)
    for n in range(1, K + 1):
        kap[n] = mu[n] - sum(math.comb(n - 1, m - 1) * kap[m] * mu[n - m] for m in range(1, n))
    return kap


def _cumulants_to_moments(kap: np.ndarray) -> np.ndarray:
    K = len(kap) - 1
    mu = np.zeros(K + 1)
    mu[0] = 1.0
    for n in range(1, K + 1):
        mu[n] = sum(math.comb(n - 1, m - 1) * kap[m] * mu[n - m] for m in range(1, n + 1))
    return mu


def iid_mean_moments(mu_u: np.ndarray, N: int) -> np.ndarray:
    """Raw moments of the mean of N i.i.d. copies of u from the raw moments of u.

    kappa_m(mean) = N^(1-m) kappa_m(u); exact at every N.
    """
    kap = _moments_to_cumulants(np.asarray(mu_u, dtype=np.float64))
    m = np.arange(len(kap))
    return _cumulants_to_moments(kap * float(N) ** (1.0 - m))


def cumulant_influence(mu: np.ndarray, k: int) -> np.ndarray:
    """Coefficients c_0..c_k of the influence function psi_k(y) = sum_p c_p y^p of the
    plug-in k-th cumulant, given raw moments mu_0..mu_k of the variable."""
    R = np.zeros(k + 1)
    R[0] = 1.0
    for m in range(1, k + 1):
        R[m] = -sum(math.comb(m, j) * mu[m - j] * R[j] for j in range(m))
    c = np.zeros(k + 1)
    for j in range(k + 1):
        c[k - j] = math.comb(k, j) * R[j]
    return c


def _expect(poly: np.ndarray, mu: np.ndarray) -> float:
    return float(np.dot(poly, mu[: len(poly)]))


def _psi_stats(mu: np.ndarray, k: int) -> tuple[float, float, float]:
    """(kappa_k, E[psi^2], E[psi^4]) of the plug-in k-th cumulant from raw moments up to 4k."""
    psi = cumulant_influence(mu, k)
    psi2 = np.convolve(psi, psi)
    psi4 = np.convolve(psi2, psi2)
    kap = _moments_to_cumulants(mu[: k + 1])[k]
    return kap, _expect(psi2, mu), _expect(psi4, mu)


def _double_factorial(n: int) -> float:
    return float(math.prod(range(n - 1, 0, -2))) if n > 0 else 1.0


def predict_tail_check(net: Network, X, order: int, estimator: str, n_networks: int,
                       ) -> dict | None:
    """Predict the standard error of G_order,c and the reliability of its error bar.

    Parameters
    ----------
    net : Network
        One hidden layer, d_out = 1, normal last layer (else None is returned: no prediction).
    X : array_like
        Inputs; the prediction is made at each diagonal tuple (x_i, ..., x_i) and the worst
        input is reported.
    order : int
        Correlator order n (even, >= 4).
    estimator : {"conditional", "raw"}
    n_networks : int
        Requested number of networks M.

    Returns
    -------
    dict or None
        ``fired``, ``reasons``, ``order``, ``worst_input`` (index), ``kurtosis`` (of the
        per-network summand at the worst input; inf when it overflows), ``predicted_ess``
        (M / kurtosis), ``error_of_variance`` (sqrt((kurtosis - 1) / M)),
        ``predicted_rel_error`` (largest predicted standard error over the diagonal tuples
        divided by the largest |G_n,c| there), ``networks_needed`` (the M at which the check
        would be quiet); per input i, at the tuple (x_i, ..., x_i): ``diagonal_values`` (the
        exact G_n,c), ``diagonal_errors`` (predicted standard errors at M networks) and
        ``diagonal_kurtosis``.
    """
    from .moments import single_neuron_moment_table

    if (net.depth != 1 or net.d_out != 1 or net.weight_law != "normal" or order < 4
            or estimator not in ("conditional", "raw")):
        return None
    X = as_inputs(X, net.d_in)
    k = order // 2
    top_y = 4 * k if estimator == "conditional" else 2 * order  # moments of Y needed
    orders_h = list(range(2, 2 * top_y + 1, 2))
    N, sw2 = net.last_width, net.sigma_w**2
    method = "quadrature" if net.activation == "cos" and 2 * top_y > 12 else "auto"
    worst = None
    scale = max_se = 0.0
    values, errors, kurts = [], [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(X.shape[0]):
            C = single_neuron_moment_table(net, X[i : i + 1], orders_h, method=method)
            c = {0: 1.0, **{m: float(C[m][0]) for m in orders_h}}
            c2 = c[2]
            mu_u = np.array([sw2**m * sum(math.comb(m, s) * c[2 * s] * (-c2) ** (m - s)
                                          for s in range(m + 1)) for m in range(top_y + 1)])
            mu_y = iid_mean_moments(mu_u, N)
            if estimator == "conditional":
                kap, v2, v4 = _psi_stats(mu_y, k)
                value = _double_factorial(order) * kap
                v2 *= _double_factorial(order) ** 2
                v4 *= _double_factorial(order) ** 4
            else:
                K = net.sigma_b**2 + sw2 * c2
                mkh = np.array([sum(math.comb(m, j) * K ** (m - j) * mu_y[j] for j in range(m + 1))
                                for m in range(top_y + 1)])
                mu_f = np.zeros(4 * order + 1)
                for m in range(len(mkh)):
                    mu_f[2 * m] = _double_factorial(2 * m) * mkh[m]
                value, v2, v4 = _psi_stats(mu_f, order)
            if not (np.isfinite(v2) and np.isfinite(v4)):
                kurt = float("inf")  # overflow: moments beyond float64, the tails win
            elif v2 <= 0.0:
                kurt = 1.0  # the per-network term is zero there (e.g. relu, sigma_b = 0, x = 0)
            else:
                kurt = v4 / v2**2 if np.isfinite(v4 / v2**2) else float("inf")
            se = math.sqrt(max(v2, 0.0) / n_networks) if np.isfinite(v2) else float("inf")
            scale = max(scale, abs(value)) if np.isfinite(value) else float("inf")
            max_se = max(max_se, se)
            values.append(float(value))
            errors.append(se)
            kurts.append(float(kurt))
            if worst is None or kurt > worst["kurtosis"]:
                worst = {"worst_input": i, "kurtosis": float(kurt)}
    kurt = worst["kurtosis"]
    rel = max_se / scale if scale > 0 else float("inf")
    M = int(n_networks)
    err_var = math.sqrt(max(kurt - 1.0, 0.0) / M) if math.isfinite(kurt) else float("inf")
    fired = not err_var <= KURTOSIS_RATIO_LIMIT
    reasons = []
    if fired:
        n_need = (kurt - 1.0) / KURTOSIS_RATIO_LIMIT**2
        need = ("more networks than can be sampled" if not math.isfinite(n_need) or n_need > 1e12
                else f"at least {n_need:.2g} networks")
        reasons.append(
            f"predicted from exact moments: the per-network terms of G{order}_c have kurtosis "
            f"{kurt:.3g}, an effective sample size of {M / kurt:.2g} at {M} networks; the "
            f"error bar (and the value) would miss rare networks; a reliable error bar needs "
            f"{need}"
        )
    return {
        "fired": fired,
        "reasons": reasons,
        "order": int(order),
        "estimator": estimator,
        "worst_input": int(worst["worst_input"]),
        "kurtosis": kurt,
        "predicted_ess": M / kurt if kurt > 0 else float("inf"),
        "error_of_variance": err_var,
        "predicted_rel_error": rel,
        "diagonal_values": values,
        "diagonal_errors": errors,
        "diagonal_kurtosis": kurts,
        "networks_needed": (kurt - 1.0) / KURTOSIS_RATIO_LIMIT**2 if math.isfinite(kurt)
        else float("inf"),
    }
