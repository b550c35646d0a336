"""Reproduce the analyses of [HMS] (``nnqft reproduce hms``): figures, NetCDF, summaries.

Every [HMS] figure type, d = 1 unless stated, with the inputs of docs/theory.md#reference-setups:

1. ``deviation_vs_width``: m_n = |G_n - G_n,GP| / G_n,GP (tuple mean) against N for n = 2, 4, 6
   and ReLU, Gauss, Erf: exact lines (m_2 = 0 exactly for one hidden layer) and Monte Carlo
   points (conditional estimator) with jackknife error bars.
2. ``connected6_vs_width``: tuple mean of |G6_c| against N (exact ~ 1/N^2, Monte Carlo points).
3. ``relu_lambda_vs_cutoff``: ReLU (N = 20, sigma_b = 0) lambda against Lambda (21 cutoffs from
   7 to 1e5) for d = 1, 2, 3 with the log-log slope and R^2 (exact; d = 1 also Monte Carlo).
4. ``six_point_vs_cutoff``: ReLU N = 20, tuple means of G6_GP/G6, G6_HMS/G6 (disconnected
   lambda term) and the full tree level / G6 against Lambda (exact and Monte Carlo).
5. ``locality``: the local / y^2-local / non-local fits on train inputs, evaluated on test
   inputs (ReLU N = 20, Lambda = 100; Gauss N = 1000, Lambda = inf; Erf N = 5, Lambda = 100).

Each figure is a PNG plus its data as NetCDF; ``summary.json`` and ``summary.md`` (and its HTML
rendering ``summary.html``) hold the headline numbers next to the reference values of
docs/theory.md#reference-numbers (exact values next to Monte Carlo ones), after a paragraph that
defines every quantity name. Files are written to a temporary name and renamed.

Timing (this 2-core machine): ``quick`` ~ 30 s (Monte Carlo at 5 widths, 5e4 networks); full
~ 2 minutes (all 10 widths, 2e5 networks per width; 113 s of it the deviation stage).
"""

from __future__ import annotations

import json
import math
import time
import warnings
from pathlib import Path

import numpy as np

from ..eft.couplings import couplings, to_hms
from ..eft.locality import locality_table
from ..eft.predict import six_point_vs_cutoff
from ..eft.running import running
from ..experiments.report import render_html
from ..io import atomic_write_text, save_figure, to_jsonable, write_netcdf
from ..networks import Network
from ..stats import format_value_error as pm
from ..stats import mean_deviation, tuple_mean

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


# ---------------------------------------------------------------------------- file helpers
def _save_ds(ds, path: Path) -> None:
    write_netcdf(ds, path)


def _save_fig(fig, path: Path) -> None:
    save_figure(fig, path, dpi=110, bbox_inches="tight")


def _save_text(text: str, path: Path) -> None:
    atomic_write_text(path, text)


def _log(msg: str, progress: bool) -> None:
    if progress:
        from ..progress import log

        log(msg)


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
    import matplotlib.pyplot as plt
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
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for a, act in enumerate(acts):
        ax = axes[a]
        for k, n in enumerate(orders):
            col = f"C{k}"
            if n > 2:
                ax.loglog(WIDTHS, ex_dev[a, k], "-", color=col, label=f"n={n} exact")
            ax.errorbar(mcw, mc_dev[a, k], yerr=mc_err[a, k], fmt="o", color=col, ms=4,
                        capsize=2, label=f"n={n} MC")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{act}-net, inputs {np.round(HMS_INPUTS[act], 4).tolist()}", fontsize=8)
        ax.set_xlabel("width N")
        ax.set_ylabel("m_n")
        ax.legend(fontsize=7)
    _save_fig(fig, out / "deviation_vs_width.png")
    ds = xr.Dataset(
        {"exact_abs_G6c": (("activation", "width"), ex_c6),
         "mc_abs_G6c": (("activation", "mc_width"), mc_c6),
         "mc_abs_G6c_err": (("activation", "mc_width"), mc_c6_err)},
        coords={"activation": list(acts), "width": list(WIDTHS), "mc_width": list(mcw)},
        attrs={"description": "tuple mean of |G6_c| (connected 6-point), exact ~ 1/N^2"})
    _save_ds(ds, out / "connected6_vs_width.nc")
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for a, act in enumerate(acts):
        ax.loglog(WIDTHS, ex_c6[a], "-", color=f"C{a}", label=f"{act} exact")
        ax.errorbar(mcw, mc_c6[a], yerr=mc_c6_err[a], fmt="o", color=f"C{a}", ms=4, capsize=2,
                    label=f"{act} MC")
    ax.set_xlabel("width N")
    ax.set_ylabel("mean |G6_c|")
    ax.set_title("connected 6-point function (exact ~ 1/N^2)")
    ax.legend(fontsize=7)
    _save_fig(fig, out / "connected6_vs_width.png")
    slope = np.polyfit(np.log(WIDTHS), np.log(ex_c6[0]), 1)[0]
    summary["exact"]["relu_G6c_width_slope"] = float(slope)


def _stage_running(out: Path, cfg: dict, progress: bool, summary: dict) -> None:
    import matplotlib.pyplot as plt
    import xarray as xr

    from ..exact import exact_correlators

    cut = np.geomspace(7.0, 1e5, cfg["n_cutoffs"])
    fig, ax = plt.subplots(figsize=(5.5, 4))
    data = {}
    for d in (1, 2, 3):
        _log(f"hms: ReLU lambda against Lambda, d = {d}", progress)
        net = Network("relu", width=20, d_in=d, sigma_b=0.0)
        c = exact_correlators(net, RELU_ND[d], orders=(2, 4))
        r = running(c, net, cut)
        data[d] = r
        ax.loglog(cut, np.abs(r.mean), "-", label=f"d={d}: slope {r.slope:.6f}, R^2={r.r2:.8f}")
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
    ax.errorbar(cut, np.abs(rmc.mean), yerr=rmc.mean_err, fmt="o", ms=3, color="C0",
                label=f"d=1 MC: slope {pm(rmc.slope, rmc.slope_err)}")
    ax.set_xlabel("cutoff Lambda")
    ax.set_ylabel("|lambda| (tuple mean)")
    ax.set_title("ReLU-net N=20, sigma_b=0: lambda ~ Lambda^-(d+4)")
    ax.legend(fontsize=7)
    _save_fig(fig, out / "relu_lambda_vs_cutoff.png")
    summary["monte_carlo"]["relu_slope_d1"] = {"value": rmc.slope, "err": rmc.slope_err}
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
    import matplotlib.pyplot as plt
    import xarray as xr

    from ..exact import exact_correlators

    _log("hms: six-point prediction against Lambda (ReLU N = 20)", progress)
    net = Network("relu", width=20, sigma_b=0.0)
    cut = np.geomspace(7.0, 1e5, cfg["n_cutoffs_6pt"])
    ex = six_point_vs_cutoff(exact_correlators(net, HMS_INPUTS["relu"]), net, cut)
    cmc, _ = _mc(net, HMS_INPUTS["relu"], cfg["n_networks"], cfg["seed"] + 1)
    mc = six_point_vs_cutoff(cmc, net, cut)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for i, (key, lab) in enumerate((("ratio_gp", "G6_GP / G6"),
                                    ("ratio_hms", "[HMS]: GP + disconnected lambda"),
                                    ("ratio_tree", "full tree level (lambda, kappa, J)"))):
        ax.semilogx(cut, ex[key], "-", color=f"C{i}", label=f"{lab} (exact)")
        ax.errorbar(cut, mc[key], yerr=mc[key + "_err"], fmt="o", ms=3, color=f"C{i}",
                    label=f"{lab} (MC)")
    ax.set_xlabel("cutoff Lambda")
    ax.set_ylabel("prediction / measured G6 (tuple mean)")
    ax.set_title("ReLU-net N=20: six-point prediction")
    ax.legend(fontsize=6)
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
    import matplotlib.pyplot as plt
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
    fig, ax = plt.subplots(figsize=(11, 0.35 * len(rows) + 1))
    ax.axis("off")
    cells = []
    for r in rows:
        cells.append([r["activation"], str(r["N"]), r["model"],
                      *[("" if nm not in r else pm(r[nm], r.get(nm + "_err"), plain_digits=4))
                        for nm in names],
                      f"{r['train_rel_err']:.2e}", f"{r['test_rel_err']:.2e}"])
    tab = ax.table(cellText=cells, colLabels=["net", "N", "model", *names, "train rel err",
                                              "test rel err"], loc="center")
    tab.auto_set_font_size(False)
    tab.set_fontsize(7)
    ax.set_title("local vs non-local quartic terms (this project's convention)")
    _save_fig(fig, out / "locality.png")


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
        if isinstance(m, dict):
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
    lines += ["", "## Local vs non-local fits (exact correlators)", "",
              "| net | N | model | lambda_0 | lambda_2 | lambda_NL | train rel err | test rel err |",
              "|---|---|---|---|---|---|---|---|"]
    for r in ex.get("locality", []):
        def f(nm, r=r):
            if nm not in r:
                return ""
            return pm(r[nm], r.get(nm + "_err"), plain_digits=4)
        lines.append(f"| {r['activation']} | {r['N']} | {r['model']} | {f('lambda_0')} | "
                     f"{f('lambda_2')} | {f('lambda_NL')} | {r['train_rel_err']:.2e} | "
                     f"{r['test_rel_err']:.2e} |")
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
    t0 = time.perf_counter()
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
    for name, stage in (("couplings", _stage_couplings), ("deviations", _stage_deviations),
                        ("running", _stage_running), ("six_point", _stage_six_point),
                        ("locality", _stage_locality)):
        ts = time.perf_counter()
        stage(out, cfg, progress, summary)
        summary["timings_s"][name] = time.perf_counter() - ts
        _log(f"hms: stage {name} done in {summary['timings_s'][name]:.1f} s", progress)
    summary["wall_s"] = time.perf_counter() - t0
    summary["files"] = sorted(p.name for p in out.iterdir()
                              if p.suffix in (".png", ".nc")) + ["summary.json", "summary.md",
                                                                 "summary.html"]
    _write_summary(out, summary)
    _log(f"hms: done in {summary['wall_s']:.1f} s, results in {out}", progress)
    return _jsonable(summary)
