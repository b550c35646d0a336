"""Local versus non-local quartic interactions: a linear least-squares fit (docs/theory.md#locality-fit).

[HMS] (v2) fit the 4-point deviation with a local constant, a local y^2-weighted and a
non-local quartic term. In this project's convention, with

    S ⊃ int [(lambda_0 + lambda_2 y^2)/4!] phi^4 + (lambda_NL/8) int int phi(y)^2 phi(z)^2,

the tree-level connected 4-point function is

    G4_c = -( lambda_0 I_4 + lambda_2 I_4^(y^2) + lambda_NL T_NL ),
    I_4^(y^2) = int |y|^2 prod_i Delta(x_i, y),
    T_NL = sum over the 3 pairings {ab|ce} of I_2(a, b) I_2(c, e)

(both vertices of T_NL inside the cutoff box, so it factorises into 2-leg integrals). [HMS] wrote
T_0 = 24 I_4 and a factor 8 in T_NL with their code's sign (lambda_code = -lambda/24).

The fit is a weighted linear least-squares problem on a train input set, each sorted tuple
weighted by its number of orderings (as a fit over all n_x^4 entries would be); it is then
evaluated on a test set (docs/theory.md#reference-setups: train = test * sqrt(2)/2).

Parameter errors:
- Monte Carlo correlators with jackknife replicates: the fit is repeated on every replicate and
  the jackknife covariance is reported (captures the correlations between tuples);
- standard errors only: the sandwich covariance M diag(err^2) M^T, M = (A^T W A)^-1 A^T W;
- exact correlators: the residual scatter s^2 (A^T W A)^-1 with normalised weights and
  T - p degrees of freedom (the misfit of the model taken as its noise); a model that fits
  exactly gets an error at rounding level.

When the basis terms of a model are linearly dependent on the train inputs (relu with
sigma_b = 0 and d_in = 1: I_4, I_4^(y^2) and T_NL are proportional), only a combination of
its couplings is determined: the fit reports the minimum-norm coefficients with
``identifiable = False``, no errors (None, never nan) and a note saying why.

References
----------
[HMS] Halverson, Maiti, Stoner, arXiv:2008.08601 (v2), section on locality.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..combinatorics import equal_splits, multiplicities, sorted_tuples, tuple_index
from ..correlators import Correlators
from ..networks import Network
from .couplings import resolve_network
from .integrals import check_cutoff, vertex_integrals

__all__ = [
    "TERMS",
    "LocalityFit",
    "locality_basis",
    "linear_fit",
    "identifiable",
    "fit_local_nonlocal",
    "locality_table",
]

#: Names of the basis terms, in the order of the coefficients.
TERMS = ("local", "local_y2", "nonlocal")
_COEF_NAMES = {"local": "lambda_0", "local_y2": "lambda_2", "nonlocal": "lambda_NL"}

MODELS = {
    "local": ("local",),
    "local+y2": ("local", "local_y2"),
    "local+nonlocal": ("local", "nonlocal"),
    "local+y2+nonlocal": ("local", "local_y2", "nonlocal"),
}


def locality_basis(net: Network, X, cutoff, *, method: str = "auto") -> dict:
    """Basis integrals over ``sorted_tuples(n_inputs, 4)``: {"local": I_4, "local_y2":
    I_4^(y^2), "nonlocal": T_NL}, each of shape (T,)."""
    X = np.asarray(X, dtype=float).reshape(-1, net.d_in)
    n = X.shape[0]
    T = sorted_tuples(n, 4)
    I4 = vertex_integrals(net, X, T, cutoff, method=method)
    I4y2 = vertex_integrals(net, X, T, cutoff, method=method, moment=2)
    T2 = sorted_tuples(n, 2)
    I2 = vertex_integrals(net, X, T2, cutoff, method=method)
    TNL = np.zeros(len(T))
    for A, B in equal_splits(4):
        TNL += I2[tuple_index(T[:, list(A)], n)] * I2[tuple_index(T[:, list(B)], n)]
    return {"local": I4, "local_y2": I4y2, "nonlocal": TNL}


def _scaled(design, weights):
    A = np.asarray(design, dtype=float)
    w = np.asarray(weights, dtype=float)
    scale = np.sqrt(np.sum(w[:, None] * A**2, axis=0))
    scale[scale == 0] = 1.0
    return A, w, scale


def identifiable(design, weights) -> bool:
    """Whether weighted least squares with ``design`` (T, p) determines all p coefficients:
    the smallest singular value of the column-normalised weighted design is above 1e-10
    times the largest (below that the columns are linearly dependent to rounding)."""
    A, w, scale = _scaled(design, weights)
    if A.shape[0] < A.shape[1]:
        return False
    sv = np.linalg.svd(np.sqrt(w)[:, None] * (A / scale), compute_uv=False)
    return bool(sv[-1] > 1e-10 * sv[0])


def linear_fit(y, design, weights, *, errors=None, replicates=None):
    """Weighted least squares y ~ design @ beta; returns (beta, cov).

    ``design`` (T, p), ``weights`` (T,) > 0. Covariance: jackknife over ``replicates`` (B, T)
    if given, else the sandwich with ``errors`` (T,), else residual scatter (see module doc).
    Columns are rescaled internally for conditioning. A degenerate basis
    (:func:`identifiable` false) gives the minimum-norm coefficients and an all-nan cov.
    """
    y = np.asarray(y, dtype=float)
    A, w, scale = _scaled(design, weights)
    T, p = A.shape
    if T < p:
        raise ValueError(f"{T} tuples cannot determine {p} coefficients")
    As = A / scale
    sw = np.sqrt(w)
    # M maps y to the scaled coefficients: beta_s = M y
    pinv = np.linalg.pinv(sw[:, None] * As)
    M = pinv * sw[None, :]
    beta = (M @ y) / scale
    if replicates is not None:
        br = (np.asarray(replicates, dtype=float) @ M.T) / scale  # (B, p)
        B = br.shape[0]
        dev = br - br.mean(axis=0)
        cov = (B - 1) / B * dev.T @ dev
    elif errors is not None:
        e = np.asarray(errors, dtype=float)
        Ms = M / scale[:, None]
        cov = Ms @ np.diag(e**2) @ Ms.T
    else:
        r = y - A @ beta
        wn = w / w.mean()
        dof = max(T - p, 1)
        s2 = float(np.sum(wn * r**2)) / dof
        G = np.linalg.pinv((As.T * wn) @ As)
        cov = s2 * G / np.outer(scale, scale)
    if not identifiable(A, w):  # the basis is degenerate: coefficients are not determined
        cov = np.full((p, p), np.nan)
    return beta, cov


@dataclass
class LocalityFit:
    """Result of :func:`fit_local_nonlocal`.

    Attributes
    ----------
    terms : tuple of str
        Basis terms fitted ("local", "local_y2", "nonlocal").
    coef, coef_err : ndarray (p,)
        lambda_0, lambda_2, lambda_NL (those fitted), convention of the module docstring;
        ``coef_err`` is nan when not ``identifiable``.
    cov : ndarray (p, p)
    identifiable : bool
        False when the basis terms are linearly dependent on the train inputs: ``coef`` is
        then the minimum-norm solution and only a combination of it is determined.
    train_rel_err, test_rel_err : float
        Multiplicity-weighted mean of |G4_c,pred - G4_c| / |G4_c| on the train and test inputs.
    test_pred, test_measured : ndarray (T,)
    """

    terms: tuple
    coef: np.ndarray
    coef_err: np.ndarray
    cov: np.ndarray
    cutoff: float
    train_rel_err: float
    test_rel_err: float
    test_pred: np.ndarray
    test_measured: np.ndarray
    train_pred: np.ndarray
    train_measured: np.ndarray
    identifiable: bool = True

    def as_dict(self) -> dict:
        """Plain dict; errors are None (never nan) when not identifiable, with a "note"."""
        ok = self.identifiable
        d = {
            "terms": list(self.terms),
            **{_COEF_NAMES[t]: float(v) for t, v in zip(self.terms, self.coef, strict=True)},
            **{_COEF_NAMES[t] + "_err": float(v) if ok else None
               for t, v in zip(self.terms, self.coef_err, strict=True)},
            "identifiable": ok,
            "cutoff": None if math.isinf(self.cutoff) else self.cutoff,
            "train_rel_err": self.train_rel_err,
            "test_rel_err": self.test_rel_err,
        }
        if not ok:
            d["note"] = ("not identifiable: the basis terms are linearly dependent on the train "
                         "inputs; minimum-norm coefficients, only their combination is fixed")
        return d


def _rel_err(pred, meas, w):
    return float(np.sum(w * np.abs(pred - meas) / np.abs(meas)) / np.sum(w))


def fit_local_nonlocal(c_train: Correlators, c_test: Correlators | None = None,
                       net: Network | None = None, cutoff=math.inf, *,
                       terms=TERMS, method: str = "auto", basis_train: dict | None = None,
                       basis_test: dict | None = None) -> LocalityFit:
    """Fit G4_c = -(lambda_0 I_4 + lambda_2 I_4^(y^2) + lambda_NL T_NL) on the train inputs.

    Parameters
    ----------
    c_train, c_test : Correlators
        Order 4 on the train and test inputs (``c_test`` defaults to ``c_train``).
    net : Network, optional
    cutoff : float
        Lambda (inf for gauss/cos).
    terms : sequence of str
        A subset of ("local", "local_y2", "nonlocal").

    Returns
    -------
    LocalityFit
        Coefficients with errors (module docstring), and the multiplicity-weighted mean
        relative error of the prediction on the train and test inputs.
    """
    net = resolve_network(c_train, net)
    c_test = c_train if c_test is None else c_test
    resolve_network(c_test, net)
    L = check_cutoff(cutoff)
    terms = tuple(terms)
    bad = [t for t in terms if t not in TERMS]
    if bad or not terms:
        raise ValueError(f"terms must be a non-empty subset of {TERMS}, got {terms!r}")
    if basis_train is None:
        basis_train = locality_basis(net, c_train.inputs, L, method=method)
    if basis_test is None:
        basis_test = (basis_train if c_test is c_train
                      else locality_basis(net, c_test.inputs, L, method=method))
    A = -np.column_stack([basis_train[t] for t in terms])
    w = multiplicities(c_train.n_inputs, 4).astype(float)
    y = c_train.connected(4)
    reps = None if c_train.exact else c_train.replicates("connected", 4)
    errs = None if c_train.exact else c_train.connected_err(4)
    beta, cov = linear_fit(y, A, w, errors=errs, replicates=reps)
    At = -np.column_stack([basis_test[t] for t in terms])
    wt = multiplicities(c_test.n_inputs, 4).astype(float)
    pred_tr = A @ beta
    pred_te = At @ beta
    return LocalityFit(
        terms=terms, coef=beta, coef_err=np.sqrt(np.diag(cov)), cov=cov, cutoff=L,
        train_rel_err=_rel_err(pred_tr, y, w), test_rel_err=_rel_err(pred_te, c_test.connected(4), wt),
        test_pred=pred_te, test_measured=c_test.connected(4), train_pred=pred_tr,
        train_measured=y, identifiable=identifiable(A, w),
    )


def locality_table(c_train: Correlators, c_test: Correlators, net: Network | None = None,
                   cutoff=math.inf, *, method: str = "auto") -> list[dict]:
    """:func:`fit_local_nonlocal` for the models "local", "local+y2", "local+nonlocal" and
    "local+y2+nonlocal"; one dict per model (``LocalityFit.as_dict`` plus "model")."""
    net = resolve_network(c_train, net)
    L = check_cutoff(cutoff)
    btr = locality_basis(net, c_train.inputs, L, method=method)
    bte = locality_basis(net, c_test.inputs, L, method=method)
    rows = []
    for name, terms in MODELS.items():
        f = fit_local_nonlocal(c_train, c_test, net, L, terms=terms, basis_train=btr,
                               basis_test=bte)
        rows.append({"model": name, **f.as_dict()})
    return rows

