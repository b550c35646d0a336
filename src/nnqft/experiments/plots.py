"""Figures (PNG, matplotlib Agg) for experiment results; written atomically."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .store import atomic_write_bytes

__all__ = ["save_figure", "plot_free_theory", "plot_couplings", "plot_correlators"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | Path) -> Path:
    """Render ``fig`` to PNG and write it atomically; closes the figure."""
    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def plot_free_theory(ds, path: str | Path) -> Path:
    """m_4, m_6 and |<G6_c/G6_GP>| against width: exact lines, Monte Carlo points with errors."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    N = ds["width"].values.astype(float)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    panels = [(axes[0], 4, "$m_4$"), (axes[1], 6, "$m_6$")]
    heavy = ds["heavy_tail"].values.astype(bool)
    for i, s in enumerate(ds["series"].values):
        col = colors[i % len(colors)]
        for ax, n, _ in panels:
            k = list(ds["order"].values).index(n)
            ex = ds["m_exact"].values[i, :, k]
            mc, err = ds["m_mc"].values[i, :, k], ds["m_mc_err"].values[i, :, k]
            floor = ds["m_floor"].values[i, :, k]
            if np.any(np.isfinite(ex)):
                ax.plot(N, ex, "-", color=col, label=f"{s} exact")
            if np.any(np.isfinite(mc)):
                _points(ax, N, mc, err, heavy[i], col, s)
                ax.plot(N, floor, ":", color=col, lw=1, label=f"{s} noise floor")
        ex6 = np.abs(ds["r6_exact"].values[i])
        mc6, err6 = np.abs(ds["r6_mc"].values[i]), ds["r6_mc_err"].values[i]
        if np.any(np.isfinite(ex6)):
            axes[2].plot(N, ex6, "-", color=col, label=f"{s} exact")
        if np.any(np.isfinite(mc6)):
            _points(axes[2], N, mc6, err6, heavy[i], col, s)
    ref = N.astype(float)
    for ax, n, title in panels:
        ax.plot(ref, 1.0 / ref, "k--", lw=0.8, label="1/N")
        ax.set_title(f"{title} = <|G{n} - G{n}_GP| / G{n}_GP>")
    axes[2].plot(ref, 1.0 / ref**2, "k--", lw=0.8, label="1/N^2")
    axes[2].set_title("|<G6_c / G6_GP>| (connected 6-point)")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("width N")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("Free theory: deviations from the Gaussian process ([HMS] inputs); "
                 "open markers: heavy tails, error bars untrustworthy")
    return save_figure(fig, path)


def _points(ax, N, y, err, heavy, col, label):
    ok = ~heavy
    if np.any(ok):
        ax.errorbar(N[ok], y[ok], yerr=err[ok], fmt="o", ms=4, color=col, capsize=2,
                    label=f"{label} Monte Carlo")
    if np.any(heavy):
        ax.errorbar(N[heavy], y[heavy], yerr=err[heavy], fmt="o", ms=5, mfc="none", color=col,
                    capsize=2, alpha=0.7, label=f"{label} Monte Carlo (heavy tails)")


def plot_couplings(ds, path: str | Path) -> Path:
    """Tuple mean of lambda against the cutoff (finite cutoffs), one line per network."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    cut = ds["cutoff"].values
    fin = np.isfinite(cut)
    for i, lab in enumerate(ds["network_label"].values):
        for s, src in enumerate(ds["source"].values):
            y = ds["lambda_mean"].values[i, s, fin]
            if not np.any(np.isfinite(y)):
                continue
            if src == "exact":
                ax.plot(cut[fin], np.abs(y), "-", label=f"{lab} exact")
            else:
                ax.errorbar(cut[fin], np.abs(y), yerr=ds["lambda_mean_err"].values[i, s, fin],
                            fmt="o", ms=4, capsize=2, label=f"{lab} MC")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("cutoff Lambda")
    ax.set_ylabel("|lambda| (tuple mean)")
    ax.set_title("Running of the quartic coupling")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6)
    return save_figure(fig, path)


def plot_correlators(rows: list[dict], path: str | Path) -> Path:
    """Tuple mean of the highest connected correlator per network: MC with errors and exact."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(rows) + 2), 4.5))
    x = np.arange(len(rows))
    mc = np.array([r.get("mc_mean", np.nan) for r in rows])
    err = np.array([r.get("mc_err", np.nan) for r in rows])
    ex = np.array([r.get("exact_mean", np.nan) for r in rows])
    if np.any(np.isfinite(mc)):
        ax.errorbar(x, mc, yerr=err, fmt="o", capsize=3, label="Monte Carlo")
    if np.any(np.isfinite(ex)):
        ax.plot(x, ex, "x", ms=8, label="exact")
    ax.set_xticks(x, [r["key"].split("-", 1)[1] for r in rows], rotation=60, ha="right",
                  fontsize=7)
    order = rows[0]["order"] if rows else 4
    ax.set_ylabel(f"tuple mean of G{order}_c")
    ax.set_yscale("symlog", linthresh=max(1e-12, np.nanmin(np.abs(np.r_[mc, ex, 1.0]))))
    ax.grid(True, alpha=0.3)
    ax.legend()
    ax.set_title("Connected correlators per network")
    return save_figure(fig, path)
