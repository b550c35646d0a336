"""sigma_W as the RG scale, "active" reading (docs/theory.md#active-reading; [ELS] section 4).

sigma_W is the only scale of the Gauss- and cos-net kernels, so changing it rescales momenta
(k ~ sigma_W) and, in the small-input limit, the raw coupling scales exactly as
lambda ~ sigma_W^(d-4) (the canonical lambda / Z_0^2 as sigma_W^(4-d), Z_0 ~ sigma_W^(d-4)).
At finite inputs the exact slope differs by a correction of order (sigma_W |x|)^2 / d, which
:func:`active_slopes` computes explicitly: the fitted exact slope minus d - 4, and the local
log-derivative d ln|u4| / d ln sigma_W along the scan.

Conventions: u4 is the *unweighted* tuple mean of lambda = -G4_c / I_4 at Lambda = inf
(docs/theory.md#couplings); slopes are ordinary least-squares fits of log10|u4| against
log10 sigma_W with equal weights (the estimator [ELS] use), so that exact and Monte Carlo slopes
are the same functional of the data. Monte Carlo slope errors are jackknife errors: the points
at different sigma_W are independent runs with the same number of batches B, and replicate b
of the slope is the fit to the leave-batch-b-out replicates of every point.

Exact scans use that G4_c is exactly proportional to 1/N for one hidden layer (docs/theory.md
#exact-finite-width): the single-neuron moments are computed once per sigma_W and the couplings of every
width follow by dividing by N.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..correlators import jackknife_error
from ..kernels import kinetic_parameters
from ..networks import Network, as_inputs

__all__ = [
    "ELS_SIGMA_WS",
    "ELS_INPUTS",
    "HMS_WIDTHS",
    "CouplingScan",
    "exact_coupling_scan",
    "mc_coupling_scan",
    "loglog_fit",
    "active_slopes",
    "local_slope",
]

#: sigma_W grid of [ELS]: 1 to 20 in steps of 0.5 (39 values).
ELS_SIGMA_WS = np.round(np.arange(1.0, 20.0 + 1e-9, 0.5), 10)
#: [HMS]/[ELS] Gauss-net inputs (d = 1).
ELS_INPUTS = np.array([-0.01, -0.006, -0.002, 0.002, 0.006, 0.01])
#: The ten [HMS] widths.
HMS_WIDTHS = (2, 3, 4, 5, 10, 20, 50, 100, 500, 1000)


@dataclass
class CouplingScan:
    """u4 (tuple mean of lambda) on a grid of widths x sigma_W, raw and canonical.

    Attributes
    ----------
    widths : (W,) ints;  sigma_ws : (S,)
    u4 : (W, S) raw u4 = tuple mean of lambda;  u4_canonical = u4 / Z0(sigma_W)^2
    u4_err : (W, S) jackknife errors, or None (exact)
    replicates : (W, S, B) leave-one-batch-out replicates of u4, or None
    heavy_tail : (W, S) bool, whether the heavy-tail diagnostic fired (Monte Carlo)
    source : "exact", "monte_carlo" or "monte_carlo_els"
    meta : estimator, n_networks, n_bags, seed, ...
    """

    activation: str
    d: int
    sigma_b: float
    inputs: np.ndarray
    widths: np.ndarray
    sigma_ws: np.ndarray
    u4: np.ndarray
    u4_err: np.ndarray | None
    replicates: np.ndarray | None
    heavy_tail: np.ndarray | None
    source: str
    meta: dict = field(default_factory=dict)

    @property
    def Z0(self) -> np.ndarray:
        return np.array([_z0(self.activation, self.d, s) for s in self.sigma_ws])

    def u4_in(self, normalisation: str) -> np.ndarray:
        if normalisation == "raw":
            return self.u4
        if normalisation == "canonical":
            return self.u4 / self.Z0**2
        raise ValueError(f"normalisation must be 'raw' or 'canonical', got {normalisation!r}")

    def err_in(self, normalisation: str) -> np.ndarray | None:
        if self.u4_err is None:
            return None
        return self.u4_err if normalisation == "raw" else self.u4_err / self.Z0**2


def _z0(activation, d, sw) -> float:
    return kinetic_parameters(Network(activation, width=1, d_in=d, sigma_w=sw, sigma_b=0.0))["Z0"]


def _per_width_one(activation, d, sigma_b, X, sw, order=4):
    """Tuple-mean lambda at width 1 (exact), its tuples and the per-tuple values."""
    from ..eft.couplings import couplings
    from ..exact import exact_correlators

    net1 = Network(activation, width=1, d_in=d, sigma_w=float(sw), sigma_b=sigma_b)
    c = exact_correlators(net1, X, orders=(2, order))
    return couplings(c, net1, math.inf)


def exact_coupling_scan(activation: str = "gauss", sigma_ws=ELS_SIGMA_WS, widths=HMS_WIDTHS, *,
                        sigma_b: float = 1.0, inputs=ELS_INPUTS, d: int = 1) -> CouplingScan:
    """Exact u4 = tuple mean of lambda on widths x sigma_ws (moments once per sigma_W)."""
    X = as_inputs(inputs, d)
    sws = np.asarray(sigma_ws, dtype=float)
    W = np.asarray(widths, dtype=int)
    one = np.array([_per_width_one(activation, d, sigma_b, X, s).mean for s in sws])
    u4 = one[None, :] / W[:, None]
    return CouplingScan(activation, d, float(sigma_b), X, W, sws, u4, None, None, None, "exact",
                        {"estimator": "exact", "method": "exact one-hidden-layer correlators; "
                         "G4_c ~ 1/N exactly, moments computed once per sigma_W"})


def mc_coupling_scan(activation: str = "gauss", sigma_ws=ELS_SIGMA_WS, widths=HMS_WIDTHS, *,
                     sigma_b: float = 1.0, inputs=ELS_INPUTS, d: int = 1,
                     n_networks: int = 4000, seed: int = 0, estimator: str = "conditional",
                     n_bags: int = 1, executor=None, progress: bool = False) -> CouplingScan:
    """Monte Carlo u4 on widths x sigma_ws with jackknife errors.

    ``n_bags = 1``: one run of ``n_networks`` per point; errors and replicates from its
    batches. ``n_bags > 1`` ([ELS]: 5 bags of 1000 networks, their raw averages): u4 is the
    mean over independent bags (seeds ``seed + b``) of the per-bag tuple means, with error
    std / sqrt(n_bags) (no replicates). The heavy-tail verdict is recorded per point (fired in
    any bag).
    """
    from ..eft.couplings import couplings
    from ..estimate import HeavyTailWarning, estimate_correlators
    from ..progress import Progress

    X = as_inputs(inputs, d)
    sws = np.asarray(sigma_ws, dtype=float)
    W = np.asarray(widths, dtype=int)
    u4 = np.zeros((len(W), len(sws)))
    err = np.zeros_like(u4)
    fired = np.zeros(u4.shape, dtype=bool)
    reps = None
    with Progress(f"Monte Carlo couplings ({estimator})", len(W) * len(sws),
                  enabled=progress) as bar:
        for i, N in enumerate(W):
            for j, s in enumerate(sws):
                net = Network(activation, width=int(N), d_in=d, sigma_w=float(s), sigma_b=sigma_b)
                vals = []
                for b in range(n_bags):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", HeavyTailWarning)
                        c = estimate_correlators(net, X, orders=(4,), n_networks=int(n_networks),
                                                 seed=int(seed) + b, estimator=estimator,
                                                 executor=executor)
                    q = couplings(c, net, math.inf)
                    vals.append(q.mean)
                    fired[i, j] |= bool(c.meta.get("heavy_tail", {}).get("fired", False))
                    if n_bags == 1:
                        r = q.replicates.mean(axis=1)
                        if reps is None:
                            reps = np.zeros(u4.shape + (len(r),))
                        reps[i, j] = r
                        err[i, j] = q.mean_err
                u4[i, j] = np.mean(vals)
                if n_bags > 1:
                    err[i, j] = np.std(vals, ddof=1) / math.sqrt(n_bags)
                bar.advance(1)
    source = "monte_carlo" if n_bags == 1 else "monte_carlo_els"
    return CouplingScan(activation, d, float(sigma_b), X, W, sws, u4, err, reps, fired, source,
                        {"estimator": estimator, "n_networks": int(n_networks),
                         "n_bags": int(n_bags), "seed": int(seed)})


def loglog_fit(sigma_ws, u4, replicates=None, u4_err=None) -> dict:
    """OLS fit log10|u4| = intercept + slope log10 sigma_W (equal weights).

    Errors: jackknife over ``replicates`` (S, B) when given; else linear propagation of
    independent ``u4_err`` (S,); else None.
    """
    x = np.log10(np.asarray(sigma_ws, dtype=float))
    y = np.log10(np.abs(np.asarray(u4, dtype=float)))
    xm = x.mean()
    Sxx = np.sum((x - xm) ** 2)
    c = (x - xm) / Sxx  # slope = c . y

    def fit(yy):
        b = np.tensordot(c, yy, axes=(0, 0))
        a = yy.mean(axis=0) - b * xm
        return b, a

    slope, intercept = fit(y)
    out = {"slope": float(slope), "intercept": float(intercept), "slope_err": None,
           "intercept_err": None, "n_points": int(len(x)), "error_method": None}
    if replicates is not None:
        R = np.asarray(replicates, dtype=float)
        if np.any(np.sign(R) != np.sign(np.asarray(u4))[:, None]):
            out["error_method"] = "jackknife (a replicate changed sign: errors unreliable)"
        bs, as_ = fit(np.log10(np.abs(R)))
        out["slope_err"] = float(jackknife_error(bs))
        out["intercept_err"] = float(jackknife_error(as_))
        out["error_method"] = out["error_method"] or f"jackknife over {R.shape[1]} batches"
    elif u4_err is not None:
        ey = np.asarray(u4_err, dtype=float) / (np.abs(np.asarray(u4)) * math.log(10))
        out["slope_err"] = float(np.sqrt(np.sum(c**2 * ey**2)))
        ca = 1.0 / len(x) - xm * c
        out["intercept_err"] = float(np.sqrt(np.sum(ca**2 * ey**2)))
        out["error_method"] = "propagated from independent per-point errors"
    return out


def local_slope(activation, d, sigma_b, inputs, sigma_ws, normalisation="raw",
                h: float = 1e-4) -> np.ndarray:
    """d ln|u4| / d ln sigma_W of the exact tuple-mean coupling (central differences in ln
    sigma_W, step h: truncation error ~ h^2 ~ 1e-8). Width-independent."""
    X = as_inputs(inputs, d)
    out = []
    for s in np.asarray(sigma_ws, dtype=float):
        vals = []
        for e in (-h, h):
            sw = s * math.exp(e)
            v = _per_width_one(activation, d, sigma_b, X, sw).mean
            if normalisation == "canonical":
                v = v / _z0(activation, d, sw) ** 2
            vals.append(math.log(abs(v)))
        out.append((vals[1] - vals[0]) / (2 * h))
    return np.array(out)


def active_slopes(scan: CouplingScan, normalisation: str = "raw") -> list[dict]:
    """Per-width log-log slopes of |u4| against sigma_W with the finite-input correction.

    Each entry: width, slope, slope_err, intercept (log10|u4| fitted at sigma_W = 1),
    expected (d - 4 raw, 4 - d canonical), correction = slope - expected, source, estimator.
    """
    expected = scan.d - 4 if normalisation == "raw" else 4 - scan.d
    u = scan.u4_in(normalisation)
    e = scan.err_in(normalisation)
    out = []
    for i, N in enumerate(scan.widths):
        reps = None
        if scan.replicates is not None:
            reps = scan.replicates[i]
            if normalisation == "canonical":
                reps = reps / (scan.Z0**2)[:, None]
        f = loglog_fit(scan.sigma_ws, u[i], replicates=reps,
                       u4_err=None if e is None else e[i])
        row = {"width": int(N), "slope": f["slope"], "slope_err": f["slope_err"],
               "intercept": f["intercept"], "intercept_err": f["intercept_err"],
               "log10_abs_u4_at_first_sigma_w": float(np.log10(abs(u[i, 0]))),
               # delta method: d log10|u| = du / (|u| ln 10)
               "log10_abs_u4_at_first_sigma_w_err": None if e is None
               else float(e[i, 0] / (abs(u[i, 0]) * math.log(10.0))),
               "expected": expected, "correction": f["slope"] - expected,
               "normalisation": normalisation, "source": scan.source,
               "estimator": scan.meta.get("estimator"),
               "n_networks": scan.meta.get("n_networks"), "n_bags": scan.meta.get("n_bags"),
               "error_method": f["error_method"]}
        if scan.heavy_tail is not None:
            row["heavy_tail_fired"] = int(np.sum(scan.heavy_tail[i]))
            row["heavy_tail_points"] = int(scan.heavy_tail.shape[1])
        out.append(row)
    return out
