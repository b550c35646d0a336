"""``nnqft reproduce action``: the exact non-perturbative theory of one-layer ensembles.

Three figures and a summary (docs/action.md): the exact density p(f) against histograms of
sampled networks; the exact action S against its 1/N and 1/N^2 (Edgeworth) reconstructions,
with the fitted residual slopes; the exact Gamma against the d = 0 Wetterich grid flow from the
exact S and against polynomial truncations, with the convergence table by order and width.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..io import atomic_write_text, to_jsonable
from . import output_files, run_stages

SW, SB, X = 1.5, 0.5, [0.7]


def _density(out, cfg, summary, style):
    import nnqft as nq
    from nnqft.action.theory import OneInputTheory

    plt = style._plt()
    fig, axes = style.subplots(1, 2)
    rows = []
    for ax, (act, N) in zip(axes, [("erf", 1), ("relu", 2)], strict=True):
        net = nq.Network(act, width=N, sigma_w=SW, sigma_b=SB)
        th = OneInputTheory(net, X)
        s = math.sqrt(th.G2)
        y = nq.sample_outputs(net, [X], cfg["networks"], seed=0)[:, 0]
        f = np.linspace(-5 * s, 5 * s, 161)
        p = np.exp(th.log_density(f)[0])
        ax.hist(y, bins=np.linspace(-5 * s, 5 * s, 81), density=True, color=style.CATEGORICAL[1],
                alpha=0.5, label=f"{cfg['networks']} sampled networks")
        ax.plot(f, p, color=style.CATEGORICAL[0], label="exact p(f)")
        ax.plot(f, np.exp(-f**2 / (2 * th.G2)) / math.sqrt(2 * math.pi * th.G2), "--",
                color=style.REFERENCE_COLOR, label="Gaussian, same G2")
        ax.set_yscale("log")
        ax.set_ylim(1e-5, None)
        ax.set_xlabel("output f")
        ax.set_ylabel("density")
        ax.set_title(f"{act}-net, N = {N}")
        rows.append({"net": act, "N": N, "G2": th.G2})
    axes[1].legend(fontsize=7, loc="lower center")
    style.save(fig, out / "density.png")
    plt.close(fig)
    summary["density"] = rows


def _reconstruction(out, cfg, summary, style):
    import nnqft as nq
    from nnqft.action import series as se
    from nnqft.action.theory import OneInputTheory

    plt = style._plt()
    fig, axes = style.subplots(1, 2)
    for ax, N in zip(axes, (4, 16), strict=True):
        th = OneInputTheory(nq.Network("erf", width=N, sigma_w=SW, sigma_b=SB), X)
        s = math.sqrt(th.G2)
        f = np.linspace(-4 * s, 4 * s, 81)
        S, _ = th.action(f)
        G = se.theory_cumulants(th, 6)
        for o, lab in ((1, "$|S - S_{1/N}|$"), (2, "$|S - S_{1/N^2}|$")):
            ax.plot(f / s, np.abs(S - se.perturbative_action(f, G[2], G[4], G[6], o)) + 1e-16,
                    label=lab)
        ax.set_yscale("log")
        ax.set_ylim(1e-9, 10)  # S - S(0) vanishes at f = 0 for every action: floor hidden
        ax.set_xlabel(style.dimensionless("f / sigma"))
        ax.set_ylabel("residual of S")
        ax.set_title(f"erf-net, N = {N}")
    axes[1].legend(fontsize=7)
    style.save(fig, out / "reconstruction.png")
    plt.close(fig)
    Ns = cfg["slope_widths"]
    slopes = []
    for act in ("erf", "cos", "relu"):
        r1, r2 = [], []
        for N in Ns:
            th = OneInputTheory(nq.Network(act, width=N, sigma_w=SW, sigma_b=SB), X)
            f = math.sqrt(th.G2)
            S, _ = th.action([f])
            G = se.theory_cumulants(th, 6)
            r1.append(abs(S[0] - se.perturbative_action(f, G[2], G[4], G[6], 1)))
            r2.append(abs(S[0] - se.perturbative_action(f, G[2], G[4], G[6], 2)))
        slopes.append({"net": act, "slope_1/N": float(np.polyfit(np.log(Ns), np.log(r1), 1)[0]),
                       "slope_1/N^2": float(np.polyfit(np.log(Ns), np.log(r2), 1)[0])})
    summary["reconstruction"] = {"widths": Ns, "f_over_sigma": 1.0, "slopes": slopes}


def _frg(out, cfg, summary, style):
    import nnqft as nq
    from nnqft.action import frgcheck as F
    from nnqft.action.theory import OneInputTheory

    plt = style._plt()
    th = OneInputTheory(nq.Network("erf", width=10, sigma_w=SW, sigma_b=SB), X)
    r = F.flow_vs_exact(th)
    fig, axes = style.subplots(1, 2)
    s = math.sqrt(th.G2)
    axes[0].plot(r["phi"] / s, r["exact"], color=style.CATEGORICAL[0], label="exact Gamma")
    axes[0].plot(r["phi"] / s, r["flow"], ":", color=style.CATEGORICAL[2],
                 label="grid flow, k = 0")
    axes[0].plot(r["phi"] / s, r["S"] - r["S"].mean() + r["exact"].mean(), "--",
                 color=style.REFERENCE_COLOR, label="S (shifted)")
    axes[0].set_xlabel(style.dimensionless("phi / sigma"))
    axes[0].set_ylabel("Gamma(phi) - Gamma(0)")
    axes[0].set_title(f"erf-net, N = 10: max error {r['max_abs_error']:.1e}")
    axes[0].legend(fontsize=7)
    table = []
    flows = []
    for act in cfg["frg_nets"]:
        for N in cfg["frg_widths"]:
            t = OneInputTheory(nq.Network(act, width=N, sigma_w=SW, sigma_b=SB), X)
            flows.append({"net": act, "N": N,
                          "max_abs_error": F.flow_vs_exact(t)["max_abs_error"]})
            for row in F.truncation_table(t, orders=cfg["orders"]):
                table.append({"net": act, "N": N, **row})
    for N in cfg["frg_relu_widths"]:  # relu: tail scheme, grid flow only (docs/action.md 6)
        t = OneInputTheory(nq.Network("relu", width=N, sigma_w=SW, sigma_b=SB), X)
        flows.append({"net": "relu", "N": N, "max_abs_error": F.flow_vs_exact(t)["max_abs_error"]})
    for i, N in enumerate(cfg["frg_widths"]):
        e = [row["max_abs_error"] for row in table if row["N"] == N and row["net"] == "erf"]
        axes[1].plot(cfg["orders"], e, marker="o", label=f"N = {N}",
                     color=style.sequential(len(cfg["frg_widths"]))[i])
    axes[1].set_yscale("log")
    axes[1].set_xlabel("truncation order M")
    axes[1].set_ylabel("max |Gamma_M - Gamma|, |phi| <= sigma")
    axes[1].set_title("erf-net truncations")
    axes[1].legend(fontsize=7)
    style.save(fig, out / "gamma_frg.png")
    plt.close(fig)
    summary["frg"] = {"grid_flows": flows, "truncations": table}


def reproduce_action(out_dir, quick: bool = False, progress: bool = True) -> dict:
    """Run the three stages and write figures and summary.json/.md into ``out_dir``."""
    from . import style

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = {"networks": 20000 if quick else 200000,
           "slope_widths": [16, 32, 64, 128],
           "frg_nets": ["erf"] if quick else ["erf", "tanh", "cos"],
           "frg_relu_widths": [] if quick else [1, 2, 3, 10, 100],
           "frg_widths": [3, 100] if quick else [1, 2, 3, 10, 100],
           "orders": [4, 6, 8] if quick else [4, 6, 8, 10, 12, 14, 16],
           "sigma_w": SW, "sigma_b": SB, "input": X}
    summary = {"quick": bool(quick), "config": cfg, "timings_s": {}}
    with style.figure_style():
        run_stages("action", (("density", _density), ("reconstruction", _reconstruction),
                              ("frg", _frg)), (out, cfg, summary, style), summary, progress)
    summary["files"] = output_files(out, ("summary.json", "summary.md"))
    _write_summary(out, summary)
    return to_jsonable(summary)


def _write_summary(out: Path, summary: dict) -> None:
    atomic_write_text(out / "summary.json", json.dumps(to_jsonable(summary), indent=2) + "\n")
    lines = ["# nnqft reproduce action", "",
             f"{'quick' if summary['quick'] else 'full'} run, {summary['wall_s']:.1f} s "
             "(docs/action.md). sigma_w = 1.5, sigma_b = 0.5, input x = 0.7.", "",
             "## Residual slopes of the 1/N and 1/N^2 actions (f = sigma)", "",
             "| net | slope 1/N (expect -2) | slope 1/N^2 (expect -3) |", "|---|---|---|"]
    for r in summary["reconstruction"]["slopes"]:
        lines.append(f"| {r['net']} | {r['slope_1/N']:.3f} | {r['slope_1/N^2']:.3f} |")
    lines += ["", "## d = 0 Wetterich grid flow from the exact S against the exact Gamma", "",
              "| net | N | max error, abs(phi) <= 2 sigma |", "|---|---|---|"]
    for r in summary["frg"]["grid_flows"]:
        lines.append(f"| {r['net']} | {r['N']} | {r['max_abs_error']:.2e} |")
    lines += ["", "## Polynomial truncations about 0 (= the minimum)", "",
              "| net | N | M | status | max error, abs(phi) <= sigma | Gamma_4 rel. error |",
              "|---|---|---|---|---|---|"]
    for r in summary["frg"]["truncations"]:
        lines.append(f"| {r['net']} | {r['N']} | {r['order']} | {r['status']} | "
                     f"{r['max_abs_error']:.2e} | {r['Gamma4_rel_error']:.2e} |")
    atomic_write_text(out / "summary.md", "\n".join(lines) + "\n")
