"""Analyses of an experiment's correlators: free theory, couplings and running, FRG bridge.

Each analysis takes the tasks and their correlators ({task key: {"mc": Correlators or None,
"exact": Correlators or None}}) and returns an ``xarray.Dataset`` with units and conventions in
its attributes, plus summary rows for the report. Numbers come from the library only; nothing is
filled in by hand.
"""

from __future__ import annotations

import json
import math

import numpy as np

from ..correlators import Correlators
from ..stats import deviation, tuple_mean
from .plan import Task, series_key, series_label

__all__ = ["correlator_rows", "free_theory", "couplings_running", "bridge"]

_M_CONVENTION = ("m_n = unweighted mean over sorted tuples of |G^(n) - G^(n)_GP| / G^(n)_GP "
                 "([HMS]; docs/theory.md#hms-deviation); r6 = mean over sorted 6-tuples of "
                 "G^(6)_c / G^(6)_GP; errors: jackknife over batches of sampled networks")


def _tuple_mean_with_error(values: np.ndarray, reps: np.ndarray | None):
    """Mean over tuples and its jackknife error (NaN without replicates)."""
    mean, err = tuple_mean(values, reps)
    return mean, math.nan if err is None else err


def _m_n(c: Correlators, n: int):
    return _tuple_mean_with_error(*deviation(c, n))


def _floor(c: Correlators, n: int) -> float:
    """Noise floor of m_n: mean over tuples of the standard error of G^(n) / G^(n)_GP."""
    err = c.full_err(n)
    return math.nan if err is None else float(np.mean(err / np.abs(c.gp(n))))


def _r6(c: Correlators):
    gp = c.gp(6)
    reps = c.replicates("connected", 6)
    return _tuple_mean_with_error(c.connected(6) / gp, None if reps is None else reps / gp)


def correlator_rows(tasks: list[Task], results: dict) -> list[dict]:
    """One summary row per network: the tuple mean of G4_c (Monte Carlo and exact)."""
    rows = []
    for t in tasks:
        r = results[t.key]
        mc, ex = r.get("mc"), r.get("exact")
        row = {"key": t.key, "network": t.label, "n_inputs": int(t.inputs.shape[0])}
        top = max((mc or ex).orders)
        row["order"] = top
        if mc is not None:
            reps = mc.replicates("connected", top)
            row["mc_mean"], row["mc_err"] = _tuple_mean_with_error(mc.connected(top), reps)
            row["n_networks"] = mc.n_networks
            row["estimator"] = mc.estimator
            row["heavy_tail"] = bool(mc.meta.get("heavy_tail", {}).get("fired", False))
        if ex is not None:
            row["exact_mean"] = float(np.mean(ex.connected(top)))
            if mc is not None and row["mc_err"] > 0:
                row["pull"] = (row["mc_mean"] - row["exact_mean"]) / row["mc_err"]
        rows.append(row)
    return rows


def free_theory(tasks: list[Task], results: dict):
    """m_2, m_4, m_6 and r6 = <G6_c / G6_GP> against width, exact and Monte Carlo.

    Returns
    -------
    (xarray.Dataset, list of dict)
        Dataset with dims (series, width, order); rows for the summary table.
    """
    import xarray as xr

    keys = sorted({series_key(t.network) for t in tasks}, key=lambda k: [str(v) for v in k])
    labels = [series_label(k, keys) for k in keys]
    widths = sorted({t.network.width for t in tasks})
    orders = [2, 4, 6]
    shape = (len(keys), len(widths), len(orders))
    arr = {name: np.full(shape, np.nan) for name in ("m_exact", "m_mc", "m_mc_err", "m_floor")}
    r6 = {name: np.full(shape[:2], np.nan) for name in ("r6_exact", "r6_mc", "r6_mc_err")}
    heavy = np.zeros(shape[:2], dtype=np.int8)
    n_networks = np.zeros(shape[:2], dtype=np.int64)
    rows = []
    for t in tasks:
        i, j = keys.index(series_key(t.network)), widths.index(t.network.width)
        res = results[t.key]
        mc, ex = res.get("mc"), res.get("exact")
        row = {"series": labels[i], "width": t.network.width}
        for k, n in enumerate(orders):
            if ex is not None:
                arr["m_exact"][i, j, k] = _m_n(ex, n)[0]
            if mc is not None:
                arr["m_mc"][i, j, k], arr["m_mc_err"][i, j, k] = _m_n(mc, n)
                arr["m_floor"][i, j, k] = _floor(mc, n)
        if ex is not None:
            r6["r6_exact"][i, j] = _r6(ex)[0]
        if mc is not None:
            r6["r6_mc"][i, j], r6["r6_mc_err"][i, j] = _r6(mc)
            heavy[i, j] = int(mc.meta.get("heavy_tail", {}).get("fired", False))
            n_networks[i, j] = mc.n_networks
        for k, n in enumerate(orders[1:], start=1):
            row[f"m{n}_exact"] = arr["m_exact"][i, j, k]
            row[f"m{n}_mc"] = arr["m_mc"][i, j, k]
            row[f"m{n}_mc_err"] = arr["m_mc_err"][i, j, k]
        row["r6_exact"] = r6["r6_exact"][i, j]
        row["r6_mc"], row["r6_mc_err"] = r6["r6_mc"][i, j], r6["r6_mc_err"][i, j]
        row["heavy_tail"] = bool(heavy[i, j])
        rows.append(row)
    rows.sort(key=lambda r: (labels.index(r["series"]), r["width"]))
    dims3, dims2 = ("series", "width", "order"), ("series", "width")
    one = {"units": "1"}
    ds = xr.Dataset(
        {
            "m_exact": (dims3, arr["m_exact"], {**one, "long_name": "m_n, exact finite width"}),
            "m_mc": (dims3, arr["m_mc"], {**one, "long_name": "m_n, Monte Carlo"}),
            "m_mc_err": (dims3, arr["m_mc_err"], {**one, "long_name": "standard error of m_mc"}),
            "m_floor": (dims3, arr["m_floor"],
                        {**one, "long_name": "Monte Carlo noise floor of m_n "
                         "(tuple mean of stderr(G_n) / G_n,GP)"}),
            "r6_exact": (dims2, r6["r6_exact"],
                         {**one, "long_name": "tuple mean of G6_c / G6_GP, exact"}),
            "r6_mc": (dims2, r6["r6_mc"], {**one, "long_name": "tuple mean of G6_c / G6_GP, Monte Carlo"}),
            "r6_mc_err": (dims2, r6["r6_mc_err"], {**one, "long_name": "standard error of r6_mc"}),
            "heavy_tail": (dims2, heavy, {"units": "1", "long_name":
                                          "1 where the heavy-tail diagnostic fired (MC errors untrustworthy)"}),
            "n_networks": (dims2, n_networks, {"units": "1", "long_name": "networks sampled (0: none)"}),
        },
        coords={
            "series": ("series", labels, {"long_name": "network series (all but the width)"}),
            "width": ("width", np.array(widths, dtype=np.int64),
                      {"units": "1", "long_name": "hidden width N"}),
            "order": ("order", np.array(orders, dtype=np.int64), {"units": "1"}),
        },
        attrs={
            "title": "Free theory: deviations from the Gaussian process against width",
            "conventions": _M_CONVENTION,
            "series_parameters": json.dumps(
                {lab: dict(zip(("activation", "depth", "sigma_w", "sigma_b", "weight_law"), k,
                               strict=True)) for lab, k in zip(labels, keys, strict=True)}),
            "references": "[HMS] arXiv:2008.08601; docs/theory.md#hms-deviation, #exact-finite-width, #reference-setups",
        },
    )
    return ds, rows


def couplings_running(tasks: list[Task], results: dict, cutoffs: list[float]):
    """Quartic coupling lambda (tuple mean and spread) at each cutoff, and its running.

    beta = d lambda_mean / d ln Lambda by finite differences over the finite cutoffs (nan with
    fewer than two). Convention: S = ... + lambda/4! phi^4 (docs/theory.md#couplings).
    """
    import xarray as xr

    try:
        from ..eft import couplings as eft_couplings
    except ImportError as exc:  # pragma: no cover - depends on the build
        raise RuntimeError(f"the couplings analysis needs nnqft.eft ({exc})") from None
    cut = np.array(sorted(cutoffs), dtype=np.float64)
    names = [t.key for t in tasks]
    sources = ("exact", "mc")
    shape = (len(names), len(sources), len(cut))
    out = {k: np.full(shape, np.nan) for k in ("lambda_mean", "lambda_mean_err", "lambda_spread",
                                                "lambda_spread_err")}
    rows = []
    for i, t in enumerate(tasks):
        for s, src in enumerate(sources):
            c = results[t.key].get(src)
            if c is None:
                continue
            for j, L in enumerate(cut):
                fit = eft_couplings(c, t.network, float(L))
                out["lambda_mean"][i, s, j] = fit.mean
                out["lambda_spread"][i, s, j] = fit.spread
                if fit.mean_err is not None:
                    out["lambda_mean_err"][i, s, j] = fit.mean_err
                if fit.spread_err is not None:
                    out["lambda_spread_err"][i, s, j] = fit.spread_err
                rows.append({"network": t.label, "source": src,
                             "cutoff": float(L), "lambda_mean": fit.mean,
                             "lambda_mean_err": fit.mean_err, "lambda_spread": fit.spread})
    beta = np.full(shape, np.nan)
    fin = np.isfinite(cut)
    if fin.sum() >= 2:
        beta[..., fin] = np.gradient(out["lambda_mean"][..., fin], np.log(cut[fin]), axis=-1)
    lam_attrs = {"units": "1", "convention": "S = ... + lambda/4! phi^4; lambda(t) = -G4_c(t) / I_4(t)"}
    ds = xr.Dataset(
        {
            "lambda_mean": (("network", "source", "cutoff"), out["lambda_mean"],
                            {**lam_attrs, "long_name": "unweighted tuple mean of lambda"}),
            "lambda_mean_err": (("network", "source", "cutoff"), out["lambda_mean_err"],
                                {**lam_attrs, "long_name": "jackknife error of lambda_mean"}),
            "lambda_spread": (("network", "source", "cutoff"), out["lambda_spread"],
                              {**lam_attrs, "long_name": "std over tuples (ddof 0) of lambda"}),
            "lambda_spread_err": (("network", "source", "cutoff"), out["lambda_spread_err"],
                                  {**lam_attrs, "long_name": "jackknife error of lambda_spread"}),
            "beta": (("network", "source", "cutoff"), beta,
                     {"units": "1", "long_name": "d lambda_mean / d ln Lambda (finite differences)"}),
        },
        coords={
            "network": ("network", names),
            "network_label": ("network", [t.label for t in tasks]),
            "source": ("source", list(sources)),
            "cutoff": ("cutoff", cut, {"units": "input units", "long_name":
                                       "cutoff Lambda of the vertex integral (inf allowed)"}),
        },
        attrs={"title": "Quartic couplings and their running with the cutoff",
               "conventions": "docs/theory.md#couplings; S = ... + lambda/4! phi^4; "
                              "[HMS] lambda_HMS = lambda/24",
               "references": "[HMS] arXiv:2008.08601"},
    )
    return ds, rows


_IR_FIELDS = ("A", "mu2", "Z0", "u2", "u4", "u4_err", "u4_spread", "u6", "u6_err", "u6_spread")


def bridge(tasks: list[Task], results: dict):
    """FRG set-up (kinetic term, u_2, u_4, u_6) from every network's correlators ([ELS]).

    Uses :func:`nnqft.bridge.ir_from_correlators` (raw normalisation, Lambda = inf); its
    scalar fields (A, mu2, Z0, u2, u4, u6 with errors and spreads) become data variables.
    """
    import xarray as xr

    try:
        from ..bridge import ir_from_correlators
    except ImportError as exc:
        raise RuntimeError(f"the bridge analysis needs nnqft.bridge, which this installation "
                           f"lacks ({exc})") from None
    names = [t.key for t in tasks]
    sources = ("exact", "mc")
    fields: dict[str, np.ndarray] = {}
    rows = []
    for i, t in enumerate(tasks):
        for s, src in enumerate(sources):
            c = results[t.key].get(src)
            if c is None:
                continue
            ir = ir_from_correlators(c)
            d = {k: getattr(ir, k, None) for k in _IR_FIELDS}
            row = {"network": t.label, "source": src}
            for k, v in d.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool) or v is None:
                    fields.setdefault(k, np.full((len(names), len(sources)), np.nan))
                    fields[k][i, s] = np.nan if v is None else float(v)
                    row[k] = v
            rows.append(row)
    ds = xr.Dataset(
        {k: (("network", "source"), v, {"units": "1"}) for k, v in fields.items()},
        coords={"network": ("network", names),
                "network_label": ("network", [t.label for t in tasks]),
                "source": ("source", list(sources))},
        attrs={"title": "FRG set-up from network correlators ([ELS])",
               "conventions": "docs/theory.md#set-ups; u4, u6 in this project's convention "
                              "(tuple means of lambda, kappa); canonical = / Z0^2, / Z0^3",
               "references": "[ELS] arXiv:2108.01403"},
    )
    return ds, rows
