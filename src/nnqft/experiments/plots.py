"""Figures for experiment results, in the shared nnqft style (:mod:`nnqft.reproduce.style`).

Each figure is written as PNG (200 dpi) and PDF, atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..reproduce import style

__all__ = ["save_figure", "plot_free_theory", "plot_couplings", "plot_correlators"]


def save_figure(fig, path: str | Path) -> Path:
    """Write ``fig`` as PNG (200 dpi) and PDF beside it, atomically; closes the figure.

    Returns the PNG path.
    """
    return style.save(fig, path)[0]


def plot_free_theory(ds, path: str | Path) -> Path:
    """m_4, m_6 and |<G6_c/G6_GP>| against width: exact lines, Monte Carlo points with errors.

    Monte Carlo points whose heavy-tail diagnostic fired are drawn as failures (crosses, no
    error bar). Reference lines: 1/N in the m_4 and m_6 panels, 1/N^2 in the connected
    6-point panel, each labelled with exactly what is drawn.
    """
    N = ds["width"].values.astype(float)
    heavy = ds["heavy_tail"].values.astype(bool)
    series = [str(s) for s in ds["series"].values]
    orders = list(ds["order"].values)
    with style.figure_style():
        fig, axes = style.subplots(1, 3, panel=(4.0, 3.3))
        panels = [(axes[0], 4, "$m_4$"), (axes[1], 6, "$m_6$")]
        for i, s in enumerate(series):
            st = style.series_style(i, len(series))
            col = st["color"]
            for ax, n, _ in panels:
                k = orders.index(n)
                ex = ds["m_exact"].values[i, :, k]
                mc, err = ds["m_mc"].values[i, :, k], ds["m_mc_err"].values[i, :, k]
                floor = ds["m_floor"].values[i, :, k]
                if np.any(np.isfinite(ex)):
                    ax.plot(N, ex, "-", color=col, label=f"{s}: exact")
                if np.any(np.isfinite(mc)):
                    style.mc_points(ax, N, mc, err, failed=heavy[i], color=col,
                                    marker=st["marker"], label=f"{s}: Monte Carlo",
                                    failed_label=f"{s}: Monte Carlo, failed (heavy tails)")
                    ax.plot(N, floor, ":", color=col, lw=1, label=f"{s}: noise floor")
            ex6 = np.abs(ds["r6_exact"].values[i])
            mc6, err6 = np.abs(ds["r6_mc"].values[i]), ds["r6_mc_err"].values[i]
            if np.any(np.isfinite(ex6)):
                axes[2].plot(N, ex6, "-", color=col, label=f"{s}: exact")
            if np.any(np.isfinite(mc6)):
                style.mc_points(axes[2], N, mc6, err6, failed=heavy[i], color=col,
                                marker=st["marker"], label=f"{s}: Monte Carlo",
                                failed_label=f"{s}: Monte Carlo, failed (heavy tails)")
        for ax, n, name in panels:
            style.reference_line(ax, N, 1.0 / N, label="$1/N$")
            g, gp = f"G_{{{n}}}", rf"G_{{{n},\mathrm{{GP}}}}"
            ax.set_title(rf"{name} = $\langle |{g} - {gp}| / {gp} \rangle$")
            ax.set_ylabel(style.dimensionless(name))
        style.reference_line(axes[2], N, 1.0 / N**2, label="$1/N^2$", linestyle="-.")
        axes[2].set_title(r"connected 6-point: $|\langle G_{6,c} / G_{6,\mathrm{GP}}\rangle|$")
        axes[2].set_ylabel(style.dimensionless(r"$|\langle G_{6,c}/G_{6,\mathrm{GP}}\rangle|$"))
        for ax in axes:
            style.log_axes(ax)
            ax.set_xlabel("width $N$")
        fig.suptitle("Free theory: deviations from the Gaussian process ([HMS] inputs)")
        style.legend_outside(fig, where="below", ncols=4)
        return save_figure(fig, path)


def plot_couplings(ds, path: str | Path, heavy: dict | None = None) -> Path:
    """Tuple mean of |lambda| against the cutoff (finite cutoffs), one colour per network.

    ``heavy``: network key -> whether the Monte Carlo heavy-tail check fired; those Monte Carlo
    points are drawn as failures.
    """
    cut = ds["cutoff"].values
    fin = np.isfinite(cut)
    labels = [_short_label(str(v)) for v in ds["network_label"].values]
    keys = [str(v) for v in ds["network"].values]
    heavy = heavy or {}
    with style.figure_style():
        fig, ax = style.subplots(panel=(5.2, 3.8))
        for i, lab in enumerate(labels):
            st = style.series_style(i, len(labels))
            bad = np.full(int(fin.sum()), bool(heavy.get(keys[i], False)))
            for s, src in enumerate(ds["source"].values):
                y = ds["lambda_mean"].values[i, s, fin]
                if not np.any(np.isfinite(y)):
                    continue
                if src == "exact":
                    ax.plot(cut[fin], np.abs(y), color=st["color"], linestyle=st["linestyle"],
                            label=f"{lab}: exact")
                else:
                    style.mc_points(ax, cut[fin], np.abs(y),
                                    ds["lambda_mean_err"].values[i, s, fin], failed=bad,
                                    color=st["color"], marker=st["marker"],
                                    label=f"{lab}: Monte Carlo",
                                    failed_label=f"{lab}: Monte Carlo, failed (heavy tails)")
        style.log_axes(ax)
        ax.set_xlabel(style.dimensionless(r"cutoff $\Lambda$"))
        ax.set_ylabel(style.dimensionless(r"$|\lambda|$ (tuple mean)"))
        ax.set_title(r"Running of the quartic coupling ($S \supset \lambda\phi^4/4!$)")
        style.legend_outside(fig, where="below", ncols=2)
        return save_figure(fig, path)


def _short_label(label: str) -> str:
    """A network label without the default parts (one hidden layer, normal weights)."""
    return " ".join(p for p in label.split() if p not in ("L=1", "normal"))


def plot_correlators(rows: list[dict], path: str | Path) -> Path:
    """Tuple mean of the highest connected correlator per network: MC with errors and exact.

    Signed values on a symmetric-log axis labelled at whole decades; Monte Carlo points whose
    heavy-tail diagnostic fired are drawn as failures.
    """
    x = np.arange(len(rows), dtype=float)
    mc = np.array([r.get("mc_mean", np.nan) for r in rows], dtype=float)
    err = np.array([r.get("mc_err", np.nan) for r in rows], dtype=float)
    ex = np.array([r.get("exact_mean", np.nan) for r in rows], dtype=float)
    heavy = np.array([bool(r.get("heavy_tail", False)) for r in rows])
    order = rows[0]["order"] if rows else 4
    with style.figure_style():
        fig, ax = style.subplots(panel=(max(5.0, 0.45 * len(rows) + 2.5), 3.8))
        if np.any(np.isfinite(mc)):
            style.mc_points(ax, x, mc, err, failed=heavy, color=style.CATEGORICAL[0],
                            label="Monte Carlo (± standard error)",
                            failed_label="Monte Carlo, failed (heavy tails)")
        if np.any(np.isfinite(ex)):
            ax.plot(x, ex, linestyle="none", marker="_", markersize=14, mew=2,
                    color=style.CATEGORICAL[1], label="exact")
        ax.set_xticks(x, [_short(r["key"]) for r in rows], rotation=60, ha="right", fontsize=7)
        ax.set_xlabel("network")
        ax.set_ylabel(style.dimensionless(f"tuple mean of $G_{{{order},c}}$"))
        e0 = np.nan_to_num(err)
        style.symlog_axis(ax, data=np.r_[mc - e0, mc + e0, ex])
        ax.set_title("Connected correlators per network")
        style.legend_outside(ax, where="right")
        return save_figure(fig, path)


def _short(key: str) -> str:
    """A network key without its index and the default parts (one layer, normal weights)."""
    parts = key.split("-")
    if parts and parts[0].isdigit():
        parts = parts[1:]
    return "-".join(p for p in parts if p not in ("L1", "normal"))
