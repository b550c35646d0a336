"""``nnqft reproduce pdlt``: deep networks at finite width, the figures of [PDLT] ch. 5.

Stages (figures as PNG + PDF, data as NetCDF, numbers in ``summary.json/.md/.html``):

1. ``vertex_vs_depth``: the normalised four-point vertex N G4_c / (3 G2^2) at one input
   (x = 1) against depth L, for tanh and relu at criticality (tanh (sigma_b, sigma_w) = (0, 1),
   relu (0, sqrt 2)) and off it (tanh (0, 1.5), relu (0.5, 1.2)): 1/N theory lines
   (:func:`nnqft.deep.normalized_vertex`, N-independent when multiplied by N) with a band of
   +- sigma_th (the truncation error estimated from the exact next order at one input,
   :func:`_ratio_truncation`; docs/deep.md section 6.1), relu's exact N((1 + 5/N)^L - 1) at
   criticality, and Monte Carlo points (conditional estimator, jackknife errors) at width N;
   z per depth without and with sigma_th, and the x criterion.
2. ``relu_kurtosis``: E[f^4] / (3 E[f^2]^2) of deep relu (sigma_b = 0) against L / N: exact
   (1 + 5/N)^L for several N, the leading 1/N line 1 + 5 L/N and the N -> inf limit
   exp(5 L/N) at fixed L/N, with Monte Carlo points.
3. ``theory_vs_mc``: a table of 1/N theory against Monte Carlo (G4_c and G2 on 3 inputs) for
   erf, tanh and relu at several depths and widths: per case max |z| of G4_c without and with
   the truncation error sigma_th (:func:`nnqft.deep.truncation_estimate`), max x =
   max(|MC - LO| - sigma_th, 0) / sigma_MC (the criteria of tests/deep/test_deep_validation.py),
   sigma_th / G4_c, max |z| of G2; and per activation and
   depth the fitted power s in (G4_c^MC / G4_c^(1/N) - 1) ~ N^s (expected s = -1: the residual
   N (G4_c^MC - G4_c^(1/N)) falls like 1/N).

Theory and definitions: docs/deep.md. Timing on this 2-core machine: quick ~1 minute.

References
----------
[PDLT] Roberts, Yaida, Hanin, *The Principles of Deep Learning Theory* (2022), ch. 4-5.
Hanin, Nica, arXiv:1812.05994 (exact deep relu moments).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np

from ..io import atomic_write_text, to_jsonable, write_netcdf
from ..networks import Network
from ..stats import format_value_error
from . import output_files, run_stages
from . import stage_log as _log

__all__ = ["reproduce_pdlt", "VERTEX_SETUPS", "TABLE_INPUTS"]

#: (label, activation, sigma_b, sigma_w, critical?) of the vertex-vs-depth figure.
VERTEX_SETUPS = (
    ("tanh critical (0, 1)", "tanh", 0.0, 1.0, True),
    ("tanh off (0, 1.5)", "tanh", 0.0, 1.5, False),
    ("relu critical (0, $\\sqrt{2}$)", "relu", 0.0, math.sqrt(2.0), True),
    ("relu off (0.5, 1.2)", "relu", 0.5, 1.2, False),
)
#: Inputs and network parameters of the theory-vs-Monte-Carlo table.
TABLE_INPUTS = [0.3, 0.7, -0.5]
TABLE_NETS = (("erf", 0.5, 1.3), ("tanh", 0.3, 1.2), ("relu", 0.3, 1.4))

SUMMARY_TERMS = (
    "Terms: `normalised vertex` = N G4_c / (3 G2^2) at one input, which at leading order is "
    "N V^(L+1) / (N K^2) = U / K^2 of docs/deep.md (section 4); `kurtosis` = E[f^4] / "
    "(3 E[f^2]^2); `z without sigma_th` = (Monte Carlo - 1/N theory) / sigma_MC per sorted "
    "tuple; `z with sigma_th` = (Monte Carlo - 1/N theory) / sqrt(sigma_MC^2 + sigma_th^2); "
    "`x` = max(|Monte Carlo - 1/N theory| - sigma_th, 0) / sigma_MC (the validation's two "
    "criteria, both < 5; docs/deep.md section 6); `s` = the fitted power in "
    "G4_c^MC / G4_c^(1/N) - 1 ~ N^s (leading-order theory: s = -1)."
)
#: What sigma_th is (summary.md and summary.json).
SIGMA_TH_NOTE = (
    "sigma_th, the theory's truncation error, is an estimate of the omitted O(1/N^2) term "
    "computed from the exact next order at one input (nnqft.deep.nlo, docs/deep.md section "
    "6.1), with the higher orders summed as a geometric series r / (1 - r), r = the next "
    "order's size relative to the leading one; it uses no Monte Carlo (it is not a fit). In "
    "the table it is nnqft.deep.truncation_estimate per sorted 4-tuple (largest r of the "
    "tuple's inputs); in the vertex figure (band: theory x (1 +- sigma_th / theory)) it is the "
    "same rule applied to the ratio N G4_c / (3 G2^2) at x = 1, whose next order also "
    "contains the 1/N shift of G2 (r = |a2/a1 - 2 g1/g0|)."
)


def _mc(net, X, n_networks, seed):
    from ..estimate import estimate_correlators

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        return estimate_correlators(net, X, orders=(2, 4), n_networks=n_networks, seed=seed)


def _mc_ratio(c):
    """G4_c / (3 G2^2) at one input with its jackknife error."""
    from ..correlators import jackknife_error

    val = c.connected(4)[0] / (3.0 * c.full(2)[0] ** 2)
    rep = c.replicates("connected", 4)[:, 0] / (3.0 * c.replicates("full", 2)[:, 0] ** 2)
    return float(val), float(jackknife_error(rep[:, None])[0])


def _ratio_truncation(net) -> float:
    """Relative truncation error of the leading-order N G4_c / (3 G2^2) at the input x = 1.

    From the exact next order at one input (:func:`nnqft.deep.nlo.one_input_series`, series in
    1/N of G2 = g0 + g1 + g2 and G4_c = a1 + a2): the ratio's relative O(1/N) correction is
    rho = a2 / a1 - 2 g1 / g0 (the vertex's next order and the 1/N shift of G2 in the
    denominator), and the higher orders are summed as a geometric series, r / (1 - r) with
    r = |rho|, as :func:`nnqft.deep.nlo.truncation_estimate` does for G4_c (docs/deep.md
    section 6.1); infinite for r >= 1. An estimate of the omitted terms, not a fit to Monte
    Carlo.
    """
    from ..deep import one_input_series
    from ..deep.nlo import geometric_tail

    s = one_input_series(net, [1.0])
    a1, a2 = s["g4c"][1], s["g4c"][2]
    if a1 == 0.0:  # depth 1: G4_c = V/N and G2 = K exactly
        return 0.0
    return float(geometric_tail(abs(a2 / a1 - 2.0 * s["g2"][1] / s["g2"][0])))


# ---------------------------------------------------------------------------- stages
def _stage_vertex(out: Path, cfg: dict, progress: bool, summary: dict) -> None:
    import xarray as xr

    from ..deep import normalized_vertex
    from . import style

    N, depths_mc, L_max = cfg["vertex_width"], cfg["vertex_depths"], cfg["vertex_max_depth"]
    Ls = np.arange(1, L_max + 1)
    theory = {}
    band = {}
    mc = {}
    for label, act, sb, sw, _ in VERTEX_SETUPS:
        v = normalized_vertex(Network(act, width=N, depth=L_max, sigma_b=sb, sigma_w=sw), [1.0])
        theory[label] = N * v[1:]  # layers 2..L_max+1 = outputs of depth 1..L_max
        band[label] = np.array([_ratio_truncation(Network(act, width=N, depth=int(L), sigma_b=sb,
                                                          sigma_w=sw)) for L in Ls])
        rows = []
        for L in depths_mc:
            c = _mc(Network(act, width=N, depth=int(L), sigma_b=sb, sigma_w=sw), [[1.0]],
                    cfg["vertex_networks"], cfg["seed"] + int(L))
            val, err = _mc_ratio(c)
            rows.append((N * val, N * err))
        mc[label] = np.array(rows)
        _log(f"pdlt: vertex vs depth, {label} done", progress)
    with style.figure_style():
        fig, axes = style.subplots(1, 2, panel=(4.4, 3.4))
        for k, act in enumerate(("tanh", "relu")):
            ax = axes[k]
            for i, (label, a, *_rest) in enumerate(VERTEX_SETUPS):
                if a != act:
                    continue
                col = style.CATEGORICAL[i % len(style.CATEGORICAL)]
                t = theory[label]
                ax.plot(Ls, t, color=col, label=f"{label}: 1/N theory")
                ax.fill_between(Ls, t * (1 - band[label]), t * (1 + band[label]), color=col,
                                alpha=0.2, linewidth=0,
                                label=f"{label}: $\\pm\\sigma_{{th}}$ (next-order estimate)")
                style.mc_points(ax, depths_mc, mc[label][:, 0], mc[label][:, 1], color=col,
                                label=f"{label}: Monte Carlo N = {N}")
            if act == "relu":
                style.reference_line(ax, Ls, N * ((1 + 5.0 / N) ** Ls - 1),
                                     label=f"relu critical: exact $N((1+5/N)^L-1)$, N = {N}")
            ax.set_xlabel("depth $L$ (hidden layers)")
            ax.set_ylabel(style.dimensionless("$N\\,G_{4,c} / (3 G_2^2)$ at $x = 1$"))
            ax.set_title(act)
        style.legend_outside(fig, where="below", ncols=3, fontsize=7)
        style.save(fig, out / "vertex_vs_depth.png")
    ds = xr.Dataset(
        {"theory": (("setup", "depth"), np.array([theory[s[0]] for s in VERTEX_SETUPS])),
         "mc": (("setup", "depth_mc"), np.array([mc[s[0]][:, 0] for s in VERTEX_SETUPS])),
         "mc_err": (("setup", "depth_mc"), np.array([mc[s[0]][:, 1] for s in VERTEX_SETUPS])),
         "sigma_th_rel": (("setup", "depth"), np.array([band[s[0]] for s in VERTEX_SETUPS]))},
        coords={"setup": [s[0] for s in VERTEX_SETUPS], "depth": Ls, "depth_mc": depths_mc},
        attrs={"width": N, "quantity": "N G4_c / (3 G2^2) at x = 1"})
    write_netcdf(ds, out / "vertex_vs_depth.nc")
    tanh_inc = np.diff(theory[VERTEX_SETUPS[0][0]])
    summary["vertex"] = {
        "width": N,
        "tanh_critical_last_increment": float(tanh_inc[-1]),
        "relu_critical_increment": float(np.diff(theory[VERTEX_SETUPS[2][0]])[-1]),
        "tanh_off_last_increment": float(np.diff(theory[VERTEX_SETUPS[1][0]])[-1]),
        "relu_critical_mc_z_vs_exact": [
            float((m - N * ((1 + 5.0 / N) ** L - 1)) / e)
            for (m, e), L in zip(mc[VERTEX_SETUPS[2][0]], depths_mc, strict=True)],
        "mc_z": {s[0]: [float((m - t) / e) for (m, e), t in
                        zip(mc[s[0]], theory[s[0]][np.asarray(depths_mc) - 1], strict=True)]
                 for s in VERTEX_SETUPS},
    }
    idx = np.asarray(depths_mc) - 1
    for key in ("mc_z_with_th", "mc_x", "sigma_th_rel"):
        summary["vertex"][key] = {}
    for s in VERTEX_SETUPS:
        m, e = mc[s[0]][:, 0], mc[s[0]][:, 1]
        t, th = theory[s[0]][idx], theory[s[0]][idx] * band[s[0]][idx]
        summary["vertex"]["mc_z_with_th"][s[0]] = [float(v) for v in (m - t) / np.hypot(e, th)]
        summary["vertex"]["mc_x"][s[0]] = [
            float(v) for v in np.maximum(np.abs(m - t) - th, 0.0) / e]
        summary["vertex"]["sigma_th_rel"][s[0]] = [float(v) for v in band[s[0]][idx]]


def _stage_kurtosis(out: Path, cfg: dict, progress: bool, summary: dict) -> None:
    import xarray as xr

    from ..deep import relu_kurtosis
    from . import style

    widths = cfg["kurt_widths"]
    x = np.linspace(0.0, cfg["kurt_max_ratio"], 200)
    mc_rows = []
    for N, L in cfg["kurt_mc"]:
        c = _mc(Network("relu", width=N, depth=L, sigma_b=0.0, sigma_w=math.sqrt(2)), [[1.0]],
                cfg["kurt_networks"], cfg["seed"] + 100 * N + L)
        val, err = _mc_ratio(c)
        exact = relu_kurtosis((N,) * L)
        mc_rows.append((N, L, 1 + val, err, exact, (1 + val - exact) / err))
    _log("pdlt: relu kurtosis done", progress)
    with style.figure_style():
        fig, ax = style.subplots(panel=(5.0, 3.6))
        cols = style.sequential(len(widths))
        for i, N in enumerate(widths):
            Lmax = int(round(cfg["kurt_max_ratio"] * N))
            Ls = np.arange(0, Lmax + 1)
            ax.plot(Ls / N, (1 + 5.0 / N) ** Ls, color=cols[i], marker=".", markersize=3,
                    label=f"exact $(1+5/N)^L$, N = {N}")
            pts = [r for r in mc_rows if r[0] == N]
            if pts:
                p = np.array(pts)
                style.mc_points(ax, p[:, 1] / N, p[:, 2], p[:, 3], color=cols[i],
                                label=f"Monte Carlo, N = {N}")
        style.reference_line(ax, x, np.exp(5 * x), label="$e^{5L/N}$ ($N\\to\\infty$, fixed $L/N$)")
        style.reference_line(ax, x, 1 + 5 * x, label="$1 + 5L/N$ (leading 1/N)", linestyle=":")
        ax.set_xlabel(style.dimensionless("depth-to-width ratio $L/N$"))
        ax.set_ylabel(style.dimensionless("$E[f^4] / (3 E[f^2]^2)$"))
        ax.set_yscale("log")
        style.legend_outside(ax)
        style.save(fig, out / "relu_kurtosis.png")
    arr = np.array(mc_rows, dtype=float)
    ds = xr.Dataset({"mc_kurtosis": (("point",), arr[:, 2]), "mc_err": (("point",), arr[:, 3]),
                     "exact": (("point",), arr[:, 4])},
                    coords={"N": (("point",), arr[:, 0].astype(int)),
                            "L": (("point",), arr[:, 1].astype(int))})
    write_netcdf(ds, out / "relu_kurtosis.nc")
    summary["kurtosis"] = [dict(zip(("N", "L", "mc", "err", "exact", "z"), map(float, r),
                                    strict=True)) for r in mc_rows]


def _fit_power(N, rel, err):
    """Weighted fit rel = c N^s; returns (s, s_err) (None if fewer than 3 points)."""
    from scipy.optimize import curve_fit

    N, rel, err = map(np.asarray, (N, rel, err))
    if len(N) < 3 or np.max(np.abs(rel) / err) < 3:
        return None, None  # too few widths, or a residual consistent with zero at every N
    try:
        p, cov = curve_fit(lambda n, c, s: c * (n / N[0]) ** s, N, rel, p0=(rel[0], -1.0),
                           sigma=err, absolute_sigma=True, maxfev=10_000)
    except RuntimeError:
        return None, None
    return float(p[1]), float(math.sqrt(cov[1, 1]))


def _stage_table(out: Path, cfg: dict, progress: bool, summary: dict) -> None:
    import xarray as xr

    from ..correlators import jackknife_error
    from ..deep import perturbative_correlators, truncation_estimate

    X = np.array(TABLE_INPUTS)[:, None]
    rows = []
    fits = []
    for act, sb, sw in TABLE_NETS:
        for L in cfg["table_depths"]:
            rel, rel_err, Ns = [], [], []
            for N in cfg["table_widths"]:
                net = Network(act, width=N, depth=L, sigma_b=sb, sigma_w=sw)
                th = perturbative_correlators(net, X)
                tr = truncation_estimate(net, X, g2=th.full(2), g4c=th.connected(4))
                c = _mc(net, X, cfg["table_networks"], cfg["seed"] + 1000 * L + N)
                e4, d4 = c.connected_err(4), c.connected(4) - th.connected(4)
                z4 = d4 / e4
                z4th = d4 / np.hypot(e4, tr["sigma4"])
                x4 = np.maximum(np.abs(d4) - tr["sigma4"], 0.0) / e4
                z2 = (c.full(2) - th.full(2)) / np.hypot(c.full_err(2), tr["sigma2"])
                z2k = (c.full(2) - c.gp(2)) / c.full_err(2)
                # tuple-mean relative residual with jackknife error
                rep = np.mean(c.replicates("connected", 4) / th.connected(4) - 1, axis=1)
                r = float(np.mean(c.connected(4) / th.connected(4) - 1))
                re = float(jackknife_error(rep[:, None])[0])
                rel.append(r)
                rel_err.append(re)
                Ns.append(N)
                rows.append({"activation": act, "sigma_b": sb, "sigma_w": sw, "L": L, "N": N,
                             "max_abs_z_G4c": float(np.max(np.abs(z4))),
                             "max_abs_z_G4c_with_th": float(np.max(np.abs(z4th))),
                             "max_x_G4c": float(np.max(x4)),
                             "sigma_th_rel_G4c": float(np.mean(tr["sigma4"]
                                                               / np.abs(th.connected(4)))),
                             "max_abs_z_G2": float(np.max(np.abs(z2))),
                             "max_abs_z_G2_vs_K": float(np.max(np.abs(z2k))),
                             "rel_residual_G4c": r, "rel_residual_err": re,
                             "N_residual_mean": float(np.mean(N * (c.connected(4)
                                                                   - th.connected(4))))})
                _log(f"pdlt: table {act} L = {L} N = {N}: max|z| G4c "
                     f"{rows[-1]['max_abs_z_G4c']:.2f} without sigma_th, "
                     f"{rows[-1]['max_abs_z_G4c_with_th']:.2f} with", progress)
            s, se = _fit_power(Ns, rel, rel_err)
            fits.append({"activation": act, "L": L, "s": s, "s_err": se})
    ds = xr.Dataset({k: (("case",), np.array([r[k] for r in rows], dtype=float))
                     for k in ("max_abs_z_G4c", "max_abs_z_G4c_with_th", "max_x_G4c",
                               "sigma_th_rel_G4c", "max_abs_z_G2", "rel_residual_G4c",
                               "rel_residual_err")},
                    coords={"activation": (("case",), [r["activation"] for r in rows]),
                            "L": (("case",), [r["L"] for r in rows]),
                            "N": (("case",), [r["N"] for r in rows])},
                    attrs={"fits": json.dumps(fits), "inputs": json.dumps(TABLE_INPUTS)})
    write_netcdf(ds, out / "theory_vs_mc.nc")
    summary["table"] = rows
    summary["residual_fits"] = fits


# ---------------------------------------------------------------------------- summary
def _write_summary(out: Path, summary: dict) -> None:
    from ..experiments.report import render_html

    atomic_write_text(out / "summary.json", json.dumps(to_jsonable(summary), indent=2) + "\n")
    v = summary["vertex"]
    lines = ["# nnqft reproduce pdlt", "",
             f"{'quick' if summary['quick'] else 'full'} run, {summary['wall_s']:.1f} s "
             "(docs/deep.md).", "", SUMMARY_TERMS, "", SIGMA_TH_NOTE, "",
             "## Normalised vertex against depth", "",
             f"1/N theory: relu at criticality grows by exactly {v['relu_critical_increment']:.6g}"
             f" per layer (5, from (1 + 5/N)^L); tanh at criticality by "
             f"{v['tanh_critical_last_increment']:.4g} at the last depth (tending to 2/3); tanh "
             f"off criticality (sigma_w = 1.5) saturates (last increment "
             f"{v['tanh_off_last_increment']:.3g}).", "",
             f"Monte Carlo at N = {v['width']}, depths {summary['config']['vertex_depths']}, "
             "per depth:", "",
             "| setup | z without sigma_th | z with sigma_th | x | sigma_th / theory |",
             "|---|---|---|---|---|"]
    for k, zs in v["mc_z"].items():
        cols = [zs, v["mc_z_with_th"][k], v["mc_x"][k]]
        name = k.replace("$\\sqrt{2}$", "sqrt 2")
        lines.append(f"| {name} | " + " | ".join(", ".join(f"{z:.2f}" for z in c) for c in cols)
                     + " | " + ", ".join(f"{t:.3f}" for t in v["sigma_th_rel"][k]) + " |")
    lines += ["", "relu at criticality against the exact N((1 + 5/N)^L - 1) (all orders in 1/N): "
              "z = " + ", ".join(f"{z:.2f}" for z in v["relu_critical_mc_z_vs_exact"])
              + " (the 1/N line misses the O(L^2/N^2) terms at large L/N)."]
    lines += ["", "## Deep relu kurtosis (sigma_b = 0)", "",
              "| N | L | Monte Carlo | exact (1+5/N)^L | z |", "|---|---|---|---|---|"]
    for r in summary["kurtosis"]:
        lines.append(f"| {int(r['N'])} | {int(r['L'])} | {format_value_error(r['mc'], r['err'])} | "
                     f"{r['exact']:.5g} | {r['z']:.2f} |")
    lines += ["", "## 1/N theory against Monte Carlo (inputs " + json.dumps(TABLE_INPUTS) + ")",
              "", "Largest over the 15 sorted 4-tuples (G4_c) and 6 pairs (G2); sigma_th / G4_c "
              "is the tuple mean.", "",
              "| activation | L | N | max abs z G4_c without sigma_th | max abs z G4_c with "
              "sigma_th | max x G4_c | sigma_th / G4_c | max abs z G2 (K + K1/N, with sigma_th) "
              "| max abs z G2 against K | G4_c^MC / G4_c^(1/N) - 1 |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in summary["table"]:
        lines.append(f"| {r['activation']} | {r['L']} | {r['N']} | {r['max_abs_z_G4c']:.2f} | "
                     f"{r['max_abs_z_G4c_with_th']:.2f} | {r['max_x_G4c']:.2f} | "
                     f"{r['sigma_th_rel_G4c']:.4f} | "
                     f"{r['max_abs_z_G2']:.2f} | {r['max_abs_z_G2_vs_K']:.2f} | "
                     f"{format_value_error(r['rel_residual_G4c'], r['rel_residual_err'])} |")
    lines += ["", "Fitted power s of the relative residual (expected -1):", ""]
    for f in summary["residual_fits"]:
        s = ("not fitted (fewer than 3 widths, or the residual is below 3 standard errors at "
             "every width)") if f["s"] is None else format_value_error(f['s'], f['s_err'])
        lines.append(f"- {f['activation']}, L = {f['L']}: s = {s}")
    lines += ["", "Files: " + ", ".join(sorted(summary["files"])), ""]
    md = "\n".join(lines)
    atomic_write_text(out / "summary.html", render_html(md, "nnqft reproduce pdlt"))
    atomic_write_text(out / "summary.md", md)


def reproduce_pdlt(out_dir="results/pdlt", quick: bool = True, progress: bool = True) -> dict:
    """Run the three stages (module docstring) and write figures, NetCDF and summaries.

    ``quick``: about a minute (widths 50 and 100, 10^4 networks); full: depths up to 8 in the
    vertex figure, widths 25-200 in the table with 4 10^4 networks (tens of minutes).
    """
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = {
        "vertex_width": 50,
        "vertex_depths": [1, 2, 4] if quick else [1, 2, 4, 6, 8],
        "vertex_max_depth": 8,
        "vertex_networks": 4_000 if quick else 40_000,
        "kurt_widths": [5, 10, 20, 50],
        "kurt_max_ratio": 0.6,
        "kurt_mc": [(5, 1), (5, 3), (10, 2), (10, 5)] if quick else
        [(5, 1), (5, 2), (5, 3), (10, 2), (10, 4), (10, 6), (20, 4), (20, 8)],
        "kurt_networks": 10_000 if quick else 100_000,
        "table_depths": [2] if quick else [2, 3, 4],
        "table_widths": [50, 100] if quick else [25, 50, 100, 200],
        "table_networks": 4_000 if quick else 40_000,
        "seed": 0,
    }
    summary = {"quick": bool(quick), "config": cfg, "timings_s": {}, "sigma_th": SIGMA_TH_NOTE}
    run_stages("pdlt", (("vertex", _stage_vertex), ("kurtosis", _stage_kurtosis),
                        ("table", _stage_table)), (out, cfg, progress, summary), summary, progress)
    summary["files"] = output_files(out)
    _write_summary(out, summary)
    return to_jsonable(summary)
