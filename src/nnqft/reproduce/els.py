"""``nnqft reproduce els``: the [ELS] analysis redone with exact and Monte Carlo data.

Outputs (in ``out_dir``, written atomically: temporary file + rename):

- ``scan.nc``: u4 (raw tuple mean of lambda, Lambda = inf) on the ten [HMS] widths x sigma_W in
  [1, 20] (step 0.5): exact, conditional Monte Carlo (sigma_b = 1 and the tame sigma_b = 0.3)
  and the [ELS]-sized 5 x 1000 raw Monte Carlo, with errors and heavy-tail flags;
- ``flows.nc``-style files ``flow_<name>.nc`` for the flows shown;
- figures ``u4_vs_sigma_w``, ``flows``, ``passive``, ``lattice``, each as PNG (200 dpi) and PDF in
  the shared style (:mod:`nnqft.reproduce.style`; Monte Carlo points whose heavy-tail check
  fired drawn as crosses);
- ``summary.json`` (``"slopes": [{"width", "slope", "slope_err", "source"}]`` and the rest) and
  ``summary.md`` comparing with the published numbers (docs/theory.md#els-numerics,
  #the-published-flow), and ``summary.html``, the same rendered as HTML. Every strong claim in
  the summary is printed with the computed values behind it and cites the section of
  docs/theory.md where it is derived; the terms it uses are defined at its top.

Quick mode (``quick=True``) uses every fourth sigma_W (1, 3, ..., 19) for the Monte Carlo
points, 1000 (sigma_b = 1) and 2000 (tame sigma_b = 0.3) conditional networks per point, the [ELS]-sized Monte Carlo at sigma_W in
{1, 5, 10, 20} and k* tables for N in {3, 100, 1000}; the exact scan always covers the full grid.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from ..bridge.flows import (
    ELS_PUBLISHED,
    compare_flows,
    els_as_published,
    els_with_measured,
    flow_from_ir,
)
from ..bridge.flows import passive_reading as _passive
from ..bridge.ir import ir_data
from ..bridge.scaling import (
    ELS_INPUTS,
    ELS_SIGMA_WS,
    HMS_WIDTHS,
    active_slopes,
    exact_coupling_scan,
    local_slope,
    mc_coupling_scan,
)
from ..experiments.report import render_html
from ..io import atomic_write_text, to_jsonable, write_netcdf
from ..networks import Network
from ..stats import format_value_error as pm
from . import style

__all__ = ["reproduce_els", "PUBLISHED"]

#: Published [ELS] numbers compared in summary.md (docs/theory.md#els-numerics, #the-published-flow).
PUBLISHED = {"slope_N3": -3.04, "intercept_N3": 1.59, "log10_u4_sigma1_N3": 1.75,
             "predicted_slope": -3.00}


# ------------------------------------------------------------------ atomic writers
def _write_text(path: Path, text: str) -> None:
    atomic_write_text(path, text)


def _write_nc(path: Path, ds) -> None:
    write_netcdf(ds, path)


def _write_fig(path: Path, fig) -> None:
    style.save(fig, path)  # PNG (200 dpi) and PDF


_jsonable = to_jsonable


class _Log:
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.t0 = time.time()

    def __call__(self, msg: str) -> None:
        if self.enabled:
            import sys

            print(f"[els {time.time() - self.t0:6.1f}s] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the reproduction
def reproduce_els(out_dir="results/els", quick: bool = True, progress: bool = True) -> dict:
    """Run the [ELS] reproduction and write figures, NetCDF, summary.json and summary.md.

    Returns the summary dict (also written as ``summary.json``).
    """
    import xarray as xr

    out = Path(out_dir)
    log = _Log(progress)
    t_start = time.time()
    widths = np.array(HMS_WIDTHS)
    sws = ELS_SIGMA_WS
    mc_sws = sws[::4] if quick else sws
    els_sws = np.array([1.0, 5.0, 10.0, 20.0]) if quick else sws
    M_cond = 1000 if quick else 10000
    M_tame = 2000 if quick else 10000
    kstar_widths = (3, 100, 1000) if quick else tuple(HMS_WIDTHS)
    summary: dict = {"quick": bool(quick), "inputs": ELS_INPUTS.tolist(), "d": 1,
                     "convention": "u4 = unweighted tuple mean of lambda = -G4_c/I_4 "
                                   "(Lambda = inf), raw normalisation unless labelled canonical",
                     "published": PUBLISHED}

    # ---- 1. exact scans (sigma_b = 1 and the tame 0.3), slopes raw and canonical
    log("exact sigma_W scans")
    ex1 = exact_coupling_scan(sigma_b=1.0)
    ex03 = exact_coupling_scan(sigma_b=0.3)
    slopes = []
    s_exact = active_slopes(ex1)
    slopes += s_exact
    s_exact_can = active_slopes(ex1, "canonical")
    s_exact03 = active_slopes(ex03)
    loc = local_slope("gauss", 1, 1.0, ELS_INPUTS, sws[[0, 18, 38]])
    small = exact_coupling_scan(sigma_ws=sws, widths=(3,), sigma_b=1.0, inputs=[[0.0]])
    s_small = active_slopes(small)[0]

    # ---- 2. Monte Carlo: conditional (sigma_b = 1), tame conditional (0.3), [ELS]-sized raw
    log(f"conditional Monte Carlo, sigma_b = 1 ({M_cond} networks x {len(mc_sws)} sigma_W x "
        f"{len(widths)} widths)")
    mc1 = mc_coupling_scan(sigma_ws=mc_sws, widths=widths, sigma_b=1.0, n_networks=M_cond,
                           seed=1, estimator="conditional")
    s_mc1 = active_slopes(mc1)
    slopes += s_mc1
    log("conditional Monte Carlo, tame sigma_b = 0.3")
    mc03 = mc_coupling_scan(sigma_ws=mc_sws, widths=widths, sigma_b=0.3, n_networks=M_tame,
                            seed=2, estimator="conditional")
    s_mc03 = active_slopes(mc03)
    ex03_sub = exact_coupling_scan(sigma_ws=mc_sws, sigma_b=0.3)
    s_ex03_sub = active_slopes(ex03_sub)
    log(f"[ELS]-sized Monte Carlo: 5 bags x 1000 networks, raw estimator, {len(els_sws)} sigma_W")
    els_mc = mc_coupling_scan(sigma_ws=els_sws, widths=widths, sigma_b=1.0, n_networks=1000,
                              seed=100, estimator="raw", n_bags=5)
    s_els = active_slopes(els_mc)
    slopes += s_els
    for row in slopes:
        row["sigma_b"] = 1.0

    # tame comparison table (same sigma_W subset for exact and MC)
    tame = []
    for m, e in zip(s_mc03, s_ex03_sub, strict=True):
        z = (m["slope"] - e["slope"]) / m["slope_err"] if m["slope_err"] else None
        tame.append({"width": m["width"], "slope_mc": m["slope"], "slope_err": m["slope_err"],
                     "slope_exact": e["slope"], "z": z,
                     "heavy_tail_fired": m["heavy_tail_fired"],
                     "points": m["heavy_tail_points"], "n_networks": M_tame,
                     "estimator": "conditional"})
    # bias of the [ELS]-sized Monte Carlo against exact, at each sigma_W of its grid
    ex_on_els = exact_coupling_scan(sigma_ws=els_sws, sigma_b=1.0)
    bias = []
    for i, N in enumerate(widths):
        for j, s in enumerate(els_sws):
            e = ex_on_els.u4[i, j]
            bias.append({"width": int(N), "sigma_w": float(s), "u4_exact": float(e),
                         "u4_mc": float(els_mc.u4[i, j]), "u4_mc_err": float(els_mc.u4_err[i, j]),
                         "ratio": float(els_mc.u4[i, j] / e),
                         "z": float((els_mc.u4[i, j] - e) / els_mc.u4_err[i, j]),
                         "heavy_tail_fired": bool(els_mc.heavy_tail[i, j])})
    cond_bias = []
    for i, N in enumerate(widths):
        e = exact_coupling_scan(sigma_ws=mc_sws[:1], widths=(N,), sigma_b=1.0).u4[0, 0]
        cond_bias.append({"width": int(N), "sigma_w": float(mc_sws[0]), "u4_exact": float(e),
                          "u4_mc": float(mc1.u4[i, 0]), "u4_mc_err": float(mc1.u4_err[i, 0]),
                          "ratio": float(mc1.u4[i, 0] / e),
                          "heavy_tail_fired": bool(mc1.heavy_tail[i, 0])})

    # NetCDF of the scans
    def scan_vars(scan, name):
        v = {f"u4_{name}": (("width", f"sigma_w_{name}"), scan.u4)}
        if scan.u4_err is not None:
            v[f"u4_{name}_err"] = (("width", f"sigma_w_{name}"), scan.u4_err)
            v[f"heavy_tail_{name}"] = (("width", f"sigma_w_{name}"),
                                       scan.heavy_tail.astype(np.int8))
        return v

    ds = xr.Dataset(
        {**scan_vars(ex1, "exact"), **scan_vars(ex03, "exact_tame"),
         **scan_vars(mc1, "mc"), **scan_vars(mc03, "mc_tame"), **scan_vars(els_mc, "els")},
        coords={"width": widths, "sigma_w_exact": sws, "sigma_w_exact_tame": sws,
                "sigma_w_mc": mc_sws, "sigma_w_mc_tame": mc_sws, "sigma_w_els": els_sws},
        attrs={"convention": summary["convention"], "inputs": json.dumps(ELS_INPUTS.tolist()),
               "sigma_b": "1 (exact, mc, els), 0.3 (*_tame)",
               "mc": f"conditional estimator, {M_cond} (sigma_b = 1) and {M_tame} (0.3) networks "
              "per point, seeds 1 and 2",
               "els": "raw estimator, 5 bags x 1000 networks (seeds 100..104), mean over bags"})
    _write_nc(out / "scan.nc", ds)

    # ---- 3. flows
    log("flows: [ELS] as published")
    pub = {}
    for N in (1000, 3):
        f = els_as_published(N)
        ref = ELS_PUBLISHED["results"][N]
        row = {"width": N, "u4_0_typed_in": f.initial["u4"], "u6_0_typed_in": f.initial["u6"],
               "sigma_w_100": float(f.sigma_w_of_k()[-1]), "u4_100": f.result.final["u4"],
               "u6_100": f.result.final["u6"], "published": ref, "status": f.status,
               "label": f.label}
        row["max_rel_diff"] = max(abs(row[k] / v - 1) for k, v in ref.items())
        pub[N] = row
        _write_nc(out / f"flow_els_as_published_N{N}.nc", f.result.to_dataset())
    log("flows: k* table (set-ups a, b; sigma_b 1 and 0.3; phi^6 and phi^8)")
    kstar = []
    flows_plot = {}
    for sb in (1.0, 0.3):
        for N in kstar_widths:
            ir = ir_data(Network("gauss", width=int(N), sigma_b=sb), ELS_INPUTS, order=8)
            for setup in ("a", "b"):
                for order in (6, 8):
                    f = flow_from_ir(ir, setup, order, rtol=1e-8, atol=1e-12, n_points=120)
                    kstar.append({"width": int(N), "sigma_b": sb, "setup": setup,
                                  "order": order, "status": f.status, "k_star": f.k_star,
                                  "u4_ir": f.initial["u4"], "u6_ir": f.initial["u6"],
                                  "u8_ir": f.initial.get("u8"),
                                  "normalisation": f.normalisation})
                    if order == 6 and N in (3, 1000):
                        flows_plot[(sb, N, setup)] = f
            fe = els_with_measured(ir)
            kstar.append({"width": int(N), "sigma_b": sb, "setup": "els (measured u4, u6)",
                          "order": 6, "status": fe.status, "k_star": fe.k_star,
                          "u4_ir": fe.initial["u4"], "u6_ir": fe.initial["u6"], "u8_ir": None,
                          "normalisation": fe.normalisation})
    for (sb, N, setup), f in flows_plot.items():
        _write_nc(out / f"flow_{setup}_N{N}_sb{sb:g}.nc", f.result.to_dataset())
    comparisons = {}
    for sb in (1.0, 0.3):
        for N in (3, 1000):
            c = compare_flows(flows_plot[(sb, N, "a")], flows_plot[(sb, N, "b")], n_k=8)
            comparisons[f"N{N}_sb{sb:g}"] = {
                "k_max_compared": c["k_max_compared"], "normalisation": c["normalisation"],
                "u4_max_rel_diff": c["u4_max_rel_diff"], "u6_max_rel_diff": c["u6_max_rel_diff"]}
    log("passive reading")
    passive = {}
    for sb in (1.0, 0.3):
        ir = ir_data(Network("gauss", width=1000, sigma_b=sb), ELS_INPUTS)
        p = _passive(flows_plot[(sb, 1000, "b")], ir, n_k=8 if quick else 16, k_min=1e-2)
        passive[f"N1000_sb{sb:g}"] = p

    # ---- 4. translation invariance and the cos-net
    log("translation invariance, cos-net")
    from ..bridge.symmetry import shift_violation

    shifts = [0.01, 0.1, 1.0]
    trans = {"gauss": shift_violation(Network("gauss", width=3), ELS_INPUTS, shifts),
             "cos": shift_violation(Network("cos", width=3), ELS_INPUTS, shifts)}
    cos_scan = exact_coupling_scan("cos", sigma_b=1.0)
    s_cos = active_slopes(cos_scan)
    s_cos_can = active_slopes(cos_scan, "canonical")

    # ---- 5. finite data sets
    log("finite data sets")
    from ..bridge.lattice import ELS_LATTICE, mode_count, mode_sum_flow, resolving_lattice

    lat_r = resolving_lattice(math.sqrt(2.0))
    kk = np.geomspace(0.1, 100, 40)
    ir_t = ir_data(Network("gauss", width=1000, sigma_b=0.3), ELS_INPUTS).to_canonical()
    init = ir_t.couplings(6)
    f_cont = flow_from_ir(ir_t, "b", 6, rtol=1e-8, atol=1e-12, n_points=60)
    lattice = {"els_lattice": {"a0": ELS_LATTICE.a0, "L": ELS_LATTICE.L,
                               "first_nonzero_mode": float(ELS_LATTICE.momenta_norms()[1]),
                               "modes_below_100": int(mode_count(ELS_LATTICE, 100.0))},
               "resolving_lattice": {"a0": lat_r.a0, "n0": lat_r.n0, "L": lat_r.L},
               "continuum_final": f_cont.result.final, "flows": []}
    for name, lat in (("els", ELS_LATTICE), ("resolving", lat_r)):
        for zm in ("include", "exclude"):
            r = mode_sum_flow(lat, init, zero_mode=zm)
            lattice["flows"].append({"lattice": name, "zero_mode": zm, "status": r.status,
                                     "final": r.final,
                                     "u4_rel_change_vs_continuum":
                                         r.final["u4"] / f_cont.result.final["u4"] - 1})

    # ---- 6. grid inverse problem (c)
    log("grid LPA inverse problem (c)")
    from ..bridge.inverse import inverse_grid

    inverse = {}
    for sb in (0.3, 1.0):
        ir = ir_data(Network("gauss", width=1000, sigma_b=sb), ELS_INPUTS)
        inverse[f"N1000_sb{sb:g}"] = inverse_grid(ir, max_nfev=15 if quick else 40)

    # ---- 7. figures
    log("figures")
    _figures(out, ex1, mc1, els_mc, flows_plot, pub, passive, lat_r, kk)

    summary.update({
        "slopes": [{"width": r["width"], "slope": r["slope"], "slope_err": r["slope_err"],
                    "source": r["source"]} for r in slopes],
        "slopes_detail": slopes,
        "slopes_canonical_exact": s_exact_can,
        "slopes_exact_tame": s_exact03,
        "slope_small_input_limit": s_small["slope"],
        "local_slope_exact": {"sigma_w": sws[[0, 18, 38]].tolist(), "slope": loc.tolist()},
        "tame_monte_carlo": tame,
        "els_sized_bias": bias,
        "conditional_bias_sigma_w1": cond_bias,
        "as_published": {str(k): v for k, v in pub.items()},
        "k_star": kstar,
        "flow_comparisons_a_vs_b": comparisons,
        "passive": {k: {kk_: v for kk_, v in p.items()} for k, p in passive.items()},
        "translation": trans,
        "cos_slopes": {"raw": s_cos[:1], "canonical": s_cos_can[:1]},
        "lattice": lattice,
        "inverse_grid": inverse,
        "monte_carlo_sizes": {"conditional_per_point": M_cond, "tame_per_point": M_tame,
                              "sigma_w_points": len(mc_sws),
                              "els_sized": "5 bags x 1000 networks, raw estimator",
                              "els_sigma_w_points": len(els_sws)},
    })
    summary["elapsed_s"] = time.time() - t_start
    js = _jsonable(summary)
    _write_text(out / "summary.json", json.dumps(js, indent=1) + "\n")
    md = _markdown(js)
    _write_text(out / "summary.html", render_html(md, "nnqft reproduce els"))
    _write_text(out / "summary.md", md)
    log(f"done in {summary['elapsed_s']:.0f} s")
    return js


# ------------------------------------------------------------------ figures
def _figures(out, ex1, mc1, els_mc, flows_plot, pub, passive, lat_r, kk):
    from matplotlib.lines import Line2D

    from ..bridge.lattice import ELS_LATTICE, continuum_count, mode_count

    with style.figure_style():
        # ---- <|u4|> against sigma_W: one colour per width, one marker per source
        fig, ax = style.subplots(panel=(6.0, 4.6))
        cols = style.sequential(len(ex1.widths))
        for i, N in enumerate(ex1.widths):
            ax.plot(ex1.sigma_ws, np.abs(ex1.u4[i]), "-", color=cols[i], lw=1.1,
                    label=f"$N = {N}$")
            style.mc_points(ax, mc1.sigma_ws, np.abs(mc1.u4[i]), mc1.u4_err[i],
                            failed=mc1.heavy_tail[i], color=cols[i], marker="o",
                            markersize=3.5, label=None, failed_label=None)
            style.mc_points(ax, els_mc.sigma_ws * 1.04, np.abs(els_mc.u4[i]), els_mc.u4_err[i],
                            failed=els_mc.heavy_tail[i], color=cols[i], marker="s",
                            markersize=3.5, label=None, failed_label=None, failed_marker="+")
        grey = style.REFERENCE_COLOR
        proxies = [
            Line2D([], [], color=grey, lw=1.1, label="exact (one line per width)"),
            Line2D([], [], color=grey, marker="o", ls="none",
                   label=f"conditional MC, {mc1.meta['n_networks']} networks"),
            Line2D([], [], color=grey, marker="x", ls="none", mew=1.6,
                   label="conditional MC, failed (heavy tails)"),
            Line2D([], [], color=grey, marker="s", ls="none",
                   label="[ELS]-sized raw MC, 5 x 1000"),
            Line2D([], [], color=grey, marker="+", ls="none", mew=1.6, markersize=8,
                   label="[ELS]-sized raw MC, failed (heavy tails)")]
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles + proxies, labels + [p.get_label() for p in proxies],
                  loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
        style.log_axes(ax)
        ax.set_xlabel(style.dimensionless(r"$\sigma_W$"))
        ax.set_ylabel(style.dimensionless(r"$\langle|u_4|\rangle$ (raw, tuple mean)"))
        ax.set_title(r"Gauss-net, $\sigma_b = 1$: quartic coupling against $\sigma_W$")
        _write_fig(out / "u4_vs_sigma_w.png", fig)

        # ---- flows from the IR (set-ups a and b) and the [ELS] flow as published
        fig, axs = style.subplots(1, 2, panel=(4.6, 3.6))
        i = 0
        for (sb, N, setup), f in flows_plot.items():
            if sb != 1.0:
                continue
            u4 = f.coupling("u4")
            if setup == "a":
                u4 = u4 / f.meta["Z0"] ** 2  # to canonical, for a like-with-like plot
            st = style.series_style(i)
            i += 1
            axs[0].plot(f.k, np.abs(u4), color=st["color"],
                        linestyle="-" if setup == "b" else "--",
                        label=f"({setup}) $N = {N}$"
                        + (f", $k^* = {f.k_star:.3g}$" if f.k_star else ""))
        style.log_axes(axs[0])
        axs[0].set_xlim(1e-4, 100)
        axs[0].set_xlabel(style.dimensionless("RG scale $k$"))
        axs[0].set_ylabel(style.dimensionless("$|u_4(k)|$ (canonical)"))
        axs[0].set_title(r"$\sigma_b = 1$, $\phi^6$ truncation: set-up (a) in canonical "
                         "normalisation, (b)", fontsize=8)
        for j, (f, N) in enumerate(((els_as_published(1000, n_points=200), 1000),
                                    (els_as_published(3, n_points=200), 3))):
            row = pub[N]
            axs[1].plot(f.k, f.sigma_w_of_k(), color=style.series_style(j + 4)["color"],
                        label=f"$N = {N}$: $\\sigma_W(100) = {row['sigma_w_100']:.4f}$, "
                              f"$u_4(100) = {row['u4_100']:.4g}$")
        style.log_axes(axs[1], y=False)
        axs[1].set_xlabel(style.dimensionless("RG scale $k$"))
        axs[1].set_ylabel(style.dimensionless(r"$\sigma_W(k) = \sqrt{d\, u_2(k)/2}$"))
        axs[1].set_title("[ELS] flow as published (couplings typed in)", fontsize=8)
        style.legend_outside(fig, where="below", ncols=3)
        _write_fig(out / "flows.png", fig)

        # ---- passive reading: the flow's u4(k) against networks at sigma_W(k)
        fig, axs = style.subplots(1, len(passive), panel=(4.4, 3.6))
        for ax, (name, p) in zip(np.atleast_1d(axs), passive.items(), strict=True):
            ax.plot(p["k"], p["u4_flow"], color=style.CATEGORICAL[0], marker="o",
                    label="flow (b): canonical $u_4(k)$")
            ax.plot(p["k"], p["u4_networks"], color=style.CATEGORICAL[1], marker="s",
                    linestyle="--", label=r"networks at $\sigma_W(k)$, canonical $u_4$")
            style.log_axes(ax, y=False)
            vals = np.r_[p["u4_flow"], p["u4_networks"]]
            if np.nanmax(np.abs(vals)) > 100 * np.nanmin(np.abs(vals[vals != 0])):
                style.symlog_axis(ax, data=vals)  # the flow runs away near k*
            ax.set_xlabel(style.dimensionless("RG scale $k$"))
            ax.set_ylabel(style.dimensionless("$u_4$ (canonical)"))
            N, sb = name.removeprefix("N").split("_sb")
            ax.set_title(f"$N = {N}$, $\\sigma_b = {sb}$"
                         + (f", $k^* = {p['k_star']:.3g}$" if p["k_star"] else ""), fontsize=8)
        style.legend_outside(fig, where="below", ncols=2)
        _write_fig(out / "passive.png", fig)

        # ---- finite data sets: lattice modes below k against the continuum count
        fig, ax = style.subplots(panel=(5.0, 3.8))
        for j, (lat, name) in enumerate(((ELS_LATTICE, "[ELS] inputs"),
                                         (lat_r, "resolving lattice"))):
            col = style.series_style(j)["color"]
            ax.plot(kk, np.maximum(mode_count(lat, kk), 0.5), "-", color=col,
                    label=f"{name}: lattice modes")
            ax.plot(kk, continuum_count(lat, kk), "--", color=col,
                    label=f"{name}: continuum $v_d (kL)^d$")
        style.log_axes(ax)
        ax.set_xlabel(style.dimensionless("momentum $k$"))
        ax.set_ylabel(r"number of modes with $|p| \leq k$")
        ax.set_title("Finite data sets: modes resolved below $k$")
        style.legend_outside(ax, where="below", ncols=2)
        _write_fig(out / "lattice.png", fig)


# ------------------------------------------------------------------ summary.md
def _fmt(v, f=".4g"):
    return "n/a" if v is None else format(v, f)


def _intercept_claim(P: dict, det3: dict) -> str:
    """The [ELS] intercept finding with the computed numbers (docs/theory.md#els-intercept)."""
    d_pub = abs(float(P["log10_u4_sigma1_N3"]) - float(P["intercept_N3"]))
    d_ex = abs(det3["intercept"] - det3["log10_abs_u4_at_first_sigma_w"])
    return (f"In a fit of log10|u4| against log10 sigma_W the intercept is the fitted log10|u4| at "
            f"sigma_W = 1, the first grid point, so the two agree up to the fit residual: exactly "
            f"they differ by {d_ex:.1e} here. The published intercept {P['intercept_N3']} and "
            f"log10|u4| = {P['log10_u4_sigma1_N3']} at sigma_W = 1 differ by {d_pub:.2f} (a factor "
            f"{10 ** d_pub:.2f} in |u4|), so they cannot both hold (docs/theory.md#els-intercept).")


def _heavy_tail_claim(det: list) -> str:
    """How often the heavy-tail diagnostic fired, from the slope rows (docs/theory.md#heavy-tails)."""
    parts = []
    for src, name in (("monte_carlo", "conditional"), ("monte_carlo_els", "[ELS]-sized")):
        rows = [r for r in det if r["source"] == src]
        fired = sum(int(r.get("heavy_tail_fired") or 0) for r in rows)
        points = sum(int(r.get("heavy_tail_points") or 0) for r in rows)
        parts.append(f"{name}: {fired} of {points} points")
    return ("At sigma_b = 1 the heavy-tail diagnostic fired at " + "; ".join(parts) + ". Where it "
            "fired the error bars cannot be trusted, and where it is quiet it may still miss the "
            "rare networks that carry most of E[h^4] (docs/theory.md#heavy-tails, "
            "#heavy-tail-scatter).")


def _typed_in_claim(s: dict) -> str:
    """Typed-in [ELS] couplings against the measured ones at N = 3, sigma_W = 1."""
    pub = s["as_published"].get("3") or s["as_published"].get(3)
    ex = next((r for r in s["els_sized_bias"] if r["width"] == 3 and r["sigma_w"] == 1.0), None)
    ks = next((r for r in s["k_star"] if r["width"] == 3 and r["sigma_b"] == 1.0
               and r["setup"] == "a" and r["order"] == 6), None)
    if pub is None or ex is None or ks is None:
        return ""
    return (f"At N = 3, sigma_W = 1 the exact u4 is {ex['u4_exact']:.4g} against the typed-in "
            f"{pub['u4_0_typed_in']:.4g} ({pub['u4_0_typed_in'] / ex['u4_exact']:.2f} times the "
            f"exact value; docs/theory.md#els-intercept, #heavy-tail-scatter); the measured sextic "
            f"coupling (raw kappa) is {ks['u6_ir']:.5g} against the typed-in u6 = "
            f"{pub['u6_0_typed_in']:g} (docs/theory.md#kappa-sign). With the measured couplings "
            "the upward flows diverge: see the k* table.")


def _markdown(s: dict) -> str:
    L = ["# [ELS] reproduction (nnqft reproduce els" + (" --quick" if s["quick"] else "") + ")",
         "",
         "Gauss-net, d = 1, [HMS]/[ELS] inputs " + str(s["inputs"]) + ". " + s["convention"]
         + ". Exact values from the one-hidden-layer formulas (docs/theory.md#exact-finite-width); Monte "
         "Carlo values state their estimator and sizes.", "",
         "Terms (all defined in docs/theory.md#glossary): **raw** couplings belong to the kinetic "
         "term A exp(p^2/mu^2), **canonical** ones to a unit p^2 coefficient (u_2j / Z0^j); "
         "**set-up (a)**: full kinetic term A exp(p^2/mu^2) with the spectrally adjusted Litim "
         "regulator and raw IR data; **set-up (b)**: its p^2 truncation Z0 (p^2 + mu^2) with "
         "canonical IR data and u2 = mu^2; **set-up (c)**: the grid LPA used from the IR as an "
         "inverse problem; **as published**: [ELS]'s unit p^2 coefficient with raw u4 and "
         "typed-in couplings (docs/theory.md#set-ups); **k\\***: the scale where an upward flow "
         "diverges (docs/theory.md#divergence-scale); **passive reading**: sigma_W(k) read off "
         "the running mass, u2(k) = 2 sigma_W(k)^2 / d, and the flowed u4(k) compared with networks "
         "built at that sigma_W (docs/theory.md#passive-reading); **[ELS]-sized**: 5 bags of "
         "1000 networks, raw estimator, as [ELS] did; **heavy tail fired/points**: at how many "
         "sigma_W points the heavy-tail diagnostic fired (docs/theory.md#heavy-tails).", ""]
    ex3 = next(r for r in s["slopes"] if r["source"] == "exact" and r["width"] == 3)
    det3 = next(r for r in s["slopes_detail"] if r["source"] == "exact" and r["width"] == 3)
    els3 = next(r for r in s["slopes_detail"] if r["source"] == "monte_carlo_els" and r["width"] == 3)
    P = s["published"]
    L += ["## N = 3 exponent against the published fit", "",
          "| quantity | published [ELS] | exact (this work) | [ELS]-sized MC (this work) |",
          "|---|---|---|---|",
          f"| slope of log10 u4 vs log10 sigma_W | {P['slope_N3']} | {ex3['slope']:.4f} | "
          f"{pm(els3['slope'], els3['slope_err'])} |",
          f"| log10 u4 at sigma_W = 1 | {P['log10_u4_sigma1_N3']} | "
          f"{det3['log10_abs_u4_at_first_sigma_w']:.3f} | "
          f"{pm(els3['log10_abs_u4_at_first_sigma_w'], els3.get('log10_abs_u4_at_first_sigma_w_err'))} |",
          f"| intercept of the fit | {P['intercept_N3']} | {det3['intercept']:.4f} | "
          f"{els3['intercept']:.3f} |", "",
          f"Predicted slope d - 4 = -3 (docs/theory.md#active-reading); the exact slope differs "
          f"by the finite-input correction "
          f"{det3['correction']:+.5f} (small-input limit of the same fit: "
          f"{s['slope_small_input_limit']:.6f}; local slope d ln|u4|/d ln sigma_W at sigma_W = "
          f"{s['local_slope_exact']['sigma_w']}: {[round(x, 5) for x in s['local_slope_exact']['slope']]}). "
          f"Canonical normalisation (u4/Z0^2): exact slope "
          f"{s['slopes_canonical_exact'][1]['slope']:.4f} against 4 - d = 3.", "",
          _intercept_claim(P, det3), ""]
    L += ["## Slopes per width (raw, sigma_b = 1)", "",
          "| N | exact | conditional MC | heavy tail (fired/points) | [ELS]-sized 5x1000 raw MC | heavy tail |",
          "|---|---|---|---|---|---|"]
    det = s["slopes_detail"]
    for N in sorted({r["width"] for r in det}):
        e = next(r for r in det if r["width"] == N and r["source"] == "exact")
        m = next(r for r in det if r["width"] == N and r["source"] == "monte_carlo")
        b = next(r for r in det if r["width"] == N and r["source"] == "monte_carlo_els")
        L.append(f"| {N} | {e['slope']:.4f} | {pm(m['slope'], m['slope_err'])} | "
                 f"{m['heavy_tail_fired']}/{m['heavy_tail_points']} | "
                 f"{pm(b['slope'], b['slope_err'])} | {b['heavy_tail_fired']}/{b['heavy_tail_points']} |")
    ms = s["monte_carlo_sizes"]
    L += ["", f"Conditional MC: {ms['conditional_per_point']} networks per point, "
          f"{ms['sigma_w_points']} sigma_W points, jackknife slope errors (64 batches). "
          f"[ELS]-sized: {ms['els_sized']}, {ms['els_sigma_w_points']} sigma_W points, error = "
          "std over bags / sqrt(5). " + _heavy_tail_claim(det), ""]
    L += ["## Tame regime (sigma_b = 0.3): conditional MC slopes against exact", "",
          f"{ms['tame_per_point']} networks per point (conditional estimator), "
          f"{ms['sigma_w_points']} sigma_W points, jackknife errors. At sigma_b = 0.3 the "
          "log-normal tails are tame: the relative variance exp(16 m) - 1 of h^4 is of order 10, "
          "against 9e6 at sigma_b = 1 (docs/theory.md#heavy-tails).", "",
          "| N | MC slope +- error | exact (same sigma_W points) | z | heavy tail fired |",
          "|---|---|---|---|---|"]
    for r in s["tame_monte_carlo"]:
        L.append(f"| {r['width']} | {pm(r['slope_mc'], r['slope_err'])} | "
                 f"{r['slope_exact']:.4f} | {_fmt(r['z'], '.2f')} | {r['heavy_tail_fired']}/{r['points']} |")
    L += ["", "## Bias of the [ELS]-sized Monte Carlo (5 x 1000 networks, raw) at sigma_W = 1", "",
          "| N | exact u4 | MC u4 | MC/exact | z | heavy tail |", "|---|---|---|---|---|---|"]
    for r in s["els_sized_bias"]:
        if r["sigma_w"] == 1.0:
            L.append(f"| {r['width']} | {r['u4_exact']:.5g} | {pm(r['u4_mc'], r['u4_mc_err'])} | "
                     f"{r['ratio']:.3f} | {r['z']:.2f} | "
                     f"{'FIRED' if r['heavy_tail_fired'] else 'quiet'} |")
    L += ["", "## [ELS] passive flow as published (couplings TYPED IN, inconsistent normalisation)",
          "", "The flow [ELS] integrated, with their couplings typed in and their mix of a unit p^2 "
          "coefficient with raw u4 (docs/theory.md#the-published-flow, #raw-versus-canonical); "
          "it checks that nnqft integrates the same equations, nothing more.",
          "", "| N | typed-in u4_0, u6_0 | sigma_W(100) | u4(100) | u6(100) | published | max rel. diff |",
          "|---|---|---|---|---|---|---|"]
    for N, r in s["as_published"].items():
        L.append(f"| {N} | {r['u4_0_typed_in']}, {r['u6_0_typed_in']} | {r['sigma_w_100']:.4f} | "
                 f"{r['u4_100']:.4f} | {r['u6_100']:.4g} | "
                 + ", ".join(f"{k} = {v}" for k, v in r["published"].items())
                 + f" | {r['max_rel_diff']:.1e} |")
    L += ["", _typed_in_claim(s), "",
          "## k* of the upward flows (|u4| > 1e6 or a pole), k from 1e-10 to 100", "",
          "k* is where the flow is stopped (docs/theory.md#divergence-scale); IR u4, u6, u8 are "
          "the measured starting couplings in the set-up's normalisation (docs/theory.md#set-ups); "
          "'els (measured u4, u6)' is the as-published set-up started from measured couplings.",
          "",
          "| sigma_b | N | set-up | order | status | k* | IR u4 | IR u6 | IR u8 |",
          "|---|---|---|---|---|---|---|---|---|"]
    for r in s["k_star"]:
        L.append(f"| {r['sigma_b']} | {r['width']} | {r['setup']} ({r['normalisation']}) | "
                 f"phi^{r['order']} | {r['status']} | {_fmt(r['k_star'])} | {_fmt(r['u4_ir'])} | "
                 f"{_fmt(r['u6_ir'])} | {_fmt(r['u8_ir'])} |")
    L += ["", "## Set-up (a) against (b), canonical normalisation, below k*", "",
          "Both are consistent normalisations of the same IR data (docs/theory.md#set-ups); set-up "
          "(a) is converted to canonical (u_2j / Z0^j) before the comparison.", "",
          "| case | compared up to k | max rel. diff u4 | max rel. diff u6 |", "|---|---|---|---|"]
    for k, r in s["flow_comparisons_a_vs_b"].items():
        L.append(f"| {k} | {r['k_max_compared']:.3g} | {r['u4_max_rel_diff']:.3g} | "
                 f"{r['u6_max_rel_diff']:.3g} |")
    L += ["", "## Passive reading (set-up (b), canonical): u4(k) against networks at sigma_W(k)", "",
          "Each k defines sigma_W(k) = sqrt(d u2(k) / 2); the flowed u4(k) is compared with the "
          "canonical coupling of networks built with that sigma_W (docs/theory.md#passive-reading).",
          ""]
    for k, p in s["passive"].items():
        L.append(f"- {k} (k* = {_fmt(p['k_star'])}): sigma_W(k) from {p['sigma_w'][0]:.6f} to "
                 f"{p['sigma_w'][-1]:.6f}; u4 flow {p['u4_flow'][0]:.5g} -> {p['u4_flow'][-1]:.5g}, "
                 f"networks {p['u4_networks'][0]:.5g} -> {p['u4_networks'][-1]:.5g} "
                 f"(k up to {p['k'][-1]:.3g})")
    L += ["", "## Translation invariance (exact connected 4-point, common shift of the inputs)", "",
          "The cos-net is translation invariant at every width, the Gauss-net only in its kernel "
          "(docs/theory.md#translation-invariance).", "",
          "| net | shift | max rel. change of G4_c | rel. change of u4 |", "|---|---|---|---|"]
    for net, rows in s["translation"].items():
        for r in rows:
            L.append(f"| {net} | {r['shift'][0]} | {r['max_rel']:.3g} | {r['lambda_rel_change']:.3g} |")
    cr, cc = s["cos_slopes"]["raw"][0], s["cos_slopes"]["canonical"][0]
    L += ["", f"cos-net sigma_W analysis (exact, N = {cr['width']}): raw slope {cr['slope']:.5f} "
          f"(d - 4 = -3, correction {cr['correction']:+.2e}), canonical {cc['slope']:.5f}.", "",
          "## Finite data sets", "", "Mode sums over the momenta of a finite input lattice "
          "replace the loop integral of the Litim flow (docs/theory.md#finite-data-sets).", ""]
    la = s["lattice"]
    L.append(f"[ELS] inputs: a0 = {la['els_lattice']['a0']}, L = {la['els_lattice']['L']}, first "
             f"nonzero mode {la['els_lattice']['first_nonzero_mode']:.1f} > 100: "
             f"{la['els_lattice']['modes_below_100']} mode (the zero mode) below k = 100. Resolving "
             f"lattice a0 = {la['resolving_lattice']['a0']:.4g}, L = {la['resolving_lattice']['L']:.4g}.")
    L += ["", "| lattice | zero mode | status | u4(100) | rel. change vs continuum |", "|---|---|---|---|---|"]
    for r in la["flows"]:
        L.append(f"| {r['lattice']} | {r['zero_mode']} | {r['status']} | {r['final']['u4']:.6g} | "
                 f"{r['u4_rel_change_vs_continuum']:.3g} |")
    L += ["", "(tame IR data, N = 1000, sigma_b = 0.3, set-up (b); continuum u4(100) = "
          f"{la['continuum_final']['u4']:.6g})", "", "## Grid LPA inverse problem (c)", "",
          "A UV potential whose downward grid flow reproduces the IR data is searched by a small "
          "multistart; 'none found' is not a proof that none exists (docs/theory.md#set-ups, "
          "#flow-direction).", ""]
    for k, r in s["inverse_grid"].items():
        L.append(f"- {k}: {r['message']}")
    L += ["", f"Elapsed: {s['elapsed_s']:.0f} s.", ""]
    return "\n".join(L)
