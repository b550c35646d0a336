"""``nnqft reproduce vector``: multi-output networks as O(n) field theories (docs/vector.md).

Stages (each a figure as PNG + PDF, its data as NetCDF, and numbers in ``summary.json``,
``summary.md`` and ``summary.html``):

1. ``on_coupling_vs_width``: the O(n) quartic coupling lambda (S = ... + lambda/4! (f.f)^2,
   tuple mean at Lambda = inf) of Gauss-nets (sigma_b = 0.5, inputs {-0.2, 0, 0.2}) against the
   width N for n = 1, 2, 3, 4, 10 outputs: exact (the amplitudes do not depend on n for a normal
   last layer) and Monte Carlo (conditional estimator) per n with jackknife errors; the scaled
   coupling n lambda is what stays finite at large n when N grows with n.
2. ``pairing_amplitudes``: the three pairing amplitudes A_(12|34), A_(13|24), A_(14|23) per
   sorted input 4-tuple (Erf-net N = 10), exact and Monte Carlo (n = 3), and the extra
   all-equal amplitude A_0 of a uniform last layer (N = 3, exact, against Monte Carlo with the
   raw estimator).
3. ``on_flows``: O(n) LPA flows (set-up (b), phi^6 about 0, Litim, d = 1) from the exact IR data
   of Gauss-nets with sigma_b = 1, N = 100 in the small-input limit, for n = 1, 2, 3, 4, 10:
   u4(k) up to the scale k* where they diverge; and the large-n approach: scaled couplings
   n u4 of networks with N = 10 n (sigma_b = 0.5) against the n = infinity LPA.
4. ``mc_vs_exact``: z-scores of Monte Carlo G4_c (raw and conditional) and G6_c (conditional)
   against the exact multi-output correlators for n = 2, 3 (Erf-net, N = 3, sigma_b = 0.5,
   depth 1), with two negative controls (the tensor without output deltas, the diagonal-only
   tensor) that must fail.

Timing (this 2-core machine): quick ~ 70 s; full ~ 170 s.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from ..io import atomic_write_text, to_jsonable, write_netcdf
from ..networks import Network
from ..stats import format_value_error
from . import output_files, run_stages
from . import stage_log as _log

__all__ = ["reproduce_vector", "OUTPUTS"]

#: Numbers of outputs of the coupling scan and the flows.
OUTPUTS = (1, 2, 3, 4, 10)
COUPLING_INPUTS = [-0.2, 0.0, 0.2]
MC_INPUTS = [-1.0, 0.4, 1.2]

SUMMARY_TERMS = (
    "Terms: `lambda` is the tuple mean over sorted input 4-tuples of the O(n) quartic coupling "
    "(per tuple the mean over the three pairings of -3 A_p / I_4), convention S = ... + "
    "lambda/4! (f.f)^2 + kappa/6! (f.f)^3 at Lambda = inf (docs/vector.md#on-couplings); "
    "`A_p` are the pairing amplitudes of G4_c = A_(12|34) d_ab d_cd + A_(13|24) d_ac d_bd + "
    "A_(14|23) d_ad d_bc (+ A_0 d_abcd for a non-normal last layer); `k*` is the scale where an "
    "upward O(n) LPA flow diverges (|u4| > 1e6 or a propagator pole, docs/vector.md#on-flows); "
    "`z` = (Monte Carlo - exact) / standard error per sorted tuple of (input, output) points."
)


def _mc(net, X, orders, n_networks, seed, estimator=None):
    from ..estimate import estimate_correlators

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        return estimate_correlators(net, X, orders=orders, n_networks=n_networks, seed=seed,
                                    estimator=estimator)


# ---------------------------------------------------------------------------- stages
def _stage_couplings(out: Path, cfg: dict, progress: bool, summary: dict) -> None:
    import xarray as xr

    from ..eft.on import exact_pairing_amplitudes, on_couplings
    from . import style

    widths = np.array(cfg["widths"])
    base = Network("gauss", width=1, sigma_b=0.5)
    amps1 = exact_pairing_amplitudes(base, COUPLING_INPUTS, 4)
    ex = np.array([on_couplings(exact_pairing_amplitudes(base.replace(width=int(N)),
                                                         COUPLING_INPUTS, 4)).mean
                   for N in widths])
    q1 = on_couplings(amps1)
    mc = np.full((len(OUTPUTS), len(cfg["mc_widths"])), np.nan)
    err = np.full_like(mc, np.nan)
    for i, n in enumerate(OUTPUTS):
        for j, N in enumerate(cfg["mc_widths"]):
            c = _mc(base.replace(width=int(N), outputs=n), COUPLING_INPUTS, (2, 4),
                    cfg["n_networks"], cfg["seed"])
            f = on_couplings(c)
            mc[i, j], err[i, j] = f.mean, f.mean_err
        _log(f"vector: couplings n = {n} done", progress)
    ex_mc = np.array([on_couplings(exact_pairing_amplitudes(base.replace(width=int(N)),
                                                            COUPLING_INPUTS, 4)).mean
                      for N in cfg["mc_widths"]])
    z = (mc - ex_mc[None, :]) / err
    with style.figure_style():
        fig, axes = style.subplots(1, 2, panel=(4.4, 3.4))
        ax = axes[0]
        ax.loglog(widths, np.abs(ex), color="k", label="exact (every n)")
        for i, n in enumerate(OUTPUTS):
            s = style.series_style(i)
            off = 1.0 + 0.04 * (i - 2)
            style.mc_points(ax, np.array(cfg["mc_widths"]) * off, np.abs(mc[i]), err[i],
                            color=s["color"], marker=s["marker"], label=f"MC, n = {n}")
        ax.set_xlabel(style.dimensionless("width $N$"))
        ax.set_ylabel(r"$|\lambda|$, O(n) quartic coupling")
        ax.set_title("O(n) coupling against width")
        ax2 = axes[1]
        for i in range(len(OUTPUTS)):
            s = style.series_style(i)
            off = 1.0 + 0.04 * (i - 2)
            style.mc_points(ax2, np.array(cfg["mc_widths"]) * off, mc[i] / ex_mc,
                            err[i] / np.abs(ex_mc), color=s["color"], marker=s["marker"],
                            label=None)
        ax2.axhline(1.0, color="k", lw=0.8)
        ax2.set_xscale("log")
        ax2.set_xticks(cfg["mc_widths"], [str(w) for w in cfg["mc_widths"]])
        ax2.minorticks_off()
        ax2.set_xlabel(style.dimensionless("width $N$"))
        ax2.set_ylabel(style.dimensionless(r"$\lambda_{MC} / \lambda_{exact}$"))
        ax2.set_title("Monte Carlo / exact, every n")
        style.legend_outside(fig)
        style.save(fig, out / "on_coupling_vs_width.png")
    ds = xr.Dataset({"lambda_exact": (("width",), ex),
                     "lambda_mc": (("outputs", "mc_width"), mc),
                     "lambda_mc_err": (("outputs", "mc_width"), err)},
                    coords={"width": widths, "outputs": list(OUTPUTS),
                            "mc_width": list(cfg["mc_widths"])},
                    attrs={"convention": "S = ... + lambda/4! (f.f)^2, Lambda = inf; gauss-net "
                           "sigma_b = 0.5, inputs -0.2, 0, 0.2 (docs/vector.md)"})
    write_netcdf(ds, out / "on_coupling_vs_width.nc")
    summary["couplings"] = {
        "lambda_times_N_exact": float(q1.mean),
        "pairing_asymmetry": q1.fit_quality["pairing_asymmetry"],
        "rel_spread": q1.fit_quality["rel_spread"],
        "mc": {f"n={n}": [{"N": int(N), "lambda": float(mc[i, j]), "err": float(err[i, j]),
                           "exact": float(ex_mc[j]), "z": float(z[i, j])}
                          for j, N in enumerate(cfg["mc_widths"])]
               for i, n in enumerate(OUTPUTS)},
        "max_abs_z": float(np.nanmax(np.abs(z))),
    }


def _stage_amplitudes(out: Path, cfg: dict, progress: bool, summary: dict) -> None:
    import xarray as xr

    from ..eft.on import PAIRINGS, exact_pairing_amplitudes, pairing_amplitudes
    from . import style

    net = Network("erf", width=10, sigma_b=0.5, outputs=3)
    X = MC_INPUTS
    ex = exact_pairing_amplitudes(net, X, 4)
    mc = pairing_amplitudes(_mc(net, X, (2, 4), cfg["n_networks_amp"], cfg["seed"] + 1), 4)
    uni = net.replace(weight_law="uniform", outputs=2, width=3)
    ex_u = exact_pairing_amplitudes(uni, X, 4)
    mc_u = pairing_amplitudes(_mc(uni, X, (2, 4), cfg["n_networks_amp"], cfg["seed"] + 2,
                                  "raw"), 4)
    names = ["(12|34)", "(13|24)", "(14|23)"]
    T = ex.tuples
    labels = ["".join(str(int(v)) for v in t) for t in T]
    x = np.arange(len(T))
    z = (mc.values - ex.values) / mc.errors
    d_err = np.sqrt(np.var(mc_u.diagonal_replicates, axis=0) * (len(mc_u.diagonal_replicates) - 1))
    zu = (mc_u.diagonal - ex_u.diagonal) / d_err
    with style.figure_style():
        fig, axes = style.subplots(1, 2, panel=(5.0, 3.4))
        ax = axes[0]
        for p in range(3):
            s = style.series_style(p)
            ax.plot(x + 0.15 * (p - 1), ex.values[:, p], linestyle="none", marker="_",
                    markersize=12, color=s["color"], label=f"exact $A_{{{names[p]}}}$")
            style.mc_points(ax, x + 0.15 * (p - 1), mc.values[:, p], mc.errors[:, p],
                            color=s["color"], marker=s["marker"], label=f"MC (n = 3) {names[p]}")
        ax.set_xticks(x, labels, rotation=90, fontsize=7)
        ax.set_xlabel("sorted input 4-tuple")
        ax.set_ylabel(r"pairing amplitude $A_p$ of $G_{4,c}$")
        ax.set_title("Erf-net N = 10: three pairings")
        ax2 = axes[1]
        ax2.plot(x, ex_u.diagonal, linestyle="none", marker="_", markersize=12, color="k",
                 label="exact $A_0$ (uniform law)")
        style.mc_points(ax2, x, mc_u.diagonal, d_err, color=style.CATEGORICAL[3],
                        label="MC raw (n = 2)")
        ax2.axhline(0, color="0.6", lw=0.8)
        ax2.set_xticks(x, labels, rotation=90, fontsize=7)
        ax2.set_xlabel("sorted input 4-tuple")
        ax2.set_ylabel(r"diagonal amplitude $A_0$ ($\delta_{abcd}$ term)")
        ax2.set_title("uniform last layer (N = 3) breaks O(n)")
        style.legend_outside(fig)
        style.save(fig, out / "pairing_amplitudes.png")
    ds = xr.Dataset({"A_exact": (("tuple", "pairing"), ex.values),
                     "A_mc": (("tuple", "pairing"), mc.values),
                     "A_mc_err": (("tuple", "pairing"), mc.errors),
                     "A0_exact_uniform": (("tuple",), ex_u.diagonal),
                     "A0_mc_uniform": (("tuple",), mc_u.diagonal),
                     "A0_mc_uniform_err": (("tuple",), d_err),
                     "tuples": (("tuple", "pos"), T)},
                    coords={"pairing": names},
                    attrs={"pairings": json.dumps([list(map(list, p)) for p in PAIRINGS])})
    write_netcdf(ds, out / "pairing_amplitudes.nc")
    summary["amplitudes"] = {"max_abs_z": float(np.max(np.abs(z))),
                             "uniform_A0_max_abs_z": float(np.max(np.abs(zu))),
                             "uniform_A0_rel_to_A": float(np.max(np.abs(ex_u.diagonal))
                                                          / np.max(np.abs(ex_u.values)))}
    _log("vector: amplitudes done", progress)


def _stage_flows(out: Path, cfg: dict, progress: bool, summary: dict) -> None:
    import xarray as xr

    from ..bridge.on import large_n_flows, on_flow_from_ir, on_ir_data
    from . import style

    net = Network("gauss", width=100, sigma_b=1.0)
    kw = dict(n_points=cfg["flow_points"], rtol=1e-8, atol=1e-10)
    flows = {}
    for n in OUTPUTS:
        ir = on_ir_data(net.replace(outputs=n), None, order=6)
        flows[n] = on_flow_from_ir(ir, "b", 6, **kw)
        _log(f"vector: flow n = {n}: {flows[n].status}, k* = {flows[n].k_star}", progress)
    large = large_n_flows(net.replace(sigma_b=0.5), None, ns=cfg["large_ns"], base_width=10,
                          order=6, n_points=cfg["flow_points"])
    with style.figure_style():
        fig, axes = style.subplots(1, 2, panel=(4.4, 3.4))
        ax = axes[0]
        for i, n in enumerate(OUTPUTS):
            f = flows[n]
            s = style.series_style(i)
            ax.plot(f.k, np.abs(f.coupling("u4")), color=s["color"],
                    linestyle=s["linestyle"], label=f"n = {n}"
                    + ("" if f.k_star is None else f", k* = {f.k_star:.3g}"))
            if f.k_star is not None:
                ax.axvline(f.k_star, color=s["color"], lw=0.8, linestyle=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(1e-3, 2.0)
        ax.set_xlabel("RG scale $k$")
        ax.set_ylabel(r"$|u_4(k)|$ (canonical)")
        ax.set_title(r"O(n) flows, Gauss-net N = 100, $\sigma_b$ = 1")
        ax.legend(fontsize=7, loc="upper left")
        ax2 = axes[1]
        for i, n in enumerate(large["ns"]):
            s = style.series_style(i, len(large["ns"]), ordered=True)
            ax2.plot(large["k"], np.abs(large["u4"][i]), color=s["color"],
                     label=f"n = {n}, N = {10 * n}")
        style.reference_line(ax2, large["k"], np.abs(large["reference"]["u4"]),
                             label=r"$n = \infty$ LPA")
        ax2.set_xscale("log")
        ax2.set_yscale("log")
        ax2.set_xlabel("RG scale $k$")
        ax2.set_ylabel(r"$n\,|u_4(k)|$ (canonical, scaled)")
        ax2.set_title(r"large n: $\sigma_b$ = 0.5, N = 10 n")
        ax2.legend(fontsize=7, loc="upper left")
        style.save(fig, out / "on_flows.png")
    kk = np.geomspace(1e-3, 100, 60)
    u4 = np.array([np.interp(np.log(kk), np.log(flows[n].k), flows[n].coupling("u4"),
                             right=np.nan) for n in OUTPUTS])
    ds = xr.Dataset({"u4": (("outputs", "k"), u4),
                     "k_star": (("outputs",), [np.nan if flows[n].k_star is None
                                               else flows[n].k_star for n in OUTPUTS]),
                     "large_n_u4_scaled": (("n", "k_large"), np.array(large["u4"])),
                     "large_n_u4_reference": (("k_large",), large["reference"]["u4"])},
                    coords={"outputs": list(OUTPUTS), "k": kk, "n": list(large["ns"]),
                            "k_large": large["k"]},
                    attrs={"setup": "b (canonical, Z = p^2, Litim, phi^6 about 0)",
                           "note": "u4 is NaN above k* (the flow stopped)"})
    write_netcdf(ds, out / "on_flows.nc")
    summary["flows"] = {"k_star": {f"n={n}": flows[n].k_star for n in OUTPUTS},
                        "status": {f"n={n}": flows[n].status for n in OUTPUTS},
                        "large_n": {"ns": list(large["ns"]),
                                    "u4_max_rel_diff_to_infinite_n": large["u4_max_rel_diff"],
                                    "k_max_compared": float(large["k"][-1])}}


def _stage_mc_vs_exact(out: Path, cfg: dict, progress: bool, summary: dict) -> None:
    import xarray as xr

    from ..combinatorics import tuple_index
    from ..exact import exact_correlators
    from . import style

    X = MC_INPUTS
    rows = []
    zs = {}
    for n in (2, 3):
        net = Network("erf", width=3, sigma_b=0.5, outputs=n)
        ex = exact_correlators(net, X, orders=(2, 4, 6))
        sc = exact_correlators(net.replace(outputs=1), X, orders=(2, 4, 6))
        for est, orders, M in (("conditional", (2, 4, 6), cfg["n_networks_z"]),
                               ("raw", (2, 4), cfg["n_networks_z_raw"])):
            c = _mc(net, X, orders, M, cfg["seed"] + 10 + n, est)
            for order in orders[1:]:
                e, v, x = c.connected_err(order), c.connected(order), ex.connected(order)
                ok = e > 0
                z = (v[ok] - x[ok]) / e[ok]
                T = c.tuples(order)
                nodelta = sc.connected(order)[tuple_index(T[..., 0], len(X))]
                same = np.all(T[..., 1] == T[:, :1, 1], axis=1)
                diag = np.where(same, nodelta, 0.0)
                # z of each control over the tuples with an error bar (the conditional
                # estimator's structural zeros have none; a control nonzero there is rejected
                # outright, recorded separately)
                zc = {name: float(np.max(np.abs(v[ok] - w[ok]) / e[ok]))
                      for name, w in (("no deltas", nodelta), ("diagonal only", diag))}
                zero_hit = {name: bool(np.any(w[~ok] != 0))
                            for name, w in (("no deltas", nodelta), ("diagonal only", diag))}
                zs[f"n{n}_{est}_G{order}"] = z
                rows.append({"outputs": n, "estimator": est, "order": order, "networks": M,
                             "tuples": int(ok.sum()), "max_abs_z": float(np.max(np.abs(z))),
                             "rms_z": float(np.sqrt(np.mean(z**2))),
                             "control_no_deltas_max_abs_z": zc["no deltas"],
                             "control_diagonal_only_max_abs_z": zc["diagonal only"],
                             "control_no_deltas_nonzero_on_exact_zeros": zero_hit["no deltas"],
                             "control_diagonal_only_nonzero_on_exact_zeros":
                                 zero_hit["diagonal only"]})
        _log(f"vector: MC vs exact n = {n} done", progress)
    with style.figure_style():
        fig, ax = style.subplots(1, 1, panel=(6.0, 3.4))
        for i, (k, z) in enumerate(zs.items()):
            s = style.series_style(i)
            ax.plot(np.arange(len(z)) / max(len(z) - 1, 1), z, linestyle="none",
                    marker=s["marker"], markersize=3, color=s["color"], label=k)
        ax.axhline(4.5, color="0.3", linestyle="--", lw=0.8, label=r"$|z| = 4.5$")
        ax.axhline(-4.5, color="0.3", linestyle="--", lw=0.8)
        ax.set_xlabel("sorted (input, output) tuple (position, normalised)")
        ax.set_ylabel(style.dimensionless("z = (MC - exact) / error"))
        ax.set_title("Monte Carlo against exact, Erf-net N = 3")
        style.legend_outside(ax)
        style.save(fig, out / "mc_vs_exact.png")
    ds = xr.Dataset({k: ((f"t_{k}",), v) for k, v in zs.items()},
                    attrs={"rows": json.dumps(rows)})
    write_netcdf(ds, out / "mc_vs_exact.nc")
    summary["mc_vs_exact"] = rows


# ---------------------------------------------------------------------------- summary
def _write_summary(out: Path, summary: dict) -> None:
    from ..experiments.report import render_html

    atomic_write_text(out / "summary.json", json.dumps(to_jsonable(summary), indent=2) + "\n")
    c, a, f = summary["couplings"], summary["amplitudes"], summary["flows"]
    lines = ["# nnqft reproduce vector", "",
             f"{'quick' if summary['quick'] else 'full'} run, {summary['wall_s']:.1f} s "
             "(docs/vector.md).", "", SUMMARY_TERMS, "",
             "## O(n) quartic coupling (Gauss-net, sigma_b = 0.5, Lambda = inf)", "",
             f"Exact: N lambda = {c['lambda_times_N_exact']:.6g} for every n (normal last "
             f"layer); spread over tuples / |mean| = {c['rel_spread']:.3g}; pairing asymmetry "
             f"= {c['pairing_asymmetry']:.3g}.", "",
             "| n | N | Monte Carlo lambda | exact | z |", "|---|---|---|---|---|"]
    for key, rows in c["mc"].items():
        for r in rows:
            lines.append(f"| {key[2:]} | {r['N']} | {format_value_error(r['lambda'], r['err'])} | "
                         f"{r['exact']:.5g} | {r['z']:.2f} |")
    lines += ["", f"Largest |z| over the scan: {c['max_abs_z']:.2f}.", "",
              "## Pairing amplitudes (Erf-net N = 10)", "",
              f"Monte Carlo (n = 3, conditional) against exact: max |z| = {a['max_abs_z']:.2f}. "
              f"Uniform last layer: the diagonal amplitude A_0 reaches "
              f"{a['uniform_A0_rel_to_A']:.3g} of the largest pairing amplitude; raw Monte Carlo "
              f"(n = 2, N = 3) against exact: max |z| = {a['uniform_A0_max_abs_z']:.2f}.", "",
              "## O(n) flows (set-up (b), phi^6, Gauss-net N = 100, sigma_b = 1)", "",
              "| n | status | k* |", "|---|---|---|"]
    for key, ks in f["k_star"].items():
        lines.append(f"| {key[2:]} | {f['status'][key]} | "
                     f"{'-' if ks is None else f'{ks:.4g}'} |")
    ln = f["large_n"]
    lines += ["", "Large n (N = 10 n, sigma_b = 0.5): largest relative difference of n u4(k) "
              f"to the n = infinity LPA for k <= {ln['k_max_compared']:.3g}: "
              + ", ".join(f"n = {n}: {d:.3g}" for n, d in
                          zip(ln["ns"], ln["u4_max_rel_diff_to_infinite_n"], strict=True)), "",
              "## Monte Carlo against exact (Erf-net N = 3, sigma_b = 0.5)", "",
              "| n | estimator | order | networks | tuples | max abs z | rms z | control: no "
              "deltas | control: diagonal only |", "|---|---|---|---|---|---|---|---|---|"]
    for r in summary["mc_vs_exact"]:
        lines.append(f"| {r['outputs']} | {r['estimator']} | {r['order']} | {r['networks']} | "
                     f"{r['tuples']} | {r['max_abs_z']:.2f} | {r['rms_z']:.2f} | "
                     f"{r['control_no_deltas_max_abs_z']:.3g} | "
                     f"{r['control_diagonal_only_max_abs_z']:.3g} |")
    lines += ["", "Files: " + ", ".join(sorted(summary["files"])), ""]
    md = "\n".join(lines)
    atomic_write_text(out / "summary.html", render_html(md, "nnqft reproduce vector"))
    atomic_write_text(out / "summary.md", md)


def reproduce_vector(out_dir="results/vector", quick: bool = True, progress: bool = True) -> dict:
    """Run the four stages (module docstring) and write figures, NetCDF and summaries.

    ``quick``: Monte Carlo at widths (3, 10, 30) with 2e4 networks (about a minute); full: widths
    (3, 10, 30, 100, 300) with 1e5 networks and more large-n flows.
    """
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = {
        "widths": [2, 3, 5, 10, 20, 50, 100, 300, 1000],
        "mc_widths": [3, 10, 30] if quick else [3, 10, 30, 100, 300],
        "n_networks": 20_000 if quick else 100_000,
        "n_networks_amp": 40_000 if quick else 200_000,
        "n_networks_z": 40_000 if quick else 200_000,
        "n_networks_z_raw": 60_000 if quick else 300_000,
        "large_ns": [2, 8, 32] if quick else [2, 4, 8, 16, 32, 64],
        "flow_points": 100 if quick else 300,
        "seed": 0,
    }
    summary = {"quick": bool(quick), "config": cfg, "timings_s": {}}
    run_stages("vector", (("couplings", _stage_couplings), ("amplitudes", _stage_amplitudes),
                          ("mc_vs_exact", _stage_mc_vs_exact), ("flows", _stage_flows)),
               (out, cfg, progress, summary), summary, progress)
    summary["files"] = output_files(out)
    _write_summary(out, summary)
    return to_jsonable(summary)
