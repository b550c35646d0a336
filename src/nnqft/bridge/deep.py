"""IR data of networks without a translation-invariant kernel: deep erf, relu and tanh nets.

The momentum-space bridge (:func:`nnqft.bridge.ir_data`) hands the FRG a kinetic term
K_w^(-1)(p) = A exp(p^2 / mu^2), which exists only for a translation-invariant kernel (Gauss- and
cos-nets, one hidden layer). The kernels of erf, relu and tanh networks depend on |x|, |y| and
the angle between them, not on x - y alone, at every depth, so they have no momentum-space
kinetic term and the LPA flows of docs/theory.md#set-ups do not apply to them. What the IR of such
a network does have, on a finite input set x_1..x_n, is (docs/deep.md section 9):

- the propagator on the inputs, G2_ab = K_ab + K1_ab / N (1/N theory, [PDLT] section 4.3), and
  its inverse, the 1PI two-point function Gamma^(2) on the inputs (when G2 is invertible);
- the quartic coupling per sorted 4-tuple, lambda(t) = -G4_c(t) / I_4(t; Lambda)
  (docs/theory.md#couplings, S = ... + lambda/4! phi^4), with G4_c = (1/N)(V + V + V) from the
  four-point vertex recursion (docs/deep.md section 2) at leading order;
- its running with the cutoff, d ln|lambda| / d ln Lambda (docs/theory.md#running);
- the [ELS] sigma_W reading: the tuple-mean lambda against sigma_W and its log-log slope
  (docs/theory.md#active-reading; for relu with sigma_b = 0 the slope is exactly -4(L + 1)).

The source is the leading-order 1/N theory (``method="one_over_n"``, any depth; G2 and G4_c
truncated at O(1/N^2)), the exact engine (``"exact"``: one hidden layer, or deep relu with
sigma_b = 0 at one input) or Monte Carlo (``"monte_carlo"``, jackknife errors over batches).

References
----------
[PDLT] Roberts, Yaida, Hanin, *The Principles of Deep Learning Theory* (2022), ch. 4.
[HMS] Halverson, Maiti, Stoner, arXiv:2008.08601, section 4 (lambda = -G4_c / I_4, its running).
[ELS] Erbin, Lahoche, Ousmane Samary, arXiv:2108.01403, section 4 (coupling against sigma_W).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from ..correlators import Correlators, symmetric_tensor
from ..eft.couplings import CouplingFit, couplings
from ..eft.integrals import check_cutoff
from ..eft.running import RunningFit, loglog_slope, running
from ..networks import Network, as_inputs

__all__ = ["DEEP_IR_METHODS", "DeepIRData", "deep_ir_data"]

#: Sources of the correlators.
DEEP_IR_METHODS = ("one_over_n", "exact", "monte_carlo")
#: Largest condition number of G2 for which Gamma^(2) = G2^(-1) is reported.
MAX_CONDITION = 1e10
#: Default running grid (times the cutoff) and sigma_W grid (times sigma_w).
RUNNING_FACTORS = (0.1, 0.1**0.5, 1.0, 10**0.5, 10.0)
SIGMA_W_FACTORS = (0.5, 0.5**0.5, 1.0, 2**0.5, 2.0)

#: The action and coupling conventions of the IR data (``to_dict`` and ``to_dataset``).
CONVENTION = ("S = (1/2) phi G2^-1 phi + lambda/4! phi^4 on the inputs; lambda = -G4_c/I_4 per "
              "sorted 4-tuple (legs K - sigma_b^2, box cutoff); u4 = tuple mean of lambda ([ELS] "
              "u_4 = lambda); slopes are least-squares fits of ln|tuple mean| against ln Lambda "
              "and ln sigma_W (docs/theory.md#couplings, #running, #active-reading)")
_MC_ACCURACY = "Monte Carlo: jackknife standard errors over batches of networks"


@dataclass
class DeepIRData:
    """Input-space IR data of a network (module docstring).

    Attributes
    ----------
    network : Network
    inputs : ndarray (n, d)
    method : {"one_over_n", "exact", "monte_carlo"}
    accuracy : str
        What limits the numbers: the O(1/N^2) truncation, the exact engine's error estimate, or
        Monte Carlo standard errors.
    propagator : ndarray (n, n)
        G2 on the inputs (K + K1/N for the 1/N theory); ``propagator_err`` its standard errors
        (Monte Carlo) or None.
    kernel : ndarray (n, n)
        The infinite-width kernel K of the output.
    inverse_propagator : ndarray (n, n) or None
        Gamma^(2) = G2^(-1) on the inputs; None when cond(G2) > ``MAX_CONDITION`` (e.g. relu
        with sigma_b = 0 on collinear inputs, where G2 has rank one).
    condition : float
        Condition number of G2 (2-norm).
    fit : CouplingFit
        lambda per sorted 4-tuple at ``fit.cutoff``, tuple mean and spread.
    run : RunningFit
        lambda on the cutoff grid and its log-log slope.
    sigma_w_reading : dict or None
        ``{"sigma_w", "lambda_mean", "lambda_mean_err", "slope", "slope_err"}`` at the cutoff.
    n_networks, estimator, seed : Monte Carlo settings (None otherwise).
    meta : dict
        The source's ``meta`` (truncation, one-layer check, heavy-tail diagnostic, ...).
    """

    network: Network
    inputs: np.ndarray
    method: str
    accuracy: str
    propagator: np.ndarray
    propagator_err: np.ndarray | None
    kernel: np.ndarray
    inverse_propagator: np.ndarray | None
    condition: float
    fit: CouplingFit
    run: RunningFit
    sigma_w_reading: dict | None
    n_networks: int | None = None
    estimator: str | None = None
    seed: int | None = None
    meta: dict = field(default_factory=dict, repr=False)

    @property
    def translation_invariant(self) -> bool:
        return False

    def to_dict(self) -> dict:
        """The ``nnqft bridge --json`` object for erf, relu and tanh nets (docs/deep.md section 9)."""
        net = self.network
        run = self.run

        def lst(a):
            return None if a is None else np.asarray(a).tolist()

        out = {
            "network": net.canonical(),
            "d": net.d_in,
            "depth": net.depth,
            "method": self.method,
            "accuracy": self.accuracy,
            "exact": self.method == "exact",
            "translation_invariant": False,
            "flows": "not available: the kernel is not translation invariant, so there is no "
                     "momentum-space kinetic term A exp(p^2/mu^2) to start an LPA flow from "
                     "(docs/deep.md section 9)",
            "inputs": self.inputs.tolist(),
            "propagator": self.propagator.tolist(),
            "propagator_err": lst(self.propagator_err),
            "kernel": self.kernel.tolist(),
            "inverse_propagator": lst(self.inverse_propagator),
            "condition": self.condition,
            "couplings": self.fit.to_dict(),
            "u4": self.fit.mean,
            "u4_err": self.fit.mean_err,
            "u4_spread": self.fit.spread,
            "running": {
                "cutoffs": run.cutoffs.tolist(),
                "lambda_mean": run.mean.tolist(),
                "lambda_mean_err": lst(run.mean_err),
                "beta_mean": run.beta_mean.tolist(),
                "slope": run.slope,
                "slope_err": run.slope_err,
                "r2": run.r2,
            },
            "sigma_w_reading": self.sigma_w_reading,
            "n_networks": self.n_networks,
            "estimator": self.estimator,
            "seed": self.seed,
            "convention": CONVENTION,
        }
        for key in ("one_layer_check", "truncation", "heavy_tail", "heavy_tail_check"):
            if self.meta.get(key) is not None:
                out[key] = self.meta[key]
        return out

    def to_dataset(self):
        """xarray Dataset (dims input, input_b, dim, tuple4, pos4, cutoff, sigma_w)."""
        import xarray as xr

        ii = ("input", "input_b")
        run = self.run
        data = {
            "inputs": (("input", "dim"), self.inputs),
            "propagator": (ii, self.propagator),
            "kernel": (ii, self.kernel),
            "tuples_4": (("tuple4", "pos4"), np.asarray(self.fit.tuples)),
            "lambda": (("tuple4",), self.fit.lam),
            "I4": (("tuple4",), self.fit.I4),
            "running_lambda_mean": (("cutoff",), run.mean),
            "running_beta_mean": (("cutoff",), run.beta_mean),
        }
        coords = {"cutoff": run.cutoffs}
        if self.propagator_err is not None:
            data["propagator_err"] = (ii, self.propagator_err)
        if self.inverse_propagator is not None:
            data["inverse_propagator"] = (ii, self.inverse_propagator)
        if self.fit.lam_err is not None:
            data["lambda_err"] = (("tuple4",), self.fit.lam_err)
        if run.mean_err is not None:
            data["running_lambda_mean_err"] = (("cutoff",), run.mean_err)
        attrs = {
            "network": json.dumps(self.network.canonical(), sort_keys=True),
            "method": self.method,
            "accuracy": self.accuracy,
            "cutoff": float(self.fit.cutoff),
            "lambda_mean": self.fit.mean,
            "lambda_spread": self.fit.spread,
            "running_slope": run.slope,
            "running_slope_err": run.slope_err,
            "condition": self.condition,
            "n_networks": -1 if self.n_networks is None else int(self.n_networks),
            "estimator": self.estimator or self.method,
            "convention": CONVENTION,
        }
        if self.fit.mean_err is not None:
            attrs["lambda_mean_err"] = self.fit.mean_err
        sw = self.sigma_w_reading
        if sw is not None:
            coords["sigma_w"] = np.asarray(sw["sigma_w"])
            data["sigma_w_lambda_mean"] = (("sigma_w",), np.asarray(sw["lambda_mean"]))
            if sw["lambda_mean_err"] is not None:
                data["sigma_w_lambda_mean_err"] = (("sigma_w",),
                                                   np.asarray(sw["lambda_mean_err"]))
            attrs["sigma_w_slope"] = sw["slope"]
            attrs["sigma_w_slope_err"] = sw["slope_err"]
        return xr.Dataset(data, coords=coords, attrs=attrs)


def _normalise_method(method: str) -> str:
    m = str(method).replace("-", "_")
    if m not in DEEP_IR_METHODS:
        raise ValueError(f"method must be one of {', '.join(DEEP_IR_METHODS)}, got {method!r}")
    return m


def _correlators(net: Network, X: np.ndarray, method: str, mc: dict) -> Correlators:
    """Orders 2 and 4 from the chosen source."""
    if method == "one_over_n":
        from ..deep.theory import perturbative_correlators

        return perturbative_correlators(net, X, orders=(2, 4))
    if method == "exact":
        if net.depth > 1:
            from ..deep.relu_exact import exact_relu_correlators

            return exact_relu_correlators(net, X, orders=(2, 4))
        from ..exact import exact_correlators

        return exact_correlators(net, X, orders=(2, 4))
    from ..estimate import estimate_correlators

    return estimate_correlators(net, X, orders=(2, 4), **mc)


def _accuracy(c: Correlators, method: str) -> str:
    if method == "one_over_n":
        return (f"1/N theory, {c.meta['truncation']}; lambda = -G4_c/I_4 therefore carries "
                "an O(1/N^2) truncation error (O(1/N) relative)")
    if method == "exact":
        acc = (c.meta.get("accuracy") or {}).get(4)
        how = c.meta.get("method", "exact")
        return how if acc is None else f"exact engine ({how}), estimated relative error {acc:.1e}"
    return _MC_ACCURACY


def _sigma_w_reading(net, X, cutoff, sigma_ws, method, mc, progress,
                     fit: CouplingFit | None = None) -> dict | None:
    """Tuple-mean lambda against sigma_W at fixed cutoff and its log-log slope ([ELS] reading).

    ``fit``, the couplings of ``net`` itself at ``cutoff``, is reused at sigma_W = net.sigma_w
    (the same numbers: same source, and for Monte Carlo the same seed). Monte Carlo: every sigma_W is a run with the same seed and number of batches; the slope
    error is the jackknife over the leave-batch-b-out replicates of all points together
    (docs/theory.md#active-reading).
    """
    sws = np.asarray(sigma_ws, dtype=np.float64).ravel()
    if sws.size == 0:
        return None
    if np.any(~np.isfinite(sws)) or np.any(sws <= 0):
        raise ValueError(f"sigma_W values must be positive and finite, got {sws.tolist()}")
    means, errs, reps = [], [], []
    for sw in sws:
        if fit is not None and float(sw) == net.sigma_w:
            f = fit
        else:
            n = net.replace(sigma_w=float(sw))
            f = couplings(_correlators(n, X, method, mc), n, cutoff)
        means.append(f.mean)
        errs.append(f.mean_err)
        if f.replicates is not None:
            reps.append(f.replicates.mean(axis=1))
        progress.advance()
    slope = slope_err = math.nan
    if len(sws) > 1:
        slope, slope_err, _, _ = loglog_slope(sws, means, np.array(reps).T if reps else None)
    return {"sigma_w": sws.tolist(), "lambda_mean": [float(m) for m in means],
            "lambda_mean_err": None if errs[0] is None else [float(e) for e in errs],
            "slope": float(slope), "slope_err": float(slope_err)}


def deep_ir_data(net: Network, X, *, cutoff: float, method: str = "one_over_n",
                 cutoffs=None, sigma_ws=None, n_networks: int | None = None, seed: int = 0,
                 estimator: str | None = None, executor=None,
                 progress: bool = False) -> DeepIRData:
    """Input-space IR data (propagator, lambda, its running, the sigma_W reading) of a network.

    For networks whose kernel is not translation invariant (erf, relu, tanh at any depth), where
    the momentum-space bridge :func:`nnqft.bridge.ir_data` and its flows do not apply
    (docs/deep.md section 9).

    Parameters
    ----------
    net : Network
        d_out = 1. ``method="one_over_n"``: erf, relu or tanh, any depth, normal weights.
    X : array_like (n_inputs, d)
        The finite input set (d <= 3 for the cubature of I_4 at a finite cutoff).
    cutoff : float
        Lambda of the box [-Lambda, Lambda]^d over which I_4 is integrated (finite for erf, relu,
        tanh: I_4 diverges otherwise).
    method : {"one_over_n", "exact", "monte_carlo"}
        Source of G2 and G4_c ("one-over-n" etc. accepted): the leading-order 1/N theory, the
        exact engine (one hidden layer; deep relu with sigma_b = 0 at one input), Monte Carlo.
    cutoffs : array_like, optional
        Running grid (>= 2 finite cutoffs); default ``cutoff`` times 10^(-1, -1/2, 0, 1/2, 1).
    sigma_ws : array_like, optional
        sigma_W grid of the [ELS] reading; default ``net.sigma_w`` times 2^(-1, -1/2, 0, 1/2, 1);
        an empty list skips it.
    n_networks, seed, estimator, executor
        Monte Carlo options of :func:`nnqft.estimate.estimate_correlators`.
    progress : bool
        Progress on stderr.

    Returns
    -------
    DeepIRData
    """
    from ..progress import Progress

    if not isinstance(net, Network):
        raise TypeError(f"net must be an nnqft.Network, got {type(net).__name__}")
    method = _normalise_method(method)
    if net.activation in ("gauss", "cos"):
        raise ValueError(f"{net.activation}-net has a translation-invariant kernel: use the "
                         "momentum-space bridge nnqft.bridge.ir_data")
    if net.d_out != 1:
        raise ValueError(f"the input-space IR data are for one output, got d_out = {net.d_out}")
    X = as_inputs(X, net.d_in)
    cutoff = check_cutoff(cutoff)
    if (method == "monte_carlo") != (n_networks is not None):
        raise ValueError("n_networks is given exactly when method is 'monte_carlo'")
    mc = {}
    if method == "monte_carlo":
        mc = {"n_networks": int(n_networks), "seed": int(seed), "estimator": estimator,
              "executor": executor, "progress": progress}
    cut = np.asarray(cutoff * np.asarray(RUNNING_FACTORS) if cutoffs is None else cutoffs,
                     dtype=np.float64).ravel()
    sws = (net.sigma_w * np.asarray(SIGMA_W_FACTORS) if sigma_ws is None
           else np.asarray(sigma_ws, dtype=np.float64).ravel())
    steps = 2 + len(sws)
    with Progress("input-space IR data", steps,
                  enabled=progress and method != "monte_carlo") as bar:
        c = _correlators(net, X, method, mc)
        fit = couplings(c, net, cutoff)
        bar.advance()
        run = running(c, net, cut)
        bar.advance()
        reading = _sigma_w_reading(net, X, cutoff, sws, method, mc, bar, fit)
    n = X.shape[0]
    G2 = c.tensor("full", 2)
    err = c.full_err(2)
    G2_err = None if err is None else symmetric_tensor(err, n, 2)
    cond = float(np.linalg.cond(G2)) if np.all(np.isfinite(G2)) else math.inf
    inv = np.linalg.inv(G2) if cond <= MAX_CONDITION else None
    if inv is not None:
        inv = (inv + inv.T) / 2
    return DeepIRData(
        network=net, inputs=X, method=method, accuracy=_accuracy(c, method),
        propagator=G2, propagator_err=G2_err, kernel=np.asarray(c.kernel), inverse_propagator=inv,
        condition=cond, fit=fit, run=run, sigma_w_reading=reading,
        n_networks=c.n_networks, estimator=c.estimator if c.n_networks is not None else None,
        seed=int(seed) if method == "monte_carlo" else None, meta=dict(c.meta),
    )
