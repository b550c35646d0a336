"""Six-point predictions from the quartic (and sextic) couplings.

[HMS] predict the full 6-point function from the measured lambda keeping only the disconnected
lambda term (docs/theory.md#six-point-prediction)::

    G6_HMS(t) = G6_GP(t) + sum_15 K_ab G4_c,pred(rest),     G4_c,pred = -lambda_bar I_4

(the 15 ways to split six points into a pair {a, b} and a 4-set; K the full kernel = G2). The
full tree-level prediction adds the connected part

    G6_c,pred = -kappa_bar I_6 + lambda_bar^2 sum_10 J(abc|def).

lambda_bar and kappa_bar are tuple means at the same cutoff (convention S = ... +
lambda/4! phi^4 + kappa/6! phi^6).

References
----------
[HMS] Halverson, Maiti, Stoner, arXiv:2008.08601, section 4.3 (6-point prediction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..combinatorics import sorted_tuples, subset_splits, tuple_index
from ..correlators import Correlators
from ..networks import Network
from .couplings import couplings, resolve_network, sextic_couplings
from .integrals import check_cutoff
from .stats import tuple_mean

__all__ = ["SixPointPrediction", "hms_six_point_prediction", "six_point_vs_cutoff"]


@dataclass
class SixPointPrediction:
    """Measured and predicted G6 over sorted 6-tuples at one cutoff.

    Attributes
    ----------
    measured, measured_err : ndarray (T6,), ndarray or None
        G6 (full) from the correlators.
    gp : ndarray (T6,)
        Free (Wick) value.
    hms : ndarray (T6,)
        [HMS] prediction: gp + disconnected lambda_bar term.
    tree : ndarray (T6,) or None
        Full tree level: hms + (-kappa_bar I_6 + lambda_bar^2 sum_10 J) (None if not asked).
    ratio_gp, ratio_hms, ratio_tree : float
        Tuple means of gp / measured, hms / measured, tree / measured.
    ratio_*_err : float or None
        Jackknife errors (Monte Carlo).
    """

    cutoff: float
    tuples: np.ndarray
    measured: np.ndarray
    measured_err: np.ndarray | None
    gp: np.ndarray
    hms: np.ndarray
    tree: np.ndarray | None
    lambda_bar: float
    kappa_bar: float | None
    ratio_gp: float
    ratio_hms: float
    ratio_tree: float | None
    ratio_gp_err: float | None
    ratio_hms_err: float | None
    ratio_tree_err: float | None


def _disconnected_term(K: np.ndarray, G4c_pred: np.ndarray, n_inputs: int) -> np.ndarray:
    """sum over the 15 (pair | 4-set) splits of K_ab G4c(rest), over sorted 6-tuples.

    ``G4c_pred`` may carry leading replicate axes."""
    T6 = sorted_tuples(n_inputs, 6)
    out = np.zeros(np.shape(G4c_pred)[:-1] + (len(T6),))
    for A, B in subset_splits(6, 2):
        kab = K[T6[:, A[0]], T6[:, A[1]]]
        idx = tuple_index(T6[:, list(B)], n_inputs)
        out = out + kab * np.asarray(G4c_pred)[..., idx]
    return out


def hms_six_point_prediction(c: Correlators, net: Network | None = None, cutoff=math.inf, *,
                             tree: bool = True, method: str = "auto") -> SixPointPrediction:
    """[HMS] six-point prediction (disconnected lambda term) and the full tree-level one.

    Parameters
    ----------
    c : Correlators
        With orders 4 and 6, exact or Monte Carlo.
    net : Network, optional
    cutoff : float
        Lambda (inf for gauss/cos).
    tree : bool
        Also compute the full tree-level prediction (needs I_6 and the exchange integrals).

    Returns
    -------
    SixPointPrediction
    """
    net = resolve_network(c, net)
    L = check_cutoff(cutoff)
    n = c.n_inputs
    qfit = couplings(c, net, L, method=method)
    lb = qfit.mean
    g4p = -lb * qfit.I4
    gp = c.gp(6)
    hms = gp + _disconnected_term(c.kernel, g4p, n)
    meas = c.full(6)
    tree_v = None
    kb = None
    sfit = None
    if tree:
        sfit = sextic_couplings(c, net, L, method=method, quartic=qfit)
        kb = sfit.mean
        tree_v = hms - kb * sfit.I6 + lb**2 * sfit.J10
    # replicates of each ratio prediction / measured G6 (None: no jackknife error)
    ratio_gp_r = ratio_hms_r = ratio_tree_r = None
    full_reps = None if c.exact else c.replicates("full", 6)
    if full_reps is not None and qfit.replicates is not None:
        lb_r = qfit.replicates.mean(axis=1)
        hms_r = gp + _disconnected_term(c.kernel, -lb_r[:, None] * qfit.I4, n)
        ratio_gp_r = gp / full_reps
        ratio_hms_r = hms_r / full_reps
        if tree and sfit.replicates is not None:
            kb_r = sfit.replicates.mean(axis=1)
            tree_r = hms_r - kb_r[:, None] * sfit.I6 + (lb_r**2)[:, None] * sfit.J10
            ratio_tree_r = tree_r / full_reps
    r_gp, e_gp = tuple_mean(gp / meas, ratio_gp_r)
    r_hms, e_hms = tuple_mean(hms / meas, ratio_hms_r)
    r_tree, e_tree = (None, None) if tree_v is None else tuple_mean(tree_v / meas, ratio_tree_r)
    return SixPointPrediction(
        cutoff=L, tuples=np.asarray(c.tuples(6)), measured=meas, measured_err=c.full_err(6),
        gp=gp, hms=hms, tree=tree_v, lambda_bar=lb, kappa_bar=kb, ratio_gp=r_gp,
        ratio_hms=r_hms, ratio_tree=r_tree, ratio_gp_err=e_gp, ratio_hms_err=e_hms,
        ratio_tree_err=e_tree,
    )


def six_point_vs_cutoff(c: Correlators, net: Network | None = None, cutoffs=(10.0, 100.0), *,
                        tree: bool = True, method: str = "auto") -> dict:
    """:func:`hms_six_point_prediction` on a cutoff grid; returns arrays of the mean ratios.

    Keys: "cutoff", "ratio_gp", "ratio_hms", "ratio_tree" and their "_err" (None if exact),
    "lambda_bar", "kappa_bar".
    """
    preds = [hms_six_point_prediction(c, net, L, tree=tree, method=method) for L in cutoffs]
    out = {"cutoff": np.array([p.cutoff for p in preds])}
    for key in ("ratio_gp", "ratio_hms", "ratio_tree", "lambda_bar", "kappa_bar"):
        vals = [getattr(p, key) for p in preds]
        out[key] = None if vals[0] is None else np.array(vals, dtype=float)
    for key in ("ratio_gp_err", "ratio_hms_err", "ratio_tree_err"):
        vals = [getattr(p, key) for p in preds]
        out[key] = None if vals[0] is None else np.array(vals, dtype=float)
    return out

