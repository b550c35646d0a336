"""Reproduce the analyses of [HMS] (``nnqft reproduce hms``): figures, NetCDF, summaries.

Every [HMS] figure type, d = 1 unless stated, with the inputs of docs/theory.md#reference-setups:

1. ``deviation_vs_width``: m_n = |G_n - G_n,GP| / G_n,GP (tuple mean) against N for n = 2, 4, 6
   and ReLU, Gauss, Erf: exact lines (m_2 = 0 exactly for one hidden layer) and Monte Carlo
   points (conditional estimator) with jackknife error bars.
2. ``connected6_vs_width``: tuple mean of |G6_c| against N (exact ~ 1/N^2, Monte Carlo points).
3. ``relu_lambda_vs_cutoff``: ReLU (N = 20, sigma_b = 0) lambda against Lambda (21 cutoffs from
   7 to 1e5) for d = 1, 2, 3 with the log-log slope and R^2 (exact; d = 1 also Monte Carlo).
   The slopes are -(d + 4) by construction (homogeneous legs: I_4 ~ Lambda^(d+4) exactly), so
   the Monte Carlo slope is reported as such, not with an error.
4. ``six_point_vs_cutoff``: ReLU N = 20, tuple means of G6_GP/G6, G6_HMS/G6 (disconnected
   lambda term) and the full tree level / G6 against Lambda (exact and Monte Carlo).
5. ``locality``: the local / y^2-local / non-local fits on train inputs, evaluated on test
   inputs (ReLU N = 20, Lambda = 100; Gauss N = 1000, Lambda = inf; Erf N = 5, Lambda = 100):
   a table in the summaries plus NetCDF.

Each figure is a PNG (200 dpi) and a PDF in the shared style (:mod:`nnqft.reproduce.style`;
Monte Carlo points whose heavy-tail check fired drawn as failures) plus its data as NetCDF; ``summary.json`` and ``summary.md`` (and its HTML
rendering ``summary.html``) hold the headline numbers next to the reference values of
docs/theory.md#reference-numbers (exact values next to Monte Carlo ones), after a paragraph that
defines every quantity name. Files are written to a temporary name and renamed.

Timing (this 2-core machine): ``quick`` ~ 30 s (Monte Carlo at 5 widths, 5e4 networks); full
~ 2 minutes (all 10 widths, 2e5 networks per width; 113 s of it the deviation stage).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np

from ..eft.couplings import couplings, to_hms
from ..eft.locality import locality_table
from ..eft.predict import six_point_vs_cutoff
from ..eft.running import running
from ..experiments.report import render_html
from ..io import atomic_write_text, to_jsonable, write_netcdf
from ..networks import Network
from ..stats import format_value_error as pm
from ..stats import mean_deviation, tuple_mean
from . import output_files, run_stages, style
from . import stage_log as _log

__all__ = ["reproduce_hms", "HMS_INPUTS", "REFERENCE"]

WIDTHS = (2, 3, 4, 5, 10, 20, 50, 100, 500, 1000)
HMS_INPUTS = {
    "relu": list(0.2 * np.arange(1, 7)),
    "gauss": [-0.01, -0.006, -0.002, 0.002, 0.006, 0.01],
    "erf": list(0.002 * np.arange(1, 7)),
}
RELU_ND = {
    1: [[v] for v in 0.2 * np.arange(1, 7)],
    2: [[0.5, 0.5], [0.5, 1.0], [1.0, 0.5], [1.0, 1.0]],
    3: [[0.2, 0.2, 0.2], [1, 1, 0.2], [0.2, 1, 1], [1, 0.2, 1]],
}
#: Independent reference values, docs/theory.md#reference-numbers.
REFERENCE = {
    "relu_m4_times_N": 5.0,
    "gauss_m4_times_N": 13.40,
    "erf_m4_times_N": 0.0563,
    "relu_lambda_N_Lambda5": -300.0,
    "relu_lambda_hms_code": 12.5,
    "gauss_lambda_N": -128.3,
    "gauss_lambda_hms_code_N": 5.346,
    "erf_lambda_N": -4.451,
    "erf_lambda_hms_code_N": 0.185,
    "relu_slope_d1": -5.0,
    "relu_slope_d2": -6.0,
    "relu_slope_d3": -7.0,
    "relu_d2_lambda_N_Lambda6_range": [-451.0, -385.0],
    "relu_six_point_gp_ratio": 0.5376,
    "relu_six_point_hms_ratio": 0.9409,
}


#: What the quantity names of summary.md mean (printed at its top; docs/theory.md#glossary).
SUMMARY_TERMS = (
    "Terms: `*_m4_times_N` is N times the tuple mean of the normalised deviation "
    "m_4 = |G4 - G4_GP| / G4_GP (docs/theory.md#hms-deviation); `*_lambda_N` is N times the tuple mean of "
    "lambda = -G4_c / I_4 (docs/theory.md#couplings); `*_hms_code*` is the same coupling in the "
    "convention of the [HMS] code, lambda_code = -lambda / 24 (docs/theory.md#convention-conversions); "
    "`relu_lambda_N_Lambda5` is lambda N Lambda^5, cutoff independent for ReLU at sigma_b = 0; "
    "`relu_slope_dD` the log-log slope of lambda against Lambda in d = D, expected -(D + 4), and "
    "`relu_d2_lambda_N_Lambda6_range` the smallest and largest per-tuple lambda N Lambda^6 in "
    "d = 2 (docs/theory.md#running); `relu_six_point_gp_ratio` and `_hms_ratio` are G6_GP / G6 and the "
    "[HMS] prediction with the disconnected lambda term over G6, `_tree_ratio` the full tree "
    "level (docs/theory.md#six-point-prediction); lambda_0, lambda_2, lambda_NL are the local, "
    "y^2-weighted and non-local quartic couplings of the locality fit "
    "(docs/theory.md#locality-fit). [heavy tails] marks a Monte Carlo value whose heavy-tail "
    "diagnostic fired: its error bar cannot be trusted (docs/theory.md#heavy-tails). Tuple means "
    "are unweighted over sorted tuples.")


#: Why the slopes of lambda against the cutoff carry no error (printed under the table).
EXACT_BY_CONSTRUCTION = (
    "The slopes of lambda against Lambda for ReLU at sigma_b = 0 are -(d + 4) by construction: "
    "the legs Delta are positively homogeneous of degree 1, so I_4(Lambda) = Lambda^(d+4) I_4(1) "
    "exactly and lambda = -G4_c / I_4 scales as Lambda^-(d+4) whatever G4_c is, exact or Monte "
    "Carlo (docs/theory.md#running). The Monte Carlo slope therefore equals -5 to rounding and "
    "has no statistical error; these slopes check the vertex integrals, not the correlators "
    "(the correlators are checked by relu_lambda_N_Lambda5).")


# ---------------------------------------------------------------------------- file helpers
def _save_ds(ds, path: Path) -> None:
    write_netcdf(ds, path)


def _save_fig(fig, path: Path) -> None:
    style.save(fig, path)  # PNG (200 dpi) and PDF


def _save_text(text: str, path: Path) -> None:
    atomic_write_text(path, text)


_jsonable = to_jsonable


# ---------------------------------------------------------------------------- stages
def _mc(net, X, n_networks, seed, orders=(2, 4, 6)):
    from ..estimate import estimate_correlators

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = estimate_correlators(net, X, orders=orders, n_networks=n_networks, seed=seed,
                                 estimator="conditional")
    ht = c.meta.get("heavy_tail")
    fired = bool(ht.get("fired")) if isinstance(ht, dict) else bool(caught)
    return c, fired


def _mean_abs_connected(c, n):
    reps = c.replicates("connected", n)
    return tuple_mean(np.abs(c.connected(n)), None if reps is None else np.abs(reps))


def _stage_deviations(out: Path, cfg: dict, progress: bool, summary: dict) -> None:
    import xarray as xr

    from ..exact import exact_correlators_widths

    acts = ("relu", "gauss", "erf")
    orders = (2, 4, 6)
    ex_dev = np.zeros((len(acts), len(orders), len(WIDTHS)))
    ex_c6 = np.zeros((len(acts), len(WIDTHS)))
    mcw = cfg["mc_widths"]
    mc_dev = np.full((len(acts), len(orders), len(mcw)), np.nan)
    mc_err = np.full_like(mc_dev, np.nan)
    mc_c6 = np.full((len(acts), len(mcw)), np.nan)
    mc_c6_err = np.full_like(mc_c6, np.nan)
    heavy = {}
    for a, act in enumerate(acts):
        net = Network(act, width=2)
        X = HMS_INPUTS[act]
        cs = exact_correlators_widths(net, X, WIDTHS, orders=(2, 4, 6))
        for w, c in enumerate(cs):
            for k, n in enumerate(orders):
                ex_dev[a, k, w] = mean_deviation(c, n)[0]
            ex_c6[a, w] = _mean_abs_connected(c, 6)[0]
        heavy[act] = []
        for w, N in enumerate(mcw):
            _log(f"hms: deviations, {act} N = {N}, {cfg['n_networks']} networks", progress)
            c, fired = _mc(net.replace(width=N), X, cfg["n_networks"], seed=cfg["seed"])
            if fired:
                heavy[act].append(N)
            for k, n in enumerate(orders):
                mc_dev[a, k, w], mc_err[a, k, w] = mean_deviation(c, n)
            mc_c6[a, w], mc_c6_err[a, w] = _mean_abs_connected(c, 6)
        summary["exact"][f"{act}_m4_times_N"] = float(ex_dev[a, 1, 0] * WIDTHS[0])
        i20 = list(mcw).index(20) if 20 in mcw else 0
        summary["monte_carlo"][f"{act}_m4_times_N"] = {
            "N": int(mcw[i20]), "value": float(mc_dev[a, 1, i20] * mcw[i20]),
            "err": float(mc_err[a, 1, i20] * mcw[i20]), "heavy_tail_fired_at_N": heavy[act]}
    ds = xr.Dataset(
        {"exact_deviation": (("activation", "order", "width"), ex_dev),
         "mc_deviation": (("activation", "order", "mc_width"), mc_dev),
         "mc_deviation_err": (("activation", "order", "mc_width"), mc_err)},
        coords={"activation": list(acts), "order": list(orders), "width": list(WIDTHS),
                "mc_width": list(mcw)},
        attrs={"description": "[HMS] normalised deviation m_n = |G_n - G_GP|/G_GP, tuple mean; "
               "Monte Carlo: conditional estimator, jackknife errors",
               "n_networks": cfg["n_networks"], "heavy_tail": json.dumps(heavy)})
    _save_ds(ds, out / "deviation_vs_width.nc")
    with style.figure_style():
        fig, axes = style.subplots(1, 3, panel=(4.0, 3.3))
        for a, act in enumerate(acts):
            ax = axes[a]
            failed = np.isin(np.asarray(mcw), heavy[act])
            for k, n in enumerate(orders):
                st = style.series_style(k)
                if n > 2:
                    ax.plot(WIDTHS, ex_dev[a, k], "-", color=st["color"],
                            label=f"$m_{n}$ exact")
                style.mc_points(ax, mcw, mc_dev[a, k], mc_err[a, k], failed=failed,
                                color=st["color"], marker=st["marker"],
                                label=f"$m_{n}$ Monte Carlo" + (" (exact: 0)" if n == 2 else ""),
                                failed_label=f"$m_{n}$ Monte Carlo, failed (heavy tails)")
            style.log_axes(ax)
            ax.set_title(f"{act}-net, inputs {np.round(HMS_INPUTS[act], 4).tolist()}",
                         fontsize=7.5)
            ax.set_xlabel("width $N$")
            ax.set_ylabel(style.dimensionless("$m_n$"))
        style.legend_outside(fig, where="below", ncols=4)
        _save_fig(fig, out / "deviation_vs_width.png")
    ds = xr.Dataset(
        {"exact_abs_G6c": (("activation", "width"), ex_c6),
         "mc_abs_G6c": (("activation", "mc_width"), mc_c6),
         "mc_abs_G6c_err": (("activation", "mc_width"), mc_c6_err)},
        coords={"activation": list(acts), "width": list(WIDTHS), "mc_width": list(mcw)},
        attrs={"description": "tuple mean of |G6_c| (connected 6-point), exact ~ 1/N^2"})
    _save_ds(ds, out / "connected6_vs_width.nc")
    with style.figure_style():
        fig, ax = style.subplots(panel=(5.0, 3.8))
        for a, act in enumerate(acts):
            st = style.series_style(a)
            ax.plot(WIDTHS, ex_c6[a], "-", color=st["color"], label=f"{act}: exact")
            style.mc_points(ax, mcw, mc_c6[a], mc_c6_err[a],
                            failed=np.isin(np.asarray(mcw), heavy[act]), color=st["color"],
                            marker=st["marker"], label=f"{act}: Monte Carlo",
                            failed_label=f"{act}: Monte Carlo, failed (heavy tails)")
        w = np.asarray(WIDTHS, dtype=float)
        style.reference_line(ax, w, 10 * ex_c6[0, 0] * (w[0] / w) ** 2,
                             label=r"$\propto 1/N^2$ (reference slope)")
        style.log_axes(ax)
        ax.set_xlabel("width $N$")
        ax.set_ylabel(style.dimensionless(r"tuple mean of $|G_{6,c}|$"))
        ax.set_title("connected 6-point function")
        style.legend_outside(ax, where="below", ncols=2)
        _save_fig(fig, out / "connected6_vs_width.png")
    slope = np.polyfit(np.log(WIDTHS), np.log(ex_c6[0]), 1)[0]
    summary["exact"]["relu_G6c_width_slope"] = float(slope)


def _stage_running(out: Path, cfg: dict, progress: bool, summary: dict) -> None:
    import xarray as xr

    from ..exact import exact_correlators

    cut = np.geomspace(7.0, 1e5, cfg["n_cutoffs"])
    data = {}
    for d in (1, 2, 3):
        _log(f"hms: ReLU lambda against Lambda, d = {d}", progress)
        net = Network("relu", width=20, d_in=d, sigma_b=0.0)
        c = exact_correlators(net, RELU_ND[d], orders=(2, 4))
        r = running(c, net, cut)
        data[d] = r
        summary["exact"][f"relu_slope_d{d}"] = r.slope
        summary["exact"][f"relu_slope_r2_d{d}"] = r.r2
        scaled = r.lam[0] * 20 * cut[0] ** (d + 4)
        if d == 1:
            summary["exact"]["relu_lambda_N_Lambda5"] = float(np.mean(r.lam * 20 * cut[:, None]**5))
            summary["exact"]["relu_lambda_hms_code"] = float(
                to_hms(summary["exact"]["relu_lambda_N_Lambda5"], code=True))
        if d == 2:
            summary["exact"]["relu_d2_lambda_N_Lambda6_range"] = [float(scaled.min()),
                                                                  float(scaled.max())]
    # Monte Carlo, d = 1
    netmc = Network("relu", width=20, sigma_b=0.0)
    cmc, _ = _mc(netmc, HMS_INPUTS["relu"], cfg["n_networks"], cfg["seed"], orders=(2, 4))
    rmc = running(cmc, netmc, cut)
    with style.figure_style():
        fig, ax = style.subplots(panel=(5.0, 3.8))
        for d, r in data.items():
            st = style.series_style(d - 1)
            ax.plot(cut, np.abs(r.mean), "-", color=st["color"],
                    label=f"$d = {d}$ exact: slope {r.slope:.4f}, $R^2$ = {r.r2:.6f}")
        style.mc_points(ax, cut, np.abs(rmc.mean), rmc.mean_err, color=style.CATEGORICAL[0],
                        label="$d = 1$ Monte Carlo (slope $-5$ by construction)")
        style.log_axes(ax)
        ax.set_xlabel(style.dimensionless(r"cutoff $\Lambda$"))
        ax.set_ylabel(style.dimensionless(r"$|\lambda|$ (tuple mean)"))
        ax.set_title(r"ReLU-net $N = 20$, $\sigma_b = 0$: $\lambda \propto \Lambda^{-(d+4)}$")
        style.legend_outside(ax, where="below", ncols=1)
        _save_fig(fig, out / "relu_lambda_vs_cutoff.png")
    # With sigma_b = 0 in d = 1 every leg Delta(x, y) is x |y| times a constant, so
    # I_4(Lambda) = c Lambda^5 exactly and lambda = -G4_c / I_4 ~ Lambda^-5 whatever G4_c is:
    # the Monte Carlo slope is -5 to rounding by construction and tests nothing.
    summary["monte_carlo"]["relu_slope_d1"] = {
        "value": rmc.slope, "err": None, "exact_by_construction": True,
        "note": EXACT_BY_CONSTRUCTION}
    lam_mc_scaled = rmc.mean[0] * 20 * cut[0] ** 5
    summary["monte_carlo"]["relu_lambda_N_Lambda5"] = {
        "value": float(lam_mc_scaled), "err": float(rmc.mean_err[0] * 20 * cut[0] ** 5),
        "n_networks": cfg["n_networks"]}
    dv = {}
    for d, r in data.items():
        dv[f"lambda_mean_d{d}"] = (("cutoff",), r.mean)
        dv[f"lambda_spread_d{d}"] = (("cutoff",), r.spread)
        dv[f"beta_mean_d{d}"] = (("cutoff",), r.beta_mean)
    dv["mc_lambda_mean_d1"] = (("cutoff",), rmc.mean)
    dv["mc_lambda_mean_err_d1"] = (("cutoff",), rmc.mean_err)
    ds = xr.Dataset(dv, coords={"cutoff": cut}, attrs={
        "description": "ReLU N=20 sigma_b=0 lambda (S = ... + lambda/4! phi^4) against cutoff",
        "slopes": json.dumps({d: [r.slope, r.slope_err, r.r2] for d, r in data.items()})})
    _save_ds(ds, out / "relu_lambda_vs_cutoff.nc")


def _stage_six_point(out: Path, cfg: dict, progress: bool, summary: dict) -> None:
    import xarray as xr

    from ..exact import exact_correlators

    _log("hms: six-point prediction against Lambda (ReLU N = 20)", progress)
    net = Network("relu", width=20, sigma_b=0.0)
    cut = np.geomspace(7.0, 1e5, cfg["n_cutoffs_6pt"])
    ex = six_point_vs_cutoff(exact_correlators(net, HMS_INPUTS["relu"]), net, cut)
    cmc, _ = _mc(net, HMS_INPUTS["relu"], cfg["n_networks"], cfg["seed"] + 1)
    mc = six_point_vs_cutoff(cmc, net, cut)
    with style.figure_style():
        fig, ax = style.subplots(panel=(5.0, 3.8))
        for i, (key, lab) in enumerate((
                ("ratio_gp", r"Gaussian process: $G_{6,\mathrm{GP}}$"),
                ("ratio_hms", r"[HMS]: GP + disconnected $\lambda$ terms"),
                ("ratio_tree", r"full tree level ($\lambda$, $\kappa$, exchange $J$)"))):
            st = style.series_style(i)
            ax.plot(cut, ex[key], "-", color=st["color"], label=f"{lab}, exact")
            style.mc_points(ax, cut, mc[key], mc[key + "_err"], color=st["color"],
                            marker=st["marker"], label=f"{lab}, Monte Carlo")
        style.log_axes(ax, y=False)
        ax.set_xlabel(style.dimensionless(r"cutoff $\Lambda$"))
        ax.set_ylabel("prediction / measured $G_6$\n(tuple mean, dimensionless)")
        ax.set_title("ReLU-net $N = 20$: six-point prediction")
        style.legend_outside(ax, where="below", ncols=1)
        _save_fig(fig, out / "six_point_vs_cutoff.png")
    dv = {f"exact_{k}": (("cutoff",), ex[k]) for k in ("ratio_gp", "ratio_hms", "ratio_tree")}
    for k in ("ratio_gp", "ratio_hms", "ratio_tree"):
        dv[f"mc_{k}"] = (("cutoff",), mc[k])
        dv[f"mc_{k}_err"] = (("cutoff",), mc[k + "_err"])
    _save_ds(xr.Dataset(dv, coords={"cutoff": cut}), out / "six_point_vs_cutoff.nc")
    summary["exact"]["relu_six_point_gp_ratio"] = float(np.mean(ex["ratio_gp"]))
    summary["exact"]["relu_six_point_hms_ratio"] = float(np.mean(ex["ratio_hms"]))
    summary["exact"]["relu_six_point_tree_ratio"] = float(np.mean(ex["ratio_tree"]))
    summary["exact"]["relu_six_point_hms_ratio_variation_over_cutoffs"] = float(
        np.ptp(ex["ratio_hms"]))
    for k in ("gp", "hms", "tree"):
        summary["monte_carlo"][f"relu_six_point_{k}_ratio"] = {
            "value": float(mc[f"ratio_{k}"][0]), "err": float(mc[f"ratio_{k}_err"][0]),
            "cutoff": float(cut[0])}


def _stage_locality(out: Path, cfg: dict, progress: bool, summary: dict) -> None:
    import xarray as xr

    from ..exact import exact_correlators

    _log("hms: local / non-local fits", progress)
    base = 0.2 * np.arange(1, 7)
    setups = [("relu", 20, 100.0, 1.0), ("gauss", 1000, math.inf, 0.01), ("erf", 5, 100.0, 0.01)]
    rows = []
    for act, N, L, s in setups:
        net = Network(act, width=N)
        test = base * s
        train = test * math.sqrt(2) / 2
        ctr = exact_correlators(net, train, orders=(2, 4))
        cte = exact_correlators(net, test, orders=(2, 4))
        for r in locality_table(ctr, cte, net, L):
            rows.append({"activation": act, "N": N, **r})
    summary["exact"]["locality"] = rows
    names = ("lambda_0", "lambda_2", "lambda_NL")
    acts = [r["activation"] for r in rows]
    models = [r["model"] for r in rows]
    dv = {"train_rel_err": (("row",), [r["train_rel_err"] for r in rows]),
          "test_rel_err": (("row",), [r["test_rel_err"] for r in rows])}
    for nm in names:
        dv[nm] = (("row",), [r.get(nm, np.nan) for r in rows])
        dv[nm + "_err"] = (("row",), [np.nan if r.get(nm + "_err") is None else
                                      r.get(nm + "_err", np.nan) for r in rows])
    ds = xr.Dataset(dv, coords={"activation": (("row",), acts), "model": (("row",), models)},
                    attrs={"description": "G4_c = -(lambda_0 I_4 + lambda_2 I_4^(y^2) + "
                           "lambda_NL T_NL), multiplicity-weighted least squares on train "
                           "inputs (test*sqrt(2)/2), evaluated on test inputs; exact "
                           "correlators; NaN errors = not identifiable (degenerate basis)"})
    _save_ds(ds, out / "locality.nc")
    # the table itself is in summary.md / summary.html (tables are not drawn as images)


def _stage_couplings(out: Path, cfg: dict, progress: bool, summary: dict) -> None:
    from ..exact import exact_correlators

    _log("hms: reference couplings (Gauss, Erf)", progress)
    g = couplings(exact_correlators(Network("gauss", width=1), HMS_INPUTS["gauss"], orders=(2, 4)))
    e = couplings(exact_correlators(Network("erf", width=1), HMS_INPUTS["erf"], orders=(2, 4)),
                  None, 100.0)
    summary["exact"]["gauss_lambda_N"] = g.mean
    summary["exact"]["gauss_lambda_hms_code_N"] = float(to_hms(g.mean, code=True))
    summary["exact"]["erf_lambda_N"] = e.mean
    summary["exact"]["erf_lambda_hms_code_N"] = float(to_hms(e.mean, code=True))
    for act, net, L in (("gauss", Network("gauss", width=100), math.inf),
                        ("erf", Network("erf", width=5), 100.0)):
        c, fired = _mc(net, HMS_INPUTS[act], cfg["n_networks"], cfg["seed"] + 2, orders=(2, 4))
        f = couplings(c, net, L)
        summary["monte_carlo"][f"{act}_lambda_N"] = {
            "N": net.width, "value": f.mean * net.width, "err": f.mean_err * net.width,
            "heavy_tail_fired": fired,
            "note": "biased by heavy tails (see docs/theory.md#heavy-tails)" if fired else ""}


def _write_summary(out: Path, summary: dict) -> None:
    _save_text(json.dumps(_jsonable(summary), indent=2) + "\n", out / "summary.json")
    ex, mc, ref = summary["exact"], summary["monte_carlo"], summary["reference"]
    lines = ["# nnqft reproduce hms", "",
             f"{'quick' if summary['quick'] else 'full'} run, {summary['wall_s']:.1f} s; "
             "convention S = ... + lambda/4! phi^4 (docs/theory.md#couplings).", "",
             SUMMARY_TERMS, "",
             "| quantity | this run (exact) | Monte Carlo | reference (docs/theory.md#reference-numbers) |",
             "|---|---|---|---|"]
    for key, rv in ref.items():
        ev = ex.get(key)
        m = mc.get(key)
        if isinstance(m, dict) and m.get("exact_by_construction"):
            ms = f"{m['value']:.6g} (by construction, see below)"
        elif isinstance(m, dict):
            ms = pm(m["value"], m["err"])
            if m.get("N"):
                ms += f" (N = {m['N']})"
            if m.get("heavy_tail_fired") or m.get("heavy_tail_fired_at_N"):
                ms += " [heavy tails]"
        else:
            ms = ""
        es = (f"{ev:.6g}" if isinstance(ev, float) else
              (str([round(v, 2) for v in ev]) if isinstance(ev, list) else ""))
        lines.append(f"| {key} | {es} | {ms} | {rv} |")
    lines += ["", EXACT_BY_CONSTRUCTION]
    failed = sorted(k for k, m in mc.items() if isinstance(m, dict)
                    and (m.get("heavy_tail_fired") or m.get("heavy_tail_fired_at_N")))
    if failed:
        lines += ["", "Monte Carlo failures: the heavy-tail check fired for " + ", ".join(
            f"`{k}`" for k in failed) + " (marked [heavy tails] above, crosses in the figures). "
            "Gauss-net hidden units at sigma_b = 1 are log-normal: most of the higher moments sit "
            "on rare networks that a feasible sample lacks, so the estimate and its error bar are "
            "both too small (docs/theory.md#heavy-tails). Use the exact engine instead (`nnqft "
            "correlators --exact`, one hidden layer) or Monte Carlo in the tame regime "
            "sigma_b^2 + sigma_W^2 |x|^2 / d <= 0.1."]
    lines += ["", "## Local vs non-local fits (exact correlators)", "",
              "| net | N | model | lambda_0 | lambda_2 | lambda_NL | train rel err | test rel err |",
              "|---|---|---|---|---|---|---|---|"]
    degenerate = []
    for r in ex.get("locality", []):
        ok = r.get("identifiable", True)
        if not ok:
            degenerate.append(f"{r['activation']} N = {r['N']} {r['model']}")

        def f(nm, r=r, ok=ok):
            if nm not in r:
                return ""
            # a degenerate basis fixes only a combination of the couplings: no error exists
            return pm(r[nm], r.get(nm + "_err"), plain_digits=4) if ok else "not identifiable"
        lines.append(f"| {r['activation']} | {r['N']} | {r['model']} | {f('lambda_0')} | "
                     f"{f('lambda_2')} | {f('lambda_NL')} | {r['train_rel_err']:.2e} | "
                     f"{r['test_rel_err']:.2e} |")
    if degenerate:
        lines += ["", "not identifiable (" + "; ".join(degenerate) + "): the model's basis "
                  "integrals are linearly dependent on the train inputs, so the fit fixes only "
                  "one combination of its couplings (summary.json keeps the minimum-norm "
                  "coefficients, with no errors); its rel err columns still show how well "
                  "that combination fits."]
    lines += ["", "Files: " + ", ".join(sorted(summary["files"])), ""]
    md = "\n".join(lines)
    _save_text(render_html(md, "nnqft reproduce hms"), out / "summary.html")
    _save_text(md, out / "summary.md")


def reproduce_hms(out_dir="results/hms", quick: bool = True, progress: bool = True) -> dict:
    """Run every [HMS] figure type; write PNG + NetCDF per figure and the summaries.

    Parameters
    ----------
    out_dir : path
        Output directory (created).
    quick : bool
        Monte Carlo at widths (2, 5, 20, 100, 500) with 5e4 networks and 11 cutoffs for the
        six-point figure (about 30 s here; the full run about 2 minutes); otherwise all 10 widths with 2e5 networks.
    progress : bool
        One line per stage on stderr.

    Returns
    -------
    dict
        The summary (also written to ``summary.json``).
    """
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = {
        "mc_widths": (2, 5, 20, 100, 500) if quick else WIDTHS,
        "n_networks": 50_000 if quick else 200_000,
        "seed": 0,
        "n_cutoffs": 21,
        "n_cutoffs_6pt": 11 if quick else 21,
    }
    summary = {"quick": bool(quick), "config": {k: list(v) if isinstance(v, tuple) else v
                                                for k, v in cfg.items()},
               "reference": REFERENCE, "exact": {}, "monte_carlo": {}, "timings_s": {}}
    run_stages("hms", (("couplings", _stage_couplings), ("deviations", _stage_deviations),
                       ("running", _stage_running), ("six_point", _stage_six_point),
                       ("locality", _stage_locality)),
               (out, cfg, progress, summary), summary, progress)
    summary["files"] = output_files(out)
    _write_summary(out, summary)
    _log(f"hms: done in {summary['wall_s']:.1f} s, results in {out}", progress)
    return _jsonable(summary)
