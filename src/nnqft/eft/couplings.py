"""Tree-level couplings from correlators: lambda per 4-tuple, kappa per 6-tuple.

Convention of this project (docs/theory.md#effective-action)::

    S[phi] = (1/2) int int phi K_w^(-1) phi + int_{|y_a| < Lambda} d^d y [ lambda/4! phi^4 + kappa/6! phi^6 ]

so that at tree level, with Delta = K - sigma_b^2 on every leg,

    G4_c = -lambda I_4,        G6_c = -kappa I_6 + lambda^2 sum_10 J(abc|def).

Measured couplings per tuple:

    lambda(t) = -G4_c(t) / I_4(t)
    kappa(t)  = -(G6_c(t) - lambda_bar^2 sum_10 J(t)) / I_6(t),   lambda_bar = tuple mean of lambda

A local interaction predicts the same value on every tuple; the spread across tuples (standard
deviation, ddof = 0, unweighted over the sorted tuples) measures non-locality. Monte Carlo errors
come from the jackknife over the leave-one-batch-out replicates of the correlators (G4_c and
G6_c are correlated; lambda_bar inside kappa is recomputed on every replicate).

Conversions (:func:`to_hms`, :func:`to_els`): [HMS] write lambda_HMS f^4 without 1/4!, so
lambda = 24 lambda_HMS; the [HMS] code's sign is lambda_code = (G4 - G4_GP)/(24 I_4) =
-lambda/24. [ELS] write u_4 phi^4/4! and u_6 phi^6/6!, so u_4 = lambda, u_6 = kappa in the raw
normalisation; their canonical normalisation (unit p^2 coefficient, docs/theory.md#set-ups)
divides by Z_0^2 and Z_0^3, Z_0 = A / mu^2.

References
----------
[HMS] Halverson, Maiti, Stoner, arXiv:2008.08601. [ELS] Erbin, Lahoche, Ousmane Samary,
arXiv:2108.01403.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..correlators import Correlators, jackknife_error
from ..kernels import kinetic_parameters
from ..networks import Network
from .integrals import check_cutoff, exchange_sums, vertex_integrals
from .stats import tuple_mean, tuple_spread

__all__ = [
    "CONVENTION",
    "CouplingFit",
    "SexticFit",
    "couplings",
    "sextic_couplings",
    "couplings_from_connected",
    "to_hms",
    "to_els",
    "resolve_network",
]

#: The sign and normalisation convention of every coupling in :mod:`nnqft.eft`.
CONVENTION = "S = ... + lambda/4! phi^4"
SEXTIC_CONVENTION = "S = ... + lambda/4! phi^4 + kappa/6! phi^6"

_KERNEL_FIELDS = ("activation", "depth", "d_in", "sigma_w", "sigma_b")


def resolve_network(c: Correlators, net: Network | None) -> Network:
    """The network whose kernel defines Delta: ``net`` if given (it must share the kernel
    parameters of ``c.network``: activation, depth, d_in, sigma_w, sigma_b), else ``c.network``."""
    if net is None:
        return c.network
    if not isinstance(net, Network):
        raise TypeError(f"net must be an nnqft.Network, got {type(net).__name__}")
    a, b = net.canonical(), c.network.canonical()
    diff = [k for k in _KERNEL_FIELDS if a[k] != b[k]]
    if diff:
        raise ValueError(
            "net does not match the network of the correlators in " + ", ".join(diff)
        )
    return net


def _check_one_output(c: Correlators) -> None:
    if c.network.d_out != 1:
        raise ValueError(f"the correlators have {c.network.d_out} outputs: use "
                         "nnqft.eft.on_couplings / on_sextic_couplings (O(n) couplings, "
                         "docs/vector.md)")


def tuple_summary(values, replicates=None, errors=None):
    """Tuple mean and spread of a per-tuple coupling and their errors.

    Returns ``(mean, spread, mean_err, spread_err)``: the unweighted mean and the standard
    deviation (ddof = 0) over the tuples of ``values`` (T,), with jackknife errors from the
    leave-one-batch-out ``replicates`` (B, T) when given. Without replicates but with per-tuple
    standard ``errors``, ``mean_err`` = sqrt(sum errors^2) / T treats the tuples as independent
    (an underestimate in general) and ``spread_err`` is None; exact values: both errors None.
    Shared by the one-output fits here and the O(n) fits of :mod:`nnqft.eft.on`.
    """
    mean, mean_err = tuple_mean(values, replicates)
    spread, spread_err = tuple_spread(values, replicates)
    if replicates is None and errors is not None:
        mean_err = float(np.sqrt(np.sum(np.square(errors))) / len(errors))
    return mean, spread, mean_err, spread_err


def fit_to_dict(fit, name: str, values, errors, *, tuples_key: str = "tuples") -> dict:
    """The JSON entries every coupling fit shares (``nnqft couplings --json``, docs/eft.md).

    ``convention``, ``cutoff`` (None for an infinite cutoff), the tuples under ``tuples_key``,
    the per-tuple coupling ``NAME`` and ``NAME_err`` (None for exact values), its tuple mean and
    spread ``NAME_mean``, ``NAME_spread`` with their errors ``NAME_mean_err``,
    ``NAME_spread_err``, and ``exact``; ``fit`` has the attributes ``convention``, ``cutoff``,
    ``tuples``, ``mean``, ``spread``, ``mean_err``, ``spread_err`` and ``exact``.
    """
    return {
        "convention": fit.convention,
        "cutoff": None if math.isinf(fit.cutoff) else fit.cutoff,
        tuples_key: np.asarray(fit.tuples).tolist(),
        name: np.asarray(values).tolist(),
        f"{name}_err": None if errors is None else np.asarray(errors).tolist(),
        f"{name}_mean": fit.mean,
        f"{name}_spread": fit.spread,
        f"{name}_mean_err": fit.mean_err,
        f"{name}_spread_err": fit.spread_err,
        "exact": fit.exact,
    }


@dataclass
class CouplingFit:
    """Quartic coupling per sorted 4-tuple, in the convention S = ... + lambda/4! phi^4.

    Attributes
    ----------
    tuples : ndarray (T, 4)
        Sorted input-index tuples.
    cutoff : float
        Lambda (``math.inf`` allowed).
    lam : ndarray (T,)
        lambda(t) = -G4_c(t) / I_4(t).
    lam_err : ndarray (T,) or None
        Jackknife standard errors (None for exact correlators).
    I4 : ndarray (T,)
        Vertex integrals I_4(t; Lambda).
    mean, spread : float
        Unweighted tuple mean and standard deviation (ddof = 0) of lambda.
    mean_err, spread_err : float or None
        Jackknife errors of ``mean`` and ``spread``.
    replicates : ndarray (B, T) or None
        Leave-one-batch-out replicates of lambda.
    exact : bool
    network : Network
    """

    tuples: np.ndarray
    cutoff: float
    lam: np.ndarray
    lam_err: np.ndarray | None
    I4: np.ndarray
    mean: float
    spread: float
    mean_err: float | None
    spread_err: float | None
    replicates: np.ndarray | None
    exact: bool
    network: Network
    convention: str = CONVENTION
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The ``nnqft couplings --json`` object (:func:`fit_to_dict` and ``I4``)."""
        return {**fit_to_dict(self, "lambda", self.lam, self.lam_err), "I4": self.I4.tolist()}


@dataclass
class SexticFit:
    """Sextic coupling per sorted 6-tuple, convention S = ... + kappa/6! phi^6.

    kappa(t) = -(G6_c(t) - lambda_bar^2 sum_10 J(t)) / I_6(t) (docs/theory.md#sextic-coupling).

    Attributes
    ----------
    tuples : ndarray (T6, 6)
    cutoff : float
    kappa, kappa_err : ndarray (T6,), ndarray or None
    I6, J10 : ndarray (T6,)
        I_6(t) and sum over the 10 splits into triples of J.
    lambda_bar : float
        Tuple mean of lambda used in the exchange term.
    mean, spread, mean_err, spread_err : float, float, float or None, float or None
        Unweighted tuple mean and std (ddof = 0) of kappa and their jackknife errors.
    replicates : ndarray (B, T6) or None
    quartic : CouplingFit
        The quartic fit at the same cutoff (lambda, its mean and errors).
    """

    tuples: np.ndarray
    cutoff: float
    kappa: np.ndarray
    kappa_err: np.ndarray | None
    I6: np.ndarray
    J10: np.ndarray
    lambda_bar: float
    mean: float
    spread: float
    mean_err: float | None
    spread_err: float | None
    replicates: np.ndarray | None
    exact: bool
    quartic: CouplingFit
    convention: str = SEXTIC_CONVENTION

    def to_dict(self) -> dict:
        """:func:`fit_to_dict` with ``I6``, ``J10`` and ``lambda_bar``."""
        return {**fit_to_dict(self, "kappa", self.kappa, self.kappa_err), "I6": self.I6.tolist(),
                "J10": self.J10.tolist(), "lambda_bar": self.lambda_bar}


def couplings_from_connected(
    G4c: np.ndarray, I4: np.ndarray, *, errors: np.ndarray | None = None,
    replicates: np.ndarray | None = None,
):
    """lambda = -G4_c / I_4 with errors; returns (lam, lam_err, lam_replicates).

    Errors: from the replicates (B, T) when given (jackknife), else ``errors / |I4|``.
    """
    G4c = np.asarray(G4c, dtype=np.float64)
    I4 = np.asarray(I4, dtype=np.float64)
    if not (np.all(np.isfinite(G4c)) and np.all(np.isfinite(I4))):
        raise ValueError("G4_c and I_4 must be finite")
    if np.any(I4 == 0):
        raise ValueError("I_4 vanishes on some tuple: the coupling is undefined there")
    lam = -G4c / I4
    reps = None
    if replicates is not None:
        reps = -np.asarray(replicates, dtype=np.float64) / I4
        err = jackknife_error(reps)
    elif errors is not None:
        err = np.asarray(errors, dtype=np.float64) / np.abs(I4)
    else:
        err = None
    return lam, err, reps


def couplings(
    c: Correlators, net: Network | None = None, cutoff=math.inf, *, method: str = "auto",
    I4: np.ndarray | None = None,
) -> CouplingFit:
    """Quartic coupling lambda per sorted 4-tuple from exact or Monte Carlo correlators.

    lambda(t) = -G4_c(t) / I_4(t; Lambda) in the convention S = ... + lambda/4! phi^4
    (docs/theory.md#couplings; [HMS] eq. for lambda with lambda = 24 lambda_HMS).

    Parameters
    ----------
    c : Correlators
        Must hold order 4.
    net : Network, optional
        Defaults to ``c.network``; if given it must share its kernel parameters.
    cutoff : float
        Lambda > 0 or ``math.inf`` (gauss and cos; erf/relu need a finite cutoff).
    method : str
        Vertex-integral method (see :func:`nnqft.eft.vertex_integrals`).
    I4 : ndarray, optional
        Precomputed I_4 over ``c.tuples(4)`` (e.g. when scanning many widths at one cutoff).

    Returns
    -------
    CouplingFit
        Per tuple lambda and (Monte Carlo) jackknife errors; unweighted tuple mean, spread
        (std, ddof = 0) and their jackknife errors. Without replicates but with standard
        errors, ``mean_err`` treats the tuples as independent (an underestimate in general)
        and ``spread_err`` is None.
    """
    if not isinstance(c, Correlators):
        raise TypeError(f"c must be a Correlators object, got {type(c).__name__}")
    _check_one_output(c)
    net = resolve_network(c, net)
    L = check_cutoff(cutoff)
    if 4 not in c.orders:
        raise ValueError("the correlators do not hold order 4")
    T = c.tuples(4)
    if I4 is None:
        I4 = vertex_integrals(net, c.inputs, T, L, method=method)
    I4 = np.asarray(I4, dtype=np.float64)
    if I4.shape != (len(T),):
        raise ValueError(f"I4 must have shape ({len(T)},), got {I4.shape}")
    reps = None if c.exact else c.replicates("connected", 4)
    errs = None if c.exact else c.connected_err(4)
    lam, err, lam_reps = couplings_from_connected(c.connected(4), I4, errors=errs, replicates=reps)
    mean, spread, mean_err, spread_err = tuple_summary(lam, lam_reps, err)
    return CouplingFit(
        tuples=np.asarray(T), cutoff=L, lam=lam, lam_err=err, I4=I4, mean=mean, spread=spread,
        mean_err=mean_err, spread_err=spread_err, replicates=lam_reps, exact=bool(c.exact),
        network=net,
    )


def sextic_couplings(
    c: Correlators, net: Network | None = None, cutoff=math.inf, *, method: str = "auto",
    quartic: CouplingFit | None = None, I6: np.ndarray | None = None,
    J10: np.ndarray | None = None,
) -> SexticFit:
    """Sextic coupling kappa per sorted 6-tuple (and the quartic fit) from one call.

    kappa(t) = -(G6_c(t) - lambda_bar^2 sum_10 J(t)) / I_6(t), with lambda_bar the tuple mean
    of lambda at the same cutoff and both vertices of J integrated over [-Lambda, Lambda]^d
    (docs/theory.md#sextic-coupling: the connected-to-1PI relation at tree level, so kappa is the local
    approximation of Gamma^(6)). Convention S = ... + lambda/4! phi^4 + kappa/6! phi^6.

    Parameters
    ----------
    c : Correlators
        Must hold orders 4 and 6.
    net, cutoff, method
        As for :func:`couplings`. Gauss/cos at Lambda = inf use closed forms throughout.
    quartic : CouplingFit, optional
        A precomputed :func:`couplings` result at the same cutoff.
    I6, J10 : ndarray, optional
        Precomputed I_6 and sum_10 J over ``c.tuples(6)``.

    Returns
    -------
    SexticFit
        ``kappa``, ``kappa_err`` (jackknife; lambda_bar recomputed per replicate), ``mean``,
        ``spread`` (std ddof = 0), ``mean_err``, ``spread_err`` and the quartic fit.
    """
    if not isinstance(c, Correlators):
        raise TypeError(f"c must be a Correlators object, got {type(c).__name__}")
    _check_one_output(c)
    net = resolve_network(c, net)
    L = check_cutoff(cutoff)
    if 6 not in c.orders or 4 not in c.orders:
        raise ValueError("the correlators must hold orders 4 and 6")
    if quartic is None:
        quartic = couplings(c, net, L, method=method)
    elif quartic.cutoff != L:
        raise ValueError("the quartic fit was made at a different cutoff")
    T6 = c.tuples(6)
    if I6 is None:
        I6 = vertex_integrals(net, c.inputs, T6, L, method=method)
    if J10 is None:
        J10 = exchange_sums(net, c.inputs, L, method=method)
    I6 = np.asarray(I6, dtype=np.float64)
    J10 = np.asarray(J10, dtype=np.float64)
    if np.any(I6 == 0):
        raise ValueError("I_6 vanishes on some tuple: kappa is undefined there")
    lb = quartic.mean
    kappa = -(c.connected(6) - lb**2 * J10) / I6
    reps = None
    err = None
    g6_reps = None if c.exact else c.replicates("connected", 6)
    if g6_reps is not None and quartic.replicates is not None:
        lb_reps = quartic.replicates.mean(axis=1)  # (B,)
        reps = -(g6_reps - (lb_reps**2)[:, None] * J10) / I6
        err = jackknife_error(reps)
    elif not c.exact and c.connected_err(6) is not None:
        e6 = c.connected_err(6)
        e_lb = quartic.mean_err or 0.0
        err = np.sqrt(e6**2 + (2 * lb * e_lb * J10) ** 2) / np.abs(I6)
    mean, spread, mean_err, spread_err = tuple_summary(kappa, reps, err)
    return SexticFit(
        tuples=np.asarray(T6), cutoff=L, kappa=kappa, kappa_err=err, I6=I6, J10=J10,
        lambda_bar=lb, mean=mean, spread=spread, mean_err=mean_err, spread_err=spread_err,
        replicates=reps, exact=bool(c.exact), quartic=quartic,
    )


# ---------------------------------------------------------------------------- conversions
def to_hms(lam, *, code: bool = False):
    """Convert lambda (this project) to [HMS]'s quartic coupling.

    [HMS] write lambda_HMS f^4 without the 1/4!, so lambda_HMS = lambda / 24 (``code=False``).
    The [HMS] code defines lambda_code = (G4_exp - G4_GP) / (24 I_4) = -lambda / 24
    (``code=True``): e.g. ReLU lambda N Lambda^5 = -300 is their 12.5.
    """
    lam = np.asarray(lam, dtype=np.float64) if not np.isscalar(lam) else float(lam)
    return -lam / 24.0 if code else lam / 24.0


def to_els(value, order: int = 4, *, normalisation: str = "raw", net: Network | None = None):
    """Convert lambda (order 4) or kappa (order 6) to [ELS]'s u_4 or u_6.

    [ELS] write u_4 phi^4 / 4! and u_6 phi^6 / 6!, so in the raw normalisation (kinetic term
    K_w^(-1)) u_4 = lambda and u_6 = kappa. ``normalisation="canonical"`` rescales the field to
    a unit p^2 coefficient of the truncated kinetic term Z_0 (p^2 + mu^2) (docs/theory.md#set-ups
    set-up (b)): u_4 = lambda / Z_0^2, u_6 = kappa / Z_0^3, with Z_0 = A / mu^2 of ``net`` (gauss, cos).
    """
    if order not in (4, 6):
        raise ValueError(f"order must be 4 or 6, got {order!r}")
    v = np.asarray(value, dtype=np.float64) if not np.isscalar(value) else float(value)
    if normalisation == "raw":
        return v
    if normalisation != "canonical":
        raise ValueError(f"normalisation must be 'raw' or 'canonical', got {normalisation!r}")
    if net is None:
        raise ValueError("the canonical normalisation needs the network (for Z_0)")
    Z0 = kinetic_parameters(net)["Z0"]
    return v / Z0 ** (order // 2)
