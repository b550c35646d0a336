"""Running of the quartic coupling with the cutoff (Wilsonian RG at tree level).

Holding G4_c fixed, lambda(Lambda) I_4(Lambda) is constant (docs/theory.md#running), so

    beta_lambda = d lambda / d ln Lambda = -lambda d ln I_4 / d ln Lambda.

ReLU with sigma_b = 0 has Delta homogeneous of degree 1, hence lambda ~ Lambda^-(d+4): log-log
slopes -5, -6, -7 for d = 1, 2, 3 ([HMS] section 4: the higher couplings are irrelevant).
Convention: S = ... + lambda/4! phi^4.

References
----------
[HMS] Halverson, Maiti, Stoner, arXiv:2008.08601, section 4 and fig. "lambda vs Lambda".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..correlators import Correlators, jackknife_error
from ..networks import Network
from .couplings import CouplingFit, couplings, resolve_network
from .integrals import (
    CubatureRule,
    check_cutoff,
    cubature_rule,
    integral_method,
    vertex_integrals,
    vertex_log_derivatives,
)

__all__ = ["RunningFit", "running", "beta_function", "loglog_slope"]


def loglog_slope(x, y, y_replicates=None):
    """Least-squares line through (ln x, ln |y|): (slope, slope_err, intercept, r2).

    ``slope_err`` is the jackknife error over ``y_replicates`` (B, len(x)) when given, else the
    ordinary least-squares standard error from the residuals (0 for an exact power law).
    """
    lx = np.log(np.asarray(x, dtype=float))
    ly = np.log(np.abs(np.asarray(y, dtype=float)))
    if len(lx) < 2:
        raise ValueError("a slope needs at least two cutoffs")
    A = np.vstack([lx, np.ones_like(lx)]).T
    (b, a), *_ = np.linalg.lstsq(A, ly, rcond=None)
    res = ly - (a + b * lx)
    ss_tot = float(np.sum((ly - ly.mean()) ** 2))
    r2 = 1.0 - float(np.sum(res**2)) / ss_tot if ss_tot > 0 else 1.0
    if y_replicates is not None:
        lr = np.log(np.abs(np.asarray(y_replicates, dtype=float)))
        slopes = np.linalg.lstsq(A, lr.T, rcond=None)[0][0]
        err = float(jackknife_error(slopes))
    elif len(lx) > 2:
        s2 = float(np.sum(res**2)) / (len(lx) - 2)
        err = math.sqrt(s2 / float(np.sum((lx - lx.mean()) ** 2)))
    else:
        err = float("nan")
    return float(b), err, float(a), r2


@dataclass
class RunningFit:
    """lambda on a cutoff grid, its log-log slope and the beta function.

    Attributes
    ----------
    cutoffs : ndarray (C,)
    fits : list of CouplingFit
        One per cutoff.
    lam : ndarray (C, T)
        lambda per cutoff and tuple.
    mean, mean_err : ndarray (C,), ndarray (C,) or None
        Tuple means of lambda and their jackknife errors.
    slope, slope_err, intercept, r2 : float
        Fit of ln |mean lambda| = intercept + slope ln Lambda (slope_err: jackknife for Monte
        Carlo, least-squares residual error for exact data).
    tuple_slopes : ndarray (T,)
        The same slope per tuple.
    dlnI4 : ndarray (C, T)
        d ln I_4 / d ln Lambda.
    beta : ndarray (C, T)
        beta = -lambda d ln I_4 / d ln Lambda per tuple; ``beta_mean`` its tuple mean (C,).
    """

    cutoffs: np.ndarray
    fits: list
    lam: np.ndarray
    mean: np.ndarray
    mean_err: np.ndarray | None
    spread: np.ndarray
    slope: float
    slope_err: float
    intercept: float
    r2: float
    tuple_slopes: np.ndarray
    dlnI4: np.ndarray
    beta: np.ndarray
    beta_mean: np.ndarray
    beta_err: np.ndarray | None


def _fit_and_rule(c: Correlators, net: Network, L: float, method: str,
                  rule: CubatureRule | None = None):
    """(:func:`couplings` fit, cubature rule or None) at one cutoff: one rule serves both I_4
    (its volume part) and dI_4/dln Lambda (its surface part; only that for "homogeneous")."""
    resolved = integral_method(net, L, method)
    if rule is None and resolved != "closed":
        rule = cubature_rule(net, c.inputs, L, surface_only=resolved == "homogeneous")
    I4 = vertex_integrals(net, c.inputs, c.tuples(4), L, method=method, rule=rule)
    return couplings(c, net, L, I4=I4), rule


def beta_function(c: Correlators, net: Network | None = None, cutoff=100.0, *,
                  method: str = "auto", fit: CouplingFit | None = None,
                  rule: CubatureRule | None = None):
    """beta = d lambda / d ln Lambda = -lambda d ln I_4 / d ln Lambda per sorted 4-tuple.

    Returns ``(beta, beta_err, dlnI4)``; ``beta_err`` is the jackknife error (None if exact).
    d I_4 / d ln Lambda is Lambda times the surface integral of the legs over the box
    boundary (:func:`nnqft.eft.vertex_log_derivatives`); 0 at Lambda = inf.

    ``fit`` is a :func:`couplings` fit at the same cutoff (computed here if None); ``rule`` a
    :func:`nnqft.eft.cubature_rule` for ``c.inputs`` at this cutoff (built here if None: the
    full rule only when ``fit`` must be computed, else just its surface part).
    """
    net = resolve_network(c, net)
    L = check_cutoff(cutoff)
    if fit is None:
        fit, rule = _fit_and_rule(c, net, L, method, rule)
    dI = vertex_log_derivatives(net, c.inputs, c.tuples(4), L, method=method, rule=rule)
    g = dI / fit.I4
    beta = -fit.lam * g
    err = None
    if fit.replicates is not None:
        err = jackknife_error(-fit.replicates * g)
    elif fit.lam_err is not None:
        err = np.abs(g) * fit.lam_err
    return beta, err, g


def running(c: Correlators, net: Network | None = None, cutoffs=None, *,
            method: str = "auto") -> RunningFit:
    """lambda(Lambda) on a cutoff grid with log-log slope, its uncertainty, and beta.

    Parameters
    ----------
    c : Correlators
        Exact or Monte Carlo, order 4.
    net : Network, optional
    cutoffs : array_like
        Finite positive cutoffs (at least 2), e.g. ``np.geomspace(7, 1e5, 21)`` ([HMS]).

    Returns
    -------
    RunningFit
    """
    net = resolve_network(c, net)
    if cutoffs is None:
        raise ValueError("give a grid of cutoffs")
    cut = np.array([check_cutoff(v) for v in np.atleast_1d(cutoffs)])
    if np.any(np.isinf(cut)) or len(cut) < 2:
        raise ValueError("running needs at least two finite cutoffs")
    fits, betas, errs, gs = [], [], [], []
    for L in cut:
        fit, rule = _fit_and_rule(c, net, L, method)  # one cubature rule per cutoff
        b, e, g = beta_function(c, net, L, method=method, fit=fit, rule=rule)
        fits.append(fit)
        betas.append(b)
        errs.append(e)
        gs.append(g)
    lam = np.array([f.lam for f in fits])
    mean = lam.mean(axis=1)
    reps = None
    if fits[0].replicates is not None:
        reps = np.array([f.replicates.mean(axis=1) for f in fits]).T  # (B, C)
    slope, slope_err, intercept, r2 = loglog_slope(cut, mean, reps)
    A = np.vstack([np.log(cut), np.ones(len(cut))]).T
    tuple_slopes = np.linalg.lstsq(A, np.log(np.abs(lam)), rcond=None)[0][0]
    beta = np.array(betas)
    beta_err = None
    if errs[0] is not None:
        if fits[0].replicates is not None:
            beta_err = np.array([jackknife_error((-f.replicates * g).mean(axis=1))
                                 for f, g in zip(fits, gs, strict=True)])
        else:
            beta_err = np.array([np.sqrt(np.sum(e**2)) / len(e) for e in errs])
    return RunningFit(
        cutoffs=cut, fits=fits, lam=lam, mean=mean,
        mean_err=None if fits[0].mean_err is None else np.array([f.mean_err for f in fits]),
        spread=np.array([f.spread for f in fits]), slope=slope, slope_err=slope_err,
        intercept=intercept, r2=r2, tuple_slopes=tuple_slopes, dlnI4=np.array(gs), beta=beta,
        beta_mean=beta.mean(axis=1), beta_err=beta_err,
    )
